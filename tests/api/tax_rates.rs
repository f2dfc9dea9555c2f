//! Tax rates through kassa's API and Stripe's `/v1/tax_rates`, applied by the buyer's country to
//! the checkouts made while they are active (what the page shows is what is charged, whatever
//! the merchant creates or archives meanwhile), and Stripe's `tax_id_collection` on the page.

use crate::app::{TestApp, card, confirm, with_fields};
use crate::collection::stripe_session;
use kassa::domain::Mode;
use kassa::service::api_keys;
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    kassas_api_creates_lists_and_archives_tax_rates,
    a_checkout_applies_the_rates_in_effect_when_it_was_made,
    stripes_tax_rates_read_as_stripes,
    a_business_buyer_gives_a_tax_id_kept_on_the_session,
);

async fn kassas_api_creates_lists_and_archives_tax_rates(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "tax_rates_api").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let (status, vat) = app
        .api_post(
            &key,
            "/api/tax-rates",
            &json!({
                "display_name": "VAT", "percentage": 19.5, "inclusive": true, "country": "de",
                "tax_type": "vat", "description": "Germany", "metadata": { "ledger": "1776" },
            }),
        )
        .await;
    assert_eq!(status, 201, "{vat}");
    assert_eq!(
        (
            &vat["object"],
            &vat["percentage"],
            &vat["country"],
            &vat["active"],
            &vat["metadata"]["ledger"]
        ),
        (
            &json!("tax_rate"),
            &json!("19.5"),
            &json!("DE"),
            &json!(true),
            &json!("1776")
        )
    );
    let id = vat["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("txr_"), "{id}");

    // Each mistake is a 400 naming its field; nothing is made.
    for (body, param) in [
        (
            json!({ "display_name": "VAT", "percentage": "100.5", "inclusive": true }),
            "percentage",
        ),
        (
            json!({ "display_name": "VAT", "percentage": "8.87501", "inclusive": true }),
            "percentage",
        ),
        (
            json!({ "display_name": "VAT", "percentage": "19" }),
            "inclusive",
        ),
        (
            json!({ "percentage": "19", "inclusive": false }),
            "display_name",
        ),
        (
            json!({ "display_name": "VAT", "percentage": "19", "inclusive": false, "country": "XX" }),
            "country",
        ),
        (
            json!({ "display_name": "VAT", "percentage": "19", "inclusive": false, "tax_type": "tithe" }),
            "tax_type",
        ),
        (
            json!({ "display_name": "VAT", "percentage": "19", "inclusive": false, "rate": 19 }),
            "rate",
        ),
    ] {
        let (status, error) = app.api_post(&key, "/api/tax-rates", &body).await;
        assert_eq!(
            (status, error["error"]["param"].as_str()),
            (400, Some(param)),
            "{body} → {error}"
        );
    }
    let (status, list) = app.api_get(&key, "/api/tax-rates").await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");

    // Pages of one, newest first.
    let (_, sales) = app
        .api_post(
            &key,
            "/api/tax-rates",
            &json!({ "display_name": "Sales tax", "percentage": "8.875", "inclusive": false, "country": "US" }),
        )
        .await;
    let (_, first) = app.api_get(&key, "/api/tax-rates?limit=1").await;
    assert_eq!(first["data"][0]["id"], sales["id"]);
    assert_eq!(first["has_more"], true);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, second) = app
        .api_get(&key, &format!("/api/tax-rates?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(second["data"][0]["id"], json!(id));
    assert_eq!(second["has_more"], false);

    // Archived: still readable, no longer active; its terms never change.
    let (status, archived) = app
        .api_post(
            &key,
            &format!("/api/tax-rates/{id}"),
            &json!({ "active": false, "description": "" }),
        )
        .await;
    assert_eq!(status, 200, "{archived}");
    assert_eq!(
        (&archived["active"], &archived["description"]),
        (&json!(false), &Value::Null)
    );
    assert_eq!(archived["percentage"], "19.5");
    let (status, error) = app
        .api_post(
            &key,
            &format!("/api/tax-rates/{id}"),
            &json!({ "percentage": "7" }),
        )
        .await;
    assert_eq!(
        (status, error["error"]["param"].as_str()),
        (400, Some("percentage")),
        "{error}"
    );
    let (status, error) = app
        .api_post(
            &key,
            &format!("/api/tax-rates/{id}"),
            &json!({ "display_name": " " }),
        )
        .await;
    assert_eq!(
        (status, error["error"]["param"].as_str()),
        (400, Some("display_name")),
        "{error}"
    );
    let (status, read) = app.api_get(&key, &format!("/api/tax-rates/{id}")).await;
    assert_eq!((status, &read["active"]), (200, &json!(false)));

    // Another mode's key does not see it.
    let (_, live) = api_keys::create(&app.store, &app.demo.organization_id, Mode::Live, "live")
        .await
        .unwrap();
    let live = live.expose().to_owned();
    let (status, _) = app.api_get(&live, &format!("/api/tax-rates/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = app
        .api_post(
            &live,
            &format!("/api/tax-rates/{id}"),
            &json!({ "active": true }),
        )
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}

/// An exclusive 10% for the US, made through the API: its id.
async fn us_sales_tax(app: &TestApp) -> String {
    let (status, rate) = app
        .api_post(
            &app.demo.secret_key,
            "/api/tax-rates",
            &json!({ "display_name": "Sales tax", "percentage": 10, "inclusive": false, "country": "US" }),
        )
        .await;
    assert_eq!(status, 201, "{rate}");
    rate["id"].as_str().unwrap().to_owned()
}

async fn session(app: &TestApp) -> String {
    stripe_session(app, &[]).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// What a US buyer was charged for the session, and its tax.
async fn paid(app: &TestApp, id: &str) -> (i64, i64) {
    let (status, body) = confirm(app, &card(id, "4242424242424242")).await;
    assert_eq!(status, 200, "{body}");
    let payment = &app.store.payments_of_session(id).await.unwrap().0[0];
    (payment.amount, payment.tax_amount)
}

async fn a_checkout_applies_the_rates_in_effect_when_it_was_made(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "tax_rates_in_effect").await else {
        return;
    };
    let tick = || tokio::time::sleep(std::time::Duration::from_millis(5));
    let before = session(&app).await;
    tick().await;
    let rate = us_sales_tax(&app).await;
    tick().await;
    let during = session(&app).await;

    // The page of a session made while the rate is in effect knows it; one made before does not.
    let page = |id: &str| format!("/checkout/{id}");
    assert!(app.html(&page(&during)).await.contains("Sales tax"));
    assert!(!app.html(&page(&before)).await.contains("Sales tax"));

    tick().await;
    let (status, _) = app
        .api_post(
            &app.demo.secret_key,
            &format!("/api/tax-rates/{rate}"),
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(status, 200);
    tick().await;
    let after = session(&app).await;

    // The page posts what it showed; a buyer shown the untaxed 24.00 (a page without JavaScript
    // that has not seen the country yet) is shown the new total rather than charged it.
    let mut form = card(&during, "4242424242424242");
    with_fields(&mut form, &[("shown_total", "2400")]);
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(
        (status, &body["Invalid"]["errors"][0][0]),
        (422, &json!("total")),
        "{body}"
    );
    assert!(
        app.store
            .payments_of_session(&during)
            .await
            .unwrap()
            .0
            .is_empty(),
        "nothing charged"
    );
    let mut form = card(&during, "4242424242424242");
    with_fields(&mut form, &[("shown_total", "2640")]);
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    let payment = &app.store.payments_of_session(&during).await.unwrap().0[0];
    assert_eq!((payment.amount, payment.tax_amount), (2640, 240));

    // Beans are 2400: the session made while the rate was in effect pays it, archived since;
    // those made before it and after it do not, created meanwhile or not.
    assert_eq!(paid(&app, &before).await, (2400, 0));
    assert_eq!(paid(&app, &after).await, (2400, 0));
    app.stop().await;
}

async fn stripes_tax_rates_read_as_stripes(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "tax_rates_stripe").await else {
        return;
    };
    let (status, vat) = app
        .stripe_post(
            "/v1/tax_rates",
            &[
                ("display_name", "VAT"),
                ("percentage", "20"),
                ("inclusive", "false"),
                ("country", "FR"),
                ("jurisdiction", "FR"),
                ("tax_type", "vat"),
                ("metadata[ledger]", "4457"),
                ("metadata[region]", "eu"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{vat}");
    // Every field of Stripe's own example, none of its own.
    let fixtures: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/reference/stripe-fixtures3.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&vat), keys(&fixtures["resources"]["tax_rate"]));
    assert_eq!(
        (
            &vat["object"],
            &vat["percentage"],
            &vat["inclusive"],
            &vat["country"]
        ),
        (&json!("tax_rate"), &json!(20), &json!(false), &json!("FR"))
    );
    let id = vat["id"].as_str().unwrap().to_owned();

    for (form, param) in [
        (
            vec![("display_name", "VAT"), ("inclusive", "true")],
            "percentage",
        ),
        (
            vec![
                ("display_name", "VAT"),
                ("percentage", "101"),
                ("inclusive", "true"),
            ],
            "percentage",
        ),
        (
            vec![
                ("display_name", "VAT"),
                ("percentage", "5"),
                ("inclusive", "true"),
                ("state", "CA"),
            ],
            "state",
        ),
    ] {
        let (status, error) = app.stripe_post("/v1/tax_rates", &form).await;
        assert_eq!(
            (status, error["error"]["param"].as_str()),
            (400, Some(param)),
            "{error}"
        );
    }

    // Metadata merges as Stripe's does (an empty value removes its key); the country stays.
    let (status, updated) = app
        .stripe_post(
            &format!("/v1/tax_rates/{id}"),
            &[
                ("metadata[region]", ""),
                ("metadata[book]", "2"),
                ("active", "false"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        updated["metadata"],
        json!({ "ledger": "4457", "book": "2" })
    );
    assert_eq!(updated["active"], false);
    let (status, error) = app
        .stripe_post(&format!("/v1/tax_rates/{id}"), &[("country", "DE")])
        .await;
    assert_eq!(
        (status, error["error"]["param"].as_str()),
        (400, Some("country"))
    );

    let (_, gst) = app
        .stripe_post(
            "/v1/tax_rates",
            &[
                ("display_name", "GST"),
                ("percentage", "15"),
                ("inclusive", "true"),
                ("country", "NZ"),
            ],
        )
        .await;
    let key = &app.demo.secret_key;
    let (_, all) = app.api_get(key, "/v1/tax_rates?limit=1").await;
    assert_eq!(
        (&all["data"][0]["id"], &all["has_more"]),
        (&gst["id"], &json!(true))
    );
    let (_, rest) = app
        .api_get(
            key,
            &format!(
                "/v1/tax_rates?limit=1&starting_after={}",
                gst["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(
        (&rest["data"][0]["id"], &rest["has_more"]),
        (&json!(id), &json!(false))
    );
    let (_, active) = app.api_get(key, "/v1/tax_rates?active=true").await;
    assert_eq!(active["data"].as_array().unwrap().len(), 1, "{active}");
    assert_eq!(active["data"][0]["id"], gst["id"]);
    let (status, missing) = app.api_get(key, "/v1/tax_rates/txr_nope").await;
    assert_eq!(status, 404);
    assert_eq!(missing["error"]["message"], "No such tax_rate: 'txr_nope'");
    app.stop().await;
}

async fn a_business_buyer_gives_a_tax_id_kept_on_the_session(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "tax_id_collection").await else {
        return;
    };
    let created = stripe_session(&app, &[("tax_id_collection[enabled]", "true")]).await;
    assert_eq!(
        created["tax_id_collection"],
        json!({ "enabled": true, "required": "never" })
    );
    let id = created["id"].as_str().unwrap().to_owned();
    let page = app.html(&format!("/checkout/{id}")).await;
    assert!(
        page.contains(r#"name="tax_id""#),
        "the page asks for a tax id"
    );
    // A session that does not ask shows no field.
    let plain = stripe_session(&app, &[]).await;
    assert_eq!(plain["tax_id_collection"]["enabled"], false);
    let page = app
        .html(&format!("/checkout/{}", plain["id"].as_str().unwrap()))
        .await;
    assert!(!page.contains(r#"name="tax_id""#));

    let german = |tax_id: &str| {
        let mut form = card(&id, "4242424242424242");
        form.retain(|(k, _)| k != "country" && k != "postal_code");
        with_fields(&mut form, &[("country", "DE"), ("tax_id", tax_id)]);
        form
    };
    let (status, body) = confirm(&app, &german("DE 12")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Invalid"]["errors"][0][0], "tax_id", "{body}");
    let (status, body) = confirm(&app, &german("de 123 456 789")).await;
    assert_eq!(status, 200, "{body}");
    // The receipt shows it, for the buyer's books.
    assert!(
        app.html(&format!("/checkout/{id}"))
            .await
            .contains("Tax ID: DE123456789")
    );

    let (_, read) = app
        .api_get(&app.demo.secret_key, &format!("/v1/checkout/sessions/{id}"))
        .await;
    assert_eq!(
        read["customer_details"]["tax_ids"],
        json!([{ "type": "eu_vat", "value": "DE123456789" }]),
        "{read}"
    );
    let (_, own) = app
        .api_get(
            &app.demo.secret_key,
            &format!("/api/checkout-sessions/{id}"),
        )
        .await;
    assert_eq!(own["customer_tax_ids"][0]["value"], "DE123456789", "{own}");

    // Required where kassa knows the country's kind; not where it does not.
    let required = stripe_session(
        &app,
        &[
            ("tax_id_collection[enabled]", "true"),
            ("tax_id_collection[required]", "if_supported"),
        ],
    )
    .await;
    let rid = required["id"].as_str().unwrap();
    let (status, body) = confirm(&app, &card(rid, "4242424242424242")).await;
    assert_eq!(
        (status, &body["Invalid"]["errors"][0][0]),
        (422, &json!("tax_id")),
        "{body}"
    );
    let mut brazilian = card(rid, "4242424242424242");
    brazilian.retain(|(k, _)| k != "country" && k != "postal_code");
    with_fields(&mut brazilian, &[("country", "BR")]);
    let (status, body) = confirm(&app, &brazilian).await;
    assert_eq!(status, 200, "{body}");

    let (status, error) = app
        .stripe_post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", &app.price_id("espresso-beans")),
                ("tax_id_collection[required]", "if_supported"),
                ("tax_id_collection[enabled]", "false"),
            ],
        )
        .await;
    assert_eq!(status, 400, "{error}");
    assert_eq!(error["error"]["param"], "tax_id_collection[required]");
    app.stop().await;
}
