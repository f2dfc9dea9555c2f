//! Checkout sessions: what a merchant asks a buyer to pay for (or to set up), and the one-way life
//! of a session from open to a terminal state.
//!
//! The model is the union of what Flowglad, Connhex Pay, Zenskar and Stripe describe; each API
//! dialect maps its wire shape onto these types and back.

pub mod draft;
pub mod totals;

use super::catalog::{CouponDuration, Recurring};
use super::customer::BillingAddress;
use super::money::{Currency, Money};
use super::transition::{Status, Transition, TransitionError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

pub use draft::{Field, FieldError};

/// What completing the session creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SessionKind {
    /// Buy the line items: a purchase, or a subscription for recurring prices.
    Purchase,
    /// Save a payment method for later, optionally as a subscription's default.
    AddPaymentMethod,
    /// Pay what an existing subscription owes and make it active.
    ActivateSubscription,
}

/// How the session is paid: once, as a subscription, or not at all (a payment method is saved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SessionMode {
    Payment,
    Subscription,
    Setup,
}

impl SessionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionKind::Purchase => "purchase",
            SessionKind::AddPaymentMethod => "add_payment_method",
            SessionKind::ActivateSubscription => "activate_subscription",
        }
    }
}

impl SessionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionMode::Payment => "payment",
            SessionMode::Subscription => "subscription",
            SessionMode::Setup => "setup",
        }
    }
}

/// Where a session is in its life.
///
/// ```text
/// open ──► pending ──► succeeded
///   │         └──────► failed
///   ├──────────────────► succeeded
///   └──────────────────► expired
/// ```
/// A declined payment leaves the session open for another try. Terminal states never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum SessionStatus {
    Open,
    Pending,
    Succeeded,
    Failed,
    Expired,
}

impl SessionStatus {
    /// The status at `now_ms` of a session stored with this one that expires at `expires_at`: an
    /// open session past its expiry is expired, whether or not the sweep has recorded it yet.
    pub fn effective(self, expires_at: i64, now_ms: i64) -> SessionStatus {
        if self == SessionStatus::Open && now_ms >= expires_at {
            SessionStatus::Expired
        } else {
            self
        }
    }
}

/// A session's move from one status to another, as its rules allow.
pub type SessionTransition = Transition<SessionStatus>;

impl Status for SessionStatus {
    const NOUN: &'static str = "session";

    fn allows(self, to: SessionStatus) -> bool {
        use SessionStatus::*;
        matches!(
            (self, to),
            (Open, Pending) | (Open | Pending, Succeeded) | (Pending, Failed) | (Open, Expired)
        )
    }
}

impl SessionStatus {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SessionStatus::Succeeded | SessionStatus::Failed | SessionStatus::Expired
        )
    }

    /// A payment was started that settles later (bank debits): open → pending.
    pub fn begin_processing(self) -> Result<SessionTransition, TransitionError<SessionStatus>> {
        self.transition(SessionStatus::Pending)
    }

    /// Paid, or nothing to pay: open or pending → succeeded.
    pub fn succeed(self) -> Result<SessionTransition, TransitionError<SessionStatus>> {
        self.transition(SessionStatus::Succeeded)
    }

    /// A pending payment failed to settle: pending → failed.
    pub fn fail(self) -> Result<SessionTransition, TransitionError<SessionStatus>> {
        self.transition(SessionStatus::Failed)
    }

    /// Its time ran out, or the merchant ended it: open → expired.
    pub fn expire(self) -> Result<SessionTransition, TransitionError<SessionStatus>> {
        self.transition(SessionStatus::Expired)
    }

    pub fn parse(s: &str) -> Option<SessionStatus> {
        [
            SessionStatus::Open,
            SessionStatus::Pending,
            SessionStatus::Succeeded,
            SessionStatus::Failed,
            SessionStatus::Expired,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Pending => "pending",
            SessionStatus::Succeeded => "succeeded",
            SessionStatus::Failed => "failed",
            SessionStatus::Expired => "expired",
        }
    }
}

impl fmt::Display for SessionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a merchant confirmed a session before the buyer paid it (Zenskar's confirmation modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum Confirmation {
    /// The buyer pays now, on the hosted page.
    ChargeImmediately,
    /// Completed now without a charge; the customer's saved method pays the invoice when due.
    ChargeWhenDue,
    /// Completed now without any payment (free or internal deals).
    NoPayment,
}

impl Confirmation {
    pub const ALL: [Confirmation; 3] = [
        Confirmation::ChargeImmediately,
        Confirmation::ChargeWhenDue,
        Confirmation::NoPayment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Confirmation::ChargeImmediately => "charge_immediately",
            Confirmation::ChargeWhenDue => "charge_when_due",
            Confirmation::NoPayment => "no_payment",
        }
    }

    pub fn parse(s: &str) -> Option<Confirmation> {
        Confirmation::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Ways a buyer can pay, across the dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum PaymentMethodType {
    Card,
    Link,
    UsBankAccount,
    SepaDebit,
    Paypal,
    CustomerBalance,
}

impl PaymentMethodType {
    pub const ALL: [PaymentMethodType; 6] = [
        PaymentMethodType::Card,
        PaymentMethodType::Link,
        PaymentMethodType::UsBankAccount,
        PaymentMethodType::SepaDebit,
        PaymentMethodType::Paypal,
        PaymentMethodType::CustomerBalance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethodType::Card => "card",
            PaymentMethodType::Link => "link",
            PaymentMethodType::UsBankAccount => "us_bank_account",
            PaymentMethodType::SepaDebit => "sepa_debit",
            PaymentMethodType::Paypal => "paypal",
            PaymentMethodType::CustomerBalance => "customer_balance",
        }
    }

    /// The only currency this method can pay in, if it is tied to one.
    pub fn required_currency(self) -> Option<&'static str> {
        match self {
            PaymentMethodType::SepaDebit => Some("EUR"),
            PaymentMethodType::UsBankAccount => Some("USD"),
            _ => None,
        }
    }

    /// Whether the method can be saved for later charges (setup mode).
    pub fn can_be_saved(self) -> bool {
        !matches!(self, PaymentMethodType::CustomerBalance)
    }
}

impl FromStr for PaymentMethodType {
    type Err = super::catalog::UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PaymentMethodType::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| super::catalog::UnknownVariant(s.to_owned()))
    }
}

/// Where a session was made: kassa's own API, a vendor's dialect, the dashboard, a payment link,
/// the customer portal (a card change) or the demo. What the metrics count sessions by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    #[default]
    Kassa,
    Stripe,
    Flowglad,
    Connhex,
    Zenskar,
    Dashboard,
    PaymentLink,
    Portal,
    Demo,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Kassa => "kassa",
            Origin::Stripe => "stripe",
            Origin::Flowglad => "flowglad",
            Origin::Connhex => "connhex",
            Origin::Zenskar => "zenskar",
            Origin::Dashboard => "dashboard",
            Origin::PaymentLink => "payment_link",
            Origin::Portal => "portal",
            Origin::Demo => "demo",
        }
    }

    /// The origin `as_str` names; sessions stored before origins were kept are kassa's.
    pub fn parse(s: &str) -> Origin {
        [
            Origin::Stripe,
            Origin::Flowglad,
            Origin::Connhex,
            Origin::Zenskar,
            Origin::Dashboard,
            Origin::PaymentLink,
            Origin::Portal,
            Origin::Demo,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
        .unwrap_or(Origin::Kassa)
    }
}

/// Bounds within which the buyer may change a line's quantity on the checkout page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdjustableQuantity {
    pub minimum: u32,
    pub maximum: u32,
}

/// A line of a session, with the price as it was when the session was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SessionLineItem {
    pub price_id: String,
    pub product_id: String,
    /// The product's name (and the price's, where it has one), for the buyer.
    pub description: String,
    pub quantity: u32,
    pub adjustable: Option<AdjustableQuantity>,
    pub unit_amount: Money,
    pub recurring: Option<Recurring>,
}

/// A buyer who checks out without an account with the merchant, as Zenskar's guest checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GuestCustomer {
    pub email: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub business_entity_id: Option<String>,
    pub billing_address: Option<BillingAddress>,
}

/// Marketing attribution (UTM parameters) the merchant passes through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Attribution {
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub referrer: Option<String>,
}

/// Free-form key/value data a merchant attaches: strings, numbers or booleans.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// The amounts of a session, in its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AmountSummary {
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
    pub due_today: i64,
}

/// A discount applied to a session, as the session remembers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AppliedDiscount {
    pub coupon_id: String,
    pub promotion_code_id: Option<String>,
    pub duration: CouponDuration,
}

/// A checkout session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutSession {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub kind: SessionKind,
    pub mode: SessionMode,
    pub status: SessionStatus,
    pub currency: Option<Currency>,
    pub line_items: Vec<SessionLineItem>,
    pub customer_id: Option<String>,
    pub customer_external_id: Option<String>,
    pub anonymous: bool,
    pub guest: Option<GuestCustomer>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub billing_address: Option<BillingAddress>,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub pending_url: Option<String>,
    pub payment_method_types: Vec<PaymentMethodType>,
    /// The method the buyer paid with, once they have.
    pub payment_method_type: Option<PaymentMethodType>,
    pub allow_promotion_codes: bool,
    pub discount: Option<AppliedDiscount>,
    pub trial_period_days: Option<u32>,
    pub preserve_billing_cycle_anchor: bool,
    pub target_subscription_id: Option<String>,
    pub automatically_update_subscriptions: Option<bool>,
    pub output_name: Option<String>,
    #[cfg_attr(feature = "ssr", schema(value_type = Option<Object>))]
    pub output_metadata: Option<Metadata>,
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub metadata: Metadata,
    pub attribution: Option<Attribution>,
    pub trace_id: Option<String>,
    /// The merchant's own reference for the session (a cart or order id), to reconcile by.
    pub client_reference_id: Option<String>,
    /// What the page collects besides email and payment.
    pub collection: crate::domain::address::Collection,
    /// The buyer's phone number (E.164), once they have paid, when the session asked for it.
    pub customer_phone: Option<String>,
    /// The tax id the buyer gave buying as a business, once they have paid, when the session
    /// asked (Stripe's `customer_details.tax_ids`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub customer_tax_ids: Vec<crate::domain::tax_id::TaxId>,
    /// Where the order ships, once paid, when the session asked for it.
    pub shipping_details: Option<crate::domain::address::ShippingDetails>,
    /// The payment link whose visit made the session.
    pub payment_link_id: Option<String>,
    /// Where the session was made.
    #[serde(default)]
    pub origin: Origin,
    /// The language the merchant chose for the page (a tag; none: the buyer's browser decides).
    pub locale: Option<String>,
    /// What the buyer answered to the session's questions and whether they accepted the terms,
    /// once it completed.
    pub answers: Option<crate::domain::custom_field::Answers>,
    /// The plan the session sells, for a plan-based contract.
    pub plan_id: Option<String>,
    /// When the contract starts (epoch milliseconds), as the merchant asked.
    pub starts_at: Option<i64>,
    /// How the merchant confirmed the session, once they have.
    pub confirmation: Option<Confirmation>,
    /// When the merchant cancelled the session (it is then expired, by them rather than by time).
    pub cancelled_at: Option<i64>,
    pub amounts: AmountSummary,
    /// Epoch milliseconds.
    pub expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub completed_at: Option<i64>,
    pub purchase_id: Option<String>,
    pub invoice_id: Option<String>,
    pub subscription_id: Option<String>,
    pub payment_method_id: Option<String>,
}

impl CheckoutSession {
    /// The session's status as the buyer meets it at `now_ms`: an open session past its expiry is
    /// expired even before the sweeper records it.
    pub fn effective_status(&self, now_ms: i64) -> SessionStatus {
        self.status.effective(self.expires_at, now_ms)
    }

    /// Whether the merchant can still change the session: open, unconfirmed, not past its expiry.
    pub fn is_editable(&self, now_ms: i64) -> bool {
        self.effective_status(now_ms) == SessionStatus::Open && self.confirmation.is_none()
    }

    /// The total quantity over all lines: what single-line dialects report as `quantity`.
    pub fn total_quantity(&self) -> u32 {
        self.line_items.iter().map(|l| l.quantity).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_match_the_wire_names() {
        for kind in [
            SessionKind::Purchase,
            SessionKind::AddPaymentMethod,
            SessionKind::ActivateSubscription,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for mode in [
            SessionMode::Payment,
            SessionMode::Subscription,
            SessionMode::Setup,
        ] {
            assert_eq!(serde_json::to_value(mode).unwrap(), mode.as_str());
        }
        for status in ["open", "pending", "succeeded", "failed", "expired"] {
            assert_eq!(SessionStatus::parse(status).unwrap().as_str(), status);
        }
        assert_eq!(SessionStatus::parse("complete"), None);
    }
    use SessionStatus::*;

    #[test]
    fn the_state_machine_allows_only_its_arrows() {
        let to = |t: SessionTransition| t.to();
        assert_eq!(Open.begin_processing().map(to), Ok(Pending));
        assert_eq!(Pending.succeed().map(to), Ok(Succeeded));
        assert_eq!(Pending.fail().map(to), Ok(Failed));
        assert_eq!(Open.succeed().map(to), Ok(Succeeded));
        assert_eq!(Open.expire().map(to), Ok(Expired));
        assert_eq!(Pending.succeed().map(|t| t.from()), Ok(Pending));

        assert_eq!(
            Open.fail().map(to),
            Err(TransitionError {
                from: Open,
                to: Failed
            })
        );
        assert_eq!(
            Pending.expire().map(to),
            Err(TransitionError {
                from: Pending,
                to: Expired
            })
        );
        assert_eq!(
            Pending.begin_processing().map(to),
            Err(TransitionError {
                from: Pending,
                to: Pending
            })
        );
    }

    #[test]
    fn terminal_states_never_change() {
        for terminal in [Succeeded, Failed, Expired] {
            assert!(terminal.is_terminal());
            assert!(terminal.begin_processing().is_err());
            assert!(terminal.succeed().is_err());
            assert!(terminal.fail().is_err());
            assert!(terminal.expire().is_err());
        }
        assert!(!Open.is_terminal() && !Pending.is_terminal());
    }

    #[test]
    fn confirmations_parse_their_names() {
        for c in Confirmation::ALL {
            assert_eq!(Confirmation::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        assert_eq!(Confirmation::parse("charge_later"), None);
    }

    #[test]
    fn payment_method_types_parse_their_names() {
        for t in PaymentMethodType::ALL {
            assert_eq!(t.as_str().parse::<PaymentMethodType>(), Ok(t));
        }
        assert!("bitcoin".parse::<PaymentMethodType>().is_err());
        assert_eq!(
            PaymentMethodType::SepaDebit.required_currency(),
            Some("EUR")
        );
        assert!(!PaymentMethodType::CustomerBalance.can_be_saved());
    }
}
