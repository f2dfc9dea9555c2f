//! `POST /api/checkout/authenticate`: the buyer completes or fails the 3-D Secure challenge, or
//! approves or cancels a wallet payment, on kassa's hosted step page.

use super::ConfirmResponse;
use leptos::prelude::*;

#[server(name = Authenticate, prefix = "/api", endpoint = "checkout/authenticate")]
pub async fn authenticate(
    session_id: String,
    decision: String,
    // The step page's language, for what the buyer reads in the answer.
    lang: Option<String>,
) -> Result<ConfirmResponse, ServerFnError> {
    use crate::server_fns::{from_plain_form, set_status};
    use crate::service::ServiceError;
    use crate::service::payment::{ConfirmOutcome, complete_action};
    use crate::state::AppState;
    use axum::http::StatusCode;

    let state = expect_context::<AppState>();
    // The step page's language (the session's or the buyer's choice, as it was served), else the
    // buyer's choice or their browser's.
    let tr =
        crate::i18n::catalog::pages(match lang.as_deref().and_then(crate::i18n::Lang::parse) {
            Some(lang) => lang,
            None => use_context::<axum::http::request::Parts>()
                .map(|parts| crate::i18n::catalog::of_request(&parts, None))
                .unwrap_or_default(),
        });
    let approved = match decision.as_str() {
        "complete" | "approve" => true,
        "fail" | "cancel" => false,
        _ => {
            set_status(StatusCode::UNPROCESSABLE_ENTITY);
            return Ok(ConfirmResponse::Invalid {
                errors: vec![("decision".into(), tr.t("Choose to complete or cancel."))],
            });
        }
    };
    let page = state.checkout_url(&session_id);
    let outcome = match complete_action(
        &state.store,
        &state.processors,
        &state.public_base,
        &session_id,
        approved,
        crate::store::now_ms(),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(ServiceError::NotFound(_)) => {
            set_status(StatusCode::NOT_FOUND);
            return Ok(ConfirmResponse::Unavailable {
                message: tr.t("There is no such checkout."),
            });
        }
        Err(error) => {
            tracing::error!(%error, "authentication failed");
            return Err(ServerFnError::new(tr.t(
                "The payment could not be completed right now. Reload this page: it shows whether your payment went through.",
            )));
        }
    };
    let (response, redirect) = match outcome {
        ConfirmOutcome::Succeeded { next_url }
        | ConfirmOutcome::Processing { next_url }
        | ConfirmOutcome::Checking { next_url }
        | ConfirmOutcome::RequiresAction { next_url } => (
            ConfirmResponse::Redirect {
                url: next_url.clone(),
            },
            next_url,
        ),
        ConfirmOutcome::Declined { message, .. } => {
            let message = tr.t(&message);
            (ConfirmResponse::Declined { message }, page.clone())
        }
        ConfirmOutcome::Closed(status) => (ConfirmResponse::Closed { status }, page.clone()),
        ConfirmOutcome::Busy => {
            set_status(StatusCode::CONFLICT);
            (
                ConfirmResponse::Busy {
                    message: tr.t("This checkout is already being paid. Wait a moment."),
                },
                page.clone(),
            )
        }
        ConfirmOutcome::Invalid(_)
        | ConfirmOutcome::Unavailable(_)
        | ConfirmOutcome::Limited { .. } => (
            ConfirmResponse::Unavailable {
                message: tr.t("This payment cannot be completed."),
            },
            page.clone(),
        ),
    };
    if from_plain_form() {
        leptos_axum::redirect(&redirect);
    }
    Ok(response)
}
