//! The checkout's other states: processing, paid, failed, expired, not found.

use super::form::method_label;
use super::not_found_status;
use crate::domain::session::SessionKind;
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

/// A bank debit is settling, or (`checking`) a charge's answer was lost and is being looked up.
/// An island: with JavaScript the page asks every second and reloads when it is done; without,
/// "Check again" reloads it.
#[island]
pub fn Processing(session_id: String, checking: bool) -> impl IntoView {
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
    view! {
        <section class="state processing" aria-live="polite">
            <div class="spinner" aria-hidden="true"></div>
            <h1>{heading}</h1>
            <p>{detail}</p>
            <p><a href=page>"Check again"</a></p>
        </section>
    }
}

#[component]
pub fn Succeeded(view: CheckoutView) -> impl IntoView {
    let receipt = view.receipt.clone();
    let heading = match view.payment.kind {
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
    };
    let method = receipt.as_ref().map(|r| match (&r.card_brand, &r.last4) {
        (Some(brand), Some(last4)) => format!("{brand} •••• {last4}"),
        (None, Some(last4)) => format!(
            "{} •••• {last4}",
            r.method_type.map_or("Account", method_label)
        ),
        _ => r
            .method_type
            .map_or(String::new(), |t| method_label(t).to_owned()),
    });
    let paid = receipt.as_ref().map(|r| {
        if r.amount_paid.amount > 0 {
            format!(
                "Paid {} with {}",
                r.amount_paid.display(),
                method.clone().unwrap_or_default()
            )
        } else if let Some(method) = method.clone().filter(|m| !m.is_empty()) {
            format!("Nothing was charged today. {method} is saved for later payments.")
        } else {
            "Nothing was charged.".to_owned()
        }
    });
    view! {
        <section class="state succeeded" aria-labelledby="done-title">
            <div class="check" aria-hidden="true">"✓"</div>
            <h1 id="done-title">{heading}</h1>
            <p class="paid">{paid}</p>
            {receipt.as_ref().and_then(|r| r.trial_ends_on.clone()).map(|day| view! { <p>{format!("Your trial ends on {day}.")}</p> })}
            {(!view.payment.lines.is_empty()).then(|| view! {
                <ul class="lines receipt" aria-label="What you bought">
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
                    <h2 id="ship-title">"Shipping to"</h2>
                    <address>
                        <span>{shipping.name}</span>
                        {crate::domain::address::envelope_lines(&shipping.address).into_iter().map(|line| view! { <br /><span>{line}</span> }).collect_view()}
                    </address>
                </section>
            })}
            {receipt.as_ref().filter(|r| !r.email.is_empty()).map(|r| view! { <p class="hint">{format!("Receipt for {}", r.email)}</p> })}
        </section>
    }
}

#[component]
pub fn Failed(view: CheckoutView) -> impl IntoView {
    view! {
        <section class="state failed" role="alert">
            <h1>"Your payment failed"</h1>
            <p>{view.failure.clone().unwrap_or_else(|| "The payment could not be completed.".into())}</p>
            <p>"Nothing was charged. Start again from the shop to try another way of paying."</p>
            {view.payment.cancel_url.clone().map(|url| view! { <p><a class="button" href=url>{format!("Return to {}", view.payment.merchant_name)}</a></p> })}
        </section>
    }
}

#[component]
pub fn Expired(view: CheckoutView) -> impl IntoView {
    view! {
        <section class="state expired">
            <h1>"This checkout has expired"</h1>
            {match view.refunded {
                Some(amount) => view! { <p>{format!("The checkout ended before your payment could be completed, so your {} payment was refunded in full. Start again from the shop for a new checkout.", amount.display())}</p> }.into_any(),
                None => view! { <p>"Checkout links are valid for a limited time. Nothing was charged; start again from the shop for a new one."</p> }.into_any(),
            }}
            {view.payment.cancel_url.clone().map(|url| view! { <p><a class="button" href=url>{format!("Return to {}", view.payment.merchant_name)}</a></p> })}
        </section>
    }
}

#[component]
pub fn NotFoundState() -> impl IntoView {
    not_found_status();
    view! {
        <Title text="Checkout not found" />
        <main class="checkout">
            <section class="state">
                <h1>"Checkout not found"</h1>
                <p>"This checkout link is not valid. Check the address, or start again from the shop."</p>
            </section>
        </main>
    }
}

#[component]
pub fn Unreachable() -> impl IntoView {
    view! {
        <main class="checkout">
            <section class="state" role="alert">
                <h1>"This checkout cannot be shown right now"</h1>
                <p>"Reload the page in a moment."</p>
            </section>
        </main>
    }
}
