//! `GET /api/events`: what checkouts did, newest first, in the shape webhooks will send.

use crate::app::TestApp;
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    a_paid_checkout_is_told_in_events,
    events_are_paged_and_bad_parameters_named,
    expiring_is_told_once,
    events_are_the_organizations_and_modes_own,
    a_customer_made_through_the_api_is_told,
    sessions_past_their_time_are_expired_once_by_concurrent_sweeps,
    a_session_is_not_expired_under_a_payment_in_flight,
);

async fn create_session(app: &TestApp) -> String {
    app.create_session(&json!({ "line_items": [{ "price": app.price_id("espresso-beans") }] }))
        .await
}

/// Expires a session through the API with the demo key: status and body.
async fn expire(app: &TestApp, id: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(&format!("/api/checkout-sessions/{id}/expire")))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn types(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_paid_checkout_is_told_in_events(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "events_paid").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let id = create_session(&app).await;
    app.pay_by_card(&id).await;

    let (status, list) = app.api_get(&key, "/api/events?limit=100").await;
    assert_eq!(status, 200, "{list}");
    // newest first; all four written by the one transaction that finalized the checkout
    let mut told = types(&list);
    told.sort();
    assert_eq!(
        told,
        [
            "checkout.session.completed",
            "customer.created",
            "payment.succeeded",
            "purchase.completed"
        ]
    );
    let completed = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "checkout.session.completed")
        .unwrap();
    assert_eq!(completed["object"], "event");
    assert_eq!(completed["livemode"], false);
    assert!(completed["id"].as_str().unwrap().starts_with("evt_"));
    let object = &completed["data"]["object"];
    assert_eq!(
        (object["id"].as_str(), object["status"].as_str()),
        (Some(id.as_str()), Some("succeeded"))
    );
    assert_eq!(object["amount_total"], 2400);
    assert!(object["customer"].as_str().unwrap().starts_with("cus_"));
    let created = completed["created"].as_i64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now - created).abs() < 60,
        "created is in unix seconds: {created}"
    );

    // one event by its id
    let event_id = completed["id"].as_str().unwrap();
    let (status, one) = app.api_get(&key, &format!("/api/events/{event_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(&one, completed);
    // a card's number and security code are in no event
    assert!(
        !list.to_string().contains("4242424242424242") && !list.to_string().contains("\"123\"")
    );
    app.stop().await;
}

async fn events_are_paged_and_bad_parameters_named(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "events_pages").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    for _ in 0..2 {
        let id = create_session(&app).await;
        app.pay_by_card(&id).await;
    }
    let (_, all) = app.api_get(&key, "/api/events?limit=100").await;
    let all_ids: Vec<Value> = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(all_ids.len(), 8);
    assert_eq!(all["has_more"], false);

    let mut seen = Vec::new();
    let mut path = "/api/events?limit=3".to_owned();
    loop {
        let (status, page) = app.api_get(&key, &path).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["id"].clone()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/events?limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, all_ids, "pages cover the list once, in order");

    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("cursor=nope", "cursor"),
    ] {
        let (status, body) = app.api_get(&key, &format!("/api/events?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["param"], param, "{body}");
    }
    app.stop().await;
}

async fn expiring_is_told_once(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "events_expire").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let id = create_session(&app).await;
    for expected in [200, 409] {
        assert_eq!(expire(&app, &id).await.0, expected);
    }
    let (_, list) = app.api_get(&key, "/api/events").await;
    assert_eq!(types(&list), ["checkout.session.expired"]);
    assert_eq!(list["data"][0]["data"]["object"]["id"], id.as_str());
    app.stop().await;
}

async fn events_are_the_organizations_and_modes_own(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "events_isolation").await else {
        return;
    };
    let id = create_session(&app).await;
    app.pay_by_card(&id).await;
    let (_, list) = app.api_get(&app.demo.secret_key, "/api/events").await;
    let event_id = list["data"][0]["id"].as_str().unwrap().to_owned();

    // another organization's key, and the demo organization's own live key, see none of them
    let other = app.other_organization("other-events@example.com").await;
    let (_, live) = kassa::service::api_keys::create(
        &app.store,
        &app.demo.organization_id,
        kassa::domain::Mode::Live,
        "live",
    )
    .await
    .unwrap();
    for key in [other.as_str(), live.expose()] {
        let (status, list) = app.api_get(key, "/api/events").await;
        assert_eq!(status, 200);
        assert_eq!(list["data"].as_array().unwrap().len(), 0, "{list}");
        let (status, _) = app.api_get(key, &format!("/api/events/{event_id}")).await;
        assert_eq!(status, 404);
    }
    let response = app.client.get(app.url("/api/events")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 401, "a key is required");
    app.stop().await;
}

async fn a_customer_made_through_the_api_is_told(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "events_customer").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let customer = json!({ "customer": { "email": "grace@example.com", "name": "Grace", "externalId": "grace-1" } });
    for expected in [200, 409] {
        let response = app
            .client
            .post(app.url("/api/v1/customers"))
            .bearer_auth(&key)
            .json(&customer)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), expected);
    }
    let (_, list) = app.api_get(&key, "/api/events").await;
    assert_eq!(
        types(&list),
        ["customer.created"],
        "the refused duplicate told nothing"
    );
    let object = &list["data"][0]["data"]["object"];
    assert_eq!(
        (object["email"].as_str(), object["external_id"].as_str()),
        (Some("grace@example.com"), Some("grace-1"))
    );
    app.stop().await;
}

async fn sessions_past_their_time_are_expired_once_by_concurrent_sweeps(engine: Engine) {
    use kassa::service::checkout::sweep_expired;
    let Some(app) = TestApp::spawn(engine, "events_sweep").await else {
        return;
    };
    let mut ids = Vec::new();
    for _ in 0..12 {
        ids.push(create_session(&app).await);
    }
    // Nothing is due yet.
    let now = kassa::store::now_ms();
    assert_eq!(sweep_expired(&app.store, now).await.unwrap(), 0);

    // A month later, two sweeps at once (two instances on one database) share the work.
    let later = now + 31 * 86_400_000;
    let (a, b) = tokio::join!(
        sweep_expired(&app.store, later),
        sweep_expired(&app.store, later)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 12);
    for id in &ids {
        let session = app.store.session_by_id(id).await.unwrap().unwrap();
        assert_eq!(session.status.as_str(), "expired");
        let told: Vec<String> = app
            .store
            .events_of_object(id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event_type)
            .collect();
        assert_eq!(told, ["checkout.session.expired"], "{id}");
    }
    assert_eq!(
        sweep_expired(&app.store, later).await.unwrap(),
        0,
        "nothing twice"
    );
    app.stop().await;
}

async fn a_session_is_not_expired_under_a_payment_in_flight(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "events_expire_held").await else {
        return;
    };
    let id = create_session(&app).await;
    // A payment holds the session (as confirm does while the processor charges); its claim
    // outlasts the session's own time here, to show the sweep too waits for it.
    let now = kassa::store::now_ms();
    let lease = 32 * 86_400_000;
    assert!(
        app.store
            .claim_session(&id, "att_in_flight", now, lease)
            .await
            .unwrap()
    );
    let (status, body) = expire(&app, &id).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "payment_in_progress", "{body}");
    // nor does a sweep past its time close it under the charge
    let later = now + 31 * 86_400_000;
    assert_eq!(
        kassa::service::checkout::sweep_expired(&app.store, later)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        app.store
            .session_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str(),
        "open"
    );

    app.store
        .release_session(&id, "att_in_flight")
        .await
        .unwrap();
    let (status, body) = expire(&app, &id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "expired");
    app.stop().await;
}
