//! `TestApp`: a running kassa to send requests to.

use crate::support::TestDb;
use kassa::config::Cli;
use kassa::domain::PriceType;
use kassa::domain::catalog::Recurring;
use kassa::payments::PaymentProcessor;
use kassa::server::Kassa;
use kassa::service::demo::{self, DemoReport};
use kassa::service::ids::new_id;
use kassa::service::processors::Processors;
use kassa::store::{Engine, NewPrice, NewProduct, Store};
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The token that opens `/metrics` on every tested kassa.
pub const METRICS_TOKEN: &str = "metrics-token-for-the-tests";

/// Makes the processor a kassa uses, over its opened store.
pub type MakeProcessor = Box<dyn FnOnce(&Store) -> Arc<dyn PaymentProcessor> + Send>;

/// What a test may change about the kassa it starts.
#[derive(Default)]
pub struct Options {
    /// The processor, made over the opened store; the test-mode processor when `None`.
    pub processor: Option<MakeProcessor>,
    /// Payment attempts per client address and hour; off when `None` (the tests are many buyers
    /// behind one address).
    pub attempts_per_address: Option<u32>,
    /// The header a balancer names the client's address in.
    pub client_address_header: Option<String>,
    /// Where Stripe's API is (a [`crate::stripe_double::StripeDouble`]).
    pub stripe_api_base: Option<String>,
    /// The address kassa hands out (`KASSA_PUBLIC_URL`); its own when `None`.
    pub public_url: Option<String>,
    /// API requests per key and per address each second; off when `None` (the tests are many
    /// clients behind one address).
    pub api_requests_per_second: Option<u32>,
    /// Sign-up closed to the public (`KASSA_SIGN_UP=closed`).
    pub sign_up_closed: bool,
    /// Webhooks only to public addresses, as by default; the tests' receivers listen on
    /// 127.0.0.1, so private addresses are allowed unless this is set.
    pub public_webhooks_only: bool,
    /// Seconds a request's hold on its idempotency key lasts between renewals (60 unless set).
    pub idempotency_hold: Option<u64>,
    /// The SMTP server buyers' mail goes through (`KASSA_SMTP_URL`); kept for the dashboard
    /// when `None`.
    pub smtp_url: Option<String>,
    /// The built site's folder (`/pkg/…`); one that does not exist when `None`.
    pub site_root: Option<std::path::PathBuf>,
}

/// The operator's key in every test kassa: processor keys can be kept.
pub const ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// A kassa serving on a free port over `database_url`, and its address.
async fn bind(
    database_url: &str,
    options: Options,
    violations: &crate::openapi::Violations,
) -> (Kassa, String) {
    let mut raw = <Cli as clap::Parser>::try_parse_from(["kassa"])
        .unwrap()
        .settings;
    raw.database_url = database_url.to_owned();
    raw.addr = "127.0.0.1:0".into();
    raw.site_root = Some(
        options
            .site_root
            .unwrap_or_else(|| std::env::temp_dir().join("kassa-tests-no-site")),
    );
    // Short enough that a test sees an attempt time out, long enough for a loaded machine.
    raw.webhook_timeout = "2".into();
    raw.payment_attempts_per_address = options.attempts_per_address.unwrap_or(0).to_string();
    raw.client_address_header = options.client_address_header;
    raw.encryption_key = Some(ENCRYPTION_KEY.into());
    if let Some(base) = options.stripe_api_base {
        raw.stripe_api_base = base;
    }
    raw.public_url = options.public_url;
    raw.api_requests_per_second = options.api_requests_per_second.unwrap_or(0).to_string();
    raw.webhooks_to_private_addresses = (!options.public_webhooks_only).to_string();
    if let Some(seconds) = options.idempotency_hold {
        raw.idempotency_hold = seconds.to_string();
    }
    if options.sign_up_closed {
        raw.sign_up = "closed".into();
    }
    raw.smtp_url = options.smtp_url;
    raw.metrics_token = Some(METRICS_TOKEN.into());
    let settings = raw.validate().expect("test settings are valid");
    let kassa = match options.processor {
        Some(processor) => Kassa::bind_with(&settings, processor).await,
        None => Kassa::bind(&settings).await,
    }
    .expect("kassa starts");
    let address = format!("http://{}", kassa.local_addr());
    let kassa = kassa.map_router(|router| crate::openapi::checked(router, violations.clone()));
    (kassa, address)
}

fn serve(kassa: Kassa) -> (oneshot::Sender<()>, JoinHandle<()>) {
    let (shutdown, stop) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        kassa
            .serve_until(async {
                let _ = stop.await;
            })
            .await
            .expect("kassa serves until told to stop");
    });
    (shutdown, server)
}

async fn answer(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// A second kassa on a [`TestApp`]'s database.
pub struct Instance {
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
}

impl Instance {
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        self.server.await.expect("the server task ends cleanly");
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// What moves the money, as the running kassa has it.
    pub processors: Processors,
    /// The demo organization, with its test-mode key.
    pub demo: DemoReport,
    shutdown: oneshot::Sender<()>,
    server: JoinHandle<()>,
    db: TestDb,
    /// Answers of kassa's own API its OpenAPI document does not allow (`openapi::checked`).
    violations: crate::openapi::Violations,
}

impl TestApp {
    /// Starts kassa on a free port over a fresh database, or `None` when `engine` is Postgres and
    /// no server is configured.
    pub async fn spawn(engine: Engine, test: &str) -> Option<TestApp> {
        TestApp::spawn_with(engine, test, Options::default()).await
    }

    /// As [`TestApp::spawn`], with `options`.
    pub async fn spawn_with(engine: Engine, test: &str, options: Options) -> Option<TestApp> {
        let db = TestDb::fresh(engine, test).await?;
        let violations = crate::openapi::Violations::default();
        let (kassa, address) = bind(&db.url, options, &violations).await;
        let store = kassa.state().store.clone();
        let processors = kassa.state().processors.clone();
        let demo = demo::ensure(&store, &address)
            .await
            .expect("the demo organization");
        let (shutdown, server) = serve(kassa);
        // A request that hangs fails its test within a minute instead of stalling the suite.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        Some(TestApp {
            address,
            client,
            store,
            processors,
            demo,
            shutdown,
            server,
            db,
            violations,
        })
    }

    /// Another kassa process on the same database, as a second instance behind a balancer.
    pub async fn another_instance(&self) -> Instance {
        let (kassa, _) = bind(&self.db.url, Options::default(), &self.violations).await;
        let (shutdown, server) = serve(kassa);
        Instance { shutdown, server }
    }

    /// The database's URL, for a kassa started as a process of its own.
    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    /// Runs one SQL statement on the database, behind kassa's back (to move time along).
    pub async fn execute_sql(&self, sql: &str) {
        match self.db.engine {
            Engine::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.db.url).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            Engine::Postgres => {
                let pool = sqlx::PgPool::connect(&self.db.url).await.unwrap();
                sqlx::query(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// `GET path` of the API with the secret `key`: the status and the JSON answer (null when
    /// the answer is not JSON).
    pub async fn api_get(&self, key: &str, path: &str) -> (u16, serde_json::Value) {
        answer(self.client.get(self.url(path)).bearer_auth(key)).await
    }

    /// `POST path` of the API with the secret `key` and the JSON `body`: the status and the JSON
    /// answer (null when the answer is not JSON).
    pub async fn api_post(
        &self,
        key: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        answer(self.client.post(self.url(path)).bearer_auth(key).json(body)).await
    }

    /// `POST path` of Stripe's dialect with the demo's secret key and `form` form-encoded: the
    /// status and the JSON answer.
    pub async fn stripe_post(&self, path: &str, form: &[(&str, &str)]) -> (u16, serde_json::Value) {
        answer(
            self.client
                .post(self.url(path))
                .bearer_auth(&self.demo.secret_key)
                .form(form),
        )
        .await
    }

    /// The HTML of the page at `path`, whatever its status.
    pub async fn html(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("a page's text")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    /// A price of `amount` in `currency` (recurring as given), in `livemode`, on a product of its
    /// own in the demo organization: its id.
    /// Adds a price to the demo catalog: `recurring` of None is one-time.
    pub async fn add_price(
        &self,
        livemode: bool,
        currency: &str,
        amount: i64,
        recurring: Option<Recurring>,
    ) -> String {
        let app = self;
        let org = &app.demo.organization_id;
        let model = app
            .store
            .default_pricing_model(org, livemode, &new_id("pricing_model"))
            .await
            .unwrap()
            .id;
        let product_id = new_id("prod");
        app.store
            .insert_product(&NewProduct {
                id: &product_id,
                organization_id: org,
                livemode,
                pricing_model_id: &model,
                name: "Extra",
                description: None,
                image_url: None,
                slug: &product_id,
                is_default: false,
                singular_quantity_label: None,
                plural_quantity_label: None,
                active: true,
            })
            .await
            .unwrap();
        let id = new_id("price");
        app.store
            .insert_price(&NewPrice {
                id: &id,
                organization_id: org,
                livemode,
                pricing_model_id: &model,
                product_id: &product_id,
                name: None,
                slug: None,
                price_type: if recurring.is_some() {
                    PriceType::Subscription
                } else {
                    PriceType::SinglePayment
                },
                unit_amount: amount,
                currency,
                recurring,
                trial_period_days: None,
                is_default: false,
                active: true,
            })
            .await
            .unwrap();
        id
    }

    /// The id of the demo organization's price with this slug.
    pub fn price_id(&self, slug: &str) -> String {
        let price = self.demo.prices.iter().find(|p| p.slug == slug);
        price
            .unwrap_or_else(|| panic!("no demo price {slug}"))
            .id
            .clone()
    }

    /// A subscription to the demo's monthly club (test mode) for `customer_id` of `organization_id`,
    /// with `status`, written straight to the store; returns its id.
    pub async fn monthly_subscription(
        &self,
        organization_id: &str,
        customer_id: &str,
        status: &str,
    ) -> String {
        let price_id = self.price_id("coffee-club-monthly");
        let price = self
            .store
            .price(&self.demo.organization_id, false, &price_id)
            .await
            .unwrap()
            .expect("the demo's monthly price");
        let id = kassa::service::ids::new_id("sub");
        self.store
            .insert_subscription(&kassa::store::NewSubscription {
                id: &id,
                organization_id,
                livemode: false,
                customer_id,
                price_id: &price_id,
                quantity: 1,
                status,
                name: None,
                item_id: &kassa::service::ids::new_id("si"),
                unit_amount: price.unit_amount,
                currency: &price.currency,
            })
            .await
            .unwrap();
        id
    }

    /// A subscription bought with `line_items` on a checkout paid with the 4242 card (by
    /// buyer@example.com): the session's id and the subscription's.
    pub async fn subscribe(&self, line_items: serde_json::Value) -> (String, String) {
        let session = self
            .create_session(&serde_json::json!({ "line_items": line_items }))
            .await;
        self.pay_by_card(&session).await;
        let subscription = self
            .store
            .session_by_id(&session)
            .await
            .unwrap()
            .unwrap()
            .subscription_id
            .expect("a paid subscription session");
        (session, subscription)
    }

    /// A paid subscription to the demo's monthly club: the session's id and the subscription's.
    pub async fn subscribe_monthly(&self) -> (String, String) {
        let club = self.price_id("coffee-club-monthly");
        self.subscribe(serde_json::json!([{ "price": club }])).await
    }

    /// Saves the card `number` as the default of subscription `sub`, as its buyer does on a
    /// checkout that adds a payment method.
    pub async fn save_card_for(&self, sub: &str, number: &str) {
        let (_, subscription) = self
            .api_get(&self.demo.secret_key, &format!("/api/subscriptions/{sub}"))
            .await;
        let customer = subscription["customer"].as_str().expect("a customer");
        let session = self
            .create_session(&serde_json::json!({
                "type": "add_payment_method", "customer": customer, "target_subscription": sub,
            }))
            .await;
        let mut fields = card(&session, number);
        fields.retain(|(k, _)| k != "email");
        let (status, body) = confirm(self, &fields).await;
        assert_eq!(status, 200, "{body}");
    }

    /// Creates a checkout session through kassa's own API with the demo key; returns its id.
    pub async fn create_session(&self, body: &serde_json::Value) -> String {
        create_session_at(&self.client, &self.address, &self.demo.secret_key, body).await
    }

    /// Makes a customer through Flowglad's API (`{external_id}@example.com`, named Grace) and
    /// returns kassa's id for it.
    pub async fn customer(&self, external_id: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/v1/customers"))
            .header("authorization", &self.demo.secret_key)
            .json(&serde_json::json!({ "customer": {
                "email": format!("{external_id}@example.com"), "name": "Grace", "externalId": external_id,
            } }))
            .send()
            .await
            .unwrap();
        let body: serde_json::Value = response.json().await.unwrap();
        body["data"]["customer"]["id"].as_str().unwrap().to_owned()
    }

    /// An anonymous payment session for `quantity` of `price`, made through Flowglad's API: its id.
    pub async fn flowglad_session(&self, price: &str, quantity: i64) -> String {
        let body: serde_json::Value = self
            .client
            .post(self.url("/api/v1/checkout-sessions"))
            .bearer_auth(&self.demo.secret_key)
            .json(&serde_json::json!({ "checkoutSession": {
                "type": "product", "priceId": price, "quantity": quantity, "anonymous": true,
                "successUrl": "https://shop.example/thanks", "cancelUrl": "https://shop.example/cart",
            } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["checkoutSession"]["id"].as_str().unwrap().to_owned()
    }

    /// A payment session for `quantity` of `price`, made through Connhex Pay's API: its id.
    pub async fn connhex_session(&self, price: &str, quantity: i64) -> String {
        let body: serde_json::Value = self
            .client
            .post(self.url("/checkout/session"))
            .bearer_auth(&self.demo.secret_key)
            .json(&serde_json::json!({ "mode": "payment", "success_url": "https://shop.example/thanks",
                                       "line_items": [{ "price": price, "quantity": quantity }] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let url = body["url"]
            .as_str()
            .unwrap_or_else(|| panic!("created: {body}"));
        url.rsplit('/').next().unwrap().to_owned()
    }

    /// Makes another organization (signed up as the dashboard does) and returns its test key.
    pub async fn other_organization(&self, email: &str) -> String {
        let (_, secret) = kassa::service::accounts::sign_up(
            &self.store,
            email,
            "correct horse battery",
            "Other Org",
        )
        .await
        .unwrap();
        secret.expose().to_owned()
    }

    /// Pays a session with the 4242 test card through the confirm endpoint, as the checkout
    /// page does.
    pub async fn pay_by_card(&self, session_id: &str) {
        pay_by_card_at(&self.client, &self.address, session_id).await;
    }

    /// Stops the server gracefully and hands over the database, for a kassa process to open.
    pub async fn stop_keeping_database(self) -> (DemoReport, TestDb) {
        let _ = self.shutdown.send(());
        self.server.await.expect("the server task ends cleanly");
        let violations = self.violations.lock().unwrap().clone();
        assert!(violations.is_empty(), "{}", violations.join("\n"));
        (self.demo, self.db)
    }

    /// Stops kassa and drops its database; fails the test if any answer of kassa's own API was
    /// not what its OpenAPI document says.
    pub async fn stop(self) {
        let _ = self.shutdown.send(());
        self.server.await.expect("the server task ends cleanly");
        self.db.drop_db().await;
        let violations = self.violations.lock().unwrap().clone();
        assert!(
            violations.is_empty(),
            "answers of kassa's own API that /api/openapi.json does not allow:\n{}",
            violations.join("\n")
        );
    }
}

/// Creates a checkout session through the kassa at `base` with `key`; returns its id.
pub async fn create_session_at(
    client: &reqwest::Client,
    base: &str,
    key: &str,
    body: &serde_json::Value,
) -> String {
    let response = client
        .post(format!("{base}/api/checkout-sessions"))
        .bearer_auth(key)
        .json(body)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    body["id"]
        .as_str()
        .unwrap_or_else(|| panic!("created: {body}"))
        .to_owned()
}

/// Pays a session of the kassa at `base` with the 4242 test card, as the checkout page does.
pub async fn pay_by_card_at(client: &reqwest::Client, base: &str, session_id: &str) {
    let response = client
        .post(format!("{base}/api/checkout/confirm"))
        .header("accept", "application/json")
        .form(&[
            ("session_id", session_id),
            ("email", "buyer@example.com"),
            ("country", "US"),
            ("postal_code", "94107"),
            ("payment_method_type", "card"),
            ("card_number", "4242424242424242"),
            ("card_exp", "12/34"),
            ("card_cvc", "123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

/// The checkout form as the page posts it, paying `session` with the card `number`.
pub fn card(session: &str, number: &str) -> Vec<(String, String)> {
    [
        ("session_id", session),
        ("email", "ada@example.com"),
        ("name", "Ada Lovelace"),
        ("country", "US"),
        ("postal_code", "94107"),
        ("payment_method_type", "card"),
        ("card_number", number),
        ("card_exp", "12 / 34"),
        ("card_cvc", "123"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Adds `fields` to a form as the page posts it.
pub fn with_fields(form: &mut Vec<(String, String)>, fields: &[(&str, &str)]) {
    form.extend(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
}

/// Posts the form as the page's script does; never a 5xx.
pub async fn confirm(app: &TestApp, fields: &[(String, String)]) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/checkout/confirm"))
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    assert!(status < 500, "a {status} is a bug: {text}");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
