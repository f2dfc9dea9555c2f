//! The buyer's page, `/billing/{token}`: their subscriptions (end one at its period's end, or
//! keep it running), their card (change it), and their invoices. Rendered whole on the server;
//! its forms are plain posts answered by a redirect back here, with JavaScript or without.

use crate::server_fns::billing::{BillingView, billing_page};
use leptos::prelude::*;
use leptos_meta::{Style, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn BillingPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let page = Resource::new(
        move || params.read().get("token").unwrap_or_default(),
        billing_page,
    );
    view! {
        <Suspense fallback=|| view! { <main class="checkout"><p class="hint">"Loading…"</p></main> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(view)) => render(view, query.get_untracked().get("done")).into_any(),
                    Ok(None) => {
                        super::checkout::not_found_status();
                        view! {
                            <Title text="Link expired" />
                            <main class="checkout">
                                <h1>"This link has expired"</h1>
                                <p class="hint">"Links to manage a subscription last a while only. Open the latest mail from the shop, or ask the shop for a new link."</p>
                            </main>
                        }.into_any()
                    }
                    Err(_) => view! {
                        <main class="checkout"><p class="banner error" role="alert">"This page cannot be shown right now. Try again in a moment."</p></main>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn notice(done: Option<String>) -> Option<(&'static str, &'static str)> {
    Some(match done?.as_str() {
        "canceled" => (
            "ok",
            "Your subscription will end at the end of the period you paid for.",
        ),
        "resumed" => ("ok", "Your subscription will keep running."),
        "card" => (
            "ok",
            "Your new card is saved; your subscriptions will be charged to it.",
        ),
        "refused" => (
            "error",
            "That could not be done: the subscription has changed meanwhile.",
        ),
        "not_found" => ("error", "That subscription is not yours to change."),
        _ => return None,
    })
}

fn render(v: BillingView, done: Option<String>) -> impl IntoView {
    let accent = v
        .accent_color
        .as_deref()
        .and_then(|c| crate::domain::account::parse_color(c).ok())
        .map(|c| view! { <Style>{format!("main.checkout {{ --accent: {c}; }}")}</Style> });
    let token = v.token.clone();
    let notice = notice(done).map(|(kind, text)| {
        let role = if kind == "ok" { "status" } else { "alert" };
        view! { <p class=format!("banner {kind}") role=role>{text}</p> }
    });
    let subscriptions = v.subscriptions.clone();
    let no_subscriptions = subscriptions.is_empty();
    let invoices = v.invoices.clone();
    let no_invoices = invoices.is_empty();
    view! {
        <Title text=format!("Your billing with {}", v.merchant_name) />
        {accent}
        <main class="checkout billing">
            <header class="merchant">
                <span class="merchant-name">{v.merchant_name.clone()}</span>
                {(!v.livemode).then(|| view! { <span class="badge">"Test mode"</span> })}
            </header>
            <h1>"Your billing"</h1>
            {v.email.clone().map(|e| view! { <p class="hint">{e}</p> })}
            {notice}
            <section class="panel" aria-labelledby="subscriptions">
                <h2 id="subscriptions">"Subscriptions"</h2>
                {no_subscriptions.then(|| view! { <p class="hint">"No subscriptions."</p> })}
                <ul class="billing-list">
                    {subscriptions.into_iter().map(|s| {
                        let form = s.action.clone().map(|action| {
                            let (path, label, class) = if action == "cancel" {
                                ("/api/billing/cancel", "Cancel subscription", "link danger")
                            } else {
                                ("/api/billing/resume", "Keep my subscription", "primary")
                            };
                            view! {
                                <form method="post" action=path>
                                    <input type="hidden" name="token" value=token.clone() />
                                    <input type="hidden" name="subscription" value=s.id.clone() />
                                    <button type="submit" class=class>{label}</button>
                                </form>
                            }
                        });
                        view! {
                            <li data-subscription=s.id.clone()>
                                <strong>{s.description}</strong>
                                {s.price.map(|p| view! { <span>{format!(" · {p}")}</span> })}
                                <p class="hint">{s.next}</p>
                                {form}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
            <section class="panel" aria-labelledby="card">
                <h2 id="card">"Payment method"</h2>
                <p>{v.card.clone().unwrap_or_else(|| "No saved card.".into())}</p>
                <form method="post" action="/api/billing/card">
                    <input type="hidden" name="token" value=token.clone() />
                    <button type="submit" class="primary">"Change card"</button>
                </form>
            </section>
            <section class="panel" aria-labelledby="invoices">
                <h2 id="invoices">"Invoices"</h2>
                {no_invoices.then(|| view! { <p class="hint">"No invoices yet."</p> })}
                <table class="list">
                    <tbody>
                        {invoices.into_iter().map(|i| view! {
                            <tr>
                                <td>{i.number}</td>
                                <td>{i.date}</td>
                                <td>{i.total}</td>
                                <td><span class=format!("status {}", i.status)>{i.status.clone()}</span></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <footer class="secured">"Billing by kassa"</footer>
        </main>
    }
}
