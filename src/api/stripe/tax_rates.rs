//! `/v1/tax_rates`: create, retrieve, update and list, in Stripe's shapes. kassa applies a rate
//! by the buyer's country to checkouts made while it is active (`service::tax_rates`).

use super::checkout_sessions::limit_of;
use super::{Form, StripeAuth, StripeError};
use crate::domain::catalog::TaxRateDraft;
use crate::service::ServiceError;
use crate::service::tax_rates::{TaxRateUpdate, create_tax_rate, update_tax_rate};
use crate::state::AppState;
use crate::store::{Cursor, PageRequest, TaxRateRecord};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateForm {
    display_name: Option<String>,
    percentage: Option<String>,
    inclusive: Option<bool>,
    active: Option<bool>,
    country: Option<String>,
    description: Option<String>,
    jurisdiction: Option<String>,
    tax_type: Option<String>,
    metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted, and nothing to expand")]
    expand: Vec<String>,
}

pub async fn create(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Form(form): Form<CreateForm>,
) -> Result<Json<Value>, StripeError> {
    let draft = TaxRateDraft {
        display_name: form.display_name,
        percentage: form.percentage,
        inclusive: form.inclusive,
        country: form.country,
        description: form.description,
        jurisdiction: form.jurisdiction,
        tax_type: form.tax_type,
    };
    let metadata = form
        .metadata
        .map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, Value::String(v))).collect()));
    let rate = create_tax_rate(&state.store, &principal, &draft, form.active, metadata)
        .await
        .map_err(StripeError::from_service)?;
    Ok(Json(tax_rate_object(&rate)))
}

pub async fn retrieve(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    Ok(Json(tax_rate_object(
        &find(&state, &principal, &id, "id").await?,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateForm {
    active: Option<bool>,
    display_name: Option<String>,
    description: Option<String>,
    jurisdiction: Option<String>,
    tax_type: Option<String>,
    /// Merged into the rate's metadata; a key set to the empty string is removed.
    metadata: Option<BTreeMap<String, String>>,
    /// Refused with a reason: sessions already priced with the rate rely on its country.
    country: Option<String>,
    #[serde(default)]
    #[allow(dead_code, reason = "accepted, and nothing to expand")]
    expand: Vec<String>,
}

pub async fn update(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Path(id): Path<String>,
    Form(form): Form<UpdateForm>,
) -> Result<Json<Value>, StripeError> {
    if form.country.is_some() {
        return Err(StripeError::invalid(
            "parameter_invalid",
            "country",
            "kassa does not change a tax rate's country: checkouts already priced with it rely on \
             it. Archive this rate (active=false) and create one for the other country.",
        ));
    }
    let metadata = match form.metadata {
        None => None,
        Some(changes) => {
            let mut merged = find(&state, &principal, &id, "id").await?.metadata();
            for (key, value) in changes {
                if value.is_empty() {
                    merged.remove(&key);
                } else {
                    merged.insert(key, Value::String(value));
                }
            }
            Some(Value::Object(merged))
        }
    };
    let update = TaxRateUpdate {
        active: form.active,
        display_name: form.display_name,
        description: form.description,
        jurisdiction: form.jurisdiction,
        tax_type: form.tax_type,
        metadata,
    };
    let rate = update_tax_rate(&state.store, &principal, &id, update)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => StripeError::no_such("tax_rate", &id, "id"),
            other => StripeError::from_service(other),
        })?;
    Ok(Json(tax_rate_object(&rate)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    active: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<Value>, StripeError> {
    let limit = limit_of(query.limit.as_deref())?;
    let active = match query.active.as_deref() {
        None | Some("") => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(StripeError::invalid(
                "parameter_invalid",
                "active",
                format!("Invalid boolean: {other}"),
            ));
        }
    };
    let after = match query.starting_after.filter(|s| !s.is_empty()) {
        Some(id) => {
            let from = find(&state, &principal, &id, "starting_after").await?;
            Some(Cursor {
                created_at: from.created_at,
                id: from.id,
            })
        }
        None => None,
    };
    let page = state
        .store
        .tax_rates_page(
            &principal.organization_id,
            principal.mode.is_live(),
            active,
            &PageRequest { limit, after },
        )
        .await
        .map_err(|e| StripeError::from_service(e.into()))?;
    Ok(Json(json!({
        "object": "list",
        "data": page.items.iter().map(tax_rate_object).collect::<Vec<_>>(),
        "has_more": page.has_more,
        "url": "/v1/tax_rates",
    })))
}

async fn find(
    state: &AppState,
    principal: &crate::service::api_keys::Principal,
    id: &str,
    param: &str,
) -> Result<TaxRateRecord, StripeError> {
    state
        .store
        .tax_rate(&principal.organization_id, principal.mode.is_live(), id)
        .await
        .map_err(|e| StripeError::from_service(e.into()))?
        .ok_or_else(|| StripeError::no_such("tax_rate", id, param))
}

/// A rate as Stripe's `tax_rate` object.
fn tax_rate_object(r: &TaxRateRecord) -> Value {
    // Stripe writes the percentage as a JSON number; kassa keeps it exact and prints it so.
    let percentage: Value = r
        .rate()
        .percent_string()
        .parse::<serde_json::Number>()
        .map(Value::Number)
        .unwrap_or(Value::Null);
    json!({
        "id": r.id,
        "object": "tax_rate",
        "active": r.active,
        "country": r.country,
        "created": r.created_at.div_euclid(1000),
        "description": r.description,
        "display_name": r.display_name,
        "effective_percentage": percentage,
        "flat_amount": null,
        "inclusive": r.inclusive,
        "jurisdiction": r.jurisdiction,
        "jurisdiction_level": null,
        "livemode": r.livemode,
        "metadata": r.metadata(),
        "percentage": percentage,
        "rate_type": "percentage",
        "state": null,
        "tax_type": r.tax_type,
    })
}
