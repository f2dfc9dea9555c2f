//! Renewals under a test clock: a subscription renews each period, a declined renewal makes it
//! past due and is retried on schedule until it is canceled (or left unpaid, as the merchant
//! chose), every item is billed, trials end with a charge or a cancellation, and two instances
//! renew each period once. No test waits for days: each moves its organization's test clock.

use crate::app::TestApp;
use crate::webhooks::{Policy, Receiver, create_endpoint};
use kassa::domain::catalog::{Recurring, RecurringInterval};
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    a_monthly_subscription_renews_then_goes_past_due_and_is_canceled,
    a_two_price_subscription_renews_with_both_items,
    a_merchant_can_keep_subscriptions_unpaid_and_trials_end,
    the_test_clock_is_test_mode_only_and_moves_forward_only,
    two_instances_renew_each_period_once,
);

const DAY: i64 = 86_400;

/// The subscription through kassa's API.
async fn subscription(app: &TestApp, id: &str) -> Value {
    let (status, body) = app
        .api_get(&app.demo.secret_key, &format!("/api/subscriptions/{id}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The subscription's invoices, oldest first.
async fn invoices(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app
        .api_get(
            &app.demo.secret_key,
            &format!("/api/subscriptions/{id}/invoices"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// Moves the demo's test clock to `to` (unix seconds); the clock's answer.
async fn advance(app: &TestApp, to: i64) -> Value {
    let (status, body) = app
        .api_post(
            &app.demo.secret_key,
            "/api/test_clock/advance",
            &json!({ "frozen_time": to }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["frozen_time"], json!(to));
    body
}

/// The end of the subscription's current period, in milliseconds (as kassa's API gives times).
async fn period_end(app: &TestApp, id: &str) -> i64 {
    subscription(app, id).await["current_period_end"]
        .as_i64()
        .unwrap()
}

/// Unix seconds of a time in milliseconds.
fn secs(ms: i64) -> i64 {
    ms / 1000
}

/// A paid checkout of `line_items`; its subscription's id.
async fn subscribe(app: &TestApp, line_items: Value) -> String {
    app.subscribe(line_items).await.1
}

/// The subscription's events, oldest first, by type.
async fn events(app: &TestApp, id: &str) -> Vec<String> {
    app.store
        .events_of_object(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

async fn change_card(app: &TestApp, sub: &str, number: &str) {
    app.save_card_for(sub, number).await;
}

async fn a_monthly_subscription_renews_then_goes_past_due_and_is_canceled(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "renew_monthly").await else {
        return;
    };
    let receiver = Receiver::start(Policy::Accept).await;
    let types = [
        "invoice.paid",
        "invoice.payment_failed",
        "subscription.renewed",
        "subscription.past_due",
        "subscription.canceled",
    ];
    create_endpoint(&app, &receiver.url, &types).await;
    let club = app.price_id("coffee-club-monthly");
    let sub = subscribe(&app, json!([{ "price": club }])).await;

    // Three renewals, each a month later, each an invoice paid by a charge of the saved card.
    for renewal in 1..=3 {
        let ended = period_end(&app, &sub).await;
        // Not a second early.
        advance(&app, secs(ended) - 1).await;
        assert_eq!(invoices(&app, &sub).await.len(), renewal);
        advance(&app, secs(ended) + 60).await;
        let s = subscription(&app, &sub).await;
        assert_eq!(s["status"], "active", "{s}");
        assert_eq!(s["current_period_start"], json!(ended));
        let days = (s["current_period_end"].as_i64().unwrap() - ended) / (DAY * 1000);
        assert!((28..=31).contains(&days), "a month: {days} days");
        let all = invoices(&app, &sub).await;
        assert_eq!(all.len(), renewal + 1, "one invoice per period");
        let latest = all.last().unwrap();
        assert_eq!(
            (&latest["status"], &latest["total"], &latest["period_start"]),
            (&json!("paid"), &json!(1500), &json!(ended)),
            "{latest}"
        );
        assert_eq!(latest["lines"][0]["price"], json!(club));
    }
    // Numbered one after another under the customer's base, the checkout's first.
    let numbers: Vec<String> = invoices(&app, &sub)
        .await
        .iter()
        .map(|i| i["number"].as_str().unwrap().to_owned())
        .collect();
    let base = numbers[0]
        .strip_suffix("-0001")
        .expect("the first is -0001");
    assert!(!base.is_empty());
    let expected: Vec<String> = (1..=4).map(|n| format!("{base}-{n:04}")).collect();
    assert_eq!(numbers, expected);
    let payments = app
        .store
        .payments(
            &app.demo.organization_id,
            false,
            &kassa::store::PageRequest::first(100),
        )
        .await
        .unwrap()
        .items;
    let renewed: Vec<_> = payments
        .iter()
        .filter(|p| p.renewal_charge_id.is_some())
        .collect();
    assert_eq!(renewed.len(), 3, "three renewal payments");
    assert!(renewed.iter().all(|p| p.amount == 1500
        && p.subscription_id.as_deref() == Some(sub.as_str())
        && p.attempt_id.is_none()));

    // The buyer's new card saves, then declines every charge: the fourth renewal fails.
    change_card(&app, &sub, "4000000000000341").await;
    let ended = period_end(&app, &sub).await;
    advance(&app, secs(ended) + 60).await;
    let s = subscription(&app, &sub).await;
    assert_eq!(s["status"], "past_due", "{s}");
    assert_eq!(s["failed_charges"], 1);
    let retry = s["next_payment_attempt"].as_i64().unwrap();
    assert_eq!(retry, ended + 3 * DAY * 1000, "retried three days later");
    let open = invoices(&app, &sub).await.last().unwrap().clone();
    assert_eq!(open["status"], "open");

    // The first retry, on its day; then the rest at once: each in order, then the end.
    advance(&app, secs(retry) + 60).await;
    let s = subscription(&app, &sub).await;
    assert_eq!(
        (s["status"].as_str(), s["failed_charges"].as_i64()),
        (Some("past_due"), Some(2))
    );
    assert_eq!(
        s["next_payment_attempt"].as_i64().unwrap(),
        retry + 5 * DAY * 1000
    );
    advance(&app, secs(retry) + 20 * DAY).await;
    let s = subscription(&app, &sub).await;
    assert_eq!(s["status"], "canceled", "{s}");
    assert_eq!(s["failed_charges"], 4, "a first charge and three retries");
    let last = invoices(&app, &sub).await.last().unwrap().clone();
    assert_eq!(
        (&last["id"], &last["status"]),
        (&open["id"], &json!("uncollectible"))
    );
    let charges = app.store.renewal_charges_of(&sub).await.unwrap();
    let outcomes: Vec<&str> = charges.iter().map(|c| c.status.as_str()).collect();
    assert_eq!(
        outcomes,
        [
            "succeeded",
            "succeeded",
            "succeeded",
            "declined",
            "declined",
            "declined",
            "declined"
        ]
    );

    // Its events, in order, and the same sent to the merchant's endpoint.
    let renewal_events: Vec<String> = events(&app, &sub)
        .await
        .into_iter()
        .filter(|t| t != "subscription.updated")
        .collect();
    assert_eq!(
        renewal_events,
        [
            "subscription.created",
            "subscription.renewed",
            "subscription.renewed",
            "subscription.renewed",
            "subscription.past_due",
            "subscription.canceled",
        ]
    );
    let count = |got: &[crate::webhooks::Received], t: &str| {
        got.iter()
            .filter(|r| r.event_type == t && r.answered == 200)
            .count()
    };
    receiver
        .wait_until(30, "every renewal event delivered", |got| {
            count(got, "invoice.paid") == 3
                && count(got, "subscription.renewed") == 3
                && count(got, "invoice.payment_failed") == 4
                && count(got, "subscription.past_due") == 1
                && count(got, "subscription.canceled") == 1
        })
        .await;
    let failed: Vec<Value> = receiver
        .received()
        .iter()
        .filter(|r| r.event_type == "invoice.payment_failed")
        .map(|r| serde_json::from_slice::<Value>(&r.body).unwrap())
        .collect();
    let mut attempts: Vec<(i64, Value)> = failed
        .iter()
        .map(|e| {
            let invoice = &e["data"]["object"];
            (
                invoice["attempt_count"].as_i64().unwrap(),
                invoice["next_payment_attempt"].clone(),
            )
        })
        .collect();
    // Deliveries run side by side: they may arrive in any order.
    attempts.sort_by_key(|(count, _)| *count);
    assert_eq!(
        attempts,
        [
            (1, json!(secs(ended) + 3 * DAY)),
            (2, json!(secs(ended) + 8 * DAY)),
            (3, json!(secs(ended) + 15 * DAY)),
            (4, Value::Null),
        ],
        "{failed:?}"
    );
    app.stop().await;
}

async fn a_two_price_subscription_renews_with_both_items(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "renew_two_prices").await else {
        return;
    };
    let club = app.price_id("coffee-club-monthly");
    let monthly = Some(Recurring {
        interval: RecurringInterval::Month,
        interval_count: 1,
    });
    let grinder = app.add_price(false, "usd", 500, monthly).await;
    let sub = subscribe(
        &app,
        json!([{ "price": club, "quantity": 2 }, { "price": grinder }]),
    )
    .await;
    let ended = period_end(&app, &sub).await;
    advance(&app, secs(ended) + 60).await;
    let all = invoices(&app, &sub).await;
    assert_eq!(all.len(), 2);
    let renewal = &all[1];
    let lines: Vec<(String, i64, i64)> = renewal["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["price"].as_str().unwrap().to_owned(),
                l["quantity"].as_i64().unwrap(),
                l["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [(club, 2, 3000), (grinder, 1, 500)]);
    assert_eq!(
        (&renewal["total"], &renewal["status"]),
        (&json!(3500), &json!("paid"))
    );
    let charges = app.store.renewal_charges_of(&sub).await.unwrap();
    assert_eq!(
        charges
            .iter()
            .map(|c| (c.amount, c.status.as_str()))
            .collect::<Vec<_>>(),
        [(3500, "succeeded")]
    );
    // Flowglad's invoice shows the renewal's lines, in Flowglad's shape.
    let path = format!("/api/v1/invoices/{}", renewal["id"].as_str().unwrap());
    let (status, flowglad) = app.api_get(&app.demo.secret_key, &path).await;
    assert_eq!(status, 200, "{flowglad}");
    crate::flowglad_spec::assert_conforms("get", "/api/v1/invoices/{id}", 200, &flowglad);
    let items: Vec<(i64, i64)> = flowglad["invoiceLineItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["quantity"].as_i64().unwrap(),
                l["price"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(items, [(2, 1500), (1, 500)]);
    app.stop().await;
}

async fn a_merchant_can_keep_subscriptions_unpaid_and_trials_end(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "renew_unpaid_trials").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let (status, bad) = app
        .api_post(
            &key,
            "/api/organization",
            &json!({ "renewal_failure_action": "forgive" }),
        )
        .await;
    assert_eq!(
        (status, &bad["error"]["param"]),
        (400, &json!("renewal_failure_action")),
        "{bad}"
    );
    let (status, org) = app
        .api_post(
            &key,
            "/api/organization",
            &json!({ "renewal_failure_action": "unpaid" }),
        )
        .await;
    assert_eq!(
        (status, &org["renewal_failure_action"]),
        (200, &json!("unpaid")),
        "{org}"
    );

    // Every retry fails: kept, unpaid, charged no more.
    let club = app.price_id("coffee-club-monthly");
    let sub = subscribe(&app, json!([{ "price": club }])).await;
    change_card(&app, &sub, "4000000000000341").await;
    let ended = secs(period_end(&app, &sub).await);
    advance(&app, ended + 20 * DAY).await;
    let s = subscription(&app, &sub).await;
    assert_eq!(
        (s["status"].as_str(), s["failed_charges"].as_i64()),
        (Some("unpaid"), Some(4))
    );
    assert_eq!(s["next_payment_attempt"], Value::Null);
    advance(&app, ended + 40 * DAY).await;
    assert_eq!(app.store.renewal_charges_of(&sub).await.unwrap().len(), 4);
    assert_eq!(invoices(&app, &sub).await.last().unwrap()["status"], "open");

    // A trial with a card ends with the first charge.
    let session = app
        .create_session(&json!({ "line_items": [{ "price": club }], "trial_period_days": 7 }))
        .await;
    app.pay_by_card(&session).await;
    let trial = app
        .store
        .session_by_id(&session)
        .await
        .unwrap()
        .unwrap()
        .subscription_id
        .unwrap();
    let s = subscription(&app, &trial).await;
    assert_eq!(s["status"], "trialing", "{s}");
    let trial_end = s["trial_end"].as_i64().unwrap();
    let clock = app.api_get(&key, "/api/test_clock").await.1["frozen_time"]
        .as_i64()
        .unwrap();
    assert!(
        secs(trial_end) > clock,
        "the trial started at the clock's time"
    );
    advance(&app, secs(trial_end) + 60).await;
    let s = subscription(&app, &trial).await;
    assert_eq!(s["status"], "active", "{s}");
    assert_eq!(s["current_period_start"], json!(trial_end));
    let paid = invoices(&app, &trial).await;
    assert_eq!(
        paid.iter()
            .map(|i| (
                i["total"].as_i64().unwrap(),
                i["status"].as_str().unwrap().to_owned()
            ))
            .collect::<Vec<_>>(),
        [(0, "paid".to_owned()), (1500, "paid".to_owned())]
    );

    // A trial without a payment method is canceled when it ends.
    let customer = app.customer("no-card").await;
    let bare = app
        .monthly_subscription(&app.demo.organization_id, &customer, "trialing")
        .await;
    let clock = app.api_get(&key, "/api/test_clock").await.1["frozen_time"]
        .as_i64()
        .unwrap();
    let ends = (clock + DAY) * 1000;
    app.execute_sql(&format!(
        "UPDATE subscriptions SET current_period_start = {}, current_period_end = {ends}, \
         trial_end = {ends} WHERE id = '{bare}'",
        clock * 1000
    ))
    .await;
    advance(&app, clock + 2 * DAY).await;
    let s = subscription(&app, &bare).await;
    assert_eq!(s["status"], "canceled", "{s}");
    assert_eq!(s["canceled_at"], json!(ends));
    assert_eq!(events(&app, &bare).await, ["subscription.canceled"]);
    assert!(invoices(&app, &bare).await.is_empty(), "nothing billed");
    app.stop().await;
}

async fn the_test_clock_is_test_mode_only_and_moves_forward_only(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "renew_clock_rules").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let (status, clock) = app.api_get(&key, "/api/test_clock").await;
    assert_eq!(status, 200, "{clock}");
    let now = clock["frozen_time"].as_i64().unwrap();
    for (body, why) in [
        (json!({ "frozen_time": now - 10 }), "back"),
        (json!({ "frozen_time": now + 3 * 366 * DAY }), "too far"),
        (json!({ "frozen_time": "tomorrow" }), "not a time"),
        (json!({}), "missing"),
    ] {
        let (status, refused) = app.api_post(&key, "/api/test_clock/advance", &body).await;
        assert_eq!(status, 400, "{why}: {refused}");
        assert_eq!(refused["error"]["param"], "frozen_time", "{why}: {refused}");
    }
    advance(&app, now + DAY).await;
    let (_, moved) = app.api_get(&key, "/api/test_clock").await;
    let at = moved["frozen_time"].as_i64().unwrap();
    assert!((now + DAY..now + DAY + 30).contains(&at), "{moved}");

    // A live-mode key has no clock: live money never follows a test clock.
    let (_, live) = kassa::service::api_keys::create(
        &app.store,
        &app.demo.organization_id,
        kassa::domain::Mode::Live,
        "live",
    )
    .await
    .unwrap();
    let live = live.expose().to_owned();
    let (status, refused) = app.api_get(&live, "/api/test_clock").await;
    assert_eq!(status, 409, "{refused}");
    let (status, _) = app
        .api_post(
            &live,
            "/api/test_clock/advance",
            &json!({ "frozen_time": now + 2 * DAY }),
        )
        .await;
    assert_eq!(status, 409);
    app.stop().await;
}

/// Two instances (each with its renewal worker) and four more workers run by hand, all at once
/// on the same due subscriptions: each period is invoiced and charged once.
async fn two_instances_renew_each_period_once(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "renew_two_instances").await else {
        return;
    };
    let club = app.price_id("coffee-club-monthly");
    let mut subs = Vec::new();
    for _ in 0..6 {
        subs.push(subscribe(&app, json!([{ "price": club }])).await);
    }
    let other = app.another_instance().await;
    let mut ends = Vec::new();
    for sub in &subs {
        ends.push(period_end(&app, sub).await);
    }
    // The clock moved behind the workers' backs: they all find the work at once.
    let offset = ends.iter().max().unwrap() + 60_000 - kassa::store::now_ms();
    app.store
        .advance_test_clock(&app.demo.organization_id, offset)
        .await
        .unwrap();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let (store, processors) = (app.store.clone(), app.processors.clone());
            tokio::spawn(async move {
                kassa::service::renewals::renew_due(
                    &store,
                    &processors,
                    kassa::store::now_ms(),
                    None,
                )
                .await
                .unwrap()
            })
        })
        .collect();
    for run in runs {
        run.await.unwrap();
    }
    crate::webhooks::eventually(30, async || {
        for (sub, ended) in subs.iter().zip(&ends) {
            let s = subscription(&app, sub).await;
            if s["status"] != "active" || s["current_period_start"] != json!(ended) {
                return Err(format!("not renewed yet: {s}"));
            }
        }
        Ok(())
    })
    .await;
    for sub in &subs {
        assert_eq!(invoices(&app, sub).await.len(), 2, "one renewal invoice");
        let charges = app.store.renewal_charges_of(sub).await.unwrap();
        assert_eq!(charges.len(), 1, "one charge");
        assert_eq!(
            events(&app, sub)
                .await
                .iter()
                .filter(|t| *t == "subscription.renewed")
                .count(),
            1
        );
    }
    other.stop().await;
    app.stop().await;
}
