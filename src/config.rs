//! Configuration: environment variables, overridden by flags, validated once at start-up.
//!
//! Every setting has a `KASSA_…` variable and a flag. A bad value stops kassa before it binds a
//! port or opens a database, with a message that names the variable and the flag.

use crate::store::{PoolSettings, engine_of};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// kassa: a self-hostable hosted checkout.
#[derive(Debug, Parser)]
#[command(name = "kassa", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: RawSettings,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum Command {
    /// Serve the API, the checkout pages and the dashboard (the default).
    Serve,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Create the demo organization if it is missing and print its credentials as JSON.
    Demo,
    /// Dashboard accounts, made by the operator (when sign-up is closed, the only way).
    #[command(subcommand)]
    User(UserCommand),
    /// An organization's API keys: make one, list them, revoke one.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Copy the SQLite database to FILE while kassa runs (a consistent snapshot). For
    /// PostgreSQL, use pg_dump.
    Backup {
        /// Where the copy goes; it must not exist yet.
        file: PathBuf,
    },
    /// Forward an organization's events, as they happen, to a local address, signed like
    /// webhooks with a secret printed at the start (for development, as `stripe listen`).
    /// Prints one JSON line per event forwarded; runs until stopped.
    Listen {
        /// Where to POST each event (e.g. http://localhost:4242/webhooks).
        #[arg(long)]
        forward_to: String,
        /// Only these event types (comma-separated); all when absent.
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        #[command(flatten)]
        api: ApiClient,
    },
    /// Make a test-mode event happen through kassa's real path, so that every webhook endpoint
    /// (and `kassa listen`) that wants it gets it: a session made and paid, declined or
    /// expired through the API and the checkout's own confirm.
    Trigger {
        /// The event to make happen.
        #[arg(value_enum)]
        event: TriggerEvent,
        #[command(flatten)]
        api: ApiClient,
    },
}

/// The kassa a client command talks to, and the key it acts with.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ApiClient {
    /// A secret key of the organization (sk_test_…; `trigger` takes test keys only).
    #[arg(long, env = "KASSA_API_KEY", hide_env_values = true)]
    pub api_key: String,
    /// Where that kassa is.
    #[arg(long, env = "KASSA_URL", default_value = "http://127.0.0.1:3000")]
    pub url: String,
}

/// What `kassa trigger` can make happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TriggerEvent {
    /// A one-time purchase paid with the 4242 test card (also payment.succeeded,
    /// customer.created, purchase.completed).
    #[value(name = "checkout.session.completed")]
    CheckoutSessionCompleted,
    /// A session expired by the merchant.
    #[value(name = "checkout.session.expired")]
    CheckoutSessionExpired,
    /// A card declined (4000 0000 0000 0002).
    #[value(name = "payment.failed")]
    PaymentFailed,
    /// A monthly subscription started by a paid checkout (also checkout.session.completed).
    #[value(name = "subscription.created")]
    SubscriptionCreated,
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum KeysCommand {
    /// Make a secret key for an organization and print it as JSON (the secret this once).
    Create {
        /// The organization's id (org_…), as `kassa user create` and `kassa demo` print it.
        #[arg(long)]
        organization: String,
        /// `test` or `live`; a live key moves real money.
        #[arg(long, default_value = "test", value_parser = ["test", "live"])]
        mode: String,
        /// What the key is for, shown in the dashboard's list.
        #[arg(long, default_value = "Made with kassa keys create")]
        name: String,
    },
    /// Print an organization's keys, newest first, as JSON lines (never a secret: only the
    /// first characters they are recognized by).
    List {
        /// The organization's id.
        #[arg(long)]
        organization: String,
    },
    /// Revoke a key: it authenticates nothing from now on (within a second on every instance).
    Revoke {
        /// The organization's id.
        #[arg(long)]
        organization: String,
        /// The key's id (key_…), as `kassa keys list` prints it.
        key: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum UserCommand {
    /// Make an organization, its owner and a test-mode API key, as signing up does, and print
    /// them as JSON (the key's secret this once). The password is read from
    /// KASSA_USER_PASSWORD, or else from the first line of standard input.
    Create {
        /// The owner's email, which they sign in with.
        #[arg(long)]
        email: String,
        /// The organization's name.
        #[arg(long)]
        organization: String,
    },
}

/// Settings as given, before validation.
#[derive(Debug, Clone, Args)]
pub struct RawSettings {
    /// Database: sqlite://FILE (created when missing) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "KASSA_DATABASE_URL",
        default_value = "sqlite://kassa.db",
        global = true
    )]
    pub database_url: String,
    /// Address to listen on.
    #[arg(
        long,
        env = "KASSA_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: String,
    /// Base of the URLs kassa hands out (checkout links, redirects). Default: http://KASSA_ADDR.
    #[arg(long, env = "KASSA_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Log filter: a level (error, warn, info, debug, trace) or tracing directives.
    #[arg(long, env = "KASSA_LOG", default_value = "info", global = true)]
    pub log: String,
    /// Log format: text (human-readable lines) or json (one object per line).
    #[arg(long, env = "KASSA_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: String,
    /// Most connections to PostgreSQL (or SQLite readers) this process opens.
    #[arg(
        long,
        env = "KASSA_DATABASE_MAX_CONNECTIONS",
        default_value = "16",
        global = true
    )]
    pub database_max_connections: String,
    /// Where the built site (pkg/, assets) is. Default: target/site, found from the working
    /// folder or beside the binary.
    #[arg(long, env = "KASSA_SITE_ROOT", global = true)]
    pub site_root: Option<PathBuf>,
    /// Seconds a webhook endpoint has to answer a delivery before the attempt counts as failed.
    #[arg(
        long,
        env = "KASSA_WEBHOOK_TIMEOUT",
        default_value = "10",
        global = true
    )]
    pub webhook_timeout: String,
    /// Seconds an API request's hold on its Idempotency-Key lasts unless renewed (it is renewed
    /// while the request runs): a retry of a request whose process died waits this long.
    #[arg(
        long,
        env = "KASSA_IDEMPOTENCY_HOLD",
        default_value = "60",
        global = true
    )]
    pub idempotency_hold: String,
    /// Payment attempts one client address may start in an hour, over all sessions (card
    /// testing); 0 turns the limit off.
    #[arg(
        long,
        env = "KASSA_PAYMENT_ATTEMPTS_PER_ADDRESS",
        default_value = "60",
        global = true
    )]
    pub payment_attempts_per_address: String,
    /// API requests one key, and one client address, may make each second (a burst of as many,
    /// then as many each second); 0 turns the limit off. Answered with 429 and Retry-After.
    #[arg(
        long,
        env = "KASSA_API_REQUESTS_PER_SECOND",
        default_value = "100",
        global = true
    )]
    pub api_requests_per_second: String,
    /// A header in which a balancer in front of kassa names the client's address (for example
    /// x-forwarded-for; its last address is taken). Unset, the address is the connection's peer.
    /// Set it only behind such a balancer: clients can write the header themselves.
    #[arg(long, env = "KASSA_CLIENT_ADDRESS_HEADER", global = true)]
    pub client_address_header: Option<String>,
    /// The key kassa seals processor secrets with (organizations' Stripe keys): 32 bytes,
    /// base64 (`openssl rand -base64 32`). Without it kassa keeps no processor keys, so takes no
    /// live payments; with processor keys stored it refuses to start without it.
    #[arg(
        long,
        env = "KASSA_ENCRYPTION_KEY",
        global = true,
        hide_env_values = true
    )]
    pub encryption_key: Option<String>,
    /// Whether webhook endpoints may be private, loopback or link-local addresses (true/false).
    /// Off by default: anyone who signs up could otherwise make kassa call into its own network.
    /// Turn it on only where every merchant is trusted, or to try kassa out on one machine.
    #[arg(
        long,
        env = "KASSA_WEBHOOKS_TO_PRIVATE_ADDRESSES",
        default_value = "false",
        global = true
    )]
    pub webhooks_to_private_addresses: String,
    /// Whether anyone may sign up for an organization in the dashboard: open or closed. Closed,
    /// `kassa user create` makes accounts.
    #[arg(long, env = "KASSA_SIGN_UP", default_value = "open", global = true)]
    pub sign_up: String,
    /// Where Stripe's API is: Stripe itself, or a stand-in for tests.
    #[arg(
        long,
        env = "KASSA_STRIPE_API_BASE",
        default_value = crate::payments::stripe::DEFAULT_API_BASE,
        global = true
    )]
    pub stripe_api_base: String,
    /// The SMTP server buyers' mail (receipts, failed renewals, trials ending) goes through:
    /// smtp://HOST:PORT, smtp://USER:PASSWORD@HOST:587?tls=required (STARTTLS) or
    /// smtps://USER:PASSWORD@HOST:465. Unset, mail is kept and shown in the dashboard instead.
    #[arg(long, env = "KASSA_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// The address buyers' mail is from (shown with the merchant's name).
    #[arg(
        long,
        env = "KASSA_MAIL_FROM",
        default_value = "kassa <no-reply@localhost>",
        global = true
    )]
    pub mail_from: String,
    /// An address for a second listener that serves /metrics alone (e.g. 127.0.0.1:9464), kept
    /// off the public one.
    #[arg(long, env = "KASSA_METRICS_ADDR", global = true)]
    pub metrics_addr: Option<String>,
    /// A token (16 characters or more) that opens /metrics on the public listener to
    /// `Authorization: Bearer TOKEN`. Without it, and without KASSA_METRICS_ADDR, there are no
    /// metrics.
    #[arg(
        long,
        env = "KASSA_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    pub metrics_token: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub addr: SocketAddr,
    /// `None` means "derive from the address kassa actually bound".
    pub public_url: Option<Url>,
    pub log: String,
    pub log_format: LogFormat,
    pub pool: PoolSettings,
    pub site_root: PathBuf,
    pub webhook_timeout: Duration,
    /// How long a request's hold on its idempotency key lasts between renewals.
    pub idempotency_hold: Duration,
    /// Payment attempts per client address and hour; `None` when the limit is off.
    pub payment_attempts_per_address: Option<std::num::NonZeroU32>,
    /// API requests per key and per client address each second; `None` when not limited.
    pub api_requests_per_second: Option<std::num::NonZeroU32>,
    /// The header naming the client's address, lower case, when a balancer sets it.
    pub client_address_header: Option<axum::http::HeaderName>,
    /// The key processor secrets are sealed with, when the operator gave one.
    pub encryption_key: Option<crate::service::vault::EncryptionKey>,
    /// Stripe's API, without a trailing slash.
    pub stripe_api_base: String,
    /// Where webhook endpoints may be.
    pub webhook_targets: crate::security::outbound::WebhookTargets,
    /// Whether the dashboard's sign-up is open to anyone.
    pub sign_up_open: bool,
    /// Where buyers' mail goes out, when the operator gave an SMTP server.
    pub mailer: Option<crate::service::mail::Mailer>,
    /// The listener that serves /metrics alone, when the operator gave one.
    pub metrics_addr: Option<SocketAddr>,
    /// The bearer token that opens /metrics on the public listener, when the operator gave one.
    pub metrics_token: Option<std::sync::Arc<str>>,
}

/// A setting that failed validation, named by its variable and flag.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {variable} (--{flag}): {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub flag: &'static str,
    pub reason: String,
}

impl ConfigError {
    fn new(variable: &'static str, flag: &'static str, reason: impl Into<String>) -> Self {
        ConfigError {
            variable,
            flag,
            reason: reason.into(),
        }
    }
}

impl RawSettings {
    pub fn validate(&self) -> Result<Settings, ConfigError> {
        engine_of(&self.database_url).map_err(|_| {
            ConfigError::new(
                "KASSA_DATABASE_URL",
                "database-url",
                format!(
                    "`{}` is neither sqlite://FILE nor postgres://USER@HOST/DATABASE",
                    redact_url(&self.database_url)
                ),
            )
        })?;
        let addr: SocketAddr = self.addr.parse().map_err(|_| {
            ConfigError::new(
                "KASSA_ADDR",
                "addr",
                format!(
                    "`{}` is not an IP address and port such as 127.0.0.1:3000",
                    self.addr
                ),
            )
        })?;
        let public_url = self
            .public_url
            .as_deref()
            .map(parse_public_url)
            .transpose()?;
        tracing_subscriber::EnvFilter::try_new(&self.log).map_err(|e| {
            ConfigError::new(
                "KASSA_LOG",
                "log",
                format!("`{}` is not a log filter: {e}", self.log),
            )
        })?;
        let log_format = match self.log_format.as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::new(
                    "KASSA_LOG_FORMAT",
                    "log-format",
                    format!("`{other}` is neither `text` nor `json`"),
                ));
            }
        };
        let max_connections = self
            .database_max_connections
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .ok_or_else(|| {
                ConfigError::new(
                    "KASSA_DATABASE_MAX_CONNECTIONS",
                    "database-max-connections",
                    format!(
                        "`{}` is not a number from 1 to 1000",
                        self.database_max_connections
                    ),
                )
            })?;
        let webhook_timeout = self
            .webhook_timeout
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=60).contains(n))
            .map(Duration::from_secs)
            .ok_or_else(|| {
                ConfigError::new(
                    "KASSA_WEBHOOK_TIMEOUT",
                    "webhook-timeout",
                    format!(
                        "`{}` is not a number of seconds from 1 to 60",
                        self.webhook_timeout
                    ),
                )
            })?;
        let idempotency_hold = self
            .idempotency_hold
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=600).contains(n))
            .map(Duration::from_secs)
            .ok_or_else(|| {
                ConfigError::new(
                    "KASSA_IDEMPOTENCY_HOLD",
                    "idempotency-hold",
                    format!(
                        "`{}` is not a number of seconds from 1 to 600",
                        self.idempotency_hold
                    ),
                )
            })?;
        let payment_attempts_per_address = self
            .payment_attempts_per_address
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= 100_000)
            .ok_or_else(|| {
                ConfigError::new(
                    "KASSA_PAYMENT_ATTEMPTS_PER_ADDRESS",
                    "payment-attempts-per-address",
                    format!(
                        "`{}` is not a number from 0 (no limit) to 100000",
                        self.payment_attempts_per_address
                    ),
                )
            })?;
        let api_requests_per_second = self
            .api_requests_per_second
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= 1_000_000)
            .ok_or_else(|| {
                ConfigError::new(
                    "KASSA_API_REQUESTS_PER_SECOND",
                    "api-requests-per-second",
                    format!(
                        "`{}` is not a number from 0 (no limit) to 1000000",
                        self.api_requests_per_second
                    ),
                )
            })?;
        let client_address_header = self
            .client_address_header
            .as_deref()
            .map(|name| {
                axum::http::HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes())
                    .map_err(|_| {
                        ConfigError::new(
                            "KASSA_CLIENT_ADDRESS_HEADER",
                            "client-address-header",
                            format!("`{name}` is not a header name"),
                        )
                    })
            })
            .transpose()?;
        let encryption_key = self
            .encryption_key
            .as_deref()
            .filter(|k| !k.trim().is_empty())
            .map(|k| {
                crate::service::vault::EncryptionKey::parse(k)
                    .map_err(|why| ConfigError::new("KASSA_ENCRYPTION_KEY", "encryption-key", why))
            })
            .transpose()?;
        let stripe_api_base = Url::parse(&self.stripe_api_base)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .map(|u| u.as_str().trim_end_matches('/').to_owned())
            .ok_or_else(|| {
                ConfigError::new(
                    "KASSA_STRIPE_API_BASE",
                    "stripe-api-base",
                    format!("`{}` is not an http(s) URL", self.stripe_api_base),
                )
            })?;
        let private_allowed = parse_switch(
            &self.webhooks_to_private_addresses,
            "KASSA_WEBHOOKS_TO_PRIVATE_ADDRESSES",
            "webhooks-to-private-addresses",
        )?;
        let sign_up_open = match self.sign_up.trim() {
            "open" => true,
            "closed" => false,
            other => {
                return Err(ConfigError::new(
                    "KASSA_SIGN_UP",
                    "sign-up",
                    format!("`{other}` is neither `open` nor `closed`"),
                ));
            }
        };
        let mailer = match self
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            None => None,
            Some(url) => {
                let scheme_ok = url.starts_with("smtp://") || url.starts_with("smtps://");
                if !scheme_ok {
                    return Err(ConfigError::new(
                        "KASSA_SMTP_URL",
                        "smtp-url",
                        "expected smtp://HOST:PORT or smtps://USER:PASSWORD@HOST:465",
                    ));
                }
                Some(
                    crate::service::mail::Mailer::new(url, self.mail_from.trim())
                        .map_err(|reason| ConfigError::new("KASSA_SMTP_URL", "smtp-url", reason))?,
                )
            }
        };
        let metrics_addr = self
            .metrics_addr
            .as_deref()
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse::<SocketAddr>().map_err(|_| {
                    ConfigError::new(
                        "KASSA_METRICS_ADDR",
                        "metrics-addr",
                        format!("`{a}` is not an address and port such as 127.0.0.1:9464"),
                    )
                })
            })
            .transpose()?;
        let metrics_token = match self.metrics_token.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(token) if token.len() >= 16 && token.bytes().all(|b| b.is_ascii_graphic()) => {
                Some(std::sync::Arc::from(token))
            }
            Some(_) => {
                return Err(ConfigError::new(
                    "KASSA_METRICS_TOKEN",
                    "metrics-token",
                    "give 16 or more printable characters without spaces (openssl rand -hex 16)",
                ));
            }
        };
        Ok(Settings {
            database_url: self.database_url.clone(),
            addr,
            public_url,
            log: self.log.clone(),
            log_format,
            pool: PoolSettings {
                max_connections,
                ..PoolSettings::default()
            },
            site_root: self.site_root.clone().unwrap_or_else(default_site_root),
            webhook_timeout,
            idempotency_hold,
            payment_attempts_per_address: std::num::NonZeroU32::new(payment_attempts_per_address),
            api_requests_per_second: std::num::NonZeroU32::new(api_requests_per_second),
            client_address_header,
            encryption_key,
            stripe_api_base,
            webhook_targets: crate::security::outbound::WebhookTargets { private_allowed },
            sign_up_open,
            mailer,
            metrics_addr,
            metrics_token,
        })
    }
}

/// A yes-or-no setting: true or false (1/0, yes/no, on/off also read).
fn parse_switch(
    value: &str,
    variable: &'static str,
    flag: &'static str,
) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        other => Err(ConfigError::new(
            variable,
            flag,
            format!("`{other}` is neither `true` nor `false`"),
        )),
    }
}

fn parse_public_url(raw: &str) -> Result<Url, ConfigError> {
    let fail = |reason: String| ConfigError::new("KASSA_PUBLIC_URL", "public-url", reason);
    let url = Url::parse(raw).map_err(|e| fail(format!("`{raw}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(fail(format!("`{raw}` must start with http:// or https://")));
    }
    if url.host().is_none() {
        return Err(fail(format!("`{raw}` has no host")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(fail(format!("`{raw}` must not have a query or a fragment")));
    }
    Ok(url)
}

impl Settings {
    /// The public base URL without a trailing slash, derived from `bound` when none was configured.
    pub fn public_base(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => default_public_base(bound),
        }
    }
}

/// `http://ADDR`, with an unspecified address (0.0.0.0, ::) shown as `localhost`.
pub fn default_public_base(bound: SocketAddr) -> String {
    if bound.ip().is_unspecified() {
        format!("http://localhost:{}", bound.port())
    } else {
        format!("http://{bound}")
    }
}

/// `target/site` under the working folder when it is there (running from the repository), else
/// beside the binary (`target/release/kassa` → `target/site`), else the working folder's anyway.
fn default_site_root() -> PathBuf {
    let relative = PathBuf::from("target/site");
    if relative.is_dir() {
        return relative;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("site")))
        .filter(|p| p.is_dir())
        .unwrap_or(relative)
}

/// The URL with any password replaced, for messages.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}

/// How long a graceful shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> RawSettings {
        Cli::try_parse_from(["kassa"]).unwrap().settings
    }

    #[test]
    fn defaults_are_valid() {
        let settings = raw().validate().unwrap();
        assert_eq!(settings.addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(settings.public_base(settings.addr), "http://127.0.0.1:3000");
        assert_eq!(settings.database_url, "sqlite://kassa.db");
    }

    #[test]
    fn webhooks_stay_public_and_sign_up_open_unless_the_operator_says() {
        let settings = raw().validate().unwrap();
        assert!(!settings.webhook_targets.private_allowed);
        assert!(settings.sign_up_open);
        let changed = RawSettings {
            webhooks_to_private_addresses: "true".into(),
            sign_up: "closed".into(),
            ..raw()
        }
        .validate()
        .unwrap();
        assert!(changed.webhook_targets.private_allowed);
        assert!(!changed.sign_up_open);
        for (bad, variable) in [
            (
                RawSettings {
                    webhooks_to_private_addresses: "maybe".into(),
                    ..raw()
                },
                "KASSA_WEBHOOKS_TO_PRIVATE_ADDRESSES",
            ),
            (
                RawSettings {
                    sign_up: "invite".into(),
                    ..raw()
                },
                "KASSA_SIGN_UP",
            ),
        ] {
            assert_eq!(bad.validate().unwrap_err().variable, variable);
        }
    }

    #[test]
    fn a_bad_address_names_its_variable() {
        let err = RawSettings {
            addr: "localhost".into(),
            ..raw()
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.variable, "KASSA_ADDR");
        assert!(err.to_string().contains("KASSA_ADDR"), "{err}");
    }

    #[test]
    fn a_bad_database_url_names_its_variable_and_hides_the_password() {
        let err = RawSettings {
            database_url: "mysql://u:hunter2@h/db".into(),
            ..raw()
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.variable, "KASSA_DATABASE_URL");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn public_urls_must_be_http_with_a_host() {
        for bad in [
            "ftp://example.com",
            "example.com",
            "https://example.com/?a=b",
            "http://",
        ] {
            let err = RawSettings {
                public_url: Some(bad.into()),
                ..raw()
            }
            .validate()
            .unwrap_err();
            assert_eq!(err.variable, "KASSA_PUBLIC_URL", "{bad}");
        }
        let ok = RawSettings {
            public_url: Some("https://pay.example.com/".into()),
            ..raw()
        }
        .validate()
        .unwrap();
        assert_eq!(ok.public_base(ok.addr), "https://pay.example.com");
    }

    #[test]
    fn payment_attempts_per_address_are_limited_unless_zero() {
        let limit = |given: &str| {
            RawSettings {
                payment_attempts_per_address: given.into(),
                ..raw()
            }
            .validate()
            .map(|s| s.payment_attempts_per_address.map(|n| n.get()))
        };
        assert_eq!(limit("60"), Ok(Some(60)));
        assert_eq!(limit("0"), Ok(None), "0 turns it off");
        for bad in ["-1", "100001", "many"] {
            let err = limit(bad).unwrap_err();
            assert_eq!(err.variable, "KASSA_PAYMENT_ATTEMPTS_PER_ADDRESS", "{bad}");
        }
        assert_eq!(
            raw()
                .validate()
                .unwrap()
                .payment_attempts_per_address
                .map(|n| n.get()),
            Some(60)
        );
    }

    #[test]
    fn the_client_address_header_is_a_header_name() {
        let header = |given: &str| {
            RawSettings {
                client_address_header: Some(given.into()),
                ..raw()
            }
            .validate()
            .map(|s| s.client_address_header.map(|h| h.to_string()))
        };
        assert_eq!(
            header("X-Forwarded-For"),
            Ok(Some("x-forwarded-for".into()))
        );
        let err = header("not a header").unwrap_err();
        assert_eq!(err.variable, "KASSA_CLIENT_ADDRESS_HEADER");
        assert_eq!(raw().validate().unwrap().client_address_header, None);
    }

    #[test]
    fn the_encryption_key_is_32_bytes_of_base64_and_never_shown() {
        let given = |key: Option<&str>| {
            RawSettings {
                encryption_key: key.map(str::to_owned),
                ..raw()
            }
            .validate()
        };
        assert!(given(None).unwrap().encryption_key.is_none());
        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let settings = given(Some(key)).unwrap();
        assert!(settings.encryption_key.is_some());
        assert!(
            !format!("{settings:?}").contains(key),
            "the key is not printed"
        );
        let err = given(Some("c2hvcnQ=")).unwrap_err();
        assert_eq!(err.variable, "KASSA_ENCRYPTION_KEY");
        assert!(!err.to_string().contains("c2hvcnQ="), "{err}");
    }

    #[test]
    fn the_idempotency_hold_is_whole_seconds_up_to_ten_minutes() {
        assert_eq!(
            raw().validate().unwrap().idempotency_hold,
            Duration::from_secs(60)
        );
        for bad in ["0", "601", "0.5", "soon"] {
            let mut given = raw();
            given.idempotency_hold = bad.into();
            let err = given.validate().unwrap_err();
            assert_eq!(err.variable, "KASSA_IDEMPOTENCY_HOLD", "{bad}");
        }
        let mut given = raw();
        given.idempotency_hold = "2".into();
        assert_eq!(
            given.validate().unwrap().idempotency_hold,
            Duration::from_secs(2)
        );
    }

    #[test]
    fn the_webhook_timeout_is_whole_seconds_up_to_a_minute() {
        assert_eq!(
            raw().validate().unwrap().webhook_timeout,
            Duration::from_secs(10)
        );
        for bad in ["0", "61", "1.5", "ten"] {
            let err = RawSettings {
                webhook_timeout: bad.into(),
                ..raw()
            }
            .validate()
            .unwrap_err();
            assert_eq!(err.variable, "KASSA_WEBHOOK_TIMEOUT", "{bad}");
        }
    }

    #[test]
    fn log_filter_and_pool_size_are_checked() {
        let err = RawSettings {
            log: "info,[".into(),
            ..raw()
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.variable, "KASSA_LOG");
        let err = RawSettings {
            database_max_connections: "0".into(),
            ..raw()
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.variable, "KASSA_DATABASE_MAX_CONNECTIONS");
    }

    #[test]
    fn an_unspecified_bind_address_is_shown_as_localhost() {
        assert_eq!(
            default_public_base("0.0.0.0:8080".parse().unwrap()),
            "http://localhost:8080"
        );
    }
}
