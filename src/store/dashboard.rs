//! Dashboard sign-in sessions, kept by tower-sessions in the same database as everything else,
//! so that several kassa instances on one PostgreSQL share them.

use super::{Backend, Store, StoreResult, dispatch};
use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

/// tower-sessions' store over whichever engine kassa runs on.
#[derive(Clone, Debug)]
pub enum DashboardSessionStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

#[async_trait]
impl SessionStore for DashboardSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            DashboardSessionStore::Sqlite(s) => s.create(record).await,
            DashboardSessionStore::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            DashboardSessionStore::Sqlite(s) => s.save(record).await,
            DashboardSessionStore::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            DashboardSessionStore::Sqlite(s) => s.load(id).await,
            DashboardSessionStore::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            DashboardSessionStore::Sqlite(s) => s.delete(id).await,
            DashboardSessionStore::Postgres(s) => s.delete(id).await,
        }
    }
}

impl DashboardSessionStore {
    /// Deletes the sessions whose expiry has passed (signed out by inactivity).
    pub async fn delete_expired(&self) -> session_store::Result<()> {
        use tower_sessions::ExpiredDeletion;
        match self {
            DashboardSessionStore::Sqlite(s) => s.delete_expired().await,
            DashboardSessionStore::Postgres(s) => s.delete_expired().await,
        }
    }
}

/// The organization's branding, as its checkout pages show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Branding {
    pub display_name: Option<String>,
    pub accent_color: Option<String>,
    pub logo_url: Option<String>,
    /// The merchant's terms of service, linked from a checkout asking for consent.
    pub terms_url: Option<String>,
}

/// An organization as its buyers meet it: the name they read and its branding.
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Storefront {
    /// Its display name (branding), else its name; empty when there is no such organization.
    pub merchant_name: String,
    #[sqlx(flatten)]
    pub branding: Branding,
}

impl Store {
    /// The dashboard's session store, its table made if missing.
    pub async fn dashboard_sessions(&self) -> StoreResult<DashboardSessionStore> {
        Ok(match &self.backend {
            Backend::Sqlite { writer, .. } => {
                let store = SqliteStore::new(writer.clone());
                store.migrate().await?;
                DashboardSessionStore::Sqlite(store)
            }
            Backend::Postgres { pool } => {
                let store = PostgresStore::new(pool.clone());
                store.migrate().await?;
                DashboardSessionStore::Postgres(store)
            }
        })
    }

    /// The organization's [`Storefront`], in one read.
    pub async fn storefront(&self, organization_id: &str) -> StoreResult<Storefront> {
        // Every checkout page asks; a merchant changes it seldom (`set_branding` clears).
        let cache = &self.caches.storefronts;
        if let Some(storefront) = cache.get(organization_id) {
            return Ok(storefront);
        }
        let ticket = cache.ticket();
        let storefront = dispatch!(self, read, |db| {
            sqlx::query_as::<_, Storefront>(
                "SELECT COALESCE(display_name, name) AS merchant_name, display_name, accent_color, \
                 logo_url, terms_url FROM organizations WHERE id = $1",
            )
            .bind(organization_id)
            .fetch_optional(db)
            .await?
        });
        Ok(match storefront {
            Some(storefront) => {
                cache.keep(ticket, organization_id.to_owned(), storefront.clone());
                storefront
            }
            None => Storefront::default(),
        })
    }

    pub async fn branding(&self, organization_id: &str) -> StoreResult<Branding> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, Branding>(
                "SELECT display_name, accent_color, logo_url, terms_url FROM organizations WHERE id = $1",
            )
            .bind(organization_id)
            .fetch_optional(db)
            .await?
            .unwrap_or_default()
        }))
    }

    pub async fn set_branding(
        &self,
        organization_id: &str,
        branding: &Branding,
    ) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query(
                "UPDATE organizations SET display_name = $1, accent_color = $2, logo_url = $3, \
                 terms_url = $5 WHERE id = $4",
            )
            .bind(&branding.display_name)
            .bind(&branding.accent_color)
            .bind(&branding.logo_url)
            .bind(organization_id)
            .bind(&branding.terms_url)
            .execute(db)
            .await?;
        });
        self.caches.storefronts.clear();
        Ok(())
    }
}
