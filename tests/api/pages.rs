use crate::app::{Options, TestApp};
use kassa::store::Engine;
use serde_json::json;

crate::on_both_engines!(
    the_start_page_is_rendered_on_the_server,
    unknown_pages_are_404,
    the_site_files_answer_as_a_browser_cache_expects,
    pages_are_compressed_for_clients_that_ask,
    the_checkout_page_hydrates_only_its_islands,
);

async fn the_start_page_is_rendered_on_the_server(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "start_page").await else {
        return;
    };
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("Hosted checkout you run yourself"), "{html}");
    assert!(html.contains("4242 4242 4242 4242"));
    assert!(
        html.contains(r#"<label for="check-card-number">Card number</label>"#),
        "{html}"
    );
    // the browser bundle is referenced for hydration
    assert!(html.contains("/pkg/kassa.js"), "{html}");
    assert!(html.contains("/pkg/kassa.css"), "{html}");
    app.stop().await;
}

/// The built site's files keep the HTTP a browser's cache relies on: a revalidated wasm chunk
/// that answered 404 left the page it belongs to unhydrated.
async fn the_site_files_answer_as_a_browser_cache_expects(engine: Engine) {
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir(&pkg).unwrap();
    let script = "export function start() { return 'kassa'; }\n".repeat(100);
    std::fs::write(pkg.join("kassa.js"), &script).unwrap();
    std::fs::write(pkg.join("kassa.js.br"), b"brotli bytes").unwrap();
    let options = Options {
        site_root: Some(site.path().to_owned()),
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(engine, "site_files", options).await else {
        return;
    };
    let first = app.get("/pkg/kassa.js").await;
    assert_eq!(first.status(), 200);
    let modified = first.headers()["last-modified"].clone();
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    assert_eq!(first.text().await.unwrap(), script);

    // A browser revalidating what it keeps: 304, no body.
    let again = app
        .client
        .get(app.url("/pkg/kassa.js"))
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.unwrap().is_empty());

    // The precompressed file to a client that takes brotli.
    let compressed = app
        .client
        .get(app.url("/pkg/kassa.js"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.status(), 200);
    assert_eq!(compressed.headers()["content-encoding"], "br");
    assert_eq!(&compressed.bytes().await.unwrap()[..], b"brotli bytes");

    // A part of it (a resumed download).
    let part = app
        .client
        .get(app.url("/pkg/kassa.js"))
        .header("range", "bytes=0-5")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(part.text().await.unwrap(), "export");

    let head = app
        .client
        .head(app.url("/pkg/kassa.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);

    // What is not there is the app's 404 page, whatever the method.
    for response in [
        app.get("/pkg/missing.wasm").await,
        app.client
            .post(app.url("/no/such/page"))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(response.status(), 404);
        assert!(response.text().await.unwrap().contains("Page not found"));
    }
    app.stop().await;
}

async fn unknown_pages_are_404(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "not_found").await else {
        return;
    };
    let response = app.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
    app.stop().await;
}

async fn pages_are_compressed_for_clients_that_ask(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "compressed_pages").await else {
        return;
    };
    let plain = app.get("/").await;
    assert!(!plain.headers().contains_key("content-encoding"));
    let plain_size = plain.bytes().await.unwrap().len();
    // What a browser asks for: gzip is what costs least to make per request (brotli is kept for
    // the built files, compressed once at build time).
    let compressed = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "gzip, deflate, br, zstd")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "gzip");
    let compressed_size = compressed.bytes().await.unwrap().len();
    assert!(
        compressed_size * 2 < plain_size,
        "{compressed_size} of {plain_size} bytes"
    );
    // A response that fits in one packet (here a few hundred bytes of JSON) is sent as it is.
    let small = app
        .client
        .get(app.url("/api/organization"))
        .bearer_auth(&app.demo.secret_key)
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    assert!(!small.headers().contains_key("content-encoding"));
    let small_size = small.bytes().await.unwrap().len();
    assert!((64..1400).contains(&small_size), "{small_size} bytes");
    app.stop().await;
}

/// The hosted checkout is rendered as islands: the page is HTML, and only the order and payment
/// form (with its data as props) hydrate. Other pages hydrate whole.
async fn the_checkout_page_hydrates_only_its_islands(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "checkout_islands").await else {
        return;
    };
    let id = app
        .create_session(&json!({
            "type": "purchase",
            "line_items": [{ "price": app.price_id("espresso-beans"), "quantity": 2 }],
            "success_url": "https://shop.example/thanks",
        }))
        .await;
    let page = app
        .get(&format!(
            "/checkout/{id}?value.name=Ada&value.country=DE&error.card_number=Declined"
        ))
        .await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<body data-islands"), "{html}");
    // Leptos's island script, which hydrates each island rather than the whole page.
    assert!(html.contains("hydrateIslands"), "{html}");
    let island = html
        .split("<leptos-island data-component=\"OpenCheckout_")
        .nth(1)
        .unwrap_or_else(|| panic!("no payment form island: {html}"));
    let props = island.split("data-props=\"").nth(1).unwrap();
    let props = props[..props.find('"').unwrap()].replace("&quot;", "\"");
    let props: serde_json::Value = serde_json::from_str(&props.replace("&amp;", "&")).unwrap();
    assert_eq!(props["view"]["session_id"], id.as_str());
    assert_eq!(props["view"]["lines"][0]["quantity"], 2);
    // What was typed travels; a message kassa did not sign does not (`security::notices`).
    let query = props["query"].as_array().unwrap();
    assert!(query.contains(&json!(["value.country", "DE"])), "{props}");
    assert!(
        !query.iter().any(|pair| pair[0] == "error.card_number"),
        "{props}"
    );
    // Only what the form needs travels as props: no receipt, branding or status.
    for absent in ["receipt", "failure", "logo_url", "status"] {
        assert!(props["view"].get(absent).is_none(), "{absent} in {props}");
    }
    // The server-rendered form carries what the address asked for, without JavaScript too.
    assert!(html.contains(r#"value="Ada""#), "{html}");
    // The country list is the server's alone (the island hydrates the select, not its options):
    // every country, the asked-for one selected, names escaped as text.
    let select = html
        .split(r#"<select id="f-country""#)
        .nth(1)
        .and_then(|s| s.split("</select>").next())
        .unwrap_or_else(|| panic!("no country select: {html}"));
    assert!(select.matches("<option value=").count() > 240, "{select}");
    assert!(
        select.contains(r#"<option value="DE" selected>Germany</option>"#),
        "{select}"
    );
    assert!(
        select.contains(r#"<option value="">Select your country</option>"#),
        "{select}"
    );
    assert!(
        select.contains(r#"<option value="CI">Côte d'Ivoire</option>"#),
        "{select}"
    );

    // The start page is not a checkout: it hydrates whole.
    let start = app.html("/").await;
    assert!(!start.contains("data-islands"), "{start}");
    assert!(!start.contains("hydrateIslands"), "{start}");
    app.stop().await;
}
