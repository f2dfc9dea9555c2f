//! `POST /v1/refunds` and `GET /v1/refunds/{id}`: refunds in Stripe's shape. A checkout's
//! payment is named as Stripe names it, by the session's `payment_intent` (kassa's payment id);
//! the refund is kassa's, made through whatever processor took the payment.

use super::{Form, StripeAuth, StripeError};
use crate::domain::field::FieldError;
use crate::service::ServiceError;
use crate::service::payment::refunds::refund_payment;
use crate::state::AppState;
use crate::store::{RefundRecord, now_ms};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Stripe's reasons for a refund.
const REASONS: [&str; 3] = ["duplicate", "fraudulent", "requested_by_customer"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateForm {
    payment_intent: Option<String>,
    /// Stripe's charge id; kassa's payment id is both.
    charge: Option<String>,
    amount: Option<String>,
    reason: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

pub async fn create(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Form(form): Form<CreateForm>,
) -> Result<Json<Value>, StripeError> {
    let payment = match (form.payment_intent, form.charge) {
        (Some(_), Some(_)) => {
            return Err(StripeError::invalid(
                "parameters_exclusive",
                "charge",
                "You may only specify one of these parameters: charge, payment_intent.",
            ));
        }
        (Some(id), None) | (None, Some(id)) if !id.is_empty() => id,
        _ => {
            return Err(StripeError::invalid(
                "parameter_missing",
                "payment_intent",
                "One of the following params should be provided for this request: payment_intent or charge.",
            ));
        }
    };
    let amount = match form.amount.as_deref() {
        None => None,
        Some(text) => Some(text.parse::<i64>().map_err(|_| {
            StripeError::invalid(
                "parameter_invalid_integer",
                "amount",
                format!("Invalid integer: {text}"),
            )
        })?),
    };
    if let Some(reason) = form.reason.as_deref()
        && !REASONS.contains(&reason)
    {
        return Err(StripeError::invalid(
            "parameter_invalid",
            "reason",
            format!("Invalid reason: must be one of {}", REASONS.join(", ")),
        ));
    }
    if form.metadata.len() > 50 {
        return Err(StripeError::invalid(
            "parameter_invalid",
            "metadata",
            "Metadata can have at most 50 keys.",
        ));
    }
    let refunded = refund_payment(
        &state.store,
        &state.processors,
        &principal,
        &payment,
        amount,
        form.reason.as_deref(),
        now_ms(),
    )
    .await
    .map_err(|error| match error {
        ServiceError::NotFound(_) => {
            StripeError::no_such("payment_intent", &payment, "payment_intent")
        }
        ServiceError::Conflict(FieldError { code, message, .. })
            if code == "charge_already_refunded" || code == "payment_not_refundable" =>
        {
            StripeError::invalid("charge_already_refunded", "payment_intent", message)
        }
        other => StripeError::from_service(other),
    })?;
    Ok(Json(refund_object(&refunded.refund)))
}

pub async fn retrieve(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    let refund = state
        .store
        .refund_of(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(|e| StripeError::from_service(e.into()))?
        .ok_or_else(|| StripeError::no_such("refund", &id, "id"))?;
    Ok(Json(refund_object(&refund)))
}

/// A refund as Stripe's `refund` object.
fn refund_object(r: &RefundRecord) -> Value {
    json!({
        "id": r.id,
        "object": "refund",
        "amount": r.amount,
        "balance_transaction": null,
        "charge": r.payment_id,
        "created": r.created_at.div_euclid(1000),
        "currency": r.currency,
        "destination_details": null,
        "metadata": {},
        "payment_intent": r.payment_id,
        "reason": r.reason,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": r.status,
        "transfer_reversal": null,
    })
}
