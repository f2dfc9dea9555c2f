//! Webhooks: the endpoints with the form that makes one, and an endpoint's page with its signing
//! secret (once), its settings, and its deliveries with every attempt and a resend.

use super::{Input, form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{
    DashboardCreateWebhook, DashboardResendWebhook, DashboardSetWebhookActive,
    DashboardUpdateWebhook, DeliveryView, WebhookDetail, WebhookList, WebhookRow,
    dashboard_webhook, dashboard_webhooks,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use leptos_router::params::ParamsMap;

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_webhooks());
    view! {
        <Title text="Webhooks" />
        {page(me, data, |data| match data {
            Ok(list) => list_view(list).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

/// "On", "Off", or kassa's notice that it turned the endpoint off.
fn state_of(w: &WebhookRow) -> impl IntoView + use<> {
    match (&w.disabled_at, w.active, &w.failing_since) {
        (Some(at), false, _) => view! {
            <span class="status failed">{format!("turned off by kassa {at}")}</span>
        }
        .into_any(),
        (_, false, _) => view! { <span class="status expired">"off"</span> }.into_any(),
        (_, true, Some(since)) => view! {
            <span class="status pending">{format!("failing since {since}")}</span>
        }
        .into_any(),
        (_, true, None) => view! { <span class="status succeeded">"on"</span> }.into_any(),
    }
}

fn list_view(list: WebhookList) -> impl IntoView {
    let create = form_action::<DashboardCreateWebhook>();
    let q = query();
    let empty = list.rows.is_empty();
    view! {
        <h1>"Webhooks"</h1>
        <p class="hint">
            "kassa POSTs every event an endpoint listens for, signed in the Kassa-Signature header, "
            "and retries failed deliveries for about three days."
        </p>
        {if empty {
            view! { <p class="hint">"No endpoints in this mode yet."</p> }.into_any()
        } else {
            view! {
                <table class="list">
                    <thead><tr><th>"Endpoint"</th><th>"Events"</th><th>"State"</th><th>"Created"</th></tr></thead>
                    <tbody>
                        {list.rows.into_iter().map(|w| {
                            let state = state_of(&w);
                            let label = if w.name.is_empty() { w.url.clone() } else { w.name.clone() };
                            view! {
                                <tr data-webhook=w.id.clone()>
                                    <td>
                                        <a href=format!("/dashboard/webhooks/{}", w.id)>{label}</a>
                                        <div class="hint mono">{w.url}</div>
                                    </td>
                                    <td class="mono">{w.filter_types.join(", ")}</td>
                                    <td>{state}</td>
                                    <td class="hint">{w.created}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <section class="panel">
            <h2>"Add an endpoint"</h2>
            {form_error(&q)}
            <ActionForm action=create attr:class="form-grid">
                <Input label="Endpoint URL" name="url".into() q=q.clone() kind="url" required=true hint="Where kassa POSTs events, such as https://shop.example/webhooks/kassa. Live mode needs https." />
                <Input label="Name" name="name".into() q=q.clone() hint="For you, such as “Order fulfilment”." />
                {event_choice(&q, &list.event_types, &["*".to_owned()])}
                <button type="submit" class="primary">"Add endpoint"</button>
            </ActionForm>
        </section>
    }
}

/// The event-type checkboxes (`event[<type>]`), with `checked` ticked.
fn event_choice(q: &ParamsMap, types: &[String], checked: &[String]) -> impl IntoView + use<> {
    let error = q.get("error.filter_types");
    let invalid = error.is_some();
    let all = checked.iter().any(|t| t == "*");
    let boxes = types
        .iter()
        .map(|t| {
            let on = checked.contains(t);
            view! {
                <label class="check">
                    <input type="checkbox" name=format!("event[{t}]") value="on" checked=on />
                    " "<span class="mono">{t.clone()}</span>
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="field" class:invalid=invalid>
            <legend class="label">"Events"</legend>
            <label class="check">
                <input type="checkbox" name="event[*]" value="on" checked=all />
                " Every event, including types added later"
            </label>
            {boxes}
            {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </fieldset>
    }
}

#[component]
pub fn WebhookPage() -> impl IntoView {
    let me = me_resource();
    let params = use_params_map();
    let visits = visits();
    let data = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), visits()),
        |(id, _)| dashboard_webhook(id),
    );
    view! {
        <Title text="Webhook endpoint" />
        {page(me, data, |data| match data {
            Ok(detail) => detail_view(detail).into_any(),
            Err(e) => super::failed(&e, "webhook endpoint"),
        })}
    }
}

fn detail_view(d: WebhookDetail) -> impl IntoView {
    let update = form_action::<DashboardUpdateWebhook>();
    let set_active = form_action::<DashboardSetWebhookActive>();
    let q = query();
    let w = d.endpoint;
    let title = if w.name.is_empty() {
        w.url.clone()
    } else {
        w.name.clone()
    };
    let resent = q.get("resent");
    // Seconds, read as a number: nothing typed into the address reaches the page as text.
    let resend_wait = q.get("resend_wait").and_then(|s| s.parse::<u64>().ok());
    let saved = q.get("saved").is_some();
    let state = state_of(&w);
    let notice = w.disabled_at.clone().filter(|_| !w.active).map(|at| view! {
        <p class="banner error" role="alert">
            {format!("kassa turned this endpoint off on {at}: every delivery to it failed for three days. ")}
            "Fix the endpoint, then turn it on again; the deliveries waiting for it resume."
        </p>
    });
    let deliveries = d.deliveries;
    let empty = deliveries.is_empty();
    let id = w.id.clone();
    let toggle_id = w.id.clone();
    let update_id = w.id.clone();
    let url = w.url.clone();
    view! {
        <p><a href="/dashboard/webhooks">"← Webhooks"</a></p>
        <h1>{title}</h1>
        <p class="mono">{url}" "{state}</p>
        {notice}
        {d.new_secret.map(|secret| view! {
            <section class="panel secret" data-testid="new-webhook-secret">
                <h2>"Signing secret"</h2>
                <p>"Copy it now: it is shown this once. Your endpoint checks each delivery's Kassa-Signature header with it."</p>
                <input readonly class="mono" value=secret aria-label="Signing secret" />
            </section>
        })}
        {saved.then(|| view! { <p class="banner ok" role="status">"Saved."</p> })}
        {resent.map(|r| view! { <p class="banner ok" role="status">{format!("Delivery {r} will be sent again in a moment.")}</p> })}
        {resend_wait.map(|wait| view! {
            <p class="banner error" role="alert">
                {format!("Resends are limited to {} a minute for each organization: try again in {wait} s.", crate::domain::webhook::RESENDS_PER_MINUTE)}
            </p>
        })}
        <ActionForm action=set_active>
            <input type="hidden" name="id" value=toggle_id />
            <input type="hidden" name="active" value=if w.active { "false" } else { "true" } />
            <button type="submit" class=if w.active { "link danger" } else { "primary" }>
                {if w.active { "Turn off" } else { "Turn on" }}
            </button>
        </ActionForm>
        <h2>"Deliveries"</h2>
        {if empty {
            view! { <p class="hint">"No deliveries yet: the next event this endpoint listens for makes one."</p> }.into_any()
        } else {
            view! {
                <table class="list deliveries">
                    <thead><tr><th>"Event"</th><th>"State"</th><th>"Attempts"</th><th></th></tr></thead>
                    <tbody>
                        {deliveries.into_iter().map(|delivery| delivery_row(id.clone(), delivery)).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        <section class="panel">
            <h2>"Settings"</h2>
            {form_error(&q)}
            <ActionForm action=update attr:class="form-grid">
                <input type="hidden" name="id" value=update_id />
                <Input label="Endpoint URL" name="url".into() q=q.clone() kind="url" value=w.url.clone() required=true />
                <Input label="Name" name="name".into() q=q.clone() value=w.name.clone() />
                {event_choice(&q, &d.event_types, &w.filter_types)}
                <button type="submit" class="primary">"Save"</button>
            </ActionForm>
        </section>
    }
}

fn delivery_row(endpoint: String, d: DeliveryView) -> impl IntoView + use<> {
    let resend = form_action::<DashboardResendWebhook>();
    let state = match (&d.status[..], &d.next_attempt) {
        ("pending", Some(next)) => format!("next attempt {next}"),
        (status, _) => status.to_owned(),
    };
    let class = match &d.status[..] {
        "delivered" => "status succeeded",
        "failed" => "status failed",
        _ => "status pending",
    };
    let count = d.attempts.len();
    let delivery = d.id.clone();
    view! {
        <tr data-delivery=d.id>
            <td>
                <span class="mono">{d.event_type}</span>
                <div class="hint mono">{d.event_id}</div>
            </td>
            <td><span class=class>{state}</span></td>
            <td>
                <details>
                    <summary>{format!("{count} attempt{}", if count == 1 { "" } else { "s" })}</summary>
                    <ol class="attempts">
                        {d.attempts.into_iter().map(|a| view! {
                            <li>
                                <span class=if a.ok { "status succeeded" } else { "status failed" }>{a.outcome}</span>
                                " "{a.at}" · "{format!("{} ms", a.latency_ms)}
                                {(!a.response.is_empty()).then(|| view! { <pre class="json">{a.response}</pre> })}
                            </li>
                        }).collect_view()}
                    </ol>
                </details>
            </td>
            <td>
                <ActionForm action=resend>
                    <input type="hidden" name="id" value=endpoint />
                    <input type="hidden" name="delivery" value=delivery />
                    <button type="submit" class="link">"Resend"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
