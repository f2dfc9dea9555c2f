//! kassa's API for what happens after the checkout: test clocks (`GET /api/test_clock`,
//! `POST /api/test_clock/advance`), a subscription's invoices with their lines
//! (`GET /api/subscriptions/{id}/invoices`), and what becomes of a subscription whose every
//! renewal retry failed (`renewal_failure_action` on `POST /api/organization`).

use super::checkout::service_error;
use super::{ApiError, Authenticated, JsonBody};
use crate::service::renewals::{self, TestClock};
use crate::state::AppState;
use crate::store::{InvoiceLineRecord, InvoiceRecord, now_ms};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

fn clock_body(clock: TestClock) -> Value {
    json!({
        "object": "test_clock",
        "frozen_time": clock.now / 1000,
        "status": if clock.ready { "ready" } else { "advancing" },
    })
}

/// `GET /api/test_clock`: the time the organization's test mode runs at.
pub async fn show_clock(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let clock = renewals::test_clock(&state.store, &principal, now_ms())
        .await
        .map_err(service_error)?;
    Ok(Json(clock_body(clock)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceBody {
    /// Unix seconds, later than the clock's time.
    frozen_time: i64,
}

/// `POST /api/test_clock/advance`: moves the organization's test clock forward and does the
/// renewal work that makes due before answering (`status: advancing` when some is still running).
pub async fn advance_clock(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(body): JsonBody<AdvanceBody>,
) -> Result<Json<Value>, ApiError> {
    let to = body.frozen_time.saturating_mul(1000);
    let clock =
        renewals::advance_test_clock(&state.store, &state.processors, &principal, to, now_ms())
            .await
            .map_err(service_error)?;
    Ok(Json(clock_body(clock)))
}

/// `GET /api/subscriptions/{id}/invoices`: every invoice of a subscription, oldest first, with
/// its lines.
pub async fn subscription_invoices(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let subscription =
        crate::service::subscriptions::get_subscription(&state.store, &principal, &id)
            .await
            .map_err(service_error)?;
    let r = &subscription.record;
    let mut data = Vec::new();
    for invoice in state
        .store
        .invoices_of_subscription(&r.organization_id, r.livemode, &r.id)
        .await?
    {
        let lines = state.store.invoice_lines(&invoice.id).await?;
        data.push(invoice_body(&invoice, &lines));
    }
    Ok(Json(json!({ "object": "list", "data": data })))
}

/// An invoice in kassa's API (times in milliseconds, as everywhere in it).
pub fn invoice_body(invoice: &InvoiceRecord, lines: &[InvoiceLineRecord]) -> Value {
    json!({
        "id": invoice.id,
        "object": "invoice",
        "number": invoice.invoice_number,
        "customer": invoice.customer_id,
        "subscription": invoice.subscription_id,
        "checkout_session": invoice.session_id,
        "status": invoice.status,
        "currency": invoice.currency,
        "subtotal": invoice.subtotal,
        "discount": invoice.discount,
        "tax": invoice.tax_amount,
        "total": invoice.total,
        "period_start": invoice.period_start,
        "period_end": invoice.period_end,
        "created_at": invoice.created_at,
        "lines": lines.iter().map(|l| json!({
            "price": l.price_id,
            "description": l.description,
            "quantity": l.quantity,
            "unit_amount": l.unit_amount,
            "amount": l.amount,
            "currency": l.currency,
        })).collect::<Vec<_>>(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationChanges {
    renewal_failure_action: Option<String>,
}

/// `POST /api/organization`: changes the organization's settings (for now, what becomes of a
/// subscription whose every renewal retry failed: `cancel` or `unpaid`).
pub async fn update_organization(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(changes): JsonBody<OrganizationChanges>,
) -> Result<Json<super::organization::OrganizationBody>, ApiError> {
    if let Some(action) = &changes.renewal_failure_action {
        renewals::set_renewal_failure_action(&state.store, &principal.organization_id, action)
            .await
            .map_err(service_error)?;
    }
    super::organization::show(State(state), Authenticated(principal)).await
}

/// `POST /api/customers/{id}/portal`: a signed link to the customer's own page (subscriptions,
/// card, invoices), valid for a day; the same page every receipt links to.
pub async fn portal_link(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<(axum::http::StatusCode, Json<Value>), ApiError> {
    let customer = state
        .store
        .customer(&principal.organization_id, principal.mode.is_live(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("customer"))?;
    let expires_at = now_ms() + crate::service::portal::API_LINK_MS;
    let url = crate::service::portal::link(&state.store, &state.public_base, &customer, expires_at)
        .await
        .map_err(service_error)?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({
            "object": "portal_link",
            "customer": customer.id,
            "url": url,
            "expires_at": expires_at / 1000 * 1000,
        })),
    ))
}
