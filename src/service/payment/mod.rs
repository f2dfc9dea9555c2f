//! Paying a checkout session, one operation per file:
//!
//! | file | operation |
//! | --- | --- |
//! | [`pricing`] | prices a session as the buyer would pay it now (catalog, quantities, code, tax) |
//! | [`discount`] | the one resolver of coupons and promotion codes, for creation, confirm and the page |
//! | [`confirm`] | the buyer's confirm: checks, prices, records the attempt, charges |
//! | [`action`] | continuing after the buyer authenticated (3-D Secure) or approved (wallets) |
//! | [`settle`] | settling asynchronous payments (bank debits) as they come due |
//! | [`merchant`] | the merchant's confirm (Zenskar's charge_immediately, charge_when_due, no_payment) |
//! | [`finalize`] | what a paid session creates, in one transaction, exactly once |
//! | [`attempt`] | recording an attempt and each outcome the processor gives |
//! | [`reconcile`] | asking about charges whose answer was lost, and finishing them as confirm would |
//! | [`refund`] | giving back a charge whose session ended another way before it was recorded |
//! | [`refunds`] | refunds a merchant asks for, whole or partial, never more than was paid |
//! | [`notified`] | a processor's event that a charge changed: it is asked about now |
//!
//! Exactly once: an attempt first claims its session (a compare-and-set on the session's lock,
//! with a lease) so that of any number of concurrent confirms one reaches the processor; every
//! status change of the attempt ([`AttemptStatus`](crate::domain::payment::AttemptStatus)) and of
//! the session is a transition of its state machine, written as a compare-and-set on the status
//! it leaves; finalization moves the session to succeeded only if it is still in the expected
//! status with this attempt as its latest, inside the transaction that writes the purchase,
//! invoice and payment; and `purchases.session_id` and `payments.attempt_id` are unique besides.
//!
//! No charge unaccounted for: an attempt is recorded as charging, with its processor
//! idempotency key (its id) and a time to ask about it, before the processor is called, and
//! stays charging until an answer is recorded. A lost answer (a timeout, a failed write after the
//! charge, a process that died) leaves it charging: the buyer reads that the payment is being
//! checked, never that nothing was charged; the session takes no new attempt meanwhile; and the
//! reconciler asks the processor and finishes it as confirm would have. A charge whose session
//! ended another way meanwhile (expired, cancelled) is refunded, and that is recorded.

mod action;
mod attempt;
mod confirm;
pub mod discount;
mod finalize;
mod merchant;
pub mod notified;
pub mod pricing;
mod reconcile;
mod refund;
pub mod refunds;
mod settle;

pub use action::{complete_action, pending_action};
pub use confirm::{ConfirmRequest, confirm};
pub use merchant::confirm_by_merchant;
pub use reconcile::reconcile_due;
pub use settle::settle_due;

use crate::domain::address::ShippingDetails;
use crate::domain::customer::BillingAddress;
use crate::domain::field::FieldError;
use crate::domain::money::{Currency, Rate};
use crate::domain::session::{
    AmountSummary, AppliedDiscount, CheckoutSession, Confirmation, PaymentMethodType, SessionStatus,
};
use serde::{Deserialize, Serialize};

/// How long a confirm holds a session before another may take it over.
pub const CLAIM_LEASE_MS: i64 = 60_000;
/// How long a settling worker holds a due attempt, and the reconciler a charging one.
pub const SETTLE_LEASE_MS: i64 = 30_000;
/// When a charging attempt whose answer was not recorded is first asked about: well after the
/// processor's own timeout (`payments::timeout::PROCESSOR_TIMEOUT`), so that the call is over.
pub const RECHECK_AFTER_MS: i64 = 60_000;
/// Card testing: at most this many payment attempts per session in [`ATTEMPT_WINDOW_MS`].
pub const ATTEMPTS_PER_SESSION: i64 = 10;
/// The window over which a session's attempts are counted.
pub const ATTEMPT_WINDOW_MS: i64 = 3_600_000;

/// What an attempt pays for, kept with it so that a later step (authentication, settlement) can
/// finish exactly what the buyer agreed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentPlan {
    pub email: String,
    pub name: Option<String>,
    pub country: String,
    pub postal_code: Option<String>,
    /// The whole billing address, when the session collected one.
    #[serde(default)]
    pub billing: Option<BillingAddress>,
    /// E.164, when the session collected it.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub shipping: Option<ShippingDetails>,
    pub quantities: Vec<u32>,
    pub discount: Option<AppliedDiscount>,
    pub tax: Option<AppliedTax>,
    pub amounts: AmountSummary,
    pub currency: Option<Currency>,
    pub method_type: Option<PaymentMethodType>,
    pub save_method: bool,
    /// The buyer agreed to see the method kept again at their next checkouts.
    #[serde(default)]
    pub redisplay: bool,
    /// The returning buyer's saved method this pays with (then nothing new is kept).
    #[serde(default)]
    pub saved_method_id: Option<String>,
    pub trial_period_days: Option<u32>,
    /// Completed by the merchant without a charge now (Zenskar's charge_when_due, no_payment).
    #[serde(default)]
    pub deferred: Option<Deferred>,
    /// The language the buyer paid in (the page's), for their mail.
    #[serde(default)]
    pub lang: Option<crate::i18n::Lang>,
    /// The buyer's answers to the session's questions and their consent to its terms; `None`
    /// when the session asked for neither.
    #[serde(default)]
    pub answers: Option<crate::domain::custom_field::Answers>,
    /// The tax id the buyer gave buying as a business, when the session asked.
    #[serde(default)]
    pub tax_ids: Vec<crate::domain::tax_id::TaxId>,
}

/// A completion without a charge: how the merchant confirmed it, and the customer's saved method
/// that pays the invoice when it is due (charge_when_due).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deferred {
    pub confirmation: Confirmation,
    pub payment_method_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedTax {
    pub rate_id: String,
    pub rate: Rate,
    pub inclusive: bool,
    pub country: String,
}

/// What the buyer meets next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmOutcome {
    /// Paid (or nothing to pay): on to `next_url`, the merchant's success URL or kassa's receipt.
    Succeeded { next_url: String },
    /// Accepted, settling later: the session's page shows it processing.
    Processing { next_url: String },
    /// The buyer must authenticate or approve on `next_url`.
    RequiresAction { next_url: String },
    /// Declined; the session stays open for another try.
    Declined { code: String, message: String },
    /// Fields to correct.
    Invalid(Vec<FieldError>),
    /// The session can no longer be paid (expired, paid, failed, processing).
    Closed(SessionStatus),
    /// Another confirm of this session is in progress.
    Busy,
    /// The session cannot be paid here at all (live mode without a live processor, an item gone).
    Unavailable(String),
    /// The processor's answer was lost, so money may have moved: the session's page on
    /// `next_url` says the payment is being checked until its outcome is known.
    Checking { next_url: String },
    /// Too many attempts for this session lately (card testing): try again in `retry_after_s`.
    Limited { retry_after_s: u64 },
}

/// `(year, month)` of `now_ms` in UTC, for card expiry checks.
pub fn year_month(now_ms: i64) -> (u16, u8) {
    use chrono::Datelike;
    let date = chrono::DateTime::from_timestamp_millis(now_ms).unwrap_or_default();
    (date.year().clamp(0, 9999) as u16, date.month() as u8)
}

/// The end of an interval from `start_ms`, by the calendar (months and years keep the day).
pub fn period_end(start_ms: i64, period: crate::domain::catalog::Recurring) -> i64 {
    let start = chrono::DateTime::from_timestamp_millis(start_ms).unwrap_or_default();
    let count = period.interval_count.max(1);
    let end = match period.interval {
        crate::domain::catalog::RecurringInterval::Day => {
            start.checked_add_signed(chrono::TimeDelta::days(i64::from(count)))
        }
        crate::domain::catalog::RecurringInterval::Week => {
            start.checked_add_signed(chrono::TimeDelta::weeks(i64::from(count)))
        }
        crate::domain::catalog::RecurringInterval::Month => {
            start.checked_add_months(chrono::Months::new(count))
        }
        crate::domain::catalog::RecurringInterval::Year => {
            start.checked_add_months(chrono::Months::new(count.saturating_mul(12)))
        }
    };
    end.map_or(start_ms, |e| e.timestamp_millis())
}

/// Where the buyer goes after paying: the merchant's success URL with the session id filled in,
/// or kassa's own receipt.
pub fn success_url(session: &CheckoutSession, public_base: &str) -> String {
    let receipt = || session_page(&session.id, public_base);
    match &session.success_url {
        Some(url) => crate::domain::redirect_url::as_location(
            &url.replace("{CHECKOUT_SESSION_ID}", &session.id),
        )
        .unwrap_or_else(receipt),
        None => receipt(),
    }
}

/// The session's hosted page.
fn session_page(session_id: &str, public_base: &str) -> String {
    format!("{public_base}/checkout/{session_id}")
}
