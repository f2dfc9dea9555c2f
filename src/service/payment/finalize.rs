//! Finalizing a paid session: what its kind asks for is created (customer, saved method,
//! subscription, purchase, invoice, payment), the attempt and the session are marked succeeded
//! and the events are recorded, all in one transaction that commits only if the session was
//! still where the payment left it. Every step below writes into that transaction.

use super::ConfirmOutcome;
use super::attempt::Attempt;
use super::{PaymentPlan, success_url};
use crate::domain::customer::BillingAddress;
use crate::domain::event::EventType;
use crate::domain::ids;
use crate::domain::money::Currency;
use crate::domain::session::{
    CheckoutSession, PaymentMethodType, SessionKind, SessionLineItem, SessionMode, SessionStatus,
};
use crate::service::ServiceResult;
use crate::service::events::{Outbox, customer_object};
use crate::service::ids::new_id;
use crate::store::{
    AttemptOutcome, NewCustomer, NewInvoice, NewPayment, NewPaymentMethod, NewPurchase,
    NewSubscriptionItem, SessionCompletion, StartedSubscription, Store, StoreError, Tx,
};
use serde_json::json;

/// Finalizes `session`, paid by `attempt`, from `from` (open, or pending for a payment that
/// settled later), and tells the buyer where to go next.
pub(super) async fn finish(
    store: &Store,
    session: &CheckoutSession,
    attempt: &Attempt<'_>,
    from: SessionStatus,
    public_base: &str,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    if finalize(store, session, attempt, from, now).await? {
        // The success URL is the session's as it was made: completing it changes neither it nor
        // the session's id.
        Ok(ConfirmOutcome::Succeeded {
            next_url: success_url(session, public_base),
        })
    } else {
        let status = store
            .session_by_id(&session.id)
            .await?
            .map_or(SessionStatus::Expired, |s| s.effective_status(now));
        tracing::warn!(session = %session.id, attempt = attempt.id, %status, "finalization lost its session");
        Ok(ConfirmOutcome::Closed(status))
    }
}

/// Creates what the session's kind asks for and completes it, in one transaction. `false` when
/// the session or the attempt moved on meanwhile (then nothing was written).
pub(super) async fn finalize(
    store: &Store,
    session: &CheckoutSession,
    attempt: &Attempt<'_>,
    from: SessionStatus,
    now: i64,
) -> ServiceResult<bool> {
    let session_moves = from.succeed()?;
    let attempt_moves = attempt.status.succeed()?;
    let mut f = Finalization::begin(store, session, attempt, now).await?;
    let customer_id = f.customer().await?;
    let payment_method_id = f.payment_method(&customer_id).await?;
    let mut made = Made {
        customer_id,
        payment_method_id,
        ..Made::default()
    };
    let kept = match session.kind {
        SessionKind::Purchase => f.purchase(&mut made).await?,
        SessionKind::AddPaymentMethod => f.default_method(&made).await?,
        SessionKind::ActivateSubscription => f.activation(store, &mut made).await?,
    };
    if !kept {
        return Ok(false);
    }
    if session.kind != SessionKind::AddPaymentMethod {
        f.invoice_and_payment(&mut made).await?;
    }
    let summary = attempt
        .method
        .map(serde_json::to_string)
        .transpose()
        .map_err(StoreError::from)?;
    let attempt_moved =
        f.tx.move_attempt(
            attempt.id,
            attempt_moves,
            &AttemptOutcome {
                method_summary: summary.as_deref(),
                processor_reference: attempt.reference,
                ..Default::default()
            },
            now,
        )
        .await?;
    if !attempt_moved || !f.complete(session_moves, &made).await? {
        return Ok(false);
    }
    f.commit(&made).await?;
    store
        .metrics()
        .session("completed", session.origin.as_str());
    store.metrics().payment("succeeded");
    Ok(true)
}

/// The ids of what finalizing made, as it goes.
#[derive(Default)]
struct Made {
    customer_id: String,
    payment_method_id: Option<String>,
    purchase_id: Option<String>,
    subscription_id: Option<String>,
    invoice_id: Option<String>,
}

/// One finalization's transaction, with what every step needs.
struct Finalization<'a> {
    tx: Tx,
    outbox: Outbox,
    session: &'a CheckoutSession,
    attempt: &'a Attempt<'a>,
    plan: &'a PaymentPlan,
    address: BillingAddress,
    /// The session's currency, lower case.
    currency: String,
    /// What the buyer bought, for records and receipts.
    name: String,
    now: i64,
    /// When a subscription it starts begins: now, on the organization's test clock in test mode
    /// (so that a clock moved ahead does not find the new subscription's period long over).
    billing_now: i64,
    /// The invoice-number base of the customer this finalization made, if it made one.
    new_invoice_base: Option<String>,
}

impl<'a> Finalization<'a> {
    async fn begin(
        store: &Store,
        session: &'a CheckoutSession,
        attempt: &'a Attempt<'a>,
        now: i64,
    ) -> ServiceResult<Finalization<'a>> {
        let plan = attempt.plan;
        let bills = session.target_subscription_id.is_some()
            || session.line_items.iter().any(|l| l.recurring.is_some());
        let billing_now = if bills && !session.livemode {
            now + store.test_clock_offset(&session.organization_id).await?
        } else {
            now
        };
        Ok(Finalization {
            tx: store.begin().await?,
            outbox: Outbox::default(),
            session,
            attempt,
            plan,
            address: plan.billing.clone().unwrap_or_else(|| BillingAddress {
                name: plan.name.clone(),
                postal_code: plan.postal_code.clone(),
                country: plan.country.clone(),
                ..Default::default()
            }),
            currency: plan
                .currency
                .map(Currency::code_lower)
                .unwrap_or_else(|| "usd".into()),
            name: session
                .output_name
                .clone()
                .or_else(|| session.line_items.first().map(|l| l.description.clone()))
                .unwrap_or_else(|| "Checkout".into()),
            now,
            billing_now,
            new_invoice_base: None,
        })
    }

    fn org(&self) -> &'a str {
        &self.session.organization_id
    }

    fn metadata(&self) -> Option<String> {
        self.session
            .output_metadata
            .as_ref()
            .map(|m| serde_json::Value::Object(m.clone()).to_string())
    }

    /// The buyer: the session's customer, or one made now for an anonymous or guest checkout;
    /// either way keeping the phone number and addresses the checkout collected.
    async fn customer(&mut self) -> ServiceResult<String> {
        let plan = self.plan;
        let shipping = plan
            .shipping
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(StoreError::from)?;
        let lang = plan.lang.map(crate::i18n::Lang::as_str);
        let Some(id) = &self.session.customer_id else {
            return self.new_customer(shipping.as_deref(), lang).await;
        };
        let billing = plan
            .billing
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(StoreError::from)?;
        self.tx
            .record_buyer_contact(
                id,
                plan.phone.as_deref(),
                shipping.as_deref(),
                billing.as_deref(),
                lang,
                self.now,
            )
            .await?;
        Ok(id.clone())
    }

    /// A customer made with what the buyer gave (the billing address is the one they paid with).
    async fn new_customer(
        &mut self,
        shipping: Option<&str>,
        lang: Option<&str>,
    ) -> ServiceResult<String> {
        let id = new_id(ids::CUSTOMER);
        let made = self
            .tx
            .insert_customer(
                &NewCustomer {
                    id: &id,
                    organization_id: self.org(),
                    livemode: self.session.livemode,
                    pricing_model_id: &self.session.pricing_model_id,
                    external_id: None,
                    email: Some(&self.plan.email),
                    name: self.plan.name.as_deref(),
                    billing_address: Some(&self.address),
                    logo_url: None,
                    icon_url: None,
                    domain: None,
                    user_id: None,
                    archived: false,
                    phone: self.plan.phone.as_deref(),
                    shipping,
                    preferred_locale: lang,
                },
                self.now,
            )
            .await?;
        // Its first invoice is numbered without asking the database.
        self.new_invoice_base = made.invoice_number_base;
        self.outbox.push(
            EventType::CustomerCreated,
            customer_object(&id, &self.plan.email, self.plan.name.as_deref(), None),
        );
        Ok(id)
    }

    /// The payment method that pays from now on: the merchant's choice for a deferred
    /// completion, or the method just used when it is to be kept.
    async fn payment_method(&mut self, customer_id: &str) -> ServiceResult<Option<String>> {
        if let Some(chosen) = self
            .plan
            .deferred
            .as_ref()
            .and_then(|d| d.payment_method_id.clone())
            .or_else(|| self.plan.saved_method_id.clone())
        {
            return Ok(Some(chosen));
        }
        let (true, Some(method), Some(method_type)) = (
            self.plan.save_method,
            self.attempt.method,
            self.plan.method_type,
        ) else {
            return Ok(None);
        };
        let id = new_id("pm");
        let billing =
            json!({ "name": self.plan.name, "email": self.plan.email, "address": self.address });
        self.tx
            .insert_payment_method(
                &NewPaymentMethod {
                    id: &id,
                    organization_id: self.org(),
                    livemode: self.session.livemode,
                    pricing_model_id: &self.session.pricing_model_id,
                    customer_id,
                    method_type: method_type.as_str(),
                    brand: method.brand.map(|b| b.display_name()),
                    last4: &method.last4,
                    exp_month: method.exp_month.map(i32::from),
                    exp_year: method.exp_year.map(i32::from),
                    fingerprint: &method.fingerprint,
                    bank_name: method.bank_name.as_deref(),
                    billing_details: &billing.to_string(),
                    is_default: true,
                    processor: Some(self.attempt.processor),
                    processor_customer_id: method.processor_customer.as_deref(),
                    processor_method_id: method.processor_method.as_deref(),
                    allow_redisplay: self.plan.redisplay.then_some("always"),
                },
                self.now,
            )
            .await?;
        self.outbox.push(
            EventType::PaymentMethodAttached,
            json!({
                "id": id, "object": "payment_method", "customer": customer_id,
                "type": method_type.as_str(), "brand": method.brand.map(|b| b.display_name()),
                "last4": method.last4, "exp_month": method.exp_month, "exp_year": method.exp_year,
            }),
        );
        Ok(Some(id))
    }

    /// A purchase, and a subscription first when the session sells one.
    async fn purchase(&mut self, made: &mut Made) -> ServiceResult<bool> {
        if self.session.mode == SessionMode::Subscription {
            self.subscription(made).await?;
        }
        let (session, plan, now) = (self.session, self.plan, self.now);
        let id = new_id("pur");
        let total_quantity: u32 = plan.quantities.iter().sum();
        let price_id = session
            .line_items
            .first()
            .map(|l| l.price_id.as_str())
            .unwrap_or_default();
        let address = serde_json::to_string(&self.address).map_err(StoreError::from)?;
        let shipping = plan
            .shipping
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(StoreError::from)?;
        let metadata = self.metadata();
        self.tx
            .insert_purchase(
                &NewPurchase {
                    id: &id,
                    organization_id: self.org(),
                    livemode: session.livemode,
                    pricing_model_id: &session.pricing_model_id,
                    customer_id: &made.customer_id,
                    session_id: &session.id,
                    price_id,
                    subscription_id: made.subscription_id.as_deref(),
                    quantity: total_quantity.max(1) as i32,
                    name: &self.name,
                    price_type: if session.mode == SessionMode::Subscription {
                        "subscription"
                    } else {
                        "single_payment"
                    },
                    first_invoice_value: plan.amounts.due_today,
                    total_purchase_value: plan.amounts.total,
                    billing_address: Some(&address),
                    metadata: metadata.as_deref(),
                    phone: plan.phone.as_deref(),
                    shipping_details: shipping.as_deref(),
                },
                now,
            )
            .await?;
        self.outbox.push(
            EventType::PurchaseCompleted,
            json!({
                "id": id, "object": "purchase", "customer": made.customer_id,
                "checkout_session": session.id, "subscription": made.subscription_id,
                "price": price_id, "quantity": total_quantity.max(1), "name": self.name,
                "total": plan.amounts.total, "currency": self.currency,
            }),
        );
        made.purchase_id = Some(id);
        Ok(true)
    }

    /// The subscription a subscription-mode session starts: trialing until the trial ends, or
    /// active for its first period. Every recurring line becomes one of its items, in order; the
    /// first is also the subscription's own price and quantity.
    async fn subscription(&mut self, made: &mut Made) -> ServiceResult<()> {
        let (session, plan, now) = (self.session, self.plan, self.billing_now);
        let recurring: Vec<(&SessionLineItem, u32)> = session
            .line_items
            .iter()
            .enumerate()
            .filter(|(_, l)| l.recurring.is_some())
            .map(|(i, l)| (l, plan.quantities.get(i).copied().unwrap_or(1)))
            .collect();
        let Some(&(first, quantity)) = recurring.first() else {
            return Err(StoreError::Corrupt(
                "a subscription session without a recurring line".into(),
            )
            .into());
        };
        let period = first.recurring.expect("recurring lines only");
        let trial_end = plan
            .trial_period_days
            .filter(|d| *d > 0)
            .map(|d| now + i64::from(d) * 86_400_000);
        let period_end_at = trial_end.unwrap_or_else(|| super::period_end(now, period));
        let status = if trial_end.is_some() {
            "trialing"
        } else {
            "active"
        };
        let id = new_id(ids::SUBSCRIPTION);
        let item_ids: Vec<String> = recurring
            .iter()
            .map(|_| new_id(ids::SUBSCRIPTION_ITEM))
            .collect();
        let currencies: Vec<String> = recurring
            .iter()
            .map(|(l, _)| l.unit_amount.currency.code_lower())
            .collect();
        let items: Vec<NewSubscriptionItem> = recurring
            .iter()
            .zip(&item_ids)
            .zip(&currencies)
            .map(
                |(((line, quantity), item_id), currency)| NewSubscriptionItem {
                    id: item_id,
                    price_id: &line.price_id,
                    quantity: *quantity as i32,
                    unit_amount: line.unit_amount.amount,
                    currency,
                },
            )
            .collect();
        let metadata = self.metadata();
        self.tx
            .start_subscription(
                &StartedSubscription {
                    id: &id,
                    organization_id: self.org(),
                    livemode: session.livemode,
                    customer_id: &made.customer_id,
                    price_id: &first.price_id,
                    quantity: quantity as i32,
                    status,
                    name: Some(&self.name),
                    default_payment_method_id: made.payment_method_id.as_deref(),
                    billing_cycle_anchor: period_end_at,
                    current_period_start: now,
                    current_period_end: period_end_at,
                    trial_end,
                    metadata: metadata.as_deref(),
                    items: &items,
                },
                self.now,
            )
            .await?;
        let item_bodies: Vec<serde_json::Value> = items
            .iter()
            .map(|item| {
                json!({
                    "id": item.id, "object": "subscription_item", "price": item.price_id,
                    "quantity": item.quantity, "unit_amount": item.unit_amount,
                    "currency": item.currency,
                })
            })
            .collect();
        self.outbox.push(
            EventType::SubscriptionCreated,
            json!({
                "id": id, "object": "subscription", "customer": made.customer_id,
                "price": first.price_id, "quantity": quantity, "status": status,
                "items": item_bodies,
                "current_period_end": period_end_at / 1000,
                "trial_end": trial_end.map(|t| t / 1000),
            }),
        );
        made.subscription_id = Some(id);
        Ok(())
    }

    /// A saved method becomes the default of the subscription named, or of all the customer's.
    async fn default_method(&mut self, made: &Made) -> ServiceResult<bool> {
        let Some(pm) = &made.payment_method_id else {
            return Ok(true);
        };
        if let Some(target) = &self.session.target_subscription_id {
            self.tx
                .set_default_payment_method(&made.customer_id, Some(target), pm, self.now)
                .await?;
        }
        if self.session.automatically_update_subscriptions == Some(true) {
            self.tx
                .set_default_payment_method(&made.customer_id, None, pm, self.now)
                .await?;
        }
        Ok(true)
    }

    /// The subscription awaiting its first payment becomes active. `false` when it no longer
    /// awaits activation.
    async fn activation(&mut self, store: &Store, made: &mut Made) -> ServiceResult<bool> {
        let Some(target) = &self.session.target_subscription_id else {
            return Ok(true);
        };
        let (session, now) = (self.session, self.billing_now);
        let existing = store
            .subscription(self.org(), session.livemode, target)
            .await?;
        let period = session.line_items.first().and_then(|l| l.recurring);
        let anchor = match (
            session.preserve_billing_cycle_anchor,
            existing.as_ref().and_then(|s| s.billing_cycle_anchor),
        ) {
            (true, Some(anchor)) => anchor,
            _ => now,
        };
        let end = period.map_or(now, |p| super::period_end(now, p));
        if !self
            .tx
            .activate_subscription(
                target,
                anchor,
                now,
                end,
                made.payment_method_id.as_deref(),
                self.now,
            )
            .await?
        {
            return Ok(false);
        }
        self.outbox.push(
            EventType::SubscriptionUpdated,
            json!({
                "id": target, "object": "subscription", "customer": made.customer_id,
                "status": "active", "current_period_end": end / 1000,
                "default_payment_method": made.payment_method_id,
            }),
        );
        made.subscription_id = Some(target.clone());
        Ok(true)
    }

    /// The invoice, paid unless the merchant deferred the charge, and the payment that paid it.
    async fn invoice_and_payment(&mut self, made: &mut Made) -> ServiceResult<()> {
        let (session, plan, now) = (self.session, self.plan, self.now);
        let id = new_id("inv");
        // A deferred completion leaves what is due on an open invoice.
        let paid = plan.deferred.is_none() || plan.amounts.due_today == 0;
        let number = self
            .tx
            .insert_invoice(
                &NewInvoice {
                    id: &id,
                    organization_id: self.org(),
                    livemode: session.livemode,
                    pricing_model_id: &session.pricing_model_id,
                    customer_id: &made.customer_id,
                    session_id: Some(&session.id),
                    purchase_id: made.purchase_id.as_deref(),
                    subscription_id: made.subscription_id.as_deref(),
                    invoice_type: if made.subscription_id.is_some() {
                        "subscription"
                    } else {
                        "purchase"
                    },
                    currency: &self.currency,
                    amounts: plan.amounts,
                    tax_country: plan.tax.as_ref().map(|t| t.country.as_str()),
                    tax_rate_millionths: plan.tax.as_ref().map(|t| t.rate.millionths() as i32),
                    period: None,
                    new_customer_base: self.new_invoice_base.as_deref(),
                },
                paid,
                now,
            )
            .await?;
        if plan.amounts.due_today > 0 && plan.deferred.is_none() {
            self.payment(made, &id, &number).await?;
        }
        made.invoice_id = Some(id);
        Ok(())
    }

    /// The payment of what was due today.
    async fn payment(
        &mut self,
        made: &Made,
        invoice_id: &str,
        invoice_number: &str,
    ) -> ServiceResult<()> {
        let (session, plan, attempt) = (self.session, self.plan, self.attempt);
        let payment_id = new_id("pay");
        let method_type = plan.method_type.map_or("card", PaymentMethodType::as_str);
        self.tx
            .insert_succeeded_payment(
                &NewPayment {
                    id: &payment_id,
                    organization_id: self.org(),
                    livemode: session.livemode,
                    pricing_model_id: &session.pricing_model_id,
                    customer_id: &made.customer_id,
                    session_id: Some(&session.id),
                    attempt_id: Some(attempt.id),
                    renewal_charge_id: None,
                    invoice_id,
                    purchase_id: made.purchase_id.as_deref(),
                    subscription_id: made.subscription_id.as_deref(),
                    payment_method_id: made.payment_method_id.as_deref(),
                    payment_method_type: method_type,
                    amount: plan.amounts.due_today,
                    currency: &self.currency,
                    subtotal: plan.amounts.subtotal - plan.amounts.discount,
                    tax_amount: plan.amounts.tax,
                    tax_country: plan.tax.as_ref().map(|t| t.country.as_str()),
                    description: Some(&self.name),
                    card_brand: attempt
                        .method
                        .and_then(|m| m.brand)
                        .map(|b| b.display_name()),
                    card_last4: attempt
                        .method
                        .map(|m| m.last4.as_str())
                        .filter(|l| !l.is_empty()),
                },
                self.now,
            )
            .await?;
        self.outbox.push(
            EventType::PaymentSucceeded,
            json!({
                "id": payment_id, "object": "payment", "customer": made.customer_id,
                "checkout_session": session.id, "invoice": invoice_id,
                "amount": plan.amounts.due_today, "currency": self.currency,
                "payment_method_type": method_type,
            }),
        );
        let method = attempt.method.filter(|m| !m.last4.is_empty()).map(|m| {
            let brand = m.brand.map_or("Card", |b| b.display_name());
            format!("{brand} •••• {}", m.last4)
        });
        let organization_id = self.org();
        crate::service::mail::queue(
            &mut self.tx,
            organization_id,
            session.livemode,
            Some(&made.customer_id),
            crate::service::mail::Kind::Receipt,
            &payment_id,
            &plan.email,
            &crate::service::mail::Facts {
                description: self.name.clone(),
                amount: plan.amounts.due_today,
                currency: self.currency.clone(),
                method,
                at: self.now,
                invoice_number: Some(invoice_number.to_owned()),
                link: Some(format!("/checkout/{}", session.id)),
                shipping: plan.shipping.clone(),
                lang: plan.lang,
                ..Default::default()
            },
            self.now,
        )
        .await?;
        Ok(())
    }

    /// The session succeeds with what was made, the merchant's confirmation and the discount's
    /// redemption recorded. `false` when the session moved on meanwhile.
    async fn complete(
        &mut self,
        transition: crate::domain::session::SessionTransition,
        made: &Made,
    ) -> ServiceResult<bool> {
        let (session, plan, now) = (self.session, self.plan, self.now);
        if let Some(deferred) = &plan.deferred
            && !self
                .tx
                .record_confirmation(&session.id, deferred.confirmation, now)
                .await?
        {
            return Ok(false);
        }
        // Used up by payments that finished first: the session does not complete on this one
        // (nothing is written; the charge is given back, see `refund`).
        if let Some(discount) = &plan.discount
            && !self
                .tx
                .redeem_discount(&discount.coupon_id, discount.promotion_code_id.as_deref())
                .await?
        {
            tracing::warn!(session = %session.id, coupon = %discount.coupon_id,
                "the discount was used up while the payment ran");
            return Ok(false);
        }
        let duration = plan
            .discount
            .as_ref()
            .map(|d| serde_json::to_string(&d.duration))
            .transpose()
            .map_err(StoreError::from)?;
        let address = serde_json::to_string(&self.address).map_err(StoreError::from)?;
        let shipping = plan
            .shipping
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(StoreError::from)?;
        let answers = plan
            .answers
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(StoreError::from)?;
        let tax_ids = (!plan.tax_ids.is_empty())
            .then(|| serde_json::to_string(&plan.tax_ids))
            .transpose()
            .map_err(StoreError::from)?;
        Ok(self
            .tx
            .complete_session(&SessionCompletion {
                session_id: &session.id,
                attempt_id: self.attempt.id,
                transition,
                now,
                customer_id: &made.customer_id,
                customer_email: &plan.email,
                customer_name: plan.name.as_deref(),
                billing_address: Some(&address),
                customer_phone: plan.phone.as_deref(),
                shipping_details: shipping.as_deref(),
                answers: answers.as_deref(),
                customer_tax_ids: tax_ids.as_deref(),
                payment_method_type: plan.method_type.map_or("card", PaymentMethodType::as_str),
                amounts: plan.amounts,
                coupon_id: plan.discount.as_ref().map(|d| d.coupon_id.as_str()),
                promotion_code_id: plan
                    .discount
                    .as_ref()
                    .and_then(|d| d.promotion_code_id.as_deref()),
                discount_duration: duration.as_deref(),
                quantities: &plan.quantities,
                purchase_id: made.purchase_id.as_deref(),
                invoice_id: made.invoice_id.as_deref(),
                subscription_id: made.subscription_id.as_deref(),
                payment_method_id: made.payment_method_id.as_deref(),
            })
            .await?)
    }

    /// The session's own events, then every event into the transaction, and the commit.
    async fn commit(mut self, made: &Made) -> ServiceResult<()> {
        let (session, plan, now) = (self.session, self.plan, self.now);
        let completed = json!({
            "id": session.id, "object": "checkout.session", "status": "succeeded",
            "kind": session.kind.as_str(), "mode": session.mode.as_str(),
            "customer": made.customer_id, "customer_email": plan.email,
            "amount_total": plan.amounts.total, "amount_due_today": plan.amounts.due_today,
            "currency": self.currency, "purchase": made.purchase_id,
            "subscription": made.subscription_id, "invoice": made.invoice_id,
            "payment_method": made.payment_method_id,
            "confirmation": plan.deferred.as_ref().map(|d| d.confirmation.as_str()),
            "trace_id": session.trace_id,
        });
        if self.attempt.status == crate::domain::payment::AttemptStatus::Processing {
            self.outbox.push(
                EventType::CheckoutSessionAsyncPaymentSucceeded,
                completed.clone(),
            );
        }
        self.outbox
            .push(EventType::CheckoutSessionCompleted, completed);
        self.outbox
            .write(
                &mut self.tx,
                &session.organization_id,
                session.livemode,
                now,
            )
            .await?;
        self.tx.commit().await?;
        Ok(())
    }
}
