//! Tax rates: those a merchant made, and which of them apply to a session. A session applies the
//! rates in effect when it was made, so that what its page shows is what is charged whatever the
//! merchant creates or archives meanwhile.

use super::{Page, PageRequest, Store, StoreResult, dispatch, now_ms};
use crate::domain::Rate;
use crate::domain::catalog::TaxRate;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TaxRateRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub display_name: String,
    pub percentage_millionths: i32,
    pub inclusive: bool,
    /// ISO 3166-1 alpha-2; `None` applies everywhere without a rate of its own.
    pub country: Option<String>,
    pub active: bool,
    pub description: Option<String>,
    pub jurisdiction: Option<String>,
    pub tax_type: Option<String>,
    /// A JSON object of strings.
    pub metadata: String,
    /// Since when sessions apply it (its creation, or its last reactivation).
    pub active_from: i64,
    /// When it was archived, if it is.
    pub archived_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The most rates of one organization and mode kept in memory (see [`Store::tax_rates_at`]).
const CACHED_RATES: usize = 100;

const COLUMNS: &str = "id, organization_id, livemode, display_name, percentage_millionths, \
     inclusive, country, active, description, jurisdiction, tax_type, metadata, active_from, \
     archived_at, created_at, updated_at";

impl TaxRateRecord {
    pub fn rate(&self) -> Rate {
        Rate::from_millionths(self.percentage_millionths.max(0) as u32)
    }

    pub fn metadata(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.metadata).unwrap_or_default()
    }

    /// The rate as pricing uses it; `active` as it is now.
    pub fn to_domain(&self) -> TaxRate {
        TaxRate {
            id: self.id.clone(),
            display_name: self.display_name.clone(),
            rate: self.rate(),
            inclusive: self.inclusive,
            country: self.country.clone(),
            active: self.active,
        }
    }
}

/// What a tax rate says beside its terms (Stripe's fields).
#[derive(Debug, Clone, Copy, Default)]
pub struct TaxRateDetails<'a> {
    pub description: Option<&'a str>,
    pub jurisdiction: Option<&'a str>,
    pub tax_type: Option<&'a str>,
    /// A JSON object; `None` for none.
    pub metadata: Option<&'a str>,
}

/// What may change of a tax rate, written whole: never its percentage, whether it is inclusive,
/// or its country, which sessions already priced with it rely on.
#[derive(Debug, Clone, Default)]
pub struct TaxRateChanges {
    /// Archives (`false`) or reactivates (`true`) it; `None` leaves it.
    pub active: Option<bool>,
    pub display_name: String,
    pub description: Option<String>,
    pub jurisdiction: Option<String>,
    pub tax_type: Option<String>,
    /// A JSON object replacing the metadata; `None` leaves it.
    pub metadata: Option<String>,
}

impl Store {
    /// Records a tax rate; in effect from now when it is active.
    pub async fn insert_tax_rate(
        &self,
        organization_id: &str,
        livemode: bool,
        rate: &TaxRate,
        details: &TaxRateDetails<'_>,
    ) -> StoreResult<TaxRateRecord> {
        let now = now_ms();
        let sql = format!(
            "INSERT INTO tax_rates (id, organization_id, livemode, display_name, \
             percentage_millionths, inclusive, country, active, description, jurisdiction, \
             tax_type, metadata, active_from, archived_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $13) \
             RETURNING {COLUMNS}"
        );
        let record = dispatch!(self, write, |db| {
            sqlx::query_as::<_, TaxRateRecord>(&sql)
                .bind(&rate.id)
                .bind(organization_id)
                .bind(livemode)
                .bind(&rate.display_name)
                .bind(rate.rate.millionths() as i32)
                .bind(rate.inclusive)
                .bind(&rate.country)
                .bind(rate.active)
                .bind(details.description)
                .bind(details.jurisdiction)
                .bind(details.tax_type)
                .bind(details.metadata.unwrap_or("{}"))
                .bind(now)
                .bind((!rate.active).then_some(now))
                .fetch_one(db)
                .await?
        });
        self.caches.tax_rates.clear();
        Ok(record)
    }

    pub async fn tax_rate(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<TaxRateRecord>> {
        self.one_of("tax_rates", COLUMNS, organization_id, livemode, id)
            .await
    }

    /// A page of the organization's tax rates in a mode, newest first; only the active or only
    /// the archived ones when `active` says.
    pub async fn tax_rates_page(
        &self,
        organization_id: &str,
        livemode: bool,
        active: Option<bool>,
        page: &PageRequest,
    ) -> StoreResult<Page<TaxRateRecord>> {
        let filter = match active {
            None => "",
            Some(true) => " AND active",
            Some(false) => " AND NOT active",
        };
        self.page_of(
            "tax_rates",
            COLUMNS,
            filter,
            organization_id,
            livemode,
            page,
        )
        .await
    }

    /// The rates a session made at `at` applies, oldest first: those in effect then, whatever
    /// was created or archived since. Each is `active` (for that session).
    pub async fn tax_rates_at(
        &self,
        organization_id: &str,
        livemode: bool,
        at: i64,
    ) -> StoreResult<Vec<TaxRate>> {
        let in_effect = |r: &&TaxRateRecord| {
            r.active_from <= at && r.archived_at.is_none_or(|archived| archived > at)
        };
        let to_domain = |r: &TaxRateRecord| TaxRate {
            active: true,
            ..r.to_domain()
        };
        let cache = &self.caches.tax_rates;
        let key = (organization_id.to_owned(), livemode);
        if let Some(all) = cache.get(&key) {
            return Ok(all.iter().filter(in_effect).map(to_domain).collect());
        }
        // Every rate of the organization and mode, in the order sessions apply them: a checkout
        // page and its confirm each ask, and a merchant has a few (kept in memory for a second,
        // unless it has more than CACHED_RATES, when each asks the database for those in effect).
        let ticket = cache.ticket();
        let all_sql = format!(
            "SELECT {COLUMNS} FROM tax_rates WHERE organization_id = $1 AND livemode = $2 \
             ORDER BY created_at, id LIMIT $3"
        );
        let all = dispatch!(self, read, |db| {
            sqlx::query_as::<_, TaxRateRecord>(&all_sql)
                .bind(organization_id)
                .bind(livemode)
                .bind(CACHED_RATES as i64 + 1)
                .fetch_all(db)
                .await?
        });
        if all.len() <= CACHED_RATES {
            let rates = all.iter().filter(in_effect).map(to_domain).collect();
            cache.keep(ticket, key, std::sync::Arc::new(all));
            return Ok(rates);
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM tax_rates WHERE organization_id = $1 AND livemode = $2 \
             AND active_from <= $3 AND (archived_at IS NULL OR archived_at > $3) \
             ORDER BY created_at, id"
        );
        let rows = dispatch!(self, read, |db| {
            sqlx::query_as::<_, TaxRateRecord>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .bind(at)
                .fetch_all(db)
                .await?
        });
        Ok(rows.iter().map(to_domain).collect())
    }

    /// Changes a tax rate; `None` when it is not the organization's. Archiving keeps it for the
    /// sessions made before; reactivating puts it in effect from now.
    pub async fn update_tax_rate(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
        changes: &TaxRateChanges,
    ) -> StoreResult<Option<TaxRateRecord>> {
        let sql = format!(
            "UPDATE tax_rates SET display_name = $4, description = $5, jurisdiction = $6, \
             tax_type = $7, metadata = COALESCE($8, metadata), \
             active_from = CASE WHEN $9 AND NOT active THEN $10 ELSE active_from END, \
             archived_at = CASE WHEN $9 IS NULL THEN archived_at WHEN $9 THEN NULL \
                                WHEN active THEN $10 ELSE archived_at END, \
             active = COALESCE($9, active), updated_at = $10 \
             WHERE id = $1 AND organization_id = $2 AND livemode = $3 RETURNING {COLUMNS}"
        );
        let now = now_ms();
        let record = dispatch!(self, write, |db| {
            sqlx::query_as::<_, TaxRateRecord>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .bind(&changes.display_name)
                .bind(&changes.description)
                .bind(&changes.jurisdiction)
                .bind(&changes.tax_type)
                .bind(&changes.metadata)
                .bind(changes.active)
                .bind(now)
                .fetch_optional(db)
                .await?
        });
        self.caches.tax_rates.clear();
        Ok(record)
    }
}
