//! Storage: one `Store` over SQLite (the embedded default) or PostgreSQL, chosen by the database URL.
//!
//! SQL lives here and nowhere else. Statements are written once in the dialect both engines share
//! (`$n` placeholders, `RETURNING`, `ON CONFLICT`) and the [`dispatch!`] macro runs the same body
//! against whichever pool is configured, so each backend still gets its own statically typed,
//! prepared statements. Where the engines differ (row locking, for one) a method matches on the
//! backend itself.
//!
//! SQLite is driven by one writer connection and a pool of readers: SQLite allows one writer at a
//! time anyway, and queueing writers in the pool instead of in `SQLITE_BUSY` retries keeps latency
//! flat under load. WAL lets the readers run beside the writer. Concurrent transactions share one
//! durable commit ([`group_commit`]).

mod attempts;
mod business_entities;
mod cache;
mod catalog;
mod customers;
mod dashboard;
mod demo;
mod events;
mod group_commit;
mod idempotency;
mod installation;
mod invoices;
mod mails;
mod organizations;
mod payment_links;
mod payment_methods;
mod payments;
mod processor_accounts;
mod purchases;
mod refunds;
mod renewals;
mod sessions;
mod subscriptions;
mod tax_rates;
mod test_processor;
pub mod tx;
mod users;
mod webhooks;

pub use attempts::{AttemptOutcome, AttemptRecord, NewAttempt};
pub use business_entities::BusinessEntityRecord;
/// How long a change made by another instance may take to reach this one's copies of API keys,
/// prices, products and default pricing models.
pub use cache::TTL as CACHE_TTL;
pub use catalog::{
    NewPrice, NewProduct, PriceChanges, PriceRecord, PricingModelRecord, ProductChanges,
    ProductRecord,
};
pub use customers::{CustomerChanges, CustomerRecord, NewCustomer};
pub use dashboard::{Branding, DashboardSessionStore, Storefront};
pub use demo::{DemoFixture, DemoSeed};
pub use events::{EventRecord, NewEvent};
pub use idempotency::{IdempotencyClaim, IdempotencyScope, IdempotencyStart};
pub use invoices::{InvoiceRecord, NewInvoice};
pub use mails::{MailOutcome, MailRecord, NewMail};
pub use organizations::{ApiKeyRecord, NewApiKey, OrganizationRecord};
pub use payment_links::{PaymentLinkChanges, PaymentLinkRecord};
pub use payment_methods::{NewPaymentMethod, PaymentMethodRecord};
pub use payments::{NewPayment, PaymentRecord};
pub use processor_accounts::ProcessorAccountRecord;
pub use purchases::{NewPurchase, PurchaseRecord};
pub use refunds::{NewRefund, RefundRecord};
pub use renewals::{
    AfterFailure, DueRenewal, InvoiceLineRecord, NewInvoiceLine, NewRenewalCharge,
    RenewalChargeRecord,
};
pub use sessions::{DueSession, SessionClaim, SessionCompletion};
pub use subscriptions::{
    Cancellation, NewSubscription, NewSubscriptionItem, StartedSubscription,
    SubscriptionItemRecord, SubscriptionRecord,
};
pub use tax_rates::{TaxRateChanges, TaxRateDetails, TaxRateRecord};
pub use test_processor::{NewTestCharge, TestCharge, TestRefund};
pub use tx::Tx;
pub use users::UserRecord;
pub use webhooks::{
    AttemptLogRecord, AttemptResult, ClaimedDelivery, DeliveryRecord, EndpointChanges,
    EndpointRecord, NewEndpoint,
};

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// A multi-row `VALUES` list: `count` rows, each drawn by `row` from its own `per_row` numbered
/// parameters, numbered on from `$first` (`row(["$4", "$5"])`, then `row(["$6", "$7"])`, …), so
/// that many rows are written in one statement on either engine.
pub(super) fn value_rows(
    count: usize,
    first: usize,
    per_row: usize,
    row: impl Fn(&[String]) -> String,
) -> String {
    let mut params = Vec::with_capacity(per_row);
    let mut rows = Vec::with_capacity(count);
    for i in 0..count {
        params.clear();
        params.extend((0..per_row).map(|j| format!("${}", first + i * per_row + j)));
        rows.push(row(&params));
    }
    rows.join(", ")
}

/// Runs `$body` with `$db` bound to the pool that serves the access kind (`read` or `write`).
///
/// The body is compiled once per backend, so it may use any sqlx API that both engines support.
macro_rules! dispatch {
    ($store:expr, read, |$db:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite { reader, .. } => {
                let $db = reader;
                $body
            }
            $crate::store::Backend::Postgres { pool } => {
                let $db = pool;
                $body
            }
        }
    };
    ($store:expr, write, |$db:ident| $body:expr) => {
        match &$store.backend {
            $crate::store::Backend::Sqlite { writer, .. } => {
                let $db = writer;
                $body
            }
            $crate::store::Backend::Postgres { pool } => {
                let $db = pool;
                $body
            }
        }
    };
}
pub(crate) use dispatch;

/// A failure of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint refused the write; the string names the constraint where the engine says.
    #[error("conflicts with an existing row ({0})")]
    Conflict(String),
    #[error("the database URL is not valid: {0}")]
    InvalidUrl(String),
    #[error(transparent)]
    Database(sqlx::Error),
    /// A statement run on the SQLite writer's handle directly ([`group_commit::Work`]) failed.
    #[error(transparent)]
    Sqlite(rusqlite::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The batch holding a transaction's writes could not be committed: the writes are lost.
    #[error("the write could not be committed: {0}")]
    Commit(String),
    /// The request's idempotency key was taken over by a retry (the request's hold on it ran
    /// out): what it was writing was rolled back, so that the key's effect happens once.
    #[error("the idempotency key was taken over by a retry; nothing was written")]
    IdempotencyKeyLost,
    /// A stored value that cannot be read back: a bug, or a row edited by hand.
    #[error("a stored value cannot be read: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &error
            && db.is_unique_violation()
        {
            let name = db
                .constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| db.message().to_owned());
            return StoreError::Conflict(name);
        }
        StoreError::Database(error)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(error: rusqlite::Error) -> Self {
        if idempotency::is_key_lost(&error) {
            return StoreError::IdempotencyKeyLost;
        }
        if let rusqlite::Error::SqliteFailure(failure, message) = &error
            && matches!(
                failure.extended_code,
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            )
        {
            return StoreError::Conflict(message.clone().unwrap_or_else(|| failure.to_string()));
        }
        StoreError::Sqlite(error)
    }
}

impl From<group_commit::WorkError> for StoreError {
    fn from(error: group_commit::WorkError) -> Self {
        match error {
            group_commit::WorkError::Statement(error) => error.into(),
            group_commit::WorkError::Batch(error) => StoreError::Commit(error),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which engine a `Store` runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
        /// Runs every [`Tx`], grouping concurrent ones into one commit.
        batches: group_commit::GroupCommit,
    },
    Postgres {
        pool: PgPool,
    },
}

/// Tuning of the connection pools. The defaults suit one kassa process on a small machine.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Connections to PostgreSQL, or SQLite reader connections.
    pub max_connections: u32,
    /// How long a request waits for a connection before it fails.
    pub acquire_timeout: Duration,
    /// How long a PostgreSQL connection may sit idle in the pool before it is checked (a ping)
    /// when next acquired; one used more recently is handed out as it is.
    pub check_idle_after: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(10),
            check_idle_after: Duration::from_secs(10),
        }
    }
}

/// The handle to kassa's database. Cheap to clone: it holds pools.
#[derive(Clone)]
pub struct Store {
    pub(crate) backend: Backend,
    /// Rows nearly every API request reads, kept briefly in memory (see [`cache`]).
    pub(crate) caches: std::sync::Arc<cache::Caches>,
    /// What this kassa counts for `/metrics`; kept here because every service and worker has
    /// the store.
    metrics: crate::metrics::Metrics,
}

impl Store {
    /// Connects to `url` (`sqlite://…` or `postgres://…`), creating an SQLite file when missing.
    /// Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str, settings: &PoolSettings) -> StoreResult<Store> {
        match engine_of(url)? {
            Engine::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|e| StoreError::InvalidUrl(e.to_string()))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: a commit that returned survives power loss; payments need that.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5));
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .acquire_timeout(settings.acquire_timeout)
                    .test_before_acquire(false)
                    // No commit runs a checkpoint: `checkpoint_wal` does, beside the writer.
                    .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
                    .await?;
                tokio::spawn(checkpoint_wal(options.clone(), writer.clone()));
                let reader = SqlitePoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    // A connection to a file does not drop, and sqlx's check before each
                    // acquire is a round trip to the connection's worker thread, a hand-off like
                    // the query's own (perf: waking that thread is a retrieval's largest cost).
                    .test_before_acquire(false)
                    .connect_with(options.read_only(true))
                    .await?;
                let metrics = crate::metrics::Metrics::new();
                let batches = group_commit::GroupCommit::start_counted(
                    writer.clone(),
                    group_commit::MAX_WAIT,
                    Some(metrics.clone()),
                );
                Ok(Store {
                    backend: Backend::Sqlite {
                        writer,
                        reader,
                        batches,
                    },
                    caches: Default::default(),
                    metrics,
                })
            }
            Engine::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::InvalidUrl(e.to_string()))?;
                let check_idle_after = settings.check_idle_after;
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.acquire_timeout)
                    // sqlx pings a connection each time it is acquired by default: one more
                    // round trip to the server per request. Only a connection that sat idle for
                    // a while may have been dropped meanwhile (a restarted server, a firewall);
                    // those are checked, one in use moments ago is not.
                    .test_before_acquire(false)
                    .before_acquire(move |conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for >= check_idle_after {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
                    .connect_with(options)
                    .await?;
                Ok(Store {
                    backend: Backend::Postgres { pool },
                    caches: Default::default(),
                    metrics: crate::metrics::Metrics::new(),
                })
            }
        }
    }

    /// Applies every pending migration of this engine. Safe to run from several processes at
    /// once: sqlx takes a lock (an advisory lock on PostgreSQL) while it migrates.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => {
                sqlx::migrate!("migrations/sqlite").run(writer).await?
            }
            Backend::Postgres { pool } => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        match self.backend {
            Backend::Sqlite { .. } => Engine::Sqlite,
            Backend::Postgres { .. } => Engine::Postgres,
        }
    }

    /// Answers when the database answers a trivial query.
    pub async fn ping(&self) -> StoreResult<()> {
        dispatch!(self, read, |db| {
            sqlx::query("SELECT 1").execute(db).await?;
        });
        Ok(())
    }

    /// Closes every connection, waiting for those in use to be returned.
    /// What this kassa counts.
    pub fn metrics(&self) -> &crate::metrics::Metrics {
        &self.metrics
    }

    /// The metrics as text, with the pools' connections as they are now.
    pub fn render_metrics(&self) -> String {
        let count = |pool: &str, size: u32, idle: usize| {
            let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
            self.metrics.pool(pool, size - idle, idle);
        };
        match &self.backend {
            Backend::Sqlite { writer, reader, .. } => {
                count("sqlite_writer", writer.size(), writer.num_idle());
                count("sqlite_reader", reader.size(), reader.num_idle());
            }
            Backend::Postgres { pool } => count("postgres", pool.size(), pool.num_idle()),
        }
        self.metrics.render()
    }

    /// Copies a SQLite database to `path` while kassa may be running (`VACUUM INTO`: one
    /// consistent snapshot, written by a reader without stopping the writer, compacted), or
    /// `None` on PostgreSQL, whose own tool (`pg_dump`) is the one to use.
    pub async fn backup_to(&self, path: &str) -> StoreResult<Option<()>> {
        match &self.backend {
            Backend::Sqlite { reader, .. } => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path)
                    .execute(reader)
                    .await?;
                Ok(Some(()))
            }
            Backend::Postgres { .. } => Ok(None),
        }
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { writer, reader, .. } => {
                reader.close().await;
                writer.close().await;
            }
            Backend::Postgres { pool } => pool.close().await,
        }
    }
}

/// Where a page of a list starts: after the row with this creation time and id (lists run newest
/// first, so "after" means older).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: String,
}

/// Which page of a list to read. Keyset pagination: the cost of a page does not grow with its
/// depth, and rows added meanwhile do not shift later pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl PageRequest {
    /// The newest `limit` items.
    pub fn first(limit: u32) -> PageRequest {
        PageRequest { limit, after: None }
    }
}

/// A page of a list, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_more: bool,
}

impl Store {
    /// A page of `table`'s rows of one organization and mode. `table` and `columns` are constants
    /// of this module, never input.
    async fn page_of<R>(
        &self,
        table: &'static str,
        columns: &'static str,
        filter: &'static str,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let (created_at, id) = match &page.after {
            Some(cursor) => (cursor.created_at, cursor.id.as_str()),
            None => (i64::MAX, ""),
        };
        let limit = i64::from(page.limit.max(1)) + 1;
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE organization_id = $1 AND livemode = $2{filter} \
             AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        );
        let mut items = dispatch!(self, read, |db| {
            sqlx::query_as::<_, R>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .bind(created_at)
                .bind(id)
                .bind(limit)
                .fetch_all(db)
                .await?
        });
        let has_more = items.len() > page.limit.max(1) as usize;
        items.truncate(page.limit.max(1) as usize);
        Ok(Page { items, has_more })
    }

    /// One row of `table` by id, if it belongs to the organization and mode.
    async fn one_of<R>(
        &self,
        table: &'static str,
        columns: &'static str,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE id = $1 AND organization_id = $2 AND livemode = $3"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, R>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(db)
                .await?
        }))
    }

    /// A customer's rows of `table` in one organization and mode, newest first, at most `limit`.
    async fn of_customer<R>(
        &self,
        table: &'static str,
        columns: &'static str,
        organization_id: &str,
        livemode: bool,
        customer_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE customer_id = $1 AND organization_id = $2 \
             AND livemode = $3 ORDER BY created_at DESC, id DESC LIMIT $4"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, R>(&sql)
                .bind(customer_id)
                .bind(organization_id)
                .bind(livemode)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    async fn count_of(
        &self,
        table: &'static str,
        filter: &'static str,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM {table} WHERE organization_id = $1 AND livemode = $2{filter}"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, i64>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .fetch_one(db)
                .await?
        }))
    }

    /// What ends a `SELECT` that a transaction will update: PostgreSQL locks the row; SQLite's
    /// write transaction already excludes every other writer.
    fn lock_clause(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "",
            Backend::Postgres { .. } => " FOR UPDATE",
        }
    }
}

/// How often the WAL is copied back into the database file.
///
/// Each checkpoint ends in an fsync of the database file, and the writer's commits, which fsync
/// the WAL on the same disk, wait behind it: each checkpoint is a stall of a few milliseconds
/// for the requests writing then, whatever the number of pages it copies. Measured on 2 cores
/// creating 3200 sessions/s right after a peak run, p99 was 7.6 to 7.8 ms checkpointing every
/// 250 ms, 4.0 ms every second, 3.0 ms every 3 s, 2.3 ms never. Once a second keeps the log
/// within about what SQLite's own threshold (1000 pages) lets it reach at a moderate rate.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Checkpoints SQLite's write-ahead log on a connection of its own until the writer pool closes.
///
/// SQLite's automatic checkpoint runs inside the commit that takes the log past 1000 pages: that
/// one commit copies the pages into the database file and waits for the disk, and every write
/// queued behind the one writer waits with it (a stall of milliseconds every few hundred
/// transactions). A passive checkpoint here copies what no reader still needs while the writer
/// goes on appending; the log restarts from its beginning once a checkpoint has caught up.
async fn checkpoint_wal(options: SqliteConnectOptions, writer: SqlitePool) {
    use sqlx::Connection;
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut conn = None;
    while !writer.is_closed() {
        every.tick().await;
        let open = match conn.as_mut() {
            Some(open) => open,
            None => match sqlx::SqliteConnection::connect_with(&options).await {
                Ok(opened) => conn.insert(opened),
                Err(error) => {
                    tracing::warn!(%error, "cannot open the WAL checkpoint connection; retrying");
                    continue;
                }
            },
        };
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(open)
            .await
        {
            tracing::warn!(%error, "a WAL checkpoint failed; retrying on a new connection");
            conn = None;
        }
    }
    if let Some(open) = conn {
        let _ = open.close().await;
    }
}

/// Tells the engine from a database URL's scheme, or says what schemes kassa accepts.
pub fn engine_of(url: &str) -> StoreResult<Engine> {
    let scheme = url
        .split_once(':')
        .map(|(scheme, _)| scheme)
        .unwrap_or_default();
    match scheme {
        "sqlite" => Ok(Engine::Sqlite),
        "postgres" | "postgresql" => Ok(Engine::Postgres),
        _ => Err(StoreError::InvalidUrl(format!(
            "`{url}` is neither sqlite://… nor postgres://…"
        ))),
    }
}

/// Milliseconds since the Unix epoch: the unit of every stored timestamp.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

/// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, taking the write lock up front, so
/// that another process's writer makes it wait (busy timeout) instead of failing mid-transaction.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, Self::Db>>;
}

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        match self.begin_with("BEGIN IMMEDIATE").await {
            // sqlx believes this connection is still inside a transaction: a `BEGIN` whose caller
            // was cancelled after SQLite had begun it but before the caller heard so leaves the
            // connection's depth at 1 with no `Transaction` to end it (sqlx 0.8). Every later
            // write on it would fail, and the writer pool has one connection; take it out of the
            // pool (closing it rolls back) and begin on a fresh one.
            Err(sqlx::Error::InvalidSavePointStatement) => {
                tracing::warn!(
                    "the SQLite writer connection was left inside a transaction; replacing it"
                );
                drop(self.acquire().await?.detach());
                self.begin_with("BEGIN IMMEDIATE").await
            }
            other => other,
        }
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> sqlx::Result<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.begin().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_is_checkpointed_beside_the_writer_not_in_its_commits() {
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("c.db");
        let url = format!("sqlite://{}", file.display());
        let store = Store::connect(&url, &PoolSettings::default())
            .await
            .unwrap();
        let size = || std::fs::metadata(&file).unwrap().len();
        let mut tx = store.begin().await.unwrap();
        let wrote: StoreResult<()> = async {
            tx::dispatch_tx!(tx, |conn| {
                sqlx::query("CREATE TABLE blobs (b BLOB)")
                    .execute(&mut *conn)
                    .await?;
                // About 600 pages: below the 1000 at which a commit would checkpoint by itself.
                for _ in 0..600 {
                    sqlx::query("INSERT INTO blobs VALUES (zeroblob(4000))")
                        .execute(&mut *conn)
                        .await?;
                }
            });
            Ok(())
        }
        .await;
        wrote.unwrap();
        tx.commit().await.unwrap();
        let written = size();
        tokio::time::sleep(CHECKPOINT_EVERY * 2 + Duration::from_millis(500)).await;
        assert!(
            size() > written + 2_000_000,
            "the database file grew from {written} to {} bytes",
            size()
        );
        store.close().await;
    }

    #[tokio::test]
    async fn a_writer_left_inside_a_transaction_is_replaced() {
        let folder = tempfile::tempdir().unwrap();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(folder.path().join("w.db"))
                    .create_if_missing(true),
            )
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)")
            .execute(&pool)
            .await
            .unwrap();
        // What a cancelled BEGIN leaves: the pool's one connection, begun, with nothing to end it.
        {
            let mut conn = pool.acquire().await.unwrap();
            let tx = sqlx::Connection::begin(&mut *conn).await.unwrap();
            std::mem::forget(tx);
        }
        assert!(matches!(
            pool.begin_with("BEGIN IMMEDIATE").await,
            Err(sqlx::Error::InvalidSavePointStatement)
        ));
        let mut tx = pool.begin_write().await.unwrap();
        sqlx::query("INSERT INTO t VALUES (1)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 1);
    }

    #[test]
    fn engine_follows_the_url_scheme() {
        assert_eq!(engine_of("sqlite://kassa.db").unwrap(), Engine::Sqlite);
        assert_eq!(engine_of("sqlite::memory:").unwrap(), Engine::Sqlite);
        assert_eq!(engine_of("postgres://u@h/db").unwrap(), Engine::Postgres);
        assert_eq!(engine_of("postgresql://u@h/db").unwrap(), Engine::Postgres);
        assert!(matches!(
            engine_of("mysql://h/db"),
            Err(StoreError::InvalidUrl(_))
        ));
        assert!(matches!(
            engine_of("kassa.db"),
            Err(StoreError::InvalidUrl(_))
        ));
    }
}
