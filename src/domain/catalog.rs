//! What a merchant sells and the terms it sells on: products, prices, coupons and promotion codes,
//! tax rates, and plans (bundles of prices for plan-based contracts).

use super::field::{Field, FieldError};
use super::money::{Currency, Money, Rate};
use super::redirect_url::check_redirect_url;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a price is charged: once, or on a recurring schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriceType {
    SinglePayment,
    Subscription,
}

impl PriceType {
    pub fn as_str(self) -> &'static str {
        match self {
            PriceType::SinglePayment => "single_payment",
            PriceType::Subscription => "subscription",
        }
    }
}

impl fmt::Display for PriceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PriceType {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "single_payment" => Ok(PriceType::SinglePayment),
            "subscription" => Ok(PriceType::Subscription),
            other => Err(UnknownVariant(other.to_owned())),
        }
    }
}

/// The unit of a subscription's billing interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum RecurringInterval {
    Day,
    Week,
    Month,
    Year,
}

impl RecurringInterval {
    pub fn as_str(self) -> &'static str {
        match self {
            RecurringInterval::Day => "day",
            RecurringInterval::Week => "week",
            RecurringInterval::Month => "month",
            RecurringInterval::Year => "year",
        }
    }
}

impl fmt::Display for RecurringInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecurringInterval {
    type Err = UnknownVariant;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "day" => Ok(RecurringInterval::Day),
            "week" => Ok(RecurringInterval::Week),
            "month" => Ok(RecurringInterval::Month),
            "year" => Ok(RecurringInterval::Year),
            other => Err(UnknownVariant(other.to_owned())),
        }
    }
}

/// A stored or submitted word that names no variant of the enum it was read into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown value `{0}`")]
pub struct UnknownVariant(pub String);

/// A subscription's billing period: `interval_count` × `interval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Recurring {
    pub interval: RecurringInterval,
    pub interval_count: u32,
}

impl Recurring {
    /// `month`, `3 months`: how a checkout page says the period.
    pub fn describe(self) -> String {
        if self.interval_count == 1 {
            self.interval.as_str().to_owned()
        } else {
            format!("{} {}s", self.interval_count, self.interval.as_str())
        }
    }
}

/// A price of a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    pub id: String,
    pub product_id: String,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub unit_amount: Money,
    /// `Some` exactly for subscription prices.
    pub recurring: Option<Recurring>,
    pub trial_period_days: Option<u32>,
    pub active: bool,
}

impl Price {
    pub fn price_type(&self) -> PriceType {
        if self.recurring.is_some() {
            PriceType::Subscription
        } else {
            PriceType::SinglePayment
        }
    }
}

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "value")]
pub enum CouponValue {
    PercentOff(Rate),
    AmountOff(Money),
}

/// For how many billing periods a coupon applies to a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "duration")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum CouponDuration {
    Once,
    Repeating { months: u32 },
    Forever,
}

impl CouponDuration {
    pub fn as_str(self) -> &'static str {
        match self {
            CouponDuration::Once => "once",
            CouponDuration::Repeating { .. } => "repeating",
            CouponDuration::Forever => "forever",
        }
    }
}

/// A discount a merchant offers, applied directly or through a promotion code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: String,
    pub name: Option<String>,
    pub value: CouponValue,
    pub duration: CouponDuration,
    pub max_redemptions: Option<u32>,
    pub times_redeemed: u32,
    /// Epoch milliseconds after which it can no longer be redeemed.
    pub redeem_by: Option<i64>,
    pub active: bool,
}

/// Why a coupon or promotion code cannot be used, in words a buyer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DiscountError {
    #[error("This code is no longer active.")]
    Inactive,
    #[error("This code has expired.")]
    Expired,
    #[error("This code has been used up.")]
    FullyRedeemed,
    #[error("This code is for another currency.")]
    WrongCurrency,
}

impl Coupon {
    /// Whether the coupon can be applied now to an order in `currency`.
    pub fn check_redeemable(&self, now_ms: i64, currency: Currency) -> Result<(), DiscountError> {
        if !self.active {
            return Err(DiscountError::Inactive);
        }
        if self.redeem_by.is_some_and(|by| now_ms > by) {
            return Err(DiscountError::Expired);
        }
        if self
            .max_redemptions
            .is_some_and(|max| self.times_redeemed >= max)
        {
            return Err(DiscountError::FullyRedeemed);
        }
        if let CouponValue::AmountOff(off) = self.value
            && off.currency != currency
        {
            return Err(DiscountError::WrongCurrency);
        }
        Ok(())
    }
}

/// A code buyers type that applies a coupon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromotionCode {
    pub id: String,
    pub code: String,
    pub coupon_id: String,
    pub active: bool,
    pub max_redemptions: Option<u32>,
    pub times_redeemed: u32,
    pub expires_at: Option<i64>,
}

impl PromotionCode {
    /// Whether the code itself (not yet its coupon) can be used now.
    pub fn check_redeemable(&self, now_ms: i64) -> Result<(), DiscountError> {
        if !self.active {
            return Err(DiscountError::Inactive);
        }
        if self.expires_at.is_some_and(|at| now_ms > at) {
            return Err(DiscountError::Expired);
        }
        if self
            .max_redemptions
            .is_some_and(|max| self.times_redeemed >= max)
        {
            return Err(DiscountError::FullyRedeemed);
        }
        Ok(())
    }

    /// Codes are matched without regard to case, as buyers type them.
    pub fn normalize(code: &str) -> String {
        code.trim().to_uppercase()
    }
}

/// A tax rate, applied to buyers in `country` (ISO 3166-1 alpha-2), or everywhere when `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    pub id: String,
    pub display_name: String,
    pub rate: Rate,
    /// Inclusive: prices already contain the tax. Exclusive: tax is added on top.
    pub inclusive: bool,
    pub country: Option<String>,
    pub active: bool,
}

impl TaxRate {
    /// The rate that applies to a buyer in `country`: a rate for that country before a rate for
    /// everywhere. Inactive rates never apply.
    pub fn applicable<'a>(rates: &'a [TaxRate], country: Option<&str>) -> Option<&'a TaxRate> {
        let active = || rates.iter().filter(|r| r.active);
        country
            .and_then(|c| {
                active().find(|r| {
                    r.country
                        .as_deref()
                        .is_some_and(|rc| rc.eq_ignore_ascii_case(c))
                })
            })
            .or_else(|| active().find(|r| r.country.is_none()))
    }
}

/// The kinds of tax a rate may name (Stripe's `tax_type`).
pub const TAX_TYPES: [&str; 14] = [
    "amusement_tax",
    "communications_tax",
    "gst",
    "hst",
    "igst",
    "jct",
    "lease_tax",
    "pst",
    "qst",
    "retail_delivery_fee",
    "rst",
    "sales_tax",
    "service_tax",
    "vat",
];

/// The longest name a tax rate shows buyers (Stripe's limit: it sits beside the amount).
pub const MAX_TAX_RATE_NAME_LENGTH: usize = 50;
/// The longest description of a tax rate (for the merchant; buyers never see it).
pub const MAX_TAX_RATE_DESCRIPTION_LENGTH: usize = 500;

/// A tax rate as a merchant asks for it, each field as given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaxRateDraft {
    pub display_name: Option<String>,
    /// A decimal percentage (`"19"`, `"8.875"`).
    pub percentage: Option<String>,
    pub inclusive: Option<bool>,
    pub country: Option<String>,
    pub description: Option<String>,
    pub jurisdiction: Option<String>,
    pub tax_type: Option<String>,
}

/// A tax rate fit to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTaxRate {
    pub display_name: String,
    pub rate: Rate,
    pub inclusive: bool,
    /// ISO 3166-1 alpha-2, upper case; `None` applies everywhere without a rate of its own.
    pub country: Option<String>,
    pub description: Option<String>,
    pub jurisdiction: Option<String>,
    pub tax_type: Option<String>,
}

/// A tax rate needs a display name (at most 50 characters), a percentage from 0 to 100 with at
/// most four decimals, and whether prices include it; a country, when given, is an ISO 3166-1
/// alpha-2 code, and a tax type one of [`TAX_TYPES`].
pub fn check_tax_rate(draft: &TaxRateDraft) -> Result<CheckedTaxRate, Vec<FieldError>> {
    let mut errors = Vec::new();
    let text = |value: &Option<String>| {
        value
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let display_name = text(&draft.display_name);
    match &display_name {
        None => errors.push(FieldError::missing(
            Field::DisplayName,
            "display_name is required: the name buyers see beside the tax, such as VAT",
        )),
        Some(name) if name.chars().count() > MAX_TAX_RATE_NAME_LENGTH => {
            errors.push(FieldError::invalid(
                Field::DisplayName,
                format!("display_name must be at most {MAX_TAX_RATE_NAME_LENGTH} characters"),
            ))
        }
        Some(_) => {}
    }
    let rate = match text(&draft.percentage) {
        None => {
            errors.push(FieldError::missing(
                Field::TaxRatePercentage,
                "percentage is required, such as 19 or 8.875",
            ));
            None
        }
        Some(raw) => match Rate::parse_percent(&raw) {
            Ok(rate) => Some(rate),
            Err(e) => {
                errors.push(FieldError::invalid(
                    Field::TaxRatePercentage,
                    format!("percentage: {e}"),
                ));
                None
            }
        },
    };
    if draft.inclusive.is_none() {
        errors.push(FieldError::missing(
            Field::TaxRateInclusive,
            "inclusive is required: true when prices already contain the tax, false when it is added on top",
        ));
    }
    let country = match text(&draft.country) {
        None => None,
        Some(code) => {
            let parsed = super::customer::parse_country(&code);
            if parsed.is_none() {
                errors.push(FieldError::invalid(
                    Field::TaxRateCountry,
                    format!("country `{code}` is not an ISO 3166-1 alpha-2 code such as DE or US"),
                ));
            }
            parsed
        }
    };
    let description = text(&draft.description);
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_TAX_RATE_DESCRIPTION_LENGTH)
    {
        errors.push(FieldError::invalid(
            Field::TaxRateDescription,
            format!("description must be at most {MAX_TAX_RATE_DESCRIPTION_LENGTH} characters"),
        ));
    }
    let jurisdiction = text(&draft.jurisdiction);
    if jurisdiction
        .as_ref()
        .is_some_and(|j| j.chars().count() > MAX_TAX_RATE_NAME_LENGTH)
    {
        errors.push(FieldError::invalid(
            Field::TaxRateJurisdiction,
            format!("jurisdiction must be at most {MAX_TAX_RATE_NAME_LENGTH} characters"),
        ));
    }
    let tax_type = text(&draft.tax_type);
    if let Some(kind) = &tax_type
        && !TAX_TYPES.contains(&kind.as_str())
    {
        errors.push(FieldError::invalid(
            Field::TaxType,
            format!("tax_type `{kind}` is not one of {}", TAX_TYPES.join(", ")),
        ));
    }
    match (display_name, rate, draft.inclusive) {
        (Some(display_name), Some(rate), Some(inclusive)) if errors.is_empty() => {
            Ok(CheckedTaxRate {
                display_name,
                rate,
                inclusive,
                country,
                description,
                jurisdiction,
                tax_type,
            })
        }
        _ => Err(errors),
    }
}

/// A bundle of prices sold together, for plan-based contracts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub currency: Currency,
    pub items: Vec<PlanItem>,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanItem {
    pub price_id: String,
    pub quantity: u32,
}

/// The longest name, slug or label kassa stores.
pub const MAX_NAME_LENGTH: usize = 255;
/// The largest unit amount a price can have, in minor units: a trillion (ten billion dollars), so
/// that a line of the largest quantity still fits the sums.
pub const MAX_UNIT_AMOUNT: i64 = 1_000_000_000_000;
pub const MAX_INTERVAL_COUNT: i64 = 100;

/// A product as a merchant describes it, not yet checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductDraft {
    pub name: Option<String>,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub slug: Option<String>,
}

/// A checked product description; the slug is derived from the name when none was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedProduct {
    pub name: String,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub slug: String,
}

/// Checks a product's name (1 to 255 characters), slug and image URL.
pub fn check_product(draft: ProductDraft) -> Result<CheckedProduct, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = draft
        .name
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_owned();
    if name.is_empty() {
        errors.push(FieldError::missing(
            Field::ProductName,
            "a product needs a name",
        ));
    } else if name.chars().count() > MAX_NAME_LENGTH {
        errors.push(FieldError::invalid(
            Field::ProductName,
            "the name must be at most 255 characters",
        ));
    }
    let slug = match draft.slug {
        Some(slug) => match check_slug(&slug) {
            Ok(()) => slug,
            Err(message) => {
                errors.push(FieldError::invalid(Field::ProductSlug, message));
                slug
            }
        },
        None => slugify(&name),
    };
    let image_url = draft.image_url.filter(|u| !u.is_empty());
    if let Some(url) = &image_url
        && let Err(e) = check_redirect_url(url)
    {
        errors.push(FieldError::invalid(
            Field::ProductImageUrl,
            format!("the image URL {e}"),
        ));
    }
    if errors.is_empty() {
        Ok(CheckedProduct {
            name,
            description: draft.description.filter(|d| !d.is_empty()),
            image_url,
            slug,
        })
    } else {
        Err(errors)
    }
}

/// A slug: 1 to 255 characters without spaces.
pub fn check_slug(slug: &str) -> Result<(), &'static str> {
    if slug.is_empty() {
        Err("a slug must not be empty")
    } else if slug.chars().count() > MAX_NAME_LENGTH {
        Err("a slug must be at most 255 characters")
    } else if slug.chars().any(char::is_whitespace) {
        Err("a slug must not contain spaces")
    } else {
        Ok(())
    }
}

/// `Espresso Beans, 1 kg` → `espresso-beans-1-kg`.
pub fn slugify(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "product".to_owned()
    } else {
        slug.chars().take(MAX_NAME_LENGTH).collect()
    }
}

/// A price as a merchant describes it, not yet checked. Numbers arrive as given (`i64`) so that
/// out-of-range values are reported, not wrapped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceDraft {
    pub price_type: Option<String>,
    pub unit_amount: Option<i64>,
    pub currency: Option<String>,
    pub interval_unit: Option<String>,
    pub interval_count: Option<i64>,
    pub trial_period_days: Option<i64>,
    pub name: Option<String>,
    pub slug: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedPrice {
    pub price_type: PriceType,
    pub unit_amount: Money,
    pub recurring: Option<Recurring>,
    pub trial_period_days: Option<u32>,
    pub name: Option<String>,
    pub slug: Option<String>,
}

/// Checks a price: its type, an amount from 0 to [`MAX_UNIT_AMOUNT`] minor units, an ISO 4217
/// currency, and for subscriptions an interval, a count from 1 to 100 and trial days from 0 to 730.
pub fn check_price(draft: PriceDraft) -> Result<CheckedPrice, Vec<FieldError>> {
    let mut errors = Vec::new();
    let price_type = match draft.price_type.as_deref() {
        None => {
            errors.push(FieldError::missing(
                Field::PriceType,
                "a price needs a type: single_payment or subscription",
            ));
            PriceType::SinglePayment
        }
        Some("usage") => {
            errors.push(FieldError::invalid(
                Field::PriceType,
                "usage prices are not supported; use single_payment or subscription",
            ));
            PriceType::SinglePayment
        }
        Some(other) => other.parse().unwrap_or_else(|_| {
            errors.push(FieldError::invalid(
                Field::PriceType,
                format!("`{other}` is not single_payment or subscription"),
            ));
            PriceType::SinglePayment
        }),
    };
    let currency = match draft.currency.as_deref().map(Currency::parse) {
        Some(Ok(c)) => Some(c),
        Some(Err(e)) => {
            errors.push(FieldError::invalid(Field::PriceCurrency, e.to_string()));
            None
        }
        None => {
            errors.push(FieldError::missing(
                Field::PriceCurrency,
                "a price needs a currency",
            ));
            None
        }
    };
    let amount = match draft.unit_amount {
        None => {
            errors.push(FieldError::missing(
                Field::PriceUnitAmount,
                "a price needs an amount",
            ));
            0
        }
        Some(a) if !(0..=MAX_UNIT_AMOUNT).contains(&a) => {
            errors.push(FieldError::invalid(
                Field::PriceUnitAmount,
                format!("the amount must be between 0 and {MAX_UNIT_AMOUNT} minor units"),
            ));
            0
        }
        Some(a) => a,
    };
    let mut recurring = None;
    let mut trial_period_days = None;
    match price_type {
        PriceType::Subscription => {
            let interval = match draft.interval_unit.as_deref() {
                None => {
                    errors.push(FieldError::missing(
                        Field::PriceInterval,
                        "a subscription price needs an interval: day, week, month or year",
                    ));
                    None
                }
                Some(unit) => unit
                    .parse::<RecurringInterval>()
                    .map_err(|_| {
                        errors.push(FieldError::invalid(
                            Field::PriceInterval,
                            format!("`{unit}` is not day, week, month or year"),
                        ));
                    })
                    .ok(),
            };
            let count = draft.interval_count.unwrap_or(1);
            if !(1..=MAX_INTERVAL_COUNT).contains(&count) {
                errors.push(FieldError::invalid(
                    Field::PriceIntervalCount,
                    format!("the interval count must be between 1 and {MAX_INTERVAL_COUNT}"),
                ));
            }
            recurring = interval.map(|interval| Recurring {
                interval,
                interval_count: count.clamp(1, MAX_INTERVAL_COUNT) as u32,
            });
            match draft.trial_period_days {
                None | Some(0) => {}
                Some(days) if (1..=730).contains(&days) => trial_period_days = Some(days as u32),
                Some(_) => errors.push(FieldError::invalid(
                    Field::PriceTrialPeriodDays,
                    "trial days must be between 0 and 730",
                )),
            }
        }
        PriceType::SinglePayment => {
            if draft.interval_unit.is_some() {
                errors.push(FieldError::invalid(
                    Field::PriceInterval,
                    "a single payment price has no interval",
                ));
            }
            if draft.interval_count.is_some() {
                errors.push(FieldError::invalid(
                    Field::PriceIntervalCount,
                    "a single payment price has no interval count",
                ));
            }
            if draft.trial_period_days.is_some_and(|d| d != 0) {
                errors.push(FieldError::invalid(
                    Field::PriceTrialPeriodDays,
                    "a single payment price has no trial",
                ));
            }
        }
    }
    let slug = draft.slug.filter(|s| !s.is_empty());
    if let Some(slug) = &slug
        && let Err(message) = check_slug(slug)
    {
        errors.push(FieldError::invalid(Field::PriceSlug, message));
    }
    let name = draft.name.filter(|n| !n.is_empty());
    if name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NAME_LENGTH)
    {
        errors.push(FieldError::invalid(
            Field::PriceName,
            "the name must be at most 255 characters",
        ));
    }
    match (errors.is_empty(), currency) {
        (true, Some(currency)) => Ok(CheckedPrice {
            price_type,
            unit_amount: Money::new(amount, currency),
            recurring,
            trial_period_days,
            name,
            slug,
        }),
        _ => Err(errors),
    }
}

/// What a merchant typed to make a coupon and its promotion code (the dashboard's form): every
/// value still text, as it came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CouponDraft {
    /// The promotion code buyers type, such as `SPRING20`.
    pub code: Option<String>,
    pub name: Option<String>,
    /// A percentage such as `20` or `12.5`; or else `amount_off`.
    pub percent_off: Option<String>,
    /// An amount in the currency's major units, such as `5.00`.
    pub amount_off: Option<String>,
    pub currency: Option<String>,
    /// once, repeating or forever.
    pub duration: Option<String>,
    pub duration_in_months: Option<String>,
    pub max_redemptions: Option<String>,
}

/// A coupon and the code that redeems it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedCoupon {
    pub code: String,
    pub name: Option<String>,
    pub value: CouponValue,
    pub duration: CouponDuration,
    pub max_redemptions: Option<u32>,
}

/// Checks a coupon draft, reporting every field at fault at once.
pub fn check_coupon(draft: &CouponDraft) -> Result<CheckedCoupon, Vec<FieldError>> {
    fn text(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|v| !v.is_empty())
    }
    let mut errors = Vec::new();

    let code = match text(&draft.code) {
        None => {
            errors.push(FieldError::missing(
                Field::CouponCode,
                "Enter the code buyers will type.",
            ));
            None
        }
        Some(code) => {
            let normalized = PromotionCode::normalize(code);
            let valid = (3..=40).contains(&normalized.len())
                && normalized
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if valid {
                Some(normalized)
            } else {
                errors.push(FieldError::invalid(
                    Field::CouponCode,
                    "Use 3 to 40 letters, digits, dashes or underscores.",
                ));
                None
            }
        }
    };

    let value = match (text(&draft.percent_off), text(&draft.amount_off)) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::invalid(
                Field::CouponValue,
                "Give a percentage or an amount off, not both.",
            ));
            None
        }
        (None, None) => {
            errors.push(FieldError::missing(
                Field::CouponValue,
                "Give a percentage or an amount off.",
            ));
            None
        }
        (Some(percent), None) => match Rate::parse_percent(percent) {
            Ok(rate) if rate == Rate::ZERO => {
                errors.push(FieldError::invalid(
                    Field::CouponValue,
                    "The percentage must be more than 0.",
                ));
                None
            }
            Ok(rate) => Some(CouponValue::PercentOff(rate)),
            Err(e) => {
                errors.push(FieldError::invalid(
                    Field::CouponValue,
                    capitalized(&e.to_string()),
                ));
                None
            }
        },
        (None, Some(amount)) => {
            let currency = match text(&draft.currency).map(Currency::parse) {
                Some(Ok(currency)) => Some(currency),
                None => {
                    errors.push(FieldError::missing(
                        Field::Currency,
                        "An amount off needs its currency.",
                    ));
                    None
                }
                Some(Err(_)) => {
                    errors.push(FieldError::invalid(
                        Field::Currency,
                        "Use a currency code such as USD.",
                    ));
                    None
                }
            };
            currency.and_then(
                |currency| match super::money::parse_major(amount, currency) {
                    Ok(minor) if minor > 0 => {
                        Some(CouponValue::AmountOff(Money::new(minor, currency)))
                    }
                    Ok(_) => {
                        errors.push(FieldError::invalid(
                            Field::CouponAmount,
                            "The amount must be more than 0.",
                        ));
                        None
                    }
                    Err(e) => {
                        errors.push(FieldError::invalid(Field::CouponAmount, e.to_string()));
                        None
                    }
                },
            )
        }
    };

    let duration = match text(&draft.duration).unwrap_or("once") {
        "once" => Some(CouponDuration::Once),
        "forever" => Some(CouponDuration::Forever),
        "repeating" => match text(&draft.duration_in_months).map(str::parse::<u32>) {
            Some(Ok(months)) if (1..=120).contains(&months) => {
                Some(CouponDuration::Repeating { months })
            }
            _ => {
                errors.push(FieldError::invalid(
                    Field::CouponMonths,
                    "Give the number of months, from 1 to 120.",
                ));
                None
            }
        },
        _ => {
            errors.push(FieldError::invalid(
                Field::CouponDuration,
                "Choose once, repeating or forever.",
            ));
            None
        }
    };

    let max_redemptions = match text(&draft.max_redemptions).map(str::parse::<u32>) {
        None => None,
        Some(Ok(n)) if n > 0 => Some(n),
        Some(_) => {
            errors.push(FieldError::invalid(
                Field::MaxRedemptions,
                "Give a whole number above 0, or leave it empty for no limit.",
            ));
            None
        }
    };

    match (code, value, duration) {
        (Some(code), Some(value), Some(duration)) if errors.is_empty() => Ok(CheckedCoupon {
            code,
            name: text(&draft.name).map(str::to_owned),
            value,
            duration,
            max_redemptions,
        }),
        _ => Err(errors),
    }
}

fn capitalized(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::parse("usd").unwrap())
    }

    fn coupon() -> Coupon {
        Coupon {
            id: "coupon_1".into(),
            name: None,
            value: CouponValue::PercentOff(Rate::parse_percent("10").unwrap()),
            duration: CouponDuration::Once,
            max_redemptions: Some(2),
            times_redeemed: 0,
            redeem_by: Some(1_000),
            active: true,
        }
    }

    #[test]
    fn price_types_parse_their_own_names() {
        for t in [PriceType::SinglePayment, PriceType::Subscription] {
            assert_eq!(t.as_str().parse::<PriceType>(), Ok(t));
        }
        assert!("usage".parse::<PriceType>().is_err());
    }

    #[test]
    fn intervals_parse_their_own_names() {
        for i in [
            RecurringInterval::Day,
            RecurringInterval::Week,
            RecurringInterval::Month,
            RecurringInterval::Year,
        ] {
            assert_eq!(i.to_string().parse::<RecurringInterval>(), Ok(i));
        }
        assert_eq!(
            "fortnight".parse::<RecurringInterval>(),
            Err(UnknownVariant("fortnight".into()))
        );
        let quarterly = Recurring {
            interval: RecurringInterval::Month,
            interval_count: 3,
        };
        assert_eq!(quarterly.describe(), "3 months");
    }

    #[test]
    fn coupons_check_activity_expiry_limit_and_currency() {
        let usd_currency = Currency::parse("usd").unwrap();
        assert_eq!(coupon().check_redeemable(999, usd_currency), Ok(()));
        assert_eq!(
            coupon().check_redeemable(1_001, usd_currency),
            Err(DiscountError::Expired)
        );
        let used = Coupon {
            times_redeemed: 2,
            ..coupon()
        };
        assert_eq!(
            used.check_redeemable(0, usd_currency),
            Err(DiscountError::FullyRedeemed)
        );
        let off = Coupon {
            active: false,
            ..coupon()
        };
        assert_eq!(
            off.check_redeemable(0, usd_currency),
            Err(DiscountError::Inactive)
        );
        let five_off = Coupon {
            value: CouponValue::AmountOff(usd(500)),
            ..coupon()
        };
        let eur = Currency::parse("eur").unwrap();
        assert_eq!(
            five_off.check_redeemable(0, eur),
            Err(DiscountError::WrongCurrency)
        );
    }

    #[test]
    fn promotion_codes_check_themselves() {
        let code = PromotionCode {
            id: "promo_1".into(),
            code: "SPRING".into(),
            coupon_id: "coupon_1".into(),
            active: true,
            max_redemptions: Some(1),
            times_redeemed: 0,
            expires_at: None,
        };
        assert_eq!(code.check_redeemable(5), Ok(()));
        let used = PromotionCode {
            times_redeemed: 1,
            ..code.clone()
        };
        assert_eq!(used.check_redeemable(5), Err(DiscountError::FullyRedeemed));
        assert_eq!(PromotionCode::normalize(" spring "), "SPRING");
    }

    #[test]
    fn the_country_rate_wins_over_the_general_one() {
        let rate = |id: &str, country: Option<&str>, active: bool| TaxRate {
            id: id.into(),
            display_name: "VAT".into(),
            rate: Rate::parse_percent("20").unwrap(),
            inclusive: false,
            country: country.map(str::to_owned),
            active,
        };
        let rates = [
            rate("general", None, true),
            rate("de", Some("DE"), true),
            rate("fr", Some("FR"), false),
        ];
        assert_eq!(TaxRate::applicable(&rates, Some("de")).unwrap().id, "de");
        assert_eq!(
            TaxRate::applicable(&rates, Some("FR")).unwrap().id,
            "general"
        );
        assert_eq!(TaxRate::applicable(&rates, None).unwrap().id, "general");
        assert_eq!(TaxRate::applicable(&rates[1..], Some("US")), None);
    }

    #[test]
    fn a_tax_rate_is_checked_field_by_field() {
        let draft = TaxRateDraft {
            display_name: Some(" VAT ".into()),
            percentage: Some("19.5".into()),
            inclusive: Some(true),
            country: Some("de".into()),
            tax_type: Some("vat".into()),
            ..TaxRateDraft::default()
        };
        let checked = check_tax_rate(&draft).unwrap();
        assert_eq!(
            (
                checked.display_name.as_str(),
                checked.rate.millionths(),
                checked.country.as_deref()
            ),
            ("VAT", 195_000, Some("DE"))
        );
        let fields = |draft: TaxRateDraft| -> Vec<String> {
            check_tax_rate(&draft)
                .unwrap_err()
                .iter()
                .map(|e| e.field.to_string())
                .collect()
        };
        assert_eq!(
            fields(TaxRateDraft::default()),
            ["display_name", "percentage", "inclusive"]
        );
        for (percentage, why) in [
            ("100.5", "between"),
            ("8.87501", "four decimal"),
            ("-1", "not a percentage"),
            ("19%", "not a percentage"),
        ] {
            let error = check_tax_rate(&TaxRateDraft {
                percentage: Some(percentage.into()),
                ..draft.clone()
            })
            .unwrap_err();
            assert_eq!(error[0].field, Field::TaxRatePercentage, "{percentage}");
            assert!(
                error[0].message.contains(why),
                "{percentage}: {}",
                error[0].message
            );
        }
        assert_eq!(
            fields(TaxRateDraft {
                display_name: Some("x".repeat(51)),
                country: Some("XX".into()),
                tax_type: Some("tithe".into()),
                description: Some("d".repeat(501)),
                ..draft.clone()
            }),
            ["display_name", "country", "description", "tax_type"]
        );
        // Zero is a rate (zero-rated goods, reverse charge); 100 is the most.
        assert!(
            check_tax_rate(&TaxRateDraft {
                percentage: Some("0".into()),
                ..draft.clone()
            })
            .is_ok()
        );
        assert!(
            check_tax_rate(&TaxRateDraft {
                percentage: Some("100".into()),
                ..draft
            })
            .is_ok()
        );
    }

    #[test]
    fn products_need_a_name_and_get_a_slug() {
        let checked = check_product(ProductDraft {
            name: Some(" Espresso Beans, 1 kg ".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(checked.name, "Espresso Beans, 1 kg");
        assert_eq!(checked.slug, "espresso-beans-1-kg");
        let fields = |d: ProductDraft| {
            check_product(d)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(ProductDraft::default()), vec![Field::ProductName]);
        assert_eq!(
            fields(ProductDraft {
                name: Some("x".repeat(256)),
                ..Default::default()
            }),
            vec![Field::ProductName]
        );
        assert_eq!(
            fields(ProductDraft {
                name: Some("Tea".into()),
                slug: Some("has space".into()),
                image_url: Some("/img.png".into()),
                ..Default::default()
            }),
            vec![Field::ProductSlug, Field::ProductImageUrl]
        );
    }

    #[test]
    fn prices_are_checked_by_type() {
        let draft = |t: &str| PriceDraft {
            price_type: Some(t.into()),
            unit_amount: Some(1500),
            currency: Some("usd".into()),
            ..Default::default()
        };
        let one_time = check_price(draft("single_payment")).unwrap();
        assert_eq!(
            (
                one_time.price_type,
                one_time.unit_amount.amount,
                one_time.recurring
            ),
            (PriceType::SinglePayment, 1500, None)
        );
        let monthly = check_price(PriceDraft {
            interval_unit: Some("month".into()),
            trial_period_days: Some(14),
            ..draft("subscription")
        })
        .unwrap();
        assert_eq!(
            monthly.recurring,
            Some(Recurring {
                interval: RecurringInterval::Month,
                interval_count: 1
            })
        );
        assert_eq!(monthly.trial_period_days, Some(14));
        let fields = |d: PriceDraft| {
            check_price(d)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields(draft("usage")), vec![Field::PriceType]);
        assert_eq!(fields(draft("subscription")), vec![Field::PriceInterval]);
        assert_eq!(
            fields(PriceDraft {
                interval_unit: Some("month".into()),
                interval_count: Some(0),
                ..draft("subscription")
            }),
            vec![Field::PriceIntervalCount]
        );
        assert_eq!(
            fields(PriceDraft {
                interval_unit: Some("month".into()),
                ..draft("single_payment")
            }),
            vec![Field::PriceInterval]
        );
        assert_eq!(
            fields(PriceDraft {
                unit_amount: Some(-1),
                ..draft("single_payment")
            }),
            vec![Field::PriceUnitAmount]
        );
        assert_eq!(
            fields(PriceDraft {
                unit_amount: Some(MAX_UNIT_AMOUNT + 1),
                ..draft("single_payment")
            }),
            vec![Field::PriceUnitAmount]
        );
        assert_eq!(
            fields(PriceDraft {
                currency: Some("usx".into()),
                ..draft("single_payment")
            }),
            vec![Field::PriceCurrency]
        );
        assert!(
            check_price(PriceDraft {
                unit_amount: Some(0),
                ..draft("single_payment")
            })
            .is_ok(),
            "free is a price"
        );
    }

    fn coupon_draft(f: impl FnOnce(&mut CouponDraft)) -> Result<CheckedCoupon, Vec<FieldError>> {
        let mut draft = CouponDraft {
            code: Some(" spring20 ".into()),
            percent_off: Some("20".into()),
            ..CouponDraft::default()
        };
        f(&mut draft);
        check_coupon(&draft)
    }

    fn fields(result: Result<CheckedCoupon, Vec<FieldError>>) -> Vec<String> {
        result
            .unwrap_err()
            .iter()
            .map(|e| e.field.to_string())
            .collect()
    }

    #[test]
    fn a_coupon_draft_becomes_a_coupon_with_its_code() {
        let checked = coupon_draft(|_| {}).unwrap();
        assert_eq!(checked.code, "SPRING20");
        assert_eq!(
            checked.value,
            CouponValue::PercentOff(Rate::from_millionths(200_000))
        );
        assert_eq!(checked.duration, CouponDuration::Once);
        let checked = coupon_draft(|d| {
            d.percent_off = None;
            d.amount_off = Some("5".into());
            d.currency = Some("eur".into());
            d.duration = Some("repeating".into());
            d.duration_in_months = Some("3".into());
            d.max_redemptions = Some("100".into());
        })
        .unwrap();
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(checked.value, CouponValue::AmountOff(Money::new(500, eur)));
        assert_eq!(checked.duration, CouponDuration::Repeating { months: 3 });
        assert_eq!(checked.max_redemptions, Some(100));
    }

    #[test]
    fn a_coupon_draft_names_every_field_at_fault() {
        assert_eq!(
            fields(coupon_draft(|d| {
                d.code = Some("a b".into());
                d.percent_off = Some("120".into());
                d.duration = Some("repeating".into());
                d.max_redemptions = Some("-1".into());
            })),
            [
                "code",
                "percent_off",
                "duration_in_months",
                "max_redemptions"
            ]
        );
        assert_eq!(
            fields(coupon_draft(|d| d.amount_off = Some("5".into()))),
            ["percent_off"]
        );
        assert_eq!(
            fields(coupon_draft(|d| {
                d.percent_off = None;
                d.amount_off = Some("5.001".into());
                d.currency = Some("usd".into());
            })),
            ["amount_off"]
        );
        assert_eq!(
            fields(coupon_draft(|d| {
                d.percent_off = None;
                d.amount_off = Some("5".into());
            })),
            ["currency"]
        );
        assert_eq!(
            fields(coupon_draft(|d| d.percent_off = Some("0".into()))),
            ["percent_off"]
        );
    }
}

/// A business entity (the legal seller a guest checkout bills from) as requested.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessEntityDraft {
    pub name: Option<String>,
    pub legal_name: Option<String>,
    pub country: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedBusinessEntity {
    pub name: String,
    pub legal_name: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<String>,
}

/// A business entity needs a name of at most 255 characters; its country, when given, is an
/// ISO 3166-1 alpha-2 code.
pub fn check_business_entity(
    draft: BusinessEntityDraft,
) -> Result<CheckedBusinessEntity, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = draft.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        errors.push(FieldError::missing(Field::EntityName, "name is required"));
    } else if name.chars().count() > MAX_NAME_LENGTH {
        errors.push(FieldError::invalid(
            Field::EntityName,
            format!("name must be at most {MAX_NAME_LENGTH} characters"),
        ));
    }
    let legal_name = draft
        .legal_name
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty());
    if legal_name
        .as_ref()
        .is_some_and(|l| l.chars().count() > MAX_NAME_LENGTH)
    {
        errors.push(FieldError::invalid(
            Field::EntityName,
            format!("legal_name must be at most {MAX_NAME_LENGTH} characters"),
        ));
    }
    let country = match draft
        .country
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(code) => match super::customer::parse_country(code) {
            Some(country) => Some(country),
            None => {
                errors.push(FieldError::invalid(
                    Field::EntityCountry,
                    format!("country `{code}` is not an ISO 3166-1 alpha-2 code such as US or DE"),
                ));
                None
            }
        },
    };
    if errors.is_empty() {
        Ok(CheckedBusinessEntity {
            name: name.to_owned(),
            legal_name,
            country,
        })
    } else {
        Err(errors)
    }
}

/// The most items a plan may hold.
pub const MAX_PLAN_ITEMS: usize = 20;

/// A plan's name and items, as far as they can be checked without the catalog: a name, one to 20
/// items, each naming a price and a quantity of at least 1.
pub fn check_plan_shape(
    name: Option<&str>,
    items: &[(Option<String>, Option<i64>)],
) -> Result<(String, Vec<PlanItem>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = name.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        errors.push(FieldError::missing(Field::PlanName, "name is required"));
    } else if name.chars().count() > MAX_NAME_LENGTH {
        errors.push(FieldError::invalid(
            Field::PlanName,
            format!("name must be at most {MAX_NAME_LENGTH} characters"),
        ));
    }
    if items.is_empty() {
        errors.push(FieldError::missing(
            Field::PlanItems,
            "a plan needs at least one item",
        ));
    } else if items.len() > MAX_PLAN_ITEMS {
        errors.push(FieldError::invalid(
            Field::PlanItems,
            format!("a plan has at most {MAX_PLAN_ITEMS} items"),
        ));
    }
    let mut checked = Vec::with_capacity(items.len());
    for (i, (price, quantity)) in items.iter().enumerate() {
        let price = price.as_deref().map(str::trim).unwrap_or_default();
        if price.is_empty() {
            errors.push(FieldError::missing(
                Field::PlanItemPrice(i),
                "price is required",
            ));
        }
        let quantity = quantity.unwrap_or(1);
        if !(1..=i64::from(u32::MAX)).contains(&quantity) {
            errors.push(FieldError::invalid(
                Field::PlanItemQuantity(i),
                "quantity must be at least 1",
            ));
        }
        checked.push(PlanItem {
            price_id: price.to_owned(),
            quantity: u32::try_from(quantity).unwrap_or(1),
        });
    }
    if errors.is_empty() {
        Ok((name.to_owned(), checked))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod entity_and_plan_tests {
    use super::*;

    #[test]
    fn a_business_entity_needs_a_name_and_a_real_country() {
        let ok = check_business_entity(BusinessEntityDraft {
            name: Some(" Acme EU ".into()),
            legal_name: Some("Acme Europe GmbH".into()),
            country: Some("de".into()),
        })
        .unwrap();
        assert_eq!(
            (ok.name.as_str(), ok.country.as_deref()),
            ("Acme EU", Some("DE"))
        );
        let errors = check_business_entity(BusinessEntityDraft {
            name: None,
            legal_name: None,
            country: Some("Germany".into()),
        })
        .unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, [Field::EntityName, Field::EntityCountry]);
    }

    #[test]
    fn a_plan_needs_a_name_and_one_to_twenty_priced_items() {
        let (name, items) =
            check_plan_shape(Some("Team"), &[(Some("price_a".into()), None)]).unwrap();
        assert_eq!((name.as_str(), items[0].quantity), ("Team", 1));
        let errors = check_plan_shape(Some(""), &[]).unwrap_err();
        assert_eq!(errors[0].field, Field::PlanName);
        assert_eq!(errors[1].field, Field::PlanItems);
        let errors = check_plan_shape(
            Some("Team"),
            &[(Some("price_a".into()), Some(0)), (None, Some(1))],
        )
        .unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [Field::PlanItemQuantity(0), Field::PlanItemPrice(1)]
        );
        let many = vec![(Some("price_a".to_owned()), Some(1)); MAX_PLAN_ITEMS + 1];
        assert_eq!(
            check_plan_shape(Some("Team"), &many).unwrap_err()[0].field,
            Field::PlanItems
        );
    }
}
