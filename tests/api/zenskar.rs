//! The Zenskar dialect, `/checkout` (seed 004 and Zenskar's docs): plan- and product-based
//! contracts, existing and guest customers, every documented field and limit, the body's
//! idempotency key, update before confirmation, the three confirmation modes, cancel, the status
//! mapping, and sessions shared with the other dialects.

use crate::app::{TestApp, pay_by_card_at};
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    plan_and_product_contracts_open_sessions_with_estimates,
    every_documented_field_reaches_the_session,
    mistakes_are_named_by_their_field,
    the_body_idempotency_key_replays_the_first_answer,
    a_session_changes_until_it_is_confirmed,
    charge_immediately_sends_the_buyer_to_the_hosted_page,
    no_payment_and_charge_when_due_complete_without_a_charge,
    cancelled_and_closed_sessions_are_told_apart,
    a_zenskar_session_is_paid_and_read_through_the_other_dialects,
    sessions_of_the_other_dialects_read_as_zenskar_sessions,
);

/// A request with the demo key in Zenskar's header.
async fn call(app: &TestApp, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let request = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .header("x-api-key", &app.demo.secret_key)
        .header("organisation", &app.demo.organization_id);
    let request = match body {
        Some(body) => request.json(body),
        None => request,
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn create(app: &TestApp, body: &Value) -> (u16, Value) {
    call(app, "POST", "/checkout", Some(body)).await
}

async fn read(app: &TestApp, id: &str) -> Value {
    let (status, body) = call(app, "GET", &format!("/checkout/{id}"), None).await;
    assert_eq!(status, 200, "{body}");
    body
}

fn beans(app: &TestApp, quantity: i64) -> Value {
    json!({ "pricing_id": app.price_id("espresso-beans"), "quantity": quantity })
}

/// A product-based contract for one customer: the shape most tests start from.
fn product_based(app: &TestApp, customer_id: &str) -> Value {
    json!({
        "contract": {
            "is_plan_based": false, "currency": "USD", "start_date": "2026-12-01T00:00:00",
            "phases": [{ "name": "Launch", "pricings": [beans(app, 2)] }],
        },
        "customer_id": customer_id,
        "success_url": "https://shop.example/thanks",
        "cancel_url": "https://shop.example/cart",
    })
}

/// A guest checkout: no customer, details and the demo's business entity instead.
fn guest(app: &TestApp) -> Value {
    json!({
        "contract": {
            "is_plan_based": false, "currency": "USD", "start_date": "2026-12-01",
            "phases": [{ "pricings": [beans(app, 1)] }],
        },
        "guest_checkout": true,
        "customer": { "customer_name": "Ada Lovelace", "email": "ada@example.com" },
        "business_entity_id": app.demo.business_entities[0].id,
        "success_url": "https://shop.example/thanks",
    })
}

fn unit_amount(app: &TestApp, slug: &str) -> i64 {
    app.demo
        .prices
        .iter()
        .find(|p| p.slug == slug)
        .unwrap()
        .unit_amount
}

async fn plan_and_product_contracts_open_sessions_with_estimates(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_contracts").await else {
        return;
    };
    let grace = app.customer("grace").await;

    let (status, s) = create(&app, &product_based(&app, &grace)).await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(
        (
            s["checkout_session_status"].as_str(),
            s["payment_status"].as_str()
        ),
        (Some("open"), Some("not_started"))
    );
    assert_eq!(s["customer_id"], grace.as_str());
    assert_eq!(s["guest_checkout"], false);
    assert_eq!(s["contract"]["is_plan_based"], false);
    assert_eq!(s["contract"]["currency"], "USD");
    assert_eq!(s["contract"]["start_date"], "2026-12-01T00:00:00Z");
    assert_eq!(
        s["contract"]["phases"][0]["pricings"][0]["quantity"], 2,
        "{s}"
    );
    let unit = unit_amount(&app, "espresso-beans");
    let invoice = &s["estimates"]["current_invoice"];
    assert_eq!(invoice["status"], "estimated");
    assert_eq!(invoice["line_items"][0]["unit_price"], unit);
    assert_eq!(invoice["line_items"][0]["amount"], 2 * unit);
    assert_eq!(invoice["subtotal"], 2 * unit);
    assert_eq!(invoice["total"], 2 * unit);
    assert_eq!(
        (invoice["discount"].as_i64(), invoice["tax"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(s["estimates"]["amount_due"], 2 * unit);
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["url"], app.url(&format!("/checkout/{id}")));

    // the session's address: JSON for an API client, the hosted page for a browser
    assert_eq!(read(&app, id).await["estimates"], s["estimates"]);
    let page = app.get(&format!("/checkout/{id}")).await;
    assert_eq!(page.status(), 200);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let bearer = app
        .client
        .get(app.url(&format!("/checkout/{id}")))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.json::<Value>().await.unwrap()["id"], id);

    // plan-based: the plan's items are the lines
    let plan = &app.demo.plans[0];
    let (status, s) = create(
        &app,
        &json!({
            "contract": { "is_plan_based": true, "plan_id": plan.id, "currency": "USD", "start_date": "2026-12-01T00:00:00Z" },
            "customer_id": grace,
            "currency": "usd",
        }),
    )
    .await;
    assert_eq!(status, 201, "{s}");
    assert_eq!(s["contract"]["is_plan_based"], true);
    assert_eq!(s["contract"]["plan_id"], plan.id.as_str());
    let lines = s["estimates"]["current_invoice"]["line_items"]
        .as_array()
        .unwrap();
    assert_eq!(lines.len(), app.demo.prices.len(), "{s}");
    let sum: i64 = lines.iter().map(|l| l["amount"].as_i64().unwrap()).sum();
    assert_eq!(s["estimates"]["current_invoice"]["subtotal"], sum);
    app.stop().await;
}

async fn every_documented_field_reaches_the_session(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_fields").await else {
        return;
    };
    let mut body = guest(&app);
    body["customer"] = json!({
        "customer_name": "Ada Lovelace", "email": "ada@example.com", "phone_number": "+44 20 7946 0000",
        "address": { "line1": "12 St James's Sq", "city": "London", "zip_code": "SW1Y 4JH", "country": "gb" },
    });
    let expires = chrono_in(3);
    body["expires_at"] = json!(expires.0);
    body["trace_id"] = json!("trace-42");
    body["currency"] = json!("USD");
    body["cancel_url"] = json!("https://shop.example/cart");
    body["pending_url"] = json!("https://shop.example/pending");
    body["attribution"] = json!({ "utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "winter", "utm_term": "beans", "utm_content": "hero" });
    body["metadata"] = json!({ "order": "42", "gift": true });
    let (status, s) = create(&app, &body).await;
    assert_eq!(status, 201, "{s}");
    let s = read(&app, s["id"].as_str().unwrap()).await;
    assert_eq!(s["guest_checkout"], true);
    assert_eq!(s["customer_id"], Value::Null);
    assert_eq!(s["customer"]["customer_name"], "Ada Lovelace");
    assert_eq!(s["customer"]["email"], "ada@example.com");
    assert_eq!(s["customer"]["phone_number"], "+44 20 7946 0000");
    assert_eq!(s["customer"]["address"]["country"], "GB");
    assert_eq!(s["customer"]["address"]["zip_code"], "SW1Y 4JH");
    assert_eq!(
        s["business_entity_id"],
        app.demo.business_entities[0].id.as_str()
    );
    assert_eq!(s["expires_at"], expires.1);
    assert_eq!(s["trace_id"], "trace-42");
    assert_eq!(s["currency"], "USD");
    assert_eq!(s["success_url"], "https://shop.example/thanks");
    assert_eq!(s["cancel_url"], "https://shop.example/cart");
    assert_eq!(s["pending_url"], "https://shop.example/pending");
    assert_eq!(s["attribution"]["utm_campaign"], "winter");
    assert_eq!(s["attribution"]["utm_content"], "hero");
    assert_eq!(s["metadata"], json!({ "order": "42", "gift": true }));
    assert_eq!(s["confirmation"], Value::Null);

    // a URL of exactly 2083 characters is accepted
    let mut body = guest(&app);
    let long = format!("https://shop.example/{}", "a".repeat(2083 - 21));
    assert_eq!(long.len(), 2083);
    body["success_url"] = json!(long);
    let (status, s) = create(&app, &body).await;
    assert_eq!(status, 201, "{s}");
    app.stop().await;
}

/// An instant `hours` from now as Zenskar might send it (no offset) and as kassa answers it.
fn chrono_in(hours: i64) -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let at = chrono::DateTime::from_timestamp(now + hours * 3600, 0).unwrap();
    let stamp = at.format("%Y-%m-%dT%H:%M:%S").to_string();
    (stamp.clone(), format!("{stamp}Z"))
}

async fn mistakes_are_named_by_their_field(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_mistakes").await else {
        return;
    };
    let grace = app.customer("grace").await;
    let base = product_based(&app, &grace);
    let plan = app.demo.plans[0].id.clone();
    type Change = Box<dyn Fn(&mut Value)>;
    let long_url = format!("https://shop.example/{}", "a".repeat(2084 - 21));
    let cases: Vec<(&str, Change, u16, &str, &str)> = vec![
        (
            "no contract",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("contract");
            }),
            400,
            "contract",
            "parameter_missing",
        ),
        (
            "no is_plan_based",
            Box::new(|b| {
                b["contract"]
                    .as_object_mut()
                    .unwrap()
                    .remove("is_plan_based");
            }),
            400,
            "contract.is_plan_based",
            "parameter_missing",
        ),
        (
            "no contract currency",
            Box::new(|b| {
                b["contract"].as_object_mut().unwrap().remove("currency");
            }),
            400,
            "contract.currency",
            "parameter_missing",
        ),
        (
            "contract currency not ISO 4217",
            Box::new(|b| b["contract"]["currency"] = json!("usdx")),
            400,
            "contract.currency",
            "parameter_invalid",
        ),
        (
            "contract currency not the prices'",
            Box::new(|b| b["contract"]["currency"] = json!("EUR")),
            400,
            "contract.currency",
            "currency_mismatch",
        ),
        (
            "no start_date",
            Box::new(|b| {
                b["contract"].as_object_mut().unwrap().remove("start_date");
            }),
            400,
            "contract.start_date",
            "parameter_missing",
        ),
        (
            "start_date not ISO 8601",
            Box::new(|b| b["contract"]["start_date"] = json!("12/01/2026")),
            400,
            "contract.start_date",
            "parameter_invalid",
        ),
        (
            "no phases",
            Box::new(|b| {
                b["contract"].as_object_mut().unwrap().remove("phases");
            }),
            400,
            "contract.phases",
            "parameter_missing",
        ),
        (
            "two phases",
            Box::new(|b| {
                let p = b["contract"]["phases"][0].clone();
                b["contract"]["phases"] = json!([p.clone(), p]);
            }),
            400,
            "contract.phases",
            "parameter_invalid",
        ),
        (
            "no pricings",
            Box::new(|b| b["contract"]["phases"][0]["pricings"] = json!([])),
            400,
            "contract.phases[0].pricings",
            "parameter_missing",
        ),
        (
            "no pricing_id",
            Box::new(|b| b["contract"]["phases"][0]["pricings"][0] = json!({ "quantity": 1 })),
            400,
            "contract.phases[0].pricings[0].pricing_id",
            "parameter_missing",
        ),
        (
            "unknown pricing",
            Box::new(|b| {
                b["contract"]["phases"][0]["pricings"][0]["pricing_id"] = json!("price_nope")
            }),
            400,
            "contract.phases[0].pricings[0].pricing_id",
            "resource_missing",
        ),
        (
            "quantity 0",
            Box::new(|b| b["contract"]["phases"][0]["pricings"][0]["quantity"] = json!(0)),
            400,
            "contract.phases[0].pricings[0].quantity",
            "parameter_invalid",
        ),
        (
            "quantity not a number",
            Box::new(|b| b["contract"]["phases"][0]["pricings"][0]["quantity"] = json!("two")),
            400,
            "contract.phases[0].pricings[0].quantity",
            "invalid_request",
        ),
        (
            "plan_id on a product contract",
            Box::new(move |b| b["contract"]["plan_id"] = json!("plan_x")),
            400,
            "contract.plan_id",
            "parameter_invalid",
        ),
        (
            "plan-based without plan_id",
            Box::new(|b| {
                b["contract"]["is_plan_based"] = json!(true);
                b["contract"].as_object_mut().unwrap().remove("phases");
            }),
            400,
            "contract.plan_id",
            "parameter_missing",
        ),
        (
            "plan-based with phases",
            Box::new(move |b| {
                b["contract"]["is_plan_based"] = json!(true);
            }),
            400,
            "contract.phases",
            "parameter_invalid",
        ),
        (
            "unknown plan",
            Box::new(|b| {
                b["contract"] = json!({ "is_plan_based": true, "plan_id": "plan_nope", "currency": "USD", "start_date": "2026-12-01" });
            }),
            400,
            "contract.plan_id",
            "resource_missing",
        ),
        (
            "plan in another currency",
            {
                let plan = plan.clone();
                Box::new(move |b| {
                    b["contract"] = json!({ "is_plan_based": true, "plan_id": plan, "currency": "EUR", "start_date": "2026-12-01" });
                })
            },
            400,
            "contract.currency",
            "currency_mismatch",
        ),
        (
            "currency not ISO 4217",
            Box::new(|b| b["currency"] = json!("dollars")),
            400,
            "currency",
            "parameter_invalid",
        ),
        (
            "currency not the contract's",
            Box::new(|b| b["currency"] = json!("EUR")),
            400,
            "currency",
            "currency_mismatch",
        ),
        (
            "no customer_id",
            Box::new(|b| {
                b.as_object_mut().unwrap().remove("customer_id");
            }),
            400,
            "customer_id",
            "parameter_missing",
        ),
        (
            "unknown customer_id",
            Box::new(|b| b["customer_id"] = json!("cus_nope")),
            400,
            "customer_id",
            "resource_missing",
        ),
        (
            "customer details without guest_checkout",
            Box::new(|b| b["customer"] = json!({ "email": "a@example.com" })),
            400,
            "customer",
            "parameter_invalid",
        ),
        (
            "guest with a customer_id",
            Box::new(|b| b["guest_checkout"] = json!(true)),
            400,
            "customer_id",
            "parameter_invalid",
        ),
        (
            "guest without details",
            Box::new(|b| {
                b["guest_checkout"] = json!(true);
                b.as_object_mut().unwrap().remove("customer_id");
            }),
            400,
            "customer",
            "parameter_missing",
        ),
        (
            "guest without business_entity_id",
            Box::new(|b| {
                b["guest_checkout"] = json!(true);
                b.as_object_mut().unwrap().remove("customer_id");
                b["customer"] = json!({ "email": "a@example.com" });
            }),
            400,
            "business_entity_id",
            "parameter_missing",
        ),
        (
            "guest with an unknown business entity",
            Box::new(|b| {
                b["guest_checkout"] = json!(true);
                b.as_object_mut().unwrap().remove("customer_id");
                b["customer"] = json!({ "email": "a@example.com" });
                b["business_entity_id"] = json!("be_nope");
            }),
            400,
            "business_entity_id",
            "resource_missing",
        ),
        (
            "guest without an email",
            Box::new(|b| {
                b["guest_checkout"] = json!(true);
                b.as_object_mut().unwrap().remove("customer_id");
                b["customer"] = json!({ "customer_name": "Ada" });
                b["business_entity_id"] = json!("be_x");
            }),
            400,
            "customer.email",
            "parameter_missing",
        ),
        (
            "guest with a bad email",
            Box::new(|b| {
                b["guest_checkout"] = json!(true);
                b.as_object_mut().unwrap().remove("customer_id");
                b["customer"] = json!({ "email": "ada@" });
                b["business_entity_id"] = json!("be_x");
            }),
            400,
            "customer.email",
            "parameter_invalid",
        ),
        (
            "guest address in no country",
            Box::new(|b| {
                b["guest_checkout"] = json!(true);
                b.as_object_mut().unwrap().remove("customer_id");
                b["customer"] =
                    json!({ "email": "a@example.com", "address": { "country": "Narnia" } });
                b["business_entity_id"] = json!("be_x");
            }),
            400,
            "customer.address.country",
            "parameter_invalid",
        ),
        (
            "relative success_url",
            Box::new(|b| b["success_url"] = json!("/thanks")),
            400,
            "success_url",
            "parameter_invalid",
        ),
        (
            "empty success_url",
            Box::new(|b| b["success_url"] = json!("")),
            400,
            "success_url",
            "parameter_invalid",
        ),
        (
            "success_url of 2084 characters",
            {
                let long = long_url.clone();
                Box::new(move |b| b["success_url"] = json!(long))
            },
            400,
            "success_url",
            "parameter_invalid",
        ),
        (
            "cancel_url not http",
            Box::new(|b| b["cancel_url"] = json!("ftp://shop.example/cart")),
            400,
            "cancel_url",
            "parameter_invalid",
        ),
        (
            "pending_url of 2084 characters",
            {
                let long = long_url.clone();
                Box::new(move |b| b["pending_url"] = json!(long))
            },
            400,
            "pending_url",
            "parameter_invalid",
        ),
        (
            "expires_at not ISO 8601",
            Box::new(|b| b["expires_at"] = json!("tomorrow")),
            400,
            "expires_at",
            "parameter_invalid",
        ),
        (
            "expires_at in the past",
            Box::new(|b| b["expires_at"] = json!("2020-01-01T00:00:00Z")),
            400,
            "expires_at",
            "parameter_invalid",
        ),
        (
            "metadata not an object",
            Box::new(|b| b["metadata"] = json!(["a"])),
            400,
            "metadata",
            "parameter_invalid",
        ),
        (
            "utm value too long",
            Box::new(|b| b["attribution"] = json!({ "utm_source": "x".repeat(256) })),
            400,
            "attribution",
            "parameter_invalid",
        ),
        (
            "unknown attribution field",
            Box::new(|b| b["attribution"] = json!({ "utm_nope": "x" })),
            400,
            "attribution",
            "invalid_request",
        ),
        (
            "trace_id too long",
            Box::new(|b| b["trace_id"] = json!("t".repeat(256))),
            400,
            "trace_id",
            "parameter_invalid",
        ),
        (
            "unknown field",
            Box::new(|b| b["surprise"] = json!(1)),
            400,
            "surprise",
            "invalid_request",
        ),
    ];
    for (what, change, status, param, code) in cases {
        let mut body = base.clone();
        change(&mut body);
        let (got, answer) = create(&app, &body).await;
        assert_eq!(got, status, "{what}: {answer}");
        assert!(
            answer["error"]["param"]
                .as_str()
                .is_some_and(|p| p.starts_with(param)),
            "{what}: param {param} expected: {answer}"
        );
        assert_eq!(answer["error"]["code"], code, "{what}: {answer}");
    }
    // nothing was created by any of them
    let (_, list) = call(&app, "GET", "/v1/checkout/sessions", None).await;
    assert_eq!(list["data"].as_array().map(Vec::len), Some(0), "{list}");

    let response = app
        .client
        .post(app.url("/checkout"))
        .json(&base)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let response = app
        .client
        .post(app.url("/checkout"))
        .header("x-api-key", "sk_test_nope")
        .json(&base)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    app.stop().await;
}

async fn the_body_idempotency_key_replays_the_first_answer(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_idempotency").await else {
        return;
    };
    let grace = app.customer("grace").await;
    let mut body = product_based(&app, &grace);
    body["idempotency_key"] = json!("order-7");
    let (first_status, first) = create(&app, &body).await;
    assert_eq!(first_status, 201, "{first}");
    let (again_status, again) = create(&app, &body).await;
    assert_eq!((again_status, &again["id"]), (201, &first["id"]));
    body["success_url"] = json!("https://shop.example/other");
    let (status, answer) = create(&app, &body).await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "idempotency_key_mismatch");
    // a failed request keeps nothing: the key can be used once it is right
    let mut bad = product_based(&app, &grace);
    bad["idempotency_key"] = json!("order-8");
    bad["success_url"] = json!("/relative");
    assert_eq!(create(&app, &bad).await.0, 400);
    bad["success_url"] = json!("https://shop.example/thanks");
    assert_eq!(create(&app, &bad).await.0, 201);
    let mut empty = product_based(&app, &grace);
    empty["idempotency_key"] = json!("");
    assert_eq!(create(&app, &empty).await.0, 400);
    app.stop().await;
}

async fn a_session_changes_until_it_is_confirmed(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_update").await else {
        return;
    };
    let grace = app.customer("grace").await;
    let (_, s) = create(&app, &product_based(&app, &grace)).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let path = format!("/checkout/{id}");
    let unit = unit_amount(&app, "espresso-beans");

    // only what is given changes
    let (status, changed) = call(
        &app,
        "PUT",
        &path,
        Some(&json!({
            "contract": { "is_plan_based": false, "currency": "USD", "start_date": "2027-01-01",
                          "phases": [{ "pricings": [beans(&app, 5)] }] },
            "success_url": "https://shop.example/changed",
        })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["estimates"]["current_invoice"]["total"], 5 * unit);
    assert_eq!(changed["success_url"], "https://shop.example/changed");
    assert_eq!(changed["cancel_url"], "https://shop.example/cart");
    assert_eq!(changed["customer_id"], grace.as_str());
    assert_eq!(changed["contract"]["start_date"], "2027-01-01T00:00:00Z");
    assert_eq!(read(&app, &id).await["estimates"], changed["estimates"]);
    let (status, changed) = call(
        &app,
        "PUT",
        &path,
        Some(&json!({ "metadata": { "po": "PO-9" } })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["estimates"]["current_invoice"]["total"], 5 * unit);
    assert_eq!(changed["metadata"], json!({ "po": "PO-9" }));

    // a bad change is refused whole
    let (status, answer) = call(
        &app,
        "PUT",
        &path,
        Some(&json!({ "success_url": "/nope", "metadata": { "po": "PO-10" } })),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["param"].as_str()),
        (400, Some("success_url"))
    );
    assert_eq!(read(&app, &id).await["metadata"], json!({ "po": "PO-9" }));

    let (status, _) = call(
        &app,
        "POST",
        &format!("{path}/confirm"),
        Some(&json!({ "confirmation": "charge_immediately" })),
    )
    .await;
    assert_eq!(status, 200);
    let (status, answer) = call(&app, "PUT", &path, Some(&json!({ "metadata": {} }))).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "session_not_open");
    let (status, _) = call(
        &app,
        "POST",
        &format!("{path}/confirm"),
        Some(&json!({ "confirmation": "no_payment" })),
    )
    .await;
    assert_eq!(status, 409, "confirmed once");
    let (status, _) = call(&app, "PUT", "/checkout/cs_test_nope", Some(&json!({}))).await;
    assert_eq!(status, 404);
    app.stop().await;
}

async fn charge_immediately_sends_the_buyer_to_the_hosted_page(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_charge_now").await else {
        return;
    };
    let (_, s) = create(&app, &guest(&app)).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let confirm = format!("/checkout/{id}/confirm");
    for (body, param) in [
        (json!({}), "confirmation"),
        (json!({ "confirmation": "charge_later" }), "confirmation"),
        (
            json!({ "confirmation": "charge_immediately", "preferred_payment_method": "cheque" }),
            "preferred_payment_method",
        ),
        (
            json!({ "confirmation": "charge_immediately", "payment_description": "d".repeat(256) }),
            "payment_description",
        ),
        (
            json!({ "confirmation": "charge_immediately", "customer_notes": "n".repeat(1001) }),
            "customer_notes",
        ),
    ] {
        let (status, answer) = call(&app, "POST", &confirm, Some(&body)).await;
        assert_eq!(
            (status, answer["error"]["param"].as_str()),
            (400, Some(param)),
            "{body}: {answer}"
        );
    }
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = no_redirects
        .post(app.url(&confirm))
        .header("x-api-key", &app.demo.secret_key)
        .json(
            &json!({ "confirmation": "charge_immediately", "redirect": true,
                       "preferred_payment_method": "card", "payment_description": "Beans",
                       "customer_notes": "Ring twice" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    assert_eq!(
        response.headers()["location"],
        app.url(&format!("/checkout/{id}")).as_str()
    );
    let s = read(&app, &id).await;
    assert_eq!(
        (
            s["checkout_session_status"].as_str(),
            s["payment_status"].as_str(),
            s["confirmation"].as_str()
        ),
        (
            Some("processing"),
            Some("pending"),
            Some("charge_immediately")
        )
    );
    pay_by_card_at(&app.client, &app.address, &id).await;
    let s = read(&app, &id).await;
    assert_eq!(
        (
            s["checkout_session_status"].as_str(),
            s["payment_status"].as_str()
        ),
        (Some("completed"), Some("paid"))
    );
    assert!(s["contract_id"].is_string(), "{s}");
    assert_eq!(s["estimates"]["current_invoice"]["status"], "paid");
    app.stop().await;
}

async fn no_payment_and_charge_when_due_complete_without_a_charge(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_deferred").await else {
        return;
    };
    // no_payment: a guest becomes a customer, the invoice stays open, nothing is charged
    let mut body = guest(&app);
    body["trace_id"] = json!("trace-no-payment");
    let (_, s) = create(&app, &body).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let (status, done) = call(
        &app,
        "POST",
        &format!("/checkout/{id}/confirm"),
        Some(&json!({ "confirmation": "no_payment" })),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (
            done["checkout_session_status"].as_str(),
            done["payment_status"].as_str()
        ),
        (Some("completed"), Some("no_payment_required"))
    );
    assert!(
        done["contract_id"].is_string() && done["invoice_id"].is_string(),
        "{done}"
    );
    assert_eq!(done["estimates"]["current_invoice"]["status"], "open");
    let (_, stripe) = call(&app, "GET", &format!("/v1/checkout/sessions/{id}"), None).await;
    assert_eq!(
        (stripe["status"].as_str(), stripe["payment_status"].as_str()),
        (Some("complete"), Some("unpaid"))
    );
    let (_, events) = call(&app, "GET", "/api/events?limit=100", None).await;
    let of_type = |t: &str| {
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == t)
            .cloned()
            .collect::<Vec<Value>>()
    };
    assert!(of_type("payment.succeeded").is_empty(), "{events}");
    let completed = of_type("checkout.session.completed");
    assert_eq!(
        completed[0]["data"]["object"]["confirmation"], "no_payment",
        "{events}"
    );
    assert_eq!(
        completed[0]["data"]["object"]["trace_id"],
        "trace-no-payment"
    );

    // charge_when_due needs a customer with a saved payment method
    let (_, s) = create(&app, &guest(&app)).await;
    let (status, answer) = call(
        &app,
        "POST",
        &format!("/checkout/{}/confirm", s["id"].as_str().unwrap()),
        Some(&json!({ "confirmation": "charge_when_due" })),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["param"].as_str()),
        (400, Some("customer_id")),
        "{answer}"
    );
    let grace = app.customer("grace").await;
    let (_, s) = create(&app, &product_based(&app, &grace)).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let confirm = format!("/checkout/{id}/confirm");
    let (status, answer) = call(
        &app,
        "POST",
        &confirm,
        Some(&json!({ "confirmation": "charge_when_due" })),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["param"].as_str()),
        (400, Some("payment_method_id")),
        "{answer}"
    );
    assert_eq!(
        read(&app, &id).await["checkout_session_status"],
        "open",
        "a refused confirm changes nothing"
    );

    // save a card for grace on the hosted page, then confirm
    let setup = app
        .create_session(&json!({ "type": "add_payment_method", "customer": grace }))
        .await;
    pay_by_card_at(&app.client, &app.address, &setup).await;
    let (status, answer) = call(
        &app,
        "POST",
        &confirm,
        Some(&json!({ "confirmation": "charge_when_due", "payment_method_id": "pm_nope" })),
    )
    .await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("resource_missing")),
        "{answer}"
    );
    let (status, done) = call(
        &app,
        "POST",
        &confirm,
        Some(&json!({ "confirmation": "charge_when_due" })),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(
        (
            done["checkout_session_status"].as_str(),
            done["payment_status"].as_str(),
            done["confirmation"].as_str()
        ),
        (Some("completed"), Some("pending"), Some("charge_when_due"))
    );
    let (_, native) = call(&app, "GET", &format!("/api/checkout-sessions/{id}"), None).await;
    assert!(
        native["payment_method_id"]
            .as_str()
            .is_some_and(|pm| pm.starts_with("pm")),
        "{native}"
    );
    let (status, _) = call(
        &app,
        "POST",
        &confirm,
        Some(&json!({ "confirmation": "charge_when_due" })),
    )
    .await;
    assert_eq!(status, 409, "completed once");
    app.stop().await;
}

async fn cancelled_and_closed_sessions_are_told_apart(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_cancel").await else {
        return;
    };
    let (_, s) = create(&app, &guest(&app)).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let (status, cancelled) = call(&app, "POST", &format!("/checkout/{id}/cancel"), None).await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["checkout_session_status"], "cancelled");
    let (status, again) = call(&app, "POST", &format!("/checkout/{id}/cancel"), None).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("session_not_open"))
    );
    let (_, stripe) = call(&app, "GET", &format!("/v1/checkout/sessions/{id}"), None).await;
    assert_eq!(stripe["status"], "expired");
    let (status, _) = call(
        &app,
        "POST",
        &format!("/checkout/{id}/confirm"),
        Some(&json!({ "confirmation": "charge_immediately" })),
    )
    .await;
    assert_eq!(status, 409);

    // a session whose time ran out is closed, not cancelled
    let (_, s) = create(&app, &guest(&app)).await;
    let id = s["id"].as_str().unwrap().to_owned();
    app.execute_sql(&format!(
        "UPDATE checkout_sessions SET expires_at = 1000 WHERE id = '{id}'"
    ))
    .await;
    let s = read(&app, &id).await;
    assert_eq!(
        (
            s["checkout_session_status"].as_str(),
            s["payment_status"].as_str()
        ),
        (Some("closed"), Some("not_started"))
    );
    let (status, _) = call(&app, "POST", "/checkout/cs_test_nope/cancel", None).await;
    assert_eq!(status, 404);
    app.stop().await;
}

async fn a_zenskar_session_is_paid_and_read_through_the_other_dialects(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_read_elsewhere").await else {
        return;
    };
    let grace = app.customer("grace").await;
    let (_, s) = create(&app, &product_based(&app, &grace)).await;
    let id = s["id"].as_str().unwrap().to_owned();
    let total = s["estimates"]["current_invoice"]["total"].as_i64().unwrap();
    pay_by_card_at(&app.client, &app.address, &id).await;

    let (_, stripe) = call(&app, "GET", &format!("/v1/checkout/sessions/{id}"), None).await;
    assert_eq!(
        (stripe["status"].as_str(), stripe["payment_status"].as_str()),
        (Some("complete"), Some("paid"))
    );
    assert_eq!(stripe["amount_total"], total);
    assert_eq!(stripe["customer"], grace.as_str());
    let (_, flowglad) = call(
        &app,
        "GET",
        &format!("/api/v1/checkout-sessions/{id}"),
        None,
    )
    .await;
    assert_eq!(
        flowglad["checkoutSession"]["status"], "succeeded",
        "{flowglad}"
    );
    let (_, native) = call(&app, "GET", &format!("/api/checkout-sessions/{id}"), None).await;
    assert_eq!(native["status"], "succeeded");
    assert_eq!(native["amounts"]["total"], total);
    // Connhex Pay answers a create only; its sessions are Stripe's, read above.
    let s = read(&app, &id).await;
    assert_eq!(s["payment_status"], "paid");
    app.stop().await;
}

async fn sessions_of_the_other_dialects_read_as_zenskar_sessions(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "zenskar_reads_others").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    let unit = unit_amount(&app, "espresso-beans");
    let stripe: Value = app
        .client
        .post(app.url("/v1/checkout/sessions"))
        .bearer_auth(&app.demo.secret_key)
        .form(&[
            ("mode", "payment"),
            ("line_items[0][price]", price.as_str()),
            ("line_items[0][quantity]", "2"),
            ("success_url", "https://shop.example/thanks"),
            ("client_reference_id", "cart-9"),
            ("line_items[0][adjustable_quantity][enabled]", "true"),
            ("line_items[0][adjustable_quantity][maximum]", "5"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let connhex = app.connhex_session(&price, 2).await;
    let flowglad = app.flowglad_session(&price, 2).await;
    let ids = [stripe["id"].as_str().unwrap().to_owned(), connhex, flowglad];
    // a change through Zenskar keeps what the other dialect set
    let (status, changed) = call(
        &app,
        "PUT",
        &format!("/checkout/{}", ids[0]),
        Some(&json!({ "metadata": { "via": "zenskar" } })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    let (_, native) = call(
        &app,
        "GET",
        &format!("/api/checkout-sessions/{}", ids[0]),
        None,
    )
    .await;
    assert_eq!(native["client_reference_id"], "cart-9");
    assert_eq!(
        native["line_items"][0]["adjustable"]["maximum"], 5,
        "{native}"
    );
    assert_eq!(native["metadata"]["via"], "zenskar");
    for id in &ids {
        let s = read(&app, id).await;
        assert_eq!(s["checkout_session_status"], "open", "{s}");
        assert_eq!(s["contract"]["is_plan_based"], false);
        assert_eq!(
            s["contract"]["phases"][0]["pricings"][0]["pricing_id"],
            price.as_str()
        );
        assert_eq!(s["estimates"]["current_invoice"]["total"], 2 * unit);
        pay_by_card_at(&app.client, &app.address, id).await;
        let s = read(&app, id).await;
        assert_eq!(
            (
                s["checkout_session_status"].as_str(),
                s["payment_status"].as_str()
            ),
            (Some("completed"), Some("paid")),
            "{s}"
        );
    }
    app.stop().await;
}
