//! The record of what `kassa demo` created, so that it can print the same credentials again.

use super::catalog::{insert_price_sql, insert_pricing_model_sql, insert_product_sql};
use super::organizations::insert_key_sql;
use super::{NewApiKey, NewPrice, NewProduct, Store, StoreResult, dispatch, now_ms};

/// The demo organization and the credentials `kassa demo` prints. Test mode only. Its password
/// is not kept: each run makes a fresh one (`service::demo::ensure`).
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DemoFixture {
    pub organization_id: String,
    pub user_email: String,
    pub secret_key: String,
}

impl std::fmt::Debug for DemoFixture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoFixture")
            .field("organization_id", &self.organization_id)
            .field("user_email", &self.user_email)
            .finish_non_exhaustive()
    }
}

/// Everything the demo consists of, written in one transaction.
pub struct DemoSeed<'a> {
    pub fixture: &'a DemoFixture,
    pub organization_name: &'a str,
    pub api_key: NewApiKey<'a>,
    /// The test-mode default pricing model the products belong to.
    pub pricing_model_id: &'a str,
    pub user_id: &'a str,
    pub user_password_hash: &'a str,
    pub products: &'a [NewProduct<'a>],
    pub prices: &'a [NewPrice<'a>],
    /// A coupon and the promotion code buyers type for it.
    pub promotion: Option<(
        &'a crate::domain::catalog::Coupon,
        &'a crate::domain::catalog::PromotionCode,
    )>,
}

impl Store {
    /// Gives the user `email` the password hashed as `password_hash`.
    pub async fn set_password_hash(&self, email: &str, password_hash: &str) -> StoreResult<bool> {
        let changed = dispatch!(self, write, |db| {
            sqlx::query("UPDATE users SET password_hash = $1 WHERE email = $2")
                .bind(password_hash)
                .bind(email)
                .execute(db)
                .await?
                .rows_affected()
        });
        Ok(changed == 1)
    }

    pub async fn demo_fixture(&self) -> StoreResult<Option<DemoFixture>> {
        let row = dispatch!(self, read, |db| {
            sqlx::query_as::<_, DemoFixture>(
                "SELECT organization_id, user_email, secret_key \
                 FROM demo_fixture WHERE singleton = 1",
            )
            .fetch_optional(db)
            .await?
        });
        Ok(row)
    }

    /// Writes the whole demo, or nothing: the fixture row is unique, so a concurrent second
    /// writer fails with [`super::StoreError::Conflict`] and leaves no half-made organization.
    pub async fn insert_demo(&self, seed: &DemoSeed<'_>) -> StoreResult<()> {
        let now = now_ms();
        let fixture = seed.fixture;
        let email = fixture.user_email.to_lowercase();
        let mut tx = self.begin().await?;
        super::tx::dispatch_tx!(tx, |conn| {
            sqlx::query("INSERT INTO organizations (id, name, created_at) VALUES ($1, $2, $3)")
                .bind(&fixture.organization_id)
                .bind(seed.organization_name)
                .bind(now)
                .execute(&mut *conn)
                .await?;
            insert_key_sql!(&seed.api_key, now)
                .execute(&mut *conn)
                .await?;
            sqlx::query(
                "INSERT INTO users (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(seed.user_id)
            .bind(&email)
            .bind(seed.user_password_hash)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "INSERT INTO memberships (user_id, organization_id, role, created_at) \
                 VALUES ($1, $2, 'owner', $3)",
            )
            .bind(seed.user_id)
            .bind(&fixture.organization_id)
            .bind(now)
            .execute(&mut *conn)
            .await?;
            insert_pricing_model_sql!(seed.pricing_model_id, &fixture.organization_id, false, now)
                .execute(&mut *conn)
                .await?;
            for product in seed.products {
                insert_product_sql!(product, now)
                    .execute(&mut *conn)
                    .await?;
            }
            for price in seed.prices {
                insert_price_sql!(price, now).execute(&mut *conn).await?;
            }
            sqlx::query(
                "INSERT INTO demo_fixture \
                 (singleton, organization_id, user_email, user_password, secret_key, created_at) \
                 VALUES (1, $1, $2, '', $3, $4)",
            )
            .bind(&fixture.organization_id)
            .bind(&email)
            .bind(&fixture.secret_key)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        });
        if let Some((coupon, code)) = seed.promotion {
            tx.insert_coupon(&fixture.organization_id, false, coupon, now)
                .await?;
            tx.insert_promotion_code(&fixture.organization_id, false, code, now)
                .await?;
        }
        tx.commit().await
    }
}
