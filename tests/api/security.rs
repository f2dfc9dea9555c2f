//! What kassa does against the browser being turned on it: headers on every answer.
//! Independent of the database, so run on SQLite only.

use crate::app::{Options, TestApp};
use kassa::store::Engine;
use serde_json::json;

/// The nonce a page's Content-Security-Policy allows scripts and styles with.
fn nonce_of(csp: &str) -> String {
    let start = csp.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    csp[start..].split('\'').next().unwrap().to_owned()
}

/// Every `<script` and `<style` of `html` carries `nonce`, and no element has a `style` attribute.
fn every_inline_part_carries(html: &str, nonce: &str) {
    for tag in ["<script", "<style"] {
        for (at, _) in html.match_indices(tag) {
            let end = html[at..].find('>').unwrap() + at;
            let element = &html[at..end];
            assert!(
                element.contains(&format!("nonce=\"{nonce}\"")),
                "{element} lacks the page's nonce"
            );
        }
    }
    assert!(!html.contains(" style=\""), "a style attribute: {html}");
}

async fn a_session(app: &TestApp) -> String {
    app.create_session(&json!({
        "type": "purchase",
        "line_items": [{ "price": app.price_id("espresso-beans"), "quantity": 1 }],
        "success_url": "https://shop.example/thanks",
    }))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_name_the_scripts_they_may_run_with_a_fresh_nonce_each() {
    let app = TestApp::spawn(Engine::Sqlite, "csp_pages").await.unwrap();
    // The merchant's accent colour is the one style the page writes itself.
    app.execute_sql("UPDATE organizations SET accent_color = '#aa3300'")
        .await;
    let session = a_session(&app).await;
    let mut nonces = Vec::new();
    for path in [
        format!("/checkout/{session}"),
        format!("/checkout/{session}"),
        "/dashboard".to_owned(),
        "/".to_owned(),
        "/no/such/page".to_owned(),
    ] {
        let response = app.get(&path).await;
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        let nonce = nonce_of(&csp);
        let html = response.text().await.unwrap();
        assert!(html.contains("<script"), "{path} renders scripts: {html}");
        every_inline_part_carries(&html, &nonce);
        if path.starts_with("/checkout/") {
            assert!(
                html.contains("main.checkout { --accent: #aa3300; }"),
                "{html}"
            );
        }
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 5, "one nonce per answer");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_may_be_framed_sniffed_or_cached() {
    let app = TestApp::spawn(Engine::Sqlite, "frame_cache").await.unwrap();
    let session = a_session(&app).await;
    let api = app
        .client
        .get(app.url(&format!("/api/checkout-sessions/{session}")))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    let refused = app.get("/api/checkout-sessions/nope").await;
    assert_eq!(refused.status(), 401);
    for (what, response) in [
        ("checkout", app.get(&format!("/checkout/{session}")).await),
        (
            "authentication",
            app.get(&format!("/checkout/{session}/authenticate")).await,
        ),
        ("dashboard", app.get("/dashboard").await),
        ("api", api),
        ("refusal", refused),
        ("health", app.get("/healthz").await),
    ] {
        let headers = response.headers();
        let header = |name: &str| {
            headers
                .get(name)
                .unwrap_or_else(|| panic!("{what}: no {name}"))
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(header("x-frame-options"), "DENY", "{what}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{what}");
        assert_eq!(
            header("referrer-policy"),
            "strict-origin-when-cross-origin",
            "{what}"
        );
        assert_eq!(header("cache-control"), "no-store", "{what}");
        assert!(
            header("content-security-policy").contains("frame-ancestors 'none'"),
            "{what}"
        );
        // Served over plain http here: no HSTS.
        assert!(!headers.contains_key("strict-transport-security"), "{what}");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_browsers_are_told_to_stay_on_https() {
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        "hsts",
        Options {
            public_url: Some("https://pay.shop.example".into()),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    for path in ["/", "/healthz", "/api/organization"] {
        let response = app.get(path).await;
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
    app.stop().await;
}

/// A kassa behind a balancer that names each client in `x-forwarded-for`, so that one test can
/// be many clients.
async fn behind_a_balancer(test: &str, api_per_second: Option<u32>) -> TestApp {
    TestApp::spawn_with(
        Engine::Sqlite,
        test,
        Options {
            client_address_header: Some("x-forwarded-for".into()),
            api_requests_per_second: api_per_second,
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

async fn api_get(app: &TestApp, path: &str, from: &str, key: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("x-forwarded-for", from)
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_clients_are_slowed_per_key_and_per_address_in_their_dialects_shape() {
    let app = behind_a_balancer("api_limits", Some(3)).await;
    let key = app.demo.secret_key.clone();
    for _ in 0..3 {
        let response = api_get(&app, "/api/organization", "203.0.113.1", &key).await;
        assert_eq!(response.status(), 200);
    }
    // The address is spent: kassa's shape, with Retry-After.
    let refused = api_get(&app, "/api/organization", "203.0.113.1", &key).await;
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait), "{wait}");
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited", "{body}");
    // The key is spent too, from another address: in Flowglad's shape on Flowglad's routes.
    let refused = api_get(&app, "/api/v1/products/prod_x", "203.0.113.2", &key).await;
    assert_eq!(refused.status(), 429);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "TOO_MANY_REQUESTS", "{body}");
    // Guessing keys from one address: refused from memory at first, then slowed down, in
    // Stripe's shape on Stripe's routes.
    let guesses: Vec<u16> = {
        let mut statuses = Vec::new();
        for n in 0..4 {
            let guess = format!("sk_test_{n:0>32}");
            let response = api_get(&app, "/v1/checkout/sessions/cs_x", "203.0.113.3", &guess).await;
            statuses.push(response.status().as_u16());
            if n == 3 {
                let body: serde_json::Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "rate_limit", "{body}");
                assert_eq!(body["error"]["type"], "invalid_request_error", "{body}");
            }
        }
        statuses
    };
    assert_eq!(guesses, [401, 401, 401, 429]);
    // Another organization's key from another address is not held back.
    let other = app.other_organization("limits-other@example.com").await;
    let response = api_get(&app, "/api/organization", "203.0.113.4", &other).await;
    assert_eq!(response.status(), 200);
    app.stop().await;
}

/// A dashboard form posted as a script posts it: `(status, Retry-After)`.
async fn post_form(
    app: &TestApp,
    path: &str,
    from: &str,
    form: &[(&str, &str)],
) -> (u16, Option<String>) {
    let response = app
        .client
        .post(app.url(path))
        .header("x-forwarded-for", from)
        .form(form)
        .send()
        .await
        .unwrap();
    let wait = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), wait)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_are_limited_per_client_address() {
    use kassa::security::limits::SIGN_INS_PER_ADDRESS_PER_MINUTE;
    let app = behind_a_balancer("sign_in_limits", None).await;
    // The quota, then a refusal; a slow machine may see a sign-in or two more allowed, one per
    // two seconds that the 30 took.
    let mut allowed = 0;
    let wait = loop {
        let email = format!("guess{allowed}@example.com");
        let form = [("email", email.as_str()), ("password", "not the password")];
        match post_form(&app, "/api/dashboard/sign-in", "203.0.113.9", &form).await {
            (429, wait) => break wait,
            _ => allowed += 1,
        }
        // Below everyone's limit (ACCOUNT_CHECKS_PER_SECOND): the refusal must be this
        // address's, which a fast machine would otherwise meet only after everyone's.
        tokio::time::sleep(std::time::Duration::from_millis(60)).await;
        assert!(
            allowed <= SIGN_INS_PER_ADDRESS_PER_MINUTE + 5,
            "never refused"
        );
    };
    assert!(
        allowed >= SIGN_INS_PER_ADDRESS_PER_MINUTE,
        "refused after {allowed}"
    );
    assert!(wait.is_some());
    // Another address signs in.
    let form = [
        ("email", "one-more@example.com"),
        ("password", "not the password"),
    ];
    let (status, _) = post_form(&app, "/api/dashboard/sign-in", "203.0.113.10", &form).await;
    assert_ne!(status, 429);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_sign_up_makes_no_account() {
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        "sign_up_closed",
        Options {
            sign_up_closed: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let form = [
        ("email", "newcomer@example.com"),
        ("password", "correct horse battery"),
        ("organization_name", "Newcomer"),
    ];
    let response = app
        .client
        .post(app.url("/api/dashboard/sign-up"))
        .header("accept", "text/html")
        .form(&form)
        .send()
        .await
        .unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/dashboard/sign-up?error.form="),
        "{location}"
    );
    let page = app.html(&location).await;
    assert!(page.contains("Sign-up is closed on this kassa"), "{page}");
    assert_eq!(
        app.store
            .user_by_email("newcomer@example.com")
            .await
            .unwrap(),
        None
    );
    app.stop().await;
}

/// Posts the payment form as a page without JavaScript does: the answer's `Location`.
async fn post_plain_form(app: &TestApp, fields: &[(String, String)]) -> String {
    let response = app
        .client
        .post(app.url("/api/checkout/confirm"))
        .header("accept", "text/html")
        .form(fields)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    response.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_checkout_shows_only_messages_kassa_wrote() {
    let app = TestApp::spawn(Engine::Sqlite, "signed_notices")
        .await
        .unwrap();
    let session = a_session(&app).await;
    // Words of somebody else's in the address are not shown.
    let forged = format!(
        "/checkout/{session}?unavailable=Call+%2B1+555+0100+to+pay+by+phone\
         &error.email=Send+your+card+to+billing%40evil.example&notice_sig=00"
    );
    let page = app.html(&forged).await;
    assert!(!page.contains("555 0100"), "{page}");
    assert!(!page.contains("evil.example"), "{page}");
    // kassa's own, after a form posted without JavaScript, are.
    let mut fields = crate::app::card(&session, "4242424242424242");
    fields.retain(|(k, _)| k != "email");
    fields.push(("email".into(), "not an email".into()));
    let location = post_plain_form(&app, &fields).await;
    assert!(
        location.contains("error.email=") && location.contains("notice_sig="),
        "{location}"
    );
    let path = location.trim_start_matches(&app.address);
    let page = app.html(path).await;
    assert!(
        page.contains("class=\"field-error\"") || page.contains("role=\"alert\""),
        "{page}"
    );
    let message = url::form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "error.email")
        .unwrap()
        .1
        .into_owned();
    assert!(page.contains(&message), "{message} in {page}");
    // The same address with one word changed shows nothing.
    let tampered = path.replacen("error.email=", "error.email=Call+us.+", 1);
    let page = app.html(&tampered).await;
    assert!(!page.contains("Call us."), "{page}");
    assert!(!page.contains(&message), "{page}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merchant_address_with_control_characters_is_refused_naming_it() {
    let app = TestApp::spawn(Engine::Sqlite, "control_chars")
        .await
        .unwrap();
    for (path, body, param) in [
        (
            "/api/checkout-sessions",
            json!({ "line_items": [{ "price": app.price_id("espresso-beans") }], "success_url": "https://shop.example/thanks\u{7}" }),
            "success_url",
        ),
        (
            "/api/checkout-sessions",
            json!({ "line_items": [{ "price": app.price_id("espresso-beans") }], "cancel_url": "https://shop.example/\u{0}back" }),
            "cancel_url",
        ),
    ] {
        let response = app
            .client
            .post(app.url(path))
            .bearer_auth(&app.demo.secret_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["param"], param, "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("control characters"),
            "{body}"
        );
    }
    // One saved before this check sends the buyer on all the same, once paid without
    // JavaScript: percent-encoded, not a failed answer.
    let session = a_session(&app).await;
    app.execute_sql(&format!(
        "UPDATE checkout_sessions SET success_url = 'https://shop.example/th' || char(7) || 'anks' \
         WHERE id = '{session}'"
    ))
    .await;
    let location = post_plain_form(&app, &crate::app::card(&session, "4242424242424242")).await;
    assert_eq!(location, "https://shop.example/th%07anks");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_line_items_are_refused_before_any_is_looked_up() {
    let app = TestApp::spawn(Engine::Sqlite, "many_lines").await.unwrap();
    let lines: Vec<serde_json::Value> = (0..40_000)
        .map(|n| json!({ "price": format!("price_{n}") }))
        .collect();
    let response = app
        .client
        .post(app.url("/api/checkout-sessions"))
        .bearer_auth(&app.demo.secret_key)
        .json(&json!({ "line_items": lines }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["param"], "line_items", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("at most 100"),
        "{body}"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_announced_too_large_is_refused_unread_in_the_dialects_shape() {
    let app = TestApp::spawn(Engine::Sqlite, "oversize").await.unwrap();
    let padding = "x".repeat(kassa::api::MAX_BODY_BYTES + 1);
    for (path, code) in [
        ("/api/checkout-sessions", json!("body_too_large")),
        ("/api/v1/checkout-sessions", json!("PAYLOAD_TOO_LARGE")),
    ] {
        let response = app
            .client
            .post(app.url(path))
            .bearer_auth(&app.demo.secret_key)
            .header("content-type", "application/json")
            .body(format!("{{\"pad\": \"{padding}\"}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 413, "{path}");
        let body: serde_json::Value = response.json().await.unwrap();
        let found = body["error"]["code"].clone();
        let found = if found.is_null() {
            body["code"].clone()
        } else {
            found
        };
        assert_eq!(found, code, "{path}: {body}");
    }
    app.stop().await;
}
