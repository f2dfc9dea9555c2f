//! Payments: Stripe's keys for the dashboard's mode, the address Stripe sends events to, and (in
//! test mode) what takes test payments.

use super::{Input, Select, form_action, form_error, me_resource, page, query, visits};
use crate::server_fns::dashboard::{
    CLOCK_STEPS, DashboardAdvanceTestClock, DashboardRemoveStripeKeys, DashboardSetRenewalFailure,
    DashboardSetStripeKeys, DashboardSetTestModeProcessor, PaymentsView, dashboard_payments,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PaymentsPage() -> impl IntoView {
    let me = me_resource();
    let data = Resource::new(visits(), |_| dashboard_payments());
    view! {
        <Title text="Payments" />
        {page(me, data, |data| match data {
            Ok(payments) => payments_view(payments).into_any(),
            Err(e) => super::failed(&e, "page"),
        })}
    }
}

fn payments_view(p: PaymentsView) -> impl IntoView {
    let set_keys = form_action::<DashboardSetStripeKeys>();
    let remove = form_action::<DashboardRemoveStripeKeys>();
    let choose = form_action::<DashboardSetTestModeProcessor>();
    let advance = form_action::<DashboardAdvanceTestClock>();
    let failure = form_action::<DashboardSetRenewalFailure>();
    let q = query();
    let q_test = q.clone();
    let q_clock = q.clone();
    let q_failure = q.clone();
    let moved = q.get("saved").as_deref() == Some("clock");
    let saved = q.get("saved").is_some() && !moved;
    let mode = if p.live { "live" } else { "test" };
    let status = match (&p.stripe, p.live) {
        (Some(_), true) => "Live payments go to your Stripe account.".to_owned(),
        (None, true) => {
            "No live processor is set up: live checkouts cannot be paid until you add your Stripe live keys.".to_owned()
        }
        (_, false) if p.test_mode_processor == "stripe" => {
            "Test payments go to your Stripe account's test mode.".to_owned()
        }
        (_, false) => "Test payments go to kassa's own test processor (its test cards need no account).".to_owned(),
    };
    view! {
        <h1>"Payments"</h1>
        <p class="hint">{status}</p>
        {saved.then(|| view! { <p class="banner ok" role="status">"Saved."</p> })}
        {form_error(&q)}
        {(!p.can_keep_keys).then(|| view! {
            <p class="banner error" role="alert">"kassa cannot keep processor keys: the operator has not set KASSA_ENCRYPTION_KEY."</p>
        })}
        <section class="panel">
            <h2>{format!("Stripe ({mode} mode)")}</h2>
            {match p.stripe.clone() {
                Some(keys) => view! {
                    <dl class="facts" data-testid="stripe-keys">
                        <dt>"Secret key"</dt><dd class="mono">{keys.secret_key}</dd>
                        <dt>"Webhook signing secret"</dt><dd class="mono">{keys.webhook_secret}</dd>
                    </dl>
                    <ActionForm action=remove>
                        <button type="submit" class="link danger">"Remove these keys"</button>
                    </ActionForm>
                }.into_any(),
                None => view! { <p class="hint">"Not set up."</p> }.into_any(),
            }}
            <p class="hint">
                "In Stripe, add a webhook endpoint at "
                <code data-testid="events-url">{p.events_url.clone()}</code>
                " for the events payment_intent.* and setup_intent.*, and paste its signing secret below. "
                "kassa sends card details to Stripe from its server: Stripe allows that only to accounts cleared for raw card data (PCI DSS SAQ D)."
            </p>
            <ActionForm action=set_keys attr:class="form-grid">
                <Input label="Secret key" name="secret_key".into() q=q.clone() kind="password" autocomplete="off" hint="sk_… or a restricted rk_… key of this mode." />
                <Input label="Webhook signing secret" name="webhook_secret".into() q=q.clone() kind="password" autocomplete="off" hint="whsec_…, from the webhook endpoint in Stripe." />
                <button type="submit" class="primary">{if p.stripe.is_some() { "Replace keys" } else { "Save keys" }}</button>
            </ActionForm>
        </section>
        {(!p.live).then(|| view! {
            <section class="panel">
                <h2>"Test payments"</h2>
                <ActionForm action=choose attr:class="form-grid">
                    <Select
                        label="Take test payments with"
                        name="processor".into()
                        q=q_test.clone()
                        selected=p.test_mode_processor.clone()
                        options=vec![
                            ("kassa".into(), "kassa's test processor".into()),
                            ("stripe".into(), "Stripe's test mode".into()),
                        ]
                    />
                    <button type="submit" class="primary">"Save"</button>
                </ActionForm>
            </section>
        })}
        {p.test_clock.clone().map(|clock| view! {
            <section class="panel" aria-labelledby="test-clock">
                <h2 id="test-clock">"Test clock"</h2>
                {moved.then(|| view! { <p class="banner ok" role="status">"The clock moved; what fell due has run."</p> })}
                <p class="hint">
                    "Test mode runs at "<strong data-testid="test-clock">{clock}</strong>". "
                    "Move it ahead to see renewals, retries, trial ends and scheduled cancellations happen now; it never goes back, and live mode keeps real time."
                </p>
                <ActionForm action=advance attr:class="form-grid">
                    <Select
                        label="Move the clock ahead by"
                        name="by".into()
                        q=q_clock.clone()
                        selected="month".to_owned()
                        options=CLOCK_STEPS.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()
                    />
                    <button type="submit" class="primary">"Advance"</button>
                </ActionForm>
            </section>
        })}
        <section class="panel">
            <h2>"Failed renewals"</h2>
            <p class="hint">"A declined renewal is charged again 3, 5 and 7 days later while the subscription is past due. After the last retry:"</p>
            <ActionForm action=failure attr:class="form-grid">
                <Select
                    label="When every retry failed"
                    name="action".into()
                    q=q_failure.clone()
                    selected=p.renewal_failure_action.clone()
                    options=vec![
                        ("cancel".into(), "Cancel the subscription".into()),
                        ("unpaid".into(), "Keep it, unpaid (charged no more)".into()),
                    ]
                />
                <button type="submit" class="primary">"Save"</button>
            </ActionForm>
        </section>
    }
}
