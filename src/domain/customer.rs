//! Customers: the buyers a merchant knows, by kassa's id and by the merchant's own (external) id.

use serde::{Deserialize, Serialize};

/// A postal address for billing. Only the country is required, as card networks need no more.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
}
