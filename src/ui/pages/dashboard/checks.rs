//! What the dashboard's inputs check as the merchant types (with JavaScript): each runs the
//! domain's own check, the one the server runs on the same input when the form is posted, and
//! answers its message for that input, if any.

use crate::domain::account::{BrandingDraft, check_branding, check_password, parse_color};
use crate::domain::catalog::{CouponDraft, check_coupon};
use crate::domain::customer::parse_email;
use crate::domain::field::{Field, FieldError};
use crate::domain::redirect_url::check_redirect_url;

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

pub fn redirect_url(value: &str) -> Option<String> {
    check_redirect_url(value)
        .err()
        .map(|e| format!("The address {e}."))
}

pub fn accent_color(value: &str) -> Option<String> {
    parse_color(value).err().map(|e| e.message)
}

pub fn logo_url(value: &str) -> Option<String> {
    let draft = BrandingDraft {
        logo_url: Some(value.to_owned()),
        ..BrandingDraft::default()
    };
    message_for(check_branding(draft), Field::LogoUrl)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_answers_the_domains_message_for_its_input_only() {
        assert_eq!(email("ada@example.com"), None);
        assert!(email("ada@").is_some());
        assert!(new_password("short").unwrap().contains("at least 10"));
        assert_eq!(new_password("long enough pass"), None);
        assert_eq!(redirect_url("https://shop.example/thanks"), None);
        assert_eq!(
            redirect_url("shop.example").as_deref(),
            Some("The address must be a fully qualified URL such as https://example.com/thanks.")
        );
        assert_eq!(accent_color("#1D4ED8"), None);
        assert!(accent_color("blue").is_some());
        assert!(logo_url("http://cdn.example/logo.png").is_some());
        assert_eq!(logo_url("https://cdn.example/logo.png"), None);
        // a code alone: the missing percentage is another input's business
        assert_eq!(promotion_code("SPRING20"), None);
        assert!(promotion_code("a b").is_some());
        assert_eq!(percent("20"), None);
        assert!(percent("120").is_some());
    }
}
