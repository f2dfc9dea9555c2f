//! Which API a request speaks, by its path, for the answers given before any route runs (a rate
//! limit, an idempotency conflict): each in the error shape its clients parse.

use super::ApiError;
use super::flowglad::FlowgladError;
use super::stripe::StripeError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The API a request speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// kassa's own (`/api/…`) and Zenskar's (`/checkout…`): `{"error": {"code", "message"}}`.
    Kassa,
    /// Flowglad's (`/api/v1/…`): `{"code", "message", "issues"}` with tRPC's upper-case codes.
    Flowglad,
    /// Stripe's (`/v1/…`) and Connhex Pay's (`/checkout/session`): `{"error": {"type", "code",
    /// "message"}}`.
    Stripe,
}

impl Dialect {
    pub fn of(path: &str) -> Dialect {
        if path.starts_with("/api/v1/") {
            Dialect::Flowglad
        } else if path.starts_with("/v1/") || path == "/checkout/session" {
            Dialect::Stripe
        } else {
            Dialect::Kassa
        }
    }

    /// An error about the request as a whole, not one of its fields. `code` is kassa's
    /// (`rate_limited`, `idempotency_key_in_use`, …), which Stripe's shape carries as its code.
    pub fn error(
        self,
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> Response {
        match self {
            Dialect::Kassa => ApiError::new(status, code, message).into_response(),
            Dialect::Flowglad => {
                FlowgladError::new(status, trpc_code(status), message).into_response()
            }
            Dialect::Stripe => {
                let kind = if code.starts_with("idempotency_") {
                    "idempotency_error"
                } else if status.is_server_error() {
                    "api_error"
                } else {
                    "invalid_request_error"
                };
                let code = if code == "rate_limited" {
                    "rate_limit"
                } else {
                    code
                };
                StripeError::general(status, kind, code, message).into_response()
            }
        }
    }

    /// A 400 about the request's parameter `param`.
    pub fn invalid_param(self, param: String, message: impl Into<String>) -> Response {
        match self {
            Dialect::Kassa => ApiError::invalid(param, message).into_response(),
            Dialect::Stripe => {
                StripeError::invalid("parameter_invalid", param, message).into_response()
            }
            Dialect::Flowglad => self.error(StatusCode::BAD_REQUEST, "parameter_invalid", message),
        }
    }

    /// A 429 telling the client to wait `seconds`, also in `Retry-After`.
    pub fn too_many_requests(self, seconds: u64, message: impl Into<String>) -> Response {
        let mut response = self.error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        response
    }
}

/// The code Flowglad's API (tRPC) gives a status.
fn trpc_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BAD_REQUEST",
        401 => "UNAUTHORIZED",
        403 => "FORBIDDEN",
        404 => "NOT_FOUND",
        409 => "CONFLICT",
        413 => "PAYLOAD_TOO_LARGE",
        422 => "UNPROCESSABLE_CONTENT",
        429 => "TOO_MANY_REQUESTS",
        503 => "SERVICE_UNAVAILABLE",
        _ if status.is_server_error() => "INTERNAL_SERVER_ERROR",
        _ => "BAD_REQUEST",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_api_is_known_by_its_path() {
        assert_eq!(Dialect::of("/api/v1/checkout-sessions"), Dialect::Flowglad);
        assert_eq!(Dialect::of("/v1/checkout/sessions"), Dialect::Stripe);
        assert_eq!(Dialect::of("/checkout/session"), Dialect::Stripe);
        assert_eq!(Dialect::of("/checkout"), Dialect::Kassa);
        assert_eq!(Dialect::of("/checkout/cs_1/confirm"), Dialect::Kassa);
        assert_eq!(Dialect::of("/api/checkout-sessions"), Dialect::Kassa);
    }
}
