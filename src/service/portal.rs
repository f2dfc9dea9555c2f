//! The buyer's page (`/billing/{token}`): what a customer sees of their subscriptions, invoices
//! and card, reached by a signed link that expires, as Stripe's customer portal and Flowglad's
//! billing portal are. The link is made by the merchant's API call or put in the buyer's mail.
//!
//! A token names the organization, the mode, the customer and when it expires, and carries an
//! HMAC-SHA256 of those under the installation's own key (never stored, never shown): it cannot
//! be made or stretched without that key, and every instance of one installation reads it.

use super::api_keys::Principal;
use super::{ServiceError, ServiceResult};
use crate::domain::Mode;
use crate::store::{CustomerRecord, Store};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The installation key tokens are signed with.
const PURPOSE: &str = "buyer-portal-links";
/// How long a link the API makes lasts.
pub const API_LINK_MS: i64 = 24 * 3_600_000;
/// How long a link in a mail lasts.
pub const MAIL_LINK_MS: i64 = 30 * 86_400_000;

fn signature(key: &[u8; 32], payload: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(b"kassa-portal:");
    mac.update(payload.as_bytes());
    mac
}

fn payload(organization_id: &str, livemode: bool, customer_id: &str, expires_at: i64) -> String {
    let mode = if livemode { "l" } else { "t" };
    format!(
        "{organization_id}.{mode}.{customer_id}.{}",
        expires_at / 1000
    )
}

/// A link to `customer`'s page that works until `expires_at` (milliseconds).
pub async fn link(
    store: &Store,
    public_base: &str,
    customer: &CustomerRecord,
    expires_at: i64,
) -> ServiceResult<String> {
    let key = store.installation_key(PURPOSE).await?;
    let payload = payload(
        &customer.organization_id,
        customer.livemode,
        &customer.id,
        expires_at,
    );
    let signed = signature(&key, &payload).finalize().into_bytes();
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signed);
    Ok(format!("{public_base}/billing/{payload}.{sig}"))
}

/// Who a valid, unexpired token is for; `None` for any other (forged, altered, expired, or its
/// customer gone).
pub async fn open(store: &Store, token: &str, now: i64) -> ServiceResult<Option<Buyer>> {
    let Some((payload, sig)) = token.rsplit_once('.') else {
        return Ok(None);
    };
    let parts: Vec<&str> = payload.split('.').collect();
    let [organization_id, mode, customer_id, expires] = parts.as_slice() else {
        return Ok(None);
    };
    let Ok(sig) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig) else {
        return Ok(None);
    };
    let key = store.installation_key(PURPOSE).await?;
    if signature(&key, payload).verify_slice(&sig).is_err() {
        return Ok(None);
    }
    let Ok(expires) = expires.parse::<i64>() else {
        return Ok(None);
    };
    if expires.saturating_mul(1000) <= now {
        return Ok(None);
    }
    let livemode = *mode == "l";
    let Some(customer) = store
        .customer(organization_id, livemode, customer_id)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Buyer {
        principal: Principal {
            organization_id: customer.organization_id.clone(),
            mode: if livemode { Mode::Live } else { Mode::Test },
            api_key_id: "buyer-portal".to_owned(),
        },
        customer,
    }))
}

/// The buyer a token is for, acting on their own things only.
#[derive(Debug, Clone)]
pub struct Buyer {
    pub customer: CustomerRecord,
    /// Acts for the customer's organization, in the customer's mode.
    pub principal: Principal,
}

impl Buyer {
    /// The buyer's subscription `id`: another customer's is not found.
    pub async fn subscription(
        &self,
        store: &Store,
        id: &str,
    ) -> ServiceResult<crate::store::SubscriptionRecord> {
        store
            .subscription(&self.customer.organization_id, self.customer.livemode, id)
            .await?
            .filter(|s| s.customer_id == self.customer.id)
            .ok_or(ServiceError::NotFound("subscription"))
    }
}
