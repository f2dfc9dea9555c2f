//! API authentication: the secret key decides the organization and mode of every call.
//!
//! Accepted as clients send it: `Authorization: Bearer sk_…` (Stripe's SDKs), the bare key
//! (Flowglad's SDK), or HTTP Basic with the key as the user name (`curl -u sk_…:`).

use super::ApiError;
use crate::service::api_keys::{self, AuthError, Principal};
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, HeaderMap, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// Zenskar's header for the secret key.
pub const API_KEY_HEADER: &str = "x-api-key";

/// Whether a request carries an API credential as an API client sends one (`x-api-key`, or
/// `Authorization: Bearer`), which a browser opening a page never does.
pub fn carries_api_key(headers: &HeaderMap) -> bool {
    headers.contains_key(API_KEY_HEADER)
        || headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.trim_start()
                    .get(..7)
                    .is_some_and(|s| s.eq_ignore_ascii_case("bearer "))
            })
}

/// The caller of a request: the principal the idempotency layer already found for it, or the
/// one its key names, recorded on the request's span either way. Every dialect's extractor
/// answers the refusal in its own shape.
pub(crate) async fn principal_of(parts: &Parts, state: &AppState) -> Result<Principal, AuthError> {
    let principal = match parts.extensions.get::<Principal>() {
        Some(principal) => principal.clone(),
        None => {
            let presented = presented_key(&parts.headers).unwrap_or_default();
            api_keys::authenticate(&state.store, &presented).await?
        }
    };
    tracing::Span::current().record("organization", principal.organization_id.as_str());
    Ok(principal)
}

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
        match principal_of(parts, state).await {
            Ok(principal) => Ok(Authenticated(principal)),
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

/// The secret in the `Authorization` header, in whichever of the accepted forms it came, or else
/// in `x-api-key` (Zenskar's clients).
pub(crate) fn presented_key(headers: &HeaderMap) -> Option<String> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return headers
            .get(API_KEY_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned());
    };
    let value = value.to_str().ok()?.trim();
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
        let mut zenskar = HeaderMap::new();
        zenskar.insert(API_KEY_HEADER, " sk_test_abc".parse().unwrap());
        assert_eq!(presented_key(&zenskar).as_deref(), Some("sk_test_abc"));
        assert!(carries_api_key(&zenskar));
        assert!(carries_api_key(&with("Bearer sk_test_abc")));
        assert!(!carries_api_key(&with("Basic c2tfdGVzdF9hYmM6")));
        assert!(!carries_api_key(&HeaderMap::new()));
    }
}
