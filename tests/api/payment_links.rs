//! Stripe's `/v1/payment_links`, and `/l/{id}`: a reusable link that makes a session for every
//! visit, sells to each buyer once per visit, and stops when the merchant turns it off.

use crate::app::TestApp;
use kassa::store::Engine;
use serde_json::Value;

crate::on_both_engines!(
    a_payment_link_sells_to_every_visitor_until_turned_off,
    payment_link_mistakes_are_stripe_errors,
    a_link_asks_every_buyer_its_questions_and_terms,
    a_client_opening_a_link_in_a_loop_is_stopped,
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

async fn a_link_asks_every_buyer_its_questions_and_terms(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "link_questions").await else {
        return;
    };
    let beans = app.price_id("espresso-beans");
    let asking: Vec<(&str, &str)> = vec![
        ("line_items[0][price]", &beans),
        ("custom_fields[0][key]", "grind"),
        ("custom_fields[0][label][type]", "custom"),
        ("custom_fields[0][label][custom]", "Grind"),
        ("custom_fields[0][type]", "dropdown"),
        (
            "custom_fields[0][dropdown][options][0][label]",
            "Whole beans",
        ),
        ("custom_fields[0][dropdown][options][0][value]", "whole"),
        ("custom_fields[0][dropdown][default_value]", "whole"),
        ("consent_collection[terms_of_service]", "required"),
    ];
    // A link is checked as the sessions it makes are: no terms to accept yet.
    let (status, refused) = stripe(&app, "POST", "/v1/payment_links", &asking).await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(
        refused["error"]["param"],
        "consent_collection[terms_of_service]"
    );
    app.store
        .set_branding(
            &app.demo.organization_id,
            &kassa::store::Branding {
                terms_url: Some("https://shop.example/terms".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let (status, link) = stripe(&app, "POST", "/v1/payment_links", &asking).await;
    assert_eq!(status, 200, "{link}");
    assert_eq!(link["consent_collection"]["terms_of_service"], "required");
    assert_eq!(
        link["custom_fields"][0]["dropdown"]["default_value"],
        "whole"
    );
    let id = link["id"].as_str().unwrap();

    // Every visit's session asks them.
    let (status, session) = visit(&app, id).await;
    assert_eq!(status, 303);
    let session = session.unwrap();
    let (_, made) = stripe(
        &app,
        "GET",
        &format!("/v1/checkout/sessions/{session}"),
        &[],
    )
    .await;
    assert_eq!(made["payment_link"], id);
    assert_eq!(made["custom_fields"][0]["key"], "grind");
    assert_eq!(made["consent_collection"]["terms_of_service"], "required");
    let html = app.html(&format!("/checkout/{session}")).await;
    assert!(
        html.contains(r#"<option value="whole" selected"#),
        "the default is chosen"
    );
    assert!(html.contains(r#"name="terms_of_service""#));

    // Changed, the next visit asks the new question; and a link sells catalog prices only.
    let (status, changed) = stripe(
        &app,
        "POST",
        &format!("/v1/payment_links/{id}"),
        &[
            ("custom_fields[0][key]", "note"),
            ("custom_fields[0][label][custom]", "Gift note"),
            ("custom_fields[0][type]", "text"),
            ("custom_fields[0][optional]", "true"),
            ("consent_collection[terms_of_service]", "none"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["consent_collection"], Value::Null);
    let (_, session) = visit(&app, id).await;
    let (_, made) = stripe(
        &app,
        "GET",
        &format!("/v1/checkout/sessions/{}", session.unwrap()),
        &[],
    )
    .await;
    assert_eq!(made["custom_fields"][0]["label"]["custom"], "Gift note");
    assert_eq!(made["custom_fields"][0]["optional"], true);
    let (status, refused) = stripe(
        &app,
        "POST",
        "/v1/payment_links",
        &[
            ("line_items[0][price_data][currency]", "usd"),
            ("line_items[0][price_data][unit_amount]", "500"),
            ("line_items[0][price_data][product_data][name]", "Gift wrap"),
        ],
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["param"], "line_items[0][price_data]");
    app.stop().await;
}

async fn a_client_opening_a_link_in_a_loop_is_stopped(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "link_flood").await else {
        return;
    };
    let beans = app.price_id("espresso-beans");
    let (status, link) = stripe(
        &app,
        "POST",
        "/v1/payment_links",
        &[("line_items[0][price]", &beans)],
    )
    .await;
    assert_eq!(status, 200, "{link}");
    let id = link["id"].as_str().unwrap();
    let limit = kassa::security::limits::LINK_VISITS_PER_ADDRESS_PER_HOUR;
    for visit_number in 1..=limit {
        let (status, _) = visit(&app, id).await;
        assert_eq!(status, 303, "visit {visit_number} is a buyer's");
    }
    let count = || async {
        let (_, page) = stripe(&app, "GET", "/v1/checkout/sessions", &[("limit", "100")]).await;
        page["data"].as_array().unwrap().len()
    };
    let made = count().await;
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(&format!("/l/{id}")))
        .header("accept-language", "de")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1, "told when to come back");
    assert!(response.text().await.unwrap().contains("Zu viele Aufrufe"));
    assert_eq!(count().await, made, "the refused visit made no session");
    app.stop().await;
}
