//! Events: what kassa has recorded for the organization in the signed-in mode.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: String,
    pub event_type: String,
    pub object_id: String,
    /// The event as the API and webhooks show it, pretty-printed.
    pub json: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventList {
    pub rows: Vec<EventRow>,
    pub next: Option<String>,
}

/// A page of events, newest first; `after` is the cursor a previous page gave.
#[server(name = DashboardEvents, prefix = "/api/dashboard", endpoint = "events")]
pub async fn dashboard_events(after: Option<String>) -> Result<EventList, ServerFnError> {
    use super::ssr::*;
    use crate::store::PageRequest;
    const PAGE: u32 = 50;
    let signed = signed_in().await?;
    let page = state()
        .store
        .events(
            &signed.principal.organization_id,
            signed.principal.mode.is_live(),
            &PageRequest {
                limit: PAGE,
                after: after.as_deref().and_then(parse_cursor),
            },
        )
        .await
        .map_err(internal)?;
    let next = next_cursor(&page, |e| (e.created_at, e.id.as_str()));
    Ok(EventList {
        rows: page
            .items
            .iter()
            .map(|e| EventRow {
                id: e.id.clone(),
                event_type: e.event_type.clone(),
                object_id: e.object_id.clone(),
                json: serde_json::to_string_pretty(&crate::service::events::event_json(e))
                    .unwrap_or_default(),
                at: when(e.created_at),
            })
            .collect(),
        next,
    })
}
