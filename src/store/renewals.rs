//! Renewals: subscriptions whose period ended or whose open invoice is due a charge, the charges
//! of renewal invoices, and the organization's test clock they are measured against.

use super::subscriptions::prefixed_columns;
use super::tx::{Tx, dispatch_tx};
use super::{Store, StoreResult, SubscriptionRecord, dispatch};

/// A subscription with renewal work due, and the time of its organization's clock in its mode.
#[derive(Debug, Clone)]
pub struct DueRenewal {
    pub subscription: SubscriptionRecord,
    /// Real time in live mode; the test clock in test mode.
    pub clock: i64,
}

#[derive(sqlx::FromRow)]
struct DueRow {
    #[sqlx(flatten)]
    subscription: SubscriptionRecord,
    clock_offset: i64,
}

/// Each row's subscription with its organization's clock at `now`.
fn with_clock(rows: Vec<DueRow>, now: i64) -> Vec<DueRenewal> {
    rows.into_iter()
        .map(|r| DueRenewal {
            subscription: r.subscription,
            clock: now + r.clock_offset,
        })
        .collect()
}

/// One charge of a renewal invoice.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RenewalChargeRecord {
    /// Also the processor's idempotency key.
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub subscription_id: String,
    pub invoice_id: String,
    pub payment_method_id: Option<String>,
    pub processor: String,
    /// charging, processing, succeeded or declined
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub processor_reference: Option<String>,
    pub decline_code: Option<String>,
    pub decline_message: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const CHARGE_COLUMNS: &str = "id, organization_id, livemode, subscription_id, invoice_id, \
     payment_method_id, processor, status, amount, currency, processor_reference, decline_code, \
     decline_message, created_at, updated_at";

/// A line of an invoice.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvoiceLineRecord {
    pub invoice_id: String,
    pub position: i32,
    pub price_id: Option<String>,
    pub description: String,
    pub quantity: i32,
    pub unit_amount: i64,
    pub amount: i64,
    pub currency: String,
}

/// How a subscription stands after a failed charge of its open invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Past due, charged again at the time given.
    RetryAt(i64),
    /// Every retry failed: canceled.
    Canceled,
    /// Every retry failed: unpaid (kept, charged no more).
    Unpaid,
}

/// The clock offset of the subscription's mode, as SQL over `s` and `o`.
const OFFSET: &str = "CASE WHEN s.livemode THEN 0 ELSE o.test_clock_offset_ms END";

impl Store {
    /// Subscriptions with renewal work due at their organization's clock (`now` plus its test
    /// clock's offset in test mode), and not held by a worker, earliest first: a period that
    /// ended (unless the subscription is to end with it), or an open invoice due a charge. Of one
    /// organization only when `organization_id` is given; those held too when `held_too`.
    pub async fn renewals_due(
        &self,
        now: i64,
        organization_id: Option<&str>,
        limit: i64,
        held_too: bool,
    ) -> StoreResult<Vec<DueRenewal>> {
        let columns = prefixed_columns();
        let sql = format!(
            "SELECT {columns}, {OFFSET} AS clock_offset \
             FROM subscriptions s JOIN organizations o ON o.id = s.organization_id \
             WHERE ($4 OR s.renewal_lease_until IS NULL OR s.renewal_lease_until <= $1) \
             AND (CAST($2 AS TEXT) IS NULL OR s.organization_id = $2) \
             AND ((s.status IN ('trialing', 'active') AND s.open_invoice_id IS NULL \
                   AND s.current_period_end <= $1 + {OFFSET} \
                   AND (s.cancel_scheduled_at IS NULL OR s.cancel_scheduled_at > s.current_period_end)) \
               OR (s.status IN ('trialing', 'active', 'past_due') AND s.collect_at <= $1 + {OFFSET})) \
             ORDER BY COALESCE(s.collect_at, s.current_period_end) LIMIT $3"
        );
        let rows = dispatch!(self, read, |db| {
            sqlx::query_as::<_, DueRow>(&sql)
                .bind(now)
                .bind(organization_id)
                .bind(limit)
                .bind(held_too)
                .fetch_all(db)
                .await?
        });
        Ok(with_clock(rows, now))
    }

    /// Trialing subscriptions whose trial ends within `within_ms` of their organization's clock,
    /// whose buyer has not been told yet.
    pub async fn trials_ending(
        &self,
        now: i64,
        organization_id: Option<&str>,
        within_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<DueRenewal>> {
        let columns = prefixed_columns();
        let sql = format!(
            "SELECT {columns}, {OFFSET} AS clock_offset \
             FROM subscriptions s JOIN organizations o ON o.id = s.organization_id \
             WHERE s.status = 'trialing' AND s.trial_end > $1 + {OFFSET} \
             AND s.trial_end <= $1 + {OFFSET} + $2 \
             AND (CAST($3 AS TEXT) IS NULL OR s.organization_id = $3) \
             AND NOT EXISTS (SELECT 1 FROM mails m WHERE m.kind = 'trial_ending' AND m.about = s.id) \
             ORDER BY s.trial_end LIMIT $4"
        );
        let rows = dispatch!(self, read, |db| {
            sqlx::query_as::<_, DueRow>(&sql)
                .bind(now)
                .bind(within_ms)
                .bind(organization_id)
                .bind(limit)
                .fetch_all(db)
                .await?
        });
        Ok(with_clock(rows, now))
    }

    /// Holds a subscription for its renewal until `now + lease_ms`: `false` when another worker
    /// holds it.
    pub async fn claim_renewal(&self, id: &str, now: i64, lease_ms: i64) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE subscriptions SET renewal_lease_until = $1 \
                 WHERE id = $2 AND (renewal_lease_until IS NULL OR renewal_lease_until <= $3)",
            )
            .bind(now + lease_ms)
            .bind(id)
            .bind(now)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Lets go of a subscription held for its renewal, or holds it until `until` (a charge whose
    /// answer is awaited).
    pub async fn release_renewal(&self, id: &str, until: Option<i64>) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query("UPDATE subscriptions SET renewal_lease_until = $1 WHERE id = $2")
                .bind(until)
                .bind(id)
                .execute(db)
                .await?;
        });
        Ok(())
    }

    /// The charge of `invoice_id` in flight (charging or processing), if any.
    pub async fn renewal_charge_in_flight(
        &self,
        invoice_id: &str,
    ) -> StoreResult<Option<RenewalChargeRecord>> {
        let sql = format!(
            "SELECT {CHARGE_COLUMNS} FROM renewal_charges \
             WHERE invoice_id = $1 AND status IN ('charging', 'processing')"
        );
        Ok(dispatch!(self, write, |db| {
            sqlx::query_as::<_, RenewalChargeRecord>(&sql)
                .bind(invoice_id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// A renewal charge by id.
    pub async fn renewal_charge(&self, id: &str) -> StoreResult<Option<RenewalChargeRecord>> {
        let sql = format!("SELECT {CHARGE_COLUMNS} FROM renewal_charges WHERE id = $1");
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, RenewalChargeRecord>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// The charges of a subscription's renewals, oldest first.
    pub async fn renewal_charges_of(
        &self,
        subscription_id: &str,
    ) -> StoreResult<Vec<RenewalChargeRecord>> {
        let sql = format!(
            "SELECT {CHARGE_COLUMNS} FROM renewal_charges WHERE subscription_id = $1 \
             ORDER BY created_at, id"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, RenewalChargeRecord>(&sql)
                .bind(subscription_id)
                .fetch_all(db)
                .await?
        }))
    }

    /// The lines of an invoice, in order.
    pub async fn invoice_lines(&self, invoice_id: &str) -> StoreResult<Vec<InvoiceLineRecord>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, InvoiceLineRecord>(
                "SELECT invoice_id, position, price_id, description, quantity, unit_amount, amount, \
                 currency FROM invoice_lines WHERE invoice_id = $1 ORDER BY position",
            )
            .bind(invoice_id)
            .fetch_all(db)
            .await?
        }))
    }

    /// How far the organization's test mode runs ahead of real time, in milliseconds.
    pub async fn test_clock_offset(&self, organization_id: &str) -> StoreResult<i64> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT test_clock_offset_ms FROM organizations WHERE id = $1",
            )
            .bind(organization_id)
            .fetch_optional(db)
            .await?
            .unwrap_or(0)
        }))
    }

    /// Moves the organization's test clock to `offset_ms` ahead of real time; never back.
    pub async fn advance_test_clock(
        &self,
        organization_id: &str,
        offset_ms: i64,
    ) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE organizations SET test_clock_offset_ms = $1 \
                 WHERE id = $2 AND test_clock_offset_ms < $1",
            )
            .bind(offset_ms)
            .bind(organization_id)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// What becomes of the organization's subscriptions whose every retry failed: `cancel` or
    /// `unpaid`.
    pub async fn renewal_failure_action(&self, organization_id: &str) -> StoreResult<String> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT renewal_failure_action FROM organizations WHERE id = $1",
            )
            .bind(organization_id)
            .fetch_optional(db)
            .await?
            .unwrap_or_else(|| "cancel".to_owned())
        }))
    }

    pub async fn set_renewal_failure_action(
        &self,
        organization_id: &str,
        action: &str,
    ) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query("UPDATE organizations SET renewal_failure_action = $1 WHERE id = $2")
                .bind(action)
                .bind(organization_id)
                .execute(db)
                .await?;
        });
        Ok(())
    }
}

/// A charge of a renewal invoice to record before the processor is asked.
#[derive(Debug, Clone)]
pub struct NewRenewalCharge<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub subscription_id: &'a str,
    pub invoice_id: &'a str,
    pub payment_method_id: Option<&'a str>,
    pub processor: &'a str,
    pub amount: i64,
    pub currency: &'a str,
}

/// A line to bill on an invoice.
#[derive(Debug, Clone)]
pub struct NewInvoiceLine<'a> {
    pub price_id: Option<&'a str>,
    pub description: &'a str,
    pub quantity: i32,
    pub unit_amount: i64,
    pub currency: &'a str,
}

impl Tx {
    /// Moves a subscription whose period ended at `ended` into its next period
    /// (`ended`..`next_end`), with `invoice_id` open and due a charge at `ended`: `false`
    /// (nothing written) when it moved on meanwhile.
    pub async fn roll_period(
        &mut self,
        id: &str,
        ended: i64,
        next_end: i64,
        invoice_id: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE subscriptions SET current_period_start = $1, current_period_end = $2, \
                 open_invoice_id = $3, collect_at = $1, failed_charges = 0, updated_at = $4 \
                 WHERE id = $5 AND current_period_end = $1 AND open_invoice_id IS NULL \
                 AND status IN ('trialing', 'active')",
            )
            .bind(ended)
            .bind(next_end)
            .bind(invoice_id)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Records the lines of an invoice, in order.
    pub async fn insert_invoice_lines(
        &mut self,
        invoice_id: &str,
        lines: &[NewInvoiceLine<'_>],
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            for (position, line) in lines.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO invoice_lines (invoice_id, position, price_id, description, \
                     quantity, unit_amount, amount, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(invoice_id)
                .bind(position as i32)
                .bind(line.price_id)
                .bind(line.description)
                .bind(line.quantity)
                .bind(line.unit_amount)
                .bind(line.unit_amount * i64::from(line.quantity))
                .bind(line.currency)
                .execute(&mut *conn)
                .await?;
            }
        });
        Ok(())
    }

    pub async fn insert_renewal_charge(
        &mut self,
        c: &NewRenewalCharge<'_>,
        now: i64,
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query(&format!(
                "INSERT INTO renewal_charges ({CHARGE_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, 'charging', $8, $9, NULL, NULL, NULL, $10, $10)"
            ))
            .bind(c.id)
            .bind(c.organization_id)
            .bind(c.livemode)
            .bind(c.subscription_id)
            .bind(c.invoice_id)
            .bind(c.payment_method_id)
            .bind(c.processor)
            .bind(c.amount)
            .bind(c.currency)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Records a charge's outcome (`succeeded`, `declined` or `processing`), from charging or
    /// processing: `false` when another recorded it first.
    pub async fn end_renewal_charge(
        &mut self,
        id: &str,
        status: &str,
        reference: Option<&str>,
        decline: Option<(&str, &str)>,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE renewal_charges SET status = $1, \
                 processor_reference = COALESCE($2, processor_reference), decline_code = $3, \
                 decline_message = $4, updated_at = $5 \
                 WHERE id = $6 AND status IN ('charging', 'processing') AND status <> $1",
            )
            .bind(status)
            .bind(reference)
            .bind(decline.map(|d| d.0))
            .bind(decline.map(|d| d.1))
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// The open invoice `invoice_id` of a subscription was paid: it is active, with nothing due.
    pub async fn renewal_paid(
        &mut self,
        id: &str,
        invoice_id: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            let changed = sqlx::query(
                "UPDATE subscriptions SET status = 'active', open_invoice_id = NULL, \
                 collect_at = NULL, failed_charges = 0, updated_at = $1 \
                 WHERE id = $2 AND open_invoice_id = $3",
            )
            .bind(now)
            .bind(id)
            .bind(invoice_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            sqlx::query("UPDATE invoices SET status = 'paid', updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(invoice_id)
                .execute(&mut *conn)
                .await?;
            changed
        });
        Ok(changed == 1)
    }

    /// A charge of the open invoice `invoice_id` failed: the subscription stands as `after`
    /// says (its open invoice marked uncollectible when it is canceled).
    pub async fn renewal_failed(
        &mut self,
        id: &str,
        invoice_id: &str,
        after: AfterFailure,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            let query = match after {
                AfterFailure::RetryAt(at) => sqlx::query(
                    "UPDATE subscriptions SET status = 'past_due', collect_at = $1, \
                     failed_charges = failed_charges + 1, updated_at = $2 \
                     WHERE id = $3 AND open_invoice_id = $4",
                )
                .bind(Some(at)),
                AfterFailure::Canceled => sqlx::query(
                    "UPDATE subscriptions SET status = 'canceled', canceled_at = $2, collect_at = $1, \
                     open_invoice_id = NULL, cancel_scheduled_at = NULL, \
                     failed_charges = failed_charges + 1, updated_at = $2 \
                     WHERE id = $3 AND open_invoice_id = $4",
                )
                .bind(None::<i64>),
                AfterFailure::Unpaid => sqlx::query(
                    "UPDATE subscriptions SET status = 'unpaid', collect_at = $1, \
                     failed_charges = failed_charges + 1, updated_at = $2 \
                     WHERE id = $3 AND open_invoice_id = $4",
                )
                .bind(None::<i64>),
            };
            let changed = query
                .bind(now)
                .bind(id)
                .bind(invoice_id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
            if after == AfterFailure::Canceled {
                sqlx::query(
                    "UPDATE invoices SET status = 'uncollectible', updated_at = $1 WHERE id = $2",
                )
                .bind(now)
                .bind(invoice_id)
                .execute(&mut *conn)
                .await?;
            }
            changed
        });
        Ok(changed == 1)
    }
}
