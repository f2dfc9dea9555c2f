//! Stripe's `/v1/payment_links`, and `/l/{id}`: a reusable link that makes a session for every
//! visit, sells to each buyer once per visit, and stops when the merchant turns it off.

use crate::app::TestApp;
use kassa::store::Engine;
use serde_json::Value;

crate::on_both_engines!(
    a_payment_link_sells_to_every_visitor_until_turned_off,
    payment_link_mistakes_are_stripe_errors,
);

async fn stripe(app: &TestApp, method: &str, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let request = match method {
        "GET" => app.client.get(app.url(path)).query(form),
        _ => app.client.post(app.url(path)).form(form),
    };
    let response = request
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A buyer opens the link: the status, and the session it sent them to.
async fn visit(app: &TestApp, link: &str) -> (u16, Option<String>) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(app.url(&format!("/l/{link}")))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let session = response
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .and_then(|l| l.rsplit('/').next())
        .map(str::to_owned);
    (status, session)
}

async fn a_payment_link_sells_to_every_visitor_until_turned_off(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "payment_links").await else {
        return;
    };
    let beans = app.price_id("espresso-beans");
    let (status, link) = stripe(
        &app,
        "POST",
        "/v1/payment_links",
        &[
            ("line_items[0][price]", &beans),
            ("line_items[0][quantity]", "2"),
            ("after_completion[type]", "redirect"),
            (
                "after_completion[redirect][url]",
                "https://shop.example/thanks",
            ),
            ("metadata[campaign]", "winter"),
            ("phone_number_collection[enabled]", "false"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{link}");
    let id = link["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("plink_test_"), "{id}");
    assert_eq!(link["object"], "payment_link");
    assert_eq!(link["active"], true);
    assert_eq!(link["url"], app.url(&format!("/l/{id}")));
    assert_eq!(link["metadata"]["campaign"], "winter");
    assert_eq!(
        link["after_completion"]["redirect"]["url"],
        "https://shop.example/thanks"
    );

    // Two buyers, two sessions, two sales.
    let (status, first) = visit(&app, &id).await;
    assert_eq!(status, 303);
    let (_, second) = visit(&app, &id).await;
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_ne!(first, second);
    for session in [&first, &second] {
        let (_, s) = stripe(
            &app,
            "GET",
            &format!("/v1/checkout/sessions/{session}"),
            &[],
        )
        .await;
        assert_eq!(s["payment_link"], id.as_str(), "{s}");
        assert_eq!(s["amount_total"], 4800);
        assert_eq!(s["customer"], Value::Null);
        app.pay_by_card(session).await;
        let (_, s) = stripe(
            &app,
            "GET",
            &format!("/v1/checkout/sessions/{session}"),
            &[],
        )
        .await;
        assert_eq!(s["payment_status"], "paid", "{s}");
    }
    let mut purchases = Vec::new();
    for session in [&first, &second] {
        let s = app.store.session_by_id(session).await.unwrap().unwrap();
        purchases.push(s.purchase_id.expect("each visit's session sold"));
    }
    assert_ne!(purchases[0], purchases[1]);

    // Read back, listed newest first.
    let (status, again) = stripe(&app, "GET", &format!("/v1/payment_links/{id}"), &[]).await;
    assert_eq!((status, &again), (200, &link));
    let (_, other) = stripe(
        &app,
        "POST",
        "/v1/payment_links",
        &[
            ("line_items[0][price]", &beans),
            ("shipping_address_collection[allowed_countries][0]", "DE"),
        ],
    )
    .await;
    assert_eq!(
        other["shipping_address_collection"]["allowed_countries"][0],
        "DE"
    );
    let (_, page) = stripe(&app, "GET", "/v1/payment_links", &[("limit", "1")]).await;
    assert_eq!(page["data"][0]["id"], other["id"]);
    assert_eq!(page["has_more"], true);
    let after = other["id"].as_str().unwrap();
    let (_, page) = stripe(
        &app,
        "GET",
        "/v1/payment_links",
        &[("limit", "1"), ("starting_after", after)],
    )
    .await;
    assert_eq!(page["data"][0]["id"], id.as_str());

    // Turned off: no more sessions. Turned on with three bags: the next visit sells three.
    let (status, off) = stripe(
        &app,
        "POST",
        &format!("/v1/payment_links/{id}"),
        &[("active", "false")],
    )
    .await;
    assert_eq!((status, off["active"].clone()), (200, Value::Bool(false)));
    assert_eq!(visit(&app, &id).await, (410, None));
    // Its page says so in the buyer's language.
    let gone = app
        .client
        .get(app.url(&format!("/l/{id}")))
        .header("accept-language", "de-DE,de;q=0.9")
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 410);
    let html = gone.text().await.unwrap();
    assert!(html.contains(r#"<html lang="de">"#), "{html}");
    assert!(html.contains("Dieser Link ist nicht mehr aktiv"), "{html}");
    let (status, on) = stripe(
        &app,
        "POST",
        &format!("/v1/payment_links/{id}"),
        &[
            ("active", "true"),
            ("line_items[0][price]", &beans),
            ("line_items[0][quantity]", "3"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{on}");
    assert_eq!(on["metadata"]["campaign"], "winter");
    let (status, third) = visit(&app, &id).await;
    assert_eq!(status, 303);
    let (_, s) = stripe(
        &app,
        "GET",
        &format!("/v1/checkout/sessions/{}", third.unwrap()),
        &[],
    )
    .await;
    assert_eq!(s["amount_total"], 7200);
    app.stop().await;
}

async fn payment_link_mistakes_are_stripe_errors(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "payment_link_errors").await else {
        return;
    };
    let error = |body: &Value| {
        (
            body["error"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            body["error"]["param"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    };
    let (status, body) = stripe(&app, "POST", "/v1/payment_links", &[]).await;
    assert_eq!(
        (status, error(&body)),
        (400, ("parameter_missing".into(), "line_items".into()))
    );
    let (status, body) = stripe(
        &app,
        "POST",
        "/v1/payment_links",
        &[("line_items[0][price]", "price_nope")],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body).1, "line_items[0][price]");
    let beans = app.price_id("espresso-beans");
    let (status, body) = stripe(
        &app,
        "POST",
        "/v1/payment_links",
        &[
            ("line_items[0][price]", &beans),
            ("after_completion[type]", "redirect"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error(&body).1, "after_completion[redirect][url]");
    let (status, body) = stripe(
        &app,
        "POST",
        "/v1/payment_links",
        &[
            ("line_items[0][price]", &beans),
            (
                "shipping_address_collection[allowed_countries][0]",
                "Narnia",
            ),
        ],
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        error(&body).1,
        "shipping_address_collection[allowed_countries][0]"
    );
    let (status, body) = stripe(&app, "GET", "/v1/payment_links/plink_test_nope", &[]).await;
    assert_eq!((status, error(&body).0.as_str()), (404, "resource_missing"));
    assert_eq!(visit(&app, "plink_test_nope").await, (404, None));
    app.stop().await;
}
