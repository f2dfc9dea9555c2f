//! kassa: a self-hostable hosted checkout.
//!
//! The crate is built twice by cargo-leptos: with `ssr` for the server binary and with `hydrate` for
//! the browser bundle. `domain` and `ui` compile in both; everything that touches the database, the
//! network or secrets is `ssr` only.

#![recursion_limit = "256"]

pub mod app;
pub mod domain;
pub mod i18n;
pub mod server_fns;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod cli;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod metrics;
#[cfg(feature = "ssr")]
pub mod payments;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod telemetry;

/// Entry point of the browser bundle. Leptos's hydration script calls it on every page; what it does
/// depends on how the server rendered the page (`app::shell`):
///
/// - A checkout page (`<body data-islands>`) is inert HTML with islands, the parts a buyer
///   interacts with (`#[island]`). Leptos's island script hydrates each after this returns; this
///   only marks a page that has none (the receipt, the authentication step).
/// - Every other page hydrates whole. The code for that (the app, its router and every page's
///   view) is split off with `#[lazy]`, so the bundle a buyer's browser loads first holds only the
///   checkout's islands; a dashboard page fetches the app's part, then its own (`app::lazy_pages!`).
///
/// `<body data-hydrated>` marks the page once it answers input: end-to-end tests wait for it rather
/// than sleeping. It is set when the whole page has hydrated, the lazy parts included, not by an
/// effect in `App`: an effect runs at the first await, before a lazy page's view had hydrated, and
/// what was typed meanwhile was reset (a test that waited for the mark before typing failed so).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::document;
    console_error_panic_hook::set_once();
    ui::typed::watch();
    // Err only means the executor was started already.
    _ = any_spawner::Executor::init_wasm_bindgen();
    let Some(body) = document().body() else {
        return;
    };
    if body.has_attribute("data-islands") {
        // Each island marks the page from its first effect (`ui::mark_hydrated`).
        if document()
            .query_selector("leptos-island")
            .ok()
            .flatten()
            .is_none()
        {
            ui::mark_hydrated();
        }
        return;
    }
    leptos::task::spawn_local(async move {
        hydrate_app(body).await;
        ui::mark_hydrated();
    });
}

/// Hydrates the whole app from `body`; in its own part of the split bundle.
#[cfg(feature = "hydrate")]
#[leptos::prelude::lazy]
async fn hydrate_app(body: leptos::web_sys::HtmlElement) {
    leptos::mount::hydrate_from_async(body, app::App)
        .await
        .forget();
}
