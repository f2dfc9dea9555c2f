//! Idempotency keys: the first answer to a key, kept for its retries.

use super::{Store, StoreResult, dispatch};

/// What a request with an idempotency key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyStart {
    /// The key is this request's: run it, then `finish` or `release` the key.
    Started,
    /// The key's first request answered this: send it again.
    Replay {
        status_code: u16,
        content_type: Option<String>,
        body: String,
    },
    /// The key's first request is still running.
    InFlight,
    /// The key was first used for another request.
    Mismatch,
}

/// Which key: the organization and mode of the API key that sent it, and the key itself.
#[derive(Debug, Clone, Copy)]
pub struct IdempotencyScope<'a> {
    pub organization_id: &'a str,
    pub livemode: bool,
    pub key: &'a str,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    fingerprint: String,
    status_code: Option<i32>,
    content_type: Option<String>,
    body: Option<String>,
    locked_until: i64,
    created_at: i64,
}

impl Store {
    /// Takes the key for a request (`fingerprint` tells requests apart), or says why not.
    /// `lock_ms` is how long a first request may run before a retry may take over its key;
    /// keys older than `keep_ms` are forgotten.
    pub async fn begin_idempotent(
        &self,
        scope: IdempotencyScope<'_>,
        fingerprint: &str,
        now: i64,
        lock_ms: i64,
        keep_ms: i64,
    ) -> StoreResult<IdempotencyStart> {
        // Twice at most: a second time after forgetting an expired key.
        for _ in 0..2 {
            let inserted = dispatch!(self, write, |db| {
                sqlx::query(
                    "INSERT INTO idempotency_keys (organization_id, livemode, idempotency_key, \
                     fingerprint, locked_until, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT DO NOTHING",
                )
                .bind(scope.organization_id)
                .bind(scope.livemode)
                .bind(scope.key)
                .bind(fingerprint)
                .bind(now + lock_ms)
                .bind(now)
                .execute(db)
                .await?
                .rows_affected()
            });
            if inserted == 1 {
                return Ok(IdempotencyStart::Started);
            }
            let row = dispatch!(self, write, |db| {
                sqlx::query_as::<_, KeyRow>(
                    "SELECT fingerprint, status_code, content_type, body, locked_until, created_at \
                     FROM idempotency_keys WHERE organization_id = $1 AND livemode = $2 \
                     AND idempotency_key = $3",
                )
                .bind(scope.organization_id)
                .bind(scope.livemode)
                .bind(scope.key)
                .fetch_optional(db)
                .await?
            });
            let Some(row) = row else { continue };
            if row.created_at <= now - keep_ms {
                self.forget_idempotent(scope, Some(row.created_at)).await?;
                continue;
            }
            if row.fingerprint != fingerprint {
                return Ok(IdempotencyStart::Mismatch);
            }
            if let (Some(status), Some(body)) = (row.status_code, row.body) {
                return Ok(IdempotencyStart::Replay {
                    status_code: u16::try_from(status).unwrap_or(500),
                    content_type: row.content_type,
                    body,
                });
            }
            if row.locked_until >= now {
                return Ok(IdempotencyStart::InFlight);
            }
            // The first request died without an answer: this one takes the key over.
            let taken = dispatch!(self, write, |db| {
                sqlx::query(
                    "UPDATE idempotency_keys SET locked_until = $1 WHERE organization_id = $2 \
                     AND livemode = $3 AND idempotency_key = $4 AND status_code IS NULL \
                     AND locked_until = $5",
                )
                .bind(now + lock_ms)
                .bind(scope.organization_id)
                .bind(scope.livemode)
                .bind(scope.key)
                .bind(row.locked_until)
                .execute(db)
                .await?
                .rows_affected()
            });
            return Ok(if taken == 1 {
                IdempotencyStart::Started
            } else {
                IdempotencyStart::InFlight
            });
        }
        Ok(IdempotencyStart::InFlight)
    }

    /// Keeps the answer to the key's request, for its retries.
    pub async fn finish_idempotent(
        &self,
        scope: IdempotencyScope<'_>,
        status_code: u16,
        content_type: Option<&str>,
        body: &str,
    ) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE idempotency_keys SET status_code = $1, content_type = $2, body = $3 \
                 WHERE organization_id = $4 AND livemode = $5 AND idempotency_key = $6",
            )
            .bind(i32::from(status_code))
            .bind(content_type)
            .bind(body)
            .bind(scope.organization_id)
            .bind(scope.livemode)
            .bind(scope.key)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// Forgets a key (whose request was refused before it did anything, or that expired);
    /// with `created_at`, only that use of it.
    pub async fn forget_idempotent(
        &self,
        scope: IdempotencyScope<'_>,
        created_at: Option<i64>,
    ) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE organization_id = $1 AND livemode = $2 \
                 AND idempotency_key = $3 AND ($4 IS NULL OR created_at = $4)",
            )
            .bind(scope.organization_id)
            .bind(scope.livemode)
            .bind(scope.key)
            .bind(created_at)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// Deletes keys made before `before`; returns how many.
    pub async fn delete_idempotency_keys_before(&self, before: i64) -> StoreResult<u64> {
        Ok(dispatch!(self, write, |db| {
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(before)
                .execute(db)
                .await?
                .rows_affected()
        }))
    }
}
