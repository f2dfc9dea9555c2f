//! `/api/v1/checkout-sessions`: create, retrieve and list, in Flowglad's shapes.

use super::{Body, FlowgladAuth, FlowgladError, ListBody, ListQuery, Names, payment_method_word};
use crate::api::idempotency::Idempotency;
use crate::domain::customer::BillingAddress;
use crate::domain::field::Field;
use crate::domain::session::draft::{CustomerDraft, LineItemDraft, PriceRef, SessionDraft};
use crate::domain::session::{CheckoutSession, Metadata, SessionKind};
use crate::service::checkout;
use crate::state::AppState;
use crate::store::now_ms;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    checkout_session: Option<CreateInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    #[serde(rename = "type")]
    kind: Option<String>,
    customer_external_id: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    output_metadata: Option<serde_json::Value>,
    output_name: Option<String>,
    price_id: Option<String>,
    price_slug: Option<String>,
    quantity: Option<i64>,
    anonymous: Option<bool>,
    preserve_billing_cycle_anchor: Option<bool>,
    target_subscription_id: Option<String>,
    automatically_update_subscriptions: Option<bool>,
}

/// A session and its hosted page, as Flowglad answers create and retrieve.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEnvelope {
    checkout_session: SessionBody,
    url: String,
}

/// Flowglad's checkout session record. Which fields may be null depends on `type`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionBody {
    id: String,
    created_at: i64,
    updated_at: i64,
    livemode: bool,
    pricing_model_id: String,
    status: &'static str,
    billing_address: Option<AddressBody>,
    price_id: Option<String>,
    purchase_id: Option<String>,
    invoice_id: Option<String>,
    quantity: i64,
    organization_id: String,
    customer_name: Option<String>,
    customer_email: Option<String>,
    customer_id: Option<String>,
    payment_method_type: Option<&'static str>,
    discount_id: Option<String>,
    success_url: Option<String>,
    cancel_url: Option<String>,
    #[serde(rename = "type")]
    kind: &'static str,
    preserve_billing_cycle_anchor: bool,
    output_metadata: Option<Metadata>,
    output_name: Option<String>,
    target_subscription_id: Option<String>,
    automatically_update_subscriptions: Option<bool>,
    expires: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddressBody {
    name: Option<String>,
    address: AddressLines,
}

#[derive(Serialize)]
pub struct AddressLines {
    name: Option<String>,
    line1: Option<String>,
    line2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    postal_code: Option<String>,
    country: String,
}

impl AddressBody {
    pub fn from_domain(a: &BillingAddress) -> Self {
        AddressBody {
            name: a.name.clone(),
            address: AddressLines {
                name: a.name.clone(),
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                state: a.state.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.clone(),
            },
        }
    }
}

impl SessionBody {
    fn from_domain(s: &CheckoutSession) -> Self {
        let first = s.line_items.first();
        // Flowglad's record has one price and quantity; kassa's sessions may have several lines.
        let kind = match s.kind {
            SessionKind::Purchase => "product",
            SessionKind::AddPaymentMethod => "add_payment_method",
            SessionKind::ActivateSubscription => "activate_subscription",
        };
        let payment_method_type = s.payment_method_type.map(payment_method_word);
        let only_purchase = |v: &Option<String>| {
            if s.kind == SessionKind::Purchase {
                v.clone()
            } else {
                None
            }
        };
        SessionBody {
            id: s.id.clone(),
            created_at: s.created_at,
            updated_at: s.updated_at,
            livemode: s.livemode,
            pricing_model_id: s.pricing_model_id.clone(),
            status: s.status.as_str(),
            billing_address: s.billing_address.as_ref().map(AddressBody::from_domain),
            price_id: first.map(|l| l.price_id.clone()),
            purchase_id: only_purchase(&s.purchase_id),
            // Flowglad's product and activation sessions carry no invoice id; kassa's invoices
            // are read through /api/v1/invoices.
            invoice_id: None,
            quantity: i64::from(s.total_quantity().max(1)),
            organization_id: s.organization_id.clone(),
            customer_name: s.customer_name.clone(),
            customer_email: s.customer_email.clone(),
            customer_id: s.customer_id.clone(),
            payment_method_type,
            discount_id: s.discount.as_ref().map(|d| d.coupon_id.clone()),
            success_url: s.success_url.clone(),
            cancel_url: s.cancel_url.clone(),
            kind,
            preserve_billing_cycle_anchor: s.preserve_billing_cycle_anchor,
            output_metadata: s.output_metadata.clone(),
            output_name: s.output_name.clone(),
            target_subscription_id: if s.kind == SessionKind::Purchase {
                None
            } else {
                s.target_subscription_id.clone()
            },
            automatically_update_subscriptions: if s.kind == SessionKind::Purchase {
                None
            } else {
                s.automatically_update_subscriptions
            },
            expires: s.expires_at,
        }
    }
}

fn envelope(state: &AppState, session: &CheckoutSession) -> SessionEnvelope {
    SessionEnvelope {
        url: state.checkout_url(&session.id),
        checkout_session: SessionBody::from_domain(session),
    }
}

/// Maps Flowglad's input onto the core's draft. Shape rules that are Flowglad's own (which fields
/// its kinds require) are checked here; every rule about values is the core's.
fn to_draft(input: CreateInput) -> Result<SessionDraft, FlowgladError> {
    let require = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or_else(|| FlowgladError::bad_request(format!("checkoutSession.{name}: required")))
    };
    let kind = match input.kind.as_deref() {
        Some("product") => SessionKind::Purchase,
        Some("add_payment_method") => SessionKind::AddPaymentMethod,
        Some("activate_subscription") => SessionKind::ActivateSubscription,
        Some(other) => {
            return Err(FlowgladError::bad_request(format!(
                "checkoutSession.type: `{other}` is not one of product, add_payment_method, activate_subscription"
            )));
        }
        None => return Err(FlowgladError::bad_request("checkoutSession.type: required")),
    };
    let success_url = require(input.success_url, "successUrl")?;
    let cancel_url = require(input.cancel_url, "cancelUrl")?;
    let anonymous = input.anonymous.unwrap_or(false);
    let customer = match (kind, anonymous, input.customer_external_id) {
        (SessionKind::Purchase, true, Some(_)) => {
            return Err(FlowgladError::bad_request(
                "checkoutSession.customerExternalId: must be null when anonymous is true",
            ));
        }
        (SessionKind::Purchase, true, None) => CustomerDraft::Anonymous,
        (_, true, _) => {
            return Err(FlowgladError::bad_request(
                "checkoutSession.anonymous: only product sessions can be anonymous",
            ));
        }
        (_, false, external) => CustomerDraft::External(require(external, "customerExternalId")?),
    };
    let mut draft = SessionDraft {
        customer,
        success_url: Some(success_url),
        cancel_url: Some(cancel_url),
        output_metadata: input.output_metadata,
        output_name: input.output_name,
        preserve_billing_cycle_anchor: input.preserve_billing_cycle_anchor.unwrap_or(false),
        target_subscription_id: input.target_subscription_id,
        automatically_update_subscriptions: input.automatically_update_subscriptions,
        origin: crate::domain::session::Origin::Flowglad,
        ..SessionDraft::new(kind)
    };
    if kind == SessionKind::Purchase {
        let price = PriceRef::one_of(input.price_id, input.price_slug, Field::LinePrice(0))
            .map_err(|e| {
                FlowgladError::bad_request(format!("checkoutSession.priceId: {}", e.message))
            })?;
        draft.line_items = vec![LineItemDraft {
            price,
            quantity: input.quantity,
            adjustable: None,
        }];
    }
    Ok(draft)
}

pub async fn create(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    once: Idempotency,
    Body(body): Body<CreateBody>,
) -> Result<Json<SessionEnvelope>, FlowgladError> {
    let input = body
        .checkout_session
        .ok_or_else(|| FlowgladError::bad_request("checkoutSession: required"))?;
    let by_slug = input.price_id.is_none() && input.price_slug.is_some();
    let draft = to_draft(input)?;
    let session = checkout::create_session(&state.store, &principal, draft, now_ms(), once.claim())
        .await
        .map_err(|e| FlowgladError::from_service(e, Names::CheckoutSession { by_slug }))?;
    Ok(Json(envelope(&state, &session)))
}

pub async fn retrieve(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<SessionEnvelope>, FlowgladError> {
    let session = checkout::get_session(&state.store, &principal, &id)
        .await
        .map_err(|e| FlowgladError::from_service(e, Names::CheckoutSession { by_slug: false }))?;
    Ok(Json(envelope(&state, &session)))
}

pub async fn list(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<ListBody<SessionBody>>, FlowgladError> {
    let page = query.page()?;
    let (sessions, total) = checkout::list_sessions(&state.store, &principal, &page)
        .await
        .map_err(|e| FlowgladError::from_service(e, Names::CheckoutSession { by_slug: false }))?;
    let data = sessions
        .items
        .iter()
        .map(SessionBody::from_domain)
        .collect();
    Ok(Json(ListBody::new(
        &query,
        &sessions.items,
        sessions.has_more,
        total,
        data,
        |s| (s.created_at, s.id.as_str()),
    )))
}
