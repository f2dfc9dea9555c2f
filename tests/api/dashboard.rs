//! The dashboard's server functions over HTTP, as a browser without JavaScript sends them (form
//! posts that accept HTML and get redirects) and as a script calling them directly would.

use crate::app::TestApp;
use kassa::store::Engine;
use reqwest::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

crate::on_both_engines!(
    signing_up_signs_in_and_shows_the_first_secret_once,
    sign_up_errors_name_their_field_and_keep_what_was_typed,
    a_wrong_password_is_refused_and_the_demo_user_signs_in,
    sign_in_attempts_are_limited_per_email,
    another_organizations_session_is_not_found,
    signed_out_reads_are_refused,
    cross_site_posts_are_refused,
    products_and_prices_are_made_from_the_form,
    sessions_are_made_from_the_form_and_listed,
    sessions_are_expired_from_the_dashboard,
    branding_shows_on_the_checkout_page,
    api_keys_are_made_and_revoked,
    customers_show_what_they_bought,
    coupons_are_made_listed_and_turned_off,
    tax_rates_are_made_listed_and_archived,
    a_waiting_subscription_is_activated_from_the_form,
    events_are_listed_for_their_organization_only,
    webhooks_are_managed_from_the_dashboard,
    plans_and_business_entities_are_made_from_the_forms,
    stripe_keys_are_kept_sealed_and_shown_by_prefix,
);

/// A browser's cookie for one signed-in member.
pub(crate) struct Browser {
    cookie: Option<String>,
}

impl Browser {
    fn new() -> Self {
        Browser { cookie: None }
    }

    fn keep(&mut self, response: &reqwest::Response) {
        if let Some(set) = response.headers().get(SET_COOKIE) {
            let set = set.to_str().unwrap();
            self.cookie = Some(set.split(';').next().unwrap().to_owned());
        }
    }

    /// A plain form post, as without JavaScript: answered by a redirect.
    async fn post(
        &mut self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = app
            .client
            .post(app.url(path))
            .header(ACCEPT, "text/html")
            .form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        assert!(
            response.status().as_u16() < 500,
            "{path}: {}",
            response.status()
        );
        self.keep(&response);
        response
    }

    /// A server function called as a script calls it: answered with data.
    pub(crate) async fn call(
        &self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
    ) -> (u16, String) {
        let mut request = app.client.post(app.url(path)).form(form);
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn get(&self, app: &TestApp, path: &str) -> (u16, String) {
        let mut request = app.client.get(app.url(path));
        if let Some(cookie) = &self.cookie {
            request = request.header(COOKIE, cookie);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    }

    async fn sign_up(app: &TestApp, email: &str, organization: &str) -> Browser {
        let mut browser = Browser::new();
        let response = browser
            .post(
                app,
                "/api/dashboard/sign-up",
                &[
                    ("email", email),
                    ("password", "correct horse battery"),
                    ("organization_name", organization),
                ],
            )
            .await;
        assert_eq!(location(&response), "/dashboard/api-keys?welcome=1");
        browser
    }

    pub(crate) async fn demo(app: &TestApp) -> Browser {
        let mut browser = Browser::new();
        let response = browser
            .post(
                app,
                "/api/dashboard/sign-in",
                &[
                    ("email", &app.demo.dashboard.email),
                    ("password", &app.demo.dashboard.password),
                    ("return_to", "/dashboard"),
                ],
            )
            .await;
        assert_eq!(location(&response), "/dashboard");
        browser
    }
}

/// `browser` (another organization) gets a "Not found" page (404) at `page` and a 404 from the
/// server function `function` for `id`, neither with `secret` in it.
async fn hidden_from(
    browser: &Browser,
    app: &TestApp,
    page: &str,
    function: &str,
    id: &str,
    secret: &str,
) {
    let (status, html) = browser.get(app, page).await;
    assert_eq!(status, 404, "{page}");
    assert!(
        html.contains("Not found") && !html.contains(secret),
        "{html}"
    );
    let (status, body) = browser.call(app, function, &[("id", id)]).await;
    assert_eq!(status, 404, "{body}");
    assert!(!body.contains(secret), "{body}");
}

fn location(response: &reqwest::Response) -> String {
    assert_eq!(
        response.status(),
        302,
        "a form post is answered by a redirect"
    );
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

/// The decoded query of a redirect's address.
fn query(location: &str) -> Vec<(String, String)> {
    let query = location.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

fn param(location: &str, key: &str) -> Option<String> {
    query(location)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

async fn create_api_session(app: &TestApp, email: &str) -> String {
    app.create_session(&json!({
        "type": "purchase",
        "line_items": [{ "price": app.price_id("espresso-beans"), "quantity": 2 }],
        "guest": { "email": email },
        "success_url": "https://shop.example/thanks",
    }))
    .await
}

async fn signing_up_signs_in_and_shows_the_first_secret_once(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_sign_up").await else {
        return;
    };
    let mut browser = Browser::new();
    let response = browser
        .post(
            &app,
            "/api/dashboard/sign-up",
            &[
                ("email", "Ada@Example.com"),
                ("password", "correct horse battery"),
                ("organization_name", "Analytical Engines"),
            ],
        )
        .await;
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("kassa_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(location(&response), "/dashboard/api-keys?welcome=1");
    browser.keep(&response);

    let (status, page) = browser.get(&app, "/dashboard/api-keys?welcome=1").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Analytical Engines"),
        "the frame names the organization"
    );
    let secret_at = page.find("sk_test_").expect("the new secret is shown");
    let secret: String = page[secret_at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    // The secret works against the API, as the new organization.
    let response = app
        .client
        .get(app.url("/api/organization"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let org: Value = response.json().await.unwrap();
    assert_eq!(org["name"], "Analytical Engines", "{org}");

    let (_, again) = browser.get(&app, "/dashboard/api-keys").await;
    assert!(!again.contains(&secret), "a secret is shown once");
    assert!(
        again.contains(&secret[..12]),
        "the key is listed by its prefix"
    );

    // Signing out ends the session: its cookie no longer opens the dashboard.
    let response = browser.post(&app, "/api/dashboard/sign-out", &[]).await;
    assert_eq!(location(&response), "/dashboard");
    let (status, _) = browser.call(&app, "/api/dashboard/me", &[]).await;
    assert_eq!(status, 401);
    app.stop().await;
}

async fn sign_up_errors_name_their_field_and_keep_what_was_typed(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_sign_up_errors").await else {
        return;
    };
    Browser::sign_up(&app, "grace@example.com", "Cobol Inc").await;
    let mut browser = Browser::new();
    let response = browser
        .post(
            &app,
            "/api/dashboard/sign-up",
            &[
                ("email", "GRACE@example.com"),
                ("password", "another long password"),
                ("organization_name", "Second"),
            ],
        )
        .await;
    let to = location(&response);
    assert!(to.starts_with("/dashboard/sign-up?"), "{to}");
    assert!(
        param(&to, "error.email")
            .unwrap()
            .contains("already exists"),
        "{to}"
    );
    assert_eq!(
        param(&to, "value.organization_name").as_deref(),
        Some("Second")
    );
    assert_eq!(
        param(&to, "value.password"),
        None,
        "a password never travels in an address"
    );
    assert!(
        response.headers().get(SET_COOKIE).is_none(),
        "nobody was signed in"
    );

    let response = browser
        .post(
            &app,
            "/api/dashboard/sign-up",
            &[
                ("email", "not an email"),
                ("password", "short"),
                ("organization_name", ""),
            ],
        )
        .await;
    let to = location(&response);
    for field in ["error.email", "error.password", "error.organization_name"] {
        assert!(param(&to, field).is_some(), "{field} in {to}");
    }
    // The page shows those errors by their inputs.
    let (_, page) = browser.get(&app, &to).await;
    assert!(page.contains("Use at least 10 characters"), "{page}");
    assert!(page.contains(r#"aria-invalid="true""#));
    app.stop().await;
}

async fn a_wrong_password_is_refused_and_the_demo_user_signs_in(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_sign_in").await else {
        return;
    };
    let mut browser = Browser::new();
    for (email, password) in [
        (app.demo.dashboard.email.as_str(), "not the password"),
        ("nobody@example.com", "not the password"),
    ] {
        let response = browser
            .post(
                &app,
                "/api/dashboard/sign-in",
                &[
                    ("email", email),
                    ("password", password),
                    ("return_to", "/dashboard/products"),
                ],
            )
            .await;
        let to = location(&response);
        assert!(
            to.starts_with("/dashboard/products?"),
            "back where it was asked: {to}"
        );
        assert_eq!(
            param(&to, "error.password").as_deref(),
            Some("The email or password is wrong."),
            "the same answer whether the account exists or not"
        );
        assert!(response.headers().get(SET_COOKIE).is_none());
    }
    let browser = Browser::demo(&app).await;
    let (status, me) = browser.call(&app, "/api/dashboard/me", &[]).await;
    assert_eq!(status, 200);
    let me: Value = serde_json::from_str(&me).unwrap();
    assert_eq!(me["email"], app.demo.dashboard.email.as_str());
    assert_eq!(me["live"], false, "the dashboard starts in test mode");
    app.stop().await;
}

async fn sign_in_attempts_are_limited_per_email(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_rate_limit").await else {
        return;
    };
    let mut browser = Browser::new();
    let form = [
        ("email", "victim@example.com"),
        ("password", "guess guess guess"),
    ];
    for _ in 0..kassa::security::limits::SIGN_INS_PER_EMAIL {
        let response = browser.post(&app, "/api/dashboard/sign-in", &form).await;
        assert_eq!(response.status(), 302);
    }
    let (status, body) = browser.call(&app, "/api/dashboard/sign-in", &form).await;
    assert_eq!(status, 429, "{body}");
    // Another email is not held back by the first one's attempts.
    let demo = Browser::demo(&app).await;
    assert!(demo.cookie.is_some());
    app.stop().await;
}

async fn another_organizations_session_is_not_found(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_isolation").await else {
        return;
    };
    let id = create_api_session(&app, "buyer@example.com").await;

    // The demo organization sees its session, made through the API.
    let demo = Browser::demo(&app).await;
    let (status, page) = demo
        .get(&app, &format!("/dashboard/checkout-sessions/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("buyer@example.com") && page.contains("shop.example/thanks"));
    let (_, list) = demo.get(&app, "/dashboard/checkout-sessions").await;
    assert!(list.contains(&id));

    // A second organization gets "not found", by address and by server function.
    let other = Browser::sign_up(&app, "mallory@example.com", "Other Org").await;
    let page = format!("/dashboard/checkout-sessions/{id}");
    hidden_from(
        &other,
        &app,
        &page,
        "/api/dashboard/session",
        &id,
        "buyer@example.com",
    )
    .await;
    hidden_from(
        &other,
        &app,
        &page,
        "/api/dashboard/session",
        &id,
        "shop.example",
    )
    .await;
    let (_, list) = other.get(&app, "/dashboard/checkout-sessions").await;
    assert!(!list.contains(&id));
    // Nor can it change it.
    let (status, _) = other
        .call(&app, "/api/dashboard/session/expire", &[("id", &id)])
        .await;
    assert_eq!(status, 404);
    let price = &app.demo.prices[0];
    let (status, _) = other
        .call(&app, "/api/dashboard/product", &[("id", &price.product_id)])
        .await;
    assert_eq!(status, 404);
    let session = app.store.session_by_id(&id).await.unwrap().unwrap();
    assert_eq!(session.status.as_str(), "open");
    app.stop().await;
}

async fn signed_out_reads_are_refused(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_signed_out").await else {
        return;
    };
    let id = create_api_session(&app, "buyer@example.com").await;
    let nobody = Browser::new();
    let (status, body) = nobody
        .call(&app, "/api/dashboard/session", &[("id", &id)])
        .await;
    assert_eq!(status, 401);
    assert!(!body.contains("buyer@example.com"));
    // A page shows the sign-in form instead of the data.
    let (status, page) = nobody
        .get(&app, &format!("/dashboard/checkout-sessions/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Sign in") && !page.contains("buyer@example.com"));
    app.stop().await;
}

async fn cross_site_posts_are_refused(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_csrf").await else {
        return;
    };
    let demo = Browser::demo(&app).await;
    let cookie = demo.cookie.clone().unwrap();
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = app
            .client
            .post(app.url("/api/dashboard/api-keys/create"))
            .header(COOKIE, &cookie)
            .header(header, value)
            .form(&[("name", "planted"), ("mode", "live")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{header}: {value}");
    }
    let keys = app.store.api_keys(&app.demo.organization_id).await.unwrap();
    assert!(keys.iter().all(|k| k.name != "planted"), "nothing was made");
    // The dashboard's own pages pass.
    let response = app
        .client
        .post(app.url("/api/dashboard/api-keys/create"))
        .header(COOKIE, &cookie)
        .header("origin", &app.address)
        .header("sec-fetch-site", "same-origin")
        .header(ACCEPT, "text/html")
        .form(&[("name", "mine"), ("mode", "test")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    app.stop().await;
}

async fn products_and_prices_are_made_from_the_form(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_products").await else {
        return;
    };
    let mut browser = Browser::sign_up(&app, "shop@example.com", "Shop").await;
    let response = browser
        .post(
            &app,
            "/api/dashboard/product/create",
            &[
                ("name", "Widget"),
                ("amount", "12.5"),
                ("currency", "eur"),
                ("billing", "month"),
            ],
        )
        .await;
    let to = location(&response);
    let product_id = to
        .strip_prefix("/dashboard/products/")
        .expect(&to)
        .to_owned();
    let (status, body) = browser
        .call(&app, "/api/dashboard/product", &[("id", &product_id)])
        .await;
    assert_eq!(status, 200);
    let product: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(product["name"], "Widget");
    assert_eq!(product["prices"][0]["label"], "€12.50 / month");

    // A second price, then the first archived.
    let response = browser
        .post(
            &app,
            "/api/dashboard/price/create",
            &[
                ("product_id", &product_id),
                ("amount", "99"),
                ("billing", "once"),
            ],
        )
        .await;
    assert_eq!(
        location(&response),
        format!("/dashboard/products/{product_id}")
    );
    let first = product["prices"][0]["id"].as_str().unwrap().to_owned();
    browser
        .post(
            &app,
            "/api/dashboard/product/archive",
            &[
                ("product_id", &product_id),
                ("price_id", &first),
                ("active", "false"),
            ],
        )
        .await;
    let (_, body) = browser
        .call(&app, "/api/dashboard/product", &[("id", &product_id)])
        .await;
    let product: Value = serde_json::from_str(&body).unwrap();
    let prices = product["prices"].as_array().unwrap();
    assert_eq!(prices.len(), 2);
    let archived = prices.iter().find(|p| p["id"] == first.as_str()).unwrap();
    assert_eq!(archived["active"], false);

    // Errors come back by input, with what was typed.
    let response = browser
        .post(
            &app,
            "/api/dashboard/product/create",
            &[
                ("name", ""),
                ("amount", "12.345"),
                ("currency", "usd"),
                ("billing", "once"),
            ],
        )
        .await;
    let to = location(&response);
    assert!(param(&to, "error.name").is_some(), "{to}");
    assert!(param(&to, "error.amount").is_some(), "{to}");
    assert_eq!(param(&to, "value.amount").as_deref(), Some("12.345"));
    app.stop().await;
}

async fn sessions_are_made_from_the_form_and_listed(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_sessions").await else {
        return;
    };
    let mut demo = Browser::demo(&app).await;
    let price = app
        .demo
        .prices
        .iter()
        .find(|p| p.slug == "espresso-beans")
        .unwrap();
    let response = demo
        .post(
            &app,
            "/api/dashboard/session/create",
            &[
                ("kind", "purchase"),
                ("price[0]", &price.id),
                ("quantity[0]", "3"),
                ("adjustable[0]", "on"),
                ("guest_email", "walk-in@example.com"),
                ("success_url", "https://shop.example/done"),
                ("allow_promotion_codes", "on"),
                ("method[card]", "on"),
                ("expires_in_hours", "2"),
            ],
        )
        .await;
    let to = location(&response);
    let id = to
        .strip_prefix("/dashboard/checkout-sessions/")
        .expect(&to)
        .to_owned();
    let session = app.store.session_by_id(&id).await.unwrap().unwrap();
    assert_eq!(session.line_items[0].quantity, 3);
    assert!(session.line_items[0].adjustable.is_some());
    assert!(session.allow_promotion_codes);
    assert_eq!(
        session.success_url.as_deref(),
        Some("https://shop.example/done")
    );
    assert_eq!(session.expires_at - session.created_at, 2 * 3_600_000);
    let (_, page) = demo.get(&app, &to).await;
    assert!(
        page.contains(&format!("/checkout/{id}")),
        "the link is shown"
    );
    assert!(page.contains("<svg"), "with its QR code");

    // The list filters by status and finds by email or id.
    let other = create_api_session(&app, "someone-else@example.com").await;
    let (_, body) = demo
        .call(&app, "/api/dashboard/sessions", &[("search", "walk-in")])
        .await;
    let list: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec![id.as_str()]);
    let (_, body) = demo
        .call(&app, "/api/dashboard/sessions", &[("search", &other)])
        .await;
    assert!(body.contains(&other) && !body.contains(&id));
    let (_, body) = demo
        .call(&app, "/api/dashboard/sessions", &[("status", "succeeded")])
        .await;
    assert!(!body.contains(&id));

    // Bad input goes back to the form by row.
    let response = demo
        .post(
            &app,
            "/api/dashboard/session/create",
            &[
                ("kind", "purchase"),
                ("price[1]", "price_nope"),
                ("quantity[1]", "0"),
            ],
        )
        .await;
    let to = location(&response);
    assert!(to.starts_with("/dashboard/checkout-sessions/new?"), "{to}");
    assert!(
        param(&to, "error.price[1]").is_some() || param(&to, "error.quantity[1]").is_some(),
        "{to}"
    );
    assert_eq!(param(&to, "value.price[1]").as_deref(), Some("price_nope"));
    app.stop().await;
}

async fn sessions_are_expired_from_the_dashboard(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_expire").await else {
        return;
    };
    let id = create_api_session(&app, "buyer@example.com").await;
    let mut demo = Browser::demo(&app).await;
    let response = demo
        .post(&app, "/api/dashboard/session/expire", &[("id", &id)])
        .await;
    assert_eq!(
        location(&response),
        format!("/dashboard/checkout-sessions/{id}")
    );
    let session = app.store.session_by_id(&id).await.unwrap().unwrap();
    assert_eq!(session.status.as_str(), "expired");
    // Expiring it again says why not, on the page.
    let response = demo
        .post(&app, "/api/dashboard/session/expire", &[("id", &id)])
        .await;
    let to = location(&response);
    assert!(
        param(&to, "error.form").unwrap().contains("expired"),
        "{to}"
    );
    app.stop().await;
}

async fn branding_shows_on_the_checkout_page(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_branding").await else {
        return;
    };
    let id = create_api_session(&app, "buyer@example.com").await;
    let mut demo = Browser::demo(&app).await;
    let response = demo
        .post(
            &app,
            "/api/dashboard/branding/update",
            &[
                ("display_name", "Bean There"),
                ("accent_color", "#AA3300"),
                ("logo_url", "https://cdn.example/logo.png"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/settings?saved=1");
    let (_, page) = Browser::new().get(&app, &format!("/checkout/{id}")).await;
    assert!(page.contains("Bean There"));
    assert!(page.contains("--accent: #aa3300"));
    assert!(page.contains("https://cdn.example/logo.png"));

    let response = demo
        .post(
            &app,
            "/api/dashboard/branding/update",
            &[
                ("display_name", "Bean There"),
                ("accent_color", "red"),
                ("logo_url", "javascript:alert(1)"),
            ],
        )
        .await;
    let to = location(&response);
    assert!(
        param(&to, "error.accent_color").is_some() && param(&to, "error.logo_url").is_some(),
        "{to}"
    );
    let (_, page) = Browser::new().get(&app, &format!("/checkout/{id}")).await;
    assert!(page.contains("--accent: #aa3300"), "nothing was saved");
    app.stop().await;
}

async fn api_keys_are_made_and_revoked(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_keys").await else {
        return;
    };
    let mut demo = Browser::demo(&app).await;
    // A live key asks for the password again: none, or a wrong one, makes nothing.
    for password in ["", "not the password"] {
        let response = demo
            .post(
                &app,
                "/api/dashboard/api-keys/create",
                &[("name", "CI"), ("mode", "live"), ("password", password)],
            )
            .await;
        assert!(
            location(&response).starts_with("/dashboard/api-keys?error.password="),
            "{}",
            location(&response)
        );
    }
    let keys = app.store.api_keys(&app.demo.organization_id).await.unwrap();
    assert!(keys.iter().all(|k| !k.livemode), "no live key was made");
    let response = demo
        .post(
            &app,
            "/api/dashboard/api-keys/create",
            &[
                ("name", "CI"),
                ("mode", "live"),
                ("password", &app.demo.dashboard.password),
            ],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/api-keys");
    let (_, body) = demo.call(&app, "/api/dashboard/api-keys", &[]).await;
    let keys: Value = serde_json::from_str(&body).unwrap();
    let secret = keys["new_secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("sk_live_"));
    let key = keys["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "CI")
        .unwrap()
        .clone();
    assert_eq!(key["live"], true);
    let organization = |secret: String| {
        let app = &app;
        async move {
            app.client
                .get(app.url("/api/organization"))
                .bearer_auth(secret)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(organization(secret.clone()).await, 200);
    demo.post(
        &app,
        "/api/dashboard/api-keys/revoke",
        &[("id", key["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(
        organization(secret).await,
        401,
        "a revoked key no longer works"
    );
    app.stop().await;
}

async fn customers_show_what_they_bought(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_customers").await else {
        return;
    };
    // A subscription: a purchase, its first invoice, and the card saved for renewals.
    let monthly = app
        .demo
        .prices
        .iter()
        .find(|p| p.slug == "coffee-club-monthly")
        .unwrap();
    let response = app
        .client
        .post(app.url("/api/checkout-sessions"))
        .bearer_auth(&app.demo.secret_key)
        .json(&json!({
            "type": "purchase",
            "line_items": [{ "price": monthly.id, "quantity": 2 }],
            "guest": { "email": "ada@example.com" },
        }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let id = body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    app.pay_by_card(&id).await;
    let customer = app
        .store
        .session_by_id(&id)
        .await
        .unwrap()
        .unwrap()
        .customer_id
        .expect("a paid session has its customer");

    let demo = Browser::demo(&app).await;
    let (status, body) = demo.call(&app, "/api/dashboard/customers", &[]).await;
    assert_eq!(status, 200, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    assert!(
        list["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == customer.as_str()),
        "{list}"
    );

    let (status, body) = demo
        .call(&app, "/api/dashboard/customer", &[("id", &customer)])
        .await;
    assert_eq!(status, 200, "{body}");
    let detail: Value = serde_json::from_str(&body).unwrap();
    let purchases = detail["purchases"].as_array().unwrap();
    assert_eq!(purchases.len(), 1, "{detail}");
    assert!(
        purchases[0]["what"].as_str().unwrap().contains("× 2"),
        "{detail}"
    );
    assert_eq!(purchases[0]["status"], "paid");
    assert_eq!(detail["invoices"][0]["amount"], "$30.00", "{detail}");
    assert_eq!(detail["invoices"][0]["status"], "paid");
    let method = detail["payment_methods"][0]["what"]
        .as_str()
        .unwrap_or_default();
    assert!(
        method.starts_with("Visa •••• 4242, expires 12/34"),
        "{detail}"
    );
    let subscriptions = detail["subscriptions"].as_array().unwrap();
    assert_eq!(subscriptions.len(), 1, "{detail}");
    assert_eq!(subscriptions[0]["status"], "active");
    let what = subscriptions[0]["what"].as_str().unwrap();
    assert!(what.contains("renews") && what.contains("× 2"), "{detail}");
    // Each period's charge: two of the club.
    assert_eq!(subscriptions[0]["amount"], "$30.00", "{detail}");

    // The page shows the same; another organization finds nothing.
    let (status, page) = demo
        .get(&app, &format!("/dashboard/customers/{customer}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Visa •••• 4242") && page.contains("$30.00"),
        "{page}"
    );
    let other = Browser::sign_up(&app, "other-customers@example.com", "Other Org").await;
    let page = format!("/dashboard/customers/{customer}");
    hidden_from(
        &other,
        &app,
        &page,
        "/api/dashboard/customer",
        &customer,
        "4242",
    )
    .await;
    app.stop().await;
}

async fn coupons_are_made_listed_and_turned_off(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_coupons").await else {
        return;
    };
    let mut merchant = Browser::sign_up(&app, "coupons@example.com", "Coupon Co").await;
    let coupon = |code: &'static str, percent: &'static str, amount: &'static str| {
        vec![
            ("code", code),
            ("percent_off", percent),
            ("amount_off", amount),
            ("currency", "usd"),
            ("duration", "repeating"),
            ("duration_in_months", "3"),
        ]
    };

    // Both a percentage and an amount: refused, naming the field, keeping what was typed.
    let response = merchant
        .post(
            &app,
            "/api/dashboard/coupon/create",
            &coupon("spring20", "20", "5"),
        )
        .await;
    let to = location(&response);
    assert!(to.starts_with("/dashboard/coupons?"), "{to}");
    assert!(param(&to, "error.percent_off").is_some(), "{to}");
    assert_eq!(param(&to, "value.code").as_deref(), Some("spring20"));

    let response = merchant
        .post(
            &app,
            "/api/dashboard/coupon/create",
            &coupon("spring20", "20", ""),
        )
        .await;
    assert_eq!(location(&response), "/dashboard/coupons");
    // The same code again is a conflict on `code`.
    let response = merchant
        .post(
            &app,
            "/api/dashboard/coupon/create",
            &coupon("SPRING20", "", "5"),
        )
        .await;
    let to = location(&response);
    assert_eq!(
        param(&to, "error.code").as_deref(),
        Some("The code SPRING20 already exists.")
    );

    let (status, body) = merchant.call(&app, "/api/dashboard/coupons", &[]).await;
    assert_eq!(status, 200, "{body}");
    let coupons: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(coupons.as_array().unwrap().len(), 1, "{coupons}");
    assert_eq!(coupons[0]["value"], "20% off");
    assert_eq!(coupons[0]["duration"], "for 3 months");
    let code = &coupons[0]["codes"][0];
    assert_eq!(code["code"], "SPRING20");
    let code_id = code["id"].as_str().unwrap().to_owned();

    let user = app
        .store
        .user_by_email("coupons@example.com")
        .await
        .unwrap()
        .unwrap();
    let orgs = app.store.organizations_of_user(&user.id).await.unwrap();
    let stored = app
        .store
        .promotion_code(&orgs[0], false, "spring20")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.active);

    // Another organization cannot turn it off; its owner can.
    let other = Browser::sign_up(&app, "not-coupons@example.com", "Nosy Org").await;
    let (status, _) = other
        .call(
            &app,
            "/api/dashboard/promotion-code/active",
            &[("id", &code_id), ("active", "false")],
        )
        .await;
    assert_eq!(status, 404);
    assert!(
        app.store
            .promotion_code(&orgs[0], false, "SPRING20")
            .await
            .unwrap()
            .unwrap()
            .active
    );
    let response = merchant
        .post(
            &app,
            "/api/dashboard/promotion-code/active",
            &[("id", &code_id), ("active", "false")],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/coupons");
    assert!(
        !app.store
            .promotion_code(&orgs[0], false, "SPRING20")
            .await
            .unwrap()
            .unwrap()
            .active
    );
    app.stop().await;
}

async fn tax_rates_are_made_listed_and_archived(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_tax_rates").await else {
        return;
    };
    let mut merchant = Browser::sign_up(&app, "tax@example.com", "Tax Co").await;
    let rate = |percentage: &'static str, country: &'static str| {
        vec![
            ("display_name", "VAT"),
            ("percentage", percentage),
            ("inclusive", "true"),
            ("country", country),
            ("description", "Germany"),
        ]
    };
    // A bad percentage and country: refused by input, keeping what was typed.
    let response = merchant
        .post(
            &app,
            "/api/dashboard/tax-rate/create",
            &rate("19,5", "Germany"),
        )
        .await;
    let to = location(&response);
    assert!(to.starts_with("/dashboard/tax-rates?"), "{to}");
    assert!(param(&to, "error.percentage").is_some(), "{to}");
    assert!(param(&to, "error.country").is_some(), "{to}");
    assert_eq!(param(&to, "value.display_name").as_deref(), Some("VAT"));

    let response = merchant
        .post(&app, "/api/dashboard/tax-rate/create", &rate("19", "de"))
        .await;
    assert_eq!(location(&response), "/dashboard/tax-rates");
    let (status, body) = merchant.call(&app, "/api/dashboard/tax-rates", &[]).await;
    assert_eq!(status, 200, "{body}");
    let rates: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(rates.as_array().unwrap().len(), 1, "{rates}");
    assert_eq!(
        (
            &rates[0]["percentage"],
            &rates[0]["country"],
            &rates[0]["active"]
        ),
        (&json!("19%"), &json!("DE"), &json!(true))
    );
    let id = rates[0]["id"].as_str().unwrap().to_owned();
    let (status, page) = merchant.get(&app, "/dashboard/tax-rates").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Create a tax rate") && page.contains(&id),
        "{page}"
    );

    // Another organization cannot archive it; its owner can, and reactivate it.
    let other = Browser::sign_up(&app, "not-tax@example.com", "Nosy Org").await;
    let (status, _) = other
        .call(
            &app,
            "/api/dashboard/tax-rate/active",
            &[("id", &id), ("active", "false")],
        )
        .await;
    assert_eq!(status, 404);
    let response = merchant
        .post(
            &app,
            "/api/dashboard/tax-rate/active",
            &[("id", &id), ("active", "false")],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/tax-rates");
    let (_, body) = merchant.call(&app, "/api/dashboard/tax-rates", &[]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()[0]["active"],
        false
    );
    app.stop().await;
}

async fn a_waiting_subscription_is_activated_from_the_form(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_activate").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let response = app
        .client
        .post(app.url("/api/v1/customers"))
        .bearer_auth(&key)
        .json(&json!({ "customer": { "email": "grace@example.com", "name": "Grace", "externalId": "grace" } }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let customer = body["data"]["customer"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    let monthly = app
        .demo
        .prices
        .iter()
        .find(|p| p.slug == "coffee-club-monthly")
        .unwrap();
    let response = app
        .client
        .post(app.url("/api/subscriptions"))
        .bearer_auth(&key)
        .json(&json!({ "customer": customer, "price": monthly.id }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    let subscription = body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();

    let mut demo = Browser::demo(&app).await;
    // The form offers it, labelled with its customer.
    let (_, body) = demo.call(&app, "/api/dashboard/session-choices", &[]).await;
    let choices: Value = serde_json::from_str(&body).unwrap();
    let offered = choices["subscriptions"].as_array().unwrap();
    assert!(
        offered.iter().any(|s| s[0] == subscription.as_str()
            && s[1].as_str().unwrap().contains("grace@example.com")),
        "{choices}"
    );

    // Without one chosen, the error names the subscription input.
    fn form<'a>(customer: &'a str, target: &'a str) -> [(&'static str, &'a str); 3] {
        [
            ("kind", "activate_subscription"),
            ("customer", customer),
            ("target_subscription", target),
        ]
    }
    let response = demo
        .post(&app, "/api/dashboard/session/create", &form(&customer, ""))
        .await;
    let to = location(&response);
    assert!(param(&to, "error.target_subscription").is_some(), "{to}");

    let response = demo
        .post(
            &app,
            "/api/dashboard/session/create",
            &form(&customer, &subscription),
        )
        .await;
    let to = location(&response);
    let id = to
        .strip_prefix("/dashboard/checkout-sessions/")
        .unwrap_or_else(|| panic!("{to}"));
    let session = app.store.session_by_id(id).await.unwrap().unwrap();
    assert_eq!(session.kind.as_str(), "activate_subscription");
    assert_eq!(
        session.target_subscription_id.as_deref(),
        Some(subscription.as_str())
    );
    app.stop().await;
}

async fn events_are_listed_for_their_organization_only(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_events").await else {
        return;
    };
    let id = create_api_session(&app, "ada@example.com").await;
    app.pay_by_card(&id).await;
    let demo = Browser::demo(&app).await;
    let (status, body) = demo.call(&app, "/api/dashboard/events", &[]).await;
    assert_eq!(status, 200, "{body}");
    let list: Value = serde_json::from_str(&body).unwrap();
    let completed = list["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event_type"] == "checkout.session.completed")
        .unwrap_or_else(|| panic!("{list}"));
    assert_eq!(completed["object_id"], id.as_str());
    let (status, page) = demo.get(&app, "/dashboard/events").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("checkout.session.completed") && page.contains(&id),
        "{page}"
    );

    let other = Browser::sign_up(&app, "other-events@example.com", "Other Org").await;
    let (status, body) = other.call(&app, "/api/dashboard/events", &[]).await;
    assert_eq!(status, 200);
    assert!(!body.contains(&id), "{body}");
    app.stop().await;
}

async fn webhooks_are_managed_from_the_dashboard(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_webhooks").await else {
        return;
    };
    let mut demo = Browser::demo(&app).await;

    // Mistakes come back by input, and nothing is made.
    let response = demo
        .post(&app, "/api/dashboard/webhook/create", &[("name", "Orders")])
        .await;
    let back = location(&response);
    assert!(back.starts_with("/dashboard/webhooks?"), "{back}");
    assert!(param(&back, "error.url").unwrap().contains("required"));
    let response = demo
        .post(
            &app,
            "/api/dashboard/webhook/create",
            &[("url", "https://shop.example/hooks")],
        )
        .await;
    let back = location(&response);
    assert!(param(&back, "error.filter_types").is_some(), "{back}");
    assert_eq!(
        param(&back, "value.url").unwrap(),
        "https://shop.example/hooks"
    );

    // Made, with its secret shown once on its page. Port 9 (discard) answers nobody here.
    let response = demo
        .post(
            &app,
            "/api/dashboard/webhook/create",
            &[
                ("name", "Fulfilment"),
                ("url", "http://127.0.0.1:9/hooks"),
                ("event[payment.succeeded]", "on"),
                ("event[checkout.session.completed]", "on"),
            ],
        )
        .await;
    let page_path = location(&response);
    let id = page_path
        .strip_prefix("/dashboard/webhooks/")
        .unwrap_or_else(|| panic!("{page_path}"))
        .to_owned();
    let (status, html) = demo.get(&app, &page_path).await;
    assert_eq!(status, 200);
    let start = html.find("whsec_").expect("the secret, this once");
    let secret: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    assert!(secret.len() > 30, "{secret}");
    let (_, again) = demo.get(&app, &page_path).await;
    assert!(!again.contains("whsec_"), "shown once only");
    let (_, api) = app
        .client
        .get(app.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .map(|r| (r.status(), r))
        .unwrap();
    let api: Value = api.json().await.unwrap();
    assert_eq!(
        api["webhook"]["filterTypes"],
        json!(["checkout.session.completed", "payment.succeeded"])
    );
    let (_, list) = demo.get(&app, "/dashboard/webhooks").await;
    assert!(list.contains("Fulfilment") && list.contains("http://127.0.0.1:9/hooks"));

    // A paid checkout makes two deliveries; their failed attempts show, and one can be resent.
    let session = create_api_session(&app, "ada@example.com").await;
    app.pay_by_card(&session).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    let detail = loop {
        let (status, body) = demo
            .call(&app, "/api/dashboard/webhook", &[("id", &id)])
            .await;
        assert_eq!(status, 200, "{body}");
        let detail: Value = serde_json::from_str(&body).unwrap();
        let tried = detail["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| !d["attempts"].as_array().unwrap().is_empty())
            .count();
        if tried == 2 {
            break detail;
        }
        assert!(tokio::time::Instant::now() < deadline, "{detail}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let delivery = &detail["deliveries"][0];
    assert_eq!(delivery["status"], "pending");
    assert_eq!(delivery["attempts"][0]["outcome"], "no answer");
    assert_eq!(delivery["attempts"][0]["ok"], false);
    let (_, html) = demo.get(&app, &page_path).await;
    assert!(
        html.contains("no answer") && html.contains("next attempt"),
        "{html}"
    );
    let delivery_id = delivery["id"].as_str().unwrap().to_owned();
    let before = kassa::store::now_ms();
    let mut resend = async || {
        let response = demo
            .post(
                &app,
                "/api/dashboard/webhook/resend",
                &[("id", &id), ("delivery", &delivery_id)],
            )
            .await;
        location(&response)
    };
    assert_eq!(
        resend().await,
        format!("/dashboard/webhooks/{id}?resent={delivery_id}")
    );
    let deliveries = app.store.webhook_deliveries(&id, 10).await.unwrap();
    let resent = deliveries.iter().find(|d| d.id == delivery_id).unwrap();
    assert!(
        resent.attempts > 1 || resent.next_attempt_at.unwrap() >= before,
        "due now, or already tried again: {resent:?}"
    );

    // Resends are limited per organization: the rest of the minute's quota goes, then the page
    // says how long to wait.
    for _ in 1..kassa::domain::webhook::RESENDS_PER_MINUTE {
        assert!(resend().await.contains("?resent="));
    }
    let limited = resend().await;
    assert!(
        limited.starts_with(&format!("/dashboard/webhooks/{id}?resend_wait=")),
        "{limited}"
    );
    let (_, html) = demo.get(&app, &limited).await;
    assert!(
        html.contains("Resends are limited to 10 a minute"),
        "{html}"
    );

    // Another organization sees none of it.
    let other = Browser::sign_up(&app, "other-webhooks@example.com", "Other Org").await;
    hidden_from(
        &other,
        &app,
        &page_path,
        "/api/dashboard/webhook",
        &id,
        &delivery_id,
    )
    .await;
    let (status, _) = other
        .call(
            &app,
            "/api/dashboard/webhook/resend",
            &[("id", &id), ("delivery", &delivery_id)],
        )
        .await;
    assert_eq!(status, 404);

    // Turned off by kassa: the overview and the endpoint's page say so; turning it on clears it.
    app.execute_sql(&format!(
        "UPDATE webhook_endpoints SET active = FALSE, disabled_at = {before} WHERE id = '{id}'"
    ))
    .await;
    let (_, overview) = demo.get(&app, "/dashboard").await;
    assert!(overview.contains("was turned off on"), "{overview}");
    let (_, html) = demo.get(&app, &page_path).await;
    assert!(html.contains("kassa turned this endpoint off"), "{html}");
    let response = demo
        .post(
            &app,
            "/api/dashboard/webhook/active",
            &[("id", &id), ("active", "true")],
        )
        .await;
    assert_eq!(location(&response), page_path);
    let (_, overview) = demo.get(&app, "/dashboard").await;
    assert!(!overview.contains("was turned off on"));

    // Settings: checked whole; turned off by hand.
    let response = demo
        .post(
            &app,
            "/api/dashboard/webhook/update",
            &[("id", &id), ("url", "not a url"), ("event[*]", "on")],
        )
        .await;
    let back = location(&response);
    assert!(back.starts_with(&format!("{page_path}?")), "{back}");
    assert!(param(&back, "error.url").is_some(), "{back}");
    let response = demo
        .post(
            &app,
            "/api/dashboard/webhook/update",
            &[
                ("id", &id),
                ("name", "Everything"),
                ("url", "https://shop.example/all"),
                ("event[*]", "on"),
            ],
        )
        .await;
    assert_eq!(location(&response), format!("{page_path}?saved=1"));
    demo.post(
        &app,
        "/api/dashboard/webhook/active",
        &[("id", &id), ("active", "false")],
    )
    .await;
    let endpoint = app
        .store
        .webhook_endpoint(&app.demo.organization_id, false, &id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            endpoint.name.as_str(),
            endpoint.url.as_str(),
            endpoint.active
        ),
        ("Everything", "https://shop.example/all", false)
    );
    assert_eq!(endpoint.filter_types(), ["*"]);
    assert_eq!(endpoint.disabled_at, None, "off by hand is no notice");
    app.stop().await;
}

async fn plans_and_business_entities_are_made_from_the_forms(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_plans").await else {
        return;
    };
    let mut merchant = Browser::sign_up(&app, "plans@example.com", "Plan Co").await;
    for (name, amount, billing) in [("Seat", "10", "month"), ("Setup", "99", "once")] {
        let response = merchant
            .post(
                &app,
                "/api/dashboard/product/create",
                &[
                    ("name", name),
                    ("amount", amount),
                    ("currency", "usd"),
                    ("billing", billing),
                ],
            )
            .await;
        assert!(location(&response).starts_with("/dashboard/products"));
    }
    let (status, body) = merchant.call(&app, "/api/dashboard/plans", &[]).await;
    assert_eq!(status, 200, "{body}");
    let data: Value = serde_json::from_str(&body).unwrap();
    let prices: Vec<String> = data["prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().unwrap().to_owned())
        .collect();
    let labels: Vec<String> = data["prices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[1].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(prices.len(), 2, "{data}");
    assert_eq!(data["plans"], json!([]));

    // No name, and a quantity of zero in the second filled row: both named, typing kept.
    let response = merchant
        .post(
            &app,
            "/api/dashboard/plan/create",
            &[
                ("plan_name", ""),
                ("price1", &prices[0]),
                ("quantity1", "2"),
                ("price2", ""),
                ("price3", &prices[1]),
                ("quantity3", "0"),
            ],
        )
        .await;
    let to = location(&response);
    assert!(param(&to, "error.plan_name").is_some(), "{to}");
    assert!(param(&to, "error.quantity3").is_some(), "{to}");
    assert_eq!(param(&to, "value.quantity1").as_deref(), Some("2"));
    // A currency the prices are not in.
    let response = merchant
        .post(
            &app,
            "/api/dashboard/plan/create",
            &[
                ("plan_name", "Team"),
                ("plan_currency", "eur"),
                ("price1", &prices[0]),
            ],
        )
        .await;
    assert!(param(&location(&response), "error.plan_currency").is_some());

    let response = merchant
        .post(
            &app,
            "/api/dashboard/plan/create",
            &[
                ("plan_name", "Team"),
                ("price1", &prices[0]),
                ("quantity1", "5"),
                ("price3", &prices[1]),
            ],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/plans");

    let response = merchant
        .post(
            &app,
            "/api/dashboard/business-entity/create",
            &[
                ("entity_name", "Plan Co GmbH"),
                ("entity_country", "Germany"),
            ],
        )
        .await;
    let to = location(&response);
    assert!(param(&to, "error.entity_country").is_some(), "{to}");
    let response = merchant
        .post(
            &app,
            "/api/dashboard/business-entity/create",
            &[
                ("entity_name", "Plan Co GmbH"),
                ("entity_legal_name", "Plan Co GmbH"),
                ("entity_country", "de"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/plans");

    let (_, body) = merchant.call(&app, "/api/dashboard/plans", &[]).await;
    let data: Value = serde_json::from_str(&body).unwrap();
    let plan = &data["plans"][0];
    assert_eq!(plan["name"], "Team");
    assert_eq!(plan["currency"], "USD");
    let items = plan["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{plan}");
    assert_eq!(items[0], format!("5 × {}", labels[0]), "{plan}");
    assert_eq!(items[1], format!("1 × {}", labels[1]), "{plan}");
    assert_eq!(data["entities"][0]["country"], "DE");

    // The page lists both, and another organization sees neither.
    let (status, page) = merchant.get(&app, "/dashboard/plans").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Team") && page.contains("Plan Co GmbH"),
        "{page}"
    );
    let other = Browser::sign_up(&app, "not-plans@example.com", "Other Co").await;
    let (_, body) = other.call(&app, "/api/dashboard/plans", &[]).await;
    let data: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (
            data["plans"].as_array().unwrap().len(),
            data["entities"].as_array().unwrap().len()
        ),
        (0, 0)
    );
    app.stop().await;
}

/// The payments page: Stripe keys per mode, checked, sealed in the database, shown only by their
/// first characters; the test-mode processor chosen only once Stripe's test keys are there.
async fn stripe_keys_are_kept_sealed_and_shown_by_prefix(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_stripe_keys").await else {
        return;
    };
    let mut demo = Browser::demo(&app).await;
    let secret = "sk_test_51DashboardKey00000000000000";
    let webhook = "whsec_dashboard000000000000000000";

    // Stripe's test mode cannot be chosen before its keys are set.
    let response = demo
        .post(
            &app,
            "/api/dashboard/payments/test-mode",
            &[("processor", "stripe")],
        )
        .await;
    assert!(param(&location(&response), "error.processor").is_some());

    // A live key in test mode, and a webhook secret of another kind, are refused by field.
    let response = demo
        .post(
            &app,
            "/api/dashboard/payments/stripe",
            &[
                ("secret_key", "sk_live_51DashboardKey0000000000000"),
                ("webhook_secret", "secret"),
            ],
        )
        .await;
    let to = location(&response);
    assert!(
        param(&to, "error.secret_key")
            .unwrap()
            .contains("live-mode key"),
        "{to}"
    );
    assert!(param(&to, "error.webhook_secret").is_some(), "{to}");
    assert!(
        !to.contains("sk_live_51"),
        "a key never travels back in an address: {to}"
    );

    let response = demo
        .post(
            &app,
            "/api/dashboard/payments/stripe",
            &[("secret_key", secret), ("webhook_secret", webhook)],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/payments?saved=1");
    let (status, page) = demo.get(&app, "/dashboard/payments").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("sk_test_51Da…") && page.contains("whsec_dashbo…"),
        "{page}"
    );
    assert!(!page.contains(secret) && !page.contains(webhook));
    assert!(page.contains(&format!("/api/stripe/events/{}", app.demo.organization_id)));
    let stored = app
        .store
        .processor_account(&app.demo.organization_id, false)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !stored.secret_key.contains("sk_test") && !stored.webhook_secret.contains("whsec"),
        "sealed at rest: {stored:?}"
    );

    let response = demo
        .post(
            &app,
            "/api/dashboard/payments/test-mode",
            &[("processor", "stripe")],
        )
        .await;
    assert_eq!(location(&response), "/dashboard/payments?saved=1");
    assert_eq!(
        app.store
            .test_mode_processor(&app.demo.organization_id)
            .await
            .unwrap(),
        "stripe"
    );
    // Removing the keys takes test payments back to kassa's test processor.
    let response = demo
        .post(&app, "/api/dashboard/payments/stripe/remove", &[])
        .await;
    assert_eq!(location(&response), "/dashboard/payments?saved=1");
    assert_eq!(
        app.store
            .test_mode_processor(&app.demo.organization_id)
            .await
            .unwrap(),
        "kassa"
    );
    assert!(
        app.store
            .processor_account(&app.demo.organization_id, false)
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}

async fn the_overview_draws_the_last_30_days(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "dash_charts").await else {
        return;
    };
    let beans = app.price_id("espresso-beans");
    let mut made = Vec::new();
    for _ in 0..3 {
        made.push(
            app.create_session(&json!({ "line_items": [{ "price": beans }] }))
                .await,
        );
    }
    app.pay_by_card(&made[0]).await;
    // What the API says there is, to hold the charts to.
    let (_, listed) = app
        .api_get(&app.demo.secret_key, "/api/checkout-sessions?limit=100")
        .await;
    let sessions = listed["data"].as_array().unwrap();
    let opened = sessions.len();
    let paid = sessions
        .iter()
        .filter(|s| s["status"] == "succeeded")
        .count();
    assert!(opened >= 3 && paid >= 1);

    let demo = Browser::demo(&app).await;
    let (status, html) = demo.get(&app, "/dashboard").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<svg class=\"chart").count(), 3, "{html}");
    assert_eq!(html.matches("role=\"img\" aria-labelledby=").count(), 3);
    assert!(html.contains("Revenue by day, USD"));
    let summary = format!("{opened} checkout sessions opened from ");
    assert!(html.contains(&summary), "{summary} in {html}");
    assert!(html.contains(&format!("{paid} of them paid.")));
    let share = format!("{paid} of {opened} sessions opened from");
    assert!(html.contains(&share));
    assert!(html.contains(&format!(": {} %.", (paid * 100 + opened / 2) / opened)));
    // Today's bar says its numbers to a screen reader, and the table has them too.
    let today = chrono_label();
    assert!(
        html.contains(&format!(
            "<title>{today}: {paid} paid, {} not paid</title>",
            opened - paid
        )),
        "{today}"
    );
    assert!(
        html.contains(" taken in from ") && !html.contains("Nothing taken in"),
        "the paid beans are in the revenue"
    );
    assert!(html.contains("<summary>The numbers</summary>"));
    app.stop().await;
}

/// Today (UTC) as the charts label it: `Dec 5`.
fn chrono_label() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    chrono::DateTime::from_timestamp(now, 0)
        .unwrap()
        .format("%b %-d")
        .to_string()
}

#[tokio::test]
async fn the_overview_draws_the_last_30_days_on_sqlite() {
    the_overview_draws_the_last_30_days(Engine::Sqlite).await;
}

#[tokio::test]
async fn the_overview_draws_the_last_30_days_on_postgres() {
    the_overview_draws_the_last_30_days(Engine::Postgres).await;
}
