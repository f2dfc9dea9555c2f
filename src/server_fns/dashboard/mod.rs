//! The dashboard's server functions, under `/api/dashboard/`.
//!
//! Every one starts from the signed-in member (the session cookie) and acts for that member's
//! organization in the mode the member chose: another organization's object is "not found",
//! exactly as an id that does not exist. Reads answer data (401 when signed out, 404 when not
//! found); forms answer a redirect, to the next page or back to the form with `error.<field>` and
//! `value.<field>` in its address, so that one path serves pages with and without JavaScript.
//! Cross-site posts are refused before they get here (`server::same_origin_posts`).

mod account;
mod billing;
mod catalog;
mod coupons;
mod customers;
mod events;
mod keys;
mod payment_links;
mod plans;
mod processors;
mod sessions;
mod tax_rates;
mod webhooks;

pub use account::*;
pub use billing::*;
pub use catalog::*;
pub use coupons::*;
pub use customers::*;
pub use events::*;
pub use keys::*;
pub use payment_links::*;
pub use plans::*;
pub use processors::*;
pub use sessions::*;
pub use tax_rates::*;
pub use webhooks::*;

use serde::{Deserialize, Serialize};

/// What a read answers when nobody is signed in.
pub const SIGNED_OUT: &str = "signed_out";
/// What a read answers for an object that is not the organization's (or does not exist).
pub const NOT_FOUND: &str = "not_found";

/// Whether a server function failed because nobody is signed in.
pub fn is_signed_out(error: &ServerFnError) -> bool {
    matches!(error, ServerFnError::ServerError(m) if m == SIGNED_OUT)
}

/// Whether a server function failed because the object is not the organization's.
pub fn is_not_found(error: &ServerFnError) -> bool {
    matches!(error, ServerFnError::ServerError(m) if m == NOT_FOUND)
}

use leptos::prelude::ServerFnError;

/// The signed-in member as every dashboard page shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub email: String,
    pub organization_name: String,
    pub live: bool,
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::{NOT_FOUND, SIGNED_OUT};
    use crate::domain::Mode;
    use crate::domain::field::FieldError;
    use crate::server_fns::set_status;
    use crate::service::ServiceError;
    use crate::service::accounts::{self, Member};
    use crate::service::api_keys::Principal;
    use crate::state::AppState;
    use axum::http::StatusCode;
    use leptos::prelude::*;
    use tower_sessions::Session;

    pub const USER_KEY: &str = "user_id";
    pub const ORGANIZATION_KEY: &str = "organization_id";
    pub const MODE_KEY: &str = "mode";
    /// A new API key's secret, shown once on the next page and then forgotten.
    pub const NEW_SECRET_KEY: &str = "new_secret";
    /// When the member signed in (epoch milliseconds).
    pub const SIGNED_IN_AT_KEY: &str = "signed_in_at";
    /// How long a sign-in lasts however busy it is: a stolen cookie, or a browser left signed in,
    /// stops working after this. (It also ends after a week without use.)
    pub const ABSOLUTE_LIFETIME_MS: i64 = 30 * 24 * 3600 * 1000;

    pub fn state() -> AppState {
        expect_context::<AppState>()
    }

    /// What a client address's limit of password checks refuses: [`too_many_attempts`]'s `whose`.
    pub const FROM_NETWORK: &str = "from your network";

    /// Answers a form refused by a limit of password checks (`whose`: "from your network", "to
    /// sign in as this email"): a 429 with `Retry-After`, and what the form says.
    pub fn too_many_attempts(wait: crate::security::limits::RetryAfter, whose: &str) -> String {
        let seconds = wait.0;
        set_status(StatusCode::TOO_MANY_REQUESTS);
        crate::server_fns::set_header(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(seconds),
        );
        format!("Too many attempts {whose}. Wait {seconds} s, then try again.")
    }

    pub async fn session() -> Result<Session, ServerFnError> {
        leptos_axum::extract::<Session>().await.map_err(|error| {
            tracing::error!(?error, "no dashboard session layer");
            ServerFnError::new("The dashboard is unavailable.")
        })
    }

    /// Whether a sign-in made at `signed_in_at` has ended by `now` whatever its use; one that
    /// does not say when it was made (made before kassa noted it) has.
    pub fn outlived(signed_in_at: Option<i64>, now: i64) -> bool {
        signed_in_at.is_none_or(|at| now - at > ABSOLUTE_LIFETIME_MS)
    }

    #[cfg(test)]
    #[test]
    fn a_sign_in_ends_thirty_days_after_it_was_made() {
        let at = 1_800_000_000_000;
        assert!(!outlived(Some(at), at));
        assert!(!outlived(Some(at), at + ABSOLUTE_LIFETIME_MS));
        assert!(outlived(Some(at), at + ABSOLUTE_LIFETIME_MS + 1));
        assert!(outlived(None, at));
    }

    /// Someone signed in, and the organization and mode they act for.
    pub struct SignedIn {
        pub member: Member,
        pub principal: Principal,
        pub session: Session,
    }

    /// The signed-in member, or a 401 naming [`SIGNED_OUT`].
    pub async fn signed_in() -> Result<SignedIn, ServerFnError> {
        let session = session().await?;
        let user: Option<String> = session.get(USER_KEY).await.ok().flatten();
        let organization: Option<String> = session.get(ORGANIZATION_KEY).await.ok().flatten();
        let (Some(user), Some(organization)) = (user, organization) else {
            return Err(signed_out());
        };
        let signed_in_at: Option<i64> = session.get(SIGNED_IN_AT_KEY).await.ok().flatten();
        if outlived(signed_in_at, crate::store::now_ms()) {
            session.flush().await.map_err(internal)?;
            return Err(signed_out());
        }
        let member = accounts::member(&state().store, &user, &organization)
            .await
            .map_err(internal)?
            .ok_or_else(signed_out)?;
        let mode = match session
            .get::<String>(MODE_KEY)
            .await
            .ok()
            .flatten()
            .as_deref()
        {
            Some("live") => Mode::Live,
            _ => Mode::Test,
        };
        let principal = Principal {
            organization_id: member.organization_id.clone(),
            mode,
            api_key_id: format!("dashboard:{}", member.user_id),
        };
        tracing::Span::current().record("organization", member.organization_id.as_str());
        Ok(SignedIn {
            member,
            principal,
            session,
        })
    }

    /// Starts a signed-in session for `member`, under a fresh id (no session fixation).
    pub async fn sign_in_as(session: &Session, member: &Member) -> Result<(), ServerFnError> {
        session.cycle_id().await.map_err(internal)?;
        session
            .insert(USER_KEY, &member.user_id)
            .await
            .map_err(internal)?;
        session
            .insert(ORGANIZATION_KEY, &member.organization_id)
            .await
            .map_err(internal)?;
        session.insert(MODE_KEY, "test").await.map_err(internal)?;
        session
            .insert(SIGNED_IN_AT_KEY, crate::store::now_ms())
            .await
            .map_err(internal)?;
        Ok(())
    }

    pub fn signed_out() -> ServerFnError {
        // A page answers 200 with the sign-in form; only a server function called directly
        // answers 401.
        let called_directly = leptos::prelude::use_context::<axum::http::request::Parts>()
            .is_some_and(|parts| parts.uri.path().starts_with("/api/"));
        if called_directly {
            set_status(StatusCode::UNAUTHORIZED);
        }
        ServerFnError::new(SIGNED_OUT)
    }

    pub fn not_found() -> ServerFnError {
        set_status(StatusCode::NOT_FOUND);
        ServerFnError::new(NOT_FOUND)
    }

    pub fn internal(error: impl std::fmt::Display) -> ServerFnError {
        tracing::error!(%error, "a dashboard request failed");
        ServerFnError::new("Something went wrong on our side; nothing was changed.")
    }

    /// Maps a service failure: not found and signed out as above, anything else a 500.
    pub fn service_error(error: ServiceError) -> ServerFnError {
        match error {
            ServiceError::NotFound(_) => not_found(),
            other => internal(other),
        }
    }

    /// Where a form goes next: `to` on success; back to `back` with the errors by input and
    /// what was typed otherwise.
    pub fn answer_form(
        back: &str,
        outcome: Result<String, Vec<(String, String)>>,
        typed: &[(&str, &Option<String>)],
    ) {
        let to = match outcome {
            Ok(to) => to,
            Err(errors) => {
                let mut url = url::Url::parse("http://x").expect("a base");
                url.set_path(back.split('?').next().unwrap_or(back));
                {
                    let mut query = url.query_pairs_mut();
                    if let Some((_, existing)) = back.split_once('?') {
                        for (k, v) in url::form_urlencoded::parse(existing.as_bytes()) {
                            if !k.starts_with("error.") && !k.starts_with("value.") {
                                query.append_pair(&k, &v);
                            }
                        }
                    }
                    for (field, message) in &errors {
                        query.append_pair(&format!("error.{field}"), message);
                    }
                    for (name, value) in typed {
                        if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
                            query.append_pair(&format!("value.{name}"), value);
                        }
                    }
                }
                match url.query() {
                    Some(q) => format!("{}?{q}", url.path()),
                    None => url.path().to_owned(),
                }
            }
        };
        leptos_axum::redirect(&to);
    }

    /// Field errors as (input name, message), each input named by `input_of`.
    pub fn by_input(
        errors: Vec<FieldError>,
        input_of: impl Fn(&crate::domain::field::Field) -> Option<String>,
    ) -> Vec<(String, String)> {
        errors
            .into_iter()
            .map(|e| {
                let input = input_of(&e.field).unwrap_or_else(|| "form".to_owned());
                (input, e.message)
            })
            .collect()
    }

    /// A path inside the dashboard to come back to, or the overview.
    pub fn dashboard_path(requested: Option<&str>) -> String {
        match requested {
            Some(p) if p.starts_with("/dashboard") && !p.contains("//") && !p.contains('\\') => {
                p.to_owned()
            }
            _ => "/dashboard".to_owned(),
        }
    }

    /// `<created_at>_<id>`: where the next page of a newest-first list starts.
    pub fn cursor(created_at: i64, id: &str) -> String {
        format!("{created_at}_{id}")
    }

    /// The cursor of the page after `page`, if there is one; `key` gives an item's
    /// `(created_at, id)`.
    pub fn next_cursor<T>(
        page: &crate::store::Page<T>,
        key: impl Fn(&T) -> (i64, &str),
    ) -> Option<String> {
        let last = page.items.last().filter(|_| page.has_more)?;
        let (created_at, id) = key(last);
        Some(cursor(created_at, id))
    }

    pub fn parse_cursor(cursor: &str) -> Option<crate::store::Cursor> {
        let (at, id) = cursor.split_once('_')?;
        Some(crate::store::Cursor {
            created_at: at.parse().ok()?,
            id: id.to_owned(),
        })
    }

    /// `2026-11-23 06:30 UTC` for epoch milliseconds.
    pub fn when(ms: i64) -> String {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_default()
    }
}
