//! Stripe's `custom_fields` and `consent_collection`: questions the merchant adds to the page (a
//! text, a number, a choice) and the terms of service the buyer must accept. The page asks; the
//! server checks the answers as the browser does; the session reads them back once paid.

use crate::app::{TestApp, card, confirm};
use kassa::store::{Branding, Engine};
use serde_json::{Value, json};

crate::on_both_engines!(
    the_buyer_answers_and_accepts_and_the_merchant_reads_it_back,
    bad_questions_and_consent_without_terms_are_refused,
    kassas_api_takes_the_same_questions,
);

const SESSIONS: &str = "/v1/checkout/sessions";

async fn with_terms(app: &TestApp) {
    app.store
        .set_branding(
            &app.demo.organization_id,
            &Branding {
                terms_url: Some("https://shop.example/terms".into()),
                ..Branding::default()
            },
        )
        .await
        .unwrap();
}

/// A session asking for an engraving (text, at most 20), a VAT number (digits, optional) and a
/// size (small or large), and for the terms of service.
async fn asking_session(app: &TestApp, extra: &[(&str, &str)]) -> Value {
    let price = app.price_id("espresso-beans");
    let mut form = vec![
        ("mode", "payment"),
        ("line_items[0][price]", price.as_str()),
        ("custom_fields[0][key]", "engraving"),
        ("custom_fields[0][label][type]", "custom"),
        ("custom_fields[0][label][custom]", "Engraving"),
        ("custom_fields[0][type]", "text"),
        ("custom_fields[0][text][maximum_length]", "20"),
        ("custom_fields[1][key]", "vat"),
        ("custom_fields[1][label][type]", "custom"),
        ("custom_fields[1][label][custom]", "VAT number"),
        ("custom_fields[1][type]", "numeric"),
        ("custom_fields[1][optional]", "true"),
        ("custom_fields[2][key]", "size"),
        ("custom_fields[2][label][type]", "custom"),
        ("custom_fields[2][label][custom]", "Grind"),
        ("custom_fields[2][type]", "dropdown"),
        (
            "custom_fields[2][dropdown][options][0][label]",
            "Whole beans",
        ),
        ("custom_fields[2][dropdown][options][0][value]", "whole"),
        (
            "custom_fields[2][dropdown][options][1][label]",
            "Espresso grind",
        ),
        ("custom_fields[2][dropdown][options][1][value]", "espresso"),
        ("consent_collection[terms_of_service]", "required"),
    ];
    form.extend_from_slice(extra);
    let (status, session) = app.stripe_post(SESSIONS, &form).await;
    assert_eq!(status, 200, "{session}");
    session
}

async fn the_buyer_answers_and_accepts_and_the_merchant_reads_it_back(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "custom_fields").await else {
        return;
    };
    with_terms(&app).await;
    let session = asking_session(&app, &[]).await;
    assert_eq!(
        session["consent_collection"]["terms_of_service"],
        "required"
    );
    assert_eq!(session["consent"], Value::Null, "nothing accepted yet");
    let fields = session["custom_fields"].as_array().unwrap();
    assert_eq!(fields.len(), 3);
    assert_eq!(fields[0]["label"]["custom"], "Engraving");
    assert_eq!(fields[0]["text"]["maximum_length"], 20);
    assert_eq!(fields[1]["optional"], true);
    assert_eq!(fields[2]["dropdown"]["options"][1]["value"], "espresso");
    let id = session["id"].as_str().unwrap();

    // The page asks each question and links the terms.
    let html = app.html(&format!("/checkout/{id}")).await;
    for expected in [
        r#"name="custom_fields[0]""#,
        "VAT number (optional)",
        r#"<option value="espresso""#,
        r#"name="terms_of_service""#,
        r#"href="https://shop.example/terms""#,
    ] {
        assert!(html.contains(expected), "the page has {expected}");
    }

    // Unanswered, too long, not digits, not an option, terms not accepted: each named.
    let (status, body) = confirm(&app, &card(id, "4242424242424242")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["Invalid"]["errors"],
        json!([
            ["custom_fields[0]", "Fill in this field."],
            ["custom_fields[2]", "Choose an option."],
            [
                "terms_of_service",
                "Accept the terms of service to continue."
            ],
        ])
    );
    let mut form = card(id, "4242424242424242");
    form.extend([
        (
            "custom_fields[0]".into(),
            "For Ada, with love always".into(),
        ),
        ("custom_fields[1]".into(), "DE12345".into()),
        ("custom_fields[2]".into(), "fine".into()),
        ("terms_of_service".into(), "accepted".into()),
        ("lang".into(), "de".into()),
    ]);
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["Invalid"]["errors"],
        json!([
            ["custom_fields[0]", "Geben Sie höchstens 20 Zeichen ein."],
            ["custom_fields[1]", "Geben Sie nur Ziffern ein."],
            ["custom_fields[2]", "Wählen Sie eine Option."],
        ])
    );

    let mut form = card(id, "4242424242424242");
    form.extend([
        ("custom_fields[0]".into(), "For Ada".into()),
        ("custom_fields[2]".into(), "espresso".into()),
        ("terms_of_service".into(), "accepted".into()),
    ]);
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    let (_, done) = app
        .api_get(&app.demo.secret_key, &format!("{SESSIONS}/{id}"))
        .await;
    assert_eq!(done["consent"]["terms_of_service"], "accepted", "{done}");
    assert_eq!(done["custom_fields"][0]["text"]["value"], "For Ada");
    assert_eq!(done["custom_fields"][1]["numeric"]["value"], Value::Null);
    assert_eq!(done["custom_fields"][2]["dropdown"]["value"], "espresso");
    app.stop().await;
}

async fn bad_questions_and_consent_without_terms_are_refused(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "custom_refused").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    // No terms URL in the branding: nothing to accept.
    let (status, body) = app
        .stripe_post(
            SESSIONS,
            &[
                ("mode", "payment"),
                ("line_items[0][price]", price.as_str()),
                ("consent_collection[terms_of_service]", "required"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["param"],
        "consent_collection[terms_of_service]"
    );
    with_terms(&app).await;
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("custom_fields[2][dropdown][options][1][value]", "whole")],
            "custom_fields[2][dropdown][options]",
        ),
        (
            vec![("custom_fields[0][text][minimum_length]", "30")],
            "custom_fields[0][text][minimum_length]",
        ),
        (
            vec![("custom_fields[1][key]", "engraving")],
            "custom_fields[1][key]",
        ),
        (
            vec![("custom_fields[1][type]", "date")],
            "custom_fields[1][type]",
        ),
        (
            vec![
                ("custom_fields[3][key]", "more"),
                ("custom_fields[3][label][custom]", "More"),
                ("custom_fields[3][type]", "text"),
            ],
            "custom_fields",
        ),
        (
            vec![("consent_collection[terms_of_service]", "maybe")],
            "consent_collection[terms_of_service]",
        ),
    ];
    for (changes, param) in cases {
        // The asking session's form with `changes` over it.
        let mut form: Vec<(&str, &str)> = vec![
            ("mode", "payment"),
            ("line_items[0][price]", price.as_str()),
            ("custom_fields[0][key]", "engraving"),
            ("custom_fields[0][label][custom]", "Engraving"),
            ("custom_fields[0][type]", "text"),
            ("custom_fields[0][text][maximum_length]", "20"),
            ("custom_fields[1][key]", "vat"),
            ("custom_fields[1][label][custom]", "VAT number"),
            ("custom_fields[1][type]", "numeric"),
            ("custom_fields[2][key]", "size"),
            ("custom_fields[2][label][custom]", "Grind"),
            ("custom_fields[2][type]", "dropdown"),
            (
                "custom_fields[2][dropdown][options][0][label]",
                "Whole beans",
            ),
            ("custom_fields[2][dropdown][options][0][value]", "whole"),
            (
                "custom_fields[2][dropdown][options][1][label]",
                "Espresso grind",
            ),
            ("custom_fields[2][dropdown][options][1][value]", "espresso"),
            ("consent_collection[terms_of_service]", "required"),
        ];
        for (key, value) in changes {
            match form.iter_mut().find(|(k, _)| *k == key) {
                Some(pair) => pair.1 = value,
                None => form.push((key, value)),
            }
        }
        let (status, body) = app.stripe_post(SESSIONS, &form).await;
        assert_eq!(status, 400, "{param}: {body}");
        assert_eq!(body["error"]["param"], param, "{body}");
    }
    // Unchanged, it is a session.
    asking_session(&app, &[]).await;
    app.stop().await;
}

async fn kassas_api_takes_the_same_questions(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "custom_native").await else {
        return;
    };
    with_terms(&app).await;
    let (status, session) = crate::checkout::create(
        &app,
        json!({
            "line_items": [{ "price": app.price_id("espresso-beans") }],
            "custom_fields": [{
                "key": "vat", "label": { "type": "custom", "custom": "VAT number" },
                "type": "numeric", "numeric": { "minimum_length": 4 },
            }],
            "consent_collection": { "terms_of_service": "required" },
        }),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["collection"]["custom_fields"][0]["key"], "vat");
    assert_eq!(session["collection"]["terms_of_service"], true);
    let id = session["id"].as_str().unwrap();
    let mut form = card(id, "4242424242424242");
    form.extend([
        ("custom_fields[0]".into(), "123".into()),
        ("terms_of_service".into(), "on".into()),
    ]);
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["Invalid"]["errors"],
        json!([["custom_fields[0]", "Enter at least 4 characters."]])
    );
    form.retain(|(k, _)| k != "custom_fields[0]");
    form.push(("custom_fields[0]".into(), "123456".into()));
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    let (_, read) = app
        .api_get(
            &app.demo.secret_key,
            &format!("/api/checkout-sessions/{id}"),
        )
        .await;
    assert_eq!(
        read["answers"],
        json!({ "custom": [{ "key": "vat", "value": "123456" }], "terms_of_service_accepted": true }),
        "{read}"
    );
    app.stop().await;
}
