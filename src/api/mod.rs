//! The HTTP API: kassa's own endpoints, and the vendor-shaped dialects, each a mapping over
//! `service`.

pub mod auth;
mod catalog;
pub mod checkout;
pub mod dialect;
pub mod error;
mod events;
pub mod flowglad;
pub mod idempotency;
pub mod objects;
pub mod openapi;
mod organization;
pub mod pagination;
mod payment_links;
mod processor;
mod reference;
mod renewals;
pub mod stripe;
mod tax_rates;
pub mod zenskar;

pub use auth::Authenticated;
pub use error::ApiError;

use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::routing::{get, post, put};
use serde::de::DeserializeOwned;

/// Routes of kassa's own API and of every dialect. Every POST honours `Idempotency-Key`
/// (`idempotency`); the caller adds that layer, which needs the state.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/organization",
            get(organization::show).post(renewals::update_organization),
        )
        .route("/api/test_clock", get(renewals::show_clock))
        .route("/api/customers/{id}/portal", post(renewals::portal_link))
        .route("/api/test_clock/advance", post(renewals::advance_clock))
        .route(
            "/api/subscriptions/{id}/invoices",
            get(renewals::subscription_invoices),
        )
        .route("/api/openapi.json", get(openapi::serve))
        .route("/docs", get(reference::page))
        .route(
            "/api/checkout-sessions",
            get(checkout::list).post(checkout::create),
        )
        .route("/api/checkout-sessions/{id}", get(checkout::retrieve))
        .route("/api/checkout-sessions/{id}/expire", post(checkout::expire))
        .route("/api/subscriptions", post(checkout::create_subscription))
        .route("/api/payments/{id}/refunds", post(checkout::refund_payment))
        .route(
            "/api/subscriptions/{id}",
            get(checkout::retrieve_subscription),
        )
        .route(
            "/api/subscriptions/{id}/cancel",
            post(checkout::cancel_subscription),
        )
        .route(
            "/api/subscriptions/{id}/uncancel",
            post(checkout::uncancel_subscription),
        )
        .route(
            "/api/business-entities",
            get(catalog::list_entities).post(catalog::create_entity),
        )
        .route("/api/business-entities/{id}", get(catalog::retrieve_entity))
        .route(
            "/api/plans",
            get(catalog::list_plans).post(catalog::create_plan),
        )
        .route("/api/plans/{id}", get(catalog::retrieve_plan))
        .route(
            "/api/tax-rates",
            get(tax_rates::list).post(tax_rates::create),
        )
        .route(
            "/api/tax-rates/{id}",
            get(tax_rates::retrieve).post(tax_rates::update),
        )
        .route("/api/events", get(events::list))
        .route("/api/events/{id}", get(events::retrieve))
        .route("/api/checkout/{id}/status", get(checkout::status))
        .route("/checkout/{id}/return", get(processor::returned))
        .route("/l/{id}", get(payment_links::visit))
        .route(
            "/api/stripe/events/{organization_id}",
            post(processor::stripe_events),
        )
        // Zenskar: `GET /checkout/{id}` is the hosted page's address too; API reads arrive at
        // `zenskar::READ_PATH` (see [`route_api_reads`]).
        .route("/checkout", post(zenskar::create))
        .route("/checkout/{id}", put(zenskar::update))
        .route(zenskar::READ_PATH, get(zenskar::retrieve))
        .route("/checkout/{id}/confirm", post(zenskar::confirm))
        .route("/checkout/{id}/cancel", post(zenskar::cancel))
        .merge(flowglad::router())
        .merge(stripe::router())
}

/// The largest request body the API reads (axum's default limit for a body read whole).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Refuses a body announced larger than [`MAX_BODY_BYTES`] before anything reads it: 413, in
/// the request's dialect. (A body sent without its length is cut off at the limit as it is read.)
pub async fn refuse_oversize(
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let announced = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return dialect::Dialect::of(request.uri().path()).error(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!(
                "the request body is larger than {} MB",
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        );
    }
    next.run(request).await
}

/// Counts every API request against its client address's and its key's limits (before the key is
/// looked up, so that guessing keys is limited too): 429 with `Retry-After`, in the request's
/// dialect, once either is spent.
pub async fn rate_limits(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let address = state.client_address(request.headers(), peer);
    let key = auth::presented_key(request.headers());
    match state.limits.api_request(address, key.as_deref()) {
        Ok(()) => next.run(request).await,
        Err(crate::security::limits::RetryAfter(wait)) => {
            tracing::info!(address = ?address, "an API client was told to slow down");
            dialect::Dialect::of(request.uri().path()).too_many_requests(
                wait,
                format!("Too many requests; wait {wait} s, then retry."),
            )
        }
    }
}

/// `GET /checkout/{id}` is both the hosted page and Zenskar's read of a session: a request that
/// carries an API key (which a browser opening the page never sends) goes to the API.
pub async fn route_api_reads(mut request: axum::extract::Request) -> axum::extract::Request {
    let path = request.uri().path();
    if request.method() == axum::http::Method::GET
        && let Some(id) = path.strip_prefix("/checkout/")
        && !id.is_empty()
        && !id.contains('/')
        && auth::carries_api_key(request.headers())
    {
        let rewritten = zenskar::READ_PATH.replace("{id}", id);
        let target = match request.uri().query() {
            Some(query) => format!("{rewritten}?{query}"),
            None => rewritten,
        };
        if let Ok(uri) = target.parse() {
            *request.uri_mut() = uri;
        }
    }
    request
}

/// Reads a JSON body whatever its content type (clients differ), reporting where it is wrong:
/// `Err((path, message))`, with the path empty when the body is not JSON at all.
pub async fn read_json<T: DeserializeOwned>(
    request: Request,
    state: &AppState,
) -> Result<T, (String, String)> {
    let bytes = Bytes::from_request(request, state).await.map_err(|e| {
        (
            String::new(),
            format!("the request body could not be read: {e}"),
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err((String::new(), "the request needs a JSON body".to_owned()));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let mut path = e.path().to_string();
        let message = e.into_inner().to_string();
        // A missing field is reported at its object: name the field itself.
        if let Some(field) = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            path = if path == "." || path.is_empty() {
                field.to_owned()
            } else {
                format!("{path}.{field}")
            };
            return (path, format!("{field} is required"));
        }
        if path == "." || path.is_empty() {
            (
                String::new(),
                format!("the body is not valid JSON: {message}"),
            )
        } else {
            (path, message)
        }
    })
}

/// A JSON body for kassa's own endpoints; shape errors name the JSON path as `param`.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        read_json(request, state)
            .await
            .map(JsonBody)
            .map_err(|(path, message)| {
                ApiError::invalid(
                    if path.is_empty() {
                        "body".to_owned()
                    } else {
                        path
                    },
                    message,
                )
            })
    }
}

/// A query string, of kassa's API or a vendor's dialect: a malformed one (a parameter given
/// twice, say) is a 400 in the request's own error shape naming the parameter, not axum's
/// plain-text rejection.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|rejection| {
                let message = rejection.body_text();
                // serde names the field at fault between backticks ("duplicate field `limit`").
                let param = message
                    .split('`')
                    .nth(1)
                    .filter(|p| !p.is_empty())
                    .unwrap_or("query")
                    .to_owned();
                dialect::Dialect::of(parts.uri.path()).invalid_param(param, message)
            })
    }
}
