//! Refunds a merchant asks for, whole or partial, of a payment a checkout made.
//!
//! The refund is recorded as pending, with its amount reserved on its payment by one guarded
//! update (the refunded and reserved amounts never exceed what was paid, however many refunds run
//! at once), before the processor is asked, under the refund's id as the processor's idempotency
//! key. The processor's answer settles it: made (with `payment.refunded`), or refused (the amount
//! is released). An answer that does not arrive leaves it pending, and [`retry_pending_refunds`]
//! asks again under the same key, so the processor gives the money back once.

use crate::domain::event::EventType;
use crate::domain::field::{Field, FieldError};
use crate::domain::ids;
use crate::domain::money::{Currency, Money};
use crate::payments::{PaymentProcessor, ProcessorError, RefundRequest};
use crate::service::api_keys::Principal;
use crate::service::events::Outbox;
use crate::service::ids::new_id;
use crate::service::processors::Processors;
use crate::service::{ServiceError, ServiceResult};
use crate::store::{NewRefund, PaymentRecord, RefundRecord, Store, StoreError};
use serde_json::json;
use std::sync::Arc;

/// How long a pending refund waits before it is asked for again: well past the processor's own
/// timeout, so that the first request is over.
pub const REFUND_RETRY_AFTER_MS: i64 = 60_000;

/// A refund and the payment it belongs to, as they stand after it.
#[derive(Debug, Clone)]
pub struct Refunded {
    pub refund: RefundRecord,
    pub payment: PaymentRecord,
}

/// Refunds `amount` (all that is left when `None`) of the caller's payment `payment_id`.
pub async fn refund_payment(
    store: &Store,
    processors: &Processors,
    principal: &Principal,
    payment_id: &str,
    amount: Option<i64>,
    reason: Option<&str>,
    now: i64,
) -> ServiceResult<Refunded> {
    let (org, live) = (principal.organization_id.as_str(), principal.mode.is_live());
    let payment = store
        .payment(org, live, payment_id)
        .await?
        .ok_or(ServiceError::NotFound("payment"))?;
    if payment.status != "succeeded" {
        return Err(ServiceError::Conflict(FieldError::new(
            Field::Kind,
            "payment_not_refundable",
            format!(
                "only a succeeded payment can be refunded; this one is {}",
                payment.status
            ),
        )));
    }
    let left = payment.amount - payment.refunded_amount;
    if left <= 0 {
        return Err(ServiceError::Conflict(FieldError::new(
            Field::RefundAmount,
            "charge_already_refunded",
            "this payment has already been refunded in full",
        )));
    }
    let amount = amount.unwrap_or(left);
    if amount <= 0 {
        return Err(FieldError::invalid(
            Field::RefundAmount,
            "amount must be a positive integer in minor units",
        )
        .into());
    }
    if amount > left {
        return Err(FieldError::new(
            Field::RefundAmount,
            "amount_too_large",
            format!("amount {amount} is more than is left to refund of this payment ({left})"),
        )
        .into());
    }
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(FieldError::invalid(
            Field::RefundReason,
            "reason must be at most 500 characters",
        )
        .into());
    }
    let Some((processor, reference)) = charge_of(store, processors, &payment).await? else {
        return Err(ServiceError::Conflict(FieldError::new(
            Field::Kind,
            "processor_unavailable",
            "the processor that took this payment is no longer set up; set its keys up again to refund",
        )));
    };
    let id = new_id(ids::REFUND);
    let Some(refund) = store
        .reserve_refund(
            &NewRefund {
                id: &id,
                organization_id: org,
                livemode: live,
                payment_id: &payment.id,
                amount,
                currency: &payment.currency,
                reason,
            },
            now,
        )
        .await?
    else {
        // Another refund took what was left meanwhile.
        return Err(FieldError::new(
            Field::RefundAmount,
            "amount_too_large",
            "amount is more than is left to refund of this payment (another refund was just made)",
        )
        .into());
    };
    let asked = ask(processor.as_ref(), &refund, &reference).await?;
    let refund = settle(store, &refund, &payment, asked, now).await?;
    if refund.status == "failed" {
        return Err(ServiceError::Conflict(FieldError::new(
            Field::RefundAmount,
            "refund_refused",
            format!(
                "the processor refused the refund: {}",
                refund
                    .failure_message
                    .as_deref()
                    .unwrap_or("no reason given")
            ),
        )));
    }
    let payment = store
        .payment(org, live, payment_id)
        .await?
        .unwrap_or(payment);
    Ok(Refunded { refund, payment })
}

/// The processor that took `payment` and its reference of the charge; `None` when that processor
/// is no longer set up.
async fn charge_of(
    store: &Store,
    processors: &Processors,
    payment: &PaymentRecord,
) -> ServiceResult<Option<(Arc<dyn PaymentProcessor>, String)>> {
    let (processor_name, reference) = match (&payment.attempt_id, &payment.renewal_charge_id) {
        (Some(attempt_id), _) => {
            let attempt = store.attempt(attempt_id).await?.ok_or_else(|| {
                StoreError::Corrupt(format!("payment {} without its attempt", payment.id))
            })?;
            (attempt.processor, attempt.processor_reference)
        }
        (None, Some(charge_id)) => {
            let charge = store.renewal_charge(charge_id).await?.ok_or_else(|| {
                StoreError::Corrupt(format!("payment {} without its renewal charge", payment.id))
            })?;
            (charge.processor, charge.processor_reference)
        }
        (None, None) => {
            return Err(
                StoreError::Corrupt(format!("payment {} paid by nothing", payment.id)).into(),
            );
        }
    };
    let reference = reference.ok_or_else(|| {
        StoreError::Corrupt(format!(
            "payment {} without a processor reference",
            payment.id
        ))
    })?;
    let processor = processors
        .named(
            store,
            &processor_name,
            &payment.organization_id,
            payment.livemode,
        )
        .await?;
    Ok(processor.map(|processor| (processor, reference)))
}

/// Asks `processor` for a recorded refund of the charge `reference`, under the refund's id as
/// the idempotency key.
async fn ask(
    processor: &dyn PaymentProcessor,
    refund: &RefundRecord,
    reference: &str,
) -> ServiceResult<Result<String, ProcessorError>> {
    let currency = Currency::parse(&refund.currency)
        .map_err(|e| StoreError::Corrupt(format!("refunds.currency: {e}")))?;
    Ok(processor
        .refund(RefundRequest {
            idempotency_key: &refund.id,
            reference,
            amount: Money::new(refund.amount, currency),
        })
        .await)
}

/// Records the processor's answer to a pending refund, and returns the refund as it stands.
async fn settle(
    store: &Store,
    refund: &RefundRecord,
    payment: &PaymentRecord,
    asked: Result<String, ProcessorError>,
    now: i64,
) -> ServiceResult<RefundRecord> {
    let mut tx = store.begin().await?;
    match asked {
        Ok(reference) => {
            if tx.refund_succeeded(&refund.id, &reference, now).await? {
                let mut outbox = Outbox::default();
                outbox.push(
                    EventType::PaymentRefunded,
                    json!({
                        "id": refund.id, "object": "refund", "payment": payment.id,
                        "amount": refund.amount, "currency": refund.currency,
                        "status": "succeeded", "reason": refund.reason,
                        "customer": payment.customer_id, "checkout_session": payment.session_id,
                        "payment_amount": payment.amount,
                    }),
                );
                outbox
                    .write(&mut tx, &refund.organization_id, refund.livemode, now)
                    .await?;
            }
        }
        Err(error) if error.may_have_charged() => {
            tracing::warn!(%error, refund = %refund.id,
                "a refund's answer did not arrive; it stays pending and will be asked for again");
            tx.touch_refund(&refund.id, now).await?;
        }
        Err(error) => {
            tracing::warn!(%error, refund = %refund.id, "the processor refused a refund");
            tx.refund_failed(&refund.id, &error.to_string(), now)
                .await?;
        }
    }
    let settled = tx
        .refund(&refund.id)
        .await?
        .unwrap_or_else(|| refund.clone());
    tx.commit().await?;
    Ok(settled)
}

/// Asks again for refunds whose processor answer was lost (pending for longer than
/// [`REFUND_RETRY_AFTER_MS`]), under their own keys; returns how many were settled.
pub async fn retry_pending_refunds(
    store: &Store,
    processors: &Processors,
    now: i64,
) -> ServiceResult<usize> {
    let mut settled = 0;
    for refund in store
        .pending_refunds(now - REFUND_RETRY_AFTER_MS, 50)
        .await?
    {
        let Some(payment) = store
            .payment(&refund.organization_id, refund.livemode, &refund.payment_id)
            .await?
        else {
            continue;
        };
        let (processor, reference) = match charge_of(store, processors, &payment).await {
            Ok(Some(found)) => found,
            // No processor to ask (its keys were removed), or no charge to name: left pending.
            Ok(None) | Err(ServiceError::Store(StoreError::Corrupt(_))) => continue,
            Err(error) => return Err(error),
        };
        let asked = ask(processor.as_ref(), &refund, &reference).await?;
        if settle(store, &refund, &payment, asked, now).await?.status != "pending" {
            settled += 1;
        }
    }
    Ok(settled)
}
