//! kassa's API for what happens after the checkout: test clocks (`GET /api/test_clock`,
//! `POST /api/test_clock/advance`), a subscription's invoices with their lines
//! (`GET /api/subscriptions/{id}/invoices`), and what becomes of a subscription whose every
//! renewal retry failed (`renewal_failure_action` on `POST /api/organization`).

use super::checkout::service_error;
use super::error::Envelope as Error;
use super::objects::{Invoice, InvoiceList, Organization, PortalLink, TestClock};
use super::{ApiError, Authenticated, JsonBody};
use crate::service::renewals;
use crate::state::AppState;
use crate::store::now_ms;
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

/// Retrieve the test clock
///
/// The time the organization's test mode runs at: renewals, trials and retries in test mode
/// fall due by it.
#[utoipa::path(get, path = "/api/test_clock", tag = "Test clock",
    responses((status = 200, description = "The test clock", body = TestClock),
        (status = 409, description = "A live-mode key: test clocks are test mode's alone", body = Error)))]
pub async fn show_clock(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<TestClock>, ApiError> {
    let clock = renewals::test_clock(&state.store, &principal, now_ms())
        .await
        .map_err(service_error)?;
    Ok(Json(TestClock::from(clock)))
}

/// Where to move the test clock.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdvanceTestClock)]
pub struct AdvanceBody {
    /// Unix seconds, later than the clock's time.
    frozen_time: i64,
}

/// Advance the test clock
///
/// Moves the organization's test clock forward and does the renewal work that makes due before
/// answering (`status: advancing` when some is still running). Test mode only.
#[utoipa::path(post, path = "/api/test_clock/advance", tag = "Test clock",
    request_body = AdvanceBody,
    responses((status = 200, description = "The test clock", body = TestClock),
        (status = 409, description = "A live-mode key (test clocks are test mode's alone), or a \
time earlier than the clock's", body = Error)))]
pub async fn advance_clock(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(body): JsonBody<AdvanceBody>,
) -> Result<Json<TestClock>, ApiError> {
    let to = body.frozen_time.saturating_mul(1000);
    let clock =
        renewals::advance_test_clock(&state.store, &state.processors, &principal, to, now_ms())
            .await
            .map_err(service_error)?;
    Ok(Json(TestClock::from(clock)))
}

/// List a subscription's invoices
///
/// Every invoice of a subscription, oldest first, with its lines.
#[utoipa::path(get, path = "/api/subscriptions/{id}/invoices", tag = "Subscriptions",
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 200, description = "The subscription's invoices", body = InvoiceList)))]
pub async fn subscription_invoices(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<InvoiceList>, ApiError> {
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
        data.push(Invoice::new(&invoice, &lines));
    }
    Ok(Json(InvoiceList {
        object: "list",
        data,
    }))
}

/// Settings of the organization to change.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateOrganization)]
pub struct OrganizationChanges {
    /// `cancel` or `unpaid`.
    renewal_failure_action: Option<String>,
}

/// Update the organization
///
/// Changes the organization's settings (for now, what becomes of a subscription whose every
/// renewal retry failed: `cancel` or `unpaid`).
#[utoipa::path(post, path = "/api/organization", tag = "Organization",
    request_body = OrganizationChanges,
    responses((status = 200, description = "The organization", body = Organization)))]
pub async fn update_organization(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(changes): JsonBody<OrganizationChanges>,
) -> Result<Json<Organization>, ApiError> {
    if let Some(action) = &changes.renewal_failure_action {
        renewals::set_renewal_failure_action(&state.store, &principal.organization_id, action)
            .await
            .map_err(service_error)?;
    }
    super::organization::show(State(state), Authenticated(principal)).await
}

/// Create a customer portal link
///
/// A signed link to the customer's own page (subscriptions, card, invoices), valid for a day;
/// the same page every receipt links to.
#[utoipa::path(post, path = "/api/customers/{id}/portal", tag = "Customers",
    params(("id" = String, Path, description = "The customer's id (`cus_…`)")),
    responses((status = 201, description = "The link", body = PortalLink)))]
pub async fn portal_link(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<(axum::http::StatusCode, Json<PortalLink>), ApiError> {
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
        Json(PortalLink {
            object: "portal_link",
            customer: customer.id,
            url,
            expires_at: expires_at / 1000 * 1000,
        }),
    ))
}
