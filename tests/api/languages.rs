//! The buyer's language: the session's `locale` (Stripe's, and kassa's own field), else the
//! browser's Accept-Language, else English; the buyer's own choice (`?lang=`, kept in a cookie)
//! beats both. The page, its amounts and what the server answers speak it.

use crate::app::{TestApp, card, confirm};
use crate::collection::stripe_session;
use kassa::store::Engine;
use serde_json::{Value, json};
use std::time::Duration;

crate::on_both_engines!(
    a_session_in_german_speaks_german_to_the_buyer,
    the_browser_decides_when_the_session_does_not,
    a_locale_that_is_no_language_tag_is_refused,
    mail_speaks_the_language_the_buyer_paid_in,
);

/// The page of `session` as a browser with these headers gets it: its HTML and the cookie it sets.
async fn page(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> (String, Option<String>) {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    let cookie = response
        .headers()
        .get("set-cookie")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.text().await.unwrap(), cookie)
}

async fn a_session_in_german_speaks_german_to_the_buyer(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "lang_german").await else {
        return;
    };
    // 60 bags at $24.00: $1,440.00, which German writes 1.440,00 $.
    let session =
        stripe_session(&app, &[("line_items[0][quantity]", "60"), ("locale", "de")]).await;
    assert_eq!(session["locale"], "de");
    let id = session["id"].as_str().unwrap();
    let (status, read) = app
        .api_get(&app.demo.secret_key, &format!("/v1/checkout/sessions/{id}"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(read["locale"], "de");

    // An English browser still gets German: the merchant chose it.
    let (html, _) = page(
        &app,
        &format!("/checkout/{id}"),
        &[("accept-language", "en-US,en;q=0.9")],
    )
    .await;
    assert!(html.contains(r#"<html lang="de""#), "{}", &html[..200]);
    assert!(html.contains("Zahlungsdaten"));
    assert!(
        html.contains("1.440,00\u{a0}$ zahlen"),
        "the button in German"
    );
    assert!(!html.contains(">Payment details<"));
    // The country list in German (CLDR's names), sorted as German readers look for them.
    let at = |name: &str| {
        html.find(&format!(">{name}</option>"))
            .unwrap_or_else(|| panic!("{name}"))
    };
    assert!(html.contains(r#"<option value="AT">Österreich</option>"#));
    assert!(at("Oman") < at("Österreich") && at("Österreich") < at("Pakistan"));
    assert!(at("Vereinigte Staaten") < at("Vietnam"));

    // What the server answers is German too: the form's checks, and a decline.
    let mut form = card(id, "4000000000000002");
    form.retain(|(k, _)| k != "email");
    form.push(("lang".into(), "de".into()));
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["Invalid"]["errors"],
        json!([["email", "Geben Sie Ihre E-Mail-Adresse ein."]])
    );
    form.push(("email".into(), "ada@example.com".into()));
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 402, "{body}");
    assert_eq!(body["Declined"]["message"], "Ihre Karte wurde abgelehnt.");
    // The page the buyer comes back to shows the decline in German.
    let (html, _) = page(&app, &format!("/checkout/{id}"), &[]).await;
    assert!(html.contains("Ihre Karte wurde abgelehnt."));

    // Paid, the receipt is German, with the amount as German writes it.
    let form = card(id, "4242424242424242");
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    let (html, _) = page(&app, &format!("/checkout/{id}"), &[]).await;
    assert!(html.contains("Vielen Dank für Ihre Bestellung"));
    assert!(html.contains("1.440,00\u{a0}$"));

    // The 3-D Secure step's form sends its language, and the answer speaks it whatever the
    // browser says.
    let response = app
        .client
        .post(app.url("/api/checkout/authenticate"))
        .header("accept", "application/json")
        .header("accept-language", "en-US")
        .form(&[("session_id", id), ("decision", "maybe"), ("lang", "de")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["Invalid"]["errors"][0][1],
        "Wählen Sie, ob Sie abschließen oder abbrechen möchten."
    );
    app.stop().await;
}

async fn the_browser_decides_when_the_session_does_not(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "lang_browser").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    let (status, body) =
        crate::checkout::create(&app, json!({ "line_items": [{ "price": price }] })).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["locale"], Value::Null);
    let id = body["id"].as_str().unwrap();
    let path = format!("/checkout/{id}");

    let (html, _) = page(&app, &path, &[("accept-language", "pt-BR, ja;q=0.8")]).await;
    assert!(html.contains(r#"<html lang="ja""#));
    assert!(html.contains("お支払い情報"));
    assert!(html.contains("$24.00 を支払う"), "Japanese writes $24.00");
    let (html, _) = page(&app, &path, &[("accept-language", "zh-CN")]).await;
    assert!(html.contains(r#"<html lang="en""#));
    assert!(html.contains("Payment details"));

    // The buyer picks French on the page: it is kept for what follows, whatever the browser says.
    let (html, cookie) = page(
        &app,
        &format!("{path}?lang=fr"),
        &[("accept-language", "ja")],
    )
    .await;
    assert!(html.contains(r#"<html lang="fr""#));
    let cookie = cookie.expect("the choice is kept");
    assert!(cookie.starts_with("kassa_lang=fr;"), "{cookie}");
    let (html, _) = page(
        &app,
        &path,
        &[("accept-language", "ja"), ("cookie", "kassa_lang=fr")],
    )
    .await;
    assert!(html.contains(r#"<html lang="fr""#));
    assert!(html.contains("Informations de paiement"));
    // The switcher names every language in its own words, the current one marked.
    assert!(html.contains(r#"lang="fr" aria-current="true">Français"#));
    for name in ["English", "Deutsch", "Español", "日本語"] {
        assert!(html.contains(name), "{name}");
    }

    // kassa's API takes a locale as well.
    let (status, body) = crate::checkout::create(
        &app,
        json!({ "line_items": [{ "price": price }], "locale": "es-MX" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["locale"], "es-MX");
    let (html, _) = page(
        &app,
        &format!("/checkout/{}", body["id"].as_str().unwrap()),
        &[],
    )
    .await;
    assert!(html.contains(r#"<html lang="es""#));
    assert!(html.contains("Datos de pago"));
    app.stop().await;
}

async fn a_locale_that_is_no_language_tag_is_refused(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "lang_bad").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    let (status, body) = crate::checkout::create(
        &app,
        json!({ "line_items": [{ "price": price }], "locale": "German please" }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "locale");
    let (status, body) = app
        .stripe_post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", price.as_str()),
                ("locale", "d"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "locale");
    // `auto` is Stripe's "the browser decides", kept as no locale.
    let session = stripe_session(&app, &[("locale", "auto")]).await;
    assert_eq!(session["locale"], Value::Null);
    app.stop().await;
}

/// The mail of `kind` to `customer` once the worker has rendered it (no SMTP server: it is kept).
async fn kept_mail(app: &TestApp, customer: &str, kind: &str) -> kassa::store::MailRecord {
    for _ in 0..50 {
        let mails = app
            .store
            .mails_of_customer(&app.demo.organization_id, false, customer, 10)
            .await
            .unwrap();
        if let Some(mail) = mails
            .into_iter()
            .find(|m| m.kind == kind && m.status == "kept")
        {
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {kind} mail was kept for {customer}");
}

async fn mail_speaks_the_language_the_buyer_paid_in(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "lang_mail").await else {
        return;
    };
    // A trial in German: no receipt today, and the trial's end told in German later.
    let (status, body) = crate::checkout::create(
        &app,
        json!({
            "line_items": [{ "price": app.price_id("coffee-club-monthly") }],
            "trial_period_days": 7,
            "locale": "de",
        }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap();
    let mut form = card(id, "4242424242424242");
    form.push(("lang".into(), "de".into()));
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    let session = app.store.session_by_id(id).await.unwrap().unwrap();
    let customer = session.customer_id.unwrap();
    let kept = app
        .store
        .customer(&app.demo.organization_id, false, &customer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.preferred_locale.as_deref(),
        Some("de"),
        "the customer's language"
    );
    let sub = session.subscription_id.unwrap();
    let (_, s) = app
        .api_get(&app.demo.secret_key, &format!("/api/subscriptions/{sub}"))
        .await;
    let trial_end = s["trial_end"].as_i64().unwrap();
    let (status, _) = app
        .api_post(
            &app.demo.secret_key,
            "/api/test_clock/advance",
            &json!({ "frozen_time": trial_end / 1000 - 2 * 86_400 }),
        )
        .await;
    assert_eq!(status, 200);
    let mail = kept_mail(&app, &customer, "trial_ending").await;
    let subject = mail.subject.unwrap();
    assert!(subject.starts_with("Ihre Testphase bei "), "{subject}");
    let text = mail.text_body.unwrap();
    assert!(text.contains("mit 15,00\u{a0}$ belastet"), "{text}");
    assert!(mail.html_body.unwrap().contains(r#"<html lang="de">"#));

    // A purchase paid in Japanese: its receipt is Japanese, its date as Japanese writes it.
    let price = app.price_id("espresso-beans");
    let (_, body) =
        crate::checkout::create(&app, json!({ "line_items": [{ "price": price }] })).await;
    let id = body["id"].as_str().unwrap();
    let mut form = card(id, "4242424242424242");
    form.push(("lang".into(), "ja".into()));
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    let session = app.store.session_by_id(id).await.unwrap().unwrap();
    let mail = kept_mail(&app, session.customer_id.as_deref().unwrap(), "receipt").await;
    let text = mail.text_body.unwrap();
    assert!(text.contains("$24.00"), "{text}");
    assert!(
        text.contains('年') && text.contains('日'),
        "a Japanese date: {text}"
    );
    assert!(!text.contains("Thank you"), "{text}");
    app.stop().await;
}
