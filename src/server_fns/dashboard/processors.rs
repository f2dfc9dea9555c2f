//! Payments: the organization's Stripe keys in the dashboard's mode (shown only by their first
//! characters), the address Stripe sends its events to, and what takes test-mode payments.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// What the payments page shows, for the dashboard's mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentsView {
    pub live: bool,
    /// `kassa` or `stripe`: what takes test-mode payments.
    pub test_mode_processor: String,
    /// The mode's Stripe keys, when set up.
    pub stripe: Option<StripeKeysView>,
    /// Where the organization's webhook endpoint in Stripe must send its events.
    pub events_url: String,
    /// Whether the operator gave kassa a key to keep processor keys with.
    pub can_keep_keys: bool,
    /// The test clock's time (test mode).
    pub test_clock: Option<String>,
    /// What becomes of a subscription whose every renewal retry failed: cancel or unpaid.
    pub renewal_failure_action: String,
}

/// A mode's Stripe keys, as far as they may be shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StripeKeysView {
    pub secret_key: String,
    pub webhook_secret: String,
}

#[server(name = DashboardPayments, prefix = "/api/dashboard", endpoint = "payments")]
pub async fn dashboard_payments() -> Result<PaymentsView, ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let app = state();
    let org = &signed.principal.organization_id;
    let view = crate::service::processors::view(&app.store, &app.processors, org)
        .await
        .map_err(internal)?;
    let keys = |hints: Option<(String, String)>| {
        hints.map(|(secret_key, webhook_secret)| StripeKeysView {
            secret_key,
            webhook_secret,
        })
    };
    let live = signed.principal.mode.is_live();
    let now = crate::store::now_ms();
    let test_clock = if live {
        None
    } else {
        let clock = crate::service::renewals::test_clock(&app.store, &signed.principal, now)
            .await
            .map_err(service_error)?;
        Some(when(clock.now))
    };
    let renewal_failure_action = app
        .store
        .renewal_failure_action(org)
        .await
        .map_err(internal)?;
    Ok(PaymentsView {
        live,
        test_mode_processor: view.test_mode_processor.as_str().to_owned(),
        stripe: keys(if live {
            view.stripe_live
        } else {
            view.stripe_test
        }),
        events_url: format!("{}/api/stripe/events/{org}", app.public_base),
        can_keep_keys: view.can_seal,
        test_clock,
        renewal_failure_action,
    })
}

/// Sets the Stripe keys of the dashboard's mode.
#[server(name = DashboardSetStripeKeys, prefix = "/api/dashboard", endpoint = "payments/stripe")]
pub async fn dashboard_set_stripe_keys(
    secret_key: Option<String>,
    webhook_secret: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::field::Field;
    use crate::domain::processor::StripeKeysDraft;
    use crate::service::{ServiceError, processors};
    let signed = signed_in().await?;
    let app = state();
    let mode = signed.principal.mode;
    let draft = StripeKeysDraft {
        secret_key,
        webhook_secret,
    };
    let org = &signed.principal.organization_id;
    let outcome = match processors::set_stripe_keys(
        &app.store,
        &app.processors,
        org,
        mode,
        draft,
        crate::store::now_ms(),
    )
    .await
    {
        Ok(()) => Ok("/dashboard/payments?saved=1".to_owned()),
        Err(ServiceError::Invalid(errors)) => Err(by_input(errors, |f| match f {
            Field::StripeSecretKey => Some("secret_key".into()),
            Field::StripeWebhookSecret => Some("webhook_secret".into()),
            _ => None,
        })),
        Err(error) => return Err(internal(error)),
    };
    // Keys are never sent back into the form's address.
    answer_form("/dashboard/payments", outcome, &[]);
    Ok(())
}

/// Removes the Stripe keys of the dashboard's mode.
#[server(name = DashboardRemoveStripeKeys, prefix = "/api/dashboard", endpoint = "payments/stripe/remove")]
pub async fn dashboard_remove_stripe_keys() -> Result<(), ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    crate::service::processors::remove_stripe_keys(
        &state().store,
        &signed.principal.organization_id,
        signed.principal.mode,
    )
    .await
    .map_err(service_error)?;
    leptos_axum::redirect("/dashboard/payments?saved=1");
    Ok(())
}

/// Chooses what takes test-mode payments: `kassa` or `stripe`.
#[server(name = DashboardSetTestModeProcessor, prefix = "/api/dashboard", endpoint = "payments/test-mode")]
pub async fn dashboard_set_test_mode_processor(processor: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::{ServiceError, processors};
    let signed = signed_in().await?;
    let outcome = match processors::set_test_mode_processor(
        &state().store,
        &signed.principal.organization_id,
        &processor,
    )
    .await
    {
        Ok(()) => Ok("/dashboard/payments?saved=1".to_owned()),
        Err(ServiceError::Invalid(errors)) => Err(by_input(errors, |_| Some("processor".into()))),
        Err(error) => return Err(internal(error)),
    };
    answer_form("/dashboard/payments", outcome, &[]);
    Ok(())
}
