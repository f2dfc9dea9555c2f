//! Subscriptions after their checkout: reading them with what they charge for, and ending them
//! (now, or at the end of the period) or calling an ending off; the core the dialects map onto.

use super::api_keys::Principal;
use super::events::Outbox;
use super::{ServiceError, ServiceResult};
use crate::domain::event::EventType;
use crate::domain::field::{Field, FieldError};
use crate::domain::money::{Currency, Money};
use crate::store::{
    Cancellation, PriceRecord, Store, StoreError, SubscriptionItemRecord, SubscriptionRecord,
};
use serde_json::json;

/// A subscription and its items (those that still bill), each with its price.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub record: SubscriptionRecord,
    pub items: Vec<(SubscriptionItemRecord, PriceRecord)>,
}

impl Subscription {
    /// What it charges each period: see [`period_amount`].
    pub fn period_amount(&self) -> Option<Money> {
        period_amount(self.items.iter().map(|(item, _)| item))
    }
}

/// What `items` charge each period (unit amount times quantity, summed), when they are all in
/// one currency, as a checkout makes them; `None` for no items, several currencies, or a sum past
/// what an `i64` holds.
pub fn period_amount<'a>(
    items: impl IntoIterator<Item = &'a SubscriptionItemRecord>,
) -> Option<Money> {
    let mut items = items.into_iter().peekable();
    let code = items.peek()?.currency.clone();
    let currency = Currency::parse(&code).ok()?;
    let mut total = 0i64;
    for item in items {
        if item.currency != code {
            return None;
        }
        total = total.checked_add(item.unit_amount.checked_mul(i64::from(item.quantity))?)?;
    }
    Some(Money::new(total, currency))
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
    with_items(store, record).await
}

/// `record` with its items (those that still bill), each with its price.
pub async fn with_items(store: &Store, record: SubscriptionRecord) -> ServiceResult<Subscription> {
    let mut items = Vec::new();
    for item in store.subscription_items(&[&record.id]).await? {
        let price = store
            .price(&record.organization_id, record.livemode, &item.price_id)
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("subscription item {} without its price", item.id))
            })?;
        items.push((item, price));
    }
    Ok(Subscription { record, items })
}

/// When a merchant's cancellation takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelTiming {
    Immediately,
    AtPeriodEnd,
}

/// Ends the caller's subscription `id`: now (it bills no more; `subscription.canceled`), or at
/// the end of its current period (it runs until then; `subscription.updated`). A canceled
/// subscription is a 409; one without a period to end (awaiting activation) can only end now.
pub async fn cancel_subscription(
    store: &Store,
    principal: &Principal,
    id: &str,
    timing: CancelTiming,
    now: i64,
) -> ServiceResult<Subscription> {
    let current = get_subscription(store, principal, id).await?.record;
    if current.status == "canceled" {
        return Err(already_canceled());
    }
    let cancellation = match timing {
        CancelTiming::Immediately => Cancellation::Now,
        CancelTiming::AtPeriodEnd => match current.current_period_end {
            Some(end) if current.status != "incomplete" => Cancellation::At(end),
            _ => {
                return Err(ServiceError::Conflict(FieldError::new(
                    Field::CancelTiming,
                    "no_billing_period",
                    "this subscription has not started a billing period; cancel it immediately",
                )));
            }
        },
    };
    change(store, principal, &current, cancellation, now).await
}

/// Calls off the scheduled cancellation of the caller's subscription `id` (nothing to do when
/// none is scheduled); a canceled subscription is a 409.
pub async fn uncancel_subscription(
    store: &Store,
    principal: &Principal,
    id: &str,
    now: i64,
) -> ServiceResult<Subscription> {
    let current = get_subscription(store, principal, id).await?.record;
    if current.status == "canceled" {
        return Err(already_canceled());
    }
    if current.cancel_scheduled_at.is_none() {
        return get_subscription(store, principal, id).await;
    }
    change(store, principal, &current, Cancellation::Off, now).await
}

/// Cancels the subscriptions whose scheduled cancellation is due at `now` (on their
/// organization's test clock in test mode; of one organization only when given), each once
/// (across instances: the change is a guarded update), as of the time it was scheduled for;
/// returns how many this call canceled.
pub async fn cancel_due_subscriptions(
    store: &Store,
    now: i64,
    organization_id: Option<&str>,
) -> ServiceResult<usize> {
    let mut canceled = 0;
    for due in store
        .subscriptions_due_to_cancel(now, organization_id, 100)
        .await?
    {
        let at = due.cancel_scheduled_at.unwrap_or(now);
        let mut tx = store.begin().await?;
        if tx
            .cancel_subscription(&due.id, Cancellation::Now, at)
            .await?
        {
            announce(&mut tx, &due, Cancellation::Now, at).await?;
            canceled += 1;
        }
        tx.commit().await?;
    }
    Ok(canceled)
}

fn already_canceled() -> ServiceError {
    ServiceError::Conflict(FieldError::new(
        Field::Kind,
        "subscription_canceled",
        "this subscription is canceled; a new checkout starts a new one",
    ))
}

/// Applies `cancellation` and announces it, in one transaction.
async fn change(
    store: &Store,
    principal: &Principal,
    current: &SubscriptionRecord,
    cancellation: Cancellation,
    now: i64,
) -> ServiceResult<Subscription> {
    let mut tx = store.begin().await?;
    if !tx
        .cancel_subscription(&current.id, cancellation, now)
        .await?
    {
        // Moved on meanwhile (canceled by another request, or by the worker).
        return Err(already_canceled());
    }
    announce(&mut tx, current, cancellation, now).await?;
    tx.commit().await?;
    get_subscription(store, principal, &current.id).await
}

pub(crate) async fn announce(
    tx: &mut crate::store::Tx,
    s: &SubscriptionRecord,
    cancellation: Cancellation,
    now: i64,
) -> ServiceResult<()> {
    let (event, status, canceled_at, scheduled) = match cancellation {
        Cancellation::Now => (EventType::SubscriptionCanceled, "canceled", Some(now), None),
        Cancellation::At(at) => (
            EventType::SubscriptionUpdated,
            s.status.as_str(),
            None,
            Some(at),
        ),
        Cancellation::Off => (
            EventType::SubscriptionUpdated,
            s.status.as_str(),
            None,
            None,
        ),
    };
    let mut outbox = Outbox::default();
    outbox.push(
        event,
        json!({
            "id": s.id, "object": "subscription", "customer": s.customer_id,
            "status": status, "canceled_at": canceled_at.map(|t| t / 1000),
            "cancel_at": scheduled.map(|t| t / 1000),
            "cancel_at_period_end": scheduled.is_some(),
            "current_period_end": s.current_period_end.map(|t| t / 1000),
        }),
    );
    outbox
        .write(tx, &s.organization_id, s.livemode, now)
        .await?;
    Ok(())
}
