//! Stripe as a payment processor: PaymentMethods from the details the buyer typed (sent server to
//! server, which Stripe allows only to accounts cleared for raw card data), PaymentIntents to
//! charge, SetupIntents to save a method without charging, Customers to keep it on, Refunds, and
//! Stripe's signed events for what settles later.
//!
//! Why reqwest with typed bodies and not a client crate: kassa calls nine endpoints, and needs
//! control over exactly what each request carries (its idempotency key, the timeout, a replay
//! with the same parameters); async-stripe generates every resource of Stripe's API, which would
//! add minutes to every build for code kassa never calls.
//!
//! Idempotency, as kassa's core asks of a processor:
//! - Every POST carries an `Idempotency-Key` derived from the attempt's key (`{key}-pm`,
//!   `{key}-cus`, `{key}` for the intent), so a retry gets Stripe's first answer.
//! - A lookup finds the intent by its `metadata[kassa_attempt]` (Stripe's search); when there is
//!   none, it closes the key by sending a different request under it: Stripe refuses that if the
//!   original ever arrived (then the answer is "not known yet"), and otherwise the original can no
//!   longer run, so "nothing was charged" stays true. The placeholder it creates is canceled.

use super::{
    ActionKind, ChargeOutcome, ChargeRequest, ClientInfo, Lookup, LookupRequest, MethodSummary,
    PaymentProcessor, ProcessorError, RefundRequest, SavedChargeRequest, Settlement,
};
use crate::domain::card::CardBrand;
use crate::domain::payment::PaymentDetails;
use crate::domain::processor::ProcessorSecret;
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// The API version kassa speaks, sent with every request.
pub const API_VERSION: &str = "2024-06-20";
/// Stripe's API, unless the operator points kassa elsewhere (`KASSA_STRIPE_API_BASE`).
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
/// How long a processing debit waits before kassa asks Stripe itself, should its event not come.
const SETTLE_POLL_MS: i64 = 60_000;

/// Where Stripe's API is, and the client that calls it (shared by every organization's processor).
#[derive(Clone)]
pub struct StripeApi {
    base: String,
    http: reqwest::Client,
}

impl StripeApi {
    pub fn new(base: &str) -> StripeApi {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("kassa/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS client can be built");
        StripeApi {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
    }
}

/// One organization's Stripe account in one mode.
pub struct StripeProcessor {
    api: StripeApi,
    secret_key: ProcessorSecret,
    livemode: bool,
}

impl StripeProcessor {
    pub fn new(api: StripeApi, secret_key: ProcessorSecret, livemode: bool) -> StripeProcessor {
        StripeProcessor {
            api,
            secret_key,
            livemode,
        }
    }
}

// ---- Stripe's wire shapes (only the fields kassa reads) ----

#[derive(Debug, Clone, Deserialize)]
struct ErrorEnvelope {
    error: ApiError,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct ApiError {
    #[serde(rename = "type", default)]
    kind: String,
    code: Option<String>,
    decline_code: Option<String>,
    message: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct PaymentMethod {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    card: Option<CardDetails>,
    sepa_debit: Option<BankDetails>,
    us_bank_account: Option<BankDetails>,
}

#[derive(Debug, Clone, Deserialize)]
struct CardDetails {
    brand: String,
    last4: String,
    exp_month: u8,
    exp_year: u16,
    fingerprint: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct BankDetails {
    last4: Option<String>,
    bank_name: Option<String>,
    country: Option<String>,
    fingerprint: Option<String>,
}

/// A PaymentIntent or a SetupIntent: the fields both have that kassa reads.
#[derive(Debug, Clone, Deserialize)]
struct Intent {
    id: String,
    status: String,
    next_action: Option<NextAction>,
    #[serde(alias = "last_setup_error")]
    last_payment_error: Option<ApiError>,
    payment_method: Option<String>,
    customer: Option<String>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
struct NextAction {
    redirect_to_url: Option<RedirectToUrl>,
}

#[derive(Debug, Clone, Deserialize)]
struct RedirectToUrl {
    url: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Object {
    id: String,
}

#[derive(Debug, Clone, Deserialize)]
struct List<T> {
    data: Vec<T>,
}

// ---- requests ----

#[derive(Serialize)]
struct NewPaymentMethod<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    card: Option<CardParams<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sepa_debit: Option<SepaParams<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    us_bank_account: Option<UsBankParams<'a>>,
    billing_details: BillingDetails<'a>,
}

#[derive(Serialize)]
struct CardParams<'a> {
    number: &'a str,
    exp_month: u8,
    exp_year: u16,
    cvc: &'a str,
}

#[derive(Serialize)]
struct SepaParams<'a> {
    iban: &'a str,
}

#[derive(Serialize)]
struct UsBankParams<'a> {
    routing_number: &'a str,
    account_number: &'a str,
    account_holder_type: &'a str,
}

#[derive(Serialize)]
struct BillingDetails<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    email: &'a str,
}

#[derive(Serialize)]
struct NewCustomer<'a> {
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    metadata: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct NewIntent<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<String>,
    payment_method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer: Option<&'a str>,
    confirm: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    setup_future_usage: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<&'a str>,
    payment_method_types: Vec<&'a str>,
    return_url: &'a str,
    metadata: BTreeMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mandate_data: Option<MandateData>,
}

#[derive(Serialize)]
struct MandateData {
    customer_acceptance: CustomerAcceptance,
}

#[derive(Serialize)]
struct CustomerAcceptance {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    online: Option<OnlineAcceptance>,
}

#[derive(Serialize)]
struct OnlineAcceptance {
    ip_address: String,
    user_agent: String,
}

/// A charge of a saved method with the buyer away (a renewal).
#[derive(Serialize)]
struct OffSessionIntent<'a> {
    amount: i64,
    currency: String,
    customer: &'a str,
    payment_method: &'a str,
    confirm: bool,
    off_session: bool,
    metadata: BTreeMap<&'a str, &'a str>,
}

/// A placeholder sent under a key to close it: unlike anything kassa sends to charge.
#[derive(Serialize)]
struct ClosingIntent<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer: Option<String>,
    metadata: BTreeMap<&'a str, &'a str>,
}

#[derive(Serialize)]
struct NewRefund<'a> {
    payment_intent: &'a str,
    amount: i64,
    metadata: BTreeMap<&'a str, &'a str>,
}

/// What a call to Stripe came to, short of a parsed answer.
#[derive(Debug)]
enum Failure {
    /// Stripe answered with an error.
    Api { status: u16, error: ApiError },
    /// No answer, or one that could not be read.
    Transport(String),
}

impl Failure {
    /// What it means for money: a card error is a decline (handled by the caller); a server
    /// error, a rate limit, a conflict with a request still running or no answer at all may have
    /// charged; any other refusal did not.
    fn into_processor_error(self, what: &str) -> ProcessorError {
        match self {
            Failure::Transport(why) => ProcessorError::Unknown(format!("{what}: {why}")),
            Failure::Api { status, error, .. }
                if status >= 500 || status == 429 || status == 409 =>
            {
                ProcessorError::Unknown(format!(
                    "{what}: Stripe answered {status} ({})",
                    error.kind
                ))
            }
            Failure::Api { status, error, .. } => ProcessorError::NotCharged(format!(
                "{what}: Stripe answered {status} {} {}",
                error.kind,
                error.message.unwrap_or_default()
            )),
        }
    }

    fn is_idempotency_conflict(&self) -> bool {
        matches!(self, Failure::Api { status: 400, error, .. } if error.kind == "idempotency_error")
    }
}

impl StripeProcessor {
    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
        idempotency_key: Option<&str>,
    ) -> Result<T, Failure> {
        let mut request = request
            .bearer_auth(self.secret_key.expose())
            .header("Stripe-Version", API_VERSION);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::Transport(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| Failure::Transport(e.without_url().to_string()))?;
        if (200..300).contains(&status) {
            return serde_json::from_str(&body)
                .map_err(|e| Failure::Transport(format!("an answer kassa cannot read: {e}")));
        }
        let error = serde_json::from_str::<ErrorEnvelope>(&body)
            .map(|e| e.error)
            .unwrap_or_default();
        Err(Failure::Api { status, error })
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &impl Serialize,
        idempotency_key: Option<&str>,
    ) -> Result<T, Failure> {
        let body = serde_qs::to_string(form)
            .map_err(|e| Failure::Transport(format!("a request kassa cannot encode: {e}")))?;
        let request = self
            .api
            .http
            .post(format!("{}{path}", self.api.base))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        self.send(request, idempotency_key).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Failure> {
        let request = self.api.http.get(format!("{}{path}", self.api.base));
        self.send(request, None).await
    }

    /// The payment method the buyer's details make, at Stripe.
    async fn payment_method(
        &self,
        request: &ChargeRequest<'_>,
    ) -> Result<Result<PaymentMethod, ChargeOutcome>, ProcessorError> {
        let billing = BillingDetails {
            name: request.buyer.name,
            email: request.buyer.email,
        };
        let form = match request.details {
            PaymentDetails::Card {
                number,
                expiry,
                cvc,
                name,
            } => NewPaymentMethod {
                kind: "card",
                card: Some(CardParams {
                    number: number.expose_digits(),
                    exp_month: expiry.month,
                    exp_year: expiry.year,
                    cvc: cvc.expose(),
                }),
                sepa_debit: None,
                us_bank_account: None,
                billing_details: BillingDetails {
                    name: name.as_deref().or(billing.name),
                    ..billing
                },
            },
            PaymentDetails::SepaDebit { iban, holder } => NewPaymentMethod {
                kind: "sepa_debit",
                card: None,
                sepa_debit: Some(SepaParams {
                    iban: iban.expose(),
                }),
                us_bank_account: None,
                billing_details: BillingDetails {
                    name: Some(holder),
                    ..billing
                },
            },
            PaymentDetails::UsBankAccount {
                routing_number,
                account_number,
                holder,
            } => NewPaymentMethod {
                kind: "us_bank_account",
                card: None,
                sepa_debit: None,
                us_bank_account: Some(UsBankParams {
                    routing_number,
                    account_number: account_number.expose(),
                    account_holder_type: "individual",
                }),
                billing_details: BillingDetails {
                    name: Some(holder),
                    ..billing
                },
            },
            PaymentDetails::Approval(method) => {
                return Err(ProcessorError::NotCharged(format!(
                    "{} is not taken through Stripe by kassa yet",
                    method.as_str()
                )));
            }
        };
        let key = format!("{}-pm", request.idempotency_key);
        match self.post("/v1/payment_methods", &form, Some(&key)).await {
            Ok(method) => Ok(Ok(method)),
            Err(Failure::Api {
                status: 402, error, ..
            }) => Ok(Err(declined(&error))),
            Err(failure) => Err(failure.into_processor_error("creating the payment method")),
        }
    }

    /// The customer a saved method is kept on: made once per attempt (its key says so), so that
    /// asking again finds the same one.
    async fn customer(&self, key: &str, buyer: super::Buyer<'_>) -> Result<String, ProcessorError> {
        let form = NewCustomer {
            email: buyer.email,
            name: buyer.name,
            metadata: BTreeMap::from([("kassa_attempt", key)]),
        };
        self.post::<Object>("/v1/customers", &form, Some(&format!("{key}-cus")))
            .await
            .map(|c| c.id)
            .map_err(|f| f.into_processor_error("creating the customer"))
    }

    /// What an intent's state means to kassa, with the method it was paid with.
    fn outcome(&self, intent: &Intent, method: MethodSummary) -> ChargeOutcome {
        match intent.status.as_str() {
            "succeeded" => ChargeOutcome::Succeeded {
                reference: intent.id.clone(),
                method,
            },
            "requires_action" => ChargeOutcome::RequiresAction {
                reference: intent.id.clone(),
                action: ActionKind::ThreeDSecure,
                method,
                redirect_url: intent
                    .next_action
                    .as_ref()
                    .and_then(|a| a.redirect_to_url.as_ref())
                    .map(|r| r.url.clone()),
            },
            "processing" => ChargeOutcome::Processing {
                reference: intent.id.clone(),
                method,
                settle_after_ms: SETTLE_POLL_MS,
            },
            _ => declined(&intent.last_payment_error.clone().unwrap_or(ApiError {
                code: Some("payment_failed".into()),
                message: Some("The payment did not go through.".into()),
                ..ApiError::default()
            })),
        }
    }

    /// The summary of the method an intent used, read back from Stripe.
    async fn method_of(&self, intent: &Intent) -> Result<MethodSummary, ProcessorError> {
        let Some(id) = &intent.payment_method else {
            return Ok(summary(None, intent.customer.clone()));
        };
        let method: PaymentMethod = self
            .get(&format!("/v1/payment_methods/{id}"))
            .await
            .map_err(|f| f.into_processor_error("reading the payment method"))?;
        Ok(summary(Some(&method), intent.customer.clone()))
    }

    async fn intent(&self, reference: &str) -> Result<Intent, ProcessorError> {
        let path = if reference.starts_with("seti_") {
            format!("/v1/setup_intents/{reference}")
        } else {
            format!("/v1/payment_intents/{reference}")
        };
        self.get(&path).await.map_err(|failure| match failure {
            Failure::Api { status: 404, .. } => {
                ProcessorError::UnknownReference(reference.to_owned())
            }
            failure => failure.into_processor_error("reading the intent"),
        })
    }

    /// The intent made under `key`, if Stripe has one: found by its metadata, or, for a
    /// setup intent, on the customer made for it.
    async fn find(&self, request: &LookupRequest<'_>) -> Result<Option<Intent>, ProcessorError> {
        let key = request.idempotency_key;
        if request.amount.amount > 0 {
            let query = format!("metadata['kassa_attempt']:'{key}'");
            let found: List<Intent> = self
                .get(&format!(
                    "/v1/payment_intents/search?query={}",
                    url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
                ))
                .await
                .map_err(|f| f.into_processor_error("searching for the intent"))?;
            return Ok(found.data.into_iter().next());
        }
        let customer = self.customer(key, request.buyer).await?;
        let found: List<Intent> = self
            .get(&format!("/v1/setup_intents?customer={customer}&limit=100"))
            .await
            .map_err(|f| f.into_processor_error("listing the customer's setup intents"))?;
        Ok(found
            .data
            .into_iter()
            .find(|i| i.metadata.get("kassa_attempt").map(String::as_str) == Some(key)))
    }

    /// Sends a placeholder under `key`, so that the original request, had it not arrived, can
    /// never run. `Ok(true)`: closed, nothing was charged; `Ok(false)`: Stripe has the original.
    async fn close(&self, request: &LookupRequest<'_>) -> Result<bool, ProcessorError> {
        let key = request.idempotency_key;
        let metadata = BTreeMap::from([("kassa_closed", key)]);
        let (path, form) = if request.amount.amount > 0 {
            (
                "/v1/payment_intents",
                ClosingIntent {
                    amount: Some(request.amount.amount),
                    currency: Some(request.amount.currency.code_lower()),
                    customer: None,
                    metadata,
                },
            )
        } else {
            let form = ClosingIntent {
                amount: None,
                currency: None,
                customer: Some(self.customer(key, request.buyer).await?),
                metadata,
            };
            ("/v1/setup_intents", form)
        };
        match self.post::<Object>(path, &form, Some(key)).await {
            Ok(placeholder) => {
                let cancel = format!("{path}/{}/cancel", placeholder.id);
                if let Err(failure) = self.post::<Object>(&cancel, &(), None).await {
                    tracing::warn!(
                        ?failure,
                        "canceling a placeholder intent failed; it moves no money"
                    );
                }
                Ok(true)
            }
            Err(failure) if failure.is_idempotency_conflict() => Ok(false),
            Err(failure) => Err(failure.into_processor_error("closing the idempotency key")),
        }
    }
}

/// A decline, in kassa's words: Stripe's decline code where it has one, and its message, which
/// Stripe writes for buyers.
fn declined(error: &ApiError) -> ChargeOutcome {
    ChargeOutcome::Declined {
        code: error
            .decline_code
            .clone()
            .or_else(|| error.code.clone())
            .unwrap_or_else(|| "card_declined".into()),
        message: error
            .message
            .clone()
            .unwrap_or_else(|| "Your payment was declined.".into()),
    }
}

fn brand_of(stripe: &str) -> CardBrand {
    match stripe {
        "visa" => CardBrand::Visa,
        "mastercard" => CardBrand::Mastercard,
        "amex" => CardBrand::Amex,
        "discover" => CardBrand::Discover,
        "diners" => CardBrand::Diners,
        "jcb" => CardBrand::Jcb,
        "unionpay" => CardBrand::Unionpay,
        _ => CardBrand::Unknown,
    }
}

/// What kassa keeps of a Stripe payment method (never more than Stripe shows).
fn summary(method: Option<&PaymentMethod>, customer: Option<String>) -> MethodSummary {
    let mut summary = MethodSummary {
        brand: None,
        last4: String::new(),
        exp_month: None,
        exp_year: None,
        fingerprint: String::new(),
        bank_name: None,
        processor_method: method.map(|m| m.id.clone()),
        processor_customer: customer,
    };
    let Some(method) = method else {
        return summary;
    };
    if let Some(card) = &method.card {
        summary.brand = Some(brand_of(&card.brand));
        summary.last4 = card.last4.clone();
        summary.exp_month = Some(card.exp_month);
        summary.exp_year = Some(card.exp_year);
        summary.fingerprint = card.fingerprint.clone().unwrap_or_default();
    } else if let Some(bank) = method
        .sepa_debit
        .as_ref()
        .or(method.us_bank_account.as_ref())
    {
        summary.last4 = bank.last4.clone().unwrap_or_default();
        summary.fingerprint = bank.fingerprint.clone().unwrap_or_default();
        summary.bank_name = bank
            .bank_name
            .clone()
            .or_else(|| bank.country.as_ref().map(|c| format!("{c} bank")));
    }
    summary
}

/// How the buyer accepted a debit mandate: online, from their address and browser, when kassa
/// saw both.
fn mandate(client: &ClientInfo) -> MandateData {
    let online = match (&client.address, &client.user_agent) {
        (Some(address), Some(agent)) => Some(OnlineAcceptance {
            ip_address: address.to_string(),
            user_agent: agent.clone(),
        }),
        _ => None,
    };
    MandateData {
        customer_acceptance: CustomerAcceptance {
            kind: if online.is_some() {
                "online"
            } else {
                "offline"
            },
            online,
        },
    }
}

fn settlement(intent: &Intent) -> Settlement {
    match intent.status.as_str() {
        "succeeded" => Settlement::Succeeded,
        "processing" | "requires_action" | "requires_confirmation" => Settlement::Pending,
        _ => {
            let error = intent.last_payment_error.clone().unwrap_or_default();
            Settlement::Failed {
                code: error
                    .decline_code
                    .or(error.code)
                    .unwrap_or_else(|| intent.status.clone()),
                message: error
                    .message
                    .unwrap_or_else(|| "The payment did not go through.".into()),
            }
        }
    }
}

#[async_trait]
impl PaymentProcessor for StripeProcessor {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn supports_livemode(&self) -> bool {
        self.livemode
    }

    async fn charge(&self, request: ChargeRequest<'_>) -> Result<ChargeOutcome, ProcessorError> {
        if request.livemode != self.livemode {
            return Err(ProcessorError::NotCharged(
                "the Stripe key is of the other mode".into(),
            ));
        }
        let method = match self.payment_method(&request).await? {
            Ok(method) => method,
            Err(declined) => return Ok(declined),
        };
        let key = request.idempotency_key;
        let customer = if request.save_for_later {
            Some(self.customer(key, request.buyer).await?)
        } else {
            None
        };
        let debit = matches!(method.kind.as_str(), "sepa_debit" | "us_bank_account");
        let charges = request.amount.amount > 0;
        let form = NewIntent {
            amount: charges.then_some(request.amount.amount),
            currency: charges.then(|| request.amount.currency.code_lower()),
            payment_method: &method.id,
            customer: customer.as_deref(),
            confirm: true,
            setup_future_usage: (charges && request.save_for_later).then_some("off_session"),
            usage: (!charges).then_some("off_session"),
            payment_method_types: vec![method.kind.as_str()],
            return_url: request.return_url,
            metadata: BTreeMap::from([("kassa_attempt", key)]),
            mandate_data: debit.then(|| mandate(request.client)),
        };
        let path = if charges {
            "/v1/payment_intents"
        } else {
            "/v1/setup_intents"
        };
        let summary = summary(Some(&method), customer.clone());
        match self.post::<Intent>(path, &form, Some(key)).await {
            Ok(intent) => Ok(self.outcome(&intent, summary)),
            Err(Failure::Api {
                status: 402, error, ..
            }) => Ok(declined(&error)),
            Err(failure) => Err(failure.into_processor_error("confirming the intent")),
        }
    }

    async fn charge_saved(
        &self,
        request: SavedChargeRequest<'_>,
    ) -> Result<ChargeOutcome, ProcessorError> {
        if request.livemode != self.livemode {
            return Err(ProcessorError::NotCharged(
                "the Stripe key is of the other mode".into(),
            ));
        }
        let saved = request.method;
        let (Some(method), Some(customer)) = (saved.processor_method, saved.processor_customer)
        else {
            // Saved without Stripe's ids (by another processor): nothing Stripe can charge.
            return Ok(ChargeOutcome::Declined {
                code: "payment_method_unusable".into(),
                message: "This payment method was not saved with Stripe.".into(),
            });
        };
        let key = request.idempotency_key;
        let form = OffSessionIntent {
            amount: request.amount.amount,
            currency: request.amount.currency.code_lower(),
            customer,
            payment_method: method,
            confirm: true,
            off_session: true,
            metadata: BTreeMap::from([("kassa_attempt", key)]),
        };
        let summary = MethodSummary {
            last4: saved.last4.to_owned(),
            fingerprint: saved.fingerprint.to_owned(),
            processor_method: Some(method.to_owned()),
            processor_customer: Some(customer.to_owned()),
            ..MethodSummary::default()
        };
        match self
            .post::<Intent>("/v1/payment_intents", &form, Some(key))
            .await
        {
            Ok(intent) => Ok(self.outcome(&intent, summary)),
            Err(Failure::Api {
                status: 402, error, ..
            }) => Ok(declined(&error)),
            Err(failure) => Err(failure.into_processor_error("charging the saved method")),
        }
    }

    async fn complete_action(
        &self,
        reference: &str,
        _approved: bool,
    ) -> Result<Settlement, ProcessorError> {
        // The buyer decided at Stripe's page; what counts is what Stripe recorded.
        Ok(settlement(&self.intent(reference).await?))
    }

    async fn settle(&self, reference: &str) -> Result<Settlement, ProcessorError> {
        Ok(settlement(&self.intent(reference).await?))
    }

    async fn lookup(&self, request: LookupRequest<'_>) -> Result<Lookup, ProcessorError> {
        let intent = match request.reference {
            Some(reference) => Some(self.intent(reference).await?),
            None => self.find(&request).await?,
        };
        let intent = match intent {
            Some(intent) => intent,
            None if self.close(&request).await? => return Ok(Lookup::NotCharged),
            None => {
                return Err(ProcessorError::Unknown(
                    "Stripe has the request but does not show its intent yet".into(),
                ));
            }
        };
        let method = self.method_of(&intent).await?;
        Ok(Lookup::Charged(self.outcome(&intent, method)))
    }

    async fn refund(&self, request: RefundRequest<'_>) -> Result<String, ProcessorError> {
        if request.reference.starts_with("seti_") || request.amount.amount == 0 {
            // A setup charges nothing: there is nothing to give back.
            return Ok(String::new());
        }
        let form = NewRefund {
            payment_intent: request.reference,
            amount: request.amount.amount,
            metadata: BTreeMap::from([("kassa_refund", request.idempotency_key)]),
        };
        self.post::<Object>("/v1/refunds", &form, Some(request.idempotency_key))
            .await
            .map(|r| r.id)
            .map_err(|f| f.into_processor_error("refunding"))
    }
}

/// Why a Stripe event was not taken.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no Stripe-Signature header, or one without t= and v1=")]
    Malformed,
    #[error("the signature does not match the payload")]
    Mismatch,
    #[error("the signature is too old (replayed?)")]
    Stale,
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…`) over `payload` with an endpoint's signing
/// secret, as Stripe's libraries do: HMAC-SHA256 of `{t}.{payload}`, compared in constant time,
/// and a timestamp within `tolerance_s` of `now_s`.
pub fn verify_signature(
    payload: &[u8],
    header: &str,
    secret: &str,
    now_s: i64,
    tolerance_s: i64,
) -> Result<(), SignatureError> {
    use hmac::{Hmac, Mac};
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(SignatureError::Malformed);
    };
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let matches = signatures.iter().any(|signature| {
        let mut mac =
            Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(payload);
        mac.verify_slice(signature).is_ok()
    });
    if !matches {
        return Err(SignatureError::Mismatch);
    }
    if (now_s - timestamp).abs() > tolerance_s {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};

    fn sign(payload: &str, secret: &str, t: i64) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.{payload}").as_bytes());
        format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_signature_verifies_only_for_its_payload_secret_and_time() {
        let payload = r#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
        let header = sign(payload, "whsec_abc", 1_700_000_000);
        assert_eq!(
            verify_signature(payload.as_bytes(), &header, "whsec_abc", 1_700_000_100, 300),
            Ok(())
        );
        assert_eq!(
            verify_signature(b"{}", &header, "whsec_abc", 1_700_000_100, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(
                payload.as_bytes(),
                &header,
                "whsec_other",
                1_700_000_100,
                300
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(payload.as_bytes(), &header, "whsec_abc", 1_700_001_000, 300),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify_signature(payload.as_bytes(), "v1=00", "whsec_abc", 0, 300),
            Err(SignatureError::Malformed)
        );
        // Several v1 signatures (a secret being rolled): one matching is enough.
        let both = format!("{header},v1={}", hex::encode([0u8; 32]));
        assert!(
            verify_signature(payload.as_bytes(), &both, "whsec_abc", 1_700_000_000, 300).is_ok()
        );
    }

    #[test]
    fn forms_use_stripes_brackets() {
        let form = NewIntent {
            amount: Some(4800),
            currency: Some("usd".into()),
            payment_method: "pm_1",
            customer: None,
            confirm: true,
            setup_future_usage: None,
            usage: None,
            payment_method_types: vec!["card"],
            return_url: "https://kassa.example/checkout/cs_1/return",
            metadata: BTreeMap::from([("kassa_attempt", "att_1")]),
            mandate_data: None,
        };
        let encoded = serde_qs::to_string(&form).unwrap();
        let decoded: Vec<(String, String)> = url::form_urlencoded::parse(encoded.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        for expected in [
            ("amount", "4800"),
            ("confirm", "true"),
            ("payment_method_types[0]", "card"),
            ("metadata[kassa_attempt]", "att_1"),
        ] {
            assert!(
                decoded
                    .iter()
                    .any(|(k, v)| k == expected.0 && v == expected.1),
                "{expected:?} in {decoded:?}"
            );
        }
        assert!(
            !decoded.iter().any(|(k, _)| k == "customer"),
            "absent fields are left out"
        );
    }
}
