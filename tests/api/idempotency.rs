//! `Idempotency-Key` on API POSTs: replays, conflicts, keys in flight, and what is not kept.

use crate::app::TestApp;
use kassa::api::idempotency::{KEEP_MS, fingerprint};
use kassa::store::{Engine, IdempotencyScope, IdempotencyStart};
use serde_json::{Value, json};

crate::on_both_engines!(
    a_retry_gets_the_first_answer_and_makes_nothing_twice,
    a_key_is_for_one_request_only,
    a_refused_request_keeps_nothing,
    a_key_in_flight_is_refused_and_a_dead_one_taken_over,
    keys_are_checked_and_belong_to_their_organization,
    every_dialect_honours_the_key,
    keys_are_forgotten_after_a_day,
);

fn beans(app: &TestApp) -> Value {
    json!({ "line_items": [{ "price": app.price_id("espresso-beans") }] })
}

async fn post(
    app: &TestApp,
    key: Option<&str>,
    path: &str,
    body: &Value,
) -> (u16, Option<String>, Value) {
    post_as(app, &app.demo.secret_key, key, path, body).await
}

async fn post_as(
    app: &TestApp,
    secret: &str,
    key: Option<&str>,
    path: &str,
    body: &Value,
) -> (u16, Option<String>, Value) {
    let mut request = app
        .client
        .post(app.url(path))
        .bearer_auth(secret)
        .json(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .map(|v| v.to_str().unwrap().to_owned());
    (
        status,
        replayed,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn a_retry_gets_the_first_answer_and_makes_nothing_twice(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_replay").await else {
        return;
    };
    let (status, replayed, first) = post(
        &app,
        Some("order-1"),
        "/api/checkout-sessions",
        &beans(&app),
    )
    .await;
    assert_eq!((status, replayed), (201, None), "{first}");
    for _ in 0..3 {
        let (status, replayed, again) = post(
            &app,
            Some("order-1"),
            "/api/checkout-sessions",
            &beans(&app),
        )
        .await;
        assert_eq!((status, replayed.as_deref()), (201, Some("true")));
        assert_eq!(again, first, "the same answer, to the byte");
    }
    // without a key, each POST is its own
    let (_, _, other) = post(&app, None, "/api/checkout-sessions", &beans(&app)).await;
    assert_ne!(other["id"], first["id"]);
    app.stop().await;
}

async fn a_key_is_for_one_request_only(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_mismatch").await else {
        return;
    };
    let (status, _, _) = post(
        &app,
        Some("order-2"),
        "/api/checkout-sessions",
        &beans(&app),
    )
    .await;
    assert_eq!(status, 201);
    let mut changed = beans(&app);
    changed["line_items"][0]["quantity"] = json!(2);
    let (status, _, body) = post(&app, Some("order-2"), "/api/checkout-sessions", &changed).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "idempotency_key_mismatch");
    // another path with the key is another request too
    let (status, _, body) = post(&app, Some("order-2"), "/api/subscriptions", &json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("idempotency_key_mismatch"))
    );
    app.stop().await;
}

async fn a_refused_request_keeps_nothing(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_refused").await else {
        return;
    };
    let (status, _, body) = post(
        &app,
        Some("order-3"),
        "/api/checkout-sessions",
        &json!({ "line_items": [] }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    // corrected, the same key goes through: the refusal was not kept
    let (status, replayed, body) = post(
        &app,
        Some("order-3"),
        "/api/checkout-sessions",
        &beans(&app),
    )
    .await;
    assert_eq!((status, replayed), (201, None), "{body}");
    app.stop().await;
}

async fn a_key_in_flight_is_refused_and_a_dead_one_taken_over(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_in_flight").await else {
        return;
    };
    let body = beans(&app);
    let bytes = serde_json::to_vec(&body).unwrap();
    let scope = IdempotencyScope {
        organization_id: &app.demo.organization_id,
        livemode: false,
        key: "order-4",
    };
    let print = fingerprint("POST", "/api/checkout-sessions", "", &bytes);
    let now = kassa::store::now_ms();
    // Another instance holds the key for the same request, for another minute.
    let held = app
        .store
        .begin_idempotent(scope, &print, now, 60_000, KEEP_MS)
        .await
        .unwrap();
    assert_eq!(held, IdempotencyStart::Started);
    let (status, _, answer) = post(&app, Some("order-4"), "/api/checkout-sessions", &body).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "idempotency_key_in_use");

    // That instance died: once its hold has passed, a retry takes the key over.
    let scope = IdempotencyScope {
        key: "order-5",
        ..scope
    };
    let held = app
        .store
        .begin_idempotent(scope, &print, now - 120_000, 60_000, KEEP_MS)
        .await
        .unwrap();
    assert_eq!(held, IdempotencyStart::Started);
    let (status, replayed, answer) =
        post(&app, Some("order-5"), "/api/checkout-sessions", &body).await;
    assert_eq!((status, replayed), (201, None), "{answer}");
    app.stop().await;
}

async fn keys_are_checked_and_belong_to_their_organization(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_scope").await else {
        return;
    };
    let long = "k".repeat(256);
    let (status, _, body) = post(&app, Some(&long), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("idempotency_key_invalid"))
    );
    let longest = "k".repeat(255);
    let (status, _, _) = post(&app, Some(&longest), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!(status, 201);

    // The same key from another organization is that organization's own.
    let (status, _, _) = post(&app, Some("shared"), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!(status, 201);
    let other = app.other_organization("idem@example.com").await;
    let (status, _, body) = post_as(
        &app,
        &other,
        Some("shared"),
        "/api/checkout-sessions",
        &json!({ "line_items": [] }),
    )
    .await;
    assert_eq!(status, 400, "its own request, checked on its own: {body}");
    // A request without a valid API key is refused as ever, and keeps nothing.
    let (status, _, _) = post_as(
        &app,
        "sk_test_nope",
        Some("shared"),
        "/api/checkout-sessions",
        &beans(&app),
    )
    .await;
    assert_eq!(status, 401);
    app.stop().await;
}

async fn every_dialect_honours_the_key(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_flowglad").await else {
        return;
    };
    let customer = json!({ "customer": { "email": "grace@example.com", "name": "Grace", "externalId": "grace-idem" } });
    let (status, _, first) = post(&app, Some("cust-1"), "/api/v1/customers", &customer).await;
    assert_eq!(status, 200, "{first}");
    // A retry is the first answer again, not a conflict on the external id.
    let (status, replayed, again) =
        post(&app, Some("cust-1"), "/api/v1/customers", &customer).await;
    assert_eq!((status, replayed.as_deref()), (200, Some("true")));
    assert_eq!(again, first);
    let (status, _, _) = post(&app, Some("cust-2"), "/api/v1/customers", &customer).await;
    assert_eq!(
        status, 409,
        "a new key is a new request: the external id is taken"
    );
    // A conflict did nothing, so it is not kept: the retry runs again (and meets it again).
    let (status, replayed, _) = post(&app, Some("cust-2"), "/api/v1/customers", &customer).await;
    assert_eq!((status, replayed), (409, None));
    // The key's own errors come in Flowglad's shape on Flowglad's routes.
    let other = json!({ "customer": { "email": "ada@example.com", "name": "Ada", "externalId": "ada-idem" } });
    let (status, _, mismatch) = post(&app, Some("cust-1"), "/api/v1/customers", &other).await;
    assert_eq!(status, 422, "{mismatch}");
    assert_eq!(mismatch["code"], "UNPROCESSABLE_CONTENT", "{mismatch}");
    assert!(
        mismatch["message"]
            .as_str()
            .unwrap()
            .contains("Idempotency-Key")
    );
    app.stop().await;
}

async fn keys_are_forgotten_after_a_day(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_forget").await else {
        return;
    };
    let scope = IdempotencyScope {
        organization_id: &app.demo.organization_id,
        livemode: false,
        key: "old",
    };
    let now = kassa::store::now_ms();
    let store = &app.store;
    assert_eq!(
        store
            .begin_idempotent(scope, "a", now, 60_000, KEEP_MS)
            .await
            .unwrap(),
        IdempotencyStart::Started
    );
    store
        .finish_idempotent(scope, 201, Some("application/json"), "{}")
        .await
        .unwrap();
    assert!(matches!(
        store
            .begin_idempotent(scope, "a", now + 1000, 60_000, KEEP_MS)
            .await
            .unwrap(),
        IdempotencyStart::Replay {
            status_code: 201,
            ..
        }
    ));
    // A day later the key is new again, for any request.
    let later = now + KEEP_MS + 1;
    assert_eq!(
        store
            .begin_idempotent(scope, "b", later, 60_000, KEEP_MS)
            .await
            .unwrap(),
        IdempotencyStart::Started
    );
    assert_eq!(
        store
            .delete_idempotency_keys_before(later + KEEP_MS + 1)
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}
