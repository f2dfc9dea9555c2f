//! Where kassa may connect on a merchant's behalf: webhook endpoints are addresses anyone who
//! signs up can type, so they must not reach inside the network kassa runs in (its own port,
//! the database, a cloud's metadata service at 169.254.169.254).
//!
//! The address is checked when kassa connects, after resolving the name ([`PublicOnly`]), so a
//! name that resolved to a public address when the endpoint was saved and to a private one
//! later (DNS rebinding) is refused all the same. Addresses written as such in the URL never
//! reach a resolver and are checked before sending ([`WebhookTargets::refusal`]); the merchant
//! hears of them when saving the endpoint already.

use crate::domain::field::{Field, FieldError};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

/// Why an address is not one kassa connects to for a merchant, or `None` for a public one.
pub fn private_kind(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => private_v4(v4),
        IpAddr::V6(v6) => private_v6(v6),
    }
}

fn private_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_private() {
        "a private address"
    } else if ip.is_link_local() {
        "a link-local address"
    } else if a == 100 && (b & 0xc0) == 64 {
        "a carrier-grade NAT address"
    } else if ip.is_unspecified() || a == 0 {
        "an unspecified address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else if ip.is_broadcast() || a >= 240 {
        "a reserved address"
    } else {
        return None;
    })
}

fn private_v6(ip: Ipv6Addr) -> Option<&'static str> {
    // An IPv4 address carried in IPv6 (`::ffff:127.0.0.1`, NAT64's `64:ff9b::7f00:1`) is
    // judged as the IPv4 address it reaches.
    if let Some(v4) = ip.to_ipv4_mapped() {
        return private_v4(v4);
    }
    let segments = ip.segments();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., hi, lo] = segments;
        return private_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    }
    Some(if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_unspecified() {
        "an unspecified address"
    } else if ip.is_unicast_link_local() {
        "a link-local address"
    } else if ip.is_unique_local() {
        "a unique-local address"
    } else if ip.is_multicast() {
        "a multicast address"
    } else {
        return None;
    })
}

/// What the operator allows webhook endpoints to be.
#[derive(Clone, Copy, Debug)]
pub struct WebhookTargets {
    /// Private, loopback and link-local addresses too (`KASSA_WEBHOOKS_TO_PRIVATE_ADDRESSES`):
    /// for a kassa whose merchants are the operator's own services on one network, and for
    /// trying kassa out on one machine.
    pub private_allowed: bool,
}

impl WebhookTargets {
    /// Why kassa will not send to `url`, judged by what the URL itself says (an address, or
    /// `localhost`); names are judged again when connecting. `None` when it may.
    pub fn refusal(&self, url: &str) -> Option<String> {
        if self.private_allowed {
            return None;
        }
        let parsed = url::Url::parse(url).ok()?;
        let (shown, kind) = match parsed.host()? {
            url::Host::Ipv4(ip) => (ip.to_string(), private_v4(ip)?),
            url::Host::Ipv6(ip) => (ip.to_string(), private_v6(ip)?),
            url::Host::Domain(name) => {
                let name = name.trim_end_matches('.').to_ascii_lowercase();
                if name == "localhost" || name.ends_with(".localhost") {
                    (name, "a loopback address")
                } else {
                    return None;
                }
            }
        };
        Some(format!(
            "{shown} is {kind}; webhooks go only to addresses on the public internet"
        ))
    }

    /// As [`WebhookTargets::refusal`], as the error naming the endpoint's `url`.
    pub fn check(&self, url: &str) -> Result<(), FieldError> {
        match self.refusal(url) {
            Some(reason) => Err(FieldError::invalid(
                Field::WebhookUrl,
                format!("url is refused: {reason}"),
            )),
            None => Ok(()),
        }
    }

    /// Makes `builder` connect only where these targets allow: through [`PublicOnly`], and to no
    /// proxy named in the environment (which would resolve names where kassa cannot check them).
    pub fn apply(&self, builder: reqwest::ClientBuilder) -> reqwest::ClientBuilder {
        if self.private_allowed {
            builder
        } else {
            builder.no_proxy().dns_resolver(Arc::new(PublicOnly))
        }
    }
}

/// Resolves names as the system does and keeps only public addresses: a name with none left is
/// an error, and the connection is never attempted.
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let resolved: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = resolved
                .iter()
                .copied()
                .filter(|a| private_kind(a.ip()).is_none())
                .collect();
            match (public.is_empty(), resolved.first()) {
                (false, _) => Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs),
                (true, Some(first)) => Err(Box::new(Refused(format!(
                    "{host} resolves to {} ({}); webhooks go only to addresses on the public internet",
                    first.ip(),
                    private_kind(first.ip()).unwrap_or("a private address")
                )))
                    as Box<dyn std::error::Error + Send + Sync>),
                (true, None) => Err(format!("{host} resolves to no address").into()),
            }
        })
    }
}

/// A connection kassa refused to make, and why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(ip: &str) -> Option<&'static str> {
        private_kind(ip.parse().unwrap())
    }

    #[test]
    fn inside_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "127.8.9.10",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "febf::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ] {
            assert!(kind(ip).is_some(), "{ip} should be refused");
        }
    }

    #[test]
    fn public_addresses_pass() {
        for ip in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.0.1",
            "172.32.0.1",
            "192.169.0.1",
            "169.255.0.1",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert_eq!(kind(ip), None, "{ip} is public");
        }
    }

    #[test]
    fn urls_naming_inside_addresses_are_refused_unless_the_operator_allows() {
        let closed = WebhookTargets {
            private_allowed: false,
        };
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://169.254.169.254/latest/meta-data",
            "http://localhost:3000/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://2130706433/",
            "http://0x7f.1/",
        ] {
            let reason = closed.refusal(url).unwrap_or_else(|| panic!("{url}"));
            assert!(reason.contains("public internet"), "{reason}");
            assert_eq!(closed.check(url).unwrap_err().field, Field::WebhookUrl);
        }
        assert_eq!(closed.refusal("https://hooks.shop.example/kassa"), None);
        assert_eq!(closed.refusal("https://93.184.216.34/kassa"), None);
        let open = WebhookTargets {
            private_allowed: true,
        };
        assert_eq!(open.refusal("http://127.0.0.1:8080/hook"), None);
    }

    #[tokio::test]
    async fn names_resolving_inside_are_refused_when_connecting() {
        use reqwest::dns::Resolve;
        let refused = PublicOnly
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .expect("localhost resolves only inside");
        assert!(
            refused.to_string().contains("localhost resolves to"),
            "{refused}"
        );
    }
}
