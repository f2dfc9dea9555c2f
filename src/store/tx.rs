//! A write transaction over either engine, for operations that span several tables (finalizing a
//! checkout). Methods on [`Tx`] live beside the tables they write; [`dispatch_tx!`] runs one body
//! per engine, as [`super::dispatch!`] does for pools.
//!
//! On SQLite every statement run through sqlx is a round trip between this task and sqlx's
//! worker thread, and the writer, which every write waits for, is held meanwhile. So a write
//! whose outcome the caller does not read ([`write_later!`]) is kept, with its parameters, and
//! run with the next statement whose outcome is read ([`write_counted!`], or any [`dispatch_tx!`]
//! body) or at the commit: all of them in one call on the writer's SQLite handle. Its error, if
//! any, comes from that later call, and the transaction is then rolled back whole, as it would
//! have been. On PostgreSQL each runs at once.

use super::group_commit::{Lease, Owned};
use super::{Backend, BeginWrite, Store, StoreError, StoreResult};
use std::borrow::Cow;

pub(crate) enum TxInner {
    /// A turn at the SQLite writer inside a group commit.
    Sqlite(SqliteTx),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// A transaction's turn at the SQLite writer, and the writes it keeps to run together.
pub(crate) struct SqliteTx {
    pub(crate) lease: Lease,
    pending: Vec<(Cow<'static, str>, Owned)>,
}

impl SqliteTx {
    /// Keeps a write to run with the next statement whose outcome is read, or at the commit.
    pub(crate) fn defer(&mut self, sql: Cow<'static, str>, params: Owned) {
        self.pending.push((sql, params));
    }

    /// Runs the writes kept so far.
    pub(crate) async fn flush(&mut self) -> StoreResult<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.run(None).await.map(drop)
    }

    /// Runs the writes kept so far, then `sql`: the rows `sql` changed.
    pub(crate) async fn counted(
        &mut self,
        sql: Cow<'static, str>,
        params: Owned,
    ) -> StoreResult<u64> {
        self.run(Some((sql, params))).await
    }

    async fn run(&mut self, last: Option<(Cow<'static, str>, Owned)>) -> StoreResult<u64> {
        let pending = std::mem::take(&mut self.pending);
        let conn: &mut sqlx::SqliteConnection = &mut self.lease;
        let mut handle = conn.lock_handle().await?;
        // SAFETY: the handle is sqlx's open connection, and while `handle` (its lock) lives,
        // sqlx's worker thread makes no call on it, so this task has it to itself. `from_handle`
        // does not close it; `db` is dropped below before the lock, and with it every statement
        // it prepared, so nothing of rusqlite's outlives this use.
        let db = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }?;
        let ran = (|| {
            for (sql, params) in &pending {
                params.execute(&db, sql)?;
            }
            match &last {
                Some((sql, params)) => params.execute(&db, sql),
                None => Ok(0),
            }
        })();
        drop(db);
        drop(handle);
        Ok(ran? as u64)
    }
}

/// Runs a write whose outcome the caller does not read: `$bind` is the statement's `.bind(…)`
/// chain on `$query` (see the module's doc). Needs an async fn returning [`StoreResult`].
macro_rules! write_later {
    ($tx:expr, $sql:expr, |$query:ident| $bind:expr) => {
        match &mut $tx.inner {
            $crate::store::tx::TxInner::Sqlite(transaction) => {
                let $query = $crate::store::group_commit::Owned::new();
                let params = $bind.done().map_err($crate::store::StoreError::Corrupt)?;
                transaction.defer(::std::borrow::Cow::from($sql), params);
            }
            $crate::store::tx::TxInner::Postgres(transaction) => {
                let sql = $sql;
                let $query = sqlx::query(&sql);
                $bind.execute(&mut **transaction).await?;
            }
        }
    };
}
pub(crate) use write_later;

/// Runs a write, and the writes kept before it, now: the rows it changed.
macro_rules! write_counted {
    ($tx:expr, $sql:expr, |$query:ident| $bind:expr) => {
        match &mut $tx.inner {
            $crate::store::tx::TxInner::Sqlite(transaction) => {
                let $query = $crate::store::group_commit::Owned::new();
                let params = $bind.done().map_err($crate::store::StoreError::Corrupt)?;
                transaction
                    .counted(::std::borrow::Cow::from($sql), params)
                    .await?
            }
            $crate::store::tx::TxInner::Postgres(transaction) => {
                let sql = $sql;
                let $query = sqlx::query(&sql);
                $bind.execute(&mut **transaction).await?.rows_affected()
            }
        }
    };
}
pub(crate) use write_counted;

/// An open write transaction. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    pub(crate) inner: TxInner,
}

/// Runs `$body` with `$conn` bound to the transaction's connection.
macro_rules! dispatch_tx {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut $tx.inner {
            $crate::store::tx::TxInner::Sqlite(transaction) => {
                // The writes kept so far run first: this body may read what they wrote.
                transaction.flush().await?;
                let $conn = &mut *transaction.lease;
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
            Backend::Sqlite { batches, .. } => TxInner::Sqlite(SqliteTx {
                lease: batches.begin().await.map_err(StoreError::Commit)?,
                pending: Vec::new(),
            }),
            Backend::Postgres { pool } => TxInner::Postgres(pool.begin_write().await?),
        };
        Ok(Tx { inner })
    }
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        match self.inner {
            TxInner::Sqlite(mut transaction) => {
                transaction.flush().await?;
                transaction
                    .lease
                    .commit()
                    .await
                    .map_err(StoreError::Commit)?
            }
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
