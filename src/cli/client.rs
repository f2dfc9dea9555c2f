//! The commands that talk to a running kassa over HTTP with an organization's key, as a
//! merchant's developer would: `kassa listen --forward-to URL` and `kassa trigger EVENT`.

use crate::config::{ApiClient, TriggerEvent};
use crate::server::RunError;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

/// How often `listen` asks for new events.
const POLL: Duration = Duration::from_millis(500);

fn refused(message: impl Into<String>) -> RunError {
    RunError::Refused(message.into())
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}

/// `GET path` of the kassa at `api.url`: its JSON, or a refusal saying what it answered.
async fn get(http: &reqwest::Client, api: &ApiClient, path: &str) -> Result<Value, RunError> {
    let base = api.url.trim_end_matches('/');
    let response = http
        .get(format!("{base}{path}"))
        .bearer_auth(&api.api_key)
        .send()
        .await
        .map_err(|e| refused(format!("--url: {base} did not answer: {e}")))?;
    answer(response, path).await
}

/// An answer's JSON (null when it is not JSON).
async fn json_of(response: reqwest::Response) -> Value {
    let bytes = response.bytes().await.unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or(Value::Null)
}

async fn answer(response: reqwest::Response, what: &str) -> Result<Value, RunError> {
    let status = response.status();
    let body = json_of(response).await;
    if status.is_success() {
        Ok(body)
    } else if status == reqwest::StatusCode::UNAUTHORIZED {
        Err(refused("--api-key: kassa does not know this key"))
    } else {
        Err(refused(format!("{what} answered {status}: {body}")))
    }
}

/// `kassa listen`: polls the organization's events and forwards each new one, oldest first,
/// to `forward_to`, signed with a secret of this run's (printed first). Runs until `stop`.
pub async fn listen(
    api: ApiClient,
    forward_to: &str,
    events: &[String],
    out: &mut impl Write,
    stop: impl std::future::Future<Output = ()>,
) -> Result<(), RunError> {
    let target = url::Url::parse(forward_to)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| {
            refused(format!(
                "--forward-to: `{forward_to}` is not an http(s) URL"
            ))
        })?;
    let http = client();
    let organization = get(&http, &api, "/api/organization").await?;
    let secret: String = format!(
        "whsec_{}",
        crate::service::ids::random_alphanumeric(32).collect::<String>()
    );
    // What is there now is history: only what happens from here on is forwarded.
    let mut seen = Recent::default();
    for event in get(&http, &api, "/api/events?limit=100").await?["data"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
    {
        if let Some(id) = event["id"].as_str() {
            seen.insert(id.to_owned());
        }
    }
    let print = |out: &mut dyn Write, line: Value| {
        writeln!(out, "{line}")
            .and_then(|()| out.flush())
            .map_err(|e| refused(format!("stdout: {e}")))
    };
    print(
        out,
        json!({
            "ready": true,
            "organization": organization["id"],
            "livemode": organization["livemode"],
            "forward_to": target.as_str(),
            "secret": secret,
        }),
    )?;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => return Ok(()),
            () = tokio::time::sleep(POLL) => {}
        }
        // Newest first, page after page, down to what was seen already.
        let mut fresh = Vec::new();
        let mut path = "/api/events?limit=100".to_owned();
        'pages: loop {
            let page = match get(&http, &api, &path).await {
                Ok(page) => page,
                Err(error) => {
                    tracing::warn!(%error, "could not read the events; trying again");
                    break 'pages;
                }
            };
            for event in page["data"].as_array().into_iter().flatten() {
                let Some(id) = event["id"].as_str() else {
                    continue;
                };
                if seen.contains(id) {
                    break 'pages;
                }
                fresh.push(event.clone());
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/events?limit=100&cursor={cursor}"),
                None => break 'pages,
            }
        }
        for event in fresh.into_iter().rev() {
            let id = event["id"].as_str().unwrap_or_default().to_owned();
            let kind = event["type"].as_str().unwrap_or_default().to_owned();
            seen.insert(id.clone());
            if !events.is_empty() && !events.iter().any(|e| e == &kind) {
                continue;
            }
            let body = serde_json::to_vec(&event).unwrap_or_default();
            let header = crate::service::webhooks::signature_header(
                &secret,
                crate::store::now_ms() / 1000,
                &body,
            );
            let sent = http
                .post(target.as_str())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header("Kassa-Signature", header)
                .body(body)
                .send()
                .await;
            let status = match sent {
                Ok(response) => json!(response.status().as_u16()),
                Err(error) => json!(format!("not delivered: {error}")),
            };
            print(out, json!({ "event": id, "type": kind, "status": status }))?;
        }
    }
}

/// `kassa trigger EVENT`: makes it happen through the API and the checkout's own confirm, as a
/// merchant's integration and a buyer would. Prints what it made.
pub async fn trigger(
    api: ApiClient,
    event: TriggerEvent,
    out: &mut impl Write,
) -> Result<(), RunError> {
    if !api.api_key.starts_with("sk_test_") {
        return Err(refused(
            "--api-key: kassa trigger makes test-mode events; give an sk_test_ key",
        ));
    }
    let http = client();
    let base = api.url.trim_end_matches('/').to_owned();
    let subscription = event == TriggerEvent::SubscriptionCreated;
    // A line with a price of its own (Stripe's price_data), so that no catalog is needed.
    let mut form = vec![
        (
            "mode",
            if subscription {
                "subscription"
            } else {
                "payment"
            },
        ),
        ("line_items[0][quantity]", "1"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "2000"),
        (
            "line_items[0][price_data][product_data][name]",
            "Made by kassa trigger",
        ),
        ("success_url", "https://example.com/success"),
        ("metadata[triggered_by]", "kassa trigger"),
    ];
    if subscription {
        form.push(("line_items[0][price_data][recurring][interval]", "month"));
    }
    let created = http
        .post(format!("{base}/v1/checkout/sessions"))
        .bearer_auth(&api.api_key)
        .form(&form)
        .send()
        .await
        .map_err(|e| refused(format!("--url: {base} did not answer: {e}")))?;
    let session = answer(created, "creating the session").await?;
    let id = session["id"].as_str().unwrap_or_default().to_owned();
    let card = match event {
        TriggerEvent::CheckoutSessionExpired => {
            let expired = http
                .post(format!("{base}/api/checkout-sessions/{id}/expire"))
                .bearer_auth(&api.api_key)
                .send()
                .await
                .map_err(|e| refused(format!("--url: {base} did not answer: {e}")))?;
            answer(expired, "expiring the session").await?;
            None
        }
        TriggerEvent::PaymentFailed => Some("4000000000000002"),
        TriggerEvent::CheckoutSessionCompleted | TriggerEvent::SubscriptionCreated => {
            Some("4242424242424242")
        }
    };
    if let Some(number) = card {
        // What the hosted page posts when the buyer pays.
        let paid = http
            .post(format!("{base}/api/checkout/confirm"))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("session_id", id.as_str()),
                ("email", "trigger@example.com"),
                ("name", "Kassa Trigger"),
                ("country", "US"),
                ("postal_code", "94107"),
                ("payment_method_type", "card"),
                ("card_number", number),
                ("card_exp", "12/34"),
                ("card_cvc", "123"),
            ])
            .send()
            .await
            .map_err(|e| refused(format!("--url: {base} did not answer: {e}")))?;
        let status = paid.status();
        let body = json_of(paid).await;
        let expected = match event {
            TriggerEvent::PaymentFailed => status == reqwest::StatusCode::PAYMENT_REQUIRED,
            _ => status.is_success(),
        };
        if !expected {
            return Err(refused(format!(
                "paying the session answered {status}: {body}"
            )));
        }
    }
    writeln!(
        out,
        "{}",
        json!({ "triggered": event_name(event), "checkout_session": id })
    )
    .map_err(|e| refused(format!("stdout: {e}")))
}

fn event_name(event: TriggerEvent) -> &'static str {
    match event {
        TriggerEvent::CheckoutSessionCompleted => "checkout.session.completed",
        TriggerEvent::CheckoutSessionExpired => "checkout.session.expired",
        TriggerEvent::PaymentFailed => "payment.failed",
        TriggerEvent::SubscriptionCreated => "subscription.created",
    }
}

/// The ids of the latest events seen, the newest [`Recent::KEPT`]: a poll reads newest first down
/// to the first of them, so older ones are never asked about and need not be kept.
#[derive(Default)]
struct Recent {
    order: std::collections::VecDeque<String>,
    ids: HashSet<String>,
}

impl Recent {
    const KEPT: usize = 1_000;

    fn insert(&mut self, id: String) {
        if self.ids.insert(id.clone()) {
            self.order.push_back(id);
        }
        while self.order.len() > Self::KEPT {
            if let Some(oldest) = self.order.pop_front() {
                self.ids.remove(&oldest);
            }
        }
    }

    fn contains(&self, id: &str) -> bool {
        self.ids.contains(id)
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn only_the_latest_ids_are_kept() {
        let mut recent = Recent::default();
        for i in 0..Recent::KEPT + 5 {
            recent.insert(format!("evt_{i}"));
        }
        recent.insert("evt_10".into());
        assert!(!recent.contains("evt_4"), "the oldest are dropped");
        assert!(recent.contains("evt_5") && recent.contains(&format!("evt_{}", Recent::KEPT + 4)));
        assert_eq!(
            (recent.ids.len(), recent.order.len()),
            (Recent::KEPT, Recent::KEPT)
        );
    }
}
