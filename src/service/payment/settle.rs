//! Settling asynchronous payments (bank debits): once due, the processor is asked how each
//! ended, and its session is finished (what the kind asks for is created) or failed.

use super::SETTLE_LEASE_MS;
use super::attempt::{self, Attempt};
use super::finalize::finalize;
use super::refund::give_back;
use crate::domain::event::EventType;
use crate::domain::payment::AttemptStatus;
use crate::domain::session::{CheckoutSession, SessionStatus};
use crate::payments::{PaymentProcessor, Settlement};
use crate::service::ServiceResult;
use crate::service::processors::Processors;
use crate::store::{AttemptRecord, Store};
use serde_json::json;

/// Asks the processor how due asynchronous payments settled and finishes their sessions:
/// succeeded (what the kind asks for is created) or failed. Returns how many it settled.
pub async fn settle_due(store: &Store, processors: &Processors, now: i64) -> ServiceResult<usize> {
    let mut settled = 0;
    let processing = AttemptStatus::Processing;
    for due in store.due_attempts(processing, now, 50).await? {
        if store
            .claim_due_attempt(&due.id, processing, now, SETTLE_LEASE_MS)
            .await?
            && settle_one(store, processors, &due, now).await?
        {
            settled += 1;
        }
    }
    Ok(settled)
}

/// Asks the processor how the processing attempt `due` (leased to the caller) settled, and
/// records it. `false` when it has not settled yet, or was recorded by another meanwhile.
pub(super) async fn settle_one(
    store: &Store,
    processors: &Processors,
    due: &AttemptRecord,
    now: i64,
) -> ServiceResult<bool> {
    let Some((session, processor)) = attempt::session_and_processor(store, processors, due).await?
    else {
        return Ok(false);
    };
    let processor = processor.as_ref();
    let reference = due.processor_reference.clone().unwrap_or_default();
    let outcome = match processor.settle(&reference).await {
        Ok(outcome) => outcome,
        Err(error) => {
            tracing::error!(%error, attempt = %due.id, "settling failed; will ask again");
            return Ok(false);
        }
    };
    let plan = attempt::plan_of(due)?;
    Ok(match outcome {
        Settlement::Succeeded => {
            let method = attempt::method_of(due)?;
            let settling = Attempt {
                id: &due.id,
                processor: &due.processor,
                status: due.status,
                plan: &plan,
                method: method.as_ref(),
                reference: Some(&reference),
            };
            finalize(store, &session, &settling, SessionStatus::Pending, now).await?
                || given_back(store, processor, &session, &settling, now).await?
        }
        Settlement::Failed { code, message } => {
            fail(store, &session, due, &code, &message, now).await?
        }
        // Still settling: asked again once the lease runs out.
        Settlement::Pending => false,
    })
}

/// A debit that settled after its session had ended another way (it began as the session
/// expired) is given back. `false` when another worker recorded the attempt meanwhile, or the
/// refund could not be made now (it is asked about again after the lease).
async fn given_back(
    store: &Store,
    processor: &dyn PaymentProcessor,
    session: &CheckoutSession,
    settling: &Attempt<'_>,
    now: i64,
) -> ServiceResult<bool> {
    let still_ours = store
        .attempt(settling.id)
        .await?
        .is_some_and(|a| a.status == settling.status);
    Ok(still_ours && give_back(store, processor, session, settling, now).await?)
}

/// The debit did not go through: the attempt fails, and its pending session with it, with their
/// events (the session only if it is still pending on this attempt). `false` when the attempt
/// had moved on (then nothing was written).
async fn fail(
    store: &Store,
    session: &CheckoutSession,
    due: &AttemptRecord,
    code: &str,
    message: &str,
    now: i64,
) -> ServiceResult<bool> {
    debug_assert_eq!(due.status, AttemptStatus::Processing);
    let mut tx = store.begin().await?;
    let failed = due.status.fail()?;
    let Some(mut outbox) =
        attempt::refused_in(&mut tx, session, &due.id, failed, code, message, now).await?
    else {
        return Ok(false);
    };
    if tx
        .move_session(&session.id, &due.id, SessionStatus::Pending.fail()?, now)
        .await?
    {
        outbox.push(
            EventType::CheckoutSessionAsyncPaymentFailed,
            json!({
                "id": session.id, "object": "checkout.session", "status": "failed",
                "kind": session.kind.as_str(), "mode": session.mode.as_str(),
                "customer": session.customer_id,
                "failure_code": code, "failure_message": message,
            }),
        );
    }
    outbox
        .write(&mut tx, &session.organization_id, session.livemode, now)
        .await?;
    tx.commit().await?;
    Ok(true)
}
