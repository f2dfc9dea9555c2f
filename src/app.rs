//! The HTML shell and the routes of the Leptos app.

use crate::ui::pages::checkout::{AuthenticatePage, CheckoutPage};
use crate::ui::pages::dashboard::{
    ApiKeysPage, CouponsPage, CustomerPage, CustomersPage, DashboardHome, EventsPage,
    NewSessionPage, PlansPage, ProductPage, ProductsPage, SessionPage, SessionsPage, SettingsPage,
    SignUpPage, WebhookPage, WebhooksPage,
};
use crate::ui::pages::{home::HomePage, not_found::NotFound};
use leptos::prelude::*;
use leptos_meta::{Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};

/// The document around every page, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Effects run only in the browser: this marks the moment the WASM bundle has taken over the
    // server-rendered page, which end-to-end tests wait for instead of sleeping.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/kassa.css" />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Meta name="color-scheme" content="light dark" />
        <Title formatter=|title: String| {
            if title.is_empty() { "kassa".to_owned() } else { format!("{title} · kassa") }
        } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("") view=HomePage />
                // Rendered whole on the server, so that every state works without JavaScript.
                <Route path=(StaticSegment("checkout"), ParamSegment("id")) view=CheckoutPage ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("checkout"), ParamSegment("id"), StaticSegment("authenticate"))
                    view=AuthenticatePage
                    ssr=SsrMode::Async
                />
                <Route path=StaticSegment("dashboard") view=DashboardHome ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("sign-up")) view=SignUpPage ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("checkout-sessions")) view=SessionsPage ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("checkout-sessions"), StaticSegment("new"))
                    view=NewSessionPage
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("checkout-sessions"), ParamSegment("id"))
                    view=SessionPage
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("dashboard"), StaticSegment("products")) view=ProductsPage ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("products"), ParamSegment("id"))
                    view=ProductPage
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("dashboard"), StaticSegment("coupons")) view=CouponsPage ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("plans")) view=PlansPage ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("customers")) view=CustomersPage ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("customers"), ParamSegment("id"))
                    view=CustomerPage
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("dashboard"), StaticSegment("events")) view=EventsPage ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("webhooks")) view=WebhooksPage ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("webhooks"), ParamSegment("id"))
                    view=WebhookPage
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("dashboard"), StaticSegment("api-keys")) view=ApiKeysPage ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("settings")) view=SettingsPage ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}
