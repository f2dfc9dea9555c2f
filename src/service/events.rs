//! Events: what changed, recorded by the transaction that changes it, and read back in the shape
//! the API shows and webhooks send:
//!
//! ```json
//! { "id": "evt_…", "object": "event", "type": "checkout.session.completed", "created": 1763800000,
//!   "livemode": false, "data": { "object": { "id": "cs_test_…", "object": "checkout.session", … } } }
//! ```

use crate::domain::event::EventType;
use crate::domain::ids;
use crate::store::{EventRecord, NewEvent, StoreError, StoreResult, Tx};
use serde_json::{Value, json};

/// Events a transaction will record when it commits: collected while it writes.
#[derive(Debug, Default)]
pub struct Outbox {
    events: Vec<(EventType, String, Value)>,
}

impl Outbox {
    /// Notes that `object` (its `id` field names it) went through `event_type`.
    pub fn push(&mut self, event_type: EventType, object: Value) {
        let id = object["id"].as_str().unwrap_or_default().to_owned();
        self.events.push((event_type, id, object));
    }

    /// Writes the events into `tx`, in the order they were pushed, each with a delivery to every
    /// webhook endpoint that wants it.
    pub async fn write(
        self,
        tx: &mut Tx,
        organization_id: &str,
        livemode: bool,
        now: i64,
    ) -> StoreResult<()> {
        let mut written = Vec::with_capacity(self.events.len());
        let mut datas = Vec::with_capacity(self.events.len());
        for (event_type, _, object) in &self.events {
            written.push((super::ids::new_id(ids::EVENT), event_type.as_str()));
            datas.push(serde_json::to_string(object).map_err(StoreError::from)?);
        }
        let rows: Vec<NewEvent> = self
            .events
            .iter()
            .zip(&written)
            .zip(&datas)
            .map(|(((_, object_id, _), (id, event_type)), data)| NewEvent {
                id,
                event_type,
                object_id,
                data,
            })
            .collect();
        tx.insert_events(organization_id, livemode, &rows, now)
            .await?;
        super::webhooks::fan_out(tx, organization_id, livemode, &written, now).await
    }
}

/// Something that happened, in the shape the API shows and webhooks deliver.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Event {
    pub id: String,
    /// Always `event`.
    #[schema(example = "event")]
    pub object: &'static str,
    /// `checkout.session.completed`, `invoice.paid`, …
    #[serde(rename = "type")]
    #[schema(example = "checkout.session.completed")]
    pub kind: String,
    /// Epoch seconds, as Stripe's events.
    pub created: i64,
    pub livemode: bool,
    pub data: EventData,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct EventData {
    /// The object as it was when the event happened.
    pub object: Value,
}

impl From<&EventRecord> for Event {
    fn from(event: &EventRecord) -> Event {
        Event {
            id: event.id.clone(),
            object: "event",
            kind: event.event_type.clone(),
            created: event.created_at / 1000,
            livemode: event.livemode,
            data: EventData {
                object: serde_json::from_str(&event.data).unwrap_or(Value::Null),
            },
        }
    }
}

/// The event as the API shows it, as JSON.
pub fn event_json(event: &EventRecord) -> Value {
    serde_json::to_value(Event::from(event)).unwrap_or(Value::Null)
}

/// What `customer.created` carries.
pub fn customer_object(
    id: &str,
    email: &str,
    name: Option<&str>,
    external_id: Option<&str>,
) -> Value {
    json!({ "id": id, "object": "customer", "email": email, "name": name, "external_id": external_id })
}
