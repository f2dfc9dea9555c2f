//! Payment methods a customer saved: what may be shown of them (brand, last four digits), never
//! a full number.

use super::tx::{Tx, dispatch_tx};
use super::{Page, PageRequest, Store, StoreResult, dispatch};

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
    /// The processor that keeps the method, and its ids there (Stripe's `cus_…`, `pm_…`).
    pub processor: Option<String>,
    pub processor_customer_id: Option<String>,
    pub processor_method_id: Option<String>,
    /// `always` when the buyer agreed to see it again at later checkouts; else none.
    pub allow_redisplay: Option<String>,
}

const PAYMENT_METHOD_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, customer_id, \
     method_type, brand, last4, exp_month, exp_year, fingerprint, bank_name, billing_details, is_default, \
     created_at, updated_at, processor, processor_customer_id, processor_method_id, allow_redisplay";

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
    pub processor: Option<&'a str>,
    pub processor_customer_id: Option<&'a str>,
    pub processor_method_id: Option<&'a str>,
    pub allow_redisplay: Option<&'a str>,
}

impl Store {
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
            "",
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

    /// The methods a returning customer agreed to see again, kept by `processor`, newest first:
    /// what their next checkout offers.
    pub async fn redisplayable_methods(
        &self,
        organization_id: &str,
        livemode: bool,
        customer_id: &str,
        processor: &str,
    ) -> StoreResult<Vec<PaymentMethodRecord>> {
        let sql = format!(
            "SELECT {PAYMENT_METHOD_COLUMNS} FROM payment_methods \
             WHERE organization_id = $1 AND livemode = $2 AND customer_id = $3 AND processor = $4 \
             AND allow_redisplay = 'always' AND processor_method_id IS NOT NULL \
             ORDER BY created_at DESC, id DESC LIMIT 5"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, PaymentMethodRecord>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .bind(customer_id)
                .bind(processor)
                .fetch_all(db)
                .await?
        }))
    }

    pub async fn count_payment_methods(
        &self,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<i64> {
        self.count_of("payment_methods", "", organization_id, livemode)
            .await
    }
}

impl Tx {
    pub async fn insert_payment_method(
        &mut self,
        m: &NewPaymentMethod<'_>,
        now: i64,
    ) -> StoreResult<()> {
        dispatch_tx!(self, |conn| {
            sqlx::query(&format!(
                "INSERT INTO payment_methods ({PAYMENT_METHOD_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16, $17, $18, \
                 $19)"
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
            .bind(m.processor)
            .bind(m.processor_customer_id)
            .bind(m.processor_method_id)
            .bind(m.allow_redisplay)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}
