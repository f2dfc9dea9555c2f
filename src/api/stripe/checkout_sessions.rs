//! `/v1/checkout/sessions`: create, retrieve, list, expire and line items, in Stripe's shapes.

use super::{Form, StripeAuth, StripeError};
use crate::api::checkout::{
    ConsentForm, CustomFieldForm, PhoneCollection, SavedMethodOptions, ShippingCollection,
    TaxIdCollectionForm, collection_draft,
};
use crate::api::idempotency::Idempotency;
use crate::domain::catalog::{PriceDraft, ProductDraft};
use crate::domain::field::{Field, FieldError};
use crate::domain::session::draft::{
    AdjustableDraft, CustomerDraft, DiscountDraft, GuestDraft, InlinePrice, LineItemDraft,
    PriceRef, SessionDraft,
};
use crate::domain::session::{
    CheckoutSession, Confirmation, SessionKind, SessionMode, SessionStatus,
};
use crate::service::{ServiceError, checkout};
use crate::state::AppState;
use crate::store::{Cursor, PageRequest, now_ms};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Stripe lets a session live 30 minutes to 24 hours.
const MAX_LIFETIME_SECS: i64 = 24 * 3600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateForm {
    pub(super) mode: Option<SessionMode>,
    #[serde(default)]
    pub(super) line_items: Vec<LineForm>,
    pub(super) success_url: Option<String>,
    pub(super) cancel_url: Option<String>,
    pub(super) currency: Option<String>,
    pub(super) customer: Option<String>,
    pub(super) customer_email: Option<String>,
    pub(super) allow_promotion_codes: Option<bool>,
    #[serde(default)]
    pub(super) discounts: Vec<DiscountForm>,
    pub(super) payment_method_types: Option<Vec<String>>,
    pub(super) subscription_data: Option<SubscriptionData>,
    pub(super) metadata: Option<BTreeMap<String, String>>,
    pub(super) expires_at: Option<i64>,
    pub(super) client_reference_id: Option<String>,
    /// The page's language (`auto`, `de`, `fr-CA`, …).
    pub(super) locale: Option<String>,
    pub(super) billing_address_collection: Option<String>,
    pub(super) shipping_address_collection: Option<ShippingCollection>,
    pub(super) phone_number_collection: Option<PhoneCollection>,
    pub(super) saved_payment_method_options: Option<SavedMethodOptions>,
    #[serde(default)]
    pub(super) custom_fields: Vec<CustomFieldForm>,
    pub(super) consent_collection: Option<ConsentForm>,
    pub(super) tax_id_collection: Option<TaxIdCollectionForm>,
    /// Stripe's SDKs may ask to expand objects; kassa's session already carries its ids.
    #[serde(default)]
    #[allow(dead_code, reason = "accepted, and nothing to expand")]
    pub(super) expand: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineForm {
    pub(super) price: Option<String>,
    pub(super) price_data: Option<PriceDataForm>,
    pub(super) quantity: Option<i64>,
    pub(super) adjustable_quantity: Option<AdjustableDraft>,
}

/// A line's own price (`line_items[][price_data]`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceDataForm {
    currency: Option<String>,
    product: Option<String>,
    product_data: Option<ProductDataForm>,
    unit_amount: Option<i64>,
    /// Minor units as a decimal string; kassa charges whole minor units only.
    unit_amount_decimal: Option<String>,
    recurring: Option<RecurringForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductDataForm {
    name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    images: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecurringForm {
    interval: Option<String>,
    interval_count: Option<i64>,
}

impl PriceDataForm {
    /// The price as the core's request; `i` is the line's position, for naming a field at fault.
    fn into_inline(self, i: usize) -> Result<InlinePrice, StripeError> {
        let unit_amount = match (self.unit_amount, self.unit_amount_decimal) {
            (Some(_), Some(_)) => {
                return Err(StripeError::invalid(
                    "parameters_exclusive",
                    format!("line_items[{i}][price_data][unit_amount_decimal]"),
                    "You may only specify one of these parameters: unit_amount, unit_amount_decimal.",
                ));
            }
            (amount, None) => amount,
            (None, Some(decimal)) => Some(whole_minor_units(&decimal).ok_or_else(|| {
                StripeError::invalid(
                    "parameter_invalid",
                    format!("line_items[{i}][price_data][unit_amount_decimal]"),
                    format!(
                        "Invalid unit_amount_decimal: {decimal}; kassa charges whole minor units, \
                         so the amount must have no fraction."
                    ),
                )
            })?),
        };
        let (interval_unit, interval_count) = match self.recurring {
            Some(r) => (Some(r.interval.unwrap_or_default()), r.interval_count),
            None => (None, None),
        };
        Ok(InlinePrice {
            price: PriceDraft {
                price_type: Some(
                    if interval_unit.is_some() {
                        "subscription"
                    } else {
                        "single_payment"
                    }
                    .to_owned(),
                ),
                unit_amount,
                currency: self.currency,
                interval_unit,
                interval_count,
                trial_period_days: None,
                name: None,
                slug: None,
            },
            product: self.product,
            product_data: self.product_data.map(|p| ProductDraft {
                name: p.name,
                description: p.description,
                image_url: p.images.into_iter().next(),
                slug: None,
            }),
        })
    }
}

/// `"1250"` or `"1250.000"` as 1250; a fraction of a minor unit, or no number, as `None`.
fn whole_minor_units(decimal: &str) -> Option<i64> {
    let (whole, fraction) = decimal.split_once('.').unwrap_or((decimal, ""));
    (!whole.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b == b'0'))
    .then(|| whole.parse().ok())
    .flatten()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscountForm {
    pub(super) coupon: Option<String>,
    pub(super) promotion_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionData {
    pub(super) trial_period_days: Option<i64>,
}

pub(super) fn to_draft(form: CreateForm, now: i64) -> Result<SessionDraft, StripeError> {
    let Some(mode) = form.mode else {
        return Err(StripeError::invalid(
            "parameter_missing",
            "mode",
            "Missing required param: mode.",
        ));
    };
    let mut line_items = Vec::with_capacity(form.line_items.len());
    for (i, line) in form.line_items.into_iter().enumerate() {
        let price = match (line.price, line.price_data) {
            (Some(_), Some(_)) => {
                return Err(StripeError::invalid(
                    "parameters_exclusive",
                    format!("line_items[{i}][price_data]"),
                    "You may only specify one of these parameters: price, price_data.",
                ));
            }
            (None, Some(data)) => PriceRef::Inline(Box::new(data.into_inline(i)?)),
            (price, None) => PriceRef::one_of(price, None, Field::LinePrice(i))
                .map_err(|e| StripeError::from_field(&e))?,
        };
        line_items.push(LineItemDraft {
            price,
            quantity: line.quantity,
            adjustable: line.adjustable_quantity,
        });
    }
    let customer = match (form.customer, form.customer_email) {
        (Some(_), Some(_)) => {
            return Err(StripeError::invalid(
                "parameters_exclusive",
                "customer_email",
                "You may only specify one of these parameters: customer, customer_email.",
            ));
        }
        (Some(id), None) => CustomerDraft::Existing(id),
        (None, Some(email)) => CustomerDraft::Guest(Box::new(GuestDraft {
            email: Some(email),
            ..GuestDraft::default()
        })),
        (None, None) => CustomerDraft::Anonymous,
    };
    let mut discounts = Vec::with_capacity(form.discounts.len());
    for (i, d) in form.discounts.into_iter().enumerate() {
        discounts.push(match (d.coupon, d.promotion_code) {
            (Some(coupon), None) => DiscountDraft::Coupon(coupon),
            (None, Some(code)) => DiscountDraft::PromotionCode(code),
            _ => {
                return Err(StripeError::invalid(
                    "parameter_invalid",
                    format!("discounts[{i}]"),
                    "A discount names one coupon or one promotion_code.",
                ));
            }
        });
    }
    let expires_at = match form.expires_at {
        None => None,
        Some(at) if at * 1000 > now + MAX_LIFETIME_SECS * 1000 => {
            return Err(StripeError::invalid(
                "parameter_invalid",
                "expires_at",
                "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            ));
        }
        Some(at) => Some(at.saturating_mul(1000)),
    };
    let metadata = form.metadata.map(|m| {
        Value::Object(
            m.into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect::<Map<_, _>>(),
        )
    });
    Ok(SessionDraft {
        kind: if mode == SessionMode::Setup {
            SessionKind::AddPaymentMethod
        } else {
            SessionKind::Purchase
        },
        mode: Some(mode),
        line_items,
        currency: form.currency,
        customer,
        success_url: form.success_url,
        cancel_url: form.cancel_url,
        pending_url: None,
        payment_method_types: form.payment_method_types,
        allow_promotion_codes: form.allow_promotion_codes.unwrap_or(false),
        discounts,
        trial_period_days: form.subscription_data.and_then(|s| s.trial_period_days),
        preserve_billing_cycle_anchor: false,
        target_subscription_id: None,
        automatically_update_subscriptions: None,
        output_name: None,
        output_metadata: None,
        metadata,
        attribution: None,
        expires_at,
        trace_id: None,
        plan_id: None,
        starts_at: None,
        client_reference_id: form.client_reference_id,
        collection: collection_draft(
            form.billing_address_collection,
            form.shipping_address_collection,
            form.phone_number_collection,
            form.saved_payment_method_options,
            form.custom_fields,
            form.consent_collection,
            form.tax_id_collection,
        ),
        payment_link_id: None,
        origin: crate::domain::session::Origin::Stripe,
        locale: form.locale,
    })
}

/// `status`, `payment_status` as Stripe says them: an asynchronous payment completes the session
/// while it is still unpaid, and one that failed leaves it complete and unpaid.
fn statuses(session: &CheckoutSession, now: i64) -> (&'static str, &'static str) {
    let nothing_to_pay = session.mode == SessionMode::Setup || session.amounts.total == 0;
    let unpaid = if nothing_to_pay {
        "no_payment_required"
    } else {
        "unpaid"
    };
    match session.effective_status(now) {
        SessionStatus::Open => ("open", unpaid),
        SessionStatus::Expired => ("expired", unpaid),
        SessionStatus::Pending | SessionStatus::Failed => ("complete", unpaid),
        SessionStatus::Succeeded if nothing_to_pay => ("complete", "no_payment_required"),
        // Completed by the merchant without a charge: what is due is still owed.
        SessionStatus::Succeeded
            if session
                .confirmation
                .is_some_and(|c| c != Confirmation::ChargeImmediately) =>
        {
            ("complete", "unpaid")
        }
        SessionStatus::Succeeded => ("complete", "paid"),
    }
}

/// An address as Stripe's `address` object.
pub(super) fn address_object(a: &crate::domain::customer::BillingAddress) -> Value {
    json!({
        "line1": a.line1, "line2": a.line2, "city": a.city, "state": a.state,
        "postal_code": a.postal_code, "country": a.country,
    })
}

/// A question as Stripe's `custom_fields[]` entry, with the buyer's answer once given.
pub(super) fn custom_field_object(
    field: &crate::domain::custom_field::CustomField,
    answers: Option<&crate::domain::custom_field::Answers>,
) -> Value {
    use crate::domain::custom_field::CustomFieldKind;
    let value = answers.and_then(|a| a.value_of(&field.key));
    let mut object = json!({
        "key": field.key,
        "label": { "type": "custom", "custom": field.label },
        "optional": field.optional,
        "type": field.kind.as_str(),
        "dropdown": null, "numeric": null, "text": null,
    });
    object[field.kind.as_str()] = match &field.kind {
        CustomFieldKind::Text(l) | CustomFieldKind::Numeric(l) => json!({
            "default_value": l.default_value,
            "maximum_length": l.maximum_length,
            "minimum_length": l.minimum_length,
            "value": value,
        }),
        CustomFieldKind::Dropdown {
            options,
            default_value,
        } => json!({
            "default_value": default_value,
            "options": options.iter().map(|o| json!({ "label": o.label, "value": o.value })).collect::<Vec<_>>(),
            "value": value,
        }),
    };
    object
}

/// Stripe's `consent_collection` of a session or link that asks for the terms (`null` if not).
pub(super) fn consent_collection_object(terms_of_service: bool) -> Value {
    match terms_of_service {
        true => json!({
            "payment_method_reuse_agreement": null, "promotions": "none", "terms_of_service": "required",
        }),
        false => Value::Null,
    }
}

/// The session as Stripe's `checkout.session` object.
pub(super) fn session_object(state: &AppState, session: &CheckoutSession, now: i64) -> Value {
    let (status, payment_status) = statuses(session, now);
    let completed = status == "complete";
    let customer_details = completed.then(|| {
        json!({
            "email": session.customer_email,
            "name": session.customer_name,
            "phone": session.customer_phone,
            "tax_exempt": "none",
            "tax_ids": session.customer_tax_ids,
            "address": session.billing_address.as_ref().map(address_object),
        })
    });
    let shipping_details = session
        .shipping_details
        .as_ref()
        .map(|s| json!({ "name": s.name, "address": address_object(&s.address) }));
    let collection = &session.collection;
    json!({
        "id": session.id,
        "object": "checkout.session",
        "after_expiration": null,
        "allow_promotion_codes": session.allow_promotion_codes.then_some(true),
        "amount_subtotal": session.amounts.subtotal,
        "amount_total": session.amounts.total,
        "automatic_tax": { "enabled": false, "liability": null, "status": null },
        "billing_address_collection": collection.full_billing_address().then_some("required"),
        "consent": session.answers.as_ref().filter(|a| a.terms_of_service_accepted).map(|_| json!({
            "promotions": null, "terms_of_service": "accepted",
        })),
        "consent_collection": consent_collection_object(collection.terms_of_service),
        "custom_fields": collection.custom_fields.iter().map(|f| custom_field_object(f, session.answers.as_ref())).collect::<Vec<_>>(),
        "collected_information": completed.then(|| json!({
            "shipping_details": shipping_details,
        })),
        "cancel_url": session.cancel_url,
        "client_reference_id": session.client_reference_id,
        "created": session.created_at / 1000,
        "currency": session.currency.map(|c| c.code_lower()),
        "customer": session.customer_id,
        "customer_creation": if session.customer_id.is_none() { Some("if_required") } else { None },
        "customer_details": customer_details,
        "customer_email": session.guest.as_ref().map(|g| g.email.clone()),
        "discounts": session.discount.as_ref().map(|d| vec![json!({
            "coupon": d.coupon_id, "promotion_code": d.promotion_code_id,
        })]).unwrap_or_default(),
        "expires_at": session.expires_at / 1000,
        "invoice": session.invoice_id,
        "livemode": session.livemode,
        "locale": session.locale,
        "metadata": session.metadata,
        "mode": session.mode.as_str(),
        "payment_intent": null,
        "payment_link": session.payment_link_id,
        "payment_method_collection": "always",
        "payment_method_types": session.payment_method_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
        "payment_status": payment_status,
        "phone_number_collection": { "enabled": collection.phone },
        "tax_id_collection": {
            "enabled": collection.tax_id,
            "required": if collection.tax_id_required { "if_supported" } else { "never" },
        },
        "saved_payment_method_options": session.customer_id.as_ref().map(|_| json!({
            "allow_redisplay_filters": ["always"],
            "payment_method_remove": "disabled",
            "payment_method_save": if collection.payment_method_save { "enabled" } else { "disabled" },
        })),
        "setup_intent": null,
        "shipping_address_collection": collection.shipping_countries.as_ref().map(|c| json!({
            "allowed_countries": c,
        })),
        "shipping_details": shipping_details,
        "status": status,
        "submit_type": null,
        "subscription": session.subscription_id,
        "success_url": session.success_url,
        "total_details": {
            "amount_discount": session.amounts.discount,
            "amount_shipping": 0,
            "amount_tax": session.amounts.tax,
        },
        "ui_mode": "hosted",
        "url": (status == "open").then(|| state.checkout_url(&session.id)),
    })
}

/// The session in Stripe's shape with its `payment_intent` once a payment-mode session is paid:
/// kassa's id of the payment, which `POST /v1/refunds` takes.
async fn with_payment(
    state: &AppState,
    session: &CheckoutSession,
    now: i64,
) -> Result<Value, StripeError> {
    let mut object = session_object(state, session, now);
    if session.mode == SessionMode::Payment && session.invoice_id.is_some() {
        let (payments, _) = state
            .store
            .payments_of_session(&session.id)
            .await
            .map_err(|e| StripeError::from_service(e.into()))?;
        if let Some(payment) = payments.first() {
            object["payment_intent"] = json!(payment.id);
        }
    }
    Ok(object)
}

pub async fn create(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    once: Idempotency,
    Form(form): Form<CreateForm>,
) -> Result<Json<Value>, StripeError> {
    let now = now_ms();
    let draft = to_draft(form, now)?;
    let session = checkout::create_session(&state.store, &principal, draft, now, once.claim())
        .await
        .map_err(StripeError::from_service)?;
    Ok(Json(session_object(&state, &session, now)))
}

async fn find(
    state: &AppState,
    principal: &crate::service::api_keys::Principal,
    id: &str,
    param: &str,
) -> Result<CheckoutSession, StripeError> {
    checkout::get_session(&state.store, principal, id)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => StripeError::no_such("checkout.session", id, param),
            other => StripeError::from_service(other),
        })
}

pub async fn retrieve(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    let session = find(&state, &principal, &id, "session").await?;
    Ok(Json(with_payment(&state, &session, now_ms()).await?))
}

pub async fn expire(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    find(&state, &principal, &id, "session").await?;
    let now = now_ms();
    let session = checkout::expire_session(&state.store, &principal, &id, now)
        .await
        .map_err(|e| match e {
            ServiceError::Conflict(FieldError { code, message, .. }) => {
                let message = if code == "session_not_open" {
                    "Only Checkout Sessions with a status in [\"open\"] can be expired.".to_owned()
                } else {
                    message
                };
                StripeError::invalid(
                    if code == "session_not_open" {
                        "checkout_session_not_open"
                    } else {
                        "payment_in_progress"
                    },
                    "session",
                    message,
                )
            }
            other => StripeError::from_service(other),
        })?;
    Ok(Json(session_object(&state, &session, now)))
}

#[derive(Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
    ending_before: Option<String>,
}

pub(super) fn limit_of(raw: Option<&str>) -> Result<u32, StripeError> {
    match raw.filter(|l| !l.is_empty()) {
        None => Ok(10),
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| {
                StripeError::invalid(
                    "parameter_invalid_integer",
                    "limit",
                    format!("Invalid integer: {raw}; limit must be from 1 to 100."),
                )
            }),
    }
}

pub async fn list(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<Value>, StripeError> {
    let limit = limit_of(query.limit.as_deref())?;
    let live = principal.mode.is_live();
    let cursor_of = |session: CheckoutSession| Cursor {
        created_at: session.created_at,
        id: session.id,
    };
    let page = match (
        query.starting_after.filter(|s| !s.is_empty()),
        query.ending_before.filter(|s| !s.is_empty()),
    ) {
        (Some(_), Some(_)) => {
            return Err(StripeError::invalid(
                "parameters_exclusive",
                "ending_before",
                "You may only specify one of these parameters: ending_before, starting_after.",
            ));
        }
        (Some(after), None) => {
            let from = find(&state, &principal, &after, "starting_after").await?;
            let request = PageRequest {
                limit,
                after: Some(cursor_of(from)),
            };
            state
                .store
                .sessions(&principal.organization_id, live, &request)
                .await
        }
        (None, Some(before)) => {
            let from = find(&state, &principal, &before, "ending_before").await?;
            state
                .store
                .sessions_newer_than(&principal.organization_id, live, &cursor_of(from), limit)
                .await
        }
        (None, None) => {
            state
                .store
                .sessions(&principal.organization_id, live, &PageRequest::first(limit))
                .await
        }
    }
    .map_err(|e| StripeError::from_service(e.into()))?;
    let now = now_ms();
    let mut data = Vec::with_capacity(page.items.len());
    for session in &page.items {
        data.push(with_payment(&state, session, now).await?);
    }
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "has_more": page.has_more,
        "url": "/v1/checkout/sessions",
    })))
}

pub async fn line_items(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    let session = find(&state, &principal, &id, "session").await?;
    let currency = session.currency.map(|c| c.code_lower());
    let data: Vec<Value> = session
        .line_items
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let amount = line.unit_amount.amount * i64::from(line.quantity);
            json!({
                "id": format!("li_{}_{i}", session.id.trim_start_matches("cs_")),
                "object": "item",
                "amount_discount": 0,
                "amount_subtotal": amount,
                "amount_tax": 0,
                "amount_total": amount,
                "currency": currency,
                "description": line.description,
                "quantity": line.quantity,
                "price": {
                    "id": line.price_id,
                    "object": "price",
                    "active": true,
                    "currency": line.unit_amount.currency.code_lower(),
                    "livemode": session.livemode,
                    "product": line.product_id,
                    "type": if line.recurring.is_some() { "recurring" } else { "one_time" },
                    "recurring": line.recurring.map(|r| json!({
                        "interval": r.interval.as_str(),
                        "interval_count": r.interval_count,
                    })),
                    "unit_amount": line.unit_amount.amount,
                },
            })
        })
        .collect();
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "has_more": false,
        "url": format!("/v1/checkout/sessions/{}/line_items", session.id),
    })))
}

#[cfg(test)]
mod tests {
    use super::whole_minor_units;

    #[test]
    fn a_decimal_amount_is_taken_only_in_whole_minor_units() {
        assert_eq!(whole_minor_units("1250"), Some(1250));
        assert_eq!(whole_minor_units("1250.000"), Some(1250));
        assert_eq!(whole_minor_units("0"), Some(0));
        assert_eq!(whole_minor_units("12.5"), None);
        assert_eq!(whole_minor_units("-3"), None);
        assert_eq!(whole_minor_units(".5"), None);
        assert_eq!(whole_minor_units("1e3"), None);
        assert_eq!(whole_minor_units("99999999999999999999"), None);
    }
}
