//! The hosted checkout: `/checkout/{id}` in every state of its session, and the authentication or
//! approval step at `/checkout/{id}/authenticate`. Rendered whole on the server (the routes are
//! `SsrMode::Async`), so that every state reads and works without JavaScript.

mod authenticate;
mod form;
mod states;
mod summary;

pub use authenticate::AuthenticatePage;

use crate::domain::session::SessionStatus;
use crate::server_fns::checkout::{CheckoutView, checkout_page};
use leptos::prelude::*;
use leptos_meta::{Style, Title};
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;
use std::collections::BTreeMap;

/// `quantity[0]=3&quantity[2]=1` from a page address.
fn quantities_of(query: &ParamsMap) -> BTreeMap<usize, u32> {
    query
        .into_iter()
        .filter_map(|(key, value)| {
            let index = key
                .strip_prefix("quantity[")?
                .strip_suffix(']')?
                .parse()
                .ok()?;
            Some((index, value.parse().ok()?))
        })
        .collect()
}

/// Answers the page with status 404 (on the server; nothing in the browser).
pub(crate) fn not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
}

/// Loads the checkout the route names, with the code and quantities its address carries.
pub(crate) fn checkout_resource() -> (
    Memo<String>,
    Resource<Result<Option<CheckoutView>, ServerFnError>>,
) {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let resource = Resource::new(
        move || {
            let query = query.read();
            (id.get(), query.get("code"), quantities_of(&query))
        },
        |(id, code, quantities)| checkout_page(id, code, Some(quantities)),
    );
    (id, resource)
}

#[component]
pub fn CheckoutPage() -> impl IntoView {
    let query = use_query_map();
    let (_, page) = checkout_resource();
    view! {
        <Suspense fallback=|| view! { <main class="checkout"><p class="hint">"Loading your checkout…"</p></main> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(view)) => render(view, query.get_untracked()).into_any(),
                    Ok(None) => view! { <states::NotFoundState /> }.into_any(),
                    Err(_) => view! { <states::Unreachable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn render(view: CheckoutView, query: ParamsMap) -> impl IntoView {
    let merchant = view.payment.merchant_name.clone();
    let title = match view.status {
        SessionStatus::Open if view.checking => "Checking your payment".to_owned(),
        SessionStatus::Open => format!("Pay {merchant}"),
        SessionStatus::Pending => "Payment processing".to_owned(),
        SessionStatus::Succeeded => "Payment complete".to_owned(),
        SessionStatus::Failed => "Payment failed".to_owned(),
        SessionStatus::Expired => "Checkout expired".to_owned(),
    };
    let livemode = view.livemode;
    // The merchant's accent colour, checked as `#rrggbb` when it was saved and again here: it is
    // written into a style sheet. A `<style>` with the page's nonce, not a `style` attribute, which
    // the page's Content-Security-Policy refuses.
    let accent = view
        .accent_color
        .as_deref()
        .and_then(|c| crate::domain::account::parse_color(c).ok())
        .map(|c| view! { <Style>{format!("main.checkout {{ --accent: {c}; }}")}</Style> });
    let logo = view.logo_url.clone();
    let body = match view.status {
        SessionStatus::Open if view.checking => {
            view! { <states::Processing session_id=view.payment.session_id checking=true /> }
                .into_any()
        }
        SessionStatus::Open => {
            // The messages of the address only as kassa signed them (`CheckoutView::notices`).
            let query = (&query)
                .into_iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .filter(|(key, _)| !crate::server_fns::checkout::is_notice(key))
                .chain(view.notices.iter().cloned())
                .collect();
            view! { <form::OpenCheckout view=view.payment query=query /> }.into_any()
        }
        SessionStatus::Pending => {
            view! { <states::Processing session_id=view.payment.session_id checking=false /> }
                .into_any()
        }
        SessionStatus::Succeeded => view! { <states::Succeeded view=view /> }.into_any(),
        SessionStatus::Failed => view! { <states::Failed view=view /> }.into_any(),
        SessionStatus::Expired => view! { <states::Expired view=view /> }.into_any(),
    };
    view! {
        <Title text=title />
        {accent}
        <main class="checkout">
            <header class="merchant">
                {logo.map(|src| view! { <img class="merchant-logo" src=src alt="" /> })}
                <span class="merchant-name">{merchant}</span>
                {(!livemode).then(|| view! { <span class="badge">"Test mode"</span> })}
            </header>
            {body}
            <footer class="secured">"Secure checkout by kassa"</footer>
        </main>
    }
}
