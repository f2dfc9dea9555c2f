//! What the dashboard's inputs check as the merchant types (with JavaScript): each runs the
//! domain's own check, the one the server runs on the same input when the form is posted, and
//! answers its message for that input, if any.
//!
//! URLs are left to the server: parsing them in the browser would bring the `url` crate and its
//! Unicode tables into the bundle every buyer's checkout page loads.

use crate::domain::account::{check_password, parse_color};
use crate::domain::catalog::{CouponDraft, TaxRateDraft, check_coupon, check_tax_rate};
use crate::domain::customer::parse_email;
use crate::domain::field::{Field, FieldError};

/// A check of one input's value: its error message, or `None`.
pub type Check = fn(&str) -> Option<String>;

/// The message for `field` among a whole form's errors.
fn message_for<T>(result: Result<T, Vec<FieldError>>, field: Field) -> Option<String> {
    result
        .err()?
        .into_iter()
        .find(|e| e.field == field)
        .map(|e| e.message)
}

pub fn email(value: &str) -> Option<String> {
    parse_email(value).err().map(|e| e.to_string())
}

pub fn new_password(value: &str) -> Option<String> {
    check_password(value).err().map(|e| e.message)
}

pub fn accent_color(value: &str) -> Option<String> {
    parse_color(value).err().map(|e| e.message)
}

pub fn promotion_code(value: &str) -> Option<String> {
    let draft = CouponDraft {
        code: Some(value.to_owned()),
        ..CouponDraft::default()
    };
    message_for(check_coupon(&draft), Field::CouponCode)
}

pub fn percent(value: &str) -> Option<String> {
    let draft = CouponDraft {
        percent_off: Some(value.to_owned()),
        ..CouponDraft::default()
    };
    message_for(check_coupon(&draft), Field::CouponValue)
}

pub fn tax_percentage(value: &str) -> Option<String> {
    let draft = TaxRateDraft {
        percentage: Some(value.to_owned()),
        ..TaxRateDraft::default()
    };
    message_for(check_tax_rate(&draft), Field::TaxRatePercentage)
}

pub fn country(value: &str) -> Option<String> {
    let draft = TaxRateDraft {
        country: Some(value.to_owned()),
        ..TaxRateDraft::default()
    };
    message_for(check_tax_rate(&draft), Field::TaxRateCountry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_answers_the_domains_message_for_its_input_only() {
        assert_eq!(email("ada@example.com"), None);
        assert!(email("ada@").is_some());
        assert!(new_password("short").unwrap().contains("at least 10"));
        assert_eq!(new_password("long enough pass"), None);
        assert_eq!(accent_color("#1D4ED8"), None);
        assert!(accent_color("blue").is_some());
        // a code alone: the missing percentage is another input's business
        assert_eq!(promotion_code("SPRING20"), None);
        assert!(promotion_code("a b").is_some());
        assert_eq!(percent("20"), None);
        assert!(percent("120").is_some());
    }
}
