//! The checkout's other states: processing, paid, failed, expired, not found.

use super::form::method_label;
use super::not_found_status;
use crate::domain::session::SessionKind;
use crate::i18n::use_tr;
use crate::server_fns::checkout::CheckoutView;
use leptos::prelude::*;
use leptos_meta::Title;

/// What `/api/checkout/{id}/status` answers, as far as the poller reads it.
#[cfg(feature = "hydrate")]
#[derive(serde::Deserialize)]
struct StatusAnswer {
    status: String,
    #[serde(default)]
    checking: bool,
}

/// What the processing page says, in the buyer's language: the island's props carry it, so that
/// the bundle needs no strings of its own.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ProcessingWords {
    heading: String,
    detail: String,
    again: String,
}

impl ProcessingWords {
    pub fn new(checking: bool) -> ProcessingWords {
        let tr = use_tr();
        let (heading, detail) = if checking {
            (
                "We are checking your payment",
                "The payment provider has not answered yet. Please do not pay again: this page shows the outcome as soon as it is known.",
            )
        } else {
            (
                "Your payment is processing",
                "Bank debits take a moment to confirm. You can leave this page: the shop is told when it completes.",
            )
        };
        ProcessingWords {
            heading: tr.t(heading),
            detail: tr.t(detail),
            again: tr.t("Check again"),
        }
    }
}

/// A bank debit is settling, or (`checking`) a charge's answer was lost and is being looked up.
/// An island: with JavaScript the page asks every second and reloads when it is done; without,
/// "Check again" reloads it.
#[island]
pub fn Processing(session_id: String, words: ProcessingWords) -> impl IntoView {
    let page = format!("/checkout/{session_id}");
    #[cfg(feature = "hydrate")]
    {
        let id = session_id.clone();
        Effect::new(move |_| {
            crate::ui::mark_hydrated();
            let id = id.clone();
            let _ = set_interval_with_handle(
                move || {
                    let id = id.clone();
                    leptos::task::spawn_local(async move {
                        let url = format!("/api/checkout/{id}/status");
                        let Ok(response) = gloo_net::http::Request::get(&url).send().await else {
                            return;
                        };
                        let Ok(body) = response.json::<StatusAnswer>().await else {
                            return;
                        };
                        if body.status != "pending" && !body.checking {
                            let _ = window().location().reload();
                        }
                    });
                },
                std::time::Duration::from_secs(1),
            );
        });
    }
    view! {
        <section class="state processing" aria-live="polite">
            <div class="spinner" aria-hidden="true"></div>
            <h1>{words.heading}</h1>
            <p>{words.detail}</p>
            <p><a href=page>{words.again}</a></p>
        </section>
    }
}

#[component]
pub fn Succeeded(view: CheckoutView) -> impl IntoView {
    let tr = use_tr();
    let receipt = view.receipt.clone();
    let heading = tr.t(match view.payment.kind {
        SessionKind::AddPaymentMethod => "Payment method saved",
        SessionKind::ActivateSubscription => "Subscription activated",
        SessionKind::Purchase
            if receipt
                .as_ref()
                .is_some_and(|r| r.subscription_status.as_deref() == Some("trialing")) =>
        {
            "Your trial has started"
        }
        SessionKind::Purchase => "Thank you for your order",
    });
    let method = receipt.as_ref().map(|r| match (&r.card_brand, &r.last4) {
        (Some(brand), Some(last4)) => format!("{brand} •••• {last4}"),
        (None, Some(last4)) => format!(
            "{} •••• {last4}",
            tr.t(r.method_type.map_or("Account", method_label))
        ),
        _ => r
            .method_type
            .map_or(String::new(), |t| tr.t(method_label(t))),
    });
    let paid = receipt.as_ref().map(|r| {
        if r.amount_paid.amount > 0 {
            tr.tf(
                "Paid {amount} with {method}",
                &[
                    ("amount", &tr.money(r.amount_paid)),
                    ("method", &method.clone().unwrap_or_default()),
                ],
            )
        } else if let Some(method) = method.clone().filter(|m| !m.is_empty()) {
            tr.tf(
                "Nothing was charged today. {method} is saved for later payments.",
                &[("method", &method)],
            )
        } else {
            tr.t("Nothing was charged.")
        }
    });
    view! {
        <section class="state succeeded" aria-labelledby="done-title">
            <div class="check" aria-hidden="true">"✓"</div>
            <h1 id="done-title">{heading}</h1>
            <p class="paid">{paid}</p>
            {receipt.as_ref().and_then(|r| r.trial_ends_on.clone()).map(|day| view! { <p>{tr.tf("Your trial ends on {date}.", &[("date", &day)])}</p> })}
            {(!view.payment.lines.is_empty()).then(|| view! {
                <ul class="lines receipt" aria-label=tr.t("What you bought")>
                    {view.payment.lines.iter().map(|l| view! {
                        <li class="line">
                            <span class="line-name">{l.description.clone()}</span>
                            <span class="line-detail">{format!("× {}", l.quantity)}</span>
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {receipt.as_ref().and_then(|r| r.shipping.clone()).map(|shipping| view! {
                <section class="shipping-to" aria-labelledby="ship-title">
                    <h2 id="ship-title">{tr.t("Shipping to")}</h2>
                    <address>
                        <span>{shipping.name}</span>
                        {crate::domain::address::envelope_lines(&shipping.address).into_iter().map(|line| view! { <br /><span>{line}</span> }).collect_view()}
                    </address>
                </section>
            })}
            {receipt.as_ref().map(|r| r.tax_ids.iter().map(|id| view! {
                <p class="tax-id">{tr.tf("Tax ID: {value}", &[("value", &id.value)])}</p>
            }).collect_view())}
            {receipt.as_ref().filter(|r| !r.email.is_empty()).map(|r| view! { <p class="hint">{tr.tf("Receipt for {email}", &[("email", &r.email)])}</p> })}
        </section>
    }
}

#[component]
pub fn Failed(view: CheckoutView) -> impl IntoView {
    let tr = use_tr();
    view! {
        <section class="state failed" role="alert">
            <h1>{tr.t("Your payment failed")}</h1>
            <p>{view.failure.clone().unwrap_or_else(|| tr.t("The payment could not be completed."))}</p>
            <p>{tr.t("Nothing was charged. Start again from the shop to try another way of paying.")}</p>
            {view.payment.cancel_url.clone().map(|url| view! { <p><a class="button" href=url>{tr.tf("Return to {merchant}", &[("merchant", &view.payment.merchant_name)])}</a></p> })}
        </section>
    }
}

#[component]
pub fn Expired(view: CheckoutView) -> impl IntoView {
    let tr = use_tr();
    view! {
        <section class="state expired">
            <h1>{tr.t("This checkout has expired")}</h1>
            {match view.refunded {
                Some(amount) => view! { <p>{tr.tf("The checkout ended before your payment could be completed, so your {amount} payment was refunded in full. Start again from the shop for a new checkout.", &[("amount", &tr.money(amount))])}</p> }.into_any(),
                None => view! { <p>{tr.t("Checkout links are valid for a limited time. Nothing was charged; start again from the shop for a new one.")}</p> }.into_any(),
            }}
            {view.payment.cancel_url.clone().map(|url| view! { <p><a class="button" href=url>{tr.tf("Return to {merchant}", &[("merchant", &view.payment.merchant_name)])}</a></p> })}
        </section>
    }
}

#[component]
pub fn NotFoundState() -> impl IntoView {
    not_found_status();
    let tr = use_tr();
    view! {
        <Title text=tr.t("Checkout not found") />
        <main class="checkout">
            <section class="state">
                <h1>{tr.t("Checkout not found")}</h1>
                <p>{tr.t("This checkout link is not valid. Check the address, or start again from the shop.")}</p>
            </section>
        </main>
    }
}

#[component]
pub fn Unreachable() -> impl IntoView {
    let tr = use_tr();
    view! {
        <main class="checkout">
            <section class="state" role="alert">
                <h1>{tr.t("This checkout cannot be shown right now")}</h1>
                <p>{tr.t("Reload the page in a moment.")}</p>
            </section>
        </main>
    }
}
