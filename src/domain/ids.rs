//! Identifier prefixes: an id says what it names (`prod_…`, `cs_test_…`). The random part is made
//! on the server (`service::ids`); these are the names both sides agree on.

use super::Mode;

pub const ORGANIZATION: &str = "org";
pub const API_KEY: &str = "key";
pub const USER: &str = "user";
pub const PRICING_MODEL: &str = "pricing_model";
pub const PRODUCT: &str = "prod";
pub const PRICE: &str = "price";
pub const CUSTOMER: &str = "cus";
pub const COUPON: &str = "coupon";
pub const PROMOTION_CODE: &str = "promo";
pub const TAX_RATE: &str = "txr";
pub const PLAN: &str = "plan";
pub const BUSINESS_ENTITY: &str = "be";
pub const SUBSCRIPTION: &str = "sub";
pub const SUBSCRIPTION_ITEM: &str = "si";
pub const REFUND: &str = "re";
pub const EVENT: &str = "evt";
pub const WEBHOOK_ENDPOINT: &str = "we";
pub const WEBHOOK_DELIVERY: &str = "whd";
pub const WEBHOOK_ATTEMPT: &str = "wha";

/// Checkout sessions carry their mode in the id, as Stripe's do: `cs_test_…`, `cs_live_…`.
pub fn checkout_session(mode: Mode) -> &'static str {
    match mode {
        Mode::Test => "cs_test",
        Mode::Live => "cs_live",
    }
}

/// Whether `id` looks like a checkout session id (any mode). Cheap pre-check before a lookup.
pub fn is_checkout_session_id(id: &str) -> bool {
    let rest = id
        .strip_prefix("cs_test_")
        .or_else(|| id.strip_prefix("cs_live_"));
    rest.is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_are_recognised_by_shape() {
        assert!(is_checkout_session_id("cs_test_abc123"));
        assert!(is_checkout_session_id("cs_live_ABC"));
        assert!(!is_checkout_session_id("cs_test_"));
        assert!(!is_checkout_session_id("cs_prod_abc"));
        assert!(!is_checkout_session_id("cs_test_a/b"));
        assert_eq!(checkout_session(Mode::Live), "cs_live");
    }
}
