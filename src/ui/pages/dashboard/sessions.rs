//! Checkout sessions: the list, a session's detail, and the create form.

use super::{Input, Select, checks, form_action, form_error, me_resource, page, query, visits};
use crate::domain::session::SessionStatus;
use crate::server_fns::dashboard::{
    DashboardCreateSession, DashboardExpireSession, SessionChoices, SessionDetail, SessionList,
    dashboard_session, dashboard_session_choices, dashboard_sessions,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

const STATUSES: [SessionStatus; 5] = [
    SessionStatus::Open,
    SessionStatus::Pending,
    SessionStatus::Succeeded,
    SessionStatus::Failed,
    SessionStatus::Expired,
];

#[component]
pub fn SessionsPage() -> impl IntoView {
    let me = me_resource();
    let q = use_query_map();
    let visits = visits();
    let data = Resource::new(
        move || {
            let q = q.read();
            (q.get("status"), q.get("q"), q.get("after"), visits())
        },
        |(status, search, after, _)| dashboard_sessions(status, search, after),
    );
    view! {
        <Title text="Checkout sessions" />
        {page(me, data, |data| match data {
            Ok(list) => list_view(list).into_any(),
            Err(e) => super::failed(&e, "list"),
        })}
    }
}

fn list_view(list: SessionList) -> impl IntoView {
    let q = query();
    let status = q.get("status").unwrap_or_default();
    let search = q.get("q").unwrap_or_default();
    let next = list.next.map(|after| {
        let mut url = url_with(&[("status", &status), ("q", &search), ("after", &after)]);
        if url.is_empty() {
            url = "/dashboard/checkout-sessions".into();
        }
        url
    });
    let empty = list.rows.is_empty();
    view! {
        <div class="heading">
            <h1>"Checkout sessions"</h1>
            <a class="button" href="/dashboard/checkout-sessions/new">"Create a checkout session"</a>
        </div>
        <form method="get" action="/dashboard/checkout-sessions" class="filters" role="search">
            <label>
                "Status "
                <select name="status">
                    <option value="" selected=status.is_empty()>"Any"</option>
                    {STATUSES
                        .into_iter()
                        .map(|s| {
                            let is = s.as_str() == status;
                            view! { <option value=s.as_str() selected=is>{s.as_str()}</option> }
                        })
                        .collect_view()}
                </select>
            </label>
            <label>"Search " <input type="search" name="q" value=search placeholder="Session id or email" /></label>
            <button type="submit">"Filter"</button>
        </form>
        {if empty {
            view! { <p class="hint">"No checkout sessions match."</p> }.into_any()
        } else {
            view! {
                <table class="list">
                    <thead>
                        <tr><th>"Session"</th><th>"Status"</th><th>"Customer"</th><th>"Total"</th><th>"Created"</th></tr>
                    </thead>
                    <tbody>
                        {list
                            .rows
                            .into_iter()
                            .map(|r| {
                                let href = format!("/dashboard/checkout-sessions/{}", r.id);
                                let row_id = r.id.clone();
                                view! {
                                    <tr data-session=row_id>
                                        <td><a href=href class="mono">{r.id}</a></td>
                                        <td><span class=format!("status {}", r.status)>{r.status.to_string()}</span></td>
                                        <td>{r.email.unwrap_or_default()}</td>
                                        <td>{r.total.unwrap_or_default()}</td>
                                        <td class="hint">{r.created}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            }
                .into_any()
        }}
        {next.map(|href| view! { <p><a href=href rel="next">"Older sessions →"</a></p> })}
    }
}

/// `/dashboard/checkout-sessions?status=..&q=..` with the non-empty parameters.
fn url_with(params: &[(&str, &str)]) -> String {
    let query: Vec<String> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("/dashboard/checkout-sessions?{}", query.join("&"))
}

fn encode(v: &str) -> String {
    url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[component]
pub fn SessionPage() -> impl IntoView {
    let me = me_resource();
    let params = use_params_map();
    let visits = visits();
    let data = Resource::new(
        move || (params.read().get("id").unwrap_or_default(), visits()),
        |(id, _)| dashboard_session(id),
    );
    view! {
        <Title text="Checkout session" />
        {page(me, data, |data| match data {
            Ok(detail) => detail_view(detail).into_any(),
            Err(e) => super::failed(&e, "checkout session"),
        })}
    }
}

fn detail_view(d: SessionDetail) -> impl IntoView {
    let expire = form_action::<DashboardExpireSession>();
    let q = query();
    let copied = RwSignal::new(false);
    let url = d.url.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&url);
            copied.set(true);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &url;
    };
    let id = d.row.id.clone();
    let status = d.row.status;
    view! {
        <p><a href="/dashboard/checkout-sessions">"← Checkout sessions"</a></p>
        <div class="heading">
            <h1 class="mono">{d.row.id.clone()}</h1>
            <span class=format!("status {status}") data-testid="session-status">{status.to_string()}</span>
        </div>
        {form_error(&q)}
        <section class="panel link-panel">
            <h2>"Checkout link"</h2>
            <div class="copy-row">
                <input readonly value=d.url.clone() aria-label="Checkout link" class="mono" />
                <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy link" }}</button>
                <a href=d.url.clone() target="_blank" rel="noopener">"Open"</a>
            </div>
            <div class="qr" inner_html=d.qr_svg aria-label="QR code of the checkout link" role="img"></div>
            {d.can_expire.then(|| view! {
                <ActionForm action=expire>
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="danger">"Expire this session"</button>
                </ActionForm>
            })}
        </section>
        <section class="panel">
            <h2>"Line items"</h2>
            <table class="list">
                <thead><tr><th>"Item"</th><th>"Quantity"</th><th>"Unit price"</th><th>"Amount"</th></tr></thead>
                <tbody>
                    {d.lines.into_iter().map(|l| view! {
                        <tr><td>{l.description}</td><td>{l.quantity}</td><td>{l.unit}</td><td>{l.amount}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <dl class="totals">
                {d.subtotal.map(|v| view! { <dt>"Subtotal"</dt><dd>{v}</dd> })}
                {d.discount.map(|v| view! { <dt>"Discount"</dt><dd>{v}</dd> })}
                {d.tax.map(|v| view! { <dt>"Tax"</dt><dd>{v}</dd> })}
                {d.total.map(|v| view! { <dt>"Total"</dt><dd>{v}</dd> })}
            </dl>
        </section>
        <section class="panel">
            <h2>"Details"</h2>
            <dl class="facts">
                <dt>"Kind"</dt><dd>{d.row.kind}" · "{d.mode}</dd>
                <dt>"Customer"</dt>
                <dd>
                    {d.row.email.unwrap_or_else(|| "—".into())}
                    {d.customer_name.map(|n| format!(" ({n})"))}
                    {d.customer_id.map(|c| view! { " " <span class="mono hint">{c}</span> })}
                </dd>
                <dt>"Created"</dt><dd>{d.row.created}</dd>
                <dt>"Expires"</dt><dd>{d.expires}</dd>
                <dt>"Success URL"</dt><dd class="mono">{d.success_url.unwrap_or_else(|| "—".into())}</dd>
            </dl>
        </section>
        <section class="panel">
            <h2>"Payment attempts"</h2>
            {if d.attempts.is_empty() {
                view! { <p class="hint">"No payment attempted yet."</p> }.into_any()
            } else {
                view! {
                    <table class="list">
                        <thead><tr><th>"Attempt"</th><th>"Status"</th><th>"Method"</th><th>"Amount"</th><th>"When"</th></tr></thead>
                        <tbody>
                            {d.attempts.into_iter().map(|a| view! {
                                <tr>
                                    <td class="mono">{a.id}</td>
                                    <td>{a.status.as_str()}{a.detail.map(|m| format!(": {m}"))}</td>
                                    <td>{a.method}</td>
                                    <td>{a.amount}</td>
                                    <td class="hint">{a.at}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        <section class="panel">
            <h2>"Timeline"</h2>
            <ol class="timeline" data-testid="timeline">
                {d.timeline.into_iter().map(|(at, what)| view! {
                    <li><span class="hint">{at}</span>" "<span>{what}</span></li>
                }).collect_view()}
            </ol>
        </section>
    }
}

#[component]
pub fn NewSessionPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_session_choices());
    view! {
        <Title text="Create a checkout session" />
        {page(me, data, |data| match data {
            Ok(choices) => new_session_view(choices).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

/// How many line rows the form offers.
const ROWS: usize = 3;

fn new_session_view(choices: SessionChoices) -> impl IntoView {
    let action = form_action::<DashboardCreateSession>();
    let q = query();
    let values = q.clone();
    let checked = move |name: &str, default: bool| match values.get(&format!("value.{name}")) {
        Some(v) => !v.is_empty(),
        // A form that came back unchecked the box: its value is absent.
        None if values.get("value.kind").is_some() => false,
        None => default,
    };
    let mut price_options = vec![(String::new(), "—".to_owned())];
    price_options.extend(choices.prices.iter().cloned());
    let mut customer_options = vec![(
        String::new(),
        "Anyone (the buyer enters an email)".to_owned(),
    )];
    customer_options.extend(choices.customers.iter().cloned());
    let mut subscription_options = vec![(String::new(), "—".to_owned())];
    subscription_options.extend(choices.subscriptions.iter().cloned());
    let no_prices = choices.prices.is_empty();
    let kinds = vec![
        (
            "purchase".to_owned(),
            "Sell the items (payment or subscription)".to_owned(),
        ),
        (
            "add_payment_method".to_owned(),
            "Save a payment method".to_owned(),
        ),
        (
            "activate_subscription".to_owned(),
            "Start a subscription awaiting its first payment".to_owned(),
        ),
    ];
    let methods = [
        ("card", "Card", true),
        ("link", "Link", false),
        ("us_bank_account", "US bank account", false),
        ("sepa_debit", "SEPA Direct Debit", false),
        ("paypal", "PayPal", false),
        ("customer_balance", "Customer balance", false),
    ];
    view! {
        <p><a href="/dashboard/checkout-sessions">"← Checkout sessions"</a></p>
        <h1>"Create a checkout session"</h1>
        {no_prices.then(|| view! {
            <p class="banner">"You have no prices in this mode yet. "<a href="/dashboard/products">"Create a product"</a>" first."</p>
        })}
        {form_error(&q)}
        <ActionForm action=action attr:class="panel form-grid">
            <Select label="What the session does" name="kind".into() q=q.clone() options=kinds />
            <fieldset>
                <legend>"Line items"</legend>
                {(0..ROWS)
                    .map(|i| {
                        let adjustable = checked(&format!("adjustable[{i}]"), false);
                        view! {
                            <div class="line-row">
                                <Select label="Price" name=format!("price[{i}]") q=q.clone() options=price_options.clone() />
                                <Input label="Quantity" name=format!("quantity[{i}]") q=q.clone() kind="number" value="1".to_owned() />
                                <label class="check">
                                    <input type="checkbox" name=format!("adjustable[{i}]") value="on" checked=adjustable />
                                    " Buyer can change the quantity"
                                </label>
                            </div>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <fieldset>
                <legend>"Customer"</legend>
                <Select label="Existing customer" name="customer".into() q=q.clone() options=customer_options />
                <Input label="Or a guest's email" name="guest_email".into() q=q.clone() kind="email" hint="Leave both empty to let the buyer enter their own." check=checks::email />
                <Select label="Subscription to activate" name="target_subscription".into() q=q.clone() options=subscription_options />
            </fieldset>
            <fieldset>
                <legend>"After payment"</legend>
                <Input label="Success URL" name="success_url".into() q=q.clone() kind="url" hint="Where the buyer goes after paying; kassa shows a receipt when empty." />
                <Input label="Cancel URL" name="cancel_url".into() q=q.clone() kind="url" />
            </fieldset>
            <fieldset>
                <legend>"Options"</legend>
                <Input label="Trial days" name="trial_period_days".into() q=q.clone() kind="number" hint="For subscriptions." />
                <label class="check">
                    <input type="checkbox" name="allow_promotion_codes" value="on" checked=checked("allow_promotion_codes", false) />
                    " Allow promotion codes"
                </label>
                <div class="field" class:invalid=q.get("error.method").is_some()>
                    <span class="label">"Payment methods"</span>
                    {methods
                        .into_iter()
                        .map(|(value, label, default)| {
                            let on = checked(&format!("method[{value}]"), default);
                            view! {
                                <label class="check">
                                    <input type="checkbox" name=format!("method[{value}]") value="on" checked=on />
                                    " "{label}
                                </label>
                            }
                        })
                        .collect_view()}
                    {q.get("error.method").map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                </div>
                <Input label="Expires in (hours)" name="expires_in_hours".into() q=q.clone() kind="number" value="24".to_owned() />
            </fieldset>
            <button type="submit" class="primary">"Create session"</button>
        </ActionForm>
    }
}
