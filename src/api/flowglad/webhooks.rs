//! `/api/v1/webhooks` in Flowglad's shapes: create (the signing secret returned this once), read
//! and update an endpoint. kassa's own event types are accepted in `filterTypes` beside
//! Flowglad's, and `"*"` stands for all.
//!
//! Flowglad's spec returns the secret beside the webhook (`{"webhook": {…}, "secret": …}`);
//! kassa also puts it in the webhook (`webhook.secret`), so that clients reading either find it.

use super::{Body, FlowgladAuth, FlowgladError, Names};
use crate::domain::webhook::EndpointDraft;
use crate::service::webhooks::{self, EndpointUpdate};
use crate::state::AppState;
use crate::store::EndpointRecord;
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

/// Flowglad's webhook record.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookBody {
    id: String,
    created_at: i64,
    updated_at: i64,
    livemode: bool,
    filter_types: Vec<String>,
    organization_id: String,
    url: String,
    name: String,
    active: bool,
    pricing_model_id: String,
    /// Only in the answer to a create.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl From<&EndpointRecord> for WebhookBody {
    fn from(w: &EndpointRecord) -> Self {
        WebhookBody {
            id: w.id.clone(),
            created_at: w.created_at,
            updated_at: w.updated_at,
            livemode: w.livemode,
            filter_types: w.filter_types(),
            organization_id: w.organization_id.clone(),
            url: w.url.clone(),
            name: w.name.clone(),
            active: w.active,
            pricing_model_id: w.pricing_model_id.clone(),
            secret: None,
        }
    }
}

#[derive(Deserialize)]
pub struct CreateBody {
    webhook: Option<CreateInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    filter_types: Option<Vec<String>>,
    url: Option<String>,
    name: Option<String>,
    active: Option<bool>,
    pricing_model_id: Option<String>,
}

#[derive(Serialize)]
pub struct CreatedBody {
    webhook: WebhookBody,
    secret: String,
}

#[derive(Serialize)]
pub struct WebhookEnvelope {
    webhook: WebhookBody,
}

pub async fn create(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Body(body): Body<CreateBody>,
) -> Result<Json<CreatedBody>, FlowgladError> {
    let input = body
        .webhook
        .ok_or_else(|| FlowgladError::bad_request("webhook: required"))?;
    let draft = EndpointDraft {
        url: input.url.unwrap_or_default(),
        name: input.name.unwrap_or_default(),
        filter_types: input.filter_types.unwrap_or_default(),
    };
    let (endpoint, secret) = webhooks::create_endpoint(
        &state.store,
        &principal,
        state.webhook_targets,
        state.processors.vault(),
        draft,
        input.pricing_model_id.as_deref(),
        input.active.unwrap_or(true),
    )
    .await
    .map_err(|e| FlowgladError::from_service(e, Names::Webhook))?;
    let mut webhook = WebhookBody::from(&endpoint);
    webhook.secret = Some(secret.clone());
    Ok(Json(CreatedBody { webhook, secret }))
}

pub async fn retrieve(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
) -> Result<Json<WebhookEnvelope>, FlowgladError> {
    let endpoint = state
        .store
        .webhook_endpoint(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(|e| FlowgladError::from_service(e.into(), Names::Webhook))?
        .ok_or_else(|| FlowgladError::not_found("webhook"))?;
    Ok(Json(WebhookEnvelope {
        webhook: WebhookBody::from(&endpoint),
    }))
}

#[derive(Deserialize)]
pub struct UpdateBody {
    webhook: Option<UpdateInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInput {
    id: Option<String>,
    filter_types: Option<Vec<String>>,
    url: Option<String>,
    name: Option<String>,
    active: Option<bool>,
}

pub async fn update(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(id): Path<String>,
    Body(body): Body<UpdateBody>,
) -> Result<Json<WebhookEnvelope>, FlowgladError> {
    let input = body
        .webhook
        .ok_or_else(|| FlowgladError::bad_request("webhook: required"))?;
    if let Some(body_id) = input.id.as_deref().filter(|b| *b != id) {
        return Err(FlowgladError::bad_request(format!(
            "webhook.id: `{body_id}` is not the webhook in the path (`{id}`)"
        )));
    }
    let update = EndpointUpdate {
        url: input.url,
        name: input.name,
        filter_types: input.filter_types,
        active: input.active,
    };
    let endpoint =
        webhooks::update_endpoint(&state.store, &principal, state.webhook_targets, &id, update)
            .await
            .map_err(|e| FlowgladError::from_service(e, Names::Webhook))?;
    Ok(Json(WebhookEnvelope {
        webhook: WebhookBody::from(&endpoint),
    }))
}
