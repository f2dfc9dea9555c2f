//! `GET /api/events` and `GET /api/events/{id}`: what happened, newest first, in the shape
//! webhooks send (`service::events::event_json`).

use super::objects::{Event, List};
use super::pagination::{self, ListQuery};
use super::{ApiError, Authenticated};
use crate::state::AppState;
use axum::Json;
use axum::extract::{Path, State};

/// List events
///
/// The organization's events in the key's mode, newest first.
#[utoipa::path(get, path = "/api/events", tag = "Events", params(ListQuery),
    responses((status = 200, description = "A page of events", body = List<Event>)))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    super::ApiQuery(query): super::ApiQuery<ListQuery>,
) -> Result<Json<List<Event>>, ApiError> {
    let page = state
        .store
        .events(
            &principal.organization_id,
            principal.mode.is_live(),
            &query.page()?,
        )
        .await?;
    Ok(Json(pagination::list(
        page,
        |e| (e.created_at, &e.id),
        |e| Event::from(e),
    )))
}

/// Retrieve an event
#[utoipa::path(get, path = "/api/events/{id}", tag = "Events",
    params(("id" = String, Path, description = "The event's id (`evt_…`)")),
    responses((status = 200, description = "The event", body = Event)))]
pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Event>, ApiError> {
    let event = state
        .store
        .event(&principal.organization_id, principal.mode.is_live(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("event"))?;
    Ok(Json(Event::from(&event)))
}
