use crate::domain::card::{CardNumber, format_as_typed};
use leptos::prelude::*;

/// A card number field that says, as you type, whether the number is well formed and its brand.
/// It runs the same domain code the server uses to check card numbers; nothing leaves the browser.
#[component]
pub fn CardChecker() -> impl IntoView {
    let number = RwSignal::new(String::new());
    // Without JavaScript there is nothing to check with: the field stays disabled until the page
    // has hydrated, and a note says why.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let verdict = move || {
        let typed = number.get();
        if typed.trim().is_empty() {
            return None;
        }
        Some(match CardNumber::parse(&typed) {
            Ok(card) => Ok(format!(
                "A valid {} number ending in {}.",
                card.brand().display_name(),
                card.last4()
            )),
            Err(error) => Err(error.to_string()),
        })
    };

    view! {
        <section class="card-checker" aria-labelledby="checker-title">
            <h2 id="checker-title">"Check a card number"</h2>
            <label for="check-card-number">"Card number"</label>
            <input
                id="check-card-number"
                type="text"
                inputmode="numeric"
                autocomplete="off"
                placeholder="1234 1234 1234 1234"
                disabled=move || !hydrated.get()
                prop:value=move || number.get()
                on:input=move |ev| number.set(format_as_typed(&event_target_value(&ev)))
            />
            <p class="verdict" role="status" aria-live="polite">
                {move || match verdict() {
                    None if !hydrated.get() => ().into_any(),
                    None => view! { <span class="hint">"Type a number to check it."</span> }.into_any(),
                    Some(Ok(message)) => view! { <span class="ok">{message}</span> }.into_any(),
                    Some(Err(message)) => view! { <span class="error">{message}</span> }.into_any(),
                }}
            </p>
            // Not <noscript>: a browser whose scripts are blocked some other way (an extension, a
            // failed download of the bundle) would then show neither the check nor this note.
            <p class="hint" hidden=move || hydrated.get()>
                "Turn on JavaScript to check a number as you type."
            </p>
        </section>
    }
}
