//! Identifiers: a prefix that says what the object is, the time it was made, then 24 random
//! characters.
//!
//! The time comes first so that ids made one after another sort together as text: a new row's id
//! lands beside the last ones in its table's primary-key index instead of at a random place in it.
//! With random ids each insert dirtied a page of its own in every index keyed by id, and each such
//! page is written to SQLite's log at commit (and to the database file at the next checkpoint); a
//! batch of sessions created together now shares a few.

use rand::Rng;
use rand::distr::Alphanumeric;
use std::time::{SystemTime, UNIX_EPOCH};

/// Random characters in an id: 24 from 62 symbols, about 143 bits, unguessable.
const ID_RANDOM_CHARS: usize = 24;

/// Characters of the time part: milliseconds since 1970 in base 62, enough until the year 8888.
const ID_TIME_CHARS: usize = 8;

/// Base 62 digits in ASCII order, so that a fixed-width number sorts as text as it does as a number.
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A fresh identifier such as `org_0lQ3gUkX3kTMd9q…`: the prefix, the time now, then random
/// characters drawn from the operating system's CSPRNG.
pub fn new_id(prefix: &str) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64);
    let mut id = String::with_capacity(prefix.len() + 1 + ID_TIME_CHARS + ID_RANDOM_CHARS);
    id.push_str(prefix);
    id.push('_');
    push_time(&mut id, now);
    id.extend(random_alphanumeric(ID_RANDOM_CHARS));
    id
}

/// Appends `millis` as [`ID_TIME_CHARS`] base 62 digits, most significant first.
fn push_time(id: &mut String, mut millis: u64) {
    let mut digits = [b'0'; ID_TIME_CHARS];
    for digit in digits.iter_mut().rev() {
        *digit = BASE62[(millis % 62) as usize];
        millis /= 62;
    }
    id.extend(digits.iter().map(|&d| char::from(d)));
}

/// `len` characters from `[A-Za-z0-9]`, from the thread-local CSPRNG (ChaCha, seeded by the OS).
pub fn random_alphanumeric(len: usize) -> impl Iterator<Item = char> {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_carry_their_prefix_the_time_and_enough_randomness() {
        let id = new_id("prod");
        assert!(id.starts_with("prod_"));
        let rest = &id["prod_".len()..];
        assert_eq!(rest.len(), ID_TIME_CHARS + ID_RANDOM_CHARS);
        assert!(rest.chars().all(|c| c.is_ascii_alphanumeric()));
        // 62^24 > 2^128
        assert!((ID_RANDOM_CHARS as f64) * 62f64.log2() >= 128.0);
        // The time part reads back as now, to the millisecond.
        let millis = rest[..ID_TIME_CHARS].bytes().fold(0u64, |n, d| {
            n * 62 + BASE62.iter().position(|&b| b == d).unwrap() as u64
        });
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        assert!(now.abs_diff(millis) < 60_000, "{millis} is not about {now}");
    }

    #[test]
    fn ids_made_later_sort_after_as_text() {
        let first = new_id("cs_test");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = new_id("cs_test");
        assert!(first < second, "{first} then {second}");
    }

    proptest::proptest! {
        #[test]
        fn the_time_part_sorts_as_text_as_the_times_do(a in 0u64..62u64.pow(8), b in 0u64..62u64.pow(8)) {
            let (mut x, mut y) = (String::new(), String::new());
            push_time(&mut x, a);
            push_time(&mut y, b);
            proptest::prop_assert_eq!(x.len(), ID_TIME_CHARS);
            proptest::prop_assert_eq!(a.cmp(&b), x.cmp(&y));
        }
    }

    #[test]
    fn ids_do_not_repeat() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_id("cs")).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
