//! The reconciler: finds attempts left charging past their time (the processor's answer was lost
//! to a timeout, a failed write, a process that died), asks the processor what became of each by
//! its idempotency key, and finishes it exactly as confirm would have. Every instance runs it;
//! each attempt is leased to one at a time, and every outcome is recorded by compare-and-set, so
//! an attempt is finished once however many ask.

use super::attempt::{self, Attempt};
use super::confirm::record_charge;
use super::{CLAIM_LEASE_MS, ConfirmOutcome, SETTLE_LEASE_MS};
use crate::domain::money::{Currency, Money};
use crate::domain::payment::AttemptStatus;
use crate::payments::{Buyer, Lookup, LookupRequest};
use crate::service::ServiceResult;
use crate::service::processors::Processors;
use crate::store::{AttemptOutcome, AttemptRecord, Store};

/// What the buyer reads when a lost charge turns out never to have been made.
const NOT_CHARGED: &str =
    "The payment did not go through and nothing was charged. Please try again.";

/// Asks about every charging attempt that is due, and records its outcome. Returns how many it
/// resolved.
pub async fn reconcile_due(
    store: &Store,
    processors: &Processors,
    public_base: &str,
    now: i64,
) -> ServiceResult<usize> {
    let mut resolved = 0;
    // Steps the processor said ended, whose buyer did not come back: charging again, asked now.
    let awaiting = AttemptStatus::RequiresAction;
    for due in store.due_attempts(awaiting, now, 50).await? {
        if !store
            .claim_due_attempt(&due.id, awaiting, now, SETTLE_LEASE_MS)
            .await?
        {
            continue;
        }
        let mut tx = store.begin().await?;
        if tx
            .claim_session(&due.session_id, &due.id, now, CLAIM_LEASE_MS, None)
            .await?
            && tx
                .move_attempt(
                    &due.id,
                    due.status.charge()?,
                    &AttemptOutcome {
                        settle_after: Some(now),
                        ..AttemptOutcome::default()
                    },
                    now,
                )
                .await?
        {
            tx.commit().await?;
        }
    }
    let charging = AttemptStatus::Charging;
    for due in store.due_attempts(charging, now, 50).await? {
        if store
            .claim_due_attempt(&due.id, charging, now, SETTLE_LEASE_MS)
            .await?
            && reconcile_one(store, processors, public_base, &due, now)
                .await?
                .is_some_and(|outcome| !matches!(outcome, ConfirmOutcome::Checking { .. }))
        {
            resolved += 1;
        }
    }
    Ok(resolved)
}

/// Asks the processor what became of the charging attempt `due` (leased to the caller) and
/// records it as confirm would have: what the buyer meets next, or `None` when the processor
/// could not be asked.
pub(super) async fn reconcile_one(
    store: &Store,
    processors: &Processors,
    public_base: &str,
    due: &AttemptRecord,
    now: i64,
) -> ServiceResult<Option<ConfirmOutcome>> {
    let Some((session, processor)) = attempt::session_and_processor(store, processors, due).await?
    else {
        return Ok(None);
    };
    let processor = processor.as_ref();
    let plan = attempt::plan_of(due)?;
    let currency = plan
        .currency
        .unwrap_or_else(|| Currency::parse("usd").expect("USD is ISO 4217"));
    let lookup = match processor
        .lookup(LookupRequest {
            idempotency_key: &due.id,
            reference: due.processor_reference.as_deref(),
            amount: Money::new(plan.amounts.due_today, currency),
            buyer: Buyer {
                email: &plan.email,
                name: plan.name.as_deref(),
            },
            save_for_later: plan.save_method,
            livemode: session.livemode,
        })
        .await
    {
        Ok(lookup) => lookup,
        Err(error) => {
            tracing::warn!(%error, attempt = %due.id, "looking up a charge failed; will ask again");
            return Ok(None);
        }
    };
    let outcome = match lookup {
        Lookup::NotCharged => {
            let failed = due.status.fail()?;
            let code = "not_charged";
            attempt::record_refusal(store, &session, &due.id, failed, code, NOT_CHARGED, now)
                .await?;
            ConfirmOutcome::Declined {
                code: code.into(),
                message: NOT_CHARGED.into(),
            }
        }
        Lookup::Charged(answer) => {
            let method = attempt::method_of(due)?;
            let charging = Attempt {
                id: &due.id,
                processor: &due.processor,
                status: due.status,
                plan: &plan,
                method: method.as_ref(),
                reference: due.processor_reference.as_deref(),
            };
            record_charge(
                store,
                processor,
                &session,
                charging,
                Ok(answer),
                public_base,
                now,
            )
            .await?
        }
    };
    tracing::info!(attempt = %due.id, session = %session.id, ?outcome, "a charge's outcome was looked up");
    Ok(Some(outcome))
}
