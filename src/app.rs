//! The HTML shell and the routes of the Leptos app.

use crate::ui::pages::billing::BillingPage;
use crate::ui::pages::checkout::{AuthenticatePage, CheckoutPage};
use crate::ui::pages::dashboard::{
    ApiKeysPage, CouponsPage, CustomerPage, CustomersPage, DashboardHome, EventsPage,
    NewSessionPage, PaymentLinksPage, PaymentsPage, PlansPage, ProductPage, ProductsPage,
    SessionPage, SessionsPage, SettingsPage, SignUpPage, TaxRatesPage, WebhookPage, WebhooksPage,
};
use crate::ui::pages::{home::HomePage, not_found::NotFound};
use leptos::prelude::*;
use leptos_meta::{Html, Link, Meta, MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{Lazy, LazyRoute, ParamSegment, SsrMode, StaticSegment, lazy_route};

/// The document around every page, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    // The split bundle's loader, which kassa.js imports: named here, the browser fetches it beside
    // kassa.js and the wasm instead of after the page has been parsed. cargo-leptos names it so
    // when file hashing is off, as it is for kassa.
    let split_loader = format!(
        "/{}/__wasm_split.______________________.js",
        options.site_pkg_dir
    );
    let islands = renders_islands();
    view! {
        <!DOCTYPE html>
        // `lang` comes from the page: `<Html>` in `App`, or the checkout's, in the buyer's language.
        <html>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="modulepreload" href=split_loader />
                <HydrationScripts options islands />
                <MetaTags />
            </head>
            <body data-islands=islands.then_some("")>
                <App />
            </body>
        </html>
    }
}

/// Whether the page is rendered as islands: the hosted checkout (`/checkout/…`), which a buyer
/// opens on any phone and network. Only its interactive parts (`#[island]`) hydrate, and the
/// browser loads only their code; the rest of the page is HTML. Every other page hydrates whole
/// (see `crate::hydrate`).
fn renders_islands() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .is_some_and(|request| request.uri.path().starts_with("/checkout/"))
    }
    #[cfg(not(feature = "ssr"))]
    false
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // `<body data-hydrated>`, which end-to-end tests wait for instead of sleeping, is set by
    // `crate::hydrate` once the page has hydrated.

    // The checkout's pages say their own language (the buyer's); every other page is English.
    let english = (!renders_islands()).then(|| view! { <Html {..} lang="en" /> });
    view! {
        {english}
        <Stylesheet id="leptos" href="/pkg/kassa.css" />
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Meta name="color-scheme" content="light dark" />
        <Title formatter=|title: String| {
            if title.is_empty() { "kassa".to_owned() } else { format!("{title} · kassa") }
        } />
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("") view=HomePage />
                // The buyer's page, from a signed link; whole on the server like the checkout.
                <Route path=(StaticSegment("billing"), ParamSegment("token")) view=BillingPage ssr=SsrMode::Async />
                // Rendered whole on the server, so that every state works without JavaScript.
                <Route path=(StaticSegment("checkout"), ParamSegment("id")) view=CheckoutPage ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("checkout"), ParamSegment("id"), StaticSegment("authenticate"))
                    view=AuthenticatePage
                    ssr=SsrMode::Async
                />
                <Route path=StaticSegment("dashboard") view={Lazy::<DashboardHomeRoute>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("sign-up")) view={Lazy::<SignUpRoute>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("checkout-sessions")) view={Lazy::<SessionsRoute>::new()} ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("checkout-sessions"), StaticSegment("new"))
                    view={Lazy::<NewSessionRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("checkout-sessions"), ParamSegment("id"))
                    view={Lazy::<SessionRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("dashboard"), StaticSegment("products")) view={Lazy::<ProductsRoute>::new()} ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("products"), ParamSegment("id"))
                    view={Lazy::<ProductRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("dashboard"), StaticSegment("coupons")) view={Lazy::<CouponsRoute>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("tax-rates")) view={Lazy::<TaxRatesRoute>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("payment-links")) view={Lazy::<PaymentLinksRoute>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("plans")) view={Lazy::<PlansRoute>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("customers")) view={Lazy::<CustomersRoute>::new()} ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("customers"), ParamSegment("id"))
                    view={Lazy::<CustomerRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("dashboard"), StaticSegment("events")) view={Lazy::<EventsRoute>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("webhooks")) view={Lazy::<WebhooksRoute>::new()} ssr=SsrMode::Async />
                <Route
                    path=(StaticSegment("dashboard"), StaticSegment("webhooks"), ParamSegment("id"))
                    view={Lazy::<WebhookRoute>::new()}
                    ssr=SsrMode::Async
                />
                <Route path=(StaticSegment("dashboard"), StaticSegment("api-keys")) view={Lazy::<ApiKeysRoute>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("settings")) view={Lazy::<SettingsRoute>::new()} ssr=SsrMode::Async />
                <Route path=(StaticSegment("dashboard"), StaticSegment("payments")) view={Lazy::<PaymentsRoute>::new()} ssr=SsrMode::Async />
            </Routes>
        </Router>
    }
}

/// Declares, for each dashboard page, the route that loads its code on demand. The browser bundle
/// is split (`cargo leptos build --split`): the checkout page a buyer opens downloads none of the
/// dashboard, and a merchant's browser fetches each page's part when it is first shown (when the
/// page was rendered on the server, before hydrating it).
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                $page().into_any()
            }
        }
    )*};
}

lazy_pages! {
    DashboardHomeRoute => DashboardHome,
    SignUpRoute => SignUpPage,
    SessionsRoute => SessionsPage,
    NewSessionRoute => NewSessionPage,
    SessionRoute => SessionPage,
    ProductsRoute => ProductsPage,
    ProductRoute => ProductPage,
    CouponsRoute => CouponsPage,
    TaxRatesRoute => TaxRatesPage,
    PaymentLinksRoute => PaymentLinksPage,
    PlansRoute => PlansPage,
    CustomersRoute => CustomersPage,
    CustomerRoute => CustomerPage,
    EventsRoute => EventsPage,
    WebhooksRoute => WebhooksPage,
    WebhookRoute => WebhookPage,
    ApiKeysRoute => ApiKeysPage,
    SettingsRoute => SettingsPage,
    PaymentsRoute => PaymentsPage,
}
