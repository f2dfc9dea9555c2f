//! Reading subscriptions with what they charge for: the core the dialects' subscription reads
//! map onto.

use super::api_keys::Principal;
use super::{ServiceError, ServiceResult};
use crate::store::{PriceRecord, Store, StoreError, SubscriptionItemRecord, SubscriptionRecord};

/// A subscription and its items (those that still bill), each with its price.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub record: SubscriptionRecord,
    pub items: Vec<(SubscriptionItemRecord, PriceRecord)>,
}

/// The caller's subscription `id`, with its items.
pub async fn get_subscription(
    store: &Store,
    principal: &Principal,
    id: &str,
) -> ServiceResult<Subscription> {
    let live = principal.mode.is_live();
    let record = store
        .subscription(&principal.organization_id, live, id)
        .await?
        .ok_or(ServiceError::NotFound("subscription"))?;
    let mut items = Vec::new();
    for item in store.subscription_items(&[id]).await? {
        let price = store
            .price(&principal.organization_id, live, &item.price_id)
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("subscription item {} without its price", item.id))
            })?;
        items.push((item, price));
    }
    Ok(Subscription { record, items })
}
