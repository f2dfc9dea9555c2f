//! The headers every answer carries: what a browser may run, frame, cache and send on.
//!
//! A page's Content-Security-Policy is the list of scripts it may run (PCI DSS 4.0, 6.4.3): kassa's
//! own files, and inline scripts carrying the nonce made for that one response. Leptos writes the
//! nonce into every script it renders (hydration, islands, resources) when it finds it in its
//! context ([`provide_page_nonce`]); kassa renders no other inline script and no inline style
//! without it. No page may be framed, so a card form cannot be laid under another site's clicks.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use leptos::nonce::Nonce;
use std::sync::Arc;

/// How the answers of one kassa are marked.
#[derive(Clone, Debug)]
pub struct HeaderPolicy {
    /// `Strict-Transport-Security`, sent when kassa is served over https.
    hsts: bool,
}

impl HeaderPolicy {
    /// The policy for a kassa whose public address is `public_base`.
    pub fn for_public_base(public_base: &str) -> Arc<HeaderPolicy> {
        Arc::new(HeaderPolicy {
            hsts: public_base.starts_with("https://"),
        })
    }
}

/// The nonce of the page this request renders, set by [`security_headers`] and handed to Leptos
/// by [`provide_page_nonce`].
#[derive(Clone, Debug)]
struct PageNonce(Nonce);

/// One year, as browsers' preload lists ask.
const HSTS: &str = "max-age=31536000";

/// What a non-page answer (JSON, a file, a redirect) allows: nothing, were it ever rendered.
const NOT_A_PAGE: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of a page. `'wasm-unsafe-eval'` lets the browser compile kassa's WebAssembly (and
/// nothing else: `eval` stays refused). Merchants' logos may come from any https address. There
/// is no `form-action`: the checkout's form ends in a redirect to the merchant's address or to a
/// bank's authentication page, and browsers hold those redirects to it.
fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'nonce-{nonce}'; img-src 'self' data: https:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
}

/// Marks every answer: a Content-Security-Policy (with a fresh nonce on pages), no framing, no
/// content sniffing, no full address in `Referer` (checkout addresses carry session ids), no
/// caching of anything but the built site's files, and HSTS over https.
pub async fn security_headers(
    State(policy): State<Arc<HeaderPolicy>>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(PageNonce(nonce.clone()));
    let cacheable = is_built_file(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let csp = if is_html(headers) {
        page_policy(&nonce)
    } else {
        NOT_A_PAGE.to_owned()
    };
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    let set = |headers: &mut HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(
        headers,
        header::REFERRER_POLICY,
        "strict-origin-when-cross-origin",
    );
    if policy.hsts {
        set(headers, header::STRICT_TRANSPORT_SECURITY, HSTS);
    }
    if !cacheable {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

/// Provides this request's page nonce to Leptos, in place of the one it would make itself, so
/// that the scripts it renders carry the nonce the header names. Called as the routes' extra
/// context, after Leptos has provided the request.
pub fn provide_page_nonce() {
    if let Some(PageNonce(nonce)) = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageNonce>().cloned())
    {
        leptos::prelude::provide_context(nonce);
    }
}

/// The built site's files (scripts, styles, WebAssembly, the icon), the same for every visitor.
fn is_built_file(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg"
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_runs_only_its_own_files_and_scripts_with_its_nonce() {
        let csp = page_policy("abc");
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(csp.contains("style-src 'self' 'nonce-abc';"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert!(!csp.contains("'unsafe-eval'"));
    }

    #[test]
    fn only_the_built_site_is_cacheable() {
        assert!(is_built_file("/pkg/kassa.wasm"));
        assert!(is_built_file("/favicon.svg"));
        assert!(!is_built_file("/checkout/cs_1"));
        assert!(!is_built_file("/dashboard"));
        assert!(!is_built_file("/api/checkout-sessions"));
    }
}
