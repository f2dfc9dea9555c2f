//! Dashboard users and the organizations they belong to.

use super::{BeginWrite, Store, StoreResult, dispatch, now_ms};

/// A dashboard user. `password_hash` is an argon2 PHC string.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    pub password_hash: String,
    pub created_at: i64,
}

impl Store {
    /// Records a user (the email lower-cased) as a member of `organization_id` with `role`.
    pub async fn insert_user_with_membership(
        &self,
        user_id: &str,
        email: &str,
        password_hash: &str,
        organization_id: &str,
        role: &str,
    ) -> StoreResult<UserRecord> {
        let email = email.to_lowercase();
        let created_at = now_ms();
        dispatch!(self, write, |db| {
            let mut tx = db.begin_write().await?;
            sqlx::query(
                "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(user_id)
            .bind(&email)
            .bind(password_hash)
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO memberships (user_id, organization_id, role, created_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(user_id)
            .bind(organization_id)
            .bind(role)
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(UserRecord {
            id: user_id.to_owned(),
            email,
            password_hash: password_hash.to_owned(),
            created_at,
        })
    }

    /// The user with this email, compared case-insensitively.
    pub async fn user_by_email(&self, email: &str) -> StoreResult<Option<UserRecord>> {
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, UserRecord>(
                "SELECT id, email, password_hash, created_at FROM users WHERE email = $1",
            )
            .bind(email.to_lowercase())
            .fetch_optional(db)
            .await?
        });
        Ok(row)
    }

    /// The organizations a user belongs to, oldest membership first.
    pub async fn organizations_of_user(&self, user_id: &str) -> StoreResult<Vec<String>> {
        let rows = dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, String>(
                "SELECT organization_id FROM memberships WHERE user_id = $1 \
                 ORDER BY created_at, organization_id",
            )
            .bind(user_id)
            .fetch_all(db)
            .await?
        });
        Ok(rows)
    }
}

impl Store {
    /// Records a new organization with its first key and its owner, in one transaction: a sign-up
    /// that fails (the email taken meanwhile) leaves nothing behind.
    pub async fn insert_account(
        &self,
        organization_id: &str,
        organization_name: &str,
        key: &super::NewApiKey<'_>,
        user_id: &str,
        email: &str,
        password_hash: &str,
    ) -> StoreResult<()> {
        let now = now_ms();
        let email = email.to_lowercase();
        let mut tx = self.begin().await?;
        super::tx::dispatch_tx!(tx, |conn| {
            sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(organization_id)
                .bind(organization_name)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            super::organizations::insert_key_sql!(key, now)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(user_id)
            .bind(&email)
            .bind(password_hash)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO memberships (user_id, organization_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
            )
            .bind(user_id)
            .bind(organization_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        tx.commit().await
    }

    /// Whether the user belongs to the organization.
    pub async fn is_member(&self, user_id: &str, organization_id: &str) -> StoreResult<bool> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM memberships WHERE user_id = $1 AND organization_id = $2",
            )
            .bind(user_id)
            .bind(organization_id)
            .fetch_one(db)
            .await?
        }) == 1)
    }

    pub async fn user(&self, id: &str) -> StoreResult<Option<UserRecord>> {
        Ok(dispatch!(self, read, |db| {
            sqlx::query_as::<_, UserRecord>(
                "SELECT id, email, password_hash, created_at FROM users WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(db)
            .await?
        }))
    }
}
