//! Payment attempts: each try at paying a session, recorded before any processor is asked and
//! moved through its states ([`AttemptStatus`]) only by compare-and-set on the status it is in.

use super::tx::{Tx, write_counted, write_later};
use super::{Store, StoreResult, dispatch};
use crate::domain::payment::{AttemptStatus, AttemptTransition};

/// An attempt to pay a session, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptRecord {
    pub id: String,
    pub session_id: String,
    pub organization_id: String,
    pub livemode: bool,
    #[sqlx(try_from = "String")]
    pub status: AttemptStatus,
    pub payment_method_type: String,
    pub amount: i64,
    pub currency: Option<String>,
    /// JSON of the plan the attempt pays for.
    pub plan: String,
    /// JSON of the method's summary (brand, last4 ...).
    pub method_summary: Option<String>,
    pub processor: String,
    pub processor_reference: Option<String>,
    /// three_d_secure or approval, while the buyer's step is awaited.
    pub action: Option<String>,
    pub decline_code: Option<String>,
    pub decline_message: Option<String>,
    /// When the processor is next asked about it: a processing attempt's settlement, a charging
    /// one's lost answer.
    pub settle_after: Option<i64>,
    /// The processor's reference of the refund, when the charge was given back.
    pub refund_reference: Option<String>,
    /// Where the processor runs the buyer's step itself (Stripe's 3-D Secure page).
    pub action_url: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

pub(super) const ATTEMPT_COLUMNS: &str = "id, session_id, organization_id, livemode, status, payment_method_type, \
     amount, currency, plan, method_summary, processor, processor_reference, action, decline_code, \
     decline_message, settle_after, refund_reference, action_url, created_at, updated_at";

/// An attempt to record: `created` (nothing goes to a processor) or `charging` (one is about to
/// be asked).
#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    pub id: &'a str,
    pub session_id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub status: AttemptStatus,
    pub payment_method_type: &'a str,
    pub amount: i64,
    pub currency: Option<&'a str>,
    /// JSON of what the attempt pays for.
    pub plan: &'a str,
    /// Which processor is asked ("test", "stripe"), or "none".
    pub processor: &'a str,
    /// When to ask the processor what became of a charge whose answer has not been recorded by
    /// then (a charging attempt); `None` for one that goes to no processor.
    pub recheck_at: Option<i64>,
}

/// What an attempt's move records besides its new status. `None` keeps what is stored, except
/// for the decline and the settlement time, which describe the new status alone.
#[derive(Debug, Clone, Default)]
pub struct AttemptOutcome<'a> {
    pub method_summary: Option<&'a str>,
    pub processor_reference: Option<&'a str>,
    pub action: Option<&'a str>,
    pub decline_code: Option<&'a str>,
    pub decline_message: Option<&'a str>,
    pub settle_after: Option<i64>,
    pub refund_reference: Option<&'a str>,
    pub action_url: Option<&'a str>,
}

impl Store {
    pub async fn attempt(&self, id: &str) -> StoreResult<Option<AttemptRecord>> {
        let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE id = $1");
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, AttemptRecord>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// The session's attempts, newest first.
    pub async fn attempts_of_session(&self, session_id: &str) -> StoreResult<Vec<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE session_id = $1 ORDER BY created_at DESC, id DESC"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, AttemptRecord>(&sql)
                .bind(session_id)
                .fetch_all(db)
                .await?
        }))
    }

    /// The attempt a processor's reference names (the processor's events name it so).
    pub async fn attempt_by_reference(
        &self,
        organization_id: &str,
        reference: &str,
    ) -> StoreResult<Option<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts \
             WHERE processor_reference = $1 AND organization_id = $2"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, AttemptRecord>(&sql)
                .bind(reference)
                .bind(organization_id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// The session's latest attempt, as the session row names it.
    pub async fn latest_attempt(&self, session_id: &str) -> StoreResult<Option<AttemptRecord>> {
        let sql = format!(
            "SELECT {} FROM payment_attempts a JOIN checkout_sessions s ON s.latest_attempt_id = a.id \
             WHERE s.id = $1",
            prefixed("a.", ATTEMPT_COLUMNS)
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, AttemptRecord>(&sql)
                .bind(session_id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Attempts in `status` (processing, or charging) that are due to be asked about, oldest
    /// first.
    pub async fn due_attempts(
        &self,
        status: AttemptStatus,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE status = $1 AND settle_after <= $2 \
             ORDER BY settle_after LIMIT $3"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, AttemptRecord>(&sql)
                .bind(status.as_str())
                .bind(now)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// Takes a due attempt, still in `status`, to ask about until `now + lease_ms`; one taker
    /// wins. A taker that dies leaves the attempt due again when the lease runs out.
    pub async fn claim_due_attempt(
        &self,
        id: &str,
        status: AttemptStatus,
        now: i64,
        lease_ms: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE payment_attempts SET settle_after = $1, updated_at = $2 \
                 WHERE id = $3 AND status = $4 AND settle_after <= $2",
            )
            .bind(now + lease_ms)
            .bind(now)
            .bind(id)
            .bind(status.as_str())
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Makes an attempt still in `status` due to be asked about by `at` (a processor said it
    /// changed); `false` when it is no longer in `status`, or is due sooner already.
    pub async fn make_due_by(&self, id: &str, status: AttemptStatus, at: i64) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE payment_attempts SET settle_after = $1 \
                 WHERE id = $2 AND status = $3 AND (settle_after IS NULL OR settle_after > $1)",
            )
            .bind(at)
            .bind(id)
            .bind(status.as_str())
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// How many attempts the session has had since `since`, and when the oldest of them began.
    pub async fn attempts_since(
        &self,
        session_id: &str,
        since: i64,
    ) -> StoreResult<(i64, Option<i64>)> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, (i64, Option<i64>)>(
                "SELECT COUNT(*), MIN(created_at) FROM payment_attempts \
                 WHERE session_id = $1 AND created_at >= $2",
            )
            .bind(session_id)
            .bind(since)
            .fetch_one(db)
            .await?
        }))
    }
}

/// `columns` (a comma-separated list) with each name prefixed by a table alias.
fn prefixed(alias: &str, columns: &str) -> String {
    columns
        .split(',')
        .map(|c| format!("{alias}{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Records a new attempt; binds [`bind_attempt!`].
const INSERT_ATTEMPT: &str = "INSERT INTO payment_attempts (id, session_id, organization_id, \
     livemode, status, payment_method_type, amount, currency, plan, processor, settle_after, \
     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)";

/// Binds [`INSERT_ATTEMPT`]'s parameters, for an sqlx query or a SQLite batch's statement.
macro_rules! bind_attempt {
    ($query:expr, $a:expr, $now:expr) => {
        $query
            .bind($a.id)
            .bind($a.session_id)
            .bind($a.organization_id)
            .bind($a.livemode)
            .bind($a.status.as_str())
            .bind($a.payment_method_type)
            .bind($a.amount)
            .bind($a.currency)
            .bind($a.plan)
            .bind($a.processor)
            .bind($a.recheck_at)
            .bind($now)
    };
}

/// Moves an attempt if it is still where the transition starts; binds [`bind_move!`].
const MOVE_ATTEMPT: &str = "UPDATE payment_attempts SET status = $1, \
     method_summary = COALESCE($2, method_summary), \
     processor_reference = COALESCE($3, processor_reference), action = COALESCE($4, action), \
     decline_code = $5, decline_message = $6, settle_after = $7, updated_at = $8, \
     refund_reference = COALESCE($11, refund_reference), \
     action_url = COALESCE($12, action_url) WHERE id = $9 AND status = $10";

/// Binds [`MOVE_ATTEMPT`]'s parameters, for an sqlx query or a SQLite batch's statement.
macro_rules! bind_move {
    ($query:expr, $id:expr, $transition:expr, $outcome:expr, $now:expr) => {
        $query
            .bind($transition.to().as_str())
            .bind($outcome.method_summary)
            .bind($outcome.processor_reference)
            .bind($outcome.action)
            .bind($outcome.decline_code)
            .bind($outcome.decline_message)
            .bind($outcome.settle_after)
            .bind($now)
            .bind($id)
            .bind($transition.from().as_str())
            .bind($outcome.refund_reference)
            .bind($outcome.action_url)
    };
}

impl Store {
    /// Starts an attempt on its session, in one transaction: claims the session for it (unless
    /// changed since `unchanged_since`, see [`Tx::claim_session`]), moves the attempt before it
    /// as `cancel` says if that one is still where the move starts (one that awaited the buyer's
    /// step), and records the new one. `false`, and nothing written, when the session was not
    /// claimed. On SQLite it is queued whole for the writer ([`super::group_commit::Work`]), so
    /// that a confirm's first write costs the writer no round trip to this task.
    pub async fn start_attempt(
        &self,
        attempt: &NewAttempt<'_>,
        lease_ms: i64,
        unchanged_since: i64,
        cancel: Option<(&str, AttemptTransition)>,
        now: i64,
    ) -> StoreResult<bool> {
        if let super::Backend::Sqlite { batches, .. } = &self.backend {
            use super::group_commit::{Abandoned, Owned};
            let claim = super::sessions::bind_claim!(
                Owned::new(),
                attempt.session_id,
                attempt.id,
                now,
                lease_ms,
                Some(unchanged_since)
            )
            .done();
            let outcome = AttemptOutcome::default();
            let cancel = cancel
                .map(|(id, transition)| {
                    bind_move!(Owned::new(), id, transition, outcome, now).done()
                })
                .transpose();
            let insert = bind_attempt!(Owned::new(), attempt, now).done();
            let (claim, cancel, insert) = match (claim, cancel, insert) {
                (Ok(claim), Ok(cancel), Ok(insert)) => (claim, cancel, insert),
                (Err(why), _, _) | (_, Err(why), _) | (_, _, Err(why)) => {
                    return Err(super::StoreError::Corrupt(why));
                }
            };
            let ran = batches
                .run(Box::new(move |db| {
                    if claim.execute(db, super::sessions::CLAIM_SESSION)? != 1 {
                        return Err(Abandoned::rusqlite());
                    }
                    if let Some(cancel) = &cancel {
                        cancel.execute(db, MOVE_ATTEMPT)?;
                    }
                    insert.execute(db, INSERT_ATTEMPT)?;
                    Ok(())
                }))
                .await;
            return match ran {
                Ok(()) => Ok(true),
                Err(error) if Abandoned::of(&error) => Ok(false),
                Err(error) => Err(error.into()),
            };
        }
        let mut tx = self.begin().await?;
        if !tx
            .claim_session(
                attempt.session_id,
                attempt.id,
                now,
                lease_ms,
                Some(unchanged_since),
            )
            .await?
        {
            return Ok(false);
        }
        if let Some((id, transition)) = cancel {
            tx.move_attempt(id, transition, &AttemptOutcome::default(), now)
                .await?;
        }
        tx.insert_attempt(attempt, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}

impl Tx {
    /// Records a new attempt, `created` or `charging`.
    pub async fn insert_attempt(&mut self, a: &NewAttempt<'_>, now: i64) -> StoreResult<()> {
        write_later!(self, INSERT_ATTEMPT, |q| bind_attempt!(q, a, now));
        Ok(())
    }

    /// Moves an attempt as `transition` says, with what its outcome records, if it is still in
    /// the transition's `from`: of two writers finishing one attempt, one sees `true`.
    pub async fn move_attempt(
        &mut self,
        id: &str,
        transition: AttemptTransition,
        outcome: &AttemptOutcome<'_>,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = write_counted!(self, MOVE_ATTEMPT, |q| bind_move!(
            q, id, transition, outcome, now
        ));
        Ok(changed == 1)
    }
}
