//! Business entities and plans through kassa's own API: the catalog Zenskar-style checkouts name.

use crate::app::TestApp;
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    business_entities_are_made_listed_and_kept_apart,
    plans_bundle_active_prices_of_one_currency,
);

async fn send(
    app: &TestApp,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = match method {
        "GET" => app.client.get(app.url(path)),
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

async fn business_entities_are_made_listed_and_kept_apart(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "catalog_entities").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let (status, entity) = send(
        &app,
        &key,
        "POST",
        "/api/business-entities",
        Some(json!({ "name": " Acme EU ", "legal_name": "Acme Europe GmbH", "country": "de" })),
    )
    .await;
    assert_eq!(status, 201, "{entity}");
    let id = entity["id"].as_str().unwrap();
    assert!(id.starts_with("be_"));
    assert_eq!(entity["name"], "Acme EU");
    assert_eq!(entity["country"], "DE");
    let (status, read) = send(
        &app,
        &key,
        "GET",
        &format!("/api/business-entities/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(read, entity);
    let (_, list) = send(&app, &key, "GET", "/api/business-entities", None).await;
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&id), "{list}");
    assert_eq!(ids.len(), app.demo.business_entities.len() + 1);

    for (body, param) in [
        (json!({ "legal_name": "x" }), "name"),
        (json!({ "name": "x", "country": "Germany" }), "country"),
        (json!({ "name": "x", "vat": "1" }), "vat"),
    ] {
        let (status, answer) = send(
            &app,
            &key,
            "POST",
            "/api/business-entities",
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert!(
            answer["error"]["param"].as_str().unwrap().contains(param),
            "{body} -> {answer}"
        );
    }
    let other = app.other_organization("entities-other@example.com").await;
    let (status, _) = send(
        &app,
        &other,
        "GET",
        &format!("/api/business-entities/{id}"),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, theirs) = send(&app, &other, "GET", "/api/business-entities", None).await;
    assert_eq!(theirs["data"], json!([]));
    app.stop().await;
}

async fn plans_bundle_active_prices_of_one_currency(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "catalog_plans").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let monthly = app.price_id("coffee-club-monthly");
    let beans = app.price_id("espresso-beans");
    let (status, plan) = send(
        &app,
        &key,
        "POST",
        "/api/plans",
        Some(json!({ "name": "Office", "items": [{ "price": monthly, "quantity": 5 }, { "price": beans }] })),
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let id = plan["id"].as_str().unwrap();
    assert!(id.starts_with("plan_"));
    assert_eq!(
        plan["currency"], "usd",
        "the prices' currency when none is given"
    );
    assert_eq!(
        plan["items"],
        json!([{ "price": monthly, "quantity": 5 }, { "price": beans, "quantity": 1 }])
    );
    let (status, read) = send(&app, &key, "GET", &format!("/api/plans/{id}"), None).await;
    assert_eq!((status, &read), (200, &plan));
    let (_, list) = send(&app, &key, "GET", "/api/plans", None).await;
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), app.demo.plans.len() + 1);
    assert_eq!(ids[0], id, "newest first");

    // A euro price, to mix currencies with.
    let (status, euro) = send(
        &app,
        &key,
        "POST",
        "/api/v1/products",
        Some(json!({ "product": { "name": "Croissant", "slug": "croissant" },
                     "price": { "type": "single_payment", "unitPrice": 300, "currency": "EUR", "slug": "croissant-eur" } })),
    )
    .await;
    assert_eq!(status, 200, "{euro}");
    let product = euro["product"]["id"].as_str().unwrap();
    let (_, with_prices) = send(
        &app,
        &key,
        "GET",
        &format!("/api/v1/products/{product}"),
        None,
    )
    .await;
    let euro = with_prices["prices"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{with_prices}"))
        .to_owned();
    let cases = vec![
        (json!({ "items": [{ "price": beans }] }), "name"),
        (json!({ "name": "x" }), "items"),
        (
            json!({ "name": "x", "items": [{ "price": "price_nope" }] }),
            "items[0].price",
        ),
        (
            json!({ "name": "x", "items": [{ "price": beans, "quantity": 0 }] }),
            "items[0].quantity",
        ),
        (
            json!({ "name": "x", "currency": "eur", "items": [{ "price": beans }] }),
            "currency",
        ),
        (
            json!({ "name": "x", "currency": "xyz", "items": [{ "price": beans }] }),
            "currency",
        ),
        (
            json!({ "name": "x", "items": [{ "price": beans }, { "price": euro }] }),
            "items[1].price",
        ),
    ];
    for (body, param) in cases {
        let (status, answer) = send(&app, &key, "POST", "/api/plans", Some(body.clone())).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        assert_eq!(answer["error"]["param"], param, "{body} -> {answer}");
    }
    let (_, list) = send(&app, &key, "GET", "/api/plans", None).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        app.demo.plans.len() + 1,
        "nothing made by the refused"
    );
    let other = app.other_organization("plans-other@example.com").await;
    let (status, _) = send(&app, &other, "GET", &format!("/api/plans/{id}"), None).await;
    assert_eq!(status, 404);
    app.stop().await;
}
