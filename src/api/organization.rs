//! `GET /api/organization`: which organization and mode a key acts for.

use super::{ApiError, Authenticated};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct OrganizationBody {
    pub id: String,
    pub name: String,
    pub livemode: bool,
    pub created: i64,
    /// What becomes of a subscription whose every renewal retry failed: cancel or unpaid.
    pub renewal_failure_action: String,
}

pub async fn show(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<OrganizationBody>, ApiError> {
    let organization = state
        .store
        .organization(&principal.organization_id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    let renewal_failure_action = state
        .store
        .renewal_failure_action(&principal.organization_id)
        .await?;
    Ok(Json(OrganizationBody {
        id: organization.id,
        name: organization.name,
        livemode: principal.mode.is_live(),
        created: organization.created_at,
        renewal_failure_action,
    }))
}
