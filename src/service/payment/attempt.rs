//! Recording an attempt and what the processor said of it. Each outcome is a transition of the
//! attempt's state machine, written with the session's claim released or its status moved in
//! the same transaction, so that the two never disagree.

use super::PaymentPlan;
use crate::domain::event::EventType;
use crate::domain::money::Currency;
use crate::domain::payment::{AttemptStatus, AttemptTransition};
use crate::domain::session::{CheckoutSession, PaymentMethodType, SessionStatus};
use crate::payments::{ActionKind, MethodSummary, PaymentProcessor};
use crate::service::ServiceResult;
use crate::service::events::Outbox;
use crate::service::ids::new_id;
use crate::service::processors::Processors;
use crate::store::{AttemptOutcome, AttemptRecord, NewAttempt, Store, StoreError, Tx};
use serde_json::json;
use std::sync::Arc;

/// An attempt being carried to its end: its status as last recorded, what it pays for, and what
/// the processor said of it so far.
pub(super) struct Attempt<'a> {
    pub id: &'a str,
    /// The processor it went to ("test", "stripe"), or "none".
    pub processor: &'a str,
    pub status: AttemptStatus,
    pub plan: &'a PaymentPlan,
    pub method: Option<&'a MethodSummary>,
    pub reference: Option<&'a str>,
}

/// Claims `session` for a new attempt at `plan` and records the attempt as `status` (`created`
/// when nothing goes to a processor, else `charging`), in one transaction, cancelling `latest`
/// (the session's latest attempt as last read) if it still awaits the buyer's step: the new
/// attempt's id, or `None` when the session is no longer open or another attempt holds it (then
/// nothing was written).
#[allow(clippy::too_many_arguments)]
pub(super) async fn start(
    store: &Store,
    session: &CheckoutSession,
    latest: Option<AttemptRecord>,
    plan: &PaymentPlan,
    amount: i64,
    processor: &str,
    status: AttemptStatus,
    now: i64,
) -> ServiceResult<Option<String>> {
    // A charge not answered by then is asked about (the reconciler).
    let recheck_at = (status == AttemptStatus::Charging).then_some(now + super::RECHECK_AFTER_MS);
    let id = new_id("att");
    let plan_json = serde_json::to_string(plan).map_err(StoreError::from)?;
    let currency = session.currency.map(Currency::code_lower);
    // An attempt still awaiting the buyer's step is replaced by this one (if it has moved on
    // meanwhile, the move below finds it so and leaves it).
    let awaiting = latest.filter(|a| a.status == AttemptStatus::RequiresAction);
    let cancel = match &awaiting {
        Some(awaiting) => Some((awaiting.id.as_str(), awaiting.status.cancel()?)),
        None => None,
    };
    let started = store
        .start_attempt(
            &NewAttempt {
                id: &id,
                session_id: &session.id,
                organization_id: &session.organization_id,
                livemode: session.livemode,
                status,
                payment_method_type: plan.method_type.map_or("none", PaymentMethodType::as_str),
                amount,
                currency: currency.as_deref(),
                plan: &plan_json,
                processor,
                recheck_at,
            },
            super::CLAIM_LEASE_MS,
            session.updated_at,
            cancel,
            now,
        )
        .await?;
    if !started {
        return Ok(None);
    }
    Ok(Some(id))
}

/// The session a stored attempt pays, and the processor it was made with as its organization
/// has it set up now; `None` (logged) when either is gone.
pub(super) async fn session_and_processor(
    store: &Store,
    processors: &Processors,
    attempt: &AttemptRecord,
) -> ServiceResult<Option<(CheckoutSession, Arc<dyn PaymentProcessor>)>> {
    let Some(session) = store.session_by_id(&attempt.session_id).await? else {
        return Ok(None);
    };
    let processor = processors
        .named(
            store,
            &attempt.processor,
            &session.organization_id,
            session.livemode,
        )
        .await?;
    if processor.is_none() {
        tracing::error!(attempt = %attempt.id, processor = %attempt.processor,
            "an attempt's processor is no longer set up; it is asked about again later");
    }
    Ok(processor.map(|p| (session, p)))
}

/// The plan a stored attempt pays for.
pub(super) fn plan_of(attempt: &AttemptRecord) -> ServiceResult<PaymentPlan> {
    serde_json::from_str(&attempt.plan).map_err(|e| StoreError::from(e).into())
}

/// The method summary a stored attempt has, if the processor gave one.
pub(super) fn method_of(attempt: &AttemptRecord) -> ServiceResult<Option<MethodSummary>> {
    attempt
        .method_summary
        .as_deref()
        .map(serde_json::from_str)
        .transpose()
        .map_err(|e| StoreError::from(e).into())
}

/// The attempt was declined (by the card's bank, or the buyer refused the step) or failed (the
/// processor could not take it): recorded with `payment.failed`, and the session released for
/// another try. `false` when the attempt had moved on already (then nothing was written).
pub(super) async fn record_refusal(
    store: &Store,
    session: &CheckoutSession,
    attempt_id: &str,
    transition: AttemptTransition,
    code: &str,
    message: &str,
    now: i64,
) -> ServiceResult<bool> {
    let mut tx = store.begin().await?;
    let Some(outbox) =
        refused_in(&mut tx, session, attempt_id, transition, code, message, now).await?
    else {
        return Ok(false);
    };
    outbox
        .write(&mut tx, &session.organization_id, session.livemode, now)
        .await?;
    tx.release_session(&session.id, attempt_id).await?;
    tx.commit().await?;
    Ok(true)
}

/// Moves the attempt to declined or failed with why, in `tx`: the `payment.failed` event to
/// tell, or `None` when the attempt had moved on (then nothing was written).
pub(super) async fn refused_in(
    tx: &mut Tx,
    session: &CheckoutSession,
    attempt_id: &str,
    transition: AttemptTransition,
    code: &str,
    message: &str,
    now: i64,
) -> ServiceResult<Option<Outbox>> {
    let moved = tx
        .move_attempt(
            attempt_id,
            transition,
            &AttemptOutcome {
                decline_code: Some(code),
                decline_message: Some(message),
                ..Default::default()
            },
            now,
        )
        .await?;
    if !moved {
        return Ok(None);
    }
    let mut outbox = Outbox::default();
    outbox.push(
        EventType::PaymentFailed,
        failed_payment(session, attempt_id, code, message),
    );
    Ok(Some(outbox))
}

/// The buyer's step a processor asked for.
pub(super) struct Step<'a> {
    pub reference: &'a str,
    pub action: ActionKind,
    pub method: &'a MethodSummary,
    /// Where the processor runs the step itself; kassa's own step page when `None`.
    pub redirect_url: Option<&'a str>,
}

/// The buyer must authenticate or approve: the attempt (charging) awaits them, the session is
/// released so that the step (or a new attempt) can claim it.
pub(super) async fn record_requires_action(
    store: &Store,
    session: &CheckoutSession,
    attempt_id: &str,
    from: AttemptStatus,
    step: &Step<'_>,
    now: i64,
) -> ServiceResult<bool> {
    let summary = serde_json::to_string(step.method).map_err(StoreError::from)?;
    let mut tx = store.begin().await?;
    let moved = tx
        .move_attempt(
            attempt_id,
            from.require_action()?,
            &AttemptOutcome {
                method_summary: Some(&summary),
                processor_reference: Some(step.reference),
                action: Some(match step.action {
                    ActionKind::ThreeDSecure => "three_d_secure",
                    ActionKind::Approval => "approval",
                }),
                action_url: step.redirect_url,
                ..Default::default()
            },
            now,
        )
        .await?;
    if !moved {
        return Ok(false);
    }
    tx.release_session(&session.id, attempt_id).await?;
    tx.commit().await?;
    Ok(true)
}

/// Accepted, settling later: the attempt is processing (asked again at `settle_after`) and the
/// session pending. The attempt is recorded even when its session has ended meanwhile (then its
/// settlement is given back, see `settle`): `Ok(None)` when the attempt had moved on already
/// (nothing was written), else whether the session went pending.
pub(super) async fn record_processing(
    store: &Store,
    session: &CheckoutSession,
    attempt_id: &str,
    reference: &str,
    method: &MethodSummary,
    settle_after: i64,
    now: i64,
) -> ServiceResult<Option<bool>> {
    let summary = serde_json::to_string(method).map_err(StoreError::from)?;
    let mut tx = store.begin().await?;
    let moved = tx
        .move_attempt(
            attempt_id,
            AttemptStatus::Charging.begin_processing()?,
            &AttemptOutcome {
                method_summary: Some(&summary),
                processor_reference: Some(reference),
                settle_after: Some(settle_after),
                ..Default::default()
            },
            now,
        )
        .await?;
    if !moved {
        return Ok(None);
    }
    let pending = SessionStatus::Open.begin_processing()?;
    let went_pending = tx
        .move_session(&session.id, attempt_id, pending, now)
        .await?;
    tx.commit().await?;
    Ok(Some(went_pending))
}

/// What `payment.failed` carries: the attempt that failed, and why.
pub(super) fn failed_payment(
    session: &CheckoutSession,
    attempt_id: &str,
    code: &str,
    message: &str,
) -> serde_json::Value {
    json!({
        "id": attempt_id, "object": "payment_attempt", "status": "failed",
        "checkout_session": session.id, "customer": session.customer_id,
        "failure_code": code, "failure_message": message,
    })
}
