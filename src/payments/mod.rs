//! Payment processors: what moves the money. kassa's core asks a [`PaymentProcessor`] to charge,
//! to continue after an authentication or approval step, to settle an asynchronous payment, to
//! save a method for later, to say what became of a charge whose answer was lost, and to give a
//! charge back; it never sees anything but the outcome and a summary.
//!
//! Every charge carries an idempotency key, stable for its attempt: a processor that sees a key
//! again answers what it answered the first time and moves no more money. An error says whether
//! money may have moved ([`ProcessorError::Unknown`]) or certainly did not (the others); kassa
//! never tells a buyer "nothing was charged" after the first kind, and asks again by
//! [`PaymentProcessor::lookup`] instead.

pub mod stripe;
pub mod test_mode;
pub mod timeout;

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
    /// Who pays, for the processor's own customer record.
    pub buyer: Buyer<'a>,
    /// Where a step the processor runs itself (3-D Secure at the bank) sends the buyer back to.
    pub return_url: &'a str,
    /// The buyer's address and browser, as a debit mandate records its acceptance.
    pub client: &'a ClientInfo,
}

/// Who pays.
#[derive(Debug, Clone, Copy)]
pub struct Buyer<'a> {
    pub email: &'a str,
    pub name: Option<&'a str>,
}

/// The buyer's connection, as a mandate for a bank debit records how it was accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    pub address: Option<std::net::IpAddr>,
    pub user_agent: Option<String>,
}

/// A charge to ask about: what was asked of it, for a processor that must ask the same way.
pub struct LookupRequest<'a> {
    pub idempotency_key: &'a str,
    /// The charge's reference, when kassa heard it.
    pub reference: Option<&'a str>,
    pub amount: Money,
    pub buyer: Buyer<'a>,
    pub save_for_later: bool,
    pub livemode: bool,
}

/// What may be shown and stored of a payment method.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodSummary {
    pub brand: Option<CardBrand>,
    pub last4: String,
    pub exp_month: Option<u8>,
    pub exp_year: Option<u16>,
    /// The same method always has the same fingerprint; it reveals nothing of the number.
    pub fingerprint: String,
    pub bank_name: Option<String>,
    /// The method's and its customer's ids at the processor, when it keeps them (Stripe's
    /// `pm_…` and `cus_…`): what charges a saved method later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor_method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processor_customer: Option<String>,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
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
        /// Where the processor runs the step itself (Stripe's 3-D Secure page), which sends the
        /// buyer back to the charge's `return_url`; kassa's own step page when `None`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        redirect_url: Option<String>,
    },
    /// Accepted, settling later (bank debits); ask [`PaymentProcessor::settle`] after
    /// `settle_after_ms`.
    Processing {
        reference: String,
        method: MethodSummary,
        settle_after_ms: i64,
    },
}

/// How an asynchronous payment, or a payment after the buyer's step, ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Settlement {
    Succeeded,
    Failed {
        code: String,
        message: String,
    },
    /// Not ended yet: the debit is still settling, or the buyer has not finished the step.
    Pending,
}

/// What became of a charge asked about by its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Nothing was charged under the key, and nothing will be: the processor closed the key, so
    /// that a request with it that arrives late is refused.
    NotCharged,
    /// The charge was taken; this is what it came to (as [`PaymentProcessor::charge`] answers,
    /// with the buyer's step or the settlement applied where they happened since).
    Charged(ChargeOutcome),
}

/// A charge of a saved method with the buyer away (a renewal): nothing to enter, no step the buyer
/// could take; a method that needs one is declined.
pub struct SavedChargeRequest<'a> {
    /// Unique per charge: a processor that sees it twice must not charge twice.
    pub idempotency_key: &'a str,
    pub amount: Money,
    pub method: SavedMethod<'a>,
    pub livemode: bool,
    pub buyer: Buyer<'a>,
}

/// A method a processor kept for later charges, as kassa recorded it.
#[derive(Debug, Clone, Copy)]
pub struct SavedMethod<'a> {
    /// card, sepa_debit, us_bank_account, …
    pub method_type: &'a str,
    pub last4: &'a str,
    pub fingerprint: &'a str,
    /// The method's and its customer's ids at the processor (Stripe's `pm_…` and `cus_…`).
    pub processor_method: Option<&'a str>,
    pub processor_customer: Option<&'a str>,
    /// The card's brand and expiry as kassa kept them, for the charge's summary.
    pub brand: Option<CardBrand>,
    pub exp_month: Option<u8>,
    pub exp_year: Option<u16>,
}

impl<'a> SavedMethod<'a> {
    /// A method as kassa keeps it, to charge again.
    pub fn of(record: &'a crate::store::PaymentMethodRecord) -> SavedMethod<'a> {
        SavedMethod {
            method_type: &record.method_type,
            last4: &record.last4,
            fingerprint: &record.fingerprint,
            processor_method: record.processor_method_id.as_deref(),
            processor_customer: record.processor_customer_id.as_deref(),
            brand: record
                .brand
                .as_deref()
                .and_then(CardBrand::from_display_name),
            exp_month: record.exp_month.and_then(|m| u8::try_from(m).ok()),
            exp_year: record.exp_year.and_then(|y| u16::try_from(y).ok()),
        }
    }
}

/// A charge to give back, whole or in part.
pub struct RefundRequest<'a> {
    /// Unique per refund: a processor that sees it twice refunds once.
    pub idempotency_key: &'a str,
    /// The charge's reference, as the processor gave it.
    pub reference: &'a str,
    pub amount: Money,
}

/// The processor could not take the request, or its answer did not arrive (not a decline).
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    #[error("live payments are not configured: this kassa has only the test-mode processor")]
    LiveModeUnavailable,
    #[error("the processor does not know the reference `{0}`")]
    UnknownReference(String),
    /// The processor refused the request itself (its shape, the credentials): nothing moved.
    #[error("the processor refused the request: {0}")]
    NotCharged(String),
    /// No answer, or one that does not say what happened (a timeout, a dropped connection, a
    /// server error): money may have moved. Ask again with [`PaymentProcessor::lookup`].
    #[error("the processor's answer is unknown: {0}")]
    Unknown(String),
}

impl ProcessorError {
    /// Whether money may have moved.
    pub fn may_have_charged(&self) -> bool {
        matches!(self, ProcessorError::Unknown(_))
    }
}

#[async_trait]
pub trait PaymentProcessor: Send + Sync {
    /// A short name for logs and the dashboard.
    fn name(&self) -> &'static str;

    /// Whether it can take live-mode payments (real money).
    fn supports_livemode(&self) -> bool;

    async fn charge(&self, request: ChargeRequest<'_>) -> Result<ChargeOutcome, ProcessorError>;

    /// Charges a saved method off session (a renewal). A method that would need the buyer
    /// (authentication) is declined (`authentication_required`).
    async fn charge_saved(
        &self,
        request: SavedChargeRequest<'_>,
    ) -> Result<ChargeOutcome, ProcessorError>;

    /// Continues a charge after the buyer authenticated or approved it (`approved`), or refused.
    async fn complete_action(
        &self,
        reference: &str,
        approved: bool,
    ) -> Result<Settlement, ProcessorError>;

    /// The end of an asynchronous payment.
    async fn settle(&self, reference: &str) -> Result<Settlement, ProcessorError>;

    /// What became of the charge under the request's idempotency key (its reference too, when
    /// kassa heard it). When nothing was charged, the key is closed first, so that the answer
    /// stays true.
    async fn lookup(&self, request: LookupRequest<'_>) -> Result<Lookup, ProcessorError>;

    /// Gives a charge back; the refund's own reference.
    async fn refund(&self, request: RefundRequest<'_>) -> Result<String, ProcessorError>;
}

/// What the processors' unit tests pay and ask with.
#[cfg(test)]
pub(crate) mod testing {
    pub const BUYER: crate::payments::Buyer<'static> = crate::payments::Buyer {
        email: "ada@example.com",
        name: None,
    };
    pub static CLIENT: crate::payments::ClientInfo = crate::payments::ClientInfo {
        address: None,
        user_agent: None,
    };

    pub fn lookup_of<'a>(
        key: &'a str,
        reference: Option<&'a String>,
    ) -> crate::payments::LookupRequest<'a> {
        crate::payments::LookupRequest {
            idempotency_key: key,
            reference: reference.map(String::as_str),
            amount: crate::domain::Money::new(1000, crate::domain::Currency::parse("usd").unwrap()),
            buyer: BUYER,
            save_for_later: false,
            livemode: false,
        }
    }
}
