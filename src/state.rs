//! What every handler, server function and background job can reach: [`AppState`].

use crate::service::processors::Processors;
use crate::store::Store;
use axum::extract::FromRef;
use axum::http::{HeaderMap, HeaderName};
use leptos::config::LeptosOptions;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

/// What every handler and server function can reach: [`Shared`] behind one `Arc`, since axum and
/// Leptos clone the state several times for each request (each middleware with state, each
/// extractor, each server function's context). Cloning its sixteen fields, most of them `Arc`s
/// themselves, and dropping them again was a tenth of a session create's CPU (perf).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    /// Base of the URLs kassa hands out, without a trailing slash.
    pub public_base: Arc<str>,
    /// What moves each organization's money: the test processor, or Stripe with its keys.
    pub processors: Processors,
    /// Dashboard sign-ins, in the database: any instance can serve any signed-in request.
    pub dashboard_sessions: crate::store::DashboardSessionStore,
    /// Payment attempts per client address (card testing), when limited. In memory, per
    /// instance, like the sign-in limit.
    pub attempt_limiter: Option<Arc<AddressLimiter>>,
    /// The header a balancer in front of kassa names the client's address in, if any.
    pub client_address_header: Option<HeaderName>,
    /// Where webhook endpoints may be.
    pub webhook_targets: crate::security::outbound::WebhookTargets,
    /// Whether anyone may sign up in the dashboard.
    pub sign_up_open: bool,
    /// What one client, key, email or everyone together may ask for (API requests, sign-ins
    /// and sign-ups, promotion codes, webhook resends). In memory, per instance: with several
    /// instances behind a balancer the effective limits are that many times higher.
    pub limits: Arc<crate::security::limits::Limits>,
    /// How long an API request's hold on its idempotency key lasts between renewals.
    pub idempotency_hold: std::time::Duration,
    /// Every request's task: shutdown waits for them before it closes the database.
    pub requests: tokio_util::task::TaskTracker,
    /// Where buyers' mail goes out; `None` keeps it for the dashboard.
    pub mailer: Option<crate::service::mail::Mailer>,
    /// The bearer token that opens `/metrics` on the public listener; `None`: it is not there.
    pub metrics_token: Option<Arc<str>>,
}

impl AppState {
    /// The address of a session's hosted checkout page.
    pub fn checkout_url(&self, session_id: &str) -> String {
        format!("{}/checkout/{session_id}", self.public_base)
    }

    /// The client's address: the last one in the balancer's header when one is configured (the
    /// address the balancer saw), else the connection's peer.
    pub fn client_address(&self, headers: &HeaderMap, peer: Option<SocketAddr>) -> Option<IpAddr> {
        match &self.client_address_header {
            Some(name) => headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .next_back()
                .and_then(|last| last.trim().parse().ok()),
            None => peer.map(|p| p.ip()),
        }
    }

    /// Counts a payment attempt from `address`: `Err(seconds to wait)` when it has started too
    /// many lately.
    pub fn check_attempt_from(&self, address: Option<IpAddr>) -> Result<(), u64> {
        let (Some(limiter), Some(address)) = (&self.attempt_limiter, address) else {
            return Ok(());
        };
        crate::security::limits::take(limiter, &address)
            .map_err(|crate::security::limits::RetryAfter(seconds)| seconds)
    }
}

/// Payment attempts per client address: `per_hour` in a burst, then one more each
/// `3600 / per_hour` seconds.
pub type AddressLimiter = governor::DefaultKeyedRateLimiter<IpAddr>;

pub(crate) fn address_limiter(per_hour: NonZeroU32) -> AddressLimiter {
    governor::RateLimiter::keyed(governor::Quota::per_hour(per_hour))
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
