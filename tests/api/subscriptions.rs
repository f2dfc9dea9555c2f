//! What a subscription is sold with, it keeps: every recurring line of a checkout becomes one of
//! its items, read back through kassa's API and Stripe's. (Flowglad's subscription object has no
//! items; its customer billing read, which has them, is not built yet.)

use crate::app::TestApp;
use kassa::domain::catalog::{Recurring, RecurringInterval};
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(a_two_price_subscription_keeps_both_items_in_every_dialect);

async fn get(app: &TestApp, secret: &str, path: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

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
    let (_, session) = get(&app, &key, &format!("/api/checkout-sessions/{id}")).await;
    let subscription = session["subscription_id"].as_str().unwrap().to_owned();

    // kassa's own API: both recurring lines, in order, at what they were sold for.
    let (status, own) = get(&app, &key, &format!("/api/subscriptions/{subscription}")).await;
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
    let (status, stripe) = get(&app, &key, &format!("/v1/subscriptions/{subscription}")).await;
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
    let (status, missing) = get(&app, &other, &format!("/v1/subscriptions/{subscription}")).await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["code"], "resource_missing");
    let (status, _) = get(&app, &other, &format!("/api/subscriptions/{subscription}")).await;
    assert_eq!(status, 404);
    app.stop().await;
}
