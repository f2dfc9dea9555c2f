//! Payment links and the template each keeps.

use super::{Page, PageRequest, Store, StoreError, StoreResult, dispatch};
use crate::domain::payment_link::LinkTemplate;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentLinkRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub active: bool,
    /// JSON of [`LinkTemplate`].
    pub template: String,
    /// JSON object of strings.
    pub metadata: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PaymentLinkRecord {
    pub fn template(&self) -> StoreResult<LinkTemplate> {
        serde_json::from_str(&self.template)
            .map_err(|e| StoreError::Corrupt(format!("payment_links.template: {e}")))
    }

    pub fn metadata(&self) -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_str(&self.metadata).unwrap_or_default()
    }
}

const PAYMENT_LINK_COLUMNS: &str =
    "id, organization_id, livemode, active, template, metadata, created_at, updated_at";

/// What an update changes; `None` leaves it.
#[derive(Debug, Clone, Default)]
pub struct PaymentLinkChanges {
    pub active: Option<bool>,
    pub template: Option<String>,
    pub metadata: Option<String>,
}

impl Store {
    pub async fn insert_payment_link(&self, link: &PaymentLinkRecord) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query(&format!(
                "INSERT INTO payment_links ({PAYMENT_LINK_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            ))
            .bind(&link.id)
            .bind(&link.organization_id)
            .bind(link.livemode)
            .bind(link.active)
            .bind(&link.template)
            .bind(&link.metadata)
            .bind(link.created_at)
            .bind(link.updated_at)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    pub async fn payment_link(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
    ) -> StoreResult<Option<PaymentLinkRecord>> {
        self.one_of(
            "payment_links",
            PAYMENT_LINK_COLUMNS,
            organization_id,
            livemode,
            id,
        )
        .await
    }

    /// A link by its id alone: what a buyer's visit names.
    pub async fn payment_link_by_id(&self, id: &str) -> StoreResult<Option<PaymentLinkRecord>> {
        let sql = format!("SELECT {PAYMENT_LINK_COLUMNS} FROM payment_links WHERE id = $1");
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, PaymentLinkRecord>(&sql)
                .bind(id)
                .fetch_optional(db)
                .await?
        }))
    }

    pub async fn payment_links(
        &self,
        organization_id: &str,
        livemode: bool,
        page: &PageRequest,
    ) -> StoreResult<Page<PaymentLinkRecord>> {
        self.page_of(
            "payment_links",
            PAYMENT_LINK_COLUMNS,
            "",
            organization_id,
            livemode,
            page,
        )
        .await
    }

    /// Changes a link; `false` when there is no such link.
    pub async fn update_payment_link(
        &self,
        organization_id: &str,
        livemode: bool,
        id: &str,
        changes: &PaymentLinkChanges,
        now: i64,
    ) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE payment_links SET active = COALESCE($1, active), \
                 template = COALESCE($2, template), metadata = COALESCE($3, metadata), \
                 updated_at = $4 WHERE id = $5 AND organization_id = $6 AND livemode = $7",
            )
            .bind(changes.active)
            .bind(&changes.template)
            .bind(&changes.metadata)
            .bind(now)
            .bind(id)
            .bind(organization_id)
            .bind(livemode)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(changed == 1)
    }
}
