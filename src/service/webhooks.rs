//! Webhooks: endpoints a merchant registers, and the delivery of every event to each endpoint
//! that wants it, signed, retried on a schedule that survives restarts, every attempt recorded.
//!
//! A delivery is written with its event (see [`super::events::Outbox`]); [`Deliverer`] then
//! claims due deliveries in any instance and makes one attempt each:
//!
//! - `POST` of the event's JSON with `Kassa-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//!   "<t>.<body>" keyed with the endpoint's secret>`;
//! - any 2xx delivers it; anything else (another status, no answer within the timeout, a
//!   redirect) is retried after [`retry_delay_ms`]: 5 s, then four times longer each time up to a
//!   day, ±20 % jitter, [`MAX_ATTEMPTS`] in all, the last about three days after the first;
//! - an endpoint that has failed every attempt for [`DISABLE_AFTER_MS`] is turned off, and the
//!   dashboard says so.

use super::api_keys::Principal;
use super::ids::{new_id, random_alphanumeric};
use super::vault::Vault;
use super::{ServiceError, ServiceResult};
use crate::domain::field::{Field, FieldError};
use crate::domain::ids;
use crate::domain::webhook::{EndpointDraft, check_endpoint, wants};
use crate::security::outbound::{Refused, WebhookTargets};
use crate::store::{
    AttemptResult, ClaimedDelivery, EndpointChanges, EndpointRecord, EventRecord, NewEndpoint,
    Store, StoreResult, Tx,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::time::{Duration, Instant};

/// Attempts per delivery, the first included.
pub const MAX_ATTEMPTS: i32 = 11;

/// An endpoint whose every attempt failed for this long (3 days) is turned off.
pub const DISABLE_AFTER_MS: i64 = 3 * 24 * 3600 * 1000;

/// How long ended deliveries and their attempts are kept (30 days, as the dashboard shows them).
pub const KEEP_FINISHED_MS: i64 = 30 * 24 * 3600 * 1000;

/// The wait before the first retry; each later one waits four times longer, up to a day.
const FIRST_RETRY_MS: i64 = 5_000;
const LONGEST_WAIT_MS: i64 = 24 * 3600 * 1000;

/// Most of an answer's body that is kept with its attempt.
const RESPONSE_EXCERPT_BYTES: usize = 1024;

/// Endpoints one organization may have in each mode, as Stripe allows.
pub const MAX_ENDPOINTS: i64 = 16;

/// Deliveries one instance claims at a time.
pub const BATCH: i64 = 32;

/// Random characters of a signing secret (about 190 bits).
const SECRET_RANDOM_CHARS: usize = 32;

/// How long to wait, before jitter, after `attempts_made` failed attempts; `None` once the
/// schedule is spent.
pub fn retry_delay_ms(attempts_made: i32) -> Option<i64> {
    if !(1..MAX_ATTEMPTS).contains(&attempts_made) {
        return None;
    }
    let exponent = u32::try_from(attempts_made - 1).unwrap_or(u32::MAX).min(20);
    Some(
        FIRST_RETRY_MS
            .saturating_mul(4i64.saturating_pow(exponent))
            .min(LONGEST_WAIT_MS),
    )
}

/// When to try again after `attempts_made` failed attempts: the delay ±20 %, so that endpoints
/// recovering from an outage are not hit by every retry at once.
fn next_attempt_at(attempts_made: i32, now: i64) -> Option<i64> {
    use rand::Rng;
    retry_delay_ms(attempts_made)
        .map(|delay| now + delay * rand::rng().random_range(80..=120) / 100)
}

/// The `Kassa-Signature` header for `body` sent at `timestamp` (unix seconds).
pub fn signature_header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(sign(secret, timestamp, body))
    )
}

fn sign(secret: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Checks a `Kassa-Signature` header as a receiver should: a `v1` signature of this body under
/// `secret` (compared in constant time), made within `tolerance_secs` of `now_secs`.
pub fn verify_signature(
    secret: &str,
    header: &str,
    body: &[u8],
    now_secs: i64,
    tolerance_secs: i64,
) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", v)) => signatures.extend(hex::decode(v).ok()),
            _ => {}
        }
    }
    let Some(t) = timestamp else { return false };
    if (now_secs - t).abs() > tolerance_secs {
        return false;
    }
    signatures.iter().any(|signature| {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key size");
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(signature).is_ok()
    })
}

/// A new signing secret: `whsec_` and 32 random characters.
fn new_secret() -> String {
    let mut secret = String::from("whsec_");
    secret.extend(random_alphanumeric(SECRET_RANDOM_CHARS));
    secret
}

/// Makes an endpoint in the caller's mode. Returns it with its signing secret, which is shown
/// to the merchant this once.
pub async fn create_endpoint(
    store: &Store,
    principal: &Principal,
    targets: WebhookTargets,
    vault: Option<&Vault>,
    draft: EndpointDraft,
    pricing_model_id: Option<&str>,
    active: bool,
) -> ServiceResult<(EndpointRecord, String)> {
    let live = principal.mode.is_live();
    let org = &principal.organization_id;
    let checked = check_endpoint(draft, principal.mode)?;
    targets.check(&checked.url)?;
    let pricing_model_id = match pricing_model_id.filter(|id| !id.is_empty()) {
        Some(id) => {
            store.pricing_model(org, live, id).await?.ok_or_else(|| {
                FieldError::invalid(
                    Field::PricingModel,
                    format!("no pricing model `{id}` in this mode"),
                )
            })?;
            id.to_owned()
        }
        None => {
            super::catalog::default_pricing_model(store, principal)
                .await?
                .id
        }
    };
    let secret = new_secret();
    let id = new_id(ids::WEBHOOK_ENDPOINT);
    let kept = keepable(vault, &id, &secret);
    let endpoint = store
        .insert_webhook_endpoint(
            &NewEndpoint {
                id: &id,
                organization_id: org,
                livemode: live,
                pricing_model_id: &pricing_model_id,
                name: &checked.name,
                url: &checked.url,
                filter_types: &checked.filter_types,
                secret: &kept,
                active,
            },
            MAX_ENDPOINTS,
        )
        .await?
        .ok_or_else(|| {
            ServiceError::Conflict(FieldError::invalid(
                Field::WebhookUrl,
                format!(
                    "an organization has at most {MAX_ENDPOINTS} webhook endpoints in each mode; \
                     change or delete one of them"
                ),
            ))
        })?;
    Ok((endpoint, secret))
}

/// How a sealed signing secret is marked in `webhook_endpoints.secret`.
pub const SEALED_PREFIX: &str = "sealed:";

/// Where an endpoint's secret is sealed for (the vault's associated data): a sealed secret moved
/// to another endpoint does not open.
fn secret_place(endpoint_id: &str) -> String {
    format!("webhook_endpoints/{endpoint_id}/secret")
}

/// The signing secret as the database keeps it: sealed with the operator's key when kassa has
/// one, else as it is.
fn keepable(vault: Option<&Vault>, endpoint_id: &str, secret: &str) -> String {
    match vault {
        Some(vault) => format!(
            "{SEALED_PREFIX}{}",
            vault.seal(secret, &secret_place(endpoint_id))
        ),
        None => secret.to_owned(),
    }
}

/// The signing secret a delivery is signed with, opened when it was sealed.
fn signing_secret(vault: Option<&Vault>, endpoint_id: &str, kept: &str) -> Result<String, String> {
    match kept.strip_prefix(SEALED_PREFIX) {
        None => Ok(kept.to_owned()),
        Some(sealed) => vault
            .ok_or("the endpoint's signing secret is sealed and kassa has no KASSA_ENCRYPTION_KEY")?
            .open(sealed, &secret_place(endpoint_id))
            .map_err(|e| e.to_string()),
    }
}

/// Seals every signing secret still kept in clear (made before kassa had the operator's key, or
/// before it sealed them): run at start-up when it has the key. Returns how many it sealed.
pub async fn seal_clear_secrets(store: &Store, vault: &Vault) -> StoreResult<usize> {
    let clear = store.clear_webhook_secrets(SEALED_PREFIX).await?;
    let mut sealed = 0;
    for (endpoint_id, secret) in clear {
        let kept = keepable(Some(vault), &endpoint_id, &secret);
        if store
            .replace_webhook_secret(&endpoint_id, &secret, &kept)
            .await?
        {
            sealed += 1;
        }
    }
    Ok(sealed)
}

/// What an update may change; `None` keeps the current value.
#[derive(Debug, Clone, Default)]
pub struct EndpointUpdate {
    pub url: Option<String>,
    pub name: Option<String>,
    pub filter_types: Option<Vec<String>>,
    pub active: Option<bool>,
}

/// Changes an endpoint, checking it whole as it will be. Turning it on again clears a notice that
/// kassa turned it off.
pub async fn update_endpoint(
    store: &Store,
    principal: &Principal,
    targets: WebhookTargets,
    id: &str,
    update: EndpointUpdate,
) -> ServiceResult<EndpointRecord> {
    let live = principal.mode.is_live();
    let org = &principal.organization_id;
    let current = store
        .webhook_endpoint(org, live, id)
        .await?
        .ok_or(ServiceError::NotFound("webhook"))?;
    let checked = check_endpoint(
        EndpointDraft {
            url: update.url.clone().unwrap_or_else(|| current.url.clone()),
            name: update.name.clone().unwrap_or_else(|| current.name.clone()),
            filter_types: update
                .filter_types
                .clone()
                .unwrap_or_else(|| current.filter_types()),
        },
        principal.mode,
    )?;
    if update.url.is_some() {
        targets.check(&checked.url)?;
    }
    let changes = EndpointChanges {
        name: Some(checked.name),
        url: Some(checked.url),
        filter_types: Some(checked.filter_types),
        active: update.active,
    };
    store
        .update_webhook_endpoint(org, live, id, &changes)
        .await?
        .ok_or(ServiceError::NotFound("webhook"))
}

/// Writes a delivery of each event to every active endpoint that wants it, in the transaction
/// that records the events: `(event id, type)`.
pub async fn fan_out(
    tx: &mut Tx,
    organization_id: &str,
    livemode: bool,
    events: &[(String, &'static str)],
    now: i64,
) -> StoreResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let endpoints = tx
        .active_webhook_endpoints(organization_id, livemode)
        .await?;
    let mut deliveries = Vec::new();
    for (event_id, event_type) in events {
        for (endpoint_id, types) in &endpoints {
            if wants(types, event_type) {
                deliveries.push((
                    new_id(ids::WEBHOOK_DELIVERY),
                    endpoint_id.as_str(),
                    event_id.as_str(),
                ));
            }
        }
    }
    tx.insert_webhook_deliveries(&deliveries, now).await
}

/// Makes delivery attempts: claims due deliveries, sends them, records what came of each.
#[derive(Clone)]
pub struct Deliverer {
    client: reqwest::Client,
    targets: WebhookTargets,
    /// Opens the endpoints' sealed signing secrets.
    vault: Option<Vault>,
    /// How long a claim holds a delivery: the timeout thrice, so that an attempt in flight is
    /// never claimed by another instance, and one whose instance died is taken over soon after.
    lease: Duration,
}

impl Deliverer {
    /// A deliverer whose attempts end after `timeout` and connect only where `targets` allow.
    pub fn new(timeout: Duration, targets: WebhookTargets, vault: Option<Vault>) -> Deliverer {
        let client = targets
            .apply(reqwest::Client::builder())
            .timeout(timeout)
            .connect_timeout(timeout)
            // A redirect is not a delivery: the endpoint must answer at its own address.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("kassa-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client with rustls builds");
        Deliverer {
            client,
            targets,
            vault,
            lease: timeout * 3,
        }
    }

    /// Claims the deliveries due at `now` (up to [`BATCH`]) and attempts them all at once.
    /// Returns how many were attempted.
    pub async fn deliver_due(&self, store: &Store, now: i64) -> StoreResult<usize> {
        let lease_ms = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
        let claimed = store
            .claim_due_deliveries(now, now + lease_ms, BATCH)
            .await?;
        let count = claimed.len();
        let mut attempts = tokio::task::JoinSet::new();
        for delivery in claimed {
            let deliverer = self.clone();
            let store = store.clone();
            attempts.spawn(async move { deliverer.attempt(&store, delivery).await });
        }
        while let Some(joined) = attempts.join_next().await {
            match joined {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::error!(%error, "recording a webhook attempt failed; it will be retried")
                }
                Err(error) => tracing::error!(%error, "a webhook attempt panicked"),
            }
        }
        Ok(count)
    }

    async fn attempt(&self, store: &Store, delivery: ClaimedDelivery) -> StoreResult<()> {
        let event = EventRecord {
            id: delivery.event_id.clone(),
            organization_id: delivery.organization_id.clone(),
            livemode: delivery.livemode,
            event_type: delivery.event_type.clone(),
            object_id: delivery.object_id.clone(),
            data: delivery.data.clone(),
            created_at: delivery.event_created_at,
        };
        let body = serde_json::to_vec(&super::events::event_json(&event))?;
        let sent_at = crate::store::now_ms();
        let secret = signing_secret(self.vault.as_ref(), &delivery.endpoint_id, &delivery.secret);
        let header = secret
            .as_ref()
            .map(|secret| signature_header(secret, sent_at / 1000, &body));
        let started = Instant::now();
        // An address written in the URL reaches no resolver: judged here. (Saving the endpoint
        // refused it already, unless the operator allowed it then and not now.)
        let (status_code, response) = match (self.targets.refusal(&delivery.url), header) {
            (Some(reason), _) => (None, format!("not sent: {reason}")),
            (None, Err(why)) => (None, format!("not sent: {why}")),
            (None, Ok(header)) => {
                let answer = self
                    .client
                    .post(&delivery.url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("Kassa-Signature", header)
                    .body(body)
                    .send()
                    .await;
                match answer {
                    Ok(answer) => {
                        let status = answer.status().as_u16();
                        (Some(i32::from(status)), excerpt(answer).await)
                    }
                    Err(error) => (None, describe(&error)),
                }
            }
        };
        let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let delivered = status_code.is_some_and(|s| (200..300).contains(&s));
        let attempted_at = crate::store::now_ms();
        let retry_at = if delivered {
            None
        } else {
            next_attempt_at(delivery.attempts + 1, attempted_at)
        };
        let disabled = store
            .record_webhook_attempt(
                &delivery,
                &AttemptResult {
                    attempt_id: &new_id(ids::WEBHOOK_ATTEMPT),
                    attempted_at,
                    status_code,
                    latency_ms,
                    response: &response,
                    delivered,
                    retry_at,
                    disable_if_failing_since: attempted_at - DISABLE_AFTER_MS,
                },
            )
            .await?;
        let gave_up = !delivered && retry_at.is_none();
        store.metrics().webhook_delivery(
            match (delivered, gave_up) {
                (true, _) => "delivered",
                (false, false) => "failed",
                (false, true) => "gave_up",
            },
            delivered.then(|| (attempted_at - delivery.event_created_at).max(0) as f64 / 1000.0),
        );
        if delivered {
            tracing::debug!(delivery = %delivery.id, event = %delivery.event_id, latency_ms, "webhook delivered");
        } else {
            tracing::info!(
                delivery = %delivery.id,
                event = %delivery.event_id,
                endpoint = %delivery.endpoint_id,
                status = status_code,
                attempt = delivery.attempts + 1,
                retry_at,
                "webhook attempt failed"
            );
        }
        if disabled {
            tracing::warn!(
                endpoint = %delivery.endpoint_id,
                organization = %delivery.organization_id,
                "a webhook endpoint failed every attempt for 3 days and was turned off"
            );
        }
        Ok(())
    }
}

/// The start of an answer's body, as text.
async fn excerpt(mut answer: reqwest::Response) -> String {
    let mut kept = Vec::new();
    while kept.len() < RESPONSE_EXCERPT_BYTES {
        match answer.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(RESPONSE_EXCERPT_BYTES);
    String::from_utf8_lossy(&kept).into_owned()
}

/// Why no answer came, for the attempt log.
fn describe(error: &reqwest::Error) -> String {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(error) = cause {
        if let Some(refused) = error.downcast_ref::<Refused>() {
            return format!("not sent: {refused}");
        }
        cause = error.source();
    }
    if error.is_timeout() {
        "no answer within the timeout".to_owned()
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        format!("request failed: {error}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_starts_within_seconds_and_ends_about_three_days_later() {
        assert_eq!(retry_delay_ms(1), Some(5_000));
        assert_eq!(retry_delay_ms(2), Some(20_000));
        let waits: Vec<i64> = (1..MAX_ATTEMPTS)
            .map(|n| retry_delay_ms(n).unwrap())
            .collect();
        assert!(waits.windows(2).all(|w| w[0] <= w[1]), "{waits:?}");
        assert_eq!(*waits.last().unwrap(), LONGEST_WAIT_MS);
        let total_hours = waits.iter().sum::<i64>() as f64 / 3_600_000.0;
        assert!((66.0..=84.0).contains(&total_hours), "{total_hours} h");
        assert_eq!(retry_delay_ms(MAX_ATTEMPTS), None);
        assert_eq!(retry_delay_ms(0), None);
    }

    #[test]
    fn jitter_stays_within_a_fifth_of_the_wait() {
        let now = 1_000_000;
        let times: Vec<i64> = (0..200).map(|_| next_attempt_at(1, now).unwrap()).collect();
        assert!(
            times
                .iter()
                .all(|t| (now + 4_000..=now + 6_000).contains(t))
        );
        let spread = times.iter().max().unwrap() - times.iter().min().unwrap();
        assert!(
            spread > 500,
            "the times are spread, not all the same: {spread}"
        );
        assert_eq!(next_attempt_at(MAX_ATTEMPTS, now), None);
    }

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let body = br#"{"id":"evt_1"}"#;
        let header = signature_header("whsec_abc", 1_763_800_000, body);
        assert!(header.starts_with("t=1763800000,v1="));
        assert_eq!(header.len(), "t=1763800000,v1=".len() + 64);
        assert!(verify_signature(
            "whsec_abc",
            &header,
            body,
            1_763_800_100,
            300
        ));
        assert!(!verify_signature(
            "whsec_abd",
            &header,
            body,
            1_763_800_100,
            300
        ));
        assert!(!verify_signature(
            "whsec_abc",
            &header,
            b"{}",
            1_763_800_100,
            300
        ));
        assert!(!verify_signature(
            "whsec_abc",
            &header,
            body,
            1_763_801_000,
            300
        ));
        assert!(!verify_signature(
            "whsec_abc",
            "v1=00",
            body,
            1_763_800_000,
            300
        ));
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_time_dot_body() {
        // The HMAC itself against RFC 4231's test case 2, then what is signed: "<t>.<body>".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let mut direct = Hmac::<Sha256>::new_from_slice(b"k").unwrap();
        direct.update(b"12.{}");
        assert_eq!(
            sign("k", 12, b"{}"),
            direct.finalize().into_bytes().to_vec()
        );
    }

    #[test]
    fn secrets_are_prefixed_and_unguessable() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(secret.len(), "whsec_".len() + SECRET_RANDOM_CHARS);
        assert_ne!(secret, new_secret());
    }
}
