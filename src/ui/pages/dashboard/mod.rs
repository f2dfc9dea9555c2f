//! The merchant dashboard under `/dashboard`. Every page is rendered whole on the server
//! (`SsrMode::Async`) and its forms are plain `<form method="post">`s to the dashboard's server
//! functions, so that it works without JavaScript; with JavaScript the same forms are sent in the
//! background and the answer's redirect is followed without a reload. A form's errors come back in
//! the page's address (`error.<input>`), with what was typed (`value.<input>`, never a password).

mod account;
mod catalog;
mod keys;
mod sessions;

pub use account::{DashboardHome, SignUpPage};
pub use catalog::{ProductPage, ProductsPage};
pub use keys::{ApiKeysPage, SettingsPage};
pub use sessions::{NewSessionPage, SessionPage, SessionsPage};

use crate::server_fns::dashboard::{
    Me, SetMode, SignOut, dashboard_me, is_not_found, is_signed_out,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map, use_url};
use leptos_router::params::ParamsMap;

/// A number that changes on every navigation, even to the address the page is already at (a
/// form that redirects back to its own page, a sign-in that returns to the page that asked for
/// it). Pages key their data on it, so that they show what a form has just changed. Keying on the
/// address alone would not do: a resource refetches only when its key changes.
pub(crate) fn visits() -> impl Fn() -> u64 + Clone + Send + Sync + 'static {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let url = use_url();
    let count = Arc::new(AtomicU64::new(0));
    move || {
        url.track();
        count.fetch_add(1, Ordering::Relaxed)
    }
}

/// The signed-in member, read again on every navigation (a sign-in or a mode switch changes it).
pub(crate) fn me_resource() -> Resource<Result<Me, ServerFnError>> {
    Resource::new(visits(), |_| dashboard_me())
}

/// The page's address after a form came back: its errors and values.
pub(crate) fn query() -> ParamsMap {
    use_query_map().get_untracked()
}

fn loading() -> impl IntoView {
    view! { <main class="dash"><p class="hint">"Loading…"</p></main> }
}

/// Wraps a page's data in the dashboard's frame, or shows the sign-in form to someone signed out.
pub(crate) fn frame(me: Result<Me, ServerFnError>, body: impl FnOnce() -> AnyView) -> AnyView {
    match me {
        Ok(me) => {
            let body = body();
            view! { <Frame me=me>{body}</Frame> }.into_any()
        }
        Err(e) if is_signed_out(&e) => view! { <account::SignIn /> }.into_any(),
        Err(_) => failure(),
    }
}

/// The answer to a page whose data failed: "not found" (status 404) or unavailable.
pub(crate) fn failed(error: &ServerFnError, what: &'static str) -> AnyView {
    if is_not_found(error) {
        crate::ui::pages::checkout::not_found_status();
        view! {
            <section class="panel">
                <h1>"Not found"</h1>
                <p>{format!("There is no such {what} in this organization and mode.")}</p>
            </section>
        }
        .into_any()
    } else {
        failure()
    }
}

fn failure() -> AnyView {
    view! {
        <main class="dash">
            <h1>"The dashboard is unavailable"</h1>
            <p>"Something went wrong on our side. Reload the page in a moment."</p>
        </main>
    }
    .into_any()
}

/// A dashboard page: waits for the member and the page's data (both rendered on the server),
/// then renders the data in the frame, or the sign-in form for someone signed out.
pub(crate) fn page<T, F>(
    me: Resource<Result<Me, ServerFnError>>,
    data: Resource<Result<T, ServerFnError>>,
    render: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(Result<T, ServerFnError>) -> AnyView + Clone + Send + Sync + 'static,
{
    view! {
        <Suspense fallback=loading>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    let me = me.await;
                    let data = data.await;
                    frame(me, move || render(data))
                })
            }}
        </Suspense>
    }
}

#[component]
fn Frame(me: Me, children: Children) -> impl IntoView {
    let location = use_location();
    let here = move || format!("{}{}", location.pathname.get(), location.search.get());
    let set_mode = ServerAction::<SetMode>::new();
    let sign_out = ServerAction::<SignOut>::new();
    let live = me.live;
    let nav = [
        ("/dashboard", "Overview"),
        ("/dashboard/checkout-sessions", "Checkout sessions"),
        ("/dashboard/products", "Products"),
        ("/dashboard/api-keys", "API keys"),
        ("/dashboard/settings", "Branding"),
    ];
    view! {
        <div class="dash" class:live=live>
            <header class="dash-bar">
                <span class="dash-org">{me.organization_name}</span>
                <nav aria-label="Dashboard">
                    {nav
                        .into_iter()
                        .map(|(href, label)| {
                            let current = move || {
                                let path = location.pathname.get();
                                if href == "/dashboard" { path == href } else { path.starts_with(href) }
                            };
                            view! {
                                <a href=href aria-current=move || current().then_some("page")>{label}</a>
                            }
                        })
                        .collect_view()}
                </nav>
                <ActionForm action=set_mode attr:class="mode-switch">
                    <input type="hidden" name="return_to" prop:value=here />
                    <input type="hidden" name="mode" value=if live { "test" } else { "live" } />
                    <span class=if live { "badge live" } else { "badge" }>
                        {if live { "Live mode" } else { "Test mode" }}
                    </span>
                    <button type="submit" class="link">
                        {if live { "Switch to test" } else { "Switch to live" }}
                    </button>
                </ActionForm>
                <ActionForm action=sign_out attr:class="sign-out">
                    <span class="hint">{me.email}</span>
                    <button type="submit" class="link">"Sign out"</button>
                </ActionForm>
            </header>
            <main class="dash-main">{children()}</main>
        </div>
    }
}

/// A labelled input whose value and error come from the page's address after a failed post.
#[component]
pub(crate) fn Input(
    label: &'static str,
    name: String,
    q: ParamsMap,
    #[prop(optional)] kind: Option<&'static str>,
    #[prop(optional)] value: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] required: bool,
) -> impl IntoView {
    let error = q.get(&format!("error.{name}"));
    let invalid = error.is_some();
    let kind = kind.unwrap_or("text");
    // Passwords never come back through an address.
    let value = if kind == "password" {
        None
    } else {
        q.get(&format!("value.{name}")).or(value)
    };
    let id = format!("f-{}", name.replace(['[', ']', '.'], "-"));
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:invalid=invalid>
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                autocomplete=autocomplete
                required=required
                aria-invalid=invalid.then_some("true")
                aria-describedby=invalid.then(|| error_id.clone())
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            {error.map(|e| view! { <p class="field-error" id=error_id role="alert">{e}</p> })}
        </div>
    }
}

/// An error about the whole form (`error.form`).
pub(crate) fn form_error(q: &ParamsMap) -> Option<impl IntoView + use<>> {
    q.get("error.form")
        .map(|e| view! { <p class="banner error" role="alert">{e}</p> })
}

/// The `<select>` counterpart of [`Input`].
#[component]
pub(crate) fn Select(
    label: &'static str,
    name: String,
    q: ParamsMap,
    /// (value, label)
    options: Vec<(String, String)>,
    #[prop(optional)] selected: Option<String>,
) -> impl IntoView {
    let error = q.get(&format!("error.{name}"));
    let invalid = error.is_some();
    let chosen = q
        .get(&format!("value.{name}"))
        .or(selected)
        .unwrap_or_default();
    let id = format!("f-{}", name.replace(['[', ']', '.'], "-"));
    view! {
        <div class="field" class:invalid=invalid>
            <label for=id.clone()>{label}</label>
            <select id=id name=name aria-invalid=invalid.then_some("true")>
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let is = value == chosen;
                        view! { <option value=value selected=is>{text}</option> }
                    })
                    .collect_view()}
            </select>
            {error.map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
        </div>
    }
}
