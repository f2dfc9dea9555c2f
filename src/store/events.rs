//! Events, written by the transaction that makes the change they tell of (an outbox).

use super::{Page, PageRequest, Store, StoreResult, Tx};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EventRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub event_type: String,
    pub object_id: String,
    /// JSON: the object as it was when the event happened.
    pub data: String,
    pub created_at: i64,
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub event_type: &'a str,
    pub object_id: &'a str,
    pub data: &'a str,
}

const EVENT_COLUMNS: &str =
    "id, organization_id, livemode, event_type, object_id, data, created_at";

impl Tx {
    pub async fn insert_event(&mut self, event: &NewEvent<'_>, now: i64) -> StoreResult<()> {
        super::tx::dispatch_tx!(self, |conn| {
            sqlx::query(
                "INSERT INTO events (id, organization_id, livemode, event_type, object_id, data, \
                 created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(event.id)
            .bind(event.organization_id)
            .bind(event.livemode)
            .bind(event.event_type)
            .bind(event.object_id)
            .bind(event.data)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}

impl Store {
    /// The organization's events in a mode, newest first.
    pub async fn events(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<EventRecord>> {
        self.page_of("events", EVENT_COLUMNS, "", organization_id, livemode, page)
            .await
    }

    pub async fn event(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<EventRecord>> {
        self.one_of("events", EVENT_COLUMNS, organization_id, livemode, id)
            .await
    }

    /// Every event about one object, oldest first (a session's timeline, tests).
    pub async fn events_of_object(&self, object_id: &str) -> StoreResult<Vec<EventRecord>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE object_id = $1 ORDER BY created_at, id"
        );
        Ok(super::dispatch!(self, read, |db| {
            sqlx::query_as::<_, EventRecord>(&sql)
                .bind(object_id)
                .fetch_all(db)
                .await?
        }))
    }
}
