//! API authentication: the secret key decides the organization and mode of every call.
//!
//! Accepted as clients send it: `Authorization: Bearer sk_…` (Stripe's SDKs), the bare key
//! (Flowglad's SDK), or HTTP Basic with the key as the user name (`curl -u sk_…:`).

use super::ApiError;
use crate::server::AppState;
use crate::service::api_keys::{self, AuthError, Principal};
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, HeaderMap, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// The caller of an API route, authenticated by its secret key.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

/// A refused key: 401 with the API's error envelope and a `WWW-Authenticate` challenge.
pub struct Unauthorized(ApiError);

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        if response.status() == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                "Bearer realm=\"kassa\"".parse().expect("static header"),
            );
        }
        response
    }
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = Unauthorized;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // The idempotency layer has already authenticated a POST that carries a key.
        if let Some(principal) = parts.extensions.get::<api_keys::Principal>() {
            tracing::Span::current().record("organization", principal.organization_id.as_str());
            return Ok(Authenticated(principal.clone()));
        }
        let presented = presented_key(&parts.headers).unwrap_or_default();
        match api_keys::authenticate(&state.store, &presented).await {
            Ok(principal) => {
                tracing::Span::current().record("organization", principal.organization_id.as_str());
                Ok(Authenticated(principal))
            }
            Err(AuthError::Missing) => Err(Unauthorized(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "missing_api_key",
                "No API key was given. Send your secret key as `Authorization: Bearer sk_…`.",
            ))),
            Err(AuthError::Invalid) => Err(Unauthorized(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_api_key",
                "The API key is not valid: it is malformed, revoked or unknown.",
            ))),
            Err(AuthError::Store(e)) => Err(Unauthorized(ApiError::internal(e))),
        }
    }
}

/// The secret in the `Authorization` header, in whichever of the accepted forms it came.
pub(crate) fn presented_key(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(char::is_whitespace).unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(rest.trim().to_owned())
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        Some(
            decoded
                .split_once(':')
                .map_or(decoded.as_str(), |(user, _)| user)
                .to_owned(),
        )
    } else {
        Some(value.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn reads_the_key_in_every_accepted_form() {
        assert_eq!(
            presented_key(&with("Bearer sk_test_abc")).as_deref(),
            Some("sk_test_abc")
        );
        assert_eq!(
            presented_key(&with("bearer  sk_test_abc ")).as_deref(),
            Some("sk_test_abc")
        );
        assert_eq!(
            presented_key(&with("sk_test_abc")).as_deref(),
            Some("sk_test_abc")
        );
        // base64("sk_test_abc:")
        assert_eq!(
            presented_key(&with("Basic c2tfdGVzdF9hYmM6")).as_deref(),
            Some("sk_test_abc")
        );
        assert_eq!(presented_key(&with("Bearer")).as_deref(), Some(""));
        assert_eq!(presented_key(&HeaderMap::new()), None);
    }
}
