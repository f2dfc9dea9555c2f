//! Business entities and plans through kassa's own API (JSON, snake_case, epoch milliseconds):
//! `POST`/`GET /api/business-entities`, `GET /api/business-entities/{id}`, `POST`/`GET /api/plans`,
//! `GET /api/plans/{id}`. Zenskar-style checkouts name them.

use super::checkout::service_error;
use super::objects::{BusinessEntity, List, PlanObject};
use super::pagination::{self, ListQuery};
use super::{ApiError, Authenticated, JsonBody};
use crate::domain::catalog::BusinessEntityDraft;
use crate::service::catalog::{self, PlanDraft};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// A business entity to create.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateBusinessEntity, example = json!({
    "name": "Demo Coffee GmbH", "legal_name": "Demo Coffee Roasters GmbH", "country": "DE"
}))]
pub struct EntityBody {
    name: Option<String>,
    legal_name: Option<String>,
    /// ISO 3166-1 alpha-2.
    country: Option<String>,
}

/// Create a business entity
#[utoipa::path(post, path = "/api/business-entities", tag = "Business entities",
    request_body = EntityBody,
    responses((status = 201, description = "The business entity", body = BusinessEntity)))]
pub async fn create_entity(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(body): JsonBody<EntityBody>,
) -> Result<(StatusCode, Json<BusinessEntity>), ApiError> {
    let draft = BusinessEntityDraft {
        name: body.name,
        legal_name: body.legal_name,
        country: body.country,
    };
    let entity = catalog::create_business_entity(&state.store, &principal, draft)
        .await
        .map_err(service_error)?;
    Ok((StatusCode::CREATED, Json(BusinessEntity::from(&entity))))
}

/// List business entities
///
/// The organization's business entities in the key's mode, newest first.
#[utoipa::path(get, path = "/api/business-entities", tag = "Business entities",
    params(ListQuery),
    responses((status = 200, description = "A page of business entities", body = List<BusinessEntity>)))]
pub async fn list_entities(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    super::ApiQuery(query): super::ApiQuery<ListQuery>,
) -> Result<Json<List<BusinessEntity>>, ApiError> {
    let page = state
        .store
        .business_entities(
            &principal.organization_id,
            principal.mode.is_live(),
            &query.page()?,
        )
        .await?;
    Ok(Json(pagination::list(
        page,
        |e| (e.created_at, &e.id),
        |e| BusinessEntity::from(e),
    )))
}

/// Retrieve a business entity
#[utoipa::path(get, path = "/api/business-entities/{id}", tag = "Business entities",
    params(("id" = String, Path, description = "The business entity's id (`be_…`)")),
    responses((status = 200, description = "The business entity", body = BusinessEntity)))]
pub async fn retrieve_entity(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<BusinessEntity>, ApiError> {
    let entity = state
        .store
        .business_entity(&principal.organization_id, principal.mode.is_live(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("business entity"))?;
    Ok(Json(BusinessEntity::from(&entity)))
}

/// A plan to create: prices sold together, in one currency.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreatePlan)]
pub struct PlanBody {
    name: Option<String>,
    currency: Option<String>,
    #[serde(default)]
    items: Vec<PlanItemBody>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PlanItemInput)]
pub struct PlanItemBody {
    price: Option<String>,
    quantity: Option<i64>,
}

/// Create a plan
#[utoipa::path(post, path = "/api/plans", tag = "Plans",
    request_body = PlanBody,
    responses((status = 201, description = "The plan", body = PlanObject)))]
pub async fn create_plan(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    JsonBody(body): JsonBody<PlanBody>,
) -> Result<(StatusCode, Json<PlanObject>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(PlanObject::from(&plan))))
}

/// List plans
///
/// The organization's plans in the key's mode, newest first.
#[utoipa::path(get, path = "/api/plans", tag = "Plans", params(ListQuery),
    responses((status = 200, description = "A page of plans", body = List<PlanObject>)))]
pub async fn list_plans(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    super::ApiQuery(query): super::ApiQuery<ListQuery>,
) -> Result<Json<List<PlanObject>>, ApiError> {
    let page = state
        .store
        .plans_page(
            &principal.organization_id,
            principal.mode.is_live(),
            &query.page()?,
        )
        .await?;
    Ok(Json(pagination::list(
        page,
        |(created_at, plan)| (*created_at, &plan.id),
        |(_, plan)| PlanObject::from(plan),
    )))
}

/// Retrieve a plan
#[utoipa::path(get, path = "/api/plans/{id}", tag = "Plans",
    params(("id" = String, Path, description = "The plan's id (`plan_…`)")),
    responses((status = 200, description = "The plan", body = PlanObject)))]
pub async fn retrieve_plan(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<PlanObject>, ApiError> {
    let plan = state
        .store
        .plan(&principal.organization_id, principal.mode.is_live(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("plan"))?;
    Ok(Json(PlanObject::from(&plan)))
}
