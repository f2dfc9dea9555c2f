//! Organizations and their API keys.

use super::{BeginWrite, Store, StoreResult, dispatch, now_ms};

/// An organization: the merchant that owns a catalog, sessions and keys.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrganizationRecord {
    pub id: String,
    pub name: String,
    /// ISO 4217, lower case.
    pub default_currency: String,
    pub created_at: i64,
}

/// An API key as stored: its hash and a recognisable prefix, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyRecord {
    pub id: String,
    pub organization_id: String,
    pub livemode: bool,
    pub display_prefix: String,
    pub name: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A key to be recorded. `secret_hash` is the SHA-256 of the secret, hex-encoded.
#[derive(Debug, Clone)]
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub organization_id: &'a str,
    pub livemode: bool,
    pub display_prefix: &'a str,
    pub secret_hash: &'a str,
    pub name: &'a str,
}

const API_KEY_COLUMNS: &str =
    "id, organization_id, livemode, display_prefix, name, created_at, revoked_at";

impl Store {
    /// Records a new organization.
    pub async fn insert_organization(
        &self,
        id: &str,
        name: &str,
    ) -> StoreResult<OrganizationRecord> {
        let created_at = now_ms();
        dispatch!(self, write, |db| {
            sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(name)
                .bind(created_at)
                .execute(db)
                .await?;
        });
        Ok(OrganizationRecord {
            id: id.to_owned(),
            name: name.to_owned(),
            default_currency: "usd".to_owned(),
            created_at,
        })
    }

    pub async fn organization(&self, id: &str) -> StoreResult<Option<OrganizationRecord>> {
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, OrganizationRecord>(
                "SELECT id, name, default_currency, created_at FROM organizations WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(db)
            .await?
        });
        Ok(row)
    }

    /// Records an organization together with its first key, in one transaction.
    pub async fn insert_organization_with_key(
        &self,
        organization_id: &str,
        name: &str,
        key: &NewApiKey<'_>,
    ) -> StoreResult<(OrganizationRecord, ApiKeyRecord)> {
        let created_at = now_ms();
        dispatch!(self, write, |db| {
            let mut tx = db.begin_write().await?;
            sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(organization_id)
                .bind(name)
                .bind(created_at)
                .execute(&mut *tx)
                .await?;
            insert_key_sql!(key, created_at).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok((
            OrganizationRecord {
                id: organization_id.to_owned(),
                name: name.to_owned(),
                default_currency: "usd".to_owned(),
                created_at,
            },
            key_record(key, created_at),
        ))
    }

    /// Records a new API key.
    pub async fn insert_api_key(&self, key: &NewApiKey<'_>) -> StoreResult<ApiKeyRecord> {
        let created_at = now_ms();
        dispatch!(self, write, |db| {
            insert_key_sql!(key, created_at).execute(db).await?;
        });
        Ok(key_record(key, created_at))
    }

    /// The unrevoked key whose secret hashes to `secret_hash`.
    pub async fn active_api_key_by_hash(
        &self,
        secret_hash: &str,
    ) -> StoreResult<Option<ApiKeyRecord>> {
        let cache = &self.caches.api_keys;
        if let Some(key) = cache.get(secret_hash) {
            return Ok(Some(key));
        }
        let unknown = &self.caches.unknown_api_keys;
        if unknown.get(secret_hash).is_some() {
            return Ok(None);
        }
        let ticket = cache.ticket();
        let unknown_ticket = unknown.ticket();
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, ApiKeyRecord>(&format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE secret_hash = $1 AND revoked_at IS NULL"
            ))
            .bind(secret_hash)
            .fetch_optional(db)
            .await?
        });
        match &row {
            Some(key) => cache.keep(ticket, secret_hash.to_owned(), key.clone()),
            None => unknown.keep(unknown_ticket, secret_hash.to_owned(), ()),
        }
        Ok(row)
    }

    /// The organization's keys, newest first.
    pub async fn api_keys(&self, organization_id: &str) -> StoreResult<Vec<ApiKeyRecord>> {
        let rows = dispatch!(self, read, |db| {
            sqlx::query_as::<_, ApiKeyRecord>(&format!(
                "SELECT {API_KEY_COLUMNS} FROM api_keys WHERE organization_id = $1 \
                 ORDER BY created_at DESC, id DESC"
            ))
            .bind(organization_id)
            .fetch_all(db)
            .await?
        });
        Ok(rows)
    }

    /// Revokes a key of the organization. Returns whether a live key was revoked by this call.
    pub async fn revoke_api_key(&self, organization_id: &str, key_id: &str) -> StoreResult<bool> {
        let done = dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $1 \
                 WHERE id = $2 AND organization_id = $3 AND revoked_at IS NULL",
            )
            .bind(now_ms())
            .bind(key_id)
            .bind(organization_id)
            .execute(db)
            .await?
            .rows_affected()
        });
        // Copies are by secret hash, which the id does not give: forget them all (revoking is rare).
        self.caches.api_keys.clear();
        Ok(done == 1)
    }
}

macro_rules! insert_key_sql {
    ($key:expr, $created_at:expr) => {
        sqlx::query(
            "INSERT INTO api_keys \
             (id, organization_id, livemode, display_prefix, secret_hash, name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($key.id)
        .bind($key.organization_id)
        .bind($key.livemode)
        .bind($key.display_prefix)
        .bind($key.secret_hash)
        .bind($key.name)
        .bind($created_at)
    };
}
pub(super) use insert_key_sql;

pub(super) fn key_record(key: &NewApiKey<'_>, created_at: i64) -> ApiKeyRecord {
    ApiKeyRecord {
        id: key.id.to_owned(),
        organization_id: key.organization_id.to_owned(),
        livemode: key.livemode,
        display_prefix: key.display_prefix.to_owned(),
        name: key.name.to_owned(),
        created_at,
        revoked_at: None,
    }
}
