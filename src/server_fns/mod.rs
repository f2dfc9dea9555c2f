//! The server functions the pages call, by area. Each is thin: it reads its arguments, calls
//! `service`, and maps the outcome; its types are shared with the browser.

pub mod billing;
pub mod checkout;
pub mod dashboard;

/// Whether the current request is a plain form post from a page without JavaScript (it accepts
/// HTML), which must be answered with a redirect rather than data.
#[cfg(feature = "ssr")]
pub(crate) fn from_plain_form() -> bool {
    leptos::prelude::use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// Sets the status of the current server function's response.
#[cfg(feature = "ssr")]
pub(crate) fn set_status(status: axum::http::StatusCode) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// Sets a header of the current server function's response.
#[cfg(feature = "ssr")]
pub(crate) fn set_header(name: axum::http::HeaderName, value: axum::http::HeaderValue) {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(name, value);
    }
}

/// The address of the client that sent the current request (see [`AppState::client_address`]).
///
/// [`AppState::client_address`]: crate::state::AppState::client_address
#[cfg(feature = "ssr")]
pub(crate) fn client_address(state: &crate::state::AppState) -> Option<std::net::IpAddr> {
    use axum::extract::ConnectInfo;
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let peer = parts
        .extensions
        .get::<ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    state.client_address(&parts.headers, peer)
}

/// The buyer's address and browser, as a debit mandate records them.
#[cfg(feature = "ssr")]
pub(crate) fn client_info(state: &crate::state::AppState) -> crate::payments::ClientInfo {
    let user_agent = leptos::prelude::use_context::<axum::http::request::Parts>().and_then(|p| {
        p.headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    crate::payments::ClientInfo {
        address: client_address(state),
        user_agent,
    }
}
