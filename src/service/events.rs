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
        for (event_type, object_id, object) in self.events {
            let id = super::ids::new_id(ids::EVENT);
            let data = serde_json::to_string(&object).map_err(StoreError::from)?;
            tx.insert_event(
                &NewEvent {
                    id: &id,
                    organization_id,
                    livemode,
                    event_type: event_type.as_str(),
                    object_id: &object_id,
                    data: &data,
                },
                now,
            )
            .await?;
            written.push((id, event_type.as_str()));
        }
        super::webhooks::fan_out(tx, organization_id, livemode, &written, now).await
    }
}

/// The event as the API shows it.
pub fn event_json(event: &EventRecord) -> Value {
    let object: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
    json!({
        "id": event.id,
        "object": "event",
        "type": event.event_type,
        "created": event.created_at / 1000,
        "livemode": event.livemode,
        "data": { "object": object },
    })
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
