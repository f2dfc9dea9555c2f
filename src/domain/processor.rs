//! Which processor moves an organization's money, and the keys it is set up with, checked the
//! same way in the dashboard's form and on the server.
//!
//! An organization's live-mode payments go to Stripe with its own live keys (there is no other
//! live processor yet). In test mode it chooses: kassa's own test processor, or Stripe's test
//! mode with its test keys.

use super::Mode;
use super::field::{Field, FieldError};
use std::fmt;

/// What takes an organization's test-mode payments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TestModeProcessor {
    /// kassa's own test processor (the public test cards; no account needed).
    #[default]
    Kassa,
    /// Stripe's test mode, with the organization's test keys.
    Stripe,
}

impl TestModeProcessor {
    pub fn as_str(self) -> &'static str {
        match self {
            TestModeProcessor::Kassa => "kassa",
            TestModeProcessor::Stripe => "stripe",
        }
    }

    pub fn parse(s: &str) -> Option<TestModeProcessor> {
        [TestModeProcessor::Kassa, TestModeProcessor::Stripe]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A secret a processor gave the merchant (an API key, a webhook signing secret). It cannot be
/// printed or serialized; [`ProcessorSecret::expose`] hands it to whatever must send or seal it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProcessorSecret(String);

impl ProcessorSecret {
    /// For signing requests to the processor, or sealing at rest. Never log what this returns.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What may be shown of it: its first characters (`sk_live_51Hx…`), enough to tell keys
    /// apart, never enough to use one.
    pub fn hint(&self) -> String {
        let shown: String = self.0.chars().take(12).collect();
        format!("{shown}…")
    }
}

impl fmt::Debug for ProcessorSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProcessorSecret({})", self.hint())
    }
}

/// Stripe keys as typed into the dashboard.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StripeKeysDraft {
    pub secret_key: Option<String>,
    pub webhook_secret: Option<String>,
}

/// Stripe keys for one mode, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeKeys {
    /// A secret (`sk_`) or restricted (`rk_`) key of the mode.
    pub secret_key: ProcessorSecret,
    /// The signing secret (`whsec_`) of the endpoint in Stripe that sends kassa its events.
    pub webhook_secret: ProcessorSecret,
}

fn token_chars(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Checks Stripe keys for `mode`: a secret or restricted key of that mode, and a webhook
/// signing secret.
pub fn check_stripe_keys(
    draft: StripeKeysDraft,
    mode: Mode,
) -> Result<StripeKeys, Vec<FieldError>> {
    let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut errors = Vec::new();
    let (ours, theirs) = match mode {
        Mode::Test => ("test", "live"),
        Mode::Live => ("live", "test"),
    };
    let secret_key = match given(draft.secret_key) {
        None => {
            errors.push(FieldError::missing(
                Field::StripeSecretKey,
                format!("Enter your Stripe {ours}-mode secret key (sk_{ours}_…)."),
            ));
            None
        }
        Some(key)
            if key.starts_with(&format!("sk_{theirs}_"))
                || key.starts_with(&format!("rk_{theirs}_")) =>
        {
            errors.push(FieldError::invalid(
                Field::StripeSecretKey,
                format!("This is a {theirs}-mode key; {ours} mode takes one that starts with sk_{ours}_."),
            ));
            None
        }
        Some(key)
            if !(key.starts_with(&format!("sk_{ours}_"))
                || key.starts_with(&format!("rk_{ours}_")))
                || !token_chars(&key)
                || !(20..=255).contains(&key.len()) =>
        {
            errors.push(FieldError::invalid(
                Field::StripeSecretKey,
                format!("A Stripe {ours}-mode secret key starts with sk_{ours}_ (or rk_{ours}_ for a restricted key)."),
            ));
            None
        }
        Some(key) => Some(ProcessorSecret(key)),
    };
    let webhook_secret = match given(draft.webhook_secret) {
        None => {
            errors.push(FieldError::missing(
                Field::StripeWebhookSecret,
                "Enter the signing secret of your Stripe webhook endpoint (whsec_…).",
            ));
            None
        }
        Some(secret)
            if !secret.starts_with("whsec_")
                || !token_chars(&secret)
                || !(16..=255).contains(&secret.len()) =>
        {
            errors.push(FieldError::invalid(
                Field::StripeWebhookSecret,
                "A webhook signing secret starts with whsec_.",
            ));
            None
        }
        Some(secret) => Some(ProcessorSecret(secret)),
    };
    match (secret_key, webhook_secret) {
        (Some(secret_key), Some(webhook_secret)) if errors.is_empty() => Ok(StripeKeys {
            secret_key,
            webhook_secret,
        }),
        _ => Err(errors),
    }
}

/// A secret read back from storage (already checked when it was saved).
pub fn stored_secret(secret: String) -> ProcessorSecret {
    ProcessorSecret(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(secret: &str, webhook: &str) -> StripeKeysDraft {
        StripeKeysDraft {
            secret_key: Some(secret.into()),
            webhook_secret: Some(webhook.into()),
        }
    }

    const LIVE: &str = "sk_live_51Hx0000000000000000abcd";
    const TEST: &str = "sk_test_51Hx0000000000000000abcd";
    const WHSEC: &str = "whsec_0123456789abcdef0123";

    #[test]
    fn each_mode_takes_its_own_keys() {
        let keys = check_stripe_keys(draft(LIVE, WHSEC), Mode::Live).unwrap();
        assert_eq!(keys.secret_key.expose(), LIVE);
        assert!(
            check_stripe_keys(draft("rk_test_51Hx0000000000000000", WHSEC), Mode::Test).is_ok()
        );
        let errors = check_stripe_keys(draft(TEST, WHSEC), Mode::Live).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, Field::StripeSecretKey);
        assert!(
            errors[0].message.contains("test-mode key"),
            "{:?}",
            errors[0]
        );
        let errors = check_stripe_keys(draft(LIVE, WHSEC), Mode::Test).unwrap_err();
        assert!(errors[0].message.contains("live-mode key"));
    }

    #[test]
    fn bad_and_missing_keys_name_their_fields() {
        let errors = check_stripe_keys(StripeKeysDraft::default(), Mode::Test).unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, [Field::StripeSecretKey, Field::StripeWebhookSecret]);
        assert!(errors.iter().all(|e| e.code == "parameter_missing"));
        for (secret, webhook, field) in [
            (
                "pk_test_51Hx0000000000000000",
                WHSEC,
                Field::StripeSecretKey,
            ),
            ("sk_test_short", WHSEC, Field::StripeSecretKey),
            (
                "sk_test_51Hx00000000000 000000",
                WHSEC,
                Field::StripeSecretKey,
            ),
            (TEST, "secret_0123456789abcdef", Field::StripeWebhookSecret),
        ] {
            let errors = check_stripe_keys(draft(secret, webhook), Mode::Test).unwrap_err();
            assert_eq!(errors[0].field, field, "{secret} {webhook}");
        }
    }

    #[test]
    fn a_secret_shows_only_its_prefix() {
        let keys = check_stripe_keys(draft(LIVE, WHSEC), Mode::Live).unwrap();
        assert_eq!(keys.secret_key.hint(), "sk_live_51Hx…");
        let debug = format!("{keys:?}");
        assert!(
            !debug.contains("abcd") && !debug.contains("0123456789abcdef"),
            "{debug}"
        );
    }

    #[test]
    fn the_test_mode_processor_reads_its_names() {
        for p in [TestModeProcessor::Kassa, TestModeProcessor::Stripe] {
            assert_eq!(TestModeProcessor::parse(p.as_str()), Some(p));
        }
        assert_eq!(TestModeProcessor::parse("adyen"), None);
    }
}
