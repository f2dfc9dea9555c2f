//! The Flowglad dialect: every kind of session and every validation rule its shape can express,
//! each response checked against Flowglad's OpenAPI spec.

use crate::app::TestApp;
use crate::flowglad_spec::assert_conforms;
use kassa::domain::Mode;
use kassa::service::api_keys;
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    a_product_session_by_price_id_is_open_for_a_day,
    a_product_session_by_slug_with_a_quantity,
    an_anonymous_session_has_no_customer,
    a_subscription_price_makes_a_subscription_session_with_its_trial,
    identified_sessions_need_a_known_customer,
    exactly_one_of_price_id_and_price_slug,
    quantities_are_positive_integers,
    urls_are_fully_qualified_and_required,
    unknown_and_archived_prices_are_refused,
    the_type_is_required_and_known,
    metadata_and_names_are_bounded,
    add_payment_method_sessions_target_only_the_customers_subscription,
    activate_subscription_needs_an_activatable_subscription_of_the_organization,
    sessions_are_read_back_only_by_their_organization_and_mode,
    sessions_are_listed_in_cursor_pages,
    a_missing_or_bad_key_is_unauthorized_in_flowglads_shape,
    malformed_bodies_are_400_naming_the_path,
    products_are_created_read_updated_and_listed,
    prices_are_created_read_archived_and_listed,
    customers_are_created_read_updated_and_listed,
    unknown_endpoints_answer_in_flowglads_shape,
    what_checkouts_create_is_read_in_flowglads_shapes,
    a_paypal_payment_is_link_in_every_flowglad_shape,
);

/// A Flowglad client for a running kassa: every answer is checked against the spec.
struct Flowglad<'a> {
    app: &'a TestApp,
    key: String,
}

impl<'a> Flowglad<'a> {
    fn new(app: &'a TestApp) -> Self {
        Flowglad {
            app,
            key: app.demo.secret_key.clone(),
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        template: &str,
        body: Option<&str>,
    ) -> (u16, Value) {
        let url = self.app.url(path);
        let request = match method {
            "get" => self.app.client.get(url),
            "post" => self.app.client.post(url),
            "put" => self.app.client.put(url),
            other => panic!("{other}"),
        };
        let request = request.header("authorization", &self.key);
        let request = match body {
            Some(body) => request
                .header("content-type", "application/json")
                .body(body.to_owned()),
            None => request,
        };
        let response = request.send().await.expect("sent");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("every answer is JSON");
        assert!(status < 500, "{method} {path}: a {status} is a bug: {body}");
        assert_conforms(method, template, status, &body);
        (status, body)
    }

    async fn create(&self, session: Value) -> (u16, Value) {
        let body = json!({ "checkoutSession": session }).to_string();
        self.send(
            "post",
            "/api/v1/checkout-sessions",
            "/api/v1/checkout-sessions",
            Some(&body),
        )
        .await
    }

    async fn get(&self, path: &str, template: &str) -> (u16, Value) {
        self.send("get", path, template, None).await
    }
}

fn price_id(app: &TestApp, slug: &str) -> String {
    app.demo
        .prices
        .iter()
        .find(|p| p.slug == slug)
        .expect("demo price")
        .id
        .clone()
}

/// A product session for the demo's one-time price, anonymous, with good URLs.
fn product(app: &TestApp) -> Value {
    json!({
        "type": "product",
        "priceId": price_id(app, "espresso-beans"),
        "anonymous": true,
        "successUrl": "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}",
        "cancelUrl": "https://shop.example/cart",
    })
}

fn with(mut base: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            base.as_object_mut().unwrap().remove(key);
        } else {
            base[key] = value.clone();
        }
    }
    base
}

/// Asserts a 400 whose message and issues lead with `field`.
fn assert_bad(answer: (u16, Value), field: &str) {
    let (status, body) = answer;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["code"], "BAD_REQUEST");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!("{field}: ")),
        "expected the field {field} in: {message}"
    );
}

async fn customer(api: &Flowglad<'_>, external_id: &str) -> Value {
    let body = json!({ "customer": { "email": format!("{external_id}@example.com"), "name": "Ada", "externalId": external_id } });
    let (status, created) = api
        .send(
            "post",
            "/api/v1/customers",
            "/api/v1/customers",
            Some(&body.to_string()),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    created["data"]["customer"].clone()
}

async fn a_product_session_by_price_id_is_open_for_a_day(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_product_by_id").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let (status, body) = api.create(product(&app)).await;
    assert_eq!(status, 200, "{body}");
    let session = &body["checkoutSession"];
    let id = session["id"].as_str().unwrap();
    assert!(id.starts_with("cs_test_"));
    assert_eq!(body["url"], format!("{}/checkout/{id}", app.address));
    assert_eq!(session["type"], "product");
    assert_eq!(session["status"], "open");
    assert_eq!(session["livemode"], false);
    assert_eq!(session["priceId"], price_id(&app, "espresso-beans"));
    assert_eq!(session["quantity"], 1, "quantity defaults to 1");
    assert_eq!(session["organizationId"], app.demo.organization_id.as_str());
    assert_eq!(
        session["successUrl"],
        "https://shop.example/thanks?session={CHECKOUT_SESSION_ID}"
    );
    let lifetime = session["expires"].as_i64().unwrap() - session["createdAt"].as_i64().unwrap();
    assert_eq!(
        lifetime,
        24 * 60 * 60 * 1000,
        "sessions expire 24 hours after creation"
    );
    app.stop().await;
}

async fn a_product_session_by_slug_with_a_quantity(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_product_by_slug").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let session = with(
        product(&app),
        json!({ "priceId": null, "priceSlug": "espresso-beans", "quantity": 3 }),
    );
    let (status, body) = api.create(session).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["checkoutSession"]["priceId"],
        price_id(&app, "espresso-beans")
    );
    assert_eq!(body["checkoutSession"]["quantity"], 3);
    app.stop().await;
}

async fn an_anonymous_session_has_no_customer(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_anonymous").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let (_, body) = api.create(product(&app)).await;
    assert_eq!(body["checkoutSession"]["customerId"], Value::Null);
    assert_eq!(body["checkoutSession"]["customerEmail"], Value::Null);
    let named = with(product(&app), json!({ "customerExternalId": "u1" }));
    assert_bad(
        api.create(named).await,
        "checkoutSession.customerExternalId",
    );
    app.stop().await;
}

async fn a_subscription_price_makes_a_subscription_session_with_its_trial(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_subscription").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let ada = customer(&api, "ada").await;
    let session = with(
        product(&app),
        json!({ "priceId": price_id(&app, "coffee-club-monthly"), "anonymous": null, "customerExternalId": "ada" }),
    );
    let (status, body) = api.create(session).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checkoutSession"]["customerId"], ada["id"]);
    assert_eq!(body["checkoutSession"]["customerEmail"], "ada@example.com");
    // the core knows it as a subscription session
    let id = body["checkoutSession"]["id"].as_str().unwrap();
    let stored = app.store.session_by_id(id).await.unwrap().unwrap();
    assert_eq!(
        stored.mode,
        kassa::domain::session::SessionMode::Subscription
    );
    app.stop().await;
}

async fn identified_sessions_need_a_known_customer(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_identified").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let unnamed = with(product(&app), json!({ "anonymous": false }));
    assert_bad(
        api.create(unnamed).await,
        "checkoutSession.customerExternalId",
    );
    let unknown = with(
        product(&app),
        json!({ "anonymous": null, "customerExternalId": "nobody" }),
    );
    assert_bad(
        api.create(unknown).await,
        "checkoutSession.customerExternalId",
    );
    // a live-mode customer is not one of the test catalog's
    let (_, live) = api_keys::create(&app.store, &app.demo.organization_id, Mode::Live, "live")
        .await
        .unwrap();
    let live_api = Flowglad {
        app: &app,
        key: live.expose().to_owned(),
    };
    customer(&live_api, "live-only").await;
    let other_mode = with(
        product(&app),
        json!({ "anonymous": null, "customerExternalId": "live-only" }),
    );
    assert_bad(
        api.create(other_mode).await,
        "checkoutSession.customerExternalId",
    );
    app.stop().await;
}

async fn exactly_one_of_price_id_and_price_slug(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_one_price").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let both = with(product(&app), json!({ "priceSlug": "espresso-beans" }));
    assert_bad(api.create(both).await, "checkoutSession.priceId");
    let neither = with(product(&app), json!({ "priceId": null }));
    assert_bad(api.create(neither).await, "checkoutSession.priceId");
    app.stop().await;
}

async fn quantities_are_positive_integers(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_quantity").await else {
        return;
    };
    let api = Flowglad::new(&app);
    for bad in [json!(0), json!(-2), json!(1_000_000)] {
        assert_bad(
            api.create(with(product(&app), json!({ "quantity": bad })))
                .await,
            "checkoutSession.quantity",
        );
    }
    for wrong_type in [json!("two"), json!(1.5)] {
        assert_bad(
            api.create(with(product(&app), json!({ "quantity": wrong_type })))
                .await,
            "checkoutSession.quantity",
        );
    }
    app.stop().await;
}

async fn urls_are_fully_qualified_and_required(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_urls").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let too_long = format!("https://shop.example/{}", "a".repeat(2100));
    for (field, value) in [
        ("successUrl", json!("/thanks")),
        ("successUrl", json!("shop.example/thanks")),
        ("cancelUrl", json!("ftp://shop.example")),
        ("cancelUrl", json!(too_long)),
        ("successUrl", json!("")),
        ("successUrl", Value::Null),
        ("cancelUrl", Value::Null),
    ] {
        let session = with(product(&app), json!({ field: value }));
        assert_bad(
            api.create(session).await,
            &format!("checkoutSession.{field}"),
        );
    }
    let longest = format!(
        "https://shop.example/{}",
        "a".repeat(2083 - "https://shop.example/".len())
    );
    let (status, _) = api
        .create(with(product(&app), json!({ "successUrl": longest })))
        .await;
    assert_eq!(status, 200, "2083 characters are allowed");
    app.stop().await;
}

async fn unknown_and_archived_prices_are_refused(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_prices_refused").await else {
        return;
    };
    let api = Flowglad::new(&app);
    assert_bad(
        api.create(with(product(&app), json!({ "priceId": "price_nope" })))
            .await,
        "checkoutSession.priceId",
    );
    let by_slug = with(
        product(&app),
        json!({ "priceId": null, "priceSlug": "nope" }),
    );
    assert_bad(api.create(by_slug).await, "checkoutSession.priceSlug");
    let id = price_id(&app, "espresso-beans");
    let archive = json!({ "price": { "id": id, "type": "single_payment", "isDefault": true, "active": false } });
    let (status, body) = api
        .send(
            "put",
            &format!("/api/v1/prices/{id}"),
            "/api/v1/prices/{id}",
            Some(&archive.to_string()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["price"]["active"], false);
    let (status, body) = api.create(product(&app)).await;
    assert_bad((status, body.clone()), "checkoutSession.priceId");
    assert!(
        body["message"].as_str().unwrap().contains("archived"),
        "{body}"
    );
    app.stop().await;
}

async fn the_type_is_required_and_known(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_type").await else {
        return;
    };
    let api = Flowglad::new(&app);
    assert_bad(
        api.create(with(product(&app), json!({ "type": null })))
            .await,
        "checkoutSession.type",
    );
    assert_bad(
        api.create(with(product(&app), json!({ "type": "invoice" })))
            .await,
        "checkoutSession.type",
    );
    let (status, body) = api
        .send(
            "post",
            "/api/v1/checkout-sessions",
            "/api/v1/checkout-sessions",
            Some("{}"),
        )
        .await;
    assert_bad((status, body), "checkoutSession");
    app.stop().await;
}

async fn metadata_and_names_are_bounded(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_metadata").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let ok = with(
        product(&app),
        json!({ "outputMetadata": { "plan": "pro", "seats": 3, "gift": true }, "outputName": "Beans" }),
    );
    let (status, body) = api.create(ok).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["checkoutSession"]["outputMetadata"]["seats"], 3);
    assert_eq!(body["checkoutSession"]["outputName"], "Beans");
    let nested = with(
        product(&app),
        json!({ "outputMetadata": { "a": { "b": 1 } } }),
    );
    assert_bad(api.create(nested).await, "checkoutSession.outputMetadata");
    let long_value = with(
        product(&app),
        json!({ "outputMetadata": { "a": "x".repeat(501) } }),
    );
    assert_bad(
        api.create(long_value).await,
        "checkoutSession.outputMetadata",
    );
    let long_name = with(product(&app), json!({ "outputName": "x".repeat(256) }));
    assert_bad(api.create(long_name).await, "checkoutSession.outputName");
    app.stop().await;
}

fn urls() -> Value {
    json!({ "successUrl": "https://shop.example/ok", "cancelUrl": "https://shop.example/back" })
}

async fn add_payment_method_sessions_target_only_the_customers_subscription(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_add_payment_method").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let ada = customer(&api, "ada").await;
    let grace = customer(&api, "grace").await;
    let org = app.demo.organization_id.clone();
    let adas = app
        .monthly_subscription(&org, ada["id"].as_str().unwrap(), "active")
        .await;
    let graces = app
        .monthly_subscription(&org, grace["id"].as_str().unwrap(), "active")
        .await;

    let save = with(
        urls(),
        json!({ "type": "add_payment_method", "customerExternalId": "ada" }),
    );
    let (status, body) = api.create(save.clone()).await;
    assert_eq!(status, 200, "{body}");
    let session = &body["checkoutSession"];
    assert_eq!(session["type"], "add_payment_method");
    assert_eq!(session["customerId"], ada["id"]);
    assert_eq!(session["priceId"], Value::Null);

    let (status, body) = api
        .create(with(
            save.clone(),
            json!({ "targetSubscriptionId": adas, "automaticallyUpdateSubscriptions": true }),
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["checkoutSession"]["targetSubscriptionId"],
        adas.as_str()
    );
    assert_eq!(
        body["checkoutSession"]["automaticallyUpdateSubscriptions"],
        true
    );

    assert_bad(
        api.create(with(
            save.clone(),
            json!({ "targetSubscriptionId": graces }),
        ))
        .await,
        "checkoutSession.targetSubscriptionId",
    );
    assert_bad(
        api.create(with(
            save.clone(),
            json!({ "targetSubscriptionId": "sub_nope" }),
        ))
        .await,
        "checkoutSession.targetSubscriptionId",
    );
    assert_bad(
        api.create(with(save, json!({ "customerExternalId": null })))
            .await,
        "checkoutSession.customerExternalId",
    );
    app.stop().await;
}

async fn activate_subscription_needs_an_activatable_subscription_of_the_organization(
    engine: Engine,
) {
    let Some(app) = TestApp::spawn(engine, "fg_activate").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let ada = customer(&api, "ada").await;
    let ada_id = ada["id"].as_str().unwrap();
    let org = app.demo.organization_id.clone();
    let pending = app.monthly_subscription(&org, ada_id, "incomplete").await;
    let active = app.monthly_subscription(&org, ada_id, "active").await;

    let activate = with(
        urls(),
        json!({ "type": "activate_subscription", "customerExternalId": "ada" }),
    );
    assert_bad(
        api.create(activate.clone()).await,
        "checkoutSession.targetSubscriptionId",
    );
    let (status, body) = api
        .create(with(
            activate.clone(),
            json!({ "targetSubscriptionId": pending, "preserveBillingCycleAnchor": true }),
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let session = &body["checkoutSession"];
    assert_eq!(session["type"], "activate_subscription");
    assert_eq!(session["targetSubscriptionId"], pending.as_str());
    assert_eq!(
        session["priceId"],
        price_id(&app, "coffee-club-monthly"),
        "it pays for the subscription's price"
    );
    assert_eq!(session["preserveBillingCycleAnchor"], true);

    assert_bad(
        api.create(with(
            activate.clone(),
            json!({ "targetSubscriptionId": active }),
        ))
        .await,
        "checkoutSession.targetSubscriptionId",
    );

    // another organization's subscription is unknown here
    let other = kassa::service::ids::new_id("org");
    let (_, other_key) = {
        app.store
            .insert_organization(&other, "Other")
            .await
            .unwrap();
        api_keys::create(&app.store, &other, Mode::Test, "k")
            .await
            .unwrap()
    };
    let other_api = Flowglad {
        app: &app,
        key: other_key.expose().to_owned(),
    };
    customer(&other_api, "ada").await;
    let (status, body) = other_api
        .create(with(activate, json!({ "targetSubscriptionId": pending })))
        .await;
    assert_bad((status, body), "checkoutSession.targetSubscriptionId");
    app.stop().await;
}

async fn sessions_are_read_back_only_by_their_organization_and_mode(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_retrieve").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let (_, created) = api.create(product(&app)).await;
    let id = created["checkoutSession"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let template = "/api/v1/checkout-sessions/{id}";
    let (status, body) = api
        .get(&format!("/api/v1/checkout-sessions/{id}"), template)
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, created, "retrieve answers what create did");

    let (status, body) = api
        .get("/api/v1/checkout-sessions/cs_test_unknown", template)
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("NOT_FOUND")));

    let (_, live) = api_keys::create(&app.store, &app.demo.organization_id, Mode::Live, "live")
        .await
        .unwrap();
    let live_api = Flowglad {
        app: &app,
        key: live.expose().to_owned(),
    };
    assert_eq!(
        live_api
            .get(&format!("/api/v1/checkout-sessions/{id}"), template)
            .await
            .0,
        404
    );

    let other = kassa::service::ids::new_id("org");
    app.store
        .insert_organization(&other, "Other")
        .await
        .unwrap();
    let (_, other_key) = api_keys::create(&app.store, &other, Mode::Test, "k")
        .await
        .unwrap();
    let other_api = Flowglad {
        app: &app,
        key: other_key.expose().to_owned(),
    };
    assert_eq!(
        other_api
            .get(&format!("/api/v1/checkout-sessions/{id}"), template)
            .await
            .0,
        404
    );
    app.stop().await;
}

async fn sessions_are_listed_in_cursor_pages(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_list").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let mut created = Vec::new();
    for _ in 0..5 {
        let (_, body) = api.create(product(&app)).await;
        created.push(body["checkoutSession"]["id"].as_str().unwrap().to_owned());
    }
    let template = "/api/v1/checkout-sessions";
    let mut seen = Vec::new();
    let mut path = "/api/v1/checkout-sessions?limit=2".to_owned();
    loop {
        let (status, page) = api.get(&path, template).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["total"], 5);
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["id"].as_str().unwrap().to_owned()),
        );
        if page["hasMore"] == false {
            assert!(page.get("nextCursor").is_none());
            break;
        }
        path = format!(
            "/api/v1/checkout-sessions?limit=2&cursor={}",
            page["nextCursor"].as_str().unwrap()
        );
    }
    created.sort();
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(sorted, created, "every session once");
    assert_eq!(seen.len(), 5);
    for bad in ["limit=0", "limit=101", "limit=ten"] {
        let (status, body) = api
            .get(&format!("/api/v1/checkout-sessions?{bad}"), template)
            .await;
        assert_bad((status, body), "limit");
    }
    let (status, body) = api
        .get("/api/v1/checkout-sessions?cursor=forged", template)
        .await;
    assert_bad((status, body), "cursor");
    app.stop().await;
}

async fn a_missing_or_bad_key_is_unauthorized_in_flowglads_shape(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_unauthorized").await else {
        return;
    };
    for key in [
        "",
        "Bearer sk_test_nope",
        &app.demo.secret_key.replacen("sk_test_", "sk_live_", 1),
    ] {
        let api = Flowglad {
            app: &app,
            key: key.to_owned(),
        };
        let (status, body) = api
            .get("/api/v1/checkout-sessions", "/api/v1/checkout-sessions")
            .await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("UNAUTHORIZED")),
            "{key}"
        );
    }
    let bearer = Flowglad {
        app: &app,
        key: format!("Bearer {}", app.demo.secret_key),
    };
    assert_eq!(
        bearer
            .get("/api/v1/checkout-sessions", "/api/v1/checkout-sessions")
            .await
            .0,
        200
    );
    app.stop().await;
}

async fn malformed_bodies_are_400_naming_the_path(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_malformed").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let template = "/api/v1/checkout-sessions";
    for body in [
        "",
        "not json",
        "[1, 2]",
        r#"{"checkoutSession": "product"}"#,
    ] {
        let (status, answer) = api.send("post", template, template, Some(body)).await;
        assert_eq!(status, 400, "{body}: {answer}");
    }
    let (status, answer) = api
        .send(
            "post",
            template,
            template,
            Some(r#"{"checkoutSession": {"type": 5}}"#),
        )
        .await;
    assert_bad((status, answer), "checkoutSession.type");
    app.stop().await;
}

async fn products_are_created_read_updated_and_listed(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_products").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let create = json!({
        "product": { "name": "Pour-over kit", "active": true, "slug": "pour-over-kit", "description": "Everything to start" },
        "price": { "type": "single_payment", "unitPrice": 4500, "isDefault": true, "slug": "pour-over-kit" },
    });
    let (status, body) = api
        .send(
            "post",
            "/api/v1/products",
            "/api/v1/products",
            Some(&create.to_string()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let product = body["product"].clone();
    let id = product["id"].as_str().unwrap();
    assert_eq!(product["slug"], "pour-over-kit");

    let template = "/api/v1/products/{id}";
    let (status, body) = api.get(&format!("/api/v1/products/{id}"), template).await;
    assert_eq!(status, 200);
    assert_eq!(body["prices"].as_array().unwrap().len(), 1);
    assert_eq!(body["defaultPrice"]["unitPrice"], 4500);
    assert_eq!(body["defaultPrice"]["currency"], "USD");

    let update = json!({ "product": { "id": id, "name": "Pour-over starter kit", "active": true, "description": null } });
    let (status, body) = api
        .send(
            "put",
            &format!("/api/v1/products/{id}"),
            template,
            Some(&update.to_string()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["product"]["name"], "Pour-over starter kit");
    assert_eq!(body["product"]["description"], Value::Null);

    let (status, body) = api
        .send(
            "post",
            "/api/v1/products",
            "/api/v1/products",
            Some(&create.to_string()),
        )
        .await;
    assert_eq!(status, 409, "a taken slug conflicts: {body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("product.slug: "),
        "{body}"
    );

    let nameless = json!({ "product": { "name": "", "active": true, "slug": "x" }, "price": { "type": "single_payment", "unitPrice": 1, "isDefault": true } });
    let (status, body) = api
        .send(
            "post",
            "/api/v1/products",
            "/api/v1/products",
            Some(&nameless.to_string()),
        )
        .await;
    assert_bad((status, body), "product.name");
    let usage = json!({ "product": { "name": "Meter", "active": true, "slug": "meter" }, "price": { "type": "usage", "unitPrice": 1, "isDefault": true } });
    let (status, body) = api
        .send(
            "post",
            "/api/v1/products",
            "/api/v1/products",
            Some(&usage.to_string()),
        )
        .await;
    assert_bad((status, body), "price.type");
    let no_price = json!({ "product": { "name": "Bare", "active": true, "slug": "bare" } });
    let (status, body) = api
        .send(
            "post",
            "/api/v1/products",
            "/api/v1/products",
            Some(&no_price.to_string()),
        )
        .await;
    assert_bad((status, body), "price");

    let (status, body) = api
        .get("/api/v1/products?limit=2", "/api/v1/products")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 3, "the demo's two and this one");
    assert_eq!(body["hasMore"], true);
    assert_eq!(api.get("/api/v1/products/prod_nope", template).await.0, 404);
    let (status, _) = api
        .send(
            "put",
            "/api/v1/products/prod_nope",
            template,
            Some(&update.to_string()),
        )
        .await;
    assert_eq!(status, 400, "the body's id does not match the path");
    app.stop().await;
}

async fn prices_are_created_read_archived_and_listed(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_prices").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let product_id = app.demo.prices[0].product_id.clone();
    let yearly = json!({ "price": {
        "type": "subscription", "productId": product_id, "unitPrice": 15000, "isDefault": false,
        "intervalUnit": "year", "intervalCount": 1, "trialPeriodDays": 30, "slug": "club-yearly", "name": "Yearly",
    }});
    let (status, body) = api
        .send(
            "post",
            "/api/v1/prices",
            "/api/v1/prices",
            Some(&yearly.to_string()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["price"]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (
            body["price"]["intervalUnit"].as_str(),
            body["price"]["trialPeriodDays"].as_i64()
        ),
        (Some("year"), Some(30))
    );

    let template = "/api/v1/prices/{id}";
    let (status, body) = api.get(&format!("/api/v1/prices/{id}"), template).await;
    assert_eq!(
        (status, body["price"]["slug"].as_str()),
        (200, Some("club-yearly"))
    );

    // a session for it takes the price's trial
    let session = with(product(&app), json!({ "priceId": id }));
    let (status, created) = api.create(session).await;
    assert_eq!(status, 200, "{created}");
    let stored = app
        .store
        .session_by_id(created["checkoutSession"]["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.trial_period_days, Some(30));
    assert_eq!(
        stored.amounts.due_today, 0,
        "nothing is due today during a trial"
    );
    assert_eq!(stored.amounts.total, 15000);

    for (price, field) in [
        (
            json!({ "type": "subscription", "productId": product_id, "unitPrice": 100, "isDefault": false }),
            "price.intervalUnit",
        ),
        (
            json!({ "type": "single_payment", "productId": product_id, "unitPrice": -1, "isDefault": false }),
            "price.unitPrice",
        ),
        (
            json!({ "type": "single_payment", "unitPrice": 100, "isDefault": false }),
            "price.productId",
        ),
        (
            json!({ "type": "single_payment", "productId": "prod_nope", "unitPrice": 100, "isDefault": false }),
            "price.productId",
        ),
        (
            json!({ "type": "subscription", "productId": product_id, "unitPrice": 100, "isDefault": false, "intervalUnit": "fortnight", "intervalCount": 1 }),
            "price.intervalUnit",
        ),
    ] {
        let body = json!({ "price": price }).to_string();
        assert_bad(
            api.send("post", "/api/v1/prices", "/api/v1/prices", Some(&body))
                .await,
            field,
        );
    }
    let taken = json!({ "price": { "type": "single_payment", "productId": product_id, "unitPrice": 1, "isDefault": false, "slug": "club-yearly" } });
    let (status, _) = api
        .send(
            "post",
            "/api/v1/prices",
            "/api/v1/prices",
            Some(&taken.to_string()),
        )
        .await;
    assert_eq!(status, 409);

    let (status, body) = api.get("/api/v1/prices", "/api/v1/prices").await;
    assert_eq!((status, body["total"].as_i64()), (200, Some(3)));
    assert_eq!(api.get("/api/v1/prices/price_nope", template).await.0, 404);
    app.stop().await;
}

async fn customers_are_created_read_updated_and_listed(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_customers").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let ada = customer(&api, "ada").await;
    assert_eq!(ada["externalId"], "ada");
    let template = "/api/v1/customers/{externalId}";
    let (status, body) = api.get("/api/v1/customers/ada", template).await;
    assert_eq!(status, 200);
    assert_eq!(body["customer"], ada);

    let update = json!({ "customer": { "name": "Ada Lovelace", "domain": "example.com" } });
    let (status, body) = api
        .send(
            "put",
            "/api/v1/customers/ada",
            template,
            Some(&update.to_string()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["customer"]["name"].as_str(),
            body["customer"]["domain"].as_str()
        ),
        (Some("Ada Lovelace"), Some("example.com"))
    );

    let again =
        json!({ "customer": { "email": "ada@example.com", "name": "Ada", "externalId": "ada" } })
            .to_string();
    let (status, body) = api
        .send(
            "post",
            "/api/v1/customers",
            "/api/v1/customers",
            Some(&again),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("customer.externalId: ")
    );
    for (customer, field) in [
        (
            json!({ "email": "not-an-email", "name": "A", "externalId": "b" }),
            "customer.email",
        ),
        (
            json!({ "email": "b@example.com", "externalId": "b" }),
            "customer.name",
        ),
        (
            json!({ "email": "b@example.com", "name": "B" }),
            "customer.externalId",
        ),
    ] {
        let body = json!({ "customer": customer }).to_string();
        assert_bad(
            api.send(
                "post",
                "/api/v1/customers",
                "/api/v1/customers",
                Some(&body),
            )
            .await,
            field,
        );
    }
    let bad_email = json!({ "customer": { "email": "nope" } }).to_string();
    assert_bad(
        api.send("put", "/api/v1/customers/ada", template, Some(&bad_email))
            .await,
        "customer.email",
    );
    assert_eq!(api.get("/api/v1/customers/nobody", template).await.0, 404);
    let (status, body) = api.get("/api/v1/customers", "/api/v1/customers").await;
    assert_eq!((status, body["total"].as_i64()), (200, Some(1)));
    app.stop().await;
}

async fn unknown_endpoints_answer_in_flowglads_shape(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_unknown_endpoint").await else {
        return;
    };
    let response = app
        .client
        .get(app.url("/api/v1/nothing-here"))
        .header("authorization", &app.demo.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "NOT_FOUND");
    app.stop().await;
}

async fn what_checkouts_create_is_read_in_flowglads_shapes(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_billing_reads").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let ada = customer(&api, "ada").await;

    // a one-time purchase, a subscription with a trial, and a saved card
    let (_, created) = api.create(product(&app)).await;
    let one_time = created["checkoutSession"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.pay_by_card(&one_time).await;
    let monthly = with(
        product(&app),
        json!({ "priceId": price_id(&app, "coffee-club-monthly"), "anonymous": null, "customerExternalId": "ada" }),
    );
    let (_, created) = api.create(monthly).await;
    let subscribed = created["checkoutSession"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.pay_by_card(&subscribed).await;
    let (_, created) = api
        .create(with(
            urls(),
            json!({ "type": "add_payment_method", "customerExternalId": "ada" }),
        ))
        .await;
    let saved = created["checkoutSession"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.pay_by_card(&saved).await;

    let (status, body) = api
        .get(
            &format!("/api/v1/checkout-sessions/{one_time}"),
            "/api/v1/checkout-sessions/{id}",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["checkoutSession"]["status"], "succeeded");
    assert_eq!(body["checkoutSession"]["paymentMethodType"], "card");
    let purchase_id = body["checkoutSession"]["purchaseId"]
        .as_str()
        .expect("a succeeded purchase carries its purchase")
        .to_owned();
    let (status, purchase) = api
        .get(
            &format!("/api/v1/purchases/{purchase_id}"),
            "/api/v1/purchases/{id}",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            purchase["purchase"]["priceType"].as_str(),
            purchase["purchase"]["status"].as_str()
        ),
        (Some("single_payment"), Some("paid"))
    );

    let (status, payments) = api.get("/api/v1/payments", "/api/v1/payments").await;
    assert_eq!(
        (status, payments["total"].as_i64()),
        (200, Some(2)),
        "the trial charged nothing; the card was only saved"
    );
    let payment_id = payments["data"][1]["id"].as_str().unwrap();
    let (status, payment) = api
        .get(
            &format!("/api/v1/payments/{payment_id}"),
            "/api/v1/payments/{id}",
        )
        .await;
    assert_eq!(
        (status, payment["payment"]["status"].as_str()),
        (200, Some("succeeded"))
    );

    let (status, invoices) = api.get("/api/v1/invoices", "/api/v1/invoices").await;
    assert_eq!((status, invoices["total"].as_i64()), (200, Some(2)));
    let kinds: Vec<&str> = invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"purchase") && kinds.contains(&"subscription"),
        "{kinds:?}"
    );
    for invoice in invoices["data"].as_array().unwrap() {
        let id = invoice["id"].as_str().unwrap();
        let (status, one) = api
            .get(&format!("/api/v1/invoices/{id}"), "/api/v1/invoices/{id}")
            .await;
        assert_eq!(
            (status, one["invoice"]["status"].as_str()),
            (200, Some("paid"))
        );
    }

    let (status, subscriptions) = api
        .get("/api/v1/subscriptions", "/api/v1/subscriptions")
        .await;
    assert_eq!((status, subscriptions["total"].as_i64()), (200, Some(1)));
    let subscription = &subscriptions["data"][0];
    assert_eq!(
        (
            subscription["status"].as_str(),
            subscription["customerId"].as_str()
        ),
        (Some("active"), ada["id"].as_str())
    );
    let id = subscription["id"].as_str().unwrap();
    assert_eq!(
        api.get(
            &format!("/api/v1/subscriptions/{id}"),
            "/api/v1/subscriptions/{id}"
        )
        .await
        .0,
        200
    );

    let (status, methods) = api
        .get("/api/v1/payment-methods", "/api/v1/payment-methods")
        .await;
    assert_eq!(
        (status, methods["total"].as_i64()),
        (200, Some(2)),
        "the subscription's card and the saved one"
    );
    let method = &methods["data"][0];
    assert_eq!(
        (
            method["type"].as_str(),
            method["paymentMethodData"]["last4"].as_str()
        ),
        (Some("card"), Some("4242"))
    );
    let id = method["id"].as_str().unwrap();
    assert_eq!(
        api.get(
            &format!("/api/v1/payment-methods/{id}"),
            "/api/v1/payment-methods/{id}"
        )
        .await
        .0,
        200
    );

    for missing in [
        "/api/v1/payments/pay_x",
        "/api/v1/purchases/pur_x",
        "/api/v1/invoices/inv_x",
        "/api/v1/subscriptions/sub_x",
        "/api/v1/payment-methods/pm_x",
    ] {
        let template = format!("{}/{{id}}", missing.rsplit_once('/').unwrap().0);
        assert_eq!(api.get(missing, &template).await.0, 404, "{missing}");
    }
    app.stop().await;
}

/// Flowglad has no word for PayPal: the session and its payment both say `link`, the nearest.
async fn a_paypal_payment_is_link_in_every_flowglad_shape(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "fg_paypal_is_link").await else {
        return;
    };
    let api = Flowglad::new(&app);
    let id = app
        .create_session(&json!({
            "line_items": [{ "price": price_id(&app, "espresso-beans") }],
            "payment_method_types": ["card", "paypal"],
        }))
        .await;
    let form = [
        ("session_id", id.as_str()),
        ("email", "ada@example.com"),
        ("country", "US"),
        ("postal_code", "94107"),
        ("payment_method_type", "paypal"),
    ];
    for (path, fields) in [
        ("/api/checkout/confirm", &form[..]),
        (
            "/api/checkout/authenticate",
            &[("session_id", id.as_str()), ("decision", "approve")][..],
        ),
    ] {
        let response = app
            .client
            .post(app.url(path))
            .header("accept", "application/json")
            .form(fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }

    let (status, body) = api
        .get(
            &format!("/api/v1/checkout-sessions/{id}"),
            "/api/v1/checkout-sessions/{id}",
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            body["checkoutSession"]["status"].as_str(),
            body["checkoutSession"]["paymentMethodType"].as_str()
        ),
        (Some("succeeded"), Some("link"))
    );
    let (status, payments) = api.get("/api/v1/payments", "/api/v1/payments").await;
    assert_eq!(status, 200);
    assert_eq!(payments["data"][0]["paymentMethod"], "link", "{payments}");
    app.stop().await;
}
