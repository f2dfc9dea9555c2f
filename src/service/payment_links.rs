//! Payment links: made and changed by a merchant, opened by buyers. Every visit to an active
//! link makes a new anonymous session from the link's template, as if the merchant had asked for
//! it then: prices are looked up at the visit (an archived price stops the link selling).

use super::api_keys::Principal;
use super::checkout::{build_session_of, create_session};
use super::ids::new_id;
use super::{ServiceError, ServiceResult};
use crate::domain::Mode;
use crate::domain::payment_link::LinkTemplate;
use crate::domain::session::CheckoutSession;
use crate::store::{PaymentLinkChanges, PaymentLinkRecord, Store};

/// Checks a template the way a visit will use it (every price, every setting), without making a
/// session.
async fn check_template(
    store: &Store,
    principal: &Principal,
    template: &LinkTemplate,
    now: i64,
) -> ServiceResult<()> {
    build_session_of(store, principal, template.to_draft(), now)
        .await
        .map(|_| ())
}

fn to_json<T: serde::Serialize>(value: &T) -> ServiceResult<String> {
    Ok(serde_json::to_string(value).map_err(crate::store::StoreError::from)?)
}

pub async fn create_link(
    store: &Store,
    principal: &Principal,
    template: LinkTemplate,
    metadata: serde_json::Map<String, serde_json::Value>,
    now: i64,
) -> ServiceResult<PaymentLinkRecord> {
    check_template(store, principal, &template, now).await?;
    let prefix = if principal.mode.is_live() {
        "plink_live"
    } else {
        "plink_test"
    };
    let link = PaymentLinkRecord {
        id: new_id(prefix),
        organization_id: principal.organization_id.clone(),
        livemode: principal.mode.is_live(),
        active: true,
        template: to_json(&template)?,
        metadata: to_json(&metadata)?,
        created_at: now,
        updated_at: now,
    };
    store.insert_payment_link(&link).await?;
    Ok(link)
}

pub async fn get_link(
    store: &Store,
    principal: &Principal,
    id: &str,
) -> ServiceResult<PaymentLinkRecord> {
    store
        .payment_link(&principal.organization_id, principal.mode.is_live(), id)
        .await?
        .ok_or(ServiceError::NotFound("payment link"))
}

/// Changes a link: turns it on or off, replaces its template (checked first) or its metadata.
pub async fn update_link(
    store: &Store,
    principal: &Principal,
    id: &str,
    active: Option<bool>,
    template: Option<LinkTemplate>,
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
    now: i64,
) -> ServiceResult<PaymentLinkRecord> {
    get_link(store, principal, id).await?;
    if let Some(template) = &template {
        check_template(store, principal, template, now).await?;
    }
    let changes = PaymentLinkChanges {
        active,
        template: template.as_ref().map(to_json).transpose()?,
        metadata: metadata.as_ref().map(to_json).transpose()?,
    };
    let live = principal.mode.is_live();
    store
        .update_payment_link(&principal.organization_id, live, id, &changes, now)
        .await?;
    get_link(store, principal, id).await
}

/// What a buyer's visit to a link finds.
pub enum Visit {
    /// The session made for this visit.
    Session(Box<CheckoutSession>),
    /// The merchant turned the link off.
    Inactive,
    NotFound,
}

/// A buyer opens a link: a new session from its template while it is active.
pub async fn open_link(store: &Store, id: &str, now: i64) -> ServiceResult<Visit> {
    let Some(link) = store.payment_link_by_id(id).await? else {
        return Ok(Visit::NotFound);
    };
    if !link.active {
        return Ok(Visit::Inactive);
    }
    let principal = Principal {
        organization_id: link.organization_id.clone(),
        mode: if link.livemode {
            Mode::Live
        } else {
            Mode::Test
        },
        api_key_id: format!("payment-link:{}", link.id),
    };
    let mut draft = link.template()?.to_draft();
    draft.payment_link_id = Some(link.id.clone());
    let session = create_session(store, &principal, draft, now, None).await?;
    Ok(Visit::Session(Box::new(session)))
}
