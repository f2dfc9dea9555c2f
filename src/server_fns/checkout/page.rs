//! The checkout page's data: the session as the buyer meets it, in any state.

use super::CheckoutView;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// Reads the session `session_id` for its hosted page, with the promotion `code` and line
/// `quantities` the page's address carries applied for display (the confirm checks them again).
#[server(name = CheckoutPage, prefix = "/api", endpoint = "checkout/page")]
pub async fn checkout_page(
    session_id: String,
    code: Option<String>,
    quantities: Option<BTreeMap<usize, u32>>,
) -> Result<Option<CheckoutView>, ServerFnError> {
    let state = expect_context::<crate::state::AppState>();
    let (code, refused) = match code.filter(|c| !c.trim().is_empty()) {
        Some(code) => match code_may_be_tried(&state, &session_id) {
            Ok(()) => (Some(code), None),
            Err(wait) => (None, Some(wait)),
        },
        None => (None, None),
    };
    let mut page = view(
        &state.store,
        &state.processors,
        &session_id,
        code,
        quantities.unwrap_or_default(),
        crate::store::now_ms(),
    )
    .await
    .map_err(|error| {
        tracing::error!(%error, "reading a checkout page");
        ServerFnError::new("This checkout cannot be shown right now.")
    })?;
    if let Some(page) = page.as_mut() {
        let tr = crate::i18n::catalog::pages(page.lang);
        // What kassa and the processor said, in the buyer's language where it has the words.
        page.payment.code_error = match refused {
            Some(wait) => Some(too_many_codes(tr, wait)),
            None => page.payment.code_error.as_deref().map(|m| tr.t(m)),
        };
        page.payment.last_decline = page.payment.last_decline.as_deref().map(|m| tr.t(m));
        page.failure = page.failure.as_deref().map(|m| tr.t(m));
        page.notices = signed_notices(&state, &session_id).await;
        remember_chosen_language();
    }
    Ok(page)
}

/// Keeps the language a buyer chose with the page's switcher (`?lang=de`) for the pages that
/// follow (the payment's answer, the authentication step, the receipt), as a cookie.
#[cfg(feature = "ssr")]
fn remember_chosen_language() {
    use crate::i18n::catalog::{COOKIE, chosen_in_query};
    let Some(parts) = use_context::<axum::http::request::Parts>() else {
        return;
    };
    if let Some(lang) = chosen_in_query(&parts)
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(cookie) = axum::http::HeaderValue::from_str(&format!(
            "{COOKIE}={lang}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
        ))
    {
        response.append_header(axum::http::header::SET_COOKIE, cookie);
    }
}

/// What a buyer reads who tried too many codes: wait this many seconds.
#[cfg(feature = "ssr")]
fn too_many_codes(tr: &crate::i18n::Messages, wait: u64) -> String {
    tr.tf(
        "Too many codes were tried. Wait {seconds} s, then try again.",
        &[("seconds", &wait.to_string())],
    )
}

/// The notices the address of the page being rendered carries, if kassa signed them.
#[cfg(feature = "ssr")]
async fn signed_notices(state: &crate::state::AppState, session_id: &str) -> Vec<(String, String)> {
    use crate::security::notices;
    let Some(query) = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.uri.query().map(str::to_owned))
    else {
        return Vec::new();
    };
    let query: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    if !query.iter().any(|(k, _)| super::is_notice(k)) {
        return Vec::new();
    }
    match state.store.installation_key(notices::KEY_PURPOSE).await {
        Ok(key) => notices::verified(&key, session_id, &query),
        Err(error) => {
            tracing::error!(%error, "reading the key of the page's notices");
            Vec::new()
        }
    }
}

/// Counts a promotion code tried on `session_id` from this client: `Err(seconds to wait)` once
/// too many were tried, on the checkout or from the address.
#[cfg(feature = "ssr")]
fn code_may_be_tried(state: &crate::state::AppState, session_id: &str) -> Result<(), u64> {
    state
        .limits
        .code_check(session_id, crate::server_fns::client_address(state))
        .map_err(|crate::security::limits::RetryAfter(wait)| wait)
}

#[cfg(feature = "ssr")]
async fn view(
    store: &crate::store::Store,
    processors: &crate::service::processors::Processors,
    session_id: &str,
    code: Option<String>,
    quantities: BTreeMap<usize, u32>,
    now: i64,
) -> Result<Option<CheckoutView>, crate::service::ServiceError> {
    use super::{ActionView, DiscountView, LineView, Receipt};
    use crate::domain::ids::is_checkout_session_id;
    use crate::domain::money::Money;
    use crate::domain::payment::AttemptStatus;
    use crate::domain::session::{PaymentMethodType, SessionStatus, draft::check_quantity};
    use crate::payments::MethodSummary;

    if !is_checkout_session_id(session_id) {
        return Ok(None);
    }
    let Some((session, latest)) = store.session_with_latest_attempt(session_id).await? else {
        return Ok(None);
    };
    let status = session.effective_status(now);
    // The buyer's language: their choice on the page, the session's locale, their browser's.
    let lang = use_context::<axum::http::request::Parts>()
        .map(|parts| crate::i18n::catalog::of_request(&parts, session.locale.as_deref()))
        .unwrap_or_default();
    let org = session.organization_id.as_str();
    let crate::store::Storefront {
        merchant_name,
        branding,
    } = store.storefront(org).await?;

    let lines = session
        .line_items
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let quantity = quantities
                .get(&i)
                .copied()
                .filter(|q| {
                    line.adjustable.is_some()
                        && check_quantity(i64::from(*q), line.adjustable).is_ok()
                })
                .unwrap_or(line.quantity);
            LineView {
                description: line.description.clone(),
                quantity,
                unit_amount: line.unit_amount,
                recurring: line.recurring,
                adjustable: line.adjustable,
            }
        })
        .collect();

    let mut code_error = None;
    let typed = code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    let discount = match typed {
        Some(typed) if session.allow_promotion_codes && status == SessionStatus::Open => {
            match discount_for_code(store, &session, typed, now).await? {
                Ok(discount) => Some(discount),
                Err(message) => {
                    code_error = Some(message);
                    None
                }
            }
        }
        _ => match &session.discount {
            Some(applied) => store
                .coupon(org, session.livemode, &applied.coupon_id)
                .await?
                .map(|coupon| DiscountView {
                    value: coupon.value,
                    duration: coupon.duration,
                    code: None,
                    name: coupon.name,
                }),
            None => None,
        },
    };

    // A returning customer's methods they agreed to see again, kept by the processor that would
    // take this payment, of the session's types.
    let saved_methods = match &session.customer_id {
        Some(customer) if status == SessionStatus::Open => {
            let processor = processors
                .for_new_payment(store, org, session.livemode)
                .await?;
            match processor {
                Some(processor) => store
                    .redisplayable_methods(org, session.livemode, customer, processor.name())
                    .await?
                    .into_iter()
                    .filter(|m| {
                        m.method_type
                            .parse()
                            .is_ok_and(|t| session.payment_method_types.contains(&t))
                    })
                    .map(|m| super::SavedMethodView {
                        label: format!(
                            "{} •••• {}",
                            m.brand.as_deref().unwrap_or(match m.method_type.as_str() {
                                "sepa_debit" => "SEPA Direct Debit",
                                "us_bank_account" => "US bank account",
                                _ => "Card",
                            }),
                            m.last4
                        ),
                        expires: m
                            .exp_month
                            .zip(m.exp_year)
                            .map(|(month, year)| format!("{month:02}/{:02}", year % 100)),
                        id: m.id,
                    })
                    .collect(),
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    };

    // The rates in effect when the session was made: confirming prices with the same ones.
    let tax_rates = store
        .tax_rates_at(org, session.livemode, session.created_at)
        .await?;
    let summary: Option<MethodSummary> = latest
        .as_ref()
        .and_then(|a| a.method_summary.as_deref())
        .and_then(|s| serde_json::from_str(s).ok());
    let method_type = latest
        .as_ref()
        .and_then(|a| a.payment_method_type.parse::<PaymentMethodType>().ok());

    let last_decline = latest
        .as_ref()
        .filter(|a| {
            status == SessionStatus::Open
                && matches!(a.status, AttemptStatus::Declined | AttemptStatus::Failed)
        })
        .and_then(|a| a.decline_message.clone());
    let pending_action = latest
        .as_ref()
        .filter(|a| status == SessionStatus::Open && a.status == AttemptStatus::RequiresAction)
        .map(|a| match (&a.action_url, a.action.as_deref()) {
            (Some(url), _) => ActionView::AtProcessor(url.clone()),
            (None, Some("three_d_secure")) => ActionView::ThreeDSecure,
            (None, _) => ActionView::Approval(method_type.unwrap_or(PaymentMethodType::Paypal)),
        });
    let checking = status == SessionStatus::Open
        && latest.as_ref().is_some_and(|a| a.status.outcome_unknown());
    let refunded = latest
        .as_ref()
        .filter(|a| a.status == AttemptStatus::Refunded)
        .and_then(|a| {
            let currency = crate::domain::Currency::parse(a.currency.as_deref()?).ok()?;
            Some(Money::new(a.amount, currency))
        });
    let failure = latest
        .as_ref()
        .filter(|_| status == SessionStatus::Failed)
        .map(|a| {
            a.decline_message
                .clone()
                .unwrap_or_else(|| "The payment failed.".to_owned())
        });

    let receipt = if status == SessionStatus::Succeeded {
        let currency = session
            .currency
            .unwrap_or_else(|| crate::domain::Currency::parse("usd").expect("ISO"));
        let subscription = match &session.subscription_id {
            Some(id) => store.subscription(org, session.livemode, id).await?,
            None => None,
        };
        Some(Receipt {
            email: session.customer_email.clone().unwrap_or_default(),
            amount_paid: Money::new(session.amounts.due_today, currency),
            total: Money::new(session.amounts.total, currency),
            method_type: session.payment_method_type.or(method_type),
            card_brand: summary
                .as_ref()
                .and_then(|s| s.brand)
                .map(|b| b.display_name().to_owned()),
            last4: summary
                .as_ref()
                .map(|s| s.last4.clone())
                .filter(|l| !l.is_empty()),
            subscription_status: subscription.as_ref().map(|s| s.status.clone()),
            trial_ends_on: subscription
                .and_then(|s| s.trial_end)
                .and_then(chrono::DateTime::from_timestamp_millis)
                .map(|d| {
                    use chrono::Datelike;
                    crate::i18n::format_date(d.year(), d.month(), d.day(), lang)
                }),
            shipping: session.shipping_details.clone(),
            tax_ids: session.customer_tax_ids.clone(),
        })
    } else {
        None
    };

    Ok(Some(CheckoutView {
        lang,
        payment: super::PaymentView {
            messages: crate::i18n::catalog::island(lang).clone(),
            session_id: session.id.clone(),
            kind: session.kind,
            mode: session.mode,
            merchant_name,
            currency: session.currency,
            lines,
            allow_promotion_codes: session.allow_promotion_codes,
            discount,
            code_error,
            tax_rates,
            trial_period_days: session.trial_period_days,
            payment_method_types: session.payment_method_types.clone(),
            known_email: session
                .customer_id
                .as_ref()
                .and(session.customer_email.clone()),
            prefill_name: session.customer_name.clone(),
            prefill_country: session
                .billing_address
                .as_ref()
                .map(|a| a.country.clone())
                .or_else(country_of_languages),
            collection: session.collection.clone(),
            saved_methods,
            can_save: session.customer_id.is_some()
                && session.collection.payment_method_save
                && session.mode == crate::domain::session::SessionMode::Payment
                && session.kind == crate::domain::session::SessionKind::Purchase,
            cancel_url: session.cancel_url.clone(),
            terms_url: branding.terms_url.clone(),
            today: crate::service::payment::year_month(now),
            last_decline,
            action_url: pending_action.as_ref().map(|action| match action {
                ActionView::AtProcessor(url) => url.clone(),
                _ => format!("/checkout/{}/authenticate", session.id),
            }),
        },
        status,
        livemode: session.livemode,
        accent_color: branding.accent_color,
        logo_url: branding.logo_url,
        pending_action,
        receipt,
        failure,
        checking,
        refunded,
        expires_at: session.expires_at,
        notices: Vec::new(),
    }))
}

/// The discount a promotion code gives on `session` now, as the page shows it, or why it gives
/// none (for the buyer).
#[cfg(feature = "ssr")]
async fn discount_for_code(
    store: &crate::store::Store,
    session: &crate::domain::session::CheckoutSession,
    code: &str,
    now: i64,
) -> Result<Result<super::DiscountView, String>, crate::store::StoreError> {
    use crate::service::payment::discount;
    Ok(discount::for_buyer(store, session, code, now)
        .await?
        .map(|found| super::DiscountView {
            value: found.coupon.value,
            duration: found.coupon.duration,
            code: found.promotion_code.map(|p| p.code),
            name: found.coupon.name,
        }))
}

/// Checks a promotion code for the session, for the page to show its discount as the buyer
/// types it. The confirm checks it again.
#[server(name = ApplyPromotionCode, prefix = "/api", endpoint = "checkout/promotion-code")]
pub async fn apply_promotion_code(
    session_id: String,
    code: String,
    // The page's language, for what the buyer reads.
    lang: Option<String>,
) -> Result<Result<super::DiscountView, String>, ServerFnError> {
    let state = expect_context::<crate::state::AppState>();
    let tr = crate::i18n::catalog::pages(
        lang.as_deref()
            .and_then(crate::i18n::Lang::parse)
            .unwrap_or_default(),
    );
    let session = state
        .store
        .session_by_id(&session_id)
        .await
        .map_err(|error| {
            // What went wrong stays in the log: the buyer is anyone on the internet.
            tracing::error!(%error, "reading a checkout for a promotion code");
            ServerFnError::new("The code cannot be checked right now.")
        })?;
    let Some(session) = session else {
        return Ok(Err(tr.t("There is no such checkout.")));
    };
    let code = code.trim();
    if code.is_empty() {
        return Ok(Err(tr.t("Enter a code.")));
    }
    if let Err(wait) = code_may_be_tried(&state, &session.id) {
        return Ok(Err(too_many_codes(tr, wait)));
    }
    Ok(
        discount_for_code(&state.store, &session, code, crate::store::now_ms())
            .await
            .map_err(|error| {
                tracing::error!(%error, "checking a promotion code");
                ServerFnError::new("The code cannot be checked right now.")
            })?
            .map_err(|why| tr.t(&why)),
    )
}

/// The country of the buyer's first language that names one (`de-AT` → AT), else the country
/// most of a language's speakers at checkouts live in (`de` → DE, `ja` → JP); from the request's
/// Accept-Language.
#[cfg(feature = "ssr")]
fn country_of_languages() -> Option<String> {
    let parts = leptos::prelude::use_context::<axum::http::request::Parts>()?;
    let header = parts
        .headers
        .get(axum::http::header::ACCEPT_LANGUAGE)?
        .to_str()
        .ok()?;
    country_of(&accept_language::parse(header))
}

#[cfg(feature = "ssr")]
fn country_of(languages: &[String]) -> Option<String> {
    languages.iter().find_map(|tag| {
        let mut parts = tag.split(['-', '_']);
        let language = parts.next()?.to_ascii_lowercase();
        // A region is two letters (`es-419` names a continent, not a country).
        let region = parts.find(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()));
        match region {
            Some(region) => crate::domain::customer::parse_country(region),
            None => match language.as_str() {
                "en" => Some("US"),
                "de" => Some("DE"),
                "fr" => Some("FR"),
                "es" => Some("ES"),
                "ja" => Some("JP"),
                "it" => Some("IT"),
                "nl" => Some("NL"),
                "pt" => Some("BR"),
                "pl" => Some("PL"),
                "sv" => Some("SE"),
                "da" => Some("DK"),
                "nb" | "no" => Some("NO"),
                "fi" => Some("FI"),
                "ko" => Some("KR"),
                _ => None,
            }
            .map(str::to_owned),
        }
    })
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::country_of;

    #[test]
    fn the_country_follows_the_first_language_that_names_one() {
        let of = |header: &str| country_of(&accept_language::parse(header));
        assert_eq!(of("de-AT,de;q=0.9,en;q=0.8").as_deref(), Some("AT"));
        assert_eq!(of("de,en-US;q=0.7").as_deref(), Some("DE"));
        assert_eq!(of("ja").as_deref(), Some("JP"));
        assert_eq!(of("en-GB,en;q=0.9").as_deref(), Some("GB"));
        assert_eq!(of("es-419,es;q=0.9").as_deref(), Some("ES"));
        assert_eq!(of("tlh,xx-YY"), None);
        assert_eq!(of(""), None);
    }
}
