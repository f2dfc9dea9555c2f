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
            "",
            organization_id,
            livemode,
            page,
        )
        .await
    }

    /// Every plan of the organization in a mode, oldest first, with its items.
    pub async fn plans(&self, organization_id: &str, livemode: bool) -> StoreResult<Vec<Plan>> {
        // Two queries whatever the number of plans: the heads, then every item of them.
        let (heads, items) = dispatch!(self, read, |db| {
            let heads = sqlx::query_as::<_, (String, String, String, bool)>(
                "SELECT id, name, currency, active FROM plans \
                 WHERE organization_id = $1 AND livemode = $2 ORDER BY created_at, id",
            )
            .bind(organization_id)
            .bind(livemode)
            .fetch_all(db)
            .await?;
            let items = sqlx::query_as::<_, (String, String, i32)>(
                "SELECT i.plan_id, i.price_id, i.quantity FROM plan_items i \
                 JOIN plans p ON p.id = i.plan_id \
                 WHERE p.organization_id = $1 AND p.livemode = $2 ORDER BY i.plan_id, i.position",
            )
            .bind(organization_id)
            .bind(livemode)
            .fetch_all(db)
            .await?;
            (heads, items)
        });
        let mut by_plan = by_plan(items);
        heads
            .into_iter()
            .map(|head| {
                let items = by_plan.remove(&head.0).unwrap_or_default();
                super::catalog::plan_from_rows(head, items)
            })
            .collect()
    }

    /// A page of the organization's plans in a mode, newest first, each with its `created_at`.
    pub async fn plans_page(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<(i64, Plan)>> {
        let heads: Page<(String, String, String, bool, i64)> = self
            .page_of(
                "plans",
                "id, name, currency, active, created_at",
                "",
                organization_id,
                livemode,
                page,
            )
            .await?;
        if heads.items.is_empty() {
            return Ok(Page {
                items: Vec::new(),
                has_more: heads.has_more,
            });
        }
        let placeholders = (1..=heads.items.len())
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT plan_id, price_id, quantity FROM plan_items WHERE plan_id IN ({placeholders}) \
             ORDER BY plan_id, position"
        );
        let items = dispatch!(self, read, |db| {
            let mut query = sqlx::query_as::<_, (String, String, i32)>(&sql);
            for head in &heads.items {
                query = query.bind(&head.0);
            }
            query.fetch_all(db).await?
        });
        let mut by_plan = by_plan(items);
        let items = heads
            .items
            .into_iter()
            .map(|(id, name, currency, active, created_at)| {
                let items = by_plan.remove(&id).unwrap_or_default();
                super::catalog::plan_from_rows((id, name, currency, active), items)
                    .map(|plan| (created_at, plan))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page {
            items,
            has_more: heads.has_more,
        })
    }
}

/// Plan items' rows `(plan, price, quantity)` by plan, in their order.
fn by_plan(
    items: Vec<(String, String, i32)>,
) -> std::collections::HashMap<String, Vec<(String, i32)>> {
    let mut by_plan: std::collections::HashMap<String, Vec<(String, i32)>> =
        std::collections::HashMap::new();
    for (plan_id, price_id, quantity) in items {
        by_plan
            .entry(plan_id)
            .or_default()
            .push((price_id, quantity));
    }
    by_plan
}
