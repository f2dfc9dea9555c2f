//! `Idempotency-Key` on every API POST, with Stripe's semantics: the first answer to a key is
//! replayed, status and body, to any retry within 24 hours; the same key with another request is
//! refused (422 `idempotency_key_mismatch`); a retry while the first is still running is refused
//! (409 `idempotency_key_in_use`); a request refused before it did anything (400, 403, 409, 422,
//! 429) or that failed on kassa's side (5xx) leaves nothing stored, so it can be retried with the
//! same key. Errors of the key's own come in the request's dialect (`super::dialect`).
//! Keys belong to the organization and mode of the API key that sends them, and live in the
//! database, so several kassa instances share them.
//!
//! A request holds its key while it runs, renewing the hold (`AppState::idempotency_hold`) every
//! third of it: a retry takes a key over only from a request that stopped (its process died).
//! A request that creates a session names the session on its key in the transaction that records
//! it ([`Idempotency`] hands the claim to the route), so that a retry of a request that stopped
//! between its effect and its answer answers with that session instead of creating another; any
//! write a request makes after a retry took its key over is refused.

use super::ApiError;
use super::dialect::Dialect;
use crate::service::api_keys::AuthError;
use crate::state::AppState;
use crate::store::{IdempotencyClaim, IdempotencyScope, IdempotencyStart};
use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

pub const HEADER: &str = "idempotency-key";
/// The route whose JSON body may carry the key instead, as `idempotency_key` (Zenskar's create).
const BODY_KEY_PATH: &str = "/checkout";
/// The longest key kassa accepts, as Stripe's.
pub const MAX_KEY_LENGTH: usize = 255;
/// How long a key's answer is kept.
pub const KEEP_MS: i64 = 24 * 3_600_000;
/// The largest request or answer body kept (larger ones are refused by the routes anyway).
const MAX_BODY: usize = super::MAX_BODY_BYTES;

/// Forgets the keys whose answers are older than they are kept.
pub async fn forget_old_keys(
    store: &crate::store::Store,
    now: i64,
) -> crate::store::StoreResult<u64> {
    store
        .delete_idempotency_keys_before(now - KEEP_MS, now)
        .await
}

/// The idempotency key a route's request holds, if it came with one: for the writes that are to
/// happen once per key, which name their effect on it.
#[derive(Debug, Clone, Default)]
pub struct Idempotency(pub Option<IdempotencyClaim>);

impl Idempotency {
    pub fn claim(&self) -> Option<&IdempotencyClaim> {
        self.0.as_ref()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Idempotency {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Idempotency(
            parts.extensions.get::<IdempotencyClaim>().cloned(),
        ))
    }
}

pub async fn idempotency(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    let dialect = Dialect::of(request.uri().path());
    let (request, key) = match request.headers().get(HEADER) {
        Some(key) => {
            let key = key.to_str().map(|k| k.to_owned());
            (request, key)
        }
        // Zenskar's create sends its key in the body, with the same meaning.
        None if request.uri().path() == BODY_KEY_PATH => {
            let (parts, body) = request.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
                return too_large(dialect);
            };
            let key = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("idempotency_key").cloned());
            let request = Request::from_parts(parts, Body::from(bytes));
            match key {
                Some(serde_json::Value::String(key)) => (request, Ok(key)),
                // None given, or not a string (the route names that field).
                _ => return next.run(request).await,
            }
        }
        None => return next.run(request).await,
    };
    let key = match key.as_deref().map(str::trim) {
        Ok(key) if !key.is_empty() && key.len() <= MAX_KEY_LENGTH => key.to_owned(),
        _ => {
            return dialect.error(
                StatusCode::BAD_REQUEST,
                "idempotency_key_invalid",
                format!("Idempotency-Key (or idempotency_key) must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"),
            );
        }
    };
    // Whose key: without a valid API key the route answers 401 itself, and nothing is kept. A
    // key that could not be looked up is not a reason to run the request unprotected.
    let principal = match super::auth::presented_key(request.headers()) {
        Some(secret) => match crate::service::api_keys::authenticate(&state.store, &secret).await {
            Ok(principal) => Some(principal),
            Err(AuthError::Store(error)) => return unavailable(dialect, error),
            Err(_) => None,
        },
        None => None,
    };
    let Some(principal) = principal else {
        return next.run(request).await;
    };
    let (mut parts, body) = request.into_parts();
    // The route's `Authenticated` takes it from here instead of looking the key up again.
    parts.extensions.insert(principal.clone());
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return too_large(dialect);
    };
    let fingerprint = fingerprint(
        parts.method.as_str(),
        parts.uri.path(),
        parts.uri.query().unwrap_or_default(),
        &bytes,
    );
    let scope = IdempotencyScope {
        organization_id: &principal.organization_id,
        livemode: principal.mode.is_live(),
        key: &key,
    };
    let now = crate::store::now_ms();
    let hold_ms = i64::try_from(state.idempotency_hold.as_millis()).unwrap_or(i64::MAX);
    let start = match state
        .store
        .begin_idempotent(scope, &fingerprint, now, hold_ms, KEEP_MS)
        .await
    {
        Ok(start) => start,
        Err(error) => return unavailable(dialect, error),
    };
    match start {
        IdempotencyStart::Replay {
            status_code,
            content_type,
            body,
        } => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = StatusCode::from_u16(status_code).unwrap_or(StatusCode::OK);
            if let Some(value) = content_type.and_then(|c| HeaderValue::from_str(&c).ok()) {
                response.headers_mut().insert(header::CONTENT_TYPE, value);
            }
            response
                .headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            response
        }
        IdempotencyStart::InFlight => dialect.error(
            StatusCode::CONFLICT,
            "idempotency_key_in_use",
            "A request with this Idempotency-Key is still being processed; retry in a moment.",
        ),
        IdempotencyStart::Mismatch => dialect.error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_mismatch",
            "This Idempotency-Key was used for a different request (method, path or body); \
             use a new key for a new request.",
        ),
        IdempotencyStart::Started(claim) => {
            parts.extensions.insert(claim.clone());
            let request = next.run(Request::from_parts(parts, Body::from(bytes)));
            let mut response = held(&state, &claim, hold_ms, request).await;
            if claim.effect_id.is_some() && response.status().is_success() {
                // An earlier holder's effect, answered again.
                response
                    .headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            keep(&state, &claim, response).await
        }
    }
}

fn too_large(dialect: Dialect) -> Response {
    dialect.error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "body_too_large",
        "the request body is too large",
    )
}

/// The keys could not be read: the request is not run, since nothing would stop a retry from
/// running it again. A 503 the client retries with the same key.
fn unavailable(dialect: Dialect, error: impl std::fmt::Display) -> Response {
    tracing::error!(%error, "idempotency keys could not be read; the request was not run");
    let mut response = dialect.error(
        StatusCode::SERVICE_UNAVAILABLE,
        "idempotency_unavailable",
        "kassa cannot check this Idempotency-Key right now; nothing was done. Retry with the same key.",
    );
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// What tells two requests apart: SHA-256 of the method, path, query and body.
pub fn fingerprint(method: &str, path: &str, query: &str, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), query.as_bytes()] {
        hash.update(part);
        hash.update([0]);
    }
    hash.update(body);
    hex::encode(hash.finalize())
}

/// Runs `request`, renewing the claim's hold on its key (`hold_ms`, as long as
/// `AppState::idempotency_hold`) every third of the hold while it runs.
/// A renewal that fails is tried again at the next; if the key was taken over meanwhile (the
/// hold ran out: the database was unreachable for that long), the request's own writes under the
/// claim are refused, so its effect still happens once.
async fn held(
    state: &AppState,
    claim: &IdempotencyClaim,
    hold_ms: i64,
    request: impl Future<Output = Response>,
) -> Response {
    let hold = state.idempotency_hold;
    let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + hold / 3, hold / 3);
    renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut request = std::pin::pin!(request);
    loop {
        tokio::select! {
            response = &mut request => return response,
            _ = renew.tick() => {
                let until = crate::store::now_ms().saturating_add(hold_ms);
                match state.store.hold_idempotent(claim, until).await {
                    Ok(true) => {}
                    Ok(false) => tracing::warn!(
                        key = %claim.key,
                        "a request's idempotency key was taken over while it ran"
                    ),
                    Err(error) => tracing::warn!(%error, "renewing an idempotency key failed"),
                }
            }
        }
    }
}

/// Keeps the answer for the key's retries, or lets go of the key when the request kept nothing.
async fn keep(state: &AppState, claim: &IdempotencyClaim, response: Response) -> Response {
    let status = response.status();
    // Refusals (bad input, no access, a conflict with what exists, a limit) did nothing: a retry
    // with the key runs again, as Stripe's do.
    let did_nothing = matches!(status.as_u16(), 400 | 401 | 403 | 409 | 413 | 422 | 429)
        || status.is_server_error();
    let (parts, body) = response.into_parts();
    let bytes = match to_bytes(body, MAX_BODY).await {
        Ok(bytes) => bytes,
        Err(error) => {
            let _ = state
                .store
                .forget_idempotent(claim, crate::store::now_ms())
                .await;
            return ApiError::internal(format!("reading an answer: {error}")).into_response();
        }
    };
    let kept = match std::str::from_utf8(&bytes) {
        Ok(text) if !did_nothing => {
            let content_type = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok());
            match state
                .store
                .finish_idempotent(claim, status.as_u16(), content_type, text)
                .await
            {
                Ok(true) => Ok(()),
                Ok(false) => {
                    tracing::warn!(key = %claim.key, "an answer was not kept: a retry took its key over");
                    Ok(())
                }
                Err(error) => Err(error),
            }
        }
        _ => {
            state
                .store
                .forget_idempotent(claim, crate::store::now_ms())
                .await
        }
    };
    if let Err(error) = kept {
        // The answer goes out, and the key is let go at once: a retry answers with what the
        // request created if it named it on the key ([`Idempotency`]), or runs again.
        tracing::error!(%error, "keeping an idempotent answer failed");
        let _ = state
            .store
            .forget_idempotent(claim, crate::store::now_ms())
            .await;
    }
    Response::from_parts(parts, Body::from(bytes))
}
