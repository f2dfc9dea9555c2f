//! kassa's own API against its OpenAPI document: every answer any HTTP test gets from it is
//! checked against the document by a layer on the tested kassa's router ([`checked`]; the test
//! fails when it stops its kassa), strictly: a status the document does not list, or a field it
//! does not describe, fails as a missing or mistyped one does. And the document itself, its
//! reference page, and the lists' cursor pages.

use crate::app::TestApp;
use kassa::store::Engine;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::from_str(kassa::api::openapi::json()).unwrap())
}

/// Paths under `/api/` that are not kassa's own API: the dialects, the server functions the
/// pages post to, and the document itself.
fn elsewhere(path: &str) -> bool {
    path == "/api/openapi.json"
        || [
            "/api/v1/",
            "/api/dashboard/",
            "/api/billing/",
            "/api/stripe/",
        ]
        .iter()
        .any(|prefix| path.starts_with(prefix))
        || path.starts_with("/api/checkout/")
            && ["page", "promotion-code", "authenticate", "confirm"]
                .iter()
                .any(|fn_name| path == format!("/api/checkout/{fn_name}"))
}

/// The document's path template `path` (without its query) falls under, the one with most
/// literal segments when several do.
fn template_of(path: &str) -> Option<&'static str> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    document()["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.as_str()))
        })
        .max_by_key(|(literal, _)| *literal)
        .map(|(_, template)| template)
}

/// `schema` with `unevaluatedProperties: false` on every object schema but the parts of an
/// `allOf` (their whole decides what is evaluated) and the objects named by one.
fn strict(schema: &Value, in_all_of: bool, lenient: &HashSet<String>) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = serde_json::Map::new();
            for (key, value) in map {
                let value = match (key.as_str(), value) {
                    ("allOf", Value::Array(parts)) => {
                        Value::Array(parts.iter().map(|p| strict(p, true, lenient)).collect())
                    }
                    ("schemas", Value::Object(schemas)) => Value::Object(
                        schemas
                            .iter()
                            .map(|(name, s)| {
                                (name.clone(), strict(s, lenient.contains(name), lenient))
                            })
                            .collect(),
                    ),
                    _ => strict(value, false, lenient),
                };
                out.insert(key.clone(), value);
            }
            let is_object = map.contains_key("properties") || map.contains_key("allOf");
            if is_object && !in_all_of && !map.contains_key("additionalProperties") {
                out.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|i| strict(i, false, lenient)).collect())
        }
        other => other.clone(),
    }
}

/// The document's components, made strict.
fn components() -> &'static Value {
    static COMPONENTS: OnceLock<Value> = OnceLock::new();
    COMPONENTS.get_or_init(|| {
        let mut lenient = HashSet::new();
        // Objects an allOf names are judged by the allOf's whole.
        for schema in document()["components"]["schemas"]
            .as_object()
            .unwrap()
            .values()
        {
            for part in schema["allOf"].as_array().into_iter().flatten() {
                if let Some(name) = part["$ref"]
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    lenient.insert(name.to_owned());
                }
            }
        }
        strict(&document()["components"], false, &lenient)
    })
}

/// Panics unless `status` and `body` are what the document says `method path` answers.
pub fn check(method: &str, path: &str, status: u16, body: &Value) {
    if let Err(violation) = conforms(method, path, status, body) {
        panic!("{violation}");
    }
}

/// Whether `status` and `body` are what the document says `method path` answers, or what is
/// wrong. Requests outside kassa's own API pass unchecked; one inside it the document does not
/// describe fails.
pub fn conforms(method: &str, path: &str, status: u16, body: &Value) -> Result<(), String> {
    let bare = path.split('?').next().unwrap_or(path);
    if !bare.starts_with("/api/") || elsewhere(bare) {
        return Ok(());
    }
    let Some(template) = template_of(bare) else {
        return Err(format!(
            "{method} {bare} is kassa's own API but not in the document"
        ));
    };
    let operation = &document()["paths"][template][method];
    if !operation.is_object() {
        return Err(format!(
            "the document has no {method} {template} (asked {path}, answered {status})"
        ));
    }
    let response = &operation["responses"][status.to_string()];
    if !response.is_object() {
        return Err(format!(
            "{method} {template} answered {status}, which the document does not list: {body}"
        ));
    }
    let listed = &response["content"]["application/json"]["schema"];
    if !listed.is_object() {
        return Ok(());
    }
    type Cache = Mutex<HashMap<(String, String, u16), jsonschema::Validator>>;
    static VALIDATORS: OnceLock<Cache> = OnceLock::new();
    let errors: Vec<String> = {
        let mut cache = VALIDATORS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let validator = cache
            .entry((method.to_owned(), template.to_owned(), status))
            .or_insert_with(|| {
                let mut schema = strict(listed, false, &HashSet::new());
                schema["components"] = components().clone();
                jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&schema)
                    .expect("the document's schema compiles")
            });
        validator
            .iter_errors(body)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect()
    };
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{method} {path} -> {status} does not match /api/openapi.json:\n  {}\nbody: {body:#}",
            errors.join("\n  ")
        ))
    }
}

/// What the layer [`checked`] found wrong, for the test to fail on when it stops its kassa.
pub type Violations = Arc<Mutex<Vec<String>>>;

/// `router` with a layer that checks every answer of kassa's own API against the document,
/// whoever sent the request, and notes each that does not conform in `seen`.
pub fn checked(router: axum::Router, seen: Violations) -> axum::Router {
    router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let seen = seen.clone();
            async move {
                let method = request.method().as_str().to_ascii_lowercase();
                let path = request.uri().path().to_owned();
                let own = path.starts_with("/api/") && !elsewhere(&path);
                let response = next.run(request).await;
                let compressed = response.headers().contains_key("content-encoding");
                if !own || !matches!(method.as_str(), "get" | "post") || compressed {
                    return response;
                }
                let (parts, body) = response.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX)
                    .await
                    .unwrap_or_default();
                let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                if let Err(violation) = conforms(&method, &path, parts.status.as_u16(), &json) {
                    eprintln!("OpenAPI: {violation}");
                    seen.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(violation);
                }
                axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
            }
        },
    ))
}

#[test]
#[should_panic(expected = "does not match /api/openapi.json")]
fn the_check_refuses_a_field_the_document_does_not_describe() {
    let body = json!({ "error": { "code": "resource_missing", "message": "No such event.",
        "param": null, "hint": "x" } });
    check("get", "/api/events/evt_1", 404, &body);
}

#[test]
#[should_panic(expected = "which the document does not list")]
fn the_check_refuses_a_status_the_document_does_not_list() {
    check("get", "/api/events", 201, &json!({}));
}

#[test]
#[should_panic(expected = "not in the document")]
fn the_check_refuses_a_path_of_kassas_api_the_document_lacks() {
    check("get", "/api/receipts", 200, &json!({}));
}

#[tokio::test]
async fn the_layer_notes_an_answer_the_document_does_not_allow() {
    use tower::ServiceExt;
    let router = axum::Router::new()
        .route(
            "/api/events/{id}",
            axum::routing::get(|| async { axum::Json(json!({ "id": "evt_1", "kind": "x" })) }),
        )
        .route(
            "/api/organization",
            axum::routing::get(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "") }),
        );
    let seen = Violations::default();
    let checked = checked(router, seen.clone());
    for path in ["/api/events/evt_1", "/api/organization", "/api/v1/anything"] {
        let request = axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap();
        checked.clone().oneshot(request).await.unwrap();
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen[0].contains("does not match /api/openapi.json"),
        "{}",
        seen[0]
    );
    assert!(seen[1].contains("answered 418"), "{}", seen[1]);
}

/// Every route of kassa's own API, as `api::router` has them.
const OPERATIONS: &[(&str, &str)] = &[
    ("post", "/api/checkout-sessions"),
    ("get", "/api/checkout-sessions"),
    ("get", "/api/checkout-sessions/{id}"),
    ("post", "/api/checkout-sessions/{id}/expire"),
    ("get", "/api/checkout/{id}/status"),
    ("post", "/api/subscriptions"),
    ("get", "/api/subscriptions/{id}"),
    ("post", "/api/subscriptions/{id}/cancel"),
    ("post", "/api/subscriptions/{id}/uncancel"),
    ("get", "/api/subscriptions/{id}/invoices"),
    ("post", "/api/payments/{id}/refunds"),
    ("post", "/api/customers/{id}/portal"),
    ("post", "/api/plans"),
    ("get", "/api/plans"),
    ("get", "/api/plans/{id}"),
    ("post", "/api/business-entities"),
    ("get", "/api/business-entities"),
    ("get", "/api/business-entities/{id}"),
    ("post", "/api/tax-rates"),
    ("get", "/api/tax-rates"),
    ("get", "/api/tax-rates/{id}"),
    ("post", "/api/tax-rates/{id}"),
    ("get", "/api/events"),
    ("get", "/api/events/{id}"),
    ("get", "/api/organization"),
    ("post", "/api/organization"),
    ("get", "/api/test_clock"),
    ("post", "/api/test_clock/advance"),
];

#[tokio::test]
async fn the_document_is_openapi_3_1_and_describes_every_operation() {
    let Some(app) = TestApp::spawn(Engine::Sqlite, "openapi_document").await else {
        return;
    };
    let response = app.get("/api/openapi.json").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    assert_eq!(&served, document(), "the served document is the library's");
    assert!(served["openapi"].as_str().unwrap().starts_with("3.1."));

    let mut listed = Vec::new();
    let mut ids = HashSet::new();
    for (path, item) in served["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            listed.push((method.clone(), path.clone()));
            let id = op["operationId"].as_str().unwrap();
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            let success = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter(|s| s.starts_with('2'))
                .count();
            assert_eq!(success, 1, "{method} {path} lists one success");
        }
    }
    let mut expected: Vec<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    expected.sort();
    listed.sort();
    assert_eq!(listed, expected, "the document lists kassa's own routes");

    // Every reference resolves, and every object compiles as a JSON Schema.
    let text = served.to_string();
    for piece in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &piece[..piece.find('"').unwrap()];
        assert!(
            served["components"]["schemas"][name].is_object(),
            "{name} is named but not described"
        );
    }
    for (name, schema) in served["components"]["schemas"].as_object().unwrap() {
        let mut schema = schema.clone();
        schema["components"] = served["components"].clone();
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{name} does not compile: {e}"));
    }
    app.stop().await;
}

#[tokio::test]
async fn the_reference_page_shows_every_operation_without_scripts() {
    let Some(app) = TestApp::spawn(Engine::Sqlite, "openapi_reference").await else {
        return;
    };
    let response = app.get("/docs").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    let html = response.text().await.unwrap();
    for (path, item) in document()["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"].as_str().unwrap();
            let summary = op["summary"].as_str().unwrap();
            assert!(
                html.contains(&format!("id=\"{id}\"")),
                "{method} {path} has no section"
            );
            assert!(
                html.contains(&format!("href=\"#{id}\"")),
                "{id} is not listed"
            );
            assert!(html.contains(summary), "{summary} is not shown");
            assert!(html.contains(&format!("<code>{path}</code>")), "{path}");
        }
    }
    for name in document()["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
    {
        assert!(html.contains(&format!("<h3>{name}</h3>")), "object {name}");
    }
    // The session's fields, from the flattened domain type, and a body's required field.
    assert!(html.contains("<code>line_items</code>"));
    assert!(html.contains("<code>frozen_time</code> <em>required</em>"));
    // Nothing runs, nothing comes from elsewhere.
    assert!(!html.contains("<script"), "the reference runs no script");
    assert!(
        !html.contains("src=\"http"),
        "the reference loads nothing from elsewhere"
    );
    assert!(
        !html.contains("href=\"http"),
        "the reference links nothing elsewhere"
    );
    app.stop().await;
}

async fn cursor_pages(app: &TestApp, key: &str, path: &str, made: &[String]) {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=2&cursor={c}"),
            None => format!("{path}?limit=2"),
        };
        let (status, page) = app.api_get(key, &url).await;
        assert_eq!(status, 200, "{page}");
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 2);
        seen.extend(data.iter().map(|o| o["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(page["has_more"], true);
                cursor = Some(next.to_owned());
            }
            None => {
                assert_eq!(page["has_more"], false);
                break;
            }
        }
    }
    let mut newest_first: Vec<String> = made.iter().rev().cloned().collect();
    newest_first.retain(|id| seen.contains(id));
    assert_eq!(
        newest_first.len(),
        made.len(),
        "every one made is listed once: {seen:?}"
    );
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no item on two pages");
    let positions: Vec<usize> = newest_first
        .iter()
        .map(|id| seen.iter().position(|s| s == id).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "newest first");
}

async fn lists_page_by_cursor(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "openapi_lists").await else {
        return;
    };
    let key = app.demo.secret_key.clone();
    let price = app.price_id("espresso-beans");
    let mut sessions = Vec::new();
    let mut plans = Vec::new();
    let mut entities = Vec::new();
    for i in 0..5 {
        sessions.push(
            app.create_session(&json!({ "line_items": [{ "price": price, "quantity": 1 }] }))
                .await,
        );
        let (status, plan) = app
            .api_post(
                &key,
                "/api/plans",
                &json!({ "name": format!("Plan {i}"), "currency": "usd",
                    "items": [{ "price": price, "quantity": 1 }] }),
            )
            .await;
        assert_eq!(status, 201, "{plan}");
        plans.push(plan["id"].as_str().unwrap().to_owned());
        let (status, entity) = app
            .api_post(
                &key,
                "/api/business-entities",
                &json!({ "name": format!("Entity {i}"), "country": "DE" }),
            )
            .await;
        assert_eq!(status, 201, "{entity}");
        entities.push(entity["id"].as_str().unwrap().to_owned());
    }
    cursor_pages(&app, &key, "/api/checkout-sessions", &sessions).await;
    cursor_pages(&app, &key, "/api/plans", &plans).await;
    cursor_pages(&app, &key, "/api/business-entities", &entities).await;

    // Each list has the session's url, and refuses a bad limit or cursor by name.
    let (_, page) = app.api_get(&key, "/api/checkout-sessions?limit=1").await;
    assert_eq!(
        page["data"][0]["url"],
        app.url(&format!("/checkout/{}", sessions[4]))
    );
    for path in [
        "/api/checkout-sessions",
        "/api/plans",
        "/api/business-entities",
        "/api/events",
    ] {
        let (status, error) = app.api_get(&key, &format!("{path}?limit=0")).await;
        assert_eq!(
            (status, error["error"]["param"].as_str()),
            (400, Some("limit"))
        );
        let (status, error) = app.api_get(&key, &format!("{path}?cursor=forged")).await;
        assert_eq!(
            (status, error["error"]["param"].as_str()),
            (400, Some("cursor"))
        );
        // A parameter given twice is the API's JSON error too, naming it (schemathesis found
        // axum's plain-text rejection here).
        let (status, error) = app.api_get(&key, &format!("{path}?limit=1&limit=2")).await;
        assert_eq!(
            (status, error["error"]["param"].as_str()),
            (400, Some("limit"))
        );
    }

    // Another organization sees none of them.
    let other = app.other_organization("lists@example.com").await;
    for path in [
        "/api/checkout-sessions",
        "/api/plans",
        "/api/business-entities",
    ] {
        let (status, page) = app.api_get(&other, path).await;
        assert_eq!(
            (status, page["data"].as_array().unwrap().len()),
            (200, 0),
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn lists_page_by_cursor_on_sqlite() {
    lists_page_by_cursor(Engine::Sqlite).await;
}

#[tokio::test]
async fn lists_page_by_cursor_on_postgres() {
    lists_page_by_cursor(Engine::Postgres).await;
}
