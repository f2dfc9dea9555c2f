//! Refunds a merchant asks for: whole or partial, through the processor, never more than was
//! paid, also when many are asked at once; in kassa's API and Flowglad's.

use crate::app::TestApp;
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    a_partial_then_a_full_refund_and_a_third_is_refused,
    concurrent_refunds_never_exceed_the_payment,
    flowglad_refunds_a_payment_in_its_shape,
);

/// A paid session of espresso beans (24.00 USD); the payment's id.
async fn paid(app: &TestApp) -> String {
    let id = app
        .create_session(&json!({ "line_items": [{ "price": app.price_id("espresso-beans") }] }))
        .await;
    app.pay_by_card(&id).await;
    let (payments, _) = app.store.payments_of_session(&id).await.unwrap();
    assert_eq!(payments[0].amount, 2400);
    payments[0].id.clone()
}

async fn refund_as(app: &TestApp, secret: &str, payment: &str, body: Value) -> (u16, Value) {
    app.api_post(secret, &format!("/api/payments/{payment}/refunds"), &body)
        .await
}

async fn refund(app: &TestApp, payment: &str, body: Value) -> (u16, Value) {
    refund_as(app, &app.demo.secret_key, payment, body).await
}

/// What the test processor gave back of its charges, all told (its own ledger).
async fn refunded_at_the_processor(app: &TestApp) -> i64 {
    app.store.test_refunded_total().await.unwrap()
}

async fn a_partial_then_a_full_refund_and_a_third_is_refused(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "refund_partial").await else {
        return;
    };
    let payment = paid(&app).await;
    // Bad amounts are named, and change nothing.
    for (amount, code) in [
        (json!(0), "parameter_invalid"),
        (json!(2401), "amount_too_large"),
    ] {
        let (status, body) = refund(&app, &payment, json!({ "amount": amount })).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["param"], "amount", "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
    }
    let (status, first) = refund(
        &app,
        &payment,
        json!({ "amount": 1000, "reason": "one bag arrived torn" }),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(
        (
            first["status"].as_str(),
            &first["amount"]["amount"],
            &first["payment_refunded"]["amount"]
        ),
        (Some("succeeded"), &json!(1000), &json!(1000))
    );
    // All that is left, when no amount is given.
    let (status, second) = refund(&app, &payment, json!({})).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(second["amount"]["amount"], 1400);
    assert_eq!(second["payment_refunded"]["amount"], 2400);
    let (status, third) = refund(&app, &payment, json!({ "amount": 1 })).await;
    assert_eq!(status, 409, "{third}");
    assert_eq!(third["error"]["code"], "charge_already_refunded");

    // The processor gave back exactly that, and each refund was announced.
    assert_eq!(refunded_at_the_processor(&app).await, 2400);
    for made in [&first, &second] {
        let events = app
            .store
            .events_of_object(made["id"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, "payment.refunded");
    }
    // Another organization cannot touch it.
    let other = app.other_organization("refunds@example.com").await;
    let (status, _) = refund_as(&app, &other, &payment, json!({})).await;
    assert_eq!(status, 404);
    app.stop().await;
}

async fn concurrent_refunds_never_exceed_the_payment(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "refund_concurrent").await else {
        return;
    };
    let payment = paid(&app).await;
    let mut asked = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (client, url, key) = (
            app.client.clone(),
            app.url(&format!("/api/payments/{payment}/refunds")),
            app.demo.secret_key.clone(),
        );
        asked.spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(key)
                .json(&json!({ "amount": 500 }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        });
    }
    let mut made = 0;
    while let Some(answer) = asked.join_next().await {
        let (status, body) = answer.unwrap();
        match status {
            201 => made += 1,
            400 | 409 => assert!(
                ["amount_too_large", "charge_already_refunded"]
                    .contains(&body["error"]["code"].as_str().unwrap()),
                "{body}"
            ),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(made, 4, "four of 5.00 fit in 24.00, a fifth does not");
    let record = app
        .store
        .payment(&app.demo.organization_id, false, &payment)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.refunded_amount, 2000);
    assert_eq!(refunded_at_the_processor(&app).await, 2000);
    // kassa refused the excess itself: the processor was asked only for what fit.
    let recorded = app.store.refunds_of_payment(&payment).await.unwrap();
    assert_eq!(recorded.len(), 4);
    assert!(
        recorded.iter().all(|r| r.status == "succeeded"),
        "{recorded:?}"
    );
    app.stop().await;
}

async fn flowglad_refunds_a_payment_in_its_shape(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "refund_flowglad").await else {
        return;
    };
    let payment = paid(&app).await;
    let post = |body: Value| {
        let request = app
            .client
            .post(app.url(&format!("/api/v1/payments/{payment}/refund")))
            .header("Authorization", &app.demo.secret_key)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            (
                response.status().as_u16(),
                response.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, partial) = post(json!({ "partialAmount": 400 })).await;
    assert_eq!(status, 200, "{partial}");
    assert_eq!(
        (
            &partial["payment"]["refundedAmount"],
            &partial["payment"]["refunded"],
            &partial["payment"]["status"]
        ),
        (&json!(400), &json!(false), &json!("succeeded"))
    );
    let (status, fraction) = post(json!({ "partialAmount": 1.5 })).await;
    assert_eq!(status, 400, "{fraction}");
    let (status, too_much) = post(json!({ "partialAmount": 5000 })).await;
    assert_eq!(status, 400, "{too_much}");
    assert!(too_much.to_string().contains("partialAmount"), "{too_much}");
    let (status, full) = post(json!({})).await;
    assert_eq!(status, 200, "{full}");
    assert_eq!(
        (
            &full["payment"]["refundedAmount"],
            &full["payment"]["refunded"],
            &full["payment"]["status"]
        ),
        (&json!(2400), &json!(true), &json!("refunded"))
    );
    assert!(full["payment"]["refundedAt"].is_i64());
    let (status, again) = post(json!({})).await;
    assert_eq!(status, 409, "{again}");
    // Read back the same.
    let response = app
        .client
        .get(app.url(&format!("/api/v1/payments/{payment}")))
        .header("Authorization", &app.demo.secret_key)
        .send()
        .await
        .unwrap();
    let read: Value = response.json().await.unwrap();
    assert_eq!(read["payment"]["status"], "refunded", "{read}");
    app.stop().await;
}
