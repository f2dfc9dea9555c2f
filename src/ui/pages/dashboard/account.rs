//! `/dashboard` (the overview, or signing in) and `/dashboard/sign-up`.

use super::{Input, checks, form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{Overview, SignIn as SignInFn, SignUp, dashboard_overview};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

#[component]
pub fn DashboardHome() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_overview());
    view! {
        <Title text="Dashboard" />
        {page(me, data, |data| match data {
            Ok(overview) => overview_view(overview).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

fn overview_view(o: Overview) -> impl IntoView {
    let total: i64 = o.today.iter().map(|(_, n)| n).sum();
    let disabled = o.disabled_webhooks;
    view! {
        <h1>"Overview"</h1>
        {disabled.into_iter().map(|(id, label, at)| view! {
            <p class="banner error" role="alert" data-testid="webhook-disabled">
                "Webhook endpoint "<a href=format!("/dashboard/webhooks/{id}")>{label}</a>
                " was turned off on "{at}" after every delivery to it failed for three days. "
                "Fix it, then turn it on again: the deliveries waiting for it resume."
            </p>
        }).collect_view()}
        <section class="cards">
            <div class="panel stat">
                <h2>"Checkout sessions today"</h2>
                <p class="big">{total}</p>
                <ul class="plain">
                    {o.today
                        .into_iter()
                        .map(|(status, n)| view! {
                            <li><span class=format!("status {status}")>{status.to_string()}</span>" "{n}</li>
                        })
                        .collect_view()}
                </ul>
            </div>
            <div class="panel stat">
                <h2>{if o.live { "Revenue today" } else { "Test-mode revenue today" }}</h2>
                {if o.revenue_today.is_empty() {
                    view! { <p class="big">"0"</p> }.into_any()
                } else {
                    o.revenue_today
                        .into_iter()
                        .map(|r| view! { <p class="big">{r}</p> })
                        .collect_view()
                        .into_any()
                }}
            </div>
        </section>
        <p>
            <a class="button" href="/dashboard/checkout-sessions/new">"Create a checkout session"</a>
        </p>
        <h2>"The last 30 days"</h2>
        <section class="charts">
            {o.charts.into_iter().map(|chart| view! {
                <figure class="panel chart-panel">
                    <figcaption><h3>{chart.title.clone()}</h3><p>{chart.summary}</p></figcaption>
                    <div class="chart-image" inner_html=chart.svg></div>
                    <details>
                        <summary>"The numbers"</summary>
                        <table>
                            <caption class="visually-hidden">{chart.title}</caption>
                            <thead><tr>{chart.columns.into_iter().map(|c| view! { <th scope="col">{c}</th> }).collect_view()}</tr></thead>
                            <tbody>
                                {chart.rows.into_iter().map(|row| view! {
                                    <tr>{row.into_iter().map(|cell| view! { <td>{cell}</td> }).collect_view()}</tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </details>
                </figure>
            }).collect_view()}
        </section>
    }
}

/// The sign-in form, shown wherever someone signed out opens a dashboard page; it comes back to
/// that page.
#[component]
pub(crate) fn SignIn() -> impl IntoView {
    let action = form_action::<SignInFn>();
    let location = use_location();
    let here = location.pathname.get_untracked();
    let q = query();
    view! {
        <Title text="Sign in" />
        <main class="page narrow auth">
            <p class="brand">"kassa"</p>
            <h1>"Sign in to your dashboard"</h1>
            {form_error(&q)}
            <ActionForm action=action>
                <input type="hidden" name="return_to" value=here />
                <Input label="Email" name="email".into() q=q.clone() kind="email" autocomplete="username" required=true />
                <Input label="Password" name="password".into() q=q.clone() kind="password" autocomplete="current-password" required=true />
                <button type="submit" class="primary">"Sign in"</button>
            </ActionForm>
            <p>"New to kassa? "<a href="/dashboard/sign-up">"Sign up"</a></p>
        </main>
    }
}

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = form_action::<SignUp>();
    let location = use_location();
    // Read again when a failed sign-up comes back with its errors.
    let q = Memo::new(move |_| {
        location.search.get();
        query()
    });
    view! {
        <Title text="Sign up" />
        <main class="page narrow auth">
            <p class="brand">"kassa"</p>
            <h1>"Create your kassa account"</h1>
            <p class="hint">"You get an organization with test-mode API keys; switch to live when you are ready."</p>
            {move || {
                let q = q.get();
                view! {
                    {form_error(&q)}
                    <ActionForm action=action>
                        <Input label="Email" name="email".into() q=q.clone() kind="email" autocomplete="email" required=true check=checks::email />
                        <Input
                            label="Password"
                            name="password".into()
                            q=q.clone()
                            kind="password"
                            autocomplete="new-password"
                            hint="At least 10 characters; a few words make a good password."
                            required=true
                            check=checks::new_password
                        />
                        <Input label="Organization name" name="organization_name".into() q=q.clone() autocomplete="organization" required=true />
                        <button type="submit" class="primary">"Create account"</button>
                    </ActionForm>
                }
            }}
            <p>"Already have an account? "<a href="/dashboard">"Sign in"</a></p>
        </main>
    }
}
