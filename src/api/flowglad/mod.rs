//! The Flowglad dialect: `/api/v1/...` in the shapes of Flowglad's OpenAPI spec, so that
//! Flowglad's SDKs work against kassa. A mapping over `service`; no business logic here.
//!
//! Errors are Flowglad's `{code, message, issues}`. Its spec allows no other property, so the
//! field at fault leads each message: `checkoutSession.quantity: quantity must be at least 1`.

mod billing;
mod catalog;
mod checkout_sessions;
mod customers;
mod webhooks;

use super::pagination;
use crate::domain::field::{Field, FieldError};
use crate::domain::session::PaymentMethodType;
use crate::service::ServiceError;
use crate::service::api_keys::{AuthError, Principal};
use crate::state::AppState;
use crate::store::PageRequest;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Flowglad's word for a payment method type. Its enum has `card`, `link`, `us_bank_account` and
/// `sepa_debit`; PayPal and customer balance, which come through other dialects, are `link`, the
/// nearest kind (an account-based wallet), wherever Flowglad's shapes show a method: sessions,
/// payments and payment methods alike.
fn payment_method_word(method: PaymentMethodType) -> &'static str {
    match method {
        PaymentMethodType::Card => "card",
        PaymentMethodType::UsBankAccount => "us_bank_account",
        PaymentMethodType::SepaDebit => "sepa_debit",
        PaymentMethodType::Link
        | PaymentMethodType::Paypal
        | PaymentMethodType::CustomerBalance => "link",
    }
}

/// [`payment_method_word`] of a method type as stored.
fn stored_method_word(stored: &str) -> &'static str {
    stored
        .parse::<PaymentMethodType>()
        .map_or("link", payment_method_word)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/checkout-sessions",
            get(checkout_sessions::list).post(checkout_sessions::create),
        )
        .route(
            "/api/v1/checkout-sessions/{id}",
            get(checkout_sessions::retrieve),
        )
        .route(
            "/api/v1/products",
            get(catalog::list_products).post(catalog::create_product),
        )
        .route(
            "/api/v1/products/{id}",
            get(catalog::retrieve_product).put(catalog::update_product),
        )
        .route(
            "/api/v1/prices",
            get(catalog::list_prices).post(catalog::create_price),
        )
        .route(
            "/api/v1/prices/{id}",
            get(catalog::retrieve_price).put(catalog::update_price),
        )
        .route(
            "/api/v1/customers",
            get(customers::list).post(customers::create),
        )
        .route(
            "/api/v1/customers/{external_id}",
            get(customers::retrieve).put(customers::update),
        )
        .route(
            "/api/v1/customers/{external_id}/billing",
            get(billing::customer_billing),
        )
        .route("/api/v1/payments", get(billing::list_payments))
        .route("/api/v1/payments/{id}", get(billing::retrieve_payment))
        .route(
            "/api/v1/payments/{id}/refund",
            axum::routing::post(billing::refund_payment),
        )
        .route("/api/v1/purchases/{id}", get(billing::retrieve_purchase))
        .route("/api/v1/invoices", get(billing::list_invoices))
        .route("/api/v1/invoices/{id}", get(billing::retrieve_invoice))
        .route("/api/v1/subscriptions", get(billing::list_subscriptions))
        .route(
            "/api/v1/subscriptions/{id}",
            get(billing::retrieve_subscription),
        )
        .route(
            "/api/v1/subscriptions/{id}/cancel",
            axum::routing::post(billing::cancel_subscription),
        )
        .route(
            "/api/v1/subscriptions/{id}/uncancel",
            axum::routing::post(billing::uncancel_subscription),
        )
        .route(
            "/api/v1/payment-methods",
            get(billing::list_payment_methods),
        )
        .route(
            "/api/v1/payment-methods/{id}",
            get(billing::retrieve_payment_method),
        )
        .route("/api/v1/webhooks", post(webhooks::create))
        .route(
            "/api/v1/webhooks/{id}",
            get(webhooks::retrieve).put(webhooks::update),
        )
        // Unknown paths under the prefix answer in Flowglad's shape, not with the HTML 404 page.
        .route(
            "/api/v1/{*rest}",
            any(|| async { FlowgladError::not_found("endpoint") }),
        )
}

/// An error in Flowglad's shape, with the HTTP status its SDK maps to an error class.
#[derive(Debug)]
pub struct FlowgladError {
    status: StatusCode,
    code: &'static str,
    message: String,
    issues: Vec<String>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    issues: Vec<Issue<'a>>,
}

#[derive(Serialize)]
struct Issue<'a> {
    message: &'a str,
}

impl FlowgladError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        FlowgladError {
            status,
            code,
            message: message.into(),
            issues: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        let message = message.into();
        FlowgladError {
            issues: vec![message.clone()],
            ..Self::new(StatusCode::BAD_REQUEST, "BAD_REQUEST", message)
        }
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("{what} not found"),
        )
    }

    /// Field errors from the core, each led by its Flowglad name.
    fn from_fields(
        status: StatusCode,
        code: &'static str,
        errors: &[FieldError],
        names: Names,
    ) -> Self {
        let issues: Vec<String> = errors
            .iter()
            .map(|e| format!("{}: {}", names.name(e.field), e.message))
            .collect();
        let message = issues
            .first()
            .cloned()
            .unwrap_or_else(|| "Invalid input data".into());
        FlowgladError {
            status,
            code,
            message,
            issues,
        }
    }

    fn from_service(error: ServiceError, names: Names) -> Self {
        match error {
            ServiceError::Invalid(errors) => {
                Self::from_fields(StatusCode::BAD_REQUEST, "BAD_REQUEST", &errors, names)
            }
            ServiceError::Conflict(error) => {
                Self::from_fields(StatusCode::CONFLICT, "CONFLICT", &[error], names)
            }
            ServiceError::NotFound(what) => Self::not_found(what),
            ServiceError::Store(cause) => {
                tracing::error!(error = %cause, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_SERVER_ERROR",
                    "Something went wrong on kassa's side. It was logged; the request can be retried.",
                )
            }
        }
    }
}

impl IntoResponse for FlowgladError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            code: self.code,
            message: &self.message,
            issues: self.issues.iter().map(|m| Issue { message: m }).collect(),
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// How core fields are named in one Flowglad request body.
#[derive(Debug, Clone, Copy)]
pub enum Names {
    CheckoutSession { by_slug: bool },
    Product,
    Price,
    Customer,
    Webhook,
    Refund,
    Subscription,
}

impl Names {
    fn name(self, field: Field) -> String {
        let name = match (self, field) {
            (Names::CheckoutSession { by_slug: true }, Field::LinePrice(_) | Field::LineItems) => {
                "priceSlug"
            }
            (Names::CheckoutSession { .. }, Field::LinePrice(_) | Field::LineItems) => "priceId",
            (Names::CheckoutSession { .. }, Field::LineQuantity(_)) => "quantity",
            (Names::CheckoutSession { .. }, Field::Customer) => "customerExternalId",
            (Names::CheckoutSession { .. }, Field::SuccessUrl) => "successUrl",
            (Names::CheckoutSession { .. }, Field::CancelUrl) => "cancelUrl",
            (Names::CheckoutSession { .. }, Field::TargetSubscription) => "targetSubscriptionId",
            (Names::CheckoutSession { .. }, Field::OutputName) => "outputName",
            (Names::CheckoutSession { .. }, Field::OutputMetadata) => "outputMetadata",
            (Names::CheckoutSession { .. }, Field::Kind) => "type",
            (_, Field::ProductName) => "product.name",
            (_, Field::ProductSlug) => "product.slug",
            (_, Field::ProductImageUrl) => "product.imageURL",
            (_, Field::ProductId) => "price.productId",
            (_, Field::PriceType) => "price.type",
            (_, Field::PriceUnitAmount) => "price.unitPrice",
            (_, Field::PriceCurrency) => "price.currency",
            (_, Field::PriceInterval) => "price.intervalUnit",
            (_, Field::PriceIntervalCount) => "price.intervalCount",
            (_, Field::PriceTrialPeriodDays) => "price.trialPeriodDays",
            (_, Field::PriceSlug) => "price.slug",
            (_, Field::PriceName) => "price.name",
            (_, Field::CustomerEmail) => "customer.email",
            (_, Field::CustomerName) => "customer.name",
            (_, Field::ExternalId) => "customer.externalId",
            (_, Field::WebhookUrl) => "webhook.url",
            (_, Field::WebhookName) => "webhook.name",
            (_, Field::WebhookFilterTypes) => "webhook.filterTypes",
            (_, Field::PricingModel) => "webhook.pricingModelId",
            (Names::Refund, Field::RefundAmount) => "partialAmount",
            (_, Field::CancelTiming) => "cancellation.timing",
            (_, other) => return format!("{}.{other}", self.root()),
        };
        match self {
            Names::CheckoutSession { .. } => format!("checkoutSession.{name}"),
            _ => name.to_owned(),
        }
    }

    fn root(self) -> &'static str {
        match self {
            Names::CheckoutSession { .. } => "checkoutSession",
            Names::Product => "product",
            Names::Price => "price",
            Names::Customer => "customer",
            Names::Webhook => "webhook",
            Names::Refund => "refund",
            Names::Subscription => "subscription",
        }
    }
}

/// The caller, authenticated by the secret key in `Authorization` (with or without `Bearer`).
pub struct FlowgladAuth(pub Principal);

impl FromRequestParts<AppState> for FlowgladAuth {
    type Rejection = FlowgladError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match super::auth::principal_of(parts, state).await {
            Ok(principal) => Ok(FlowgladAuth(principal)),
            Err(AuthError::Missing) => Err(FlowgladError::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "Authorization not provided: send your secret key in the Authorization header",
            )),
            Err(AuthError::Invalid) => Err(FlowgladError::new(
                StatusCode::UNAUTHORIZED,
                "UNAUTHORIZED",
                "The API key is not valid: it is malformed, revoked or unknown",
            )),
            Err(AuthError::Store(cause)) => Err(FlowgladError::from_service(
                ServiceError::Store(cause),
                Names::Product,
            )),
        }
    }
}

/// A JSON body whatever its content type, whose shape errors name the JSON path at fault.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = FlowgladError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        super::read_json(request, state)
            .await
            .map(Body)
            .map_err(|(path, message)| {
                FlowgladError::bad_request(if path.is_empty() {
                    message
                } else {
                    format!("{path}: {message}")
                })
            })
    }
}

/// `?cursor=&limit=` of list endpoints: limit 1 to 100, 10 by default.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

impl ListQuery {
    fn page(&self) -> Result<PageRequest, FlowgladError> {
        let limit = match self.limit.as_deref().filter(|l| !l.is_empty()) {
            None => 10,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|l| (1..=100).contains(l))
                .ok_or_else(|| {
                    FlowgladError::bad_request(format!(
                        "limit: `{raw}` is not a number from 1 to 100"
                    ))
                })?,
        };
        let after = match self.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => None,
            Some(token) => Some(pagination::decode(token).ok_or_else(|| {
                FlowgladError::bad_request("cursor: not a cursor this API issued")
            })?),
        };
        Ok(PageRequest { limit, after })
    }
}

/// A list page in Flowglad's shape.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListBody<T> {
    data: Vec<T>,
    has_more: bool,
    total: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    current_cursor: Option<String>,
}

/// Answers a list endpoint: the `page` of rows, `total` in all, each row in Flowglad's shape.
async fn list_of<R, T>(
    query: &ListQuery,
    page: impl Future<Output = Result<crate::store::Page<R>, crate::store::StoreError>>,
    total: impl Future<Output = Result<i64, crate::store::StoreError>>,
    to_body: impl Fn(&R) -> T,
    key: impl Fn(&R) -> (i64, &str),
) -> Result<axum::Json<ListBody<T>>, FlowgladError> {
    let internal =
        |e: crate::store::StoreError| FlowgladError::from_service(e.into(), Names::Product);
    let page = page.await.map_err(internal)?;
    let total = total.await.map_err(internal)?;
    let data = page.items.iter().map(to_body).collect();
    Ok(axum::Json(ListBody::new(
        query,
        &page.items,
        page.has_more,
        total,
        data,
        key,
    )))
}

impl<T> ListBody<T> {
    fn new<R>(
        query: &ListQuery,
        items: &[R],
        has_more: bool,
        total: i64,
        data: Vec<T>,
        key: impl Fn(&R) -> (i64, &str),
    ) -> Self {
        let next_cursor = if has_more {
            items.last().map(|last| {
                let (created_at, id) = key(last);
                pagination::encode(created_at, id)
            })
        } else {
            None
        };
        ListBody {
            data,
            has_more,
            total,
            next_cursor,
            current_cursor: query.cursor.clone().filter(|c| !c.is_empty()),
        }
    }
}
