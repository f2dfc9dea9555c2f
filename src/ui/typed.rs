//! What a buyer or a merchant types before the page has hydrated, kept through hydration.
//!
//! On a slow phone the server's HTML is on screen, and typed into, well before the WebAssembly
//! runs; hydrating then sets every input's `value` property from the view's state, which knows
//! nothing of what was typed. So the bundle's entry point ([`watch`]) first notes every field
//! that differs from what the server sent, and from then on every field typed into, until the
//! page has hydrated ([`restore`], from [`super::mark_hydrated`]); then each field noted gets its
//! typed value back where hydration changed it, and the `input` or `change` event the page's
//! handlers would have seen, so that the page's state learns it too. After that the page's own
//! handlers are live and nothing more is noted.

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::document;
    use std::cell::RefCell;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;
    use web_sys::{
        Element, Event, EventInit, HtmlInputElement, HtmlOptionElement, HtmlSelectElement,
        HtmlTextAreaElement,
    };

    /// A field's state as typed.
    #[derive(PartialEq)]
    enum Typed {
        Value(String),
        Checked(bool),
    }

    struct Watch {
        listener: Closure<dyn FnMut(Event)>,
        typed: Vec<(Element, Typed)>,
    }

    thread_local! {
        static WATCH: RefCell<Option<Watch>> = const { RefCell::new(None) };
    }

    const EVENTS: [&str; 2] = ["input", "change"];

    /// A form field's state, if it is one a person types into or picks.
    fn read(element: &Element) -> Option<Typed> {
        if let Some(input) = element.dyn_ref::<HtmlInputElement>() {
            return match input.type_().as_str() {
                "hidden" | "submit" | "button" | "reset" | "file" | "image" => None,
                "checkbox" | "radio" => Some(Typed::Checked(input.checked())),
                _ => Some(Typed::Value(input.value())),
            };
        }
        if let Some(select) = element.dyn_ref::<HtmlSelectElement>() {
            return Some(Typed::Value(select.value()));
        }
        element
            .dyn_ref::<HtmlTextAreaElement>()
            .map(|area| Typed::Value(area.value()))
    }

    /// Whether a field differs from what the server's HTML said.
    fn changed(element: &Element) -> bool {
        if let Some(input) = element.dyn_ref::<HtmlInputElement>() {
            return input.value() != input.default_value()
                || input.checked() != input.default_checked();
        }
        if let Some(select) = element.dyn_ref::<HtmlSelectElement>() {
            let options = select.options();
            return (0..options.length()).any(|i| {
                options
                    .item(i)
                    .and_then(|o| o.dyn_into::<HtmlOptionElement>().ok())
                    .is_some_and(|o| o.selected() != o.default_selected())
            });
        }
        element
            .dyn_ref::<HtmlTextAreaElement>()
            .is_some_and(|area| area.default_value().is_ok_and(|d| d != area.value()))
    }

    fn note(typed: &mut Vec<(Element, Typed)>, element: Element) {
        if let Some(state) = read(&element) {
            typed.retain(|(e, _)| e != &element);
            typed.push((element, state));
        }
    }

    pub fn watch() {
        let document = document();
        let mut typed = Vec::new();
        if let Ok(fields) = document.query_selector_all("input, select, textarea") {
            for i in 0..fields.length() {
                if let Some(element) = fields.item(i).and_then(|n| n.dyn_into::<Element>().ok())
                    && changed(&element)
                {
                    note(&mut typed, element);
                }
            }
        }
        let listener = Closure::<dyn FnMut(Event)>::new(|event: Event| {
            let Some(element) = event.target().and_then(|t| t.dyn_into::<Element>().ok()) else {
                return;
            };
            WATCH.with(|watch| {
                if let Some(watch) = watch.borrow_mut().as_mut() {
                    note(&mut watch.typed, element);
                }
            });
        });
        for kind in EVENTS {
            let _ = document.add_event_listener_with_callback_and_bool(
                kind,
                listener.as_ref().unchecked_ref(),
                true,
            );
        }
        WATCH.with(|watch| *watch.borrow_mut() = Some(Watch { listener, typed }));
    }

    pub fn restore() {
        let Some(watch) = WATCH.with(|watch| watch.borrow_mut().take()) else {
            return;
        };
        let document = document();
        for kind in EVENTS {
            let _ = document.remove_event_listener_with_callback_and_bool(
                kind,
                watch.listener.as_ref().unchecked_ref(),
                true,
            );
        }
        for (element, typed) in watch.typed {
            if !element.is_connected() {
                continue;
            }
            // Each field gets its event even when its value survived, so that the page's state
            // learns it and no later write from that state resets it.
            let kind = match (&typed, element.dyn_ref::<HtmlInputElement>()) {
                // A radio left when another was chosen: the chosen one tells.
                (Typed::Checked(false), Some(input)) if input.type_() == "radio" => continue,
                (Typed::Checked(checked), Some(input)) => {
                    input.set_checked(*checked);
                    "change"
                }
                (Typed::Value(value), Some(input)) => {
                    input.set_value(value);
                    "input"
                }
                (Typed::Value(value), None) => {
                    if let Some(select) = element.dyn_ref::<HtmlSelectElement>() {
                        select.set_value(value);
                        "change"
                    } else if let Some(area) = element.dyn_ref::<HtmlTextAreaElement>() {
                        area.set_value(value);
                        "input"
                    } else {
                        continue;
                    }
                }
                (Typed::Checked(_), None) => continue,
            };
            let init = EventInit::new();
            init.set_bubbles(true);
            if let Ok(event) = Event::new_with_event_init_dict(kind, &init) {
                let _ = element.dispatch_event(&event);
            }
        }
    }
}

/// Starts noting what is typed; called first by the bundle's entry point.
pub fn watch() {
    #[cfg(feature = "hydrate")]
    browser::watch();
}

/// Puts back what hydration reset; called once the page has hydrated.
pub fn restore() {
    #[cfg(feature = "hydrate")]
    browser::restore();
}
