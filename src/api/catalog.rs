//! Business entities and plans through kassa's own API (JSON, snake_case, epoch milliseconds):
//! `POST`/`GET /api/business-entities`, `GET /api/business-entities/{id}`, `POST`/`GET /api/plans`,
//! `GET /api/plans/{id}`. Zenskar-style checkouts name them.

use super::checkout::service_error;
use super::{ApiError, Authenticated, JsonBody};
use crate::domain::catalog::{BusinessEntityDraft, Plan};
use crate::service::catalog::{self, PlanDraft};
use crate::state::AppState;
use crate::store::{BusinessEntityRecord, PageRequest};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

fn entity_json(e: &BusinessEntityRecord) -> Value {
    json!({
        "id": e.id, "object": "business_entity", "livemode": e.livemode, "name": e.name,
        "legal_name": e.legal_name, "country": e.country,
        "created_at": e.created_at, "updated_at": e.updated_at,
    })
}

pub fn plan_json(p: &Plan) -> Value {
    json!({
        "id": p.id, "object": "plan", "name": p.name, "currency": p.currency.code_lower(),
        "active": p.active,
        "items": p.items.iter().map(|i| json!({ "price": i.price_id, "quantity": i.quantity })).collect::<Vec<_>>(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityBody {
    name: Option<String>,
    legal_name: Option<String>,
    country: Option<String>,
}

pub async fn create_entity(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(body): JsonBody<EntityBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let draft = BusinessEntityDraft {
        name: body.name,
        legal_name: body.legal_name,
        country: body.country,
    };
    let entity = catalog::create_business_entity(&state.store, &principal, draft)
        .await
        .map_err(service_error)?;
    Ok((StatusCode::CREATED, Json(entity_json(&entity))))
}

pub async fn list_entities(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let page = state
        .store
        .business_entities(
            &principal.organization_id,
            principal.mode.is_live(),
            &PageRequest::first(100),
        )
        .await
        .map_err(|e| service_error(e.into()))?;
    Ok(Json(json!({
        "object": "list",
        "data": page.items.iter().map(entity_json).collect::<Vec<_>>(),
        "has_more": page.has_more,
    })))
}

pub async fn retrieve_entity(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let entity = state
        .store
        .business_entity(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(|e| service_error(e.into()))?
        .ok_or_else(|| ApiError::not_found("business entity"))?;
    Ok(Json(entity_json(&entity)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanBody {
    name: Option<String>,
    currency: Option<String>,
    #[serde(default)]
    items: Vec<PlanItemBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanItemBody {
    price: Option<String>,
    quantity: Option<i64>,
}

pub async fn create_plan(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(body): JsonBody<PlanBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let draft = PlanDraft {
        name: body.name,
        currency: body.currency,
        items: body
            .items
            .into_iter()
            .map(|i| (i.price, i.quantity))
            .collect(),
    };
    let plan = catalog::create_plan(&state.store, &principal, draft)
        .await
        .map_err(service_error)?;
    Ok((StatusCode::CREATED, Json(plan_json(&plan))))
}

pub async fn list_plans(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Value>, ApiError> {
    let plans = state
        .store
        .plans(&principal.organization_id, principal.mode.is_live())
        .await
        .map_err(|e| service_error(e.into()))?;
    Ok(Json(json!({
        "object": "list",
        "data": plans.iter().map(plan_json).collect::<Vec<_>>(),
        "has_more": false,
    })))
}

pub async fn retrieve_plan(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let plan = state
        .store
        .plan(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(|e| service_error(e.into()))?
        .ok_or_else(|| ApiError::not_found("plan"))?;
    Ok(Json(plan_json(&plan)))
}
