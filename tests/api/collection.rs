//! What a checkout collects besides an email and a payment: a whole billing address, a shipping
//! address to the countries the merchant ships to, a phone number (Stripe's
//! `billing_address_collection`, `shipping_address_collection`, `phone_number_collection`, and the
//! same names in kassa's API); each checked by the country's rules, kept on the session, the
//! customer and the purchase, and read back in every dialect.

use crate::app::{TestApp, card, confirm, with_fields};
use kassa::store::Engine;
use serde_json::{Value, json};

crate::on_both_engines!(
    a_stripe_session_collects_addresses_and_a_phone_and_reads_them_back,
    each_countrys_address_rules_are_checked_on_the_server,
    kassas_api_takes_the_same_settings_and_refuses_bad_ones,
    a_known_customer_keeps_what_they_gave,
    a_returning_buyer_pays_with_the_card_they_saved,
);

/// The shipped order's fields as the page posts them, billed to where it ships.
fn shipped(session: &str) -> Vec<(String, String)> {
    let mut form = card(session, "4242424242424242");
    form.retain(|(k, _)| k != "country" && k != "postal_code");
    with_fields(
        &mut form,
        &[
            ("phone", "+1 650-253-0000"),
            ("shipping_name", "Grace Hopper"),
            ("shipping_line1", "1 Market St"),
            ("shipping_line2", "Suite 300"),
            ("shipping_city", "San Francisco"),
            ("shipping_state", "ca"),
            ("shipping_postal_code", "94105"),
            ("shipping_country", "US"),
            ("billing_same_as_shipping", "on"),
        ],
    );
    form
}

fn set(form: &mut [(String, String)], key: &str, value: &str) {
    form.iter_mut().find(|(k, _)| k == key).unwrap().1 = value.to_owned();
}

/// A Stripe session for the demo's beans, with `extra` params.
pub(crate) async fn stripe_session(app: &TestApp, extra: &[(&str, &str)]) -> Value {
    let price = app.price_id("espresso-beans");
    let mut form = vec![
        ("mode", "payment"),
        ("line_items[0][price]", price.as_str()),
    ];
    form.extend_from_slice(extra);
    let (status, body) = app.stripe_post("/v1/checkout/sessions", &form).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn read(app: &TestApp, path: &str) -> Value {
    let response = app
        .client
        .get(app.url(path))
        .bearer_auth(&app.demo.secret_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

const SHIPS_AND_CALLS: &[(&str, &str)] = &[
    ("billing_address_collection", "required"),
    ("shipping_address_collection[allowed_countries][0]", "US"),
    ("shipping_address_collection[allowed_countries][1]", "ca"),
    ("phone_number_collection[enabled]", "true"),
];

async fn a_stripe_session_collects_addresses_and_a_phone_and_reads_them_back(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "collect_stripe").await else {
        return;
    };
    let created = stripe_session(&app, SHIPS_AND_CALLS).await;
    assert_eq!(created["billing_address_collection"], "required");
    assert_eq!(
        created["shipping_address_collection"]["allowed_countries"],
        json!(["US", "CA"])
    );
    assert_eq!(created["phone_number_collection"]["enabled"], true);
    assert_eq!(created["shipping_details"], Value::Null);
    let id = created["id"].as_str().unwrap();

    // The page asks for the shipping address (only to the countries shipped to) and the phone.
    let page = app.html(&format!("/checkout/{id}")).await;
    for expected in [
        "Shipping address",
        r#"name="shipping_line1""#,
        r#"name="phone""#,
        r#"<option value="CA">Canada</option>"#,
        "Billing address is the same as shipping",
    ] {
        assert!(page.contains(expected), "the page lacks {expected}");
    }
    let shipping_select = page
        .split(r#"name="shipping_country""#)
        .nth(1)
        .and_then(|rest| rest.split("</select>").next())
        .unwrap();
    assert!(!shipping_select.contains(r#"value="DE""#));

    let (status, paid) = confirm(&app, &shipped(id)).await;
    assert_eq!(status, 200, "{paid}");

    let s = read(&app, &format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(s["status"], "complete", "{s}");
    assert_eq!(s["customer_details"]["phone"], "+16502530000");
    let address = json!({
        "line1": "1 Market St", "line2": "Suite 300", "city": "San Francisco", "state": "CA",
        "postal_code": "94105", "country": "US",
    });
    assert_eq!(s["customer_details"]["address"], address);
    assert_eq!(
        s["shipping_details"],
        json!({ "name": "Grace Hopper", "address": address })
    );
    assert_eq!(
        s["collected_information"]["shipping_details"],
        s["shipping_details"]
    );

    // kassa's own API and Flowglad's.
    let native = read(&app, &format!("/api/checkout-sessions/{id}")).await;
    assert_eq!(native["customer_phone"], "+16502530000");
    assert_eq!(
        native["shipping_details"]["address"]["city"],
        "San Francisco"
    );
    assert_eq!(
        native["collection"]["shipping_countries"],
        json!(["US", "CA"])
    );
    let flowglad = read(&app, &format!("/api/v1/checkout-sessions/{id}")).await;
    let billing = &flowglad["checkoutSession"]["billingAddress"];
    assert_eq!(billing["address"]["line1"], "1 Market St", "{flowglad}");
    assert_eq!(billing["address"]["state"], "CA");
    assert_eq!(billing["name"], "Ada Lovelace");

    // Kept on the customer and the purchase.
    let session = app.store.session_by_id(id).await.unwrap().unwrap();
    let org = &app.demo.organization_id;
    let customer = app
        .store
        .customer(org, false, session.customer_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(customer.phone.as_deref(), Some("+16502530000"));
    assert_eq!(customer.shipping().unwrap().name, "Grace Hopper");
    assert_eq!(
        customer.billing_address().unwrap().line1.as_deref(),
        Some("1 Market St")
    );
    let purchase = app
        .store
        .purchase(org, false, session.purchase_id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        purchase.shipping().unwrap().address.postal_code.as_deref(),
        Some("94105")
    );
    assert_eq!(purchase.phone.as_deref(), Some("+16502530000"));

    // The receipt page shows where it ships.
    let receipt = app.html(&format!("/checkout/{id}")).await;
    assert!(receipt.contains("Shipping to"), "{receipt}");
    assert!(receipt.contains("San Francisco, CA 94105"));
    app.stop().await;
}

async fn each_countrys_address_rules_are_checked_on_the_server(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "collect_rules").await else {
        return;
    };
    let created = stripe_session(&app, SHIPS_AND_CALLS).await;
    let id = created["id"].as_str().unwrap();
    let errors = |body: &Value| -> Vec<String> {
        body["Invalid"]["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{body}"))
            .iter()
            .map(|e| e[0].as_str().unwrap().to_owned())
            .collect()
    };

    // Nothing but the card: every collected field is named.
    let (status, body) = confirm(&app, &card(id, "4242424242424242")).await;
    assert_eq!(status, 422);
    assert_eq!(
        errors(&body),
        [
            "shipping_name",
            "shipping_country",
            "line1",
            "city",
            "state",
            "phone"
        ]
    );

    // Not to a country the merchant does not ship to.
    let mut form = shipped(id);
    set(&mut form, "shipping_country", "DE");
    set(&mut form, "shipping_postal_code", "10117");
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(
        (status, errors(&body)),
        (422, vec!["shipping_country".to_owned()])
    );

    // Canada's postal codes and provinces.
    let mut form = shipped(id);
    set(&mut form, "shipping_country", "CA");
    set(&mut form, "shipping_postal_code", "94105");
    set(&mut form, "shipping_state", "XX");
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 422);
    assert_eq!(errors(&body), ["shipping_postal_code", "shipping_state"]);
    let message = &body["Invalid"]["errors"][1][1];
    assert_eq!(message, "Enter your province's two-letter code, like ON.");

    // A number of the right shape that no plan has: the server's check, not the browser's.
    let mut form = shipped(id);
    set(&mut form, "phone", "+1 000 000 0000");
    let (status, body) = confirm(&app, &form).await;
    assert_eq!((status, errors(&body)), (422, vec!["phone".to_owned()]));

    // Billed elsewhere than it ships: the billing address's own lines, by its country's rules.
    let mut form = shipped(id);
    form.retain(|(k, _)| k != "billing_same_as_shipping");
    with_fields(
        &mut form,
        &[
            ("country", "DE"),
            ("line1", "Unter den Linden 1"),
            ("city", "Berlin"),
            ("postal_code", "1011"),
        ],
    );
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(
        (status, errors(&body)),
        (422, vec!["postal_code".to_owned()])
    );
    set(&mut form, "postal_code", "10117");
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    let s = read(&app, &format!("/v1/checkout/sessions/{id}")).await;
    assert_eq!(s["customer_details"]["address"]["country"], "DE");
    assert_eq!(s["customer_details"]["address"]["city"], "Berlin");
    assert_eq!(s["shipping_details"]["address"]["country"], "US");
    app.stop().await;
}

async fn kassas_api_takes_the_same_settings_and_refuses_bad_ones(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "collect_native").await else {
        return;
    };
    let price = app.price_id("espresso-beans");
    let post = |body: Value| crate::checkout::create(&app, body);
    let (status, body) = post(json!({
        "line_items": [{ "price": price }],
        "billing_address_collection": "always",
    }))
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["param"], "billing_address_collection");
    let (status, body) = post(json!({
        "line_items": [{ "price": price }],
        "shipping_address_collection": { "allowed_countries": ["US", "XX"] },
    }))
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["param"],
        "shipping_address_collection.allowed_countries[1]"
    );
    let (status, body) = post(json!({
        "line_items": [{ "price": price }],
        "shipping_address_collection": { "allowed_countries": ["DE"] },
        "phone_number_collection": { "enabled": true },
    }))
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["collection"]["shipping_countries"], json!(["DE"]));
    assert_eq!(body["collection"]["phone"], true);

    // Stripe's dialect names the param its own way.
    let (status, body) = app
        .stripe_post(
            "/v1/checkout/sessions",
            &[
                ("mode", "payment"),
                ("line_items[0][price]", price.as_str()),
                (
                    "shipping_address_collection[allowed_countries][0]",
                    "Narnia",
                ),
            ],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["param"],
        "shipping_address_collection[allowed_countries][0]"
    );
    app.stop().await;
}

async fn a_known_customer_keeps_what_they_gave(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "collect_known").await else {
        return;
    };
    let customer = app.customer("collector-1").await;
    let price = app.price_id("espresso-beans");
    let id = app
        .create_session(&json!({
            "line_items": [{ "price": price }],
            "customer": customer,
            "billing_address_collection": "required",
            "phone_number_collection": { "enabled": true },
        }))
        .await;
    let mut form = card(&id, "4242424242424242");
    form.retain(|(k, _)| k != "email");
    with_fields(
        &mut form,
        &[
            ("line1", "1 Market St"),
            ("city", "San Francisco"),
            ("state", "CA"),
            ("phone", "(650) 253-0000"),
        ],
    );
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    let record = app
        .store
        .customer(&app.demo.organization_id, false, &customer)
        .await
        .unwrap()
        .unwrap();
    // A national number, in the billing country's plan.
    assert_eq!(record.phone.as_deref(), Some("+16502530000"));
    assert_eq!(
        record.billing_address().unwrap().city.as_deref(),
        Some("San Francisco")
    );
    assert_eq!(record.shipping, None);
    // The dashboard's customer page shows them to the merchant.
    let demo = crate::dashboard::Browser::demo(&app).await;
    let (status, body) = demo
        .call(&app, "/api/dashboard/customer", &[("id", &customer)])
        .await;
    assert_eq!(status, 200, "{body}");
    let detail: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(detail["phone"], "+16502530000");
    assert_eq!(
        detail["billing_address"],
        json!(["1 Market St", "San Francisco, CA 94107", "US"])
    );
    // Flowglad's customer shows the whole billing address.
    let flowglad = read(&app, "/api/v1/customers/collector-1").await;
    let address = &flowglad["customer"]["billingAddress"]["address"];
    assert_eq!(address["line1"], "1 Market St", "{flowglad}");
    assert_eq!(address["state"], "CA");
    app.stop().await;
}

/// A session for a bag of the demo's beans, for `customer`, with `extra` settings: its id.
async fn beans_for(app: &TestApp, customer: &str, extra: Value) -> String {
    let mut body = json!({
        "line_items": [{ "price": app.price_id("espresso-beans") }],
        "customer": customer,
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    app.create_session(&body).await
}

/// A known customer's card payment for the demo's beans, posted with `extra` fields.
async fn pay_as(
    app: &TestApp,
    customer: &str,
    extra: &[(&str, &str)],
    card_number: Option<&str>,
) -> (String, u16, Value) {
    let id = beans_for(app, customer, json!({})).await;
    let mut form = match card_number {
        Some(number) => card(&id, number),
        None => card(&id, "")
            .into_iter()
            .filter(|(k, _)| !k.starts_with("card_"))
            .collect(),
    };
    form.retain(|(k, _)| k != "email");
    with_fields(&mut form, extra);
    let (status, body) = confirm(app, &form).await;
    (id, status, body)
}

async fn a_returning_buyer_pays_with_the_card_they_saved(engine: Engine) {
    let Some(app) = TestApp::spawn(engine, "saved_methods").await else {
        return;
    };
    let org = app.demo.organization_id.clone();
    let ada = app.customer("returning-ada").await;
    let bob = app.customer("returning-bob").await;

    // Bob pays without ticking the box: nothing is kept, nothing offered next time.
    let (_, status, body) = pay_as(&app, &bob, &[], Some("5555555555554444")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        app.store
            .payment_methods_of_customer(&org, false, &bob, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Ada ticks it: the card is kept for her next checkouts.
    let (first, status, body) = pay_as(
        &app,
        &ada,
        &[("save_payment_method", "on")],
        Some("4242424242424242"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let kept = app
        .store
        .payment_methods_of_customer(&org, false, &ada, 10)
        .await
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].allow_redisplay.as_deref(), Some("always"));
    let card_id = kept[0].id.clone();

    // Her next checkout offers it first; Bob's offers none.
    let next = beans_for(&app, &ada, json!({})).await;
    let page = app.html(&format!("/checkout/{next}")).await;
    assert!(page.contains("Visa •••• 4242"), "the saved card is offered");
    let offered = page
        .split(&format!(r#"value="{card_id}""#))
        .next()
        .and_then(|before| before.rsplit("<input").next())
        .unwrap_or_default()
        .to_owned();
    assert!(
        offered.contains(r#"name="saved_payment_method""#),
        "{offered}"
    );
    assert!(page.contains("for next time"));
    let bobs = beans_for(&app, &bob, json!({})).await;
    let page = app.html(&format!("/checkout/{bobs}")).await;
    assert!(!page.contains("saved_payment_method\" value=\"pm_"));

    // Bob cannot pay with Ada's card, even knowing its id.
    let (_, status, body) = pay_as(&app, &bob, &[("saved_payment_method", &card_id)], None).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["Invalid"]["errors"][0][0], "saved_payment_method");

    // Ada pays with it, typing no card at all; the receipt names it, nothing new is kept.
    let (second, status, body) =
        pay_as(&app, &ada, &[("saved_payment_method", &card_id)], None).await;
    assert_eq!(status, 200, "{body}");
    let receipt = app.html(&format!("/checkout/{second}")).await;
    assert!(
        receipt.contains("Paid $24.00 with Visa •••• 4242"),
        "{receipt}"
    );
    assert_eq!(
        app.store
            .payment_methods_of_customer(&org, false, &ada, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    let session = app.store.session_by_id(&second).await.unwrap().unwrap();
    assert_eq!(session.payment_method_id.as_deref(), Some(card_id.as_str()));
    let (payments, _) = app.store.payments_of_session(&second).await.unwrap();
    assert_eq!(payments.len(), 1);
    assert_ne!(first, second);

    // A merchant who turns saving off: no box, and a posted one keeps nothing.
    let id = beans_for(
        &app,
        &bob,
        json!({ "saved_payment_method_options": { "payment_method_save": "disabled" } }),
    )
    .await;
    let page = app.html(&format!("/checkout/{id}")).await;
    assert!(!page.contains("for next time"));
    let mut form = card(&id, "4242424242424242");
    form.retain(|(k, _)| k != "email");
    form.push(("save_payment_method".into(), "on".into()));
    let (status, body) = confirm(&app, &form).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        app.store
            .payment_methods_of_customer(&org, false, &bob, 10)
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}
