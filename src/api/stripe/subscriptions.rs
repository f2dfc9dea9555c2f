//! `GET /v1/subscriptions/{id}`: a subscription a checkout started, as Stripe's `subscription`
//! object with its `items`.

use super::{StripeAuth, StripeError};
use crate::service::ServiceError;
use crate::service::subscriptions::{self, Subscription};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

pub async fn retrieve(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    let subscription = subscriptions::get_subscription(&state.store, &principal, &id)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => StripeError::no_such("subscription", &id, "id"),
            other => StripeError::from_service(other),
        })?;
    Ok(Json(subscription_object(&subscription)))
}

/// Epoch milliseconds as Stripe's epoch seconds.
fn seconds(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn subscription_object(s: &Subscription) -> Value {
    let r = &s.record;
    let period_start = r.current_period_start.map(seconds);
    let period_end = r.current_period_end.map(seconds);
    let items: Vec<Value> = s
        .items
        .iter()
        .map(|(item, price)| {
            json!({
                "id": item.id,
                "object": "subscription_item",
                "created": seconds(item.created_at),
                "current_period_start": period_start,
                "current_period_end": period_end,
                "discounts": [],
                "metadata": {},
                "price": {
                    "id": price.id,
                    "object": "price",
                    "active": price.active,
                    "billing_scheme": "per_unit",
                    "created": seconds(price.created_at),
                    "currency": item.currency,
                    "livemode": price.livemode,
                    "lookup_key": price.slug,
                    "metadata": {},
                    "nickname": price.name,
                    "product": price.product_id,
                    "recurring": price.interval_unit.as_ref().map(|interval| json!({
                        "interval": interval,
                        "interval_count": price.interval_count.unwrap_or(1),
                        "usage_type": "licensed",
                        "trial_period_days": price.trial_period_days,
                    })),
                    "type": "recurring",
                    "unit_amount": item.unit_amount,
                    "unit_amount_decimal": item.unit_amount.to_string(),
                },
                "quantity": item.quantity,
                "subscription": r.id,
                "tax_rates": [],
            })
        })
        .collect();
    json!({
        "id": r.id,
        "object": "subscription",
        "billing_cycle_anchor": r.billing_cycle_anchor.map(seconds),
        "cancel_at": null,
        "cancel_at_period_end": false,
        "canceled_at": r.canceled_at.map(seconds),
        "collection_method": "charge_automatically",
        "created": seconds(r.created_at),
        "currency": s.items.first().map(|(item, _)| item.currency.clone()),
        "current_period_start": period_start,
        "current_period_end": period_end,
        "customer": r.customer_id,
        "default_payment_method": r.default_payment_method_id,
        "description": null,
        "discounts": [],
        "ended_at": r.canceled_at.map(seconds),
        "items": {
            "object": "list",
            "data": items,
            "has_more": false,
            "total_count": s.items.len(),
            "url": format!("/v1/subscription_items?subscription={}", r.id),
        },
        "latest_invoice": null,
        "livemode": r.livemode,
        "metadata": {},
        "start_date": seconds(r.created_at),
        "status": r.status,
        "test_clock": null,
        "trial_end": r.trial_end.map(seconds),
        "trial_start": r.trial_end.map(|_| seconds(r.created_at)),
    })
}
