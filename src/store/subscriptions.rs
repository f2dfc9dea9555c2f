//! Subscriptions: what a customer pays for on a schedule.

use super::tx::{Tx, dispatch_tx};
use super::{Store, StoreResult, dispatch, now_ms};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub customer_id: String,
    pub price_id: String,
    pub quantity: i32,
    /// incomplete, trialing, active, past_due, unpaid or canceled
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
    /// When a cancellation at the end of the period takes effect, while it is scheduled.
    pub cancel_scheduled_at: Option<i64>,
    /// The current period's invoice while it is unpaid.
    pub open_invoice_id: Option<String>,
    /// When the open invoice is next charged.
    pub collect_at: Option<i64>,
    /// How many charges of the open invoice failed.
    pub failed_charges: i32,
}

impl SubscriptionRecord {
    /// Whether an activate-subscription checkout can start it: it is owed a first payment.
    pub fn awaits_activation(&self) -> bool {
        matches!(self.status.as_str(), "incomplete" | "past_due")
    }
}

/// One price a subscription charges for each period.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionItemRecord {
    pub id: String,
    pub subscription_id: String,
    pub price_id: String,
    pub quantity: i32,
    /// The price's amount when the item was added, in minor units of `currency`.
    pub unit_amount: i64,
    /// Lower-case ISO 4217.
    pub currency: String,
    /// The item's place on its subscription, from 0.
    pub position: i32,
    pub created_at: i64,
    pub expired_at: Option<i64>,
}

/// An item to add to a subscription.
#[derive(Debug, Clone)]
pub struct NewSubscriptionItem<'a> {
    pub id: &'a str,
    pub price_id: &'a str,
    pub quantity: i32,
    pub unit_amount: i64,
    pub currency: &'a str,
}

const ITEM_COLUMNS: &str = "id, subscription_id, price_id, quantity, unit_amount, currency, \
     position, created_at, expired_at";

/// A subscription to record, with its one item.
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
    /// The item's id; its price and quantity are the subscription's.
    pub item_id: &'a str,
    pub unit_amount: i64,
    pub currency: &'a str,
}

const SUBSCRIPTION_COLUMNS: &str = "id, organization_id, livemode, customer_id, price_id, quantity, \
     status, name, default_payment_method_id, billing_cycle_anchor, current_period_start, \
     current_period_end, trial_end, created_at, updated_at, canceled_at, cancel_scheduled_at, \
     open_invoice_id, collect_at, failed_charges";

impl Store {
    pub async fn insert_subscription(
        &self,
        subscription: &NewSubscription<'_>,
    ) -> StoreResult<SubscriptionRecord> {
        let now = now_ms();
        let mut tx = self.begin().await?;
        dispatch_tx!(tx, |conn| {
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
            .execute(&mut *conn)
            .await?;
        });
        tx.add_subscription_items(
            subscription.id,
            &[NewSubscriptionItem {
                id: subscription.item_id,
                price_id: subscription.price_id,
                quantity: subscription.quantity,
                unit_amount: subscription.unit_amount,
                currency: subscription.currency,
            }],
            now,
        )
        .await?;
        tx.commit().await?;
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
            cancel_scheduled_at: None,
            open_invoice_id: None,
            collect_at: None,
            failed_charges: 0,
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
            "",
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

    /// The items of `subscription_ids` that still bill, each subscription's in their order.
    pub async fn subscription_items(
        &self,
        subscription_ids: &[&str],
    ) -> StoreResult<Vec<SubscriptionItemRecord>> {
        if subscription_ids.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders = (1..=subscription_ids.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM subscription_items WHERE subscription_id IN ({placeholders}) \
             AND expired_at IS NULL ORDER BY subscription_id, position"
        );
        Ok(dispatch!(self, read, |db| {
            let mut query = sqlx::query_as::<_, SubscriptionItemRecord>(&sql);
            for id in subscription_ids {
                query = query.bind(*id);
            }
            query.fetch_all(db).await?
        }))
    }

    pub async fn count_subscriptions(
        &self,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<i64> {
        self.count_of("subscriptions", "", organization_id, livemode)
            .await
    }
}

/// A subscription a checkout starts.
#[derive(Debug, Clone)]
pub struct StartedSubscription<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub customer_id: &'a str,
    pub price_id: &'a str,
    pub quantity: i32,
    /// trialing or active
    pub status: &'a str,
    pub name: Option<&'a str>,
    pub default_payment_method_id: Option<&'a str>,
    pub billing_cycle_anchor: i64,
    pub current_period_start: i64,
    pub current_period_end: i64,
    pub trial_end: Option<i64>,
    pub metadata: Option<&'a str>,
    /// What it charges each period: the session's recurring lines, in order (at least one; the
    /// first is the subscription's `price_id` and `quantity`).
    pub items: &'a [NewSubscriptionItem<'a>],
}

/// How a subscription is to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// Now: it is canceled, and bills no more.
    Now,
    /// At `at` (the end of its period): it runs until then.
    At(i64),
    /// Not: a scheduled cancellation is called off.
    Off,
}

impl Store {
    /// Subscriptions whose scheduled cancellation is due at their organization's clock (`now`,
    /// plus the test clock's offset in test mode), at most `limit`; of one organization only when
    /// `organization_id` is given.
    pub async fn subscriptions_due_to_cancel(
        &self,
        now: i64,
        organization_id: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<SubscriptionRecord>> {
        let sql = format!(
            "SELECT {} FROM subscriptions s JOIN organizations o ON o.id = s.organization_id \
             WHERE s.cancel_scheduled_at <= $1 + CASE WHEN s.livemode THEN 0 ELSE o.test_clock_offset_ms END \
             AND s.status <> 'canceled' AND (CAST($2 AS TEXT) IS NULL OR s.organization_id = $2) \
             ORDER BY s.cancel_scheduled_at LIMIT $3",
            prefixed_columns()
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, SubscriptionRecord>(&sql)
                .bind(now)
                .bind(organization_id)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }
}

/// The subscription's columns, each prefixed `s.` (for queries that join it).
pub(super) fn prefixed_columns() -> String {
    SUBSCRIPTION_COLUMNS
        .split(',')
        .map(|c| format!("s.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Tx {
    /// Applies `cancellation` to a subscription that is not canceled (for `At`, one that bills:
    /// trialing, active or past due; for `Off`, one with a cancellation scheduled): `false`
    /// (nothing written) when it is not in such a state, so that of concurrent requests (or
    /// workers) one changes it.
    pub async fn cancel_subscription(
        &mut self,
        id: &str,
        cancellation: Cancellation,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            match cancellation {
                Cancellation::Now => sqlx::query(
                    "UPDATE subscriptions SET status = 'canceled', canceled_at = $1, \
                     cancel_scheduled_at = NULL, updated_at = $1 \
                     WHERE id = $2 AND status <> 'canceled'",
                )
                .bind(now)
                .bind(id),
                Cancellation::At(at) => sqlx::query(
                    "UPDATE subscriptions SET cancel_scheduled_at = $1, updated_at = $2 \
                     WHERE id = $3 AND status IN ('trialing', 'active', 'past_due')",
                )
                .bind(at)
                .bind(now)
                .bind(id),
                Cancellation::Off => sqlx::query(
                    "UPDATE subscriptions SET cancel_scheduled_at = NULL, updated_at = $1 \
                     WHERE id = $2 AND status <> 'canceled' AND cancel_scheduled_at IS NOT NULL",
                )
                .bind(now)
                .bind(id),
            }
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    pub async fn start_subscription(
        &mut self,
        s: &StartedSubscription<'_>,
        now: i64,
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query(
                "INSERT INTO subscriptions (id, organization_id, livemode, customer_id, price_id, quantity, \
                 status, name, default_payment_method_id, billing_cycle_anchor, current_period_start, \
                 current_period_end, trial_end, metadata, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
            )
            .bind(s.id)
            .bind(s.organization_id)
            .bind(s.livemode)
            .bind(s.customer_id)
            .bind(s.price_id)
            .bind(s.quantity)
            .bind(s.status)
            .bind(s.name)
            .bind(s.default_payment_method_id)
            .bind(s.billing_cycle_anchor)
            .bind(s.current_period_start)
            .bind(s.current_period_end)
            .bind(s.trial_end)
            .bind(s.metadata)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        self.add_subscription_items(s.id, s.items, now).await
    }

    /// Adds `items` to a subscription, after any it has, in their order.
    pub async fn add_subscription_items(
        &mut self,
        subscription_id: &str,
        items: &[NewSubscriptionItem<'_>],
        now: i64,
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            let first: i32 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS INTEGER) FROM subscription_items WHERE subscription_id = $1",
            )
            .bind(subscription_id)
            .fetch_one(&mut *conn)
            .await?;
            for (i, item) in items.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO subscription_items (id, subscription_id, price_id, quantity, \
                     unit_amount, currency, position, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(item.id)
                .bind(subscription_id)
                .bind(item.price_id)
                .bind(item.quantity)
                .bind(item.unit_amount)
                .bind(item.currency)
                .bind(first + i as i32)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            }
        });
        Ok(())
    }

    /// Moves a subscription awaiting activation to active with its billing cycle.
    #[allow(clippy::too_many_arguments)]
    pub async fn activate_subscription(
        &mut self,
        id: &str,
        billing_cycle_anchor: i64,
        period_start: i64,
        period_end: i64,
        default_payment_method_id: Option<&str>,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE subscriptions SET status = 'active', billing_cycle_anchor = $1, current_period_start = $2, \
                 current_period_end = $3, default_payment_method_id = COALESCE($4, default_payment_method_id), \
                 updated_at = $5 WHERE id = $6 AND status IN ('incomplete', 'past_due')",
            )
            .bind(billing_cycle_anchor)
            .bind(period_start)
            .bind(period_end)
            .bind(default_payment_method_id)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Makes `payment_method_id` the default of one subscription, or of every live (not canceled)
    /// subscription of `customer_id` when `subscription_id` is `None`.
    pub async fn set_default_payment_method(
        &mut self,
        customer_id: &str,
        subscription_id: Option<&str>,
        payment_method_id: &str,
        now: i64,
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            match subscription_id {
                Some(id) => sqlx::query(
                    "UPDATE subscriptions SET default_payment_method_id = $1, updated_at = $2 WHERE id = $3 AND customer_id = $4",
                )
                .bind(payment_method_id)
                .bind(now)
                .bind(id)
                .bind(customer_id),
                None => sqlx::query(
                    "UPDATE subscriptions SET default_payment_method_id = $1, updated_at = $2 \
                     WHERE customer_id = $3 AND status <> 'canceled'",
                )
                .bind(payment_method_id)
                .bind(now)
                .bind(customer_id),
            }
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}
