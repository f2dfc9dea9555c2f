//! What an operator's Prometheus scrapes at `/metrics` (Prometheus's text format, 0.0.4): requests
//! by route, method and status with their latency; checkout sessions created, completed and
//! expired by the dialect that made them; payments by outcome; webhook deliveries by outcome and
//! how long after their event they were made; the SQLite writer's batches; the connection pools;
//! renewals by outcome.
//!
//! With the `prometheus` crate (TiKV's): its registries are values, so that each kassa (and each
//! test's) counts alone, and its text encoder writes the format `promtool check metrics` and every
//! Prometheus read, where `prometheus-client` writes OpenMetrics only (a counter family named
//! without its `_total`, which `promtool check metrics` refuses).

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

/// One kassa's metrics. Cheap to clone (every metric is a handle on shared counts).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    sessions: IntCounterVec,
    payments: IntCounterVec,
    webhook_deliveries: IntCounterVec,
    webhook_delay: Histogram,
    writer_batches: IntCounterVec,
    writer_batch_size: Histogram,
    pool_connections: IntGaugeVec,
    renewals: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let metric = IntCounterVec::new(Opts::new(name, help), labels).expect("a valid counter");
    registry
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

fn histogram(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: Vec<f64>,
) -> HistogramVec {
    let metric = HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels)
        .expect("a valid histogram");
    registry
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

fn plain_histogram(registry: &Registry, name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    let metric =
        Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets)).expect("valid");
    registry
        .register(Box::new(metric.clone()))
        .expect("registered once");
    metric
}

/// Seconds from 1 ms to about 33 s, doubling.
fn latency_buckets() -> Vec<f64> {
    prometheus::exponential_buckets(0.001, 2.0, 16).expect("valid buckets")
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("kassa".into()), None).expect("a valid prefix");
        let r = &registry;
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database connections open in each pool, by whether they are in use or idle.",
            ),
            &["pool", "state"],
        )
        .expect("a valid gauge");
        registry
            .register(Box::new(pool_connections.clone()))
            .expect("registered once");
        Metrics {
            http_requests: counter(
                r,
                "http_requests_total",
                "HTTP requests answered, by route (the path pattern), method and status.",
                &["route", "method", "status"],
            ),
            http_duration: histogram(
                r,
                "http_request_duration_seconds",
                "Time from a request's arrival to its answer, by route and method.",
                &["route", "method"],
                latency_buckets(),
            ),
            sessions: counter(
                r,
                "checkout_sessions_total",
                "Checkout sessions created, completed and expired, by the dialect that made them.",
                &["event", "dialect"],
            ),
            payments: counter(
                r,
                "payments_total",
                "Payment attempts by outcome: succeeded, declined, requires_action, processing, \
                 failed, unknown.",
                &["outcome"],
            ),
            webhook_deliveries: counter(
                r,
                "webhook_deliveries_total",
                "Webhook delivery attempts by outcome: delivered, failed (to be retried), \
                 gave_up.",
                &["outcome"],
            ),
            webhook_delay: plain_histogram(
                r,
                "webhook_delivery_delay_seconds",
                "Time from an event to the delivery attempt that got it to its endpoint.",
                prometheus::exponential_buckets(0.01, 4.0, 12).expect("valid buckets"),
            ),
            writer_batches: counter(
                r,
                "sqlite_writer_batches_total",
                "Commits of the SQLite writer (each holds a batch of writes), by outcome.",
                &["outcome"],
            ),
            writer_batch_size: plain_histogram(
                r,
                "sqlite_writer_batch_writes",
                "Writes that shared one commit of the SQLite writer.",
                vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0],
            ),
            pool_connections,
            renewals: counter(
                r,
                "renewals_total",
                "Subscription renewal charges by outcome: paid, failed.",
                &["outcome"],
            ),
            registry,
        }
    }

    /// A request to `route` (the matched pattern, or `unmatched`) answered `status` after
    /// `seconds`.
    pub fn request(&self, route: &str, method: &str, status: u16, seconds: f64) {
        self.http_requests
            .with_label_values(&[route, method, &status.to_string()])
            .inc();
        self.http_duration
            .with_label_values(&[route, method])
            .observe(seconds);
    }

    /// A session `event` (`created`, `completed`, `expired`) of a session made through `dialect`.
    pub fn session(&self, event: &str, dialect: &str) {
        self.sessions.with_label_values(&[event, dialect]).inc();
    }

    pub fn payment(&self, outcome: &str) {
        self.payments.with_label_values(&[outcome]).inc();
    }

    /// A webhook delivery attempt; `delay_seconds` since its event when it got through.
    pub fn webhook_delivery(&self, outcome: &str, delay_seconds: Option<f64>) {
        self.webhook_deliveries.with_label_values(&[outcome]).inc();
        if let Some(delay) = delay_seconds {
            self.webhook_delay.observe(delay);
        }
    }

    /// A commit of the SQLite writer holding `writes` writes.
    pub fn writer_batch(&self, committed: bool, writes: usize) {
        let outcome = if committed { "committed" } else { "failed" };
        self.writer_batches.with_label_values(&[outcome]).inc();
        self.writer_batch_size.observe(writes as f64);
    }

    pub fn renewal(&self, outcome: &str) {
        self.renewals.with_label_values(&[outcome]).inc();
    }

    /// Sets a pool's connections as they are now (read at each scrape).
    pub fn pool(&self, pool: &str, in_use: u32, idle: u32) {
        self.pool_connections
            .with_label_values(&[pool, "in_use"])
            .set(i64::from(in_use));
        self.pool_connections
            .with_label_values(&[pool, "idle"])
            .set(i64::from(idle));
    }

    /// Everything, in Prometheus's text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("metrics encode as text");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_render_in_prometheus_text_format() {
        let metrics = Metrics::new();
        metrics.request("/api/checkout-sessions", "POST", 201, 0.004);
        metrics.session("created", "stripe");
        metrics.pool("sqlite_reader", 1, 3);
        let text = metrics.render();
        assert!(
            text.contains("# TYPE kassa_http_requests_total counter"),
            "{text}"
        );
        assert!(text.contains(
            "kassa_http_requests_total{method=\"POST\",route=\"/api/checkout-sessions\",status=\"201\"} 1"
        ), "{text}");
        assert!(text.contains("kassa_http_request_duration_seconds_bucket{method=\"POST\",route=\"/api/checkout-sessions\",le=\"0.004\"} 1"), "{text}");
        assert!(
            text.contains("kassa_checkout_sessions_total{dialect=\"stripe\",event=\"created\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("kassa_db_pool_connections{pool=\"sqlite_reader\",state=\"idle\"} 3"),
            "{text}"
        );
        // Two kassas in one process count apart.
        assert!(
            !Metrics::new()
                .render()
                .contains("kassa_http_requests_total{")
        );
    }
}
