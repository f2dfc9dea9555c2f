//! The Connhex Pay dialect: `POST /checkout/session`, a JSON layer over Stripe's checkout
//! (seeds 001 and 002). It answers `201 {"url": …}`; with `expand` the session too, as Stripe's
//! `checkout.session` object. Errors are Stripe's envelope, naming the field in Stripe's bracket
//! form (`line_items[0][quantity]`). A mapping onto the Stripe dialect's, which maps onto the core.

use super::checkout_sessions::{
    CreateForm, DiscountForm, LineForm, SubscriptionData, session_object, to_draft,
};
use super::{StripeAuth, StripeError};
use crate::api::idempotency::Idempotency;
use crate::domain::session::SessionMode;
use crate::service::checkout;
use crate::state::AppState;
use crate::store::now_ms;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

/// The payment methods Connhex Pay documents.
const METHODS: [&str; 3] = ["card", "paypal", "customer_balance"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    allow_promotion_codes: Option<bool>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    currency: Option<String>,
    customer: Option<String>,
    #[serde(default)]
    discounts: Vec<CouponInput>,
    #[serde(default)]
    line_items: Vec<LineForm>,
    mode: Option<SessionMode>,
    payment_method_types: Option<Vec<String>>,
    subscription_data: Option<SubscriptionData>,
    #[serde(default)]
    expand: Vec<String>,
}

/// Connhex discounts name a coupon, nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouponInput {
    coupon: Option<String>,
}

/// What Connhex adds to Stripe's rules: a success URL and line items are required, the mode is
/// payment or subscription, one coupon at most, and three payment methods.
fn check(body: &SessionBody) -> Result<(), StripeError> {
    if body.success_url.as_deref().is_none_or(str::is_empty) {
        return Err(StripeError::invalid(
            "parameter_missing",
            "success_url",
            "Missing required param: success_url.",
        ));
    }
    if body.line_items.is_empty() {
        return Err(StripeError::invalid(
            "parameter_missing",
            "line_items",
            "Missing required param: line_items.",
        ));
    }
    if body.mode == Some(SessionMode::Setup) {
        return Err(StripeError::invalid(
            "parameter_invalid",
            "mode",
            "mode must be one of payment, subscription.",
        ));
    }
    if body.discounts.len() > 1 {
        return Err(StripeError::invalid(
            "parameter_invalid",
            "discounts",
            "Only one discount may be applied: discounts has at most one coupon.",
        ));
    }
    for (i, method) in body.payment_method_types.iter().flatten().enumerate() {
        if !METHODS.contains(&method.as_str()) {
            return Err(StripeError::invalid(
                "parameter_invalid",
                format!("payment_method_types[{i}]"),
                format!(
                    "`{method}` is not a payment method type here; use one of {}.",
                    METHODS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

pub async fn create(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    once: Idempotency,
    request: Request,
) -> Result<(StatusCode, Json<Value>), StripeError> {
    let body: SessionBody =
        crate::api::read_json(request, &state)
            .await
            .map_err(|(path, message)| {
                let unknown = message.starts_with("unknown field");
                StripeError::invalid(
                    if unknown {
                        "parameter_unknown"
                    } else {
                        "parameter_invalid"
                    },
                    bracketed(&path),
                    message,
                )
            })?;
    check(&body)?;
    let expand = !body.expand.is_empty();
    let form = CreateForm {
        mode: body.mode,
        line_items: body.line_items,
        success_url: body.success_url,
        cancel_url: body.cancel_url,
        currency: body.currency,
        customer: body.customer,
        customer_email: None,
        allow_promotion_codes: body.allow_promotion_codes,
        discounts: body
            .discounts
            .into_iter()
            .map(|d| DiscountForm {
                coupon: d.coupon,
                promotion_code: None,
            })
            .collect(),
        payment_method_types: body.payment_method_types,
        subscription_data: body.subscription_data,
        metadata: None,
        expires_at: None,
        client_reference_id: None,
        locale: None,
        billing_address_collection: None,
        shipping_address_collection: None,
        phone_number_collection: None,
        saved_payment_method_options: None,
        custom_fields: Vec::new(),
        consent_collection: None,
        tax_id_collection: None,
        expand: body.expand,
    };
    let now = now_ms();
    let mut draft = to_draft(form, now)?;
    draft.origin = crate::domain::session::Origin::Connhex;
    let session = checkout::create_session(&state.store, &principal, draft, now, once.claim())
        .await
        .map_err(StripeError::from_service)?;
    let url = state.checkout_url(&session.id);
    let answer = if expand {
        json!({ "url": url, "session": session_object(&state, &session, now) })
    } else {
        json!({ "url": url })
    };
    Ok((StatusCode::CREATED, Json(answer)))
}

/// A JSON path (`line_items[0].quantity`) in Stripe's bracket form (`line_items[0][quantity]`).
fn bracketed(path: &str) -> String {
    let mut parts = path.split('.');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        match part.split_once('[') {
            Some((name, index)) => {
                out.push_str(&format!("[{name}][{index}"));
            }
            None => out.push_str(&format!("[{part}]")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_paths_become_brackets() {
        assert_eq!(super::bracketed("mode"), "mode");
        assert_eq!(
            super::bracketed("line_items[0].quantity"),
            "line_items[0][quantity]"
        );
        assert_eq!(
            super::bracketed("line_items[1].adjustable_quantity.maximum"),
            "line_items[1][adjustable_quantity][maximum]"
        );
        assert_eq!(
            super::bracketed("subscription_data.trial_period_days"),
            "subscription_data[trial_period_days]"
        );
    }
}
