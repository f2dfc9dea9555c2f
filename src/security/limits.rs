//! How much one client, one API key or everyone together may ask of kassa before being told to
//! wait (429 with `Retry-After`). Each limit is a token bucket (the `governor` crate, GCRA): a
//! burst, then a steady rate.
//!
//! The buckets are in memory, per instance: behind a balancer with several instances, each
//! allows as much again. What they stop is one client flooding one instance: guessing keys,
//! spraying sign-ins, trying promotion codes, or making Argon2 hash until the machine has no
//! CPU or memory left for the buyers.

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::num::NonZeroU32;

/// Sign-ins to one email in a burst; then one more every 12 seconds (five a minute).
pub const SIGN_INS_PER_EMAIL: u32 = 5;
/// How many emails the per-email sign-in buckets remember before those that are full again are
/// forgotten, so that a spray of made-up emails cannot grow them without bound.
const EMAILS_REMEMBERED: usize = 10_000;
/// Sign-ins one client address may try in a minute.
pub const SIGN_INS_PER_ADDRESS_PER_MINUTE: u32 = 30;
/// Sign-ups one client address may make in an hour.
pub const SIGN_UPS_PER_ADDRESS_PER_HOUR: u32 = 30;
/// Sign-ins and sign-ups, together, from everyone, each second (each hashes a password with
/// Argon2, tens of milliseconds of CPU and 19 MiB).
pub const ACCOUNT_CHECKS_PER_SECOND: u32 = 20;
/// Promotion codes tried on one checkout in a minute.
pub const CODES_PER_SESSION_PER_MINUTE: u32 = 10;
/// Promotion codes tried from one client address in a minute, over all checkouts.
pub const CODES_PER_ADDRESS_PER_MINUTE: u32 = 30;
/// Payment link visits from one client address in an hour: each makes a checkout session, so a
/// client opening a link in a loop would otherwise fill the database.
pub const LINK_VISITS_PER_ADDRESS_PER_HOUR: u32 = 60;
/// Deliveries an organization may have resent in a minute.
pub const RESENDS_PER_MINUTE: u32 = crate::domain::webhook::RESENDS_PER_MINUTE;

/// Every limit of one kassa instance.
pub struct Limits {
    /// API requests per key (by a digest of its secret), when limited.
    api_per_key: Option<DefaultKeyedRateLimiter<[u8; 16]>>,
    /// API requests per client address, when limited.
    api_per_address: Option<DefaultKeyedRateLimiter<IpAddr>>,
    sign_ins_per_address: DefaultKeyedRateLimiter<IpAddr>,
    /// Sign-ins per email (lower case), from anywhere: password guessing spread over addresses.
    sign_ins_per_email: DefaultKeyedRateLimiter<String>,
    sign_ups_per_address: DefaultKeyedRateLimiter<IpAddr>,
    account_checks: DefaultDirectRateLimiter,
    codes_per_session: DefaultKeyedRateLimiter<String>,
    codes_per_address: DefaultKeyedRateLimiter<IpAddr>,
    resends: DefaultKeyedRateLimiter<String>,
    link_visits_per_address: DefaultKeyedRateLimiter<IpAddr>,
}

/// A refusal: how many whole seconds (at least one) to wait before asking again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

fn per(n: u32, quota: fn(NonZeroU32) -> Quota) -> Quota {
    quota(NonZeroU32::new(n).expect("a positive quota"))
}

fn keyed<K: Clone + std::hash::Hash + Eq>(quota: Quota) -> DefaultKeyedRateLimiter<K> {
    governor::RateLimiter::keyed(quota)
}

/// Counts one request against `limiter`'s bucket for `key` (any keyed limiter of kassa's, such
/// as the payment attempts per address in `AppState`).
pub fn take<K: Clone + std::hash::Hash + Eq>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), RetryAfter> {
    limiter
        .check_key(key)
        .map_err(|not_until| RetryAfter(wait(&not_until)))
}

fn wait(not_until: &governor::NotUntil<governor::clock::QuantaInstant>) -> u64 {
    let now = governor::clock::Clock::now(&governor::clock::DefaultClock::default());
    not_until.wait_time_from(now).as_secs().max(1)
}

impl Limits {
    /// Limits with `api_per_second` API requests per key and per address (a burst of as many);
    /// `None` turns the API's limits off.
    pub fn new(api_per_second: Option<NonZeroU32>) -> Limits {
        Limits {
            api_per_key: api_per_second.map(|n| keyed(Quota::per_second(n))),
            api_per_address: api_per_second.map(|n| keyed(Quota::per_second(n))),
            sign_ins_per_address: keyed(per(SIGN_INS_PER_ADDRESS_PER_MINUTE, Quota::per_minute)),
            sign_ups_per_address: keyed(per(SIGN_UPS_PER_ADDRESS_PER_HOUR, Quota::per_hour)),
            sign_ins_per_email: keyed(per(SIGN_INS_PER_EMAIL, Quota::per_minute)),
            account_checks: governor::RateLimiter::direct(per(
                ACCOUNT_CHECKS_PER_SECOND,
                Quota::per_second,
            )),
            codes_per_session: keyed(per(CODES_PER_SESSION_PER_MINUTE, Quota::per_minute)),
            codes_per_address: keyed(per(CODES_PER_ADDRESS_PER_MINUTE, Quota::per_minute)),
            resends: keyed(per(RESENDS_PER_MINUTE, Quota::per_minute)),
            link_visits_per_address: keyed(per(LINK_VISITS_PER_ADDRESS_PER_HOUR, Quota::per_hour)),
        }
    }

    /// An API request from `address` with the secret `key` (as presented, known or not).
    pub fn api_request(
        &self,
        address: Option<IpAddr>,
        key: Option<&str>,
    ) -> Result<(), RetryAfter> {
        if let (Some(limiter), Some(address)) = (&self.api_per_address, address) {
            take(limiter, &address)?;
        }
        if let (Some(limiter), Some(key)) = (&self.api_per_key, key.filter(|k| !k.is_empty())) {
            // A digest, so that the buckets hold no secret.
            let digest = Sha256::digest(key.as_bytes());
            let mut short = [0u8; 16];
            short.copy_from_slice(&digest[..16]);
            take(limiter, &short)?;
        }
        Ok(())
    }

    /// A visit to a payment link from `address` (each makes a session).
    pub fn link_visit(&self, address: Option<IpAddr>) -> Result<(), RetryAfter> {
        match address {
            Some(address) => take(&self.link_visits_per_address, &address),
            None => Ok(()),
        }
    }

    /// A sign-in to `email` (lower case), wherever it comes from.
    pub fn sign_in_as(&self, email: &str) -> Result<(), RetryAfter> {
        if self.sign_ins_per_email.len() > EMAILS_REMEMBERED {
            self.sign_ins_per_email.retain_recent();
        }
        take(&self.sign_ins_per_email, &email.to_owned())
    }

    /// A sign-in (`sign_up` false) or sign-up from `address`: its address's bucket, then everyone's.
    pub fn account_check(&self, address: Option<IpAddr>, sign_up: bool) -> Result<(), RetryAfter> {
        if let Some(address) = address {
            let limiter = if sign_up {
                &self.sign_ups_per_address
            } else {
                &self.sign_ins_per_address
            };
            take(limiter, &address)?;
        }
        self.account_checks
            .check()
            .map_err(|not_until| RetryAfter(wait(&not_until)))
    }

    /// A promotion code tried on `session_id` from `address`.
    pub fn code_check(&self, session_id: &str, address: Option<IpAddr>) -> Result<(), RetryAfter> {
        take(&self.codes_per_session, &session_id.to_owned())?;
        match address {
            Some(address) => take(&self.codes_per_address, &address),
            None => Ok(()),
        }
    }

    /// A webhook delivery resent for `organization_id`.
    pub fn resend(&self, organization_id: &str) -> Result<(), RetryAfter> {
        take(&self.resends, &organization_id.to_owned())
    }

    /// Forgets the buckets that have filled up again, so that a spray of new keys, addresses or
    /// sessions cannot grow memory without bound. Called now and then by the background worker.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.api_per_key {
            limiter.retain_recent();
        }
        if let Some(limiter) = &self.api_per_address {
            limiter.retain_recent();
        }
        self.sign_ins_per_address.retain_recent();
        self.sign_ups_per_address.retain_recent();
        self.codes_per_session.retain_recent();
        self.codes_per_address.retain_recent();
        self.resends.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([203, 0, 113, last]))
    }

    #[test]
    fn api_requests_are_limited_per_key_and_per_address() {
        let limits = Limits::new(NonZeroU32::new(3));
        for _ in 0..3 {
            limits.api_request(address(1), Some("sk_test_a")).unwrap();
        }
        // The address is spent, whatever key it sends.
        assert_eq!(
            limits.api_request(address(1), Some("sk_test_b")),
            Err(RetryAfter(1))
        );
        // The key is spent, from whatever address.
        assert!(limits.api_request(address(2), Some("sk_test_a")).is_err());
        // Another address with another key is not.
        limits.api_request(address(3), Some("sk_test_c")).unwrap();
        let off = Limits::new(None);
        for _ in 0..1000 {
            off.api_request(address(1), Some("sk_test_a")).unwrap();
        }
    }

    #[test]
    fn sign_ins_to_one_email_are_limited_from_every_address() {
        let limits = Limits::new(None);
        for _ in 0..SIGN_INS_PER_EMAIL {
            limits.sign_in_as("ada@example.com").unwrap();
        }
        let RetryAfter(wait) = limits.sign_in_as("ada@example.com").unwrap_err();
        assert!((1..=12).contains(&wait), "{wait}");
        limits.sign_in_as("grace@example.com").unwrap();
    }

    #[test]
    fn sign_ins_and_sign_ups_are_limited_per_address_and_overall() {
        let limits = Limits::new(None);
        let ip = address(1).unwrap();
        for _ in 0..SIGN_UPS_PER_ADDRESS_PER_HOUR {
            take(&limits.sign_ups_per_address, &ip).unwrap();
        }
        assert!(limits.account_check(Some(ip), true).is_err());
        // Signing in is counted apart from signing up.
        limits.account_check(Some(ip), false).unwrap();
        // Everyone together: the overall bucket runs dry across addresses.
        let limits = Limits::new(None);
        let refused = (0..=ACCOUNT_CHECKS_PER_SECOND)
            .filter(|n| limits.account_check(address(*n as u8), false).is_err())
            .count();
        assert_eq!(refused, 1);
    }

    #[test]
    fn codes_are_limited_per_session_and_per_address() {
        let limits = Limits::new(None);
        for _ in 0..CODES_PER_SESSION_PER_MINUTE {
            limits.code_check("cs_1", address(1)).unwrap();
        }
        let RetryAfter(wait) = limits.code_check("cs_1", address(2)).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        // One address over many sessions.
        let limits = Limits::new(None);
        for n in 0..CODES_PER_ADDRESS_PER_MINUTE {
            limits.code_check(&format!("cs_{n}"), address(1)).unwrap();
        }
        assert!(limits.code_check("cs_other", address(1)).is_err());
        limits.code_check("cs_other", address(2)).unwrap();
    }
}
