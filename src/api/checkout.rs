//! kassa's own checkout session API: the whole core, one to one, for clients written for kassa
//! and for everything the vendor dialects cannot express (several lines, modes, trials,
//! discounts, guests). JSON in snake_case; timestamps are epoch milliseconds.

use super::objects::{List, Refund, Session, SessionState, Subscription};
use super::pagination::{self, ListQuery};
use super::{ApiError, Authenticated};
use crate::api::idempotency::Idempotency;
use crate::domain::custom_field::CustomFieldDraft;
use crate::domain::customer::BillingAddress;
use crate::domain::session::draft::{
    AdjustableDraft, CollectionDraft, CustomerDraft, DiscountDraft, FieldError, GuestDraft,
    LineItemDraft, PriceRef, SessionDraft,
};
use crate::domain::session::{Attribution, CheckoutSession, SessionKind, SessionMode};
use crate::service::{ServiceError, checkout};
use crate::state::AppState;
use crate::store::now_ms;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

/// A checkout session to create.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateCheckoutSession, example = json!({
    "line_items": [{ "price_slug": "espresso-beans", "quantity": 2 }],
    "success_url": "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}",
    "cancel_url": "https://shop.example/cart",
    "metadata": { "order": "A-1001" }
}))]
pub struct CreateBody {
    #[serde(rename = "type", default = "purchase")]
    kind: SessionKind,
    mode: Option<SessionMode>,
    #[serde(default)]
    line_items: Vec<LineInput>,
    currency: Option<String>,
    customer: Option<String>,
    customer_external_id: Option<String>,
    guest: Option<GuestInput>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    pending_url: Option<String>,
    payment_method_types: Option<Vec<String>>,
    #[serde(default)]
    allow_promotion_codes: bool,
    #[serde(default)]
    discounts: Vec<DiscountInput>,
    trial_period_days: Option<i64>,
    #[serde(default)]
    preserve_billing_cycle_anchor: bool,
    target_subscription: Option<String>,
    automatically_update_subscriptions: Option<bool>,
    output_name: Option<String>,
    #[schema(value_type = Option<Object>)]
    output_metadata: Option<serde_json::Value>,
    /// Up to 50 keys; values are strings, numbers or booleans.
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
    attribution: Option<Attribution>,
    expires_at: Option<i64>,
    trace_id: Option<String>,
    plan: Option<String>,
    starts_at: Option<i64>,
    client_reference_id: Option<String>,
    /// The page's language (`auto`, `de`, `fr-CA`, …; Stripe's values).
    locale: Option<String>,
    billing_address_collection: Option<String>,
    shipping_address_collection: Option<ShippingCollection>,
    phone_number_collection: Option<PhoneCollection>,
    saved_payment_method_options: Option<SavedMethodOptions>,
    #[serde(default)]
    custom_fields: Vec<CustomFieldForm>,
    consent_collection: Option<ConsentForm>,
    tax_id_collection: Option<TaxIdCollectionForm>,
}

/// `tax_id_collection`, in Stripe's shape: whether a buyer buying as a business may give their
/// tax id on the page (`enabled`), and whether they must where kassa knows their country's kind
/// of tax id (`required`: `if_supported`, or `never`, the default).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaxIdCollectionForm {
    pub enabled: bool,
    pub required: Option<String>,
}

/// `saved_payment_method_options`, in Stripe's shape: whether a known customer may keep a new
/// method for next time (`payment_method_save`: `enabled`, the default, or `disabled`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedMethodOptions {
    pub payment_method_save: Option<String>,
    /// Stripe's filter of which saved methods show; kassa shows those the buyer agreed to.
    #[serde(default)]
    #[allow(
        dead_code,
        reason = "accepted; kassa redisplays only what the buyer agreed to"
    )]
    pub allow_redisplay_filters: Vec<String>,
}

/// `shipping_address_collection`, in Stripe's shape (kassa's API and Stripe's dialect).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShippingCollection {
    #[serde(default)]
    pub allowed_countries: Vec<String>,
}

/// `phone_number_collection`, in Stripe's shape.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneCollection {
    pub enabled: bool,
}

/// A question on the page (`custom_fields[]`), in Stripe's shape.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomFieldForm {
    key: Option<String>,
    label: Option<LabelForm>,
    #[serde(rename = "type")]
    kind: Option<String>,
    optional: Option<bool>,
    text: Option<LengthsForm>,
    numeric: Option<LengthsForm>,
    dropdown: Option<DropdownForm>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LabelForm {
    /// Always `custom`.
    #[serde(rename = "type")]
    #[allow(dead_code, reason = "Stripe's only label type")]
    kind: Option<String>,
    custom: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LengthsForm {
    minimum_length: Option<i64>,
    maximum_length: Option<i64>,
    default_value: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct DropdownForm {
    #[serde(default)]
    options: Vec<OptionForm>,
    default_value: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OptionForm {
    label: Option<String>,
    value: Option<String>,
}

impl From<CustomFieldForm> for CustomFieldDraft {
    fn from(form: CustomFieldForm) -> Self {
        let lengths = match form.kind.as_deref() {
            Some("numeric") => form.numeric,
            _ => form.text,
        };
        let (minimum_length, maximum_length, mut default_value) = lengths
            .map(|l| (l.minimum_length, l.maximum_length, l.default_value))
            .unwrap_or_default();
        let mut options = Vec::new();
        if let Some(dropdown) = form.dropdown {
            options = dropdown
                .options
                .into_iter()
                .map(|o| (o.label, o.value))
                .collect();
            default_value = default_value.or(dropdown.default_value);
        }
        CustomFieldDraft {
            key: form.key,
            label: form.label.and_then(|l| l.custom),
            kind: form.kind,
            optional: form.optional,
            minimum_length,
            maximum_length,
            default_value,
            options,
        }
    }
}

/// `consent_collection`, in Stripe's shape: kassa asks for the terms of service only.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentForm {
    pub terms_of_service: Option<String>,
}

/// What a session collects, from its settings as Stripe names them.
pub fn collection_draft(
    billing: Option<String>,
    shipping: Option<ShippingCollection>,
    phone: Option<PhoneCollection>,
    saved: Option<SavedMethodOptions>,
    custom_fields: Vec<CustomFieldForm>,
    consent: Option<ConsentForm>,
    tax_id: Option<TaxIdCollectionForm>,
) -> CollectionDraft {
    CollectionDraft {
        billing_address: billing,
        shipping_countries: shipping.map(|s| s.allowed_countries),
        phone: phone.is_some_and(|p| p.enabled),
        payment_method_save: saved.and_then(|s| s.payment_method_save),
        custom_fields: custom_fields.into_iter().map(Into::into).collect(),
        terms_of_service: consent.and_then(|c| c.terms_of_service),
        tax_id: tax_id.as_ref().is_some_and(|t| t.enabled),
        tax_id_required: tax_id.and_then(|t| t.required),
    }
}

fn purchase() -> SessionKind {
    SessionKind::Purchase
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LineItemInput)]
pub struct LineInput {
    price: Option<String>,
    price_slug: Option<String>,
    quantity: Option<i64>,
    adjustable_quantity: Option<AdjustableDraft>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GuestInput {
    email: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    business_entity_id: Option<String>,
    billing_address: Option<BillingAddress>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscountInput {
    coupon: Option<String>,
    promotion_code: Option<String>,
}

fn to_draft(body: CreateBody) -> Result<SessionDraft, ApiError> {
    let mut line_items = Vec::with_capacity(body.line_items.len());
    for (i, line) in body.line_items.into_iter().enumerate() {
        let price = PriceRef::one_of(
            line.price,
            line.price_slug,
            crate::domain::field::Field::LinePrice(i),
        )
        .map_err(field_error)?;
        line_items.push(LineItemDraft {
            price,
            quantity: line.quantity,
            adjustable: line.adjustable_quantity,
        });
    }
    let customer = match (body.customer, body.customer_external_id, body.guest) {
        (None, None, None) => CustomerDraft::Anonymous,
        (Some(id), None, None) => CustomerDraft::Existing(id),
        (None, Some(external), None) => CustomerDraft::External(external),
        (None, None, Some(g)) => CustomerDraft::Guest(Box::new(GuestDraft {
            email: g.email,
            name: g.name,
            phone: g.phone,
            business_entity_id: g.business_entity_id,
            billing_address: g.billing_address,
        })),
        _ => {
            return Err(ApiError::invalid(
                "customer",
                "give at most one of customer, customer_external_id and guest",
            ));
        }
    };
    let mut discounts = Vec::with_capacity(body.discounts.len());
    for (i, d) in body.discounts.into_iter().enumerate() {
        discounts.push(match (d.coupon, d.promotion_code) {
            (Some(coupon), None) => DiscountDraft::Coupon(coupon),
            (None, Some(code)) => DiscountDraft::PromotionCode(code),
            _ => {
                return Err(ApiError::invalid(
                    format!("discounts[{i}]"),
                    "give either a coupon or a promotion_code",
                ));
            }
        });
    }
    Ok(SessionDraft {
        kind: body.kind,
        mode: body.mode,
        line_items,
        currency: body.currency,
        customer,
        success_url: body.success_url,
        cancel_url: body.cancel_url,
        pending_url: body.pending_url,
        payment_method_types: body.payment_method_types,
        allow_promotion_codes: body.allow_promotion_codes,
        discounts,
        trial_period_days: body.trial_period_days,
        preserve_billing_cycle_anchor: body.preserve_billing_cycle_anchor,
        target_subscription_id: body.target_subscription,
        automatically_update_subscriptions: body.automatically_update_subscriptions,
        output_name: body.output_name,
        output_metadata: body.output_metadata,
        metadata: body.metadata,
        attribution: body.attribution,
        expires_at: body.expires_at,
        trace_id: body.trace_id,
        plan_id: body.plan,
        starts_at: body.starts_at,
        client_reference_id: body.client_reference_id,
        collection: collection_draft(
            body.billing_address_collection,
            body.shipping_address_collection,
            body.phone_number_collection,
            body.saved_payment_method_options,
            body.custom_fields,
            body.consent_collection,
            body.tax_id_collection,
        ),
        payment_link_id: None,
        origin: crate::domain::session::Origin::Kassa,
        locale: body.locale,
    })
}

fn field_error(e: FieldError) -> ApiError {
    ApiError {
        status: StatusCode::BAD_REQUEST,
        code: e.code,
        message: e.message,
        param: Some(e.field.to_string()),
    }
}

/// The first problem as the error (its field as `param`), as Stripe-like clients expect.
pub fn service_error(error: ServiceError) -> ApiError {
    service_error_naming(error, |field| Some(field.to_string()))
}

/// [`service_error`] for a dialect that names fields its own way (`param` of `None` names none).
pub fn service_error_naming(
    error: ServiceError,
    param: impl Fn(crate::domain::field::Field) -> Option<String>,
) -> ApiError {
    let with_param = |e: FieldError, status| ApiError {
        status,
        code: e.code,
        param: param(e.field),
        message: e.message,
    };
    match error {
        ServiceError::Invalid(errors) => match errors.into_iter().next() {
            Some(first) => with_param(first, StatusCode::BAD_REQUEST),
            None => ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "the request is not valid",
            ),
        },
        ServiceError::Conflict(e) => with_param(e, StatusCode::CONFLICT),
        ServiceError::NotFound(what) => ApiError::not_found(what),
        ServiceError::Store(e) => ApiError::internal(e),
    }
}

fn body(state: &AppState, session: CheckoutSession) -> Session {
    Session {
        url: state.checkout_url(&session.id),
        session,
    }
}

/// Create a checkout session
///
/// The session's page is at `url`: send the buyer there. `type` is what the session makes when
/// paid (`purchase`, `add_payment_method`, `activate_subscription`); `line_items` name prices
/// by id or slug.
#[utoipa::path(post, path = "/api/checkout-sessions", tag = "Checkout sessions",
    request_body = CreateBody,
    responses((status = 201, description = "The session, open", body = Session)))]
pub async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    once: Idempotency,
    payload: super::JsonBody<CreateBody>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    let draft = to_draft(payload.0)?;
    let session = checkout::create_session(&state.store, &principal, draft, now_ms(), once.claim())
        .await
        .map_err(service_error)?;
    Ok((StatusCode::CREATED, Json(body(&state, session))))
}

/// List checkout sessions
///
/// The organization's sessions in the key's mode, newest first.
#[utoipa::path(get, path = "/api/checkout-sessions", tag = "Checkout sessions",
    params(ListQuery),
    responses((status = 200, description = "A page of sessions", body = List<Session>)))]
pub async fn list(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    super::ApiQuery(query): super::ApiQuery<ListQuery>,
) -> Result<Json<List<Session>>, ApiError> {
    let page = state
        .store
        .sessions(
            &principal.organization_id,
            principal.mode.is_live(),
            &query.page()?,
        )
        .await?;
    Ok(Json(pagination::list(
        page,
        |s| (s.created_at, &s.id),
        |s| body(&state, s.clone()),
    )))
}

/// Retrieve a checkout session
#[utoipa::path(get, path = "/api/checkout-sessions/{id}", tag = "Checkout sessions",
    params(("id" = String, Path, description = "The session's id (`cs_test_…`, `cs_live_…`)")),
    responses((status = 200, description = "The session", body = Session)))]
pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Session>, ApiError> {
    let session = checkout::get_session(&state.store, &principal, &id)
        .await
        .map_err(service_error)?;
    Ok(Json(body(&state, session)))
}

/// A session's state, for its page
///
/// Whether the session is open, complete or expired, and whether its latest charge is being
/// looked up (`checking`), for the hosted page to poll while a payment settles. Public like the
/// page: the unguessable id is the key, and only the status is told.
#[utoipa::path(get, path = "/api/checkout/{id}/status", tag = "Checkout sessions",
    params(("id" = String, Path, description = "The session's id")),
    security(()),
    responses((status = 200, description = "The session's state", body = SessionState)))]
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SessionState>, ApiError> {
    if !crate::domain::ids::is_checkout_session_id(&id) {
        return Err(ApiError::not_found("checkout session"));
    }
    let session = state
        .store
        .session_by_id(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("checkout session"))?;
    let status = session.effective_status(now_ms());
    // A charge whose answer was lost is being looked up: the page waits for it too.
    let checking = status == crate::domain::session::SessionStatus::Open
        && state
            .store
            .latest_attempt(&id)
            .await?
            .is_some_and(|a| a.status.outcome_unknown());
    Ok(Json(SessionState {
        status: status.as_str(),
        checking,
    }))
}

/// Expire a checkout session
///
/// Ends an open session now: its page stops taking payments.
#[utoipa::path(post, path = "/api/checkout-sessions/{id}/expire", tag = "Checkout sessions",
    params(("id" = String, Path, description = "The session's id")),
    responses((status = 200, description = "The session, expired", body = Session)))]
pub async fn expire(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Session>, ApiError> {
    let session = checkout::expire_session(&state.store, &principal, &id, now_ms())
        .await
        .map_err(service_error)?;
    Ok(Json(body(&state, session)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateSubscription)]
pub struct SubscriptionBody {
    customer: String,
    price: String,
    quantity: Option<i64>,
    name: Option<String>,
}

/// Create a subscription
///
/// A subscription awaiting activation (`incomplete`), for an `activate_subscription` checkout
/// to start.
#[utoipa::path(post, path = "/api/subscriptions", tag = "Subscriptions",
    request_body = SubscriptionBody,
    responses((status = 201, description = "The subscription, incomplete", body = Subscription)))]
pub async fn create_subscription(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    payload: super::JsonBody<SubscriptionBody>,
) -> Result<(StatusCode, Json<Subscription>), ApiError> {
    let b = payload.0;
    let sub = crate::service::catalog::create_subscription(
        &state.store,
        &principal,
        &b.customer,
        &b.price,
        b.quantity,
        b.name.as_deref(),
    )
    .await
    .map_err(|e| match e {
        ServiceError::Invalid(mut errors) => {
            for e in &mut errors {
                // this endpoint's fields are `customer`, `price` and `quantity`
                e.field = match e.field {
                    crate::domain::field::Field::LinePrice(_) => {
                        crate::domain::field::Field::ProductId
                    }
                    other => other,
                };
            }
            service_error(ServiceError::Invalid(errors))
        }
        other => service_error(other),
    })?;
    let created =
        crate::service::subscriptions::get_subscription(&state.store, &principal, &sub.id)
            .await
            .map_err(service_error)?;
    Ok((StatusCode::CREATED, Json(Subscription::from(&created))))
}

/// `POST /api/payments/{id}/refunds`'s body.
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateRefund)]
pub struct RefundBody {
    /// Minor units of the payment's currency; all that is left when absent.
    amount: Option<i64>,
    reason: Option<String>,
}

/// Refund a payment
///
/// Gives back `amount` of a payment (all that is left when absent) through its processor.
/// `status` is `pending` when the processor's answer did not arrive (kassa asks again under the
/// same key until it does).
#[utoipa::path(post, path = "/api/payments/{id}/refunds", tag = "Payments",
    params(("id" = String, Path, description = "The payment's id (`pay_…`)")),
    request_body = RefundBody,
    responses((status = 201, description = "The refund", body = Refund)))]
pub async fn refund_payment(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
    payload: super::JsonBody<RefundBody>,
) -> Result<(StatusCode, Json<Refund>), ApiError> {
    let body = payload.0;
    let refunded = crate::service::payment::refunds::refund_payment(
        &state.store,
        &state.processors,
        &principal,
        &id,
        body.amount,
        body.reason.as_deref(),
        now_ms(),
    )
    .await
    .map_err(service_error)?;
    Ok((
        StatusCode::CREATED,
        Json(Refund::new(&refunded.refund, &refunded.payment)),
    ))
}

/// Retrieve a subscription
///
/// A subscription, with what it charges each period.
#[utoipa::path(get, path = "/api/subscriptions/{id}", tag = "Subscriptions",
    params(("id" = String, Path, description = "The subscription's id (`sub_…`)")),
    responses((status = 200, description = "The subscription", body = Subscription)))]
pub async fn retrieve_subscription(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Subscription>, ApiError> {
    let subscription =
        crate::service::subscriptions::get_subscription(&state.store, &principal, &id)
            .await
            .map_err(service_error)?;
    Ok(Json(Subscription::from(&subscription)))
}

/// `POST /api/subscriptions/{id}/cancel`'s body.
#[derive(serde::Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CancelSubscription)]
pub struct CancelBody {
    /// Run until the end of the current period instead of ending now.
    #[serde(default)]
    at_period_end: bool,
}

/// Cancel a subscription
///
/// Ends a subscription now, or (`at_period_end`) at the end of its current period.
#[utoipa::path(post, path = "/api/subscriptions/{id}/cancel", tag = "Subscriptions",
    params(("id" = String, Path, description = "The subscription's id")),
    request_body = CancelBody,
    responses((status = 200, description = "The subscription", body = Subscription)))]
pub async fn cancel_subscription(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
    payload: super::JsonBody<CancelBody>,
) -> Result<Json<Subscription>, ApiError> {
    use crate::service::subscriptions::{self, CancelTiming};
    let timing = if payload.0.at_period_end {
        CancelTiming::AtPeriodEnd
    } else {
        CancelTiming::Immediately
    };
    let subscription =
        subscriptions::cancel_subscription(&state.store, &principal, &id, timing, now_ms())
            .await
            .map_err(service_error)?;
    Ok(Json(Subscription::from(&subscription)))
}

/// Call off a cancellation
///
/// Calls off a cancellation scheduled for the period's end.
#[utoipa::path(post, path = "/api/subscriptions/{id}/uncancel", tag = "Subscriptions",
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 200, description = "The subscription", body = Subscription)))]
pub async fn uncancel_subscription(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Subscription>, ApiError> {
    let subscription = crate::service::subscriptions::uncancel_subscription(
        &state.store,
        &principal,
        &id,
        now_ms(),
    )
    .await
    .map_err(service_error)?;
    Ok(Json(Subscription::from(&subscription)))
}
