//! Webhook endpoints, their deliveries (one per event and endpoint) and every attempt made.
//!
//! A delivery is due while `next_attempt_at` is set and has passed. An instance claims due
//! deliveries by moving `locked_until` past the time its attempt can take (a lease): on
//! PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two instances never claim the same row, and an
//! instance that dies mid-attempt lets go when the lease runs out.

use super::{Backend, Page, PageRequest, Store, StoreResult, Tx, dispatch, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EndpointRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub name: String,
    pub url: String,
    /// JSON array of type names.
    pub filter_types: String,
    pub secret: String,
    pub active: bool,
    pub failing_since: Option<i64>,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl EndpointRecord {
    pub fn filter_types(&self) -> Vec<String> {
        serde_json::from_str(&self.filter_types).unwrap_or_default()
    }
}

/// An endpoint to record.
#[derive(Debug, Clone)]
pub struct NewEndpoint<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub name: &'a str,
    pub url: &'a str,
    pub filter_types: &'a [String],
    pub secret: &'a str,
    pub active: bool,
}

/// What an update sets; `None` leaves a column as it is.
#[derive(Debug, Clone, Default)]
pub struct EndpointChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    pub filter_types: Option<Vec<String>>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRecord {
    pub id: String,
    pub endpoint_id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptLogRecord {
    pub id: String,
    pub delivery_id: String,
    pub attempted_at: i64,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub response: String,
}

/// A delivery an instance has claimed, with what it needs to make the attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClaimedDelivery {
    pub id: String,
    pub attempts: i32,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
    pub event_id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub event_type: String,
    pub object_id: String,
    pub data: String,
    pub event_created_at: i64,
}

/// What came of one attempt.
#[derive(Debug, Clone)]
pub struct AttemptResult<'a> {
    pub attempt_id: &'a str,
    pub attempted_at: i64,
    pub status_code: Option<i32>,
    pub latency_ms: i64,
    pub response: &'a str,
    /// A 2xx came back.
    pub delivered: bool,
    /// When to try again after a failure; `None` gives up.
    pub retry_at: Option<i64>,
    /// An endpoint failing since at least this time is turned off.
    pub disable_if_failing_since: i64,
}

const ENDPOINT_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, name, url, \
     filter_types, secret, active, failing_since, disabled_at, created_at, updated_at";

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.event_id, e.event_type, d.status, \
     d.attempts, d.next_attempt_at, d.created_at";

fn json_types(types: &[String]) -> String {
    serde_json::to_string(types).unwrap_or_else(|_| "[]".to_owned())
}

impl Store {
    /// Makes an endpoint unless its organization has `cap` in that mode already: `None` then.
    /// The count and the insert are one statement.
    pub async fn insert_webhook_endpoint(
        &self,
        endpoint: &NewEndpoint<'_>,
        cap: i64,
    ) -> StoreResult<Option<EndpointRecord>> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO webhook_endpoints (id, organization_id, livemode, pricing_model_id, name, \
             url, filter_types, secret, active, created_at, updated_at) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10 WHERE (SELECT COUNT(*) FROM \
             webhook_endpoints WHERE organization_id = $2 AND livemode = $3) < $11 \
             RETURNING {ENDPOINT_COLUMNS}"
        );
        Ok(dispatch!(self, write, |db| {
            sqlx::query_as::<_, EndpointRecord>(&sql)
                .bind(endpoint.id)
                .bind(endpoint.organization_id)
                .bind(endpoint.livemode)
                .bind(endpoint.pricing_model_id)
                .bind(endpoint.name)
                .bind(endpoint.url)
                .bind(json_types(endpoint.filter_types))
                .bind(endpoint.secret)
                .bind(endpoint.active)
                .bind(now)
                .bind(cap)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Endpoints whose signing secret does not start with `sealed_prefix`: `(id, secret)`.
    pub async fn clear_webhook_secrets(
        &self,
        sealed_prefix: &str,
    ) -> StoreResult<Vec<(String, String)>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, (String, String)>(
                "SELECT id, secret FROM webhook_endpoints WHERE secret NOT LIKE $1",
            )
            .bind(format!("{sealed_prefix}%"))
            .fetch_all(db)
            .await?
        }))
    }

    /// How many endpoints keep a sealed signing secret.
    pub async fn count_sealed_webhook_secrets(&self, sealed_prefix: &str) -> StoreResult<i64> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM webhook_endpoints WHERE secret LIKE $1",
            )
            .bind(format!("{sealed_prefix}%"))
            .fetch_one(db)
            .await?
        }))
    }

    /// Replaces an endpoint's signing secret `was` with `kept` (the same secret, sealed);
    /// `false` when it changed meanwhile.
    pub async fn replace_webhook_secret(
        &self,
        endpoint_id: &str,
        was: &str,
        kept: &str,
    ) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query("UPDATE webhook_endpoints SET secret = $1 WHERE id = $2 AND secret = $3")
                .bind(kept)
                .bind(endpoint_id)
                .bind(was)
                .execute(db)
                .await?
                .rows_affected()
        });
        Ok(changed == 1)
    }

    pub async fn webhook_endpoint(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<EndpointRecord>> {
        self.one_of(
            "webhook_endpoints",
            ENDPOINT_COLUMNS,
            organization_id,
            livemode,
            id,
        )
        .await
    }

    /// The organization's endpoints in a mode, newest first.
    pub async fn webhook_endpoints(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<EndpointRecord>> {
        self.page_of(
            "webhook_endpoints",
            ENDPOINT_COLUMNS,
            "",
            organization_id,
            livemode,
            page,
        )
        .await
    }

    /// Applies `changes`. Turning an endpoint on again forgets that it was failing.
    pub async fn update_webhook_endpoint(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
        changes: &EndpointChanges,
    ) -> StoreResult<Option<EndpointRecord>> {
        let sql = format!(
            "UPDATE webhook_endpoints SET name = COALESCE($4, name), url = COALESCE($5, url), \
             filter_types = COALESCE($6, filter_types), active = COALESCE($7, active), \
             failing_since = CASE WHEN $7 THEN NULL ELSE failing_since END, \
             disabled_at = CASE WHEN $7 THEN NULL ELSE disabled_at END, updated_at = $8 \
             WHERE id = $1 AND organization_id = $2 AND livemode = $3 RETURNING {ENDPOINT_COLUMNS}"
        );
        let now = now_ms();
        Ok(dispatch!(self, write, |db| {
            sqlx::query_as::<_, EndpointRecord>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .bind(changes.name.as_deref())
                .bind(changes.url.as_deref())
                .bind(changes.filter_types.as_deref().map(json_types))
                .bind(changes.active)
                .bind(now)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Claims up to `limit` due deliveries of active endpoints until `lease_until`.
    pub async fn claim_due_deliveries(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<ClaimedDelivery>> {
        let skip_locked = match self.backend {
            Backend::Sqlite { .. } => "",
            Backend::Postgres { .. } => " FOR UPDATE OF d SKIP LOCKED",
        };
        let claim = format!(
            "UPDATE webhook_deliveries SET locked_until = $2 WHERE id IN (\
             SELECT d.id FROM webhook_deliveries d \
             JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             WHERE d.next_attempt_at <= $1 AND d.locked_until <= $1 AND w.active \
             ORDER BY d.next_attempt_at LIMIT $3{skip_locked}) RETURNING id"
        );
        let ids: Vec<String> = dispatch!(self, write, |db| {
            sqlx::query_scalar::<_, String>(&claim)
                .bind(now)
                .bind(lease_until)
                .bind(limit)
                .fetch_all(db)
                .await?
        });
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = (1..=ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let read = format!(
            "SELECT d.id, d.attempts, w.id AS endpoint_id, w.url, w.secret, e.id AS event_id, \
             e.organization_id, e.livemode, e.event_type, e.object_id, e.data, \
             e.created_at AS event_created_at \
             FROM webhook_deliveries d JOIN webhook_endpoints w ON w.id = d.endpoint_id \
             JOIN events e ON e.id = d.event_id WHERE d.id IN ({placeholders})"
        );
        Ok(dispatch!(self, write, |db| {
            let mut query = sqlx::query_as::<_, ClaimedDelivery>(&read);
            for id in &ids {
                query = query.bind(id);
            }
            query.fetch_all(db).await?
        }))
    }

    /// Records an attempt on a claimed delivery and releases it: delivered, due again at
    /// `retry_at`, or given up. The endpoint learns whether it is failing, and is turned off when
    /// it has been failing since `disable_if_failing_since`. Returns whether this turned it off.
    pub async fn record_webhook_attempt(
        &self,
        delivery: &ClaimedDelivery,
        result: &AttemptResult<'_>,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let now = result.attempted_at;
        let status = match (result.delivered, result.retry_at) {
            (true, _) => "delivered",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        };
        let next = if result.delivered {
            None
        } else {
            result.retry_at
        };
        let disabled = super::tx::dispatch_tx!(tx, |conn| {
            sqlx::query(
                "INSERT INTO webhook_attempts (id, delivery_id, attempted_at, status_code, \
                 latency_ms, response) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(result.attempt_id)
            .bind(&delivery.id)
            .bind(now)
            .bind(result.status_code)
            .bind(result.latency_ms)
            .bind(result.response)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE webhook_deliveries SET status = $2, attempts = attempts + 1, \
                 next_attempt_at = $3, locked_until = 0, updated_at = $4 WHERE id = $1",
            )
            .bind(&delivery.id)
            .bind(status)
            .bind(next)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            if result.delivered {
                sqlx::query(
                    "UPDATE webhook_endpoints SET failing_since = NULL \
                     WHERE id = $1 AND failing_since IS NOT NULL",
                )
                .bind(&delivery.endpoint_id)
                .execute(&mut *conn)
                .await?;
                false
            } else {
                sqlx::query(
                    "UPDATE webhook_endpoints SET failing_since = $2 \
                     WHERE id = $1 AND failing_since IS NULL",
                )
                .bind(&delivery.endpoint_id)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                sqlx::query(
                    "UPDATE webhook_endpoints SET active = FALSE, disabled_at = $2, updated_at = $2 \
                     WHERE id = $1 AND active AND failing_since <= $3",
                )
                .bind(&delivery.endpoint_id)
                .bind(now)
                .bind(result.disable_if_failing_since)
                .execute(&mut *conn)
                .await?
                .rows_affected()
                    > 0
            }
        });
        tx.commit().await?;
        Ok(disabled)
    }

    /// The endpoint's latest deliveries, newest first.
    pub async fn webhook_deliveries(
        &self,
        endpoint_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.endpoint_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, DeliveryRecord>(&sql)
                .bind(endpoint_id)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// Every delivery of one event, to whichever endpoint.
    pub async fn webhook_deliveries_of_event(
        &self,
        event_id: &str,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN events e ON e.id = d.event_id \
             WHERE d.event_id = $1 ORDER BY d.created_at, d.id"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, DeliveryRecord>(&sql)
                .bind(event_id)
                .fetch_all(db)
                .await?
        }))
    }

    /// The attempts at the endpoint's deliveries made since `since` (epoch ms), oldest first.
    pub async fn webhook_attempts(
        &self,
        endpoint_id: &str,
        since: i64,
    ) -> StoreResult<Vec<AttemptLogRecord>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, AttemptLogRecord>(
                "SELECT a.id, a.delivery_id, a.attempted_at, a.status_code, a.latency_ms, \
                 a.response FROM webhook_attempts a \
                 JOIN webhook_deliveries d ON d.id = a.delivery_id \
                 WHERE d.endpoint_id = $1 AND d.created_at >= $2 \
                 ORDER BY a.attempted_at, a.id",
            )
            .bind(endpoint_id)
            .bind(since)
            .fetch_all(db)
            .await?
        }))
    }

    /// Makes a delivery of one of the organization's endpoints due now (a resend); a delivered or
    /// given-up one goes back to pending. Returns whether such a delivery exists.
    pub async fn resend_webhook_delivery(
        &self,
        organization_id: &str,
        livemode: bool,
        delivery_id: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $4, \
                 updated_at = $4 WHERE id = $1 AND endpoint_id IN (SELECT id FROM webhook_endpoints \
                 WHERE organization_id = $2 AND livemode = $3)",
            )
            .bind(delivery_id)
            .bind(organization_id)
            .bind(livemode)
            .bind(now)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed > 0)
    }

    /// Forgets deliveries that ended (delivered or given up) and were made before `before`, with
    /// their attempts; pending ones stay whatever their age. Returns how many deliveries went.
    pub async fn delete_finished_webhook_deliveries_before(&self, before: i64) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let gone = super::tx::dispatch_tx!(tx, |conn| {
            sqlx::query(
                "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM \
                 webhook_deliveries WHERE status <> 'pending' AND created_at < $1)",
            )
            .bind(before)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < $1",
            )
            .bind(before)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
        Ok(gone)
    }

    /// Endpoints kassa turned off for failing, in a mode: the dashboard's notice.
    pub async fn disabled_webhook_endpoints(
        &self,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<Vec<EndpointRecord>> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE organization_id = $1 \
             AND livemode = $2 AND disabled_at IS NOT NULL ORDER BY disabled_at DESC"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, EndpointRecord>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .fetch_all(db)
                .await?
        }))
    }
}

impl Tx {
    /// The active endpoints of an organization in a mode: `(id, filter types)`.
    pub async fn active_webhook_endpoints(
        &mut self,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<Vec<(String, Vec<String>)>> {
        let sql = "SELECT id, filter_types FROM webhook_endpoints \
                   WHERE organization_id = $1 AND livemode = $2 AND active";
        // No write a transaction keeps for later touches the endpoints: they need not run first.
        let rows: Vec<(String, String)> = match &mut self.inner {
            super::tx::TxInner::Sqlite(transaction) => {
                sqlx::query_as(sql)
                    .bind(organization_id)
                    .bind(livemode)
                    .fetch_all(&mut *transaction.lease)
                    .await?
            }
            super::tx::TxInner::Postgres(transaction) => {
                sqlx::query_as(sql)
                    .bind(organization_id)
                    .bind(livemode)
                    .fetch_all(&mut **transaction)
                    .await?
            }
        };
        Ok(rows
            .into_iter()
            .map(|(id, types)| (id, serde_json::from_str(&types).unwrap_or_default()))
            .collect())
    }

    /// Deliveries due at `now`, each `(id, endpoint id, event id)`, in one statement.
    pub async fn insert_webhook_deliveries(
        &mut self,
        deliveries: &[(String, &str, &str)],
        now: i64,
    ) -> StoreResult<()> {
        if deliveries.is_empty() {
            return Ok(());
        }
        // $1 is the time they share; each delivery has three of its own.
        let rows = super::value_rows(deliveries.len(), 2, 3, |p| {
            format!(
                "({}, {}, {}, 'pending', 0, $1, 0, $1, $1)",
                p[0], p[1], p[2]
            )
        });
        let sql = format!(
            "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, \
             next_attempt_at, locked_until, created_at, updated_at) VALUES {rows}"
        );
        super::tx::write_later!(self, sql, |q| {
            let mut q = q.bind(now);
            for (id, endpoint_id, event_id) in deliveries {
                q = q.bind(id.as_str()).bind(*endpoint_id).bind(*event_id);
            }
            q
        });
        Ok(())
    }
}
