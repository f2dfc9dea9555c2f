//! The objects kassa's own API answers with, as types: what the handlers serialize is what
//! `/api/openapi.json` describes (`api::openapi`), field for field. Times are epoch milliseconds
//! unless a field says otherwise; money is minor units beside its currency.

use crate::domain::catalog::Plan;
use crate::domain::session::CheckoutSession;
pub use crate::service::events::{Event, EventData};
use crate::store::{
    BusinessEntityRecord, InvoiceLineRecord, InvoiceRecord, PaymentRecord, RefundRecord,
    TaxRateRecord,
};
use serde::Serialize;
use utoipa::ToSchema;

/// An amount in minor units of a currency, as stored on payments, refunds and subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Amount {
    pub amount: i64,
    /// ISO 4217, lower case.
    #[schema(pattern = "^[a-z]{3}$", example = "usd")]
    pub currency: String,
}

impl Amount {
    fn new(amount: i64, currency: &str) -> Amount {
        Amount {
            amount,
            currency: currency.to_owned(),
        }
    }
}

/// A page of a list, newest first. Pass `next_cursor` as `cursor` for the next page; it is
/// `null` on the last one.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    /// Always `list`.
    #[schema(example = "list")]
    pub object: &'static str,
    pub data: Vec<T>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> List<T> {
    pub fn of(data: Vec<T>, has_more: bool, next_cursor: Option<String>) -> List<T> {
        List {
            object: "list",
            data,
            has_more,
            next_cursor,
        }
    }
}

/// A checkout session, and the address of its hosted page to send the buyer to.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    #[serde(flatten)]
    pub session: CheckoutSession,
    /// The hosted page.
    pub url: String,
}

/// What a session's page polls while a payment settles.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionState {
    /// `open`, `complete` or `expired`.
    #[schema(example = "open")]
    pub status: &'static str,
    /// Whether the latest charge's outcome is being looked up (the page waits for it).
    pub checking: bool,
}

/// The organization a key acts for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Organization {
    pub id: String,
    pub name: String,
    pub livemode: bool,
    pub created: i64,
    /// What becomes of a subscription whose every renewal retry failed: `cancel` or `unpaid`.
    #[schema(example = "cancel")]
    pub renewal_failure_action: String,
}

/// A subscription, with what it charges each period.
#[derive(Debug, Serialize, ToSchema)]
pub struct Subscription {
    pub id: String,
    /// Always `subscription`.
    #[schema(example = "subscription")]
    pub object: &'static str,
    pub customer: String,
    /// The price of its first item.
    pub price: String,
    pub quantity: i32,
    /// `incomplete`, `trialing`, `active`, `past_due`, `unpaid` or `canceled`.
    #[schema(example = "active")]
    pub status: String,
    pub default_payment_method: Option<String>,
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    pub trial_end: Option<i64>,
    pub canceled_at: Option<i64>,
    /// When a cancellation at the period's end takes effect, while one is scheduled.
    pub cancel_at: Option<i64>,
    /// The current period's invoice while it is unpaid.
    pub latest_open_invoice: Option<String>,
    /// When the open invoice is next charged.
    pub next_payment_attempt: Option<i64>,
    /// How many charges of the open invoice failed.
    pub failed_charges: i32,
    pub created_at: i64,
    pub livemode: bool,
    pub items: Vec<SubscriptionItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionItem {
    pub id: String,
    pub price: String,
    pub quantity: i32,
    /// The price's amount when the item was added.
    pub unit_amount: Amount,
    pub created_at: i64,
}

impl From<&crate::service::subscriptions::Subscription> for Subscription {
    fn from(s: &crate::service::subscriptions::Subscription) -> Subscription {
        let r = &s.record;
        Subscription {
            id: r.id.clone(),
            object: "subscription",
            customer: r.customer_id.clone(),
            price: r.price_id.clone(),
            quantity: r.quantity,
            status: r.status.clone(),
            default_payment_method: r.default_payment_method_id.clone(),
            current_period_start: r.current_period_start,
            current_period_end: r.current_period_end,
            trial_end: r.trial_end,
            canceled_at: r.canceled_at,
            cancel_at: r.cancel_scheduled_at,
            latest_open_invoice: r.open_invoice_id.clone(),
            next_payment_attempt: r.collect_at,
            failed_charges: r.failed_charges,
            created_at: r.created_at,
            livemode: r.livemode,
            items: s
                .items
                .iter()
                .map(|(item, _)| SubscriptionItem {
                    id: item.id.clone(),
                    price: item.price_id.clone(),
                    quantity: item.quantity,
                    unit_amount: Amount::new(item.unit_amount, &item.currency),
                    created_at: item.created_at,
                })
                .collect(),
        }
    }
}

/// Money given back on a payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct Refund {
    pub id: String,
    /// Always `refund`.
    #[schema(example = "refund")]
    pub object: &'static str,
    pub payment: String,
    pub amount: Amount,
    /// `pending` (the processor's answer is still awaited; kassa asks again), `succeeded` or
    /// `failed`.
    #[schema(example = "succeeded")]
    pub status: String,
    pub reason: Option<String>,
    pub created_at: i64,
    /// The payment's amount.
    pub payment_amount: Amount,
    /// How much of the payment has been given back, this refund included.
    pub payment_refunded: Amount,
}

impl Refund {
    pub fn new(r: &RefundRecord, p: &PaymentRecord) -> Refund {
        Refund {
            id: r.id.clone(),
            object: "refund",
            payment: r.payment_id.clone(),
            amount: Amount::new(r.amount, &r.currency),
            status: r.status.clone(),
            reason: r.reason.clone(),
            created_at: r.created_at,
            payment_amount: Amount::new(p.amount, &p.currency),
            payment_refunded: Amount::new(p.refunded_amount, &p.currency),
        }
    }
}

/// A legal entity a contract is made with (Zenskar-style checkouts name one).
#[derive(Debug, Serialize, ToSchema)]
pub struct BusinessEntity {
    pub id: String,
    /// Always `business_entity`.
    #[schema(example = "business_entity")]
    pub object: &'static str,
    pub livemode: bool,
    pub name: String,
    pub legal_name: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&BusinessEntityRecord> for BusinessEntity {
    fn from(e: &BusinessEntityRecord) -> BusinessEntity {
        BusinessEntity {
            id: e.id.clone(),
            object: "business_entity",
            livemode: e.livemode,
            name: e.name.clone(),
            legal_name: e.legal_name.clone(),
            country: e.country.clone(),
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// A tax rate: applied to buyers in its country (or everywhere, without one) at checkouts made
/// while it is active.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaxRateObject {
    pub id: String,
    /// Always `tax_rate`.
    #[schema(example = "tax_rate")]
    pub object: &'static str,
    pub livemode: bool,
    /// What buyers see beside the tax, such as `VAT`.
    pub display_name: String,
    /// A decimal percentage with at most four decimals, such as `"19"` or `"8.875"`.
    #[schema(example = "19")]
    pub percentage: String,
    /// True when prices already contain the tax; false when it is added on top.
    pub inclusive: bool,
    /// ISO 3166-1 alpha-2; `null` applies everywhere without a rate of its own.
    pub country: Option<String>,
    /// Whether checkouts made from now apply it. Archived rates (`false`) still apply to the
    /// checkouts made while they were active.
    pub active: bool,
    pub description: Option<String>,
    pub jurisdiction: Option<String>,
    /// One of Stripe's tax types, such as `vat` or `sales_tax`.
    pub tax_type: Option<String>,
    #[schema(value_type = Object)]
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&TaxRateRecord> for TaxRateObject {
    fn from(r: &TaxRateRecord) -> TaxRateObject {
        TaxRateObject {
            id: r.id.clone(),
            object: "tax_rate",
            livemode: r.livemode,
            display_name: r.display_name.clone(),
            percentage: r.rate().percent_string(),
            inclusive: r.inclusive,
            country: r.country.clone(),
            active: r.active,
            description: r.description.clone(),
            jurisdiction: r.jurisdiction.clone(),
            tax_type: r.tax_type.clone(),
            metadata: r.metadata(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Prices sold together as one contract.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Plan)]
pub struct PlanObject {
    pub id: String,
    /// Always `plan`.
    #[schema(example = "plan")]
    pub object: &'static str,
    pub name: String,
    #[schema(pattern = "^[a-z]{3}$", example = "usd")]
    pub currency: String,
    pub active: bool,
    pub items: Vec<PlanItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PlanItem {
    pub price: String,
    pub quantity: u32,
}

impl From<&Plan> for PlanObject {
    fn from(p: &Plan) -> PlanObject {
        PlanObject {
            id: p.id.clone(),
            object: "plan",
            name: p.name.clone(),
            currency: p.currency.code_lower(),
            active: p.active,
            items: p
                .items
                .iter()
                .map(|i| PlanItem {
                    price: i.price_id.clone(),
                    quantity: i.quantity,
                })
                .collect(),
        }
    }
}

/// The time an organization's test mode runs at.
#[derive(Debug, Serialize, ToSchema)]
pub struct TestClock {
    /// Always `test_clock`.
    #[schema(example = "test_clock")]
    pub object: &'static str,
    /// Epoch seconds, as Stripe's test clocks.
    pub frozen_time: i64,
    /// `ready`, or `advancing` while renewal work the clock made due is still running.
    #[schema(example = "ready")]
    pub status: &'static str,
}

impl From<crate::service::renewals::TestClock> for TestClock {
    fn from(clock: crate::service::renewals::TestClock) -> TestClock {
        TestClock {
            object: "test_clock",
            frozen_time: clock.now / 1000,
            status: if clock.ready { "ready" } else { "advancing" },
        }
    }
}

/// A bill: a checkout's or a subscription period's.
#[derive(Debug, Serialize, ToSchema)]
pub struct Invoice {
    pub id: String,
    /// Always `invoice`.
    #[schema(example = "invoice")]
    pub object: &'static str,
    pub number: String,
    pub customer: String,
    pub subscription: Option<String>,
    pub checkout_session: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible` or `void`.
    #[schema(example = "paid")]
    pub status: String,
    #[schema(pattern = "^[a-z]{3}$", example = "usd")]
    pub currency: String,
    pub subtotal: i64,
    pub discount: i64,
    pub tax: i64,
    pub total: i64,
    /// The subscription period a renewal invoice bills.
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    pub created_at: i64,
    pub lines: Vec<InvoiceLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLine {
    pub price: Option<String>,
    pub description: String,
    pub quantity: i32,
    pub unit_amount: i64,
    pub amount: i64,
    #[schema(pattern = "^[a-z]{3}$", example = "usd")]
    pub currency: String,
}

impl Invoice {
    pub fn new(invoice: &InvoiceRecord, lines: &[InvoiceLineRecord]) -> Invoice {
        Invoice {
            id: invoice.id.clone(),
            object: "invoice",
            number: invoice.invoice_number.clone(),
            customer: invoice.customer_id.clone(),
            subscription: invoice.subscription_id.clone(),
            checkout_session: invoice.session_id.clone(),
            status: invoice.status.clone(),
            currency: invoice.currency.clone(),
            subtotal: invoice.subtotal,
            discount: invoice.discount,
            tax: invoice.tax_amount,
            total: invoice.total,
            period_start: invoice.period_start,
            period_end: invoice.period_end,
            created_at: invoice.created_at,
            lines: lines
                .iter()
                .map(|l| InvoiceLine {
                    price: l.price_id.clone(),
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_amount: l.unit_amount,
                    amount: l.amount,
                    currency: l.currency.clone(),
                })
                .collect(),
        }
    }
}

/// A subscription's invoices, oldest first (all of them: no cursor).
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceList {
    /// Always `list`.
    #[schema(example = "list")]
    pub object: &'static str,
    pub data: Vec<Invoice>,
}

/// A signed link to a customer's own page (subscriptions, card, invoices).
#[derive(Debug, Serialize, ToSchema)]
pub struct PortalLink {
    /// Always `portal_link`.
    #[schema(example = "portal_link")]
    pub object: &'static str,
    pub customer: String,
    pub url: String,
    pub expires_at: i64,
}
