//! Secret API keys: `sk_test_…` and `sk_live_…`.
//!
//! A key is 32 random alphanumeric characters (190 bits) after its prefix. Only its SHA-256 is
//! stored: with that much entropy a fast hash is as safe as a slow one, and it keeps the lookup on
//! every API request cheap. The secret itself is shown once, when the key is made.

use super::ids::{new_id, random_alphanumeric};
use crate::domain::Mode;
use crate::store::{ApiKeyRecord, NewApiKey, Store, StoreError};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const SECRET_RANDOM_CHARS: usize = 32;
/// Random characters of the secret that the dashboard shows to tell keys apart.
const DISPLAY_RANDOM_CHARS: usize = 4;

/// A secret key in full. It cannot be printed (`Debug` is redacted) or serialized by accident.
pub struct SecretKey(SecretString);

impl SecretKey {
    /// The full secret, to hand to the merchant once.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([REDACTED])")
    }
}

/// The organization and mode an authenticated API request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub organization_id: String,
    pub mode: Mode,
    pub api_key_id: String,
}

/// Why a presented key was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no API key was given")]
    Missing,
    #[error("the API key is not valid")]
    Invalid,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A new key, ready to record: the secret to show once, and what is stored of it.
pub struct MintedKey {
    pub id: String,
    pub secret: SecretKey,
    pub display_prefix: String,
    pub secret_hash: String,
}

impl MintedKey {
    pub fn generate(mode: Mode) -> MintedKey {
        let mut secret = format!("sk_{}_", mode.as_str());
        let prefix_len = secret.len();
        secret.extend(random_alphanumeric(SECRET_RANDOM_CHARS));
        let display_prefix = format!("{}…", &secret[..prefix_len + DISPLAY_RANDOM_CHARS]);
        let secret_hash = hash_secret(&secret);
        MintedKey {
            id: new_id(crate::domain::ids::API_KEY),
            secret: SecretKey(SecretString::from(secret)),
            display_prefix,
            secret_hash,
        }
    }

    /// What the store records of this key.
    pub fn as_new<'a>(
        &'a self,
        organization_id: &'a str,
        mode: Mode,
        name: &'a str,
    ) -> NewApiKey<'a> {
        NewApiKey {
            id: &self.id,
            organization_id,
            livemode: mode.is_live(),
            display_prefix: &self.display_prefix,
            secret_hash: &self.secret_hash,
            name,
        }
    }
}

/// The hex SHA-256 of a secret: what the store keeps and looks keys up by.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Makes a key for the organization and records it. The secret is in the returned `MintedKey`.
pub async fn create(
    store: &Store,
    organization_id: &str,
    mode: Mode,
    name: &str,
) -> Result<(ApiKeyRecord, SecretKey), StoreError> {
    let minted = MintedKey::generate(mode);
    let record = store
        .insert_api_key(&minted.as_new(organization_id, mode, name))
        .await?;
    Ok((record, minted.secret))
}

/// Revokes one of the organization's keys: it authenticates nothing from now on.
pub async fn revoke(store: &Store, organization_id: &str, id: &str) -> super::ServiceResult<()> {
    if store.revoke_api_key(organization_id, id).await? {
        Ok(())
    } else {
        Err(super::ServiceError::NotFound("API key"))
    }
}

/// The mode a well-formed secret claims by its prefix, or `None` for anything else.
fn claimed_mode(secret: &str) -> Option<Mode> {
    let (mode, random) = if let Some(rest) = secret.strip_prefix("sk_test_") {
        (Mode::Test, rest)
    } else if let Some(rest) = secret.strip_prefix("sk_live_") {
        (Mode::Live, rest)
    } else {
        return None;
    };
    let well_formed =
        random.len() == SECRET_RANDOM_CHARS && random.bytes().all(|b| b.is_ascii_alphanumeric());
    well_formed.then_some(mode)
}

/// Finds the organization and mode of a presented secret key.
pub async fn authenticate(store: &Store, presented: &str) -> Result<Principal, AuthError> {
    let presented = presented.trim();
    if presented.is_empty() {
        return Err(AuthError::Missing);
    }
    // Malformed keys are refused without a database round trip.
    let mode = claimed_mode(presented).ok_or(AuthError::Invalid)?;
    let key = store
        .active_api_key_by_hash(&hash_secret(presented))
        .await?
        .ok_or(AuthError::Invalid)?;
    if key.livemode != mode.is_live() {
        return Err(AuthError::Invalid);
    }
    Ok(Principal {
        organization_id: key.organization_id,
        mode,
        api_key_id: key.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_have_the_mode_prefix_and_190_bits() {
        let test = MintedKey::generate(Mode::Test);
        assert!(test.secret.expose().starts_with("sk_test_"));
        assert_eq!(claimed_mode(test.secret.expose()), Some(Mode::Test));
        let live = MintedKey::generate(Mode::Live);
        assert!(live.secret.expose().starts_with("sk_live_"));
        assert_eq!(
            live.secret.expose().len(),
            "sk_live_".len() + SECRET_RANDOM_CHARS
        );
        assert!(live.display_prefix.starts_with("sk_live_") && live.display_prefix.ends_with('…'));
        assert_ne!(
            test.secret.expose(),
            live.secret.expose()[..].replace("live", "test")
        );
    }

    #[test]
    fn the_stored_hash_is_not_the_secret() {
        let key = MintedKey::generate(Mode::Test);
        assert_eq!(key.secret_hash.len(), 64);
        assert!(
            !key.secret_hash
                .contains(&key.secret.expose()["sk_test_".len()..])
        );
        assert_eq!(key.secret_hash, hash_secret(key.secret.expose()));
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let key = MintedKey::generate(Mode::Test);
        assert_eq!(format!("{:?}", key.secret), "SecretKey([REDACTED])");
    }

    #[test]
    fn malformed_keys_claim_no_mode() {
        assert_eq!(claimed_mode("sk_test_short"), None);
        assert_eq!(
            claimed_mode("pk_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            None
        );
        assert_eq!(
            claimed_mode("sk_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"),
            None
        );
        assert_eq!(
            claimed_mode("sk_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
            Some(Mode::Test)
        );
    }
}
