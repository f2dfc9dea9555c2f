//! Pages and the components they are made of. Rendered on the server, hydrated in the browser.

pub mod components;
pub mod pages;

/// Marks `<body data-hydrated>`: the page answers input now. End-to-end tests and `bench/run` wait
/// for it. Called once the whole app has hydrated (`crate::hydrate`), or by an island's first
/// effect on a page rendered as islands.
pub fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    if let Some(body) = leptos::prelude::document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
