//! Tax rates through kassa's own API: `POST`/`GET /api/tax-rates`, `GET /api/tax-rates/{id}` and
//! `POST /api/tax-rates/{id}` (rename, archive, reactivate). A rate applies by the buyer's country
//! to checkouts made while it is active.

use super::checkout::service_error;
use super::objects::{List, TaxRateObject};
use super::pagination::{self, ListQuery};
use super::{ApiError, ApiQuery, Authenticated, JsonBody};
use crate::domain::catalog::TaxRateDraft;
use crate::service::tax_rates::{self, TaxRateUpdate};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// A percentage as a JSON number (`19.5`) or a decimal string (`"19.5"`); at most four decimals.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Percentage {
    #[schema(value_type = f64)]
    Number(serde_json::Number),
    Text(String),
}

impl Percentage {
    fn text(self) -> String {
        match self {
            Percentage::Number(n) => n.to_string(),
            Percentage::Text(t) => t,
        }
    }
}

/// A tax rate to create.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateTaxRate, example = json!({
    "display_name": "VAT", "percentage": "19", "inclusive": true, "country": "DE", "tax_type": "vat"
}))]
pub struct CreateBody {
    /// What buyers see beside the tax: at most 50 characters.
    #[schema(required = true)]
    display_name: Option<String>,
    /// From 0 to 100, at most four decimals.
    #[schema(required = true)]
    percentage: Option<Percentage>,
    /// True when prices already contain the tax; false when it is added on top.
    #[schema(required = true)]
    inclusive: Option<bool>,
    /// ISO 3166-1 alpha-2; leave it out for a rate that applies everywhere without one of its own.
    country: Option<String>,
    description: Option<String>,
    jurisdiction: Option<String>,
    /// One of amusement_tax, communications_tax, gst, hst, igst, jct, lease_tax, pst, qst,
    /// retail_delivery_fee, rst, sales_tax, service_tax, vat.
    tax_type: Option<String>,
    /// Create it archived (`false`); active when left out.
    active: Option<bool>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// Create a tax rate
#[utoipa::path(post, path = "/api/tax-rates", tag = "Tax rates",
    request_body = CreateBody,
    responses((status = 201, description = "The tax rate", body = TaxRateObject)))]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<(StatusCode, Json<TaxRateObject>), ApiError> {
    let draft = TaxRateDraft {
        display_name: body.display_name,
        percentage: body.percentage.map(Percentage::text),
        inclusive: body.inclusive,
        country: body.country,
        description: body.description,
        jurisdiction: body.jurisdiction,
        tax_type: body.tax_type,
    };
    let rate =
        tax_rates::create_tax_rate(&state.store, &principal, &draft, body.active, body.metadata)
            .await
            .map_err(service_error)?;
    Ok((StatusCode::CREATED, Json(TaxRateObject::from(&rate))))
}

/// List tax rates
///
/// The organization's tax rates in the key's mode, active and archived, newest first.
#[utoipa::path(get, path = "/api/tax-rates", tag = "Tax rates", params(ListQuery),
    responses((status = 200, description = "A page of tax rates", body = List<TaxRateObject>)))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<List<TaxRateObject>>, ApiError> {
    let page = state
        .store
        .tax_rates_page(
            &principal.organization_id,
            principal.mode.is_live(),
            None,
            &query.page()?,
        )
        .await?;
    Ok(Json(pagination::list(
        page,
        |r| (r.created_at, &r.id),
        |r| TaxRateObject::from(r),
    )))
}

/// Retrieve a tax rate
#[utoipa::path(get, path = "/api/tax-rates/{id}", tag = "Tax rates",
    params(("id" = String, Path, description = "The tax rate's id (`txr_…`)")),
    responses((status = 200, description = "The tax rate", body = TaxRateObject)))]
pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<TaxRateObject>, ApiError> {
    let rate = state
        .store
        .tax_rate(&principal.organization_id, principal.mode.is_live(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("tax rate"))?;
    Ok(Json(TaxRateObject::from(&rate)))
}

/// What may change of a tax rate. Its percentage, inclusiveness and country never change:
/// archive it and create another.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateTaxRate, example = json!({ "active": false }))]
pub struct UpdateBody {
    /// `false` archives it: checkouts made from then on no longer apply it, those made before
    /// still do. `true` puts it back in effect for checkouts made from then on.
    active: Option<bool>,
    display_name: Option<String>,
    /// An empty string clears it.
    description: Option<String>,
    /// An empty string clears it.
    jurisdiction: Option<String>,
    /// An empty string clears it.
    tax_type: Option<String>,
    /// Replaces the metadata whole.
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
}

/// Update a tax rate
#[utoipa::path(post, path = "/api/tax-rates/{id}", tag = "Tax rates",
    params(("id" = String, Path, description = "The tax rate's id (`txr_…`)")),
    request_body = UpdateBody,
    responses((status = 200, description = "The tax rate", body = TaxRateObject)))]
pub async fn update(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<UpdateBody>,
) -> Result<Json<TaxRateObject>, ApiError> {
    let update = TaxRateUpdate {
        active: body.active,
        display_name: body.display_name,
        description: body.description,
        jurisdiction: body.jurisdiction,
        tax_type: body.tax_type,
        metadata: body.metadata,
    };
    let rate = tax_rates::update_tax_rate(&state.store, &principal, &id, update)
        .await
        .map_err(service_error)?;
    Ok(Json(TaxRateObject::from(&rate)))
}
