//! The installation's secret (`installation_secrets`): made once, by whichever kassa first needs
//! it, and the same for every instance on the database. Keys for one purpose each are derived
//! from it ([`Store::installation_key`]), so that no two uses share a key.

use super::{Store, StoreResult, dispatch, now_ms};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The one secret row; the others are derived from it.
const ROOT: &str = "root";

impl Store {
    /// The installation's key for `purpose` (HMAC-SHA256 of the purpose under the root
    /// secret). The root is read once per process, and made when the database has none.
    pub async fn installation_key(&self, purpose: &str) -> StoreResult<[u8; 32]> {
        let root = self
            .caches
            .installation_root
            .get_or_try_init(|| self.root_secret())
            .await?;
        let mut mac = Hmac::<Sha256>::new_from_slice(root).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        Ok(mac.finalize().into_bytes().into())
    }

    async fn root_secret(&self) -> StoreResult<Vec<u8>> {
        use rand::RngCore;
        let mut fresh = [0u8; 32];
        rand::rng().fill_bytes(&mut fresh);
        // Of two instances making it at once, the first insert wins and both read it.
        let secret: String = dispatch!(self, write, |db| {
            sqlx::query(
                "INSERT INTO installation_secrets (name, secret, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(ROOT)
            .bind(hex::encode(fresh))
            .bind(now_ms())
            .execute(db)
            .await?;
            sqlx::query_scalar("SELECT secret FROM installation_secrets WHERE name = $1")
                .bind(ROOT)
                .fetch_one(db)
                .await?
        });
        hex::decode(&secret)
            .map_err(|e| super::StoreError::Corrupt(format!("the installation secret: {e}")))
    }
}
