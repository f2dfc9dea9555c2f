//! `GET /api/organization`: which organization and mode a key acts for.

use super::objects::Organization;
use super::{ApiError, Authenticated};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;

/// Retrieve the organization
///
/// Which organization and mode the key acts for, and its settings.
#[utoipa::path(get, path = "/api/organization", tag = "Organization",
    responses((status = 200, description = "The organization", body = Organization)))]
pub async fn show(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
) -> Result<Json<Organization>, ApiError> {
    let organization = state
        .store
        .organization(&principal.organization_id)
        .await?
        .ok_or_else(|| ApiError::not_found("organization"))?;
    let renewal_failure_action = state
        .store
        .renewal_failure_action(&principal.organization_id)
        .await?;
    Ok(Json(Organization {
        id: organization.id,
        name: organization.name,
        livemode: principal.mode.is_live(),
        created: organization.created_at,
        renewal_failure_action,
    }))
}
