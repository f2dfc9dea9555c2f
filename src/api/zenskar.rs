//! The Zenskar dialect (seed 004 and Zenskar's public docs): `POST /checkout`, `GET`/`PUT
//! /checkout/{id}`, `POST /checkout/{id}/confirm` and `POST /checkout/{id}/cancel`, JSON in
//! snake_case, authenticated by `x-api-key` (or `Authorization: Bearer`). A mapping over the core:
//! contracts become the session's lines (a plan's items, or one phase's pricings), the customer
//! an existing one or a guest, and the core's statuses Zenskar's.
//!
//! `GET /checkout/{id}` is also the hosted page's address: a request carrying an API key is this
//! dialect's ([`super::route_api_reads`] sends it to [`READ_PATH`]), a browser's is the page.
//!
//! Amounts are integers in the currency's minor unit, as everywhere in kassa (Zenskar itself
//! writes decimals); errors are kassa's envelope `{"error": {"code", "message", "param"}}` with
//! `param` in Zenskar's dotted form (`contract.phases[0].pricings[1].quantity`).

use super::checkout::{service_error, service_error_naming};
use super::{ApiError, Authenticated, JsonBody};
use crate::api::idempotency::Idempotency;
use crate::domain::customer::BillingAddress;
use crate::domain::field::Field;
use crate::domain::session::draft::{
    AdjustableDraft, CustomerDraft, DiscountDraft, GuestDraft, LineItemDraft, PriceRef,
    SessionDraft,
};
use crate::domain::session::{
    Attribution, CheckoutSession, Confirmation, SessionKind, SessionStatus,
};
use crate::service::{ServiceError, checkout, payment};
use crate::state::AppState;
use crate::store::now_ms;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Where an API read of `GET /checkout/{id}` is routed.
pub const READ_PATH: &str = "/zenskar/checkout/{id}";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CheckoutBody {
    contract: Option<ContractInput>,
    customer_id: Option<String>,
    guest_checkout: Option<bool>,
    customer: Option<CustomerInput>,
    business_entity_id: Option<String>,
    expires_at: Option<String>,
    /// Read by `api::idempotency` (it has `Idempotency-Key`'s meaning); nothing else to do here.
    #[allow(dead_code)]
    idempotency_key: Option<String>,
    trace_id: Option<String>,
    currency: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    pending_url: Option<String>,
    attribution: Option<AttributionInput>,
    metadata: Option<Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    is_plan_based: Option<bool>,
    plan_id: Option<String>,
    currency: Option<String>,
    start_date: Option<String>,
    phases: Option<Vec<PhaseInput>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseInput {
    #[allow(dead_code)]
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    start_date: Option<String>,
    #[allow(dead_code)]
    end_date: Option<String>,
    pricings: Option<Vec<PricingInput>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingInput {
    pricing_id: Option<String>,
    #[allow(dead_code)]
    product_id: Option<String>,
    quantity: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    #[serde(alias = "name")]
    customer_name: Option<String>,
    email: Option<String>,
    #[serde(alias = "phone")]
    phone_number: Option<String>,
    address: Option<AddressInput>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressInput {
    line1: Option<String>,
    line2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    #[serde(alias = "zipCode", alias = "postal_code")]
    zip_code: Option<String>,
    country: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributionInput {
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    utm_term: Option<String>,
    utm_content: Option<String>,
    referrer: Option<String>,
}

/// How the request's lines came: from a plan, or from the one phase's pricings.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Contract {
    PlanBased,
    ProductBased,
}

/// Parses an ISO 8601 date-time (with or without an offset: none means UTC) or date into epoch
/// milliseconds.
pub fn parse_instant(text: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime};
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.timestamp_millis());
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(at.and_utc().timestamp_millis());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|at| at.and_utc().timestamp_millis())
}

/// Epoch milliseconds as ISO 8601 in UTC (`2026-01-31T12:00:00Z`).
fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn missing(param: &str, message: &str) -> ApiError {
    ApiError {
        code: "parameter_missing",
        ..ApiError::invalid(param, message)
    }
}

fn invalid(param: impl Into<String>, message: impl Into<String>) -> ApiError {
    ApiError {
        code: "parameter_invalid",
        ..ApiError::invalid(param, message)
    }
}

/// The request as the core's draft, onto `base` (a new session's empty draft, or the current
/// terms of the session a `PUT` changes): what the body names replaces what `base` has.
fn to_draft(
    body: CheckoutBody,
    mut draft: SessionDraft,
    creating: bool,
) -> Result<(SessionDraft, Contract), ApiError> {
    let mut contract_kind = if draft.plan_id.is_some() {
        Contract::PlanBased
    } else {
        Contract::ProductBased
    };
    match body.contract {
        None if creating => return Err(missing("contract", "contract is required")),
        None => {}
        Some(contract) => {
            let Some(plan_based) = contract.is_plan_based else {
                return Err(missing(
                    "contract.is_plan_based",
                    "contract.is_plan_based is required: true with a plan_id, false with phases",
                ));
            };
            let Some(currency) = contract.currency.filter(|c| !c.is_empty()) else {
                return Err(missing(
                    "contract.currency",
                    "contract.currency is required",
                ));
            };
            let Some(start_date) = contract.start_date else {
                return Err(missing(
                    "contract.start_date",
                    "contract.start_date is required",
                ));
            };
            let starts_at = parse_instant(&start_date).ok_or_else(|| {
                invalid(
                    "contract.start_date",
                    "contract.start_date must be an ISO 8601 date or date-time",
                )
            })?;
            draft.currency = Some(currency);
            draft.starts_at = Some(starts_at);
            // A new contract's prices decide the mode again.
            draft.mode = None;
            if plan_based {
                contract_kind = Contract::PlanBased;
                if contract.phases.is_some() {
                    return Err(invalid(
                        "contract.phases",
                        "a plan-based contract takes its phases from the plan; give plan_id only",
                    ));
                }
                let Some(plan_id) = contract.plan_id.filter(|p| !p.is_empty()) else {
                    return Err(missing(
                        "contract.plan_id",
                        "contract.plan_id is required for a plan-based contract",
                    ));
                };
                draft.plan_id = Some(plan_id);
                draft.line_items = Vec::new();
            } else {
                contract_kind = Contract::ProductBased;
                if contract.plan_id.is_some() {
                    return Err(invalid(
                        "contract.plan_id",
                        "a product-based contract names no plan; set is_plan_based to true for one",
                    ));
                }
                let phases = contract.phases.unwrap_or_default();
                let phase = match phases.len() {
                    0 => {
                        return Err(missing(
                            "contract.phases",
                            "a product-based contract needs a phase with pricings",
                        ));
                    }
                    1 => phases.into_iter().next().expect("one"),
                    _ => {
                        return Err(invalid(
                            "contract.phases",
                            "kassa sells one phase per checkout; give exactly one",
                        ));
                    }
                };
                if let Some(start) = &phase.start_date
                    && parse_instant(start).is_none()
                {
                    return Err(invalid(
                        "contract.phases[0].start_date",
                        "must be an ISO 8601 date or date-time",
                    ));
                }
                let pricings = phase.pricings.unwrap_or_default();
                if pricings.is_empty() {
                    return Err(missing(
                        "contract.phases[0].pricings",
                        "the phase needs at least one pricing",
                    ));
                }
                let mut lines = Vec::with_capacity(pricings.len());
                for (i, pricing) in pricings.into_iter().enumerate() {
                    let Some(id) = pricing.pricing_id.filter(|p| !p.is_empty()) else {
                        return Err(missing(
                            &format!("contract.phases[0].pricings[{i}].pricing_id"),
                            "pricing_id is required",
                        ));
                    };
                    lines.push(LineItemDraft {
                        price: PriceRef::Id(id),
                        quantity: pricing.quantity,
                        adjustable: None,
                    });
                }
                draft.plan_id = None;
                draft.line_items = lines;
            }
        }
    }

    // The top-level currency is only for display, and must be the contract's.
    if let Some(currency) = &body.currency {
        if crate::domain::money::Currency::parse(currency).is_err() {
            return Err(invalid(
                "currency",
                format!("`{currency}` is not an ISO 4217 currency code"),
            ));
        }
        if !draft
            .currency
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(currency))
        {
            return Err(ApiError {
                code: "currency_mismatch",
                ..invalid(
                    "currency",
                    format!(
                        "currency {currency} must match the contract's currency {}",
                        draft.currency.as_deref().unwrap_or("(none)")
                    ),
                )
            });
        }
    }

    let guest = body.guest_checkout.unwrap_or(false);
    if guest {
        if body.customer_id.is_some() {
            return Err(invalid(
                "customer_id",
                "a guest checkout names no customer_id; give customer details instead",
            ));
        }
        let Some(customer) = body.customer else {
            return Err(missing(
                "customer",
                "a guest checkout needs the customer's details",
            ));
        };
        let Some(entity) = body.business_entity_id.filter(|b| !b.is_empty()) else {
            return Err(missing(
                "business_entity_id",
                "a guest checkout needs business_entity_id",
            ));
        };
        let billing_address = match customer.address {
            None => None,
            Some(address) => {
                let country = address.country.unwrap_or_default();
                let Some(country) = crate::domain::customer::parse_country(&country) else {
                    return Err(invalid(
                        "customer.address.country",
                        "country must be an ISO 3166-1 alpha-2 code such as US or DE",
                    ));
                };
                Some(BillingAddress {
                    name: customer.customer_name.clone(),
                    line1: address.line1,
                    line2: address.line2,
                    city: address.city,
                    state: address.state,
                    postal_code: address.zip_code,
                    country,
                })
            }
        };
        draft.customer = CustomerDraft::Guest(Box::new(GuestDraft {
            email: customer.email,
            name: customer.customer_name,
            phone: customer.phone_number,
            business_entity_id: Some(entity),
            billing_address,
        }));
    } else if body.guest_checkout.is_some() || body.customer_id.is_some() || creating {
        if body.customer.is_some() {
            return Err(invalid(
                "customer",
                "customer details are for guest checkouts (guest_checkout: true); change an existing customer through the customers API",
            ));
        }
        if body.business_entity_id.is_some() {
            return Err(invalid(
                "business_entity_id",
                "business_entity_id is for guest checkouts (guest_checkout: true)",
            ));
        }
        let Some(customer_id) = body.customer_id.filter(|c| !c.is_empty()) else {
            return Err(missing(
                "customer_id",
                "customer_id is required unless guest_checkout is true",
            ));
        };
        draft.customer = CustomerDraft::Existing(customer_id);
    }

    if let Some(expires_at) = &body.expires_at {
        draft.expires_at =
            Some(parse_instant(expires_at).ok_or_else(|| {
                invalid("expires_at", "expires_at must be an ISO 8601 date-time")
            })?);
    }
    if body.success_url.is_some() {
        draft.success_url = body.success_url;
    }
    if body.cancel_url.is_some() {
        draft.cancel_url = body.cancel_url;
    }
    if body.pending_url.is_some() {
        draft.pending_url = body.pending_url;
    }
    if body.trace_id.is_some() {
        draft.trace_id = body.trace_id;
    }
    if let Some(a) = body.attribution {
        draft.attribution = Some(Attribution {
            utm_source: a.utm_source,
            utm_medium: a.utm_medium,
            utm_campaign: a.utm_campaign,
            utm_term: a.utm_term,
            utm_content: a.utm_content,
            referrer: a.referrer,
        });
    }
    if body.metadata.is_some() {
        draft.metadata = body.metadata;
    }
    Ok((draft, contract_kind))
}

/// The current terms of a session as a draft, for a `PUT` to change.
fn draft_of(session: &CheckoutSession) -> SessionDraft {
    let mut draft = SessionDraft::new(SessionKind::Purchase);
    draft.origin = session.origin;
    draft.plan_id = session.plan_id.clone();
    if session.plan_id.is_none() {
        draft.line_items = session
            .line_items
            .iter()
            .map(|l| LineItemDraft {
                price: PriceRef::Id(l.price_id.clone()),
                quantity: Some(i64::from(l.quantity)),
                adjustable: l.adjustable.map(|a| AdjustableDraft {
                    enabled: true,
                    minimum: Some(i64::from(a.minimum)),
                    maximum: Some(i64::from(a.maximum)),
                }),
            })
            .collect();
    }
    // What other dialects may have set, kept as it is.
    draft.mode = Some(session.mode);
    draft.client_reference_id = session.client_reference_id.clone();
    draft.trial_period_days = session.trial_period_days.map(i64::from);
    draft.allow_promotion_codes = session.allow_promotion_codes;
    draft.discounts = session
        .discount
        .iter()
        .map(|d| DiscountDraft::Coupon(d.coupon_id.clone()))
        .collect();
    draft.payment_method_types = Some(
        session
            .payment_method_types
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
    );
    draft.currency = session.currency.map(|c| c.code().to_owned());
    draft.starts_at = session.starts_at;
    draft.customer = match (&session.customer_id, &session.guest) {
        (Some(id), _) => CustomerDraft::Existing(id.clone()),
        (None, Some(g)) => CustomerDraft::Guest(Box::new(GuestDraft {
            email: Some(g.email.clone()),
            name: g.name.clone(),
            phone: g.phone.clone(),
            business_entity_id: g.business_entity_id.clone(),
            billing_address: g.billing_address.clone(),
        })),
        _ => CustomerDraft::Anonymous,
    };
    draft.success_url = session.success_url.clone();
    draft.cancel_url = session.cancel_url.clone();
    draft.pending_url = session.pending_url.clone();
    draft.trace_id = session.trace_id.clone();
    draft.attribution = session.attribution.clone();
    draft.metadata = Some(Value::Object(session.metadata.clone()));
    draft.expires_at = Some(session.expires_at);
    draft
}

/// A core field in this dialect's words.
fn param_of(field: Field, contract: Contract) -> String {
    let plan = contract == Contract::PlanBased;
    match field {
        Field::LineItems | Field::LinePrice(_) | Field::Plan if plan => "contract.plan_id".into(),
        Field::LineQuantity(_) if plan => "contract.plan_id".into(),
        Field::LineItems => "contract.phases[0].pricings".into(),
        Field::LinePrice(i) => format!("contract.phases[0].pricings[{i}].pricing_id"),
        Field::LineQuantity(i) => format!("contract.phases[0].pricings[{i}].quantity"),
        Field::Currency => "contract.currency".into(),
        Field::StartDate => "contract.start_date".into(),
        Field::Customer => "customer_id".into(),
        Field::CustomerName => "customer.customer_name".into(),
        other => other.to_string(),
    }
}

/// A service error with its field in Zenskar's words; a conflict (the session's state, not a
/// field) names none.
fn zenskar_error(error: ServiceError, contract: Contract) -> ApiError {
    service_error_naming(error, |field| {
        (field != Field::Kind).then(|| param_of(field, contract))
    })
}

/// Zenskar's checkout status and payment status of a session.
pub fn statuses(session: &CheckoutSession, now: i64) -> (&'static str, &'static str) {
    let charging = session.confirmation == Some(Confirmation::ChargeImmediately);
    match session.effective_status(now) {
        SessionStatus::Open if charging => ("processing", "pending"),
        SessionStatus::Open => ("open", "not_started"),
        SessionStatus::Pending => ("processing", "pending"),
        SessionStatus::Succeeded => (
            "completed",
            match session.confirmation {
                Some(Confirmation::ChargeWhenDue) => "pending",
                Some(Confirmation::NoPayment) => "no_payment_required",
                _ if session.amounts.due_today > 0 => "paid",
                _ => "no_payment_required",
            },
        ),
        SessionStatus::Failed => ("closed", "failed"),
        SessionStatus::Expired if session.cancelled_at.is_some() => ("cancelled", "not_started"),
        SessionStatus::Expired => ("closed", "not_started"),
    }
}

/// The session in Zenskar's shape, with its pricing estimates.
pub fn session_json(state: &AppState, s: &CheckoutSession, now: i64) -> Value {
    let (status, payment_status) = statuses(s, now);
    let currency = s.currency.map(|c| c.code().to_owned());
    let start = s.starts_at.unwrap_or(s.created_at);
    let pricings: Vec<Value> = s
        .line_items
        .iter()
        .map(|l| json!({ "pricing_id": l.price_id, "product_id": l.product_id, "quantity": l.quantity }))
        .collect();
    let contract = if let Some(plan_id) = &s.plan_id {
        json!({ "is_plan_based": true, "plan_id": plan_id, "currency": currency, "start_date": iso(start) })
    } else {
        json!({
            "is_plan_based": false, "currency": currency, "start_date": iso(start),
            "phases": [{ "start_date": iso(start), "pricings": pricings }],
        })
    };
    let lines: Vec<Value> = s
        .line_items
        .iter()
        .map(|l| {
            json!({
                "pricing_id": l.price_id, "product_id": l.product_id, "name": l.description,
                "quantity": l.quantity, "unit_price": l.unit_amount.amount,
                "amount": l.unit_amount.amount.saturating_mul(i64::from(l.quantity)),
                "currency": l.unit_amount.currency.code(),
                "period": l.recurring.map(|r| json!({
                    "interval": r.interval.as_str(), "interval_count": r.interval_count,
                })),
            })
        })
        .collect();
    let deferred = matches!(
        s.confirmation,
        Some(Confirmation::ChargeWhenDue | Confirmation::NoPayment)
    );
    let invoice_status = match status {
        "completed" if deferred && s.amounts.due_today > 0 => "open",
        "completed" => "paid",
        _ => "estimated",
    };
    let guest = s.guest.as_ref();
    json!({
        "id": s.id,
        "object": "checkout_session",
        "livemode": s.livemode,
        "checkout_session_status": status,
        "payment_status": payment_status,
        "url": state.checkout_url(&s.id),
        "guest_checkout": guest.is_some(),
        "customer_id": s.customer_id,
        "customer": guest.map(|g| json!({
            "customer_name": g.name, "email": g.email, "phone_number": g.phone,
            "address": g.billing_address.as_ref().map(|a| json!({
                "line1": a.line1, "line2": a.line2, "city": a.city, "state": a.state,
                "zip_code": a.postal_code, "country": a.country,
            })),
        })),
        "business_entity_id": guest.and_then(|g| g.business_entity_id.clone()),
        "contract": contract,
        "currency": currency,
        "success_url": s.success_url,
        "cancel_url": s.cancel_url,
        "pending_url": s.pending_url,
        "trace_id": s.trace_id,
        "attribution": s.attribution,
        "metadata": s.metadata,
        "confirmation": s.confirmation.map(Confirmation::as_str),
        "contract_id": s.subscription_id.as_ref().or(s.purchase_id.as_ref()),
        "invoice_id": s.invoice_id,
        "expires_at": iso(s.expires_at),
        "created_at": iso(s.created_at),
        "updated_at": iso(s.updated_at),
        "completed_at": s.completed_at.map(iso),
        "estimates": {
            "estimation_id": format!("est_{}", s.id),
            "amounts_in": "minor_units",
            "current_invoice": {
                "status": invoice_status,
                "currency": currency,
                "line_items": lines,
                "subtotal": s.amounts.subtotal,
                "discount": s.amounts.discount,
                "tax": s.amounts.tax,
                "total": s.amounts.total,
            },
            "amount_due": s.amounts.due_today,
            "future_invoices": [],
        },
    })
}

pub async fn create(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    once: Idempotency,
    JsonBody(body): JsonBody<CheckoutBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut zenskar = SessionDraft::new(SessionKind::Purchase);
    zenskar.origin = crate::domain::session::Origin::Zenskar;
    let (draft, contract) = to_draft(body, zenskar, true)?;
    let now = now_ms();
    let session = checkout::create_session(&state.store, &principal, draft, now, once.claim())
        .await
        .map_err(|e| zenskar_error(e, contract))?;
    Ok((
        StatusCode::CREATED,
        Json(session_json(&state, &session, now)),
    ))
}

pub async fn retrieve(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let session = checkout::get_session(&state.store, &principal, &id)
        .await
        .map_err(service_error)?;
    Ok(Json(session_json(&state, &session, now_ms())))
}

pub async fn update(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<CheckoutBody>,
) -> Result<Json<Value>, ApiError> {
    let now = now_ms();
    let current = checkout::get_session(&state.store, &principal, &id)
        .await
        .map_err(service_error)?;
    if !current.is_editable(now) {
        return Err(zenskar_error(
            checkout::not_editable(&current, now),
            Contract::ProductBased,
        ));
    }
    if current.kind != SessionKind::Purchase {
        return Err(ApiError {
            status: StatusCode::CONFLICT,
            ..invalid(
                "id",
                format!(
                    "a {} session is not a contract and cannot be changed here",
                    current.kind.as_str()
                ),
            )
        });
    }
    if body.idempotency_key.is_some() {
        return Err(invalid(
            "idempotency_key",
            "idempotency_key is for creating a session; an update is repeatable as it is",
        ));
    }
    let (draft, contract) = to_draft(body, draft_of(&current), false)?;
    let session = checkout::update_session(&state.store, &principal, &current, draft, now)
        .await
        .map_err(|e| zenskar_error(e, contract))?;
    Ok(Json(session_json(&state, &session, now)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    confirmation: Option<String>,
    #[serde(default)]
    redirect: bool,
    preferred_payment_method: Option<String>,
    payment_description: Option<String>,
    customer_notes: Option<String>,
    payment_method_id: Option<String>,
}

const PREFERRED_METHODS: [&str; 4] = ["card", "bank_transfer", "wallet", "invoice"];

pub async fn confirm(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ConfirmBody>,
) -> Result<Response, ApiError> {
    let Some(name) = body.confirmation else {
        return Err(missing(
            "confirmation",
            "confirmation is required: charge_immediately, charge_when_due or no_payment",
        ));
    };
    let Some(confirmation) = Confirmation::parse(&name) else {
        return Err(invalid(
            "confirmation",
            format!("`{name}` is not one of charge_immediately, charge_when_due, no_payment"),
        ));
    };
    if let Some(method) = &body.preferred_payment_method
        && !PREFERRED_METHODS.contains(&method.as_str())
    {
        return Err(invalid(
            "preferred_payment_method",
            format!("`{method}` is not one of {}", PREFERRED_METHODS.join(", ")),
        ));
    }
    if body
        .payment_description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 255)
    {
        return Err(invalid(
            "payment_description",
            "payment_description must be at most 255 characters",
        ));
    }
    if body
        .customer_notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > 1000)
    {
        return Err(invalid(
            "customer_notes",
            "customer_notes must be at most 1000 characters",
        ));
    }
    let now = now_ms();
    let session = checkout::get_session(&state.store, &principal, &id)
        .await
        .map_err(service_error)?;
    let session = payment::confirm_by_merchant(
        &state.store,
        &session,
        confirmation,
        body.payment_method_id.as_deref(),
        now,
    )
    .await
    .map_err(|e| zenskar_error(e, Contract::ProductBased))?;
    if body.redirect && confirmation == Confirmation::ChargeImmediately {
        let url = state.checkout_url(&session.id);
        return Ok((StatusCode::FOUND, [(header::LOCATION, url)]).into_response());
    }
    Ok(Json(session_json(&state, &session, now)).into_response())
}

pub async fn cancel(
    State(state): State<AppState>,
    Authenticated(principal): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let now = now_ms();
    let session = checkout::expire_session(&state.store, &principal, &id, now)
        .await
        .map_err(|e| zenskar_error(e, Contract::ProductBased))?;
    Ok(Json(session_json(&state, &session, now)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_parse_in_the_forms_zenskar_writes() {
        assert_eq!(
            parse_instant("2026-01-01T00:00:00Z"),
            Some(1_767_225_600_000)
        );
        assert_eq!(
            parse_instant("2026-01-01T00:00:00"),
            Some(1_767_225_600_000)
        );
        assert_eq!(
            parse_instant("2026-01-01T01:00:00+01:00"),
            Some(1_767_225_600_000)
        );
        assert_eq!(parse_instant("2026-01-01"), Some(1_767_225_600_000));
        assert_eq!(
            parse_instant("2026-01-01T00:00:00.250"),
            Some(1_767_225_600_250)
        );
        assert_eq!(parse_instant("01/01/2026"), None);
        assert_eq!(parse_instant("2026-13-01"), None);
        assert_eq!(iso(1_767_225_600_000), "2026-01-01T00:00:00Z");
    }

    #[test]
    fn fields_are_named_as_the_contract_was_given() {
        assert_eq!(
            param_of(Field::LineQuantity(1), Contract::ProductBased),
            "contract.phases[0].pricings[1].quantity"
        );
        assert_eq!(
            param_of(Field::LinePrice(0), Contract::PlanBased),
            "contract.plan_id"
        );
        assert_eq!(
            param_of(Field::Currency, Contract::PlanBased),
            "contract.currency"
        );
        assert_eq!(
            param_of(Field::BusinessEntity, Contract::PlanBased),
            "business_entity_id"
        );
    }
}
