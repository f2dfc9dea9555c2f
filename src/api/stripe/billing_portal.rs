//! `POST /v1/billing_portal/sessions`: Stripe's customer portal, as kassa's buyer's page (a
//! signed link to the customer's subscriptions, card and invoices).

use super::{Form, StripeAuth, StripeError};
use crate::state::AppState;
use crate::store::now_ms;
use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateForm {
    customer: Option<String>,
    return_url: Option<String>,
    locale: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    StripeAuth(principal): StripeAuth,
    Form(form): Form<CreateForm>,
) -> Result<Json<Value>, StripeError> {
    let Some(id) = form.customer.filter(|c| !c.is_empty()) else {
        return Err(StripeError::invalid(
            "parameter_missing",
            "customer",
            "Missing required param: customer.",
        ));
    };
    if let Some(url) = &form.return_url
        && crate::domain::redirect_url::as_location(url).is_none()
    {
        return Err(StripeError::invalid(
            "url_invalid",
            "return_url",
            "Not a valid URL",
        ));
    }
    let customer = state
        .store
        .customer(&principal.organization_id, principal.mode.is_live(), &id)
        .await
        .map_err(|e| StripeError::from_service(e.into()))?
        .ok_or_else(|| StripeError::no_such("customer", &id, "customer"))?;
    let now = now_ms();
    let url = crate::service::portal::link(
        &state.store,
        &state.public_base,
        &customer,
        now + crate::service::portal::API_LINK_MS,
    )
    .await
    .map_err(StripeError::from_service)?;
    Ok(Json(json!({
        "id": crate::service::ids::new_id("bps"),
        "object": "billing_portal.session",
        "configuration": null,
        "created": now / 1000,
        "customer": customer.id,
        "flow": null,
        "livemode": customer.livemode,
        "locale": form.locale,
        "on_behalf_of": null,
        "return_url": form.return_url,
        "url": url,
    })))
}
