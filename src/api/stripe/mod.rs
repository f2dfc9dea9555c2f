//! The Stripe dialect: `/v1/checkout/sessions`, the subscriptions they start, refunds of their
//! payments, payment links and tax rates, in Stripe's shapes, so that Stripe's SDKs work when
//! pointed at kassa. A mapping over `service`; no business logic here.
//!
//! Requests are form-encoded with brackets (`line_items[0][price]=…`), as Stripe's SDKs send them;
//! errors are Stripe's `{"error": {"type", "code", "param", "message"}}` with its status codes.

mod billing_portal;
mod checkout_sessions;
mod connhex;
mod payment_links;
mod refunds;
mod subscriptions;
mod tax_rates;

use crate::domain::field::{Field, FieldError};
use crate::service::ServiceError;
use crate::service::api_keys::{AuthError, Principal};
use crate::state::AppState;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/checkout/sessions",
            get(checkout_sessions::list).post(checkout_sessions::create),
        )
        .route(
            "/v1/checkout/sessions/{id}",
            get(checkout_sessions::retrieve),
        )
        .route(
            "/v1/checkout/sessions/{id}/expire",
            post(checkout_sessions::expire),
        )
        .route(
            "/v1/checkout/sessions/{id}/line_items",
            get(checkout_sessions::line_items),
        )
        .route(
            "/v1/payment_links",
            get(payment_links::list).post(payment_links::create),
        )
        .route(
            "/v1/payment_links/{id}",
            get(payment_links::retrieve).post(payment_links::update),
        )
        .route("/v1/subscriptions/{id}", get(subscriptions::retrieve))
        .route("/v1/refunds", post(refunds::create))
        .route("/v1/billing_portal/sessions", post(billing_portal::create))
        .route("/v1/refunds/{id}", get(refunds::retrieve))
        .route(
            "/v1/tax_rates",
            get(tax_rates::list).post(tax_rates::create),
        )
        .route(
            "/v1/tax_rates/{id}",
            get(tax_rates::retrieve).post(tax_rates::update),
        )
        .route("/v1/{*rest}", any(unrecognized))
        // Connhex Pay: a JSON layer over the same sessions.
        .route("/checkout/session", post(connhex::create))
}

/// What Stripe answers for a path it does not have.
async fn unrecognized(method: Method, uri: Uri) -> StripeError {
    StripeError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        None,
        None,
        format!("Unrecognized request URL ({method}: {}).", uri.path()),
    )
}

/// An error in Stripe's shape.
#[derive(Debug)]
pub struct StripeError {
    status: StatusCode,
    kind: &'static str,
    code: Option<&'static str>,
    param: Option<String>,
    message: String,
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    param: Option<&'a str>,
    message: &'a str,
}

impl StripeError {
    fn new(
        status: StatusCode,
        kind: &'static str,
        code: Option<&'static str>,
        param: Option<String>,
        message: String,
    ) -> Self {
        StripeError {
            status,
            kind,
            code,
            param,
            message,
        }
    }

    /// An error about no one parameter: `kind` is Stripe's type (`invalid_request_error`,
    /// `idempotency_error`, `api_error`), `code` its code.
    pub(crate) fn general(
        status: StatusCode,
        kind: &'static str,
        code: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self::new(status, kind, Some(code), None, message.into())
    }

    /// A 400 `invalid_request_error` about `param`.
    pub fn invalid(
        code: &'static str,
        param: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some(code),
            Some(param.into()),
            message.into(),
        )
    }

    /// Stripe's 404 for an object that is not the caller's.
    pub fn no_such(what: &str, id: &str, param: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            Some(param.to_owned()),
            format!("No such {what}: '{id}'"),
        )
    }

    pub(super) fn from_field(error: &FieldError) -> Self {
        Self::invalid(
            stripe_code(error.code),
            param_of(error.field),
            error.message.clone(),
        )
    }

    pub(super) fn from_service(error: ServiceError) -> Self {
        match error {
            ServiceError::Invalid(errors) => match errors.first() {
                Some(first) => Self::from_field(first),
                None => Self::invalid("parameter_invalid_empty", "", "Invalid request"),
            },
            ServiceError::Conflict(error) => Self::from_field(&error),
            ServiceError::NotFound(what) => Self::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                Some("resource_missing"),
                None,
                format!("No such {what}"),
            ),
            ServiceError::Store(cause) => {
                tracing::error!(error = %cause, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "api_error",
                    None,
                    None,
                    "Something went wrong on kassa's side. It was logged; the request can be retried."
                        .to_owned(),
                )
            }
        }
    }
}

impl IntoResponse for StripeError {
    fn into_response(self) -> Response {
        let body = Envelope {
            error: ErrorBody {
                kind: self.kind,
                code: self.code,
                param: self.param.as_deref(),
                message: &self.message,
            },
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// The core's error codes as Stripe names them.
fn stripe_code(code: &str) -> &'static str {
    match code {
        "parameter_missing" => "parameter_missing",
        "resource_missing" => "resource_missing",
        "parameter_unknown" => "parameter_unknown",
        "parameter_conflict" | "parameters_exclusive" => "parameters_exclusive",
        _ => "parameter_invalid",
    }
}

/// A core field by its Stripe form name.
fn param_of(field: Field) -> String {
    match field {
        Field::LineItems => "line_items".to_owned(),
        Field::LinePrice(i) => format!("line_items[{i}][price]"),
        Field::LineQuantity(i) => format!("line_items[{i}][quantity]"),
        Field::LinePriceData(i, path) => {
            format!("line_items[{i}][price_data][{}]", path.replace('.', "]["))
        }
        Field::LineAdjustableMinimum(i) => {
            format!("line_items[{i}][adjustable_quantity][minimum]")
        }
        Field::LineAdjustableMaximum(i) => {
            format!("line_items[{i}][adjustable_quantity][maximum]")
        }
        Field::TrialPeriodDays => "subscription_data[trial_period_days]".to_owned(),
        Field::CustomFieldSetting(i, path) => {
            format!("custom_fields[{i}][{}]", path.replace('.', "]["))
        }
        Field::ConsentTermsOfService => "consent_collection[terms_of_service]".to_owned(),
        Field::CustomerEmail => "customer_email".to_owned(),
        Field::PaymentMethodSave => "saved_payment_method_options[payment_method_save]".to_owned(),
        Field::TaxIdCollection => "tax_id_collection[required]".to_owned(),
        Field::ShippingAllowedCountries(i) => {
            format!("shipping_address_collection[allowed_countries][{i}]")
        }
        other => other.to_string(),
    }
}

/// The caller, authenticated by `Authorization: Bearer sk_…` (or HTTP Basic with the key as user).
pub struct StripeAuth(pub Principal);

impl FromRequestParts<AppState> for StripeAuth {
    type Rejection = StripeError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = |message: &str| {
            StripeError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_request_error",
                None,
                None,
                message.to_owned(),
            )
        };
        match super::auth::principal_of(parts, state).await {
            Ok(principal) => Ok(StripeAuth(principal)),
            Err(AuthError::Missing) => Err(unauthorized(
                "You did not provide an API key. Send it in the Authorization header: \
                 `Authorization: Bearer YOUR_SECRET_KEY`.",
            )),
            Err(AuthError::Invalid) => Err(unauthorized(
                "Invalid API Key provided: the key is malformed, revoked or unknown.",
            )),
            Err(AuthError::Store(cause)) => Err(StripeError::from_service(cause.into())),
        }
    }
}

/// A form-encoded body with bracketed keys, as Stripe's SDKs send it.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Form<T> {
    type Rejection = StripeError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state).await.map_err(|e| {
            StripeError::invalid(
                "parameter_invalid",
                "",
                format!("The body could not be read: {e}"),
            )
        })?;
        parse_form(&bytes).map(Form)
    }
}

/// Parses `a[0][b]=c` forms; an unknown or malformed parameter is named in the error.
fn parse_form<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, StripeError> {
    serde_qs::Config::new(5, false)
        .deserialize_bytes::<T>(bytes)
        .map_err(|e| {
            let message = e.to_string();
            match message.split('`').nth(1) {
                Some(name) if message.contains("unknown field") => StripeError::invalid(
                    "parameter_unknown",
                    name,
                    format!("Received unknown parameter: {name}"),
                ),
                _ => StripeError::invalid(
                    "parameter_invalid",
                    message.split('`').nth(1).unwrap_or_default(),
                    format!("Invalid request: {message}"),
                ),
            }
        })
}
