//! A Stripe API double: an axum server that speaks Stripe's wire format and keeps its state in
//! memory, so that kassa's Stripe processor can be tested here, where no network reaches Stripe.
//! Tests start it in-process ([`StripeDouble::start`]); Playwright starts the `stripe_double`
//! example, which prints its base URL as one JSON line.
//!
//! It is meant to be strict where a client can go wrong against the real Stripe: form bodies with
//! brackets, unknown parameters refused, `Idempotency-Key` replays and refusals, test and live mode
//! kept apart, card errors as 402 with the intent in the envelope, 3-D Secure as a redirect to a
//! bank page and back to `return_url`, bank debits that stay `processing` until they settle, and
//! signed webhooks (Stripe's `t=…,v1=…` scheme) delivered in order with retries. Every object it
//! answers is one of Stripe's published example objects (`stripe_fixtures.json`) with its fields
//! overridden, so answers carry all of Stripe's fields.
//!
//! What it leaves out, on purpose: Connect, manual capture, disputes, Checkout, subscriptions and
//! invoices; search syntax other than `metadata['KEY']:'VALUE'` (and search does not lag writes as
//! Stripe's does by up to a minute); idempotency keys never expire (Stripe keeps them 24 hours);
//! refunds succeed at once, bank debits included; charges are minimal objects; `expand` knows only
//! a few fields; no rate limits, Radar or API versions (shapes are those of 2024-06-20); 3-D Secure
//! is always a full-page redirect (never `use_stripe_sdk`); card fingerprints are stable for the
//! life of one double, not across doubles.

#![allow(dead_code)]

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{any, get, post};
use axum::serve::ListenerExt;
use hmac::{Hmac, Mac};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

const API_VERSION: &str = "2024-06-20";
const FIXTURES: &str = include_str!("stripe_fixtures.json");
/// Retries after the first attempt; the waits double from 200 ms.
const WEBHOOK_RETRIES: u32 = 5;
const SUPPORTED_TYPES: [&str; 3] = ["card", "sepa_debit", "us_bank_account"];
const NO_REQUEST: Value = Value::Null;

// ---------------------------------------------------------------------------------------------
// The handle tests hold.
// ---------------------------------------------------------------------------------------------

/// A running double. Dropping it stops the server, the settling and the webhook deliveries.
pub struct StripeDouble {
    pub base_url: String,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

/// One `/v1` request as the double saw it. Nothing of the body is kept: no card number, CVC,
/// IBAN or account number ever reaches this record.
#[derive(Debug, Clone, Serialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub idempotency_key: Option<String>,
    pub status: u16,
    /// Answered from the idempotency store, without executing.
    pub replayed: bool,
    pub request_id: String,
    /// None when the key was refused.
    pub livemode: Option<bool>,
}

impl StripeDouble {
    pub async fn start() -> StripeDouble {
        StripeDouble::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    pub async fn start_on(addr: SocketAddr) -> StripeDouble {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("the Stripe double cannot listen on {addr}: {e}"));
        let local = listener
            .local_addr()
            .expect("a bound listener has an address");
        let base_url = format!("http://{local}");
        let mut fingerprint_key = [0u8; 32];
        rand::rng().fill(&mut fingerprint_key);
        let shared = Arc::new(Shared {
            state: Mutex::new(Inner::new(base_url.clone(), fingerprint_key)),
            idle: Notify::new(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(10))
                .build()
                .expect("a reqwest client builds"),
        });
        let app = router(shared.clone());
        // Without TCP_NODELAY a client reusing its connection waits out the 40 ms delayed ACK on
        // every small answer.
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let sweeper = tokio::spawn(settle_when_due(shared.clone()));
        StripeDouble {
            base_url,
            shared,
            tasks: vec![server, sweeper],
        }
    }

    /// How long bank debits stay `processing` before they settle (1 s unless set). Applies to
    /// intents already processing too.
    pub fn set_settle_delay(&self, d: Duration) {
        self.shared.lock().settle_delay = d;
    }

    /// Makes every `/v1` request take at least this long (after its idempotency key is taken):
    /// for testing timeouts and concurrent retries with one key (409 idempotency_key_in_use).
    pub fn set_latency(&self, d: Duration) {
        self.shared.lock().latency = d;
    }

    /// Accept only these API keys (still by prefix for the mode); any other answers 401, as a
    /// rolled or revoked key does on Stripe. Without a call every well-formed key is accepted.
    pub fn restrict_keys(&self, keys: &[&str]) {
        self.shared.lock().allowed_keys = Some(keys.iter().map(|k| k.to_string()).collect());
    }

    /// Settles every processing intent now, then waits until the webhooks this caused (and any
    /// still queued) are delivered or have used up their retries.
    pub async fn settle_now(&self) {
        self.shared.lock().settle(true);
        self.flush_webhooks().await;
    }

    /// Waits until no webhook delivery is queued or being retried. An endpoint that keeps
    /// failing holds this up for about 6 s (the whole retry schedule).
    pub async fn flush_webhooks(&self) {
        loop {
            // Registered before the check: notify_waiters wakes futures that exist, polled or not.
            let idle = self.shared.idle.notified();
            if self.shared.lock().pending_deliveries == 0 {
                return;
            }
            idle.await;
        }
    }

    /// PaymentIntents of both modes, oldest first.
    pub fn payment_intents(&self) -> Vec<Value> {
        self.shared
            .lock()
            .payment_intents
            .iter()
            .map(|i| i.obj.clone())
            .collect()
    }

    pub fn setup_intents(&self) -> Vec<Value> {
        self.shared
            .lock()
            .setup_intents
            .iter()
            .map(|i| i.obj.clone())
            .collect()
    }

    pub fn payment_methods(&self) -> Vec<Value> {
        self.shared
            .lock()
            .payment_methods
            .iter()
            .map(|pm| pm.obj.clone())
            .collect()
    }

    pub fn customers(&self) -> Vec<Value> {
        self.shared.lock().customers.clone()
    }

    pub fn refunds(&self) -> Vec<Value> {
        self.shared.lock().refunds.clone()
    }

    /// Every event created, oldest first, each with an extra `_deliveries` array: one entry per
    /// attempt (`endpoint`, `url`, `attempt`, `status` or `error`, `at`). `pending_webhooks`
    /// counts the endpoints still waiting for a successful delivery.
    pub fn events(&self) -> Vec<Value> {
        self.shared
            .lock()
            .events
            .iter()
            .map(EventRecord::with_deliveries)
            .collect()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }
}

impl Drop for StripeDouble {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for worker in &self.shared.lock().workers {
            worker.abort();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// State.
// ---------------------------------------------------------------------------------------------

struct Shared {
    state: Mutex<Inner>,
    /// Signalled whenever a webhook delivery finishes.
    idle: Notify,
    http: reqwest::Client,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking test thread must not turn every later request into a second panic.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

struct Inner {
    base_url: String,
    settle_delay: Duration,
    latency: Duration,
    allowed_keys: Option<Vec<String>>,
    fingerprint_key: [u8; 32],
    payment_methods: Vec<PaymentMethod>,
    customers: Vec<Value>,
    payment_intents: Vec<Intent>,
    setup_intents: Vec<Intent>,
    charges: Vec<Charge>,
    refunds: Vec<Value>,
    events: Vec<EventRecord>,
    endpoints: Vec<Endpoint>,
    requests: Vec<RecordedRequest>,
    idempotency: HashMap<(String, String), Idempotent>,
    pending_deliveries: usize,
    workers: Vec<JoinHandle<()>>,
}

/// A payment method and how it behaves. The card number, CVC, IBAN or account number it was
/// made from is gone once `outcome` is decided.
struct PaymentMethod {
    obj: Value,
    outcome: Outcome,
    /// Used by a payment without being attached to a customer: Stripe refuses it afterwards.
    consumed: bool,
    /// Set up for later use (saved by a SetupIntent or `setup_future_usage`): a mandate exists,
    /// and a card that asks for authentication "unless set up" lets off-session payments through.
    set_up: bool,
}

#[derive(Clone, Copy, Debug)]
enum Outcome {
    Succeeds,
    Declines(Decline),
    Authenticates {
        unless_set_up: bool,
    },
    DebitSucceeds,
    DebitFails {
        code: &'static str,
        message: &'static str,
    },
}

#[derive(Clone, Copy, Debug)]
struct Decline {
    code: &'static str,
    decline_code: &'static str,
    message: &'static str,
}

const GENERIC_DECLINE: Decline = Decline {
    code: "card_declined",
    decline_code: "generic_decline",
    message: "Your card was declined.",
};
const INSUFFICIENT_FUNDS: Decline = Decline {
    code: "card_declined",
    decline_code: "insufficient_funds",
    message: "Your card has insufficient funds.",
};
const EXPIRED_CARD: Decline = Decline {
    code: "expired_card",
    decline_code: "expired_card",
    message: "Your card has expired.",
};
const INCORRECT_CVC: Decline = Decline {
    code: "incorrect_cvc",
    decline_code: "incorrect_cvc",
    message: "Your card's security code is incorrect.",
};
const LIVE_CARD_IN_TEST_MODE: Decline = Decline {
    code: "card_declined",
    decline_code: "test_mode_live_card",
    message: "Your card was declined. Your request was in test mode, but used a non test card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
};
const AUTHENTICATION_REQUIRED: Decline = Decline {
    code: "authentication_required",
    decline_code: "authentication_required",
    message: "Your card was declined. This transaction requires authentication.",
};
const AUTHENTICATION_FAILED: &str = "We are unable to authenticate your payment method. Please choose a different payment method and try again.";
const ACCOUNT_INSUFFICIENT_FUNDS: &str =
    "The customer's account has insufficient funds to cover this payment.";
const ACCOUNT_CLOSED: &str = "The customer's bank account has been closed.";
const CONSUMED_PAYMENT_METHOD: &str = "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use a PaymentMethod multiple times, you must attach it to a Customer first.";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Pi,
    Si,
}

impl Kind {
    fn object(self) -> &'static str {
        match self {
            Kind::Pi => "payment_intent",
            Kind::Si => "setup_intent",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Pi => "PaymentIntent",
            Kind::Si => "SetupIntent",
        }
    }
}

struct Intent {
    obj: Value,
    /// Kept apart: Stripe shows it only inside `next_action`.
    return_url: Option<String>,
    processing_since: Option<Instant>,
}

impl Intent {
    fn id(&self) -> &str {
        self.obj["id"].as_str().unwrap_or_default()
    }

    fn status(&self) -> &str {
        self.obj["status"].as_str().unwrap_or_default()
    }
}

struct Charge {
    id: String,
    livemode: bool,
    created: i64,
    amount: i64,
    amount_refunded: i64,
    currency: String,
    payment_intent: String,
    customer: Value,
    payment_method: Value,
    status: &'static str,
    failure_code: Value,
    failure_message: Value,
}

impl Charge {
    fn to_value(&self) -> Value {
        let succeeded = self.status == "succeeded";
        json!({
            "id": self.id,
            "object": "charge",
            "amount": self.amount,
            "amount_captured": if succeeded { self.amount } else { 0 },
            "amount_refunded": self.amount_refunded,
            "captured": succeeded,
            "created": self.created,
            "currency": self.currency,
            "customer": self.customer,
            "failure_code": self.failure_code,
            "failure_message": self.failure_message,
            "livemode": self.livemode,
            "paid": succeeded,
            "payment_intent": self.payment_intent,
            "payment_method": self.payment_method,
            "refunded": succeeded && self.amount_refunded >= self.amount,
            "status": self.status,
        })
    }
}

struct EventRecord {
    obj: Value,
    deliveries: Vec<Value>,
}

impl EventRecord {
    fn with_deliveries(&self) -> Value {
        let mut event = self.obj.clone();
        event["_deliveries"] = Value::Array(self.deliveries.clone());
        event
    }
}

struct Endpoint {
    /// Without the secret, which Stripe shows only when the endpoint is created.
    obj: Value,
    secret: String,
    queue: mpsc::UnboundedSender<Delivery>,
}

struct Delivery {
    event_id: String,
    endpoint_id: String,
    url: String,
    secret: String,
    body: String,
}

struct Idempotent {
    method: String,
    path: String,
    /// A digest of the parameters, so that card numbers are not kept to compare retries.
    digest: String,
    /// None while the first request is still executing.
    result: Option<StoredResult>,
}

struct StoredResult {
    status: StatusCode,
    body: Value,
    request_id: String,
}

/// Who is asking: the key's mode and, for the events it causes, `{id, idempotency_key}`.
struct Ctx {
    livemode: bool,
    method: Method,
    path: String,
    request: Value,
}

impl Inner {
    fn new(base_url: String, fingerprint_key: [u8; 32]) -> Inner {
        Inner {
            base_url,
            settle_delay: Duration::from_secs(1),
            latency: Duration::ZERO,
            allowed_keys: None,
            fingerprint_key,
            payment_methods: Vec::new(),
            customers: Vec::new(),
            payment_intents: Vec::new(),
            setup_intents: Vec::new(),
            charges: Vec::new(),
            refunds: Vec::new(),
            events: Vec::new(),
            endpoints: Vec::new(),
            requests: Vec::new(),
            idempotency: HashMap::new(),
            pending_deliveries: 0,
            workers: Vec::new(),
        }
    }

    fn intents(&self, kind: Kind) -> &Vec<Intent> {
        match kind {
            Kind::Pi => &self.payment_intents,
            Kind::Si => &self.setup_intents,
        }
    }

    fn intents_mut(&mut self, kind: Kind) -> &mut Vec<Intent> {
        match kind {
            Kind::Pi => &mut self.payment_intents,
            Kind::Si => &mut self.setup_intents,
        }
    }

    fn state(&self) -> Value {
        json!({
            "payment_intents": self.payment_intents.iter().map(|i| &i.obj).collect::<Vec<_>>(),
            "setup_intents": self.setup_intents.iter().map(|i| &i.obj).collect::<Vec<_>>(),
            "payment_methods": self.payment_methods.iter().map(|pm| &pm.obj).collect::<Vec<_>>(),
            "customers": self.customers,
            "charges": self.charges.iter().map(Charge::to_value).collect::<Vec<_>>(),
            "refunds": self.refunds,
            "webhook_endpoints": self.endpoints.iter().map(|e| &e.obj).collect::<Vec<_>>(),
            "events": self.events.iter().map(EventRecord::with_deliveries).collect::<Vec<_>>(),
            "requests": self.requests,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Small helpers: ids, time, templates.
// ---------------------------------------------------------------------------------------------

fn random_alphanumeric(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", random_alphanumeric(24))
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// (year, month) today, in UTC: enough to tell an expired card.
fn current_year_month() -> (i64, i64) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = unix_now().div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month)
}

/// Stripe's example object of this resource, parsed once.
fn template(name: &str) -> Value {
    static PARSED: OnceLock<Value> = OnceLock::new();
    let fixtures = PARSED.get_or_init(|| {
        serde_json::from_str(FIXTURES).expect("stripe_fixtures.json is valid JSON")
    });
    let object = fixtures[name].clone();
    assert!(object.is_object(), "stripe_fixtures.json has no {name}");
    object
}

fn overlay(mut base: Value, fields: Value) -> Value {
    if let (Some(base), Value::Object(fields)) = (base.as_object_mut(), fields) {
        for (key, value) in fields {
            base.insert(key, value);
        }
    }
    base
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// Stripe's `v1` webhook signature: hex HMAC-SHA256 over `{t}.{body}` with the whole secret.
pub fn webhook_signature(secret: &str, timestamp: i64, body: &str) -> String {
    hex::encode(hmac_sha256(
        secret.as_bytes(),
        format!("{timestamp}.{body}").as_bytes(),
    ))
}

impl Inner {
    /// 16 characters like Stripe's, the same for the same number within this double, and keyed
    /// with a secret so that it cannot be reversed by trying the few test numbers.
    fn fingerprint(&self, material: &str) -> String {
        const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        hmac_sha256(&self.fingerprint_key, material.as_bytes())
            .iter()
            .take(16)
            .map(|b| BASE62[usize::from(*b) % 62] as char)
            .collect()
    }
}

fn format_amount(amount: i64, currency: &str) -> String {
    const ZERO_DECIMAL: [&str; 16] = [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
        "xaf", "xof", "xpf",
    ];
    let code = currency.to_ascii_uppercase();
    if ZERO_DECIMAL.contains(&currency) {
        format!("{amount} {code}")
    } else {
        format!("{}.{:02} {code}", amount / 100, amount % 100)
    }
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

// ---------------------------------------------------------------------------------------------
// Errors in Stripe's envelope.
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    error: Map<String, Value>,
    /// Whether an idempotency key keeps this answer. Stripe keeps the result once the endpoint
    /// began executing (card errors, state errors), not when parameters failed validation.
    stored: bool,
}

impl ApiError {
    fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> ApiError {
        let mut error = Map::new();
        error.insert("type".into(), kind.into());
        error.insert("message".into(), Value::String(message.into()));
        ApiError {
            status,
            error,
            stored: false,
        }
    }

    /// A parameter failed validation: 400, never stored under an idempotency key.
    fn invalid(param: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message).param(param)
    }

    fn missing(param: &str) -> ApiError {
        ApiError::invalid(param, format!("Missing required param: {param}."))
            .code("parameter_missing")
    }

    /// The request executed and ran into the object's state: 400, stored.
    fn state(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
            .code(code)
            .stored()
    }

    /// A card error raised while creating a payment method (the number, expiry or CVC).
    fn card(code: &str, param: &str, message: &str) -> ApiError {
        ApiError::new(StatusCode::PAYMENT_REQUIRED, "card_error", message)
            .code(code)
            .param(param)
            .stored()
    }

    /// A payment failure: the envelope is the intent's `last_payment_error` / `last_setup_error`.
    fn payment_failed(error: &Value) -> ApiError {
        ApiError {
            status: StatusCode::PAYMENT_REQUIRED,
            error: error.as_object().cloned().unwrap_or_default(),
            stored: true,
        }
    }

    /// `asked_live` is Some when the object exists in the other mode than the key's.
    fn no_such(
        status: StatusCode,
        what: &str,
        id: &str,
        param: &str,
        asked_live: Option<bool>,
    ) -> ApiError {
        let mut message = format!("No such {what}: '{id}'");
        match asked_live {
            Some(true) => message.push_str(
                "; a similar object exists in test mode, but a live mode key was used to make this request.",
            ),
            Some(false) => message.push_str(
                "; a similar object exists in live mode, but a test mode key was used to make this request.",
            ),
            None => {}
        }
        ApiError::new(status, "invalid_request_error", message)
            .code("resource_missing")
            .param(param)
    }

    fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_request_error", message)
    }

    fn idempotency(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError::new(status, "idempotency_error", message)
    }

    fn code(mut self, code: &str) -> ApiError {
        self.error.insert("code".into(), code.into());
        self.error.insert(
            "doc_url".into(),
            format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            )
            .into(),
        );
        self
    }

    fn param(mut self, param: &str) -> ApiError {
        self.error.insert("param".into(), param.into());
        self
    }

    fn with(mut self, key: &str, value: Value) -> ApiError {
        self.error.insert(key.into(), value);
        self
    }

    fn stored(mut self) -> ApiError {
        self.stored = true;
        self
    }

    fn body(&self) -> Value {
        json!({ "error": self.error })
    }
}

/// A payment failure as Stripe puts it in `last_payment_error`, `last_setup_error` and the 402.
fn payment_error(
    code: &str,
    decline_code: Option<&str>,
    message: &str,
    charge: Option<&str>,
    payment_method: &Value,
) -> Value {
    let mut error = json!({
        "type": "card_error",
        "code": code,
        "doc_url": format!("https://stripe.com/docs/error-codes/{}", code.replace('_', "-")),
        "message": message,
        "payment_method": payment_method,
        "payment_method_type": payment_method["type"],
    });
    if let Some(decline_code) = decline_code {
        error["decline_code"] = decline_code.into();
    }
    if let Some(charge) = charge {
        error["charge"] = charge.into();
    }
    error
}

enum Found {
    Here(usize),
    /// Only the other mode has it; true when the asking key is live.
    InOtherMode(bool),
    Nowhere,
}

fn locate<'a>(objects: impl Iterator<Item = &'a Value>, livemode: bool, id: &str) -> Found {
    let mut elsewhere = None;
    for (index, object) in objects.enumerate() {
        if object["id"] == id {
            if object["livemode"] == livemode {
                return Found::Here(index);
            }
            elsewhere = object["livemode"].as_bool();
        }
    }
    match elsewhere {
        Some(other) => Found::InOtherMode(!other),
        None => Found::Nowhere,
    }
}

fn require(
    found: Found,
    status: StatusCode,
    what: &str,
    id: &str,
    param: &str,
) -> Result<usize, ApiError> {
    match found {
        Found::Here(index) => Ok(index),
        Found::InOtherMode(asked_live) => {
            Err(ApiError::no_such(status, what, id, param, Some(asked_live)))
        }
        Found::Nowhere => Err(ApiError::no_such(status, what, id, param, None)),
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters: Stripe's bracketed forms, parsed by serde_qs, checked against each endpoint's shape.
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Shape {
    Str,
    List,
    Meta,
    Obj(&'static [(&'static str, Shape)]),
}

use Shape::{List, Meta, Obj, Str};

const ADDRESS: Shape = Obj(&[
    ("city", Str),
    ("country", Str),
    ("line1", Str),
    ("line2", Str),
    ("postal_code", Str),
    ("state", Str),
]);
const BILLING_DETAILS: Shape = Obj(&[
    ("address", ADDRESS),
    ("email", Str),
    ("name", Str),
    ("phone", Str),
]);
const MANDATE_DATA: Shape = Obj(&[(
    "customer_acceptance",
    Obj(&[
        ("type", Str),
        ("accepted_at", Str),
        ("online", Obj(&[("ip_address", Str), ("user_agent", Str)])),
        ("offline", Obj(&[])),
    ]),
)]);
const AUTOMATIC_PAYMENT_METHODS: Shape = Obj(&[("enabled", Str), ("allow_redirects", Str)]);

type Spec = &'static [(&'static str, Shape)];

const PM_CREATE: Spec = &[
    ("type", Str),
    (
        "card",
        Obj(&[
            ("number", Str),
            ("exp_month", Str),
            ("exp_year", Str),
            ("cvc", Str),
        ]),
    ),
    ("sepa_debit", Obj(&[("iban", Str)])),
    (
        "us_bank_account",
        Obj(&[
            ("routing_number", Str),
            ("account_number", Str),
            ("account_holder_type", Str),
            ("account_type", Str),
        ]),
    ),
    ("billing_details", BILLING_DETAILS),
    ("metadata", Meta),
    ("expand", List),
];
const PM_ATTACH: Spec = &[("customer", Str), ("expand", List)];
const CUSTOMER_CREATE: Spec = &[
    ("email", Str),
    ("name", Str),
    ("description", Str),
    ("phone", Str),
    ("address", ADDRESS),
    ("metadata", Meta),
    ("expand", List),
];
const PI_CREATE: Spec = &[
    ("amount", Str),
    ("currency", Str),
    ("payment_method", Str),
    ("customer", Str),
    ("confirm", Str),
    ("off_session", Str),
    ("setup_future_usage", Str),
    ("payment_method_types", List),
    ("automatic_payment_methods", AUTOMATIC_PAYMENT_METHODS),
    ("return_url", Str),
    ("metadata", Meta),
    ("description", Str),
    ("receipt_email", Str),
    ("statement_descriptor", Str),
    ("statement_descriptor_suffix", Str),
    ("mandate_data", MANDATE_DATA),
    ("expand", List),
];
const PI_UPDATE: Spec = &[
    ("amount", Str),
    ("currency", Str),
    ("payment_method", Str),
    ("customer", Str),
    ("setup_future_usage", Str),
    ("payment_method_types", List),
    ("metadata", Meta),
    ("description", Str),
    ("receipt_email", Str),
    ("statement_descriptor", Str),
    ("statement_descriptor_suffix", Str),
    ("expand", List),
];
const PI_CONFIRM: Spec = &[
    ("payment_method", Str),
    ("return_url", Str),
    ("mandate_data", MANDATE_DATA),
    ("off_session", Str),
    ("setup_future_usage", Str),
    ("receipt_email", Str),
    ("expand", List),
];
const SI_CREATE: Spec = &[
    ("payment_method", Str),
    ("customer", Str),
    ("confirm", Str),
    ("usage", Str),
    ("payment_method_types", List),
    ("automatic_payment_methods", AUTOMATIC_PAYMENT_METHODS),
    ("return_url", Str),
    ("metadata", Meta),
    ("description", Str),
    ("mandate_data", MANDATE_DATA),
    ("expand", List),
];
const SI_CONFIRM: Spec = &[
    ("payment_method", Str),
    ("return_url", Str),
    ("mandate_data", MANDATE_DATA),
    ("expand", List),
];
const CANCEL: Spec = &[("cancellation_reason", Str), ("expand", List)];
const REFUND_CREATE: Spec = &[
    ("payment_intent", Str),
    ("charge", Str),
    ("amount", Str),
    ("reason", Str),
    ("metadata", Meta),
    ("expand", List),
];
const ENDPOINT_CREATE: Spec = &[
    ("url", Str),
    ("enabled_events", List),
    ("description", Str),
    ("metadata", Meta),
    ("api_version", Str),
    ("expand", List),
];
const RETRIEVE: Spec = &[("expand", List)];
const LIST: Spec = &[("limit", Str), ("starting_after", Str), ("expand", List)];
const INTENT_LIST: Spec = &[
    ("customer", Str),
    ("payment_method", Str),
    ("limit", Str),
    ("starting_after", Str),
    ("expand", List),
];
const EVENT_LIST: Spec = &[
    ("type", Str),
    ("limit", Str),
    ("starting_after", Str),
    ("expand", List),
];
const SEARCH: Spec = &[
    ("query", Str),
    ("limit", Str),
    ("page", Str),
    ("expand", List),
];

fn check_map(map: &Map<String, Value>, spec: Spec, prefix: Option<&str>) -> Result<(), ApiError> {
    for (key, value) in map {
        let name = match prefix {
            Some(prefix) => format!("{prefix}[{key}]"),
            None => key.clone(),
        };
        let Some((_, shape)) = spec.iter().find(|(allowed, _)| *allowed == key.as_str()) else {
            return Err(
                ApiError::invalid(&name, format!("Received unknown parameter: {name}"))
                    .code("parameter_unknown"),
            );
        };
        check_value(value, *shape, &name)?;
    }
    Ok(())
}

fn check_value(value: &Value, shape: Shape, name: &str) -> Result<(), ApiError> {
    match (shape, value) {
        (Str, Value::String(_)) => Ok(()),
        (List, Value::Array(items)) if items.iter().all(Value::is_string) => Ok(()),
        // `metadata=` clears, `offline=` is an empty hash: an empty string stands for "nothing".
        (List | Meta | Obj(_), Value::String(s)) if s.is_empty() => Ok(()),
        (Meta, Value::Object(entries)) => {
            for (key, value) in entries {
                if !value.is_string() {
                    return Err(ApiError::invalid(
                        &format!("{name}[{key}]"),
                        format!(
                            "Invalid value for {name}[{key}]: metadata values must be strings."
                        ),
                    ));
                }
            }
            Ok(())
        }
        (Obj(spec), Value::Object(map)) => check_map(map, spec, Some(name)),
        (Str, _) => Err(ApiError::invalid(name, format!("Invalid string: {name}"))),
        (List, _) => Err(ApiError::invalid(name, format!("Invalid array: {name}"))),
        (Meta | Obj(_), _) => Err(ApiError::invalid(name, format!("Invalid hash: {name}"))),
    }
}

/// A form or query string, decoded.
struct Params(Map<String, Value>);

fn param_name(path: &[&str]) -> String {
    let mut name = path[0].to_string();
    for part in &path[1..] {
        name.push('[');
        name.push_str(part);
        name.push(']');
    }
    name
}

impl Params {
    fn parse(raw: &[u8]) -> Result<Params, ApiError> {
        if raw.is_empty() {
            return Ok(Params(Map::new()));
        }
        // Non-strict, so that percent-encoded brackets (what most form encoders send) nest too.
        serde_qs::Config::new(5, false)
            .deserialize_bytes::<BTreeMap<String, Value>>(raw)
            .map(|map| Params(map.into_iter().collect()))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_request_error",
                    format!("Invalid request: the parameters could not be parsed ({e})."),
                )
            })
    }

    fn check(&self, spec: Spec) -> Result<(), ApiError> {
        check_map(&self.0, spec, None)
    }

    fn value(&self, path: &[&str]) -> Option<&Value> {
        let mut value = self.0.get(path[0])?;
        for key in &path[1..] {
            value = value.get(key)?;
        }
        Some(value)
    }

    fn is_set(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Stripe reads an empty value as "not given".
    fn str(&self, path: &[&str]) -> Option<&str> {
        self.value(path)?.as_str().filter(|s| !s.is_empty())
    }

    fn required(&self, path: &[&str]) -> Result<&str, ApiError> {
        self.str(path)
            .ok_or_else(|| ApiError::missing(&param_name(path)))
    }

    fn int(&self, path: &[&str]) -> Result<Option<i64>, ApiError> {
        let Some(raw) = self.str(path) else {
            return Ok(None);
        };
        raw.trim().parse::<i64>().map(Some).map_err(|_| {
            ApiError::invalid(&param_name(path), format!("Invalid integer: {raw}"))
                .code("parameter_invalid_integer")
        })
    }

    fn bool(&self, path: &[&str]) -> Result<Option<bool>, ApiError> {
        match self.str(path) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::invalid(
                &param_name(path),
                format!("Invalid boolean: {other}"),
            )),
        }
    }

    fn list(&self, key: &str) -> Option<Vec<String>> {
        match self.0.get(key)? {
            Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
            ),
            _ => Some(Vec::new()),
        }
    }

    /// `metadata[...]` on a create: empty values are skipped, as Stripe does.
    fn metadata(&self) -> Result<Map<String, Value>, ApiError> {
        Ok(self
            .metadata_changes()?
            .into_iter()
            .filter(|(_, value)| !value.is_null())
            .collect())
    }

    /// `metadata[...]` on an update: an empty value (null here) deletes its key.
    fn metadata_changes(&self) -> Result<Map<String, Value>, ApiError> {
        let Some(Value::Object(entries)) = self.0.get("metadata") else {
            return Ok(Map::new());
        };
        if entries.len() > 50 {
            return Err(ApiError::invalid(
                "metadata",
                "Invalid metadata: metadata can have up to 50 keys.",
            ));
        }
        let mut out = Map::new();
        for (key, value) in entries {
            let value = value.as_str().unwrap_or_default();
            if key.chars().count() > 40 {
                return Err(ApiError::invalid(
                    &format!("metadata[{key}]"),
                    "Invalid metadata: keys can be up to 40 characters long.",
                ));
            }
            if value.chars().count() > 500 {
                return Err(ApiError::invalid(
                    &format!("metadata[{key}]"),
                    "Invalid metadata: values can be up to 500 characters long.",
                ));
            }
            let value = if value.is_empty() {
                Value::Null
            } else {
                value.into()
            };
            out.insert(key.clone(), value);
        }
        Ok(out)
    }

    fn expand(&self) -> Result<Vec<String>, ApiError> {
        const EXPANDABLE: [&str; 5] = [
            "payment_method",
            "latest_charge",
            "customer",
            "payment_intent",
            "charge",
        ];
        let expand = self.list("expand").unwrap_or_default();
        for path in &expand {
            let field = path.strip_prefix("data.").unwrap_or(path);
            if !EXPANDABLE.contains(&field) {
                return Err(ApiError::invalid(
                    "expand",
                    format!(
                        "This property cannot be expanded ({path}). The Stripe double expands only {}.",
                        EXPANDABLE.join(", ")
                    ),
                ));
            }
        }
        Ok(expand)
    }

    /// A stable digest of the parameters, whatever their order on the wire.
    fn digest(&self) -> String {
        fn canonical(value: &Value, out: &mut String) {
            match value {
                Value::Object(map) => {
                    let mut keys: Vec<&String> = map.keys().collect();
                    keys.sort();
                    out.push('{');
                    for key in keys {
                        out.push_str(&Value::String(key.clone()).to_string());
                        out.push(':');
                        canonical(&map[key.as_str()], out);
                        out.push(',');
                    }
                    out.push('}');
                }
                Value::Array(items) => {
                    out.push('[');
                    for item in items {
                        canonical(item, out);
                        out.push(',');
                    }
                    out.push(']');
                }
                other => out.push_str(&other.to_string()),
            }
        }
        let mut out = String::new();
        canonical(&Value::Object(self.0.clone()), &mut out);
        hex::encode(Sha256::digest(out.as_bytes()))
    }
}

fn amount_param(p: &Params) -> Result<Option<i64>, ApiError> {
    let Some(amount) = p.int(&["amount"])? else {
        return Ok(None);
    };
    if amount < 1 {
        return Err(
            ApiError::invalid("amount", "This value must be greater than or equal to 1.")
                .code("amount_too_small"),
        );
    }
    if amount > 99_999_999 {
        return Err(ApiError::invalid(
            "amount",
            "Amount must be no more than 99999999 in the currency's smallest unit.",
        )
        .code("amount_too_large"));
    }
    Ok(Some(amount))
}

fn currency_param(p: &Params) -> Result<Option<String>, ApiError> {
    match p.str(&["currency"]) {
        None => Ok(None),
        Some(c) if c.len() == 3 && c.chars().all(|c| c.is_ascii_alphabetic()) => {
            Ok(Some(c.to_ascii_lowercase()))
        }
        Some(c) => Err(ApiError::invalid(
            "currency",
            format!("Invalid currency: {c}. Currencies are three-letter ISO codes, e.g. usd."),
        )),
    }
}

fn one_of<'a>(p: &'a Params, key: &str, allowed: &[&str]) -> Result<Option<&'a str>, ApiError> {
    match p.str(&[key]) {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v)),
        Some(v) => Err(ApiError::invalid(
            key,
            format!(
                "Invalid {key}: must be one of {} (got {v}).",
                allowed.join(", ")
            ),
        )),
    }
}

/// `payment_method_types[]` (default `["card"]`), or all the double's types with
/// `automatic_payment_methods[enabled]=true`.
fn types_param(p: &Params) -> Result<(Vec<String>, bool), ApiError> {
    let automatic = p
        .bool(&["automatic_payment_methods", "enabled"])?
        .unwrap_or(false);
    match p.list("payment_method_types").filter(|t| !t.is_empty()) {
        Some(_) if automatic => Err(ApiError::invalid(
            "automatic_payment_methods",
            "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
        )),
        Some(types) => {
            for t in &types {
                if !SUPPORTED_TYPES.contains(&t.as_str()) {
                    return Err(ApiError::invalid(
                        "payment_method_types",
                        format!(
                            "The payment method type \"{t}\" is invalid. The Stripe double supports: {}.",
                            SUPPORTED_TYPES.join(", ")
                        ),
                    ));
                }
            }
            Ok((types, false))
        }
        None if automatic => Ok((SUPPORTED_TYPES.map(String::from).to_vec(), true)),
        None => Ok((vec!["card".to_string()], false)),
    }
}

fn return_url_param(p: &Params) -> Result<Option<String>, ApiError> {
    match p.str(&["return_url"]) {
        None => Ok(None),
        Some(raw) => match url::Url::parse(raw) {
            Ok(_) => Ok(Some(raw.to_string())),
            Err(_) => Err(ApiError::invalid(
                "return_url",
                format!("Not a valid URL: {raw}"),
            )),
        },
    }
}

/// Bank debits need the customer's acceptance of the mandate when they are confirmed.
fn check_mandate(p: &Params) -> Result<(), ApiError> {
    if !p.is_set("mandate_data") {
        return Err(ApiError::invalid(
            "mandate_data",
            "Missing required param: mandate_data. A sepa_debit or us_bank_account payment method needs mandate_data[customer_acceptance] when it is confirmed.",
        )
        .code("parameter_missing"));
    }
    let acceptance = ["mandate_data", "customer_acceptance"];
    match p.required(&[acceptance[0], acceptance[1], "type"])? {
        "online" => {
            p.required(&[acceptance[0], acceptance[1], "online", "ip_address"])?;
            p.required(&[acceptance[0], acceptance[1], "online", "user_agent"])?;
            Ok(())
        }
        "offline" => Ok(()),
        other => Err(ApiError::invalid(
            "mandate_data[customer_acceptance][type]",
            format!(
                "Invalid mandate_data[customer_acceptance][type]: must be one of online, offline (got {other})."
            ),
        )),
    }
}

fn limit_param(p: &Params) -> Result<usize, ApiError> {
    match p.int(&["limit"])? {
        None => Ok(10),
        Some(n) if (1..=100).contains(&n) => Ok(n as usize),
        Some(n) => Err(ApiError::invalid(
            "limit",
            format!("Invalid limit: must be between 1 and 100 (got {n})."),
        )),
    }
}

/// Stripe's list envelope over objects already sorted newest first.
fn list_page(url: &str, items: Vec<Value>, p: &Params) -> Result<Value, ApiError> {
    let limit = limit_param(p)?;
    let start = match p.str(&["starting_after"]) {
        None => 0,
        Some(id) => items
            .iter()
            .position(|item| item["id"] == id)
            .map(|i| i + 1)
            .ok_or_else(|| {
                ApiError::invalid("starting_after", format!("No such object: '{id}'"))
                    .code("resource_missing")
            })?,
    };
    let rest: Vec<Value> = items.into_iter().skip(start).collect();
    let has_more = rest.len() > limit;
    Ok(json!({
        "object": "list",
        "data": rest.into_iter().take(limit).collect::<Vec<_>>(),
        "has_more": has_more,
        "url": url,
    }))
}

/// `metadata['KEY']:'VALUE'` (either quote): the one search form kassa needs.
fn parse_metadata_query(query: &str) -> Option<(String, String)> {
    fn quoted(s: &str) -> Option<(&str, &str)> {
        let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
        let inner = &s[1..];
        let end = inner.find(quote)?;
        Some((&inner[..end], &inner[end + 1..]))
    }
    let rest = query.trim().strip_prefix("metadata[")?;
    let (key, rest) = quoted(rest)?;
    let rest = rest.strip_prefix("]:")?;
    let (value, rest) = quoted(rest)?;
    rest.trim()
        .is_empty()
        .then(|| (key.to_string(), value.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Validation of card numbers, IBANs and routing numbers.
// ---------------------------------------------------------------------------------------------

fn luhn_valid(number: &str) -> bool {
    let mut sum = 0;
    for (i, c) in number.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !number.is_empty() && sum % 10 == 0
}

fn iban_valid(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut remainder: u32 = 0;
    for c in rearranged {
        let value = c.to_digit(36).unwrap_or(0);
        remainder = if value >= 10 {
            (remainder * 100 + value) % 97
        } else {
            (remainder * 10 + value) % 97
        };
    }
    remainder == 1
}

fn routing_number_valid(routing: &str) -> bool {
    let digits: Vec<u32> = routing.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 9 || routing.len() != 9 {
        return false;
    }
    let weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
    digits.iter().zip(weights).map(|(d, w)| d * w).sum::<u32>() % 10 == 0
}

fn card_brand(number: &str) -> &'static str {
    let prefix = |len: usize| {
        number
            .get(..len)
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(0)
    };
    if number.starts_with('4') {
        "visa"
    } else if (51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)) {
        "mastercard"
    } else if prefix(2) == 34 || prefix(2) == 37 {
        "amex"
    } else if number.starts_with("6011") || prefix(2) == 65 || (644..=649).contains(&prefix(3)) {
        "discover"
    } else if (300..=305).contains(&prefix(3)) || [36, 38, 39].contains(&prefix(2)) {
        "diners"
    } else if (3528..=3589).contains(&prefix(4)) {
        "jcb"
    } else if prefix(2) == 62 || prefix(2) == 81 {
        "unionpay"
    } else {
        "unknown"
    }
}

/// What Stripe's public test card numbers do when a payment is confirmed.
fn card_outcome(number: &str) -> Outcome {
    const SUCCEED: [&str; 12] = [
        "4242424242424242",
        "4000056655665556",
        "5555555555554444",
        "2223003122003222",
        "5200828282828210",
        "378282246310005",
        "371449635398431",
        "6011111111111117",
        "3056930009020004",
        "36227206271667",
        "3566002020360505",
        "6200000000000005",
    ];
    match number {
        _ if SUCCEED.contains(&number) => Outcome::Succeeds,
        "4000000000000002" => Outcome::Declines(GENERIC_DECLINE),
        "4000000000009995" => Outcome::Declines(INSUFFICIENT_FUNDS),
        "4000000000000069" => Outcome::Declines(EXPIRED_CARD),
        "4000000000000127" => Outcome::Declines(INCORRECT_CVC),
        // "Authenticate unless set up": saved cards pay off-session without a challenge.
        "4000002500003155" => Outcome::Authenticates {
            unless_set_up: true,
        },
        "4000000000003220" => Outcome::Authenticates {
            unless_set_up: false,
        },
        _ => Outcome::Declines(LIVE_CARD_IN_TEST_MODE),
    }
}

/// Stripe's test payment methods: usable wherever a payment method id is taken.
fn premade_card(id: &str) -> Option<&'static str> {
    Some(match id {
        "pm_card_visa" => "4242424242424242",
        "pm_card_visa_debit" => "4000056655665556",
        "pm_card_mastercard" => "5555555555554444",
        "pm_card_amex" => "378282246310005",
        "pm_card_discover" => "6011111111111117",
        "pm_card_diners" => "3056930009020004",
        "pm_card_jcb" => "3566002020360505",
        "pm_card_unionpay" => "6200000000000005",
        "pm_card_chargeDeclined" => "4000000000000002",
        "pm_card_chargeDeclinedInsufficientFunds" => "4000000000009995",
        "pm_card_chargeDeclinedExpiredCard" => "4000000000000069",
        "pm_card_chargeDeclinedIncorrectCvc" => "4000000000000127",
        "pm_card_authenticationRequired" => "4000002500003155",
        "pm_card_threeDSecure2Required" => "4000000000003220",
        _ => return None,
    })
}

fn billing_details(p: &Params) -> Value {
    let field = |path: &[&str]| {
        let mut full = vec!["billing_details"];
        full.extend_from_slice(path);
        p.str(&full).map(str::to_string)
    };
    json!({
        "address": {
            "city": field(&["address", "city"]),
            "country": field(&["address", "country"]),
            "line1": field(&["address", "line1"]),
            "line2": field(&["address", "line2"]),
            "postal_code": field(&["address", "postal_code"]),
            "state": field(&["address", "state"]),
        },
        "email": field(&["email"]),
        "name": field(&["name"]),
        "phone": field(&["phone"]),
        "tax_id": null,
    })
}

fn payment_method_options(types: &[String]) -> Value {
    let mut options = Map::new();
    for t in types {
        let value = match t.as_str() {
            "card" => json!({
                "installments": null,
                "mandate_options": null,
                "network": null,
                "request_three_d_secure": "automatic",
            }),
            "us_bank_account" => json!({ "verification_method": "automatic" }),
            _ => json!({}),
        };
        options.insert(t.clone(), value);
    }
    Value::Object(options)
}

/// A payment method named in a request, before it is used.
enum PmRef {
    Stored(usize),
    Premade(&'static str),
}

struct PmFacts {
    kind: String,
    customer: Option<String>,
    consumed: bool,
    set_up: bool,
}

// ---------------------------------------------------------------------------------------------
// The endpoints.
// ---------------------------------------------------------------------------------------------

impl Inner {
    fn dispatch(
        &mut self,
        shared: &Arc<Shared>,
        ctx: &Ctx,
        segments: &[&str],
        p: &Params,
    ) -> Result<Value, ApiError> {
        match (ctx.method.as_str(), segments) {
            ("POST", ["payment_methods"]) => self.create_payment_method(ctx, p),
            ("GET", ["payment_methods", id]) => self.retrieve_payment_method(ctx, id, p),
            ("POST", ["payment_methods", id, "attach"]) => self.attach_payment_method(ctx, id, p),
            ("POST", ["payment_methods", id, "detach"]) => self.detach_payment_method(ctx, id, p),
            ("POST", ["customers"]) => self.create_customer(ctx, p),
            ("GET", ["customers", id]) => {
                p.check(RETRIEVE)?;
                let index = self.customer_index(ctx, id, StatusCode::NOT_FOUND, "id")?;
                Ok(self.customers[index].clone())
            }
            ("POST", ["payment_intents"]) => self.create_payment_intent(ctx, p),
            ("GET", ["payment_intents"]) => self.list_intents(Kind::Pi, ctx, p),
            ("GET", ["payment_intents", "search"]) => self.search_payment_intents(ctx, p),
            ("GET", ["payment_intents", id]) => {
                p.check(RETRIEVE)?;
                let index =
                    self.intent_index(Kind::Pi, ctx, id, StatusCode::NOT_FOUND, "intent")?;
                Ok(self.payment_intents[index].obj.clone())
            }
            ("POST", ["payment_intents", id]) => self.update_payment_intent(ctx, id, p),
            ("POST", ["payment_intents", id, "confirm"]) => {
                self.confirm_intent(Kind::Pi, ctx, id, p)
            }
            ("POST", ["payment_intents", id, "cancel"]) => self.cancel_intent(Kind::Pi, ctx, id, p),
            ("POST", ["setup_intents"]) => self.create_setup_intent(ctx, p),
            ("GET", ["setup_intents"]) => self.list_intents(Kind::Si, ctx, p),
            ("GET", ["setup_intents", id]) => {
                p.check(RETRIEVE)?;
                let index =
                    self.intent_index(Kind::Si, ctx, id, StatusCode::NOT_FOUND, "intent")?;
                Ok(self.setup_intents[index].obj.clone())
            }
            ("POST", ["setup_intents", id, "confirm"]) => self.confirm_intent(Kind::Si, ctx, id, p),
            ("POST", ["setup_intents", id, "cancel"]) => self.cancel_intent(Kind::Si, ctx, id, p),
            ("POST", ["refunds"]) => self.create_refund(ctx, p),
            ("GET", ["refunds", id]) => {
                p.check(RETRIEVE)?;
                let found = locate(self.refunds.iter(), ctx.livemode, id);
                let index = require(found, StatusCode::NOT_FOUND, "refund", id, "id")?;
                Ok(self.refunds[index].clone())
            }
            ("GET", ["charges", id]) => {
                p.check(RETRIEVE)?;
                let index = self.charge_index(ctx, id, StatusCode::NOT_FOUND, "id")?;
                Ok(self.charges[index].to_value())
            }
            ("POST", ["webhook_endpoints"]) => self.create_endpoint(shared, ctx, p),
            ("GET", ["webhook_endpoints"]) => {
                p.check(LIST)?;
                let items = self
                    .endpoints
                    .iter()
                    .rev()
                    .filter(|e| e.obj["livemode"] == ctx.livemode)
                    .map(|e| e.obj.clone())
                    .collect();
                list_page("/v1/webhook_endpoints", items, p)
            }
            ("GET", ["webhook_endpoints", id]) => {
                p.check(RETRIEVE)?;
                let index = self.endpoint_index(ctx, id)?;
                Ok(self.endpoints[index].obj.clone())
            }
            ("DELETE", ["webhook_endpoints", id]) => {
                p.check(RETRIEVE)?;
                let index = self.endpoint_index(ctx, id)?;
                // Dropping the queue's sender ends its worker once the queue is drained; the
                // worker also stops retrying as soon as the endpoint is gone.
                self.endpoints.remove(index);
                Ok(json!({ "id": id, "object": "webhook_endpoint", "deleted": true }))
            }
            ("GET", ["events"]) => {
                p.check(EVENT_LIST)?;
                let kind = p.str(&["type"]);
                let items = self
                    .events
                    .iter()
                    .rev()
                    .filter(|e| e.obj["livemode"] == ctx.livemode)
                    .filter(|e| kind.is_none_or(|k| e.obj["type"] == k))
                    .map(|e| e.obj.clone())
                    .collect();
                list_page("/v1/events", items, p)
            }
            ("GET", ["events", id]) => {
                p.check(RETRIEVE)?;
                let found = locate(self.events.iter().map(|e| &e.obj), ctx.livemode, id);
                let index = require(found, StatusCode::NOT_FOUND, "event", id, "id")?;
                Ok(self.events[index].obj.clone())
            }
            _ => Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "invalid_request_error",
                format!(
                    "Unrecognized request URL ({}: {}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
                    ctx.method, ctx.path
                ),
            )),
        }
    }

    // --- lookups ---------------------------------------------------------------------------

    fn intent_index(
        &self,
        kind: Kind,
        ctx: &Ctx,
        id: &str,
        status: StatusCode,
        param: &str,
    ) -> Result<usize, ApiError> {
        let what = match kind {
            Kind::Pi => "payment_intent",
            Kind::Si => "setupintent",
        };
        let found = locate(self.intents(kind).iter().map(|i| &i.obj), ctx.livemode, id);
        require(found, status, what, id, param)
    }

    fn customer_index(
        &self,
        ctx: &Ctx,
        id: &str,
        status: StatusCode,
        param: &str,
    ) -> Result<usize, ApiError> {
        require(
            locate(self.customers.iter(), ctx.livemode, id),
            status,
            "customer",
            id,
            param,
        )
    }

    fn charge_index(
        &self,
        ctx: &Ctx,
        id: &str,
        status: StatusCode,
        param: &str,
    ) -> Result<usize, ApiError> {
        let mut elsewhere = None;
        for (index, charge) in self.charges.iter().enumerate() {
            if charge.id == id {
                if charge.livemode == ctx.livemode {
                    return Ok(index);
                }
                elsewhere = Some(charge.livemode);
            }
        }
        let found = match elsewhere {
            Some(other) => Found::InOtherMode(!other),
            None => Found::Nowhere,
        };
        require(found, status, "charge", id, param)
    }

    fn endpoint_index(&self, ctx: &Ctx, id: &str) -> Result<usize, ApiError> {
        let found = locate(self.endpoints.iter().map(|e| &e.obj), ctx.livemode, id);
        require(found, StatusCode::NOT_FOUND, "webhook endpoint", id, "id")
    }

    fn pm_position(&self, livemode: bool, id: &str) -> Option<usize> {
        self.payment_methods
            .iter()
            .position(|pm| pm.obj["id"] == id && pm.obj["livemode"] == livemode)
    }

    fn resolve_pm(&self, ctx: &Ctx, id: &str, status: StatusCode) -> Result<PmRef, ApiError> {
        if let Some(number) = premade_card(id) {
            return Ok(PmRef::Premade(number));
        }
        let found = locate(
            self.payment_methods.iter().map(|pm| &pm.obj),
            ctx.livemode,
            id,
        );
        require(found, status, "PaymentMethod", id, "payment_method").map(PmRef::Stored)
    }

    fn pm_facts(&self, pm: &PmRef) -> PmFacts {
        match pm {
            PmRef::Premade(_) => PmFacts {
                kind: "card".into(),
                customer: None,
                consumed: false,
                set_up: false,
            },
            PmRef::Stored(index) => {
                let pm = &self.payment_methods[*index];
                PmFacts {
                    kind: text(&pm.obj["type"]),
                    customer: pm.obj["customer"].as_str().map(str::to_string),
                    consumed: pm.consumed,
                    set_up: pm.set_up,
                }
            }
        }
    }

    fn check_pm_usable(
        &self,
        kind: Kind,
        pm: &PmRef,
        types: &[String],
        customer: Option<&str>,
    ) -> Result<(), ApiError> {
        let facts = self.pm_facts(pm);
        if !types.contains(&facts.kind) {
            return Err(ApiError::invalid(
                "payment_method",
                format!(
                    "The provided PaymentMethod has type {}, which is not among this {}'s payment_method_types ({}).",
                    facts.kind,
                    kind.title(),
                    types.join(", ")
                ),
            ));
        }
        match (facts.customer.as_deref(), customer) {
            (Some(owner), None) => {
                return Err(ApiError::invalid(
                    "payment_method",
                    format!(
                        "The provided PaymentMethod belongs to a Customer ({owner}), but you did not provide a Customer. Pass customer={owner} to use it."
                    ),
                ));
            }
            (Some(owner), Some(customer)) if owner != customer => {
                return Err(ApiError::invalid(
                    "payment_method",
                    format!(
                        "The provided PaymentMethod belongs to the Customer {owner}, not to {customer}."
                    ),
                ));
            }
            _ => {}
        }
        if facts.consumed {
            return Err(ApiError::invalid("payment_method", CONSUMED_PAYMENT_METHOD));
        }
        Ok(())
    }

    /// What confirming needs besides a usable payment method: a return_url for cards (which may
    /// send the customer to their bank) and the mandate for bank debits not set up before.
    fn check_confirmable(
        &self,
        kind: Kind,
        p: &Params,
        pm: Option<&PmRef>,
        return_url: Option<&str>,
        off_session: bool,
    ) -> Result<(), ApiError> {
        let Some(pm) = pm else {
            return Err(ApiError::invalid(
                "payment_method",
                format!(
                    "You cannot confirm this {} because it's missing a payment method. To confirm it, provide a payment_method.",
                    kind.title()
                ),
            )
            .code(&format!("{}_unexpected_state", kind.object())));
        };
        let facts = self.pm_facts(pm);
        if facts.kind == "card" && !off_session && return_url.is_none() {
            return Err(ApiError::invalid(
                "return_url",
                "Missing required param: return_url. A card may need authentication (3-D Secure), which sends the customer to their bank and then to return_url.",
            )
            .code("parameter_missing"));
        }
        if facts.kind != "card" && !facts.set_up {
            check_mandate(p)?;
        }
        Ok(())
    }

    /// Stripe turns a test payment method such as `pm_card_visa` into a new PaymentMethod each
    /// time it is used.
    fn materialize(&mut self, livemode: bool, pm: PmRef) -> usize {
        match pm {
            PmRef::Stored(index) => index,
            PmRef::Premade(number) => {
                let pm = self.premade_pm(livemode, number, &new_id("pm"));
                self.payment_methods.push(pm);
                self.payment_methods.len() - 1
            }
        }
    }

    fn premade_pm(&self, livemode: bool, number: &str, id: &str) -> PaymentMethod {
        let (year, _) = current_year_month();
        let mut pm = self.card_pm(
            livemode,
            number,
            12,
            year + 2,
            true,
            billing_details(&Params(Map::new())),
            Map::new(),
        );
        pm.obj["id"] = id.into();
        pm
    }

    // --- payment methods -------------------------------------------------------------------

    fn create_payment_method(&mut self, ctx: &Ctx, p: &Params) -> Result<Value, ApiError> {
        p.check(PM_CREATE)?;
        let kind = p.required(&["type"])?;
        if !SUPPORTED_TYPES.contains(&kind) {
            return Err(ApiError::invalid(
                "type",
                format!(
                    "Invalid type: the Stripe double supports {} (got {kind}).",
                    SUPPORTED_TYPES.join(", ")
                ),
            ));
        }
        let metadata = p.metadata()?;
        let billing = billing_details(p);
        let pm = match kind {
            "card" => {
                let number = p.required(&["card", "number"])?;
                let exp_month = p
                    .int(&["card", "exp_month"])?
                    .ok_or_else(|| ApiError::missing("card[exp_month]"))?;
                let exp_year = p
                    .int(&["card", "exp_year"])?
                    .ok_or_else(|| ApiError::missing("card[exp_year]"))?;
                let cvc = p.str(&["card", "cvc"]);
                let number: String = number
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .collect();
                let exp_year = check_card(&number, exp_month, exp_year, cvc)?;
                self.card_pm(
                    ctx.livemode,
                    &number,
                    exp_month,
                    exp_year,
                    cvc.is_some(),
                    billing,
                    metadata,
                )
            }
            "sepa_debit" => {
                let iban = p.required(&["sepa_debit", "iban"])?;
                self.sepa_pm(ctx.livemode, iban, billing, metadata)?
            }
            _ => self.us_bank_pm(ctx.livemode, p, billing, metadata)?,
        };
        let obj = pm.obj.clone();
        self.payment_methods.push(pm);
        Ok(obj)
    }

    fn pm_object(
        &self,
        livemode: bool,
        kind: &str,
        details: Value,
        billing: Value,
        metadata: Map<String, Value>,
    ) -> Value {
        let mut obj = template("payment_method");
        if let Some(fields) = obj.as_object_mut() {
            fields.remove("card");
            fields.insert(kind.into(), details);
        }
        overlay(
            obj,
            json!({
                "id": new_id("pm"),
                "allow_redisplay": "unspecified",
                "billing_details": billing,
                "created": unix_now(),
                "customer": null,
                "livemode": livemode,
                "metadata": metadata,
                "type": kind,
            }),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn card_pm(
        &self,
        livemode: bool,
        number: &str,
        exp_month: i64,
        exp_year: i64,
        cvc_given: bool,
        billing: Value,
        metadata: Map<String, Value>,
    ) -> PaymentMethod {
        let brand = card_brand(number);
        let postal_check = if billing["address"]["postal_code"].is_null() {
            Value::Null
        } else {
            "pass".into()
        };
        let card = overlay(
            template("payment_method")["card"].clone(),
            json!({
                "brand": brand,
                "checks": {
                    "address_line1_check": null,
                    "address_postal_code_check": postal_check,
                    "cvc_check": if cvc_given { Value::from("pass") } else { Value::Null },
                },
                "country": "US",
                "display_brand": brand,
                "exp_month": exp_month,
                "exp_year": exp_year,
                "fingerprint": self.fingerprint(number),
                "funding": "credit",
                "generated_from": null,
                "last4": &number[number.len().saturating_sub(4)..],
                "networks": { "available": [brand], "preferred": null },
                "three_d_secure_usage": { "supported": true },
                "wallet": null,
            }),
        );
        PaymentMethod {
            obj: self.pm_object(livemode, "card", card, billing, metadata),
            outcome: card_outcome(number),
            consumed: false,
            set_up: false,
        }
    }

    fn sepa_pm(
        &self,
        livemode: bool,
        iban: &str,
        billing: Value,
        metadata: Map<String, Value>,
    ) -> Result<PaymentMethod, ApiError> {
        let iban: String = iban
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        if !iban_valid(&iban) {
            return Err(
                ApiError::invalid("sepa_debit[iban]", "The IBAN you provided is invalid.")
                    .code("invalid_bank_account_iban"),
            );
        }
        let country = &iban[..2];
        let (start, end) = match country {
            "DE" => (4, 12),
            "AT" | "FR" | "MC" => (4, 9),
            "IT" | "SM" => (5, 10),
            "BE" => (4, 7),
            _ => (4, 8),
        };
        let outcome = match iban.as_str() {
            "DE62370400440532013001" | "AT861904300235473202" => Outcome::DebitFails {
                code: "insufficient_funds",
                message: ACCOUNT_INSUFFICIENT_FUNDS,
            },
            _ => Outcome::DebitSucceeds,
        };
        let details = json!({
            "bank_code": iban.get(start..end).unwrap_or_default(),
            "branch_code": "",
            "country": country,
            "fingerprint": self.fingerprint(&iban),
            "generated_from": { "charge": null, "setup_attempt": null },
            "last4": &iban[iban.len() - 4..],
        });
        Ok(PaymentMethod {
            obj: self.pm_object(livemode, "sepa_debit", details, billing, metadata),
            outcome,
            consumed: false,
            set_up: false,
        })
    }

    fn us_bank_pm(
        &self,
        livemode: bool,
        p: &Params,
        billing: Value,
        metadata: Map<String, Value>,
    ) -> Result<PaymentMethod, ApiError> {
        let routing = p.required(&["us_bank_account", "routing_number"])?;
        let account = p.required(&["us_bank_account", "account_number"])?;
        let holder = p
            .str(&["us_bank_account", "account_holder_type"])
            .unwrap_or("individual");
        if !["individual", "company"].contains(&holder) {
            return Err(ApiError::invalid(
                "us_bank_account[account_holder_type]",
                format!(
                    "Invalid us_bank_account[account_holder_type]: must be one of individual, company (got {holder})."
                ),
            ));
        }
        let account_type = p
            .str(&["us_bank_account", "account_type"])
            .unwrap_or("checking");
        if !["checking", "savings"].contains(&account_type) {
            return Err(ApiError::invalid(
                "us_bank_account[account_type]",
                format!(
                    "Invalid us_bank_account[account_type]: must be one of checking, savings (got {account_type})."
                ),
            ));
        }
        if !routing_number_valid(routing) {
            return Err(ApiError::invalid(
                "us_bank_account[routing_number]",
                "Invalid routing number: it must have 9 digits with a valid ABA checksum.",
            )
            .code("routing_number_invalid"));
        }
        if !(4..=17).contains(&account.len()) || !account.chars().all(|c| c.is_ascii_digit()) {
            return Err(ApiError::invalid(
                "us_bank_account[account_number]",
                "Invalid account number: it must have 4 to 17 digits.",
            )
            .code("account_number_invalid"));
        }
        let outcome = match account {
            "000111111113" => Outcome::DebitFails {
                code: "account_closed",
                message: ACCOUNT_CLOSED,
            },
            "000222222227" => Outcome::DebitFails {
                code: "insufficient_funds",
                message: ACCOUNT_INSUFFICIENT_FUNDS,
            },
            _ => Outcome::DebitSucceeds,
        };
        let details = json!({
            "account_holder_type": holder,
            "account_type": account_type,
            "bank_name": "STRIPE TEST BANK",
            "financial_connections_account": null,
            "fingerprint": self.fingerprint(&format!("{routing}/{account}")),
            "last4": &account[account.len() - 4..],
            "networks": { "preferred": "ach", "supported": ["ach"] },
            "routing_number": routing,
            "status_details": null,
        });
        Ok(PaymentMethod {
            obj: self.pm_object(livemode, "us_bank_account", details, billing, metadata),
            outcome,
            consumed: false,
            set_up: false,
        })
    }

    fn retrieve_payment_method(&self, ctx: &Ctx, id: &str, p: &Params) -> Result<Value, ApiError> {
        p.check(RETRIEVE)?;
        match self.resolve_pm(ctx, id, StatusCode::NOT_FOUND)? {
            PmRef::Premade(number) => Ok(self.premade_pm(ctx.livemode, number, id).obj),
            PmRef::Stored(index) => Ok(self.payment_methods[index].obj.clone()),
        }
    }

    fn attach_payment_method(
        &mut self,
        ctx: &Ctx,
        id: &str,
        p: &Params,
    ) -> Result<Value, ApiError> {
        p.check(PM_ATTACH)?;
        let customer = p.required(&["customer"])?.to_string();
        let pm = self.resolve_pm(ctx, id, StatusCode::NOT_FOUND)?;
        self.customer_index(ctx, &customer, StatusCode::BAD_REQUEST, "customer")?;
        let facts = self.pm_facts(&pm);
        if facts.consumed {
            return Err(ApiError::state(
                "payment_method_unexpected_state",
                CONSUMED_PAYMENT_METHOD,
            ));
        }
        if facts.customer.is_some_and(|owner| owner != customer) {
            return Err(ApiError::state(
                "payment_method_unexpected_state",
                "The payment method you provided has already been attached to a customer.",
            ));
        }
        let index = self.materialize(ctx.livemode, pm);
        let pm = &mut self.payment_methods[index];
        pm.obj["customer"] = customer.into();
        Ok(pm.obj.clone())
    }

    fn detach_payment_method(
        &mut self,
        ctx: &Ctx,
        id: &str,
        p: &Params,
    ) -> Result<Value, ApiError> {
        p.check(RETRIEVE)?;
        let PmRef::Stored(index) = self.resolve_pm(ctx, id, StatusCode::NOT_FOUND)? else {
            return Err(ApiError::state(
                "payment_method_unexpected_state",
                format!("The payment method {id} is not attached to a customer."),
            ));
        };
        let pm = &mut self.payment_methods[index];
        if pm.obj["customer"].is_null() {
            return Err(ApiError::state(
                "payment_method_unexpected_state",
                format!("The payment method {id} is not attached to a customer."),
            ));
        }
        pm.obj["customer"] = Value::Null;
        // Stripe does not let a detached method be used again.
        pm.consumed = true;
        Ok(pm.obj.clone())
    }

    // --- customers -------------------------------------------------------------------------

    fn create_customer(&mut self, ctx: &Ctx, p: &Params) -> Result<Value, ApiError> {
        p.check(CUSTOMER_CREATE)?;
        let metadata = p.metadata()?;
        let field = |path: &[&str]| p.str(path).map(str::to_string);
        let address = if p.is_set("address") {
            json!({
                "city": field(&["address", "city"]),
                "country": field(&["address", "country"]),
                "line1": field(&["address", "line1"]),
                "line2": field(&["address", "line2"]),
                "postal_code": field(&["address", "postal_code"]),
                "state": field(&["address", "state"]),
            })
        } else {
            Value::Null
        };
        let customer = overlay(
            template("customer"),
            json!({
                "id": new_id("cus"),
                "address": address,
                "balance": 0,
                "created": unix_now(),
                "currency": null,
                "default_source": null,
                "delinquent": false,
                "description": field(&["description"]),
                "discount": null,
                "email": field(&["email"]),
                "invoice_prefix": random_alphanumeric(8).to_ascii_uppercase(),
                "livemode": ctx.livemode,
                "metadata": metadata,
                "name": field(&["name"]),
                "next_invoice_sequence": 1,
                "phone": field(&["phone"]),
                "preferred_locales": [],
                "shipping": null,
                "tax_exempt": "none",
                "test_clock": null,
            }),
        );
        self.customers.push(customer.clone());
        Ok(customer)
    }

    fn customer_param(&self, ctx: &Ctx, p: &Params) -> Result<Option<String>, ApiError> {
        match p.str(&["customer"]) {
            None => Ok(None),
            Some(id) => {
                self.customer_index(ctx, id, StatusCode::BAD_REQUEST, "customer")?;
                Ok(Some(id.to_string()))
            }
        }
    }

    // --- payment intents -------------------------------------------------------------------

    fn create_payment_intent(&mut self, ctx: &Ctx, p: &Params) -> Result<Value, ApiError> {
        p.check(PI_CREATE)?;
        let amount = amount_param(p)?.ok_or_else(|| ApiError::missing("amount"))?;
        let currency = currency_param(p)?.ok_or_else(|| ApiError::missing("currency"))?;
        let confirm = p.bool(&["confirm"])?.unwrap_or(false);
        let off_session = p.bool(&["off_session"])?;
        let setup_future_usage = one_of(p, "setup_future_usage", &["off_session", "on_session"])?;
        let (types, automatic) = types_param(p)?;
        let metadata = p.metadata()?;
        let customer = self.customer_param(ctx, p)?;
        let pm = match p.str(&["payment_method"]) {
            Some(id) => Some(self.resolve_pm(ctx, id, StatusCode::BAD_REQUEST)?),
            None => None,
        };
        if let Some(pm) = &pm {
            self.check_pm_usable(Kind::Pi, pm, &types, customer.as_deref())?;
        }
        let return_url = return_url_param(p)?;
        for only_when_confirming in ["off_session", "return_url", "mandate_data"] {
            if p.is_set(only_when_confirming) && !confirm {
                return Err(ApiError::invalid(
                    only_when_confirming,
                    format!(
                        "{only_when_confirming} can only be passed when confirming (confirm=true)."
                    ),
                ));
            }
        }
        let off_session = off_session.unwrap_or(false);
        if confirm {
            self.check_confirmable(Kind::Pi, p, pm.as_ref(), return_url.as_deref(), off_session)?;
        }

        // Validated: from here on the request executes.
        let pm_id = pm.map(|pm| {
            let index = self.materialize(ctx.livemode, pm);
            text(&self.payment_methods[index].obj["id"])
        });
        let id = new_id("pi");
        let status = if pm_id.is_some() {
            "requires_confirmation"
        } else {
            "requires_payment_method"
        };
        let automatic_payment_methods = if automatic {
            json!({ "allow_redirects": "always", "enabled": true })
        } else {
            Value::Null
        };
        let obj = overlay(
            template("payment_intent"),
            json!({
                "id": id,
                "amount": amount,
                "amount_capturable": 0,
                "amount_received": 0,
                "automatic_payment_methods": automatic_payment_methods,
                "canceled_at": null,
                "cancellation_reason": null,
                "capture_method": "automatic",
                "client_secret": format!("{id}_secret_{}", random_alphanumeric(24)),
                "confirmation_method": "automatic",
                "created": unix_now(),
                "currency": currency,
                "customer": customer,
                "description": p.str(&["description"]),
                "last_payment_error": null,
                "latest_charge": null,
                "livemode": ctx.livemode,
                "managed_payments": null,
                "metadata": metadata,
                "next_action": null,
                "payment_method": pm_id,
                "payment_method_configuration_details": null,
                "payment_method_options": payment_method_options(&types),
                "payment_method_types": types,
                "processing": null,
                "receipt_email": p.str(&["receipt_email"]),
                "setup_future_usage": setup_future_usage,
                "shipping": null,
                "statement_descriptor": p.str(&["statement_descriptor"]),
                "statement_descriptor_suffix": p.str(&["statement_descriptor_suffix"]),
                "status": status,
                "transfer_data": null,
            }),
        );
        self.payment_intents.push(Intent {
            obj: obj.clone(),
            return_url,
            processing_since: None,
        });
        self.emit(
            ctx.livemode,
            "payment_intent.created",
            obj.clone(),
            &ctx.request,
        );
        let index = self.payment_intents.len() - 1;
        if confirm {
            self.run_confirm(Kind::Pi, ctx, index, off_session)
        } else {
            Ok(obj)
        }
    }

    fn update_payment_intent(
        &mut self,
        ctx: &Ctx,
        id: &str,
        p: &Params,
    ) -> Result<Value, ApiError> {
        p.check(PI_UPDATE)?;
        let index = self.intent_index(Kind::Pi, ctx, id, StatusCode::NOT_FOUND, "intent")?;
        let amount = amount_param(p)?;
        let currency = currency_param(p)?;
        let setup_future_usage = one_of(p, "setup_future_usage", &["off_session", "on_session"])?;
        let types = if p.is_set("payment_method_types") {
            Some(types_param(p)?.0)
        } else {
            None
        };
        let metadata = p.metadata_changes()?;
        let customer = self.customer_param(ctx, p)?;
        let pm = match p.str(&["payment_method"]) {
            Some(pm) => Some(self.resolve_pm(ctx, pm, StatusCode::BAD_REQUEST)?),
            None => None,
        };
        let intent = &self.payment_intents[index];
        let status = intent.status().to_string();
        let restricted = [
            "amount",
            "currency",
            "payment_method",
            "customer",
            "setup_future_usage",
            "payment_method_types",
        ];
        if restricted.iter().any(|k| p.is_set(k))
            && ![
                "requires_payment_method",
                "requires_confirmation",
                "requires_action",
            ]
            .contains(&status.as_str())
        {
            return Err(ApiError::state(
                "payment_intent_unexpected_state",
                format!("You cannot update this PaymentIntent because it has a status of {status}. Updates are allowed only while it requires a payment method, confirmation or action."),
            )
            .with("payment_intent", intent.obj.clone()));
        }
        let effective_types: Vec<String> = types.clone().unwrap_or_else(|| {
            intent.obj["payment_method_types"]
                .as_array()
                .map(|a| a.iter().map(text).collect())
                .unwrap_or_default()
        });
        let effective_customer = customer
            .clone()
            .or_else(|| intent.obj["customer"].as_str().map(str::to_string));
        if let Some(pm) = &pm {
            self.check_pm_usable(
                Kind::Pi,
                pm,
                &effective_types,
                effective_customer.as_deref(),
            )?;
        }

        let pm_id = pm.map(|pm| {
            let i = self.materialize(ctx.livemode, pm);
            text(&self.payment_methods[i].obj["id"])
        });
        let obj = &mut self.payment_intents[index].obj;
        if let Some(amount) = amount {
            obj["amount"] = amount.into();
        }
        if let Some(currency) = currency {
            obj["currency"] = currency.into();
        }
        if let Some(usage) = setup_future_usage {
            obj["setup_future_usage"] = usage.into();
        }
        if let Some(types) = types {
            obj["payment_method_options"] = payment_method_options(&types);
            obj["payment_method_types"] = json!(types);
        }
        if let Some(customer) = customer {
            obj["customer"] = customer.into();
        }
        for key in [
            "description",
            "receipt_email",
            "statement_descriptor",
            "statement_descriptor_suffix",
        ] {
            if p.is_set(key) {
                obj[key] = p.str(&[key]).into();
            }
        }
        if p.0.get("metadata").is_some_and(|m| m == "") {
            obj["metadata"] = json!({});
        }
        if let Some(existing) = obj["metadata"].as_object_mut() {
            for (key, value) in metadata {
                if value.is_null() {
                    existing.remove(&key);
                } else {
                    existing.insert(key, value);
                }
            }
        }
        if let Some(pm_id) = pm_id {
            obj["payment_method"] = pm_id.into();
            obj["status"] = "requires_confirmation".into();
            obj["next_action"] = Value::Null;
        }
        Ok(obj.clone())
    }

    fn search_payment_intents(&self, ctx: &Ctx, p: &Params) -> Result<Value, ApiError> {
        p.check(SEARCH)?;
        let query = p.required(&["query"])?;
        let (key, value) = parse_metadata_query(query).ok_or_else(|| {
            ApiError::invalid(
                "query",
                format!("The Stripe double understands only queries of the form metadata['KEY']:'VALUE', not: {query}"),
            )
        })?;
        let limit = limit_param(p)?;
        let offset = match p.str(&["page"]) {
            None => 0,
            Some(page) => page
                .strip_prefix("page_")
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| ApiError::invalid("page", format!("Invalid page: {page}")))?,
        };
        let matches: Vec<Value> = self
            .payment_intents
            .iter()
            .rev()
            .filter(|i| {
                i.obj["livemode"] == ctx.livemode && i.obj["metadata"][&key] == value.as_str()
            })
            .map(|i| i.obj.clone())
            .skip(offset)
            .collect();
        let has_more = matches.len() > limit;
        Ok(json!({
            "object": "search_result",
            "data": matches.into_iter().take(limit).collect::<Vec<_>>(),
            "has_more": has_more,
            "next_page": has_more.then(|| format!("page_{}", offset + limit)),
            "url": "/v1/payment_intents/search",
        }))
    }

    fn list_intents(&self, kind: Kind, ctx: &Ctx, p: &Params) -> Result<Value, ApiError> {
        p.check(INTENT_LIST)?;
        let customer = p.str(&["customer"]);
        let payment_method = p.str(&["payment_method"]);
        let items = self
            .intents(kind)
            .iter()
            .rev()
            .filter(|i| i.obj["livemode"] == ctx.livemode)
            .filter(|i| customer.is_none_or(|c| i.obj["customer"] == c))
            .filter(|i| payment_method.is_none_or(|pm| i.obj["payment_method"] == pm))
            .map(|i| i.obj.clone())
            .collect();
        let url = match kind {
            Kind::Pi => "/v1/payment_intents",
            Kind::Si => "/v1/setup_intents",
        };
        list_page(url, items, p)
    }

    // --- setup intents ---------------------------------------------------------------------

    fn create_setup_intent(&mut self, ctx: &Ctx, p: &Params) -> Result<Value, ApiError> {
        p.check(SI_CREATE)?;
        let confirm = p.bool(&["confirm"])?.unwrap_or(false);
        let usage = one_of(p, "usage", &["off_session", "on_session"])?.unwrap_or("off_session");
        let (types, automatic) = types_param(p)?;
        let metadata = p.metadata()?;
        let customer = self.customer_param(ctx, p)?;
        let pm = match p.str(&["payment_method"]) {
            Some(id) => Some(self.resolve_pm(ctx, id, StatusCode::BAD_REQUEST)?),
            None => None,
        };
        if let Some(pm) = &pm {
            self.check_pm_usable(Kind::Si, pm, &types, customer.as_deref())?;
        }
        let return_url = return_url_param(p)?;
        for only_when_confirming in ["return_url", "mandate_data"] {
            if p.is_set(only_when_confirming) && !confirm {
                return Err(ApiError::invalid(
                    only_when_confirming,
                    format!(
                        "{only_when_confirming} can only be passed when confirming (confirm=true)."
                    ),
                ));
            }
        }
        if confirm {
            self.check_confirmable(Kind::Si, p, pm.as_ref(), return_url.as_deref(), false)?;
        }

        let pm_id = pm.map(|pm| {
            let index = self.materialize(ctx.livemode, pm);
            text(&self.payment_methods[index].obj["id"])
        });
        let id = new_id("seti");
        let status = if pm_id.is_some() {
            "requires_confirmation"
        } else {
            "requires_payment_method"
        };
        let obj = overlay(
            template("setup_intent"),
            json!({
                "id": id,
                "automatic_payment_methods": if automatic { json!({ "allow_redirects": "always", "enabled": true }) } else { Value::Null },
                "cancellation_reason": null,
                "client_secret": format!("{id}_secret_{}", random_alphanumeric(24)),
                "created": unix_now(),
                "customer": customer,
                "description": p.str(&["description"]),
                "last_setup_error": null,
                "latest_attempt": null,
                "livemode": ctx.livemode,
                "mandate": null,
                "metadata": metadata,
                "next_action": null,
                "payment_method": pm_id,
                "payment_method_configuration_details": null,
                "payment_method_options": payment_method_options(&types),
                "payment_method_types": types,
                "status": status,
                "usage": usage,
            }),
        );
        self.setup_intents.push(Intent {
            obj: obj.clone(),
            return_url,
            processing_since: None,
        });
        self.emit(
            ctx.livemode,
            "setup_intent.created",
            obj.clone(),
            &ctx.request,
        );
        let index = self.setup_intents.len() - 1;
        if confirm {
            self.run_confirm(Kind::Si, ctx, index, false)
        } else {
            Ok(obj)
        }
    }

    // --- confirming, shared by both kinds of intent ----------------------------------------

    fn confirm_intent(
        &mut self,
        kind: Kind,
        ctx: &Ctx,
        id: &str,
        p: &Params,
    ) -> Result<Value, ApiError> {
        p.check(match kind {
            Kind::Pi => PI_CONFIRM,
            Kind::Si => SI_CONFIRM,
        })?;
        let index = self.intent_index(kind, ctx, id, StatusCode::NOT_FOUND, "intent")?;
        let off_session = p.bool(&["off_session"])?.unwrap_or(false);
        let setup_future_usage = one_of(p, "setup_future_usage", &["off_session", "on_session"])?;
        let return_url = return_url_param(p)?;
        let intent = &self.intents(kind)[index];
        let status = intent.status().to_string();
        if ![
            "requires_payment_method",
            "requires_confirmation",
            "requires_action",
        ]
        .contains(&status.as_str())
        {
            return Err(ApiError::state(
                &format!("{}_unexpected_state", kind.object()),
                format!(
                    "You cannot confirm this {} because it has a status of {status}.",
                    kind.title()
                ),
            )
            .with(kind.object(), intent.obj.clone()));
        }
        let types: Vec<String> = intent.obj["payment_method_types"]
            .as_array()
            .map(|a| a.iter().map(text).collect())
            .unwrap_or_default();
        let customer = intent.obj["customer"].as_str().map(str::to_string);
        let pm = match p.str(&["payment_method"]) {
            Some(pm) => {
                let pm = self.resolve_pm(ctx, pm, StatusCode::BAD_REQUEST)?;
                self.check_pm_usable(kind, &pm, &types, customer.as_deref())?;
                Some(pm)
            }
            None => match intent.obj["payment_method"].as_str() {
                Some(current) => {
                    let pm = self.resolve_pm(ctx, current, StatusCode::BAD_REQUEST)?;
                    self.check_pm_usable(kind, &pm, &types, customer.as_deref())?;
                    Some(pm)
                }
                None => None,
            },
        };
        let return_url = return_url.or_else(|| intent.return_url.clone());
        self.check_confirmable(kind, p, pm.as_ref(), return_url.as_deref(), off_session)?;

        let pm_id = pm.map(|pm| {
            let i = self.materialize(ctx.livemode, pm);
            text(&self.payment_methods[i].obj["id"])
        });
        let intent = &mut self.intents_mut(kind)[index];
        intent.return_url = return_url;
        intent.obj["payment_method"] = pm_id.into();
        if let Some(usage) = setup_future_usage {
            intent.obj["setup_future_usage"] = usage.into();
        }
        if let Some(email) = p.str(&["receipt_email"]) {
            intent.obj["receipt_email"] = email.into();
        }
        self.run_confirm(kind, ctx, index, off_session)
    }

    /// Confirms a validated intent with its payment method: the outcome the method decides.
    fn run_confirm(
        &mut self,
        kind: Kind,
        ctx: &Ctx,
        index: usize,
        off_session: bool,
    ) -> Result<Value, ApiError> {
        let pm_id = text(&self.intents(kind)[index].obj["payment_method"]);
        let Some(pm_index) = self.pm_position(ctx.livemode, &pm_id) else {
            return Err(ApiError::invalid(
                "payment_method",
                "The payment method is gone.",
            ));
        };
        let pm = &self.payment_methods[pm_index];
        let outcome = match pm.outcome {
            // Off session nobody can authenticate: Stripe declines instead of asking.
            Outcome::Authenticates { unless_set_up } if off_session => {
                if unless_set_up && pm.set_up {
                    Outcome::Succeeds
                } else {
                    Outcome::Declines(AUTHENTICATION_REQUIRED)
                }
            }
            outcome => outcome,
        };
        let pm_obj = pm.obj.clone();
        {
            let obj = &mut self.intents_mut(kind)[index].obj;
            obj["next_action"] = Value::Null;
            obj[last_error_field(kind)] = Value::Null;
        }
        match (kind, outcome) {
            (Kind::Pi, Outcome::Succeeds) => {
                self.payment_succeeded(index, &ctx.request);
                Ok(self.payment_intents[index].obj.clone())
            }
            (Kind::Si, Outcome::Succeeds | Outcome::DebitSucceeds | Outcome::DebitFails { .. }) => {
                self.setup_succeeded(index, &ctx.request);
                Ok(self.setup_intents[index].obj.clone())
            }
            (_, Outcome::Declines(decline)) => {
                let charge = (kind == Kind::Pi).then(|| {
                    self.new_charge(index, "failed", Some((decline.code, decline.message)))
                });
                let error = payment_error(
                    decline.code,
                    Some(decline.decline_code),
                    decline.message,
                    charge.as_deref(),
                    &pm_obj,
                );
                self.intent_failed(kind, index, error.clone(), &ctx.request);
                Err(ApiError::payment_failed(&error)
                    .with(kind.object(), self.intents(kind)[index].obj.clone()))
            }
            (_, Outcome::Authenticates { .. }) => {
                Ok(self.require_authentication(kind, index, &ctx.request))
            }
            (Kind::Pi, Outcome::DebitSucceeds | Outcome::DebitFails { .. }) => {
                self.new_charge(index, "pending", None);
                let intent = &mut self.payment_intents[index];
                intent.obj["status"] = "processing".into();
                intent.processing_since = Some(Instant::now());
                let snapshot = intent.obj.clone();
                self.emit(
                    ctx.livemode,
                    "payment_intent.processing",
                    snapshot.clone(),
                    &ctx.request,
                );
                Ok(snapshot)
            }
        }
    }

    fn require_authentication(&mut self, kind: Kind, index: usize, request: &Value) -> Value {
        let base = self.base_url.clone();
        let intent = &mut self.intents_mut(kind)[index];
        let url = format!("{base}/3ds/{}", intent.id());
        intent.obj["status"] = "requires_action".into();
        intent.obj["next_action"] = json!({
            "type": "redirect_to_url",
            "redirect_to_url": { "return_url": intent.return_url, "url": url },
        });
        let snapshot = intent.obj.clone();
        let livemode = snapshot["livemode"].as_bool().unwrap_or(false);
        self.emit(
            livemode,
            &format!("{}.requires_action", kind.object()),
            snapshot.clone(),
            request,
        );
        snapshot
    }

    fn new_charge(
        &mut self,
        pi_index: usize,
        status: &'static str,
        failure: Option<(&str, &str)>,
    ) -> String {
        let pi = &self.payment_intents[pi_index].obj;
        let charge = Charge {
            id: new_id("ch"),
            livemode: pi["livemode"].as_bool().unwrap_or(false),
            created: unix_now(),
            amount: pi["amount"].as_i64().unwrap_or(0),
            amount_refunded: 0,
            currency: text(&pi["currency"]),
            payment_intent: text(&pi["id"]),
            customer: pi["customer"].clone(),
            payment_method: pi["payment_method"].clone(),
            status,
            failure_code: failure.map(|f| f.0).into(),
            failure_message: failure.map(|f| f.1).into(),
        };
        let id = charge.id.clone();
        self.charges.push(charge);
        self.payment_intents[pi_index].obj["latest_charge"] = id.clone().into();
        id
    }

    /// The charge went through (at once, after authentication, or when a debit settled).
    fn payment_succeeded(&mut self, index: usize, request: &Value) {
        let pi = &self.payment_intents[index].obj;
        let latest = pi["latest_charge"].as_str().map(str::to_string);
        let pending = self
            .charges
            .iter_mut()
            .find(|c| Some(&c.id) == latest.as_ref() && c.status == "pending");
        match pending {
            Some(charge) => charge.status = "succeeded",
            None => {
                self.new_charge(index, "succeeded", None);
            }
        }
        let intent = &mut self.payment_intents[index];
        intent.processing_since = None;
        let obj = &mut intent.obj;
        obj["status"] = "succeeded".into();
        obj["amount_received"] = obj["amount"].clone();
        obj["next_action"] = Value::Null;
        obj["last_payment_error"] = Value::Null;
        let livemode = obj["livemode"].as_bool().unwrap_or(false);
        let customer = obj["customer"].clone();
        let saving = !obj["setup_future_usage"].is_null();
        let pm_id = text(&obj["payment_method"]);
        let snapshot = obj.clone();
        if let Some(pm_index) = self.pm_position(livemode, &pm_id) {
            let pm = &mut self.payment_methods[pm_index];
            if saving {
                pm.set_up = true;
                if customer.is_string() && pm.obj["customer"].is_null() {
                    pm.obj["customer"] = customer;
                }
            } else if pm.obj["customer"].is_null() {
                pm.consumed = true;
            }
        }
        self.emit(livemode, "payment_intent.succeeded", snapshot, request);
    }

    fn setup_succeeded(&mut self, index: usize, request: &Value) {
        let obj = &mut self.setup_intents[index].obj;
        let livemode = obj["livemode"].as_bool().unwrap_or(false);
        let customer = obj["customer"].clone();
        let pm_id = text(&obj["payment_method"]);
        obj["status"] = "succeeded".into();
        obj["next_action"] = Value::Null;
        obj["last_setup_error"] = Value::Null;
        if let Some(pm_index) = self.pm_position(livemode, &pm_id) {
            let pm = &mut self.payment_methods[pm_index];
            pm.set_up = true;
            if customer.is_string() && pm.obj["customer"].is_null() {
                pm.obj["customer"] = customer;
            }
            if pm.obj["type"] != "card" {
                self.setup_intents[index].obj["mandate"] = new_id("mandate").into();
            }
        }
        let snapshot = self.setup_intents[index].obj.clone();
        self.emit(livemode, "setup_intent.succeeded", snapshot, request);
    }

    /// Back to requires_payment_method with the error; Stripe also forgets the payment method.
    fn intent_failed(&mut self, kind: Kind, index: usize, error: Value, request: &Value) {
        let intent = &mut self.intents_mut(kind)[index];
        intent.processing_since = None;
        let latest = intent.obj["latest_charge"].as_str().map(str::to_string);
        intent.obj["status"] = "requires_payment_method".into();
        intent.obj["payment_method"] = Value::Null;
        intent.obj["next_action"] = Value::Null;
        intent.obj[last_error_field(kind)] = error.clone();
        let snapshot = intent.obj.clone();
        if let Some(charge) = self
            .charges
            .iter_mut()
            .find(|c| Some(&c.id) == latest.as_ref() && c.status == "pending")
        {
            charge.status = "failed";
            charge.failure_code = error["code"].clone();
            charge.failure_message = error["message"].clone();
        }
        let livemode = snapshot["livemode"].as_bool().unwrap_or(false);
        let kind_event = match kind {
            Kind::Pi => "payment_intent.payment_failed",
            Kind::Si => "setup_intent.setup_failed",
        };
        self.emit(livemode, kind_event, snapshot, request);
    }

    fn cancel_intent(
        &mut self,
        kind: Kind,
        ctx: &Ctx,
        id: &str,
        p: &Params,
    ) -> Result<Value, ApiError> {
        p.check(CANCEL)?;
        let index = self.intent_index(kind, ctx, id, StatusCode::NOT_FOUND, "intent")?;
        let reasons: &[&str] = match kind {
            Kind::Pi => &[
                "duplicate",
                "fraudulent",
                "requested_by_customer",
                "abandoned",
            ],
            Kind::Si => &["abandoned", "requested_by_customer", "duplicate"],
        };
        let reason = one_of(p, "cancellation_reason", reasons)?;
        let cancelable: &[&str] = match kind {
            Kind::Pi => &[
                "requires_payment_method",
                "requires_confirmation",
                "requires_action",
                "processing",
            ],
            Kind::Si => &[
                "requires_payment_method",
                "requires_confirmation",
                "requires_action",
            ],
        };
        let intent = &mut self.intents_mut(kind)[index];
        let status = intent.status().to_string();
        if !cancelable.contains(&status.as_str()) {
            return Err(ApiError::state(
                &format!("{}_unexpected_state", kind.object()),
                format!(
                    "You cannot cancel this {} because it has a status of {status}. Only a {} with one of the following statuses may be canceled: {}.",
                    kind.title(),
                    kind.title(),
                    cancelable.join(", ")
                ),
            )
            .with(kind.object(), intent.obj.clone()));
        }
        intent.processing_since = None;
        intent.obj["status"] = "canceled".into();
        intent.obj["cancellation_reason"] = reason.into();
        intent.obj["next_action"] = Value::Null;
        if kind == Kind::Pi {
            intent.obj["canceled_at"] = unix_now().into();
        }
        let latest = intent.obj["latest_charge"].as_str().map(str::to_string);
        let snapshot = intent.obj.clone();
        if let Some(charge) = self
            .charges
            .iter_mut()
            .find(|c| Some(&c.id) == latest.as_ref() && c.status == "pending")
        {
            charge.status = "failed";
        }
        self.emit(
            ctx.livemode,
            &format!("{}.canceled", kind.object()),
            snapshot.clone(),
            &ctx.request,
        );
        Ok(snapshot)
    }

    /// Settles processing debits: every one when `force`, else those older than the delay.
    fn settle(&mut self, force: bool) -> usize {
        let now = Instant::now();
        let delay = self.settle_delay;
        let due: Vec<usize> = self
            .payment_intents
            .iter()
            .enumerate()
            .filter(|(_, i)| i.status() == "processing")
            .filter(|(_, i)| {
                i.processing_since
                    .is_some_and(|since| force || now.saturating_duration_since(since) >= delay)
            })
            .map(|(index, _)| index)
            .collect();
        for &index in &due {
            let obj = &self.payment_intents[index].obj;
            let livemode = obj["livemode"].as_bool().unwrap_or(false);
            let pm_id = text(&obj["payment_method"]);
            let charge = obj["latest_charge"].as_str().map(str::to_string);
            let Some(pm_index) = self.pm_position(livemode, &pm_id) else {
                continue;
            };
            match self.payment_methods[pm_index].outcome {
                Outcome::DebitFails { code, message } => {
                    let pm_obj = self.payment_methods[pm_index].obj.clone();
                    let error = payment_error(code, None, message, charge.as_deref(), &pm_obj);
                    self.intent_failed(Kind::Pi, index, error, &NO_REQUEST);
                }
                _ => self.payment_succeeded(index, &NO_REQUEST),
            }
        }
        due.len()
    }

    // --- refunds ---------------------------------------------------------------------------

    fn create_refund(&mut self, ctx: &Ctx, p: &Params) -> Result<Value, ApiError> {
        p.check(REFUND_CREATE)?;
        let index = match (p.str(&["payment_intent"]), p.str(&["charge"])) {
            (Some(pi), _) => {
                self.intent_index(Kind::Pi, ctx, pi, StatusCode::BAD_REQUEST, "payment_intent")?
            }
            (None, Some(charge)) => {
                let charge = self.charge_index(ctx, charge, StatusCode::BAD_REQUEST, "charge")?;
                let pi = self.charges[charge].payment_intent.clone();
                self.intent_index(Kind::Pi, ctx, &pi, StatusCode::BAD_REQUEST, "charge")?
            }
            (None, None) => return Err(ApiError::missing("payment_intent")),
        };
        let amount = amount_param(p)?;
        let reason = one_of(
            p,
            "reason",
            &["duplicate", "fraudulent", "requested_by_customer"],
        )?;
        let metadata = p.metadata()?;
        let pi = self.payment_intents[index].obj.clone();
        let pi_id = text(&pi["id"]);
        let charge_id = text(&pi["latest_charge"]);
        if pi["status"] != "succeeded" {
            return Err(ApiError::state(
                "payment_intent_unexpected_state",
                format!(
                    "This PaymentIntent ({pi_id}) does not have a successful charge to refund."
                ),
            ));
        }
        let Some(charge) = self.charges.iter_mut().find(|c| c.id == charge_id) else {
            return Err(ApiError::state(
                "charge_not_refundable",
                "The charge is gone.",
            ));
        };
        let remaining = charge.amount - charge.amount_refunded;
        if remaining <= 0 {
            return Err(ApiError::state(
                "charge_already_refunded",
                format!("Charge {charge_id} has already been refunded."),
            ));
        }
        let amount = amount.unwrap_or(remaining);
        if amount > remaining {
            return Err(ApiError::state(
                "amount_too_large",
                format!(
                    "Refund amount ({}) is greater than unrefunded amount on charge ({})",
                    format_amount(amount, &charge.currency),
                    format_amount(remaining, &charge.currency)
                ),
            )
            .param("amount"));
        }
        charge.amount_refunded += amount;
        let charge_obj = charge.to_value();
        let is_card = self
            .pm_position(ctx.livemode, &text(&pi["payment_method"]))
            .is_some_and(|i| self.payment_methods[i].obj["type"] == "card");
        let refund = overlay(
            template("refund"),
            json!({
                "id": new_id("re"),
                "amount": amount,
                "balance_transaction": null,
                "charge": charge_id,
                "created": unix_now(),
                "currency": pi["currency"],
                "customer": pi["customer"],
                "destination_details": if is_card { template("refund")["destination_details"].clone() } else { Value::Null },
                "livemode": ctx.livemode,
                "metadata": metadata,
                "payment_intent": pi_id,
                "payment_method": pi["payment_method"],
                "reason": reason,
                "receipt_number": null,
                "status": "succeeded",
            }),
        );
        self.refunds.push(refund.clone());
        self.emit(ctx.livemode, "refund.created", refund.clone(), &ctx.request);
        self.emit(ctx.livemode, "charge.refunded", charge_obj, &ctx.request);
        Ok(refund)
    }

    // --- webhooks --------------------------------------------------------------------------

    fn create_endpoint(
        &mut self,
        shared: &Arc<Shared>,
        ctx: &Ctx,
        p: &Params,
    ) -> Result<Value, ApiError> {
        p.check(ENDPOINT_CREATE)?;
        let url = p.required(&["url"])?;
        if !url::Url::parse(url).is_ok_and(|u| ["http", "https"].contains(&u.scheme())) {
            return Err(ApiError::invalid("url", format!("Invalid URL: {url}")).code("url_invalid"));
        }
        let enabled_events = p
            .list("enabled_events")
            .filter(|events| !events.is_empty())
            .ok_or_else(|| ApiError::missing("enabled_events"))?;
        let metadata = p.metadata()?;
        let secret = format!("whsec_{}", random_alphanumeric(32));
        let obj = overlay(
            template("webhook_endpoint"),
            json!({
                "id": new_id("we"),
                "api_version": p.str(&["api_version"]),
                "application": null,
                "created": unix_now(),
                "description": p.str(&["description"]),
                "enabled_events": enabled_events,
                "livemode": ctx.livemode,
                "metadata": metadata,
                "status": "enabled",
                "url": url,
            }),
        );
        let (queue, deliveries) = mpsc::unbounded_channel();
        self.workers
            .push(tokio::spawn(deliver_in_order(shared.clone(), deliveries)));
        self.endpoints.push(Endpoint {
            obj: obj.clone(),
            secret: secret.clone(),
            queue,
        });
        let mut answer = obj;
        answer["secret"] = secret.into();
        Ok(answer)
    }

    /// Records an event and queues it for every endpoint of its mode that wants it.
    fn emit(&mut self, livemode: bool, kind: &str, object: Value, request: &Value) {
        let targets: Vec<usize> = self
            .endpoints
            .iter()
            .enumerate()
            .filter(|(_, e)| e.obj["livemode"] == livemode)
            .filter(|(_, e)| {
                e.obj["enabled_events"]
                    .as_array()
                    .is_some_and(|events| events.iter().any(|x| x == "*" || x == kind))
            })
            .map(|(index, _)| index)
            .collect();
        let request = if request.is_null() {
            json!({ "id": null, "idempotency_key": null })
        } else {
            request.clone()
        };
        let id = new_id("evt");
        let event = overlay(
            template("event"),
            json!({
                "id": id,
                "api_version": API_VERSION,
                "created": unix_now(),
                "data": { "object": object },
                "livemode": livemode,
                "pending_webhooks": targets.len(),
                "request": request,
                "type": kind,
            }),
        );
        let body = event.to_string();
        self.events.push(EventRecord {
            obj: event,
            deliveries: Vec::new(),
        });
        for index in targets {
            let endpoint = &self.endpoints[index];
            let delivery = Delivery {
                event_id: id.clone(),
                endpoint_id: text(&endpoint.obj["id"]),
                url: text(&endpoint.obj["url"]),
                secret: endpoint.secret.clone(),
                body: body.clone(),
            };
            if endpoint.queue.send(delivery).is_ok() {
                self.pending_deliveries += 1;
            }
        }
    }

    fn expand(&self, livemode: bool, value: &mut Value, paths: &[String]) {
        for path in paths {
            match path.strip_prefix("data.") {
                Some(field) => {
                    if let Some(items) = value.get_mut("data").and_then(Value::as_array_mut) {
                        for item in items {
                            self.expand_field(livemode, item, field);
                        }
                    }
                }
                None => self.expand_field(livemode, value, path),
            }
        }
    }

    fn expand_field(&self, livemode: bool, object: &mut Value, field: &str) {
        let Some(id) = object.get(field).and_then(Value::as_str) else {
            return;
        };
        let expanded = match field {
            "payment_method" => self
                .pm_position(livemode, id)
                .map(|i| self.payment_methods[i].obj.clone()),
            "latest_charge" | "charge" => self
                .charges
                .iter()
                .find(|c| c.id == id && c.livemode == livemode)
                .map(Charge::to_value),
            "customer" => self
                .customers
                .iter()
                .find(|c| c["id"] == id && c["livemode"] == livemode)
                .cloned(),
            "payment_intent" => self
                .payment_intents
                .iter()
                .find(|i| i.obj["id"] == id && i.obj["livemode"] == livemode)
                .map(|i| i.obj.clone()),
            _ => None,
        };
        if let Some(expanded) = expanded {
            object[field] = expanded;
        }
    }
}

fn last_error_field(kind: Kind) -> &'static str {
    match kind {
        Kind::Pi => "last_payment_error",
        Kind::Si => "last_setup_error",
    }
}

fn check_card(
    number: &str,
    exp_month: i64,
    exp_year: i64,
    cvc: Option<&str>,
) -> Result<i64, ApiError> {
    if !(12..=19).contains(&number.len()) || !number.chars().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::card(
            "invalid_number",
            "card[number]",
            "Your card number is not a valid credit card number.",
        ));
    }
    if !luhn_valid(number) {
        return Err(ApiError::card(
            "incorrect_number",
            "card[number]",
            "Your card number is incorrect.",
        ));
    }
    if !(1..=12).contains(&exp_month) {
        return Err(ApiError::card(
            "invalid_expiry_month",
            "card[exp_month]",
            "Your card's expiration month is invalid.",
        ));
    }
    // Stripe takes two-digit years as 20YY.
    let exp_year = if exp_year < 100 {
        2000 + exp_year
    } else {
        exp_year
    };
    let (year, month) = current_year_month();
    if exp_year < year || exp_year > year + 50 {
        return Err(ApiError::card(
            "invalid_expiry_year",
            "card[exp_year]",
            "Your card's expiration year is invalid.",
        ));
    }
    if exp_year == year && exp_month < month {
        return Err(ApiError::card(
            "invalid_expiry_month",
            "card[exp_month]",
            "Your card's expiration month is invalid.",
        ));
    }
    if let Some(cvc) = cvc {
        let length = if card_brand(number) == "amex" { 4 } else { 3 };
        if cvc.len() != length || !cvc.chars().all(|c| c.is_ascii_digit()) {
            return Err(ApiError::card(
                "invalid_cvc",
                "card[cvc]",
                "Your card's security code is invalid.",
            ));
        }
    }
    Ok(exp_year)
}

// ---------------------------------------------------------------------------------------------
// HTTP.
// ---------------------------------------------------------------------------------------------

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/{*rest}", any(api))
        .route("/3ds/{id}", get(authentication_page))
        .route("/3ds/{id}/complete", post(complete_authentication))
        .route("/3ds/{id}/fail", post(fail_authentication))
        .route("/_double/settle", post(control_settle))
        .route("/_double/state", get(control_state))
        .fallback(not_found)
        .with_state(shared)
}

struct Reply {
    status: StatusCode,
    body: Value,
    /// The request id of the first answer, when this one is a replay.
    original: Option<String>,
    livemode: Option<bool>,
}

impl Reply {
    fn error(error: ApiError, livemode: Option<bool>) -> Reply {
        Reply {
            status: error.status,
            body: error.body(),
            original: None,
            livemode,
        }
    }
}

fn json_response(status: StatusCode, body: &Value, request_id: &str) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("request-id", value);
    }
    headers.insert("stripe-version", HeaderValue::from_static(API_VERSION));
    response
}

async fn api(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = format!("req_{}", random_alphanumeric(14));
    let idempotency_key = if method == Method::POST {
        headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    } else {
        None
    };
    let reply = serve_api(
        &shared,
        &method,
        &uri,
        &headers,
        &body,
        &request_id,
        idempotency_key.as_deref(),
    )
    .await;
    shared.lock().requests.push(RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        idempotency_key,
        status: reply.status.as_u16(),
        replayed: reply.original.is_some(),
        request_id: request_id.clone(),
        livemode: reply.livemode,
    });
    let mut response = json_response(reply.status, &reply.body, &request_id);
    let headers = response.headers_mut();
    if let Some(original) = reply.original.and_then(|o| HeaderValue::from_str(&o).ok()) {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
        headers.insert("original-request", original);
    }
    if reply.status == StatusCode::UNAUTHORIZED {
        headers.insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"Stripe\""),
        );
    }
    response
}

async fn serve_api(
    shared: &Arc<Shared>,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    request_id: &str,
    idempotency_key: Option<&str>,
) -> Reply {
    let allowed = shared.lock().allowed_keys.clone();
    let api_key = match authenticate(headers, allowed.as_deref()) {
        Ok(key) => key,
        Err(error) => return Reply::error(error, None),
    };
    let livemode = api_key.contains("_live_");
    let raw = if method == Method::POST {
        body
    } else {
        uri.query().unwrap_or_default().as_bytes()
    };
    let params = match Params::parse(raw) {
        Ok(params) => params,
        Err(error) => return Reply::error(error, Some(livemode)),
    };
    let expand = match params.expand() {
        Ok(expand) => expand,
        Err(error) => return Reply::error(error, Some(livemode)),
    };
    let path = uri.path().to_string();
    let ctx = Ctx {
        livemode,
        method: method.clone(),
        path: path.clone(),
        request: json!({ "id": request_id, "idempotency_key": idempotency_key }),
    };

    // Take the idempotency key, or answer from it.
    let slot = match idempotency_key {
        None => None,
        Some(key) => {
            if key.len() > 255 {
                return Reply::error(
                    ApiError::invalid(
                        "Idempotency-Key",
                        "Invalid Idempotency-Key: it can be at most 255 characters long.",
                    ),
                    Some(livemode),
                );
            }
            let slot = (api_key.clone(), key.to_string());
            let digest = params.digest();
            let mut inner = shared.lock();
            match inner.idempotency.get(&slot) {
                Some(Idempotent { result: None, .. }) => {
                    return Reply::error(
                        ApiError::idempotency(
                            StatusCode::CONFLICT,
                            format!("There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later."),
                        )
                        .code("idempotency_key_in_use"),
                        Some(livemode),
                    );
                }
                Some(first) if first.method != method.as_str() || first.path != path => {
                    return Reply::error(
                        ApiError::idempotency(
                            StatusCode::BAD_REQUEST,
                            format!(
                                "Keys for idempotent requests can only be used for the same endpoint they were first used for ('{} {}' vs '{} {}'). Try using a key other than '{key}' if you meant to execute a different request.",
                                first.method, first.path, method, path
                            ),
                        ),
                        Some(livemode),
                    );
                }
                Some(first) if first.digest != digest => {
                    return Reply::error(
                        ApiError::idempotency(
                            StatusCode::BAD_REQUEST,
                            format!(
                                "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                            ),
                        ),
                        Some(livemode),
                    );
                }
                Some(Idempotent {
                    result: Some(stored),
                    ..
                }) => {
                    return Reply {
                        status: stored.status,
                        body: stored.body.clone(),
                        original: Some(stored.request_id.clone()),
                        livemode: Some(livemode),
                    };
                }
                None => {
                    inner.idempotency.insert(
                        slot.clone(),
                        Idempotent {
                            method: method.to_string(),
                            path: path.clone(),
                            digest,
                            result: None,
                        },
                    );
                }
            }
            Some(slot)
        }
    };

    let latency = shared.lock().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }

    let mut inner = shared.lock();
    let segments: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    let (status, body, stored) = match inner.dispatch(shared, &ctx, &segments, &params) {
        Ok(mut value) => {
            inner.expand(livemode, &mut value, &expand);
            (StatusCode::OK, value, true)
        }
        Err(error) => (error.status, error.body(), error.stored),
    };
    if let Some(slot) = slot {
        if stored {
            if let Some(entry) = inner.idempotency.get_mut(&slot) {
                entry.result = Some(StoredResult {
                    status,
                    body: body.clone(),
                    request_id: request_id.to_string(),
                });
            }
        } else {
            // Validation failed before anything executed: a corrected retry may use the key.
            inner.idempotency.remove(&slot);
        }
    }
    Reply {
        status,
        body,
        original: None,
        livemode: Some(livemode),
    }
}

/// `Bearer KEY`, or HTTP Basic with the key as user name, as Stripe's libraries send it.
fn authenticate(headers: &HeaderMap, allowed: Option<&[String]>) -> Result<String, ApiError> {
    use base64::Engine as _;
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return Err(ApiError::unauthorized(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
        ));
    };
    let value = value.trim();
    let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
    let key = if scheme.eq_ignore_ascii_case("bearer") {
        credentials.trim().to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        base64::engine::general_purpose::STANDARD
            .decode(credentials.trim())
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .map(|pair| pair.split(':').next().unwrap_or_default().to_string())
            .unwrap_or_default()
    } else {
        value.to_string()
    };
    let well_formed = ["sk_test_", "sk_live_", "rk_test_", "rk_live_"]
        .iter()
        .any(|prefix| {
            key.strip_prefix(prefix).is_some_and(|rest| {
                !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        });
    let known = allowed.is_none_or(|keys| keys.contains(&key));
    if well_formed && known {
        Ok(key)
    } else {
        Err(ApiError::unauthorized(format!(
            "Invalid API Key provided: {}",
            mask_key(&key)
        )))
    }
}

/// Keeps the mode prefix and the last four characters, as Stripe's message does.
fn mask_key(key: &str) -> String {
    let prefix = [
        "sk_test_", "sk_live_", "rk_test_", "rk_live_", "pk_test_", "pk_live_",
    ]
    .iter()
    .find(|p| key.starts_with(**p))
    .map_or("", |p| *p);
    let rest: Vec<char> = key[prefix.len()..].chars().collect();
    if rest.len() <= 4 {
        return format!("{prefix}{}", "*".repeat(rest.len()));
    }
    let last4: String = rest[rest.len() - 4..].iter().collect();
    format!("{prefix}{}{last4}", "*".repeat(rest.len() - 4))
}

async fn not_found(method: Method, uri: Uri) -> Response {
    let error = ApiError::new(
        StatusCode::NOT_FOUND,
        "invalid_request_error",
        format!(
            "Unrecognized request URL ({method}: {}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
            uri.path()
        ),
    );
    json_response(
        error.status,
        &error.body(),
        &format!("req_{}", random_alphanumeric(14)),
    )
}

// --- the bank's authentication page (3-D Secure) ---------------------------------------------

fn find_intent(inner: &Inner, id: &str) -> Option<(Kind, usize)> {
    let kind = if id.starts_with("seti_") {
        Kind::Si
    } else {
        Kind::Pi
    };
    inner
        .intents(kind)
        .iter()
        .position(|i| i.id() == id)
        .map(|index| (kind, index))
}

fn authentication_html(inner: &Inner, kind: Kind, index: usize) -> String {
    let intent = &inner.intents(kind)[index];
    let id = escape_html(intent.id());
    let status = escape_html(intent.status());
    let livemode = intent.obj["livemode"].as_bool().unwrap_or(false);
    let what = match kind {
        Kind::Pi => format!(
            "A payment of <strong>{}</strong>.",
            escape_html(&format_amount(
                intent.obj["amount"].as_i64().unwrap_or(0),
                intent.obj["currency"].as_str().unwrap_or_default()
            ))
        ),
        Kind::Si => "Saving a card for later payments; nothing is charged now.".to_string(),
    };
    let card = inner
        .pm_position(
            livemode,
            intent.obj["payment_method"].as_str().unwrap_or_default(),
        )
        .and_then(|i| {
            inner.payment_methods[i].obj["card"]["last4"]
                .as_str()
                .map(str::to_string)
        })
        .map(|last4| format!("<p>Card ending in {}.</p>", escape_html(&last4)))
        .unwrap_or_default();
    let actions = if intent.status() == "requires_action" {
        format!(
            r#"<form method="post" action="/3ds/{id}/complete"><button type="submit">Complete authentication</button></form>
<form method="post" action="/3ds/{id}/fail"><button type="submit">Fail authentication</button></form>"#
        )
    } else {
        format!(
            "<p>This {} is not awaiting authentication: its status is {status}.</p>",
            kind.title()
        )
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Stripe test authentication</title></head>
<body>
<h1>Stripe test authentication</h1>
<p>{what}</p>
{card}
{actions}
</body>
</html>
"#
    )
}

fn page(status: StatusCode, html: String) -> Response {
    (status, Html(html)).into_response()
}

async fn authentication_page(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    let inner = shared.lock();
    match find_intent(&inner, &id) {
        Some((kind, index)) => page(StatusCode::OK, authentication_html(&inner, kind, index)),
        None => page(
            StatusCode::NOT_FOUND,
            format!(
                "<!doctype html><title>Stripe test authentication</title><p>No such intent: {}</p>",
                escape_html(&id)
            ),
        ),
    }
}

async fn complete_authentication(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    finish_authentication(&shared, &id, true)
}

async fn fail_authentication(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Response {
    finish_authentication(&shared, &id, false)
}

fn finish_authentication(shared: &Shared, id: &str, authenticated: bool) -> Response {
    let mut inner = shared.lock();
    let Some((kind, index)) = find_intent(&inner, id) else {
        return page(
            StatusCode::NOT_FOUND,
            format!(
                "<!doctype html><title>Stripe test authentication</title><p>No such intent: {}</p>",
                escape_html(id)
            ),
        );
    };
    if inner.intents(kind)[index].status() != "requires_action" {
        return page(StatusCode::OK, authentication_html(&inner, kind, index));
    }
    if authenticated {
        match kind {
            Kind::Pi => inner.payment_succeeded(index, &NO_REQUEST),
            Kind::Si => inner.setup_succeeded(index, &NO_REQUEST),
        }
    } else {
        let intent = &inner.intents(kind)[index].obj;
        let livemode = intent["livemode"].as_bool().unwrap_or(false);
        let pm_obj = inner
            .pm_position(
                livemode,
                intent["payment_method"].as_str().unwrap_or_default(),
            )
            .map(|i| inner.payment_methods[i].obj.clone())
            .unwrap_or(Value::Null);
        let error = payment_error(
            &format!("{}_authentication_failure", kind.object()),
            None,
            AUTHENTICATION_FAILED,
            None,
            &pm_obj,
        );
        inner.intent_failed(kind, index, error, &NO_REQUEST);
    }
    let intent = &inner.intents(kind)[index];
    let Some(return_url) = intent.return_url.clone() else {
        return page(StatusCode::OK, authentication_html(&inner, kind, index));
    };
    let outcome = if authenticated { "succeeded" } else { "failed" };
    let secret = text(&intent.obj["client_secret"]);
    let object = kind.object();
    let pairs = [
        (object.to_string(), intent.id().to_string()),
        (format!("{object}_client_secret"), secret),
        ("redirect_status".to_string(), outcome.to_string()),
    ];
    Redirect::to(&with_query(&return_url, &pairs)).into_response()
}

/// Appends the parameters to a URL, with `&` when it already has a query.
fn with_query(base: &str, pairs: &[(String, String)]) -> String {
    match url::Url::parse(base) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(pairs);
            url.to_string()
        }
        Err(_) => {
            let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            let separator = if base.contains('?') { '&' } else { '?' };
            format!("{base}{separator}{}", query.join("&"))
        }
    }
}

// --- control endpoints, not Stripe's ---------------------------------------------------------

async fn control_settle(State(shared): State<Arc<Shared>>) -> Response {
    let settled = shared.lock().settle(true);
    // Answer once the webhooks it caused are out, so that a browser test can look at once.
    loop {
        let idle = shared.idle.notified();
        if shared.lock().pending_deliveries == 0 {
            break;
        }
        idle.await;
    }
    json_response(StatusCode::OK, &json!({ "settled": settled }), "req_double")
}

async fn control_state(State(shared): State<Arc<Shared>>) -> Response {
    let state = shared.lock().state();
    json_response(StatusCode::OK, &state, "req_double")
}

// --- background work -------------------------------------------------------------------------

async fn settle_when_due(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(Duration::from_millis(25));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        shared.lock().settle(false);
    }
}

/// One worker per endpoint, so that each endpoint gets its events in the order they happened.
async fn deliver_in_order(shared: Arc<Shared>, mut deliveries: mpsc::UnboundedReceiver<Delivery>) {
    while let Some(delivery) = deliveries.recv().await {
        deliver(&shared, &delivery).await;
        {
            let mut inner = shared.lock();
            inner.pending_deliveries = inner.pending_deliveries.saturating_sub(1);
        }
        shared.idle.notify_waiters();
    }
}

async fn deliver(shared: &Shared, delivery: &Delivery) {
    for attempt in 0..=WEBHOOK_RETRIES {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 << (attempt - 1))).await;
        }
        let endpoint_exists = shared
            .lock()
            .endpoints
            .iter()
            .any(|e| e.obj["id"] == delivery.endpoint_id.as_str());
        if !endpoint_exists {
            return;
        }
        let timestamp = unix_now();
        let signature = webhook_signature(&delivery.secret, timestamp, &delivery.body);
        let result = shared
            .http
            .post(&delivery.url)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header(
                header::USER_AGENT,
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .header("stripe-signature", format!("t={timestamp},v1={signature}"))
            .body(delivery.body.clone())
            .send()
            .await;
        let (status, error) = match &result {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(error) => (None, Some(error.to_string())),
        };
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        {
            let mut inner = shared.lock();
            if let Some(event) = inner
                .events
                .iter_mut()
                .find(|e| e.obj["id"] == delivery.event_id.as_str())
            {
                event.deliveries.push(json!({
                    "endpoint": delivery.endpoint_id,
                    "url": delivery.url,
                    "attempt": attempt + 1,
                    "status": status,
                    "error": error,
                    "at": unix_now(),
                }));
                if delivered {
                    let pending = event.obj["pending_webhooks"].as_u64().unwrap_or(1);
                    event.obj["pending_webhooks"] = pending.saturating_sub(1).into();
                }
            }
        }
        if delivered {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const KEY: &str = "sk_test_kassa0000000001";
    const LIVE_KEY: &str = "sk_live_kassa0000000002";
    const RETURN_URL: &str = "https://shop.example/return?order=7";

    /// A Stripe client as kassa's would be: bracketed forms, a Bearer key, no redirects followed.
    struct Client {
        double: StripeDouble,
        http: reqwest::Client,
    }

    struct Answer {
        status: u16,
        headers: reqwest::header::HeaderMap,
        body: Value,
    }

    impl Client {
        async fn start() -> Client {
            Client {
                double: StripeDouble::start().await,
                http: reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .unwrap(),
            }
        }

        fn url(&self, path: &str) -> String {
            format!("{}{path}", self.double.base_url)
        }

        async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.json().await.unwrap_or(Value::Null);
            Answer {
                status,
                headers,
                body,
            }
        }

        async fn post_with(
            &self,
            key: &str,
            path: &str,
            form: &[(&str, &str)],
            idempotency_key: Option<&str>,
        ) -> Answer {
            let mut request = self.http.post(self.url(path)).bearer_auth(key).form(form);
            if let Some(idempotency_key) = idempotency_key {
                request = request.header("Idempotency-Key", idempotency_key);
            }
            self.send(request).await
        }

        async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
            let answer = self.post_with(KEY, path, form, None).await;
            (answer.status, answer.body)
        }

        async fn get_with(&self, key: &str, path: &str) -> (u16, Value) {
            let answer = self
                .send(self.http.get(self.url(path)).bearer_auth(key))
                .await;
            (answer.status, answer.body)
        }

        async fn get(&self, path: &str) -> (u16, Value) {
            self.get_with(KEY, path).await
        }

        async fn card(&self, number: &str) -> String {
            let (status, pm) = self
                .post(
                    "/v1/payment_methods",
                    &[
                        ("type", "card"),
                        ("card[number]", number),
                        ("card[exp_month]", "12"),
                        ("card[exp_year]", "2034"),
                        ("card[cvc]", "123"),
                    ],
                )
                .await;
            assert_eq!(status, 200, "{pm}");
            text(&pm["id"])
        }

        async fn pay(&self, pm: &str, amount: &str) -> (u16, Value) {
            self.post(
                "/v1/payment_intents",
                &[
                    ("amount", amount),
                    ("currency", "usd"),
                    ("payment_method", pm),
                    ("confirm", "true"),
                    ("return_url", RETURN_URL),
                ],
            )
            .await
        }

        fn event_types(&self) -> Vec<String> {
            self.double
                .events()
                .iter()
                .map(|e| text(&e["type"]))
                .collect()
        }
    }

    /// A merchant's webhook receiver that answers 500 to its first `failures` deliveries.
    async fn receiver(failures: usize) -> (String, Arc<Mutex<Vec<(String, String)>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks/stripe", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let left_to_fail = Arc::new(AtomicUsize::new(failures));
        let log = received.clone();
        let app = Router::new().route(
            "/hooks/stripe",
            post(move |headers: HeaderMap, body: String| {
                let log = log.clone();
                let left_to_fail = left_to_fail.clone();
                async move {
                    if left_to_fail
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                    {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let signature = headers["stripe-signature"].to_str().unwrap().to_string();
                    log.lock().unwrap().push((signature, body));
                    StatusCode::OK
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, received)
    }

    /// Checks a `Stripe-Signature` header the way Stripe's libraries do, independently of the
    /// double's own signing code.
    fn signature_verifies(secret: &str, header: &str, body: &str) -> bool {
        let mut timestamp = None;
        let mut v1 = None;
        for part in header.split(',') {
            match part.split_once('=') {
                Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
                Some(("v1", s)) => v1 = hex::decode(s).ok(),
                _ => {}
            }
        }
        let (Some(timestamp), Some(v1)) = (timestamp, v1) else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.{body}").as_bytes());
        mac.verify_slice(&v1).is_ok() && (unix_now() - timestamp).abs() < 300
    }

    #[tokio::test]
    async fn a_card_payment_succeeds_and_its_idempotency_key_replays_it() {
        let stripe = Client::start().await;
        let pm = stripe.card("4242424242424242").await;
        let form = [
            ("amount", "2000"),
            ("currency", "usd"),
            ("payment_method", pm.as_str()),
            ("payment_method_types[0]", "card"),
            ("confirm", "true"),
            ("return_url", RETURN_URL),
            ("metadata[kassa_attempt]", "att_1"),
        ];
        let first = stripe
            .post_with(KEY, "/v1/payment_intents", &form, Some("attempt-att_1"))
            .await;
        assert_eq!(first.status, 200, "{}", first.body);
        let pi = &first.body;
        assert_eq!(pi["status"], "succeeded");
        assert_eq!(pi["amount_received"], 2000);
        assert_eq!(pi["payment_method"], pm.as_str());
        assert_eq!(pi["livemode"], false);
        assert!(text(&pi["latest_charge"]).starts_with("ch_"));
        assert!(text(&pi["client_secret"]).starts_with(&format!("{}_secret_", text(&pi["id"]))));
        for field in [
            "next_action",
            "last_payment_error",
            "canceled_at",
            "transfer_data",
        ] {
            assert!(pi[field].is_null(), "{field} should be null: {pi}");
        }
        for field in template("payment_intent").as_object().unwrap().keys() {
            assert!(pi.get(field).is_some(), "Stripe's field {field} is missing");
        }
        assert!(
            first.headers["request-id"]
                .to_str()
                .unwrap()
                .starts_with("req_")
        );
        assert!(first.headers.get("idempotent-replayed").is_none());

        // The same key and parameters, in another order: the first answer again.
        let mut reordered = form;
        reordered.reverse();
        let again = stripe
            .post_with(
                KEY,
                "/v1/payment_intents",
                &reordered,
                Some("attempt-att_1"),
            )
            .await;
        assert_eq!(again.status, 200);
        assert_eq!(again.body, first.body);
        assert_eq!(again.headers["idempotent-replayed"], "true");
        assert_eq!(
            again.headers["original-request"],
            first.headers["request-id"]
        );
        assert_eq!(stripe.double.payment_intents().len(), 1);
        assert!(stripe.double.requests().last().unwrap().replayed);

        // The same key for another amount is refused, and nothing is created.
        let mut other = form;
        other[0] = ("amount", "3000");
        let refused = stripe
            .post_with(KEY, "/v1/payment_intents", &other, Some("attempt-att_1"))
            .await;
        assert_eq!(refused.status, 400, "{}", refused.body);
        assert_eq!(refused.body["error"]["type"], "idempotency_error");
        assert!(text(&refused.body["error"]["message"]).contains("'attempt-att_1'"));
        assert_eq!(stripe.double.payment_intents().len(), 1);
        assert_eq!(
            stripe.event_types(),
            ["payment_intent.created", "payment_intent.succeeded"]
        );

        // Used without being saved to a customer, the method cannot pay again.
        let (status, error) = stripe.pay(&pm, "100").await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(error["error"]["param"], "payment_method");

        // Nothing keeps the card number.
        let state = stripe
            .http
            .get(stripe.url("/_double/state"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!state.contains("4242424242424242"));
        assert!(state.contains("\"last4\":\"4242\""));
    }

    #[tokio::test]
    async fn a_declined_card_answers_402_with_the_intent_and_replays_it() {
        let stripe = Client::start().await;
        let pm = stripe.card("4000000000000002").await;
        let form = [
            ("amount", "1500"),
            ("currency", "eur"),
            ("payment_method", pm.as_str()),
            ("confirm", "true"),
            ("return_url", RETURN_URL),
        ];
        let declined = stripe
            .post_with(KEY, "/v1/payment_intents", &form, Some("decline-1"))
            .await;
        assert_eq!(declined.status, 402, "{}", declined.body);
        let error = &declined.body["error"];
        assert_eq!(error["type"], "card_error");
        assert_eq!(error["code"], "card_declined");
        assert_eq!(error["decline_code"], "generic_decline");
        assert_eq!(error["message"], "Your card was declined.");
        assert_eq!(error["payment_method"]["id"], pm.as_str());
        let pi = &error["payment_intent"];
        assert_eq!(pi["status"], "requires_payment_method");
        assert_eq!(pi["last_payment_error"]["decline_code"], "generic_decline");
        assert!(pi["payment_method"].is_null());
        assert!(text(&error["charge"]).starts_with("ch_"));

        let replayed = stripe
            .post_with(KEY, "/v1/payment_intents", &form, Some("decline-1"))
            .await;
        assert_eq!(replayed.status, 402);
        assert_eq!(replayed.body, declined.body);
        assert_eq!(replayed.headers["idempotent-replayed"], "true");
        assert_eq!(stripe.double.payment_intents().len(), 1);
        assert_eq!(
            stripe.event_types(),
            ["payment_intent.created", "payment_intent.payment_failed"]
        );

        // Stripe's test payment methods decline the same way.
        let (status, error) = stripe
            .pay("pm_card_chargeDeclinedInsufficientFunds", "700")
            .await;
        assert_eq!(status, 402);
        assert_eq!(error["error"]["decline_code"], "insufficient_funds");
        let (status, error) = stripe.pay("pm_card_chargeDeclinedExpiredCard", "700").await;
        assert_eq!(status, 402);
        assert_eq!(error["error"]["code"], "expired_card");
    }

    #[tokio::test]
    async fn three_d_secure_is_completed_on_the_bank_page_and_returns_to_the_shop() {
        let stripe = Client::start().await;
        let pm = stripe.card("4000002500003155").await;
        let (status, pi) = stripe.pay(&pm, "2599").await;
        assert_eq!(status, 200, "{pi}");
        assert_eq!(pi["status"], "requires_action");
        let id = text(&pi["id"]);
        let page_url = format!("{}/3ds/{id}", stripe.double.base_url);
        assert_eq!(pi["next_action"]["type"], "redirect_to_url");
        assert_eq!(
            pi["next_action"]["redirect_to_url"]["url"],
            page_url.as_str()
        );
        assert_eq!(
            pi["next_action"]["redirect_to_url"]["return_url"],
            RETURN_URL
        );

        let page = stripe.http.get(&page_url).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains("<title>Stripe test authentication</title>"));
        assert!(html.contains("25.99 USD"));
        assert!(html.contains(">Complete authentication</button>"));
        assert!(html.contains(">Fail authentication</button>"));

        let done = stripe
            .http
            .post(format!("{page_url}/complete"))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 303);
        let location = done.headers()["location"].to_str().unwrap().to_string();
        let secret = text(&pi["client_secret"]);
        assert_eq!(
            location,
            format!(
                "{RETURN_URL}&payment_intent={id}&payment_intent_client_secret={secret}&redirect_status=succeeded"
            )
        );

        let (status, pi) = stripe.get(&format!("/v1/payment_intents/{id}")).await;
        assert_eq!(status, 200);
        assert_eq!(pi["status"], "succeeded");
        assert!(pi["next_action"].is_null());
        assert_eq!(
            stripe.event_types(),
            [
                "payment_intent.created",
                "payment_intent.requires_action",
                "payment_intent.succeeded"
            ]
        );
        let html = stripe
            .http
            .get(&page_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("not awaiting authentication"));
        assert!(!html.contains("<form"));
    }

    #[tokio::test]
    async fn a_saved_card_fails_authentication_then_pays_off_session() {
        let stripe = Client::start().await;
        let (_, customer) = stripe
            .post(
                "/v1/customers",
                &[("email", "jenny@example.com"), ("name", "Jenny Rosen")],
            )
            .await;
        let customer = text(&customer["id"]);
        let setup = [
            ("customer", customer.as_str()),
            ("payment_method", "pm_card_authenticationRequired"),
            ("confirm", "true"),
            ("return_url", "https://shop.example/saved"),
        ];
        let (status, seti) = stripe.post("/v1/setup_intents", &setup).await;
        assert_eq!(status, 200, "{seti}");
        assert_eq!(seti["status"], "requires_action");
        let id = text(&seti["id"]);
        let failed = stripe
            .http
            .post(format!("{}/3ds/{id}/fail", stripe.double.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(failed.status(), 303);
        let location = failed.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(&format!(
            "https://shop.example/saved?setup_intent={id}&setup_intent_client_secret="
        )));
        assert!(location.ends_with("&redirect_status=failed"));
        let (_, seti) = stripe.get(&format!("/v1/setup_intents/{id}")).await;
        assert_eq!(seti["status"], "requires_payment_method");
        assert_eq!(
            seti["last_setup_error"]["code"],
            "setup_intent_authentication_failure"
        );

        // A second try, authenticated: the card is saved to the customer.
        let (_, seti) = stripe.post("/v1/setup_intents", &setup).await;
        let id = text(&seti["id"]);
        let done = stripe
            .http
            .post(format!("{}/3ds/{id}/complete", stripe.double.base_url))
            .send()
            .await
            .unwrap();
        assert_eq!(done.status(), 303);
        let (_, seti) = stripe.get(&format!("/v1/setup_intents/{id}")).await;
        assert_eq!(seti["status"], "succeeded");
        let pm = text(&seti["payment_method"]);
        let (_, saved) = stripe.get(&format!("/v1/payment_methods/{pm}")).await;
        assert_eq!(saved["customer"], customer.as_str());

        let (status, list) = stripe
            .get(&format!("/v1/setup_intents?customer={customer}&limit=1"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(list["object"], "list");
        assert_eq!(list["data"][0]["id"], id.as_str());
        assert_eq!(list["has_more"], true);

        // Set up once, it pays off session without a challenge, as often as needed.
        for _ in 0..2 {
            let (status, pi) = stripe
                .post(
                    "/v1/payment_intents",
                    &[
                        ("amount", "1500"),
                        ("currency", "usd"),
                        ("customer", customer.as_str()),
                        ("payment_method", pm.as_str()),
                        ("confirm", "true"),
                        ("off_session", "true"),
                    ],
                )
                .await;
            assert_eq!(status, 200, "{pi}");
            assert_eq!(pi["status"], "succeeded");
        }
        // Without its customer it is refused.
        let (status, error) = stripe.pay(&pm, "100").await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["param"], "payment_method");
    }

    #[tokio::test]
    async fn a_sepa_debit_settles_and_its_webhooks_arrive_signed_and_in_order() {
        let stripe = Client::start().await;
        stripe.double.set_settle_delay(Duration::from_secs(3600));
        let (url, received) = receiver(0).await;
        let (status, endpoint) = stripe
            .post(
                "/v1/webhook_endpoints",
                &[
                    ("url", url.as_str()),
                    ("enabled_events[]", "payment_intent.processing"),
                    ("enabled_events[]", "payment_intent.succeeded"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{endpoint}");
        let secret = text(&endpoint["secret"]);
        assert!(secret.starts_with("whsec_"));
        let (_, endpoints) = stripe.get("/v1/webhook_endpoints").await;
        assert!(endpoints["data"][0].get("secret").is_none());

        let (status, pm) = stripe
            .post(
                "/v1/payment_methods",
                &[
                    ("type", "sepa_debit"),
                    ("sepa_debit[iban]", "DE89 3704 0044 0532 0130 00"),
                    ("billing_details[name]", "Jenny Rosen"),
                    ("billing_details[email]", "jenny@example.com"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{pm}");
        assert_eq!(pm["sepa_debit"]["last4"], "3000");
        assert_eq!(pm["sepa_debit"]["bank_code"], "37040044");
        let pm = text(&pm["id"]);
        let mut form = vec![
            ("amount", "1000"),
            ("currency", "eur"),
            ("payment_method_types[0]", "sepa_debit"),
            ("payment_method", pm.as_str()),
            ("confirm", "true"),
        ];
        let (status, error) = stripe.post("/v1/payment_intents", &form).await;
        assert_eq!(status, 400, "{error}");
        assert_eq!(error["error"]["param"], "mandate_data");
        form.extend([
            ("mandate_data[customer_acceptance][type]", "online"),
            (
                "mandate_data[customer_acceptance][online][ip_address]",
                "203.0.113.7",
            ),
            (
                "mandate_data[customer_acceptance][online][user_agent]",
                "Mozilla/5.0",
            ),
        ]);
        let (status, pi) = stripe.post("/v1/payment_intents", &form).await;
        assert_eq!(status, 200, "{pi}");
        assert_eq!(pi["status"], "processing");
        let id = text(&pi["id"]);

        stripe.double.settle_now().await;
        let (_, pi) = stripe.get(&format!("/v1/payment_intents/{id}")).await;
        assert_eq!(pi["status"], "succeeded");
        assert_eq!(pi["amount_received"], 1000);

        let received = received.lock().unwrap().clone();
        let types: Vec<String> = received
            .iter()
            .map(|(_, body)| text(&serde_json::from_str::<Value>(body).unwrap()["type"]))
            .collect();
        assert_eq!(
            types,
            ["payment_intent.processing", "payment_intent.succeeded"]
        );
        for (signature, body) in &received {
            assert!(signature_verifies(&secret, signature, body), "{signature}");
            let event: Value = serde_json::from_str(body).unwrap();
            assert_eq!(event["object"], "event");
            assert_eq!(event["api_version"], API_VERSION);
            assert_eq!(event["data"]["object"]["id"], id.as_str());
        }
        assert!(!signature_verifies(
            "whsec_wrong",
            &received[0].0,
            &received[0].1
        ));
        let succeeded = stripe
            .double
            .events()
            .into_iter()
            .find(|e| e["type"] == "payment_intent.succeeded")
            .unwrap();
        assert_eq!(succeeded["_deliveries"][0]["status"], 200);
        assert_eq!(succeeded["pending_webhooks"], 0);
        assert!(succeeded["request"]["id"].is_null());
    }

    #[tokio::test]
    async fn webhooks_are_retried_until_the_endpoint_takes_them() {
        let stripe = Client::start().await;
        let (url, received) = receiver(2).await;
        let (_, endpoint) = stripe
            .post(
                "/v1/webhook_endpoints",
                &[("url", url.as_str()), ("enabled_events[0]", "*")],
            )
            .await;
        let (status, _) = stripe.pay("pm_card_visa", "500").await;
        assert_eq!(status, 200);
        stripe.double.flush_webhooks().await;
        let received = received.lock().unwrap().clone();
        let types: Vec<String> = received
            .iter()
            .map(|(_, body)| text(&serde_json::from_str::<Value>(body).unwrap()["type"]))
            .collect();
        assert_eq!(
            types,
            ["payment_intent.created", "payment_intent.succeeded"]
        );
        let created = &stripe.double.events()[0];
        let statuses: Vec<&Value> = created["_deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| &d["status"])
            .collect();
        assert_eq!(statuses, [500, 500, 200]);
        assert_eq!(created["_deliveries"][2]["endpoint"], endpoint["id"]);
    }

    #[tokio::test]
    async fn a_failing_bank_account_settles_as_a_failed_payment() {
        let stripe = Client::start().await;
        let account = |number: &'static str, routing: &'static str| {
            [
                ("type", "us_bank_account"),
                ("us_bank_account[routing_number]", routing),
                ("us_bank_account[account_number]", number),
                ("us_bank_account[account_holder_type]", "individual"),
                ("billing_details[name]", "Jenny Rosen"),
            ]
        };
        let (status, error) = stripe
            .post("/v1/payment_methods", &account("000123456789", "110000001"))
            .await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["param"], "us_bank_account[routing_number]");
        let (status, pm) = stripe
            .post("/v1/payment_methods", &account("000111111113", "110000000"))
            .await;
        assert_eq!(status, 200, "{pm}");
        assert_eq!(pm["us_bank_account"]["bank_name"], "STRIPE TEST BANK");
        assert_eq!(pm["us_bank_account"]["last4"], "1113");
        let (status, pi) = stripe
            .post(
                "/v1/payment_intents",
                &[
                    ("amount", "4200"),
                    ("currency", "usd"),
                    ("payment_method_types[]", "us_bank_account"),
                    ("payment_method", &text(&pm["id"])),
                    ("confirm", "true"),
                    ("mandate_data[customer_acceptance][type]", "offline"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{pi}");
        assert_eq!(pi["status"], "processing");
        let settled = stripe
            .http
            .post(stripe.url("/_double/settle"))
            .send()
            .await
            .unwrap();
        assert_eq!(settled.status(), 200);
        let (_, pi) = stripe
            .get(&format!("/v1/payment_intents/{}", text(&pi["id"])))
            .await;
        assert_eq!(pi["status"], "requires_payment_method");
        assert_eq!(pi["last_payment_error"]["code"], "account_closed");
        assert!(
            stripe
                .event_types()
                .contains(&"payment_intent.payment_failed".to_string())
        );
    }

    #[tokio::test]
    async fn search_by_metadata_finds_the_intent() {
        let stripe = Client::start().await;
        for attempt in ["att_1", "att_2"] {
            // Literal brackets, as some clients send them.
            let response = stripe
                .http
                .post(stripe.url("/v1/payment_intents"))
                .bearer_auth(KEY)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(format!("amount=500&currency=usd&payment_method_types[]=card&metadata[kassa_attempt]={attempt}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
        }
        for query in [
            "metadata['kassa_attempt']:'att_2'",
            "metadata[\"kassa_attempt\"]:\"att_2\"",
        ] {
            let answer = stripe
                .send(
                    stripe
                        .http
                        .get(stripe.url("/v1/payment_intents/search"))
                        .bearer_auth(KEY)
                        .query(&[("query", query)]),
                )
                .await;
            assert_eq!(answer.status, 200, "{}", answer.body);
            assert_eq!(answer.body["object"], "search_result");
            assert_eq!(answer.body["data"].as_array().unwrap().len(), 1);
            assert_eq!(answer.body["data"][0]["metadata"]["kassa_attempt"], "att_2");
            assert_eq!(answer.body["data"][0]["status"], "requires_payment_method");
        }
        let answer = stripe
            .send(
                stripe
                    .http
                    .get(stripe.url("/v1/payment_intents/search"))
                    .bearer_auth(KEY)
                    .query(&[("query", "status:'succeeded'")]),
            )
            .await;
        assert_eq!(answer.status, 400);
        assert_eq!(answer.body["error"]["param"], "query");
    }

    #[tokio::test]
    async fn refunds_stop_at_what_was_received() {
        let stripe = Client::start().await;
        let (_, pi) = stripe.pay("pm_card_mastercard", "5000").await;
        let id = text(&pi["id"]);
        let (status, error) = stripe
            .post(
                "/v1/refunds",
                &[("payment_intent", id.as_str()), ("amount", "6000")],
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["code"], "amount_too_large");
        assert_eq!(error["error"]["param"], "amount");
        let (status, refund) = stripe
            .post(
                "/v1/refunds",
                &[
                    ("payment_intent", id.as_str()),
                    ("reason", "requested_by_customer"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{refund}");
        assert_eq!(refund["object"], "refund");
        assert_eq!(refund["amount"], 5000);
        assert_eq!(refund["status"], "succeeded");
        assert_eq!(refund["charge"], pi["latest_charge"]);
        assert_eq!(refund["payment_intent"], id.as_str());
        let (status, error) = stripe
            .post("/v1/refunds", &[("payment_intent", id.as_str())])
            .await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["code"], "charge_already_refunded");
        let (status, again) = stripe
            .get(&format!("/v1/refunds/{}", text(&refund["id"])))
            .await;
        assert_eq!(status, 200);
        assert_eq!(again, refund);
        assert_eq!(stripe.double.refunds().len(), 1);
        let refunded = stripe
            .double
            .events()
            .into_iter()
            .find(|e| e["type"] == "charge.refunded")
            .unwrap();
        assert_eq!(refunded["data"]["object"]["refunded"], true);
        assert_eq!(refunded["data"]["object"]["amount_refunded"], 5000);
    }

    #[tokio::test]
    async fn unknown_ids_are_resource_missing() {
        let stripe = Client::start().await;
        let (status, error) = stripe.get("/v1/payment_intents/pi_nope").await;
        assert_eq!(status, 404);
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert_eq!(error["error"]["code"], "resource_missing");
        assert_eq!(error["error"]["param"], "intent");
        assert_eq!(
            error["error"]["message"],
            "No such payment_intent: 'pi_nope'"
        );
        let (status, _) = stripe
            .post("/v1/payment_intents/pi_nope/confirm", &[])
            .await;
        assert_eq!(status, 404);
        let (status, error) = stripe.pay("pm_nope", "100").await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["code"], "resource_missing");
        assert_eq!(error["error"]["param"], "payment_method");
        let (status, error) = stripe.get("/v1/customers/cus_nope").await;
        assert_eq!(status, 404);
        assert_eq!(error["error"]["param"], "id");
        let (status, error) = stripe.get("/v1/nothing_here").await;
        assert_eq!(status, 404);
        assert!(text(&error["error"]["message"]).starts_with("Unrecognized request URL"));
    }

    #[tokio::test]
    async fn a_test_key_cannot_read_a_live_object() {
        let stripe = Client::start().await;
        let live = stripe
            .post_with(
                LIVE_KEY,
                "/v1/payment_intents",
                &[("amount", "900"), ("currency", "usd")],
                None,
            )
            .await;
        assert_eq!(live.status, 200);
        assert_eq!(live.body["livemode"], true);
        let path = format!("/v1/payment_intents/{}", text(&live.body["id"]));
        let (status, error) = stripe.get(&path).await;
        assert_eq!(status, 404);
        assert!(text(&error["error"]["message"]).contains("exists in live mode"));
        let (status, _) = stripe.get_with(LIVE_KEY, &path).await;
        assert_eq!(status, 200);
        // A restricted live key over HTTP Basic, as some libraries send it.
        let answer = stripe
            .send(
                stripe
                    .http
                    .get(stripe.url(&path))
                    .basic_auth("rk_live_kassa3", Some("")),
            )
            .await;
        assert_eq!(answer.status, 200);
        let (_, list) = stripe.get("/v1/payment_intents").await;
        assert_eq!(list["data"].as_array().unwrap().len(), 0);
    }

    #[tokio::test]
    async fn a_request_failing_validation_does_not_use_up_its_key() {
        let stripe = Client::start().await;
        let missing = stripe
            .post_with(
                KEY,
                "/v1/payment_intents",
                &[("currency", "usd")],
                Some("k-1"),
            )
            .await;
        assert_eq!(missing.status, 400);
        assert_eq!(missing.body["error"]["code"], "parameter_missing");
        assert_eq!(missing.body["error"]["param"], "amount");
        let fixed = stripe
            .post_with(
                KEY,
                "/v1/payment_intents",
                &[("currency", "usd"), ("amount", "100")],
                Some("k-1"),
            )
            .await;
        assert_eq!(fixed.status, 200, "{}", fixed.body);
        assert!(fixed.headers.get("idempotent-replayed").is_none());

        let (status, error) = stripe
            .post(
                "/v1/payment_intents",
                &[
                    ("currency", "usd"),
                    ("amount", "100"),
                    ("capture_method", "manual"),
                ],
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["code"], "parameter_unknown");
        assert_eq!(error["error"]["param"], "capture_method");
        let (status, error) = stripe
            .post(
                "/v1/payment_intents",
                &[
                    ("currency", "usd"),
                    ("amount", "100"),
                    ("confirm", "true"),
                    ("payment_method", "pm_card_visa"),
                ],
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["param"], "return_url");
    }

    #[tokio::test]
    async fn a_key_in_use_by_a_running_request_is_a_409() {
        let stripe = Client::start().await;
        stripe.double.set_latency(Duration::from_millis(300));
        let form = [("amount", "100"), ("currency", "usd")];
        let (a, b) = tokio::join!(
            stripe.post_with(KEY, "/v1/payment_intents", &form, Some("twice")),
            stripe.post_with(KEY, "/v1/payment_intents", &form, Some("twice")),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        let conflict = if a.status == 409 { a } else { b };
        assert_eq!(conflict.body["error"]["type"], "idempotency_error");
        assert_eq!(conflict.body["error"]["code"], "idempotency_key_in_use");
        assert_eq!(stripe.double.payment_intents().len(), 1);
    }

    #[tokio::test]
    async fn bad_keys_are_401_with_the_key_masked() {
        let stripe = Client::start().await;
        let answer = stripe
            .send(stripe.http.get(stripe.url("/v1/payment_intents")))
            .await;
        assert_eq!(answer.status, 401);
        assert!(
            text(&answer.body["error"]["message"]).starts_with("You did not provide an API key")
        );
        let (status, error) = stripe
            .get_with("pk_test_abcdefgh1234", "/v1/payment_intents")
            .await;
        assert_eq!(status, 401);
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert_eq!(
            error["error"]["message"],
            "Invalid API Key provided: pk_test_********1234"
        );
        stripe.double.restrict_keys(&[KEY]);
        let (status, _) = stripe
            .get_with("sk_test_revoked9999", "/v1/payment_intents")
            .await;
        assert_eq!(status, 401);
        let (status, _) = stripe.get("/v1/payment_intents").await;
        assert_eq!(status, 200);
    }

    #[tokio::test]
    async fn cards_are_checked_when_the_method_is_made_and_charged_when_confirmed() {
        let stripe = Client::start().await;
        let card = |number: &'static str, year: &'static str| {
            [
                ("type", "card"),
                ("card[number]", number),
                ("card[exp_month]", "12"),
                ("card[exp_year]", year),
            ]
        };
        let (status, error) = stripe
            .post("/v1/payment_methods", &card("4242424242424241", "2034"))
            .await;
        assert_eq!(status, 402);
        assert_eq!(error["error"]["code"], "incorrect_number");
        assert_eq!(error["error"]["param"], "card[number]");
        assert_eq!(error["error"]["message"], "Your card number is incorrect.");
        let (status, error) = stripe
            .post("/v1/payment_methods", &card("4242424242424242", "2020"))
            .await;
        assert_eq!(status, 402);
        assert_eq!(error["error"]["code"], "invalid_expiry_year");
        let (status, error) = stripe
            .post(
                "/v1/payment_methods",
                &[("type", "card"), ("card[number]", "4242424242424242")],
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["param"], "card[exp_month]");
        let (status, pm) = stripe
            .post("/v1/payment_methods", &card("378282246310005", "2034"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(pm["card"]["brand"], "amex");
        assert_eq!(pm["card"]["last4"], "0005");
        // A real card number: accepted as a method, declined when charged in test mode.
        let real = stripe.card("4111111111111111").await;
        let (status, error) = stripe.pay(&real, "100").await;
        assert_eq!(status, 402);
        assert_eq!(error["error"]["decline_code"], "test_mode_live_card");
        // The same number gives the same fingerprint, which is not the number.
        let (_, a) = stripe
            .get(&format!(
                "/v1/payment_methods/{}",
                stripe.card("5555555555554444").await
            ))
            .await;
        let (_, b) = stripe
            .get(&format!(
                "/v1/payment_methods/{}",
                stripe.card("5555555555554444").await
            ))
            .await;
        assert_eq!(a["card"]["fingerprint"], b["card"]["fingerprint"]);
        assert_eq!(a["card"]["brand"], "mastercard");
    }

    #[tokio::test]
    async fn an_intent_is_canceled_once() {
        let stripe = Client::start().await;
        let (_, pi) = stripe
            .post(
                "/v1/payment_intents",
                &[
                    ("amount", "100"),
                    ("currency", "usd"),
                    ("payment_method", "pm_card_visa"),
                ],
            )
            .await;
        assert_eq!(pi["status"], "requires_confirmation");
        let path = format!("/v1/payment_intents/{}/cancel", text(&pi["id"]));
        let (status, canceled) = stripe
            .post(&path, &[("cancellation_reason", "abandoned")])
            .await;
        assert_eq!(status, 200);
        assert_eq!(canceled["status"], "canceled");
        assert_eq!(canceled["cancellation_reason"], "abandoned");
        assert!(canceled["canceled_at"].is_i64());
        let (status, error) = stripe.post(&path, &[]).await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["code"], "payment_intent_unexpected_state");
        assert_eq!(error["error"]["payment_intent"]["status"], "canceled");
    }

    #[tokio::test]
    async fn updates_expansion_and_the_events_api_read_like_stripes() {
        let stripe = Client::start().await;
        let (_, pi) = stripe
            .post(
                "/v1/payment_intents",
                &[
                    ("amount", "100"),
                    ("currency", "usd"),
                    ("metadata[a]", "1"),
                    ("metadata[b]", "2"),
                ],
            )
            .await;
        let path = format!("/v1/payment_intents/{}", text(&pi["id"]));
        let (status, pi) = stripe
            .post(
                &path,
                &[
                    ("amount", "250"),
                    ("metadata[a]", ""),
                    ("metadata[c]", "3"),
                    ("payment_method", "pm_card_visa"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{pi}");
        assert_eq!(pi["amount"], 250);
        assert_eq!(pi["metadata"], json!({ "b": "2", "c": "3" }));
        assert_eq!(pi["status"], "requires_confirmation");
        let (status, pi) = stripe
            .post(
                &format!("{path}/confirm"),
                &[
                    ("return_url", RETURN_URL),
                    ("expand[]", "latest_charge"),
                    ("expand[]", "payment_method"),
                ],
            )
            .await;
        assert_eq!(status, 200, "{pi}");
        assert_eq!(pi["latest_charge"]["object"], "charge");
        assert_eq!(pi["latest_charge"]["amount"], 250);
        assert_eq!(pi["payment_method"]["card"]["brand"], "visa");
        let (status, error) = stripe.post(&path, &[("amount", "300")]).await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["code"], "payment_intent_unexpected_state");
        let (status, error) = stripe
            .post(&format!("{path}/confirm"), &[("return_url", RETURN_URL)])
            .await;
        assert_eq!(status, 400);
        assert_eq!(error["error"]["code"], "payment_intent_unexpected_state");

        let (status, events) = stripe.get("/v1/events?type=payment_intent.succeeded").await;
        assert_eq!(status, 200);
        assert_eq!(events["object"], "list");
        assert_eq!(events["data"].as_array().unwrap().len(), 1);
        let event = &events["data"][0];
        assert!(event.get("_deliveries").is_none());
        assert_eq!(event["data"]["object"]["amount_received"], 250);
        let (status, again) = stripe
            .get(&format!("/v1/events/{}", text(&event["id"])))
            .await;
        assert_eq!(status, 200);
        assert_eq!(&again, event);
        for field in template("event").as_object().unwrap().keys() {
            assert!(
                event.get(field).is_some(),
                "Stripe's field {field} is missing"
            );
        }

        let (url, received) = receiver(0).await;
        let (_, endpoint) = stripe
            .post(
                "/v1/webhook_endpoints",
                &[("url", url.as_str()), ("enabled_events[0]", "*")],
            )
            .await;
        let answer = stripe
            .send(
                stripe
                    .http
                    .delete(stripe.url(&format!("/v1/webhook_endpoints/{}", text(&endpoint["id"]))))
                    .bearer_auth(KEY),
            )
            .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body["deleted"], true);
        stripe.pay("pm_card_visa", "100").await;
        stripe.double.flush_webhooks().await;
        assert!(received.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn a_declined_card_fails_its_setup_intent_with_402() {
        let stripe = Client::start().await;
        let (status, error) = stripe
            .post(
                "/v1/setup_intents",
                &[
                    ("payment_method", "pm_card_chargeDeclined"),
                    ("confirm", "true"),
                    ("return_url", RETURN_URL),
                    ("metadata[kassa_attempt]", "att_9"),
                ],
            )
            .await;
        assert_eq!(status, 402, "{error}");
        assert_eq!(error["error"]["type"], "card_error");
        assert_eq!(error["error"]["decline_code"], "generic_decline");
        let seti = &error["error"]["setup_intent"];
        assert_eq!(seti["status"], "requires_payment_method");
        assert_eq!(seti["last_setup_error"]["code"], "card_declined");
        assert_eq!(seti["metadata"]["kassa_attempt"], "att_9");
        assert!(seti["next_action"].is_null());
        assert_eq!(
            stripe.event_types(),
            ["setup_intent.created", "setup_intent.setup_failed"]
        );
        let (status, seti) = stripe
            .post(
                &format!("/v1/setup_intents/{}/cancel", text(&seti["id"])),
                &[],
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(seti["status"], "canceled");
    }

    #[test]
    fn validators_agree_with_stripes_test_data() {
        for number in [
            "4242424242424242",
            "4000056655665556",
            "5555555555554444",
            "2223003122003222",
            "5200828282828210",
            "378282246310005",
            "371449635398431",
            "6011111111111117",
            "3056930009020004",
            "36227206271667",
            "3566002020360505",
            "6200000000000005",
            "4000000000000002",
            "4000000000009995",
            "4000000000000069",
            "4000000000000127",
            "4000002500003155",
            "4000000000003220",
        ] {
            assert!(luhn_valid(number), "{number}");
            assert_ne!(card_brand(number), "unknown", "{number}");
        }
        assert!(!luhn_valid("4242424242424241"));
        for iban in [
            "DE89370400440532013000",
            "DE62370400440532013001",
            "AT861904300235473202",
            "AT611904300234573201",
        ] {
            assert!(iban_valid(iban), "{iban}");
        }
        assert!(!iban_valid("DE89370400440532013001"));
        assert!(routing_number_valid("110000000"));
        assert!(!routing_number_valid("110000001"));
        assert_eq!(mask_key("sk_test_abcdefgh1234"), "sk_test_********1234");
        assert_eq!(
            parse_metadata_query("metadata['a b']:'c'"),
            Some(("a b".into(), "c".into()))
        );
        assert_eq!(parse_metadata_query("metadata['a']:'c' AND x"), None);
    }
}
