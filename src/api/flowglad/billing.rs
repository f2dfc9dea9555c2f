//! What paid checkouts create, read in Flowglad's shapes: `/api/v1/payments`, `/purchases/{id}`,
//! `/invoices`, `/subscriptions` and `/payment-methods`.
//!
//! Methods are named as everywhere in this dialect (`super::payment_method_word`).

use super::checkout_sessions::AddressBody;
use super::{FlowgladAuth, FlowgladError, ListBody, ListQuery, Names, list_of, stored_method_word};
use crate::service::api_keys::Principal;
use crate::state::AppState;
use crate::store::{
    InvoiceRecord, Page, PaymentMethodRecord, PaymentRecord, PriceRecord, PurchaseRecord,
    StoreError, SubscriptionRecord,
};
use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;

fn internal(error: StoreError) -> FlowgladError {
    FlowgladError::from_service(error.into(), Names::Product)
}

fn payment_body(p: &PaymentRecord, pricing_model_id: &str) -> Value {
    json!({
        "id": p.id,
        "createdAt": p.created_at,
        "updatedAt": p.updated_at,
        "livemode": p.livemode,
        "invoiceId": p.invoice_id,
        "amount": p.amount,
        "paymentMethod": stored_method_word(&p.payment_method_type),
        "currency": p.currency.to_ascii_uppercase(),
        "status": if refunded_in_full(p) { "refunded" } else { p.status.as_str() },
        "chargeDate": p.charge_date,
        "settlementDate": p.settlement_date,
        "description": p.description,
        "receiptNumber": null,
        "receiptURL": null,
        "organizationId": p.organization_id,
        "customerId": p.customer_id,
        "purchaseId": p.purchase_id,
        "subscriptionId": p.subscription_id,
        "paymentMethodId": p.payment_method_id,
        "billingPeriodId": null,
        "taxAmount": p.tax_amount,
        "subtotal": p.subtotal,
        "taxCountry": p.tax_country,
        "taxState": null,
        "taxRatePercentage": null,
        "applicationFee": null,
        "refunded": refunded_in_full(p),
        "refundedAmount": p.refunded_amount,
        "refundedAt": p.refunded_at,
        "failureMessage": p.failure_message,
        "failureCode": p.failure_code,
        "pricingModelId": pricing_model_id,
    })
}

/// Whether refunds gave the whole payment back.
fn refunded_in_full(p: &PaymentRecord) -> bool {
    p.refunded_at.is_some() && p.refunded_amount >= p.amount && p.amount > 0
}

/// `POST /api/v1/payments/{id}/refund`'s body.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundBody {
    /// Minor units; all that is left when absent. A number in Flowglad's spec: a fraction is
    /// refused by name rather than rounded.
    partial_amount: Option<serde_json::Number>,
}

/// Refunds a payment whole, or `partialAmount` of it, through its processor.
pub async fn refund_payment(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
    super::Body(body): super::Body<RefundBody>,
) -> Result<Json<PaymentEnvelope>, FlowgladError> {
    let amount = match body.partial_amount {
        None => None,
        Some(n) => Some(n.as_i64().ok_or_else(|| {
            FlowgladError::bad_request("partialAmount: must be a whole number of minor units")
        })?),
    };
    let refunded = crate::service::payment::refunds::refund_payment(
        &state.store,
        &state.processors,
        &principal,
        &id,
        amount,
        None,
        crate::store::now_ms(),
    )
    .await
    .map_err(|e| FlowgladError::from_service(e, Names::Refund))?;
    let p = &refunded.payment;
    Ok(Json(PaymentEnvelope {
        payment: payment_body(p, &p.pricing_model_id),
    }))
}

pub async fn list_payments(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<ListBody<Value>>, FlowgladError> {
    let page = query.page()?;
    let (org, live) = (principal.organization_id.as_str(), principal.mode.is_live());
    list_of(
        &query,
        state.store.payments(org, live, &page),
        state.store.count_payments(org, live),
        |p| payment_body(p, &p.pricing_model_id),
        |r| (r.created_at, r.id.as_str()),
    )
    .await
}

#[derive(Serialize)]
pub struct PaymentEnvelope {
    payment: Value,
}

pub async fn retrieve_payment(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<PaymentEnvelope>, FlowgladError> {
    let payment = state
        .store
        .payment(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(internal)?
        .ok_or_else(|| FlowgladError::not_found("payment"))?;
    Ok(Json(PaymentEnvelope {
        payment: payment_body(&payment, &payment.pricing_model_id),
    }))
}

/// The price a record refers to, read once per id.
async fn price_of(
    state: &AppState,
    principal: &Principal,
    cache: &mut HashMap<String, Option<PriceRecord>>,
    id: &str,
) -> Result<Option<PriceRecord>, FlowgladError> {
    if !cache.contains_key(id) {
        let price = state
            .store
            .price(&principal.organization_id, principal.mode.is_live(), id)
            .await
            .map_err(internal)?;
        cache.insert(id.to_owned(), price);
    }
    Ok(cache.get(id).cloned().flatten())
}

fn purchase_body(p: &PurchaseRecord, price: Option<&PriceRecord>) -> Value {
    let address = p
        .billing_address
        .as_deref()
        .and_then(|a| serde_json::from_str::<crate::domain::customer::BillingAddress>(a).ok())
        .map(|a| AddressBody::from_domain(&a));
    let metadata: Option<Value> = p
        .metadata
        .as_deref()
        .and_then(|m| serde_json::from_str(m).ok());
    let mut body = json!({
        "id": p.id,
        "createdAt": p.created_at,
        "updatedAt": p.updated_at,
        "livemode": p.livemode,
        "name": p.name,
        "status": p.status,
        "customerId": p.customer_id,
        "organizationId": p.organization_id,
        "billingCycleAnchor": null,
        "priceId": p.price_id,
        "quantity": p.quantity,
        "priceType": p.price_type,
        "firstInvoiceValue": p.first_invoice_value,
        "bankPaymentOnly": null,
        "purchaseDate": p.purchase_date,
        "endDate": null,
        "proposal": null,
        "archived": false,
        "billingAddress": address,
        "metadata": metadata,
        "pricingModelId": p.pricing_model_id,
        "position": 0,
    });
    if p.price_type == "subscription" {
        body["trialPeriodDays"] = json!(price.and_then(|pr| pr.trial_period_days).unwrap_or(0));
        body["pricePerBillingCycle"] =
            json!(price.map_or(0, |pr| pr.unit_amount) * i64::from(p.quantity));
        body["intervalUnit"] = json!(
            price
                .and_then(|pr| pr.interval_unit.clone())
                .unwrap_or_else(|| "month".into())
        );
        body["intervalCount"] = json!(price.and_then(|pr| pr.interval_count).unwrap_or(1));
        body["totalPurchaseValue"] = Value::Null;
    } else {
        body["trialPeriodDays"] = Value::Null;
        body["pricePerBillingCycle"] = Value::Null;
        body["intervalUnit"] = Value::Null;
        body["intervalCount"] = Value::Null;
        body["totalPurchaseValue"] = json!(p.total_purchase_value);
    }
    body
}

#[derive(Serialize)]
pub struct PurchaseEnvelope {
    purchase: Value,
}

pub async fn retrieve_purchase(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<PurchaseEnvelope>, FlowgladError> {
    let purchase = state
        .store
        .purchase(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(internal)?
        .ok_or_else(|| FlowgladError::not_found("purchase"))?;
    let price = price_of(&state, &principal, &mut HashMap::new(), &purchase.price_id).await?;
    Ok(Json(PurchaseEnvelope {
        purchase: purchase_body(&purchase, price.as_ref()),
    }))
}

fn invoice_body(i: &InvoiceRecord) -> Value {
    let mut body = json!({
        "id": i.id,
        "createdAt": i.created_at,
        "updatedAt": i.updated_at,
        "livemode": i.livemode,
        "invoiceNumber": i.invoice_number,
        "invoiceDate": i.invoice_date,
        "dueDate": i.due_date,
        "customerId": i.customer_id,
        "organizationId": i.organization_id,
        "status": i.status,
        "billingRunId": null,
        "ownerMembershipId": null,
        "pdfURL": null,
        "receiptPdfURL": null,
        "memo": null,
        "bankPaymentOnly": null,
        "currency": i.currency.to_ascii_uppercase(),
        "taxAmount": i.tax_amount,
        "subtotal": i.subtotal,
        "taxCountry": i.tax_country,
        "taxState": null,
        "taxRatePercentage": i.tax_rate_millionths.map(|m| crate::domain::Rate::from_millionths(m.max(0) as u32).percent_string()),
        "applicationFee": null,
        "pricingModelId": i.pricing_model_id,
    });
    match (&i.subscription_id, &i.purchase_id) {
        (Some(subscription), _) => {
            body["type"] = json!("subscription");
            body["subscriptionId"] = json!(subscription);
            body["purchaseId"] = Value::Null;
            // kassa keeps no separate billing periods: the invoice names the period it paid for.
            body["billingPeriodId"] = json!(format!("bp_{}", i.id.trim_start_matches("inv_")));
            body["billingPeriodStartDate"] = json!(i.invoice_date);
            body["billingPeriodEndDate"] = Value::Null;
        }
        (None, purchase) => {
            body["type"] = json!("purchase");
            body["purchaseId"] = json!(purchase);
            body["subscriptionId"] = Value::Null;
            body["billingPeriodId"] = Value::Null;
            body["billingPeriodStartDate"] = Value::Null;
            body["billingPeriodEndDate"] = Value::Null;
        }
    }
    body
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InvoiceEnvelope {
    invoice: Value,
    invoice_line_items: Vec<Value>,
}

/// An invoice's lines: the lines of the checkout that made it, as paid, or, for a renewal, the
/// lines it billed (one per subscription item).
async fn invoice_lines(
    state: &AppState,
    invoice: &InvoiceRecord,
) -> Result<Vec<Value>, FlowgladError> {
    let Some(session_id) = &invoice.session_id else {
        let lines = state
            .store
            .invoice_lines(&invoice.id)
            .await
            .map_err(internal)?;
        return Ok(lines
            .iter()
            .map(|line| {
                line_item(
                    invoice,
                    line.position as usize,
                    line.quantity,
                    line.price_id.as_deref(),
                    &line.description,
                    line.unit_amount,
                )
            })
            .collect());
    };
    let Some(session) = state
        .store
        .session_by_id(session_id)
        .await
        .map_err(internal)?
    else {
        return Ok(Vec::new());
    };
    Ok(session
        .line_items
        .iter()
        .enumerate()
        .map(|(position, line)| {
            line_item(
                invoice,
                position,
                line.quantity as i32,
                Some(&line.price_id),
                &line.description,
                line.unit_amount.amount,
            )
        })
        .collect())
}

/// One line of an invoice in Flowglad's shape (a static line).
fn line_item(
    invoice: &InvoiceRecord,
    position: usize,
    quantity: i32,
    price_id: Option<&str>,
    description: &str,
    unit_amount: i64,
) -> Value {
    json!({
        "id": format!("ili_{}_{position}", invoice.id.trim_start_matches("inv_")),
        "createdAt": invoice.created_at,
        "updatedAt": invoice.updated_at,
        "livemode": invoice.livemode,
        "invoiceId": invoice.id,
        "quantity": quantity,
        "priceId": price_id,
        "description": description,
        "price": unit_amount,
        "type": "static",
        "pricingModelId": invoice.pricing_model_id,
        "ledgerAccountId": null,
        "ledgerAccountCredit": null,
    })
}

pub async fn list_invoices(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<ListBody<Value>>, FlowgladError> {
    let page = query.page()?;
    let (org, live) = (principal.organization_id.as_str(), principal.mode.is_live());
    list_of(
        &query,
        state.store.invoices(org, live, &page),
        state.store.count_invoices(org, live),
        invoice_body,
        |r| (r.created_at, r.id.as_str()),
    )
    .await
}

pub async fn retrieve_invoice(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<InvoiceEnvelope>, FlowgladError> {
    let invoice = state
        .store
        .invoice(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(internal)?
        .ok_or_else(|| FlowgladError::not_found("invoice"))?;
    let invoice_line_items = invoice_lines(&state, &invoice).await?;
    Ok(Json(InvoiceEnvelope {
        invoice: invoice_body(&invoice),
        invoice_line_items,
    }))
}

fn subscription_body(s: &SubscriptionRecord, price: Option<&PriceRecord>) -> Value {
    let current = matches!(
        s.status.as_str(),
        "active" | "trialing" | "past_due" | "cancellation_scheduled"
    );
    json!({
        "id": s.id,
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
        "livemode": s.livemode,
        "startDate": s.current_period_start.unwrap_or(s.created_at),
        "customerId": s.customer_id,
        "organizationId": s.organization_id,
        "status": if s.cancel_scheduled_at.is_some() && s.status != "canceled" {
            "cancellation_scheduled"
        } else {
            s.status.as_str()
        },
        "defaultPaymentMethodId": s.default_payment_method_id,
        "backupPaymentMethodId": null,
        "trialEnd": s.trial_end,
        "currentBillingPeriodStart": s.current_period_start,
        "currentBillingPeriodEnd": s.current_period_end,
        "metadata": null,
        "canceledAt": s.canceled_at,
        "cancelScheduledAt": s.cancel_scheduled_at,
        "cancellationReason": null,
        "replacedBySubscriptionId": null,
        "isFreePlan": price.map(|p| p.unit_amount == 0),
        "doNotCharge": null,
        "priceId": s.price_id,
        "runBillingAtPeriodStart": null,
        "interval": price.and_then(|p| p.interval_unit.clone()).unwrap_or_else(|| "month".into()),
        "intervalCount": price.and_then(|p| p.interval_count).unwrap_or(1),
        "billingCycleAnchorDate": s.billing_cycle_anchor,
        "name": s.name,
        "renews": true,
        "pricingModelId": price.map(|p| p.pricing_model_id.clone()).unwrap_or_default(),
        "current": current,
    })
}

#[derive(Serialize)]
pub struct SubscriptionEnvelope {
    subscription: Value,
}

pub async fn list_subscriptions(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<ListBody<Value>>, FlowgladError> {
    let page = query.page()?;
    let (org, live) = (principal.organization_id.as_str(), principal.mode.is_live());
    let subscriptions: Page<SubscriptionRecord> = state
        .store
        .subscriptions(org, live, &page)
        .await
        .map_err(internal)?;
    let total = state
        .store
        .count_subscriptions(org, live)
        .await
        .map_err(internal)?;
    let mut prices = HashMap::new();
    let mut data = Vec::with_capacity(subscriptions.items.len());
    for s in &subscriptions.items {
        let price = price_of(&state, &principal, &mut prices, &s.price_id).await?;
        data.push(subscription_body(s, price.as_ref()));
    }
    Ok(Json(ListBody::new(
        &query,
        &subscriptions.items,
        subscriptions.has_more,
        total,
        data,
        |s| (s.created_at, s.id.as_str()),
    )))
}

pub async fn retrieve_subscription(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionEnvelope>, FlowgladError> {
    let subscription = state
        .store
        .subscription(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(internal)?
        .ok_or_else(|| FlowgladError::not_found("subscription"))?;
    subscription_envelope(&state, &principal, &subscription).await
}

/// `POST /api/v1/subscriptions/{id}/cancel`'s body.
#[derive(serde::Deserialize)]
pub struct CancelBody {
    cancellation: Option<CancellationBody>,
}

#[derive(serde::Deserialize)]
pub struct CancellationBody {
    timing: Option<String>,
}

/// Ends a subscription `immediately` or `at_end_of_current_billing_period`.
pub async fn cancel_subscription(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
    super::Body(body): super::Body<CancelBody>,
) -> Result<Json<SubscriptionEnvelope>, FlowgladError> {
    use crate::service::subscriptions::{self, CancelTiming};
    let timing = match body.cancellation.and_then(|c| c.timing).as_deref() {
        Some("immediately") => CancelTiming::Immediately,
        Some("at_end_of_current_billing_period") => CancelTiming::AtPeriodEnd,
        _ => {
            return Err(FlowgladError::bad_request(
                "cancellation.timing: must be immediately or at_end_of_current_billing_period",
            ));
        }
    };
    let changed = subscriptions::cancel_subscription(
        &state.store,
        &principal,
        &id,
        timing,
        crate::store::now_ms(),
    )
    .await
    .map_err(|e| FlowgladError::from_service(e, Names::Subscription))?;
    subscription_envelope(&state, &principal, &changed.record).await
}

/// Calls off a cancellation scheduled for the end of the period.
pub async fn uncancel_subscription(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionEnvelope>, FlowgladError> {
    let changed = crate::service::subscriptions::uncancel_subscription(
        &state.store,
        &principal,
        &id,
        crate::store::now_ms(),
    )
    .await
    .map_err(|e| FlowgladError::from_service(e, Names::Subscription))?;
    subscription_envelope(&state, &principal, &changed.record).await
}

async fn subscription_envelope(
    state: &AppState,
    principal: &Principal,
    s: &SubscriptionRecord,
) -> Result<Json<SubscriptionEnvelope>, FlowgladError> {
    let price = price_of(state, principal, &mut HashMap::new(), &s.price_id).await?;
    Ok(Json(SubscriptionEnvelope {
        subscription: subscription_body(s, price.as_ref()),
    }))
}

fn payment_method_body(m: &PaymentMethodRecord) -> Value {
    let billing: Value = serde_json::from_str(&m.billing_details).unwrap_or_else(|_| json!({}));
    json!({
        "id": m.id,
        "createdAt": m.created_at,
        "updatedAt": m.updated_at,
        "livemode": m.livemode,
        "customerId": m.customer_id,
        "pricingModelId": m.pricing_model_id,
        "billingDetails": {
            "name": billing["name"],
            "email": billing["email"],
            "address": billing.get("address").cloned().unwrap_or_else(|| json!({ "country": "" })),
        },
        "type": stored_method_word(&m.method_type),
        "default": m.is_default,
        "paymentMethodData": {
            "type": m.method_type,
            "brand": m.brand,
            "last4": m.last4,
            "exp_month": m.exp_month,
            "exp_year": m.exp_year,
            "fingerprint": m.fingerprint,
            "bank_name": m.bank_name,
        },
        "metadata": null,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMethodEnvelope {
    payment_method: Value,
}

pub async fn list_payment_methods(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<ListBody<Value>>, FlowgladError> {
    let page = query.page()?;
    let (org, live) = (principal.organization_id.as_str(), principal.mode.is_live());
    list_of(
        &query,
        state.store.payment_methods(org, live, &page),
        state.store.count_payment_methods(org, live),
        payment_method_body,
        |r| (r.created_at, r.id.as_str()),
    )
    .await
}

pub async fn retrieve_payment_method(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<PaymentMethodEnvelope>, FlowgladError> {
    let method = state
        .store
        .payment_method(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(internal)?
        .ok_or_else(|| FlowgladError::not_found("payment method"))?;
    Ok(Json(PaymentMethodEnvelope {
        payment_method: payment_method_body(&method),
    }))
}

/// `GET /api/v1/customers/{externalId}/billing`: what a customer has with the organization, as
/// Flowglad's billing read: the customer, their subscriptions with their items, invoices with
/// their lines, payment methods, purchases, the current subscriptions, their pricing model's
/// catalog, and `billingPortalUrl`, a signed link to their page (valid a day).
pub async fn customer_billing(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(external_id): Path<String>,
) -> Result<Json<Value>, FlowgladError> {
    const LATEST: i64 = 100;
    let store = &state.store;
    let (org, live) = (principal.organization_id.as_str(), principal.mode.is_live());
    let customer = store
        .customer_by_external_id(org, live, &external_id)
        .await
        .map_err(internal)?
        .ok_or_else(|| FlowgladError::not_found("customer"))?;
    let price_of = async |id: &str| store.price(org, live, id).await.map_err(internal);

    let mut subscriptions = Vec::new();
    for record in store
        .subscriptions_of_customer(org, live, &customer.id, LATEST)
        .await
        .map_err(internal)?
    {
        let price = price_of(&record.price_id).await?;
        let mut body = subscription_body(&record, price.as_ref());
        let mut items = Vec::new();
        for item in store
            .subscription_items(&[&record.id])
            .await
            .map_err(internal)?
        {
            let Some(price) = price_of(&item.price_id).await? else {
                continue;
            };
            items.push(json!({
                "id": item.id,
                "createdAt": item.created_at,
                "updatedAt": item.created_at,
                "livemode": record.livemode,
                "subscriptionId": record.id,
                "name": price.name,
                "addedDate": item.created_at,
                "priceId": item.price_id,
                "unitPrice": item.unit_amount,
                "quantity": item.quantity,
                "metadata": null,
                "type": "static",
                "externalId": null,
                "expiredAt": item.expired_at,
                "manuallyCreated": false,
                "pricingModelId": price.pricing_model_id,
                "price": super::catalog::PriceBody::from(&price),
            }));
        }
        body["subscriptionItems"] = json!(items);
        subscriptions.push(body);
    }
    let current: Vec<Value> = subscriptions
        .iter()
        .filter(|s| s["current"] == json!(true))
        .cloned()
        .collect();

    let mut invoices = Vec::new();
    for invoice in store
        .invoices_of_customer(org, live, &customer.id, LATEST)
        .await
        .map_err(internal)?
    {
        let lines = invoice_lines(&state, &invoice).await?;
        invoices.push(json!({ "invoice": invoice_body(&invoice), "invoiceLineItems": lines }));
    }
    let payment_methods: Vec<Value> = store
        .payment_methods_of_customer(org, live, &customer.id, LATEST)
        .await
        .map_err(internal)?
        .iter()
        .map(payment_method_body)
        .collect();
    let mut purchases = Vec::new();
    for purchase in store
        .purchases_of_customer(org, live, &customer.id, LATEST)
        .await
        .map_err(internal)?
    {
        let price = price_of(&purchase.price_id).await?;
        purchases.push(purchase_body(&purchase, price.as_ref()));
    }
    let catalog = pricing_model_details(&state, org, live, &customer.pricing_model_id).await?;
    let portal = crate::service::portal::link(
        store,
        &state.public_base,
        &customer,
        crate::store::now_ms() + crate::service::portal::API_LINK_MS,
    )
    .await
    .map_err(|e| FlowgladError::from_service(e, Names::Customer))?;
    let mut body = json!({
        "customer": super::customers::CustomerBody::from(&customer),
        "subscriptions": subscriptions,
        "invoices": invoices,
        "paymentMethods": payment_methods,
        "purchases": purchases,
        "currentSubscriptions": current,
        "catalog": catalog,
        "pricingModel": catalog,
        "billingPortalUrl": portal,
    });
    if let Some(latest) = current.first() {
        body["currentSubscription"] = latest.clone();
    }
    Ok(Json(body))
}

/// A pricing model with its products, each with its prices (Flowglad's
/// `PricingModelDetailsRecord`; kassa has no usage meters or features).
async fn pricing_model_details(
    state: &AppState,
    org: &str,
    live: bool,
    id: &str,
) -> Result<Value, FlowgladError> {
    let model = state
        .store
        .pricing_model(org, live, id)
        .await
        .map_err(internal)?
        .ok_or_else(|| internal(StoreError::Corrupt(format!("pricing model {id} missing"))))?;
    let mut products = Vec::new();
    let page = crate::store::PageRequest::first(100);
    for product in state
        .store
        .products(org, live, &page)
        .await
        .map_err(internal)?
        .items
        .into_iter()
        .filter(|p| p.pricing_model_id == model.id)
    {
        let prices = state
            .store
            .prices_of_product(&product.id)
            .await
            .map_err(internal)?;
        products.push(super::catalog::ProductWithPricesBody::json(
            &product, &prices,
        ));
    }
    let default_product = products
        .iter()
        .find(|p| p["default"] == json!(true))
        .cloned();
    let mut body = json!({
        "id": model.id,
        "createdAt": model.created_at,
        "updatedAt": model.updated_at,
        "livemode": model.livemode,
        "organizationId": model.organization_id,
        "isDefault": model.is_default,
        "name": model.name,
        "products": products,
        "usageMeters": [],
    });
    if let Some(product) = default_product {
        body["defaultProduct"] = product;
    }
    Ok(body)
}
