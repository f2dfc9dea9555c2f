//! What a subscription is sold with, it keeps: every recurring line of a checkout becomes one of
//! its items, read back through kassa's API and Stripe's; and how it ends, now or at the end of
//! its period. (Flowglad's subscription object has no
//! items; its customer billing read, which has them, is not built yet.)

use crate::app::TestApp;
use kassa::domain::catalog::{Recurring, RecurringInterval};
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    a_two_price_subscription_keeps_both_items_in_every_dialect,
    a_subscription_ends_at_its_period_end_or_now,
);

async fn a_two_price_subscription_keeps_both_items_in_every_dialect(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "subscription_items").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let club = app.price_id("coffee-club-monthly");
    let monthly = Some(Recurring {
        interval: RecurringInterval::Month,
        interval_count: 1,
    });
    let grinder = app.add_price(false, "usd", 500, monthly).await;
    let id = app
        .create_session(&json!({
            "line_items": [
                { "price": club, "quantity": 2 },
                { "price": app.price_id("espresso-beans") },
                { "price": grinder },
            ],
        }))
        .await;
    app.pay_by_card(&id).await;
    let (_, session) = app
        .api_get(&key, &format!("/api/checkout-sessions/{id}"))
        .await;
    let subscription = session["subscription_id"].as_str().unwrap().to_owned();

    // kassa's own API: both recurring lines, in order, at what they were sold for.
    let (status, own) = app
        .api_get(&key, &format!("/api/subscriptions/{subscription}"))
        .await;
    assert_eq!(status, 200, "{own}");
    let items: Vec<(String, i64, i64)> = own["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["price"].as_str().unwrap().to_owned(),
                i["quantity"].as_i64().unwrap(),
                i["unit_amount"]["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(items, [(club.clone(), 2, 1500), (grinder.clone(), 1, 500)]);
    assert_eq!(
        (own["price"].as_str(), own["quantity"].as_i64()),
        (Some(club.as_str()), Some(2))
    );

    // Stripe's subscription, with its items.
    let (status, stripe) = app
        .api_get(&key, &format!("/v1/subscriptions/{subscription}"))
        .await;
    assert_eq!(status, 200, "{stripe}");
    assert_eq!(stripe["object"], "subscription");
    assert_eq!(stripe["status"], "active");
    let data = stripe["items"]["data"].as_array().unwrap();
    let stripe_items: Vec<(&Value, &Value, &Value)> = data
        .iter()
        .map(|i| {
            (
                &i["price"]["id"],
                &i["quantity"],
                &i["price"]["unit_amount"],
            )
        })
        .collect();
    assert_eq!(
        stripe_items,
        [
            (&json!(club), &json!(2), &json!(1500)),
            (&json!(grinder), &json!(1), &json!(500))
        ]
    );
    assert_eq!(data[0]["price"]["recurring"]["interval"], "month");
    assert_eq!(stripe["currency"], "usd");

    // The event that announced it named both.
    let created = app
        .store
        .events_of_object(&subscription)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.event_type == "subscription.created")
        .unwrap();
    let payload: Value = serde_json::from_str(&created.data).unwrap();
    assert_eq!(
        payload["items"].as_array().map(Vec::len),
        Some(2),
        "{payload}"
    );

    // Another organization's key finds nothing, in each dialect's words.
    let other = app.other_organization("items@example.com").await;
    let (status, missing) = app
        .api_get(&other, &format!("/v1/subscriptions/{subscription}"))
        .await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["code"], "resource_missing");
    let (status, _) = app
        .api_get(&other, &format!("/api/subscriptions/{subscription}"))
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}

/// `POST path` with the demo's key.
async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.api_post(&app.demo.secret_key, path, &body).await
}

/// A paid monthly subscription's id.
async fn monthly(app: &TestApp) -> String {
    let id = app
        .create_session(
            &json!({ "line_items": [{ "price": app.price_id("coffee-club-monthly") }] }),
        )
        .await;
    app.pay_by_card(&id).await;
    let session = app.store.session_by_id(&id).await.unwrap().unwrap();
    session
        .subscription_id
        .expect("a paid subscription session")
}

async fn events(app: &TestApp, id: &str) -> Vec<String> {
    app.store
        .events_of_object(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect()
}

/// Ending at the period's end keeps it running until then, can be called off, and then ends it
/// once the time comes (the worker's sweep, run here by hand), once.
async fn a_subscription_ends_at_its_period_end_or_now(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "subscription_cancel").await else {
        return;
    };
    let sub = monthly(&app).await;
    // Flowglad's shapes: timing is required and checked.
    let path = format!("/api/v1/subscriptions/{sub}/cancel");
    let (status, bad) = post(&app, &path, json!({ "cancellation": { "timing": "soon" } })).await;
    assert_eq!(status, 400, "{bad}");
    let (status, scheduled) = post(
        &app,
        &path,
        json!({ "cancellation": { "timing": "at_end_of_current_billing_period" } }),
    )
    .await;
    assert_eq!(status, 200, "{scheduled}");
    let s = &scheduled["subscription"];
    assert_eq!(s["status"], "cancellation_scheduled", "{scheduled}");
    assert_eq!(s["cancelScheduledAt"], s["currentBillingPeriodEnd"]);
    // kassa's API: it still runs, and the ending can be called off.
    let (_, own) = app
        .api_get(&app.demo.secret_key, &format!("/api/subscriptions/{sub}"))
        .await;
    assert_eq!(
        (own["status"].as_str(), &own["cancel_at"]),
        (Some("active"), &s["cancelScheduledAt"])
    );
    let (status, uncanceled) = post(
        &app,
        &format!("/api/subscriptions/{sub}/uncancel"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{uncanceled}");
    assert_eq!(uncanceled["cancel_at"], Value::Null);
    let (status, again) = post(
        &app,
        &format!("/api/subscriptions/{sub}/cancel"),
        json!({ "at_period_end": true }),
    )
    .await;
    assert_eq!(status, 200, "{again}");
    let end = again["current_period_end"].as_i64().unwrap();
    assert_eq!(again["cancel_at"], json!(end));

    // Not before its time; then once, however often the sweep runs.
    let sweep = kassa::service::subscriptions::cancel_due_subscriptions;
    assert_eq!(sweep(&app.store, end - 1, None).await.unwrap(), 0);
    assert_eq!(sweep(&app.store, end, None).await.unwrap(), 1);
    assert_eq!(sweep(&app.store, end + 1, None).await.unwrap(), 0);
    let (_, ended) = app
        .api_get(&app.demo.secret_key, &format!("/api/subscriptions/{sub}"))
        .await;
    assert_eq!(ended["status"], "canceled", "{ended}");
    assert_eq!(ended["canceled_at"], json!(end));
    assert_eq!(
        events(&app, &sub).await,
        [
            "subscription.created",
            "subscription.updated",
            "subscription.updated",
            "subscription.updated",
            "subscription.canceled"
        ]
    );
    // A canceled subscription stays so.
    let (status, refused) = post(
        &app,
        &format!("/api/v1/subscriptions/{sub}/uncancel"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409, "{refused}");

    // Another ends now, and only its own organization can end it.
    let now = monthly(&app).await;
    let other = app.other_organization("cancel@example.com").await;
    let (status, _) = app
        .api_post(
            &other,
            &format!("/api/subscriptions/{now}/cancel"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, ended) = post(
        &app,
        &format!("/api/v1/subscriptions/{now}/cancel"),
        json!({ "cancellation": { "timing": "immediately" } }),
    )
    .await;
    assert_eq!(status, 200, "{ended}");
    assert_eq!(ended["subscription"]["status"], "canceled");
    assert!(ended["subscription"]["canceledAt"].is_i64());
    let (status, twice) = post(&app, &format!("/api/subscriptions/{now}/cancel"), json!({})).await;
    assert_eq!(
        (status, twice["error"]["code"].as_str()),
        (409, Some("subscription_canceled"))
    );
    app.stop().await;
}
