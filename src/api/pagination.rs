//! Opaque list cursors: a position in a newest-first list, encoded so clients treat it as a token.

use crate::store::Cursor;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The cursor after `created_at`/`id`, as a URL-safe token.
pub fn encode(created_at: i64, id: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{created_at}.{id}"))
}

/// The position a token names, or `None` for anything kassa did not issue.
pub fn decode(token: &str) -> Option<Cursor> {
    let bytes = URL_SAFE_NO_PAD.decode(token.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (created_at, id) = text.split_once('.')?;
    let created_at = created_at.parse().ok()?;
    let valid_id = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    valid_id.then(|| Cursor {
        created_at,
        id: id.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_forgeries() {
        let token = encode(1_795_000_000_000, "cs_test_abc");
        assert_eq!(
            decode(&token),
            Some(Cursor {
                created_at: 1_795_000_000_000,
                id: "cs_test_abc".into()
            })
        );
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("x.cs_test")), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("12.cs test")), None);
    }
}
