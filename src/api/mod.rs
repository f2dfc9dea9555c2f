//! The HTTP API: kassa's own endpoints, and (in later modules) the vendor-shaped dialects, each a
//! mapping over `service`.

pub mod auth;
pub mod error;
pub mod flowglad;
mod organization;
pub mod pagination;

pub use auth::Authenticated;
pub use error::ApiError;

use crate::server::AppState;
use axum::Router;
use axum::routing::get;

/// Routes of kassa's own API.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/organization", get(organization::show))
        .merge(flowglad::router())
}
