//! Dashboard passwords, hashed with Argon2id (the `argon2` crate, RustCrypto) in PHC strings.
//!
//! One hash takes tens of milliseconds of CPU and 19 MiB. Requests hash through [`hash`] and
//! [`verify`]: on tokio's blocking pool, never on the workers that serve every other request,
//! and at most [`hashing_slots`] at once over the whole process, so that a flood of sign-ins
//! queues instead of taking every core and gigabytes of memory.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashes a password with a fresh salt and the crate's default (OWASP-recommended) parameters.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// How many hashes run at once: half the cores, at least one, so that the other half keeps
/// serving buyers and API calls while sign-ins queue.
pub fn hashing_slots() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get() / 2)
        .unwrap_or(1)
        .max(1)
}

fn slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(hashing_slots()))
}

/// Runs `work` on the blocking pool once a hashing slot is free.
async fn in_a_slot<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let _slot = slots().acquire().await.ok()?;
    tokio::task::spawn_blocking(work).await.ok()
}

/// [`hash_password`] off the async workers, in a slot.
pub async fn hash(password: String) -> Result<String, argon2::password_hash::Error> {
    in_a_slot(move || hash_password(&password))
        .await
        .unwrap_or(Err(argon2::password_hash::Error::Crypto))
}

/// [`verify_password`] off the async workers, in a slot.
pub async fn verify(password: String, phc: String) -> bool {
    in_a_slot(move || verify_password(&password, &phc))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn hashes_queue_for_their_slots() {
        let running = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..6 {
            let (running, most) = (running.clone(), most.clone());
            tasks.spawn(in_a_slot(move || {
                use std::sync::atomic::Ordering::SeqCst;
                let now = running.fetch_add(1, SeqCst) + 1;
                most.fetch_max(now, SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, SeqCst);
                n
            }));
        }
        let mut done = Vec::new();
        while let Some(n) = tasks.join_next().await {
            done.push(n.unwrap().unwrap());
        }
        done.sort();
        assert_eq!(done, (0..6).collect::<Vec<_>>());
        let most = most.load(std::sync::atomic::Ordering::SeqCst);
        assert!((1..=hashing_slots()).contains(&most), "{most} at once");
        let phc = hash("s3cret enough".into()).await.unwrap();
        assert!(verify("s3cret enough".into(), phc.clone()).await);
        assert!(!verify("wrong".into(), phc).await);
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let phc = hash_password("correct horse battery staple").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &phc));
        assert!(!verify_password("correct horse battery stapler", &phc));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn each_hash_has_its_own_salt() {
        assert_ne!(
            hash_password("same").unwrap(),
            hash_password("same").unwrap()
        );
    }
}
