//! The URLs a session sends buyers to (success, cancel, pending): fully qualified http(s) URLs of
//! 1 to 2083 characters, parsed with the `url` crate (WHATWG URL rules, as browsers parse them).

/// The longest URL kassa accepts: what the most restrictive browsers have handled.
pub const MAX_URL_LENGTH: usize = 2083;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most 2083 characters")]
    TooLong,
    #[error("must be a fully qualified URL such as https://example.com/thanks")]
    NotAbsolute,
    #[error("must start with http:// or https://")]
    NotHttp,
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// Checks a redirect URL and returns it as given (a `{CHECKOUT_SESSION_ID}` placeholder survives).
pub fn check_redirect_url(input: &str) -> Result<&str, UrlError> {
    if input.is_empty() {
        return Err(UrlError::Empty);
    }
    if input.chars().count() > MAX_URL_LENGTH {
        return Err(UrlError::TooLong);
    }
    if input.chars().any(char::is_control) {
        return Err(UrlError::ControlCharacter);
    }
    if input.trim() != input || input.chars().any(char::is_whitespace) {
        return Err(UrlError::NotAbsolute);
    }
    let url = url::Url::parse(input).map_err(|_| UrlError::NotAbsolute)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::NotHttp);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NotAbsolute);
    }
    Ok(input)
}

/// `url` as a `Location` header can carry it: parsed and written out again by the WHATWG rules
/// (what a browser would request: ASCII only, anything else percent-encoded). `None` when it is
/// not a URL at all. Every redirect to a merchant's address is built through this, so a URL
/// saved before kassa checked it as now cannot break the answer that sends the buyer on.
pub fn as_location(url: &str) -> Option<String> {
    let written = url::Url::parse(url).ok()?.to_string();
    written
        .bytes()
        .all(|b| b.is_ascii_graphic())
        .then_some(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_and_never_reach_a_header() {
        for bad in [
            "https://shop.example/thanks\u{7}",
            "https://shop.example/\u{0}x",
            "https://shop.example/a\u{7f}b",
            "https://shop.example/\u{85}",
        ] {
            assert_eq!(
                check_redirect_url(bad),
                Err(UrlError::ControlCharacter),
                "{bad:?}"
            );
        }
        // Saved before this check: written out percent-encoded, a valid header either way.
        let location = as_location("https://shop.example/thanks\u{7}?q=é").unwrap();
        assert_eq!(location, "https://shop.example/thanks%07?q=%C3%A9");
        assert!(axum_free_header_check(&location));
        assert_eq!(as_location("not a url"), None);
    }

    /// What `http::HeaderValue` accepts, without depending on it in the domain.
    fn axum_free_header_check(value: &str) -> bool {
        value.bytes().all(|b| (b >= 32 && b != 127) || b == b'\t')
    }

    #[test]
    fn accepts_fully_qualified_http_urls() {
        for ok in [
            "https://example.com",
            "http://localhost:3000/thanks",
            "https://shop.example.com/done?session={CHECKOUT_SESSION_ID}",
            "https://example.com/ünïcode",
        ] {
            assert_eq!(check_redirect_url(ok), Ok(ok));
        }
    }

    #[test]
    fn refuses_relative_other_schemes_and_overlong() {
        assert_eq!(check_redirect_url(""), Err(UrlError::Empty));
        assert_eq!(check_redirect_url("/thanks"), Err(UrlError::NotAbsolute));
        assert_eq!(
            check_redirect_url("example.com/thanks"),
            Err(UrlError::NotAbsolute)
        );
        assert_eq!(
            check_redirect_url("https:// example.com"),
            Err(UrlError::NotAbsolute)
        );
        assert_eq!(
            check_redirect_url(" https://example.com"),
            Err(UrlError::NotAbsolute)
        );
        assert_eq!(
            check_redirect_url("ftp://example.com"),
            Err(UrlError::NotHttp)
        );
        assert_eq!(
            check_redirect_url("javascript:alert(1)"),
            Err(UrlError::NotHttp)
        );
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH));
        assert_eq!(check_redirect_url(&long), Err(UrlError::TooLong));
        let exact = format!("https://example.com/{}", "a".repeat(MAX_URL_LENGTH - 20));
        assert_eq!(exact.len(), MAX_URL_LENGTH);
        assert!(check_redirect_url(&exact).is_ok());
    }
}
