//! Continuing a payment after the buyer's step: they authenticated with their bank (3-D Secure)
//! or approved with their wallet (PayPal, Link, customer balance), or refused.

use super::attempt::{self, Attempt};
use super::reconcile::reconcile_one;
use super::refund::finish_charged;
use super::{CLAIM_LEASE_MS, ConfirmOutcome, RECHECK_AFTER_MS, SETTLE_LEASE_MS};
use crate::domain::payment::AttemptStatus;
use crate::domain::session::SessionStatus;
use crate::payments::Settlement;
use crate::service::processors::Processors;
use crate::service::{ServiceError, ServiceResult};
use crate::store::{AttemptOutcome, AttemptRecord, Store};

/// The buyer authenticated or approved the session's latest attempt (`approved`), or refused it.
pub async fn complete_action(
    store: &Store,
    processors: &Processors,
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
    let latest = store.latest_attempt(session_id).await?;
    let Some(awaiting) = latest
        .clone()
        .filter(|a| a.status == AttemptStatus::RequiresAction)
    else {
        // The processor's event may have come first and set the attempt to be asked about: then
        // the buyer's return asks now rather than at the reconciler's next look.
        if let Some(charging) = latest.filter(|a| a.status == AttemptStatus::Charging) {
            return check_now(store, processors, public_base, &charging, now).await;
        }
        return Ok(ConfirmOutcome::Declined {
            code: "no_action".into(),
            message: "There is nothing to authenticate: start the payment again.".into(),
        });
    };
    let Some(processor) = processors
        .named(
            store,
            &awaiting.processor,
            &session.organization_id,
            session.livemode,
        )
        .await?
    else {
        return Ok(ConfirmOutcome::Unavailable(
            "This payment's processor is no longer set up.".into(),
        ));
    };
    // The attempt goes back to charging, with the session claimed, before the processor is asked.
    let charging = awaiting.status.charge()?;
    let mut tx = store.begin().await?;
    if !tx
        .claim_session(session_id, &awaiting.id, now, CLAIM_LEASE_MS, None)
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
        drop(tx);
        // Taken meanwhile to be asked about (the processor's event, the reconciler): ask now.
        if let Some(charging) = store
            .latest_attempt(session_id)
            .await?
            .filter(|a| a.id == awaiting.id && a.status == AttemptStatus::Charging)
        {
            return check_now(store, processors, public_base, &charging, now).await;
        }
        return Ok(ConfirmOutcome::Busy);
    }
    tx.commit().await?;

    let reference = awaiting.processor_reference.clone().unwrap_or_default();
    let plan = attempt::plan_of(&awaiting)?;
    let method = attempt::method_of(&awaiting)?;
    match processor.complete_action(&reference, approved).await {
        Ok(Settlement::Pending) => {
            // The buyer came back before finishing the step: it stays to be taken.
            back_to_the_step(store, session_id, &awaiting.id, charging.to(), now).await?;
            Ok(ConfirmOutcome::Declined {
                code: "action_not_finished".into(),
                message: "The authentication was not finished. Try again, or pay another way."
                    .into(),
            })
        }
        Ok(Settlement::Succeeded) => {
            let attempt = Attempt {
                id: &awaiting.id,
                processor: &awaiting.processor,
                status: charging.to(),
                plan: &plan,
                method: method.as_ref(),
                reference: Some(&reference),
            };
            let from = SessionStatus::Open;
            finish_charged(
                store,
                processor.as_ref(),
                &session,
                &attempt,
                from,
                public_base,
                now,
            )
            .await
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
            back_to_the_step(store, session_id, &awaiting.id, charging.to(), now).await?;
            Ok(ConfirmOutcome::Declined {
                code: "processor_error".into(),
                message: "The payment could not be completed. Nothing was charged; try again."
                    .into(),
            })
        }
    }
}

/// Asks about a charging attempt now, if it is due and no other worker holds it; else the buyer
/// is told it is being checked.
async fn check_now(
    store: &Store,
    processors: &Processors,
    public_base: &str,
    charging: &AttemptRecord,
    now: i64,
) -> ServiceResult<ConfirmOutcome> {
    let checking = ConfirmOutcome::Checking {
        next_url: super::session_page(&charging.session_id, public_base),
    };
    if !store
        .claim_due_attempt(&charging.id, AttemptStatus::Charging, now, SETTLE_LEASE_MS)
        .await?
    {
        return Ok(checking);
    }
    Ok(reconcile_one(store, processors, public_base, charging, now)
        .await?
        .unwrap_or(checking))
}

/// The step stays to be taken again: the attempt awaits the buyer, the session is released.
async fn back_to_the_step(
    store: &Store,
    session_id: &str,
    attempt_id: &str,
    from: AttemptStatus,
    now: i64,
) -> ServiceResult<()> {
    let mut tx = store.begin().await?;
    tx.move_attempt(
        attempt_id,
        from.require_action()?,
        &AttemptOutcome::default(),
        now,
    )
    .await?;
    tx.release_session(session_id, attempt_id).await?;
    tx.commit().await?;
    Ok(())
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
