//! Stripe as the processor, through the Stripe double (`stripe_double.rs`): the journeys that run on
//! kassa's test processor run on Stripe too (pay, decline, 3-D Secure passed and failed, a SEPA
//! debit settled by Stripe's signed event, a saved card), in test and live mode; events that do
//! not verify are refused; and a lost answer is found at Stripe by the attempt's key, or the key
//! is closed so that it can never charge.

use crate::app::{Options, TestApp, card, confirm};
use crate::stripe_double::StripeDouble;
use kassa::domain::Mode;
use kassa::domain::payment::AttemptStatus;
use kassa::domain::processor::StripeKeysDraft;
use kassa::payments::stripe::{StripeApi, StripeProcessor};
use kassa::payments::{
    Buyer, ChargeOutcome, ChargeRequest, ClientInfo, Lookup, LookupRequest, PaymentProcessor,
    ProcessorError,
};
use kassa::service::processors;
use kassa::store::Engine;
use serde_json::{Value, json};
use std::time::Duration;

crate::on_both_engines!(
    a_card_is_charged_at_stripe_once,
    a_decline_at_stripe_leaves_the_session_open,
    three_d_secure_at_stripes_page_can_fail_then_pass,
    a_sepa_debit_settles_by_stripes_signed_event,
    a_card_saved_for_a_trial_is_kept_at_stripe,
    a_trial_ends_with_an_off_session_charge_at_stripe,
    a_live_session_is_paid_with_the_live_keys,
    events_that_do_not_verify_are_refused,
    a_charge_that_can_no_longer_deliver_is_refunded_at_stripe,
    a_us_bank_debit_settles_by_stripes_signed_event,
);

const TEST_KEY: &str = "sk_test_51KassaDoubleTestKey0000000000";
const LIVE_KEY: &str = "sk_live_51KassaDoubleLiveKey0000000000";

/// A kassa whose demo organization takes `mode`'s payments at Stripe (the double), with a webhook
/// endpoint at the double pointed at kassa, as a merchant sets it up.
async fn stripe_shop(engine: Engine, test: &str, mode: Mode) -> Option<(TestApp, StripeDouble)> {
    let double = StripeDouble::start().await;
    let options = Options {
        stripe_api_base: Some(double.base_url.clone()),
        ..Options::default()
    };
    let app = TestApp::spawn_with(engine, test, options).await?;
    let org = app.demo.organization_id.clone();
    let key = if mode.is_live() { LIVE_KEY } else { TEST_KEY };
    let endpoint: Value = app
        .client
        .post(format!("{}/v1/webhook_endpoints", double.base_url))
        .bearer_auth(key)
        .form(&[
            ("url", app.url(&format!("/api/stripe/events/{org}"))),
            ("enabled_events[0]", "*".into()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let webhook_secret = endpoint["secret"].as_str().unwrap().to_owned();
    processors::set_stripe_keys(
        &app.store,
        &app.processors,
        &org,
        mode,
        StripeKeysDraft {
            secret_key: Some(key.into()),
            webhook_secret: Some(webhook_secret),
        },
        kassa::store::now_ms(),
    )
    .await
    .unwrap();
    if !mode.is_live() {
        processors::set_test_mode_processor(&app.store, &org, "stripe")
            .await
            .unwrap();
    }
    Some((app, double))
}

/// A one-time price of `unit_amount` in `currency`, in `mode`.
async fn price(app: &TestApp, mode: Mode, currency: &str, unit_amount: i64) -> String {
    app.add_price(mode.is_live(), currency, unit_amount, None)
        .await
}

/// A form's fields, owned.
fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

async fn session_with_key(app: &TestApp, key: &str, body: Value) -> String {
    crate::app::create_session_at(&app.client, &app.address, key, &body).await
}

async fn status(app: &TestApp, id: &str) -> String {
    let session = app.store.session_by_id(id).await.unwrap().unwrap();
    session.status.as_str().to_owned()
}

/// Waits (up to 20 s) for the session to reach `wanted`.
async fn reaches(app: &TestApp, id: &str, wanted: &str) {
    for _ in 0..200 {
        if status(app, id).await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the session {id} never became {wanted}: {}",
        status(app, id).await
    );
}

async fn a_card_is_charged_at_stripe_once(engine: Engine) {
    let Some((app, double)) = stripe_shop(engine, "stripe_card", Mode::Test).await else {
        return;
    };
    let price = price(&app, Mode::Test, "usd", 2400).await;
    let id = session_with_key(
        &app,
        &app.demo.secret_key,
        json!({ "line_items": [{ "price": price, "quantity": 2 }], "success_url": "https://shop.example/thanks" }),
    )
    .await;
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 200, "{body}");
    assert_eq!(body["Redirect"]["url"], "https://shop.example/thanks");
    assert_eq!(status(&app, &id).await, "succeeded");

    let attempt = &app.store.attempts_of_session(&id).await.unwrap()[0];
    assert_eq!(attempt.processor, "stripe");
    let reference = attempt.processor_reference.clone().unwrap();
    assert!(reference.starts_with("pi_"), "{reference}");
    let intents = double.payment_intents();
    assert_eq!(intents.len(), 1, "one charge at Stripe");
    assert_eq!(intents[0]["id"], reference.as_str());
    assert_eq!(intents[0]["status"], "succeeded");
    assert_eq!(intents[0]["amount"], 4800);
    assert_eq!(intents[0]["metadata"]["kassa_attempt"], attempt.id.as_str());
    // The intent was made under the attempt's own key, the one a lookup would ask by.
    assert!(
        double
            .requests()
            .iter()
            .any(|r| r.path == "/v1/payment_intents"
                && r.idempotency_key.as_deref() == Some(attempt.id.as_str())),
        "{:?}",
        double.requests()
    );
    let (payments, _) = app.store.payments_of_session(&id).await.unwrap();
    assert_eq!((payments.len(), payments[0].amount), (1, 4800));
    assert_eq!(payments[0].card_last4.as_deref(), Some("4242"));
    app.stop().await;
}

async fn a_decline_at_stripe_leaves_the_session_open(engine: Engine) {
    let Some((app, double)) = stripe_shop(engine, "stripe_decline", Mode::Test).await else {
        return;
    };
    let price = price(&app, Mode::Test, "usd", 2400).await;
    let id = session_with_key(
        &app,
        &app.demo.secret_key,
        json!({ "line_items": [{ "price": price }] }),
    )
    .await;
    for (number, code) in [
        ("4000000000000002", "generic_decline"),
        ("4000000000009995", "insufficient_funds"),
    ] {
        let (status_code, body) = confirm(&app, &card(&id, number)).await;
        assert_eq!(status_code, 402, "{body}");
        let attempt = &app.store.attempts_of_session(&id).await.unwrap()[0];
        assert_eq!(
            (attempt.status, attempt.decline_code.as_deref()),
            (AttemptStatus::Declined, Some(code))
        );
        assert_eq!(
            body["Declined"]["message"].as_str(),
            attempt.decline_message.as_deref(),
            "Stripe's words for the buyer"
        );
    }
    assert_eq!(status(&app, &id).await, "open");
    let (status_code, _) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 200);
    assert_eq!(status(&app, &id).await, "succeeded");
    let succeeded: Vec<Value> = double
        .payment_intents()
        .into_iter()
        .filter(|i| i["status"] == "succeeded")
        .collect();
    assert_eq!(succeeded.len(), 1);
    app.stop().await;
}

/// Follows Stripe's 3-D Secure page: the buyer `decision` ("complete" or "fail") there, Stripe
/// sends them back to kassa's return address, and kassa sends them on: where to.
async fn at_stripes_page(app: &TestApp, page: &str, decision: &str) -> String {
    let back = app
        .client
        .post(format!("{page}/{decision}"))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    let return_url = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(return_url.starts_with(&app.address), "{return_url}");
    let on = app.client.get(&return_url).send().await.unwrap();
    assert!(on.status().is_redirection(), "{}", on.status());
    on.headers()["location"].to_str().unwrap().to_owned()
}

async fn three_d_secure_at_stripes_page_can_fail_then_pass(engine: Engine) {
    let Some((app, double)) = stripe_shop(engine, "stripe_3ds", Mode::Test).await else {
        return;
    };
    let price = price(&app, Mode::Test, "usd", 2400).await;
    let id = session_with_key(
        &app,
        &app.demo.secret_key,
        json!({ "line_items": [{ "price": price }], "success_url": "https://shop.example/thanks" }),
    )
    .await;
    let (_, body) = confirm(&app, &card(&id, "4000002500003155")).await;
    let page = body["Redirect"]["url"].as_str().unwrap().to_owned();
    assert!(
        page.starts_with(&format!("{}/3ds/pi_", double.base_url)),
        "{page}"
    );
    // Back on the checkout meanwhile, the buyer is pointed to the bank's page.
    let html = app.html(&format!("/checkout/{id}")).await;
    assert!(html.contains(&page), "{html}");

    let next = at_stripes_page(&app, &page, "fail").await;
    assert_eq!(next, app.url(&format!("/checkout/{id}")));
    let attempt = &app.store.attempts_of_session(&id).await.unwrap()[0];
    assert_eq!(attempt.status, AttemptStatus::Declined);
    assert_eq!(
        attempt.decline_code.as_deref(),
        Some("payment_intent_authentication_failure")
    );
    let html = app.html(&format!("/checkout/{id}")).await;
    assert!(
        html.contains("We are unable to authenticate your payment method"),
        "{html}"
    );

    let (_, body) = confirm(&app, &card(&id, "4000002500003155")).await;
    let page = body["Redirect"]["url"].as_str().unwrap().to_owned();
    let next = at_stripes_page(&app, &page, "complete").await;
    assert_eq!(next, "https://shop.example/thanks");
    assert_eq!(status(&app, &id).await, "succeeded");
    let (payments, _) = app.store.payments_of_session(&id).await.unwrap();
    assert_eq!(payments.len(), 1);
    app.stop().await;
}

/// A session for one price of `amount` in `currency`, paid on the hosted page by the bank debit
/// `method` with the account's `details`: it waits for the debit to settle, which the double
/// holds back until told (long enough that only its event, not kassa's own poll, settles it).
async fn pending_debit(
    app: &TestApp,
    double: &StripeDouble,
    (currency, amount, method): (&str, i64, &str),
    details: &[(&str, &str)],
) -> String {
    double.set_settle_delay(Duration::from_secs(3600));
    let price = price(app, Mode::Test, currency, amount).await;
    let id = session_with_key(
        app,
        &app.demo.secret_key,
        json!({ "line_items": [{ "price": price }], "payment_method_types": [method] }),
    )
    .await;
    let mut form = vec![
        ("session_id", id.as_str()),
        ("email", "ada@example.com"),
        ("payment_method_type", method),
    ];
    form.extend_from_slice(details);
    let (status_code, body) = confirm(app, &fields(&form)).await;
    assert_eq!(status_code, 200, "{body}");
    assert_eq!(status(app, &id).await, "pending");
    id
}

async fn a_sepa_debit_settles_by_stripes_signed_event(engine: Engine) {
    let Some((app, double)) = stripe_shop(engine, "stripe_sepa", Mode::Test).await else {
        return;
    };
    let id = pending_debit(
        &app,
        &double,
        ("eur", 1999, "sepa_debit"),
        &[
            ("country", "DE"),
            ("iban", "DE89370400440532013000"),
            ("account_holder", "Ada Lovelace"),
        ],
    )
    .await;
    assert_eq!(double.payment_intents()[0]["status"], "processing");

    double.settle_now().await;
    reaches(&app, &id, "succeeded").await;
    let delivered: Vec<Value> = double
        .events()
        .into_iter()
        .filter(|e| e["type"] == "payment_intent.succeeded")
        .collect();
    assert_eq!(delivered.len(), 1, "{:?}", double.events());
    let (payments, _) = app.store.payments_of_session(&id).await.unwrap();
    assert_eq!(
        (payments[0].amount, payments[0].payment_method_type.as_str()),
        (1999, "sepa_debit")
    );
    app.stop().await;
}

async fn a_card_saved_for_a_trial_is_kept_at_stripe(engine: Engine) {
    let Some((app, double)) = stripe_shop(engine, "stripe_saved", Mode::Test).await else {
        return;
    };
    let id = session_with_key(
        &app,
        &app.demo.secret_key,
        json!({
            "line_items": [{ "price": app.price_id("coffee-club-monthly") }],
            "trial_period_days": 14,
        }),
    )
    .await;
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 200, "{body}");
    let done = app.store.session_by_id(&id).await.unwrap().unwrap();
    assert_eq!(done.status.as_str(), "succeeded");
    // Nothing charged today: a setup intent saved the card on a Stripe customer.
    assert!(double.payment_intents().is_empty());
    let setups = double.setup_intents();
    assert_eq!(
        (setups.len(), setups[0]["status"].as_str()),
        (1, Some("succeeded"))
    );
    let method = app
        .store
        .payment_method(
            &app.demo.organization_id,
            false,
            done.payment_method_id.as_deref().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(method.processor.as_deref(), Some("stripe"));
    assert_eq!(
        method.processor_method_id.as_ref(),
        setups[0]["payment_method"]
            .as_str()
            .map(str::to_owned)
            .as_ref()
    );
    assert_eq!(
        method.processor_customer_id.as_ref(),
        setups[0]["customer"].as_str().map(str::to_owned).as_ref()
    );
    assert_eq!(method.last4, "4242");
    app.stop().await;
}

/// The card saved for a trial pays the first period when the trial ends (the test clock moved
/// past it): an off-session PaymentIntent on the Stripe customer and method kassa kept, under the
/// renewal charge's id; and that renewal's payment is refunded at Stripe like any other.
async fn a_trial_ends_with_an_off_session_charge_at_stripe(engine: Engine) {
    let Some((app, double)) = stripe_shop(engine, "stripe_renewal", Mode::Test).await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let id = session_with_key(
        &app,
        &key,
        json!({
            "line_items": [{ "price": app.price_id("coffee-club-monthly") }],
            "trial_period_days": 14,
        }),
    )
    .await;
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 200, "{body}");
    let sub = app
        .store
        .session_by_id(&id)
        .await
        .unwrap()
        .unwrap()
        .subscription_id
        .unwrap();
    let (_, s) = app
        .api_get(&key, &format!("/api/subscriptions/{sub}"))
        .await;
    let trial_end = s["trial_end"].as_i64().unwrap() / 1000;
    let (status_code, clock) = app
        .api_post(
            &key,
            "/api/test_clock/advance",
            &json!({ "frozen_time": trial_end + 60 }),
        )
        .await;
    assert_eq!(
        (status_code, &clock["status"]),
        (200, &json!("ready")),
        "{clock}"
    );
    let (_, s) = app
        .api_get(&key, &format!("/api/subscriptions/{sub}"))
        .await;
    assert_eq!(s["status"], "active", "{s}");

    let setup = &double.setup_intents()[0];
    let intents = double.payment_intents();
    assert_eq!(intents.len(), 1, "one charge at Stripe: {intents:?}");
    let intent = &intents[0];
    let charge = &app.store.renewal_charges_of(&sub).await.unwrap()[0];
    assert_eq!(
        (
            &intent["status"],
            &intent["amount"],
            &intent["customer"],
            &intent["payment_method"]
        ),
        (
            &json!("succeeded"),
            &json!(1500),
            &setup["customer"],
            &setup["payment_method"]
        )
    );
    assert_eq!(intent["metadata"]["kassa_attempt"], charge.id.as_str());
    assert_eq!(
        charge.processor_reference.as_ref(),
        intent["id"].as_str().map(str::to_owned).as_ref()
    );
    assert!(
        double
            .requests()
            .iter()
            .any(|r| r.path == "/v1/payment_intents"
                && r.idempotency_key.as_deref() == Some(charge.id.as_str())),
        "made under the renewal charge's key"
    );

    let payment = app
        .store
        .payments(
            &app.demo.organization_id,
            false,
            &kassa::store::PageRequest::first(10),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .find(|p| p.renewal_charge_id.as_deref() == Some(charge.id.as_str()))
        .expect("the renewal's payment");
    let (status_code, refund) = app
        .api_post(
            &key,
            &format!("/api/payments/{}/refunds", payment.id),
            &json!({ "amount": 500 }),
        )
        .await;
    assert_eq!(status_code, 201, "{refund}");
    let refunds = double.refunds();
    assert_eq!(
        (
            refunds.len(),
            &refunds[0]["payment_intent"],
            &refunds[0]["amount"]
        ),
        (1, &intent["id"], &json!(500))
    );
    app.stop().await;
}

async fn a_live_session_is_paid_with_the_live_keys(engine: Engine) {
    let Some((app, double)) = stripe_shop(engine, "stripe_live", Mode::Live).await else {
        return;
    };
    let org = app.demo.organization_id.clone();
    let (_, live_key) = kassa::service::api_keys::create(&app.store, &org, Mode::Live, "live")
        .await
        .unwrap();
    let price = price(&app, Mode::Live, "usd", 2400).await;
    let id = session_with_key(
        &app,
        live_key.expose(),
        json!({ "line_items": [{ "price": price }], "success_url": "https://shop.example/thanks" }),
    )
    .await;
    assert!(id.starts_with("cs_live_"), "{id}");
    let (status_code, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status_code, 200, "{body}");
    assert_eq!(status(&app, &id).await, "succeeded");
    let intents = double.payment_intents();
    assert_eq!(intents[0]["livemode"], true, "charged with the live key");
    // Test mode still takes kassa's own test processor: no live key is used for it.
    let test_session = session_with_key(
        &app,
        &app.demo.secret_key,
        json!({ "line_items": [{ "price": app.price_id("espresso-beans") }] }),
    )
    .await;
    let (status_code, _) = confirm(&app, &card(&test_session, "4242424242424242")).await;
    assert_eq!(status_code, 200);
    assert_eq!(double.payment_intents().len(), 1);
    app.stop().await;
}

async fn events_that_do_not_verify_are_refused(engine: Engine) {
    let Some((app, _double)) = stripe_shop(engine, "stripe_events", Mode::Test).await else {
        return;
    };
    let org = &app.demo.organization_id;
    let body = r#"{"id":"evt_1","type":"payment_intent.succeeded","livemode":false,"data":{"object":{"id":"pi_1"}}}"#;
    let now = kassa::store::now_ms() / 1000;
    for signature in [
        None,
        Some(crate::stripe_double::webhook_signature(
            "whsec_not_the_secret_0000",
            now,
            body,
        )),
        Some("t=1,v1=00".to_owned()),
    ] {
        let mut request = app
            .client
            .post(app.url(&format!("/api/stripe/events/{org}")))
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("stripe-signature", signature);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 400);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["error"]["code"], "signature_invalid");
    }
    app.stop().await;
}

/// The processor itself against the double: a charge is found by its key when its answer was
/// lost, and a key never charged is closed, so that the lost request can never charge.
#[tokio::test]
async fn a_lost_charge_is_found_at_stripe_by_its_key_or_its_key_is_closed() {
    let double = StripeDouble::start().await;
    let stripe = StripeProcessor::new(
        StripeApi::new(&double.base_url),
        kassa::domain::processor::stored_secret(TEST_KEY.into()),
        false,
    );
    let usd = kassa::domain::Currency::parse("usd").unwrap();
    let details = kassa::domain::payment::PaymentDetails::Card {
        number: kassa::domain::CardNumber::parse("4242424242424242").unwrap(),
        expiry: kassa::domain::payment::CardExpiry {
            month: 12,
            year: 2034,
        },
        cvc: kassa::domain::payment::Cvc::parse("123", kassa::domain::CardBrand::Visa).unwrap(),
        name: None,
    };
    let buyer = Buyer {
        email: "ada@example.com",
        name: Some("Ada"),
    };
    let client = ClientInfo::default();
    let charge = |key: &'static str| ChargeRequest {
        idempotency_key: key,
        amount: kassa::domain::Money::new(1500, usd),
        details: &details,
        save_for_later: false,
        livemode: false,
        buyer,
        return_url: "http://kassa.test/checkout/cs_test_1/return",
        client: &client,
    };
    let lookup = |key: &'static str| LookupRequest {
        idempotency_key: key,
        reference: None,
        amount: kassa::domain::Money::new(1500, usd),
        buyer,
        save_for_later: false,
        livemode: false,
    };
    let Ok(ChargeOutcome::Succeeded { reference, method }) =
        stripe.charge(charge("att_lost_answer")).await
    else {
        panic!("a 4242 charge succeeds");
    };
    assert_eq!(method.last4, "4242");
    // Asked again with the same key: Stripe's first answer, no second charge.
    let Ok(ChargeOutcome::Succeeded {
        reference: again, ..
    }) = stripe.charge(charge("att_lost_answer")).await
    else {
        panic!()
    };
    assert_eq!(again, reference);
    assert_eq!(double.payment_intents().len(), 1);
    match stripe.lookup(lookup("att_lost_answer")).await.unwrap() {
        Lookup::Charged(ChargeOutcome::Succeeded {
            reference: found, ..
        }) => {
            assert_eq!(found, reference)
        }
        other => panic!("{other:?}"),
    }

    assert_eq!(
        stripe.lookup(lookup("att_never_sent")).await.unwrap(),
        Lookup::NotCharged
    );
    let late = stripe.charge(charge("att_never_sent")).await;
    assert!(
        matches!(
            late,
            Err(ProcessorError::NotCharged(_)) | Err(ProcessorError::Unknown(_))
        ),
        "{late:?}"
    );
    let charged: Vec<Value> = double
        .payment_intents()
        .into_iter()
        .filter(|i| i["status"] == "succeeded")
        .collect();
    assert_eq!(charged.len(), 1, "the closed key never charged");
}

/// The subscription a session was to activate was activated meanwhile: the charge Stripe took
/// cannot pay for anything, so it is refunded at Stripe, and recorded.
async fn a_charge_that_can_no_longer_deliver_is_refunded_at_stripe(engine: Engine) {
    let Some((app, double)) = stripe_shop(engine, "stripe_refund", Mode::Test).await else {
        return;
    };
    let grace = app.customer("grace").await;
    let target = app
        .monthly_subscription(&app.demo.organization_id, &grace, "incomplete")
        .await;
    let id = session_with_key(
        &app,
        &app.demo.secret_key,
        json!({ "type": "activate_subscription", "customer": grace, "target_subscription": target }),
    )
    .await;
    app.execute_sql(&format!(
        "UPDATE subscriptions SET status = 'active' WHERE id = '{target}'"
    ))
    .await;
    let form: Vec<(String, String)> = card(&id, "4242424242424242")
        .into_iter()
        .filter(|(k, _)| k != "email")
        .collect();
    let (status_code, body) = confirm(&app, &form).await;
    assert_eq!(status_code, 409, "{body}");
    assert!(
        body["Unavailable"]["message"]
            .as_str()
            .unwrap()
            .contains("refunded in full"),
        "{body}"
    );
    let attempt = &app.store.attempts_of_session(&id).await.unwrap()[0];
    assert_eq!(attempt.status, AttemptStatus::Refunded);
    let refunds = double.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        refunds[0]["payment_intent"],
        attempt.processor_reference.as_deref().unwrap()
    );
    assert_eq!(refunds[0]["amount"], 1500);
    assert_eq!(
        attempt.refund_reference.as_deref(),
        refunds[0]["id"].as_str()
    );
    assert!(
        app.store
            .payments_of_session(&id)
            .await
            .unwrap()
            .0
            .is_empty()
    );
    app.stop().await;
}

async fn a_us_bank_debit_settles_by_stripes_signed_event(engine: Engine) {
    let Some((app, double)) = stripe_shop(engine, "stripe_ach", Mode::Test).await else {
        return;
    };
    let id = pending_debit(
        &app,
        &double,
        ("usd", 2400, "us_bank_account"),
        &[
            ("country", "US"),
            ("postal_code", "94107"),
            ("routing_number", "110000000"),
            ("account_number", "000111111113"),
            ("account_holder", "Ada Lovelace"),
        ],
    )
    .await;
    double.settle_now().await;
    // This account is closed: the debit fails, and so does the session.
    reaches(&app, &id, "failed").await;
    let attempt = &app.store.attempts_of_session(&id).await.unwrap()[0];
    assert_eq!(
        (attempt.status, attempt.decline_code.as_deref()),
        (AttemptStatus::Failed, Some("account_closed"))
    );
    app.stop().await;
}
