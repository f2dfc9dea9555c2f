//! What a merchant sells: products and their prices.

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

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
