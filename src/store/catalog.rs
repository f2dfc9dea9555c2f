//! The catalog: pricing models, products, prices, coupons, promotion codes and plans.

use super::tx::{Tx, dispatch_tx};
use super::{BeginWrite, Page, PageRequest, Store, StoreError, StoreResult, dispatch, now_ms};
use crate::domain::catalog::{
    Coupon, CouponDuration, CouponValue, Plan, PlanItem, Price, PriceType, PromotionCode, Recurring,
};
use crate::domain::money::{Currency, Money, Rate};

/// A pricing model groups a catalog (Flowglad's term). Each organization has a default one per
/// mode, made on first use.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PricingModelRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub name: String,
    pub is_default: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub name: String,
    pub description: Option<String>,
    pub image_url: Option<String>,
    pub slug: String,
    pub is_default: bool,
    pub singular_quantity_label: Option<String>,
    pub plural_quantity_label: Option<String>,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PriceRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub pricing_model_id: String,
    pub product_id: String,
    pub name: Option<String>,
    pub slug: Option<String>,
    pub price_type: String,
    pub unit_amount: i64,
    pub currency: String,
    pub interval_unit: Option<String>,
    pub interval_count: Option<i32>,
    pub trial_period_days: Option<i32>,
    pub is_default: bool,
    pub active: bool,
    /// The checkout session whose request described this price with its line (Stripe's
    /// `price_data`): the one session that can sell it. `None` for the catalog's prices.
    pub inline_for: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PriceRecord {
    /// Whether `session_id` can sell this price now: an active price of the catalog, or the
    /// session's own inline price (which is never active, so that nothing else sells it).
    pub fn sellable_in(&self, session_id: &str) -> bool {
        match &self.inline_for {
            None => self.active,
            Some(owner) => owner == session_id,
        }
    }

    /// The price as the domain knows it. Fails only on a row no migration could have written.
    pub fn to_domain(&self) -> StoreResult<Price> {
        let currency =
            Currency::parse(&self.currency).map_err(|e| corrupt("prices.currency", e))?;
        let recurring = match (self.interval_unit.as_deref(), self.interval_count) {
            (Some(unit), Some(count)) => Some(Recurring {
                interval: unit
                    .parse()
                    .map_err(|e| corrupt("prices.interval_unit", e))?,
                interval_count: u32::try_from(count)
                    .map_err(|e| corrupt("prices.interval_count", e))?,
            }),
            _ => None,
        };
        Ok(Price {
            id: self.id.clone(),
            product_id: self.product_id.clone(),
            name: self.name.clone(),
            slug: self.slug.clone(),
            unit_amount: Money::new(self.unit_amount, currency),
            recurring,
            trial_period_days: self
                .trial_period_days
                .and_then(|d| u32::try_from(d).ok())
                .filter(|d| *d > 0),
            active: self.active,
        })
    }

    pub fn price_type(&self) -> PriceType {
        if self.price_type == "subscription" {
            PriceType::Subscription
        } else {
            PriceType::SinglePayment
        }
    }
}

/// A stored value that cannot be read back: a bug or a hand-edited row.
fn corrupt(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {error}"))
}

#[derive(Debug, Clone)]
pub struct NewProduct<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub name: &'a str,
    pub description: Option<&'a str>,
    pub image_url: Option<&'a str>,
    pub slug: &'a str,
    pub is_default: bool,
    pub singular_quantity_label: Option<&'a str>,
    pub plural_quantity_label: Option<&'a str>,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct NewPrice<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub pricing_model_id: &'a str,
    pub product_id: &'a str,
    pub name: Option<&'a str>,
    pub slug: Option<&'a str>,
    pub price_type: PriceType,
    pub unit_amount: i64,
    /// ISO 4217, lower case.
    pub currency: &'a str,
    /// For subscriptions: the interval and how many of it make one period.
    pub recurring: Option<Recurring>,
    pub trial_period_days: Option<i32>,
    pub is_default: bool,
    pub active: bool,
}

/// Changes to a product; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    pub image_url: Option<Option<String>>,
    pub slug: Option<String>,
    pub is_default: Option<bool>,
    pub singular_quantity_label: Option<Option<String>>,
    pub plural_quantity_label: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Changes to a price. Amounts and schedules never change: a new price is made instead.
#[derive(Debug, Clone, Default)]
pub struct PriceChanges {
    pub name: Option<Option<String>>,
    pub slug: Option<Option<String>>,
    pub is_default: Option<bool>,
    pub active: Option<bool>,
}

const PRODUCT_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, name, description, \
     image_url, slug, is_default, singular_quantity_label, plural_quantity_label, active, created_at, \
     updated_at";
const PRICE_COLUMNS: &str = "id, organization_id, livemode, pricing_model_id, product_id, name, slug, \
     price_type, unit_amount, currency, interval_unit, interval_count, trial_period_days, is_default, \
     active, inline_for, created_at, updated_at";
/// What keeps a session's inline prices and products out of the catalog's lists.
const LISTED: &str = " AND inline_for IS NULL";
const PRICING_MODEL_COLUMNS: &str =
    "id, organization_id, livemode, name, is_default, created_at, updated_at";

macro_rules! insert_product_sql {
    ($product:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO products \
             (id, organization_id, livemode, pricing_model_id, name, description, image_url, slug, \
              is_default, singular_quantity_label, plural_quantity_label, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)",
        )
        .bind($product.id)
        .bind($product.organization_id)
        .bind($product.livemode)
        .bind($product.pricing_model_id)
        .bind($product.name)
        .bind($product.description)
        .bind($product.image_url)
        .bind($product.slug)
        .bind($product.is_default)
        .bind($product.singular_quantity_label)
        .bind($product.plural_quantity_label)
        .bind($product.active)
        .bind($now)
    };
}
pub(super) use insert_product_sql;

macro_rules! insert_price_sql {
    ($price:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO prices \
             (id, organization_id, livemode, pricing_model_id, product_id, name, slug, price_type, \
              unit_amount, currency, interval_unit, interval_count, trial_period_days, is_default, \
              active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)",
        )
        .bind($price.id)
        .bind($price.organization_id)
        .bind($price.livemode)
        .bind($price.pricing_model_id)
        .bind($price.product_id)
        .bind($price.name)
        .bind($price.slug)
        .bind($price.price_type.as_str())
        .bind($price.unit_amount)
        .bind($price.currency)
        .bind($price.recurring.map(|r| r.interval.as_str()))
        .bind($price.recurring.map(|r| r.interval_count as i32))
        .bind($price.trial_period_days)
        .bind($price.is_default)
        .bind($price.active)
        .bind($now)
    };
}
pub(super) use insert_price_sql;

macro_rules! insert_pricing_model_sql {
    ($id:expr, $organization_id:expr, $livemode:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO pricing_models \
             (id, organization_id, livemode, name, is_default, created_at, updated_at) \
             VALUES ($1, $2, $3, 'Default', TRUE, $4, $4) ON CONFLICT DO NOTHING",
        )
        .bind($id)
        .bind($organization_id)
        .bind($livemode)
        .bind($now)
    };
}
pub(super) use insert_pricing_model_sql;

impl Store {
    /// The organization's default pricing model in a mode, made if missing (`new_id` names it then).
    pub async fn default_pricing_model(
        &self,
        organization_id: &str,
        livemode: bool,
        new_id: &str,
    ) -> StoreResult<PricingModelRecord> {
        let cache = &self.caches.default_pricing_models;
        let key = (organization_id.to_owned(), livemode);
        if let Some(model) = cache.get(&key) {
            return Ok(model);
        }
        let ticket = cache.ticket();
        let sql = format!(
            "SELECT {PRICING_MODEL_COLUMNS} FROM pricing_models \
             WHERE organization_id = $1 AND livemode = $2 AND is_default"
        );
        let existing = dispatch!(self, read, |db| {
            sqlx::query_as::<_, PricingModelRecord>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(db)
                .await?
        });
        if let Some(model) = existing {
            cache.keep(ticket, key, model.clone());
            return Ok(model);
        }
        let now = now_ms();
        // Two first uses at once: one insert wins, the other does nothing; both read the winner.
        let model = dispatch!(self, write, |db| {
            insert_pricing_model_sql!(new_id, organization_id, livemode, now)
                .execute(db)
                .await?;
            sqlx::query_as::<_, PricingModelRecord>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .fetch_one(db)
                .await?
        });
        Ok(model)
    }

    pub async fn pricing_model(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<PricingModelRecord>> {
        self.one_of(
            "pricing_models",
            PRICING_MODEL_COLUMNS,
            organization_id,
            livemode,
            id,
        )
        .await
    }

    pub async fn insert_product(&self, product: &NewProduct<'_>) -> StoreResult<ProductRecord> {
        let now = now_ms();
        dispatch!(self, write, |db| {
            insert_product_sql!(product, now).execute(db).await?;
        });
        Ok(product.record(now))
    }

    /// Records a product and its first price in one transaction.
    pub async fn insert_product_with_price(
        &self,
        product: &NewProduct<'_>,
        price: &NewPrice<'_>,
    ) -> StoreResult<(ProductRecord, PriceRecord)> {
        let now = now_ms();
        dispatch!(self, write, |db| {
            let mut tx = db.begin_write().await?;
            insert_product_sql!(product, now).execute(&mut *tx).await?;
            insert_price_sql!(price, now).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok((product.record(now), price.record(now)))
    }

    /// Records the products and prices a session's request described with its lines, each kept
    /// for `session_id` alone (hidden from the catalog's lists, inactive), in one transaction.
    pub async fn insert_inline(
        &self,
        session_id: &str,
        products: &[ProductRecord],
        prices: &[PriceRecord],
    ) -> StoreResult<()> {
        if products.is_empty() && prices.is_empty() {
            return Ok(());
        }
        let now = now_ms();
        let products: Vec<NewProduct<'_>> = products.iter().map(NewProduct::of).collect();
        let prices: Vec<NewPrice<'_>> = prices
            .iter()
            .map(NewPrice::of)
            .collect::<StoreResult<_>>()?;
        dispatch!(self, write, |db| {
            let mut tx = db.begin_write().await?;
            for product in &products {
                insert_product_sql!(product, now).execute(&mut *tx).await?;
                sqlx::query("UPDATE products SET inline_for = $1 WHERE id = $2")
                    .bind(session_id)
                    .bind(product.id)
                    .execute(&mut *tx)
                    .await?;
            }
            for price in &prices {
                insert_price_sql!(price, now).execute(&mut *tx).await?;
                sqlx::query("UPDATE prices SET inline_for = $1 WHERE id = $2")
                    .bind(session_id)
                    .bind(price.id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
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
        let cache = &self.caches.products;
        if let Some(product) = cache.get(id) {
            return Ok((product.organization_id == organization_id
                && product.livemode == livemode)
                .then_some(product));
        }
        let ticket = cache.ticket();
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1 AND organization_id = $2 AND livemode = $3"
        );
        let product = dispatch!(self, read, |db| {
            sqlx::query_as::<_, ProductRecord>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(db)
                .await?
        });
        if let Some(product) = &product {
            cache.keep(ticket, id.to_owned(), product.clone());
        }
        Ok(product)
    }

    pub async fn products(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<ProductRecord>> {
        self.page_of(
            "products",
            PRODUCT_COLUMNS,
            LISTED,
            organization_id,
            livemode,
            page,
        )
        .await
    }

    pub async fn count_products(&self, organization_id: &str, livemode: bool) -> StoreResult<i64> {
        self.count_of("products", LISTED, organization_id, livemode)
            .await
    }

    /// Applies `changes` to a product; `None` when there is no such product.
    pub async fn update_product(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
        changes: &ProductChanges,
    ) -> StoreResult<Option<ProductRecord>> {
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products \
             WHERE id = $1 AND organization_id = $2 AND livemode = $3{}",
            self.lock_clause()
        );
        let product = dispatch!(self, write, |db| {
            let mut tx = db.begin_write().await?;
            let found = sqlx::query_as::<_, ProductRecord>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(mut product) = found else {
                return Ok(None);
            };
            let c = changes.clone();
            if let Some(v) = c.name {
                product.name = v;
            }
            if let Some(v) = c.description {
                product.description = v;
            }
            if let Some(v) = c.image_url {
                product.image_url = v;
            }
            if let Some(v) = c.slug {
                product.slug = v;
            }
            if let Some(v) = c.is_default {
                product.is_default = v;
            }
            if let Some(v) = c.singular_quantity_label {
                product.singular_quantity_label = v;
            }
            if let Some(v) = c.plural_quantity_label {
                product.plural_quantity_label = v;
            }
            if let Some(v) = c.active {
                product.active = v;
            }
            product.updated_at = now_ms();
            sqlx::query(
                "UPDATE products SET name = $1, description = $2, image_url = $3, slug = $4, \
                 is_default = $5, singular_quantity_label = $6, plural_quantity_label = $7, \
                 active = $8, updated_at = $9 WHERE id = $10 AND organization_id = $11",
            )
            .bind(&product.name)
            .bind(&product.description)
            .bind(&product.image_url)
            .bind(&product.slug)
            .bind(product.is_default)
            .bind(&product.singular_quantity_label)
            .bind(&product.plural_quantity_label)
            .bind(product.active)
            .bind(product.updated_at)
            .bind(id)
            .bind(organization_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            product
        });
        self.caches.products.clear();
        Ok(Some(product))
    }

    /// A price of the organization in the given mode, by id.
    pub async fn price(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<PriceRecord>> {
        let cache = &self.caches.prices;
        if let Some(price) = cache.get(id) {
            return Ok(
                (price.organization_id == organization_id && price.livemode == livemode)
                    .then_some(price),
            );
        }
        let ticket = cache.ticket();
        let sql = format!(
            "SELECT {PRICE_COLUMNS} FROM prices WHERE id = $1 AND organization_id = $2 AND livemode = $3"
        );
        let price = dispatch!(self, read, |db| {
            sqlx::query_as::<_, PriceRecord>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(db)
                .await?
        });
        if let Some(price) = &price {
            cache.keep(ticket, id.to_owned(), price.clone());
        }
        Ok(price)
    }

    /// A price of the organization in the given mode, by slug.
    pub async fn price_by_slug(
        &self,
        organization_id: &str,
        livemode: bool,
        slug: &str,
    ) -> StoreResult<Option<PriceRecord>> {
        let sql = format!(
            "SELECT {PRICE_COLUMNS} FROM prices WHERE slug = $1 AND organization_id = $2 AND livemode = $3"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, PriceRecord>(&sql)
                .bind(slug)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(db)
                .await?
        }))
    }

    /// A product's prices, oldest first.
    pub async fn prices_of_product(&self, product_id: &str) -> StoreResult<Vec<PriceRecord>> {
        let sql = format!(
            "SELECT {PRICE_COLUMNS} FROM prices WHERE product_id = $1{LISTED} ORDER BY created_at, id"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, PriceRecord>(&sql)
                .bind(product_id)
                .fetch_all(db)
                .await?
        }))
    }

    pub async fn prices(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<PriceRecord>> {
        self.page_of(
            "prices",
            PRICE_COLUMNS,
            LISTED,
            organization_id,
            livemode,
            page,
        )
        .await
    }

    pub async fn count_prices(&self, organization_id: &str, livemode: bool) -> StoreResult<i64> {
        self.count_of("prices", LISTED, organization_id, livemode)
            .await
    }

    /// Applies `changes` to a price; `None` when there is no such price.
    pub async fn update_price(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
        changes: &PriceChanges,
    ) -> StoreResult<Option<PriceRecord>> {
        let sql = format!(
            "SELECT {PRICE_COLUMNS} FROM prices WHERE id = $1 AND organization_id = $2 AND livemode = $3{}",
            self.lock_clause()
        );
        let price = dispatch!(self, write, |db| {
            let mut tx = db.begin_write().await?;
            let found = sqlx::query_as::<_, PriceRecord>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(mut price) = found else {
                return Ok(None);
            };
            let c = changes.clone();
            if let Some(v) = c.name {
                price.name = v;
            }
            if let Some(v) = c.slug {
                price.slug = v;
            }
            if let Some(v) = c.is_default {
                price.is_default = v;
            }
            if let Some(v) = c.active {
                price.active = v;
            }
            price.updated_at = now_ms();
            sqlx::query(
                "UPDATE prices SET name = $1, slug = $2, is_default = $3, active = $4, updated_at = $5 \
                 WHERE id = $6 AND organization_id = $7",
            )
            .bind(&price.name)
            .bind(&price.slug)
            .bind(price.is_default)
            .bind(price.active)
            .bind(price.updated_at)
            .bind(id)
            .bind(organization_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            price
        });
        self.caches.prices.clear();
        Ok(Some(price))
    }

    pub async fn insert_coupon(
        &self,
        organization_id: &str,
        livemode: bool,
        coupon: &Coupon,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        tx.insert_coupon(organization_id, livemode, coupon, now_ms())
            .await?;
        tx.commit().await
    }

    pub async fn coupon(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<Coupon>> {
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, CouponRow>(
                "SELECT id, name, percent_off_millionths, amount_off, currency, duration, \
                 duration_in_months, max_redemptions, times_redeemed, redeem_by, active \
                 FROM coupons WHERE id = $1 AND organization_id = $2 AND livemode = $3",
            )
            .bind(id)
            .bind(organization_id)
            .bind(livemode)
            .fetch_optional(db)
            .await?
        });
        row.map(CouponRow::into_domain).transpose()
    }

    pub async fn insert_promotion_code(
        &self,
        organization_id: &str,
        livemode: bool,
        code: &PromotionCode,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        tx.insert_promotion_code(organization_id, livemode, code, now_ms())
            .await?;
        tx.commit().await
    }

    /// Coupons, newest first (at most `limit`), each with its promotion codes.
    pub async fn coupons_with_codes(
        &self,
        organization_id: &str,
        livemode: bool,
        limit: i64,
    ) -> StoreResult<Vec<(Coupon, Vec<PromotionCode>)>> {
        let (coupons, codes) = dispatch!(self, read, |db| {
            let coupons = sqlx::query_as::<_, CouponRow>(
                "SELECT id, name, percent_off_millionths, amount_off, currency, duration, \
                 duration_in_months, max_redemptions, times_redeemed, redeem_by, active \
                 FROM coupons WHERE organization_id = $1 AND livemode = $2 \
                 ORDER BY created_at DESC, id DESC LIMIT $3",
            )
            .bind(organization_id)
            .bind(livemode)
            .bind(limit)
            .fetch_all(db)
            .await?;
            let codes = sqlx::query_as::<_, PromotionCodeRow>(
                "SELECT p.id, p.code, p.coupon_id, p.active, p.max_redemptions, p.times_redeemed, \
                 p.expires_at FROM promotion_codes p JOIN coupons c ON c.id = p.coupon_id \
                 WHERE c.organization_id = $1 AND c.livemode = $2 \
                 ORDER BY p.created_at, p.id",
            )
            .bind(organization_id)
            .bind(livemode)
            .fetch_all(db)
            .await?;
            (coupons, codes)
        });
        let mut codes: Vec<PromotionCode> = codes
            .into_iter()
            .map(PromotionCodeRow::into_domain)
            .collect();
        coupons
            .into_iter()
            .map(|row| {
                let coupon = row.into_domain()?;
                let (mine, rest) = codes.drain(..).partition(|c| c.coupon_id == coupon.id);
                codes = rest;
                Ok((coupon, mine))
            })
            .collect()
    }

    /// Turns a promotion code on or off; `false` when the organization has no such code.
    pub async fn set_promotion_code_active(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
        active: bool,
    ) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE promotion_codes SET active = $1, updated_at = $2 \
                 WHERE id = $3 AND organization_id = $4 AND livemode = $5",
            )
            .bind(active)
            .bind(now_ms())
            .bind(id)
            .bind(organization_id)
            .bind(livemode)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }

    /// The promotion code a buyer typed, matched without regard to case.
    pub async fn promotion_code(
        &self,
        organization_id: &str,
        livemode: bool,
        code: &str,
    ) -> StoreResult<Option<PromotionCode>> {
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, PromotionCodeRow>(
                "SELECT id, code, coupon_id, active, max_redemptions, times_redeemed, expires_at \
                 FROM promotion_codes WHERE code = $1 AND organization_id = $2 AND livemode = $3",
            )
            .bind(PromotionCode::normalize(code))
            .bind(organization_id)
            .bind(livemode)
            .fetch_optional(db)
            .await?
        });
        Ok(row.map(PromotionCodeRow::into_domain))
    }

    /// Records a plan and its items in one transaction.
    pub async fn insert_plan(
        &self,
        organization_id: &str,
        livemode: bool,
        plan: &Plan,
    ) -> StoreResult<()> {
        let now = now_ms();
        dispatch!(self, write, |db| {
            let mut tx = db.begin_write().await?;
            sqlx::query(
                "INSERT INTO plans (id, organization_id, livemode, name, description, currency, \
                 active, created_at, updated_at) VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $7)",
            )
            .bind(&plan.id)
            .bind(organization_id)
            .bind(livemode)
            .bind(&plan.name)
            .bind(plan.currency.code_lower())
            .bind(plan.active)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (position, item) in plan.items.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO plan_items (plan_id, position, price_id, quantity) VALUES ($1, $2, $3, $4)",
                )
                .bind(&plan.id)
                .bind(position as i32)
                .bind(&item.price_id)
                .bind(item.quantity as i32)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn plan(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<Plan>> {
        let (head, items) = dispatch!(self, read, |db| {
            let head = sqlx::query_as::<_, (String, String, String, bool)>(
                "SELECT id, name, currency, active FROM plans \
                 WHERE id = $1 AND organization_id = $2 AND livemode = $3",
            )
            .bind(id)
            .bind(organization_id)
            .bind(livemode)
            .fetch_optional(db)
            .await?;
            let items = sqlx::query_as::<_, (String, i32)>(
                "SELECT price_id, quantity FROM plan_items WHERE plan_id = $1 ORDER BY position",
            )
            .bind(id)
            .fetch_all(db)
            .await?;
            (head, items)
        });
        head.map(|head| plan_from_rows(head, items)).transpose()
    }
}

/// A plan from its row `(id, name, currency, active)` and its items' rows `(price, quantity)`.
pub(super) fn plan_from_rows(
    (id, name, currency, active): (String, String, String, bool),
    items: Vec<(String, i32)>,
) -> StoreResult<Plan> {
    Ok(Plan {
        id,
        name,
        currency: Currency::parse(&currency).map_err(|e| corrupt("plans.currency", e))?,
        items: items
            .into_iter()
            .map(|(price_id, quantity)| PlanItem {
                price_id,
                quantity: quantity.max(1) as u32,
            })
            .collect(),
        active,
    })
}

#[derive(sqlx::FromRow)]
struct CouponRow {
    id: String,
    name: Option<String>,
    percent_off_millionths: Option<i32>,
    amount_off: Option<i64>,
    currency: Option<String>,
    duration: String,
    duration_in_months: Option<i32>,
    max_redemptions: Option<i32>,
    times_redeemed: i32,
    redeem_by: Option<i64>,
    active: bool,
}

impl CouponRow {
    fn into_domain(self) -> StoreResult<Coupon> {
        let value = match (
            self.percent_off_millionths,
            self.amount_off,
            self.currency.as_deref(),
        ) {
            (Some(p), None, _) => CouponValue::PercentOff(Rate::from_millionths(p.max(0) as u32)),
            (None, Some(amount), Some(currency)) => CouponValue::AmountOff(Money::new(
                amount,
                Currency::parse(currency).map_err(|e| corrupt("coupons.currency", e))?,
            )),
            _ => return Err(corrupt("coupons", "neither percent nor amount off")),
        };
        let duration = match (self.duration.as_str(), self.duration_in_months) {
            ("once", _) => CouponDuration::Once,
            ("forever", _) => CouponDuration::Forever,
            ("repeating", Some(months)) => CouponDuration::Repeating {
                months: months.max(1) as u32,
            },
            (other, _) => return Err(corrupt("coupons.duration", other)),
        };
        Ok(Coupon {
            id: self.id,
            name: self.name,
            value,
            duration,
            max_redemptions: self.max_redemptions.map(|m| m.max(0) as u32),
            times_redeemed: self.times_redeemed.max(0) as u32,
            redeem_by: self.redeem_by,
            active: self.active,
        })
    }
}

#[derive(sqlx::FromRow)]
struct PromotionCodeRow {
    id: String,
    code: String,
    coupon_id: String,
    active: bool,
    max_redemptions: Option<i32>,
    times_redeemed: i32,
    expires_at: Option<i64>,
}

impl PromotionCodeRow {
    fn into_domain(self) -> PromotionCode {
        PromotionCode {
            id: self.id,
            code: self.code,
            coupon_id: self.coupon_id,
            active: self.active,
            max_redemptions: self.max_redemptions.map(|m| m.max(0) as u32),
            times_redeemed: self.times_redeemed.max(0) as u32,
            expires_at: self.expires_at,
        }
    }
}

impl<'a> NewProduct<'a> {
    fn of(r: &'a ProductRecord) -> Self {
        NewProduct {
            id: &r.id,
            organization_id: &r.organization_id,
            livemode: r.livemode,
            pricing_model_id: &r.pricing_model_id,
            name: &r.name,
            description: r.description.as_deref(),
            image_url: r.image_url.as_deref(),
            slug: &r.slug,
            is_default: r.is_default,
            singular_quantity_label: r.singular_quantity_label.as_deref(),
            plural_quantity_label: r.plural_quantity_label.as_deref(),
            active: r.active,
        }
    }

    pub(super) fn record(&self, now: i64) -> ProductRecord {
        ProductRecord {
            id: self.id.to_owned(),
            organization_id: self.organization_id.to_owned(),
            livemode: self.livemode,
            pricing_model_id: self.pricing_model_id.to_owned(),
            name: self.name.to_owned(),
            description: self.description.map(str::to_owned),
            image_url: self.image_url.map(str::to_owned),
            slug: self.slug.to_owned(),
            is_default: self.is_default,
            singular_quantity_label: self.singular_quantity_label.map(str::to_owned),
            plural_quantity_label: self.plural_quantity_label.map(str::to_owned),
            active: self.active,
            created_at: now,
            updated_at: now,
        }
    }
}

impl<'a> NewPrice<'a> {
    fn of(r: &'a PriceRecord) -> StoreResult<Self> {
        Ok(NewPrice {
            id: &r.id,
            organization_id: &r.organization_id,
            livemode: r.livemode,
            pricing_model_id: &r.pricing_model_id,
            product_id: &r.product_id,
            name: r.name.as_deref(),
            slug: r.slug.as_deref(),
            price_type: r.price_type(),
            unit_amount: r.unit_amount,
            currency: &r.currency,
            recurring: r.to_domain()?.recurring,
            trial_period_days: r.trial_period_days,
            is_default: r.is_default,
            active: r.active,
        })
    }

    pub(super) fn record(&self, now: i64) -> PriceRecord {
        PriceRecord {
            id: self.id.to_owned(),
            organization_id: self.organization_id.to_owned(),
            livemode: self.livemode,
            pricing_model_id: self.pricing_model_id.to_owned(),
            product_id: self.product_id.to_owned(),
            name: self.name.map(str::to_owned),
            slug: self.slug.map(str::to_owned),
            price_type: self.price_type.as_str().to_owned(),
            unit_amount: self.unit_amount,
            currency: self.currency.to_owned(),
            interval_unit: self.recurring.map(|r| r.interval.as_str().to_owned()),
            interval_count: self.recurring.map(|r| r.interval_count as i32),
            trial_period_days: self.trial_period_days,
            is_default: self.is_default,
            active: self.active,
            inline_for: None,
            created_at: now,
            updated_at: now,
        }
    }
}

impl super::Tx {
    pub async fn insert_coupon(
        &mut self,
        organization_id: &str,
        livemode: bool,
        coupon: &Coupon,
        now: i64,
    ) -> StoreResult<()> {
        let (percent, amount, currency) = match coupon.value {
            CouponValue::PercentOff(rate) => (Some(rate.millionths() as i32), None, None),
            CouponValue::AmountOff(money) => {
                (None, Some(money.amount), Some(money.currency.code_lower()))
            }
        };
        let months = match coupon.duration {
            CouponDuration::Repeating { months } => Some(months as i32),
            _ => None,
        };
        super::tx::dispatch_tx!(self, |conn| {
            sqlx::query(
                "INSERT INTO coupons (id, organization_id, livemode, name, percent_off_millionths, \
                 amount_off, currency, duration, duration_in_months, max_redemptions, times_redeemed, \
                 redeem_by, active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)",
            )
            .bind(&coupon.id)
            .bind(organization_id)
            .bind(livemode)
            .bind(&coupon.name)
            .bind(percent)
            .bind(amount)
            .bind(&currency)
            .bind(coupon.duration.as_str())
            .bind(months)
            .bind(coupon.max_redemptions.map(|m| m as i32))
            .bind(coupon.times_redeemed as i32)
            .bind(coupon.redeem_by)
            .bind(coupon.active)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }

    pub async fn insert_promotion_code(
        &mut self,
        organization_id: &str,
        livemode: bool,
        code: &PromotionCode,
        now: i64,
    ) -> StoreResult<()> {
        super::tx::dispatch_tx!(self, |conn| {
            sqlx::query(
                "INSERT INTO promotion_codes (id, organization_id, livemode, coupon_id, code, active, \
                 max_redemptions, times_redeemed, expires_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
            )
            .bind(&code.id)
            .bind(organization_id)
            .bind(livemode)
            .bind(&code.coupon_id)
            .bind(PromotionCode::normalize(&code.code))
            .bind(code.active)
            .bind(code.max_redemptions.map(|m| m as i32))
            .bind(code.times_redeemed as i32)
            .bind(code.expires_at)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        Ok(())
    }
}

impl Tx {
    /// Counts a redemption of a coupon and its promotion code, each only while under its
    /// limit: `false` when either is used up (and then the transaction must not commit). A
    /// guarded update, so that payments finishing at once cannot count past the limit: on
    /// PostgreSQL the second waits for the first's row lock and then sees its count.
    pub async fn redeem_discount(
        &mut self,
        coupon_id: &str,
        promotion_code_id: Option<&str>,
    ) -> StoreResult<bool> {
        let redeemed = dispatch_tx!(self, |conn| {
            let coupon = sqlx::query(
                "UPDATE coupons SET times_redeemed = times_redeemed + 1 WHERE id = $1 \
                 AND (max_redemptions IS NULL OR times_redeemed < max_redemptions)",
            )
            .bind(coupon_id)
            .execute(&mut *conn)
            .await?
            .rows_affected();
            let code = match promotion_code_id {
                Some(code) => sqlx::query(
                    "UPDATE promotion_codes SET times_redeemed = times_redeemed + 1 WHERE id = $1 \
                     AND (max_redemptions IS NULL OR times_redeemed < max_redemptions)",
                )
                .bind(code)
                .execute(&mut *conn)
                .await?
                .rows_affected(),
                None => 1,
            };
            coupon == 1 && code == 1
        });
        Ok(redeemed)
    }
}
