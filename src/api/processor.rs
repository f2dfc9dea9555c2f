//! What payment processors send kassa, and where they send buyers back to:
//!
//! - `GET /checkout/{id}/return`: the buyer comes back from a step the processor ran on its own
//!   page (Stripe's 3-D Secure). kassa asks the processor how it ended and sends the buyer on, to
//!   the merchant's success page or back to the checkout, which shows why.
//! - `POST /api/stripe/events/{organization_id}`: Stripe's events for an organization, signed with
//!   the secret of the webhook endpoint the organization made in Stripe (`Stripe-Signature`).
//!   A verified event about a charge makes its attempt due; kassa then asks Stripe itself.

use super::ApiError;
use crate::payments::stripe::verify_signature;
use crate::service::ServiceError;
use crate::service::payment::{ConfirmOutcome, complete_action, notified};
use crate::state::AppState;
use crate::store::now_ms;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;

/// How far a signed event's time may be from kassa's: Stripe's libraries' default.
const SIGNATURE_TOLERANCE_S: i64 = 300;

/// `GET /checkout/{id}/return`.
pub async fn returned(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let page = state.checkout_url(&id);
    if !crate::domain::ids::is_checkout_session_id(&id) {
        return Redirect::to(&page).into_response();
    }
    let outcome = complete_action(
        &state.store,
        &state.processors,
        &state.public_base,
        &id,
        true,
        now_ms(),
    )
    .await;
    let next = match outcome {
        Ok(
            ConfirmOutcome::Succeeded { next_url }
            | ConfirmOutcome::Processing { next_url }
            | ConfirmOutcome::Checking { next_url }
            | ConfirmOutcome::RequiresAction { next_url },
        ) => next_url,
        // Declined, closed, busy: the checkout page says which.
        Ok(_) | Err(ServiceError::NotFound(_)) => page,
        Err(error) => {
            tracing::error!(%error, session = %id, "finishing a payment after the processor's step failed");
            page
        }
    };
    Redirect::to(&next).into_response()
}

#[derive(Deserialize)]
struct Event {
    #[serde(rename = "type")]
    kind: String,
    livemode: bool,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: EventObject,
}

#[derive(Deserialize)]
struct EventObject {
    id: String,
}

/// `POST /api/stripe/events/{organization_id}`.
pub async fn stripe_events(
    State(state): State<AppState>,
    Path(organization_id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let refused =
        |why: &str| ApiError::new(StatusCode::BAD_REQUEST, "signature_invalid", why.to_owned());
    let Some(signature) = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return Err(refused("The Stripe-Signature header is missing."));
    };
    let now = now_ms();
    // The event is trusted only once it verifies with one of the organization's endpoint secrets;
    // which one says the mode it is of.
    let mut verified = None;
    for livemode in [false, true] {
        let account = state
            .processors
            .stripe_account(&state.store, &organization_id, livemode)
            .await
            .map_err(ApiError::internal)?;
        if let Some(account) = account
            && verify_signature(
                &body,
                signature,
                account.webhook_secret.expose(),
                now / 1000,
                SIGNATURE_TOLERANCE_S,
            )
            .is_ok()
        {
            verified = Some(livemode);
            break;
        }
    }
    let Some(livemode) = verified else {
        tracing::warn!(organization = %organization_id, "refused a Stripe event whose signature does not verify");
        return Err(refused(
            "The signature does not verify with this organization's Stripe webhook secret.",
        ));
    };
    let event: Event = serde_json::from_slice(&body)
        .map_err(|e| ApiError::invalid("body", format!("This is not a Stripe event: {e}")))?;
    if event.livemode != livemode {
        return Err(refused(
            "The event is of the other mode than the secret that signed it.",
        ));
    }
    // Events that a charge moved on (not those that it now waits, as `requires_action`).
    let moved_on = matches!(
        event.kind.as_str(),
        "payment_intent.succeeded"
            | "payment_intent.payment_failed"
            | "payment_intent.processing"
            | "payment_intent.canceled"
            | "setup_intent.succeeded"
            | "setup_intent.setup_failed"
            | "setup_intent.canceled"
    );
    if moved_on {
        notified::charge_changed(&state.store, &organization_id, &event.data.object.id, now)
            .await
            .map_err(ApiError::internal)?;
    }
    Ok(Json(json!({ "received": true })))
}
