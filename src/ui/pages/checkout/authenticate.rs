//! `/checkout/{id}/authenticate`: the test-mode stand-in for a bank's 3-D Secure challenge or a
//! wallet's approval page. Plain forms: the buttons post to `/api/checkout/authenticate`, which
//! redirects, with or without JavaScript.

use super::form::method_label;
use super::{checkout_resource, not_found_status};
use crate::domain::money::Money;
use crate::i18n::Tr;
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
                        view! { <super::Speaks lang=super::request_lang() /> <super::states::NotFoundState /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

fn step(view: CheckoutView) -> impl IntoView {
    let lang = view.lang;
    let tr = Tr::provide(crate::i18n::page_messages(lang));
    let back = format!("/checkout/{}", view.payment.session_id);
    let amount = view.payment.currency.map(|c| {
        let total: i64 = view
            .payment
            .lines
            .iter()
            .map(|l| l.unit_amount.amount * i64::from(l.quantity))
            .sum();
        tr.money(Money::new(total, c))
    });
    let Some(action) = view.pending_action else {
        return view! {
            <leptos_meta::Html {..} lang=lang.as_str() />
            <Title text=tr.t("Nothing to confirm") />
            <main class="checkout">
                <section class="state">
                    <h1>{tr.t("There is nothing to confirm")}</h1>
                    <p>{tr.t("This payment is not waiting for you.")}</p>
                    <p><a class="button" href=back>{tr.t("Back to the checkout")}</a></p>
                </section>
            </main>
        }
        .into_any();
    };
    let (title, text, yes, no) = match action {
        ActionView::ThreeDSecure => (
            tr.t("Authenticate your payment"),
            tr.t("Your bank asks you to confirm this payment. This is kassa's test-mode stand-in for the bank's 3-D Secure page."),
            ("complete", tr.t("Complete authentication")),
            ("fail", tr.t("Fail authentication")),
        ),
        ActionView::Approval(method) => {
            let name = tr.t(method_label(method));
            (
                tr.tf("Approve with {method}", &[("method", &name)]),
                tr.tf("{method} asks you to approve this payment. This is kassa's test-mode stand-in for its approval page.", &[("method", &name)]),
                ("approve", tr.t("Approve payment")),
                ("cancel", tr.t("Cancel")),
            )
        }
        // The processor runs the step itself: the buyer continues there.
        ActionView::AtProcessor(url) => {
            return view! {
                <leptos_meta::Html {..} lang=lang.as_str() />
                <Title text=tr.t("Confirm your payment") />
                <main class="checkout">
                    <section class="state challenge">
                        <h1>{tr.t("Confirm your payment with your bank")}</h1>
                        <p>{tr.t("Your bank asks you to confirm this payment on its own page.")}</p>
                        <p><a class="button primary" href=url>{tr.t("Continue to your bank")}</a></p>
                        <p><a href=back>{tr.t("Back to the checkout")}</a></p>
                    </section>
                </main>
            }
            .into_any();
        }
    };
    view! {
        <leptos_meta::Html {..} lang=lang.as_str() />
        <Title text=title.clone() />
        <main class="checkout">
            <header class="merchant">
                <span class="merchant-name">{view.payment.merchant_name.clone()}</span>
                {(!view.livemode).then(|| view! { <span class="badge">{tr.t("Test mode")}</span> })}
            </header>
            <section class="state challenge" aria-labelledby="challenge-title">
                <h1 id="challenge-title">{title}</h1>
                <p>{text}</p>
                {amount.map(|a| view! { <p class="amount">{a}</p> })}
                <form method="post" action="/api/checkout/authenticate" class="decision">
                    <input type="hidden" name="session_id" value=view.payment.session_id.clone() />
                    <input type="hidden" name="lang" value=tr.lang().as_str() />
                    <button type="submit" name="decision" value=yes.0 class="primary">{yes.1}</button>
                    <button type="submit" name="decision" value=no.0 class="secondary">{no.1}</button>
                </form>
            </section>
        </main>
    }
    .into_any()
}
