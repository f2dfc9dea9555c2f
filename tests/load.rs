//! Load that must not starve the API, each test alone in this binary so that no other test's
//! work blurs its timings (cargo runs test binaries one after another).

#![allow(dead_code)]

#[path = "support/mod.rs"]
mod support;

#[path = "api/app.rs"]
mod app;

/// The api suite checks every answer against the OpenAPI document; here that would weigh on
/// the timings measured, so the kassa under load is served as it is.
mod openapi {
    pub type Violations = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

    pub fn checked(router: axum::Router, _: Violations) -> axum::Router {
        router
    }
}

use app::{Options, TestApp};
use kassa::store::Engine;
use serde_json::json;

/// The 99th percentile of `n` API creates made one after another, in milliseconds.
async fn create_p99(app: &TestApp, n: usize) -> f64 {
    let body = json!({ "line_items": [{ "price": app.price_id("espresso-beans") }] });
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let started = std::time::Instant::now();
        let response = app
            .client
            .post(app.url("/api/checkout-sessions"))
            .header("x-forwarded-for", "192.0.2.1")
            .bearer_auth(&app.demo.secret_key)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[(n * 99 / 100).min(n - 1)]
}

/// Sign-ups hash passwords with Argon2 (tens of milliseconds of CPU and 19 MiB each): a flood of
/// them queues for its hashing slots and its limits, off the workers that serve the API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_creates_keep_their_pace_while_sign_ups_flood_in() {
    let app = TestApp::spawn_with(
        Engine::Sqlite,
        "sign_up_flood",
        Options {
            client_address_header: Some("x-forwarded-for".into()),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let usual = create_p99(&app, 60).await;
    let flood = {
        let (client, url) = (app.client.clone(), app.url("/api/dashboard/sign-up"));
        tokio::spawn(async move {
            let mut sign_ups = tokio::task::JoinSet::new();
            for n in 0..200u32 {
                let (client, url) = (client.clone(), url.clone());
                sign_ups.spawn(async move {
                    let email = format!("flood{n}@example.com");
                    let form = [
                        ("email", email.as_str()),
                        ("password", "correct horse battery"),
                        ("organization_name", "Flood"),
                    ];
                    client
                        .post(url)
                        .header(
                            "x-forwarded-for",
                            format!("198.18.{}.{}", n / 200, n % 200 + 1),
                        )
                        .form(&form)
                        .send()
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                });
            }
            let mut statuses = Vec::new();
            while let Some(status) = sign_ups.join_next().await {
                statuses.push(status.unwrap());
            }
            statuses
        })
    };
    let during = create_p99(&app, 120).await;
    let statuses = flood.await.unwrap();
    assert!(statuses.iter().all(|s| *s < 500), "{statuses:?}");
    // Within the usual p99, give or take the arrival of 200 requests at once, which takes the
    // workers of a debug build tens of milliseconds to parse and answer, hashing or not (here:
    // 20 to 50 ms, against 7 to 9 before). Hashed on the workers, with no limit, the sign-ups
    // held creates back for 200 to 550 ms.
    assert!(
        during <= (usual * 3.0).max(usual + 100.0),
        "p99 {during:.1} ms during the flood, {usual:.1} ms before"
    );
    let limited = statuses.iter().filter(|s| **s == 429).count();
    assert!(
        limited > 0 && limited < 200,
        "{limited} of 200 were limited"
    );
    app.stop().await;
}
