use leptos::prelude::*;
use leptos_meta::Title;

/// Any path no route matches. Answers with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <main class="page narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. If you followed a checkout link, ask the shop for a new one."</p>
            <p><a href="/">"Go to the start page"</a></p>
        </main>
    }
}
