//! Products and prices.

use super::{Store, StoreResult, dispatch, now_ms};
use crate::domain::{PriceType, RecurringInterval};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub name: String,
    pub description: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PriceRecord {
    pub id: String,
    pub organization_id: String,
    pub product_id: String,
    pub livemode: bool,
    pub name: Option<String>,
    pub slug: String,
    pub price_type: String,
    pub unit_amount: i64,
    pub currency: String,
    pub interval_unit: Option<String>,
    pub interval_count: Option<i32>,
    pub trial_period_days: Option<i32>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewProduct<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub name: &'a str,
    pub description: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct NewPrice<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub product_id: &'a str,
    pub livemode: bool,
    pub name: Option<&'a str>,
    pub slug: &'a str,
    pub price_type: PriceType,
    pub unit_amount: i64,
    /// ISO 4217, lower case.
    pub currency: &'a str,
    /// For subscriptions: the interval and how many of it make one period.
    pub recurring: Option<(RecurringInterval, i32)>,
    pub trial_period_days: Option<i32>,
}

const PRODUCT_COLUMNS: &str =
    "id, organization_id, livemode, name, description, active, created_at, updated_at";
const PRICE_COLUMNS: &str = "id, organization_id, product_id, livemode, name, slug, price_type, \
     unit_amount, currency, interval_unit, interval_count, trial_period_days, active, created_at, \
     updated_at";

impl Store {
    pub async fn insert_product(&self, product: &NewProduct<'_>) -> StoreResult<ProductRecord> {
        let now = now_ms();
        dispatch!(self, write, |db| {
            insert_product_sql!(product, now).execute(db).await?;
        });
        Ok(product.record(now))
    }

    pub async fn insert_price(&self, price: &NewPrice<'_>) -> StoreResult<PriceRecord> {
        let now = now_ms();
        dispatch!(self, write, |db| {
            insert_price_sql!(price, now).execute(db).await?;
        });
        Ok(price.record(now))
    }

    /// A product of the organization in the given mode.
    pub async fn product(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<ProductRecord>> {
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, ProductRecord>(&format!(
                "SELECT {PRODUCT_COLUMNS} FROM products \
                 WHERE id = $1 AND organization_id = $2 AND livemode = $3"
            ))
            .bind(id)
            .bind(organization_id)
            .bind(livemode)
            .fetch_optional(db)
            .await?
        });
        Ok(row)
    }

    /// A price of the organization in the given mode, by id.
    pub async fn price(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<PriceRecord>> {
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, PriceRecord>(&format!(
                "SELECT {PRICE_COLUMNS} FROM prices \
                 WHERE id = $1 AND organization_id = $2 AND livemode = $3"
            ))
            .bind(id)
            .bind(organization_id)
            .bind(livemode)
            .fetch_optional(db)
            .await?
        });
        Ok(row)
    }

    /// A price of the organization in the given mode, by slug.
    pub async fn price_by_slug(
        &self,
        organization_id: &str,
        livemode: bool,
        slug: &str,
    ) -> StoreResult<Option<PriceRecord>> {
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, PriceRecord>(&format!(
                "SELECT {PRICE_COLUMNS} FROM prices \
                 WHERE slug = $1 AND organization_id = $2 AND livemode = $3"
            ))
            .bind(slug)
            .bind(organization_id)
            .bind(livemode)
            .fetch_optional(db)
            .await?
        });
        Ok(row)
    }

    /// The organization's prices in the given mode, oldest first.
    pub async fn prices(
        &self,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<Vec<PriceRecord>> {
        let rows = dispatch!(self, read, |db| {
            sqlx::query_as::<_, PriceRecord>(&format!(
                "SELECT {PRICE_COLUMNS} FROM prices \
                 WHERE organization_id = $1 AND livemode = $2 ORDER BY created_at, id"
            ))
            .bind(organization_id)
            .bind(livemode)
            .fetch_all(db)
            .await?
        });
        Ok(rows)
    }
}

impl NewProduct<'_> {
    pub(super) fn record(&self, now: i64) -> ProductRecord {
        ProductRecord {
            id: self.id.to_owned(),
            organization_id: self.organization_id.to_owned(),
            livemode: self.livemode,
            name: self.name.to_owned(),
            description: self.description.map(str::to_owned),
            active: true,
            created_at: now,
            updated_at: now,
        }
    }
}

impl NewPrice<'_> {
    pub(super) fn record(&self, now: i64) -> PriceRecord {
        PriceRecord {
            id: self.id.to_owned(),
            organization_id: self.organization_id.to_owned(),
            product_id: self.product_id.to_owned(),
            livemode: self.livemode,
            name: self.name.map(str::to_owned),
            slug: self.slug.to_owned(),
            price_type: self.price_type.as_str().to_owned(),
            unit_amount: self.unit_amount,
            currency: self.currency.to_owned(),
            interval_unit: self.recurring.map(|(unit, _)| unit.as_str().to_owned()),
            interval_count: self.recurring.map(|(_, count)| count),
            trial_period_days: self.trial_period_days,
            active: true,
            created_at: now,
            updated_at: now,
        }
    }
}

macro_rules! insert_product_sql {
    ($product:expr, $now:expr) => {
    sqlx::query(
            "INSERT INTO products \
             (id, organization_id, livemode, name, description, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, TRUE, $6, $6)",
        )
        .bind($product.id)
        .bind($product.organization_id)
        .bind($product.livemode)
        .bind($product.name)
        .bind($product.description)
        .bind($now)
    };
}
pub(super) use insert_product_sql;

macro_rules! insert_price_sql {
    ($price:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO prices \
             (id, organization_id, product_id, livemode, name, slug, price_type, unit_amount, \
              currency, interval_unit, interval_count, trial_period_days, active, created_at, \
              updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, TRUE, $13, $13)",
        )
        .bind($price.id)
        .bind($price.organization_id)
        .bind($price.product_id)
        .bind($price.livemode)
        .bind($price.name)
        .bind($price.slug)
        .bind($price.price_type.as_str())
        .bind($price.unit_amount)
        .bind($price.currency)
        .bind($price.recurring.map(|(unit, _)| unit.as_str()))
        .bind($price.recurring.map(|(_, count)| count))
        .bind($price.trial_period_days)
        .bind($now)
    };
}
pub(super) use insert_price_sql;
