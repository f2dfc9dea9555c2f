//! Refunds of payments: reserved on their payment before the processor is asked, then settled.

use super::tx::{Tx, dispatch_tx};
use super::{Store, StoreResult, dispatch};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RefundRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub payment_id: String,
    pub amount: i64,
    pub currency: String,
    /// pending, succeeded or failed
    pub status: String,
    pub reason: Option<String>,
    pub processor_reference: Option<String>,
    pub failure_message: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const REFUND_COLUMNS: &str = "id, organization_id, livemode, payment_id, amount, currency, status, \
     reason, processor_reference, failure_message, created_at, updated_at";

/// A refund to reserve.
#[derive(Debug, Clone)]
pub struct NewRefund<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub payment_id: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub reason: Option<&'a str>,
}

impl Store {
    /// Records a pending refund and reserves its amount on its payment, in one transaction:
    /// `None` (nothing written) unless the payment succeeded and has at least `amount` left
    /// that is not refunded or reserved. The guard is one conditional update of the payment's
    /// row, so concurrent refunds are counted one after the other on either engine.
    pub async fn reserve_refund(
        &self,
        refund: &NewRefund<'_>,
        now: i64,
    ) -> StoreResult<Option<RefundRecord>> {
        let mut tx = self.begin().await?;
        let reserved = dispatch_tx!(tx, |conn| {
            sqlx::query(
                "UPDATE payments SET refunded_amount = refunded_amount + $1, updated_at = $2 \
                 WHERE id = $3 AND organization_id = $4 AND livemode = $5 \
                 AND status = 'succeeded' AND refunded_amount + $1 <= amount",
            )
            .bind(refund.amount)
            .bind(now)
            .bind(refund.payment_id)
            .bind(refund.organization_id)
            .bind(refund.livemode)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if reserved != 1 {
            return Ok(None);
        }
        dispatch_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO refunds (id, organization_id, livemode, payment_id, amount, currency, \
                 status, reason, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8)",
            )
            .bind(refund.id)
            .bind(refund.organization_id)
            .bind(refund.livemode)
            .bind(refund.payment_id)
            .bind(refund.amount)
            .bind(refund.currency)
            .bind(refund.reason)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        let record = tx.refund(refund.id).await?;
        tx.commit().await?;
        Ok(record)
    }

    /// The refunds of a payment, oldest first.
    pub async fn refunds_of_payment(&self, payment_id: &str) -> StoreResult<Vec<RefundRecord>> {
        let sql = format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE payment_id = $1 ORDER BY created_at, id"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, RefundRecord>(&sql)
                .bind(payment_id)
                .fetch_all(db)
                .await?
        }))
    }

    /// Refunds still pending whose last word is older than `before`: the processor's answer to
    /// them was lost, and they are to be asked for again under the same key.
    pub async fn pending_refunds(&self, before: i64, limit: i64) -> StoreResult<Vec<RefundRecord>> {
        let sql = format!(
            "SELECT {REFUND_COLUMNS} FROM refunds WHERE status = 'pending' AND updated_at < $1 \
             ORDER BY updated_at LIMIT $2"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, RefundRecord>(&sql)
                .bind(before)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// The caller's refund `id` in a mode.
    pub async fn refund_of(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<RefundRecord>> {
        self.one_of("refunds", REFUND_COLUMNS, organization_id, livemode, id)
            .await
    }
}

impl Tx {
    pub async fn refund(&mut self, id: &str) -> StoreResult<Option<RefundRecord>> {
        let sql = format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE id = $1");
        Ok(dispatch_tx!(self, |conn| {
            sqlx::query_as::<_, RefundRecord>(&sql)
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
        }))
    }

    /// A pending refund the processor made: `false` when it is no longer pending (settled by
    /// another worker).
    pub async fn refund_succeeded(
        &mut self,
        id: &str,
        processor_reference: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            let changed = sqlx::query(
                "UPDATE refunds SET status = 'succeeded', processor_reference = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'pending'",
            )
            .bind(processor_reference)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if changed == 1 {
                sqlx::query(
                    "UPDATE payments SET refunded_at = $1, updated_at = $1 \
                     WHERE id = (SELECT payment_id FROM refunds WHERE id = $2)",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
            }
            changed
        });
        Ok(changed == 1)
    }

    /// A pending refund the processor refused: its amount is released on its payment. `false`
    /// when it is no longer pending.
    pub async fn refund_failed(&mut self, id: &str, message: &str, now: i64) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            let changed = sqlx::query(
                "UPDATE refunds SET status = 'failed', failure_message = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'pending'",
            )
            .bind(message)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if changed == 1 {
                sqlx::query(
                    "UPDATE payments SET refunded_amount = refunded_amount - \
                     (SELECT amount FROM refunds WHERE id = $1), updated_at = $2 \
                     WHERE id = (SELECT payment_id FROM refunds WHERE id = $1)",
                )
                .bind(id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
            changed
        });
        Ok(changed == 1)
    }

    /// Marks a pending refund as asked again now, so that another worker leaves it for a while.
    pub async fn touch_refund(&mut self, id: &str, now: i64) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query("UPDATE refunds SET updated_at = $1 WHERE id = $2 AND status = 'pending'")
                .bind(now)
                .bind(id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }
}
