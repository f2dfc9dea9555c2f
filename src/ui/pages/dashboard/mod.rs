//! The merchant dashboard under `/dashboard`. Every page is rendered whole on the server
//! (`SsrMode::Async`) and its forms are plain `<form method="post">`s to the dashboard's server
//! functions, so that it works without JavaScript; with JavaScript the same forms are sent in the
//! background and the answer's redirect is followed without a reload. A form's errors come back in
//! the page's address (`error.<input>`), with what was typed (`value.<input>`, never a password).

mod account;
mod catalog;
pub(crate) mod checks;
mod coupons;
mod customers;
mod events;
mod keys;
mod payment_links;
mod payments;
mod plans;
mod sessions;
mod tax_rates;
mod webhooks;

pub use account::{DashboardHome, SignUpPage};
pub use catalog::{ProductPage, ProductsPage};
pub use coupons::CouponsPage;
pub use customers::{CustomerPage, CustomersPage};
pub use events::EventsPage;
pub use keys::{ApiKeysPage, SettingsPage};
pub use payment_links::PaymentLinksPage;
pub use payments::PaymentsPage;
pub use plans::PlansPage;
pub use sessions::{NewSessionPage, SessionPage, SessionsPage};
pub use tax_rates::TaxRatesPage;
pub use webhooks::{WebhookPage, WebhooksPage};

use crate::server_fns::dashboard::{
    Me, SetMode, SignOut, dashboard_me, is_not_found, is_signed_out,
};
use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_query_map};
use leptos_router::params::ParamsMap;

/// Counts the dashboard forms answered on this page. A form whose server function redirects to
/// the address the page is already at (adding a price, expiring a session, a sign-in that
/// returns to the page that asked for it) changes no address, so the router does not navigate;
/// this count is what tells the page's data to load again.
#[derive(Clone, Copy)]
struct Answered(RwSignal<u64>);

fn answered() -> RwSignal<u64> {
    match use_context::<Answered>() {
        Some(Answered(count)) => count,
        None => {
            let count = RwSignal::new(0);
            provide_context(Answered(count));
            count
        }
    }
}

/// A dashboard form's action: when its server function answers, the page's data loads again.
pub(crate) fn form_action<S>() -> ServerAction<S>
where
    S: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    let count = answered();
    Effect::new(move |_| {
        if action.version().get() > 0 {
            count.update(|n| *n += 1);
        }
    });
    action
}

/// A key for a page's data that changes on every navigation and every answered form, so that
/// the page shows what a form has just changed. (A resource loads again only when its key
/// changes; the address alone would not change for a form that comes back to its own page.)
pub(crate) fn visits() -> impl Fn() -> (String, u64) + Clone + Send + Sync + 'static {
    let location = use_location();
    let count = answered();
    move || {
        (
            format!("{}?{}", location.pathname.get(), location.search.get()),
            count.get(),
        )
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
    // The router's search string comes with its `?` on the server and without it in the browser.
    let here = move || {
        let search = location.search.get();
        let search = search.trim_start_matches('?');
        if search.is_empty() {
            location.pathname.get()
        } else {
            format!("{}?{search}", location.pathname.get())
        }
    };
    let set_mode = form_action::<SetMode>();
    let sign_out = form_action::<SignOut>();
    let live = me.live;
    let nav = [
        ("/dashboard", "Overview"),
        ("/dashboard/checkout-sessions", "Checkout sessions"),
        ("/dashboard/products", "Products"),
        ("/dashboard/coupons", "Coupons"),
        ("/dashboard/tax-rates", "Tax rates"),
        ("/dashboard/payment-links", "Payment links"),
        ("/dashboard/plans", "Plans"),
        ("/dashboard/customers", "Customers"),
        ("/dashboard/events", "Events"),
        ("/dashboard/webhooks", "Webhooks"),
        ("/dashboard/api-keys", "API keys"),
        ("/dashboard/payments", "Payments"),
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
/// With JavaScript, `check` (the domain's check for this input) runs when the merchant leaves
/// the input, and again as they type once it has shown an error, so that most mistakes are
/// named before the form is sent; the server runs the same check on the post.
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
    #[prop(optional)] check: Option<checks::Check>,
) -> impl IntoView {
    let error = RwSignal::new(q.get(&format!("error.{name}")));
    let kind = kind.unwrap_or("text");
    // Passwords never come back through an address.
    let value = if kind == "password" {
        None
    } else {
        q.get(&format!("value.{name}")).or(value)
    };
    let id = format!("f-{}", name.replace(['[', ']', '.'], "-"));
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    let run_check = move |ev: leptos::ev::Event, only_if_shown: bool| {
        let Some(check) = check else { return };
        if only_if_shown && error.get_untracked().is_none() {
            return;
        }
        let typed = event_target_value(&ev);
        // An empty input is `required`'s business, or the server's.
        if !typed.trim().is_empty() {
            error.set(check(&typed));
        }
    };
    view! {
        <div class="field" class:invalid=move || error.read().is_some()>
            <label for=id.clone()>{label}</label>
            // The attribute for the page as served; the property for a page that a form's
            // answer re-renders in place, where the attribute alone would leave what was typed
            // (a wrong password) in the field.
            <input
                id=id
                name=name
                type=kind
                value=value.clone()
                prop:value=value.unwrap_or_default()
                autocomplete=autocomplete
                required=required
                aria-invalid=move || error.read().is_some().then_some("true")
                aria-describedby=move || error.read().is_some().then(|| described.clone())
                on:change=move |ev| run_check(ev, false)
                on:input=move |ev| run_check(ev, true)
            />
            {hint.map(|h| view! { <p class="hint">{h}</p> })}
            {move || {
                error
                    .get()
                    .map(|e| view! { <p class="field-error" id=error_id.clone() role="alert">{e}</p> })
            }}
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
