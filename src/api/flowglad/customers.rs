//! `/api/v1/customers` in Flowglad's shapes. Customers are addressed by the merchant's external id.

use super::checkout_sessions::AddressBody;
use super::{Body, FlowgladAuth, FlowgladError, ListBody, ListQuery, Names, list_of};
use crate::domain::customer::CustomerDraft;
use crate::service::catalog::{self, CustomerExtras};
use crate::state::AppState;
use crate::store::{CustomerChanges, CustomerRecord};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};

/// Flowglad's customer record.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerBody {
    id: String,
    created_at: i64,
    updated_at: i64,
    livemode: bool,
    organization_id: String,
    email: String,
    name: String,
    invoice_number_base: Option<String>,
    archived: bool,
    #[serde(rename = "logoURL")]
    logo_url: Option<String>,
    #[serde(rename = "iconURL")]
    icon_url: Option<String>,
    domain: Option<String>,
    billing_address: Option<AddressBody>,
    external_id: String,
    user_id: Option<String>,
    pricing_model_id: String,
}

impl From<&CustomerRecord> for CustomerBody {
    fn from(c: &CustomerRecord) -> Self {
        CustomerBody {
            id: c.id.clone(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            livemode: c.livemode,
            organization_id: c.organization_id.clone(),
            email: c.email.clone().unwrap_or_default(),
            name: c.name.clone().unwrap_or_default(),
            invoice_number_base: c.invoice_number_base.clone(),
            archived: c.archived,
            logo_url: c.logo_url.clone(),
            icon_url: c.icon_url.clone(),
            domain: c.domain.clone(),
            billing_address: c.billing_address().as_ref().map(AddressBody::from_domain),
            // Customers a guest checkout made have no external id; their own id stands in.
            external_id: c.external_id.clone().unwrap_or_else(|| c.id.clone()),
            user_id: c.user_id.clone(),
            pricing_model_id: c.pricing_model_id.clone(),
        }
    }
}

#[derive(Deserialize)]
pub struct CreateBody {
    customer: Option<CreateInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInput {
    email: Option<String>,
    name: Option<String>,
    external_id: Option<String>,
    archived: Option<bool>,
    #[serde(rename = "logoURL")]
    logo_url: Option<String>,
    #[serde(rename = "iconURL")]
    icon_url: Option<String>,
    domain: Option<String>,
    user_id: Option<String>,
}

#[derive(Serialize)]
pub struct CreatedEnvelope {
    data: CustomerEnvelope,
}

#[derive(Serialize)]
pub struct CustomerEnvelope {
    customer: CustomerBody,
}

pub async fn create(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Body(body): Body<CreateBody>,
) -> Result<Json<CreatedEnvelope>, FlowgladError> {
    let input = body
        .customer
        .ok_or_else(|| FlowgladError::bad_request("customer: required"))?;
    let draft = CustomerDraft {
        email: input.email,
        name: input.name,
        external_id: input.external_id,
    };
    let extras = CustomerExtras {
        logo_url: input.logo_url,
        icon_url: input.icon_url,
        domain: input.domain,
        user_id: input.user_id,
        archived: input.archived.unwrap_or(false),
    };
    let customer = catalog::create_customer(&state.store, &principal, draft, extras)
        .await
        .map_err(|e| FlowgladError::from_service(e, Names::Customer))?;
    Ok(Json(CreatedEnvelope {
        data: CustomerEnvelope {
            customer: CustomerBody::from(&customer),
        },
    }))
}

pub async fn retrieve(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(external_id): Path<String>,
) -> Result<Json<CustomerEnvelope>, FlowgladError> {
    let customer = state
        .store
        .customer_by_external_id(
            &principal.organization_id,
            principal.mode.is_live(),
            &external_id,
        )
        .await
        .map_err(|e| FlowgladError::from_service(e.into(), Names::Customer))?
        .ok_or_else(|| FlowgladError::not_found("customer"))?;
    Ok(Json(CustomerEnvelope {
        customer: CustomerBody::from(&customer),
    }))
}

#[derive(Deserialize)]
pub struct UpdateBody {
    customer: Option<UpdateInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInput {
    email: Option<String>,
    name: Option<String>,
    #[serde(rename = "logoURL", default, deserialize_with = "present")]
    logo_url: Option<Option<String>>,
    #[serde(rename = "iconURL", default, deserialize_with = "present")]
    icon_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    domain: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    user_id: Option<Option<String>>,
}

fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

pub async fn update(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    Path(external_id): Path<String>,
    Body(body): Body<UpdateBody>,
) -> Result<Json<CustomerEnvelope>, FlowgladError> {
    let input = body
        .customer
        .ok_or_else(|| FlowgladError::bad_request("customer: required"))?;
    let changes = CustomerChanges {
        email: input.email,
        name: input.name,
        logo_url: input.logo_url,
        icon_url: input.icon_url,
        domain: input.domain,
        user_id: input.user_id,
        archived: None,
    };
    let customer = catalog::update_customer(&state.store, &principal, &external_id, changes)
        .await
        .map_err(|e| FlowgladError::from_service(e, Names::Customer))?;
    Ok(Json(CustomerEnvelope {
        customer: CustomerBody::from(&customer),
    }))
}

pub async fn list(
    State(state): State<AppState>,
    FlowgladAuth(principal): FlowgladAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<ListBody<CustomerBody>>, FlowgladError> {
    let page = query.page()?;
    let (org, live) = (principal.organization_id.as_str(), principal.mode.is_live());
    list_of(
        &query,
        state.store.customers(org, live, &page),
        state.store.count_customers(org, live),
        |c| CustomerBody::from(c),
        |r| (r.created_at, r.id.as_str()),
    )
    .await
}
