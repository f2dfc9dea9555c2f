//! `GET /l/{id}`: a buyer opens a payment link. An active link makes a new session for the visit
//! and sends the buyer to its hosted page (303); a link the merchant turned off says so (410), and
//! an unknown one is not found (404). A link's sessions are anonymous: each buyer gives their own
//! details on the page. One client address makes at most
//! [`LINK_VISITS_PER_ADDRESS_PER_HOUR`](crate::security::limits::LINK_VISITS_PER_ADDRESS_PER_HOUR)
//! sessions an hour this way (429 after that).

use crate::i18n::catalog;
use crate::service::payment_links::{Visit, open_link};
use crate::state::AppState;
use crate::store::now_ms;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

/// A page in the buyer's language (`title` and `text` in English, as the strings name them).
fn page(headers: &HeaderMap, status: StatusCode, title: &str, text: &str) -> Response {
    let lang = catalog::of_headers(headers);
    let tr = catalog::pages(lang);
    let escape = |s: &str| html_escape::encode_text(s).into_owned();
    let (title, text) = (escape(&tr.t(title)), escape(&tr.t(text)));
    let body = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/pkg/kassa.css\"><title>{title} · kassa</title></head>\
         <body><main class=\"checkout\"><section class=\"state\"><h1>{title}</h1><p>{text}</p>\
         </section></main></body></html>"
    );
    (status, Html(body)).into_response()
}

pub async fn visit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    parts: axum::http::request::Parts,
) -> Response {
    let headers = &parts.headers;
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    if let Err(crate::security::limits::RetryAfter(wait)) =
        state.limits.link_visit(state.client_address(headers, peer))
    {
        let mut response = page(
            headers,
            StatusCode::TOO_MANY_REQUESTS,
            "Too many visits",
            "This link was opened too often from your network. Try again in a few minutes.",
        );
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, wait.into());
        return response;
    }
    match open_link(&state.store, &id, now_ms()).await {
        Ok(Visit::Session(session)) => {
            Redirect::to(&state.checkout_url(&session.id)).into_response()
        }
        Ok(Visit::Inactive) => page(
            headers,
            StatusCode::GONE,
            "This link is no longer active",
            "The shop has stopped selling through this link. Ask them for a new one.",
        ),
        Ok(Visit::NotFound) => page(
            headers,
            StatusCode::NOT_FOUND,
            "There is no such payment link",
            "Check the address, or ask the shop for the link again.",
        ),
        // The link's prices changed since it was made (archived, say): nothing can be sold.
        Err(
            crate::service::ServiceError::Invalid(_) | crate::service::ServiceError::Conflict(_),
        ) => page(
            headers,
            StatusCode::CONFLICT,
            "This link cannot sell right now",
            "What it sells is no longer available. Ask the shop for a new link.",
        ),
        Err(error) => {
            tracing::error!(%error, link = %id, "opening a payment link failed");
            page(
                headers,
                StatusCode::SERVICE_UNAVAILABLE,
                "This link cannot be opened right now",
                "Try again in a moment.",
            )
        }
    }
}
