//! The API's error envelope: `{"error": {"code", "message", "param"}}`, with a stable `code`
//! clients can branch on, a message for people, and the request field at fault.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub param: Option<String>,
}

/// What every error answer of kassa's own API is.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(super) struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetail)]
pub(super) struct Body<'a> {
    /// Stable, for clients to branch on: `invalid_request`, `resource_missing`,
    /// `authentication_required`, `rate_limited`, `idempotency_key_in_use`, …
    #[schema(example = "invalid_request")]
    code: &'a str,
    /// For people.
    message: &'a str,
    /// The request field at fault, when one is.
    #[schema(example = "line_items[0].price")]
    param: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            param: None,
        }
    }

    /// Bad input: names the field at fault.
    pub fn invalid(param: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_request",
            message: message.into(),
            param: Some(param.into()),
        }
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "resource_missing",
            format!("No such {what}."),
        )
    }

    /// A fault of kassa's own. The cause is logged (with the request's id, from the span) and the
    /// client gets a stable code without internals.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on kassa's side. It was logged; the request can be retried.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Envelope {
            error: Body {
                code: self.code,
                message: &self.message,
                param: self.param.as_deref(),
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        ApiError::internal(error)
    }
}
