//! What a processor tells kassa on its own (Stripe's signed events): that one of its charges
//! changed. kassa does not take the event's word for the outcome; it makes the attempt due, and
//! the settling and reconciling workers ask the processor and record the answer, as they would
//! at their next look anyway, only now.
//!
//! A step the buyer took at the processor's page (3-D Secure) usually ends with the buyer coming
//! back to kassa, which then asks at once; the event only makes sure of it should they not come
//! back, after a grace that lets their return go first.

use crate::domain::payment::AttemptStatus;
use crate::service::ServiceResult;
use crate::store::Store;

/// How long a buyer has to come back from the processor's page before the event's word is
/// followed up without them.
pub const STEP_GRACE_MS: i64 = 10_000;

/// The processor's charge `reference` of the organization changed. Returns the status of the
/// attempt it belongs to, when kassa knows one.
pub async fn charge_changed(
    store: &Store,
    organization_id: &str,
    reference: &str,
    now: i64,
) -> ServiceResult<Option<AttemptStatus>> {
    let Some(attempt) = store
        .attempt_by_reference(organization_id, reference)
        .await?
    else {
        return Ok(None);
    };
    let due = match attempt.status {
        AttemptStatus::Processing | AttemptStatus::Charging => Some(now),
        AttemptStatus::RequiresAction => Some(now + STEP_GRACE_MS),
        _ => None,
    };
    if let Some(at) = due {
        store.make_due_by(&attempt.id, attempt.status, at).await?;
    }
    Ok(Some(attempt.status))
}
