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
/// code of a dashboard page when the server rendered one (`app::lazy_pages!`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}
