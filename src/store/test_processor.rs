//! The test-mode processor's ledger (`payments::test_mode`): what it answered to each
//! idempotency key. Nothing of kassa's own reads it; it is the processor's side of the books, kept
//! in the same database so that every kassa process sharing it sees one processor.

use super::group_commit::Owned;
use super::tx::{Tx, dispatch_tx};
use super::{Store, StoreResult, dispatch};

/// A charge the test processor took (or a key it closed), as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TestCharge {
    pub idempotency_key: String,
    pub reference: Option<String>,
    pub amount: i64,
    pub currency: String,
    /// succeeded, declined, requires_action, processing, failed, refunded or closed
    pub state: String,
    /// JSON of what the charge came to; `None` for a closed key.
    pub answer: Option<String>,
    pub refund_reference: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const COLUMNS: &str = "idempotency_key, reference, amount, currency, state, answer, \
     refund_reference, created_at, updated_at";

/// A charge's first answer, to record unless its key has one.
#[derive(Debug, Clone)]
pub struct NewTestCharge<'a> {
    pub idempotency_key: &'a str,
    pub reference: Option<&'a str>,
    pub amount: i64,
    pub currency: &'a str,
    pub state: &'a str,
    pub answer: Option<&'a str>,
}

/// Records a charge's first answer; binds [`bind_charge!`].
const INSERT_CHARGE: &str = "INSERT INTO test_processor_charges (idempotency_key, reference, \
     amount, currency, state, answer, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
     ON CONFLICT (idempotency_key) DO NOTHING";

/// Binds [`INSERT_CHARGE`]'s parameters, through the same `.bind(value)` chain for an sqlx query
/// and a SQLite batch's statement.
macro_rules! bind_charge {
    ($query:expr, $charge:expr, $now:expr) => {
        $query
            .bind($charge.idempotency_key)
            .bind($charge.reference)
            .bind($charge.amount)
            .bind($charge.currency)
            .bind($charge.state)
            .bind($charge.answer)
            .bind($now)
    };
}

impl Store {
    /// Records `charge` unless its key has a row already; the key's row either way. Of two
    /// requests with one key, both get the first one's row. On SQLite it is queued whole for the
    /// writer ([`super::group_commit::Work`]), as every confirm's charge is.
    pub async fn test_charge_once(
        &self,
        charge: &NewTestCharge<'_>,
        now: i64,
    ) -> StoreResult<TestCharge> {
        if let super::Backend::Sqlite { batches, .. } = &self.backend {
            let insert = bind_charge!(Owned::new(), charge, now)
                .done()
                .map_err(super::StoreError::Corrupt)?;
            let key = charge.idempotency_key.to_owned();
            let row = std::sync::Arc::new(std::sync::Mutex::new(None));
            let read = row.clone();
            batches
                .run(Box::new(move |db| {
                    insert.execute(db, INSERT_CHARGE)?;
                    let found = db
                        .prepare_cached(&BY_KEY)?
                        .query_row([&key], TestCharge::from_rusqlite)?;
                    *read.lock().unwrap_or_else(|e| e.into_inner()) = Some(found);
                    Ok(())
                }))
                .await?;
            let row = row.lock().unwrap_or_else(|e| e.into_inner()).take();
            return row.ok_or_else(|| {
                super::StoreError::Commit("the test charge was not read back".into())
            });
        }
        let mut tx = self.begin().await?;
        dispatch_tx!(tx, |conn| {
            bind_charge!(sqlx::query(INSERT_CHARGE), charge, now)
                .execute(&mut *conn)
                .await?;
        });
        let row = tx.test_charge(charge.idempotency_key).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The row of the charge with this reference.
    pub async fn test_charge_by_reference(
        &self,
        reference: &str,
    ) -> StoreResult<Option<TestCharge>> {
        let sql = format!("SELECT {COLUMNS} FROM test_processor_charges WHERE reference = $1");
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, TestCharge>(&sql)
                .bind(reference)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Every row, oldest first: what the tests hold kassa's own records against.
    pub async fn test_charges(&self) -> StoreResult<Vec<TestCharge>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM test_processor_charges ORDER BY created_at, idempotency_key"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, TestCharge>(&sql).fetch_all(db).await?
        }))
    }

    /// What the test processor's refunds gave back, all told (minor units, every currency).
    pub async fn test_refunded_total(&self) -> StoreResult<i64> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM test_processor_refunds",
            )
            .fetch_one(db)
            .await?
        }))
    }

    /// Moves the charge with this reference from state `from` to `to` with its new answer (and a
    /// refund's reference): `false` when it was not in `from`.
    pub async fn move_test_charge(
        &self,
        reference: &str,
        from: &str,
        to: &str,
        answer: Option<&str>,
        refund_reference: Option<&str>,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE test_processor_charges SET state = $1, answer = COALESCE($2, answer), \
                 refund_reference = COALESCE($3, refund_reference), updated_at = $4 \
                 WHERE reference = $5 AND state = $6",
            )
            .bind(to)
            .bind(answer)
            .bind(refund_reference)
            .bind(now)
            .bind(reference)
            .bind(from)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }
}

/// What became of a refund asked of the test processor's ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestRefund {
    /// Made now, or before under the same key: its reference.
    Made(String),
    /// The charge is not there, or not in a state to give anything back.
    NotRefundable(String),
    /// It would give back more than the charge took.
    TooMuch { refundable: i64 },
}

impl Store {
    /// Refunds `amount` of the charge `charge_reference` under `idempotency_key`, once: a key seen
    /// before answers what it made then. The refunds of a charge never add up to more than it;
    /// the one that completes it moves the charge to `refunded` with its reference. The charge's
    /// row is locked meanwhile, so concurrent refunds are counted one after the other.
    pub async fn test_refund_once(
        &self,
        idempotency_key: &str,
        charge_reference: &str,
        amount: i64,
        now: i64,
    ) -> StoreResult<TestRefund> {
        let mut tx = self.begin().await?;
        let lock = tx.lock_clause();
        let sql =
            format!("SELECT {COLUMNS} FROM test_processor_charges WHERE reference = $1{lock}");
        let made = dispatch_tx!(tx, |conn| {
            let Some(charge) = sqlx::query_as::<_, TestCharge>(&sql)
                .bind(charge_reference)
                .fetch_optional(&mut *conn)
                .await?
            else {
                return Ok(TestRefund::NotRefundable(format!(
                    "no charge `{charge_reference}`"
                )));
            };
            let before: Option<String> = sqlx::query_scalar(
                "SELECT reference FROM test_processor_refunds WHERE idempotency_key = $1",
            )
            .bind(idempotency_key)
            .fetch_optional(&mut *conn)
            .await?;
            if let Some(reference) = before {
                return Ok(TestRefund::Made(reference));
            }
            if charge.state != "succeeded" {
                return Ok(TestRefund::NotRefundable(format!(
                    "the charge `{charge_reference}` is {}, not succeeded: there is nothing to refund",
                    charge.state
                )));
            }
            let refunded: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM test_processor_refunds \
                 WHERE charge_reference = $1",
            )
            .bind(charge_reference)
            .fetch_one(&mut *conn)
            .await?;
            if refunded + amount > charge.amount {
                return Ok(TestRefund::TooMuch {
                    refundable: charge.amount - refunded,
                });
            }
            let reference = format!("tm_re_{idempotency_key}");
            sqlx::query(
                "INSERT INTO test_processor_refunds (idempotency_key, charge_reference, amount, \
                 reference, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(idempotency_key)
            .bind(charge_reference)
            .bind(amount)
            .bind(&reference)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            if refunded + amount == charge.amount {
                sqlx::query(
                    "UPDATE test_processor_charges SET state = 'refunded', refund_reference = $1, \
                     updated_at = $2 WHERE reference = $3",
                )
                .bind(&reference)
                .bind(now)
                .bind(charge_reference)
                .execute(&mut *conn)
                .await?;
            }
            TestRefund::Made(reference)
        });
        tx.commit().await?;
        Ok(made)
    }
}

/// The charge recorded under a key.
static BY_KEY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!("SELECT {COLUMNS} FROM test_processor_charges WHERE idempotency_key = $1")
});

impl TestCharge {
    /// A row of [`COLUMNS`], as rusqlite reads it (sqlx reads it through `FromRow`).
    fn from_rusqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<TestCharge> {
        Ok(TestCharge {
            idempotency_key: row.get(0)?,
            reference: row.get(1)?,
            amount: row.get(2)?,
            currency: row.get(3)?,
            state: row.get(4)?,
            answer: row.get(5)?,
            refund_reference: row.get(6)?,
            created_at: row.get(7)?,
            updated_at: row.get(8)?,
        })
    }
}

impl Tx {
    async fn test_charge(&mut self, idempotency_key: &str) -> StoreResult<TestCharge> {
        let sql = &*BY_KEY;
        Ok(dispatch_tx!(self, |conn| {
            sqlx::query_as::<_, TestCharge>(sql)
                .bind(idempotency_key)
                .fetch_one(&mut *conn)
                .await?
        }))
    }
}
