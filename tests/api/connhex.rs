//! The Connhex Pay dialect, `POST /checkout/session` (seeds 001 and 002): every documented
//! field, default and limit, errors in Stripe's envelope, and sessions readable elsewhere.

use crate::app::TestApp;
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    a_session_is_answered_by_its_url_and_with_expand_by_itself,
    documented_fields_and_defaults_reach_the_session,
    limits_and_mistakes_are_named_in_stripes_envelope,
    a_connhex_session_is_paid_and_read_through_the_other_dialects,
);

async fn post(app: &TestApp, body: &Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/checkout/session"))
        .bearer_auth(&app.demo.secret_key)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn get(app: &TestApp, path: &str) -> Value {
    app.client
        .get(app.url(path))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The session id at the end of a hosted page's URL.
fn id_of(url: &Value) -> String {
    url.as_str().unwrap().rsplit('/').next().unwrap().to_owned()
}

fn beans(app: &TestApp, quantity: i64) -> Value {
    json!({ "price": app.price_id("espresso-beans"), "quantity": quantity })
}

async fn a_session_is_answered_by_its_url_and_with_expand_by_itself(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "connhex_url").await else {
        return;
    };
    let (status, body) = post(
        &app,
        &json!({
            "success_url": "https://shop.example/thanks",
            "mode": "payment",
            "line_items": [beans(&app, 2)],
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["url"], "only the url: {body}");
    let id = id_of(&body["url"]);
    assert!(id.starts_with("cs_test_"));
    assert_eq!(body["url"], app.url(&format!("/checkout/{id}")).as_str());

    let (status, body) = post(
        &app,
        &json!({
            "success_url": "https://shop.example/thanks",
            "mode": "payment",
            "line_items": [beans(&app, 1)],
            "expand": ["session"],
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let session = &body["session"];
    assert_eq!(session["object"], "checkout.session");
    assert_eq!(session["id"], id_of(&body["url"]).as_str());
    assert_eq!(session["status"], "open");
    assert_eq!(session["url"], body["url"]);
    app.stop().await;
}

async fn documented_fields_and_defaults_reach_the_session(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "connhex_fields").await else {
        return;
    };
    // Defaults: card only; an adjustable quantity from 0 to 99.
    let (status, body) = post(
        &app,
        &json!({
            "success_url": "https://shop.example/thanks",
            "mode": "payment",
            "line_items": [{ "price": app.price_id("espresso-beans"), "quantity": 2, "adjustable_quantity": { "enabled": true } }],
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let native = get(
        &app,
        &format!("/api/checkout-sessions/{}", id_of(&body["url"])),
    )
    .await;
    assert_eq!(native["payment_method_types"], json!(["card"]), "{native}");
    let adjustable = &native["line_items"][0]["adjustable"];
    assert_eq!(
        (
            adjustable["minimum"].as_i64(),
            adjustable["maximum"].as_i64()
        ),
        (Some(0), Some(99)),
        "{native}"
    );
    assert_eq!(native["allow_promotion_codes"], false);

    // Everything given.
    let customer: Value = app
        .client
        .post(app.url("/api/v1/customers"))
        .bearer_auth(&app.demo.secret_key)
        .json(&json!({ "customer": { "email": "grace@example.com", "name": "Grace", "externalId": "grace-1" } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let customer_id = customer["data"]["customer"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = post(
        &app,
        &json!({
            "allow_promotion_codes": true,
            "success_url": "https://shop.example/thanks",
            "cancel_url": "https://shop.example/cart",
            "currency": "usd",
            "customer": customer_id,
            "line_items": [
                { "price": app.price_id("coffee-club-monthly"), "quantity": 1 },
                { "price": app.price_id("espresso-beans"), "quantity": 3,
                  "adjustable_quantity": { "enabled": true, "minimum": 1, "maximum": 999999 } },
            ],
            "mode": "subscription",
            "payment_method_types": ["card", "paypal", "customer_balance"],
            "subscription_data": { "trial_period_days": 7 },
            "expand": ["session"],
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let native = get(
        &app,
        &format!("/api/checkout-sessions/{}", id_of(&body["url"])),
    )
    .await;
    assert_eq!(native["mode"], "subscription");
    assert_eq!(native["allow_promotion_codes"], true);
    assert_eq!(native["cancel_url"], "https://shop.example/cart");
    assert_eq!(native["customer_id"], customer_id.as_str(), "{native}");
    assert_eq!(native["trial_period_days"], 7);
    assert_eq!(
        native["payment_method_types"],
        json!(["card", "paypal", "customer_balance"])
    );
    let lines = native["line_items"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1]["quantity"], 3);
    assert_eq!(lines[1]["adjustable"]["maximum"], 999999);
    assert_eq!(body["session"]["currency"], "usd");
    app.stop().await;
}

async fn limits_and_mistakes_are_named_in_stripes_envelope(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "connhex_limits").await else {
        return;
    };
    let ok = json!({
        "success_url": "https://shop.example/thanks",
        "mode": "payment",
        "line_items": [beans(&app, 1)],
    });
    let with = |change: Value| {
        let mut body = ok.clone();
        for (k, v) in change.as_object().unwrap() {
            if v.is_null() {
                body.as_object_mut().unwrap().remove(k);
            } else {
                body[k] = v.clone();
            }
        }
        body
    };
    let monthly = app.price_id("coffee-club-monthly");
    let price = app.price_id("espresso-beans");
    let cases = [
        (
            with(json!({ "success_url": null })),
            "parameter_missing",
            "success_url",
        ),
        (
            with(json!({ "line_items": null })),
            "parameter_missing",
            "line_items",
        ),
        (with(json!({ "mode": null })), "parameter_missing", "mode"),
        (
            with(json!({ "mode": "setup" })),
            "parameter_invalid",
            "mode",
        ),
        (
            with(json!({ "mode": "donation" })),
            "parameter_invalid",
            "mode",
        ),
        (
            with(json!({ "success_url": "shop.example/thanks" })),
            "parameter_invalid",
            "success_url",
        ),
        (
            with(json!({ "cancel_url": "x".repeat(10) })),
            "parameter_invalid",
            "cancel_url",
        ),
        (
            with(json!({ "currency": "eur" })),
            "parameter_invalid",
            "currency",
        ),
        (
            with(json!({ "currency": "xyz" })),
            "parameter_invalid",
            "currency",
        ),
        (
            with(json!({ "customer": "cus_nope" })),
            "resource_missing",
            "customer",
        ),
        (
            with(json!({ "discounts": [{ "coupon": "a" }, { "coupon": "b" }] })),
            "parameter_invalid",
            "discounts",
        ),
        (
            with(json!({ "discounts": [{ "coupon": "coupon_nope" }] })),
            "resource_missing",
            "discounts",
        ),
        (
            with(json!({ "discounts": [{ "promotion_code": "SPRING" }] })),
            "parameter_unknown",
            "discounts[0][promotion_code]",
        ),
        (
            with(json!({ "payment_method_types": ["card", "link"] })),
            "parameter_invalid",
            "payment_method_types[1]",
        ),
        (
            with(json!({ "line_items": [beans(&app, 0)] })),
            "parameter_invalid",
            "line_items[0][quantity]",
        ),
        (
            with(json!({ "line_items": [{ "quantity": 1 }] })),
            "parameter_missing",
            "line_items[0][price]",
        ),
        (
            with(json!({ "line_items": [{ "price": "price_nope" }] })),
            "resource_missing",
            "line_items[0][price]",
        ),
        (
            with(
                json!({ "line_items": [{ "price": price, "adjustable_quantity": { "enabled": true, "maximum": 1_000_000 } }] }),
            ),
            "parameter_invalid",
            "line_items[0][adjustable_quantity][maximum]",
        ),
        (
            with(json!({ "line_items": [{ "price": price, "quantity": "two" }] })),
            "parameter_invalid",
            "line_items[0][quantity]",
        ),
        (
            with(json!({ "line_items": vec![beans(&app, 1); 101] })),
            "parameter_invalid",
            "line_items",
        ),
        (
            with(
                json!({ "mode": "subscription", "line_items": vec![json!({ "price": monthly }); 21] }),
            ),
            "parameter_invalid",
            "line_items",
        ),
        (
            with(
                json!({ "mode": "subscription", "line_items": [{ "price": monthly }], "subscription_data": { "trial_period_days": 0 } }),
            ),
            "parameter_invalid",
            "subscription_data[trial_period_days]",
        ),
        (
            with(json!({ "colour": "red" })),
            "parameter_unknown",
            "colour",
        ),
    ];
    for (body, code, param) in cases {
        let (status, answer) = post(&app, &body).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["error"]["type"], "invalid_request_error", "{answer}");
        assert_eq!(answer["error"]["code"], code, "{body} -> {answer}");
        assert_eq!(answer["error"]["param"], param, "{body} -> {answer}");
    }
    // The limits themselves are allowed.
    let (status, answer) = post(
        &app,
        &with(json!({ "line_items": vec![beans(&app, 1); 100] })),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        app.store
            .count_sessions(&app.demo.organization_id, false)
            .await
            .unwrap(),
        1,
        "nothing was made by the refused ones"
    );
    let response = app
        .client
        .post(app.url("/checkout/session"))
        .json(&ok)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    app.stop().await;
}

async fn a_connhex_session_is_paid_and_read_through_the_other_dialects(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "connhex_paid").await else {
        return;
    };
    let (_, body) = post(
        &app,
        &json!({
            "success_url": "https://shop.example/thanks",
            "mode": "payment",
            "line_items": [beans(&app, 2)],
        }),
    )
    .await;
    let id = id_of(&body["url"]);
    app.pay_by_card(&id).await;
    let stripe = get(&app, &format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(stripe["status"], "complete", "{stripe}");
    assert_eq!(stripe["payment_status"], "paid");
    let flowglad = get(&app, &format!("/api/v1/checkout-sessions/{id}")).await;
    assert_eq!(
        flowglad["checkoutSession"]["status"], "succeeded",
        "{flowglad}"
    );
    let native = get(&app, &format!("/api/checkout-sessions/{id}")).await;
    assert_eq!(native["status"], "succeeded");
    assert_eq!(native["amounts"]["total"], stripe["amount_total"]);
    app.stop().await;
}
