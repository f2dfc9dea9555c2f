//! `GET /docs`: the reference of kassa's own API, rendered on the server from the OpenAPI
//! document (`api::openapi`) so that it is the document, read for people. Plain HTML with kassa's
//! stylesheet: no script, nothing fetched from anywhere else, readable offline and by screen
//! readers; every operation, its parameters, body and answers, and every object with its fields.

use axum::response::Html;
use serde_json::Value;
use std::fmt::Write;
use std::sync::OnceLock;

/// `GET /docs`.
pub async fn page() -> Html<&'static str> {
    static PAGE: OnceLock<String> = OnceLock::new();
    Html(PAGE.get_or_init(|| {
        let document: Value =
            serde_json::from_str(super::openapi::json()).expect("the document is JSON");
        render(&document)
    }))
}

fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// `text` escaped, with Markdown's `code` spans as `<code>` and blank lines as paragraphs.
fn prose(text: &str) -> String {
    let mut out = String::new();
    for paragraph in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        out.push_str("<p>");
        for (i, part) in paragraph.split('`').enumerate() {
            if i % 2 == 1 {
                let _ = write!(out, "<code>{}</code>", escape(part));
            } else {
                out.push_str(&escape(part));
            }
        }
        out.push_str("</p>");
    }
    out
}

/// The component a `$ref` names.
fn ref_name(schema: &Value) -> Option<&str> {
    schema["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
}

fn anchor(name: &str) -> String {
    format!(
        "schema-{}",
        name.replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    )
}

/// What a schema is, in a few words, with links to the objects it names.
fn type_label(schema: &Value) -> String {
    if let Some(name) = ref_name(schema) {
        return format!("<a href=\"#{}\">{}</a>", anchor(name), escape(name));
    }
    for (key, joiner) in [("oneOf", " or "), ("anyOf", " or "), ("allOf", " and ")] {
        if let Some(parts) = schema[key].as_array() {
            return parts
                .iter()
                .map(type_label)
                .collect::<Vec<_>>()
                .join(joiner);
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values
            .iter()
            .map(|v| match v {
                Value::String(s) => format!("<code>{}</code>", escape(s)),
                other => format!("<code>{}</code>", escape(&other.to_string())),
            })
            .collect();
        return format!("one of {}", values.join(", "));
    }
    let one = |kind: &str| -> String {
        match kind {
            "array" => format!("array of {}", type_label(&schema["items"])),
            "integer" => match schema["format"].as_str() {
                Some(format) => format!("integer ({format})"),
                None => "integer".to_owned(),
            },
            other => other.to_owned(),
        }
    };
    match &schema["type"] {
        Value::String(kind) => one(kind),
        Value::Array(kinds) => kinds
            .iter()
            .filter_map(Value::as_str)
            .map(one)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any JSON".to_owned(),
    }
}

/// The fields of an object schema, its `allOf` parts' included: (name, schema, required).
fn fields<'a>(document: &'a Value, schema: &'a Value) -> Vec<(&'a str, &'a Value, bool)> {
    let schema = match ref_name(schema) {
        Some(name) => &document["components"]["schemas"][name],
        None => schema,
    };
    let mut out = Vec::new();
    if let Some(parts) = schema["allOf"].as_array() {
        for part in parts {
            out.extend(fields(document, part));
        }
    }
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(properties) = schema["properties"].as_object() {
        for (name, property) in properties {
            out.push((name.as_str(), property, required.contains(&name.as_str())));
        }
    }
    out
}

fn field_table(out: &mut String, document: &Value, schema: &Value, caption: &str) {
    let rows = fields(document, schema);
    if rows.is_empty() {
        let _ = write!(out, "<p>{}</p>", type_label(schema));
        return;
    }
    let _ = write!(
        out,
        "<table><caption>{}</caption><thead><tr><th scope=\"col\">Field</th>\
         <th scope=\"col\">Type</th><th scope=\"col\">Description</th></tr></thead><tbody>",
        escape(caption)
    );
    for (name, property, required) in rows {
        let description = property["description"].as_str().unwrap_or_default();
        let _ = write!(
            out,
            "<tr><th scope=\"row\"><code>{}</code>{}</th><td>{}</td><td>{}</td></tr>",
            escape(name),
            if required { " <em>required</em>" } else { "" },
            type_label(property),
            prose(description)
        );
    }
    out.push_str("</tbody></table>");
}

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every operation: (tag, method, path, operation).
fn operations(document: &Value) -> Vec<(&str, &str, &str, &Value)> {
    let mut out = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths {
            for method in METHODS {
                let op = &item[method];
                if op.is_object() {
                    let tag = op["tags"][0].as_str().unwrap_or("Other");
                    out.push((tag, method, path.as_str(), op));
                }
            }
        }
    }
    out
}

fn render(document: &Value) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let info = &document["info"];
    let title = info["title"].as_str().unwrap_or("kassa");
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <link rel=\"stylesheet\" href=\"/pkg/kassa.css\"><title>{} API reference</title></head>\
         <body class=\"reference\"><header><h1>{} API reference</h1><p>Version {} · OpenAPI {} · \
         <a href=\"/api/openapi.json\">the document as JSON</a></p>{}</header>",
        escape(title),
        escape(title),
        escape(info["version"].as_str().unwrap_or_default()),
        escape(document["openapi"].as_str().unwrap_or_default()),
        prose(info["description"].as_str().unwrap_or_default()),
    );
    let ops = operations(document);
    let tags: Vec<(&str, &str)> = document["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    (
                        t["name"].as_str().unwrap_or_default(),
                        t["description"].as_str().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.push_str("<nav aria-label=\"Operations\"><h2>Operations</h2>");
    for (tag, _) in &tags {
        let _ = write!(out, "<h3>{}</h3><ul>", escape(tag));
        for (_, method, path, op) in ops.iter().filter(|o| o.0 == *tag) {
            let _ = write!(
                out,
                "<li><a href=\"#{}\"><span class=\"method\">{}</span> <code>{}</code></a> {}</li>",
                escape(op["operationId"].as_str().unwrap_or_default()),
                method.to_uppercase(),
                escape(path),
                escape(op["summary"].as_str().unwrap_or_default()),
            );
        }
        out.push_str("</ul>");
    }
    out.push_str("<p><a href=\"#objects\">Objects</a></p></nav><main>");
    for (tag, description) in &tags {
        let _ = write!(
            out,
            "<section><h2>{}</h2>{}",
            escape(tag),
            prose(description)
        );
        for (_, method, path, op) in ops.iter().filter(|o| o.0 == *tag) {
            operation(&mut out, document, method, path, op);
        }
        out.push_str("</section>");
    }
    out.push_str("<section id=\"objects\"><h2>Objects</h2>");
    if let Some(schemas) = document["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            let _ = write!(
                out,
                "<article id=\"{}\"><h3>{}</h3>{}",
                anchor(name),
                escape(name),
                prose(schema["description"].as_str().unwrap_or_default())
            );
            field_table(&mut out, document, schema, &format!("Fields of {name}"));
            out.push_str("</article>");
        }
    }
    out.push_str("</section></main></body></html>");
    out
}

fn operation(out: &mut String, document: &Value, method: &str, path: &str, op: &Value) {
    let summary = op["summary"].as_str().unwrap_or_default();
    let _ = write!(
        out,
        "<article class=\"operation\" id=\"{}\"><h3>{}</h3><p><span class=\"method\">{}</span> \
         <code>{}</code></p>{}",
        escape(op["operationId"].as_str().unwrap_or_default()),
        escape(summary),
        method.to_uppercase(),
        escape(path),
        prose(op["description"].as_str().unwrap_or_default()),
    );
    let public = op["security"].as_array().is_some_and(|s| {
        s.iter()
            .all(|r| r.as_object().is_some_and(|r| r.is_empty()))
    });
    out.push_str(if public {
        "<p>No key: anyone with the id may ask.</p>"
    } else {
        "<p>Needs a secret key (<code>Authorization: Bearer sk_…</code>).</p>"
    });
    if let Some(parameters) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        out.push_str(
            "<table><caption>Parameters</caption><thead><tr><th scope=\"col\">Name</th>\
             <th scope=\"col\">In</th><th scope=\"col\">Type</th><th scope=\"col\">Description\
             </th></tr></thead><tbody>",
        );
        for p in parameters {
            let _ = write!(
                out,
                "<tr><th scope=\"row\"><code>{}</code>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(p["name"].as_str().unwrap_or_default()),
                if p["required"].as_bool() == Some(true) {
                    " <em>required</em>"
                } else {
                    ""
                },
                escape(p["in"].as_str().unwrap_or_default()),
                type_label(&p["schema"]),
                prose(p["description"].as_str().unwrap_or_default()),
            );
        }
        out.push_str("</tbody></table>");
    }
    let body = &op["requestBody"]["content"]["application/json"]["schema"];
    if body.is_object() {
        let _ = write!(out, "<h4>Body: {}</h4>", type_label(body));
        field_table(out, document, body, &format!("The body of {summary}"));
    }
    out.push_str(
        "<table><caption>Answers</caption><thead><tr><th scope=\"col\">Status</th>\
         <th scope=\"col\">Body</th><th scope=\"col\">When</th></tr></thead><tbody>",
    );
    if let Some(responses) = op["responses"].as_object() {
        for (status, response) in responses {
            let schema = &response["content"]["application/json"]["schema"];
            let _ = write!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
                escape(status),
                if schema.is_object() {
                    type_label(schema)
                } else {
                    "none".to_owned()
                },
                prose(response["description"].as_str().unwrap_or_default()),
            );
        }
    }
    out.push_str("</tbody></table></article>");
}
