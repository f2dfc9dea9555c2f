//! The hosted checkout: `/checkout/{id}` in every state of its session, and the authentication or
//! approval step at `/checkout/{id}/authenticate`. Rendered whole on the server (the routes are
//! `SsrMode::Async`), so that every state reads and works without JavaScript.

mod authenticate;
mod form;
mod states;
mod summary;

pub use authenticate::AuthenticatePage;

use crate::domain::session::SessionStatus;
use crate::i18n::{Lang, Tr};
use crate::server_fns::checkout::{CheckoutView, checkout_page};
use leptos::prelude::*;
use leptos_meta::{Html, Style, Title};
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
                    Ok(None) => view! { <Speaks lang=request_lang() /> <states::NotFoundState /> }.into_any(),
                    Err(_) => view! { <Speaks lang=request_lang() /> <states::Unreachable /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The language of a page with no session to say one: the buyer's choice, else their browser's.
fn request_lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .map(|parts| crate::i18n::catalog::of_request(&parts, None))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    Lang::En
}

/// Makes the page speak `lang`: its strings for the views below, and `<html lang>`.
#[component]
pub(crate) fn Speaks(lang: Lang) -> impl IntoView {
    Tr::provide(crate::i18n::page_messages(lang));
    view! { <Html {..} lang=lang.as_str() /> }
}

/// The page's address in another language: the same quantities and code, `lang` set (the
/// server keeps the choice for the pages that follow).
fn language_href(query: &ParamsMap, lang: Lang) -> String {
    let mut url = url::form_urlencoded::Serializer::new(String::new());
    for (key, value) in query.into_iter() {
        if key == "code" || key.starts_with("quantity[") {
            url.append_pair(key, value);
        }
    }
    url.append_pair("lang", lang.as_str());
    format!("?{}", url.finish())
}

fn render(view: CheckoutView, query: ParamsMap) -> impl IntoView {
    let lang = view.lang;
    let tr = Tr::provide(crate::i18n::page_messages(lang));
    let merchant = view.payment.merchant_name.clone();
    let title = match view.status {
        SessionStatus::Open if view.checking => tr.t("Checking your payment"),
        SessionStatus::Open => tr.tf("Pay {merchant}", &[("merchant", &merchant)]),
        SessionStatus::Pending => tr.t("Payment processing"),
        SessionStatus::Succeeded => tr.t("Payment complete"),
        SessionStatus::Failed => tr.t("Payment failed"),
        SessionStatus::Expired => tr.t("Checkout expired"),
    };
    let languages = Lang::ALL
        .into_iter()
        .map(|l| {
            let current = (l == lang).then_some("true");
            view! {
                <li><a href=language_href(&query, l) hreflang=l.as_str() lang=l.as_str() aria-current=current>{l.native_name()}</a></li>
            }
        })
        .collect_view();
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
            view! { <states::Processing session_id=view.payment.session_id words=states::ProcessingWords::new(true) /> }
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
            view! { <states::Processing session_id=view.payment.session_id words=states::ProcessingWords::new(false) /> }
                .into_any()
        }
        SessionStatus::Succeeded => view! { <states::Succeeded view=view /> }.into_any(),
        SessionStatus::Failed => view! { <states::Failed view=view /> }.into_any(),
        SessionStatus::Expired => view! { <states::Expired view=view /> }.into_any(),
    };
    view! {
        <Html {..} lang=lang.as_str() />
        <Title text=title />
        {accent}
        <main class="checkout">
            <header class="merchant">
                {logo.map(|src| view! { <img class="merchant-logo" src=src alt="" /> })}
                <span class="merchant-name">{merchant}</span>
                {(!livemode).then(|| view! { <span class="badge">{tr.t("Test mode")}</span> })}
            </header>
            {body}
            <footer class="secured">
                <p>{tr.t("Secure checkout by kassa")}</p>
                <nav class="languages" aria-label=tr.t("Language")><ul>{languages}</ul></nav>
            </footer>
        </main>
    }
}
