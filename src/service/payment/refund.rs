//! Giving a charge back. Today for one reason: the charge succeeded, but by the time it could be
//! recorded its session had ended another way (expired, cancelled by the merchant) or could no
//! longer deliver what it sold, so there is nothing for the money to pay for.

use super::attempt::Attempt;
use super::finalize::finalize;
use super::{ConfirmOutcome, success_url};
use crate::domain::event::EventType;
use crate::domain::money::{Currency, Money};
use crate::domain::session::{CheckoutSession, SessionStatus};
use crate::payments::{PaymentProcessor, RefundRequest};
use crate::service::ServiceResult;
use crate::service::events::Outbox;
use crate::store::{AttemptOutcome, Store};
use serde_json::json;

/// What the buyer reads of a charge given back.
const GIVEN_BACK: &str = "This checkout could not be completed after your payment went through, so it was refunded in full.";

/// Finalizes a session paid by `attempt`, whose charge succeeded, from `from`. When the session
/// has ended another way meanwhile, the charge is given back. When the finalization cannot be
/// written, the attempt stays as it is, to be asked about again, and the buyer reads that the
/// payment is being checked.
pub(super) async fn finish_charged(
    store: &Store,
    processor: &dyn PaymentProcessor,
    session: &CheckoutSession,
    attempt: &Attempt<'_>,
    from: SessionStatus,
    public_base: &str,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    let checking = || ConfirmOutcome::Checking {
        next_url: super::session_page(&session.id, public_base),
    };
    match finalize(store, session, attempt, from, now).await {
        Ok(true) => {}
        Ok(false) => {
            return after_losing(store, processor, session, attempt, public_base, now).await;
        }
        Err(error) => {
            tracing::error!(%error, session = %session.id, attempt = attempt.id,
                "a succeeded charge could not be recorded; it will be looked up again");
            return Ok(checking());
        }
    }
    let session = store
        .session_by_id(&session.id)
        .await?
        .unwrap_or_else(|| session.clone());
    Ok(ConfirmOutcome::Succeeded {
        next_url: success_url(&session, public_base),
    })
}

/// The finalization found the session moved on. Either another worker finished this very
/// attempt (the reconciler, a retry), and the buyer is told how the session stands; or the
/// session ended otherwise, and the charge is given back.
async fn after_losing(
    store: &Store,
    processor: &dyn PaymentProcessor,
    session: &CheckoutSession,
    attempt: &Attempt<'_>,
    public_base: &str,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    let current = store.attempt(attempt.id).await?;
    let session_now = store
        .session_by_id(&session.id)
        .await?
        .unwrap_or_else(|| session.clone());
    let status = session_now.effective_status(now);
    if current.is_some_and(|a| a.status != attempt.status) {
        // Recorded by another: as the session now stands.
        return Ok(if status == SessionStatus::Succeeded {
            ConfirmOutcome::Succeeded {
                next_url: success_url(&session_now, public_base),
            }
        } else {
            ConfirmOutcome::Closed(status)
        });
    }
    tracing::warn!(session = %session.id, attempt = attempt.id, %status,
        "a succeeded charge lost its session; giving it back");
    if !give_back(store, processor, session, attempt, now).await? {
        return Ok(ConfirmOutcome::Checking {
            next_url: super::session_page(&session.id, public_base),
        });
    }
    Ok(match status {
        // Still open: what it sells can no longer be delivered (a subscription activated
        // meanwhile). Paying again would meet the same.
        SessionStatus::Open => ConfirmOutcome::Unavailable(GIVEN_BACK.into()),
        status => ConfirmOutcome::Closed(status),
    })
}

/// Refunds `attempt`'s charge whole and records it, with `payment.refunded`, releasing the
/// session if the attempt still holds it. `false` when the processor could not refund now (the
/// attempt stays as it is and is asked about again later).
pub(super) async fn give_back(
    store: &Store,
    processor: &dyn PaymentProcessor,
    session: &CheckoutSession,
    attempt: &Attempt<'_>,
    now: i64,
) -> ServiceResult<bool> {
    let reference = attempt.reference.unwrap_or_default();
    let currency = attempt
        .plan
        .currency
        .unwrap_or_else(|| Currency::parse("usd").expect("USD is ISO 4217"));
    let amount = Money::new(attempt.plan.amounts.due_today, currency);
    let refund_key = format!("{}_refund", attempt.id);
    let refund = match processor
        .refund(RefundRequest {
            idempotency_key: &refund_key,
            reference,
            amount,
        })
        .await
    {
        Ok(refund) => refund,
        Err(error) => {
            tracing::error!(%error, attempt = attempt.id, "refunding a charge whose session had ended failed; will try again");
            return Ok(false);
        }
    };
    let mut tx = store.begin().await?;
    let moved = tx
        .move_attempt(
            attempt.id,
            attempt.status.refund()?,
            &AttemptOutcome {
                processor_reference: attempt.reference,
                // A setup charged nothing, so no refund was made: nothing to refer to.
                refund_reference: Some(refund.as_str()).filter(|r| !r.is_empty()),
                decline_code: Some("session_ended"),
                decline_message: Some(GIVEN_BACK),
                ..Default::default()
            },
            now,
        )
        .await?;
    if !moved {
        // Recorded meanwhile by another worker, which refunded with the same key.
        return Ok(true);
    }
    let mut outbox = Outbox::default();
    outbox.push(
        EventType::PaymentRefunded,
        json!({
            "id": attempt.id, "object": "payment_attempt", "status": "refunded",
            "checkout_session": session.id, "customer": session.customer_id,
            "amount": amount.amount, "currency": currency.code_lower(), "refund": refund,
            "reason": "session_ended",
        }),
    );
    outbox
        .write(&mut tx, &session.organization_id, session.livemode, now)
        .await?;
    tx.release_session(&session.id, attempt.id).await?;
    tx.commit().await?;
    Ok(true)
}
