//! Pages and the components they are made of. Rendered on the server, hydrated in the browser.

pub mod components;
pub mod pages;
pub mod typed;

/// Marks `<body data-hydrated>`: the page answers input now. End-to-end tests and `bench/run` wait
/// for it. Called once the whole app has hydrated (`crate::hydrate`), or by an island's first
/// effect on a page rendered as islands.
///
/// First it puts back what was typed before hydration (`typed`), in a task after this one: the
/// property writes hydration queued (each field's `value` from the view's state) run as microtasks
/// after the effect that calls this, and would otherwise undo it. The mark follows, so that
/// whoever waits for it finds the typed values in place.
pub fn mark_hydrated() {
    #[cfg(feature = "hydrate")]
    leptos::prelude::set_timeout(
        || {
            typed::restore();
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "true");
            }
        },
        std::time::Duration::ZERO,
    );
}
