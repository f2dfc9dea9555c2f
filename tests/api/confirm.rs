//! Paying sessions through `POST /api/checkout/confirm` (form-encoded, as the page posts it),
//! with the test-mode processor: every kind of session, declines, 3-D Secure, bank debits,
//! discounts, quantities, tax, and exactly-once finalization under concurrent confirms.

use crate::app::{Options, TestApp, card, confirm};
use kassa::domain::catalog::{Coupon, CouponDuration, CouponValue, PromotionCode, TaxRate};
use kassa::domain::{Mode, Rate};
use kassa::service::{api_keys, ids::new_id};
use kassa::store::{Engine, PriceChanges};
use serde_json::{Value, json};
use std::time::Duration;

crate::on_both_engines!(
    a_one_time_price_is_paid_once_and_recorded,
    a_declined_card_leaves_the_session_open_for_another_try,
    every_test_decline_explains_itself,
    bad_fields_are_named_and_nothing_is_charged,
    three_d_secure_can_pass_or_fail,
    a_sepa_debit_is_pending_then_settles,
    a_failing_bank_debit_fails_the_session,
    a_trial_saves_the_card_and_charges_nothing_today,
    saving_a_card_makes_it_the_subscriptions_default,
    activating_a_subscription_pays_and_starts_it,
    closed_and_unpayable_sessions_are_refused_clearly,
    codes_quantities_and_tax_change_what_is_charged,
    a_zero_total_completes_without_a_card,
    a_page_without_javascript_is_redirected,
    fifty_concurrent_confirms_make_one_payment,
    wallets_are_approved_on_a_step_page,
    a_session_takes_a_bounded_number_of_attempts,
    one_address_takes_a_bounded_number_of_attempts,
    a_new_attempt_cancels_the_one_awaiting_the_buyer,
);

fn with(mut fields: Vec<(String, String)>, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    for (key, value) in changes {
        fields.retain(|(k, _)| k != key);
        if !value.is_empty() {
            fields.push((key.to_string(), value.to_string()));
        }
    }
    fields
}

async fn authenticate(app: &TestApp, session: &str, decision: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/checkout/authenticate"))
        .header("accept", "application/json")
        .form(&[("session_id", session), ("decision", decision)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn create(app: &TestApp, body: Value) -> String {
    create_with_key(app, &app.demo.secret_key, body).await
}

async fn create_with_key(app: &TestApp, key: &str, body: Value) -> String {
    let response = app
        .client
        .post(app.url("/api/checkout-sessions"))
        .bearer_auth(key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("created: {body}"))
        .to_owned()
}

fn price(app: &TestApp, slug: &str) -> String {
    app.demo
        .prices
        .iter()
        .find(|p| p.slug == slug)
        .unwrap()
        .id
        .clone()
}

fn beans(app: &TestApp, quantity: u32) -> Value {
    json!({
        "line_items": [{ "price": price(app, "espresso-beans"), "quantity": quantity }],
        "success_url": "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/cart",
    })
}

async fn session(app: &TestApp, id: &str) -> kassa::domain::session::CheckoutSession {
    app.store.session_by_id(id).await.unwrap().unwrap()
}

/// Waits (up to 15 s) for the settlement worker to move a session out of `pending`.
async fn settled(app: &TestApp, id: &str) -> kassa::domain::session::CheckoutSession {
    for _ in 0..60 {
        let s = session(app, id).await;
        if s.status != kassa::domain::session::SessionStatus::Pending {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("{id} never settled");
}

async fn a_one_time_price_is_paid_once_and_recorded(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_one_time").await else {
        return;
    };
    let id = create(&app, beans(&app, 2)).await;
    let (status, body) = confirm(&app, &card(&id, "4242 4242 4242 4242")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["Redirect"]["url"],
        format!("https://shop.example/thanks?session={id}")
    );

    let paid = session(&app, &id).await;
    assert_eq!(paid.status.as_str(), "succeeded");
    assert_eq!(paid.customer_email.as_deref(), Some("ada@example.com"));
    let customer = paid
        .customer_id
        .clone()
        .expect("an anonymous checkout made a customer");
    let (payments, purchases) = app.store.payments_of_session(&id).await.unwrap();
    assert_eq!((payments.len(), purchases.len()), (1, 1));
    assert_eq!(payments[0].amount, 4800);
    assert_eq!(payments[0].status, "succeeded");
    assert_eq!(payments[0].card_last4.as_deref(), Some("4242"));
    assert_eq!(payments[0].customer_id, customer);
    assert_eq!(purchases[0].quantity, 2);
    let invoice = app
        .store
        .invoice(
            &app.demo.organization_id,
            false,
            paid.invoice_id.as_deref().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!((invoice.status.as_str(), invoice.total), ("paid", 4800));
    assert_eq!(paid.purchase_id.as_deref(), Some(purchases[0].id.as_str()));
    // each thing made was told once, in the transaction that made it
    assert_eq!(events_of(&app, &id).await, ["checkout.session.completed"]);
    assert_eq!(events_of(&app, &customer).await, ["customer.created"]);
    assert_eq!(
        events_of(&app, &purchases[0].id).await,
        ["purchase.completed"]
    );
    assert_eq!(
        events_of(&app, &payments[0].id).await,
        ["payment.succeeded"]
    );
    let completed = &app.store.events_of_object(&id).await.unwrap()[0];
    let data: Value = serde_json::from_str(&completed.data).unwrap();
    assert_eq!(
        (data["amount_total"].as_i64(), data["currency"].as_str()),
        (Some(4800), Some("usd"))
    );
    assert_eq!(data["purchase"], purchases[0].id.as_str());

    // paying again is refused: the session is closed
    let (status, body) = confirm(&app, &card(&id, "4242 4242 4242 4242")).await;
    assert_eq!(
        (status, body["Closed"]["status"].as_str()),
        (409, Some("succeeded"))
    );
    assert_eq!(app.store.payments_of_session(&id).await.unwrap().0.len(), 1);
    app.stop().await;
}

async fn a_declined_card_leaves_the_session_open_for_another_try(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_decline_then_pay").await else {
        return;
    };
    let id = create(&app, beans(&app, 1)).await;
    let latest = |app: &TestApp| {
        let store = app.store.clone();
        let id = id.clone();
        async move {
            let (session, attempt) = store
                .session_with_latest_attempt(&id)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(session.id, id);
            assert_eq!(attempt, store.latest_attempt(&id).await.unwrap());
            attempt.map(|a| a.status.as_str().to_owned())
        }
    };
    assert_eq!(latest(&app).await, None);
    let (status, body) = confirm(&app, &card(&id, "4000 0000 0000 0002")).await;
    assert_eq!(status, 402);
    let message = body["Declined"]["message"].as_str().unwrap();
    assert!(message.contains("declined"), "{message}");
    assert_eq!(session(&app, &id).await.status.as_str(), "open");
    assert_eq!(latest(&app).await.as_deref(), Some("declined"));
    // Its page, read again, says why the last try failed.
    let page = app.html(&format!("/checkout/{id}")).await;
    assert!(page.contains(message), "{page}");
    assert!(
        app.store
            .payments_of_session(&id)
            .await
            .unwrap()
            .0
            .is_empty()
    );

    let (status, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(session(&app, &id).await.status.as_str(), "succeeded");
    assert_eq!(latest(&app).await.as_deref(), Some("succeeded"));
    let attempts = app.store.attempts_of_session(&id).await.unwrap();
    assert_eq!(
        attempts
            .iter()
            .map(|a| a.status.as_str())
            .collect::<Vec<_>>(),
        vec!["succeeded", "declined"]
    );
    assert_eq!(events_of(&app, &attempts[1].id).await, ["payment.failed"]);
    assert_eq!(events_of(&app, &id).await, ["checkout.session.completed"]);
    app.stop().await;
}

async fn every_test_decline_explains_itself(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_declines").await else {
        return;
    };
    let id = create(&app, beans(&app, 1)).await;
    for (number, reason) in [
        ("4000000000009995", "insufficient funds"),
        ("4000000000000069", "expired"),
        ("4000000000000127", "security code"),
        ("4111111111111111", "test mode"),
    ] {
        let (status, body) = confirm(&app, &card(&id, number)).await;
        assert_eq!(status, 402, "{number}");
        let message = body["Declined"]["message"].as_str().unwrap();
        assert!(message.contains(reason), "{number}: {message}");
    }
    assert_eq!(session(&app, &id).await.status.as_str(), "open");
    app.stop().await;
}

async fn bad_fields_are_named_and_nothing_is_charged(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_bad_fields").await else {
        return;
    };
    let id = create(&app, beans(&app, 1)).await;
    let fields = with(
        card(&id, "4242 4242 4242 4241"),
        &[
            ("card_exp", "01/20"),
            ("card_cvc", "12"),
            ("email", "nope"),
            ("country", "XX"),
        ],
    );
    let (status, body) = confirm(&app, &fields).await;
    assert_eq!(status, 422, "{body}");
    let named: Vec<&str> = body["Invalid"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[0].as_str().unwrap())
        .collect();
    for field in ["email", "country", "card_number", "card_exp", "card_cvc"] {
        assert!(named.contains(&field), "{field} in {named:?}");
    }
    assert!(
        app.store.attempts_of_session(&id).await.unwrap().is_empty(),
        "nothing reached the processor"
    );
    let (status, _) = confirm(
        &app,
        &with(
            card(&id, "4242424242424242"),
            &[("payment_method_type", "paypal")],
        ),
    )
    .await;
    assert_eq!(status, 422, "a method the session does not allow");
    let (status, body) = confirm(
        &app,
        &with(card("cs_test_nothing", "4242424242424242"), &[]),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    app.stop().await;
}

async fn three_d_secure_can_pass_or_fail(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_three_d_secure").await else {
        return;
    };
    let id = create(&app, beans(&app, 1)).await;
    let (status, body) = confirm(&app, &card(&id, "4000 0025 0000 3155")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["Redirect"]["url"],
        format!("{}/checkout/{id}/authenticate", app.address)
    );
    let (_, body) = authenticate(&app, &id, "fail").await;
    assert!(
        body["Declined"]["message"]
            .as_str()
            .unwrap()
            .contains("declined"),
        "{body}"
    );
    assert_eq!(session(&app, &id).await.status.as_str(), "open");
    let (status, _) = authenticate(&app, &id, "complete").await;
    assert_eq!(status, 200, "a failed challenge cannot be completed later");
    assert_eq!(session(&app, &id).await.status.as_str(), "open");

    confirm(&app, &card(&id, "4000002500003155")).await;
    let (status, body) = authenticate(&app, &id, "complete").await;
    assert_eq!(status, 200);
    assert!(
        body["Redirect"]["url"]
            .as_str()
            .unwrap()
            .starts_with("https://shop.example/thanks"),
        "{body}"
    );
    let paid = session(&app, &id).await;
    assert_eq!(paid.status.as_str(), "succeeded");
    assert_eq!(
        app.store.payments_of_session(&id).await.unwrap().0[0]
            .card_last4
            .as_deref(),
        Some("3155")
    );
    app.stop().await;
}

/// A EUR price for SEPA debits.
async fn euro_price(app: &TestApp) -> String {
    let response = app
        .client
        .post(app.url("/api/v1/prices"))
        .header("authorization", &app.demo.secret_key)
        .json(&json!({ "price": { "type": "single_payment", "productId": app.demo.prices[0].product_id, "unitPrice": 1999, "isDefault": false } }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let id = body["price"]["id"].as_str().unwrap().to_owned();
    // Flowglad's API has no currency on prices; make this one euros in the store.
    let org = &app.demo.organization_id;
    let model = app
        .store
        .default_pricing_model(org, false, &new_id("pricing_model"))
        .await
        .unwrap()
        .id;
    let euro_id = new_id("price");
    app.store
        .insert_price(&kassa::store::NewPrice {
            id: &euro_id,
            organization_id: org,
            livemode: false,
            pricing_model_id: &model,
            product_id: &app.demo.prices[0].product_id,
            name: None,
            slug: None,
            price_type: kassa::domain::PriceType::SinglePayment,
            unit_amount: 1999,
            currency: "eur",
            recurring: None,
            trial_period_days: None,
            is_default: false,
            active: true,
        })
        .await
        .unwrap();
    let _ = id;
    euro_id
}

fn sepa(session: &str, iban: &str) -> Vec<(String, String)> {
    with(
        card(session, ""),
        &[
            ("payment_method_type", "sepa_debit"),
            ("country", "DE"),
            ("postal_code", "10115"),
            ("iban", iban),
            ("account_holder", "Ada Lovelace"),
            ("card_number", ""),
            ("card_exp", ""),
            ("card_cvc", ""),
        ],
    )
}

async fn a_sepa_debit_is_pending_then_settles(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_sepa").await else {
        return;
    };
    let euros = euro_price(&app).await;
    let id = create(&app, json!({ "line_items": [{ "price": euros }], "payment_method_types": ["card", "sepa_debit"] })).await;
    let (status, body) = confirm(&app, &sepa(&id, "DE89 3704 0044 0532 0130 00")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["Redirect"]["url"],
        format!("{}/checkout/{id}", app.address),
        "no success URL: kassa's page"
    );
    assert_eq!(session(&app, &id).await.status.as_str(), "pending");
    let (status, _) = confirm(&app, &sepa(&id, "DE89370400440532013000")).await;
    assert_eq!(status, 409, "a pending session takes no second payment");
    let done = settled(&app, &id).await;
    assert_eq!(done.status.as_str(), "succeeded");
    let payments = app.store.payments_of_session(&id).await.unwrap().0;
    assert_eq!(
        (
            payments.len(),
            payments[0].payment_method_type.as_str(),
            payments[0].currency.as_str()
        ),
        (1, "sepa_debit", "eur")
    );
    assert_eq!(
        events_of(&app, &id).await,
        [
            "checkout.session.async_payment_succeeded",
            "checkout.session.completed"
        ]
    );
    app.stop().await;
}

async fn a_failing_bank_debit_fails_the_session(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_bank_fails").await else {
        return;
    };
    let beans_id = price(&app, "espresso-beans");
    let id = create(&app, json!({ "line_items": [{ "price": beans_id }], "payment_method_types": ["us_bank_account"] })).await;
    let fields = with(
        card(&id, ""),
        &[
            ("payment_method_type", "us_bank_account"),
            ("routing_number", "110000000"),
            ("account_number", "000111111113"),
            ("account_holder", "Ada Lovelace"),
        ],
    );
    let (status, _) = confirm(&app, &fields).await;
    assert_eq!(status, 200);
    let done = settled(&app, &id).await;
    assert_eq!(done.status.as_str(), "failed");
    assert!(
        app.store
            .payments_of_session(&id)
            .await
            .unwrap()
            .1
            .is_empty(),
        "no purchase"
    );
    let attempts = app.store.attempts_of_session(&id).await.unwrap();
    assert_eq!(attempts[0].decline_code.as_deref(), Some("account_closed"));
    assert_eq!(
        events_of(&app, &id).await,
        ["checkout.session.async_payment_failed"]
    );
    assert_eq!(events_of(&app, &attempts[0].id).await, ["payment.failed"]);
    app.stop().await;
}

async fn a_trial_saves_the_card_and_charges_nothing_today(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_trial").await else {
        return;
    };
    let id = create(
        &app,
        json!({
            "line_items": [{ "price": price(&app, "coffee-club-monthly") }],
            "trial_period_days": 14,
            "success_url": "https://shop.example/welcome",
        }),
    )
    .await;
    let (status, body) = confirm(&app, &card(&id, "4242424242424242")).await;
    assert_eq!(status, 200, "{body}");
    let done = session(&app, &id).await;
    assert_eq!(done.status.as_str(), "succeeded");
    let org = &app.demo.organization_id;
    let subscription = app
        .store
        .subscription(org, false, done.subscription_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subscription.status, "trialing");
    let trial_end = subscription.trial_end.unwrap();
    assert_eq!(trial_end - done.completed_at.unwrap(), 14 * 86_400_000);
    assert_eq!(subscription.current_period_end, Some(trial_end));
    let method = app
        .store
        .payment_method(org, false, done.payment_method_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (method.last4.as_str(), method.brand.as_deref()),
        ("4242", Some("Visa"))
    );
    assert_eq!(
        subscription.default_payment_method_id.as_deref(),
        Some(method.id.as_str())
    );
    let (payments, purchases) = app.store.payments_of_session(&id).await.unwrap();
    assert!(payments.is_empty(), "nothing is charged today");
    assert_eq!(purchases[0].price_type, "subscription");
    let invoice = app
        .store
        .invoice(org, false, done.invoice_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((invoice.total, invoice.subtotal), (0, 1500));
    assert_eq!(
        events_of(&app, &subscription.id).await,
        ["subscription.created"]
    );
    assert_eq!(
        events_of(&app, &method.id).await,
        ["payment_method.attached"]
    );
    assert!(events_of(&app, &id).await == ["checkout.session.completed"]);

    // without a trial the first month is paid today, and the period is a calendar month
    let id = create(
        &app,
        json!({ "line_items": [{ "price": price(&app, "coffee-club-monthly") }] }),
    )
    .await;
    confirm(&app, &card(&id, "5555555555554444")).await;
    let done = session(&app, &id).await;
    let subscription = app
        .store
        .subscription(org, false, done.subscription_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(subscription.status, "active");
    let days = (subscription.current_period_end.unwrap()
        - subscription.current_period_start.unwrap())
        / 86_400_000;
    assert!((28..=31).contains(&days), "{days}");
    assert_eq!(
        app.store.payments_of_session(&id).await.unwrap().0[0].amount,
        1500
    );
    app.stop().await;
}

async fn saving_a_card_makes_it_the_subscriptions_default(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_save_card").await else {
        return;
    };
    let grace = app.customer("grace").await;
    let target = app
        .monthly_subscription(&app.demo.organization_id, &grace, "active")
        .await;
    let id = create(
        &app,
        json!({ "type": "add_payment_method", "customer": grace, "target_subscription": target }),
    )
    .await;
    // a known customer's email comes from the customer, not the form
    let fields = with(card(&id, "4242424242424242"), &[("email", "")]);
    let (status, body) = confirm(&app, &fields).await;
    assert_eq!(status, 200, "{body}");
    let done = session(&app, &id).await;
    assert_eq!(done.status.as_str(), "succeeded");
    assert_eq!(done.customer_email.as_deref(), Some("grace@example.com"));
    let org = &app.demo.organization_id;
    let method = app
        .store
        .payment_method(org, false, done.payment_method_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            method.customer_id.as_str(),
            method.exp_month,
            method.exp_year
        ),
        (grace.as_str(), Some(12), Some(2034))
    );
    let sub = app
        .store
        .subscription(org, false, &target)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        sub.default_payment_method_id.as_deref(),
        Some(method.id.as_str())
    );
    let (payments, purchases) = app.store.payments_of_session(&id).await.unwrap();
    assert!(
        payments.is_empty() && purchases.is_empty(),
        "saving a card buys nothing"
    );
    app.stop().await;
}

async fn activating_a_subscription_pays_and_starts_it(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_activate").await else {
        return;
    };
    let grace = app.customer("grace").await;
    let target = app
        .monthly_subscription(&app.demo.organization_id, &grace, "incomplete")
        .await;
    let id = create(&app, json!({ "type": "activate_subscription", "customer": grace, "target_subscription": target })).await;
    let (status, body) =
        confirm(&app, &with(card(&id, "4242424242424242"), &[("email", "")])).await;
    assert_eq!(status, 200, "{body}");
    let org = &app.demo.organization_id;
    let sub = app
        .store
        .subscription(org, false, &target)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sub.status, "active");
    assert!(
        sub.billing_cycle_anchor.is_some() && sub.current_period_end > sub.current_period_start
    );
    assert!(sub.default_payment_method_id.is_some());
    let payments = app.store.payments_of_session(&id).await.unwrap().0;
    assert_eq!(
        (
            payments.len(),
            payments[0].amount,
            payments[0].subscription_id.as_deref()
        ),
        (1, 1500, Some(target.as_str()))
    );
    assert_eq!(events_of(&app, &target).await, ["subscription.updated"]);
    app.stop().await;
}

async fn closed_and_unpayable_sessions_are_refused_clearly(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_closed").await else {
        return;
    };
    // expired by time, before any sweep
    let now = kassa::store::now_ms();
    let id = create(&app, json!({ "line_items": [{ "price": price(&app, "espresso-beans") }], "expires_at": now + 31 * 60_000 })).await;
    let mut expired = session(&app, &id).await;
    expired.expires_at = now - 1;
    expired.id = new_id("cs_test");
    app.store.insert_session(&expired, None).await.unwrap();
    let (status, body) = confirm(&app, &card(&expired.id, "4242424242424242")).await;
    assert_eq!(
        (status, body["Closed"]["status"].as_str()),
        (409, Some("expired"))
    );

    // an archived price
    let archived = create(&app, beans(&app, 1)).await;
    app.store
        .update_price(
            &app.demo.organization_id,
            false,
            &price(&app, "espresso-beans"),
            &PriceChanges {
                active: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (status, body) = confirm(&app, &card(&archived, "4242424242424242")).await;
    assert_eq!(status, 409);
    assert!(
        body["Unavailable"]["message"]
            .as_str()
            .unwrap()
            .contains("no longer available"),
        "{body}"
    );

    // live mode without a live processor
    let (_, live_key) = api_keys::create(&app.store, &app.demo.organization_id, Mode::Live, "live")
        .await
        .unwrap();
    let live_product = app
        .client
        .post(app.url("/api/v1/products"))
        .header("authorization", live_key.expose())
        .json(&json!({ "product": { "name": "Live beans", "active": true, "slug": "live-beans" }, "price": { "type": "single_payment", "unitPrice": 100, "isDefault": true, "slug": "live-beans" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(live_product.status(), 200);
    let live = create_with_key(
        &app,
        live_key.expose(),
        json!({ "line_items": [{ "price_slug": "live-beans" }] }),
    )
    .await;
    assert!(live.starts_with("cs_live_"));
    let (status, body) = confirm(&app, &card(&live, "4242424242424242")).await;
    assert_eq!(status, 409);
    assert!(
        body["Unavailable"]["message"]
            .as_str()
            .unwrap()
            .contains("live payments"),
        "{body}"
    );
    app.stop().await;
}

async fn codes_quantities_and_tax_change_what_is_charged(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_codes_quantities_tax").await else {
        return;
    };
    let org = app.demo.organization_id.clone();
    app.store
        .insert_coupon(
            &org,
            false,
            &Coupon {
                id: "coupon_half".into(),
                name: Some("Half off".into()),
                value: CouponValue::PercentOff(Rate::parse_percent("50").unwrap()),
                duration: CouponDuration::Once,
                max_redemptions: None,
                times_redeemed: 0,
                redeem_by: None,
                active: true,
            },
        )
        .await
        .unwrap();
    app.store
        .insert_promotion_code(
            &org,
            false,
            &PromotionCode {
                id: "promo_half".into(),
                code: "HALF".into(),
                coupon_id: "coupon_half".into(),
                active: true,
                max_redemptions: Some(1),
                times_redeemed: 0,
                expires_at: None,
            },
        )
        .await
        .unwrap();
    app.store
        .insert_tax_rate(
            &org,
            false,
            &TaxRate {
                id: "txr_ca".into(),
                display_name: "Sales tax".into(),
                rate: Rate::parse_percent("10").unwrap(),
                inclusive: false,
                country: Some("US".into()),
                active: true,
            },
            &Default::default(),
        )
        .await
        .unwrap();
    let id = create(&app, json!({
        "line_items": [{ "price": price(&app, "espresso-beans"), "quantity": 1, "adjustable_quantity": { "enabled": true, "maximum": 5 } }],
        "allow_promotion_codes": true,
    }))
    .await;
    let (status, body) = confirm(
        &app,
        &with(card(&id, "4242424242424242"), &[("quantity[0]", "9")]),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["Invalid"]["errors"][0][0], "quantity[0]");
    let (status, body) = confirm(
        &app,
        &with(card(&id, "4242424242424242"), &[("promotion_code", "NOPE")]),
    )
    .await;
    assert_eq!(
        (status, body["Invalid"]["errors"][0][0].as_str()),
        (422, Some("promotion_code"))
    );

    let (status, body) = confirm(
        &app,
        &with(
            card(&id, "4242424242424242"),
            &[("quantity[0]", "3"), ("promotion_code", "half")],
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // 3 × 2400 = 7200, half off = 3600, 10% tax = 360
    let payment = &app.store.payments_of_session(&id).await.unwrap().0[0];
    assert_eq!(
        (
            payment.amount,
            payment.tax_amount,
            payment.tax_country.as_deref()
        ),
        (3960, 360, Some("US"))
    );
    let done = session(&app, &id).await;
    assert_eq!(done.line_items[0].quantity, 3);
    assert_eq!(done.amounts.discount, 3600);
    let code = app
        .store
        .promotion_code(&org, false, "HALF")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(code.times_redeemed, 1);

    // the code is used up now
    let again = create(&app, json!({ "line_items": [{ "price": price(&app, "espresso-beans") }], "allow_promotion_codes": true })).await;
    let (status, body) = confirm(
        &app,
        &with(
            card(&again, "4242424242424242"),
            &[("promotion_code", "HALF")],
        ),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body["Invalid"]["errors"][0][1]
            .as_str()
            .unwrap()
            .contains("used up"),
        "{body}"
    );
    app.stop().await;
}

async fn a_zero_total_completes_without_a_card(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_zero").await else {
        return;
    };
    let org = app.demo.organization_id.clone();
    app.store
        .insert_coupon(
            &org,
            false,
            &Coupon {
                id: "coupon_free".into(),
                name: None,
                value: CouponValue::PercentOff(Rate::FULL),
                duration: CouponDuration::Once,
                max_redemptions: None,
                times_redeemed: 0,
                redeem_by: None,
                active: true,
            },
        )
        .await
        .unwrap();
    let id = create(&app, json!({ "line_items": [{ "price": price(&app, "espresso-beans") }], "discounts": [{ "coupon": "coupon_free" }] })).await;
    let fields = with(
        card(&id, ""),
        &[
            ("payment_method_type", ""),
            ("card_exp", ""),
            ("card_cvc", ""),
        ],
    );
    let (status, body) = confirm(&app, &fields).await;
    assert_eq!(status, 200, "{body}");
    let done = session(&app, &id).await;
    assert_eq!((done.status.as_str(), done.amounts.total), ("succeeded", 0));
    let (payments, purchases) = app.store.payments_of_session(&id).await.unwrap();
    assert!(payments.is_empty(), "nothing charged");
    assert_eq!(purchases.len(), 1);
    app.stop().await;
}

async fn a_page_without_javascript_is_redirected(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_no_js").await else {
        return;
    };
    let id = create(&app, beans(&app, 1)).await;
    let post = |fields: Vec<(String, String)>| {
        app.client
            .post(app.url("/api/checkout/confirm"))
            .header("accept", "text/html,application/xhtml+xml")
            .header("referer", app.url(&format!("/checkout/{id}")))
            .form(&fields)
            .send()
    };
    let response = post(with(card(&id, "4242 4242 4242 4241"), &[]))
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&app.url(&format!("/checkout/{id}?"))),
        "{location}"
    );
    assert!(location.contains("error.card_number="), "{location}");
    assert!(
        location.contains("value.email=ada%40example.com"),
        "{location}"
    );
    assert!(
        !location.contains("4242"),
        "a card number never goes into an address: {location}"
    );

    let response = post(card(&id, "4000000000000002")).await.unwrap();
    assert_eq!(response.status(), 302);
    assert!(
        !response.headers()["location"]
            .to_str()
            .unwrap()
            .contains("4000")
    );

    let response = post(card(&id, "4242424242424242")).await.unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        format!("https://shop.example/thanks?session={id}").as_str()
    );
    app.stop().await;
}

async fn fifty_concurrent_confirms_make_one_payment(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_fifty_at_once").await else {
        return;
    };
    let id = create(&app, beans(&app, 1)).await;
    let fields = card(&id, "4242424242424242");
    let requests = (0..50).map(|_| confirm(&app, &fields));
    let answers = futures_join_all(requests).await;
    let succeeded = answers.iter().filter(|(status, _)| *status == 200).count();
    let refused = answers.iter().filter(|(status, _)| *status == 409).count();
    assert_eq!(succeeded, 1, "{answers:?}");
    assert_eq!(
        refused, 49,
        "the others are told the session is busy or paid: {answers:?}"
    );
    let (payments, purchases) = app.store.payments_of_session(&id).await.unwrap();
    assert_eq!((payments.len(), purchases.len()), (1, 1));
    let charged = app.store.attempts_of_session(&id).await.unwrap();
    assert_eq!(charged.len(), 1, "one attempt reached the processor");
    assert_eq!(
        events_of(&app, &id).await,
        ["checkout.session.completed"],
        "told once"
    );
    app.stop().await;
}

/// The types of the events recorded about `object_id`, sorted (the events one transaction
/// writes share its time and have no order among them).
async fn events_of(app: &TestApp, object_id: &str) -> Vec<String> {
    let mut types: Vec<String> = app
        .store
        .events_of_object(object_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    types.sort();
    types
}

/// Runs futures concurrently on this task (all in flight at once) and collects their outputs.
async fn futures_join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut pinned: Vec<std::pin::Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, result) in pinned.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(output) => *result = Some(output),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results
        .into_iter()
        .map(|r| r.expect("every future finished"))
        .collect()
}

async fn wallets_are_approved_on_a_step_page(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_wallets").await else {
        return;
    };
    let id = create(&app, json!({ "line_items": [{ "price": price(&app, "espresso-beans") }], "payment_method_types": ["card", "paypal"] })).await;
    let fields = with(
        card(&id, ""),
        &[
            ("payment_method_type", "paypal"),
            ("card_exp", ""),
            ("card_cvc", ""),
        ],
    );
    let (_, body) = confirm(&app, &fields).await;
    assert!(
        body["Redirect"]["url"]
            .as_str()
            .unwrap()
            .ends_with("/authenticate"),
        "{body}"
    );
    let (_, body) = authenticate(&app, &id, "cancel").await;
    assert!(
        body["Declined"]["message"]
            .as_str()
            .unwrap()
            .contains("cancelled"),
        "{body}"
    );
    confirm(&app, &fields).await;
    let (status, _) = authenticate(&app, &id, "approve").await;
    assert_eq!(status, 200);
    let done = session(&app, &id).await;
    assert_eq!(
        (
            done.status.as_str(),
            done.payment_method_type.map(|t| t.as_str())
        ),
        ("succeeded", Some("paypal"))
    );
    app.stop().await;
}

/// Card testing: a session takes ten attempts an hour; the eleventh is refused with 429 and
/// Retry-After, with JavaScript and without, and starts nothing.
async fn a_session_takes_a_bounded_number_of_attempts(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_session_limit").await else {
        return;
    };
    let id = create(&app, beans(&app, 1)).await;
    for _ in 0..10 {
        let (status, body) = confirm(&app, &card(&id, "4000000000000002")).await;
        assert_eq!(status, 402, "{body}");
    }
    let response = app
        .client
        .post(app.url("/api/checkout/confirm"))
        .header("accept", "application/json")
        .form(&card(&id, "4242424242424242"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((3500..=3600).contains(&retry_after), "{retry_after}");
    let body: Value = response.json().await.unwrap();
    assert!(
        body["Limited"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Too many payment attempts"),
        "{body}"
    );
    assert_eq!(app.store.attempts_of_session(&id).await.unwrap().len(), 10);
    assert_eq!(session(&app, &id).await.status.as_str(), "open");

    // Without JavaScript: back to the page, which says why.
    let response = app
        .client
        .post(app.url("/api/checkout/confirm"))
        .header("accept", "text/html")
        .form(&card(&id, "4242424242424242"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let page = app
        .client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Too many payment attempts"), "{page}");
    app.stop().await;
}

/// Card testing across sessions: one client address starts a bounded number of attempts an
/// hour, counted per address as the balancer names it.
async fn one_address_takes_a_bounded_number_of_attempts(engine: Engine) {
    let options = Options {
        attempts_per_address: Some(3),
        client_address_header: Some("X-Forwarded-For".into()),
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(engine, "pay_address_limit", options).await else {
        return;
    };
    let pay_from = |address: &'static str| {
        let app = &app;
        async move {
            let id = create(app, beans(app, 1)).await;
            app.client
                .post(app.url("/api/checkout/confirm"))
                .header("accept", "application/json")
                .header("x-forwarded-for", format!("198.51.100.1, {address}"))
                .form(&card(&id, "4000000000000002"))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..3 {
        assert_eq!(pay_from("203.0.113.7").await.status(), 402);
    }
    let refused = pay_from("203.0.113.7").await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=1200).contains(&retry_after), "{retry_after}");
    // Another buyer, behind the same balancer, is not held back.
    assert_eq!(pay_from("203.0.113.8").await.status(), 402);
    app.stop().await;
}

/// A buyer who leaves the 3-D Secure step and pays with another card replaces the attempt that
/// awaited them: it is canceled, and its step can no longer be taken.
async fn a_new_attempt_cancels_the_one_awaiting_the_buyer(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "pay_supersede").await else {
        return;
    };
    let id = create(&app, beans(&app, 1)).await;
    let (status, _) = confirm(&app, &card(&id, "4000 0025 0000 3155")).await;
    assert_eq!(status, 200);
    let (status, body) = confirm(&app, &card(&id, "4000000000000002")).await;
    assert_eq!(status, 402, "{body}");
    let statuses: Vec<&str> = app
        .store
        .attempts_of_session(&id)
        .await
        .unwrap()
        .iter()
        .map(|a| a.status.as_str())
        .collect();
    assert_eq!(statuses, ["declined", "canceled"]);
    let (_, body) = authenticate(&app, &id, "complete").await;
    assert_eq!(
        body["Declined"]["message"],
        "There is nothing to authenticate: start the payment again."
    );
    assert_eq!(session(&app, &id).await.status.as_str(), "open");
    app.stop().await;
}
