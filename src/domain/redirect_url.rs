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
}

/// Checks a redirect URL and returns it as given (a `{CHECKOUT_SESSION_ID}` placeholder survives).
pub fn check_redirect_url(input: &str) -> Result<&str, UrlError> {
    if input.is_empty() {
        return Err(UrlError::Empty);
    }
    if input.chars().count() > MAX_URL_LENGTH {
        return Err(UrlError::TooLong);
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

#[cfg(test)]
mod tests {
    use super::*;

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
