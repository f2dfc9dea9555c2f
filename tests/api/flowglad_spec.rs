//! Validates responses against Flowglad's OpenAPI spec (../shared/reference/flowglad-openapi.json),
//! so that a drift from Flowglad's shapes fails the build.

use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = std::env::var("KASSA_FLOWGLAD_SPEC").unwrap_or_else(|_| {
            format!(
                "{}/../shared/reference/flowglad-openapi.json",
                env!("CARGO_MANIFEST_DIR")
            )
        });
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!("Flowglad's OpenAPI spec is needed at {path} (or KASSA_FLOWGLAD_SPEC): {e}")
        });
        serde_json::from_str(&text).expect("the spec is JSON")
    })
}

/// The schema of a response, with the spec's components beside it so `$ref`s resolve.
fn response_schema(method: &str, path: &str, status: u16) -> Value {
    let spec = spec();
    let responses = &spec["paths"][path][method]["responses"];
    assert!(responses.is_object(), "the spec has no {method} {path}");
    let listed = &responses[status.to_string()]["content"]["application/json"]["schema"];
    let mut schema = if listed.is_object() {
        listed.clone()
    } else {
        assert!(
            status >= 400,
            "the spec lists no {status} answer for {method} {path}"
        );
        // Statuses the spec does not list (409, 404 on create) share the error shape.
        serde_json::json!({ "$ref": "#/components/schemas/error.BAD_REQUEST" })
    };
    schema["components"] = spec["components"].clone();
    schema
}

/// Panics, listing every violation, unless `body` is what Flowglad's spec allows for this answer.
pub fn assert_conforms(method: &str, path: &str, status: u16, body: &Value) {
    type Cache = Mutex<HashMap<(String, String, u16), jsonschema::Validator>>;
    static VALIDATORS: OnceLock<Cache> = OnceLock::new();
    let errors: Vec<String> = {
        // A failed assertion must not poison the cache for the tests that run after it.
        let mut cache = VALIDATORS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let key = (method.to_owned(), path.to_owned(), status);
        let validator = cache.entry(key).or_insert_with(|| {
            jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&response_schema(method, path, status))
                .expect("the spec's schema compiles")
        });
        validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect()
    };
    assert!(
        errors.is_empty(),
        "{method} {path} -> {status} does not match Flowglad's spec:\n  {}\nbody: {body:#}",
        errors.join("\n  ")
    );
}

#[test]
#[should_panic(expected = "does not match Flowglad's spec")]
fn the_spec_check_refuses_a_property_flowglad_does_not_have() {
    let body =
        serde_json::json!({ "code": "NOT_FOUND", "message": "x", "issues": [], "param": "id" });
    assert_conforms("get", "/api/v1/checkout-sessions/{id}", 404, &body);
}

#[test]
#[should_panic(expected = "does not match Flowglad's spec")]
fn the_spec_check_refuses_a_product_session_without_its_price() {
    let body = serde_json::json!({ "checkoutSession": { "id": "cs_test_1", "type": "product" }, "url": "u" });
    assert_conforms("get", "/api/v1/checkout-sessions/{id}", 200, &body);
}

#[test]
fn the_spec_check_accepts_an_error_in_flowglads_shape() {
    let body =
        serde_json::json!({ "code": "NOT_FOUND", "message": "x", "issues": [{ "message": "x" }] });
    assert_conforms("get", "/api/v1/checkout-sessions/{id}", 404, &body);
}
