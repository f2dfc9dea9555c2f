//! Paying for sessions: attempts, and what a completed payment creates (customers, payment
//! methods, subscriptions, purchases, invoices, payments), written in one [`Tx`].

use super::customers::insert_customer_sql;
use super::tx::{Tx, dispatch_tx};
use super::{CustomerRecord, NewCustomer, Page, PageRequest, Store, StoreResult, dispatch};
use crate::domain::session::{AmountSummary, SessionStatus};

/// An attempt to pay a session, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AttemptRecord {
    pub id: String,
    pub session_id: String,
    pub organization_id: String,
    pub livemode: bool,
    /// started, requires_action, processing, succeeded, declined or failed
    pub status: String,
    pub payment_method_type: String,
    pub amount: i64,
    pub currency: Option<String>,
    /// JSON of the plan the attempt pays for.
    pub plan: String,
    /// JSON of the method's summary (brand, last4 ...).
    pub method_summary: Option<String>,
    pub processor: String,
    pub processor_reference: Option<String>,
    pub action: Option<String>,
    pub decline_code: Option<String>,
    pub decline_message: Option<String>,
    pub settle_after: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const ATTEMPT_COLUMNS: &str = "id, session_id, organization_id, livemode, status, payment_method_type, \
     amount, currency, plan, method_summary, processor, processor_reference, action, decline_code, \
     decline_message, settle_after, created_at, updated_at";

/// How an attempt turned out, to record.
#[derive(Debug, Clone, Default)]
pub struct AttemptOutcome<'a> {
    pub status: &'a str,
    pub method_summary: Option<&'a str>,
    pub processor_reference: Option<&'a str>,
    pub action: Option<&'a str>,
    pub decline_code: Option<&'a str>,
    pub decline_message: Option<&'a str>,
    pub settle_after: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentMethodRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub customer_id: String,
    pub method_type: String,
    pub brand: Option<String>,
    pub last4: String,
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
    pub fingerprint: String,
    pub bank_name: Option<String>,
    /// JSON `{name, email, address}`.
    pub billing_details: String,
    pub is_default: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PurchaseRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub customer_id: String,
    pub session_id: String,
    pub price_id: String,
    pub subscription_id: Option<String>,
    pub quantity: i32,
    pub name: String,
    pub status: String,
    pub price_type: String,
    pub first_invoice_value: i64,
    pub total_purchase_value: i64,
    pub billing_address: Option<String>,
    pub metadata: Option<String>,
    pub purchase_date: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvoiceRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub customer_id: String,
    pub session_id: Option<String>,
    pub purchase_id: Option<String>,
    pub subscription_id: Option<String>,
    pub invoice_type: String,
    pub invoice_number: String,
    pub status: String,
    pub currency: String,
    pub subtotal: i64,
    pub discount: i64,
    pub tax_amount: i64,
    pub total: i64,
    pub tax_country: Option<String>,
    pub tax_rate_millionths: Option<i32>,
    pub invoice_date: i64,
    pub due_date: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub customer_id: String,
    pub session_id: Option<String>,
    pub attempt_id: String,
    pub invoice_id: String,
    pub purchase_id: Option<String>,
    pub subscription_id: Option<String>,
    pub payment_method_id: Option<String>,
    pub payment_method_type: String,
    pub amount: i64,
    pub currency: String,
    pub subtotal: i64,
    pub tax_amount: i64,
    pub tax_country: Option<String>,
    pub status: String,
    pub description: Option<String>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub charge_date: i64,
    pub settlement_date: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const PAYMENT_METHOD_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, customer_id, \
     method_type, brand, last4, exp_month, exp_year, fingerprint, bank_name, billing_details, is_default, \
     created_at, updated_at";
const PURCHASE_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, customer_id, session_id, \
     price_id, subscription_id, quantity, name, status, price_type, first_invoice_value, \
     total_purchase_value, billing_address, metadata, purchase_date, created_at, updated_at";
const INVOICE_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, customer_id, session_id, \
     purchase_id, subscription_id, invoice_type, invoice_number, status, currency, subtotal, discount, \
     tax_amount, total, tax_country, tax_rate_millionths, invoice_date, due_date, created_at, updated_at";
const PAYMENT_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, customer_id, session_id, \
     attempt_id, invoice_id, purchase_id, subscription_id, payment_method_id, payment_method_type, amount, \
     currency, subtotal, tax_amount, tax_country, status, description, card_brand, card_last4, \
     failure_code, failure_message, charge_date, settlement_date, created_at, updated_at";

/// What completing a session records on it.
#[derive(Debug, Clone)]
pub struct SessionCompletion<'a> {
    pub session_id: &'a str,
    pub attempt_id: &'a str,
    /// `Open` (a confirm holding the lock) or `Pending` (an asynchronous payment settling).
    pub from: SessionStatus,
    pub now: i64,
    pub customer_id: &'a str,
    pub customer_email: &'a str,
    pub customer_name: Option<&'a str>,
    /// JSON of the billing address.
    pub billing_address: Option<&'a str>,
    pub payment_method_type: &'a str,
    pub amounts: AmountSummary,
    pub coupon_id: Option<&'a str>,
    pub promotion_code_id: Option<&'a str>,
    /// JSON of the coupon's duration.
    pub discount_duration: Option<&'a str>,
    pub quantities: &'a [u32],
    pub purchase_id: Option<&'a str>,
    pub invoice_id: Option<&'a str>,
    pub subscription_id: Option<&'a str>,
    pub payment_method_id: Option<&'a str>,
}

impl Store {
    /// Records a new attempt (status `started`).
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_attempt(
        &self,
        id: &str,
        session_id: &str,
        organization_id: &str,
        livemode: bool,
        payment_method_type: &str,
        amount: i64,
        currency: Option<&str>,
        plan: &str,
        processor: &str,
        now: i64,
    ) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query(
                "INSERT INTO payment_attempts (id, session_id, organization_id, livemode, status, \
                 payment_method_type, amount, currency, plan, processor, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'started', $5, $6, $7, $8, $9, $10, $10)",
            )
            .bind(id)
            .bind(session_id)
            .bind(organization_id)
            .bind(livemode)
            .bind(payment_method_type)
            .bind(amount)
            .bind(currency)
            .bind(plan)
            .bind(processor)
            .bind(now)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    pub async fn attempt(&self, id: &str) -> StoreResult<Option<AttemptRecord>> {
        let sql = format!("SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE id = $1");
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, AttemptRecord>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    /// The session's attempts, newest first.
    /// What succeeded payments of the organization in a mode since `since` took in, by currency.
    pub async fn revenue_since(
        &self,
        organization_id: &str,
        livemode: bool,
        since: i64,
    ) -> StoreResult<Vec<(String, i64)>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, (String, i64)>(
                "SELECT currency, CAST(SUM(amount) AS BIGINT) FROM payments \
                 WHERE organization_id = $1 AND livemode = $2 AND status = 'succeeded' AND created_at >= $3 \
                 GROUP BY currency ORDER BY currency",
            )
            .bind(organization_id)
            .bind(livemode)
            .bind(since)
            .fetch_all(db)
            .await?
        }))
    }

    pub async fn attempts_of_session(&self, session_id: &str) -> StoreResult<Vec<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE session_id = $1 ORDER BY created_at DESC, id DESC"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, AttemptRecord>(&sql)
                .bind(session_id)
                .fetch_all(db)
                .await?
        }))
    }

    /// The session's latest attempt id and current lock, as the session row has them.
    pub async fn latest_attempt_id(&self, session_id: &str) -> StoreResult<Option<String>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT latest_attempt_id FROM checkout_sessions WHERE id = $1",
            )
            .bind(session_id)
            .fetch_optional(db)
            .await?
            .flatten()
        }))
    }

    /// Claims an open session for one attempt for `lease_ms`: of concurrent claims exactly one
    /// wins, and a claim abandoned (its process died) can be taken over once its lease ran out.
    /// The claim also makes the attempt the session's latest.
    pub async fn claim_session(
        &self,
        session_id: &str,
        attempt_id: &str,
        now: i64,
        lease_ms: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE checkout_sessions SET lock_token = $1, lock_expires_at = $2, latest_attempt_id = $1, \
                 updated_at = $3 WHERE id = $4 AND status = 'open' \
                 AND (lock_token IS NULL OR lock_expires_at < $3)",
            )
            .bind(attempt_id)
            .bind(now + lease_ms)
            .bind(now)
            .bind(session_id)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Gives up a claim (the session stays as it is).
    pub async fn release_session(&self, session_id: &str, attempt_id: &str) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE checkout_sessions SET lock_token = NULL, lock_expires_at = NULL \
                 WHERE id = $1 AND lock_token = $2",
            )
            .bind(session_id)
            .bind(attempt_id)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// Processing attempts whose settlement is due, oldest first.
    pub async fn due_attempts(&self, now: i64, limit: i64) -> StoreResult<Vec<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM payment_attempts WHERE status = 'processing' AND settle_after <= $1 \
             ORDER BY settle_after LIMIT $2"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, AttemptRecord>(&sql)
                .bind(now)
                .bind(limit)
                .fetch_all(db)
                .await?
        }))
    }

    /// Takes a due attempt for settling until `now + lease_ms`; one taker wins. A taker that dies
    /// leaves the attempt due again when the lease runs out.
    pub async fn claim_due_attempt(&self, id: &str, now: i64, lease_ms: i64) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE payment_attempts SET settle_after = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'processing' AND settle_after <= $2",
            )
            .bind(now + lease_ms)
            .bind(now)
            .bind(id)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    pub async fn payment_method(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<PaymentMethodRecord>> {
        self.one_of(
            "payment_methods",
            PAYMENT_METHOD_COLUMNS,
            organization_id,
            livemode,
            id,
        )
        .await
    }

    pub async fn payment_methods(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<PaymentMethodRecord>> {
        self.page_of(
            "payment_methods",
            PAYMENT_METHOD_COLUMNS,
            organization_id,
            livemode,
            page,
        )
        .await
    }

    /// A customer's saved payment methods, newest first (at most `limit`).
    pub async fn payment_methods_of_customer(
        &self,
        organization_id: &str,
        livemode: bool,
        customer_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<PaymentMethodRecord>> {
        self.of_customer(
            "payment_methods",
            PAYMENT_METHOD_COLUMNS,
            organization_id,
            livemode,
            customer_id,
            limit,
        )
        .await
    }

    /// A customer's purchases, newest first (at most `limit`).
    pub async fn purchases_of_customer(
        &self,
        organization_id: &str,
        livemode: bool,
        customer_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<PurchaseRecord>> {
        self.of_customer(
            "purchases",
            PURCHASE_COLUMNS,
            organization_id,
            livemode,
            customer_id,
            limit,
        )
        .await
    }

    /// A customer's invoices, newest first (at most `limit`).
    pub async fn invoices_of_customer(
        &self,
        organization_id: &str,
        livemode: bool,
        customer_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<InvoiceRecord>> {
        self.of_customer(
            "invoices",
            INVOICE_COLUMNS,
            organization_id,
            livemode,
            customer_id,
            limit,
        )
        .await
    }

    pub async fn count_payment_methods(
        &self,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<i64> {
        self.count_of("payment_methods", organization_id, livemode)
            .await
    }

    pub async fn purchase(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<PurchaseRecord>> {
        self.one_of("purchases", PURCHASE_COLUMNS, organization_id, livemode, id)
            .await
    }

    pub async fn invoice(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<InvoiceRecord>> {
        self.one_of("invoices", INVOICE_COLUMNS, organization_id, livemode, id)
            .await
    }

    pub async fn invoices(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<InvoiceRecord>> {
        self.page_of("invoices", INVOICE_COLUMNS, organization_id, livemode, page)
            .await
    }

    pub async fn count_invoices(&self, organization_id: &str, livemode: bool) -> StoreResult<i64> {
        self.count_of("invoices", organization_id, livemode).await
    }

    pub async fn payment(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<PaymentRecord>> {
        self.one_of("payments", PAYMENT_COLUMNS, organization_id, livemode, id)
            .await
    }

    pub async fn payments(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<PaymentRecord>> {
        self.page_of("payments", PAYMENT_COLUMNS, organization_id, livemode, page)
            .await
    }

    pub async fn count_payments(&self, organization_id: &str, livemode: bool) -> StoreResult<i64> {
        self.count_of("payments", organization_id, livemode).await
    }

    /// Every payment and purchase recorded for a session: what "exactly once" is checked against.
    pub async fn payments_of_session(
        &self,
        session_id: &str,
    ) -> StoreResult<(Vec<PaymentRecord>, Vec<PurchaseRecord>)> {
        let payments_sql = format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE session_id = $1 ORDER BY created_at"
        );
        let purchases_sql = format!(
            "SELECT {PURCHASE_COLUMNS} FROM purchases WHERE session_id = $1 ORDER BY created_at"
        );
        Ok(dispatch!(self, read, |db| {
            let payments = sqlx::query_as::<_, PaymentRecord>(&payments_sql)
                .bind(session_id)
                .fetch_all(db)
                .await?;
            let purchases = sqlx::query_as::<_, PurchaseRecord>(&purchases_sql)
                .bind(session_id)
                .fetch_all(db)
                .await?;
            (payments, purchases)
        }))
    }

    pub(super) async fn one_of<R>(
        &self,
        table: &'static str,
        columns: &'static str,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<R>>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let sql = format!(
            "SELECT {columns} FROM {table} WHERE id = $1 AND organization_id = $2 AND livemode = $3"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, R>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(db)
                .await?
        }))
    }
}

/// A payment method to save.
#[derive(Debug, Clone)]
pub struct NewPaymentMethod<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub customer_id: &'a str,
    pub method_type: &'a str,
    pub brand: Option<&'a str>,
    pub last4: &'a str,
    pub exp_month: Option<i32>,
    pub exp_year: Option<i32>,
    pub fingerprint: &'a str,
    pub bank_name: Option<&'a str>,
    pub billing_details: &'a str,
    pub is_default: bool,
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
}

#[derive(Debug, Clone)]
pub struct NewPurchase<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub customer_id: &'a str,
    pub session_id: &'a str,
    pub price_id: &'a str,
    pub subscription_id: Option<&'a str>,
    pub quantity: i32,
    pub name: &'a str,
    pub price_type: &'a str,
    pub first_invoice_value: i64,
    pub total_purchase_value: i64,
    pub billing_address: Option<&'a str>,
    pub metadata: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct NewInvoice<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub customer_id: &'a str,
    pub session_id: Option<&'a str>,
    pub purchase_id: Option<&'a str>,
    pub subscription_id: Option<&'a str>,
    pub invoice_type: &'a str,
    pub currency: &'a str,
    pub amounts: AmountSummary,
    pub tax_country: Option<&'a str>,
    pub tax_rate_millionths: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub customer_id: &'a str,
    pub session_id: &'a str,
    pub attempt_id: &'a str,
    pub invoice_id: &'a str,
    pub purchase_id: Option<&'a str>,
    pub subscription_id: Option<&'a str>,
    pub payment_method_id: Option<&'a str>,
    pub payment_method_type: &'a str,
    pub amount: i64,
    pub currency: &'a str,
    pub subtotal: i64,
    pub tax_amount: i64,
    pub tax_country: Option<&'a str>,
    pub description: Option<&'a str>,
    pub card_brand: Option<&'a str>,
    pub card_last4: Option<&'a str>,
}

impl Tx {
    /// Marks a session succeeded with what it created, if it is still in `from` and this is its
    /// latest attempt. `false` means another writer got there first; nothing changed.
    pub async fn complete_session(&mut self, c: &SessionCompletion<'_>) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE checkout_sessions SET status = 'succeeded', completed_at = $1, updated_at = $1, \
                 customer_id = $2, customer_email = $3, customer_name = $4, billing_address = $5, \
                 payment_method_type = $6, amount_subtotal = $7, amount_discount = $8, amount_tax = $9, \
                 amount_total = $10, amount_due_today = $11, coupon_id = $12, promotion_code_id = $13, \
                 discount_duration = $14, purchase_id = $15, invoice_id = $16, subscription_id = $17, \
                 payment_method_id = $18, lock_token = NULL, lock_expires_at = NULL \
                 WHERE id = $19 AND status = $20 AND latest_attempt_id = $21",
            )
            .bind(c.now)
            .bind(c.customer_id)
            .bind(c.customer_email)
            .bind(c.customer_name)
            .bind(c.billing_address)
            .bind(c.payment_method_type)
            .bind(c.amounts.subtotal)
            .bind(c.amounts.discount)
            .bind(c.amounts.tax)
            .bind(c.amounts.total)
            .bind(c.amounts.due_today)
            .bind(c.coupon_id)
            .bind(c.promotion_code_id)
            .bind(c.discount_duration)
            .bind(c.purchase_id)
            .bind(c.invoice_id)
            .bind(c.subscription_id)
            .bind(c.payment_method_id)
            .bind(c.session_id)
            .bind(c.from.as_str())
            .bind(c.attempt_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        if changed != 1 {
            return Ok(false);
        }
        for (position, quantity) in c.quantities.iter().enumerate() {
            dispatch_tx!(self, |conn| {
                sqlx::query("UPDATE checkout_session_line_items SET quantity = $1 WHERE session_id = $2 AND position = $3")
                    .bind(*quantity as i32)
                    .bind(c.session_id)
                    .bind(position as i32)
                    .execute(&mut *conn)
                    .await?;
            });
        }
        Ok(true)
    }

    /// Moves a session `from` → `to` if this is its latest attempt, releasing any claim.
    pub async fn move_session(
        &mut self,
        session_id: &str,
        attempt_id: &str,
        from: SessionStatus,
        to: SessionStatus,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE checkout_sessions SET status = $1, updated_at = $2, lock_token = NULL, lock_expires_at = NULL \
                 WHERE id = $3 AND status = $4 AND latest_attempt_id = $5",
            )
            .bind(to.as_str())
            .bind(now)
            .bind(session_id)
            .bind(from.as_str())
            .bind(attempt_id)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// Releases the session's claim by this attempt, leaving its status as it is.
    pub async fn release_session(&mut self, session_id: &str, attempt_id: &str) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query("UPDATE checkout_sessions SET lock_token = NULL, lock_expires_at = NULL WHERE id = $1 AND lock_token = $2")
                .bind(session_id)
                .bind(attempt_id)
                .execute(&mut *conn)
                .await?;
        });
        Ok(())
    }

    /// Records what became of an attempt.
    pub async fn update_attempt(
        &mut self,
        id: &str,
        outcome: &AttemptOutcome<'_>,
        now: i64,
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query(
                "UPDATE payment_attempts SET status = $1, method_summary = COALESCE($2, method_summary), \
                 processor_reference = COALESCE($3, processor_reference), action = COALESCE($4, action), \
                 decline_code = $5, decline_message = $6, settle_after = $7, updated_at = $8 WHERE id = $9",
            )
            .bind(outcome.status)
            .bind(outcome.method_summary)
            .bind(outcome.processor_reference)
            .bind(outcome.action)
            .bind(outcome.decline_code)
            .bind(outcome.decline_message)
            .bind(outcome.settle_after)
            .bind(now)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    pub async fn insert_customer(
        &mut self,
        customer: &NewCustomer<'_>,
        now: i64,
    ) -> StoreResult<CustomerRecord> {
        let row = customer.row(now);
        dispatch_tx!(self, |conn| {
            insert_customer_sql!(row).execute(&mut *conn).await?;
        });
        Ok(row)
    }

    pub async fn insert_payment_method(
        &mut self,
        m: &NewPaymentMethod<'_>,
        now: i64,
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query(&format!(
                "INSERT INTO payment_methods ({PAYMENT_METHOD_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)"
            ))
            .bind(m.id)
            .bind(m.organization_id)
            .bind(m.livemode)
            .bind(m.pricing_model_id)
            .bind(m.customer_id)
            .bind(m.method_type)
            .bind(m.brand)
            .bind(m.last4)
            .bind(m.exp_month)
            .bind(m.exp_year)
            .bind(m.fingerprint)
            .bind(m.bank_name)
            .bind(m.billing_details)
            .bind(m.is_default)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
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

    pub async fn insert_purchase(&mut self, p: &NewPurchase<'_>, now: i64) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query(&format!(
                "INSERT INTO purchases ({PURCHASE_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'paid', $11, $12, $13, $14, $15, $16, $16, $16)"
            ))
            .bind(p.id)
            .bind(p.organization_id)
            .bind(p.livemode)
            .bind(p.pricing_model_id)
            .bind(p.customer_id)
            .bind(p.session_id)
            .bind(p.price_id)
            .bind(p.subscription_id)
            .bind(p.quantity)
            .bind(p.name)
            .bind(p.price_type)
            .bind(p.first_invoice_value)
            .bind(p.total_purchase_value)
            .bind(p.billing_address)
            .bind(p.metadata)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Records an invoice, `paid` or `open` (due, to be charged later), numbered after the
    /// customer's earlier ones (`BASE-0001`); the customer's row is locked meanwhile so that two
    /// invoices never share a number.
    pub async fn insert_invoice(
        &mut self,
        i: &NewInvoice<'_>,
        paid: bool,
        now: i64,
    ) -> StoreResult<String> {
        let lock = self.lock_clause();
        let (base, count) = dispatch_tx!(self, |conn| {
            let base = sqlx::query_scalar::<_, Option<String>>(&format!(
                "SELECT invoice_number_base FROM customers WHERE id = $1{lock}"
            ))
            .bind(i.customer_id)
            .fetch_one(&mut *conn)
            .await?
            .unwrap_or_else(|| "INV".to_owned());
            let count = sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM invoices WHERE customer_id = $1",
            )
            .bind(i.customer_id)
            .fetch_one(&mut *conn)
            .await?;
            (base, count)
        });
        let number = format!("{base}-{:04}", count + 1);
        dispatch_tx!(self, |conn| {
            sqlx::query(&format!(
                "INSERT INTO invoices ({INVOICE_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $19, $11, $12, $13, $14, $15, $16, $17, $18, $18, $18, $18)"
            ))
            .bind(i.id)
            .bind(i.organization_id)
            .bind(i.livemode)
            .bind(i.pricing_model_id)
            .bind(i.customer_id)
            .bind(i.session_id)
            .bind(i.purchase_id)
            .bind(i.subscription_id)
            .bind(i.invoice_type)
            .bind(&number)
            .bind(i.currency)
            .bind(i.amounts.subtotal)
            .bind(i.amounts.discount)
            .bind(i.amounts.tax)
            .bind(i.amounts.due_today)
            .bind(i.tax_country)
            .bind(i.tax_rate_millionths)
            .bind(now)
            .bind(if paid { "paid" } else { "open" })
            .execute(&mut *conn)
            .await?;
        });
        Ok(number)
    }

    pub async fn insert_succeeded_payment(
        &mut self,
        p: &NewPayment<'_>,
        now: i64,
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query(&format!(
                "INSERT INTO payments ({PAYMENT_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'succeeded', \
                  $18, $19, $20, NULL, NULL, $21, $21, $21, $21)"
            ))
            .bind(p.id)
            .bind(p.organization_id)
            .bind(p.livemode)
            .bind(p.pricing_model_id)
            .bind(p.customer_id)
            .bind(p.session_id)
            .bind(p.attempt_id)
            .bind(p.invoice_id)
            .bind(p.purchase_id)
            .bind(p.subscription_id)
            .bind(p.payment_method_id)
            .bind(p.payment_method_type)
            .bind(p.amount)
            .bind(p.currency)
            .bind(p.subtotal)
            .bind(p.tax_amount)
            .bind(p.tax_country)
            .bind(p.description)
            .bind(p.card_brand)
            .bind(p.card_last4)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    /// Counts a redemption of a coupon and its promotion code.
    pub async fn redeem_discount(
        &mut self,
        coupon_id: &str,
        promotion_code_id: Option<&str>,
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query("UPDATE coupons SET times_redeemed = times_redeemed + 1 WHERE id = $1")
                .bind(coupon_id)
                .execute(&mut *conn)
                .await?;
            if let Some(code) = promotion_code_id {
                sqlx::query(
                    "UPDATE promotion_codes SET times_redeemed = times_redeemed + 1 WHERE id = $1",
                )
                .bind(code)
                .execute(&mut *conn)
                .await?;
            }
        });
        Ok(())
    }
}
