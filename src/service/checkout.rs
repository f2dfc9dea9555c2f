//! Creating and reading checkout sessions: the core every API dialect maps onto.

use super::api_keys::Principal;
use super::catalog::default_pricing_model;
use super::ids::new_id;
use super::payment::discount::{self, Refusal};
use super::{ServiceError, ServiceResult};
use crate::domain::catalog::{CheckedPrice, CheckedProduct};
use crate::domain::catalog::{Coupon, Price};
use crate::domain::field::{Field, FieldError};
use crate::domain::ids;
use crate::domain::session::draft::{
    self, CheckedCustomer, CheckedLine, CheckedPriceRef, DiscountDraft, InlineProduct, SessionDraft,
};
use crate::domain::session::totals::{self, DiscountTerms, PricedLine};
use crate::domain::session::{
    AmountSummary, AppliedDiscount, CheckoutSession, SessionKind, SessionLineItem, SessionMode,
    SessionStatus,
};
use crate::store::{
    CustomerRecord, IdempotencyClaim, Page, PageRequest, PriceRecord, ProductRecord, Store,
    StoreError,
};
use std::collections::HashMap;

/// Creates an open session from a dialect's request: checks it, looks up what it names, prices
/// it, and records it. Every problem found is reported at once, each naming its field.
///
/// Under an idempotency key (`once`) the session is named on the key in the transaction that
/// records it, and a request whose earlier holder of the key created a session before it stopped
/// answers with that session instead of creating another.
pub async fn create_session(
    store: &Store,
    principal: &Principal,
    draft: SessionDraft,
    now: i64,
    once: Option<&IdempotencyClaim>,
) -> ServiceResult<CheckoutSession> {
    if let Some(created) = once.and_then(|claim| claim.effect_id.as_deref()) {
        tracing::info!(session = %created, "a retry found the session its key already created");
        return get_session(store, principal, created).await;
    }
    let id = new_id(ids::checkout_session(principal.mode));
    let Built { session, inline } = build_session(store, principal, draft, &id, now, now).await?;
    // The lines' own prices first: a session never names a price that is not there. Should the
    // session not follow, they are left unsellable (no other session can sell them) and unlisted.
    store
        .insert_inline(&session.id, &inline.products, &inline.prices)
        .await?;
    store
        .insert_session(&session, once)
        .await
        .map_err(|error| match error {
            StoreError::IdempotencyKeyLost => key_taken_over(),
            error => error.into(),
        })?;
    store.metrics().session("created", session.origin.as_str());
    if let Some(trace_id) = &session.trace_id {
        tracing::info!(session = %session.id, trace_id = %trace_id, "checkout session created");
    }
    Ok(session)
}

/// A request whose idempotency key a retry took over (its hold ran out before it wrote): it
/// created nothing, and the retry answers for the key.
fn key_taken_over() -> ServiceError {
    ServiceError::Conflict(FieldError::new(
        Field::IdempotencyKey,
        "idempotency_key_in_use",
        "another request with this Idempotency-Key took it over; this one did nothing",
    ))
}

/// Changes what `current`, an open, unconfirmed session of the caller's, sells and how (Zenskar's
/// `PUT /checkout/{id}`): the request is checked and priced as a new one would be, and replaces
/// the session's terms, unless the session moved on meanwhile.
pub async fn update_session(
    store: &Store,
    principal: &Principal,
    current: &CheckoutSession,
    draft: SessionDraft,
    now: i64,
) -> ServiceResult<CheckoutSession> {
    if !current.is_editable(now) {
        return Err(not_editable(current, now));
    }
    let id = current.id.as_str();
    let Built { session, inline } =
        build_session(store, principal, draft, id, current.created_at, now).await?;
    store
        .insert_inline(&session.id, &inline.products, &inline.prices)
        .await?;
    if !store.replace_open_session(&session, now).await? {
        let current = get_session(store, principal, id).await?;
        return Err(not_editable(&current, now));
    }
    if let Some(trace_id) = &session.trace_id {
        tracing::info!(session = %session.id, trace_id = %trace_id, "checkout session updated");
    }
    get_session(store, principal, id).await
}

/// Why a session can no longer be changed or confirmed.
pub fn not_editable(session: &CheckoutSession, now: i64) -> ServiceError {
    let status = session.effective_status(now);
    let message = match (status, session.confirmation) {
        (SessionStatus::Open, Some(c)) => {
            format!("the session was already confirmed ({})", c.as_str())
        }
        (SessionStatus::Open, None) => {
            "a payment for this session is in progress; try again in a moment".to_owned()
        }
        (status, _) => format!("only an open session can be changed; this one is {status}"),
    };
    ServiceError::Conflict(FieldError::new(Field::Kind, "session_not_open", message))
}

/// Checks, looks up and prices a request into a session with the given id, not yet stored.
/// The session `draft` would make now, checked and priced, without keeping it: how a payment
/// link's template is checked before it is saved.
pub async fn build_session_of(
    store: &Store,
    principal: &Principal,
    draft: SessionDraft,
    now: i64,
) -> ServiceResult<CheckoutSession> {
    let id = new_id(ids::checkout_session(principal.mode));
    Ok(build_session(store, principal, draft, &id, now, now)
        .await?
        .session)
}

/// A session checked and priced, and the products and prices its lines described (Stripe's
/// `price_data`), to be recorded before it.
struct Built {
    session: CheckoutSession,
    inline: Inline,
}

#[derive(Default)]
struct Inline {
    products: Vec<ProductRecord>,
    prices: Vec<PriceRecord>,
}

async fn build_session(
    store: &Store,
    principal: &Principal,
    draft: SessionDraft,
    id: &str,
    created_at: i64,
    now: i64,
) -> ServiceResult<Built> {
    let mut checked = draft::check(draft, now)?;
    let org = principal.organization_id.as_str();
    let livemode = principal.mode.is_live();
    let mut errors: Vec<FieldError> = Vec::new();

    let customer: Option<CustomerRecord> = match &checked.customer {
        CheckedCustomer::Existing(id) => {
            let found = store.customer(org, livemode, id).await?;
            if found.is_none() {
                errors.push(missing(Field::Customer, "customer", id));
            }
            found
        }
        CheckedCustomer::External(external_id) => {
            let found = store
                .customer_by_external_id(org, livemode, external_id)
                .await?;
            if found.is_none() {
                errors.push(FieldError::new(
                    Field::Customer,
                    "resource_missing",
                    format!("no customer has the external id `{external_id}`"),
                ));
            }
            found
        }
        CheckedCustomer::Guest(guest) => {
            if let Some(entity) = &guest.business_entity_id
                && store
                    .business_entity(org, livemode, entity)
                    .await?
                    .is_none()
            {
                errors.push(missing(Field::BusinessEntity, "business entity", entity));
            }
            None
        }
        CheckedCustomer::Anonymous => None,
    };
    // Stripe's rule: the terms a buyer accepts must be there to read.
    if checked.collection.terms_of_service && store.branding(org).await?.terms_url.is_none() {
        errors.push(FieldError::invalid(
            Field::ConsentTermsOfService,
            "set your terms of service URL in the dashboard's branding before asking buyers to accept them",
        ));
    }
    if customer.as_ref().is_some_and(|c| c.archived) {
        errors.push(FieldError::invalid(
            Field::Customer,
            "the customer is archived",
        ));
    }

    let subscription = match &checked.target_subscription_id {
        Some(id) => {
            let found = store.subscription(org, livemode, id).await?;
            match &found {
                None => errors.push(missing(Field::TargetSubscription, "subscription", id)),
                Some(sub) => {
                    if customer.as_ref().is_some_and(|c| c.id != sub.customer_id) {
                        errors.push(FieldError::invalid(
                            Field::TargetSubscription,
                            "the subscription belongs to another customer",
                        ));
                    }
                    if checked.kind == SessionKind::ActivateSubscription && !sub.awaits_activation()
                    {
                        errors.push(FieldError::new(
                            Field::TargetSubscription,
                            "subscription_not_activatable",
                            format!(
                                "the subscription is {}, not awaiting activation",
                                sub.status
                            ),
                        ));
                    }
                }
            }
            found
        }
        None => None,
    };

    // Activating a subscription pays for its price; the request itself names no lines.
    if checked.kind == SessionKind::ActivateSubscription
        && let Some(sub) = &subscription
    {
        checked.lines = vec![CheckedLine {
            price: CheckedPriceRef::Id(sub.price_id.clone()),
            quantity: sub.quantity.max(1) as u32,
            adjustable: None,
        }];
    }

    // A plan-based contract sells the plan's items.
    if let Some(plan_id) = &checked.plan_id {
        match store.plan(org, livemode, plan_id).await? {
            None => errors.push(missing(Field::Plan, "plan", plan_id)),
            Some(plan) if !plan.active => errors.push(FieldError::new(
                Field::Plan,
                "plan_inactive",
                format!("the plan `{plan_id}` is archived and cannot be bought"),
            )),
            Some(plan) => {
                if let Some(asked) = checked.currency
                    && asked != plan.currency
                {
                    errors.push(FieldError::new(
                        Field::Currency,
                        "currency_mismatch",
                        format!(
                            "currency is {} but the plan is priced in {}",
                            asked.code(),
                            plan.currency.code()
                        ),
                    ));
                }
                checked.lines = plan
                    .items
                    .iter()
                    .map(|item| CheckedLine {
                        price: CheckedPriceRef::Id(item.price_id.clone()),
                        quantity: item.quantity,
                        adjustable: None,
                    })
                    .collect();
            }
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
    }

    let model = default_pricing_model(store, principal).await?;
    let mut inline = Inline::default();
    let mut price_records: Vec<PriceRecord> = Vec::with_capacity(checked.lines.len());
    for (i, line) in checked.lines.iter().enumerate() {
        let found = match &line.price {
            CheckedPriceRef::Id(id) => store.price(org, livemode, id).await?,
            CheckedPriceRef::Slug(slug) => store.price_by_slug(org, livemode, slug).await?,
            CheckedPriceRef::Inline(terms) => {
                let at = Field::LinePriceData(i, "product");
                let product = match &terms.product {
                    InlineProduct::Existing(product_id) => {
                        match store.product(org, livemode, product_id).await? {
                            Some(product) if product.active => Some(product),
                            Some(_) => {
                                errors.push(FieldError::new(
                                    at,
                                    "product_inactive",
                                    format!(
                                        "the product `{product_id}` is archived and cannot be sold"
                                    ),
                                ));
                                None
                            }
                            None => {
                                errors.push(missing(at, "product", product_id));
                                None
                            }
                        }
                    }
                    InlineProduct::New(described) => {
                        let product = inline_product(principal, &model.id, described, now);
                        inline.products.push(product.clone());
                        Some(product)
                    }
                };
                product.map(|product| {
                    let price = inline_price(&product, &terms.price, id, now);
                    inline.prices.push(price.clone());
                    price
                })
            }
        };
        match found {
            Some(price) => price_records.push(price),
            None => match &line.price {
                CheckedPriceRef::Id(id) => errors.push(missing(Field::LinePrice(i), "price", id)),
                CheckedPriceRef::Slug(slug) => {
                    errors.push(missing(Field::LinePrice(i), "price with the slug", slug))
                }
                // Its problem is already reported.
                CheckedPriceRef::Inline(_) => {}
            },
        }
    }
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    // A session's own inline prices are sellable in it, though never active in the catalog.
    let prices: Vec<Price> = price_records
        .iter()
        .map(|record| {
            record.to_domain().map(|mut price| {
                price.active = record.sellable_in(id);
                price
            })
        })
        .collect::<Result<_, _>>()?;
    let resolved = draft::resolve_lines(&checked, &prices)?;

    let discount = match &checked.discount {
        None => None,
        Some(requested) => {
            Some(find_discount(store, org, livemode, requested, now, resolved.currency).await?)
        }
    };

    let trial_period_days = match (checked.kind, resolved.mode) {
        (SessionKind::Purchase, SessionMode::Subscription) => {
            checked.trial_period_days.or_else(|| {
                prices
                    .iter()
                    .find_map(|p| p.recurring.and(p.trial_period_days))
            })
        }
        _ => None,
    };

    let priced: Vec<PricedLine> = checked
        .lines
        .iter()
        .zip(&prices)
        .map(|(line, price)| PricedLine {
            unit_amount: price.unit_amount,
            quantity: line.quantity,
            recurring: price.recurring,
        })
        .collect();
    let amounts = match resolved.currency {
        Some(currency) => {
            let terms = discount.as_ref().map(|(c, _)| DiscountTerms {
                value: c.value,
                duration: c.duration,
            });
            let t = totals::compute(currency, &priced, terms, None, trial_period_days).map_err(
                |_| FieldError::invalid(Field::LineItems, "the session's total is too large"),
            )?;
            AmountSummary {
                subtotal: t.subtotal,
                discount: t.discount,
                tax: t.tax,
                total: t.total,
                due_today: t.due_today,
            }
        }
        None => AmountSummary::default(),
    };

    let mut product_names: HashMap<String, String> = inline
        .products
        .iter()
        .map(|p| (p.id.clone(), p.name.clone()))
        .collect();
    for price in &prices {
        if !product_names.contains_key(&price.product_id) {
            let name = store
                .product(org, livemode, &price.product_id)
                .await?
                .map(|p| p.name)
                .unwrap_or_else(|| price.product_id.clone());
            product_names.insert(price.product_id.clone(), name);
        }
    }
    let line_items: Vec<SessionLineItem> = checked
        .lines
        .iter()
        .zip(&prices)
        .map(|(line, price)| {
            let product = product_names
                .get(&price.product_id)
                .cloned()
                .unwrap_or_default();
            SessionLineItem {
                price_id: price.id.clone(),
                product_id: price.product_id.clone(),
                // "Coffee Club – Monthly", but not "Coffee Club – Coffee Club, monthly".
                description: match &price.name {
                    Some(name) if name.contains(product.as_str()) => name.clone(),
                    Some(name) if !product.contains(name.as_str()) => format!("{product} – {name}"),
                    _ => product,
                },
                quantity: line.quantity,
                adjustable: line.adjustable,
                unit_amount: price.unit_amount,
                recurring: price.recurring,
            }
        })
        .collect();

    let (customer_email, customer_name) = match (&customer, &checked.customer) {
        (Some(c), _) => (c.email.clone(), c.name.clone()),
        (None, CheckedCustomer::Guest(guest)) => (Some(guest.email.clone()), guest.name.clone()),
        _ => (None, None),
    };
    let session = CheckoutSession {
        id: id.to_owned(),
        organization_id: principal.organization_id.clone(),
        livemode,
        pricing_model_id: model.id,
        kind: checked.kind,
        mode: resolved.mode,
        status: SessionStatus::Open,
        currency: resolved.currency,
        line_items,
        customer_id: customer.as_ref().map(|c| c.id.clone()),
        customer_external_id: customer.as_ref().and_then(|c| c.external_id.clone()),
        anonymous: matches!(checked.customer, CheckedCustomer::Anonymous),
        billing_address: customer
            .as_ref()
            .and_then(CustomerRecord::billing_address)
            .or_else(|| match &checked.customer {
                CheckedCustomer::Guest(g) => g.billing_address.clone(),
                _ => None,
            }),
        guest: match checked.customer {
            CheckedCustomer::Guest(g) => Some(*g),
            _ => None,
        },
        customer_email,
        customer_name,
        success_url: checked.success_url,
        cancel_url: checked.cancel_url,
        pending_url: checked.pending_url,
        payment_method_types: checked.payment_method_types,
        payment_method_type: None,
        allow_promotion_codes: checked.allow_promotion_codes,
        discount: discount.map(|(coupon, code)| AppliedDiscount {
            coupon_id: coupon.id,
            promotion_code_id: code,
            duration: coupon.duration,
        }),
        trial_period_days,
        preserve_billing_cycle_anchor: checked.preserve_billing_cycle_anchor,
        target_subscription_id: checked.target_subscription_id,
        automatically_update_subscriptions: checked.automatically_update_subscriptions,
        output_name: checked.output_name,
        output_metadata: checked.output_metadata,
        metadata: checked.metadata,
        attribution: checked.attribution,
        trace_id: checked.trace_id,
        client_reference_id: checked.client_reference_id,
        collection: checked.collection,
        customer_phone: None,
        customer_tax_ids: Vec::new(),
        shipping_details: None,
        payment_link_id: checked.payment_link_id,
        origin: checked.origin,
        locale: checked.locale,
        answers: None,
        plan_id: checked.plan_id,
        starts_at: checked.starts_at,
        confirmation: None,
        cancelled_at: None,
        amounts,
        expires_at: checked.expires_at,
        created_at,
        updated_at: now,
        completed_at: None,
        purchase_id: None,
        invoice_id: None,
        subscription_id: None,
        payment_method_id: None,
    };
    Ok(Built { session, inline })
}

/// The product a line described (`product_data`), made for session alone: inactive, unlisted.
fn inline_product(
    principal: &Principal,
    pricing_model_id: &str,
    described: &CheckedProduct,
    now: i64,
) -> ProductRecord {
    let id = new_id(ids::PRODUCT);
    ProductRecord {
        slug: id.clone(),
        id,
        organization_id: principal.organization_id.clone(),
        livemode: principal.mode.is_live(),
        pricing_model_id: pricing_model_id.to_owned(),
        name: described.name.clone(),
        description: described.description.clone(),
        image_url: described.image_url.clone(),
        is_default: false,
        singular_quantity_label: None,
        plural_quantity_label: None,
        active: false,
        created_at: now,
        updated_at: now,
    }
}

/// The price a line gave (`price_data`), of `product`, sellable in `session_id` alone.
fn inline_price(
    product: &ProductRecord,
    terms: &CheckedPrice,
    session_id: &str,
    now: i64,
) -> PriceRecord {
    PriceRecord {
        id: new_id(ids::PRICE),
        organization_id: product.organization_id.clone(),
        livemode: product.livemode,
        pricing_model_id: product.pricing_model_id.clone(),
        product_id: product.id.clone(),
        name: None,
        slug: None,
        price_type: terms.price_type.as_str().to_owned(),
        unit_amount: terms.unit_amount.amount,
        currency: terms.unit_amount.currency.code_lower(),
        interval_unit: terms.recurring.map(|r| r.interval.as_str().to_owned()),
        interval_count: terms.recurring.map(|r| r.interval_count as i32),
        trial_period_days: None,
        is_default: false,
        active: false,
        inline_for: Some(session_id.to_owned()),
        created_at: now,
        updated_at: now,
    }
}

fn missing(field: Field, what: &str, id: &str) -> FieldError {
    FieldError::new(field, "resource_missing", format!("no such {what}: `{id}`"))
}

/// The coupon a request names (directly, or through a promotion code), if it can be used now.
async fn find_discount(
    store: &Store,
    org: &str,
    livemode: bool,
    requested: &DiscountDraft,
    now: i64,
    currency: Option<crate::domain::money::Currency>,
) -> ServiceResult<(Coupon, Option<String>)> {
    let found = match requested {
        DiscountDraft::Coupon(id) => {
            discount::by_coupon(store, org, livemode, id, currency, now).await?
        }
        DiscountDraft::PromotionCode(code) => {
            discount::by_code(store, org, livemode, code, currency, now).await?
        }
    };
    match found {
        Ok(found) => {
            let code = found.promotion_code_id();
            Ok((found.coupon, code))
        }
        Err(Refusal::Unknown { what, name }) => Err(missing(Field::Discounts, what, &name).into()),
        Err(Refusal::NotRedeemable(why)) => {
            Err(FieldError::new(Field::Discounts, "discount_not_redeemable", why).into())
        }
    }
}

/// A session of the caller's organization and mode.
pub async fn get_session(
    store: &Store,
    principal: &Principal,
    id: &str,
) -> ServiceResult<CheckoutSession> {
    if !ids::is_checkout_session_id(id) {
        return Err(ServiceError::NotFound("checkout session"));
    }
    store
        .session(&principal.organization_id, principal.mode.is_live(), id)
        .await?
        .ok_or(ServiceError::NotFound("checkout session"))
}

/// A page of the caller's sessions, newest first, and how many there are in all.
pub async fn list_sessions(
    store: &Store,
    principal: &Principal,
    page: &PageRequest,
) -> ServiceResult<(Page<CheckoutSession>, i64)> {
    let livemode = principal.mode.is_live();
    let items = store
        .sessions(&principal.organization_id, livemode, page)
        .await?;
    let total = store
        .count_sessions(&principal.organization_id, livemode)
        .await?;
    Ok((items, total))
}

/// Ends an open session now (the merchant's decision). A session that is not open is a conflict.
pub async fn expire_session(
    store: &Store,
    principal: &Principal,
    id: &str,
    now: i64,
) -> ServiceResult<CheckoutSession> {
    let session = get_session(store, principal, id).await?;
    if session.effective_status(now) == SessionStatus::Open {
        let mut tx = store.begin().await?;
        if tx
            .set_session_status_if(id, SessionStatus::Open.expire()?, now)
            .await?
        {
            tx.mark_session_cancelled(id, now).await?;
            let mut outbox = super::events::Outbox::default();
            outbox.push(
                crate::domain::event::EventType::CheckoutSessionExpired,
                expired_session(&session),
            );
            outbox
                .write(&mut tx, &session.organization_id, session.livemode, now)
                .await?;
            tx.commit().await?;
            store.metrics().session("expired", session.origin.as_str());
            return get_session(store, principal, id).await;
        }
    }
    let current = store.session_by_id(id).await?;
    let status = current
        .as_ref()
        .map_or(session.status, |s| s.effective_status(now));
    if status == SessionStatus::Open {
        // Still open, so a payment holds it: the charge finishes first, whatever its outcome.
        return Err(ServiceError::Conflict(FieldError::new(
            Field::Kind,
            "payment_in_progress",
            "a payment for this session is in progress; try again in a moment",
        )));
    }
    Err(ServiceError::Conflict(FieldError::new(
        Field::Kind,
        "session_not_open",
        format!("only an open session can be expired; this one is {status}"),
    )))
}

/// What `checkout.session.expired` carries.
pub fn expired_session(session: &CheckoutSession) -> serde_json::Value {
    expired_object(&crate::store::DueSession {
        id: session.id.clone(),
        organization_id: session.organization_id.clone(),
        livemode: session.livemode,
        kind: session.kind.as_str().to_owned(),
        mode: session.mode.as_str().to_owned(),
        customer_id: session.customer_id.clone(),
        customer_email: session.customer_email.clone(),
        origin: session.origin.as_str().to_owned(),
    })
}

fn expired_object(session: &crate::store::DueSession) -> serde_json::Value {
    serde_json::json!({
        "id": session.id, "object": "checkout.session", "status": "expired",
        "kind": session.kind, "mode": session.mode,
        "customer": session.customer_id, "customer_email": session.customer_email,
    })
}

/// How many due sessions one sweep expires at most (one transaction).
const SWEEP_BATCH: i64 = 100;

/// Expires open sessions whose time has passed, each with its `checkout.session.expired`
/// event, a batch a transaction until none is due. Safe to run in several instances at once:
/// each session is claimed by one sweep (see `Tx::claim_due_sessions`) and moved only from
/// open. Returns how many it expired.
pub async fn sweep_expired(store: &Store, now: i64) -> ServiceResult<usize> {
    let mut expired = 0;
    loop {
        let mut tx = store.begin().await?;
        let due = tx.claim_due_sessions(now, SWEEP_BATCH).await?;
        if due.is_empty() {
            return Ok(expired);
        }
        let mut outboxes: Vec<(&crate::store::DueSession, super::events::Outbox)> = Vec::new();
        for session in &due {
            if tx
                .set_session_status_if(&session.id, SessionStatus::Open.expire()?, now)
                .await?
            {
                let mut outbox = super::events::Outbox::default();
                outbox.push(
                    crate::domain::event::EventType::CheckoutSessionExpired,
                    expired_object(session),
                );
                outboxes.push((session, outbox));
            }
        }
        let mut origins = Vec::with_capacity(outboxes.len());
        for (session, outbox) in outboxes {
            outbox
                .write(&mut tx, &session.organization_id, session.livemode, now)
                .await?;
            origins.push(session.origin.as_str());
            expired += 1;
        }
        tx.commit().await?;
        for origin in origins {
            store.metrics().session("expired", origin);
        }
        if (due.len() as i64) < SWEEP_BATCH {
            return Ok(expired);
        }
    }
}
