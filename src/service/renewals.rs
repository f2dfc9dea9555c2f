//! Renewals: what happens to a subscription at the end of each period, run by a worker in every
//! instance (and at once for an organization whose test clock a merchant moves).
//!
//! At the end of a period the subscription moves into the next one, with an open invoice for it
//! over all its items, due a charge at once (one transaction, guarded by the period it ends, and
//! `invoices_period` makes one invoice per period besides). The charge is recorded (charging,
//! under its id as the processor's idempotency key) before the processor is asked to charge the
//! default payment method off session; its outcome is recorded with what it makes, in one
//! transaction guarded by the charge's state:
//!
//! - paid: the invoice is paid, a payment is recorded, the subscription is active
//!   (`invoice.paid`, `payment.succeeded`, `subscription.renewed`);
//! - declined (or no method to charge): the subscription is past due and the invoice charged again
//!   [`RETRY_DAYS`] later, each retry after the one before (`invoice.payment_failed`, and
//!   `subscription.past_due` the first time); after the last retry it is canceled
//!   (`subscription.canceled`, the invoice uncollectible) or left unpaid (`subscription.updated`),
//!   as the organization chose;
//! - no answer: the charge stays charging and is asked about (a lookup under its key) after
//!   [`crate::service::payment::RECHECK_AFTER_MS`]; a bank debit that is processing is asked how
//!   it settled.
//!
//! A trial ends the same way (its first paid period starts), or with a cancellation when the
//! subscription has no payment method to charge. A subscription whose cancellation is scheduled
//! for the end of its period ends then instead ([`super::subscriptions::cancel_due_subscriptions`]).
//!
//! Exactly once across instances: a worker holds a subscription (a lease) while it renews it, and
//! every write is a compare-and-set on the state it leaves.
//!
//! Time: every schedule is counted from the time things were due (a period's end, a retry's time),
//! never from when the worker ran, so that a test clock moved months ahead replays each period and
//! retry in order.

use super::events::Outbox;
use super::ids::new_id;
use super::mail;
use super::processors::Processors;
use super::subscriptions::{
    Subscription, announce, cancel_due_subscriptions, period_amount, with_items,
};
use super::{ServiceError, ServiceResult};
use crate::domain::event::EventType;
use crate::domain::money::{Currency, Money};
use crate::domain::session::AmountSummary;
use crate::payments::{
    Buyer, ChargeOutcome, Lookup, LookupRequest, ProcessorError, SavedChargeRequest, SavedMethod,
    Settlement,
};
use crate::store::{
    AfterFailure, Cancellation, InvoiceRecord, NewInvoice, NewInvoiceLine, NewPayment,
    NewRenewalCharge, PaymentMethodRecord, RenewalChargeRecord, Store, StoreError,
    SubscriptionRecord,
};
use serde_json::{Value, json};

/// How long a worker holds a subscription it renews.
pub const RENEWAL_LEASE_MS: i64 = 60_000;
/// When a declined renewal is charged again: days after the charge before it (Stripe's default
/// schedule). After the last, the subscription is canceled or left unpaid.
pub const RETRY_DAYS: [i64; 3] = [3, 5, 7];
const DAY_MS: i64 = 86_400_000;
/// How often a processing renewal (a bank debit) is asked how it settled.
const SETTLE_POLL_MS: i64 = 3_000;
/// At most this many steps (periods and charges) for one subscription per pass, so that a clock
/// moved years ahead on a daily subscription does not hold one worker for long.
const STEPS_PER_PASS: usize = 48;

/// Does the renewal work due now: scheduled cancellations, then periods that ended and invoices
/// due a charge, each subscription held by one worker at a time. Of one organization only when
/// given. Returns how many subscriptions it moved.
pub async fn renew_due(
    store: &Store,
    processors: &Processors,
    now: i64,
    organization_id: Option<&str>,
) -> ServiceResult<usize> {
    tell_trials_ending(store, now, organization_id).await?;
    let mut moved = cancel_due_subscriptions(store, now, organization_id).await?;
    for due in store.renewals_due(now, organization_id, 50, false).await? {
        let id = due.subscription.id.clone();
        if !store.claim_renewal(&id, now, RENEWAL_LEASE_MS).await? {
            continue;
        }
        // An error leaves the lease to run out: the subscription is tried again after it.
        let hold = Renewal {
            store,
            processors,
            now,
        }
        .run(due.subscription, due.clock)
        .await?;
        store.release_renewal(&id, hold).await?;
        moved += 1;
    }
    Ok(moved)
}

/// Queues the mail telling a buyer their trial ends within [`mail::TRIAL_NOTICE_MS`] (once per
/// subscription: the mail's own key).
async fn tell_trials_ending(
    store: &Store,
    now: i64,
    organization_id: Option<&str>,
) -> ServiceResult<()> {
    for due in store
        .trials_ending(now, organization_id, mail::TRIAL_NOTICE_MS, 50)
        .await?
    {
        let s = due.subscription;
        let Some(period) = with_items(store, s.clone()).await?.period_amount() else {
            continue; // nothing to tell it will cost (a subscription as no checkout makes)
        };
        let (recipient, lang) = recipient_of(store, &s).await?;
        let mut tx = store.begin().await?;
        mail::queue(
            &mut tx,
            &s.organization_id,
            s.livemode,
            Some(&s.customer_id),
            mail::Kind::TrialEnding,
            &s.id,
            &recipient,
            &mail::Facts {
                lang,
                description: s
                    .name
                    .clone()
                    .unwrap_or_else(|| "your subscription".to_owned()),
                amount: period.amount,
                currency: period.currency.code_lower(),
                at: s.trial_end.unwrap_or(due.clock),
                ..Default::default()
            },
            now,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

/// One worker's pass over one subscription it holds.
struct Renewal<'a> {
    store: &'a Store,
    processors: &'a Processors,
    /// Real time, for what is recorded; schedules follow the times things were due.
    now: i64,
}

/// What a charge came to, for the subscription.
enum Charged {
    /// Recorded: paid or failed; the subscription moved on.
    Recorded,
    /// Not known yet: hold the subscription until then.
    HoldUntil(i64),
}

impl Renewal<'_> {
    /// Takes the subscription through every step due by `clock`, in order; `Some(until)` when
    /// it must stay held until then (a charge's answer awaited).
    async fn run(&self, first: SubscriptionRecord, clock: i64) -> ServiceResult<Option<i64>> {
        let mut current = first;
        for _ in 0..STEPS_PER_PASS {
            // Read again: another worker may have moved it before this one held it.
            let Some(s) = self
                .store
                .subscription(&current.organization_id, current.livemode, &current.id)
                .await?
            else {
                return Ok(None);
            };
            let billing = matches!(s.status.as_str(), "trialing" | "active");
            let period_ended = billing
                && s.open_invoice_id.is_none()
                && s.current_period_end.is_some_and(|end| end <= clock)
                && s.cancel_scheduled_at
                    .is_none_or(|at| Some(at) > s.current_period_end);
            let charge_due = (billing || s.status == "past_due")
                && s.open_invoice_id.is_some()
                && s.collect_at.is_some_and(|at| at <= clock);
            if period_ended {
                self.roll(&s).await?;
            } else if charge_due {
                if let Charged::HoldUntil(until) = self.collect(&s).await? {
                    return Ok(Some(until));
                }
            } else {
                return Ok(None);
            }
            current = s;
        }
        Ok(None)
    }

    /// The period of `s` ended: the next starts, with its invoice open and due now; a trial
    /// without a method to charge ends the subscription instead.
    async fn roll(&self, s: &SubscriptionRecord) -> ServiceResult<()> {
        let ended = s.current_period_end.expect("checked by the caller");
        if s.status == "trialing" && self.method_of(s).await?.is_none() {
            let mut tx = self.store.begin().await?;
            if tx
                .cancel_subscription(&s.id, Cancellation::Now, ended)
                .await?
            {
                announce(&mut tx, s, Cancellation::Now, ended).await?;
            }
            tx.commit().await?;
            tracing::info!(subscription = %s.id, "a trial ended without a payment method; canceled");
            return Ok(());
        }
        let Subscription { items, .. } = with_items(self.store, s.clone()).await?;
        let Some((_, first_price)) = items.first() else {
            return Err(StoreError::Corrupt(format!("subscription {} without items", s.id)).into());
        };
        let period = first_price.to_domain()?.recurring.ok_or_else(|| {
            StoreError::Corrupt(format!("subscription {} sells a one-time price", s.id))
        })?;
        let next_end = super::payment::period_end(ended, period);
        let descriptions: Vec<String> = items
            .iter()
            .map(|(_, price)| {
                price
                    .name
                    .clone()
                    .or_else(|| s.name.clone())
                    .unwrap_or_else(|| "Subscription".to_owned())
            })
            .collect();
        let lines: Vec<NewInvoiceLine<'_>> = items
            .iter()
            .zip(&descriptions)
            .map(|((item, _), description)| NewInvoiceLine {
                price_id: Some(&item.price_id),
                description,
                quantity: item.quantity,
                unit_amount: item.unit_amount,
                currency: &item.currency,
            })
            .collect();
        let period = period_amount(items.iter().map(|(item, _)| item)).ok_or_else(|| {
            StoreError::Corrupt(format!("subscription {} bills in several currencies", s.id))
        })?;
        let (subtotal, currency) = (period.amount, period.currency.code_lower());
        let amounts = AmountSummary {
            subtotal,
            discount: 0,
            tax: 0,
            total: subtotal,
            due_today: subtotal,
        };
        let invoice_id = new_id("inv");
        let mut tx = self.store.begin().await?;
        tx.insert_invoice(
            &NewInvoice {
                id: &invoice_id,
                organization_id: &s.organization_id,
                livemode: s.livemode,
                pricing_model_id: &first_price.pricing_model_id,
                customer_id: &s.customer_id,
                session_id: None,
                purchase_id: None,
                subscription_id: Some(&s.id),
                invoice_type: "subscription",
                currency: &currency,
                amounts,
                tax_country: None,
                tax_rate_millionths: None,
                period: Some((ended, next_end)),
                new_customer_base: None,
            },
            false,
            self.now,
        )
        .await?;
        tx.insert_invoice_lines(&invoice_id, &lines).await?;
        // The invoice first (the subscription names it); dropped with the transaction when the
        // subscription moved on meanwhile.
        if !tx
            .roll_period(&s.id, ended, next_end, &invoice_id, self.now)
            .await?
        {
            return Ok(()); // moved on meanwhile; nothing written
        }
        let mut outbox = Outbox::default();
        if subtotal == 0 {
            // Nothing to charge: paid as it is made.
            tx.renewal_paid(&s.id, &invoice_id, self.now).await?;
            let invoice = invoice_object(&invoice_id, s, subtotal, &currency, ended, next_end);
            outbox.push(EventType::InvoicePaid, invoice);
            outbox.push(
                EventType::SubscriptionRenewed,
                subscription_object(s, "active", ended, next_end, &invoice_id),
            );
        }
        outbox
            .write(&mut tx, &s.organization_id, s.livemode, self.now)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Charges the open invoice of `s` (or finds out what became of a charge of it in flight).
    async fn collect(&self, s: &SubscriptionRecord) -> ServiceResult<Charged> {
        let invoice_id = s.open_invoice_id.as_deref().expect("checked by the caller");
        let invoice = self
            .store
            .invoice(&s.organization_id, s.livemode, invoice_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("open invoice {invoice_id} missing")))?;
        if let Some(charge) = self.store.renewal_charge_in_flight(invoice_id).await? {
            // `None`: it never charged, so a new charge is made.
            if let Some(charged) = self.resume(s, &invoice, &charge).await? {
                return Ok(charged);
            }
        }
        let Some(method) = self.method_of(s).await? else {
            self.failed(
                s,
                &invoice,
                None,
                "payment_method_missing",
                "There is no payment method to charge.",
            )
            .await?;
            return Ok(Charged::Recorded);
        };
        let processor_name = method
            .processor
            .clone()
            .unwrap_or_else(|| "test".to_owned());
        let Some(processor) = self
            .processors
            .named(self.store, &processor_name, &s.organization_id, s.livemode)
            .await?
        else {
            self.failed(
                s,
                &invoice,
                None,
                "processor_unavailable",
                "The processor that saved this payment method is no longer set up.",
            )
            .await?;
            return Ok(Charged::Recorded);
        };
        let charge_id = new_id("rch");
        let mut tx = self.store.begin().await?;
        tx.insert_renewal_charge(
            &NewRenewalCharge {
                id: &charge_id,
                organization_id: &s.organization_id,
                livemode: s.livemode,
                subscription_id: &s.id,
                invoice_id,
                payment_method_id: Some(&method.id),
                processor: &processor_name,
                amount: invoice.total,
                currency: &invoice.currency,
            },
            self.now,
        )
        .await?;
        tx.commit().await?;
        let charge = self
            .store
            .renewal_charge(&charge_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("renewal charge {charge_id} not kept")))?;
        let (customer, _) = recipient_of(self.store, s).await?;
        let answer = processor
            .charge_saved(SavedChargeRequest {
                idempotency_key: &charge_id,
                amount: money(invoice.total, &invoice.currency)?,
                method: SavedMethod::of(&method),
                livemode: s.livemode,
                buyer: Buyer {
                    email: &customer,
                    name: None,
                },
            })
            .await;
        self.record(s, &invoice, &charge, Some(&method), answer)
            .await
    }

    /// What became of a charge in flight whose answer was not recorded: `None` when it never
    /// charged (the processor closed its key), so that a new charge is made.
    async fn resume(
        &self,
        s: &SubscriptionRecord,
        invoice: &InvoiceRecord,
        charge: &RenewalChargeRecord,
    ) -> ServiceResult<Option<Charged>> {
        let Some(processor) = self
            .processors
            .named(
                self.store,
                &charge.processor,
                &s.organization_id,
                s.livemode,
            )
            .await?
        else {
            return Ok(Some(Charged::HoldUntil(self.now + RENEWAL_LEASE_MS)));
        };
        let method = match &charge.payment_method_id {
            Some(id) => {
                self.store
                    .payment_method(&s.organization_id, s.livemode, id)
                    .await?
            }
            None => None,
        };
        if charge.status == "processing" {
            let reference = charge.processor_reference.clone().unwrap_or_default();
            return Ok(Some(match processor.settle(&reference).await {
                Ok(Settlement::Succeeded) => {
                    self.paid(s, invoice, charge, method.as_ref(), &reference)
                        .await?;
                    Charged::Recorded
                }
                Ok(Settlement::Failed { code, message }) => {
                    self.failed(s, invoice, Some(charge), &code, &message)
                        .await?;
                    Charged::Recorded
                }
                Ok(Settlement::Pending) | Err(_) => Charged::HoldUntil(self.now + SETTLE_POLL_MS),
            }));
        }
        let (customer, _) = recipient_of(self.store, s).await?;
        let looked = processor
            .lookup(LookupRequest {
                idempotency_key: &charge.id,
                reference: charge.processor_reference.as_deref(),
                amount: money(charge.amount, &charge.currency)?,
                buyer: Buyer {
                    email: &customer,
                    name: None,
                },
                save_for_later: false,
                livemode: s.livemode,
            })
            .await;
        match looked {
            Ok(Lookup::Charged(outcome)) => Ok(Some(
                self.record(s, invoice, charge, method.as_ref(), Ok(outcome))
                    .await?,
            )),
            Ok(Lookup::NotCharged) => {
                let mut tx = self.store.begin().await?;
                tx.end_renewal_charge(
                    &charge.id,
                    "declined",
                    None,
                    Some(("not_charged", "The processor never took this charge.")),
                    self.now,
                )
                .await?;
                tx.commit().await?;
                Ok(None)
            }
            Err(error) => {
                tracing::warn!(%error, charge = %charge.id, "asking about a renewal charge failed; will ask again");
                Ok(Some(Charged::HoldUntil(
                    self.now + super::payment::RECHECK_AFTER_MS,
                )))
            }
        }
    }

    /// Records the processor's answer to `charge`.
    async fn record(
        &self,
        s: &SubscriptionRecord,
        invoice: &InvoiceRecord,
        charge: &RenewalChargeRecord,
        method: Option<&PaymentMethodRecord>,
        answer: Result<ChargeOutcome, ProcessorError>,
    ) -> ServiceResult<Charged> {
        match answer {
            Ok(ChargeOutcome::Succeeded { reference, .. }) => {
                self.paid(s, invoice, charge, method, &reference).await?;
                Ok(Charged::Recorded)
            }
            Ok(ChargeOutcome::Declined { code, message }) => {
                self.failed(s, invoice, Some(charge), &code, &message)
                    .await?;
                Ok(Charged::Recorded)
            }
            // Off session nobody can authenticate: a decline, as Stripe reports it.
            Ok(ChargeOutcome::RequiresAction { .. }) => {
                self.failed(
                    s,
                    invoice,
                    Some(charge),
                    "authentication_required",
                    "The bank asked the cardholder to authenticate this charge.",
                )
                .await?;
                Ok(Charged::Recorded)
            }
            Ok(ChargeOutcome::Processing {
                reference,
                settle_after_ms,
                ..
            }) => {
                let mut tx = self.store.begin().await?;
                tx.end_renewal_charge(&charge.id, "processing", Some(&reference), None, self.now)
                    .await?;
                tx.commit().await?;
                Ok(Charged::HoldUntil(self.now + settle_after_ms.max(0)))
            }
            Err(error) if error.may_have_charged() => {
                tracing::warn!(%error, charge = %charge.id,
                    "a renewal charge's answer did not arrive; it will be looked up");
                Ok(Charged::HoldUntil(
                    self.now + super::payment::RECHECK_AFTER_MS,
                ))
            }
            Err(error) => {
                self.failed(
                    s,
                    invoice,
                    Some(charge),
                    "processing_error",
                    &error.to_string(),
                )
                .await?;
                Ok(Charged::Recorded)
            }
        }
    }

    /// The charge paid the invoice: the payment, the invoice paid, the subscription active.
    async fn paid(
        &self,
        s: &SubscriptionRecord,
        invoice: &InvoiceRecord,
        charge: &RenewalChargeRecord,
        method: Option<&PaymentMethodRecord>,
        reference: &str,
    ) -> ServiceResult<()> {
        let mut tx = self.store.begin().await?;
        if !tx
            .end_renewal_charge(&charge.id, "succeeded", Some(reference), None, self.now)
            .await?
        {
            return Ok(()); // recorded by another meanwhile
        }
        let payment_id = new_id("pay");
        let description = s.name.clone().unwrap_or_else(|| "Subscription".to_owned());
        tx.insert_succeeded_payment(
            &NewPayment {
                id: &payment_id,
                organization_id: &s.organization_id,
                livemode: s.livemode,
                pricing_model_id: &invoice.pricing_model_id,
                customer_id: &s.customer_id,
                session_id: None,
                attempt_id: None,
                renewal_charge_id: Some(&charge.id),
                invoice_id: &invoice.id,
                purchase_id: None,
                subscription_id: Some(&s.id),
                payment_method_id: method.map(|m| m.id.as_str()),
                payment_method_type: method.map_or("card", |m| m.method_type.as_str()),
                amount: charge.amount,
                currency: &charge.currency,
                subtotal: invoice.subtotal,
                tax_amount: invoice.tax_amount,
                tax_country: invoice.tax_country.as_deref(),
                description: Some(description.as_str()),
                card_brand: method.and_then(|m| m.brand.as_deref()),
                card_last4: method.map(|m| m.last4.as_str()).filter(|l| !l.is_empty()),
            },
            self.now,
        )
        .await?;
        tx.renewal_paid(&s.id, &invoice.id, self.now).await?;
        let (start, end) = period_of(invoice);
        let mut outbox = Outbox::default();
        outbox.push(
            EventType::InvoicePaid,
            invoice_object(&invoice.id, s, invoice.total, &invoice.currency, start, end),
        );
        outbox.push(
            EventType::PaymentSucceeded,
            json!({
                "id": payment_id, "object": "payment", "customer": s.customer_id,
                "subscription": s.id, "invoice": invoice.id, "amount": charge.amount,
                "currency": charge.currency,
                "payment_method_type": method.map_or("card", |m| m.method_type.as_str()),
            }),
        );
        outbox.push(
            EventType::SubscriptionRenewed,
            subscription_object(s, "active", start, end, &invoice.id),
        );
        outbox
            .write(&mut tx, &s.organization_id, s.livemode, self.now)
            .await?;
        let (recipient, lang) = recipient_of(self.store, s).await?;
        mail::queue(
            &mut tx,
            &s.organization_id,
            s.livemode,
            Some(&s.customer_id),
            mail::Kind::Receipt,
            &payment_id,
            &recipient,
            &mail::Facts {
                lang,
                description,
                amount: charge.amount,
                currency: charge.currency.clone(),
                method: method
                    .map(|m| format!("{} •••• {}", m.brand.as_deref().unwrap_or("Card"), m.last4)),
                at: start,
                invoice_number: Some(invoice.invoice_number.clone()),
                ..Default::default()
            },
            self.now,
        )
        .await?;
        tx.commit().await?;
        self.store.metrics().renewal("paid");
        tracing::info!(subscription = %s.id, invoice = %invoice.id, "renewed");
        Ok(())
    }

    /// A charge of the open invoice failed (or could not be made): retried later while retries
    /// are left, then the subscription ends as the organization chose.
    async fn failed(
        &self,
        s: &SubscriptionRecord,
        invoice: &InvoiceRecord,
        charge: Option<&RenewalChargeRecord>,
        code: &str,
        message: &str,
    ) -> ServiceResult<()> {
        let due_at = s.collect_at.unwrap_or(self.now);
        let failures = usize::try_from(s.failed_charges).unwrap_or(0) + 1;
        let after = match RETRY_DAYS.get(failures - 1) {
            Some(days) => AfterFailure::RetryAt(due_at + days * DAY_MS),
            None if self
                .store
                .renewal_failure_action(&s.organization_id)
                .await?
                == "unpaid" =>
            {
                AfterFailure::Unpaid
            }
            None => AfterFailure::Canceled,
        };
        let mut tx = self.store.begin().await?;
        if let Some(charge) = charge
            && !tx
                .end_renewal_charge(
                    &charge.id,
                    "declined",
                    None,
                    Some((code, message)),
                    self.now,
                )
                .await?
        {
            return Ok(()); // recorded by another meanwhile
        }
        if !tx
            .renewal_failed(&s.id, &invoice.id, after, self.now)
            .await?
        {
            return Ok(());
        }
        let (start, end) = period_of(invoice);
        let mut failed =
            invoice_object(&invoice.id, s, invoice.total, &invoice.currency, start, end);
        let next = match after {
            AfterFailure::RetryAt(at) => Some(at / 1000),
            _ => None,
        };
        if let Value::Object(fields) = &mut failed {
            fields.insert(
                "status".into(),
                json!(if after == AfterFailure::Canceled {
                    "uncollectible"
                } else {
                    "open"
                }),
            );
            fields.insert("attempt_count".into(), json!(failures));
            fields.insert("next_payment_attempt".into(), json!(next));
            fields.insert("failure_code".into(), json!(code));
            fields.insert("failure_message".into(), json!(message));
        }
        let mut outbox = Outbox::default();
        outbox.push(EventType::InvoicePaymentFailed, failed);
        let (event, status) = match after {
            AfterFailure::RetryAt(_) if s.status == "past_due" => (None, "past_due"),
            AfterFailure::RetryAt(_) => (Some(EventType::SubscriptionPastDue), "past_due"),
            AfterFailure::Canceled => (Some(EventType::SubscriptionCanceled), "canceled"),
            AfterFailure::Unpaid => (Some(EventType::SubscriptionUpdated), "unpaid"),
        };
        if let Some(event) = event {
            let mut object = subscription_object(s, status, start, end, &invoice.id);
            if let Value::Object(fields) = &mut object
                && status == "canceled"
            {
                fields.insert("canceled_at".into(), json!(self.now / 1000));
            }
            outbox.push(event, object);
        }
        outbox
            .write(&mut tx, &s.organization_id, s.livemode, self.now)
            .await?;
        let (recipient, lang) = recipient_of(self.store, s).await?;
        let about = match charge {
            Some(charge) => charge.id.clone(),
            None => format!("{}#{failures}", invoice.id),
        };
        mail::queue(
            &mut tx,
            &s.organization_id,
            s.livemode,
            Some(&s.customer_id),
            mail::Kind::RenewalFailed,
            &about,
            &recipient,
            &mail::Facts {
                lang,
                description: s
                    .name
                    .clone()
                    .unwrap_or_else(|| "your subscription".to_owned()),
                amount: invoice.total,
                currency: invoice.currency.clone(),
                at: due_at,
                invoice_number: Some(invoice.invoice_number.clone()),
                failure: Some(message.to_owned()),
                next_attempt_at: match after {
                    AfterFailure::RetryAt(at) => Some(at),
                    _ => None,
                },
                ..Default::default()
            },
            self.now,
        )
        .await?;
        tx.commit().await?;
        self.store.metrics().renewal("failed");
        tracing::info!(subscription = %s.id, invoice = %invoice.id, code, status, "a renewal charge failed");
        Ok(())
    }

    /// The method a renewal of `s` charges: its own default, else its customer's default.
    async fn method_of(
        &self,
        s: &SubscriptionRecord,
    ) -> ServiceResult<Option<PaymentMethodRecord>> {
        if let Some(id) = &s.default_payment_method_id
            && let Some(method) = self
                .store
                .payment_method(&s.organization_id, s.livemode, id)
                .await?
        {
            return Ok(Some(method));
        }
        let methods = self
            .store
            .payment_methods_of_customer(&s.organization_id, s.livemode, &s.customer_id, 100)
            .await?;
        Ok(methods.into_iter().find(|m| m.is_default))
    }
}

/// The email of the subscription's customer (empty when they have none: nothing is mailed).
/// Where a subscription's mail goes, and in which language: its customer's email, and the
/// language they last paid in.
async fn recipient_of(
    store: &Store,
    s: &SubscriptionRecord,
) -> ServiceResult<(String, Option<crate::i18n::Lang>)> {
    let customer = store
        .customer(&s.organization_id, s.livemode, &s.customer_id)
        .await?;
    Ok(customer.map_or((String::new(), None), |c| {
        (
            c.email.unwrap_or_default(),
            c.preferred_locale
                .as_deref()
                .and_then(crate::i18n::Lang::parse),
        )
    }))
}

fn money(amount: i64, currency: &str) -> ServiceResult<Money> {
    let currency = Currency::parse(currency)
        .map_err(|e| ServiceError::Store(StoreError::Corrupt(format!("currency: {e}"))))?;
    Ok(Money::new(amount, currency))
}

fn period_of(invoice: &InvoiceRecord) -> (i64, i64) {
    (
        invoice.period_start.unwrap_or(invoice.invoice_date),
        invoice.period_end.unwrap_or(invoice.invoice_date),
    )
}

/// An invoice as its events show it (Stripe's names; times in seconds).
fn invoice_object(
    id: &str,
    s: &SubscriptionRecord,
    total: i64,
    currency: &str,
    start: i64,
    end: i64,
) -> Value {
    json!({
        "id": id, "object": "invoice", "customer": s.customer_id, "subscription": s.id,
        "status": "paid", "billing_reason": "subscription_cycle",
        "amount_due": total, "currency": currency,
        "period_start": start / 1000, "period_end": end / 1000,
    })
}

/// A subscription as its renewal events show it (times in seconds).
fn subscription_object(
    s: &SubscriptionRecord,
    status: &str,
    start: i64,
    end: i64,
    invoice_id: &str,
) -> Value {
    json!({
        "id": s.id, "object": "subscription", "customer": s.customer_id, "status": status,
        "current_period_start": start / 1000, "current_period_end": end / 1000,
        "latest_invoice": invoice_id,
    })
}

/// An organization's test clock: the time its test mode runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestClock {
    /// The clock's time (milliseconds).
    pub now: i64,
    /// `false` when renewal work it made due is still running (held by a worker awaiting a
    /// processor's answer) as the answer is given.
    pub ready: bool,
}

/// At most how far one move takes a test clock.
pub const MAX_CLOCK_MOVE_MS: i64 = 2 * 366 * DAY_MS;
/// How long a move waits for the work it made due before it answers `ready: false`.
const ADVANCE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// The test clock of the caller's organization (test mode only).
pub async fn test_clock(
    store: &Store,
    principal: &super::api_keys::Principal,
    now: i64,
) -> ServiceResult<TestClock> {
    test_mode_only(principal)?;
    let offset = store.test_clock_offset(&principal.organization_id).await?;
    Ok(TestClock {
        now: now + offset,
        ready: true,
    })
}

/// Moves the test clock of the caller's organization to `to` (milliseconds; later than it is, by
/// at most [`MAX_CLOCK_MOVE_MS`]), then does the renewal work that made due (periods, charges,
/// retries, trial ends, scheduled cancellations), each at the time it was due, before answering.
pub async fn advance_test_clock(
    store: &Store,
    processors: &Processors,
    principal: &super::api_keys::Principal,
    to: i64,
    now: i64,
) -> ServiceResult<TestClock> {
    use crate::domain::field::{Field, FieldError};
    let current = test_clock(store, principal, now).await?.now;
    if to <= current {
        return Err(FieldError::invalid(
            Field::TestClockTime,
            format!(
                "frozen_time must be later than the clock's time ({}); a test clock never goes back",
                current / 1000
            ),
        )
        .into());
    }
    if to - current > MAX_CLOCK_MOVE_MS {
        return Err(FieldError::invalid(
            Field::TestClockTime,
            "frozen_time may be at most two years after the clock's time; move it in steps",
        )
        .into());
    }
    let org = principal.organization_id.as_str();
    store.advance_test_clock(org, to - now).await?;
    let started = std::time::Instant::now();
    loop {
        let now = crate::store::now_ms();
        renew_due(store, processors, now, Some(org)).await?;
        let held = store.renewals_due(now, Some(org), 1, true).await?;
        let cancels = store.subscriptions_due_to_cancel(now, Some(org), 1).await?;
        if held.is_empty() && cancels.is_empty() {
            return test_clock(store, principal, now).await;
        }
        if started.elapsed() >= ADVANCE_WAIT {
            let clock = test_clock(store, principal, now).await?;
            return Ok(TestClock {
                ready: false,
                ..clock
            });
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn test_mode_only(principal: &super::api_keys::Principal) -> ServiceResult<()> {
    if principal.mode.is_live() {
        return Err(ServiceError::Conflict(
            crate::domain::field::FieldError::new(
                crate::domain::field::Field::Kind,
                "livemode_not_supported",
                "test clocks exist in test mode only; use a test-mode key",
            ),
        ));
    }
    Ok(())
}

/// Sets what becomes of the caller's subscriptions whose every renewal retry failed: `cancel`
/// or `unpaid`.
pub async fn set_renewal_failure_action(
    store: &Store,
    organization_id: &str,
    action: &str,
) -> ServiceResult<()> {
    use crate::domain::field::{Field, FieldError};
    if !matches!(action, "cancel" | "unpaid") {
        return Err(FieldError::invalid(
            Field::RenewalFailureAction,
            "renewal_failure_action must be cancel or unpaid",
        )
        .into());
    }
    store
        .set_renewal_failure_action(organization_id, action)
        .await?;
    Ok(())
}
