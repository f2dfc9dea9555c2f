//! Mail to buyers: queued with what it is about, rendered and sent (or kept) by a worker.

use super::tx::{Tx, dispatch_tx, write_later};
use super::{Store, StoreResult, dispatch};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MailRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub customer_id: Option<String>,
    /// receipt, renewal_failed or trial_ending
    pub kind: String,
    /// What it is about (a payment, a renewal charge, a subscription's trial): one mail each.
    pub about: String,
    pub recipient: String,
    /// What it tells, as JSON (amounts, dates, links), for its template.
    pub facts: String,
    /// pending, sent, kept (no SMTP server: shown in the dashboard) or failed
    pub status: String,
    pub subject: Option<String>,
    pub text_body: Option<String>,
    pub html_body: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

const MAIL_COLUMNS: &str = "id, organization_id, livemode, customer_id, kind, about, recipient, \
     facts, status, subject, text_body, html_body, attempts, next_attempt_at, last_error, \
     created_at, sent_at";

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub customer_id: Option<&'a str>,
    pub kind: &'a str,
    pub about: &'a str,
    pub recipient: &'a str,
    pub facts: &'a str,
}

/// What became of an attempt to send a mail.
#[derive(Debug, Clone)]
pub struct MailOutcome<'a> {
    /// sent, kept, failed, or pending (to be tried again at `next_attempt_at`)
    pub status: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub error: Option<&'a str>,
    pub next_attempt_at: i64,
}

impl Tx {
    /// Queues a mail, unless one of its kind about the same thing was queued before.
    pub async fn queue_mail(&mut self, m: &NewMail<'_>, now: i64) -> StoreResult<()> {
        write_later!(
            self,
            "INSERT INTO mails (id, organization_id, livemode, customer_id, kind, about, \
                 recipient, facts, status, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $9) \
                 ON CONFLICT (kind, about) DO NOTHING",
            |q| q
                .bind(m.id)
                .bind(m.organization_id)
                .bind(m.livemode)
                .bind(m.customer_id)
                .bind(m.kind)
                .bind(m.about)
                .bind(m.recipient)
                .bind(m.facts)
                .bind(now)
        );
        Ok(())
    }
}

impl Store {
    /// Holds up to `limit` pending mails due at `now` and held by no worker, until
    /// `now + lease_ms`, in one statement: the mails held, oldest first. Of two workers asking
    /// at once, each gets other mails (PostgreSQL skips the rows the other has locked; SQLite
    /// has one writer).
    pub async fn claim_due_mails(
        &self,
        now: i64,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<MailRecord>> {
        let skip_locked = match self.backend {
            super::Backend::Sqlite { .. } => "",
            super::Backend::Postgres { .. } => " FOR UPDATE SKIP LOCKED",
        };
        let sql = format!(
            "UPDATE mails SET lease_until = $2 WHERE id IN (SELECT id FROM mails \
             WHERE status = 'pending' AND next_attempt_at <= $1 \
             AND (lease_until IS NULL OR lease_until <= $1) \
             ORDER BY next_attempt_at LIMIT $3{skip_locked}) RETURNING {MAIL_COLUMNS}"
        );
        let mut claimed = dispatch!(self, write, |db| {
            sqlx::query_as::<_, MailRecord>(&sql)
                .bind(now)
                .bind(now + lease_ms)
                .bind(limit)
                .fetch_all(db)
                .await?
        });
        // RETURNING keeps no order.
        claimed.sort_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)));
        Ok(claimed)
    }

    /// Records what became of an attempt to send a mail (rendered as it was sent), and lets go
    /// of it. A transaction of its own, so that on SQLite it shares a commit with other writes.
    pub async fn finish_mail(
        &self,
        id: &str,
        outcome: &MailOutcome<'_>,
        now: i64,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        dispatch_tx!(tx, |conn| {
            sqlx::query(
                "UPDATE mails SET status = $1, subject = $2, text_body = $3, html_body = $4, \
                 last_error = $5, next_attempt_at = $6, attempts = attempts + 1, lease_until = NULL, \
                 sent_at = CASE WHEN $1 = 'sent' THEN $7 ELSE sent_at END WHERE id = $8",
            )
            .bind(outcome.status)
            .bind(outcome.subject)
            .bind(outcome.text_body)
            .bind(outcome.html_body)
            .bind(outcome.error)
            .bind(outcome.next_attempt_at)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        });
        tx.commit().await
    }

    /// The mails to a customer, newest first (at most `limit`).
    pub async fn mails_of_customer(
        &self,
        organization_id: &str,
        livemode: bool,
        customer_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<MailRecord>> {
        self.of_customer(
            "mails",
            MAIL_COLUMNS,
            organization_id,
            livemode,
            customer_id,
            limit,
        )
        .await
    }

    /// Every mail of a kind about `about` (at most one), for tests and the dashboard.
    pub async fn mail_about(&self, kind: &str, about: &str) -> StoreResult<Option<MailRecord>> {
        let sql = format!("SELECT {MAIL_COLUMNS} FROM mails WHERE kind = $1 AND about = $2");
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, MailRecord>(&sql)
                .bind(kind)
                .bind(about)
                .fetch_optional(db)
                .await?
        }))
    }
}
