//! Card numbers: checked as the buyer types (in the browser) and again on the server, by this code.
//!
//! A [`CardNumber`] holds the digits of a full primary account number. It can be shown only as its
//! brand and last four digits: it has no `Display`, its `Debug` masks it, and it is not `Serialize`,
//! so it cannot end up in a log line or a response by accident.

use std::fmt;

/// Card networks kassa recognises by their number ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBrand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Diners,
    Jcb,
    Unionpay,
    Unknown,
}

impl CardBrand {
    /// Recognises the brand from the leading digits, which may be a prefix of a number being typed.
    pub fn detect(digits: &str) -> CardBrand {
        let prefix = |n: usize| -> Option<u32> { digits.get(..n).and_then(|p| p.parse().ok()) };
        let in_range =
            |n: usize, lo: u32, hi: u32| prefix(n).is_some_and(|p| (lo..=hi).contains(&p));
        if digits.starts_with('4') {
            CardBrand::Visa
        } else if in_range(2, 51, 55) || in_range(4, 2221, 2720) {
            CardBrand::Mastercard
        } else if in_range(2, 34, 34) || in_range(2, 37, 37) {
            CardBrand::Amex
        } else if digits.starts_with("6011") || in_range(2, 65, 65) || in_range(3, 644, 649) {
            CardBrand::Discover
        } else if in_range(3, 300, 305) || in_range(2, 36, 36) || in_range(2, 38, 39) {
            CardBrand::Diners
        } else if in_range(4, 3528, 3589) {
            CardBrand::Jcb
        } else if in_range(2, 62, 62) || in_range(2, 81, 81) {
            CardBrand::Unionpay
        } else {
            CardBrand::Unknown
        }
    }

    /// The brand's name as a buyer knows it.
    pub fn display_name(self) -> &'static str {
        match self {
            CardBrand::Visa => "Visa",
            CardBrand::Mastercard => "Mastercard",
            CardBrand::Amex => "American Express",
            CardBrand::Discover => "Discover",
            CardBrand::Diners => "Diners Club",
            CardBrand::Jcb => "JCB",
            CardBrand::Unionpay => "UnionPay",
            CardBrand::Unknown => "Card",
        }
    }

    /// The brand named by [`CardBrand::display_name`] (as kassa keeps a saved card's brand).
    pub fn from_display_name(name: &str) -> Option<CardBrand> {
        [
            CardBrand::Visa,
            CardBrand::Mastercard,
            CardBrand::Amex,
            CardBrand::Discover,
            CardBrand::Diners,
            CardBrand::Jcb,
            CardBrand::Unionpay,
        ]
        .into_iter()
        .find(|b| b.display_name() == name)
    }

    /// How many digits the security code has.
    pub fn cvc_length(self) -> usize {
        if self == CardBrand::Amex { 4 } else { 3 }
    }

    /// The lengths a number of this brand may have.
    fn lengths(self) -> &'static [usize] {
        match self {
            CardBrand::Visa => &[13, 16, 19],
            CardBrand::Mastercard => &[16],
            CardBrand::Amex => &[15],
            CardBrand::Discover | CardBrand::Jcb | CardBrand::Unionpay => &[16, 17, 18, 19],
            CardBrand::Diners => &[14, 15, 16, 17, 18, 19],
            CardBrand::Unknown => &[12, 13, 14, 15, 16, 17, 18, 19],
        }
    }

    /// Where the spaces go when the number is shown as typed: 4-4-4-4, or 4-6-5 for Amex.
    fn groups(self) -> &'static [usize] {
        match self {
            CardBrand::Amex => &[4, 6, 5],
            CardBrand::Diners => &[4, 6, 4],
            _ => &[4, 4, 4, 4, 3],
        }
    }
}

/// Why a card number was refused, in words a buyer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardNumberError {
    #[error("Enter your card number.")]
    Empty,
    #[error("A card number has only digits.")]
    NotDigits,
    #[error("Your card number is incomplete.")]
    TooShort,
    #[error("Your card number is too long.")]
    TooLong,
    #[error("Your card number is invalid.")]
    FailsChecksum,
}

/// A full card number that passed the length and Luhn checks.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber {
    digits: String,
    brand: CardBrand,
}

impl CardNumber {
    /// Parses what a buyer typed: spaces and dashes between digits are allowed.
    pub fn parse(input: &str) -> Result<CardNumber, CardNumberError> {
        let digits = digits_of(input)?;
        if digits.is_empty() {
            return Err(CardNumberError::Empty);
        }
        let brand = CardBrand::detect(&digits);
        let lengths = brand.lengths();
        if digits.len() < lengths[0] {
            return Err(CardNumberError::TooShort);
        }
        if digits.len() > lengths[lengths.len() - 1] {
            return Err(CardNumberError::TooLong);
        }
        if !lengths.contains(&digits.len()) {
            return Err(CardNumberError::TooShort);
        }
        if !luhn_valid(&digits) {
            return Err(CardNumberError::FailsChecksum);
        }
        Ok(CardNumber { digits, brand })
    }

    pub fn brand(&self) -> CardBrand {
        self.brand
    }

    /// The last four digits: all of the number that may be shown or stored.
    pub fn last4(&self) -> &str {
        &self.digits[self.digits.len() - 4..]
    }

    /// The full digits, for handing to a payment processor. Never log or store what this returns.
    pub fn expose_digits(&self) -> &str {
        &self.digits
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber({:?} •••• {})", self.brand, self.last4())
    }
}

/// The digits of `input` with spaces and dashes dropped; any other character is an error.
fn digits_of(input: &str) -> Result<String, CardNumberError> {
    let mut digits = String::with_capacity(19);
    for c in input.trim().chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' => {}
            _ => return Err(CardNumberError::NotDigits),
        }
    }
    Ok(digits)
}

/// The Luhn (mod 10) check every card number carries in its last digit.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, c) in digits.bytes().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(c - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// What the buyer typed, spaced into the brand's groups as they type (`4242 4242 42`).
/// Characters other than digits are dropped, and the digits are cut at 19.
pub fn format_as_typed(input: &str) -> String {
    let digits: String = input
        .chars()
        .filter(char::is_ascii_digit)
        .take(19)
        .collect();
    let mut out = String::with_capacity(digits.len() + 4);
    let mut rest = digits.as_str();
    for &group in CardBrand::detect(&digits).groups() {
        if rest.is_empty() {
            break;
        }
        let take = group.min(rest.len());
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&rest[..take]);
        rest = &rest[take..];
    }
    if !rest.is_empty() {
        out.push_str(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_public_test_cards() {
        for (number, brand) in [
            ("4242 4242 4242 4242", CardBrand::Visa),
            ("4000 0000 0000 0002", CardBrand::Visa),
            ("4000-0025-0000-3155", CardBrand::Visa),
            ("5555555555554444", CardBrand::Mastercard),
            ("2223003122003222", CardBrand::Mastercard),
            ("378282246310005", CardBrand::Amex),
            ("6011111111111117", CardBrand::Discover),
            ("3056930009020004", CardBrand::Diners),
            ("3566002020360505", CardBrand::Jcb),
            ("6200000000000005", CardBrand::Unionpay),
        ] {
            let card = CardNumber::parse(number).unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(card.brand(), brand, "{number}");
        }
    }

    #[test]
    fn refuses_what_is_not_a_card_number() {
        assert_eq!(CardNumber::parse(""), Err(CardNumberError::Empty));
        assert_eq!(CardNumber::parse("  "), Err(CardNumberError::Empty));
        assert_eq!(
            CardNumber::parse("4242 4242 4242 424x"),
            Err(CardNumberError::NotDigits)
        );
        assert_eq!(
            CardNumber::parse("4242 4242"),
            Err(CardNumberError::TooShort)
        );
        assert_eq!(
            CardNumber::parse("4242 4242 4242 4241"),
            Err(CardNumberError::FailsChecksum)
        );
        assert_eq!(
            CardNumber::parse("4242 4242 4242 4242 4242"),
            Err(CardNumberError::TooLong)
        );
        // an Amex number one digit short of its 15
        assert_eq!(
            CardNumber::parse("37828224631000"),
            Err(CardNumberError::TooShort)
        );
    }

    #[test]
    fn shows_only_the_last_four() {
        let card = CardNumber::parse("4242424242424242").unwrap();
        assert_eq!(card.last4(), "4242");
        let debug = format!("{card:?}");
        assert!(!debug.contains("424242424242"), "{debug}");
        assert!(debug.ends_with("4242)"), "{debug}");
    }

    #[test]
    fn cvc_length_follows_the_brand() {
        assert_eq!(CardBrand::Amex.cvc_length(), 4);
        assert_eq!(CardBrand::Visa.cvc_length(), 3);
    }

    #[test]
    fn spaces_digits_as_typed() {
        assert_eq!(format_as_typed("42424"), "4242 4");
        assert_eq!(
            format_as_typed("4242-4242-4242-4242"),
            "4242 4242 4242 4242"
        );
        assert_eq!(format_as_typed("378282246310005"), "3782 822463 10005");
        assert_eq!(format_as_typed("abc"), "");
        assert_eq!(
            format_as_typed("4242424242424242424299"),
            "4242 4242 4242 4242 424"
        );
    }

    #[test]
    fn luhn_matches_known_values() {
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("12a4"));
    }

    #[test]
    fn detects_brands_from_a_prefix() {
        assert_eq!(CardBrand::detect("4"), CardBrand::Visa);
        assert_eq!(CardBrand::detect("37"), CardBrand::Amex);
        assert_eq!(CardBrand::detect("2720"), CardBrand::Mastercard);
        assert_eq!(CardBrand::detect("2721"), CardBrand::Unknown);
        assert_eq!(CardBrand::detect(""), CardBrand::Unknown);
    }
}
