//! Dashboard accounts: what signing up asks for, checked in the browser and on the server.

use super::customer::parse_email;
use super::field::{Field, FieldError};

/// The shortest password kassa accepts. Length is what makes a password hard to guess; kassa
/// asks for no particular characters (NIST SP 800-63B).
pub const MIN_PASSWORD_LENGTH: usize = 10;
pub const MAX_PASSWORD_LENGTH: usize = 1024;

/// A sign-up, checked: the email lower-cased, the organization name trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignUp {
    pub email: String,
    pub organization_name: String,
}

/// Checks a sign-up's email, password and organization name; every problem is reported.
pub fn check_sign_up(
    email: &str,
    password: &str,
    organization_name: &str,
) -> Result<SignUp, Vec<FieldError>> {
    let mut errors = Vec::new();
    let email = match parse_email(email) {
        Ok(email) => email.to_lowercase(),
        Err(e) => {
            errors.push(FieldError::invalid(Field::AccountEmail, e.to_string()));
            String::new()
        }
    };
    if let Err(e) = check_password(password) {
        errors.push(e);
    }
    let organization_name = organization_name.trim().to_owned();
    if organization_name.is_empty() {
        errors.push(FieldError::missing(
            Field::OrganizationName,
            "Enter your organization's name.",
        ));
    } else if organization_name.chars().count() > 100 {
        errors.push(FieldError::invalid(
            Field::OrganizationName,
            "The name must be at most 100 characters.",
        ));
    }
    if errors.is_empty() {
        Ok(SignUp {
            email,
            organization_name,
        })
    } else {
        Err(errors)
    }
}

pub fn check_password(password: &str) -> Result<(), FieldError> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LENGTH {
        Err(FieldError::invalid(
            Field::Password,
            format!(
                "Use at least {MIN_PASSWORD_LENGTH} characters: a few words make a good password."
            ),
        ))
    } else if length > MAX_PASSWORD_LENGTH {
        Err(FieldError::invalid(
            Field::Password,
            "The password is too long.",
        ))
    } else {
        Ok(())
    }
}

/// A hex colour such as `#1d4ed8`, lower-cased.
pub fn parse_color(input: &str) -> Result<String, FieldError> {
    let trimmed = input.trim();
    let hex = trimmed.strip_prefix('#').unwrap_or(trimmed);
    if hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(format!("#{}", hex.to_ascii_lowercase()))
    } else {
        Err(FieldError::invalid(
            Field::AccentColor,
            "Enter a colour such as #1d4ed8.",
        ))
    }
}

/// Branding as a merchant typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrandingDraft {
    pub display_name: Option<String>,
    pub accent_color: Option<String>,
    pub logo_url: Option<String>,
    /// The merchant's terms of service, which a checkout asking for consent links to.
    pub terms_url: Option<String>,
}

/// Checked branding: empty inputs are `None` (the default look).
pub type CheckedBranding = BrandingDraft;

/// Checks a display name (at most 100 characters), an accent colour and a logo's `https` URL.
pub fn check_branding(draft: BrandingDraft) -> Result<CheckedBranding, Vec<FieldError>> {
    let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut errors = Vec::new();
    let display_name = given(draft.display_name);
    if display_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 100)
    {
        errors.push(FieldError::invalid(
            Field::DisplayName,
            "The name must be at most 100 characters.",
        ));
    }
    let accent_color = match given(draft.accent_color).map(|c| parse_color(&c)) {
        None => None,
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
    };
    let logo_url = given(draft.logo_url);
    if let Some(logo) = &logo_url {
        match url::Url::parse(logo) {
            Ok(u) if u.scheme() == "https" && u.host().is_some() && logo.len() <= 2048 => {}
            _ => errors.push(FieldError::invalid(
                Field::LogoUrl,
                "Enter the logo's full https:// address.",
            )),
        }
    }
    let terms_url = given(draft.terms_url);
    if let Some(terms) = &terms_url
        && let Err(e) = crate::domain::redirect_url::check_redirect_url(terms)
    {
        errors.push(FieldError::invalid(
            Field::TermsUrl,
            format!("The terms of service address {e}."),
        ));
    }
    if errors.is_empty() {
        Ok(BrandingDraft {
            display_name,
            accent_color,
            logo_url,
            terms_url,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_ups_need_an_email_a_long_password_and_a_name() {
        let ok = check_sign_up(
            " Ada@Example.com ",
            "correct horse battery",
            " Analytical Engines ",
        )
        .unwrap();
        assert_eq!(
            ok,
            SignUp {
                email: "ada@example.com".into(),
                organization_name: "Analytical Engines".into()
            }
        );
        let fields: Vec<Field> = check_sign_up("nope", "short", " ")
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                Field::AccountEmail,
                Field::Password,
                Field::OrganizationName
            ]
        );
    }

    #[test]
    fn branding_clears_empty_inputs_and_names_each_bad_one() {
        let ok = check_branding(BrandingDraft {
            terms_url: None,
            display_name: Some(" Ada's ".into()),
            accent_color: Some("".into()),
            logo_url: Some("https://cdn.example.com/logo.svg".into()),
        })
        .unwrap();
        assert_eq!(ok.display_name.as_deref(), Some("Ada's"));
        assert_eq!(ok.accent_color, None);
        let fields: Vec<Field> = check_branding(BrandingDraft {
            terms_url: None,
            display_name: Some("x".repeat(101)),
            accent_color: Some("red".into()),
            logo_url: Some("http://example.com/logo.png".into()),
        })
        .unwrap_err()
        .into_iter()
        .map(|e| e.field)
        .collect();
        assert_eq!(
            fields,
            vec![Field::DisplayName, Field::AccentColor, Field::LogoUrl]
        );
    }

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(parse_color("#1D4ED8").unwrap(), "#1d4ed8");
        assert_eq!(parse_color("1d4ed8").unwrap(), "#1d4ed8");
        assert!(parse_color("blue").is_err());
        assert!(parse_color("#123").is_err());
    }
}
