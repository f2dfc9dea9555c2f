//! Customers of an organization, by kassa's id and by the merchant's external id.

use super::tx::{Tx, write_counted, write_later};
use super::{BeginWrite, Page, PageRequest, Store, StoreError, StoreResult, dispatch, now_ms};
use crate::domain::customer::{BillingAddress, Customer};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CustomerRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    /// JSON of [`BillingAddress`].
    pub billing_address: Option<String>,
    pub archived: bool,
    pub logo_url: Option<String>,
    pub icon_url: Option<String>,
    pub domain: Option<String>,
    pub user_id: Option<String>,
    pub invoice_number_base: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// E.164.
    pub phone: Option<String>,
    /// JSON of [`crate::domain::address::ShippingDetails`].
    pub shipping: Option<String>,
    /// The language the customer last paid in (`de`): their mail speaks it.
    pub preferred_locale: Option<String>,
}

impl CustomerRecord {
    pub fn shipping(&self) -> Option<crate::domain::address::ShippingDetails> {
        self.shipping
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
    }

    pub fn billing_address(&self) -> Option<BillingAddress> {
        self.billing_address
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok())
    }

    pub fn to_domain(&self) -> Customer {
        Customer {
            id: self.id.clone(),
            external_id: self.external_id.clone(),
            email: self.email.clone(),
            name: self.name.clone(),
            billing_address: self.billing_address(),
            archived: self.archived,
        }
    }
}

/// A customer to record.
#[derive(Debug, Clone)]
pub struct NewCustomer<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub external_id: Option<&'a str>,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub billing_address: Option<&'a BillingAddress>,
    pub logo_url: Option<&'a str>,
    pub icon_url: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub user_id: Option<&'a str>,
    pub archived: bool,
    /// What a buyer gave at the checkout that made the customer: a phone number (E.164), a
    /// shipping address (JSON) and the language they paid in.
    pub phone: Option<&'a str>,
    pub shipping: Option<&'a str>,
    pub preferred_locale: Option<&'a str>,
}

/// Changes to a customer; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct CustomerChanges {
    pub email: Option<String>,
    pub name: Option<String>,
    pub logo_url: Option<Option<String>>,
    pub icon_url: Option<Option<String>>,
    pub domain: Option<Option<String>>,
    pub user_id: Option<Option<String>>,
    pub archived: Option<bool>,
}

const CUSTOMER_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, external_id, email, \
     name, billing_address, archived, logo_url, icon_url, domain, user_id, invoice_number_base, \
     created_at, updated_at, phone, shipping, preferred_locale";

/// Records a customer; binds [`bind_customer!`].
const INSERT_CUSTOMER: &str = "INSERT INTO customers (id, organization_id, livemode, \
     pricing_model_id, external_id, email, name, billing_address, archived, logo_url, icon_url, \
     domain, user_id, invoice_number_base, created_at, updated_at, phone, shipping, \
     preferred_locale) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
     $15, $16, $17, $18)";

/// Binds [`INSERT_CUSTOMER`]'s parameters from a [`CustomerRecord`], for an sqlx query or a
/// SQLite batch's statement.
macro_rules! bind_customer {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.id)
            .bind(&$row.organization_id)
            .bind($row.livemode)
            .bind(&$row.pricing_model_id)
            .bind(&$row.external_id)
            .bind(&$row.email)
            .bind(&$row.name)
            .bind(&$row.billing_address)
            .bind($row.archived)
            .bind(&$row.logo_url)
            .bind(&$row.icon_url)
            .bind(&$row.domain)
            .bind(&$row.user_id)
            .bind(&$row.invoice_number_base)
            .bind($row.created_at)
            .bind(&$row.phone)
            .bind(&$row.shipping)
            .bind(&$row.preferred_locale)
    };
}

impl Store {
    pub async fn insert_customer(&self, customer: &NewCustomer<'_>) -> StoreResult<CustomerRecord> {
        let row = customer.row(now_ms());
        dispatch!(self, write, |db| {
            bind_customer!(sqlx::query(INSERT_CUSTOMER), row)
                .execute(db)
                .await?;
        });
        Ok(row)
    }

    pub async fn customer(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<CustomerRecord>> {
        self.customer_where("id", organization_id, livemode, id)
            .await
    }

    pub async fn customer_by_external_id(
        &self,
        organization_id: &str,
        livemode: bool,
        external_id: &str,
    ) -> StoreResult<Option<CustomerRecord>> {
        self.customer_where("external_id", organization_id, livemode, external_id)
            .await
    }

    async fn customer_where(
        &self,
        column: &'static str,
        organization_id: &str,
        livemode: bool,
        value: &str,
    ) -> StoreResult<Option<CustomerRecord>> {
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers \
             WHERE {column} = $1 AND organization_id = $2 AND livemode = $3"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, CustomerRecord>(&sql)
                .bind(value)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn customers(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<CustomerRecord>> {
        self.page_of(
            "customers",
            CUSTOMER_COLUMNS,
            "",
            organization_id,
            livemode,
            page,
        )
        .await
    }

    pub async fn count_customers(&self, organization_id: &str, livemode: bool) -> StoreResult<i64> {
        self.count_of("customers", "", organization_id, livemode)
            .await
    }

    /// Applies `changes` to the customer with this external id; `None` when there is none.
    pub async fn update_customer_by_external_id(
        &self,
        organization_id: &str,
        livemode: bool,
        external_id: &str,
        changes: &CustomerChanges,
    ) -> StoreResult<Option<CustomerRecord>> {
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers \
             WHERE external_id = $1 AND organization_id = $2 AND livemode = $3{}",
            self.lock_clause()
        );
        let updated = dispatch!(self, write, |db| {
            let mut tx = db.begin_write().await?;
            let found = sqlx::query_as::<_, CustomerRecord>(&sql)
                .bind(external_id)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(mut customer) = found else {
                return Ok(None);
            };
            let c = changes.clone();
            if let Some(v) = c.email {
                customer.email = Some(v);
            }
            if let Some(v) = c.name {
                customer.name = Some(v);
            }
            if let Some(v) = c.logo_url {
                customer.logo_url = v;
            }
            if let Some(v) = c.icon_url {
                customer.icon_url = v;
            }
            if let Some(v) = c.domain {
                customer.domain = v;
            }
            if let Some(v) = c.user_id {
                customer.user_id = v;
            }
            if let Some(v) = c.archived {
                customer.archived = v;
            }
            customer.updated_at = now_ms();
            sqlx::query(
                "UPDATE customers SET email = $1, name = $2, logo_url = $3, icon_url = $4, domain = $5, \
                 user_id = $6, archived = $7, updated_at = $8 WHERE id = $9",
            )
            .bind(&customer.email)
            .bind(&customer.name)
            .bind(&customer.logo_url)
            .bind(&customer.icon_url)
            .bind(&customer.domain)
            .bind(&customer.user_id)
            .bind(customer.archived)
            .bind(customer.updated_at)
            .bind(&customer.id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            customer
        });
        Ok(Some(updated))
    }
}

impl NewCustomer<'_> {
    /// The row this customer is stored as.
    pub(super) fn row(&self, now: i64) -> CustomerRecord {
        // Invoice numbers read like 4DXQ2A7F-0001: a base the merchant can recognise per customer.
        let invoice_number_base: String = self
            .id
            .chars()
            .rev()
            .take(8)
            .collect::<String>()
            .to_uppercase();
        CustomerRecord {
            id: self.id.to_owned(),
            organization_id: self.organization_id.to_owned(),
            livemode: self.livemode,
            pricing_model_id: self.pricing_model_id.to_owned(),
            external_id: self.external_id.map(str::to_owned),
            email: self.email.map(str::to_owned),
            name: self.name.map(str::to_owned),
            billing_address: self
                .billing_address
                .map(|a| serde_json::to_string(a).unwrap_or_default()),
            archived: self.archived,
            logo_url: self.logo_url.map(str::to_owned),
            icon_url: self.icon_url.map(str::to_owned),
            domain: self.domain.map(str::to_owned),
            user_id: self.user_id.map(str::to_owned),
            invoice_number_base: Some(invoice_number_base),
            created_at: now,
            updated_at: now,
            phone: self.phone.map(str::to_owned),
            shipping: self.shipping.map(str::to_owned),
            preferred_locale: self.preferred_locale.map(str::to_owned),
        }
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(error: serde_json::Error) -> Self {
        StoreError::Corrupt(format!("JSON column: {error}"))
    }
}

impl Tx {
    pub async fn insert_customer(
        &mut self,
        customer: &NewCustomer<'_>,
        now: i64,
    ) -> StoreResult<CustomerRecord> {
        let row = customer.row(now);
        // Run now, not kept: a duplicate external id is an error its caller names to the client.
        write_counted!(self, INSERT_CUSTOMER, |q| bind_customer!(q, row));
        Ok(row)
    }

    /// Keeps what a buyer gave at a checkout on their customer: a phone number, a shipping
    /// address, a whole billing address (JSON). What was not given stays as it was.
    pub async fn record_buyer_contact(
        &mut self,
        customer_id: &str,
        phone: Option<&str>,
        shipping: Option<&str>,
        billing_address: Option<&str>,
        locale: Option<&str>,
        now: i64,
    ) -> StoreResult<()> {
        if phone.is_none() && shipping.is_none() && billing_address.is_none() && locale.is_none() {
            return Ok(());
        }
        write_later!(
            self,
            "UPDATE customers SET phone = COALESCE($1, phone), shipping = COALESCE($2, shipping), \
                 billing_address = COALESCE($3, billing_address), \
                 preferred_locale = COALESCE($4, preferred_locale), updated_at = $5 WHERE id = $6",
            |q| q
                .bind(phone)
                .bind(shipping)
                .bind(billing_address)
                .bind(locale)
                .bind(now)
                .bind(customer_id)
        );
        Ok(())
    }
}
