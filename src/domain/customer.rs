//! Customers: the buyers a merchant knows, by kassa's id and by the merchant's own (external) id.

use super::field::{Field, FieldError};
use serde::{Deserialize, Serialize};

/// A postal address for billing. Only the country is required, as card networks need no more.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BillingAddress {
    pub name: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

/// A customer of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub billing_address: Option<BillingAddress>,
    pub archived: bool,
}

/// Why an email address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Enter an email address like name@example.com.")]
pub struct InvalidEmail;

/// Checks an email address (RFC 5322 syntax via the `email_address` crate, and a dot in the
/// domain, which every address a card buyer uses has) and returns it trimmed.
pub fn parse_email(input: &str) -> Result<String, InvalidEmail> {
    let trimmed = input.trim();
    let parsed: email_address::EmailAddress = trimmed.parse().map_err(|_| InvalidEmail)?;
    let domain = parsed.domain();
    if !domain.contains('.') || domain.starts_with('[') || domain.ends_with('.') {
        return Err(InvalidEmail);
    }
    Ok(trimmed.to_owned())
}

/// Checks an ISO 3166-1 alpha-2 country code and returns it upper-cased.
pub fn parse_country(input: &str) -> Option<String> {
    let upper = input.trim().to_ascii_uppercase();
    let known = upper.len() == 2 && upper.parse::<iso_currency::Country>().is_ok();
    known.then_some(upper)
}

/// A customer as a merchant describes it (Flowglad requires all three), not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerDraft {
    pub email: Option<String>,
    pub name: Option<String>,
    pub external_id: Option<String>,
}

/// Checks a customer's email, name and external id (each required; name and id 1 to 255 chars).
pub fn check_customer(draft: &CustomerDraft) -> Result<(String, String, String), Vec<FieldError>> {
    let mut errors = Vec::new();
    let email = match draft.email.as_deref().map(parse_email) {
        Some(Ok(email)) => email,
        Some(Err(e)) => {
            errors.push(FieldError::invalid(Field::CustomerEmail, e.to_string()));
            String::new()
        }
        None => {
            errors.push(FieldError::missing(
                Field::CustomerEmail,
                "a customer needs an email address",
            ));
            String::new()
        }
    };
    let mut text = |value: &Option<String>, field: Field, what: &str| -> String {
        let value = value.as_deref().map(str::trim).unwrap_or_default();
        if value.is_empty() {
            errors.push(FieldError::missing(
                field,
                format!("a customer needs {what}"),
            ));
        } else if value.chars().count() > 255 {
            errors.push(FieldError::invalid(
                field,
                format!("{what} must be at most 255 characters"),
            ));
        }
        value.to_owned()
    };
    let name = text(&draft.name, Field::CustomerName, "a name");
    let external_id = text(&draft.external_id, Field::ExternalId, "an external id");
    if errors.is_empty() {
        Ok((email, name, external_id))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            parse_email(" ada@example.com ").as_deref(),
            Ok("ada@example.com")
        );
        assert!(parse_email("ada+shop@mail.example.co.uk").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "ada@example.",
            "a b@example.com",
        ] {
            assert_eq!(parse_email(bad), Err(InvalidEmail), "{bad}");
        }
    }

    #[test]
    fn countries_are_iso_alpha_2() {
        assert_eq!(parse_country("de").as_deref(), Some("DE"));
        assert_eq!(parse_country("US").as_deref(), Some("US"));
        assert_eq!(parse_country("USA"), None);
        assert_eq!(parse_country("ZZ"), None);
    }

    #[test]
    fn customers_need_email_name_and_external_id() {
        let ok = CustomerDraft {
            email: Some("ada@example.com".into()),
            name: Some("Ada".into()),
            external_id: Some("u1".into()),
        };
        assert_eq!(
            check_customer(&ok).unwrap(),
            ("ada@example.com".into(), "Ada".into(), "u1".into())
        );
        let fields: Vec<Field> = check_customer(&CustomerDraft::default())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![Field::CustomerEmail, Field::CustomerName, Field::ExternalId]
        );
    }
}
