//! Short-lived copies of the rows nearly every API request or checkout page reads and that seldom
//! change: API keys by the hash of their secret, prices and products by id, and each organization's
//! default pricing model, tax rates, storefront (its name and branding, which every checkout page
//! shows) and test-mode processor. Creating a session read four such rows before writing anything;
//! served from memory, the request goes to the database only to write.
//!
//! A change made through this [`Store`](super::Store) clears the copies it affects at once, so
//! within one process a revoked key or an archived price is never served from memory. A change made
//! elsewhere (another kassa instance on the same PostgreSQL, or the CLI on the same SQLite file)
//! reaches this process when its copy expires: after [`TTL`] at most.

use hashlink::LruCache;
use std::borrow::Borrow;
use std::hash::Hash;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long a copy is served before the database is asked again.
pub const TTL: Duration = Duration::from_secs(1);
/// How long a secret no key has is remembered as unknown. A key is made with a secret nobody
/// has seen, so no secret is remembered as unknown and then made; a revoked key stays unknown.
pub const UNKNOWN_KEY_TTL: Duration = Duration::from_secs(60);
/// Copies kept of each kind of row; the least recently used goes first.
const CAPACITY: usize = 4096;

/// Copies of one kind of row, each good for a time.
pub(crate) struct Recent<K, V> {
    ttl: Duration,
    entries: Mutex<LruCache<K, (Instant, V)>>,
    /// Bumped by every [`Recent::clear`]: a row read from the database before a clear may be
    /// older than the change that cleared, so it is not kept (see [`Recent::ticket`]).
    generation: AtomicU64,
}

/// Taken before reading a row from the database, handed back to [`Recent::keep`] with the row.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket(u64);

impl<K: Hash + Eq, V: Clone> Recent<K, V> {
    pub(crate) fn new(capacity: usize, ttl: Duration) -> Self {
        Recent {
            ttl,
            entries: Mutex::new(LruCache::new(capacity)),
            generation: AtomicU64::new(0),
        }
    }

    /// The copy of `key`'s row, unless there is none or it has expired.
    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((kept_at, value)) if kept_at.elapsed() < self.ttl => Some(value.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Take one before reading the row that [`Recent::keep`] will be given.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket(self.generation.load(Ordering::Acquire))
    }

    /// Keeps a copy of a row read from the database, unless a change cleared this cache since
    /// `ticket` was taken.
    pub(crate) fn keep(&self, ticket: Ticket, key: K, value: V) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Checked under the lock that `clear` takes, so a clear either comes before this check
        // (and the row is dropped) or after the insert (and removes it).
        if self.generation.load(Ordering::Acquire) == ticket.0 {
            entries.insert(key, (Instant::now(), value));
        }
    }

    /// Forgets every copy: called after a change to rows of this kind.
    pub(crate) fn clear(&self) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }
}

/// The copies one [`Store`](super::Store) keeps, shared by its clones.
pub(crate) struct Caches {
    /// Active API keys by the hex SHA-256 of their secret.
    pub api_keys: Recent<String, super::ApiKeyRecord>,
    /// Hashes of well-formed secrets no key has, for [`UNKNOWN_KEY_TTL`]: a client guessing keys,
    /// or sending a revoked one in a loop, is answered from memory.
    pub unknown_api_keys: Recent<String, ()>,
    /// Prices by id (ids are unique across organizations; the reader checks the owner).
    pub prices: Recent<String, super::PriceRecord>,
    /// Products by id, likewise.
    pub products: Recent<String, super::ProductRecord>,
    /// Default pricing models by organization and mode.
    pub default_pricing_models: Recent<(String, bool), super::PricingModelRecord>,
    /// Every tax rate of an organization and mode, archived ones too, by creation (unless it has
    /// more than fit: [`Store::tax_rates_at`](super::Store::tax_rates_at)).
    pub tax_rates: Recent<(String, bool), std::sync::Arc<Vec<super::TaxRateRecord>>>,
    /// What buyers read of an organization: its name and branding.
    pub storefronts: Recent<String, super::Storefront>,
    /// What takes each organization's test-mode payments (`kassa` or `stripe`).
    pub test_mode_processors: Recent<String, String>,
    /// The installation's root secret, once read (it never changes).
    pub installation_root: tokio::sync::OnceCell<Vec<u8>>,
}

impl Default for Caches {
    fn default() -> Self {
        Caches {
            api_keys: Recent::new(CAPACITY, TTL),
            unknown_api_keys: Recent::new(CAPACITY, UNKNOWN_KEY_TTL),
            prices: Recent::new(CAPACITY, TTL),
            products: Recent::new(CAPACITY, TTL),
            default_pricing_models: Recent::new(CAPACITY, TTL),
            tax_rates: Recent::new(CAPACITY, TTL),
            storefronts: Recent::new(CAPACITY, TTL),
            test_mode_processors: Recent::new(CAPACITY, TTL),
            installation_root: tokio::sync::OnceCell::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_copy_is_served_until_it_expires() {
        let cache: Recent<String, u32> = Recent::new(8, Duration::from_millis(50));
        cache.keep(cache.ticket(), "a".to_owned(), 1);
        assert_eq!(cache.get("a"), Some(1));
        assert_eq!(cache.get("b"), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(cache.get("a"), None);
    }

    #[test]
    fn a_row_read_before_a_change_is_not_kept_after_it() {
        let cache: Recent<String, u32> = Recent::new(8, TTL);
        // A reader takes its ticket and reads the old row; meanwhile a writer changes it and
        // clears. The old row must not be kept.
        let ticket = cache.ticket();
        cache.clear();
        cache.keep(ticket, "a".to_owned(), 1);
        assert_eq!(cache.get("a"), None);
        // A reader that started after the change keeps its row.
        cache.keep(cache.ticket(), "a".to_owned(), 2);
        assert_eq!(cache.get("a"), Some(2));
    }

    #[test]
    fn clearing_forgets_every_copy() {
        let cache: Recent<String, u32> = Recent::new(8, TTL);
        cache.keep(cache.ticket(), "a".to_owned(), 1);
        cache.keep(cache.ticket(), "b".to_owned(), 2);
        cache.clear();
        assert_eq!((cache.get("a"), cache.get("b")), (None, None));
    }

    #[test]
    fn the_least_recently_used_copy_goes_first_when_full() {
        let cache: Recent<String, u32> = Recent::new(2, TTL);
        cache.keep(cache.ticket(), "a".to_owned(), 1);
        cache.keep(cache.ticket(), "b".to_owned(), 2);
        assert_eq!(cache.get("a"), Some(1));
        cache.keep(cache.ticket(), "c".to_owned(), 3);
        assert_eq!(cache.get("b"), None);
        assert_eq!((cache.get("a"), cache.get("c")), (Some(1), Some(3)));
    }
}
