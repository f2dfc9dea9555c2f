//! Stripe's `line_items[][price_data]`: a line that brings its own price (and its own product, or
//! an existing one). The price is made for its session alone: sold there, listed nowhere, and
//! refused by any other session.

use crate::app::{TestApp, card, confirm};
use kassa::store::Engine;

crate::on_both_engines!(
    a_line_with_its_own_price_sells_it_in_that_session_alone,
    a_subscription_bills_on_its_own_price,
    a_bad_price_data_is_refused_naming_its_field,
);

const SESSIONS: &str = "/v1/checkout/sessions";

async fn a_line_with_its_own_price_sells_it_in_that_session_alone(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "inline_sell").await else {
        return;
    };
    let (status, session) = app
        .stripe_post(
            SESSIONS,
            &[
                ("mode", "payment"),
                ("line_items[0][price_data][currency]", "usd"),
                ("line_items[0][price_data][unit_amount]", "1250"),
                ("line_items[0][price_data][product_data][name]", "Gift wrap"),
                (
                    "line_items[0][price_data][product_data][description]",
                    "Recycled paper, red ribbon",
                ),
                ("line_items[0][quantity]", "2"),
                ("line_items[1][price]", &app.price_id("espresso-beans")),
            ],
        )
        .await;
    assert_eq!(status, 200, "{session}");
    // Two wraps at $12.50 and a bag of beans at $24.00.
    assert_eq!(session["amount_total"], 2500 + 2400);
    let id = session["id"].as_str().unwrap();
    let (_, lines) = app
        .api_get(&app.demo.secret_key, &format!("{SESSIONS}/{id}/line_items"))
        .await;
    let wrap = &lines["data"][0];
    assert_eq!(wrap["description"], "Gift wrap");
    assert_eq!(wrap["amount_total"], 2500);
    assert_eq!(wrap["price"]["unit_amount"], 1250);
    let price = wrap["price"]["id"].as_str().unwrap().to_owned();
    let product = wrap["price"]["product"].as_str().unwrap().to_owned();
    assert!(price.starts_with("price_") && product.starts_with("prod_"));

    // The page sells it by its name, and the buyer pays for it.
    let html = app.html(&format!("/checkout/{id}")).await;
    assert!(html.contains("Gift wrap"), "the line on the page");
    let (status, paid) = confirm(&app, &card(id, "4242424242424242")).await;
    assert_eq!(status, 200, "{paid}");
    let (_, done) = app
        .api_get(&app.demo.secret_key, &format!("{SESSIONS}/{id}"))
        .await;
    assert_eq!(done["payment_status"], "paid", "{done}");
    assert_eq!(done["amount_total"], 4900);

    // The catalog lists neither the price nor its product; the beans are still there.
    let beans = app
        .demo
        .prices
        .iter()
        .find(|p| p.slug == "espresso-beans")
        .unwrap();
    for (path, kept) in [
        ("/api/v1/prices", &beans.id),
        ("/api/v1/products", &beans.product_id),
    ] {
        let (status, listed) = app.api_get(&app.demo.secret_key, path).await;
        assert_eq!(status, 200, "{listed}");
        let listed = listed.to_string();
        assert!(listed.contains(kept.as_str()), "{path}");
        assert!(
            !listed.contains(&price) && !listed.contains(&product),
            "{path}"
        );
    }
    // No other session can sell it.
    let (status, refused) = app
        .stripe_post(
            SESSIONS,
            &[("mode", "payment"), ("line_items[0][price]", &price)],
        )
        .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"]["param"], "line_items[0][price]");
    app.stop().await;
}

async fn a_subscription_bills_on_its_own_price(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "inline_subscribe").await else {
        return;
    };
    // An existing product, sold monthly at a price this session alone names.
    let beans = app
        .demo
        .prices
        .iter()
        .find(|p| p.slug == "espresso-beans")
        .unwrap();
    let (status, session) = app
        .stripe_post(
            SESSIONS,
            &[
                ("mode", "subscription"),
                ("line_items[0][price_data][currency]", "eur"),
                ("line_items[0][price_data][unit_amount_decimal]", "1990"),
                ("line_items[0][price_data][product]", &beans.product_id),
                ("line_items[0][price_data][recurring][interval]", "month"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{session}");
    assert_eq!(session["currency"], "eur");
    assert_eq!(session["amount_total"], 1990);
    let id = session["id"].as_str().unwrap();
    let (status, paid) = confirm(&app, &card(id, "4242424242424242")).await;
    assert_eq!(status, 200, "{paid}");
    let (_, done) = app
        .api_get(&app.demo.secret_key, &format!("{SESSIONS}/{id}"))
        .await;
    let subscription = done["subscription"].as_str().expect("a subscription");
    let (status, sub) = app
        .api_get(
            &app.demo.secret_key,
            &format!("/v1/subscriptions/{subscription}"),
        )
        .await;
    assert_eq!(status, 200, "{sub}");
    let item = &sub["items"]["data"][0]["price"];
    assert_eq!(item["unit_amount"], 1990);
    assert_eq!(item["product"], beans.product_id.as_str());
    assert_eq!(item["recurring"]["interval"], "month");
    assert_eq!(
        item["active"], false,
        "made for one session, sold by no other"
    );
    app.stop().await;
}

async fn a_bad_price_data_is_refused_naming_its_field(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "inline_refused").await else {
        return;
    };
    let beans = app.price_id("espresso-beans");
    let name = ("line_items[0][price_data][product_data][name]", "Gift wrap");
    let amount = ("line_items[0][price_data][unit_amount]", "1250");
    let usd = ("line_items[0][price_data][currency]", "usd");
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![amount, name], "line_items[0][price_data][currency]"),
        (
            vec![usd, name, ("line_items[0][price_data][unit_amount]", "-5")],
            "line_items[0][price_data][unit_amount]",
        ),
        (
            vec![
                usd,
                name,
                ("line_items[0][price_data][unit_amount_decimal]", "12.5"),
            ],
            "line_items[0][price_data][unit_amount_decimal]",
        ),
        (vec![usd, amount], "line_items[0][price_data][product]"),
        (
            vec![
                usd,
                amount,
                ("line_items[0][price_data][product_data][name]", " "),
            ],
            "line_items[0][price_data][product_data][name]",
        ),
        (
            vec![
                usd,
                amount,
                ("line_items[0][price_data][product]", "prod_nope"),
            ],
            "line_items[0][price_data][product]",
        ),
        (
            vec![usd, amount, name, ("line_items[0][price]", beans.as_str())],
            "line_items[0][price_data]",
        ),
        (
            vec![
                usd,
                amount,
                name,
                (
                    "line_items[0][price_data][recurring][interval]",
                    "fortnight",
                ),
            ],
            "line_items[0][price_data][recurring][interval]",
        ),
    ];
    for (fields, param) in cases {
        let mut form = vec![("mode", "payment")];
        form.extend(fields);
        let (status, body) = app.stripe_post(SESSIONS, &form).await;
        assert_eq!(status, 400, "{param}: {body}");
        assert_eq!(body["error"]["param"], param, "{body}");
    }
    app.stop().await;
}
