//! Which processor moves an organization's money, in each mode, and the organization's Stripe
//! setup.
//!
//! Live mode: Stripe with the organization's live keys, or nothing (a live session then cannot
//! be paid, and says so). Test mode: kassa's own test processor unless the organization chose
//! Stripe's test mode and gave its test keys. An attempt goes back to the processor it was made
//! with (its recorded name), whatever the organization chose since.
//!
//! Stripe's keys are sealed at rest with the operator's key ([`Vault`]); without one, kassa
//! neither stores nor uses any.

use super::vault::Vault;
use super::{ServiceError, ServiceResult};
use crate::domain::Mode;
use crate::domain::field::{Field, FieldError};
use crate::domain::processor::{
    ProcessorSecret, StripeKeysDraft, TestModeProcessor, check_stripe_keys, stored_secret,
};
use crate::payments::PaymentProcessor;
use crate::payments::stripe::{StripeApi, StripeProcessor};
use crate::payments::timeout::WithTimeout;
use crate::store::{ProcessorAccountRecord, Store};
use std::sync::Arc;
use std::time::Duration;

/// The processors kassa can send an organization's payments to.
#[derive(Clone)]
pub struct Processors {
    test: Arc<dyn PaymentProcessor>,
    stripe: StripeApi,
    vault: Option<Vault>,
    timeout: Duration,
}

/// An organization's Stripe account in one mode, opened.
pub struct StripeAccount {
    pub secret_key: ProcessorSecret,
    pub webhook_secret: ProcessorSecret,
}

/// Where a sealed secret of an organization lives: what it is sealed for.
fn place(organization_id: &str, livemode: bool, field: &str) -> String {
    let mode = if livemode { "live" } else { "test" };
    format!("processor_accounts/{organization_id}/{mode}/{field}")
}

impl Processors {
    /// `test` takes test-mode payments by default; Stripe is reached at `stripe`; every call to
    /// any processor is bounded by `timeout`.
    pub fn new(
        test: Arc<dyn PaymentProcessor>,
        stripe: StripeApi,
        vault: Option<Vault>,
        timeout: Duration,
    ) -> Processors {
        Processors {
            test: Arc::new(WithTimeout::new(test, timeout)),
            stripe,
            vault,
            timeout,
        }
    }

    /// Whether kassa can store and use processor keys (it has the operator's key).
    pub fn can_seal(&self) -> bool {
        self.vault.is_some()
    }

    /// The operator's vault, when kassa has a key to seal secrets with.
    pub fn vault(&self) -> Option<&Vault> {
        self.vault.as_ref()
    }

    /// The organization's Stripe account in a mode, opened, if it set one up.
    pub async fn stripe_account(
        &self,
        store: &Store,
        organization_id: &str,
        livemode: bool,
    ) -> ServiceResult<Option<StripeAccount>> {
        let Some(record) = store.processor_account(organization_id, livemode).await? else {
            return Ok(None);
        };
        let Some(vault) = &self.vault else {
            return Err(sealing_unavailable());
        };
        let open = |sealed: &str, field: &str| {
            vault
                .open(sealed, &place(organization_id, livemode, field))
                .map(stored_secret)
                .map_err(|e| ServiceError::Store(crate::store::StoreError::Corrupt(e.to_string())))
        };
        Ok(Some(StripeAccount {
            secret_key: open(&record.secret_key, "secret_key")?,
            webhook_secret: open(&record.webhook_secret, "webhook_secret")?,
        }))
    }

    fn stripe(&self, account: StripeAccount, livemode: bool) -> Arc<dyn PaymentProcessor> {
        let stripe = StripeProcessor::new(self.stripe.clone(), account.secret_key, livemode);
        Arc::new(WithTimeout::new(Arc::new(stripe), self.timeout))
    }

    /// The processor a new payment of the organization in `livemode` goes to; `None` when it has
    /// none in that mode (live mode without Stripe set up).
    pub async fn for_new_payment(
        &self,
        store: &Store,
        organization_id: &str,
        livemode: bool,
    ) -> ServiceResult<Option<Arc<dyn PaymentProcessor>>> {
        if !livemode {
            let chosen = store.test_mode_processor(organization_id).await?;
            if TestModeProcessor::parse(&chosen) != Some(TestModeProcessor::Stripe) {
                return Ok(Some(self.test.clone()));
            }
        }
        Ok(self
            .stripe_account(store, organization_id, livemode)
            .await?
            .map(|account| self.stripe(account, livemode)))
    }

    /// The processor an attempt was made with, by the name it recorded.
    pub async fn named(
        &self,
        store: &Store,
        name: &str,
        organization_id: &str,
        livemode: bool,
    ) -> ServiceResult<Option<Arc<dyn PaymentProcessor>>> {
        if name == "stripe" {
            return Ok(self
                .stripe_account(store, organization_id, livemode)
                .await?
                .map(|account| self.stripe(account, livemode)));
        }
        Ok(Some(self.test.clone()))
    }
}

fn sealing_unavailable() -> ServiceError {
    ServiceError::Invalid(vec![FieldError::new(
        Field::StripeSecretKey,
        "encryption_key_missing",
        "kassa has no KASSA_ENCRYPTION_KEY, so it cannot keep processor keys; the operator must set one",
    )])
}

/// What the dashboard shows of an organization's processors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessorsView {
    pub test_mode_processor: TestModeProcessor,
    /// The hints of the Stripe keys set up, test mode then live mode.
    pub stripe_test: Option<(String, String)>,
    pub stripe_live: Option<(String, String)>,
    /// Whether kassa can keep keys at all.
    pub can_seal: bool,
}

pub async fn view(
    store: &Store,
    processors: &Processors,
    organization_id: &str,
) -> ServiceResult<ProcessorsView> {
    let hints =
        |r: Option<ProcessorAccountRecord>| r.map(|r| (r.secret_key_hint, r.webhook_secret_hint));
    Ok(ProcessorsView {
        test_mode_processor: TestModeProcessor::parse(
            &store.test_mode_processor(organization_id).await?,
        )
        .unwrap_or_default(),
        stripe_test: hints(store.processor_account(organization_id, false).await?),
        stripe_live: hints(store.processor_account(organization_id, true).await?),
        can_seal: processors.can_seal(),
    })
}

/// Sets the organization's Stripe keys for `mode`, checked, sealed.
pub async fn set_stripe_keys(
    store: &Store,
    processors: &Processors,
    organization_id: &str,
    mode: Mode,
    draft: StripeKeysDraft,
    now: i64,
) -> ServiceResult<()> {
    let keys = check_stripe_keys(draft, mode)?;
    let Some(vault) = &processors.vault else {
        return Err(sealing_unavailable());
    };
    let livemode = mode.is_live();
    store
        .set_processor_account(
            &ProcessorAccountRecord {
                organization_id: organization_id.to_owned(),
                livemode,
                processor: "stripe".into(),
                secret_key: vault.seal(
                    keys.secret_key.expose(),
                    &place(organization_id, livemode, "secret_key"),
                ),
                secret_key_hint: keys.secret_key.hint(),
                webhook_secret: vault.seal(
                    keys.webhook_secret.expose(),
                    &place(organization_id, livemode, "webhook_secret"),
                ),
                webhook_secret_hint: keys.webhook_secret.hint(),
                created_at: now,
                updated_at: now,
            },
            now,
        )
        .await?;
    Ok(())
}

/// Removes the organization's Stripe keys for `mode`. Live payments stop; test mode falls back
/// to kassa's test processor.
pub async fn remove_stripe_keys(
    store: &Store,
    organization_id: &str,
    mode: Mode,
) -> ServiceResult<()> {
    if !store
        .remove_processor_account(organization_id, mode.is_live())
        .await?
    {
        return Err(ServiceError::NotFound("Stripe account"));
    }
    if mode == Mode::Test {
        store
            .set_test_mode_processor(organization_id, TestModeProcessor::Kassa.as_str())
            .await?;
    }
    Ok(())
}

/// Chooses what takes the organization's test-mode payments. Stripe needs its test keys first.
pub async fn set_test_mode_processor(
    store: &Store,
    organization_id: &str,
    choice: &str,
) -> ServiceResult<()> {
    let Some(choice) = TestModeProcessor::parse(choice) else {
        return Err(FieldError::invalid(
            Field::TestModeProcessor,
            "Choose kassa's test processor or Stripe's test mode.",
        )
        .into());
    };
    if choice == TestModeProcessor::Stripe
        && store
            .processor_account(organization_id, false)
            .await?
            .is_none()
    {
        return Err(FieldError::invalid(
            Field::TestModeProcessor,
            "Set up your Stripe test keys first.",
        )
        .into());
    }
    store
        .set_test_mode_processor(organization_id, choice.as_str())
        .await?;
    Ok(())
}
