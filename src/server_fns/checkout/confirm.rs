//! `POST /api/checkout/confirm`: pays a session. Form-encoded, the same fields with and without
//! JavaScript; answers data to the page's script and a redirect to a plain form post.

// The form's fields are the server function's arguments, one each, as a plain form posts them.
#![allow(clippy::too_many_arguments)]

use super::ConfirmResponse;
use leptos::prelude::*;
use std::collections::BTreeMap;

#[server(name = ConfirmCheckout, prefix = "/api", endpoint = "checkout/confirm")]
pub async fn confirm_checkout(
    session_id: String,
    email: Option<String>,
    name: Option<String>,
    country: Option<String>,
    postal_code: Option<String>,
    line1: Option<String>,
    line2: Option<String>,
    city: Option<String>,
    state: Option<String>,
    phone: Option<String>,
    tax_id: Option<String>,
    shipping_name: Option<String>,
    shipping_line1: Option<String>,
    shipping_line2: Option<String>,
    shipping_city: Option<String>,
    shipping_state: Option<String>,
    shipping_postal_code: Option<String>,
    shipping_country: Option<String>,
    billing_same_as_shipping: Option<String>,
    saved_payment_method: Option<String>,
    save_payment_method: Option<String>,
    payment_method_type: Option<String>,
    card_number: Option<String>,
    card_exp: Option<String>,
    card_cvc: Option<String>,
    card_name: Option<String>,
    iban: Option<String>,
    account_holder: Option<String>,
    routing_number: Option<String>,
    account_number: Option<String>,
    promotion_code: Option<String>,
    quantity: Option<BTreeMap<String, String>>,
    // The answers to the session's questions by position (`custom_fields[0]=…`).
    custom_fields: Option<BTreeMap<String, String>>,
    terms_of_service: Option<String>,
    // The amount due now as the page showed it (minor units): charged only if it still is.
    shown_total: Option<String>,
    // The page's language, for what the buyer reads in the answer.
    lang: Option<String>,
) -> Result<ConfirmResponse, ServerFnError> {
    use crate::domain::payment::PaymentForm;
    use crate::server_fns::{client_address, client_info, from_plain_form, set_header, set_status};
    use crate::service::ServiceError;
    use crate::service::payment::{ConfirmOutcome, ConfirmRequest, confirm};
    use crate::state::AppState;
    use axum::http::StatusCode;

    let app = expect_context::<AppState>();
    let lang = match lang.as_deref().and_then(crate::i18n::Lang::parse) {
        Some(lang) => lang,
        None => use_context::<axum::http::request::Parts>()
            .map(|parts| crate::i18n::catalog::of_request(&parts, None))
            .unwrap_or_default(),
    };
    let tr = crate::i18n::catalog::pages(lang);
    let form = PaymentForm {
        email: email.clone(),
        name: name.clone(),
        country: country.clone(),
        postal_code: postal_code.clone(),
        line1: line1.clone(),
        line2: line2.clone(),
        city: city.clone(),
        state: state.clone(),
        phone: phone.clone(),
        tax_id: tax_id.clone(),
        shipping_name: shipping_name.clone(),
        shipping_line1: shipping_line1.clone(),
        shipping_line2: shipping_line2.clone(),
        shipping_city: shipping_city.clone(),
        shipping_state: shipping_state.clone(),
        shipping_postal_code: shipping_postal_code.clone(),
        shipping_country: shipping_country.clone(),
        billing_same_as_shipping: billing_same_as_shipping.clone(),
        saved_payment_method: saved_payment_method.clone(),
        save_payment_method: save_payment_method.clone(),
        payment_method_type,
        card_number,
        card_exp,
        card_cvc,
        card_name,
        iban,
        account_holder,
        routing_number,
        account_number,
        custom_fields: answers_by_position(custom_fields.as_ref()),
        terms_of_service: terms_of_service.clone(),
    };
    let mut quantities = Vec::new();
    let mut bad_quantity = None;
    for (key, value) in quantity.unwrap_or_default() {
        match (key.parse::<usize>(), value.trim().parse::<i64>()) {
            (Ok(index), Ok(q)) => quantities.push((index, q)),
            (Ok(index), Err(_)) => bad_quantity = Some(index),
            (Err(_), _) => bad_quantity = Some(usize::MAX),
        }
    }
    let page = app.checkout_url(&session_id);
    let notice_key = match app
        .store
        .installation_key(crate::security::notices::KEY_PURPOSE)
        .await
    {
        Ok(key) => Some(key),
        Err(error) => {
            tracing::error!(%error, "reading the key of the page's notices; sending none");
            None
        }
    };
    let page_with =
        |params: &[(String, String)], code: &Option<String>, quantities: &[(usize, i64)]| {
            page_with(
                &page,
                &session_id,
                notice_key.as_ref(),
                params,
                code,
                quantities,
            )
        };
    let outcome = if let Err(retry_after_s) = app.check_attempt_from(client_address(&app)) {
        ConfirmOutcome::Limited { retry_after_s }
    } else if let Some(index) = bad_quantity {
        ConfirmOutcome::Invalid(vec![crate::domain::field::FieldError::invalid(
            crate::domain::field::Field::Quantity(if index == usize::MAX { 0 } else { index }),
            "Enter a whole number.",
        )])
    } else {
        let request = ConfirmRequest {
            session_id: session_id.clone(),
            form,
            promotion_code: promotion_code.clone(),
            quantities: quantities.clone(),
            client: client_info(&app),
            lang: Some(lang),
            // Unreadable counts as shown wrong: the page is shown again with the total.
            shown_total: shown_total
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.parse::<i64>().unwrap_or(-1)),
        };
        match confirm(
            &app.store,
            &app.processors,
            &app.public_base,
            request,
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
                tracing::error!(%error, "confirm failed");
                return Err(ServerFnError::new(tr.t(
                    "The payment could not be completed right now. Reload this page: it shows whether your payment went through.",
                )));
            }
        }
    };

    // Without JavaScript the page is reloaded: what the buyer typed (never card or bank numbers)
    // goes back into it through its address.
    let mut typed: Vec<(String, String)> = Vec::new();
    for (key, value) in [
        ("email", &email),
        ("name", &name),
        ("country", &country),
        ("postal_code", &postal_code),
        ("line1", &line1),
        ("line2", &line2),
        ("city", &city),
        ("state", &state),
        ("phone", &phone),
        ("tax_id", &tax_id),
        ("shipping_name", &shipping_name),
        ("shipping_line1", &shipping_line1),
        ("shipping_line2", &shipping_line2),
        ("shipping_city", &shipping_city),
        ("shipping_state", &shipping_state),
        ("shipping_postal_code", &shipping_postal_code),
        ("shipping_country", &shipping_country),
        ("billing_same_as_shipping", &billing_same_as_shipping),
        ("saved_payment_method", &saved_payment_method),
        ("save_payment_method", &save_payment_method),
    ] {
        if let Some(value) = value.as_ref().filter(|v| !v.is_empty()) {
            typed.push((format!("value.{key}"), value.clone()));
        }
    }
    if terms_of_service.as_ref().is_some_and(|v| !v.is_empty()) {
        typed.push(("value.terms_of_service".into(), "accepted".into()));
    }
    for (i, answer) in answers_by_position(custom_fields.as_ref())
        .into_iter()
        .enumerate()
    {
        if let Some(answer) = answer.filter(|a| !a.is_empty()) {
            typed.push((format!("value.custom_fields[{i}]"), answer));
        }
    }
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
            set_status(StatusCode::PAYMENT_REQUIRED);
            (
                ConfirmResponse::Declined {
                    message: tr.t(&message),
                },
                page_with(&typed, &promotion_code, &quantities),
            )
        }
        ConfirmOutcome::Invalid(errors) => {
            set_status(StatusCode::UNPROCESSABLE_ENTITY);
            let errors: Vec<(String, String)> = errors
                .into_iter()
                .map(|e| (e.field.to_string(), tr.t(&e.message)))
                .collect();
            let mut params: Vec<(String, String)> = errors
                .iter()
                .map(|(f, m)| (format!("error.{f}"), m.clone()))
                .collect();
            params.extend(typed);
            (
                ConfirmResponse::Invalid { errors },
                page_with(&params, &promotion_code, &quantities),
            )
        }
        ConfirmOutcome::Closed(status) => {
            set_status(StatusCode::CONFLICT);
            (ConfirmResponse::Closed { status }, page.clone())
        }
        ConfirmOutcome::Busy => {
            set_status(StatusCode::CONFLICT);
            (
                ConfirmResponse::Busy {
                    message: tr.t("This checkout is already being paid. Wait a moment."),
                },
                page.clone(),
            )
        }
        ConfirmOutcome::Limited { retry_after_s } => {
            set_status(StatusCode::TOO_MANY_REQUESTS);
            set_header(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_s),
            );
            let message = too_many_attempts(tr, retry_after_s);
            (
                ConfirmResponse::Limited {
                    message: message.clone(),
                    retry_after_s,
                },
                page_with(&[("unavailable".into(), message)], &None, &[]),
            )
        }
        ConfirmOutcome::Unavailable(message) => {
            set_status(StatusCode::CONFLICT);
            let message = tr.t(&message);
            (
                ConfirmResponse::Unavailable {
                    message: message.clone(),
                },
                page_with(&[("unavailable".into(), message)], &None, &[]),
            )
        }
    };
    if from_plain_form() {
        leptos_axum::redirect(&redirect);
    }
    Ok(response)
}

/// The answers posted as `custom_fields[0]`, `custom_fields[1]`, … in their positions; any other
/// key is no question of a session's.
#[cfg(feature = "ssr")]
fn answers_by_position(posted: Option<&BTreeMap<String, String>>) -> Vec<Option<String>> {
    use crate::domain::custom_field::MAX_CUSTOM_FIELDS;
    let mut answers = vec![None; MAX_CUSTOM_FIELDS];
    for (key, value) in posted.into_iter().flatten() {
        if let Ok(i) = key.parse::<usize>()
            && i < MAX_CUSTOM_FIELDS
        {
            answers[i] = Some(value.clone());
        }
    }
    answers
}

/// What a buyer reads after too many payment attempts.
#[cfg(feature = "ssr")]
fn too_many_attempts(tr: &crate::i18n::Messages, retry_after_s: u64) -> String {
    let minutes = retry_after_s.div_ceil(60);
    if minutes <= 1 {
        tr.t("Too many payment attempts. For your security, try again in a minute.")
    } else {
        tr.tf(
            "Too many payment attempts. For your security, try again in {minutes} minutes.",
            &[("minutes", &minutes.to_string())],
        )
    }
}

/// The checkout page's address with `params`, the applied code and the chosen quantities.
#[cfg(feature = "ssr")]
fn page_with(
    page: &str,
    session_id: &str,
    notice_key: Option<&[u8; 32]>,
    params: &[(String, String)],
    code: &Option<String>,
    quantities: &[(usize, i64)],
) -> String {
    use crate::security::notices;
    let mut url = url::Url::parse(page).expect("the public URL is a URL");
    {
        let mut query = url.query_pairs_mut();
        for (key, value) in params {
            query.append_pair(key, value);
        }
        if let Some(key) = notice_key
            && params.iter().any(|(k, _)| super::is_notice(k))
        {
            query.append_pair(
                notices::SIGNATURE_PARAM,
                &notices::sign(key, session_id, params),
            );
        }
        if let Some(code) = code.as_ref().filter(|c| !c.trim().is_empty()) {
            query.append_pair("code", code.trim());
        }
        for (index, quantity) in quantities {
            query.append_pair(&format!("quantity[{index}]"), &quantity.to_string());
        }
    }
    let url = url.to_string();
    url.strip_suffix('?').unwrap_or(&url).to_owned()
}
