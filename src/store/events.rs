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

/// An event to record: what [`Tx::insert_events`] writes of each, beside the organization, the
/// mode and the time they share.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub object_id: &'a str,
    /// JSON: the object as it is now.
    pub data: &'a str,
}

const EVENT_COLUMNS: &str =
    "id, organization_id, livemode, event_type, object_id, data, created_at";

impl Tx {
    /// Records `events` of one organization and mode, all made at `now`, in one statement.
    pub async fn insert_events(
        &mut self,
        organization_id: &str,
        livemode: bool,
        events: &[NewEvent<'_>],
        now: i64,
    ) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        // $1 to $3 are shared; each event has four of its own.
        let rows = super::value_rows(events.len(), 4, 4, |p| {
            format!("({}, $1, $2, {}, {}, {}, $3)", p[0], p[1], p[2], p[3])
        });
        let sql = format!("INSERT INTO events ({EVENT_COLUMNS}) VALUES {rows}");
        super::tx::write_later!(self, sql, |q| {
            let mut q = q.bind(organization_id).bind(livemode).bind(now);
            for event in events {
                q = q
                    .bind(event.id)
                    .bind(event.event_type)
                    .bind(event.object_id)
                    .bind(event.data);
            }
            q
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
