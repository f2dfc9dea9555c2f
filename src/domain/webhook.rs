//! Webhook endpoints: where a merchant wants to hear of events, and which events.

use super::Mode;
use super::event::EventType;
use super::field::{Field, FieldError};
use super::redirect_url::{UrlError, check_redirect_url};

/// Stands for every event type in a filter.
pub const ALL_TYPES: &str = "*";

/// Types Flowglad's clients may subscribe to that kassa has no occasion to send (yet). Accepted so
/// that their endpoint set-up works unchanged; no event of these types is ever delivered.
pub const COMPATIBLE_TYPES: [&str; 3] = [
    "customer.updated",
    "subscription.canceled",
    "sync.events_available",
];

/// Deliveries an organization may have resent in a minute (a burst of this many, then one more
/// each `60 / RESENDS_PER_MINUTE` seconds).
pub const RESENDS_PER_MINUTE: u32 = 10;

/// Longest endpoint name.
pub const MAX_NAME_CHARS: usize = 100;

/// Most types one endpoint may list.
pub const MAX_FILTER_TYPES: usize = 32;

/// What a merchant asks for when making or changing an endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointDraft {
    pub url: String,
    pub name: String,
    pub filter_types: Vec<String>,
}

/// Checks an endpoint: an absolute http(s) URL (https in live mode, where events carry real
/// customers), a name of at most 100 characters, and at least one known event type (or `*`).
/// Returns the draft with the name trimmed and the types without repeats, in their given order.
pub fn check_endpoint(draft: EndpointDraft, mode: Mode) -> Result<EndpointDraft, Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Err(e) = check_url(&draft.url, mode) {
        errors.push(e);
    }
    let name = draft.name.trim().to_owned();
    if name.chars().count() > MAX_NAME_CHARS {
        errors.push(FieldError::invalid(
            Field::WebhookName,
            format!("name must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    let filter_types = match check_filter_types(&draft.filter_types) {
        Ok(types) => types,
        Err(e) => {
            errors.push(e);
            Vec::new()
        }
    };
    if errors.is_empty() {
        Ok(EndpointDraft {
            url: draft.url,
            name,
            filter_types,
        })
    } else {
        Err(errors)
    }
}

/// The endpoint's URL alone (the dashboard checks it as it is typed).
pub fn check_url(url: &str, mode: Mode) -> Result<(), FieldError> {
    let field = Field::WebhookUrl;
    match check_redirect_url(url) {
        Err(UrlError::Empty) => Err(FieldError::missing(field, "url is required")),
        Err(e) => Err(FieldError::invalid(field, format!("url {e}"))),
        Ok(_) if mode.is_live() && !url.starts_with("https://") => Err(FieldError::invalid(
            field,
            "url must start with https:// for live-mode events",
        )),
        Ok(_) => Ok(()),
    }
}

/// The filter: every name an event type kassa sends, one of [`COMPATIBLE_TYPES`], or `*`.
pub fn check_filter_types(types: &[String]) -> Result<Vec<String>, FieldError> {
    let field = Field::WebhookFilterTypes;
    if types.is_empty() {
        return Err(FieldError::missing(
            field,
            "filter_types needs at least one event type (or \"*\" for all)",
        ));
    }
    if types.len() > MAX_FILTER_TYPES {
        return Err(FieldError::invalid(
            field,
            format!("filter_types lists at most {MAX_FILTER_TYPES} types"),
        ));
    }
    let mut kept: Vec<String> = Vec::with_capacity(types.len());
    for name in types {
        let known = name == ALL_TYPES
            || EventType::parse(name).is_some()
            || COMPATIBLE_TYPES.contains(&name.as_str());
        if !known {
            return Err(FieldError::invalid(
                field,
                format!(
                    "`{name}` is not an event type; kassa sends {}",
                    EventType::ALL.map(EventType::as_str).join(", ")
                ),
            ));
        }
        if !kept.contains(name) {
            kept.push(name.clone());
        }
    }
    Ok(kept)
}

/// Whether an endpoint listening for `filter_types` wants an event of `event_type`.
pub fn wants(filter_types: &[String], event_type: &str) -> bool {
    filter_types
        .iter()
        .any(|t| t == ALL_TYPES || t == event_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(url: &str, types: &[&str]) -> EndpointDraft {
        EndpointDraft {
            url: url.into(),
            name: "  Orders  ".into(),
            filter_types: types.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn a_good_endpoint_is_kept_trimmed_and_without_repeats() {
        let checked = check_endpoint(
            draft(
                "http://localhost:4000/hooks",
                &["payment.succeeded", "customer.updated", "payment.succeeded"],
            ),
            Mode::Test,
        )
        .unwrap();
        assert_eq!(checked.name, "Orders");
        assert_eq!(
            checked.filter_types,
            ["payment.succeeded", "customer.updated"]
        );
    }

    #[test]
    fn live_endpoints_need_https() {
        let errors =
            check_endpoint(draft("http://shop.example/hooks", &["*"]), Mode::Live).unwrap_err();
        assert_eq!(errors[0].field, Field::WebhookUrl);
        assert!(errors[0].message.contains("https://"));
        assert!(check_endpoint(draft("https://shop.example/hooks", &["*"]), Mode::Live).is_ok());
    }

    #[test]
    fn every_fault_is_named() {
        let errors = check_endpoint(
            EndpointDraft {
                url: "not a url".into(),
                name: "n".repeat(MAX_NAME_CHARS + 1),
                filter_types: vec!["payment.succeeded".into(), "charge.succeeded".into()],
            },
            Mode::Test,
        )
        .unwrap_err();
        let fields: Vec<Field> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                Field::WebhookUrl,
                Field::WebhookName,
                Field::WebhookFilterTypes
            ]
        );
        assert!(errors[2].message.starts_with("`charge.succeeded` is not"));
        let none = check_filter_types(&[]).unwrap_err();
        assert_eq!(none.code, "parameter_missing");
    }

    #[test]
    fn the_star_wants_everything_and_a_list_only_its_own() {
        let all = vec![ALL_TYPES.to_owned()];
        let some = vec!["payment.failed".to_owned()];
        assert!(wants(&all, "checkout.session.completed"));
        assert!(wants(&some, "payment.failed"));
        assert!(!wants(&some, "payment.succeeded"));
    }
}
