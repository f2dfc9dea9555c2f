use crate::app::TestApp;
use kassa::store::Engine;
use serde_json::Value;

crate::on_both_engines!(
    healthz_answers_without_the_database,
    readyz_reports_the_database,
    every_response_carries_a_request_id,
);

async fn healthz_answers_without_the_database(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "healthz").await else {
        return;
    };
    app.store.close().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    app.stop().await;
}

async fn readyz_reports_the_database(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "readyz").await else {
        return;
    };
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    let expected = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    assert_eq!(body["database"], expected);

    // with the database gone, kassa is alive but not ready
    app.store.close().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    app.stop().await;
}

async fn every_response_carries_a_request_id(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "request_id").await else {
        return;
    };
    let first = app.get("/healthz").await;
    let second = app.get("/healthz").await;
    let id = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id(&first).len(), 36, "a UUID");
    assert_ne!(id(&first), id(&second));
    // a caller's own id is kept, so logs can be correlated across services
    let given = app
        .client
        .get(app.url("/api/organization"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "trace-abc-123");
    app.stop().await;
}
