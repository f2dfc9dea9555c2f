//! Idempotency keys: the first answer to a key, kept for its retries.
//!
//! A key is held by one request at a time. The holder is named by a random token that every later
//! write about the key compares: once a retry has taken the key over (the holder's hold ran out),
//! the old holder can record neither its effect nor its answer. A hold runs for `lock_ms` and is
//! renewed ([`Store::hold_idempotent`]) while its request runs, so only a request that stopped
//! (its process died) loses its key. A request that creates an object records the object's id
//! on its key in the transaction that creates it ([`IdempotencyClaim::EFFECT_SQL`]): a retry of
//! a request that died between its effect and its answer finds that id, and answers with the
//! object instead of creating another.

use super::{Store, StoreError, StoreResult, dispatch};

/// What a request with an idempotency key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyStart {
    /// The key is this request's: run it, then `finish` or `forget` the key with this claim.
    Started(IdempotencyClaim),
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

/// A key held by the request running under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    pub organization_id: String,
    pub livemode: bool,
    pub key: String,
    /// Compared by every write about the key: whoever took it over holds another.
    pub(crate) token: String,
    /// What an earlier holder of the key created before it stopped without an answer: the
    /// request is to answer with it, and create nothing.
    pub effect_id: Option<String>,
}

impl IdempotencyClaim {
    pub fn scope(&self) -> IdempotencyScope<'_> {
        IdempotencyScope {
            organization_id: &self.organization_id,
            livemode: self.livemode,
            key: &self.key,
        }
    }

    /// The statement that names the object a request created on its key, in the transaction
    /// that creates it, bound by [`bind_effect!`]. It changes no row (and the transaction is to
    /// roll back: [`StoreError::IdempotencyKeyLost`]) when the key is no longer this claim's.
    pub(crate) const EFFECT_SQL: &'static str = "UPDATE idempotency_keys SET effect_id = $1 \
         WHERE organization_id = $2 AND livemode = $3 AND idempotency_key = $4 \
         AND lock_token = $5 AND effect_id IS NULL AND status_code IS NULL";
}

/// Binds [`IdempotencyClaim::EFFECT_SQL`]'s parameters, through the same `.bind(value)` chain
/// for an sqlx query and a SQLite batch's statement.
macro_rules! bind_effect {
    ($query:expr, $claim:expr, $effect_id:expr) => {
        $query
            .bind($effect_id)
            .bind($claim.organization_id.as_str())
            .bind($claim.livemode)
            .bind($claim.key.as_str())
            .bind($claim.token.as_str())
    };
}
pub(crate) use bind_effect;

#[derive(sqlx::FromRow)]
struct KeyRow {
    fingerprint: String,
    status_code: Option<i32>,
    content_type: Option<String>,
    body: Option<String>,
    locked_until: i64,
    effect_id: Option<String>,
    created_at: i64,
}

/// A holder's name: 128 bits from the thread-local CSPRNG.
fn new_token() -> String {
    format!("{:032x}", rand::random::<u128>())
}

impl Store {
    /// Takes the key for a request (`fingerprint` tells requests apart), or says why not.
    /// `lock_ms` is how long the hold lasts unless renewed; keys older than `keep_ms` whose
    /// request is over are forgotten.
    pub async fn begin_idempotent(
        &self,
        scope: IdempotencyScope<'_>,
        fingerprint: &str,
        now: i64,
        lock_ms: i64,
        keep_ms: i64,
    ) -> StoreResult<IdempotencyStart> {
        let claim = |token: String, effect_id: Option<String>| {
            IdempotencyStart::Started(IdempotencyClaim {
                organization_id: scope.organization_id.to_owned(),
                livemode: scope.livemode,
                key: scope.key.to_owned(),
                token,
                effect_id,
            })
        };
        // Twice at most: a second time after forgetting an expired key.
        for _ in 0..2 {
            let token = new_token();
            let inserted = dispatch!(self, write, |db| {
                sqlx::query(
                    "INSERT INTO idempotency_keys (organization_id, livemode, idempotency_key, \
                     fingerprint, locked_until, created_at, lock_token) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(scope.organization_id)
                .bind(scope.livemode)
                .bind(scope.key)
                .bind(fingerprint)
                .bind(now + lock_ms)
                .bind(now)
                .bind(&token)
                .execute(db)
                .await?
                .rows_affected()
            });
            if inserted == 1 {
                return Ok(claim(token, None));
            }
            let row = dispatch!(self, write, |db| {
                sqlx::query_as::<_, KeyRow>(
                    "SELECT fingerprint, status_code, content_type, body, locked_until, \
                     effect_id, created_at FROM idempotency_keys WHERE organization_id = $1 \
                     AND livemode = $2 AND idempotency_key = $3",
                )
                .bind(scope.organization_id)
                .bind(scope.livemode)
                .bind(scope.key)
                .fetch_optional(db)
                .await?
            });
            let Some(row) = row else { continue };
            let over = row.status_code.is_some() || row.locked_until < now;
            if row.created_at <= now - keep_ms && over {
                self.forget_expired_idempotent(scope, row.created_at)
                    .await?;
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
            // The holder stopped without an answer: this request takes the key over, and with
            // it whatever the holder created.
            let taken = dispatch!(self, write, |db| {
                sqlx::query(
                    "UPDATE idempotency_keys SET locked_until = $1, lock_token = $2 \
                     WHERE organization_id = $3 AND livemode = $4 AND idempotency_key = $5 \
                     AND status_code IS NULL AND locked_until = $6",
                )
                .bind(now + lock_ms)
                .bind(&token)
                .bind(scope.organization_id)
                .bind(scope.livemode)
                .bind(scope.key)
                .bind(row.locked_until)
                .execute(db)
                .await?
                .rows_affected()
            });
            return Ok(if taken == 1 {
                claim(token, row.effect_id)
            } else {
                IdempotencyStart::InFlight
            });
        }
        Ok(IdempotencyStart::InFlight)
    }

    /// Renews the claim's hold until `until`, while its request runs; `false` when the key is
    /// no longer the claim's (a retry took it over) or its answer is in.
    pub async fn hold_idempotent(&self, claim: &IdempotencyClaim, until: i64) -> StoreResult<bool> {
        Ok(dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE idempotency_keys SET locked_until = $1 WHERE organization_id = $2 \
                 AND livemode = $3 AND idempotency_key = $4 AND lock_token = $5 \
                 AND status_code IS NULL AND locked_until < $1",
            )
            .bind(until)
            .bind(&claim.organization_id)
            .bind(claim.livemode)
            .bind(&claim.key)
            .bind(&claim.token)
            .execute(db)
            .await?
            .rows_affected()
        }) == 1)
    }

    /// Keeps the answer to the claim's request, for its retries; `false` (nothing kept) when the
    /// key is no longer the claim's.
    pub async fn finish_idempotent(
        &self,
        claim: &IdempotencyClaim,
        status_code: u16,
        content_type: Option<&str>,
        body: &str,
    ) -> StoreResult<bool> {
        Ok(dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE idempotency_keys SET status_code = $1, content_type = $2, body = $3 \
                 WHERE organization_id = $4 AND livemode = $5 AND idempotency_key = $6 \
                 AND lock_token = $7 AND status_code IS NULL",
            )
            .bind(i32::from(status_code))
            .bind(content_type)
            .bind(body)
            .bind(&claim.organization_id)
            .bind(claim.livemode)
            .bind(&claim.key)
            .bind(&claim.token)
            .execute(db)
            .await?
            .rows_affected()
        }) == 1)
    }

    /// Lets go of the claim's key after a request that kept no answer (it was refused, or
    /// failed). A key that names what the request created stays, released at once to the next
    /// retry, which answers with that object; any other key is forgotten, so that a retry runs
    /// the request again.
    pub async fn forget_idempotent(&self, claim: &IdempotencyClaim, now: i64) -> StoreResult<()> {
        let scope = claim.scope();
        dispatch!(self, write, |db| {
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE organization_id = $1 AND livemode = $2 \
                 AND idempotency_key = $3 AND lock_token = $4 AND effect_id IS NULL \
                 AND status_code IS NULL",
            )
            .bind(scope.organization_id)
            .bind(scope.livemode)
            .bind(scope.key)
            .bind(&claim.token)
            .execute(db)
            .await?;
            sqlx::query(
                "UPDATE idempotency_keys SET locked_until = $1 WHERE organization_id = $2 \
                 AND livemode = $3 AND idempotency_key = $4 AND lock_token = $5 \
                 AND status_code IS NULL",
            )
            .bind(now - 1)
            .bind(scope.organization_id)
            .bind(scope.livemode)
            .bind(scope.key)
            .bind(&claim.token)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// Forgets the use of a key made at `created_at`, kept past its time.
    async fn forget_expired_idempotent(
        &self,
        scope: IdempotencyScope<'_>,
        created_at: i64,
    ) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE organization_id = $1 AND livemode = $2 \
                 AND idempotency_key = $3 AND created_at = $4",
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

    /// Deletes keys made before `before` whose request is over (answered, or its hold ran out
    /// before `now`); returns how many.
    pub async fn delete_idempotency_keys_before(&self, before: i64, now: i64) -> StoreResult<u64> {
        Ok(dispatch!(self, write, |db| {
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE created_at < $1 \
                 AND (status_code IS NOT NULL OR locked_until < $2)",
            )
            .bind(before)
            .bind(now)
            .execute(db)
            .await?
            .rows_affected()
        }))
    }
}

/// The marker a SQLite batch's work returns when its effect could not be named on its key.
#[derive(Debug)]
pub(crate) struct KeyLost;

impl std::fmt::Display for KeyLost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the idempotency key was taken over by a retry")
    }
}

impl std::error::Error for KeyLost {}

impl KeyLost {
    /// As the batch's error type carries it: rusqlite's one variant (without its `functions`
    /// feature) that holds an error of the caller's.
    pub(crate) fn rusqlite() -> rusqlite::Error {
        rusqlite::Error::ToSqlConversionFailure(Box::new(KeyLost))
    }
}

/// Whether a batch's work failed because its key was lost.
pub(crate) fn is_key_lost(error: &rusqlite::Error) -> bool {
    matches!(error, rusqlite::Error::ToSqlConversionFailure(e) if e.is::<KeyLost>())
}

impl From<KeyLost> for StoreError {
    fn from(_: KeyLost) -> Self {
        StoreError::IdempotencyKeyLost
    }
}
