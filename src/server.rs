//! The HTTP server: application state, the router, and serving with a graceful shutdown.

use crate::api;
use crate::app::{App, shell};
use crate::config::{SHUTDOWN_GRACE, Settings, redact_url};
use crate::payments::PaymentProcessor;
use crate::payments::stripe::StripeApi;
use crate::payments::test_mode::TestProcessor;
use crate::payments::timeout::PROCESSOR_TIMEOUT;
use crate::security::headers::{HeaderPolicy, provide_page_nonce, security_headers};
use crate::service::demo::{self, DemoError, DemoReport};
use crate::service::processors::Processors;
use crate::service::vault::Vault;
use crate::service::webhooks::Deliverer;
use crate::state::AppState;
use crate::store::{Store, StoreError};
use axum::extract::State;
use axum::http::{HeaderName, Request, StatusCode};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::{Json, Router};
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tracing::Level;

/// Why kassa could not start or finish a command.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("could not open the database {url}: {source}")]
    Database { url: String, source: StoreError },
    #[error("could not migrate the database: {0}")]
    Migrate(StoreError),
    #[error("could not listen on {addr} (KASSA_ADDR): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    Demo(#[from] DemoError),
    #[error(
        "organizations have processor keys or webhook secrets stored, sealed with KASSA_ENCRYPTION_KEY, \
         and it is not set: set it (--encryption-key) to the key they were sealed with"
    )]
    MissingEncryptionKey,
    /// What the operator asked for was refused (a bad email, a taken one): the message names it.
    #[error("{0}")]
    Refused(String),
}

/// Opens the configured database and applies pending migrations.
pub async fn open_store(settings: &Settings) -> Result<Store, RunError> {
    let store = Store::connect(&settings.database_url, &settings.pool)
        .await
        .map_err(|source| RunError::Database {
            url: redact_url(&settings.database_url),
            source,
        })?;
    store.migrate().await.map_err(RunError::Migrate)?;
    Ok(store)
}

/// A kassa ready to serve: migrated database, bound listener, built router.
pub struct Kassa {
    listener: TcpListener,
    /// The listener that serves `/metrics` alone, when the operator asked for one.
    metrics_listener: Option<TcpListener>,
    router: Router,
    state: AppState,
    deliverer: Deliverer,
}

impl Kassa {
    /// Opens the database, migrates it and binds the listener, with the test-mode processor.
    /// With port 0 the OS picks a port; [`Kassa::local_addr`] tells which.
    pub async fn bind(settings: &Settings) -> Result<Kassa, RunError> {
        Kassa::bind_with(settings, |store| {
            Arc::new(TestProcessor::new(store.clone())) as Arc<dyn PaymentProcessor>
        })
        .await
    }

    /// As [`Kassa::bind`], with the test-mode processor `processor` makes over the opened store.
    /// Every call to any processor is bounded by [`PROCESSOR_TIMEOUT`].
    pub async fn bind_with(
        settings: &Settings,
        processor: impl FnOnce(&Store) -> Arc<dyn PaymentProcessor>,
    ) -> Result<Kassa, RunError> {
        let store = open_store(settings).await?;
        // Sealed keys without the key to open them: live payments, and webhook deliveries,
        // would fail one by one.
        let sealed_prefix = crate::service::webhooks::SEALED_PREFIX;
        if settings.encryption_key.is_none()
            && (store
                .count_processor_accounts()
                .await
                .map_err(RunError::Migrate)?
                > 0
                || store
                    .count_sealed_webhook_secrets(sealed_prefix)
                    .await
                    .map_err(RunError::Migrate)?
                    > 0)
        {
            return Err(RunError::MissingEncryptionKey);
        }
        let vault = settings.encryption_key.as_ref().map(Vault::new);
        if let Some(vault) = &vault {
            let sealed = crate::service::webhooks::seal_clear_secrets(&store, vault)
                .await
                .map_err(RunError::Migrate)?;
            if sealed > 0 {
                tracing::info!(sealed, "sealed webhook signing secrets kept in clear");
            }
        }
        let listener = TcpListener::bind(settings.addr)
            .await
            .map_err(|source| RunError::Bind {
                addr: settings.addr,
                source,
            })?;
        let bound = listener.local_addr().map_err(RunError::Serve)?;
        let metrics_listener = match settings.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| RunError::Bind { addr, source })?,
            ),
            None => None,
        };
        let leptos_options = LeptosOptions::builder()
            .output_name("kassa")
            .site_root(settings.site_root.to_string_lossy().as_ref())
            .site_pkg_dir("pkg")
            .env(Env::PROD)
            .site_addr(bound)
            .build();
        let dashboard_sessions = store
            .dashboard_sessions()
            .await
            .map_err(RunError::Migrate)?;
        let state = AppState::new(crate::state::Shared {
            leptos_options,
            public_base: settings.public_base(bound).into(),
            processors: Processors::new(
                processor(&store),
                StripeApi::new(&settings.stripe_api_base),
                vault.clone(),
                PROCESSOR_TIMEOUT,
            ),
            store,
            dashboard_sessions,
            attempt_limiter: settings
                .payment_attempts_per_address
                .map(|n| Arc::new(crate::state::address_limiter(n))),
            client_address_header: settings.client_address_header.clone(),
            webhook_targets: settings.webhook_targets,
            sign_up_open: settings.sign_up_open,
            limits: Arc::new(crate::security::limits::Limits::new(
                settings.api_requests_per_second,
            )),
            idempotency_hold: settings.idempotency_hold,
            requests: tokio_util::task::TaskTracker::new(),
            mailer: settings.mailer.clone(),
            metrics_token: settings.metrics_token.clone(),
        });
        Ok(Kassa {
            listener,
            metrics_listener,
            router: router(state.clone()),
            state,
            deliverer: Deliverer::new(settings.webhook_timeout, settings.webhook_targets, vault),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where `/metrics` is served alone, when it is.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The same kassa with its router changed by `wrap` (the tests add a layer that checks every
    /// answer of kassa's own API against its OpenAPI document).
    pub fn map_router(mut self, wrap: impl FnOnce(Router) -> Router) -> Kassa {
        self.router = wrap(self.router);
        self
    }

    /// Serves until `shutdown` completes, then lets requests in flight finish (up to a grace
    /// period) and closes the database.
    pub async fn serve_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), RunError> {
        let Kassa {
            listener,
            metrics_listener,
            router,
            state,
            deliverer,
        } = self;
        // The operator's own listener: /metrics and nothing else, no key (keep it private).
        let metrics_server = metrics_listener.map(|listener| {
            let store = state.store.clone();
            let router = Router::new().route(
                "/metrics",
                get(move || {
                    let store = store.clone();
                    async move { metrics_text(&store) }
                }),
            );
            if let Ok(addr) = listener.local_addr() {
                tracing::debug!(%addr, "metrics are served");
            }
            tokio::spawn(async move { axum::serve(listener, router).await })
        });
        let (worker_stop, worker_stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(settlement_worker(state.clone(), worker_stopped.clone()));
        let mail = tokio::spawn(mail_worker(state.clone(), worker_stopped.clone()));
        let webhooks = tokio::spawn(webhook_worker(
            state.store.clone(),
            deliverer,
            worker_stopped,
        ));
        // Without TCP_NODELAY small responses wait out the peer's delayed ACK (~40 ms).
        let listener = listener.tap_io(|tcp| {
            let _ = tcp.set_nodelay(true);
        });
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: finishing requests in flight");
            let _ = stopping_tx.send(());
        };
        // The peer's address reaches handlers (`ConnectInfo`), for limits by client address.
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal);
        let server = tokio::spawn(async move { server.await });
        tokio::pin!(server);
        let outcome = tokio::select! {
            joined = &mut server => joined,
            _ = async {
                let _ = stopping_rx.await;
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } => {
                tracing::warn!("requests still in flight after {SHUTDOWN_GRACE:?}; stopping anyway");
                server.abort();
                Ok(Ok(()))
            }
        };
        // A request whose client went away is not a connection the server waits for, yet its
        // task may be writing still: the database closes once every request's task has ended
        // (within what is left of the grace period).
        state.requests.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, state.requests.wait())
            .await
            .is_err()
        {
            tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; closing anyway");
        }
        let _ = worker_stop.send(true);
        let _ = worker.await;
        let _ = mail.await;
        let _ = webhooks.await;
        if let Some(server) = metrics_server {
            server.abort();
        }
        state.store.close().await;
        match outcome {
            Ok(result) => result.map_err(RunError::Serve),
            Err(join) if join.is_cancelled() => Ok(()),
            Err(join) => Err(RunError::Serve(std::io::Error::other(join))),
        }
    }
}

/// Bytes of a response body below which it is not compressed: about what one TCP segment carries.
const ONE_PACKET: u16 = 1400;

/// How often mail due to go out is looked for.
const MAIL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// Renders and sends buyers' mail as it comes due (or keeps it, without an SMTP server), on its
/// own task so that a slow SMTP server delays nothing else, until told to stop.
async fn mail_worker(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        let full = match crate::service::mail::deliver_due(
            &state.store,
            state.mailer.as_ref(),
            &state.public_base,
            crate::store::now_ms(),
        )
        .await
        {
            Ok(settled) => settled as i64 == crate::service::mail::MAILS_PER_CLAIM,
            Err(error) => {
                tracing::error!(%error, "sending mail failed; retrying");
                false
            }
        };
        // More are waiting (receipts of a busy hour): on at once rather than 20 each interval.
        if full && !*stop.borrow() {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(MAIL_INTERVAL) => {}
            _ = stop.changed() => return,
        }
    }
}

/// How often due asynchronous payments, and charges whose answer was lost, are looked for.
const SETTLEMENT_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// How often open sessions whose time has passed are expired (and their event recorded). A
/// session past its time is refused at once whatever the sweep: this only makes it official.
const EXPIRY_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// How often expired dashboard sign-ins are deleted.
const SESSION_SWEEP_INTERVAL: std::time::Duration = std::time::Duration::from_secs(3600);

/// Settles asynchronous payments (bank debits) as they come due, looks up charges whose answer
/// was lost (the reconciler), expires sessions whose time has passed, and now and then deletes expired dashboard sign-ins, idempotency keys older than a
/// day and webhook deliveries that ended more than 30 days ago, until told to stop.
async fn settlement_worker(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut swept: Option<std::time::Instant> = None;
    let mut expired_at: Option<std::time::Instant> = None;
    loop {
        if expired_at.is_none_or(|at| at.elapsed() >= EXPIRY_SWEEP_INTERVAL) {
            match crate::service::checkout::sweep_expired(&state.store, crate::store::now_ms())
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(
                    expired = n,
                    "expired checkout sessions whose time had passed"
                ),
                Err(error) => tracing::error!(%error, "expiring due sessions failed; retrying"),
            }
            expired_at = Some(std::time::Instant::now());
        }
        if swept.is_none_or(|at| at.elapsed() >= SESSION_SWEEP_INTERVAL) {
            if let Err(error) = state.dashboard_sessions.delete_expired().await {
                tracing::warn!(%error, "deleting expired dashboard sessions failed");
            }
            if let Err(error) =
                api::idempotency::forget_old_keys(&state.store, crate::store::now_ms()).await
            {
                tracing::warn!(%error, "deleting old idempotency keys failed");
            }
            let forget_before = crate::store::now_ms() - crate::service::webhooks::KEEP_FINISHED_MS;
            if let Err(error) = state
                .store
                .delete_finished_webhook_deliveries_before(forget_before)
                .await
            {
                tracing::warn!(%error, "deleting old webhook deliveries failed");
            }
            swept = Some(std::time::Instant::now());
        }
        if let Err(error) = crate::service::payment::settle_due(
            &state.store,
            &state.processors,
            crate::store::now_ms(),
        )
        .await
        {
            tracing::error!(%error, "settling payments failed; retrying");
        }
        if let Err(error) = crate::service::payment::reconcile_due(
            &state.store,
            &state.processors,
            &state.public_base,
            crate::store::now_ms(),
        )
        .await
        {
            tracing::error!(%error, "looking up charges whose answer was lost failed; retrying");
        }
        if let Err(error) = crate::service::payment::refunds::retry_pending_refunds(
            &state.store,
            &state.processors,
            crate::store::now_ms(),
        )
        .await
        {
            tracing::error!(%error, "asking again for refunds whose answer was lost failed; retrying");
        }
        match crate::service::renewals::renew_due(
            &state.store,
            &state.processors,
            crate::store::now_ms(),
            None,
        )
        .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                subscriptions = n,
                "renewed or ended subscriptions whose time had come"
            ),
            Err(error) => {
                tracing::error!(%error, "renewing subscriptions failed; retrying")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(SETTLEMENT_INTERVAL) => {}
            _ = stop.changed() => return,
        }
    }
}

/// How often due webhook deliveries are looked for when the last look found few.
const WEBHOOK_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// Delivers webhooks as they come due, in every instance: each claims its own deliveries, so
/// instances share the work and none sends what another is sending. Attempts in flight when told
/// to stop are finished (each is bounded by the webhook timeout).
async fn webhook_worker(
    store: Store,
    deliverer: Deliverer,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let full = match deliverer.deliver_due(&store, crate::store::now_ms()).await {
            Ok(n) => n as i64 == crate::service::webhooks::BATCH,
            Err(error) => {
                tracing::error!(%error, "claiming webhook deliveries failed; retrying");
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(WEBHOOK_POLL_INTERVAL) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The app's routes, generated once per process. Generating them renders the app with resource
/// loading suspended process-wide (leptos_server's `SuppressResourceLoad`), and a resource first
/// polled by a request in that window never loads (leptos-rs/leptos#4773): a second kassa built
/// in a process that already serves (the tests run many) would hang a request of the first.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Builds the whole application: API, health checks, pages, static files.
pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let requests = state.requests.clone();
    let x_request_id = HeaderName::from_static("x-request-id");
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(
            x_request_id.clone(),
            MakeRequestUuid,
        ))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request<_>| {
                    let request_id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    // The path only: query strings can carry what does not belong in logs.
                    tracing::info_span!(
                        "request",
                        id = %request_id,
                        method = %request.method(),
                        path = %request.uri().path(),
                        organization = tracing::field::Empty,
                    )
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(x_request_id))
        // Pages and JSON are compressed for clients that ask; the built site's files are served
        // precompressed (`--precompress`, brotli at its best) and pass through untouched. A response
        // that fits in one packet is sent as it is: compressing it saves no round trip, and every
        // response sets up an encoder of its own (its tables allocated and zeroed: brotli's took
        // about 30 µs, a quarter of a session retrieval of 806 bytes of JSON).
        // What is compressed per request is gzip at level 1, not brotli: on the checkout page's
        // 18.9 KB of HTML brotli at quality 1 took 170–320 µs for 6.1 KB and was a fifth of the
        // page's CPU (perf); gzip at level 1 takes 70–115 µs for 6.3 KB alone, and bench/run's
        // page asked for uncompressed shows what it costs in kassa. Either fits in TCP's first
        // flight, so the buyer waits no longer, and every browser takes gzip.
        .layer(
            CompressionLayer::new()
                .quality(tower_http::CompressionLevel::Precise(1))
                .gzip(true)
                .compress_when(DefaultPredicate::new().and(SizeAbove::new(ONE_PACKET))),
        );

    // Dashboard sign-ins: an opaque id in an HttpOnly, SameSite=Lax cookie (Secure when kassa is
    // served over https), the session itself in the database. Loaded only where a dashboard page
    // or server function asks for it, so API and checkout requests never touch it.
    let sessions = SessionManagerLayer::new(state.dashboard_sessions.clone())
        .with_name("kassa_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.public_base.starts_with("https://"))
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::days(7),
        ));

    // The built site's files (`/pkg/…`, `/favicon.ico`), precompressed where the build made `.br`
    // and `.gz` beside them, with the HTTP a browser's cache relies on: `Last-Modified`, `304 Not
    // Modified` to a revalidation, `HEAD`, ranges. Anything else is the app's 404 page. (Leptos's
    // `file_and_error_handler` alone asks `ServeDir` without the request's conditional headers and
    // turns any answer but 200 into that 404 page.)
    let static_files = {
        use axum::handler::Handler;
        let not_found = leptos_axum::file_and_error_handler_with_context::<AppState, _>(
            provide_page_nonce,
            shell,
        );
        tower_http::services::ServeDir::new(&*state.leptos_options.site_root)
            .precompressed_br()
            .precompressed_gzip()
            .call_fallback_on_method_not_allowed(true)
            .fallback(not_found.with_state(state.clone()))
    };
    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(public_metrics))
        .merge(
            api::router()
                .route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    api::idempotency::idempotency,
                ))
                .route_layer(axum::middleware::from_fn_with_state(
                    state.clone(),
                    api::rate_limits,
                ))
                .route_layer(axum::middleware::from_fn(api::refuse_oversize)),
        )
        .leptos_routes_with_context(&state, routes, provide_page_nonce, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback_service(static_files)
        .layer(axum::middleware::from_fn_with_state(
            state.store.clone(),
            count_request,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.public_base.clone(),
            same_origin_posts,
        ))
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            HeaderPolicy::for_public_base(&state.public_base),
            security_headers,
        ))
        .layer(middleware)
        .with_state(state);
    // Rewriting a path has to happen before routing, so around the routed application.
    Router::new()
        .fallback_service(app)
        .layer(axum::middleware::map_request(api::route_api_reads))
        .layer(axum::middleware::from_fn_with_state(
            requests,
            run_to_completion,
        ))
}

/// Runs every request to its end in a task of its own, even when the client goes away meanwhile.
/// A dropped handler would drop its database work at whatever `.await` it had reached: a
/// transaction rolls back then, but a confirm that has charged and not yet recorded it, or an
/// sqlx `BEGIN` cancelled between SQLite starting it and sqlx hearing so (which leaves the
/// connection unusable, see `store::BeginWrite`), must not be cut short by a closed socket.
async fn run_to_completion(
    State(requests): State<tokio_util::task::TaskTracker>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match requests.spawn(next.run(request)).await {
        Ok(response) => response,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(error) => {
            tracing::error!(%error, "a request's task was cancelled");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// Refuses a cross-site POST to the dashboard's server functions (403): a browser names where a
/// request comes from in `Sec-Fetch-Site` or `Origin`, and only kassa's own pages may change a
/// signed-in merchant's data. Requests that name no origin (not sent by a browser) carry no
/// cookie a browser would attach on another site's behalf and pass.
async fn same_origin_posts(
    State(public_base): State<Arc<str>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let guarded = request.method() == axum::http::Method::POST
        && request.uri().path().starts_with("/api/dashboard/");
    if guarded && !same_origin(request.headers(), &public_base) {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site dashboard request");
        return (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": { "code": "cross_site_request", "message": "This request came from another site and was refused." } })),
        )
            .into_response();
    }
    next.run(request).await
}

fn same_origin(headers: &axum::http::HeaderMap, public_base: &str) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match header("origin") {
        None => true,
        Some(origin) => {
            let host = header("host").unwrap_or_default();
            let origin_host = origin.split("://").nth(1).unwrap_or_default();
            origin == public_base.trim_end_matches('/') || (!host.is_empty() && origin_host == host)
        }
    }
}

/// The metrics in Prometheus's text format.
fn metrics_text(store: &Store) -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        store.render_metrics(),
    )
        .into_response()
}

/// `GET /metrics` on the public listener: there only with `KASSA_METRICS_TOKEN`, and only to a
/// request that bears it (404 otherwise, as if it were not there, so that nobody learns more).
async fn public_metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match (&state.metrics_token, presented) {
        (Some(token), Some(presented))
            if subtle_eq(token.as_bytes(), presented.trim().as_bytes()) =>
        {
            metrics_text(&state.store)
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Compares a token in time that does not depend on where it differs, nor on its length: their
/// digests, which are of one length, compared by `subtle`.
fn subtle_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::Digest;
    use subtle::ConstantTimeEq;
    sha2::Sha256::digest(a)
        .as_slice()
        .ct_eq(sha2::Sha256::digest(b).as_slice())
        .into()
}

/// Counts every request for `/metrics`: by the route it matched (its pattern, so that ids do not
/// make a series each), method and status, with its latency.
async fn count_request(
    State(store): State<Store>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let route = match request.extensions().get::<axum::extract::MatchedPath>() {
        Some(path) => path.as_str().to_owned(),
        None if request.uri().path().starts_with("/pkg/") => "/pkg/*".to_owned(),
        None => "unmatched".to_owned(),
    };
    let method = request.method().clone();
    let response = next.run(request).await;
    store.metrics().request(
        &route,
        method.as_str(),
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Liveness: the process answers. Touches nothing else, so a slow database cannot fail it.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let engine = format!("{:?}", state.store.engine()).to_lowercase();
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": engine })),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": engine })),
            )
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// `kassa serve`.
pub async fn serve(settings: Settings) -> Result<(), RunError> {
    let kassa = Kassa::bind(&settings).await?;
    tracing::info!(
        addr = %kassa.local_addr(),
        metrics_addr = kassa.metrics_addr().map(|a| a.to_string()),
        public_url = %kassa.state().public_base,
        database = %redact_url(&settings.database_url),
        site_root = %settings.site_root.display(),
        "kassa is serving"
    );
    if !settings.site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %settings.site_root.display(),
            "no built site here: pages render, but without styles or interactivity; \
             run `cargo leptos build --release` or set KASSA_SITE_ROOT"
        );
    }
    kassa.serve_until(shutdown_signal()).await
}

/// `kassa migrate`.
pub async fn migrate(settings: Settings) -> Result<(), RunError> {
    let store = open_store(&settings).await?;
    tracing::info!(database = %redact_url(&settings.database_url), "migrations applied");
    store.close().await;
    Ok(())
}

/// `kassa demo`: makes sure the demo organization exists and returns what to print.
pub async fn demo(settings: Settings) -> Result<DemoReport, RunError> {
    let store = open_store(&settings).await?;
    let report = match demo::ensure(&store, &settings.public_base(settings.addr)).await {
        Ok(mut report) => demo::checkout_link(&store, &report).await.map(|url| {
            report.checkout_url = Some(url);
            report
        }),
        Err(e) => Err(e),
    };
    store.close().await;
    Ok(report?)
}

/// An account `kassa user create` made.
#[derive(Debug, serde::Serialize)]
pub struct CreatedUser {
    pub user_id: String,
    pub email: String,
    pub organization_id: String,
    pub organization_name: String,
    /// The organization's first test-mode key, shown this once.
    pub test_secret_key: String,
}

/// `kassa user create`: an organization, its owner and a test-mode key, checked as signing up
/// checks them.
pub async fn create_user(
    settings: Settings,
    email: &str,
    password: &str,
    organization: &str,
) -> Result<CreatedUser, RunError> {
    use crate::service::ServiceError;
    let store = open_store(&settings).await?;
    let made = crate::service::accounts::sign_up(&store, email, password, organization).await;
    store.close().await;
    match made {
        Ok((member, secret)) => Ok(CreatedUser {
            user_id: member.user_id,
            email: member.email,
            organization_id: member.organization_id,
            organization_name: member.organization_name,
            test_secret_key: secret.expose().to_owned(),
        }),
        Err(ServiceError::Invalid(errors)) => Err(RunError::Refused(
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Err(ServiceError::Conflict(e)) => {
            Err(RunError::Refused(format!("{}: {}", e.field, e.message)))
        }
        Err(ServiceError::NotFound(what)) => Err(RunError::Refused(format!("no such {what}"))),
        Err(ServiceError::Store(e)) => Err(RunError::Migrate(e)),
    }
}
