//! A write transaction over either engine, for operations that span several tables (finalizing a
//! checkout). Methods on [`Tx`] live beside the tables they write; [`dispatch_tx!`] runs one body
//! per engine, as [`super::dispatch!`] does for pools.

use super::group_commit::Lease;
use super::{Backend, BeginWrite, Store, StoreError, StoreResult};

pub(crate) enum TxInner {
    /// A turn at the SQLite writer inside a group commit.
    Sqlite(Lease),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// An open write transaction. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    pub(crate) inner: TxInner,
}

/// Runs `$body` with `$conn` bound to the transaction's connection.
macro_rules! dispatch_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut $tx.inner {
            $crate::store::tx::TxInner::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
            $crate::store::tx::TxInner::Postgres(transaction) => {
                let $conn = &mut **transaction;
                $body
            }
        }
    };
}
pub(crate) use dispatch_tx;

impl Store {
    /// Starts a write transaction (on SQLite, holding the write lock from the start, inside a
    /// group commit: [`Tx::commit`] returns once the batch holding it is durable).
    pub async fn begin(&self) -> StoreResult<Tx> {
        let inner = match &self.backend {
            Backend::Sqlite { batches, .. } => {
                TxInner::Sqlite(batches.begin().await.map_err(StoreError::Commit)?)
            }
            Backend::Postgres { pool } => TxInner::Postgres(pool.begin_write().await?),
        };
        Ok(Tx { inner })
    }
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self.inner {
            TxInner::Sqlite(lease) => lease.commit().await.map_err(StoreError::Commit)?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// `FOR UPDATE` on PostgreSQL; nothing on SQLite, whose write transaction excludes all others.
    pub(crate) fn lock_clause(&self) -> &'static str {
        match self.inner {
            TxInner::Sqlite(_) => "",
            TxInner::Postgres(_) => " FOR UPDATE",
        }
    }
}
