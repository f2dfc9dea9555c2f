//! `/checkout/{id}/authenticate`: the test-mode stand-in for a bank's 3-D Secure challenge or a
//! wallet's approval page. Plain forms: the buttons post to `/api/checkout/authenticate`, which
//! redirects, with or without JavaScript.

use super::form::method_label;
use super::{checkout_resource, not_found_status};
use crate::domain::money::Money;
use crate::server_fns::checkout::{ActionView, CheckoutView};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AuthenticatePage() -> impl IntoView {
    let (_, page) = checkout_resource();
    view! {
        <Suspense fallback=|| view! { <main class="checkout"><p class="hint">"Loading…"</p></main> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(Some(view)) => step(view).into_any(),
                    _ => {
                        not_found_status();
                        view! { <super::states::NotFoundState /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn step(view: CheckoutView) -> impl IntoView {
    let back = format!("/checkout/{}", view.payment.session_id);
    let amount = view.payment.currency.map(|c| {
        let total: i64 = view
            .payment
            .lines
            .iter()
            .map(|l| l.unit_amount.amount * i64::from(l.quantity))
            .sum();
        Money::new(total, c).display()
    });
    let Some(action) = view.pending_action else {
        return view! {
            <Title text="Nothing to confirm" />
            <main class="checkout">
                <section class="state">
                    <h1>"There is nothing to confirm"</h1>
                    <p>"This payment is not waiting for you."</p>
                    <p><a class="button" href=back>"Back to the checkout"</a></p>
                </section>
            </main>
        }
        .into_any();
    };
    let (title, text, yes, no) = match action {
        ActionView::ThreeDSecure => (
            "Authenticate your payment".to_owned(),
            "Your bank asks you to confirm this payment. This is kassa's test-mode stand-in for the bank's 3-D Secure page.".to_owned(),
            ("complete", "Complete authentication"),
            ("fail", "Fail authentication"),
        ),
        ActionView::Approval(method) => (
            format!("Approve with {}", method_label(method)),
            format!("{} asks you to approve this payment. This is kassa's test-mode stand-in for its approval page.", method_label(method)),
            ("approve", "Approve payment"),
            ("cancel", "Cancel"),
        ),
        // The processor runs the step itself: the buyer continues there.
        ActionView::AtProcessor(url) => {
            return view! {
                <Title text="Confirm your payment" />
                <main class="checkout">
                    <section class="state challenge">
                        <h1>"Confirm your payment with your bank"</h1>
                        <p>"Your bank asks you to confirm this payment on its own page."</p>
                        <p><a class="button primary" href=url>"Continue to your bank"</a></p>
                        <p><a href=back>"Back to the checkout"</a></p>
                    </section>
                </main>
            }
            .into_any();
        }
    };
    view! {
        <Title text=title.clone() />
        <main class="checkout">
            <header class="merchant">
                <span class="merchant-name">{view.payment.merchant_name.clone()}</span>
                {(!view.livemode).then(|| view! { <span class="badge">"Test mode"</span> })}
            </header>
            <section class="state challenge" aria-labelledby="challenge-title">
                <h1 id="challenge-title">{title}</h1>
                <p>{text}</p>
                {amount.map(|a| view! { <p class="amount">{a}</p> })}
                <form method="post" action="/api/checkout/authenticate" class="decision">
                    <input type="hidden" name="session_id" value=view.payment.session_id.clone() />
                    <button type="submit" name="decision" value=yes.0 class="primary">{yes.1}</button>
                    <button type="submit" name="decision" value=no.0 class="secondary">{no.1}</button>
                </form>
            </section>
        </main>
    }
    .into_any()
}
