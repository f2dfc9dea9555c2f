//! The Stripe dialect, `/v1/checkout/sessions`, as Stripe's SDKs call it: bracketed forms in,
//! `checkout.session` objects and Stripe's error envelope out.

use crate::app::TestApp;
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    a_session_is_created_from_a_bracketed_form_in_stripes_shape,
    mistakes_are_stripe_errors_naming_the_param,
    sessions_are_retrieved_listed_and_paged_both_ways,
    an_open_session_expires_once,
    line_items_show_each_price,
    a_stripe_session_is_paid_on_the_hosted_page_and_read_in_other_dialects,
    sessions_of_the_other_dialects_read_as_stripe_sessions,
    an_idempotent_create_is_replayed,
    the_client_reference_id_is_kept_and_bounded,
    a_paid_sessions_payment_intent_is_refunded_in_stripes_shape,
    a_malformed_list_query_is_answered_in_the_dialects_shape,
);

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    form: &[(&str, &str)],
    key: Option<&str>,
) -> (u16, Value) {
    let request = match method {
        "GET" => app.client.get(app.url(path)).query(form),
        _ => app.client.post(app.url(path)).form(form),
    };
    let request = match key {
        Some(key) => request.bearer_auth(key),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    send(app, "POST", path, form, Some(&app.demo.secret_key)).await
}

async fn get(app: &TestApp, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
    send(app, "GET", path, query, Some(&app.demo.secret_key)).await
}

/// A one-line payment session for two bags of the demo's beans: its id.
async fn create(app: &TestApp) -> String {
    let price = app.price_id("espresso-beans");
    let (status, session) = post(
        app,
        "/v1/checkout/sessions",
        &[
            ("mode", "payment"),
            ("line_items[0][price]", &price),
            ("line_items[0][quantity]", "2"),
            (
                "success_url",
                "https://shop.example/thanks?s={CHECKOUT_SESSION_ID}",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{session}");
    session["id"].as_str().unwrap().to_owned()
}

fn assert_error(status: u16, body: &Value, want_status: u16, code: &str, param: Option<&str>) {
    assert_eq!(status, want_status, "{body}");
    let error = &body["error"];
    assert_eq!(error["type"], "invalid_request_error", "{body}");
    assert_eq!(error["code"], code, "{body}");
    if let Some(param) = param {
        assert_eq!(error["param"], param, "{body}");
    }
    assert!(!error["message"].as_str().unwrap().is_empty());
}

async fn a_session_is_created_from_a_bracketed_form_in_stripes_shape(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_create").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    let before = kassa::store::now_ms() / 1000;
    let (status, s) = post(
        &app,
        "/v1/checkout/sessions",
        &[
            ("mode", "payment"),
            ("line_items[0][price]", &price),
            ("line_items[0][quantity]", "3"),
            ("line_items[0][adjustable_quantity][enabled]", "true"),
            ("line_items[0][adjustable_quantity][maximum]", "10"),
            ("success_url", "https://shop.example/thanks"),
            ("cancel_url", "https://shop.example/cart"),
            ("customer_email", "ada@example.com"),
            ("allow_promotion_codes", "true"),
            ("payment_method_types[0]", "card"),
            ("payment_method_types[1]", "paypal"),
            ("metadata[order]", "A-1001"),
            ("expand[0]", "line_items"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{s}");
    // The fields Stripe's fixture has, with kassa's values.
    let fixture: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/reference/stripe-checkout-session-fixture.json"
        ))
        .expect("../shared/reference holds Stripe's session fixture"),
    )
    .unwrap();
    for key in [
        "id",
        "object",
        "mode",
        "status",
        "payment_status",
        "amount_subtotal",
        "amount_total",
        "currency",
        "url",
        "metadata",
        "success_url",
        "cancel_url",
        "expires_at",
        "created",
        "customer",
        "customer_email",
        "livemode",
        "payment_method_types",
        "total_details",
    ] {
        assert!(s.get(key).is_some(), "{key} missing: {s}");
        assert!(fixture.get(key).is_some(), "{key} is Stripe's");
    }
    let id = s["id"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"));
    assert_eq!(s["object"], "checkout.session");
    assert_eq!(s["mode"], "payment");
    assert_eq!(s["status"], "open");
    assert_eq!(s["payment_status"], "unpaid");
    let unit = app
        .demo
        .prices
        .iter()
        .find(|p| p.slug == "espresso-beans")
        .unwrap()
        .unit_amount;
    assert_eq!(s["amount_subtotal"], 3 * unit);
    assert_eq!(s["amount_total"], 3 * unit);
    assert_eq!(s["currency"], "usd");
    assert_eq!(s["customer_email"], "ada@example.com");
    assert_eq!(s["metadata"], json!({ "order": "A-1001" }));
    assert_eq!(s["payment_method_types"], json!(["card", "paypal"]));
    assert_eq!(s["allow_promotion_codes"], true);
    assert_eq!(s["url"], app.url(&format!("/checkout/{id}")).as_str());
    assert_eq!(s["livemode"], false);
    let created = s["created"].as_i64().unwrap();
    assert!(
        (before..before + 60).contains(&created),
        "unix seconds: {created}"
    );
    assert_eq!(s["expires_at"].as_i64().unwrap() - created, 24 * 3600);

    // Subscription mode with a trial, and an explicit expiry in seconds.
    let monthly = app.price_id("coffee-club-monthly");
    let expires = (before + 3600).to_string();
    let (status, s) = post(
        &app,
        "/v1/checkout/sessions",
        &[
            ("mode", "subscription"),
            ("line_items[0][price]", &monthly),
            ("subscription_data[trial_period_days]", "14"),
            ("expires_at", &expires),
            ("success_url", "https://shop.example/thanks"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["mode"], "subscription");
    assert_eq!(s["expires_at"].as_i64().unwrap(), before + 3600);
    let (_, native) = app
        .client
        .get(app.url(&format!(
            "/api/checkout-sessions/{}",
            s["id"].as_str().unwrap()
        )))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let native: Value = native.json().await.unwrap();
    assert_eq!(native["trial_period_days"], 14, "{native}");
    app.stop().await;
}

/// A form, the error code it gets and the param named ("" for none in particular).
type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);

async fn mistakes_are_stripe_errors_naming_the_param(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_errors").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    let monthly = app.price_id("coffee-club-monthly");
    let url = ("success_url", "https://shop.example/thanks");
    let cases: Vec<Case> = vec![
        (
            vec![("line_items[0][price]", &price), url],
            "parameter_missing",
            "mode",
        ),
        (
            vec![
                ("mode", "payment"),
                ("line_items[0][price]", "price_nope"),
                url,
            ],
            "resource_missing",
            "line_items[0][price]",
        ),
        (
            vec![
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "0"),
                url,
            ],
            "parameter_invalid",
            "line_items[0][quantity]",
        ),
        (
            vec![
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("color", "red"),
                url,
            ],
            "parameter_unknown",
            "color",
        ),
        (
            vec![
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("success_url", "/thanks"),
            ],
            "parameter_invalid",
            "success_url",
        ),
        (
            vec![
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("customer", "cus_x"),
                ("customer_email", "a@b.co"),
                url,
            ],
            "parameters_exclusive",
            "customer_email",
        ),
        (
            vec![
                ("mode", "subscription"),
                ("line_items[0][price]", &monthly),
                ("subscription_data[trial_period_days]", "0"),
                url,
            ],
            "parameter_invalid",
            "subscription_data[trial_period_days]",
        ),
        (
            vec![
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("expires_at", "99999999999"),
                url,
            ],
            "parameter_invalid",
            "expires_at",
        ),
        (
            vec![
                ("mode", "payment"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "two"),
                url,
            ],
            "parameter_invalid",
            "",
        ),
    ];
    for (form, code, param) in cases {
        let (status, body) = post(&app, "/v1/checkout/sessions", &form).await;
        let param = (!param.is_empty()).then_some(param);
        assert_error(status, &body, 400, code, param);
    }
    let made = app
        .store
        .count_sessions(&app.demo.organization_id, false)
        .await
        .unwrap();
    assert_eq!(made, 0, "nothing was made by any of them");

    // No key, or a wrong one: 401 in Stripe's shape.
    let (status, body) = send(&app, "GET", "/v1/checkout/sessions", &[], None).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let (status, _) = send(
        &app,
        "GET",
        "/v1/checkout/sessions",
        &[],
        Some("sk_test_nope"),
    )
    .await;
    assert_eq!(status, 401);
    // A path Stripe has and kassa does not: Stripe's 404, not the HTML page.
    let (status, body) = get(&app, "/v1/payment_intents", &[]).await;
    assert_eq!(status, 404);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Unrecognized request URL")
    );
    app.stop().await;
}

async fn sessions_are_retrieved_listed_and_paged_both_ways(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_list").await else {
        return;
    };
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(create(&app).await);
    }
    ids.reverse(); // newest first, as lists are
    let (status, one) = get(&app, &format!("/v1/checkout/sessions/{}", ids[2]), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], ids[2].as_str());
    let (status, body) = get(&app, "/v1/checkout/sessions/cs_test_nope", &[]).await;
    assert_error(status, &body, 404, "resource_missing", Some("session"));
    let other = app.other_organization("stripe-other@example.com").await;
    let (status, _) = send(
        &app,
        "GET",
        &format!("/v1/checkout/sessions/{}", ids[0]),
        &[],
        Some(&other),
    )
    .await;
    assert_eq!(status, 404);

    let listed = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, first) = get(&app, "/v1/checkout/sessions", &[("limit", "2")]).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["object"], "list");
    assert_eq!(first["url"], "/v1/checkout/sessions");
    assert_eq!(listed(&first), ids[..2]);
    assert_eq!(first["has_more"], true);
    let (_, second) = get(
        &app,
        "/v1/checkout/sessions",
        &[("limit", "2"), ("starting_after", &ids[1])],
    )
    .await;
    assert_eq!(listed(&second), ids[2..4]);
    assert_eq!(second["has_more"], true);
    let (_, last) = get(
        &app,
        "/v1/checkout/sessions",
        &[("limit", "2"), ("starting_after", &ids[3])],
    )
    .await;
    assert_eq!(listed(&last), ids[4..]);
    assert_eq!(last["has_more"], false);
    // Back again: the two just newer than the fourth.
    let (_, back) = get(
        &app,
        "/v1/checkout/sessions",
        &[("limit", "2"), ("ending_before", &ids[3])],
    )
    .await;
    assert_eq!(listed(&back), ids[1..3]);
    assert_eq!(back["has_more"], true);
    let (_, top) = get(
        &app,
        "/v1/checkout/sessions",
        &[("limit", "2"), ("ending_before", &ids[1])],
    )
    .await;
    assert_eq!(listed(&top), ids[..1]);
    assert_eq!(top["has_more"], false);
    let (_, all) = get(&app, "/v1/checkout/sessions", &[]).await;
    assert_eq!(listed(&all), ids, "ten by default");

    for (query, param) in [
        (vec![("limit", "0")], "limit"),
        (vec![("limit", "101")], "limit"),
        (vec![("starting_after", "cs_test_nope")], "starting_after"),
        (
            vec![
                ("starting_after", ids[0].as_str()),
                ("ending_before", ids[1].as_str()),
            ],
            "ending_before",
        ),
    ] {
        let (status, body) = get(&app, "/v1/checkout/sessions", &query).await;
        assert!(status == 400 || status == 404, "{query:?}: {status} {body}");
        assert_eq!(body["error"]["param"], param, "{body}");
    }
    app.stop().await;
}

async fn an_open_session_expires_once(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_expire").await else {
        return;
    };
    let id = create(&app).await;
    let path = format!("/v1/checkout/sessions/{id}/expire");
    let (status, s) = post(&app, &path, &[]).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["status"], "expired");
    assert_eq!(
        s["url"],
        Value::Null,
        "an expired session has no page to pay on"
    );
    let (status, body) = post(&app, &path, &[]).await;
    assert_error(status, &body, 400, "checkout_session_not_open", None);
    let (_, s) = get(&app, &format!("/v1/checkout/sessions/{id}"), &[]).await;
    assert_eq!(s["status"], "expired");
    let (status, body) = post(&app, "/v1/checkout/sessions/cs_test_nope/expire", &[]).await;
    assert_error(status, &body, 404, "resource_missing", None);
    app.stop().await;
}

async fn line_items_show_each_price(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_lines").await else {
        return;
    };
    let beans = app.price_id("espresso-beans");
    let monthly = app.price_id("coffee-club-monthly");
    let (status, s) = post(
        &app,
        "/v1/checkout/sessions",
        &[
            ("mode", "subscription"),
            ("line_items[0][price]", &monthly),
            ("line_items[1][price]", &beans),
            ("line_items[1][quantity]", "2"),
            ("success_url", "https://shop.example/thanks"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{s}");
    let id = s["id"].as_str().unwrap();
    let (status, lines) = get(&app, &format!("/v1/checkout/sessions/{id}/line_items"), &[]).await;
    assert_eq!(status, 200, "{lines}");
    assert_eq!(lines["object"], "list");
    let data = lines["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0]["price"]["id"], monthly.as_str());
    assert_eq!(data[0]["price"]["type"], "recurring");
    assert_eq!(data[0]["price"]["recurring"]["interval"], "month");
    assert_eq!(data[1]["price"]["type"], "one_time");
    assert_eq!(data[1]["quantity"], 2);
    let unit = data[1]["price"]["unit_amount"].as_i64().unwrap();
    assert_eq!(data[1]["amount_subtotal"], 2 * unit);
    assert_eq!(data[0]["object"], "item");
    let subtotal: i64 = data
        .iter()
        .map(|l| l["amount_subtotal"].as_i64().unwrap())
        .sum();
    assert_eq!(s["amount_subtotal"], subtotal);
    app.stop().await;
}

async fn a_stripe_session_is_paid_on_the_hosted_page_and_read_in_other_dialects(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_paid").await else {
        return;
    };
    let id = create(&app).await;
    let (status, page) = app
        .client
        .get(app.url(&format!("/checkout/{id}")))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 200);
    assert!(page.text().await.unwrap().contains("Pay"));
    app.pay_by_card(&id).await;

    let (_, s) = get(&app, &format!("/v1/checkout/sessions/{id}"), &[]).await;
    assert_eq!(
        (s["status"].as_str(), s["payment_status"].as_str()),
        (Some("complete"), Some("paid")),
        "{s}"
    );
    assert!(s["customer"].as_str().unwrap().starts_with("cus_"));
    assert_eq!(s["customer_details"]["email"], "buyer@example.com");
    assert_eq!(s["url"], Value::Null);
    // The same session through kassa's own API and Flowglad's.
    let native: Value = app
        .client
        .get(app.url(&format!("/api/checkout-sessions/{id}")))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(native["status"], "succeeded", "{native}");
    assert_eq!(native["amounts"]["total"], s["amount_total"]);
    let flowglad: Value = app
        .client
        .get(app.url(&format!("/api/v1/checkout-sessions/{id}")))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        flowglad["checkoutSession"]["status"], "succeeded",
        "{flowglad}"
    );
    app.stop().await;
}

async fn an_idempotent_create_is_replayed(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_idempotent").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    let form = [
        ("mode", "payment"),
        ("line_items[0][price]", price.as_str()),
        ("success_url", "https://shop.example/thanks"),
    ];
    let send = |form: Vec<(&'static str, String)>| {
        app.client
            .post(app.url("/v1/checkout/sessions"))
            .bearer_auth(&app.demo.secret_key)
            .header("Idempotency-Key", "order-1001")
            .form(&form)
            .send()
    };
    let owned: Vec<(&'static str, String)> =
        form.iter().map(|(k, v)| (*k, v.to_string())).collect();
    let first = send(owned.clone()).await.unwrap();
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    let again = send(owned.clone()).await.unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    let mut changed = owned;
    changed[2].1 = "https://shop.example/other".into();
    let refused = send(changed).await.unwrap();
    assert!(
        matches!(refused.status().as_u16(), 409 | 422),
        "{}",
        refused.status()
    );
    assert_eq!(
        app.store
            .count_sessions(&app.demo.organization_id, false)
            .await
            .unwrap(),
        1
    );
    app.stop().await;
}

async fn sessions_of_the_other_dialects_read_as_stripe_sessions(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_reads_others").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    let native = app
        .create_session(&json!({ "line_items": [{ "price": price, "quantity": 2 }] }))
        .await;
    let flowglad = app.flowglad_session(&price, 2).await;
    let connhex = app.connhex_session(&price, 2).await;
    let mut totals = Vec::new();
    for id in [&native, &flowglad, &connhex] {
        let (status, s) = get(&app, &format!("/v1/checkout/sessions/{id}"), &[]).await;
        assert_eq!(status, 200, "{s}");
        assert_eq!(
            (s["status"].as_str(), s["mode"].as_str()),
            (Some("open"), Some("payment"))
        );
        let (_, lines) = get(&app, &format!("/v1/checkout/sessions/{id}/line_items"), &[]).await;
        assert_eq!(lines["data"][0]["quantity"], 2, "{lines}");
        totals.push(s["amount_total"].as_i64().unwrap());
    }
    assert!(
        totals.windows(2).all(|w| w[0] == w[1]),
        "one price, one total: {totals:?}"
    );
    app.pay_by_card(&flowglad).await;
    let (_, s) = get(&app, &format!("/v1/checkout/sessions/{flowglad}"), &[]).await;
    assert_eq!(s["payment_status"], "paid");
    app.stop().await;
}

async fn the_client_reference_id_is_kept_and_bounded(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_client_reference").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    let form = |reference: &str| {
        vec![
            ("mode".to_owned(), "payment".to_owned()),
            ("line_items[0][price]".to_owned(), price.clone()),
            (
                "success_url".to_owned(),
                "https://shop.example/thanks".to_owned(),
            ),
            ("client_reference_id".to_owned(), reference.to_owned()),
        ]
    };
    let ok = form("cart-42");
    let ok: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, session) = post(&app, "/v1/checkout/sessions", &ok).await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["client_reference_id"], "cart-42");
    let id = session["id"].as_str().unwrap();
    let (_, read) = get(&app, &format!("/v1/checkout/sessions/{id}"), &[]).await;
    assert_eq!(read["client_reference_id"], "cart-42");
    let (_, native) = get(&app, &format!("/api/checkout-sessions/{id}"), &[]).await;
    assert_eq!(native["client_reference_id"], "cart-42");

    let long = "r".repeat(201);
    let bad = form(&long);
    let bad: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, error) = post(&app, "/v1/checkout/sessions", &bad).await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["param"], "client_reference_id");
    let edge = "r".repeat(200);
    let edge = form(&edge);
    let edge: Vec<(&str, &str)> = edge.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(post(&app, "/v1/checkout/sessions", &edge).await.0, 200);
    app.stop().await;
}

/// A paid payment-mode session names its payment as `payment_intent`; `POST /v1/refunds` gives
/// back part of it, then the rest, in Stripe's `refund` shape (only fields Stripe's own example
/// refund has), and mistakes are Stripe errors naming the parameter.
async fn a_paid_sessions_payment_intent_is_refunded_in_stripes_shape(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_refunds").await else {
        return;
    };
    let id = create(&app).await;
    let (_, open) = get(&app, &format!("/v1/checkout/sessions/{id}"), &[]).await;
    assert_eq!(open["payment_intent"], Value::Null, "nothing paid yet");
    app.pay_by_card(&id).await;
    let (_, paid) = get(&app, &format!("/v1/checkout/sessions/{id}"), &[]).await;
    let intent = paid["payment_intent"].as_str().expect("paid").to_owned();
    let (_, listed) = get(&app, "/v1/checkout/sessions", &[("limit", "1")]).await;
    assert_eq!(listed["data"][0]["payment_intent"], json!(intent));

    for (form, code, param) in [
        (
            vec![("amount", "100")],
            "parameter_missing",
            "payment_intent",
        ),
        (
            vec![
                ("payment_intent", intent.as_str()),
                ("charge", intent.as_str()),
            ],
            "parameters_exclusive",
            "charge",
        ),
        (
            vec![("payment_intent", intent.as_str()), ("amount", "ten")],
            "parameter_invalid_integer",
            "amount",
        ),
        (
            vec![
                ("payment_intent", intent.as_str()),
                ("reason", "changed_mind"),
            ],
            "parameter_invalid",
            "reason",
        ),
        (
            vec![("payment_intent", intent.as_str()), ("amount", "999999")],
            "parameter_invalid",
            "amount",
        ),
        (
            vec![("payment_intent", intent.as_str()), ("colour", "red")],
            "parameter_unknown",
            "colour",
        ),
    ] {
        let (status, body) = post(&app, "/v1/refunds", &form).await;
        assert_error(status, &body, 400, code, Some(param));
    }
    let (status, body) = post(&app, "/v1/refunds", &[("payment_intent", "pay_nope")]).await;
    assert_error(
        status,
        &body,
        404,
        "resource_missing",
        Some("payment_intent"),
    );

    let (status, part) = post(
        &app,
        "/v1/refunds",
        &[
            ("payment_intent", intent.as_str()),
            ("amount", "1000"),
            ("reason", "requested_by_customer"),
            ("metadata[order]", "42"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{part}");
    assert_eq!(
        (
            &part["object"],
            &part["amount"],
            &part["status"],
            &part["payment_intent"],
            &part["reason"]
        ),
        (
            &json!("refund"),
            &json!(1000),
            &json!("succeeded"),
            &json!(intent),
            &json!("requested_by_customer")
        )
    );
    let fixtures: Value = serde_json::from_str(include_str!("stripe_fixtures.json")).unwrap();
    for key in part.as_object().unwrap().keys() {
        assert!(
            fixtures["refund"].get(key).is_some(),
            "{key} is not in Stripe's refund"
        );
    }
    let refund_id = part["id"].as_str().unwrap();
    let (status, read) = get(&app, &format!("/v1/refunds/{refund_id}"), &[]).await;
    assert_eq!((status, &read), (200, &part));
    let (status, rest) = post(&app, "/v1/refunds", &[("charge", intent.as_str())]).await;
    assert_eq!((status, &rest["amount"]), (200, &json!(3800)), "{rest}");
    let (status, body) = post(&app, "/v1/refunds", &[("payment_intent", intent.as_str())]).await;
    assert_error(
        status,
        &body,
        400,
        "charge_already_refunded",
        Some("payment_intent"),
    );
    let (status, body) = get(&app, "/v1/refunds/re_nope", &[]).await;
    assert_error(status, &body, 404, "resource_missing", Some("id"));
    app.stop().await;
}

/// A parameter given twice (schemathesis found axum's plain-text 400 for it on kassa's lists):
/// each dialect answers in its own JSON error shape.
async fn a_malformed_list_query_is_answered_in_the_dialects_shape(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "stripe_malformed_query").await else {
        return;
    };
    let twice = [("limit", "1"), ("limit", "2")];
    for path in [
        "/v1/checkout/sessions",
        "/v1/payment_links",
        "/v1/tax_rates",
    ] {
        let (status, body) = get(&app, path, &twice).await;
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(
            (&body["error"]["type"], &body["error"]["param"]),
            (&json!("invalid_request_error"), &json!("limit")),
            "{path}: {body}"
        );
        assert!(body["error"]["message"].as_str().unwrap().contains("limit"));
    }
    let response = app
        .client
        .get(app.url("/api/v1/checkout-sessions?limit=1&limit=2"))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "BAD_REQUEST", "{body}");
    app.stop().await;
}
