//! What every handler, server function and background job can reach: [`AppState`].

use crate::payments::PaymentProcessor;
use crate::store::Store;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// What every handler and server function can reach.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    /// Base of the URLs kassa hands out, without a trailing slash.
    pub public_base: Arc<str>,
    /// Moves the money. The test-mode processor until a live one is configured.
    pub processor: Arc<dyn PaymentProcessor>,
    /// Dashboard sign-ins, in the database: any instance can serve any signed-in request.
    pub dashboard_sessions: crate::store::DashboardSessionStore,
    /// Sign-in attempts per email. In memory, per instance: with several instances behind a
    /// balancer the effective limit is that many times higher.
    pub login_limiter: Arc<LoginLimiter>,
}

impl AppState {
    /// The address of a session's hosted checkout page.
    pub fn checkout_url(&self, session_id: &str) -> String {
        format!("{}/checkout/{session_id}", self.public_base)
    }
}

/// At most [`LOGIN_BURST`] sign-in attempts for one email, then one more every 12 seconds.
pub type LoginLimiter = governor::DefaultKeyedRateLimiter<String>;
pub const LOGIN_BURST: u32 = 5;

pub(crate) fn login_limiter() -> LoginLimiter {
    let quota = governor::Quota::per_minute(std::num::NonZeroU32::new(5).expect("5 > 0"))
        .allow_burst(std::num::NonZeroU32::new(LOGIN_BURST).expect("5 > 0"));
    governor::RateLimiter::keyed(quota)
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
