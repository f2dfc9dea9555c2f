//! Payments: money a customer paid, one per succeeded attempt that charged.

use super::purchases::PURCHASE_COLUMNS;
use super::tx::{Tx, write_later};
use super::{Page, PageRequest, PurchaseRecord, Store, StoreResult, dispatch};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub customer_id: String,
    pub session_id: Option<String>,
    /// The checkout's attempt that paid it (`None` for a renewal's payment).
    pub attempt_id: Option<String>,
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
    /// What refunds took back or hold reserved (pending ones), in minor units.
    pub refunded_amount: i64,
    /// When the latest refund was made.
    pub refunded_at: Option<i64>,
    /// The renewal charge that paid it (`None` for a checkout's payment).
    pub renewal_charge_id: Option<String>,
}

const PAYMENT_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, customer_id, session_id, \
     attempt_id, invoice_id, purchase_id, subscription_id, payment_method_id, payment_method_type, amount, \
     currency, subtotal, tax_amount, tax_country, status, description, card_brand, card_last4, \
     failure_code, failure_message, charge_date, settlement_date, created_at, updated_at, \
     refunded_amount, refunded_at, renewal_charge_id";

#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub customer_id: &'a str,
    pub session_id: Option<&'a str>,
    /// What paid it: a checkout's attempt, or a renewal charge (exactly one of the two).
    pub attempt_id: Option<&'a str>,
    pub renewal_charge_id: Option<&'a str>,
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

impl Store {
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
        self.page_of(
            "payments",
            PAYMENT_COLUMNS,
            "",
            organization_id,
            livemode,
            page,
        )
        .await
    }

    pub async fn count_payments(&self, organization_id: &str, livemode: bool) -> StoreResult<i64> {
        self.count_of("payments", "", organization_id, livemode)
            .await
    }

    /// A customer's payments, newest first (at most `limit`).
    pub async fn payments_of_customer(
        &self,
        organization_id: &str,
        livemode: bool,
        customer_id: &str,
        limit: i64,
    ) -> StoreResult<Vec<PaymentRecord>> {
        self.of_customer(
            "payments",
            PAYMENT_COLUMNS,
            organization_id,
            livemode,
            customer_id,
            limit,
        )
        .await
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

    /// What succeeded payments of the organization in a mode since `since` took in, by currency.
    /// What succeeded payments took in since `since`, by UTC day (days since the epoch) and
    /// currency: (day, currency, amount).
    pub async fn revenue_by_day(
        &self,
        organization_id: &str,
        livemode: bool,
        since: i64,
    ) -> StoreResult<Vec<(i64, String, i64)>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, (i64, String, i64)>(
                "SELECT created_at / 86400000 AS day, currency, CAST(SUM(amount) AS BIGINT) \
                 FROM payments \
                 WHERE organization_id = $1 AND livemode = $2 AND status = 'succeeded' \
                 AND created_at >= $3 \
                 GROUP BY created_at / 86400000, currency ORDER BY day, currency",
            )
            .bind(organization_id)
            .bind(livemode)
            .bind(since)
            .fetch_all(db)
            .await?
        }))
    }

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
}

impl Tx {
    pub async fn insert_succeeded_payment(
        &mut self,
        p: &NewPayment<'_>,
        now: i64,
    ) -> StoreResult<()> {
        write_later!(
            self,
            format!(
                "INSERT INTO payments ({PAYMENT_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'succeeded', \
                  $18, $19, $20, NULL, NULL, $21, $21, $21, $21, 0, NULL, $22)"
            ),
            |q| q
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
                .bind(p.renewal_charge_id)
        );
        Ok(())
    }
}
