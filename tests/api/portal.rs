//! The buyer's page: a signed link (kassa's API, Stripe's billing portal, every receipt) opens the
//! customer's subscriptions, card and invoices; its forms end a subscription at its period's end
//! or keep it running, and change the card on a hosted checkout. A link altered, expired, or
//! used on someone else's subscription does nothing.

use crate::app::{TestApp, card, confirm};
use kassa::store::Engine;
use reqwest::header::{ACCEPT, LOCATION};
use serde_json::{Value, json};

crate::on_both_engines!(
    a_signed_link_shows_the_buyers_billing_and_changes_only_theirs,
    stripes_billing_portal_session_is_the_buyers_page,
    flowglads_customer_billing_has_the_items_and_the_page,
);

/// A paid monthly subscription and its customer.
async fn subscribe(app: &TestApp) -> (String, String) {
    let (_, sub) = app.subscribe_monthly().await;
    let customer = subscription(app, &sub).await["customer"]
        .as_str()
        .unwrap()
        .to_owned();
    (sub, customer)
}

async fn page(app: &TestApp, url: &str) -> (u16, String) {
    let response = app.client.get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Posts a form of the page as a browser without JavaScript does; where it sends the buyer.
async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> String {
    let response = app
        .client
        .post(app.url(path))
        .header(ACCEPT, "text/html")
        .form(form)
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_redirection(),
        "{path}: {}",
        response.status()
    );
    response.headers()[LOCATION].to_str().unwrap().to_owned()
}

async fn subscription(app: &TestApp, id: &str) -> Value {
    app.api_get(&app.demo.secret_key, &format!("/api/subscriptions/{id}"))
        .await
        .1
}

async fn a_signed_link_shows_the_buyers_billing_and_changes_only_theirs(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "portal").await else {
        return;
    };
    let (sub, customer) = subscribe(&app).await;
    let (status, refused) = app
        .api_post(
            &app.demo.secret_key,
            "/api/customers/cus_nope/portal",
            &json!({}),
        )
        .await;
    assert_eq!(status, 404, "{refused}");
    let (status, link) = app
        .api_post(
            &app.demo.secret_key,
            &format!("/api/customers/{customer}/portal"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 201, "{link}");
    let url = link["url"].as_str().unwrap().to_owned();
    let token = url.rsplit_once("/billing/").unwrap().1.to_owned();
    let hours = (link["expires_at"].as_i64().unwrap() - kassa::store::now_ms()) / 3_600_000;
    assert!((22..=24).contains(&hours), "a day: {hours} h");

    let (status, html) = page(&app, &url).await;
    assert_eq!(status, 200);
    for shown in [
        "Your billing",
        "buyer@example.com",
        "Renews on",
        "$15.00 / month",
        "•••• 4242",
        "Cancel subscription",
    ] {
        assert!(html.contains(shown), "{shown}: {html}");
    }
    // Altered or expired, the link opens nothing.
    let mut altered = url.clone();
    let last = altered.pop().unwrap();
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let (status, html) = page(&app, &altered).await;
    assert_eq!(status, 404);
    assert!(html.contains("This link has expired") && !html.contains("buyer@example.com"));
    let record = app
        .store
        .customer(&app.demo.organization_id, false, &customer)
        .await
        .unwrap()
        .unwrap();
    let expired = kassa::service::portal::link(
        &app.store,
        &app.address,
        &record,
        kassa::store::now_ms() - 1000,
    )
    .await
    .unwrap();
    assert_eq!(page(&app, &expired).await.0, 404);
    let forged = url.replace(&customer, "cus_someone_else");
    assert_eq!(page(&app, &forged).await.0, 404);

    // Ending at the period's end, then keeping it running.
    let back = post(
        &app,
        "/api/billing/cancel",
        &[("token", &token), ("subscription", &sub)],
    )
    .await;
    assert_eq!(back, format!("/billing/{token}?done=canceled"));
    let s = subscription(&app, &sub).await;
    assert_eq!(
        (s["status"].as_str(), &s["cancel_at"]),
        (Some("active"), &s["current_period_end"])
    );
    let (_, html) = page(&app, &app.url(&back)).await;
    assert!(
        html.contains("will end at the end of the period") && html.contains("Keep my subscription"),
        "{html}"
    );
    let back = post(
        &app,
        "/api/billing/resume",
        &[("token", &token), ("subscription", &sub)],
    )
    .await;
    assert!(back.ends_with("?done=resumed"), "{back}");
    assert_eq!(subscription(&app, &sub).await["cancel_at"], Value::Null);

    // Someone else's subscription, with this buyer's link: untouched.
    let (other, _) = {
        let session = app
            .create_session(&json!({
                "line_items": [{ "price": app.price_id("coffee-club-monthly") }],
                "guest": { "email": "grace@example.com" },
            }))
            .await;
        let mut fields = card(&session, "4242424242424242");
        for (k, v) in fields.iter_mut() {
            if k == "email" {
                *v = "grace@example.com".to_owned();
            }
        }
        let (status, body) = confirm(&app, &fields).await;
        assert_eq!(status, 200, "{body}");
        let s = app.store.session_by_id(&session).await.unwrap().unwrap();
        (s.subscription_id.unwrap(), s.customer_id.unwrap())
    };
    let back = post(
        &app,
        "/api/billing/cancel",
        &[("token", &token), ("subscription", &other)],
    )
    .await;
    assert!(back.ends_with("?done=not_found"), "{back}");
    assert_eq!(subscription(&app, &other).await["cancel_at"], Value::Null);
    let back = post(
        &app,
        "/api/billing/cancel",
        &[
            ("token", altered.rsplit_once("/billing/").unwrap().1),
            ("subscription", &sub),
        ],
    )
    .await;
    assert!(
        !back.contains("done="),
        "an altered link changes nothing: {back}"
    );
    assert_eq!(subscription(&app, &sub).await["cancel_at"], Value::Null);

    // A new card, saved on a hosted checkout, pays every subscription from now on.
    let checkout = post(&app, "/api/billing/card", &[("token", &token)]).await;
    let session = checkout
        .strip_prefix("/checkout/")
        .expect("a hosted checkout")
        .to_owned();
    let mut fields = card(&session, "5555555555554444");
    fields.retain(|(k, _)| k != "email");
    let (status, body) = confirm(&app, &fields).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.to_string()
            .contains(&format!("/billing/{token}?done=card")),
        "back to the page: {body}"
    );
    let s = subscription(&app, &sub).await;
    let method = app
        .store
        .payment_method(
            &app.demo.organization_id,
            false,
            s["default_payment_method"].as_str().unwrap(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(method.last4, "4444");
    let (_, html) = page(&app, &url).await;
    assert!(html.contains("•••• 4444"), "{html}");
    app.stop().await;
}

async fn stripes_billing_portal_session_is_the_buyers_page(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "portal_stripe").await else {
        return;
    };
    let (_, customer) = subscribe(&app).await;
    let response = app
        .client
        .post(app.url("/v1/billing_portal/sessions"))
        .bearer_auth(&app.demo.secret_key)
        .form(&[
            ("customer", customer.as_str()),
            ("return_url", "https://shop.example/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let session: Value = response.json().await.unwrap();
    assert_eq!(session["object"], "billing_portal.session");
    assert_eq!(session["customer"], json!(customer));
    assert_eq!(session["return_url"], "https://shop.example/account");
    let (status, html) = page(&app, session["url"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(html.contains("Your billing"));
    let response = app
        .client
        .post(app.url("/v1/billing_portal/sessions"))
        .bearer_auth(&app.demo.secret_key)
        .form(&[("customer", "cus_nope")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    app.stop().await;
}

/// Flowglad's billing read of a customer: their subscription with both its items, the invoice
/// with its lines, the catalog, and `billingPortalUrl`, the buyer's page; in Flowglad's shape.
async fn flowglads_customer_billing_has_the_items_and_the_page(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "portal_flowglad").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let (status, created) = app
        .api_post(
            &key,
            "/api/v1/customers",
            &json!({ "customer": { "email": "lin@example.com", "name": "Lin", "externalId": "lin-7" } }),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let club = app.price_id("coffee-club-monthly");
    let monthly = Some(kassa::domain::catalog::Recurring {
        interval: kassa::domain::catalog::RecurringInterval::Month,
        interval_count: 1,
    });
    let grinder = app.add_price(false, "usd", 500, monthly).await;
    let session = app
        .create_session(&json!({
            "customer_external_id": "lin-7",
            "line_items": [{ "price": club, "quantity": 2 }, { "price": grinder }],
        }))
        .await;
    let mut fields = card(&session, "4242424242424242");
    fields.retain(|(k, _)| k != "email");
    let (status, body) = confirm(&app, &fields).await;
    assert_eq!(status, 200, "{body}");

    let (status, billing) = app.api_get(&key, "/api/v1/customers/lin-7/billing").await;
    assert_eq!(status, 200, "{billing}");
    crate::flowglad_spec::assert_conforms(
        "get",
        "/api/v1/customers/{externalId}/billing",
        200,
        &billing,
    );
    assert_eq!(billing["customer"]["externalId"], "lin-7");
    let items: Vec<(String, i64)> = billing["subscriptions"][0]["subscriptionItems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["priceId"].as_str().unwrap().to_owned(),
                i["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(items, [(club, 2), (grinder, 1)]);
    assert_eq!(billing["currentSubscriptions"].as_array().unwrap().len(), 1);
    assert_eq!(
        billing["invoices"][0]["invoiceLineItems"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(
        !billing["catalog"]["products"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let (status, html) = page(&app, billing["billingPortalUrl"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(html.contains("lin@example.com"), "the customer's own page");
    let (status, _) = app.api_get(&key, "/api/v1/customers/nobody/billing").await;
    assert_eq!(status, 404);
    app.stop().await;
}
