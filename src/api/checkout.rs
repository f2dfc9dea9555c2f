//! kassa's own checkout session API: the whole core, one to one, for clients written for kassa
//! and for everything the vendor dialects cannot express (several lines, modes, trials,
//! discounts, guests). JSON in snake_case; timestamps are epoch milliseconds.

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
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
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
    output_metadata: Option<serde_json::Value>,
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
}

/// `saved_payment_method_options`, in Stripe's shape: whether a known customer may keep a new
/// method for next time (`payment_method_save`: `enabled`, the default, or `disabled`).
#[derive(Deserialize)]
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
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingCollection {
    #[serde(default)]
    pub allowed_countries: Vec<String>,
}

/// `phone_number_collection`, in Stripe's shape.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneCollection {
    pub enabled: bool,
}

/// A question on the page (`custom_fields[]`), in Stripe's shape.
#[derive(Deserialize)]
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LabelForm {
    /// Always `custom`.
    #[serde(rename = "type")]
    #[allow(dead_code, reason = "Stripe's only label type")]
    kind: Option<String>,
    custom: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LengthsForm {
    minimum_length: Option<i64>,
    maximum_length: Option<i64>,
    default_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DropdownForm {
    #[serde(default)]
    options: Vec<OptionForm>,
    default_value: Option<String>,
}

#[derive(Deserialize)]
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
#[derive(Deserialize)]
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
) -> CollectionDraft {
    CollectionDraft {
        billing_address: billing,
        shipping_countries: shipping.map(|s| s.allowed_countries),
        phone: phone.is_some_and(|p| p.enabled),
        payment_method_save: saved.and_then(|s| s.payment_method_save),
        custom_fields: custom_fields.into_iter().map(Into::into).collect(),
        terms_of_service: consent.and_then(|c| c.terms_of_service),
    }
}

fn purchase() -> SessionKind {
    SessionKind::Purchase
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    price: Option<String>,
    price_slug: Option<String>,
    quantity: Option<i64>,
    adjustable_quantity: Option<AdjustableDraft>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestInput {
    email: Option<String>,
    name: Option<String>,
    phone: Option<String>,
    business_entity_id: Option<String>,
    billing_address: Option<BillingAddress>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountInput {
    coupon: Option<String>,
    promotion_code: Option<String>,
}

/// A session and the address of its hosted page.
#[derive(Serialize)]
pub struct SessionBody {
    #[serde(flatten)]
    session: CheckoutSession,
    url: String,
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
        ),
        payment_link_id: None,
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

fn body(state: &AppState, session: CheckoutSession) -> SessionBody {
    SessionBody {
        url: state.checkout_url(&session.id),
        session,
    }
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    once: Idempotency,
    payload: super::JsonBody<CreateBody>,
) -> Result<(StatusCode, Json<SessionBody>), ApiError> {
    let draft = to_draft(payload.0)?;
    let session = checkout::create_session(&state.store, &principal, draft, now_ms(), once.claim())
        .await
        .map_err(service_error)?;
    Ok((StatusCode::CREATED, Json(body(&state, session))))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<SessionBody>, ApiError> {
    let session = checkout::get_session(&state.store, &principal, &id)
        .await
        .map_err(service_error)?;
    Ok(Json(body(&state, session)))
}

/// `GET /api/checkout/{id}/status`: a session's status, and whether its latest charge is being
/// looked up (`checking`), for its page to poll while a payment settles. Public like the page:
/// the unguessable id is the key, and only the status is told.
pub async fn status(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
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
    Ok(Json(
        serde_json::json!({ "status": status.as_str(), "checking": checking }),
    ))
}

/// `POST /api/checkout-sessions/{id}/expire`: ends an open session now.
pub async fn expire(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<SessionBody>, ApiError> {
    let session = checkout::expire_session(&state.store, &principal, &id, now_ms())
        .await
        .map_err(service_error)?;
    Ok(Json(body(&state, session)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionBody {
    customer: String,
    price: String,
    quantity: Option<i64>,
    name: Option<String>,
}

/// `POST /api/subscriptions`: a subscription awaiting activation, for an activate-subscription
/// checkout to start.
pub async fn create_subscription(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    payload: super::JsonBody<SubscriptionBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(subscription_body(&created))))
}

/// `POST /api/payments/{id}/refunds`'s body.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// Minor units of the payment's currency; all that is left when absent.
    amount: Option<i64>,
    reason: Option<String>,
}

/// `POST /api/payments/{id}/refunds`: gives back `amount` of a payment (all that is left when
/// absent) through its processor. 201 with the refund; `status` is `pending` when the
/// processor's answer did not arrive (kassa asks again under the same key until it does).
pub async fn refund_payment(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
    payload: super::JsonBody<RefundBody>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
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
    let (r, p) = (&refunded.refund, &refunded.payment);
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "id": r.id,
            "object": "refund",
            "payment": r.payment_id,
            "amount": { "amount": r.amount, "currency": r.currency },
            "status": r.status,
            "reason": r.reason,
            "created_at": r.created_at,
            "payment_amount": { "amount": p.amount, "currency": p.currency },
            "payment_refunded": { "amount": p.refunded_amount, "currency": p.currency },
        })),
    ))
}

/// `GET /api/subscriptions/{id}`: a subscription, with what it charges each period.
pub async fn retrieve_subscription(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let subscription =
        crate::service::subscriptions::get_subscription(&state.store, &principal, &id)
            .await
            .map_err(service_error)?;
    Ok(Json(subscription_body(&subscription)))
}

/// `POST /api/subscriptions/{id}/cancel`'s body.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Run until the end of the current period instead of ending now.
    #[serde(default)]
    at_period_end: bool,
}

/// `POST /api/subscriptions/{id}/cancel`: ends a subscription now, or (`at_period_end`) at the
/// end of its current period.
pub async fn cancel_subscription(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
    payload: super::JsonBody<CancelBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
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
    Ok(Json(subscription_body(&subscription)))
}

/// `POST /api/subscriptions/{id}/uncancel`: calls off a cancellation at the period's end.
pub async fn uncancel_subscription(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let subscription = crate::service::subscriptions::uncancel_subscription(
        &state.store,
        &principal,
        &id,
        now_ms(),
    )
    .await
    .map_err(service_error)?;
    Ok(Json(subscription_body(&subscription)))
}

fn subscription_body(s: &crate::service::subscriptions::Subscription) -> serde_json::Value {
    let r = &s.record;
    serde_json::json!({
        "id": r.id,
        "customer": r.customer_id,
        "price": r.price_id,
        "quantity": r.quantity,
        "status": r.status,
        "default_payment_method": r.default_payment_method_id,
        "current_period_start": r.current_period_start,
        "current_period_end": r.current_period_end,
        "trial_end": r.trial_end,
        "canceled_at": r.canceled_at,
        "cancel_at": r.cancel_scheduled_at,
        "latest_open_invoice": r.open_invoice_id,
        "next_payment_attempt": r.collect_at,
        "failed_charges": r.failed_charges,
        "created_at": r.created_at,
        "livemode": r.livemode,
        "items": s.items.iter().map(|(item, _)| serde_json::json!({
            "id": item.id,
            "price": item.price_id,
            "quantity": item.quantity,
            "unit_amount": { "amount": item.unit_amount, "currency": item.currency },
            "created_at": item.created_at,
        })).collect::<Vec<_>>(),
    })
}
