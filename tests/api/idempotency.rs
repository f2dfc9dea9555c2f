//! `Idempotency-Key` on API POSTs: replays, conflicts, keys in flight, and what is not kept.

use crate::app::{Options, TestApp};
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
    a_create_whose_answer_was_not_kept_is_answered_with_what_it_made,
    a_create_stopped_between_its_effect_and_its_answer_makes_one_session,
    a_request_whose_key_was_taken_over_writes_nothing,
    a_request_slower_than_its_hold_keeps_its_key,
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
    assert!(matches!(held, IdempotencyStart::Started(_)), "{held:?}");
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
    assert!(matches!(held, IdempotencyStart::Started(_)), "{held:?}");
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
    let IdempotencyStart::Started(claim) = store
        .begin_idempotent(scope, "a", now, 60_000, KEEP_MS)
        .await
        .unwrap()
    else {
        panic!("a new key is the request's");
    };
    assert!(
        store
            .finish_idempotent(&claim, 201, Some("application/json"), "{}")
            .await
            .unwrap()
    );
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
    assert!(matches!(
        store
            .begin_idempotent(scope, "b", later, 60_000, KEEP_MS)
            .await
            .unwrap(),
        IdempotencyStart::Started(_)
    ));
    // A key whose request still holds it is not deleted however old; once let go, it is.
    let day_after = later + KEEP_MS + 1;
    assert_eq!(
        store
            .delete_idempotency_keys_before(day_after, later + 30_000)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .delete_idempotency_keys_before(day_after, day_after)
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}

async fn count_sessions(app: &TestApp) -> i64 {
    app.store
        .count_sessions(&app.demo.organization_id, false)
        .await
        .unwrap()
}

/// Every write about a key but naming what its request created fails, as if the request's
/// process had stopped right after the transaction that created it: the trigger `name` refuses
/// them until dropped.
async fn refuse_key_writes(app: &TestApp, name: &str, when: &str) {
    match app.store.engine() {
        Engine::Sqlite => {
            for event in ["UPDATE", "DELETE"] {
                let row = if event == "UPDATE" { "NEW" } else { "OLD" };
                let when = when.replace("ROW", row);
                app.execute_sql(&format!(
                    "CREATE TRIGGER {name}_{event} BEFORE {event} ON idempotency_keys \
                     WHEN {when} BEGIN SELECT RAISE(ABORT, 'injected: {name}'); END"
                ))
                .await;
            }
        }
        Engine::Postgres => {
            app.execute_sql(&format!(
                "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS \
                 $$ BEGIN RAISE EXCEPTION 'injected: {name}'; END $$"
            ))
            .await;
            for event in ["UPDATE", "DELETE"] {
                let row = if event == "UPDATE" { "NEW" } else { "OLD" };
                let when = when.replace("ROW", row);
                app.execute_sql(&format!(
                    "CREATE TRIGGER {name}_{event} BEFORE {event} ON idempotency_keys \
                     FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION {name}()"
                ))
                .await;
            }
        }
    }
}

async fn allow_key_writes(app: &TestApp, name: &str) {
    for event in ["UPDATE", "DELETE"] {
        let on = match app.store.engine() {
            Engine::Sqlite => String::new(),
            Engine::Postgres => " ON idempotency_keys".into(),
        };
        app.execute_sql(&format!("DROP TRIGGER {name}_{event}{on}"))
            .await;
    }
}

/// The session is created and its answer sent, but keeping the answer fails: a retry is
/// answered with the session the first request made, and makes no other.
async fn a_create_whose_answer_was_not_kept_is_answered_with_what_it_made(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_answer_lost").await else {
        return;
    };
    let before = count_sessions(&app).await;
    refuse_key_writes(&app, "lose_answers", "ROW.status_code IS NOT NULL").await;
    let (status, _, first) =
        post(&app, Some("lost-1"), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(count_sessions(&app).await, before + 1);
    for _ in 0..2 {
        let (status, replayed, again) =
            post(&app, Some("lost-1"), "/api/checkout-sessions", &beans(&app)).await;
        assert_eq!(
            (status, replayed.as_deref()),
            (201, Some("true")),
            "{again}"
        );
        assert_eq!(again["id"], first["id"], "the session the key made");
    }
    allow_key_writes(&app, "lose_answers").await;
    // Kept now: the next retry is a plain replay.
    let (status, _, again) =
        post(&app, Some("lost-1"), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!((status, &again["id"]), (201, &first["id"]));
    let (_, replayed, kept) =
        post(&app, Some("lost-1"), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!((replayed.as_deref(), &kept), (Some("true"), &again));
    assert_eq!(
        count_sessions(&app).await,
        before + 1,
        "one session for one key"
    );
    app.stop().await;
}

/// The request stops right after the transaction that created its session: nothing more about
/// its key is written (no answer, no release). Its retries wait while its hold lasts, then are
/// answered with that session; no second one is made.
async fn a_create_stopped_between_its_effect_and_its_answer_makes_one_session(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_stopped").await else {
        return;
    };
    let before = count_sessions(&app).await;
    let named = match engine {
        Engine::Sqlite => "ROW.effect_id IS OLD.effect_id",
        Engine::Postgres => "ROW.effect_id IS NOT DISTINCT FROM OLD.effect_id",
    };
    // Deletes too: `OLD.effect_id IS OLD.effect_id` holds for every row.
    refuse_key_writes(&app, "stopped", named).await;
    let (status, _, first) =
        post(&app, Some("stop-1"), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(count_sessions(&app).await, before + 1);
    allow_key_writes(&app, "stopped").await;
    // The key is still held by the stopped request: a retry is told to wait, and runs nothing.
    let (status, _, busy) =
        post(&app, Some("stop-1"), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!(
        (status, busy["error"]["code"].as_str()),
        (409, Some("idempotency_key_in_use")),
        "{busy}"
    );
    // Its hold runs out.
    app.execute_sql("UPDATE idempotency_keys SET locked_until = 0")
        .await;
    let (status, replayed, again) =
        post(&app, Some("stop-1"), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!(
        (status, replayed.as_deref()),
        (201, Some("true")),
        "{again}"
    );
    assert_eq!(again["id"], first["id"]);
    assert_eq!(
        count_sessions(&app).await,
        before + 1,
        "one session for one key"
    );
    app.stop().await;
}

/// A request whose hold ran out and whose key a retry took over can no longer record anything
/// under it: its session is not written and its answer not kept; the retry's are.
async fn a_request_whose_key_was_taken_over_writes_nothing(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "idem_taken_over").await else {
        return;
    };
    let store = &app.store;
    let principal = kassa::service::api_keys::authenticate(store, &app.demo.secret_key)
        .await
        .unwrap();
    let scope = IdempotencyScope {
        organization_id: &app.demo.organization_id,
        livemode: false,
        key: "taken",
    };
    let now = kassa::store::now_ms();
    let IdempotencyStart::Started(first) = store
        .begin_idempotent(scope, "a", now, 60_000, KEEP_MS)
        .await
        .unwrap()
    else {
        panic!("a new key is the request's");
    };
    // Renewed while it runs, the hold outlasts its first minute.
    assert!(store.hold_idempotent(&first, now + 120_000).await.unwrap());
    assert_eq!(
        store
            .begin_idempotent(scope, "a", now + 61_000, 60_000, KEEP_MS)
            .await
            .unwrap(),
        IdempotencyStart::InFlight
    );
    // Not renewed again, it runs out, and a retry takes the key over.
    let IdempotencyStart::Started(retry) = store
        .begin_idempotent(scope, "a", now + 121_000, 60_000, KEEP_MS)
        .await
        .unwrap()
    else {
        panic!("a key whose hold ran out is taken over");
    };
    assert_eq!(retry.effect_id, None, "the first request named nothing");
    let draft = |app: &TestApp| {
        let mut draft = kassa::domain::session::draft::SessionDraft::new(
            kassa::domain::session::SessionKind::Purchase,
        );
        draft
            .line_items
            .push(kassa::domain::session::draft::LineItemDraft {
                price: kassa::domain::session::draft::PriceRef::Id(app.price_id("espresso-beans")),
                quantity: None,
                adjustable: None,
            });
        draft
    };
    let before = count_sessions(&app).await;
    let lost =
        kassa::service::checkout::create_session(store, &principal, draft(&app), now, Some(&first))
            .await
            .unwrap_err();
    assert!(lost.to_string().contains("took it over"), "{lost}");
    assert_eq!(count_sessions(&app).await, before, "nothing written");
    assert!(!store.hold_idempotent(&first, now + 200_000).await.unwrap());
    assert!(
        !store
            .finish_idempotent(&first, 201, None, "{\"from\":\"first\"}")
            .await
            .unwrap()
    );
    let made =
        kassa::service::checkout::create_session(store, &principal, draft(&app), now, Some(&retry))
            .await
            .unwrap();
    assert!(
        store
            .finish_idempotent(&retry, 201, None, "{}")
            .await
            .unwrap()
    );
    assert_eq!(count_sessions(&app).await, before + 1);
    // And a later retry is the taker's answer.
    assert_eq!(
        store
            .begin_idempotent(scope, "a", now + 122_000, 60_000, KEEP_MS)
            .await
            .unwrap(),
        IdempotencyStart::Replay {
            status_code: 201,
            content_type: None,
            body: "{}".into()
        }
    );
    assert!(made.id.starts_with("cs_test_"), "{}", made.id);
    app.stop().await;
}

/// A request that runs longer than its hold renews it: a retry meanwhile is told to wait, not
/// given the key, and then gets the first request's answer. PostgreSQL only: the slow write is a
/// trigger that sleeps, and SQLite (one writer, which the sleeping write would hold) has no sleep.
async fn a_request_slower_than_its_hold_keeps_its_key(engine: Engine) {
    if engine == Engine::Sqlite {
        return;
    }
    let options = Options {
        idempotency_hold: Some(1),
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(engine, "idem_slow", options).await else {
        return;
    };
    app.execute_sql(
        "CREATE FUNCTION slow_sessions() RETURNS trigger LANGUAGE plpgsql AS \
         $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$",
    )
    .await;
    app.execute_sql(
        "CREATE TRIGGER slow_sessions BEFORE INSERT ON checkout_sessions \
         FOR EACH ROW EXECUTE FUNCTION slow_sessions()",
    )
    .await;
    let before = count_sessions(&app).await;
    let first = {
        let (client, url, secret, body) = (
            app.client.clone(),
            app.url("/api/checkout-sessions"),
            app.demo.secret_key.clone(),
            beans(&app),
        );
        tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(secret)
                .header("Idempotency-Key", "slow-1")
                .json(&body)
                .send()
                .await
                .unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        })
    };
    // Twice the hold later, the first request is still writing.
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    let (status, _, busy) =
        post(&app, Some("slow-1"), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!(
        (status, busy["error"]["code"].as_str()),
        (409, Some("idempotency_key_in_use")),
        "{busy}"
    );
    let (status, made) = first.await.unwrap();
    assert_eq!(status, 201, "{made}");
    app.execute_sql("DROP TRIGGER slow_sessions ON checkout_sessions")
        .await;
    let (status, replayed, again) =
        post(&app, Some("slow-1"), "/api/checkout-sessions", &beans(&app)).await;
    assert_eq!((status, replayed.as_deref()), (201, Some("true")));
    assert_eq!(again, made);
    assert_eq!(count_sessions(&app).await, before + 1);
    app.stop().await;
}
