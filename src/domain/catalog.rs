//! What a merchant sells and the terms it sells on: products, prices, coupons and promotion codes,
//! tax rates, and plans (bundles of prices for plan-based contracts).

use super::money::{Currency, Money, Rate};
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
    pub slug: String,
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
}
