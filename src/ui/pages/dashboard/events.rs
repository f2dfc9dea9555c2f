//! `/dashboard/events`: what kassa has recorded, newest first, each with its JSON.

use super::{me_resource, page, visits};
use crate::server_fns::dashboard::{EventList, dashboard_events};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn EventsPage() -> impl IntoView {
    let me = me_resource();
    let q = use_query_map();
    let visits = visits();
    let data = Resource::new(
        move || (q.read().get("after"), visits()),
        |(after, _)| dashboard_events(after),
    );
    view! {
        <Title text="Events" />
        {page(me, data, |data| match data {
            Ok(list) => list_view(list).into_any(),
            Err(e) => super::failed(&e, "list"),
        })}
    }
}

/// Where the dashboard shows the object an event is about, if it has a page for it.
fn object_href(id: &str) -> Option<String> {
    if id.starts_with("cs_") {
        Some(format!("/dashboard/checkout-sessions/{id}"))
    } else if id.starts_with("cus_") {
        Some(format!("/dashboard/customers/{id}"))
    } else {
        None
    }
}

fn list_view(list: EventList) -> impl IntoView {
    let empty = list.rows.is_empty();
    let next = list
        .next
        .map(|after| format!("/dashboard/events?after={after}"));
    view! {
        <h1>"Events"</h1>
        <p class="hint">"Everything kassa has told about your checkouts, newest first. The API lists the same at GET /api/events."</p>
        {if empty {
            view! { <p class="hint">"No events in this mode yet."</p> }.into_any()
        } else {
            view! {
                <table class="list">
                    <thead><tr><th>"Event"</th><th>"About"</th><th>"When"</th></tr></thead>
                    <tbody>
                        {list.rows.into_iter().map(|e| {
                            let about = match object_href(&e.object_id) {
                                Some(href) => view! { <a class="mono" href=href>{e.object_id.clone()}</a> }.into_any(),
                                None => view! { <span class="mono">{e.object_id.clone()}</span> }.into_any(),
                            };
                            view! {
                                <tr data-event=e.id>
                                    <td>
                                        <details>
                                            <summary class="mono">{e.event_type}</summary>
                                            <pre class="json">{e.json}</pre>
                                        </details>
                                    </td>
                                    <td>{about}</td>
                                    <td class="hint">{e.at}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {next.map(|href| view! { <p><a href=href rel="next">"Older events →"</a></p> })}
    }
}
