//! Webhooks end to end, against a receiver written here: endpoints in Flowglad's shape, signed
//! deliveries, retries on schedule, attempts recorded, failing endpoints turned off, and no event
//! lost or sent twice at once when instances share the work or one is killed mid-delivery.

use crate::app::TestApp;
use crate::flowglad_spec::assert_conforms;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use kassa::store::Engine;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

crate::on_both_engines!(
    endpoints_are_made_read_and_changed_in_flowglads_shape,
    bad_endpoints_are_refused_naming_the_field,
    deliveries_are_signed_and_filtered,
    a_failing_receiver_gets_every_event_on_schedule,
    an_endpoint_failing_for_days_is_turned_off,
    a_killed_kassa_loses_no_delivery,
    two_instances_deliver_each_event_once_per_attempt_and_sweep_once,
    ended_deliveries_are_forgotten_after_their_time_and_pending_ones_kept,
    endpoints_inside_the_network_are_refused_and_never_called,
    endpoints_are_capped_per_organization_and_mode,
    signing_secrets_are_kept_sealed,
);

/// What the receiver does with a request.
#[derive(Clone, Copy)]
pub(crate) enum Policy {
    /// 200 to everything.
    Accept,
    /// 500 to the first `n` requests for each event, then 200.
    FailFirst(usize),
    /// 503 to everything.
    Refuse,
    /// Never answers the very first request; 200 to the rest.
    HangFirst,
}

#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) event_id: String,
    pub(crate) event_type: String,
    pub(crate) body: Vec<u8>,
    pub(crate) signature: String,
    /// What the receiver answered (0: it never did).
    pub(crate) answered: u16,
}

pub(crate) struct Receiver {
    pub(crate) url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

#[derive(Clone)]
struct ReceiverState {
    got: Arc<Mutex<Vec<Received>>>,
    policy: Policy,
}

async fn receive(
    State(state): State<ReceiverState>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let event_id = event["id"].as_str().unwrap_or_default().to_owned();
    let (answer, hang) = {
        let got = state.got.lock().unwrap();
        let before = got.iter().filter(|r| r.event_id == event_id).count();
        match state.policy {
            Policy::Accept => (200, false),
            Policy::FailFirst(n) => (if before < n { 500 } else { 200 }, false),
            Policy::Refuse => (503, false),
            Policy::HangFirst => (if got.is_empty() { 0 } else { 200 }, got.is_empty()),
        }
    };
    state.got.lock().unwrap().push(Received {
        event_id,
        event_type: event["type"].as_str().unwrap_or_default().to_owned(),
        body: body.to_vec(),
        signature: headers
            .get("kassa-signature")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        answered: answer,
    });
    if hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    StatusCode::from_u16(answer.max(200)).unwrap()
}

impl Receiver {
    pub(crate) async fn start(policy: Policy) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let router = axum::Router::new()
            .route("/hooks", axum::routing::post(receive))
            .with_state(ReceiverState {
                got: got.clone(),
                policy,
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver { url, got }
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what was received (panics after `secs`).
    pub(crate) async fn wait_until(
        &self,
        secs: u64,
        what: &str,
        done: impl Fn(&[Received]) -> bool,
    ) {
        eventually(secs, async || {
            let got = self.received();
            if done(&got) {
                return Ok(());
            }
            let seen: Vec<_> = got.iter().map(|r| (&r.event_type, r.answered)).collect();
            Err(format!("{what}; received {seen:?}"))
        })
        .await
    }

    /// Event ids the receiver accepted (answered 2xx).
    fn accepted(&self) -> BTreeSet<String> {
        self.received()
            .into_iter()
            .filter(|r| r.answered == 200)
            .map(|r| r.event_id)
            .collect()
    }
}

/// Asks `check` every 100 ms until it answers `Ok`; after `secs`, fails with its last answer.
pub(crate) async fn eventually<T>(
    secs: u64,
    mut check: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match check().await {
            Ok(done) => return done,
            Err(why) if tokio::time::Instant::now() >= deadline => {
                panic!("still not so after {secs} s: {why}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

async fn call(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    call_as(app, &app.demo.secret_key, method, path, body).await
}

async fn call_as(
    app: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = match method {
        "GET" => app.client.get(app.url(path)),
        "PUT" => app.client.put(app.url(path)),
        _ => app.client.post(app.url(path)),
    };
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.bearer_auth(key).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Makes an endpoint through the Flowglad API: (id, secret).
pub(crate) async fn create_endpoint(app: &TestApp, url: &str, types: &[&str]) -> (String, String) {
    let (status, body) = call(
        app,
        "POST",
        "/api/v1/webhooks",
        Some(json!({ "webhook": { "url": url, "name": "Orders", "filterTypes": types } })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["webhook"]["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// Pays a fresh one-time checkout; returns the ids of the events it caused.
async fn paid_checkout_events(app: &TestApp) -> BTreeSet<String> {
    let session = app
        .create_session(&json!({ "line_items": [{ "price": app.price_id("espresso-beans") }] }))
        .await;
    app.pay_by_card(&session).await;
    let (_, events) = call(app, "GET", "/api/events?limit=100", None).await;
    let mut ids = BTreeSet::new();
    for event in events["data"].as_array().unwrap() {
        let object = &event["data"]["object"];
        let about_session = object["id"] == session.as_str()
            || object["checkout_session_id"] == session.as_str()
            || object["checkout_session"] == session.as_str();
        if about_session || event["type"] == "customer.created" {
            ids.insert(event["id"].as_str().unwrap().to_owned());
        }
    }
    assert!(
        ids.len() >= 4,
        "a paid checkout tells several events: {events}"
    );
    ids
}

/// Each delivery of `endpoint` with its attempts' status codes (0: no answer), by event id.
async fn attempts_by_event(app: &TestApp, endpoint: &str) -> BTreeMap<String, Vec<i32>> {
    let deliveries = app.store.webhook_deliveries(endpoint, 1000).await.unwrap();
    let attempts = app.store.webhook_attempts(endpoint, 0).await.unwrap();
    deliveries
        .iter()
        .map(|d| {
            let codes = attempts
                .iter()
                .filter(|a| a.delivery_id == d.id)
                .map(|a| a.status_code.unwrap_or(0))
                .collect();
            (d.event_id.clone(), codes)
        })
        .collect()
}

async fn endpoints_are_made_read_and_changed_in_flowglads_shape(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "webhooks_crud").await else {
        return;
    };
    let (status, created) = call(
        &app,
        "POST",
        "/api/v1/webhooks",
        Some(json!({ "webhook": {
            "url": "https://shop.example/hooks",
            "name": "Orders",
            "filterTypes": ["payment.succeeded", "customer.created"],
        } })),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let secret = created["secret"].as_str().unwrap();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 30,
        "{secret}"
    );
    assert_eq!(
        created["webhook"]["secret"], secret,
        "also as webhook.secret"
    );
    let mut as_flowglad = created.clone();
    as_flowglad["webhook"]
        .as_object_mut()
        .unwrap()
        .remove("secret");
    assert_conforms("post", "/api/v1/webhooks", 200, &as_flowglad);
    let webhook = &created["webhook"];
    assert!(webhook["id"].as_str().unwrap().starts_with("we_"));
    assert_eq!(webhook["active"], true);
    assert_eq!(webhook["livemode"], false);
    assert_eq!(webhook["organizationId"], app.demo.organization_id.as_str());
    assert!(
        webhook["pricingModelId"]
            .as_str()
            .unwrap()
            .starts_with("pricing_model_")
    );
    let id = webhook["id"].as_str().unwrap();

    // Read back: the same webhook, and never its secret.
    let path = format!("/api/v1/webhooks/{id}");
    let (status, read) = call(&app, "GET", &path, None).await;
    assert_eq!(status, 200, "{read}");
    assert_conforms("get", "/api/v1/webhooks/{id}", 200, &read);
    assert_eq!(read["webhook"], as_flowglad["webhook"]);
    assert!(!read.to_string().contains(secret));

    // Change the address, the filter (kassa's own types too) and turn it off.
    let (status, updated) = call(
        &app,
        "PUT",
        &path,
        Some(json!({ "webhook": {
            "id": id,
            "url": "https://shop.example/v2/hooks",
            "filterTypes": ["checkout.session.completed", "*"],
            "active": false,
        } })),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["webhook"]["url"], "https://shop.example/v2/hooks");
    assert_eq!(
        updated["webhook"]["filterTypes"],
        json!(["checkout.session.completed", "*"])
    );
    assert_eq!(updated["webhook"]["active"], false);
    assert_eq!(updated["webhook"]["name"], "Orders", "kept when not sent");
    let (_, read) = call(&app, "GET", &path, None).await;
    assert_eq!(read["webhook"], updated["webhook"]);

    // Another organization does not see it; an unknown id is a 404 in Flowglad's shape.
    let other = app.other_organization("webhooks-other@example.com").await;
    let (status, body) = call_as(&app, &other, "GET", &path, None).await;
    assert_eq!(status, 404, "{body}");
    assert_conforms("get", "/api/v1/webhooks/{id}", 404, &body);
    let (status, _) = call_as(
        &app,
        &other,
        "PUT",
        &path,
        Some(json!({ "webhook": { "active": true } })),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, "GET", "/api/v1/webhooks/we_nope", None).await;
    assert_eq!(status, 404);
    app.stop().await;
}

async fn bad_endpoints_are_refused_naming_the_field(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "webhooks_bad").await else {
        return;
    };
    let cases = [
        (json!({}), "webhook"),
        (
            json!({ "webhook": { "filterTypes": ["*"] } }),
            "webhook.url",
        ),
        (
            json!({ "webhook": { "url": "/hooks", "filterTypes": ["*"] } }),
            "webhook.url",
        ),
        (
            json!({ "webhook": { "url": "ftp://shop.example", "filterTypes": ["*"] } }),
            "webhook.url",
        ),
        (
            json!({ "webhook": { "url": "https://shop.example" } }),
            "webhook.filterTypes",
        ),
        (
            json!({ "webhook": { "url": "https://shop.example", "filterTypes": ["charge.succeeded"] } }),
            "webhook.filterTypes",
        ),
        (
            json!({ "webhook": { "url": "https://shop.example", "filterTypes": ["*"], "pricingModelId": "pricing_model_nope" } }),
            "webhook.pricingModelId",
        ),
        (
            json!({ "webhook": { "url": "https://shop.example", "filterTypes": "*" } }),
            "webhook.filterTypes",
        ),
    ];
    for (body, field) in cases {
        let (status, answer) = call(&app, "POST", "/api/v1/webhooks", Some(body.clone())).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_conforms("post", "/api/v1/webhooks", 400, &answer);
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.starts_with(field),
            "{body}: {message} should name {field}"
        );
    }
    // Nothing was made by any of them.
    let (id, _) = create_endpoint(&app, "https://shop.example/hooks", &["*"]).await;
    let endpoints = app
        .store
        .webhook_endpoints(
            &app.demo.organization_id,
            false,
            &kassa::store::PageRequest::first(100),
        )
        .await
        .unwrap();
    assert_eq!(endpoints.items.len(), 1);

    // An update is checked whole, and its body's id must be the path's.
    let path = format!("/api/v1/webhooks/{id}");
    let (status, answer) = call(
        &app,
        "PUT",
        &path,
        Some(json!({ "webhook": { "filterTypes": [] } })),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("webhook.filterTypes")
    );
    let (status, answer) = call(
        &app,
        "PUT",
        &path,
        Some(json!({ "webhook": { "id": "we_other", "active": false } })),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("webhook.id")
    );
    let (_, read) = call(&app, "GET", &path, None).await;
    assert_eq!(read["webhook"]["filterTypes"], json!(["*"]));
    assert_eq!(read["webhook"]["active"], true);
    app.stop().await;
}

/// What a merchant's receiver does: HMAC-SHA256 of "<t>.<body>" under the secret, in hex.
fn verifies(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = Some(value.to_owned()),
            Some(("v1", value)) => v1 = Some(value.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let age = kassa::store::now_ms() / 1000 - t.parse::<i64>().unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    (0..300).contains(&age) && mac.verify_slice(&hex::decode(v1).unwrap()).is_ok()
}

async fn deliveries_are_signed_and_filtered(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "webhooks_signed").await else {
        return;
    };
    let everything = Receiver::start(Policy::Accept).await;
    let payments = Receiver::start(Policy::Accept).await;
    let (_, secret) = create_endpoint(&app, &everything.url, &["*"]).await;
    let (_, payments_secret) = create_endpoint(&app, &payments.url, &["payment.succeeded"]).await;
    let events = paid_checkout_events(&app).await;

    everything
        .wait_until(15, "every event", |got| got.len() >= events.len())
        .await;
    payments
        .wait_until(15, "the payment event", |got| !got.is_empty())
        .await;
    let got = everything.received();
    let ids: BTreeSet<String> = got.iter().map(|r| r.event_id.clone()).collect();
    assert_eq!(ids, events);
    for r in &got {
        assert!(verifies(&secret, &r.signature, &r.body), "{r:?}");
        assert!(!verifies(&payments_secret, &r.signature, &r.body));
        assert!(kassa::service::webhooks::verify_signature(
            &secret,
            &r.signature,
            &r.body,
            kassa::store::now_ms() / 1000,
            300
        ));
        // The body is the event as the API shows it.
        let (status, shown) = call(&app, "GET", &format!("/api/events/{}", r.event_id), None).await;
        assert_eq!(status, 200);
        let sent: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(sent, shown);
    }
    let tampered = format!("{}x", String::from_utf8_lossy(&got[0].body));
    assert!(!verifies(&secret, &got[0].signature, tampered.as_bytes()));

    // The filtered endpoint heard only of the payment.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let types: Vec<String> = payments
        .received()
        .into_iter()
        .map(|r| r.event_type)
        .collect();
    assert_eq!(types, ["payment.succeeded"]);
    app.stop().await;
}

async fn a_failing_receiver_gets_every_event_on_schedule(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "webhooks_retry").await else {
        return;
    };
    let receiver = Receiver::start(Policy::FailFirst(2)).await;
    let (endpoint, _) = create_endpoint(&app, &receiver.url, &["*"]).await;
    let events = paid_checkout_events(&app).await;

    // The first retry comes by itself within seconds.
    receiver
        .wait_until(20, "two attempts at every event", |got| {
            events
                .iter()
                .all(|id| got.iter().filter(|r| &r.event_id == id).count() >= 2)
        })
        .await;
    // The second is due about 20 s after the second failure (±20 %); bring it forward. (kassa
    // records an attempt once the receiver has answered it: wait for the record.)
    let deliveries = eventually(10, async || {
        let deliveries = app.store.webhook_deliveries(&endpoint, 100).await.unwrap();
        let recorded = deliveries.iter().all(|d| d.attempts == 2);
        recorded
            .then_some(deliveries.clone())
            .ok_or(format!("{deliveries:?}"))
    })
    .await;
    let attempts = app.store.webhook_attempts(&endpoint, 0).await.unwrap();
    for d in &deliveries {
        assert_eq!(d.status, "pending");
        assert_eq!(d.attempts, 2);
        let last = attempts
            .iter()
            .filter(|a| a.delivery_id == d.id)
            .map(|a| a.attempted_at)
            .max()
            .unwrap();
        let wait = d.next_attempt_at.unwrap() - last;
        assert!(
            (16_000..=24_000).contains(&wait),
            "second retry after {wait} ms"
        );
        assert!(
            app.store
                .resend_webhook_delivery(
                    &app.demo.organization_id,
                    false,
                    &d.id,
                    kassa::store::now_ms()
                )
                .await
                .unwrap()
        );
    }
    receiver
        .wait_until(15, "every event accepted", |_| {
            receiver.accepted() == events
        })
        .await;
    let attempts = eventually(10, async || {
        let attempts = attempts_by_event(&app, &endpoint).await;
        let done = attempts.values().all(|codes| codes == &[500, 500, 200]);
        done.then_some(attempts.clone())
            .ok_or(format!("{attempts:?}"))
    })
    .await;
    assert_eq!(attempts.keys().cloned().collect::<BTreeSet<_>>(), events);
    for d in app.store.webhook_deliveries(&endpoint, 100).await.unwrap() {
        assert_eq!((d.status.as_str(), d.next_attempt_at), ("delivered", None));
    }
    let (_, webhook) = call(&app, "GET", &format!("/api/v1/webhooks/{endpoint}"), None).await;
    assert_eq!(webhook["webhook"]["active"], true);
    app.stop().await;
}

async fn an_endpoint_failing_for_days_is_turned_off(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "webhooks_disable").await else {
        return;
    };
    let receiver = Receiver::start(Policy::Refuse).await;
    let (endpoint, _) = create_endpoint(&app, &receiver.url, &["*"]).await;
    let first = paid_checkout_events(&app).await;
    receiver
        .wait_until(15, "a first attempt at each event", |got| {
            got.len() >= first.len()
        })
        .await;
    let (_, webhook) = call(&app, "GET", &format!("/api/v1/webhooks/{endpoint}"), None).await;
    assert_eq!(
        webhook["webhook"]["active"], true,
        "failing for seconds is not for days"
    );

    // The endpoint has been failing for three days and a minute when the next attempt fails.
    let since = kassa::store::now_ms() - (3 * 24 * 60 + 1) * 60_000;
    app.execute_sql(&format!(
        "UPDATE webhook_endpoints SET failing_since = {since} WHERE id = '{endpoint}'"
    ))
    .await;
    receiver
        .wait_until(20, "a retry", |got| got.len() > first.len())
        .await;
    // The endpoint is turned off by the first failed retry: the others due after it wait.
    eventually(10, async || {
        let (_, webhook) = call(&app, "GET", &format!("/api/v1/webhooks/{endpoint}"), None).await;
        (webhook["webhook"]["active"] == false)
            .then_some(())
            .ok_or(format!("{webhook}"))
    })
    .await;
    let disabled = app
        .store
        .disabled_webhook_endpoints(&app.demo.organization_id, false)
        .await
        .unwrap();
    assert_eq!(disabled.len(), 1);

    // Off: no new deliveries, and pending ones wait.
    let heard = receiver.received().len();
    paid_checkout_events(&app).await;
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(receiver.received().len(), heard);

    // Turned on again, it is no longer failing and the waiting retries resume.
    let (status, webhook) = call(
        &app,
        "PUT",
        &format!("/api/v1/webhooks/{endpoint}"),
        Some(json!({ "webhook": { "active": true } })),
    )
    .await;
    assert_eq!(status, 200, "{webhook}");
    assert_eq!(webhook["webhook"]["active"], true);
    assert!(
        app.store
            .disabled_webhook_endpoints(&app.demo.organization_id, false)
            .await
            .unwrap()
            .is_empty()
    );
    receiver
        .wait_until(15, "the waiting retries", |got| got.len() > heard)
        .await;
    app.stop().await;
}

async fn two_instances_deliver_each_event_once_per_attempt_and_sweep_once(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "webhooks_two").await else {
        return;
    };
    if engine == Engine::Sqlite {
        // Several instances is a PostgreSQL deployment; one SQLite file has one kassa.
        app.stop().await;
        return;
    }
    let second = app.another_instance().await;
    let receiver = Receiver::start(Policy::FailFirst(1)).await;
    let (endpoint, _) = create_endpoint(&app, &receiver.url, &["*"]).await;
    // Enough events at once that both instances' batches take part.
    let mut events = BTreeSet::new();
    for _ in 0..10 {
        events.extend(paid_checkout_events(&app).await);
    }
    assert!(events.len() > kassa::service::webhooks::BATCH as usize);
    receiver
        .wait_until(40, "every event accepted", |_| {
            receiver.accepted() == events
        })
        .await;
    // Let any stray duplicate arrive before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let got = receiver.received();
    for id in &events {
        let answers: Vec<u16> = got
            .iter()
            .filter(|r| &r.event_id == id)
            .map(|r| r.answered)
            .collect();
        assert_eq!(answers, [500, 200], "event {id}");
    }
    // Each attempt is recorded once the receiver has answered it.
    eventually(10, async || {
        let attempts = attempts_by_event(&app, &endpoint).await;
        let recorded =
            attempts.len() == events.len() && attempts.values().all(|codes| codes == &[500, 200]);
        recorded.then_some(()).ok_or(format!("{attempts:?}"))
    })
    .await;

    // Both instances sweep: a dozen sessions past their time are each expired, and told, once.
    let mut sessions = Vec::new();
    for _ in 0..12 {
        sessions.push(
            app.create_session(
                &json!({ "line_items": [{ "price": app.price_id("espresso-beans") }] }),
            )
            .await,
        );
    }
    let listed = sessions
        .iter()
        .map(|id| format!("'{id}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let past = kassa::store::now_ms() - 1000;
    app.execute_sql(&format!(
        "UPDATE checkout_sessions SET expires_at = {past} WHERE id IN ({listed})"
    ))
    .await;
    for id in &sessions {
        eventually(20, async || {
            let told = app.store.events_of_object(id).await.unwrap();
            (!told.is_empty())
                .then_some(())
                .ok_or(format!("{id} was not expired"))
        })
        .await;
    }
    // Both instances sweep again meanwhile: nothing is expired, or told, twice.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for id in &sessions {
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
    second.stop().await;
    app.stop().await;
}

async fn a_killed_kassa_loses_no_delivery(engine: Engine) {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let Some(app) = TestApp::spawn(engine, "webhooks_killed").await else {
        return;
    };
    let receiver = Receiver::start(Policy::HangFirst).await;
    let (endpoint, _) = create_endpoint(&app, &receiver.url, &["*"]).await;
    // The in-test kassa stops; a kassa process of its own takes over the database.
    let database_url = app.database_url().to_owned();
    let start = || {
        let mut child = Killed(
            Command::new(env!("CARGO_BIN_EXE_kassa"))
                .arg("serve")
                .env_clear()
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .env("KASSA_DATABASE_URL", &database_url)
                .env("KASSA_ADDR", "127.0.0.1:0")
                .env("KASSA_WEBHOOK_TIMEOUT", "1")
                .env("KASSA_WEBHOOKS_TO_PRIVATE_ADDRESSES", "true")
                // The endpoint's signing secret is sealed with the tests' key.
                .env("KASSA_ENCRYPTION_KEY", crate::app::ENCRYPTION_KEY)
                .env("KASSA_LOG", "info")
                .env("KASSA_LOG_FORMAT", "json")
                .env(
                    "KASSA_SITE_ROOT",
                    std::env::temp_dir().join("kassa-tests-no-site"),
                )
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let stderr = child.0.stderr.take().unwrap();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let event: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
                if event["message"] == "kassa is serving" {
                    let _ = addr_tx.send(event["addr"].as_str().unwrap().to_owned());
                }
            }
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("kassa serves");
        (child, format!("http://{addr}"))
    };
    let key = app.demo.secret_key.clone();
    let price = app.price_id("espresso-beans");
    let client = app.client.clone();
    let (demo, kept) = app.stop_keeping_database().await;
    let store = kept.store().await;

    let (mut first, base) = start();
    let body = json!({ "line_items": [{ "price": price }] });
    let session = crate::app::create_session_at(&client, &base, &key, &body).await;
    crate::app::pay_by_card_at(&client, &base, &session).await;

    // The first delivery reaches the receiver, which does not answer; kassa dies meanwhile.
    receiver
        .wait_until(15, "a first request", |got| !got.is_empty())
        .await;
    first.kill();

    let events: BTreeSet<String> = store
        .events(
            &demo.organization_id,
            false,
            &kassa::store::PageRequest::first(100),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.id)
        .collect();
    let (mut second, _) = start();
    receiver
        .wait_until(30, "every event accepted after the restart", |_| {
            receiver.accepted() == events
        })
        .await;
    let deliveries = eventually(10, async || {
        let deliveries = store.webhook_deliveries(&endpoint, 100).await.unwrap();
        let done = deliveries.iter().all(|d| d.status == "delivered");
        done.then_some(deliveries.len())
            .ok_or(format!("{deliveries:?}"))
    })
    .await;
    assert_eq!(deliveries, events.len());
    second.kill();
    store.close().await;
    kept.drop_db().await;
}

/// A kassa process, SIGKILLed when the test is done with it, or fails before.
struct Killed(std::process::Child);

impl Killed {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn ended_deliveries_are_forgotten_after_their_time_and_pending_ones_kept(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "webhooks_retention").await else {
        return;
    };
    let receiver = Receiver::start(Policy::Accept).await;
    let (heard, _) = create_endpoint(&app, &receiver.url, &["*"]).await;
    // Port 9 (discard) answers nobody here: its deliveries stay pending.
    let (unheard, _) = create_endpoint(&app, "http://127.0.0.1:9/hooks", &["*"]).await;
    let events = paid_checkout_events(&app).await;
    eventually(15, async || {
        let attempts = attempts_by_event(&app, &heard).await;
        let done = attempts.len() == events.len() && attempts.values().all(|c| c == &[200]);
        done.then_some(()).ok_or(format!("{attempts:?}"))
    })
    .await;
    let now = kassa::store::now_ms();
    // Nothing is old enough yet.
    let kept = now - kassa::service::webhooks::KEEP_FINISHED_MS;
    assert_eq!(
        app.store
            .delete_finished_webhook_deliveries_before(kept)
            .await
            .unwrap(),
        0
    );
    // Thirty days on: the delivered ones and their attempts go, the pending ones stay.
    let gone = app
        .store
        .delete_finished_webhook_deliveries_before(now + 1)
        .await
        .unwrap();
    assert_eq!(gone, events.len() as u64);
    assert!(
        app.store
            .webhook_deliveries(&heard, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.store
            .webhook_attempts(&heard, 0)
            .await
            .unwrap()
            .is_empty()
    );
    let pending = app.store.webhook_deliveries(&unheard, 100).await.unwrap();
    assert_eq!(pending.len(), events.len());
    assert!(pending.iter().all(|d| d.status == "pending"));
    app.stop().await;
}

async fn endpoints_inside_the_network_are_refused_and_never_called(engine: Engine) {
    let Some(app) = TestApp::spawn_with(
        engine,
        "webhooks_inside",
        crate::app::Options {
            public_webhooks_only: true,
            ..Default::default()
        },
    )
    .await
    else {
        return;
    };
    let receiver = Receiver::start(Policy::Accept).await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // Saving an address inside the network is refused, naming the url.
    for url in [
        receiver.url.clone(),
        format!("http://localhost:{port}/hooks"),
        format!("http://[::1]:{port}/hooks"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "http://10.0.0.7/hooks".to_owned(),
        "http://2130706433/hooks".to_owned(),
    ] {
        let body = json!({ "webhook": { "url": url, "filterTypes": ["*"] } });
        let (status, answer) = call(&app, "POST", "/api/v1/webhooks", Some(body)).await;
        assert_eq!(status, 400, "{url} -> {answer}");
        assert_conforms("post", "/api/v1/webhooks", 400, &answer);
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.starts_with("webhook.url") && message.contains("public internet"),
            "{url}: {message}"
        );
        let (id, _) = create_endpoint(&app, "https://hooks.shop.example/kassa", &["*"]).await;
        let (status, answer) = call(
            &app,
            "PUT",
            &format!("/api/v1/webhooks/{id}"),
            Some(json!({ "webhook": { "url": url } })),
        )
        .await;
        assert_eq!(status, 400, "an update to {url} -> {answer}");
        app.execute_sql(&format!("DELETE FROM webhook_endpoints WHERE id = '{id}'"))
            .await;
    }
    // Endpoints that point inside all the same (a name that resolves inside now, as DNS
    // rebinding makes one; an address saved while the operator allowed it) are never called:
    // each attempt is recorded as not sent, with why.
    let mut endpoints = Vec::new();
    for url in [
        format!("http://localhost:{port}/hooks"),
        receiver.url.clone(),
    ] {
        let (id, _) = create_endpoint(&app, "https://hooks.shop.example/kassa", &["*"]).await;
        app.execute_sql(&format!(
            "UPDATE webhook_endpoints SET url = '{url}' WHERE id = '{id}'"
        ))
        .await;
        endpoints.push(id);
    }
    let events = paid_checkout_events(&app).await;
    for endpoint in &endpoints {
        eventually(20, async || {
            let attempts = app.store.webhook_attempts(endpoint, 0).await.unwrap();
            if attempts.len() >= events.len() {
                Ok(attempts)
            } else {
                Err(format!("{} attempts", attempts.len()))
            }
        })
        .await
        .iter()
        .for_each(|attempt| {
            assert_eq!(attempt.status_code, None);
            assert!(
                attempt.response.starts_with("not sent: ")
                    && attempt.response.contains("public internet"),
                "{}",
                attempt.response
            );
        });
    }
    assert!(receiver.received().is_empty(), "the receiver was called");
    app.stop().await;
}

async fn endpoints_are_capped_per_organization_and_mode(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "webhooks_cap").await else {
        return;
    };
    let cap = kassa::service::webhooks::MAX_ENDPOINTS;
    for n in 0..cap {
        create_endpoint(&app, &format!("https://shop.example/hooks/{n}"), &["*"]).await;
    }
    let body =
        json!({ "webhook": { "url": "https://shop.example/one-more", "filterTypes": ["*"] } });
    let (status, answer) = call(&app, "POST", "/api/v1/webhooks", Some(body.clone())).await;
    assert_eq!(status, 409, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains(&format!("at most {cap}")),
        "{answer}"
    );
    // Another organization has its own.
    let other = app.other_organization("webhooks-cap@example.com").await;
    let (status, answer) = call_as(&app, &other, "POST", "/api/v1/webhooks", Some(body)).await;
    assert_eq!(status, 200, "{answer}");
    app.stop().await;
}

/// With the operator's key (every test kassa has one) a signing secret is kept sealed: the row
/// holds neither it nor anything it could be read from, deliveries are signed with it all the
/// same, and a secret left in clear from before is sealed when kassa starts.
async fn signing_secrets_are_kept_sealed(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "webhooks_sealed").await else {
        return;
    };
    let receiver = Receiver::start(Policy::Accept).await;
    let (id, secret) = create_endpoint(&app, &receiver.url, &["*"]).await;
    let kept = |app: &TestApp, id: String| {
        let store = app.store.clone();
        let organization = app.demo.organization_id.clone();
        async move {
            store
                .webhook_endpoint(&organization, false, &id)
                .await
                .unwrap()
                .unwrap()
                .secret
        }
    };
    let row = kept(&app, id.clone()).await;
    assert!(row.starts_with("sealed:"), "{row}");
    assert!(!row.contains(&secret[6..]), "{row}");
    // Signed with the secret the merchant was shown.
    let events = paid_checkout_events(&app).await;
    receiver
        .wait_until(20, "every event", |got| got.len() >= events.len())
        .await;
    for got in receiver.received() {
        let (t, v1) = got.signature.split_once(",v1=").unwrap();
        let t = t.trim_start_matches("t=");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(&got.body);
        assert_eq!(hex::encode(mac.finalize().into_bytes()), v1);
    }
    // A secret in clear (kept before kassa had a key) is sealed by the next kassa to start.
    app.execute_sql(&format!(
        "UPDATE webhook_endpoints SET secret = 'whsec_cleartext' WHERE id = '{id}'"
    ))
    .await;
    let second = app.another_instance().await;
    let row = kept(&app, id.clone()).await;
    assert!(
        row.starts_with("sealed:") && !row.contains("cleartext"),
        "{row}"
    );
    second.stop().await;
    app.stop().await;
}
