//! Opaque list cursors: a position in a newest-first list, encoded so clients treat it as a token.

use super::ApiError;
use crate::store::{Cursor, Page, PageRequest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The most items a page holds; 10 when `limit` is not given.
pub const MAX_LIMIT: u32 = 100;

/// `?limit=&cursor=` of every list of kassa's own API.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// How many items the page holds: 1 to 100, 10 when absent.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, example = 10)]
    limit: Option<String>,
    /// The previous page's `next_cursor`, for the page after it.
    cursor: Option<String>,
}

impl ListQuery {
    /// The page asked for, or a 400 naming `limit` or `cursor`.
    pub fn page(&self) -> Result<PageRequest, ApiError> {
        let limit = match self.limit.as_deref() {
            None => 10,
            Some(text) => match text.parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid(
                        "limit",
                        format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                }
            },
        };
        let after = match self.cursor.as_deref() {
            None => None,
            Some(token) => Some(
                decode(token)
                    .ok_or_else(|| ApiError::invalid("cursor", "cursor is not one kassa issued"))?,
            ),
        };
        Ok(PageRequest { limit, after })
    }
}

/// `page` as the API answers it: its items made into `T`, and the cursor after the last one
/// when there are more (`position` gives an item's `created_at` and id).
pub fn list<R, T: utoipa::ToSchema>(
    page: Page<R>,
    position: impl Fn(&R) -> (i64, &str),
    object: impl Fn(&R) -> T,
) -> super::objects::List<T> {
    let next_cursor = page
        .has_more
        .then(|| {
            page.items.last().map(|r| {
                let (created_at, id) = position(r);
                encode(created_at, id)
            })
        })
        .flatten();
    super::objects::List::of(
        page.items.iter().map(object).collect(),
        page.has_more,
        next_cursor,
    )
}

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
