//! Sealing the secrets merchants give kassa for their processors (Stripe's secret keys and
//! webhook signing secrets) before they reach the database, with a key only the operator holds
//! (`KASSA_ENCRYPTION_KEY`).
//!
//! AES-256-GCM (RustCrypto's `aes-gcm`): a fresh random 96-bit nonce per seal, stored in front of
//! the ciphertext, and the secret's place (organization, mode, field) as associated data, so that
//! a sealed value copied into another row or field does not open there. A database dump without
//! the key reveals no secret; a wrong key opens nothing.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The operator's key: 32 bytes, given as base64 (`openssl rand -base64 32`).
#[derive(Clone)]
pub struct EncryptionKey([u8; 32]);

impl EncryptionKey {
    /// Reads a key given as base64 of 32 bytes.
    pub fn parse(given: &str) -> Result<EncryptionKey, &'static str> {
        let bytes = STANDARD
            .decode(given.trim())
            .map_err(|_| "it is not base64 (make one with `openssl rand -base64 32`)")?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| "it must be 32 bytes, base64-encoded (`openssl rand -base64 32`)")?;
        Ok(EncryptionKey(key))
    }
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey(***)")
    }
}

/// A sealed value that does not open: the key is not the one it was sealed with, the value was
/// changed, or it was moved to another place.
#[derive(Debug, thiserror::Error)]
#[error("a sealed secret could not be opened (another KASSA_ENCRYPTION_KEY, or a changed row)")]
pub struct Unopenable;

/// Seals and opens secrets with the operator's key.
#[derive(Clone)]
pub struct Vault {
    cipher: Aes256Gcm,
}

impl Vault {
    pub fn new(key: &EncryptionKey) -> Vault {
        Vault {
            cipher: Aes256Gcm::new(&key.0.into()),
        }
    }

    /// `secret` sealed for `place` (which must be given again to open it): base64 of the nonce
    /// and the ciphertext.
    pub fn seal(&self, secret: &str, place: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.as_bytes(),
                    aad: place.as_bytes(),
                },
            )
            .expect("AES-GCM seals any message under 64 GiB");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    /// The secret `sealed` holds, if it was sealed with this key for `place`.
    pub fn open(&self, sealed: &str, place: &str) -> Result<String, Unopenable> {
        let bytes = STANDARD.decode(sealed).map_err(|_| Unopenable)?;
        if bytes.len() < 12 {
            return Err(Unopenable);
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: place.as_bytes(),
                },
            )
            .map_err(|_| Unopenable)?;
        String::from_utf8(plain).map_err(|_| Unopenable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey::parse(&STANDARD.encode([byte; 32])).unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_place() {
        let vault = Vault::new(&key(7));
        let sealed = vault.seal("sk_live_51Hx_secret", "org_1/live/secret_key");
        assert!(!sealed.contains("sk_live"));
        assert_eq!(
            vault.open(&sealed, "org_1/live/secret_key").unwrap(),
            "sk_live_51Hx_secret"
        );
        // A fresh nonce each time: the same secret never seals the same way twice.
        assert_ne!(
            sealed,
            vault.seal("sk_live_51Hx_secret", "org_1/live/secret_key")
        );
        assert!(
            vault.open(&sealed, "org_2/live/secret_key").is_err(),
            "moved to another row"
        );
        assert!(
            Vault::new(&key(8))
                .open(&sealed, "org_1/live/secret_key")
                .is_err()
        );
        let mut tampered = STANDARD.decode(&sealed).unwrap();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(
            vault
                .open(&STANDARD.encode(tampered), "org_1/live/secret_key")
                .is_err()
        );
        assert!(vault.open("not base64!", "x").is_err());
    }

    #[test]
    fn a_key_is_32_bytes_of_base64() {
        assert!(EncryptionKey::parse(&STANDARD.encode([1u8; 32])).is_ok());
        assert!(EncryptionKey::parse(&STANDARD.encode([1u8; 16])).is_err());
        assert!(EncryptionKey::parse("hunter2").is_err());
        assert_eq!(format!("{:?}", key(1)), "EncryptionKey(***)");
    }
}
