use crate::app::TestApp;
use kassa::store::Engine;

crate::on_both_engines!(
    the_start_page_is_rendered_on_the_server,
    unknown_pages_are_404,
    pages_are_compressed_for_clients_that_ask,
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
    let compressed = app
        .client
        .get(app.url("/"))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(compressed.headers()["content-encoding"], "br");
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
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    assert!(!small.headers().contains_key("content-encoding"));
    let small_size = small.bytes().await.unwrap().len();
    assert!((64..1400).contains(&small_size), "{small_size} bytes");
    app.stop().await;
}
