//! kassa's own checkout session API (`/api/checkout-sessions`): the whole core, so every
//! validation rule can be exercised over HTTP, including those no vendor shape can express.

use crate::app::TestApp;
use kassa::domain::catalog::{Coupon, CouponDuration, CouponValue, PromotionCode, Recurring};
use kassa::domain::{Currency, Money, Rate, RecurringInterval};
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    several_lines_are_priced_together,
    payment_sessions_take_at_most_100_lines,
    subscription_sessions_take_20_recurring_and_20_one_time_lines,
    all_lines_are_in_one_currency,
    adjustable_quantities_have_defaults_and_bounds,
    trials_are_for_subscriptions_and_last_a_day_or_more,
    the_mode_must_fit_the_prices,
    coupons_and_promotion_codes_discount_the_session,
    guests_need_an_email,
    payment_method_types_are_known_and_fit_the_currency,
    the_expiry_is_between_half_an_hour_and_thirty_days,
    unknown_fields_and_wrong_types_name_their_path,
    metadata_and_attribution_are_kept,
);

/// Sends `body` to the create endpoint with the demo key; never a 5xx.
pub(crate) async fn create(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/checkout-sessions"))
        .bearer_auth(&app.demo.secret_key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert!(status < 500, "a {status} is a bug: {body}");
    (status, body)
}

fn assert_bad(answer: (u16, Value), param: &str) {
    let (status, body) = answer;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], param, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

fn price(app: &TestApp, slug: &str) -> String {
    app.demo
        .prices
        .iter()
        .find(|p| p.slug == slug)
        .unwrap()
        .id
        .clone()
}

fn line(price: &str, quantity: u32) -> Value {
    json!({ "price": price, "quantity": quantity })
}

fn session(lines: Vec<Value>) -> Value {
    json!({ "line_items": lines, "success_url": "https://shop.example/ok" })
}

fn with(mut base: Value, changes: Value) -> Value {
    for (key, value) in changes.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

const YEARLY: Option<Recurring> = Some(Recurring {
    interval: RecurringInterval::Year,
    interval_count: 1,
});

async fn several_lines_are_priced_together(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_lines").await else {
        return;
    };
    let (status, body) = create(
        &app,
        session(vec![
            line(&price(&app, "espresso-beans"), 2),
            line(&price(&app, "espresso-beans"), 1),
        ]),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["mode"], "payment");
    assert_eq!(body["status"], "open");
    assert_eq!(body["currency"], "usd");
    assert_eq!(body["amounts"]["subtotal"], 3 * 2400);
    assert_eq!(body["amounts"]["total"], 3 * 2400);
    assert_eq!(body["amounts"]["due_today"], 3 * 2400);
    assert_eq!(body["line_items"][0]["description"], "Espresso beans, 1 kg");
    let id = body["id"].as_str().unwrap();
    assert_eq!(body["url"], format!("{}/checkout/{id}", app.address));
    let read = app
        .client
        .get(app.url(&format!("/api/checkout-sessions/{id}")))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status(), 200);
    assert_eq!(read.json::<Value>().await.unwrap(), body);
    app.stop().await;
}

async fn payment_sessions_take_at_most_100_lines(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_payment_limit").await else {
        return;
    };
    let beans = price(&app, "espresso-beans");
    let (status, body) = create(&app, session((0..100).map(|_| line(&beans, 1)).collect())).await;
    assert_eq!(status, 201, "{body}");
    assert_bad(
        create(&app, session((0..101).map(|_| line(&beans, 1)).collect())).await,
        "line_items",
    );
    app.stop().await;
}

async fn subscription_sessions_take_20_recurring_and_20_one_time_lines(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_subscription_limit").await else {
        return;
    };
    let (monthly, beans) = (
        price(&app, "coffee-club-monthly"),
        price(&app, "espresso-beans"),
    );
    let lines = |recurring: usize, one_time: usize| {
        let mut lines: Vec<Value> = (0..recurring).map(|_| line(&monthly, 1)).collect();
        lines.extend((0..one_time).map(|_| line(&beans, 1)));
        session(lines)
    };
    let (status, body) = create(&app, lines(20, 20)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["mode"], "subscription");
    assert_bad(create(&app, lines(21, 0)).await, "line_items");
    assert_bad(create(&app, lines(1, 21)).await, "line_items");
    // every recurring line bills on one interval
    let yearly = app.add_price(false, "usd", 9900, YEARLY).await;
    assert_bad(
        create(&app, session(vec![line(&monthly, 1), line(&yearly, 1)])).await,
        "line_items[1].price",
    );
    app.stop().await;
}

async fn all_lines_are_in_one_currency(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_currency").await else {
        return;
    };
    let euros = app.add_price(false, "eur", 1000, None).await;
    let beans = price(&app, "espresso-beans");
    assert_bad(
        create(&app, session(vec![line(&beans, 1), line(&euros, 1)])).await,
        "line_items[1].price",
    );
    assert_bad(
        create(
            &app,
            with(session(vec![line(&beans, 1)]), json!({ "currency": "eur" })),
        )
        .await,
        "currency",
    );
    assert_bad(
        create(
            &app,
            with(session(vec![line(&beans, 1)]), json!({ "currency": "usx" })),
        )
        .await,
        "currency",
    );
    let (status, body) = create(
        &app,
        with(session(vec![line(&beans, 1)]), json!({ "currency": "USD" })),
    )
    .await;
    assert_eq!((status, body["currency"].as_str()), (201, Some("usd")));
    app.stop().await;
}

async fn adjustable_quantities_have_defaults_and_bounds(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_adjustable").await else {
        return;
    };
    let beans = price(&app, "espresso-beans");
    let adjustable = |a: Value| {
        session(vec![
            json!({ "price": beans, "quantity": 2, "adjustable_quantity": a }),
        ])
    };
    let (status, body) = create(&app, adjustable(json!({ "enabled": true }))).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["line_items"][0]["adjustable"],
        json!({ "minimum": 0, "maximum": 99 })
    );
    let (status, _) = create(
        &app,
        adjustable(json!({ "enabled": true, "maximum": 999_999 })),
    )
    .await;
    assert_eq!(status, 201);
    assert_bad(
        create(
            &app,
            adjustable(json!({ "enabled": true, "maximum": 1_000_000 })),
        )
        .await,
        "line_items[0].adjustable_quantity.maximum",
    );
    assert_bad(
        create(
            &app,
            adjustable(json!({ "enabled": true, "minimum": 5, "maximum": 3 })),
        )
        .await,
        "line_items[0].adjustable_quantity.maximum",
    );
    assert_bad(
        create(
            &app,
            adjustable(json!({ "enabled": true, "minimum": 3, "maximum": 9 })),
        )
        .await,
        "line_items[0].quantity",
    );
    assert_bad(
        create(&app, session(vec![line(&beans, 0)])).await,
        "line_items[0].quantity",
    );
    app.stop().await;
}

async fn trials_are_for_subscriptions_and_last_a_day_or_more(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_trials").await else {
        return;
    };
    let (monthly, beans) = (
        price(&app, "coffee-club-monthly"),
        price(&app, "espresso-beans"),
    );
    let trial = |lines, days: i64| with(session(lines), json!({ "trial_period_days": days }));
    let (status, body) = create(&app, trial(vec![line(&monthly, 1), line(&beans, 1)], 14)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["trial_period_days"], 14);
    assert_eq!(
        body["amounts"]["due_today"], 2400,
        "only the one-time line is due during the trial"
    );
    assert_bad(
        create(&app, trial(vec![line(&monthly, 1)], 0)).await,
        "trial_period_days",
    );
    assert_bad(
        create(&app, trial(vec![line(&monthly, 1)], 731)).await,
        "trial_period_days",
    );
    assert_bad(
        create(&app, trial(vec![line(&beans, 1)], 7)).await,
        "trial_period_days",
    );
    app.stop().await;
}

async fn the_mode_must_fit_the_prices(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_mode").await else {
        return;
    };
    let (monthly, beans) = (
        price(&app, "coffee-club-monthly"),
        price(&app, "espresso-beans"),
    );
    assert_bad(
        create(
            &app,
            with(
                session(vec![line(&monthly, 1)]),
                json!({ "mode": "payment" }),
            ),
        )
        .await,
        "line_items[0].price",
    );
    assert_bad(
        create(
            &app,
            with(
                session(vec![line(&beans, 1)]),
                json!({ "mode": "subscription" }),
            ),
        )
        .await,
        "line_items",
    );
    assert_bad(
        create(
            &app,
            with(session(vec![line(&beans, 1)]), json!({ "mode": "setup" })),
        )
        .await,
        "mode",
    );
    assert_bad(
        create(&app, json!({ "line_items": [] })).await,
        "line_items",
    );
    assert_bad(
        create(&app, session(vec![json!({ "quantity": 1 })])).await,
        "line_items[0].price",
    );
    app.stop().await;
}

async fn coupons_and_promotion_codes_discount_the_session(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_discounts").await else {
        return;
    };
    let org = app.demo.organization_id.clone();
    let usd = Currency::parse("usd").unwrap();
    let coupon = |id: &str, value, redeem_by| Coupon {
        id: id.into(),
        name: None,
        value,
        duration: CouponDuration::Once,
        max_redemptions: None,
        times_redeemed: 0,
        redeem_by,
        active: true,
    };
    app.store
        .insert_coupon(
            &org,
            false,
            &coupon(
                "coupon_ten",
                CouponValue::PercentOff(Rate::parse_percent("10").unwrap()),
                None,
            ),
        )
        .await
        .unwrap();
    app.store
        .insert_coupon(
            &org,
            false,
            &coupon(
                "coupon_five",
                CouponValue::AmountOff(Money::new(500, usd)),
                None,
            ),
        )
        .await
        .unwrap();
    app.store
        .insert_coupon(
            &org,
            false,
            &coupon(
                "coupon_old",
                CouponValue::AmountOff(Money::new(500, usd)),
                Some(1),
            ),
        )
        .await
        .unwrap();
    let code = PromotionCode {
        id: "promo_spring".into(),
        code: "SPRING".into(),
        coupon_id: "coupon_five".into(),
        active: true,
        max_redemptions: None,
        times_redeemed: 0,
        expires_at: None,
    };
    app.store
        .insert_promotion_code(&org, false, &code)
        .await
        .unwrap();
    let beans = session(vec![line(&price(&app, "espresso-beans"), 1)]);

    let (status, body) = create(
        &app,
        with(
            beans.clone(),
            json!({ "discounts": [{ "coupon": "coupon_ten" }] }),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        (
            body["amounts"]["discount"].as_i64(),
            body["amounts"]["total"].as_i64()
        ),
        (Some(240), Some(2160))
    );
    assert_eq!(body["discount"]["coupon_id"], "coupon_ten");

    let (status, body) = create(
        &app,
        with(
            beans.clone(),
            json!({ "discounts": [{ "promotion_code": "spring" }] }),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["amounts"]["total"], 1900);
    assert_eq!(body["discount"]["promotion_code_id"], "promo_spring");

    assert_bad(
        create(
            &app,
            with(
                beans.clone(),
                json!({ "discounts": [{ "coupon": "coupon_nope" }] }),
            ),
        )
        .await,
        "discounts",
    );
    assert_bad(
        create(
            &app,
            with(
                beans.clone(),
                json!({ "discounts": [{ "coupon": "coupon_old" }] }),
            ),
        )
        .await,
        "discounts",
    );
    assert_bad(
        create(
            &app,
            with(
                beans.clone(),
                json!({ "discounts": [{ "promotion_code": "WINTER" }] }),
            ),
        )
        .await,
        "discounts",
    );
    let two = json!({ "discounts": [{ "coupon": "coupon_ten" }, { "coupon": "coupon_five" }] });
    assert_bad(create(&app, with(beans.clone(), two)).await, "discounts");
    let both = json!({ "discounts": [{ "coupon": "coupon_ten" }], "allow_promotion_codes": true });
    assert_bad(create(&app, with(beans, both)).await, "discounts");
    app.stop().await;
}

async fn guests_need_an_email(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_guests").await else {
        return;
    };
    let beans = session(vec![line(&price(&app, "espresso-beans"), 1)]);
    let entity: Value = app
        .client
        .post(app.url("/api/business-entities"))
        .bearer_auth(&app.demo.secret_key)
        .json(&json!({ "name": "Demo GmbH", "country": "DE" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entity = entity["id"].as_str().unwrap().to_owned();
    let guest = json!({ "guest": { "email": "guest@example.com", "name": "Guest", "business_entity_id": entity,
        "billing_address": { "country": "DE", "postal_code": "10115" } } });
    let (status, body) = create(&app, with(beans.clone(), guest)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["customer_email"], "guest@example.com");
    assert_eq!(body["guest"]["business_entity_id"], entity.as_str());
    assert_bad(
        create(
            &app,
            with(
                beans.clone(),
                json!({ "guest": { "email": "guest@example.com", "business_entity_id": "be_nope" } }),
            ),
        )
        .await,
        "business_entity_id",
    );
    assert_eq!(body["billing_address"]["country"], "DE");
    assert_eq!(body["anonymous"], false);
    assert_bad(
        create(
            &app,
            with(beans.clone(), json!({ "guest": { "email": "nope" } })),
        )
        .await,
        "customer.email",
    );
    assert_bad(
        create(
            &app,
            with(beans.clone(), json!({ "guest": { "name": "No email" } })),
        )
        .await,
        "customer.email",
    );
    assert_bad(
        create(&app, with(beans.clone(), json!({ "customer": "cus_nope" }))).await,
        "customer",
    );
    assert_bad(
        create(
            &app,
            with(
                beans,
                json!({ "customer": "cus_a", "customer_external_id": "b" }),
            ),
        )
        .await,
        "customer",
    );
    app.stop().await;
}

async fn payment_method_types_are_known_and_fit_the_currency(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_payment_methods").await else {
        return;
    };
    let beans = session(vec![line(&price(&app, "espresso-beans"), 1)]);
    let (status, body) = create(
        &app,
        with(
            beans.clone(),
            json!({ "payment_method_types": ["card", "paypal", "us_bank_account"] }),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["payment_method_types"],
        json!(["card", "paypal", "us_bank_account"])
    );
    assert_bad(
        create(
            &app,
            with(
                beans.clone(),
                json!({ "payment_method_types": ["bitcoin"] }),
            ),
        )
        .await,
        "payment_method_types",
    );
    assert_bad(
        create(
            &app,
            with(beans.clone(), json!({ "payment_method_types": [] })),
        )
        .await,
        "payment_method_types",
    );
    assert_bad(
        create(
            &app,
            with(beans, json!({ "payment_method_types": ["sepa_debit"] })),
        )
        .await,
        "payment_method_types",
    );
    let euros = app.add_price(false, "eur", 1000, None).await;
    let (status, _) = create(
        &app,
        with(
            session(vec![line(&euros, 1)]),
            json!({ "payment_method_types": ["sepa_debit"] }),
        ),
    )
    .await;
    assert_eq!(status, 201);
    app.stop().await;
}

async fn the_expiry_is_between_half_an_hour_and_thirty_days(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_expiry").await else {
        return;
    };
    let beans = session(vec![line(&price(&app, "espresso-beans"), 1)]);
    let now = kassa::store::now_ms();
    assert_bad(
        create(
            &app,
            with(beans.clone(), json!({ "expires_at": now + 10 * 60_000 })),
        )
        .await,
        "expires_at",
    );
    assert_bad(
        create(
            &app,
            with(
                beans.clone(),
                json!({ "expires_at": now + 31 * 86_400_000 }),
            ),
        )
        .await,
        "expires_at",
    );
    let at = now + 2 * 3_600_000;
    let (status, body) = create(&app, with(beans, json!({ "expires_at": at }))).await;
    assert_eq!((status, body["expires_at"].as_i64()), (201, Some(at)));
    app.stop().await;
}

async fn unknown_fields_and_wrong_types_name_their_path(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_shapes").await else {
        return;
    };
    let beans = price(&app, "espresso-beans");
    let (status, body) = create(
        &app,
        json!({ "line_items": [{ "price": beans, "quantity": "2" }] }),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "line_items[0].quantity", "{body}");
    let (status, body) = create(
        &app,
        json!({ "line_items": [{ "price": beans }], "succes_url": "https://x.example" }),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("succes_url"),
        "{body}"
    );
    let (status, body) = create(&app, json!({ "type": "refund" })).await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("type"))
    );
    app.stop().await;
}

async fn metadata_and_attribution_are_kept(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "native_metadata").await else {
        return;
    };
    let beans = session(vec![line(&price(&app, "espresso-beans"), 1)]);
    let extras = json!({
        "metadata": { "order": "A-1", "items": 3, "gift": false },
        "attribution": { "utm_source": "newsletter", "utm_campaign": "autumn" },
        "pending_url": "https://shop.example/pending",
        "trace_id": "trace-42",
    });
    let (status, body) = create(&app, with(beans.clone(), extras)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["metadata"],
        json!({ "order": "A-1", "items": 3, "gift": false })
    );
    assert_eq!(body["attribution"]["utm_campaign"], "autumn");
    assert_eq!(body["pending_url"], "https://shop.example/pending");
    assert_eq!(body["trace_id"], "trace-42");
    let too_many: serde_json::Map<String, Value> =
        (0..51).map(|i| (format!("k{i}"), json!(i))).collect();
    assert_bad(
        create(&app, with(beans.clone(), json!({ "metadata": too_many }))).await,
        "metadata",
    );
    let long = json!({ "attribution": { "utm_source": "x".repeat(256) } });
    assert_bad(create(&app, with(beans, long)).await, "attribution");
    app.stop().await;
}
