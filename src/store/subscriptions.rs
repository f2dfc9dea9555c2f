//! Subscriptions: what a customer pays for on a schedule.

use super::{Store, StoreResult, dispatch, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub customer_id: String,
    pub price_id: String,
    pub quantity: i32,
    /// incomplete, trialing, active, past_due or canceled
    pub status: String,
    pub name: Option<String>,
    pub default_payment_method_id: Option<String>,
    pub billing_cycle_anchor: Option<i64>,
    pub current_period_start: Option<i64>,
    pub current_period_end: Option<i64>,
    pub trial_end: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    pub canceled_at: Option<i64>,
}

impl SubscriptionRecord {
    /// Whether an activate-subscription checkout can start it: it is owed a first payment.
    pub fn awaits_activation(&self) -> bool {
        matches!(self.status.as_str(), "incomplete" | "past_due")
    }
}

/// A subscription to record.
#[derive(Debug, Clone)]
pub struct NewSubscription<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub customer_id: &'a str,
    pub price_id: &'a str,
    pub quantity: i32,
    pub status: &'a str,
    pub name: Option<&'a str>,
}

const SUBSCRIPTION_COLUMNS: &str = "id, organization_id, livemode, customer_id, price_id, quantity, \
     status, name, default_payment_method_id, billing_cycle_anchor, current_period_start, \
     current_period_end, trial_end, created_at, updated_at, canceled_at";

impl Store {
    pub async fn insert_subscription(
        &self,
        subscription: &NewSubscription<'_>,
    ) -> StoreResult<SubscriptionRecord> {
        let now = now_ms();
        dispatch!(self, write, |db| {
            sqlx::query(
                "INSERT INTO subscriptions (id, organization_id, livemode, customer_id, price_id, \
                 quantity, status, name, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(subscription.id)
            .bind(subscription.organization_id)
            .bind(subscription.livemode)
            .bind(subscription.customer_id)
            .bind(subscription.price_id)
            .bind(subscription.quantity)
            .bind(subscription.status)
            .bind(subscription.name)
            .bind(now)
            .execute(db)
            .await?;
        });
        Ok(SubscriptionRecord {
            id: subscription.id.to_owned(),
            organization_id: subscription.organization_id.to_owned(),
            livemode: subscription.livemode,
            customer_id: subscription.customer_id.to_owned(),
            price_id: subscription.price_id.to_owned(),
            quantity: subscription.quantity,
            status: subscription.status.to_owned(),
            name: subscription.name.map(str::to_owned),
            default_payment_method_id: None,
            billing_cycle_anchor: None,
            current_period_start: None,
            current_period_end: None,
            trial_end: None,
            created_at: now,
            updated_at: now,
            canceled_at: None,
        })
    }

    pub async fn subscription(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<SubscriptionRecord>> {
        let sql = format!(
            "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions \
             WHERE id = $1 AND organization_id = $2 AND livemode = $3"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, SubscriptionRecord>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(db)
                .await?
        }))
    }
}

impl Store {
    pub async fn subscriptions(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &super::PageRequest,
    ) -> StoreResult<super::Page<SubscriptionRecord>> {
        self.page_of(
            "subscriptions",
            SUBSCRIPTION_COLUMNS,
            organization_id,
            livemode,
            page,
        )
        .await
    }

    /// A customer's subscriptions, newest first (at most `limit`).
    pub async fn subscriptions_of_customer(
        &self,
        organization_id: &str,
        livemode: bool,
        customer_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<SubscriptionRecord>> {
        self.of_customer(
            "subscriptions",
            SUBSCRIPTION_COLUMNS,
            organization_id,
            livemode,
            customer_id,
            limit,
        )
        .await
    }

    pub async fn count_subscriptions(
        &self,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<i64> {
        self.count_of("subscriptions", organization_id, livemode)
            .await
    }
}
