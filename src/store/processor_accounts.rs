//! An organization's accounts at payment processors (Stripe's keys per mode, sealed by the
//! service before they get here) and which processor takes its test-mode payments.

use super::{Store, StoreResult, dispatch};

/// An organization's account at a processor in one mode. The secrets are sealed
/// (`service::vault`); the hints are what may be shown.
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProcessorAccountRecord {
    pub organization_id: String,
    pub livemode: bool,
    pub processor: String,
    pub secret_key: String,
    pub secret_key_hint: String,
    pub webhook_secret: String,
    pub webhook_secret_hint: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl std::fmt::Debug for ProcessorAccountRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessorAccountRecord")
            .field("organization_id", &self.organization_id)
            .field("livemode", &self.livemode)
            .field("processor", &self.processor)
            .field("secret_key_hint", &self.secret_key_hint)
            .field("webhook_secret_hint", &self.webhook_secret_hint)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "organization_id, livemode, processor, secret_key, secret_key_hint, \
     webhook_secret, webhook_secret_hint, created_at, updated_at";

impl Store {
    /// The organization's processor account in a mode, if it set one up.
    pub async fn processor_account(
        &self,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<Option<ProcessorAccountRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM processor_accounts WHERE organization_id = $1 AND livemode = $2"
        );
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, ProcessorAccountRecord>(&sql)
                .bind(organization_id)
                .bind(livemode)
                .fetch_optional(db)
                .await?
        }))
    }

    /// Sets (or replaces) the organization's processor account in the record's mode.
    pub async fn set_processor_account(
        &self,
        account: &ProcessorAccountRecord,
        now: i64,
    ) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query(&format!(
                "INSERT INTO processor_accounts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
                 ON CONFLICT (organization_id, livemode) DO UPDATE SET processor = $3, \
                 secret_key = $4, secret_key_hint = $5, webhook_secret = $6, \
                 webhook_secret_hint = $7, updated_at = $8"
            ))
            .bind(&account.organization_id)
            .bind(account.livemode)
            .bind(&account.processor)
            .bind(&account.secret_key)
            .bind(&account.secret_key_hint)
            .bind(&account.webhook_secret)
            .bind(&account.webhook_secret_hint)
            .bind(now)
            .execute(db)
            .await?;
        });
        Ok(())
    }

    /// Removes the organization's processor account in a mode; whether there was one.
    pub async fn remove_processor_account(
        &self,
        organization_id: &str,
        livemode: bool,
    ) -> StoreResult<bool> {
        let removed = dispatch!(self, write, |db| {
            sqlx::query(
                "DELETE FROM processor_accounts WHERE organization_id = $1 AND livemode = $2",
            )
            .bind(organization_id)
            .bind(livemode)
            .execute(db)
            .await?
            .rows_affected()
        });
        Ok(removed == 1)
    }

    /// How many processor accounts any organization holds: kassa needs its encryption key to
    /// serve when there are any.
    pub async fn count_processor_accounts(&self) -> StoreResult<i64> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM processor_accounts")
                .fetch_one(db)
                .await?
        }))
    }

    /// What takes the organization's test-mode payments: `kassa` or `stripe`. Every test-mode
    /// confirm and checkout page asks; a merchant changes it seldom (the change clears the copy).
    pub async fn test_mode_processor(&self, organization_id: &str) -> StoreResult<String> {
        let cache = &self.caches.test_mode_processors;
        if let Some(chosen) = cache.get(organization_id) {
            return Ok(chosen);
        }
        let ticket = cache.ticket();
        let chosen = dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT test_mode_processor FROM organizations WHERE id = $1",
            )
            .bind(organization_id)
            .fetch_optional(db)
            .await?
        });
        Ok(match chosen {
            Some(chosen) => {
                cache.keep(ticket, organization_id.to_owned(), chosen.clone());
                chosen
            }
            None => "kassa".to_owned(),
        })
    }

    pub async fn set_test_mode_processor(
        &self,
        organization_id: &str,
        processor: &str,
    ) -> StoreResult<()> {
        dispatch!(self, write, |db| {
            sqlx::query("UPDATE organizations SET test_mode_processor = $1 WHERE id = $2")
                .bind(processor)
                .bind(organization_id)
                .execute(db)
                .await?;
        });
        self.caches.test_mode_processors.clear();
        Ok(())
    }
}
