use crate::app::TestApp;
use kassa::store::Engine;

crate::on_both_engines!(
    the_start_page_is_rendered_on_the_server,
    unknown_pages_are_404,
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
