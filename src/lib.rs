//! kassa: a self-hostable hosted checkout.
//!
//! The crate is built twice by cargo-leptos: with `ssr` for the server binary and with `hydrate` for
//! the browser bundle. `domain` and `ui` compile in both; everything that touches the database, the
//! network or secrets is `ssr` only.

#![recursion_limit = "256"]

pub mod app;
pub mod domain;
pub mod server_fns;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod payments;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod telemetry;

/// Entry point of the browser bundle: hydrates the server-rendered page, first loading the split-off
/// code of a dashboard page when the server rendered one (`app::lazy_pages!`), as
/// `leptos::mount::hydrate_lazy` does; then marks `<body data-hydrated>`.
///
/// The mark is set here, once the whole page has hydrated, not by an effect in `App`: an effect
/// runs at the first await, and hydration awaits the split-off code, so the mark came before the
/// page's own view had hydrated. What was typed meanwhile was then reset (an end-to-end test that
/// waits for the mark before typing failed so, once).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    use leptos::prelude::document;
    console_error_panic_hook::set_once();
    // Err only means the executor was started already.
    _ = any_spawner::Executor::init_wasm_bindgen();
    leptos::task::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
