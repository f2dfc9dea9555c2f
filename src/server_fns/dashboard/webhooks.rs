//! Webhook endpoints: make one (its signing secret shown once), change it, turn it off and on,
//! and look at its deliveries, every attempt and its answer, with a resend for each.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRow {
    pub id: String,
    pub name: String,
    pub url: String,
    pub filter_types: Vec<String>,
    pub active: bool,
    /// When kassa turned it off for failing.
    pub disabled_at: Option<String>,
    /// Since when every attempt has failed.
    pub failing_since: Option<String>,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookList {
    pub rows: Vec<WebhookRow>,
    /// Every event type kassa sends, for the form.
    pub event_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    pub at: String,
    /// The status code, or why no answer came.
    pub outcome: String,
    pub ok: bool,
    pub latency_ms: i64,
    pub response: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub id: String,
    pub event_id: String,
    pub event_type: String,
    pub status: String,
    pub next_attempt: Option<String>,
    pub attempts: Vec<AttemptView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDetail {
    pub endpoint: WebhookRow,
    pub deliveries: Vec<DeliveryView>,
    pub event_types: Vec<String>,
    /// The signing secret of an endpoint just made, shown this once.
    pub new_secret: Option<String>,
}

/// Deliveries the endpoint page shows, newest first.
#[cfg(feature = "ssr")]
const DELIVERIES_SHOWN: i64 = 50;

#[cfg(feature = "ssr")]
const NEW_WEBHOOK_SECRET_KEY: &str = "new_webhook_secret";

#[cfg(feature = "ssr")]
fn row(w: &crate::store::EndpointRecord) -> WebhookRow {
    use super::ssr::when;
    WebhookRow {
        id: w.id.clone(),
        name: w.name.clone(),
        url: w.url.clone(),
        filter_types: w.filter_types(),
        active: w.active,
        disabled_at: w.disabled_at.map(when),
        failing_since: w.failing_since.map(when),
        created: when(w.created_at),
    }
}

#[cfg(feature = "ssr")]
fn event_types() -> Vec<String> {
    crate::domain::event::EventType::ALL
        .iter()
        .map(|t| t.as_str().to_owned())
        .collect()
}

/// The chosen types of a form's `event[<type>]` checkboxes.
#[cfg(feature = "ssr")]
fn chosen(event: Option<BTreeMap<String, String>>) -> Vec<String> {
    event
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, on)| on == "on")
        .map(|(name, _)| name)
        .collect()
}

#[server(name = DashboardWebhooks, prefix = "/api/dashboard", endpoint = "webhooks")]
pub async fn dashboard_webhooks() -> Result<WebhookList, ServerFnError> {
    use super::ssr::*;
    use crate::store::PageRequest;
    let signed = signed_in().await?;
    let page = state()
        .store
        .webhook_endpoints(
            &signed.principal.organization_id,
            signed.principal.mode.is_live(),
            &PageRequest::first(100),
        )
        .await
        .map_err(internal)?;
    Ok(WebhookList {
        rows: page.items.iter().map(row).collect(),
        event_types: event_types(),
    })
}

/// Makes an endpoint; its page shows the signing secret once.
#[server(name = DashboardCreateWebhook, prefix = "/api/dashboard", endpoint = "webhook/create")]
pub async fn dashboard_create_webhook(
    name: Option<String>,
    url: Option<String>,
    event: Option<BTreeMap<String, String>>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::domain::webhook::EndpointDraft;
    use crate::service::ServiceError;
    let signed = signed_in().await?;
    let draft = EndpointDraft {
        url: url.clone().unwrap_or_default(),
        name: name.clone().unwrap_or_default(),
        filter_types: chosen(event),
    };
    let outcome = match crate::service::webhooks::create_endpoint(
        &state().store,
        &signed.principal,
        state().webhook_targets,
        state().processors.vault(),
        draft,
        None,
        true,
    )
    .await
    {
        Ok((endpoint, secret)) => {
            signed
                .session
                .insert(NEW_WEBHOOK_SECRET_KEY, (&endpoint.id, secret))
                .await
                .map_err(internal)?;
            Ok(format!("/dashboard/webhooks/{}", endpoint.id))
        }
        Err(ServiceError::Invalid(errors)) => Err(errors),
        Err(other) => return Err(service_error(other)),
    };
    answer_form(
        "/dashboard/webhooks",
        outcome.map_err(|errors| by_input(errors, |f| Some(f.to_string()))),
        &[("name", &name), ("url", &url)],
    );
    Ok(())
}

/// One endpoint with its latest deliveries and their attempts.
#[server(name = DashboardWebhook, prefix = "/api/dashboard", endpoint = "webhook")]
pub async fn dashboard_webhook(id: String) -> Result<WebhookDetail, ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    let store = &state().store;
    let endpoint = store
        .webhook_endpoint(
            &signed.principal.organization_id,
            signed.principal.mode.is_live(),
            &id,
        )
        .await
        .map_err(internal)?
        .ok_or_else(not_found)?;
    let deliveries = store
        .webhook_deliveries(&endpoint.id, DELIVERIES_SHOWN)
        .await
        .map_err(internal)?;
    let oldest = deliveries.last().map_or(i64::MAX, |d| d.created_at);
    let attempts = store
        .webhook_attempts(&endpoint.id, oldest)
        .await
        .map_err(internal)?;
    let new_secret = match signed
        .session
        .get::<(String, String)>(NEW_WEBHOOK_SECRET_KEY)
        .await
        .map_err(internal)?
    {
        Some((for_endpoint, secret)) if for_endpoint == endpoint.id => {
            signed
                .session
                .remove::<(String, String)>(NEW_WEBHOOK_SECRET_KEY)
                .await
                .map_err(internal)?;
            Some(secret)
        }
        _ => None,
    };
    Ok(WebhookDetail {
        endpoint: row(&endpoint),
        deliveries: deliveries
            .into_iter()
            .map(|d| DeliveryView {
                attempts: attempts
                    .iter()
                    .filter(|a| a.delivery_id == d.id)
                    .map(|a| AttemptView {
                        at: when(a.attempted_at),
                        outcome: match a.status_code {
                            Some(code) => format!("HTTP {code}"),
                            None => "no answer".to_owned(),
                        },
                        ok: a.status_code.is_some_and(|c| (200..300).contains(&c)),
                        latency_ms: a.latency_ms,
                        response: a.response.clone(),
                    })
                    .collect(),
                id: d.id,
                event_id: d.event_id,
                event_type: d.event_type,
                status: d.status,
                next_attempt: d.next_attempt_at.map(when),
            })
            .collect(),
        event_types: event_types(),
        new_secret,
    })
}

/// Changes an endpoint's name, address and event types.
#[server(name = DashboardUpdateWebhook, prefix = "/api/dashboard", endpoint = "webhook/update")]
pub async fn dashboard_update_webhook(
    id: String,
    name: Option<String>,
    url: Option<String>,
    event: Option<BTreeMap<String, String>>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::ServiceError;
    use crate::service::webhooks::EndpointUpdate;
    let signed = signed_in().await?;
    let back = format!("/dashboard/webhooks/{id}");
    let update = EndpointUpdate {
        url: Some(url.clone().unwrap_or_default()),
        name: Some(name.clone().unwrap_or_default()),
        filter_types: Some(chosen(event)),
        active: None,
    };
    let outcome = match crate::service::webhooks::update_endpoint(
        &state().store,
        &signed.principal,
        state().webhook_targets,
        &id,
        update,
    )
    .await
    {
        Ok(_) => Ok(format!("{back}?saved=1")),
        Err(ServiceError::Invalid(errors)) => Err(errors),
        Err(other) => return Err(service_error(other)),
    };
    answer_form(
        &back,
        outcome.map_err(|errors| by_input(errors, |f| Some(f.to_string()))),
        &[("name", &name), ("url", &url)],
    );
    Ok(())
}

/// Turns an endpoint off, or on again (which also clears kassa's notice that it was failing).
#[server(name = DashboardSetWebhookActive, prefix = "/api/dashboard", endpoint = "webhook/active")]
pub async fn dashboard_set_webhook_active(
    id: String,
    active: Option<String>,
) -> Result<(), ServerFnError> {
    use super::ssr::*;
    use crate::service::webhooks::EndpointUpdate;
    let signed = signed_in().await?;
    crate::service::webhooks::update_endpoint(
        &state().store,
        &signed.principal,
        state().webhook_targets,
        &id,
        EndpointUpdate {
            active: Some(active.as_deref() == Some("true")),
            ..EndpointUpdate::default()
        },
    )
    .await
    .map_err(service_error)?;
    leptos_axum::redirect(&format!("/dashboard/webhooks/{id}"));
    Ok(())
}

/// Makes a delivery due now: sent again within a second or two, whatever became of it before.
#[server(name = DashboardResendWebhook, prefix = "/api/dashboard", endpoint = "webhook/resend")]
pub async fn dashboard_resend_webhook(id: String, delivery: String) -> Result<(), ServerFnError> {
    use super::ssr::*;
    let signed = signed_in().await?;
    if let Err(crate::security::limits::RetryAfter(wait)) =
        state().limits.resend(&signed.principal.organization_id)
    {
        leptos_axum::redirect(&format!("/dashboard/webhooks/{id}?resend_wait={wait}"));
        return Ok(());
    }
    let found = state()
        .store
        .resend_webhook_delivery(
            &signed.principal.organization_id,
            signed.principal.mode.is_live(),
            &delivery,
            crate::store::now_ms(),
        )
        .await
        .map_err(internal)?;
    if !found {
        return Err(not_found());
    }
    leptos_axum::redirect(&format!("/dashboard/webhooks/{id}?resent={delivery}"));
    Ok(())
}
