//! `GET /api/events` and `GET /api/events/{id}`: what happened, newest first, in the shape
//! webhooks send (`service::events::event_json`).

use super::{ApiError, Authenticated, pagination};
use crate::service::events::event_json;
use crate::state::AppState;
use crate::store::PageRequest;
use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

/// At most this many events a page; 10 when `limit` is not given.
const MAX_LIMIT: u32 = 100;

pub async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Query(query): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = match query.limit.as_deref() {
        None => 10,
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(
                    "limit",
                    format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                ));
            }
        },
    };
    let after = match query.cursor.as_deref() {
        None => None,
        Some(token) => Some(
            pagination::decode(token)
                .ok_or_else(|| ApiError::invalid("cursor", "cursor is not one kassa issued"))?,
        ),
    };
    let page = state
        .store
        .events(
            &principal.organization_id,
            principal.mode.is_live(),
            &PageRequest { limit, after },
        )
        .await?;
    let next_cursor = page
        .has_more
        .then(|| {
            page.items
                .last()
                .map(|e| pagination::encode(e.created_at, &e.id))
        })
        .flatten();
    Ok(Json(json!({
        "object": "list",
        "data": page.items.iter().map(event_json).collect::<Vec<_>>(),
        "has_more": page.has_more,
        "next_cursor": next_cursor,
    })))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let event = state
        .store
        .event(&principal.organization_id, principal.mode.is_live(), &id)
        .await?
        .ok_or_else(|| ApiError::not_found("event"))?;
    Ok(Json(event_json(&event)))
}
