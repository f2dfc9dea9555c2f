//! Identifiers: a prefix that says what the object is, then 24 random characters.

use rand::Rng;
use rand::distr::Alphanumeric;

/// Random characters in an id: 24 from 62 symbols, about 143 bits, unguessable.
const ID_RANDOM_CHARS: usize = 24;

/// A fresh identifier such as `org_3kTMd9q…`, drawn from the operating system's CSPRNG.
pub fn new_id(prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 1 + ID_RANDOM_CHARS);
    id.push_str(prefix);
    id.push('_');
    id.extend(random_alphanumeric(ID_RANDOM_CHARS));
    id
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
    fn ids_carry_their_prefix_and_enough_randomness() {
        let id = new_id("prod");
        assert!(id.starts_with("prod_"));
        let random = &id["prod_".len()..];
        assert_eq!(random.len(), ID_RANDOM_CHARS);
        assert!(random.chars().all(|c| c.is_ascii_alphanumeric()));
        // 62^24 > 2^128
        assert!((ID_RANDOM_CHARS as f64) * 62f64.log2() >= 128.0);
    }

    #[test]
    fn ids_do_not_repeat() {
        let ids: HashSet<String> = (0..10_000).map(|_| new_id("cs")).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
