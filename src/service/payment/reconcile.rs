//! The reconciler: finds attempts left charging past their time (the processor's answer was lost
//! to a timeout, a failed write, a process that died), asks the processor what became of each by
//! its idempotency key, and finishes it exactly as confirm would have. Every instance runs it;
//! each attempt is leased to one at a time, and every outcome is recorded by compare-and-set, so
//! an attempt is finished once however many ask.

use super::attempt::{self, Attempt};
use super::confirm::record_charge;
use super::{ConfirmOutcome, SETTLE_LEASE_MS};
use crate::domain::payment::AttemptStatus;
use crate::payments::{Lookup, PaymentProcessor};
use crate::service::ServiceResult;
use crate::store::Store;

/// What the buyer reads when a lost charge turns out never to have been made.
const NOT_CHARGED: &str =
    "The payment did not go through and nothing was charged. Please try again.";

/// Asks about every charging attempt that is due, and records its outcome. Returns how many it
/// resolved.
pub async fn reconcile_due(
    store: &Store,
    processor: &dyn PaymentProcessor,
    public_base: &str,
    now: i64,
) -> ServiceResult<usize> {
    let charging = AttemptStatus::Charging;
    let mut resolved = 0;
    for due in store.due_attempts(charging, now, 50).await? {
        if !store
            .claim_due_attempt(&due.id, charging, now, SETTLE_LEASE_MS)
            .await?
        {
            continue;
        }
        let Some(session) = store.session_by_id(&due.session_id).await? else {
            continue;
        };
        let lookup = match processor
            .lookup(&due.id, due.processor_reference.as_deref())
            .await
        {
            Ok(lookup) => lookup,
            Err(error) => {
                tracing::warn!(%error, attempt = %due.id, "looking up a charge failed; will ask again");
                continue;
            }
        };
        let plan = attempt::plan_of(&due)?;
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
                let method = attempt::method_of(&due)?;
                let charging = Attempt {
                    id: &due.id,
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
        tracing::info!(attempt = %due.id, session = %session.id, ?outcome, "a charge's lost answer was found");
        if !matches!(outcome, ConfirmOutcome::Checking { .. }) {
            resolved += 1;
        }
    }
    Ok(resolved)
}
