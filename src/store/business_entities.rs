//! Business entities, and the list of an organization's plans.

use super::{Page, PageRequest, Store, StoreResult, dispatch, now_ms};
use crate::domain::catalog::Plan;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BusinessEntityRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub name: String,
    pub legal_name: Option<String>,
    pub country: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

const ENTITY_COLUMNS: &str =
    "id, organization_id, livemode, name, legal_name, country, created_at, updated_at";

impl Store {
    pub async fn insert_business_entity(
        &self,
        id: &str,
        organization_id: &str,
        livemode: bool,
        name: &str,
        legal_name: Option<&str>,
        country: Option<&str>,
    ) -> StoreResult<BusinessEntityRecord> {
        let sql = format!(
            "INSERT INTO business_entities (id, organization_id, livemode, name, legal_name, \
             country, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
             RETURNING {ENTITY_COLUMNS}"
        );
        let now = now_ms();
        Ok(dispatch!(self, write, |db| {
            sqlx::query_as::<_, BusinessEntityRecord>(&sql)
                .bind(id)
                .bind(organization_id)
                .bind(livemode)
                .bind(name)
                .bind(legal_name)
                .bind(country)
                .bind(now)
                .fetch_one(db)
                .await?
        }))
    }

    pub async fn business_entity(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<BusinessEntityRecord>> {
        self.one_of(
            "business_entities",
            ENTITY_COLUMNS,
            organization_id,
            livemode,
            id,
        )
        .await
    }

    /// The organization's business entities in a mode, newest first.
    pub async fn business_entities(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<BusinessEntityRecord>> {
        self.page_of(
            "business_entities",
            ENTITY_COLUMNS,
            organization_id,
            livemode,
            page,
        )
        .await
    }

    /// Every plan of the organization in a mode, oldest first, with its items.
    pub async fn plans(&self, organization_id: &str, livemode: bool) -> StoreResult<Vec<Plan>> {
        let ids: Vec<String> = dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT id FROM plans WHERE organization_id = $1 AND livemode = $2 \
                 ORDER BY created_at, id",
            )
            .bind(organization_id)
            .bind(livemode)
            .fetch_all(db)
            .await?
        });
        let mut plans = Vec::with_capacity(ids.len());
        for id in ids {
            plans.extend(self.plan(organization_id, livemode, &id).await?);
        }
        Ok(plans)
    }
}
