//! Validating a session request: every rule from the seed documents, each failure naming its field.
//!
//! Validation runs in two steps. [`check`] needs nothing but the request: URLs, quantities and
//! their bounds, trial days, expiry, metadata, the kind's required fields. [`resolve_lines`] runs
//! once the service has looked up the prices: archived prices, one currency, the mode's limits.
//! Field names here are the core's (`line_items[0].quantity`); each API dialect renames them to
//! its own wire names.

pub use crate::domain::field::{Field, FieldError};

use super::{
    AdjustableQuantity, Attribution, GuestCustomer, Metadata, PaymentMethodType, SessionKind,
    SessionMode,
};
use crate::domain::catalog::{
    CheckedPrice, CheckedProduct, Price, PriceDraft, ProductDraft, check_price, check_product,
};
use crate::domain::customer::parse_email;
use crate::domain::money::Currency;
use crate::domain::redirect_url::check_redirect_url;

/// The most a line's quantity (or its adjustable maximum) can be.
pub const MAX_QUANTITY: u32 = 999_999;
/// Adjustable quantity defaults, as Connhex and Stripe document them.
pub const DEFAULT_ADJUSTABLE_MINIMUM: u32 = 0;
pub const DEFAULT_ADJUSTABLE_MAXIMUM: u32 = 99;
/// Line item limits: payment mode, and each of recurring and one-time in subscription mode.
pub const MAX_PAYMENT_LINES: usize = 100;
pub const MAX_SUBSCRIPTION_RECURRING_LINES: usize = 20;
pub const MAX_SUBSCRIPTION_ONE_TIME_LINES: usize = 20;
/// The most line items any session has: more is refused before any is checked or looked up.
pub const MAX_LINES: usize =
    if MAX_PAYMENT_LINES > MAX_SUBSCRIPTION_RECURRING_LINES + MAX_SUBSCRIPTION_ONE_TIME_LINES {
        MAX_PAYMENT_LINES
    } else {
        MAX_SUBSCRIPTION_RECURRING_LINES + MAX_SUBSCRIPTION_ONE_TIME_LINES
    };
pub const MAX_TRIAL_DAYS: u32 = 730;
/// A session lives 24 hours unless told otherwise, and between 30 minutes and 30 days if told.
pub const DEFAULT_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;
pub const MIN_LIFETIME_MS: i64 = 30 * 60 * 1000;
pub const MAX_LIFETIME_MS: i64 = 30 * 24 * 60 * 60 * 1000;
pub const MAX_METADATA_KEYS: usize = 50;
pub const MAX_METADATA_KEY_LENGTH: usize = 40;
pub const MAX_METADATA_VALUE_LENGTH: usize = 500;
pub const MAX_TEXT_LENGTH: usize = 255;
/// The longest client reference, as Stripe allows.
pub const MAX_CLIENT_REFERENCE_LENGTH: usize = 200;

/// How a line names its price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PriceRef {
    Id(String),
    Slug(String),
    /// A price given with the line (Stripe's `price_data`), made for this session alone.
    Inline(Box<InlinePrice>),
}

/// A line's own price as requested: its terms, and the product it sells (an existing one, or
/// one described with the line, Stripe's `product` and `product_data`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlinePrice {
    pub price: PriceDraft,
    pub product: Option<String>,
    pub product_data: Option<ProductDraft>,
}

/// A checked line's price: named, to be looked up, or given inline and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedPriceRef {
    Id(String),
    Slug(String),
    Inline(Box<CheckedInline>),
}

/// A line's own price, checked: its terms, and the product it sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedInline {
    pub price: CheckedPrice,
    pub product: InlineProduct,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineProduct {
    /// A product of the catalog, by id.
    Existing(String),
    /// A product described with the line, made for this session alone.
    New(CheckedProduct),
}

impl PriceRef {
    /// Exactly one of an id and a slug (Flowglad's `priceId` / `priceSlug`).
    pub fn one_of(
        id: Option<String>,
        slug: Option<String>,
        field: Field,
    ) -> Result<PriceRef, FieldError> {
        match (id.filter(|s| !s.is_empty()), slug.filter(|s| !s.is_empty())) {
            (Some(id), None) => Ok(PriceRef::Id(id)),
            (None, Some(slug)) => Ok(PriceRef::Slug(slug)),
            (Some(_), Some(_)) => Err(FieldError::new(
                field,
                "parameter_conflict",
                "give either a price id or a price slug, not both",
            )),
            (None, None) => Err(FieldError::missing(
                field,
                "a price id or a price slug is required",
            )),
        }
    }
}

/// A line as requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItemDraft {
    pub price: PriceRef,
    /// `None` means 1.
    pub quantity: Option<i64>,
    pub adjustable: Option<AdjustableDraft>,
}

/// `adjustable_quantity` as every dialect writes it (`{enabled, minimum, maximum}`), read straight
/// from a JSON or form body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdjustableDraft {
    pub enabled: bool,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
}

/// Who is buying, as requested.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CustomerDraft {
    /// Nobody named: the buyer enters their details on the page (an anonymous checkout).
    #[default]
    Anonymous,
    /// A customer by kassa's id.
    Existing(String),
    /// A customer by the merchant's own id.
    External(String),
    /// A guest with details, created as a customer when the checkout completes.
    Guest(Box<GuestDraft>),
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuestDraft {
    pub email: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub business_entity_id: Option<String>,
    pub billing_address: Option<crate::domain::customer::BillingAddress>,
}

/// A discount as requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscountDraft {
    Coupon(String),
    PromotionCode(String),
}

/// A session request as a dialect parsed it from its wire shape, not yet checked.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionDraft {
    pub kind: SessionKind,
    /// Given by dialects that name it (Stripe, Connhex); derived from the prices otherwise.
    pub mode: Option<SessionMode>,
    pub line_items: Vec<LineItemDraft>,
    pub currency: Option<String>,
    pub customer: CustomerDraft,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub pending_url: Option<String>,
    pub payment_method_types: Option<Vec<String>>,
    pub allow_promotion_codes: bool,
    pub discounts: Vec<DiscountDraft>,
    pub trial_period_days: Option<i64>,
    pub preserve_billing_cycle_anchor: bool,
    pub target_subscription_id: Option<String>,
    pub automatically_update_subscriptions: Option<bool>,
    pub output_name: Option<String>,
    pub output_metadata: Option<serde_json::Value>,
    pub metadata: Option<serde_json::Value>,
    pub attribution: Option<Attribution>,
    /// Epoch milliseconds; `None` means 24 hours from now.
    pub expires_at: Option<i64>,
    pub trace_id: Option<String>,
    /// A plan whose items become the lines (Zenskar's plan-based contracts); no lines are given then.
    pub plan_id: Option<String>,
    /// When the contract starts, epoch milliseconds.
    pub starts_at: Option<i64>,
    pub client_reference_id: Option<String>,
    /// What the page collects besides email and payment.
    pub collection: CollectionDraft,
    /// The payment link a visit made this session from (never a merchant's request).
    pub payment_link_id: Option<String>,
    /// Where the request came from (kassa's API unless a dialect or page says otherwise).
    pub origin: super::Origin,
    /// The language the page speaks (Stripe's `locale`: `auto`, `de`, `fr-CA`, …).
    pub locale: Option<String>,
}

/// What a session asks the buyer for, as requested (Stripe's `billing_address_collection`,
/// `shipping_address_collection[allowed_countries]`, `phone_number_collection[enabled]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CollectionDraft {
    pub billing_address: Option<String>,
    pub shipping_countries: Option<Vec<String>>,
    pub phone: bool,
    /// `enabled` or `disabled`.
    pub payment_method_save: Option<String>,
    /// The merchant's questions (up to three).
    pub custom_fields: Vec<crate::domain::custom_field::CustomFieldDraft>,
    /// `required` or `none` (Stripe's `consent_collection[terms_of_service]`).
    pub terms_of_service: Option<String>,
    /// Stripe's `tax_id_collection[enabled]`.
    pub tax_id: bool,
    /// `if_supported` or `never` (Stripe's `tax_id_collection[required]`).
    pub tax_id_required: Option<String>,
}

impl SessionDraft {
    /// An empty request of `kind`, for dialects to fill in.
    pub fn new(kind: SessionKind) -> Self {
        SessionDraft {
            kind,
            mode: None,
            line_items: Vec::new(),
            currency: None,
            customer: CustomerDraft::Anonymous,
            success_url: None,
            cancel_url: None,
            pending_url: None,
            payment_method_types: None,
            allow_promotion_codes: false,
            discounts: Vec::new(),
            trial_period_days: None,
            preserve_billing_cycle_anchor: false,
            target_subscription_id: None,
            automatically_update_subscriptions: None,
            output_name: None,
            output_metadata: None,
            metadata: None,
            attribution: None,
            expires_at: None,
            trace_id: None,
            plan_id: None,
            starts_at: None,
            client_reference_id: None,
            collection: CollectionDraft::default(),
            payment_link_id: None,
            origin: super::Origin::Kassa,
            locale: None,
        }
    }
}

/// A checked line: its price still to be looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLine {
    pub price: CheckedPriceRef,
    pub quantity: u32,
    pub adjustable: Option<AdjustableQuantity>,
}

/// Who is buying, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedCustomer {
    Anonymous,
    Existing(String),
    External(String),
    Guest(Box<GuestCustomer>),
}

/// A request whose every field passed the checks that need no lookups.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedDraft {
    pub kind: SessionKind,
    pub mode: Option<SessionMode>,
    pub lines: Vec<CheckedLine>,
    pub currency: Option<Currency>,
    pub customer: CheckedCustomer,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    pub pending_url: Option<String>,
    /// Never empty; `card` when not given.
    pub payment_method_types: Vec<PaymentMethodType>,
    pub allow_promotion_codes: bool,
    pub discount: Option<DiscountDraft>,
    pub trial_period_days: Option<u32>,
    pub preserve_billing_cycle_anchor: bool,
    pub target_subscription_id: Option<String>,
    pub automatically_update_subscriptions: Option<bool>,
    pub output_name: Option<String>,
    pub output_metadata: Option<Metadata>,
    pub metadata: Metadata,
    pub attribution: Option<Attribution>,
    pub expires_at: i64,
    pub trace_id: Option<String>,
    pub plan_id: Option<String>,
    pub starts_at: Option<i64>,
    pub client_reference_id: Option<String>,
    pub collection: crate::domain::address::Collection,
    pub payment_link_id: Option<String>,
    pub origin: super::Origin,
    /// A language tag; none means the buyer's browser decides.
    pub locale: Option<String>,
}

/// Checks everything that needs no lookup. Returns every problem found, in field order.
pub fn check(draft: SessionDraft, now_ms: i64) -> Result<CheckedDraft, Vec<FieldError>> {
    if draft.line_items.len() > MAX_LINES {
        return Err(vec![FieldError::new(
            Field::LineItems,
            "line_items_limit",
            format!("a session has at most {MAX_LINES} line items"),
        )]);
    }
    let mut errors = Vec::new();
    let mut lines = Vec::with_capacity(draft.line_items.len());

    let plan_id = draft.plan_id.filter(|p| !p.is_empty());
    match draft.kind {
        SessionKind::Purchase if plan_id.is_some() && !draft.line_items.is_empty() => {
            errors.push(FieldError::new(
                Field::LineItems,
                "parameter_conflict",
                "give either a plan or line items, not both",
            ));
        }
        SessionKind::Purchase if plan_id.is_none() && draft.line_items.is_empty() => {
            errors.push(FieldError::missing(
                Field::LineItems,
                "at least one line item is required",
            ));
        }
        SessionKind::AddPaymentMethod | SessionKind::ActivateSubscription
            if !draft.line_items.is_empty() =>
        {
            errors.push(FieldError::invalid(
                Field::LineItems,
                "this kind of session takes no line items",
            ));
        }
        _ => {}
    }
    if draft.kind == SessionKind::AddPaymentMethod
        && draft.mode.is_some_and(|m| m != SessionMode::Setup)
    {
        errors.push(FieldError::invalid(
            Field::Mode,
            "saving a payment method is a setup session",
        ));
    }
    if plan_id.is_some() && draft.kind != SessionKind::Purchase {
        errors.push(FieldError::invalid(
            Field::Plan,
            "only a purchase sells a plan",
        ));
    }
    if draft
        .trace_id
        .as_ref()
        .is_some_and(|t| t.chars().count() > MAX_TEXT_LENGTH)
    {
        errors.push(FieldError::invalid(
            Field::TraceId,
            format!("must be at most {MAX_TEXT_LENGTH} characters"),
        ));
    }
    let client_reference_id = draft.client_reference_id.filter(|r| !r.is_empty());
    if client_reference_id
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_CLIENT_REFERENCE_LENGTH)
    {
        errors.push(FieldError::invalid(
            Field::ClientReferenceId,
            format!("must be at most {MAX_CLIENT_REFERENCE_LENGTH} characters"),
        ));
    }
    let locale = crate::i18n::check_locale(draft.locale.as_deref().unwrap_or_default())
        .unwrap_or_else(|message| {
            errors.push(FieldError::invalid(Field::Locale, message));
            None
        });
    let mut collection = crate::domain::address::Collection::check(
        draft.collection.billing_address.as_deref(),
        draft.collection.shipping_countries,
        draft.collection.phone,
        draft.collection.payment_method_save.as_deref(),
    )
    .unwrap_or_else(|mut e| {
        errors.append(&mut e);
        Default::default()
    });
    collection.custom_fields =
        crate::domain::custom_field::check_custom_fields(draft.collection.custom_fields)
            .unwrap_or_else(|mut e| {
                errors.append(&mut e);
                Vec::new()
            });
    collection.terms_of_service = match draft.collection.terms_of_service.as_deref() {
        None | Some("none") => false,
        Some("required") => true,
        Some(other) => {
            errors.push(FieldError::invalid(
                Field::ConsentTermsOfService,
                format!("terms_of_service is `required` or `none`, not `{other}`"),
            ));
            false
        }
    };
    collection.tax_id = draft.collection.tax_id;
    collection.tax_id_required = match draft.collection.tax_id_required.as_deref() {
        None | Some("never") => false,
        Some("if_supported") if draft.collection.tax_id => true,
        Some("if_supported") => {
            errors.push(FieldError::invalid(
                Field::TaxIdCollection,
                "tax_id_collection.required needs tax_id_collection.enabled to be true",
            ));
            false
        }
        Some(other) => {
            errors.push(FieldError::invalid(
                Field::TaxIdCollection,
                format!("tax_id_collection.required is `if_supported` or `never`, not `{other}`"),
            ));
            false
        }
    };
    if draft.kind == SessionKind::Purchase && draft.mode == Some(SessionMode::Setup) {
        errors.push(FieldError::invalid(
            Field::Mode,
            "a setup session takes no line items",
        ));
    }

    for (i, line) in draft.line_items.iter().enumerate() {
        match check_line(i, line) {
            Ok(checked) => lines.push(checked),
            Err(mut e) => errors.append(&mut e),
        }
    }

    let currency = match draft.currency.as_deref() {
        None => None,
        Some(code) => match Currency::parse(code) {
            Ok(c) => Some(c),
            Err(_) => {
                errors.push(FieldError::invalid(
                    Field::Currency,
                    format!("`{code}` is not an ISO 4217 currency code"),
                ));
                None
            }
        },
    };

    let customer = match check_customer(draft.customer) {
        Ok(c) => c,
        Err(mut e) => {
            errors.append(&mut e);
            CheckedCustomer::Anonymous
        }
    };
    if matches!(
        draft.kind,
        SessionKind::AddPaymentMethod | SessionKind::ActivateSubscription
    ) && !matches!(
        customer,
        CheckedCustomer::Existing(_) | CheckedCustomer::External(_)
    ) {
        errors.push(FieldError::missing(
            Field::Customer,
            "a customer is required to save a payment method or activate a subscription",
        ));
    }

    let mut url = |value: Option<String>, field: Field| -> Option<String> {
        let value = value?;
        match check_redirect_url(&value) {
            Ok(_) => Some(value),
            Err(e) => {
                errors.push(FieldError::invalid(field, e.to_string()));
                None
            }
        }
    };
    let success_url = url(draft.success_url, Field::SuccessUrl);
    let cancel_url = url(draft.cancel_url, Field::CancelUrl);
    let pending_url = url(draft.pending_url, Field::PendingUrl);

    let payment_method_types =
        match check_payment_method_types(draft.payment_method_types, draft.kind) {
            Ok(types) => types,
            Err(e) => {
                errors.push(e);
                vec![PaymentMethodType::Card]
            }
        };

    let discount = match draft.discounts.len() {
        0 => None,
        1 if draft.allow_promotion_codes => {
            errors.push(FieldError::new(
                Field::Discounts,
                "parameter_conflict",
                "give either discounts or allow_promotion_codes, not both",
            ));
            None
        }
        1 => draft.discounts.into_iter().next(),
        _ => {
            errors.push(FieldError::invalid(
                Field::Discounts,
                "at most one discount can be applied",
            ));
            None
        }
    };
    if discount.is_some() && draft.kind != SessionKind::Purchase {
        errors.push(FieldError::invalid(
            Field::Discounts,
            "only purchases take discounts",
        ));
    }

    let trial_period_days = match draft.trial_period_days {
        None => None,
        Some(days) if (1..=i64::from(MAX_TRIAL_DAYS)).contains(&days) => Some(days as u32),
        Some(_) => {
            errors.push(FieldError::invalid(
                Field::TrialPeriodDays,
                format!("a trial must be 1 to {MAX_TRIAL_DAYS} days"),
            ));
            None
        }
    };
    if trial_period_days.is_some() && draft.mode.is_some_and(|m| m != SessionMode::Subscription) {
        errors.push(FieldError::invalid(
            Field::TrialPeriodDays,
            "only subscriptions have trials",
        ));
    }

    let target_subscription_id = draft.target_subscription_id.filter(|s| !s.is_empty());
    if draft.kind == SessionKind::ActivateSubscription && target_subscription_id.is_none() {
        errors.push(FieldError::missing(
            Field::TargetSubscription,
            "a subscription to activate is required",
        ));
    }
    if draft.kind == SessionKind::Purchase && target_subscription_id.is_some() {
        errors.push(FieldError::invalid(
            Field::TargetSubscription,
            "a purchase does not target a subscription",
        ));
    }

    let output_name = draft.output_name.filter(|s| !s.is_empty());
    if output_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_TEXT_LENGTH)
    {
        errors.push(FieldError::invalid(
            Field::OutputName,
            format!("must be at most {MAX_TEXT_LENGTH} characters"),
        ));
    }
    let output_metadata = match draft.output_metadata {
        None | Some(serde_json::Value::Null) => None,
        Some(value) => check_metadata(value, Field::OutputMetadata)
            .map_err(|e| errors.push(e))
            .ok(),
    };
    let metadata = match draft.metadata {
        None | Some(serde_json::Value::Null) => Metadata::new(),
        Some(value) => check_metadata(value, Field::Metadata)
            .map_err(|e| errors.push(e))
            .unwrap_or_default(),
    };
    if let Some(attribution) = &draft.attribution
        && let Err(e) = check_attribution(attribution)
    {
        errors.push(e);
    }

    let expires_at = match draft.expires_at {
        None => now_ms + DEFAULT_LIFETIME_MS,
        Some(at) if at - now_ms < MIN_LIFETIME_MS => {
            errors.push(FieldError::invalid(
                Field::ExpiresAt,
                "the expiry must be at least 30 minutes from now",
            ));
            now_ms + DEFAULT_LIFETIME_MS
        }
        Some(at) if at - now_ms > MAX_LIFETIME_MS => {
            errors.push(FieldError::invalid(
                Field::ExpiresAt,
                "the expiry must be at most 30 days from now",
            ));
            now_ms + DEFAULT_LIFETIME_MS
        }
        Some(at) => at,
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(CheckedDraft {
        kind: draft.kind,
        mode: match draft.kind {
            SessionKind::AddPaymentMethod => Some(SessionMode::Setup),
            SessionKind::ActivateSubscription => Some(SessionMode::Subscription),
            SessionKind::Purchase => draft.mode,
        },
        lines,
        currency,
        customer,
        success_url,
        cancel_url,
        pending_url,
        payment_method_types,
        allow_promotion_codes: draft.allow_promotion_codes,
        discount,
        trial_period_days,
        preserve_billing_cycle_anchor: draft.preserve_billing_cycle_anchor,
        target_subscription_id,
        automatically_update_subscriptions: draft.automatically_update_subscriptions,
        output_name,
        output_metadata,
        metadata,
        attribution: draft.attribution,
        expires_at,
        trace_id: draft.trace_id.filter(|t| !t.is_empty()),
        plan_id,
        starts_at: draft.starts_at,
        client_reference_id,
        collection,
        payment_link_id: draft.payment_link_id,
        origin: draft.origin,
        locale,
    })
}

/// Checks a quantity a buyer or merchant chose (also used by the checkout page's steppers).
pub fn check_quantity(
    quantity: i64,
    adjustable: Option<AdjustableQuantity>,
) -> Result<u32, String> {
    let (min, max) = match adjustable {
        Some(a) => (i64::from(a.minimum.max(1)), i64::from(a.maximum)),
        None => (1, i64::from(MAX_QUANTITY)),
    };
    if quantity < min {
        Err(format!("quantity must be at least {min}"))
    } else if quantity > max {
        Err(format!("quantity must be at most {max}"))
    } else {
        Ok(quantity as u32)
    }
}

fn check_line(i: usize, line: &LineItemDraft) -> Result<CheckedLine, Vec<FieldError>> {
    let mut errors = Vec::new();
    let adjustable = match line.adjustable {
        Some(a) if a.enabled => {
            let minimum = a.minimum.unwrap_or(i64::from(DEFAULT_ADJUSTABLE_MINIMUM));
            let maximum = a.maximum.unwrap_or(i64::from(DEFAULT_ADJUSTABLE_MAXIMUM));
            if !(0..=i64::from(MAX_QUANTITY)).contains(&minimum) {
                errors.push(FieldError::invalid(
                    Field::LineAdjustableMinimum(i),
                    format!("the minimum must be between 0 and {MAX_QUANTITY}"),
                ));
            }
            if !(1..=i64::from(MAX_QUANTITY)).contains(&maximum) {
                errors.push(FieldError::invalid(
                    Field::LineAdjustableMaximum(i),
                    format!("the maximum must be between 1 and {MAX_QUANTITY}"),
                ));
            } else if minimum > maximum {
                errors.push(FieldError::invalid(
                    Field::LineAdjustableMaximum(i),
                    "the maximum must not be less than the minimum",
                ));
            }
            errors.is_empty().then_some(AdjustableQuantity {
                minimum: minimum as u32,
                maximum: maximum as u32,
            })
        }
        Some(a) if a.minimum.is_some() || a.maximum.is_some() => {
            errors.push(FieldError::invalid(
                Field::LineAdjustableMinimum(i),
                "minimum and maximum need adjustable_quantity.enabled",
            ));
            None
        }
        _ => None,
    };
    let quantity = line.quantity.unwrap_or(1);
    let quantity = if quantity < 1 {
        errors.push(FieldError::invalid(
            Field::LineQuantity(i),
            "quantity must be at least 1",
        ));
        1
    } else if errors.is_empty() {
        match check_quantity(quantity, adjustable) {
            Ok(q) => q,
            Err(message) => {
                errors.push(FieldError::invalid(Field::LineQuantity(i), message));
                1
            }
        }
    } else {
        1
    };
    let price = match &line.price {
        PriceRef::Id(id) => CheckedPriceRef::Id(id.clone()),
        PriceRef::Slug(slug) => CheckedPriceRef::Slug(slug.clone()),
        PriceRef::Inline(inline) => match check_inline(i, inline) {
            Ok(checked) => CheckedPriceRef::Inline(Box::new(checked)),
            Err(mut e) => {
                errors.append(&mut e);
                CheckedPriceRef::Id(String::new())
            }
        },
    };
    if errors.is_empty() {
        Ok(CheckedLine {
            price,
            quantity,
            adjustable,
        })
    } else {
        Err(errors)
    }
}

/// Checks a line's own price as a catalog price is checked, each problem named under the line's
/// `price_data`: an amount, a currency, for a subscription its interval; and exactly one of a
/// product id and a product's description.
fn check_inline(i: usize, inline: &InlinePrice) -> Result<CheckedInline, Vec<FieldError>> {
    let under_line = |e: FieldError| FieldError {
        field: Field::LinePriceData(i, price_data_path(e.field)),
        ..e
    };
    let mut errors = Vec::new();
    let price = check_price(inline.price.clone())
        .map_err(|e| errors.extend(e.into_iter().map(under_line)))
        .ok();
    let product = match (&inline.product, &inline.product_data) {
        (Some(id), None) if !id.is_empty() => Some(InlineProduct::Existing(id.clone())),
        (None, Some(data)) => check_product(data.clone())
            .map_err(|e| errors.extend(e.into_iter().map(under_line)))
            .ok()
            .map(InlineProduct::New),
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                Field::LinePriceData(i, "product"),
                "parameter_conflict",
                "give either a product or product_data, not both",
            ));
            None
        }
        _ => {
            errors.push(FieldError::missing(
                Field::LinePriceData(i, "product"),
                "a price_data needs a product or product_data",
            ));
            None
        }
    };
    match (price, product) {
        (Some(price), Some(product)) if errors.is_empty() => Ok(CheckedInline { price, product }),
        _ => Err(errors),
    }
}

/// Where a price's or product's field sits under a line's `price_data`.
fn price_data_path(field: Field) -> &'static str {
    match field {
        Field::PriceCurrency => "currency",
        Field::PriceUnitAmount => "unit_amount",
        Field::PriceInterval => "recurring.interval",
        Field::PriceIntervalCount => "recurring.interval_count",
        Field::PriceTrialPeriodDays => "recurring.trial_period_days",
        Field::ProductName => "product_data.name",
        Field::ProductImageUrl => "product_data.images",
        Field::ProductSlug => "product_data.name",
        _ => "product_data.description",
    }
}

fn check_customer(customer: CustomerDraft) -> Result<CheckedCustomer, Vec<FieldError>> {
    match customer {
        CustomerDraft::Anonymous => Ok(CheckedCustomer::Anonymous),
        CustomerDraft::Existing(id) if id.is_empty() => Err(vec![FieldError::invalid(
            Field::Customer,
            "customer must not be empty",
        )]),
        CustomerDraft::Existing(id) => Ok(CheckedCustomer::Existing(id)),
        CustomerDraft::External(id) if id.is_empty() => Err(vec![FieldError::invalid(
            Field::Customer,
            "the customer's external id must not be empty",
        )]),
        CustomerDraft::External(id) => Ok(CheckedCustomer::External(id)),
        CustomerDraft::Guest(guest) => {
            let mut errors = Vec::new();
            let email = match guest.email.as_deref().map(parse_email) {
                None => {
                    errors.push(FieldError::missing(
                        Field::CustomerEmail,
                        "a guest needs an email address",
                    ));
                    String::new()
                }
                Some(Err(e)) => {
                    errors.push(FieldError::invalid(Field::CustomerEmail, e.to_string()));
                    String::new()
                }
                Some(Ok(email)) => email,
            };
            if guest
                .name
                .as_ref()
                .is_some_and(|n| n.chars().count() > MAX_TEXT_LENGTH)
            {
                errors.push(FieldError::invalid(
                    Field::CustomerName,
                    format!("the name must be at most {MAX_TEXT_LENGTH} characters"),
                ));
            }
            if errors.is_empty() {
                Ok(CheckedCustomer::Guest(Box::new(GuestCustomer {
                    email,
                    name: guest.name.filter(|n| !n.is_empty()),
                    phone: guest.phone.filter(|p| !p.is_empty()),
                    business_entity_id: guest.business_entity_id.filter(|b| !b.is_empty()),
                    billing_address: guest.billing_address,
                })))
            } else {
                Err(errors)
            }
        }
    }
}

fn check_payment_method_types(
    types: Option<Vec<String>>,
    kind: SessionKind,
) -> Result<Vec<PaymentMethodType>, FieldError> {
    let Some(types) = types else {
        return Ok(vec![PaymentMethodType::Card]);
    };
    if types.is_empty() {
        return Err(FieldError::invalid(
            Field::PaymentMethodTypes,
            "name at least one payment method type",
        ));
    }
    let mut parsed = Vec::with_capacity(types.len());
    for name in &types {
        let t: PaymentMethodType = name.parse().map_err(|_| {
            FieldError::invalid(
                Field::PaymentMethodTypes,
                format!(
                    "`{name}` is not a payment method type (one of {})",
                    PaymentMethodType::ALL.map(|t| t.as_str()).join(", ")
                ),
            )
        })?;
        if kind == SessionKind::AddPaymentMethod && !t.can_be_saved() {
            return Err(FieldError::invalid(
                Field::PaymentMethodTypes,
                format!("`{name}` cannot be saved for later payments"),
            ));
        }
        if !parsed.contains(&t) {
            parsed.push(t);
        }
    }
    Ok(parsed)
}

/// Metadata: an object of at most 50 keys (1 to 40 characters) whose values are strings of at
/// most 500 characters, numbers or booleans.
pub fn check_metadata(value: serde_json::Value, field: Field) -> Result<Metadata, FieldError> {
    let serde_json::Value::Object(map) = value else {
        return Err(FieldError::invalid(
            field,
            "must be an object of keys and values",
        ));
    };
    if map.len() > MAX_METADATA_KEYS {
        return Err(FieldError::invalid(
            field,
            format!("must have at most {MAX_METADATA_KEYS} keys"),
        ));
    }
    for (key, value) in &map {
        if key.is_empty() || key.chars().count() > MAX_METADATA_KEY_LENGTH {
            return Err(FieldError::invalid(
                field,
                format!("keys must be 1 to {MAX_METADATA_KEY_LENGTH} characters (`{key}`)"),
            ));
        }
        let ok = match value {
            serde_json::Value::String(s) => s.chars().count() <= MAX_METADATA_VALUE_LENGTH,
            serde_json::Value::Number(_) | serde_json::Value::Bool(_) => true,
            _ => false,
        };
        if !ok {
            return Err(FieldError::invalid(
                field,
                format!(
                    "`{key}` must be a string of at most {MAX_METADATA_VALUE_LENGTH} characters, a number or a boolean"
                ),
            ));
        }
    }
    Ok(map)
}

fn check_attribution(attribution: &Attribution) -> Result<(), FieldError> {
    let fields = [
        &attribution.utm_source,
        &attribution.utm_medium,
        &attribution.utm_campaign,
        &attribution.utm_term,
        &attribution.utm_content,
    ];
    if fields.iter().any(|f| {
        f.as_ref()
            .is_some_and(|v| v.chars().count() > MAX_TEXT_LENGTH)
    }) || attribution
        .referrer
        .as_ref()
        .is_some_and(|r| r.chars().count() > 2083)
    {
        return Err(FieldError::invalid(
            Field::Attribution,
            format!("attribution values must be at most {MAX_TEXT_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// What the lines' prices decide: the mode (when not given) and the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    pub mode: SessionMode,
    pub currency: Option<Currency>,
}

/// Checks the lines against their prices (`prices[i]` is the price of `checked.lines[i]`):
/// archived prices, one currency (equal to the requested one), the mode and its limits, one
/// billing interval, trials, and payment methods tied to a currency.
pub fn resolve_lines(
    checked: &CheckedDraft,
    prices: &[Price],
) -> Result<Resolved, Vec<FieldError>> {
    debug_assert_eq!(checked.lines.len(), prices.len());
    let mut errors = Vec::new();
    for (i, price) in prices.iter().enumerate() {
        if !price.active {
            errors.push(FieldError::new(
                Field::LinePrice(i),
                "price_inactive",
                format!("the price `{}` is archived and cannot be bought", price.id),
            ));
        }
    }

    let first_currency = prices.first().map(|p| p.unit_amount.currency);
    for (i, price) in prices.iter().enumerate() {
        if Some(price.unit_amount.currency) != first_currency {
            errors.push(FieldError::new(
                Field::LinePrice(i),
                "currency_mismatch",
                format!(
                    "all prices must be in one currency: this one is in {}, the first in {}",
                    price.unit_amount.currency.code(),
                    first_currency.map_or("", |c| c.code())
                ),
            ));
        }
    }
    let currency = match (checked.currency, first_currency) {
        (Some(asked), Some(priced)) if asked != priced => {
            errors.push(FieldError::new(
                Field::Currency,
                "currency_mismatch",
                format!(
                    "currency is {} but the prices are in {}",
                    asked.code(),
                    priced.code()
                ),
            ));
            Some(priced)
        }
        (asked, priced) => priced.or(asked),
    };

    let recurring: Vec<usize> = (0..prices.len())
        .filter(|&i| prices[i].recurring.is_some())
        .collect();
    let one_time = prices.len() - recurring.len();
    let mode = match (checked.mode, checked.kind) {
        (Some(mode), _) => mode,
        (None, SessionKind::Purchase) if !recurring.is_empty() => SessionMode::Subscription,
        (None, _) => SessionMode::Payment,
    };
    match (checked.kind, mode) {
        (SessionKind::Purchase, SessionMode::Payment) => {
            if let Some(&i) = recurring.first() {
                errors.push(FieldError::new(
                    Field::LinePrice(i),
                    "mode_mismatch",
                    "a recurring price needs a subscription session (mode subscription)",
                ));
            }
            if prices.len() > MAX_PAYMENT_LINES {
                errors.push(FieldError::new(
                    Field::LineItems,
                    "line_items_limit",
                    format!("a payment session has at most {MAX_PAYMENT_LINES} line items"),
                ));
            }
        }
        (SessionKind::Purchase, SessionMode::Subscription) => {
            if recurring.is_empty() {
                errors.push(FieldError::new(
                    Field::LineItems,
                    "mode_mismatch",
                    "a subscription session needs at least one recurring price",
                ));
            }
            if recurring.len() > MAX_SUBSCRIPTION_RECURRING_LINES {
                errors.push(FieldError::new(
                    Field::LineItems,
                    "line_items_limit",
                    format!(
                        "a subscription session has at most {MAX_SUBSCRIPTION_RECURRING_LINES} recurring line items"
                    ),
                ));
            }
            if one_time > MAX_SUBSCRIPTION_ONE_TIME_LINES {
                errors.push(FieldError::new(
                    Field::LineItems,
                    "line_items_limit",
                    format!(
                        "a subscription session has at most {MAX_SUBSCRIPTION_ONE_TIME_LINES} one-time line items"
                    ),
                ));
            }
            let first_period = recurring.first().and_then(|&i| prices[i].recurring);
            for &i in &recurring {
                if prices[i].recurring != first_period {
                    errors.push(FieldError::new(
                        Field::LinePrice(i),
                        "interval_mismatch",
                        "all recurring prices of a session must bill on the same interval",
                    ));
                }
            }
        }
        _ => {}
    }
    if checked.trial_period_days.is_some() && mode != SessionMode::Subscription {
        errors.push(FieldError::invalid(
            Field::TrialPeriodDays,
            "only subscriptions have trials",
        ));
    }
    if let Some(currency) = currency {
        for t in &checked.payment_method_types {
            if let Some(required) = t.required_currency()
                && required != currency.code()
            {
                errors.push(FieldError::invalid(
                    Field::PaymentMethodTypes,
                    format!(
                        "{} pays only in {required}, and this session is in {}",
                        t.as_str(),
                        currency.code()
                    ),
                ));
            }
        }
    }

    if errors.is_empty() {
        Ok(Resolved { mode, currency })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::{Recurring, RecurringInterval};
    use crate::domain::money::Money;

    const NOW: i64 = 1_800_000_000_000;

    fn purchase(lines: Vec<LineItemDraft>) -> SessionDraft {
        SessionDraft {
            line_items: lines,
            success_url: Some("https://shop.example/thanks".into()),
            ..SessionDraft::new(SessionKind::Purchase)
        }
    }

    fn line(quantity: Option<i64>) -> LineItemDraft {
        LineItemDraft {
            price: PriceRef::Id("price_a".into()),
            quantity,
            adjustable: None,
        }
    }

    fn fields(result: Result<CheckedDraft, Vec<FieldError>>) -> Vec<Field> {
        result
            .expect_err("refused")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn too_many_lines_are_refused_before_any_is_checked() {
        // A 2 MB body's worth of lines, every one of them bad: one error, about the count.
        let lines = vec![line(Some(-1)); 40_000];
        let errors = check(purchase(lines), NOW).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, Field::LineItems);
        assert_eq!(errors[0].code, "line_items_limit");
        assert!(check(purchase(vec![line(Some(1)); MAX_LINES]), NOW).is_ok());
    }

    fn price(id: &str, currency: &str, recurring: Option<Recurring>) -> Price {
        Price {
            id: id.into(),
            product_id: "prod_a".into(),
            name: None,
            slug: Some(id.into()),
            unit_amount: Money::new(1000, Currency::parse(currency).unwrap()),
            recurring,
            trial_period_days: None,
            active: true,
        }
    }

    const MONTHLY: Option<Recurring> = Some(Recurring {
        interval: RecurringInterval::Month,
        interval_count: 1,
    });
    const YEARLY: Option<Recurring> = Some(Recurring {
        interval: RecurringInterval::Year,
        interval_count: 1,
    });

    #[test]
    fn a_plain_purchase_passes_with_defaults() {
        let checked = check(purchase(vec![line(None)]), NOW).unwrap();
        assert_eq!(checked.lines[0].quantity, 1);
        assert_eq!(checked.payment_method_types, vec![PaymentMethodType::Card]);
        assert_eq!(checked.expires_at, NOW + DEFAULT_LIFETIME_MS);
        assert_eq!(checked.customer, CheckedCustomer::Anonymous);
    }

    #[test]
    fn exactly_one_of_price_id_and_slug() {
        assert_eq!(
            PriceRef::one_of(Some("p".into()), None, Field::LinePrice(0)),
            Ok(PriceRef::Id("p".into()))
        );
        assert_eq!(
            PriceRef::one_of(None, Some("s".into()), Field::LinePrice(0)),
            Ok(PriceRef::Slug("s".into()))
        );
        assert_eq!(
            PriceRef::one_of(Some("p".into()), Some("s".into()), Field::LinePrice(0))
                .unwrap_err()
                .code,
            "parameter_conflict"
        );
        assert_eq!(
            PriceRef::one_of(None, Some(String::new()), Field::LinePrice(0))
                .unwrap_err()
                .code,
            "parameter_missing"
        );
    }

    #[test]
    fn quantities_are_at_least_one() {
        assert_eq!(
            fields(check(purchase(vec![line(Some(0))]), NOW)),
            vec![Field::LineQuantity(0)]
        );
        assert_eq!(
            fields(check(purchase(vec![line(None), line(Some(-3))]), NOW)),
            vec![Field::LineQuantity(1)]
        );
        assert!(check(purchase(vec![line(Some(i64::from(MAX_QUANTITY) + 1))]), NOW).is_err());
    }

    #[test]
    fn adjustable_quantities_default_and_bound() {
        let adjustable = |minimum, maximum| LineItemDraft {
            adjustable: Some(AdjustableDraft {
                enabled: true,
                minimum,
                maximum,
            }),
            ..line(Some(2))
        };
        let checked = check(purchase(vec![adjustable(None, None)]), NOW).unwrap();
        assert_eq!(
            checked.lines[0].adjustable,
            Some(AdjustableQuantity {
                minimum: 0,
                maximum: 99
            })
        );
        assert_eq!(
            fields(check(
                purchase(vec![adjustable(None, Some(1_000_000))]),
                NOW
            )),
            vec![Field::LineAdjustableMaximum(0)]
        );
        assert!(check(purchase(vec![adjustable(None, Some(999_999))]), NOW).is_ok());
        assert_eq!(
            fields(check(purchase(vec![adjustable(Some(5), Some(3))]), NOW)),
            vec![Field::LineAdjustableMaximum(0)]
        );
        assert_eq!(
            fields(check(purchase(vec![adjustable(Some(-1), None)]), NOW)),
            vec![Field::LineAdjustableMinimum(0)]
        );
        // the quantity must sit inside the bounds
        assert_eq!(
            fields(check(purchase(vec![adjustable(Some(3), Some(10))]), NOW)),
            vec![Field::LineQuantity(0)]
        );
        let disabled_with_bounds = LineItemDraft {
            adjustable: Some(AdjustableDraft {
                enabled: false,
                minimum: Some(1),
                maximum: None,
            }),
            ..line(None)
        };
        assert_eq!(
            fields(check(purchase(vec![disabled_with_bounds]), NOW)),
            vec![Field::LineAdjustableMinimum(0)]
        );
    }

    #[test]
    fn urls_must_be_fully_qualified() {
        let draft = SessionDraft {
            success_url: Some("/thanks".into()),
            cancel_url: Some("ftp://x.example".into()),
            pending_url: Some(format!("https://x.example/{}", "a".repeat(2100))),
            ..purchase(vec![line(None)])
        };
        assert_eq!(
            fields(check(draft, NOW)),
            vec![Field::SuccessUrl, Field::CancelUrl, Field::PendingUrl]
        );
    }

    #[test]
    fn trials_are_one_day_or_more() {
        for bad in [0, -1, i64::from(MAX_TRIAL_DAYS) + 1] {
            let draft = SessionDraft {
                trial_period_days: Some(bad),
                ..purchase(vec![line(None)])
            };
            assert_eq!(
                fields(check(draft, NOW)),
                vec![Field::TrialPeriodDays],
                "{bad}"
            );
        }
        let draft = SessionDraft {
            trial_period_days: Some(14),
            ..purchase(vec![line(None)])
        };
        assert_eq!(check(draft, NOW).unwrap().trial_period_days, Some(14));
    }

    #[test]
    fn kinds_require_their_fields() {
        let activate = SessionDraft::new(SessionKind::ActivateSubscription);
        assert_eq!(
            fields(check(activate, NOW)),
            vec![Field::Customer, Field::TargetSubscription]
        );
        let save = SessionDraft {
            customer: CustomerDraft::External("u1".into()),
            ..SessionDraft::new(SessionKind::AddPaymentMethod)
        };
        let checked = check(save, NOW).unwrap();
        assert_eq!(checked.mode, Some(SessionMode::Setup));
        assert_eq!(
            fields(check(SessionDraft::new(SessionKind::Purchase), NOW)),
            vec![Field::LineItems]
        );
    }

    #[test]
    fn payment_method_types_are_known_and_savable() {
        let with = |types: &[&str], kind| SessionDraft {
            payment_method_types: Some(types.iter().map(|s| s.to_string()).collect()),
            customer: CustomerDraft::External("u".into()),
            ..if kind == SessionKind::Purchase {
                purchase(vec![line(None)])
            } else {
                SessionDraft::new(kind)
            }
        };
        let checked = check(
            with(&["card", "paypal", "card"], SessionKind::Purchase),
            NOW,
        )
        .unwrap();
        assert_eq!(
            checked.payment_method_types,
            vec![PaymentMethodType::Card, PaymentMethodType::Paypal]
        );
        assert_eq!(
            fields(check(with(&["bitcoin"], SessionKind::Purchase), NOW)),
            vec![Field::PaymentMethodTypes]
        );
        assert_eq!(
            fields(check(with(&[], SessionKind::Purchase), NOW)),
            vec![Field::PaymentMethodTypes]
        );
        assert_eq!(
            fields(check(
                with(&["customer_balance"], SessionKind::AddPaymentMethod),
                NOW
            )),
            vec![Field::PaymentMethodTypes]
        );
    }

    #[test]
    fn one_discount_and_not_beside_promotion_codes() {
        let two = SessionDraft {
            discounts: vec![
                DiscountDraft::Coupon("a".into()),
                DiscountDraft::Coupon("b".into()),
            ],
            ..purchase(vec![line(None)])
        };
        assert_eq!(fields(check(two, NOW)), vec![Field::Discounts]);
        let both = SessionDraft {
            discounts: vec![DiscountDraft::Coupon("a".into())],
            allow_promotion_codes: true,
            ..purchase(vec![line(None)])
        };
        assert_eq!(fields(check(both, NOW)), vec![Field::Discounts]);
    }

    #[test]
    fn metadata_has_limits() {
        let meta = |value: serde_json::Value| SessionDraft {
            metadata: Some(value),
            ..purchase(vec![line(None)])
        };
        assert!(
            check(
                meta(serde_json::json!({"order": "42", "n": 1, "vip": true})),
                NOW
            )
            .is_ok()
        );
        assert_eq!(
            fields(check(meta(serde_json::json!(["a"])), NOW)),
            vec![Field::Metadata]
        );
        assert_eq!(
            fields(check(meta(serde_json::json!({"nested": {"a": 1}})), NOW)),
            vec![Field::Metadata]
        );
        assert_eq!(
            fields(check(meta(serde_json::json!({"k": "x".repeat(501)})), NOW)),
            vec![Field::Metadata]
        );
        assert_eq!(
            fields(check(meta(serde_json::json!({"k".repeat(41): "v"})), NOW)),
            vec![Field::Metadata]
        );
        let many: serde_json::Map<_, _> = (0..51)
            .map(|i| (format!("k{i}"), serde_json::json!(i)))
            .collect();
        assert_eq!(
            fields(check(meta(serde_json::Value::Object(many)), NOW)),
            vec![Field::Metadata]
        );
    }

    #[test]
    fn expiry_is_between_thirty_minutes_and_thirty_days() {
        let at = |ms| SessionDraft {
            expires_at: Some(ms),
            ..purchase(vec![line(None)])
        };
        assert_eq!(fields(check(at(NOW + 60_000), NOW)), vec![Field::ExpiresAt]);
        assert_eq!(
            fields(check(at(NOW + MAX_LIFETIME_MS + 1), NOW)),
            vec![Field::ExpiresAt]
        );
        assert_eq!(
            check(at(NOW + MIN_LIFETIME_MS), NOW).unwrap().expires_at,
            NOW + MIN_LIFETIME_MS
        );
    }

    #[test]
    fn guests_need_a_valid_email() {
        let guest = |email: Option<&str>| SessionDraft {
            customer: CustomerDraft::Guest(Box::new(GuestDraft {
                email: email.map(str::to_owned),
                ..Default::default()
            })),
            ..purchase(vec![line(None)])
        };
        assert_eq!(fields(check(guest(None), NOW)), vec![Field::CustomerEmail]);
        assert_eq!(
            fields(check(guest(Some("nope")), NOW)),
            vec![Field::CustomerEmail]
        );
        assert!(matches!(
            check(guest(Some("ada@example.com")), NOW).unwrap().customer,
            CheckedCustomer::Guest(_)
        ));
    }

    #[test]
    fn the_currency_must_be_iso_4217() {
        let draft = SessionDraft {
            currency: Some("usx".into()),
            ..purchase(vec![line(None)])
        };
        assert_eq!(fields(check(draft, NOW)), vec![Field::Currency]);
    }

    fn resolve(draft: SessionDraft, prices: &[Price]) -> Result<Resolved, Vec<Field>> {
        let checked = check(draft, NOW).unwrap();
        resolve_lines(&checked, prices).map_err(|e| e.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn the_mode_follows_the_prices() {
        let one = purchase(vec![line(None)]);
        assert_eq!(
            resolve(one.clone(), &[price("a", "usd", None)])
                .unwrap()
                .mode,
            SessionMode::Payment
        );
        assert_eq!(
            resolve(one.clone(), &[price("a", "usd", MONTHLY)])
                .unwrap()
                .mode,
            SessionMode::Subscription
        );
        let payment = SessionDraft {
            mode: Some(SessionMode::Payment),
            ..one.clone()
        };
        assert_eq!(
            resolve(payment, &[price("a", "usd", MONTHLY)]),
            Err(vec![Field::LinePrice(0)])
        );
        let subscription = SessionDraft {
            mode: Some(SessionMode::Subscription),
            ..one
        };
        assert_eq!(
            resolve(subscription, &[price("a", "usd", None)]),
            Err(vec![Field::LineItems])
        );
    }

    #[test]
    fn one_currency_across_lines_and_the_request() {
        let two = purchase(vec![line(None), line(None)]);
        assert_eq!(
            resolve(
                two.clone(),
                &[price("a", "usd", None), price("b", "eur", None)]
            ),
            Err(vec![Field::LinePrice(1)])
        );
        let asked = SessionDraft {
            currency: Some("EUR".into()),
            ..purchase(vec![line(None)])
        };
        assert_eq!(
            resolve(asked, &[price("a", "usd", None)]),
            Err(vec![Field::Currency])
        );
        let resolved = resolve(two, &[price("a", "usd", None), price("b", "usd", None)]).unwrap();
        assert_eq!(resolved.currency.unwrap().code(), "USD");
    }

    #[test]
    fn archived_prices_are_refused() {
        let archived = Price {
            active: false,
            ..price("a", "usd", None)
        };
        assert_eq!(
            resolve(purchase(vec![line(None)]), &[archived]),
            Err(vec![Field::LinePrice(0)])
        );
    }

    #[test]
    fn line_limits_per_mode() {
        let lines = |n| purchase((0..n).map(|_| line(None)).collect());
        let one_time = |n| {
            (0..n)
                .map(|i| price(&format!("p{i}"), "usd", None))
                .collect::<Vec<_>>()
        };
        let monthly = |n| {
            (0..n)
                .map(|i| price(&format!("m{i}"), "usd", MONTHLY))
                .collect::<Vec<_>>()
        };
        assert!(resolve(lines(100), &one_time(100)).is_ok());
        // More than any session takes is refused before the prices are looked up.
        assert_eq!(fields(check(lines(101), NOW)), vec![Field::LineItems]);
        let mixed = |r: usize, o: usize| [monthly(r), one_time(o)].concat();
        assert!(resolve(lines(40), &mixed(20, 20)).is_ok());
        assert_eq!(
            resolve(lines(41), &mixed(21, 20)),
            Err(vec![Field::LineItems])
        );
        assert_eq!(
            resolve(lines(41), &mixed(20, 21)),
            Err(vec![Field::LineItems])
        );
    }

    #[test]
    fn recurring_lines_share_one_interval() {
        let two = purchase(vec![line(None), line(None)]);
        assert_eq!(
            resolve(
                two,
                &[price("a", "usd", MONTHLY), price("b", "usd", YEARLY)]
            ),
            Err(vec![Field::LinePrice(1)])
        );
    }

    #[test]
    fn trials_only_for_subscriptions_and_bank_debits_in_their_currency() {
        let trial = SessionDraft {
            trial_period_days: Some(7),
            ..purchase(vec![line(None)])
        };
        assert_eq!(
            resolve(trial.clone(), &[price("a", "usd", None)]),
            Err(vec![Field::TrialPeriodDays])
        );
        assert!(resolve(trial, &[price("a", "usd", MONTHLY)]).is_ok());
        let sepa = SessionDraft {
            payment_method_types: Some(vec!["sepa_debit".into()]),
            ..purchase(vec![line(None)])
        };
        assert_eq!(
            resolve(sepa.clone(), &[price("a", "usd", None)]),
            Err(vec![Field::PaymentMethodTypes])
        );
        assert!(resolve(sepa, &[price("a", "eur", None)]).is_ok());
    }
}
