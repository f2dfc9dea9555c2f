use crate::app::TestApp;
use kassa::domain::Mode;
use kassa::service::api_keys;
use kassa::store::Engine;
use serde_json::Value;

crate::on_both_engines!(
    a_missing_key_is_refused_with_401,
    a_wrong_or_malformed_key_is_refused_with_401,
    the_key_decides_the_organization_in_every_accepted_form,
    a_live_key_acts_in_live_mode,
    a_revoked_key_stops_working,
);

async fn assert_401(response: reqwest::Response, code: &str) {
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
}

async fn a_missing_key_is_refused_with_401(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "missing_key").await else {
        return;
    };
    assert_401(app.get("/api/organization").await, "missing_api_key").await;
    let empty = app
        .client
        .get(app.url("/api/organization"))
        .header("authorization", "Bearer ");
    assert_401(empty.send().await.unwrap(), "missing_api_key").await;
    app.stop().await;
}

async fn a_wrong_or_malformed_key_is_refused_with_401(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "wrong_key").await else {
        return;
    };
    let well_formed_unknown = format!("sk_test_{}", "a".repeat(32));
    for key in [
        well_formed_unknown.as_str(),
        "sk_test_short",
        "pk_test_nope",
        "hunter2",
    ] {
        let request = app
            .client
            .get(app.url("/api/organization"))
            .bearer_auth(key);
        assert_401(request.send().await.unwrap(), "invalid_api_key").await;
    }
    app.stop().await;
}

async fn the_key_decides_the_organization_in_every_accepted_form(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "key_forms").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let requests = [
        app.client
            .get(app.url("/api/organization"))
            .bearer_auth(&key),
        app.client
            .get(app.url("/api/organization"))
            .header("authorization", &key),
        app.client
            .get(app.url("/api/organization"))
            .basic_auth(&key, Some("")),
    ];
    for request in requests {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["id"], app.demo.organization_id.as_str());
        assert_eq!(body["name"], "Demo Coffee Roasters");
        assert_eq!(body["livemode"], false);
    }
    app.stop().await;
}

async fn a_live_key_acts_in_live_mode(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "live_key").await else {
        return;
    };
    let (_, live) = api_keys::create(&app.store, &app.demo.organization_id, Mode::Live, "live")
        .await
        .unwrap();
    let response = app
        .client
        .get(app.url("/api/organization"))
        .bearer_auth(live.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["livemode"], true);
    app.stop().await;
}

async fn a_revoked_key_stops_working(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "revoked_key").await else {
        return;
    };
    let (record, secret) =
        api_keys::create(&app.store, &app.demo.organization_id, Mode::Test, "temp")
            .await
            .unwrap();
    let call = || {
        app.client
            .get(app.url("/api/organization"))
            .bearer_auth(secret.expose())
            .send()
    };
    assert_eq!(call().await.unwrap().status(), 200);
    assert!(
        app.store
            .revoke_api_key(&app.demo.organization_id, &record.id)
            .await
            .unwrap()
    );
    assert_401(call().await.unwrap(), "invalid_api_key").await;
    app.stop().await;
}
