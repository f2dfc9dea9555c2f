//! Group commit for SQLite: many requests' write transactions share one durable commit.
//!
//! SQLite has one writer, and with `synchronous = FULL` every commit waits for the disk (an
//! fsync). One transaction per request makes that wait, and the writer's hand-offs around
//! `BEGIN` and `COMMIT`, the ceiling of every write path. Here one task owns the turn at the
//! writer connection. It opens a transaction, lends the connection to the first waiting [`Tx`]
//! (as a [`Lease`]), and, while more requests are already queued when a lease comes back, lends
//! it on to them inside the same transaction, each in its own savepoint. When the queue is empty
//! (or the batch is full) it commits once and only then tells every member its commit is
//! durable: a `Tx::commit` that returned has survived power loss, as before.
//!
//! A member that rolls back (an error, or a `Tx` dropped without commit) undoes only its own
//! savepoint. A commit that fails fails every member of its batch. Under light load a batch has
//! one member and costs what a plain transaction did: `BEGIN IMMEDIATE`, the statements, `COMMIT`.
//!
//! A member's turn is the batch's throughput: the writer serves one member at a time. Lending the
//! connection costs a turn two hand-offs between tasks and a round trip to sqlx's SQLite worker
//! thread per statement (the savepoint, then the member's own). A write known in advance can
//! instead be queued as [`Work`] ([`GroupCommit::run`]): the batch takes the connection's SQLite
//! handle from sqlx's worker once ([`SqliteConnection::lock_handle`]) and runs that work, and the
//! work queued behind it, right there, each statement a plain call into SQLite (rusqlite over the
//! same handle). Only `COMMIT`, which waits for the disk, goes back to the worker thread.
//!
//! Statements outside a [`Tx`] (single-statement writes on the writer pool) take turns with
//! whole batches: the task holds the pool's one writer connection only while a batch runs.

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
use std::ops::{Deref, DerefMut};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The most transactions one commit covers.
const MAX_BATCH: usize = 64;

/// How long the first kept member of a batch may wait for the members after it before the batch
/// commits anyway. Every member waits for the whole batch, so this bounds the latency grouping
/// adds: at about 0.3 ms per member (2 cores, loopback), 64 members would be 20 ms. One commit
/// (an fsync, about 0.5 ms there) shared over 2 ms of members keeps most of the gain: the peak
/// rate of session creation measured the same with and without this bound.
pub(crate) const MAX_WAIT: Duration = Duration::from_millis(2);

/// A write run whole by the batch, inside its own savepoint, on the writer's SQLite handle. It
/// runs synchronously on the batch's task, so it must be statements only (no waiting on anything
/// else): SQLite keeps the writes in memory until the batch's `COMMIT`. Ok keeps its writes, which
/// are durable once the batch commits; an error undoes them.
pub(crate) type Work = Box<dyn FnOnce(&rusqlite::Connection) -> rusqlite::Result<()> + Send>;

/// Binds a prepared statement's parameters in order, through the same `.bind(value)` chain as an
/// sqlx query, so that one list of binds serves both; [`Positional::done`] says whether all took.
pub(crate) struct Positional<'s, 'c> {
    statement: &'s mut rusqlite::CachedStatement<'c>,
    next: usize,
    failed: Option<rusqlite::Error>,
}

impl<'s, 'c> Positional<'s, 'c> {
    pub(crate) fn new(statement: &'s mut rusqlite::CachedStatement<'c>) -> Self {
        Positional {
            statement,
            next: 1,
            failed: None,
        }
    }

    pub(crate) fn bind<T: rusqlite::ToSql>(mut self, value: T) -> Self {
        // SQLite numbers `$n` parameters in the order they first appear, which need not be n's.
        let index = match self.statement.parameter_index(&format!("${}", self.next)) {
            Ok(Some(index)) => index,
            _ => self.next,
        };
        if self.failed.is_none()
            && let Err(error) = self.statement.raw_bind_parameter(index, value)
        {
            self.failed = Some(error);
        }
        self.next += 1;
        self
    }

    /// The first bind that failed; also an error when the count differs from the statement's.
    pub(crate) fn done(self) -> rusqlite::Result<()> {
        if let Some(error) = self.failed {
            return Err(error);
        }
        let expected = self.statement.parameter_count();
        match self.next - 1 {
            bound if bound == expected => Ok(()),
            bound => Err(rusqlite::Error::InvalidParameterCount(bound, expected)),
        }
    }
}

/// A statement's parameters taken in the request's task, through the same `.bind(value)` chain
/// as an sqlx query, and owned, so that [`Work`] queued for the writer can bind them there
/// ([`Owned::execute`]) without borrowing from the request.
#[derive(Debug, Default)]
pub(crate) struct Owned {
    values: Vec<rusqlite::types::Value>,
    failed: Option<String>,
}

impl Owned {
    pub(crate) fn new() -> Owned {
        Owned::default()
    }

    pub(crate) fn bind<T: rusqlite::ToSql>(mut self, value: T) -> Self {
        use rusqlite::types::ToSqlOutput;
        match value.to_sql() {
            Ok(ToSqlOutput::Borrowed(v)) => self.values.push(v.into()),
            Ok(ToSqlOutput::Owned(v)) => self.values.push(v),
            Ok(_) => {
                self.failed = Some(format!(
                    "parameter {} is not a plain value",
                    self.values.len() + 1
                ))
            }
            Err(error) => self.failed = Some(error.to_string()),
        }
        self
    }

    /// The parameters, or why one could not be taken.
    pub(crate) fn done(self) -> Result<Owned, String> {
        match self.failed {
            Some(why) => Err(why),
            None => Ok(self),
        }
    }

    /// Runs `sql` (prepared once per run of work) with these parameters, the first bound to
    /// `$1` and so on: the rows it changed. (SQLite numbers `$n` parameters in the order they
    /// first appear, which need not be n's, so each is bound by its name.)
    pub(crate) fn execute(&self, db: &rusqlite::Connection, sql: &str) -> rusqlite::Result<usize> {
        let mut statement = db.prepare_cached(sql)?;
        let expected = statement.parameter_count();
        if self.values.len() != expected {
            return Err(rusqlite::Error::InvalidParameterCount(
                self.values.len(),
                expected,
            ));
        }
        for index in 1..=expected {
            let number = statement
                .parameter_name(index)
                .and_then(|name| name.strip_prefix('$'))
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(index);
            let value = self
                .values
                .get(number.wrapping_sub(1))
                .ok_or(rusqlite::Error::InvalidParameterCount(number, expected))?;
            statement.raw_bind_parameter(index, value)?;
        }
        statement.raw_execute()
    }
}

/// The error [`Work`] returns when it finds what it depends on gone (a row another writer moved
/// first): its writes are undone, and its caller hears [`Abandoned::of`] and writes nothing.
#[derive(Debug)]
pub(crate) struct Abandoned;

impl std::fmt::Display for Abandoned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the work found what it depends on changed")
    }
}

impl std::error::Error for Abandoned {}

impl Abandoned {
    /// As work returns it: rusqlite's one variant (without its `functions` feature) that holds
    /// an error of the caller's.
    pub(crate) fn rusqlite() -> rusqlite::Error {
        rusqlite::Error::ToSqlConversionFailure(Box::new(Abandoned))
    }

    /// Whether the work ended so.
    pub(crate) fn of(error: &WorkError) -> bool {
        matches!(error, WorkError::Statement(rusqlite::Error::ToSqlConversionFailure(e)) if e.is::<Abandoned>())
    }
}

/// Why queued [`Work`] wrote nothing.
#[derive(Debug)]
pub(crate) enum WorkError {
    /// One of its statements failed (or it panicked); its writes were undone, the batch went on.
    Statement(rusqlite::Error),
    /// Its batch could not be committed (or the writer has stopped).
    Batch(String),
}

/// What waits in the queue for a turn at the writer.
enum Waiter {
    /// A `Tx`, to be lent the connection, or told why it could not be had.
    Lease(oneshot::Sender<Result<Lease, String>>),
    /// Work the batch runs itself, and who hears how it ended.
    Work(Work, oneshot::Sender<Result<(), WorkError>>),
}

/// A waiter and when it joined the queue.
struct Queued {
    at: Instant,
    waiter: Waiter,
}

impl Queued {
    fn now(waiter: Waiter) -> Queued {
        Queued {
            at: Instant::now(),
            waiter,
        }
    }
}

/// A member whose writes are kept, waiting to hear that they are durable.
enum Kept {
    Lease(oneshot::Sender<Result<(), String>>),
    Work(oneshot::Sender<Result<(), WorkError>>),
}

impl Kept {
    fn tell(self, outcome: Result<(), &str>) {
        let outcome = outcome.map_err(str::to_owned);
        match self {
            Kept::Lease(member) => drop(member.send(outcome)),
            Kept::Work(member) => drop(member.send(outcome.map_err(WorkError::Batch))),
        }
    }
}

/// The two savepoint names members take in turn, so that one member's statements can release
/// the savepoint before them and open their own in one round trip, and a failure among them can
/// never roll back the member before (its savepoint has the other name).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Savepoint {
    A,
    B,
}

impl Savepoint {
    /// What opens a member's place in an open batch, `held` being the kept member before's.
    fn opening(held: Option<Savepoint>) -> (Savepoint, &'static str) {
        match held {
            None => (Savepoint::A, "SAVEPOINT member_a; "),
            Some(Savepoint::A) => (Savepoint::B, "RELEASE member_a; SAVEPOINT member_b; "),
            Some(Savepoint::B) => (Savepoint::A, "RELEASE member_b; SAVEPOINT member_a; "),
        }
    }

    fn undo(self) -> &'static str {
        match self {
            Savepoint::A => "ROLLBACK TO member_a; RELEASE member_a",
            Savepoint::B => "ROLLBACK TO member_b; RELEASE member_b",
        }
    }
}

/// Runs statements without parameters (`"A; B; "`) on the handle, each prepared once per run of
/// work rather than parsed again for every member.
fn execute_cached(db: &rusqlite::Connection, statements: &str) -> rusqlite::Result<()> {
    for sql in statements
        .split(';')
        .map(str::trim)
        .filter(|sql| !sql.is_empty())
    {
        db.prepare_cached(sql)?.raw_execute()?;
    }
    Ok(())
}

/// The handle through which [`super::Store::begin`] asks for a turn at the writer.
#[derive(Clone)]
pub(crate) struct GroupCommit {
    queue: mpsc::UnboundedSender<Queued>,
    /// Commits made so far and the last one's figures; the tests read them to see transactions
    /// grouped and timed.
    #[cfg_attr(not(test), allow(dead_code))]
    commits: Arc<Mutex<Commits>>,
}

/// How many commits the batches have made, and the last one's figures.
#[derive(Default)]
struct Commits {
    count: u64,
    last: Option<Committed>,
    /// Where commits are counted for `/metrics`.
    metrics: Option<crate::metrics::Metrics>,
}

/// A committed batch: its members and where their time went.
#[derive(Clone, Copy, Debug)]
struct Committed {
    members: usize,
    /// The longest a member waited in the queue for its turn at the writer.
    queued: Duration,
    /// From taking the writer connection to `COMMIT`: `BEGIN` and every member's statements.
    run: Duration,
    /// `COMMIT`, which waits for the disk.
    commit: Duration,
}

impl Committed {
    /// Where a write's latency goes, for an operator (or bench/run) who turns this module's debug
    /// log on: waiting for the writer, the batch's statements, and the commit.
    fn log(&self) {
        tracing::debug!(
            members = self.members,
            queued_us = self.queued.as_micros() as u64,
            run_us = self.run.as_micros() as u64,
            commit_us = self.commit.as_micros() as u64,
            "batch committed"
        );
    }
}

impl GroupCommit {
    /// Starts the task that runs batches on `writer` (a pool of one connection), keeping no
    /// member waiting for later ones longer than `max_wait` ([`MAX_WAIT`] but in tests).
    #[cfg(test)]
    pub(crate) fn start(writer: SqlitePool, max_wait: Duration) -> GroupCommit {
        GroupCommit::start_counted(writer, max_wait, None)
    }

    /// As `start`, counting each commit (and its batch's size) in `metrics`.
    pub(crate) fn start_counted(
        writer: SqlitePool,
        max_wait: Duration,
        metrics: Option<crate::metrics::Metrics>,
    ) -> GroupCommit {
        let (queue, waiting) = mpsc::unbounded_channel();
        let commits = Arc::new(Mutex::new(Commits {
            metrics,
            ..Commits::default()
        }));
        tokio::spawn(run(writer, waiting, max_wait, commits.clone()));
        GroupCommit { queue, commits }
    }

    /// How many commits the batches have made so far.
    #[cfg(test)]
    pub(crate) fn commits(&self) -> u64 {
        self.commits.lock().expect("commits are counted").count
    }

    /// The last batch committed.
    #[cfg(test)]
    fn last_committed(&self) -> Option<Committed> {
        self.commits.lock().expect("commits are counted").last
    }

    /// Waits for this transaction's turn at the writer connection.
    pub(crate) async fn begin(&self) -> Result<Lease, String> {
        let (reply, turn) = oneshot::channel();
        self.queue
            .send(Queued::now(Waiter::Lease(reply)))
            .map_err(|_| "the SQLite writer has stopped".to_owned())?;
        turn.await
            .map_err(|_| "the SQLite writer has stopped".to_owned())?
    }

    /// Queues `work` for the writer and waits until its writes are durable (or undone). Dropped
    /// before its turn, the work does not run.
    pub(crate) async fn run(&self, work: Work) -> Result<(), WorkError> {
        let stopped = || WorkError::Batch("the SQLite writer has stopped".to_owned());
        let (reply, done) = oneshot::channel();
        self.queue
            .send(Queued::now(Waiter::Work(work, reply)))
            .map_err(|_| stopped())?;
        done.await.map_err(|_| stopped())?
    }
}

/// How a lease ended.
enum Outcome {
    /// Keep its writes; the sender hears when they are durable.
    Keep(oneshot::Sender<Result<(), String>>),
    Undo,
}

struct Returned {
    conn: PoolConnection<Sqlite>,
    outcome: Outcome,
}

/// A transaction's use of the writer connection, inside a batch. Dereferences to the connection.
/// Dropped without [`Lease::commit`], its writes are undone.
pub(crate) struct Lease {
    conn: Option<PoolConnection<Sqlite>>,
    back: Option<oneshot::Sender<Returned>>,
}

impl Lease {
    /// Keeps this transaction's writes and waits until the batch holding them is committed.
    pub(crate) async fn commit(mut self) -> Result<(), String> {
        let (durable, committed) = oneshot::channel();
        self.give_back(Outcome::Keep(durable));
        committed
            .await
            .map_err(|_| "the SQLite writer stopped before committing".to_owned())?
    }

    fn give_back(&mut self, outcome: Outcome) {
        let (Some(conn), Some(back)) = (self.conn.take(), self.back.take()) else {
            return;
        };
        if let Err(returned) = back.send(Returned { conn, outcome }) {
            // The batch task is gone (the runtime is shutting down). Close the connection
            // rather than let the pool hand it out inside an open transaction.
            drop(returned.conn.detach());
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.give_back(Outcome::Undo);
    }
}

impl Deref for Lease {
    type Target = SqliteConnection;
    fn deref(&self) -> &SqliteConnection {
        self.conn
            .as_ref()
            .expect("a lease holds its connection until it ends")
    }
}

impl DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        self.conn
            .as_mut()
            .expect("a lease holds its connection until it ends")
    }
}

/// One batch: the writer connection (away while lent), its transaction and the members waiting
/// for its commit.
struct Batch {
    conn: Option<PoolConnection<Sqlite>>,
    /// Whether `BEGIN` has run and no `COMMIT` or `ROLLBACK` since.
    open: bool,
    /// The savepoint the last member kept its writes in, not yet released. Releasing keeps
    /// SQLite's savepoint stack one deep, so its statement journal never grows with the batch.
    held: Option<Savepoint>,
    kept: Vec<Kept>,
    /// When the first member kept its writes (and began to wait for the commit).
    first_kept_at: Option<Instant>,
    /// When the batch took the writer connection.
    started: Instant,
    /// The longest a member of this batch waited in the queue for its turn.
    longest_queued: Duration,
}

async fn run(
    writer: SqlitePool,
    mut waiting: mpsc::UnboundedReceiver<Queued>,
    max_wait: Duration,
    commits: Arc<Mutex<Commits>>,
) {
    while let Some(first) = waiting.recv().await {
        let conn = match writer.acquire().await {
            Ok(conn) => conn,
            Err(error) => {
                let error = format!("no SQLite writer connection: {error}");
                match first.waiter {
                    Waiter::Lease(member) => drop(member.send(Err(error))),
                    Waiter::Work(_, member) => drop(member.send(Err(WorkError::Batch(error)))),
                }
                continue;
            }
        };
        let mut batch = Batch {
            conn: Some(conn),
            open: false,
            held: None,
            kept: Vec::new(),
            first_kept_at: None,
            started: Instant::now(),
            longest_queued: Duration::ZERO,
        };
        let mut next = Some(batch.turn(first));
        while let Some(waiter) = next.take() {
            let served = match waiter {
                Waiter::Lease(member) => batch.lend(member).await.map(|()| None),
                Waiter::Work(work, member) => {
                    batch.work(work, member, &mut waiting, max_wait).await
                }
            };
            match served {
                Err(error) => {
                    batch.abandon(&error).await;
                    break;
                }
                // The work run took a lease from the queue; it is next.
                Ok(Some(waiter)) => next = Some(waiter),
                Ok(None) if !batch.full(max_wait) => {
                    next = waiting.try_recv().ok().map(|queued| batch.turn(queued));
                }
                Ok(None) => {}
            }
        }
        batch.finish(&commits).await;
    }
}

impl Batch {
    /// A waiter's turn has come: notes how long it waited for it.
    fn turn(&mut self, queued: Queued) -> Waiter {
        self.longest_queued = self.longest_queued.max(queued.at.elapsed());
        queued.waiter
    }

    async fn execute(&mut self, sql: &'static str) -> Result<(), String> {
        let conn = self
            .conn
            .as_deref_mut()
            .ok_or("the writer connection is lent out")?;
        sqlx::query(sql)
            .execute(conn)
            .await
            .map(drop)
            .map_err(|error| format!("`{sql}` failed: {error}"))
    }

    /// What opens the next member's place: `BEGIN` for the first (undoing it is undoing the
    /// whole transaction), a savepoint of its own for the others.
    fn opening(&self) -> (Option<Savepoint>, &'static str) {
        if self.open {
            let (savepoint, opening) = Savepoint::opening(self.held);
            (Some(savepoint), opening)
        } else {
            (None, "BEGIN IMMEDIATE; ")
        }
    }

    /// Whether the batch should take no more members and commit.
    fn full(&self, max_wait: Duration) -> bool {
        self.kept.len() >= MAX_BATCH
            || self
                .first_kept_at
                .is_some_and(|at| at.elapsed() >= max_wait)
    }

    /// Runs queued work, and the work queued right behind it while the batch has room, on the
    /// writer's SQLite handle, taken from sqlx's worker thread once for the whole run. Returns the
    /// lease it took from the queue, if a lease ended the run. An error means the batch's
    /// transaction can no longer be trusted.
    async fn work(
        &mut self,
        work: Work,
        member: oneshot::Sender<Result<(), WorkError>>,
        waiting: &mut mpsc::UnboundedReceiver<Queued>,
        max_wait: Duration,
    ) -> Result<Option<Waiter>, String> {
        if member.is_closed() {
            return Ok(None);
        }
        // `BEGIN IMMEDIATE` may wait for the write lock (another process writing): it runs on
        // sqlx's worker thread, which may block, as `COMMIT` does. What runs on the handle below
        // never waits for a lock, the transaction holding it already.
        if !self.open {
            if let Err(error) = self.execute("BEGIN IMMEDIATE").await {
                let _ = member.send(Err(WorkError::Batch(error)));
                return Ok(None);
            }
            self.open = true;
        }
        let mut conn = self
            .conn
            .take()
            .ok_or("the writer connection is lent out")?;
        let ran = self
            .work_on(&mut conn, (work, member), waiting, max_wait)
            .await;
        self.conn = Some(conn);
        ran
    }

    async fn work_on(
        &mut self,
        conn: &mut SqliteConnection,
        first: (Work, oneshot::Sender<Result<(), WorkError>>),
        waiting: &mut mpsc::UnboundedReceiver<Queued>,
        max_wait: Duration,
    ) -> Result<Option<Waiter>, String> {
        let mut handle = conn
            .lock_handle()
            .await
            .map_err(|error| format!("the SQLite handle could not be taken: {error}"))?;
        // SAFETY: the handle is sqlx's open connection, and while `handle` (its lock) lives,
        // sqlx's worker thread makes no call on it, so this task has it to itself. `from_handle`
        // does not close it; `db` is dropped below before the lock, and with it every statement
        // it prepared, so nothing of rusqlite's outlives this use.
        let db = unsafe { rusqlite::Connection::from_handle(handle.as_raw_handle().as_ptr()) }
            .map_err(|error| format!("the SQLite handle could not be used: {error}"))?;
        let mut next = Some(first);
        let mut pulled = None;
        let mut ran = Ok(());
        while let Some((work, member)) = next.take() {
            ran = self.work_one(&db, work, member);
            if ran.is_err() || self.full(max_wait) {
                break;
            }
            match waiting.try_recv().map(|queued| self.turn(queued)) {
                Ok(Waiter::Work(work, member)) => next = Some((work, member)),
                Ok(lease) => pulled = Some(lease),
                Err(_) => {}
            }
        }
        drop(db);
        drop(handle);
        ran.map(|()| pulled)
    }

    /// Runs one member's work in its own savepoint in the open batch.
    fn work_one(
        &mut self,
        db: &rusqlite::Connection,
        work: Work,
        member: oneshot::Sender<Result<(), WorkError>>,
    ) -> Result<(), String> {
        if member.is_closed() {
            return Ok(());
        }
        let (savepoint, opening) = Savepoint::opening(self.held);
        // Having released the savepoint before, a failure here leaves the batch unsure of its
        // state: it is abandoned.
        if let Err(error) = execute_cached(db, opening) {
            let error = format!("`{opening}` failed: {error}");
            let _ = member.send(Err(WorkError::Batch(error.clone())));
            return Err(error);
        }
        self.held = None;
        // A panic in the work would otherwise end this task, and every write after it.
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| work(db)))
            .unwrap_or(Err(rusqlite::Error::UnwindingPanic));
        match ran {
            Ok(()) => {
                self.held = Some(savepoint);
                self.first_kept_at.get_or_insert_with(Instant::now);
                self.kept.push(Kept::Work(member));
            }
            Err(error) => {
                let _ = member.send(Err(WorkError::Statement(error)));
                let undo = savepoint.undo();
                execute_cached(db, undo).map_err(|error| format!("`{undo}` failed: {error}"))?;
            }
        }
        Ok(())
    }

    /// Lends the connection to one waiting transaction and takes its outcome.
    async fn lend(&mut self, waiter: oneshot::Sender<Result<Lease, String>>) -> Result<(), String> {
        if waiter.is_closed() {
            return Ok(());
        }
        let (savepoint, opening) = self.opening();
        if let Err(error) = self.execute(opening).await {
            let _ = waiter.send(Err(error.clone()));
            return if savepoint.is_some() {
                Err(error)
            } else {
                Ok(())
            };
        }
        self.open = true;
        self.held = None;
        let (back, returned) = oneshot::channel();
        let lease = Lease {
            conn: self.conn.take(),
            back: Some(back),
        };
        let Returned { conn, outcome } = match waiter.send(Ok(lease)) {
            Ok(()) => returned
                .await
                .expect("a lease gives its connection back when it ends"),
            // Nobody waits any more: take the connection back; there is nothing to keep.
            Err(unsent) => {
                let mut lease = unsent.expect("only leases are sent");
                lease.back = None;
                Returned {
                    conn: lease
                        .conn
                        .take()
                        .expect("an unsent lease holds the connection"),
                    outcome: Outcome::Undo,
                }
            }
        };
        self.conn = Some(conn);
        match outcome {
            // Its savepoint is released with the next member's opening, in the same round trip
            // to the connection, or by `COMMIT`.
            Outcome::Keep(durable) => {
                self.held = savepoint;
                self.first_kept_at.get_or_insert_with(Instant::now);
                self.kept.push(Kept::Lease(durable));
            }
            Outcome::Undo if let Some(savepoint) = savepoint => {
                self.execute(savepoint.undo()).await?;
            }
            Outcome::Undo => {
                self.execute("ROLLBACK").await?;
                self.open = false;
            }
        }
        Ok(())
    }

    /// Commits the kept writes, counts the commit and tells the members; the connection goes
    /// back to the pool.
    async fn finish(mut self, commits: &Mutex<Commits>) {
        if !self.open {
            return;
        }
        let committing = Instant::now();
        match self.execute("COMMIT").await {
            Ok(()) => {
                self.open = false;
                let committed = Committed {
                    members: self.kept.len(),
                    queued: self.longest_queued,
                    run: committing - self.started,
                    commit: committing.elapsed(),
                };
                committed.log();
                {
                    let mut commits = commits.lock().expect("commits are counted");
                    commits.count += 1;
                    commits.last = Some(committed);
                    if let Some(metrics) = &commits.metrics {
                        metrics.writer_batch(true, committed.members);
                    }
                }
                for member in self.kept.drain(..) {
                    member.tell(Ok(()));
                }
            }
            Err(error) => {
                if let Some(metrics) = &commits.lock().expect("commits are counted").metrics {
                    metrics.writer_batch(false, self.kept.len());
                }
                self.abandon(&error).await
            }
        }
    }

    /// Undoes the batch and fails every member that was waiting for its commit.
    async fn abandon(&mut self, error: &str) {
        tracing::error!(%error, members = self.kept.len(), "an SQLite write batch failed");
        for member in self.kept.drain(..) {
            member.tell(Err(error));
        }
        if self.open && self.execute("ROLLBACK").await.is_err() {
            // A connection in an unknown state must not go back to the pool.
            tracing::error!("the SQLite writer connection could not roll back; closing it");
            if let Some(conn) = self.conn.take() {
                drop(conn.detach());
            }
        }
        self.open = false;
        self.held = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `$n` parameters bound as n says, in whatever order the statement names them first.
    #[test]
    fn parameters_are_bound_by_their_number_not_their_place() {
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE t (a INTEGER, b TEXT, c TEXT)")
            .unwrap();
        let sql = "INSERT INTO t (c, a, b) VALUES ($3, $1, $2)";
        let owned = Owned::new()
            .bind(1_i64)
            .bind("one")
            .bind(Some("c1"))
            .done()
            .unwrap();
        assert_eq!(owned.execute(&db, sql).unwrap(), 1);
        let mut statement = db.prepare_cached(sql).unwrap();
        Positional::new(&mut statement)
            .bind(2_i64)
            .bind("two")
            .bind(None::<&str>)
            .done()
            .unwrap();
        statement.raw_execute().unwrap();
        drop(statement);
        let rows: Vec<(i64, String, Option<String>)> = db
            .prepare("SELECT a, b, c FROM t ORDER BY a")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            rows,
            [
                (1, "one".to_owned(), Some("c1".to_owned())),
                (2, "two".to_owned(), None)
            ]
        );
        // A count that differs from the statement's is an error, not a row.
        assert!(
            Owned::new()
                .bind(3_i64)
                .done()
                .unwrap()
                .execute(&db, sql)
                .is_err()
        );
    }
    use crate::store::StoreError;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
    use std::time::Duration;

    /// A fresh database with one table, its writer pool, and batches running on it (the folder
    /// holds the database and must be kept while the test runs).
    async fn started(max_wait: Duration) -> (tempfile::TempDir, SqlitePool, GroupCommit) {
        let folder = tempfile::tempdir().unwrap();
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(folder.path().join("g.db"))
                    .journal_mode(SqliteJournalMode::Wal)
                    .create_if_missing(true),
            )
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .execute(&pool)
            .await
            .unwrap();
        let batches = GroupCommit::start(pool.clone(), max_wait);
        (folder, pool, batches)
    }

    async fn insert(lease: &mut Lease, x: i64) -> sqlx::Result<()> {
        sqlx::query("INSERT INTO t (x) VALUES ($1)")
            .bind(x)
            .execute(&mut **lease)
            .await
            .map(drop)
    }

    /// Work that inserts `x`.
    fn insert_work(x: i64) -> Work {
        Box::new(move |db| {
            let mut insert = db.prepare_cached("INSERT INTO t (x) VALUES ($1)")?;
            Positional::new(&mut insert).bind(x).done()?;
            insert.raw_execute().map(drop)
        })
    }

    fn is_unique_violation(outcome: Result<(), WorkError>) -> bool {
        match outcome {
            Err(WorkError::Statement(error)) => {
                matches!(StoreError::from(error), StoreError::Conflict(_))
            }
            _ => false,
        }
    }

    async fn rows(pool: &SqlitePool) -> Vec<i64> {
        sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    /// Lets the other tasks run until they wait for their turn at the writer.
    async fn settle() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_transactions_share_one_commit_and_a_rollback_undoes_only_its_own() {
        let commits = four_queued_transactions(Duration::from_secs(10)).await;
        assert_eq!(commits, 1, "four transactions, one commit");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_stops_growing_once_its_first_member_has_waited_long_enough() {
        let commits = four_queued_transactions(Duration::ZERO).await;
        assert_eq!(commits, 3, "each kept transaction committed alone");
    }

    /// One transaction holds the writer while three queue behind it, the second of which rolls
    /// back; returns how many commits the four took.
    async fn four_queued_transactions(max_wait: Duration) -> u64 {
        let (_folder, pool, batches) = started(max_wait).await;

        let mut first = batches.begin().await.unwrap();
        insert(&mut first, 1).await.unwrap();
        let queued = [2, 3, 4].map(|x| {
            let batches = batches.clone();
            tokio::spawn(async move {
                let mut lease = batches.begin().await.unwrap();
                insert(&mut lease, x).await.unwrap();
                if x == 3 {
                    drop(lease); // rolls back
                    Ok(())
                } else {
                    lease.commit().await
                }
            })
        });
        settle().await;
        first.commit().await.unwrap();
        for task in queued {
            task.await.unwrap().unwrap();
        }

        assert_eq!(rows(&pool).await, vec![1, 2, 4]);
        batches.commits()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failed_statement_inside_a_batch_fails_only_its_transaction() {
        let (_folder, pool, batches) = started(Duration::from_secs(10)).await;

        let mut first = batches.begin().await.unwrap();
        insert(&mut first, 1).await.unwrap();
        let clashing = {
            let batches = batches.clone();
            tokio::spawn(async move {
                let mut lease = batches.begin().await.unwrap();
                insert(&mut lease, 5).await.unwrap();
                // Clashes with the first transaction's row, visible inside the batch.
                insert(&mut lease, 1).await
            })
        };
        settle().await;
        first.commit().await.unwrap();
        assert!(clashing.await.unwrap().is_err());

        assert_eq!(
            rows(&pool).await,
            vec![1],
            "the clashing transaction left nothing"
        );
        let mut after = batches.begin().await.unwrap();
        insert(&mut after, 6).await.unwrap();
        after.commit().await.unwrap();
        assert_eq!(rows(&pool).await, vec![1, 6]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn queued_work_shares_the_commit_with_leases_and_a_failure_undoes_only_its_own() {
        let (_folder, pool, batches) = started(Duration::from_secs(10)).await;

        let mut first = batches.begin().await.unwrap();
        insert(&mut first, 1).await.unwrap();
        // Queued in this order behind `first` (join! polls them in order, each queues at once):
        // work kept, work that clashes, a lease that rolls back, work kept, a lease kept.
        let queued = {
            let batches = batches.clone();
            tokio::spawn(async move {
                let undone_lease = async {
                    let mut lease = batches.begin().await.unwrap();
                    insert(&mut lease, 3).await.unwrap();
                    drop(lease);
                };
                let kept_lease = async {
                    let mut lease = batches.begin().await.unwrap();
                    insert(&mut lease, 5).await.unwrap();
                    lease.commit().await
                };
                tokio::join!(
                    batches.run(insert_work(2)),
                    batches.run(insert_work(1)),
                    undone_lease,
                    batches.run(insert_work(4)),
                    kept_lease,
                )
            })
        };
        settle().await;
        first.commit().await.unwrap();
        let (two, clash, (), four, five) = queued.await.unwrap();
        assert!(two.is_ok() && four.is_ok() && five.is_ok());
        assert!(is_unique_violation(clash));

        assert_eq!(rows(&pool).await, vec![1, 2, 4, 5]);
        assert_eq!(batches.commits(), 1, "six members, one commit");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_committed_batch_says_how_long_its_members_waited_for_the_writer() {
        let (_folder, _pool, batches) = started(Duration::from_secs(10)).await;

        let mut first = batches.begin().await.unwrap();
        insert(&mut first, 1).await.unwrap();
        let queued = {
            let batches = batches.clone();
            tokio::spawn(async move {
                tokio::join!(batches.run(insert_work(2)), batches.run(insert_work(3)))
            })
        };
        settle().await;
        // Queued by now (`settle`); held for as long again, which they wait out at the least.
        let settled = Duration::from_millis(50);
        tokio::time::sleep(settled).await;
        first.commit().await.unwrap();
        let (two, three) = queued.await.unwrap();
        assert!(two.is_ok() && three.is_ok());

        let batch = batches.last_committed().expect("a batch was committed");
        assert_eq!(batch.members, 3);
        // The two works waited in the queue while `first` held the writer, and the batch was
        // open all that time.
        assert!(batch.queued >= settled && batch.run >= settled, "{batch:?}");
        assert!(batch.queued <= batch.run, "{batch:?}");

        // Alone, a member hardly waits.
        batches.run(insert_work(4)).await.unwrap();
        let alone = batches.last_committed().unwrap();
        assert_eq!(alone.members, 1);
        assert!(alone.queued < settled, "{alone:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_that_fails_or_panics_alone_leaves_the_writer_usable() {
        let (_folder, pool, batches) = started(Duration::from_secs(10)).await;

        batches.run(insert_work(1)).await.unwrap();
        // Alone in its batch: its savepoint is undone, and the batch commits nothing.
        assert!(is_unique_violation(batches.run(insert_work(1)).await));
        let panicked = batches
            .run(Box::new(|db| {
                db.execute_batch("INSERT INTO t (x) VALUES (8)")?;
                panic!("a bug in a write")
            }))
            .await;
        assert!(
            matches!(panicked, Err(WorkError::Statement(_))),
            "{panicked:?}"
        );
        // Work whose caller gave up before its turn does not run.
        let held = batches.begin().await.unwrap();
        let gave_up =
            tokio::time::timeout(Duration::from_millis(20), batches.run(insert_work(7))).await;
        assert!(gave_up.is_err());
        drop(held);

        batches.run(insert_work(2)).await.unwrap();
        assert_eq!(rows(&pool).await, vec![1, 2]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_transaction_that_rolls_back_alone_leaves_the_writer_usable() {
        let (_folder, pool, batches) = started(Duration::from_secs(10)).await;

        let mut undone = batches.begin().await.unwrap();
        insert(&mut undone, 1).await.unwrap();
        drop(undone);
        // A caller that gives up while it waits for its turn costs nothing either.
        let held = batches.begin().await.unwrap();
        let gave_up = tokio::time::timeout(Duration::from_millis(20), batches.begin()).await;
        assert!(gave_up.is_err());
        drop(held);

        let mut kept = batches.begin().await.unwrap();
        insert(&mut kept, 2).await.unwrap();
        kept.commit().await.unwrap();
        assert_eq!(rows(&pool).await, vec![2]);
        // Single-statement writes on the pool take turns with batches.
        sqlx::query("INSERT INTO t (x) VALUES (3)")
            .execute(&pool)
            .await
            .unwrap();
        assert_eq!(rows(&pool).await, vec![2, 3]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn binding_fewer_values_than_the_statement_has_is_an_error_not_a_null() {
        let (_folder, pool, batches) = started(Duration::from_secs(10)).await;
        let outcome = batches
            .run(Box::new(|db| {
                let mut insert = db.prepare_cached("INSERT INTO t (x) VALUES ($1 + $2)")?;
                Positional::new(&mut insert).bind(1).done()?;
                insert.raw_execute().map(drop)
            }))
            .await;
        assert!(
            matches!(
                outcome,
                Err(WorkError::Statement(
                    rusqlite::Error::InvalidParameterCount(1, 2)
                ))
            ),
            "{outcome:?}"
        );
        batches.run(insert_work(3)).await.unwrap();
        assert_eq!(rows(&pool).await, vec![3]);
    }
}
