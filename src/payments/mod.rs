//! Payment processors: what moves the money. kassa's core asks a [`PaymentProcessor`] to charge,
//! to continue after an authentication or approval step, to settle an asynchronous payment, and
//! to save a method for later; it never sees anything but the outcome and a summary.

pub mod test_mode;

use crate::domain::card::CardBrand;
use crate::domain::money::Money;
use crate::domain::payment::PaymentDetails;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What to charge (or, with a zero amount, only to check and save).
pub struct ChargeRequest<'a> {
    /// Unique per attempt: a processor that sees it twice must not charge twice.
    pub idempotency_key: &'a str,
    pub amount: Money,
    pub details: &'a PaymentDetails,
    /// Keep the method for later charges (subscriptions, saved methods).
    pub save_for_later: bool,
    pub livemode: bool,
}

/// What may be shown and stored of a payment method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodSummary {
    pub brand: Option<CardBrand>,
    pub last4: String,
    pub exp_month: Option<u8>,
    pub exp_year: Option<u16>,
    /// The same method always has the same fingerprint; it reveals nothing of the number.
    pub fingerprint: String,
    pub bank_name: Option<String>,
}

/// The step a buyer must take before a charge can go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// The card's bank asks the cardholder to authenticate (3-D Secure).
    ThreeDSecure,
    /// The buyer approves the payment with the wallet or account provider (PayPal, Link, balance).
    Approval,
}

/// A processor's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded {
        reference: String,
        method: MethodSummary,
    },
    Declined {
        code: String,
        message: String,
    },
    /// The buyer must act first; continue with [`PaymentProcessor::complete_action`].
    RequiresAction {
        reference: String,
        action: ActionKind,
        method: MethodSummary,
    },
    /// Accepted, settling later (bank debits); ask [`PaymentProcessor::settle`] after
    /// `settle_after_ms`.
    Processing {
        reference: String,
        method: MethodSummary,
        settle_after_ms: i64,
    },
}

/// How an asynchronous payment ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    Succeeded,
    Failed { code: String, message: String },
}

/// The processor could not be reached or refused the request itself (not a decline).
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    #[error("live payments are not configured: this kassa has only the test-mode processor")]
    LiveModeUnavailable,
    #[error("the processor does not know the reference `{0}`")]
    UnknownReference(String),
    #[error("the processor failed: {0}")]
    Failed(String),
}

#[async_trait]
pub trait PaymentProcessor: Send + Sync {
    /// A short name for logs and the dashboard.
    fn name(&self) -> &'static str;

    /// Whether it can take live-mode payments (real money).
    fn supports_livemode(&self) -> bool;

    async fn charge(&self, request: ChargeRequest<'_>) -> Result<ChargeOutcome, ProcessorError>;

    /// Continues a charge after the buyer authenticated or approved it (`approved`), or refused.
    async fn complete_action(
        &self,
        reference: &str,
        approved: bool,
    ) -> Result<Settlement, ProcessorError>;

    /// The end of an asynchronous payment.
    async fn settle(&self, reference: &str) -> Result<Settlement, ProcessorError>;
}
