//! Continuing a payment after the buyer's step: they authenticated with their bank (3-D Secure)
//! or approved with their wallet (PayPal, Link, customer balance), or refused.

use super::attempt::{self, Attempt};
use super::refund::finish_charged;
use super::{CLAIM_LEASE_MS, ConfirmOutcome, RECHECK_AFTER_MS};
use crate::domain::payment::AttemptStatus;
use crate::domain::session::SessionStatus;
use crate::payments::{PaymentProcessor, Settlement};
use crate::service::{ServiceError, ServiceResult};
use crate::store::{AttemptOutcome, AttemptRecord, Store};

/// The buyer authenticated or approved the session's latest attempt (`approved`), or refused it.
pub async fn complete_action(
    store: &Store,
    processor: &dyn PaymentProcessor,
    public_base: &str,
    session_id: &str,
    approved: bool,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    let Some(session) = store.session_by_id(session_id).await? else {
        return Err(ServiceError::NotFound("checkout session"));
    };
    let status = session.effective_status(now);
    if status != SessionStatus::Open {
        return Ok(ConfirmOutcome::Closed(status));
    }
    let Some(awaiting) = pending_action(store, session_id).await? else {
        return Ok(ConfirmOutcome::Declined {
            code: "no_action".into(),
            message: "There is nothing to authenticate: start the payment again.".into(),
        });
    };
    // The attempt goes back to charging, with the session claimed, before the processor is asked.
    let charging = awaiting.status.charge()?;
    let mut tx = store.begin().await?;
    if !tx
        .claim_session(session_id, &awaiting.id, now, CLAIM_LEASE_MS)
        .await?
        || !tx
            .move_attempt(
                &awaiting.id,
                charging,
                &AttemptOutcome {
                    // An answer not recorded by then is asked about (the reconciler).
                    settle_after: Some(now + RECHECK_AFTER_MS),
                    ..AttemptOutcome::default()
                },
                now,
            )
            .await?
    {
        return Ok(ConfirmOutcome::Busy);
    }
    tx.commit().await?;

    let reference = awaiting.processor_reference.clone().unwrap_or_default();
    let plan = attempt::plan_of(&awaiting)?;
    let method = attempt::method_of(&awaiting)?;
    match processor.complete_action(&reference, approved).await {
        Ok(Settlement::Succeeded) => {
            let attempt = Attempt {
                id: &awaiting.id,
                status: charging.to(),
                plan: &plan,
                method: method.as_ref(),
                reference: Some(&reference),
            };
            let from = SessionStatus::Open;
            finish_charged(store, processor, &session, &attempt, from, public_base, now).await
        }
        Ok(Settlement::Failed { code, message }) => {
            let declined = charging.to().decline()?;
            attempt::record_refusal(
                store,
                &session,
                &awaiting.id,
                declined,
                &code,
                &message,
                now,
            )
            .await?;
            Ok(ConfirmOutcome::Declined { code, message })
        }
        Err(error) if error.may_have_charged() => {
            tracing::warn!(%error, session = session_id, attempt = %awaiting.id,
                "the processor's answer to the buyer's step is unknown; it will be looked up");
            Ok(ConfirmOutcome::Checking {
                next_url: super::session_page(session_id, public_base),
            })
        }
        Err(error) => {
            tracing::error!(%error, session = session_id, "completing an action failed");
            // The step stays to be taken again.
            let mut tx = store.begin().await?;
            tx.move_attempt(
                &awaiting.id,
                charging.to().require_action()?,
                &AttemptOutcome::default(),
                now,
            )
            .await?;
            tx.release_session(session_id, &awaiting.id).await?;
            tx.commit().await?;
            Ok(ConfirmOutcome::Declined {
                code: "processor_error".into(),
                message: "The payment could not be completed. Nothing was charged; try again."
                    .into(),
            })
        }
    }
}

/// The session's latest attempt if it awaits the buyer's authentication or approval.
pub async fn pending_action(
    store: &Store,
    session_id: &str,
) -> ServiceResult<Option<AttemptRecord>> {
    Ok(store
        .latest_attempt(session_id)
        .await?
        .filter(|a| a.status == AttemptStatus::RequiresAction))
}
