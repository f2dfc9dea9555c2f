//! `/metrics`: behind its token on the public listener, counting what happened, in the text
//! format `promtool check metrics` accepts.

use crate::app::{METRICS_TOKEN, TestApp, card, confirm};
use kassa::store::Engine;
use serde_json::json;

/// The value of the sample `series` (name and labels as written), or 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |v| v.parse().unwrap())
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.unwrap()
}

async fn metrics_count_what_happened(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "metrics_count").await else {
        return;
    };
    // Not there without the token, nor with another.
    for token in [None, Some("metrics-token-for-the-other")] {
        let request = app.client.get(app.url("/metrics"));
        let request = match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        };
        assert_eq!(request.send().await.unwrap().status(), 404, "{token:?}");
    }

    let beans = app.price_id("espresso-beans");
    let paid = app
        .create_session(&json!({ "line_items": [{ "price": beans }] }))
        .await;
    app.pay_by_card(&paid).await;
    let declined = app
        .create_session(&json!({ "line_items": [{ "price": beans }] }))
        .await;
    let (status, _) = confirm(&app, &card(&declined, "4000000000000002")).await;
    assert_eq!(status, 402);
    let (status, stripe) = app
        .stripe_post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", &beans),
                ("success_url", "https://shop.example/ok"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{stripe}");
    let key = app.demo.secret_key.clone();
    let expire = format!(
        "/api/checkout-sessions/{}/expire",
        stripe["id"].as_str().unwrap()
    );
    assert_eq!(app.api_post(&key, &expire, &json!({})).await.0, 200);

    let text = scrape(&app).await;
    let created = r#"kassa_checkout_sessions_total{dialect="kassa",event="created"}"#;
    assert_eq!(sample(&text, created), 2.0, "{text}");
    let stripe_made = r#"kassa_checkout_sessions_total{dialect="stripe",event="created"}"#;
    assert_eq!(sample(&text, stripe_made), 1.0);
    let completed = r#"kassa_checkout_sessions_total{dialect="kassa",event="completed"}"#;
    assert_eq!(sample(&text, completed), 1.0);
    let expired = r#"kassa_checkout_sessions_total{dialect="stripe",event="expired"}"#;
    assert_eq!(sample(&text, expired), 1.0);
    assert_eq!(
        sample(&text, r#"kassa_payments_total{outcome="succeeded"}"#),
        1.0
    );
    assert_eq!(
        sample(&text, r#"kassa_payments_total{outcome="declined"}"#),
        1.0
    );
    // Requests by the route's pattern, never by an id.
    let creates =
        r#"kassa_http_requests_total{method="POST",route="/api/checkout-sessions",status="201"}"#;
    assert_eq!(sample(&text, creates), 2.0);
    let expires = r#"kassa_http_requests_total{method="POST",route="/api/checkout-sessions/{id}/expire",status="200"}"#;
    assert_eq!(sample(&text, expires), 1.0);
    assert!(!text.contains(&paid), "no series names a session");
    let latency = r#"kassa_http_request_duration_seconds_count{method="POST",route="/api/checkout-sessions"}"#;
    assert_eq!(sample(&text, latency), 2.0);
    match engine {
        Engine::Sqlite => {
            assert!(
                sample(
                    &text,
                    r#"kassa_sqlite_writer_batches_total{outcome="committed"}"#
                ) >= 1.0
            );
            assert!(
                text.contains(r#"kassa_db_pool_connections{pool="sqlite_reader",state="idle"}"#)
            );
        }
        Engine::Postgres => {
            assert!(text.contains(r#"kassa_db_pool_connections{pool="postgres",state="idle"}"#));
        }
    }

    // What Prometheus's own checker says of it, where it is installed (scripts/setup does).
    if let Ok(mut promtool) = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        use std::io::Write;
        promtool
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        let checked = promtool.wait_with_output().unwrap();
        assert!(
            checked.status.success(),
            "promtool check metrics: {}{}",
            String::from_utf8_lossy(&checked.stdout),
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_what_happened_on_sqlite() {
    metrics_count_what_happened(Engine::Sqlite).await;
}

#[tokio::test]
async fn metrics_count_what_happened_on_postgres() {
    metrics_count_what_happened(Engine::Postgres).await;
}
