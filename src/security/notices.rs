//! Messages a redirect carries to the checkout page (`?error.card_number=…`, `?unavailable=…`,
//! after a payment form posted without JavaScript), signed so that the page shows only kassa's
//! own: a link with words of somebody else's in its address shows none of them on the page a
//! buyer trusts with their card.

use crate::server_fns::checkout::is_notice;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The installation key ([`crate::store::Store::installation_key`]) notices are signed with.
pub const KEY_PURPOSE: &str = "checkout-page-notices";

/// The query parameter carrying the signature.
pub const SIGNATURE_PARAM: &str = "notice_sig";

fn mac(key: &[u8; 32], session_id: &str, params: &[(String, String)]) -> Hmac<Sha256> {
    let mut notices: Vec<&(String, String)> = params.iter().filter(|(k, _)| is_notice(k)).collect();
    notices.sort();
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(session_id.as_bytes());
    for (name, value) in notices {
        // Lengths first, so that no two lists of pairs sign the same bytes.
        for part in [name, value] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
    }
    mac
}

/// The signature of the notices among `params`, for `session_id`'s page.
pub fn sign(key: &[u8; 32], session_id: &str, params: &[(String, String)]) -> String {
    hex::encode(mac(key, session_id, params).finalize().into_bytes())
}

/// The notices among `query` when its signature is theirs, for `session_id`; none otherwise.
pub fn verified(
    key: &[u8; 32],
    session_id: &str,
    query: &[(String, String)],
) -> Vec<(String, String)> {
    let signature = query
        .iter()
        .find(|(k, _)| k == SIGNATURE_PARAM)
        .and_then(|(_, v)| hex::decode(v).ok());
    match signature {
        Some(signature) if mac(key, session_id, query).verify_slice(&signature).is_ok() => query
            .iter()
            .filter(|(k, _)| is_notice(k))
            .cloned()
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_notices_signed_for_their_page_are_shown() {
        let key = [3; 32];
        let notices = pairs(&[
            ("error.card_number", "Enter a valid card number."),
            ("value.email", "ada@example.com"),
            ("unavailable", "Too many attempts."),
        ]);
        let mut query = notices.clone();
        query.push((SIGNATURE_PARAM.into(), sign(&key, "cs_1", &notices)));
        let shown = verified(&key, "cs_1", &query);
        assert_eq!(
            shown,
            pairs(&[
                ("error.card_number", "Enter a valid card number."),
                ("unavailable", "Too many attempts.")
            ])
        );
        // Another page, another key, a changed word, an added notice, no signature: none.
        assert!(verified(&key, "cs_2", &query).is_empty());
        assert!(verified(&[4; 32], "cs_1", &query).is_empty());
        let mut changed = query.clone();
        changed[2].1 = "Call +1 555 0100 to pay by phone.".into();
        assert!(verified(&key, "cs_1", &changed).is_empty());
        let mut added = query.clone();
        added.push(("error.email".into(), "Send your card to us.".into()));
        assert!(verified(&key, "cs_1", &added).is_empty());
        assert!(verified(&key, "cs_1", &notices).is_empty());
        // What the buyer typed is no notice and is not signed: it may change freely.
        let mut retyped = query.clone();
        retyped[1].1 = "grace@example.com".into();
        assert_eq!(verified(&key, "cs_1", &retyped), shown);
    }
}
