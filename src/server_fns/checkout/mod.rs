//! The hosted checkout: the page's data, the confirm, and the authentication or approval step.

mod authenticate;
mod confirm;
mod page;

pub use authenticate::{Authenticate, authenticate};
pub use confirm::{ConfirmCheckout, confirm_checkout};
pub use page::{ApplyPromotionCode, CheckoutPage, apply_promotion_code, checkout_page};

use crate::domain::catalog::{CouponDuration, CouponValue, Recurring, TaxRate};
use crate::domain::money::{Currency, Money};
use crate::domain::session::{
    AdjustableQuantity, PaymentMethodType, SessionKind, SessionMode, SessionStatus,
};
use serde::{Deserialize, Serialize};

/// Everything the checkout page shows, in every state of the session: what the payment form
/// reads ([`PaymentView`]) and what only the server's pages show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    /// The language the page speaks to this buyer.
    pub lang: crate::i18n::Lang,
    /// The order and what paying it takes; the open checkout's island gets only this.
    pub payment: PaymentView,
    /// The status as the buyer meets it (an open session past its expiry is expired).
    pub status: SessionStatus,
    pub livemode: bool,
    /// The organization's accent colour (`#1d4ed8`) and logo, when it set them.
    pub accent_color: Option<String>,
    pub logo_url: Option<String>,
    /// The step the buyer must take, when the latest attempt awaits one.
    pub pending_action: Option<ActionView>,
    /// What was paid, once succeeded.
    pub receipt: Option<Receipt>,
    /// Why an asynchronous payment failed.
    pub failure: Option<String>,
    /// The latest charge's answer was lost and is being looked up (the session is open).
    pub checking: bool,
    /// What was refunded because the session had ended before its payment could be recorded.
    pub refunded: Option<Money>,
    pub expires_at: i64,
    /// The messages the page's address carries (`error.…`, `unavailable`) when kassa signed
    /// them (`security::notices`); the page shows these and no others.
    pub notices: Vec<(String, String)>,
}

/// Whether a parameter of the page's address is a message the page shows in kassa's voice.
pub fn is_notice(name: &str) -> bool {
    name == "unavailable" || name.starts_with("error.")
}

/// What the payment form needs of a checkout: the island's props (`OpenCheckout`), which travel in
/// the page as JSON and are read back by the browser bundle. Only these fields, so that the bundle
/// holds no reader for the receipt, the branding or the states the form never shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    /// The form's strings in the buyer's language (none for English).
    pub messages: crate::i18n::Messages,
    pub session_id: String,
    pub kind: SessionKind,
    pub mode: SessionMode,
    /// The organization's display name (its branding), else its name.
    pub merchant_name: String,
    pub currency: Option<Currency>,
    pub lines: Vec<LineView>,
    pub allow_promotion_codes: bool,
    /// The discount that applies: the session's, or the code in the page's address.
    pub discount: Option<DiscountView>,
    /// A code in the page's address that could not be applied, and why.
    pub code_error: Option<String>,
    /// The organization's active tax rates, for the page to compute tax once a country is chosen.
    pub tax_rates: Vec<TaxRate>,
    pub trial_period_days: Option<u32>,
    pub payment_method_types: Vec<PaymentMethodType>,
    /// The customer's email when the session is for a known customer (the field is locked).
    pub known_email: Option<String>,
    pub prefill_name: Option<String>,
    /// The country the address starts with: the session's, else the region of the buyer's
    /// language (as Stripe preselects one).
    pub prefill_country: Option<String>,
    /// What the page collects besides email and payment.
    pub collection: crate::domain::address::Collection,
    /// A returning customer's methods they agreed to see again, newest first: offered first.
    pub saved_methods: Vec<SavedMethodView>,
    /// Whether the buyer may keep a new method for next time (a known customer; the box is theirs
    /// to tick).
    pub can_save: bool,
    pub cancel_url: Option<String>,
    /// The merchant's terms of service, which the buyer accepts where the session asks.
    pub terms_url: Option<String>,
    /// (year, month) on the server, for card expiry checks in the browser.
    pub today: (u16, u8),
    /// The latest attempt's decline, when the session is open for another try.
    pub last_decline: Option<String>,
    /// Where the buyer takes the step the latest attempt awaits (authentication or approval):
    /// kassa's own step page, or the processor's.
    pub action_url: Option<String>,
}

/// A saved payment method as the page offers it: `Visa •••• 4242`, `expires 12/34`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMethodView {
    pub id: String,
    pub label: String,
    pub expires: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineView {
    pub description: String,
    pub quantity: u32,
    pub unit_amount: Money,
    pub recurring: Option<Recurring>,
    pub adjustable: Option<AdjustableQuantity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscountView {
    pub value: CouponValue,
    pub duration: CouponDuration,
    /// The promotion code the buyer entered, if that is how it applies.
    pub code: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ActionView {
    /// The card's bank asks for 3-D Secure authentication.
    ThreeDSecure,
    /// A wallet or account provider asks the buyer to approve.
    Approval(PaymentMethodType),
    /// The processor runs the step on its own page, at this address.
    AtProcessor(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub email: String,
    pub amount_paid: Money,
    pub total: Money,
    pub method_type: Option<PaymentMethodType>,
    pub card_brand: Option<String>,
    pub last4: Option<String>,
    pub subscription_status: Option<String>,
    /// The trial's last day, as a date (`2026-12-06`).
    pub trial_ends_on: Option<String>,
    pub shipping: Option<crate::domain::address::ShippingDetails>,
    /// The tax id the buyer gave buying as a business, for their records.
    #[serde(default)]
    pub tax_ids: Vec<crate::domain::tax_id::TaxId>,
}

/// What the confirm answers a page with JavaScript (a page without gets a redirect instead).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConfirmResponse {
    /// Go on to this address: the merchant's success page, the receipt, the processing page or
    /// the authentication step.
    Redirect { url: String },
    /// Declined; correct the details or use another method.
    Declined { message: String },
    /// Fields to correct: (field name, message).
    Invalid { errors: Vec<(String, String)> },
    /// The session cannot be paid any more; reload to see why.
    Closed { status: SessionStatus },
    /// Another payment of this checkout is in progress.
    Busy { message: String },
    /// This checkout cannot be paid here.
    Unavailable { message: String },
    /// Too many payment attempts lately (card testing); try again in `retry_after_s` seconds.
    Limited { message: String, retry_after_s: u64 },
}
