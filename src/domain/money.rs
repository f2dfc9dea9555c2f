//! Money: integer amounts in a currency's minor unit, with the currency they are in.
//!
//! Currencies and their exponents come from ISO 4217 via the `iso_currency` crate (USD has 2 decimal
//! places, JPY 0, KWD 3). Amounts are `i64` minor units; sums check their currencies and overflow.
//! Rates (percent off, tax) are exact integers in millionths, and every division rounds half to even.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// An ISO 4217 currency that has minor units (funds and precious metals have none and are refused).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency(iso_currency::Currency);

/// Why a currency code or an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("amounts in {0} and {1} cannot be added")]
    CurrencyMismatch(&'static str, &'static str),
    #[error("the amount is too large")]
    Overflow,
}

impl Currency {
    /// Parses a three-letter code in either case (`usd`, `USD`).
    pub fn parse(code: &str) -> Result<Currency, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        iso_currency::Currency::from_code(&upper)
            .filter(|c| c.exponent().is_some() && !c.is_fund())
            .map(Currency)
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// The upper-case code: `USD`.
    pub fn code(self) -> &'static str {
        self.0.code()
    }

    /// The lower-case code, as Stripe-like APIs spell it: `usd`.
    pub fn code_lower(self) -> String {
        self.code().to_ascii_lowercase()
    }

    /// Decimal places of the minor unit: 2 for USD, 0 for JPY, 3 for KWD.
    pub fn exponent(self) -> u32 {
        u32::from(self.0.exponent().unwrap_or(0))
    }

    /// The symbol buyers know (`$`, `€`, `¥`), or the code where the symbol is ambiguous or absent.
    pub fn symbol(self) -> String {
        let symbol = self.0.symbol().symbol;
        // `$` alone means the US dollar; other dollars and pesos are shown by code.
        let unambiguous = match symbol.as_str() {
            "$" => self.code() == "USD",
            "" => false,
            s => s.chars().count() <= 2 && !s.chars().all(|c| c.is_ascii_alphabetic()),
        };
        if unambiguous {
            symbol
        } else {
            self.code().to_owned()
        }
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.code_lower())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Currency::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// Described as the string it is written as.
#[cfg(feature = "ssr")]
impl utoipa::PartialSchema for Currency {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[a-z]{3}$"))
            .description(Some(
                "An ISO 4217 currency code with minor units, lower case.",
            ))
            .examples([serde_json::json!("usd")])
            .into()
    }
}

#[cfg(feature = "ssr")]
impl utoipa::ToSchema for Currency {}

/// An amount of money: minor units of a currency.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Money {
        Money { amount, currency }
    }

    pub fn zero(currency: Currency) -> Money {
        Money {
            amount: 0,
            currency,
        }
    }

    /// The sum, refusing another currency or an overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(
                self.currency.code(),
                other.currency.code(),
            ));
        }
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }

    /// The amount times a count, refusing an overflow.
    pub fn checked_mul(self, count: u32) -> Result<Money, MoneyError> {
        let amount = self
            .amount
            .checked_mul(i64::from(count))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            amount,
            currency: self.currency,
        })
    }

    /// The amount as a buyer reads it: `$1,234.50`, `¥500`, `KWD 1.250`, `-$3.00`.
    pub fn display(self) -> String {
        let symbol = self.currency.symbol();
        let number = format_minor(self.amount.unsigned_abs(), self.currency.exponent());
        let sign = if self.amount < 0 { "-" } else { "" };
        if symbol.chars().count() <= 2 && symbol != self.currency.code() {
            format!("{sign}{symbol}{number}")
        } else {
            format!("{sign}{symbol} {number}")
        }
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.code())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// `123456` with exponent 2 as `1,234.56`.
fn format_minor(minor: u64, exponent: u32) -> String {
    format_number(minor, exponent, ",", '.', 4)
}

/// `minor` units with `exponent` decimals, its whole part grouped by threes with `group` once it
/// has `min_grouping` digits or more, and `decimal` before the fraction: `1.234,56` in German.
pub fn format_number(
    minor: u64,
    exponent: u32,
    group: &str,
    decimal: char,
    min_grouping: usize,
) -> String {
    let scale = 10u64.pow(exponent);
    let (whole, fraction) = (minor / scale, minor % scale);
    let digits = whole.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * group.len() + 8);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && digits.len() >= min_grouping && (digits.len() - i).is_multiple_of(3) {
            grouped.push_str(group);
        }
        grouped.push(c);
    }
    if exponent > 0 {
        grouped.push(decimal);
        grouped.push_str(&format!("{fraction:0width$}", width = exponent as usize));
    }
    grouped
}

/// Parses what a person types as an amount (`42`, `42.5`, `1,234.56`) into minor units of
/// `currency`, refusing more decimals than the currency has.
pub fn parse_major(input: &str, currency: Currency) -> Result<i64, AmountParseError> {
    let cleaned: String = input.trim().chars().filter(|c| *c != ',').collect();
    if cleaned.is_empty() {
        return Err(AmountParseError::Empty);
    }
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let exponent = currency.exponent() as usize;
    if whole.is_empty() && fraction.is_empty()
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !fraction.chars().all(|c| c.is_ascii_digit())
    {
        return Err(AmountParseError::NotANumber);
    }
    if fraction.len() > exponent {
        return Err(AmountParseError::TooManyDecimals(exponent));
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| AmountParseError::TooLarge)?
    };
    let padded = format!("{fraction:0<exponent$}");
    let fraction: i64 = if padded.is_empty() {
        0
    } else {
        padded.parse().map_err(|_| AmountParseError::NotANumber)?
    };
    whole
        .checked_mul(10i64.pow(exponent as u32))
        .and_then(|w| w.checked_add(fraction))
        .ok_or(AmountParseError::TooLarge)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountParseError {
    #[error("Enter an amount.")]
    Empty,
    #[error("Enter an amount such as 12.50.")]
    NotANumber,
    #[error("Use at most {0} decimal places.")]
    TooManyDecimals(usize),
    #[error("The amount is too large.")]
    TooLarge,
}

/// A proportion in millionths: 1_000_000 is 100%. Exact for percentages with up to four decimals
/// (8.875% is 88_750), which covers tax rates and percent-off coupons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rate(u32);

pub const RATE_SCALE: u32 = 1_000_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("`{0}` is not a percentage")]
    NotANumber(String),
    #[error("a percentage has at most four decimal places")]
    TooPrecise,
    #[error("a percentage must be between {min} and {max}")]
    OutOfRange { min: String, max: String },
}

impl Rate {
    pub const ZERO: Rate = Rate(0);
    pub const FULL: Rate = Rate(RATE_SCALE);

    pub fn from_millionths(millionths: u32) -> Rate {
        Rate(millionths)
    }

    pub fn millionths(self) -> u32 {
        self.0
    }

    /// Parses a percentage written as a decimal (`"8.875"`, `"20"`), up to 100.
    pub fn parse_percent(input: &str) -> Result<Rate, RateError> {
        let input = input.trim();
        let (whole, fraction) = input.split_once('.').unwrap_or((input, ""));
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !digits(whole) || !(fraction.is_empty() || digits(fraction)) {
            return Err(RateError::NotANumber(input.to_owned()));
        }
        if fraction.len() > 4 {
            return Err(RateError::TooPrecise);
        }
        let whole: u64 = whole
            .parse()
            .map_err(|_| RateError::NotANumber(input.to_owned()))?;
        let fraction: u64 = format!("{fraction:0<4}").parse().unwrap_or(0);
        let millionths = whole.saturating_mul(10_000).saturating_add(fraction);
        if millionths > u64::from(RATE_SCALE) {
            return Err(RateError::OutOfRange {
                min: "0".into(),
                max: "100".into(),
            });
        }
        Ok(Rate(millionths as u32))
    }

    /// A percentage given as a float by a JSON client (`12.5`), exact to four decimals.
    pub fn from_percent_f64(percent: f64) -> Result<Rate, RateError> {
        if !percent.is_finite() || !(0.0..=100.0).contains(&percent) {
            return Err(RateError::OutOfRange {
                min: "0".into(),
                max: "100".into(),
            });
        }
        let scaled = percent * 10_000.0;
        let rounded = scaled.round();
        if (scaled - rounded).abs() > 1e-6 {
            return Err(RateError::TooPrecise);
        }
        Ok(Rate(rounded as u32))
    }

    /// The percentage as a decimal string without trailing zeros: `8.875`, `20`.
    pub fn percent_string(self) -> String {
        let whole = self.0 / 10_000;
        let fraction = self.0 % 10_000;
        if fraction == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{fraction:04}")
                .trim_end_matches('0')
                .to_owned()
        }
    }

    /// This share of `amount`, rounded half to even.
    pub fn of(self, amount: i64) -> i64 {
        let exact = i128::from(amount) * i128::from(self.0);
        div_round_half_even(exact, i128::from(RATE_SCALE)) as i64
    }
}

/// `n / d` rounded to the nearest integer, ties to the even one (banker's rounding). `d > 0`.
pub fn div_round_half_even(n: i128, d: i128) -> i128 {
    debug_assert!(d > 0);
    let quotient = n.div_euclid(d);
    let remainder = n.rem_euclid(d);
    match (2 * remainder).cmp(&d) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => {
            if quotient % 2 == 0 {
                quotient
            } else {
                quotient + 1
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str) -> Currency {
        Currency::parse(code).unwrap()
    }

    #[test]
    fn currencies_come_with_their_iso_exponent() {
        assert_eq!(c("usd").exponent(), 2);
        assert_eq!(c("JPY").exponent(), 0);
        assert_eq!(c("kwd").exponent(), 3);
        assert_eq!(c("eur").code(), "EUR");
        assert_eq!(c("EUR").code_lower(), "eur");
    }

    #[test]
    fn unknown_codes_funds_and_metals_are_refused() {
        for bad in ["", "us", "usdd", "XYZ", "XAU", "BOV"] {
            assert!(Currency::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn amounts_display_in_their_currency() {
        assert_eq!(Money::new(4200, c("usd")).display(), "$42.00");
        assert_eq!(Money::new(123456789, c("usd")).display(), "$1,234,567.89");
        assert_eq!(Money::new(500, c("jpy")).display(), "¥500");
        assert_eq!(Money::new(1250, c("kwd")).display(), "KWD 1.250");
        assert_eq!(Money::new(999, c("eur")).display(), "€9.99");
        assert_eq!(Money::new(-300, c("usd")).display(), "-$3.00");
        assert_eq!(Money::new(5, c("usd")).display(), "$0.05");
        assert_eq!(Money::new(100, c("cad")).display(), "CAD 1.00");
    }

    #[test]
    fn currencies_never_mix_in_one_sum() {
        let usd = Money::new(100, c("usd"));
        assert_eq!(usd.checked_add(usd).unwrap().amount, 200);
        assert_eq!(
            usd.checked_add(Money::new(100, c("eur"))),
            Err(MoneyError::CurrencyMismatch("USD", "EUR"))
        );
        assert_eq!(
            Money::new(i64::MAX, c("usd")).checked_add(usd),
            Err(MoneyError::Overflow)
        );
        assert_eq!(usd.checked_mul(3).unwrap().amount, 300);
        assert_eq!(
            Money::new(i64::MAX, c("usd")).checked_mul(2),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn typed_amounts_parse_into_minor_units() {
        assert_eq!(parse_major("42", c("usd")), Ok(4200));
        assert_eq!(parse_major("42.5", c("usd")), Ok(4250));
        assert_eq!(parse_major("1,234.56", c("usd")), Ok(123456));
        assert_eq!(parse_major(".5", c("usd")), Ok(50));
        assert_eq!(parse_major("500", c("jpy")), Ok(500));
        assert_eq!(
            parse_major("5.5", c("jpy")),
            Err(AmountParseError::TooManyDecimals(0))
        );
        assert_eq!(
            parse_major("1.2345", c("kwd")),
            Err(AmountParseError::TooManyDecimals(3))
        );
        assert_eq!(
            parse_major("abc", c("usd")),
            Err(AmountParseError::NotANumber)
        );
        assert_eq!(
            parse_major("-1", c("usd")),
            Err(AmountParseError::NotANumber)
        );
        assert_eq!(parse_major("", c("usd")), Err(AmountParseError::Empty));
    }

    #[test]
    fn rates_are_exact_to_four_decimals() {
        assert_eq!(Rate::parse_percent("8.875").unwrap().millionths(), 88_750);
        assert_eq!(Rate::parse_percent("20").unwrap().millionths(), 200_000);
        assert_eq!(Rate::parse_percent("100").unwrap(), Rate::FULL);
        assert_eq!(Rate::parse_percent("0.0001").unwrap().millionths(), 1);
        assert_eq!(Rate::parse_percent("0.00001"), Err(RateError::TooPrecise));
        assert!(Rate::parse_percent("100.01").is_err());
        assert!(Rate::parse_percent("-5").is_err());
        assert!(Rate::parse_percent("5%").is_err());
        assert_eq!(Rate::from_percent_f64(12.5).unwrap().millionths(), 125_000);
        assert_eq!(Rate::from_percent_f64(8.875).unwrap().millionths(), 88_750);
        assert_eq!(Rate::from_percent_f64(33.33333), Err(RateError::TooPrecise));
        assert_eq!(Rate::from_millionths(88_750).percent_string(), "8.875");
        assert_eq!(Rate::from_millionths(200_000).percent_string(), "20");
    }

    #[test]
    fn shares_round_half_to_even() {
        let half = Rate::parse_percent("50").unwrap();
        assert_eq!(half.of(5), 2); // 2.5 -> 2
        assert_eq!(half.of(7), 4); // 3.5 -> 4
        assert_eq!(half.of(-5), -2);
        let tenth = Rate::parse_percent("10").unwrap();
        assert_eq!(tenth.of(1234), 123); // 123.4
        assert_eq!(tenth.of(1235), 124); // 123.5 -> 124 (even)
        assert_eq!(tenth.of(1245), 124); // 124.5 -> 124 (even)
        assert_eq!(div_round_half_even(-7, 2), -4); // -3.5 -> -4
        assert_eq!(div_round_half_even(-5, 2), -2); // -2.5 -> -2
    }
}
