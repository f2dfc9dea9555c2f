//! Invoices: what a customer was billed, paid or still due.

use super::tx::{Tx, dispatch_tx, write_later};
use super::{Page, PageRequest, Store, StoreResult};
use crate::domain::session::AmountSummary;

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
    /// The subscription period a renewal invoice bills.
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
}

const INVOICE_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, customer_id, session_id, \
     purchase_id, subscription_id, invoice_type, invoice_number, status, currency, subtotal, discount, \
     tax_amount, total, tax_country, tax_rate_millionths, invoice_date, due_date, created_at, updated_at, \
     period_start, period_end";

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
    /// The subscription period it bills (renewal invoices).
    pub period: Option<(i64, i64)>,
    /// The invoice-number base of a customer made in this same transaction: then this is its
    /// first invoice, numbered `BASE-0001` without reading the customer and its invoices.
    pub new_customer_base: Option<&'a str>,
}

impl Store {
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
        self.page_of(
            "invoices",
            INVOICE_COLUMNS,
            "",
            organization_id,
            livemode,
            page,
        )
        .await
    }

    pub async fn count_invoices(&self, organization_id: &str, livemode: bool) -> StoreResult<i64> {
        self.count_of("invoices", "", organization_id, livemode)
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
}

impl Store {
    /// A subscription's invoices, oldest first.
    pub async fn invoices_of_subscription(
        &self,
        organization_id: &str,
        livemode: bool,
        subscription_id: &str,
    ) -> StoreResult<Vec<InvoiceRecord>> {
        let sql = format!(
            "SELECT {INVOICE_COLUMNS} FROM invoices WHERE subscription_id = $1 \
             AND organization_id = $2 AND livemode = $3 ORDER BY created_at, invoice_number"
        );
        Ok(super::dispatch!(self, read, |db| {
            sqlx::query_as::<_, InvoiceRecord>(&sql)
                .bind(subscription_id)
                .bind(organization_id)
                .bind(livemode)
                .fetch_all(db)
                .await?
        }))
    }
}

impl Tx {
    /// Records an invoice, `paid` or `open` (due, to be charged later), numbered after the
    /// customer's earlier ones (`BASE-0001`); the customer's row is locked meanwhile so that two
    /// invoices never share a number.
    pub async fn insert_invoice(
        &mut self,
        i: &NewInvoice<'_>,
        paid: bool,
        now: i64,
    ) -> StoreResult<String> {
        let (base, count) = match i.new_customer_base {
            Some(base) => (base.to_owned(), 0),
            None => self.invoice_count(i.customer_id).await?,
        };
        let number = format!("{base}-{:04}", count + 1);
        write_later!(
            self,
            format!(
                "INSERT INTO invoices ({INVOICE_COLUMNS}) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $19, $11, $12, $13, $14, $15, $16, $17, $18, $18, $18, $18, $20, $21)"
            ),
            |q| q
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
                .bind(i.period.map(|p| p.0))
                .bind(i.period.map(|p| p.1))
        );
        Ok(number)
    }

    /// The customer's invoice-number base and how many invoices it has, its row locked so that
    /// two invoices never share a number.
    async fn invoice_count(&mut self, customer_id: &str) -> StoreResult<(String, i64)> {
        let lock = self.lock_clause();
        Ok(dispatch_tx!(self, |conn| {
            let base = sqlx::query_scalar::<_, Option<String>>(&format!(
                "SELECT invoice_number_base FROM customers WHERE id = $1{lock}"
            ))
            .bind(customer_id)
            .fetch_one(&mut *conn)
            .await?
            .unwrap_or_else(|| "INV".to_owned());
            let count = sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM invoices WHERE customer_id = $1",
            )
            .bind(customer_id)
            .fetch_one(&mut *conn)
            .await?;
            (base, count)
        }))
    }
}
