//! `/v1/payment_links`: create, retrieve, list and update, in Stripe's shapes. A link's `url` is
//! kassa's `/l/{id}`, which makes a session for every visit (`api::payment_links`).

use super::checkout_sessions::{
    LineForm, consent_collection_object, custom_field_object, limit_of,
};
use super::{Form, StripeAuth, StripeError};
use crate::api::checkout::{ConsentForm, CustomFieldForm, PhoneCollection, ShippingCollection};
use crate::domain::custom_field::check_custom_fields;
use crate::domain::payment_link::{LinkAdjustable, LinkLine, LinkTemplate};
use crate::service::ServiceError;
use crate::service::api_keys::Principal;
use crate::service::payment_links::{create_link, get_link, update_link};
use crate::state::AppState;
use crate::store::{Cursor, PageRequest, PaymentLinkRecord, now_ms};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// What happens after a payment (Stripe's `after_completion`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AfterCompletion {
    #[serde(rename = "type")]
    kind: String,
    redirect: Option<RedirectForm>,
    #[allow(
        dead_code,
        reason = "accepted; kassa's receipt page is the confirmation"
    )]
    hosted_confirmation: Option<HostedConfirmation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedirectForm {
    url: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostedConfirmation {
    #[allow(
        dead_code,
        reason = "accepted; kassa's receipt page is the confirmation"
    )]
    custom_message: Option<String>,
}

/// The settings a link is created with, or changed by (`active` only then).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkForm {
    line_items: Option<Vec<LineForm>>,
    after_completion: Option<AfterCompletion>,
    allow_promotion_codes: Option<bool>,
    billing_address_collection: Option<String>,
    shipping_address_collection: Option<ShippingCollection>,
    phone_number_collection: Option<PhoneCollection>,
    payment_method_types: Option<Vec<String>>,
    custom_fields: Option<Vec<CustomFieldForm>>,
    consent_collection: Option<ConsentForm>,
    metadata: Option<BTreeMap<String, String>>,
    active: Option<bool>,
    /// Stripe's SDKs may ask to expand objects; a link's answer carries its ids.
    #[serde(default)]
    #[allow(dead_code, reason = "accepted, and nothing to expand")]
    expand: Vec<String>,
}

impl LinkForm {
    /// Whether the form changes what the link's sessions are made of (not only `active` or
    /// `metadata`).
    fn changes_template(&self) -> bool {
        self.line_items.is_some()
            || self.after_completion.is_some()
            || self.allow_promotion_codes.is_some()
            || self.billing_address_collection.is_some()
            || self.shipping_address_collection.is_some()
            || self.phone_number_collection.is_some()
            || self.payment_method_types.is_some()
            || self.custom_fields.is_some()
            || self.consent_collection.is_some()
    }

    /// The template the form describes, over `base` (a link's current one when it is changed).
    fn template(&mut self, mut base: LinkTemplate) -> Result<LinkTemplate, StripeError> {
        if let Some(lines) = self.line_items.take() {
            if lines.is_empty() {
                return Err(StripeError::invalid(
                    "parameter_missing",
                    "line_items",
                    "Missing required param: line_items.",
                ));
            }
            base.lines = Vec::with_capacity(lines.len());
            for (i, line) in lines.into_iter().enumerate() {
                if line.price_data.is_some() {
                    return Err(StripeError::invalid(
                        "parameter_unknown",
                        format!("line_items[{i}][price_data]"),
                        "A payment link sells prices of the catalog: give line_items[][price].",
                    ));
                }
                let Some(price) = line.price.filter(|p| !p.is_empty()) else {
                    return Err(StripeError::invalid(
                        "parameter_missing",
                        format!("line_items[{i}][price]"),
                        format!("Missing required param: line_items[{i}][price]."),
                    ));
                };
                base.lines.push(LinkLine {
                    price,
                    quantity: line.quantity.unwrap_or(1),
                    adjustable: line.adjustable_quantity.map(|a| LinkAdjustable {
                        enabled: a.enabled,
                        minimum: a.minimum,
                        maximum: a.maximum,
                    }),
                });
            }
        }
        if let Some(after) = self.after_completion.take() {
            base.success_url = match after.kind.as_str() {
                "redirect" => match after.redirect {
                    Some(redirect) => Some(redirect.url),
                    None => {
                        return Err(StripeError::invalid(
                            "parameter_missing",
                            "after_completion[redirect][url]",
                            "Missing required param: after_completion[redirect][url].",
                        ));
                    }
                },
                "hosted_confirmation" => None,
                other => {
                    return Err(StripeError::invalid(
                        "parameter_invalid",
                        "after_completion[type]",
                        format!(
                            "Invalid after_completion[type]: must be one of redirect or hosted_confirmation, not {other}"
                        ),
                    ));
                }
            };
        }
        if let Some(allow) = self.allow_promotion_codes {
            base.allow_promotion_codes = allow;
        }
        if let Some(billing) = self.billing_address_collection.take() {
            base.billing_address_collection = Some(billing);
        }
        if let Some(shipping) = self.shipping_address_collection.take() {
            base.shipping_countries = Some(shipping.allowed_countries);
        }
        if let Some(phone) = self.phone_number_collection.take() {
            base.phone = phone.enabled;
        }
        if let Some(types) = self.payment_method_types.take() {
            base.payment_method_types = Some(types);
        }
        if let Some(fields) = self.custom_fields.take() {
            let drafts = fields.into_iter().map(Into::into).collect();
            base.custom_fields =
                check_custom_fields(drafts).map_err(|e| StripeError::from_field(&e[0]))?;
        }
        if let Some(consent) = self.consent_collection.take() {
            base.terms_of_service = match consent.terms_of_service.as_deref() {
                None | Some("none") => false,
                Some("required") => true,
                Some(other) => {
                    return Err(StripeError::invalid(
                        "parameter_invalid",
                        "consent_collection[terms_of_service]",
                        format!(
                            "Invalid consent_collection[terms_of_service]: must be one of none or required, not {other}"
                        ),
                    ));
                }
            };
        }
        Ok(base)
    }

    fn metadata(&mut self) -> Option<Map<String, Value>> {
        self.metadata
            .take()
            .map(|m| m.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
    }
}

/// The link as Stripe's `payment_link` object.
fn link_object(state: &AppState, link: &PaymentLinkRecord) -> Result<Value, StripeError> {
    let template = link
        .template()
        .map_err(|e| StripeError::from_service(e.into()))?;
    let after_completion = match &template.success_url {
        Some(url) => json!({ "type": "redirect", "redirect": { "url": url } }),
        None => {
            json!({ "type": "hosted_confirmation", "hosted_confirmation": { "custom_message": null } })
        }
    };
    Ok(json!({
        "id": link.id,
        "object": "payment_link",
        "active": link.active,
        "after_completion": after_completion,
        "allow_promotion_codes": template.allow_promotion_codes,
        "billing_address_collection": template.billing_address_collection.as_deref().unwrap_or("auto"),
        "consent_collection": consent_collection_object(template.terms_of_service),
        "custom_fields": template.custom_fields.iter().map(|f| custom_field_object(f, None)).collect::<Vec<_>>(),
        "customer_creation": "if_required",
        "livemode": link.livemode,
        "metadata": link.metadata(),
        "payment_method_collection": "always",
        "payment_method_types": template.payment_method_types,
        "phone_number_collection": { "enabled": template.phone },
        "shipping_address_collection": template.shipping_countries.as_ref().map(|c| json!({
            "allowed_countries": c,
        })),
        "submit_type": "auto",
        "url": format!("{}/l/{}", state.public_base, link.id),
    }))
}

fn not_found(id: &str) -> impl Fn(ServiceError) -> StripeError + '_ {
    move |e| match e {
        ServiceError::NotFound(_) => StripeError::no_such("payment_link", id, "id"),
        other => StripeError::from_service(other),
    }
}

pub async fn create(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Form(mut form): Form<LinkForm>,
) -> Result<Json<Value>, StripeError> {
    if form.line_items.is_none() {
        return Err(StripeError::invalid(
            "parameter_missing",
            "line_items",
            "Missing required param: line_items.",
        ));
    }
    if form.active.is_some() {
        return Err(StripeError::invalid(
            "parameter_unknown",
            "active",
            "Received unknown parameter: active",
        ));
    }
    let template = form.template(LinkTemplate::default())?;
    let metadata = form.metadata().unwrap_or_default();
    let link = create_link(&state.store, &principal, template, metadata, now_ms())
        .await
        .map_err(StripeError::from_service)?;
    Ok(Json(link_object(&state, &link)?))
}

pub async fn retrieve(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    let link = get_link(&state.store, &principal, &id)
        .await
        .map_err(not_found(&id))?;
    Ok(Json(link_object(&state, &link)?))
}

pub async fn update(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Path(id): Path<String>,
    Form(mut form): Form<LinkForm>,
) -> Result<Json<Value>, StripeError> {
    let current = get_link(&state.store, &principal, &id)
        .await
        .map_err(not_found(&id))?;
    let template = if form.changes_template() {
        let base = current
            .template()
            .map_err(|e| StripeError::from_service(e.into()))?;
        Some(form.template(base)?)
    } else {
        None
    };
    let metadata = form.metadata();
    let link = update_link(
        &state.store,
        &principal,
        &id,
        form.active,
        template,
        metadata,
        now_ms(),
    )
    .await
    .map_err(not_found(&id))?;
    Ok(Json(link_object(&state, &link)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    limit: Option<String>,
    starting_after: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    crate::api::ApiQuery(query): crate::api::ApiQuery<ListQuery>,
) -> Result<Json<Value>, StripeError> {
    let limit = limit_of(query.limit.as_deref())?;
    let after = match query.starting_after.filter(|s| !s.is_empty()) {
        Some(id) => {
            let from = find_for_cursor(&state, &principal, &id).await?;
            Some(Cursor {
                created_at: from.created_at,
                id: from.id,
            })
        }
        None => None,
    };
    let page = state
        .store
        .payment_links(
            &principal.organization_id,
            principal.mode.is_live(),
            &PageRequest { limit, after },
        )
        .await
        .map_err(|e| StripeError::from_service(e.into()))?;
    let data = page
        .items
        .iter()
        .map(|link| link_object(&state, link))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({
        "object": "list",
        "data": data,
        "has_more": page.has_more,
        "url": "/v1/payment_links",
    })))
}

async fn find_for_cursor(
    state: &AppState,
    principal: &Principal,
    id: &str,
) -> Result<PaymentLinkRecord, StripeError> {
    get_link(&state.store, principal, id)
        .await
        .map_err(|e| match e {
            ServiceError::NotFound(_) => StripeError::no_such("payment_link", id, "starting_after"),
            other => StripeError::from_service(other),
        })
}
