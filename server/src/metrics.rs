//! Operational metrics on `GET /metrics`, in the Prometheus text format: counters, gauges and
//! fixed-bucket histograms of this node.
//!
//! The histograms are arrays of atomic counters rather than an exporter crate's: delivery
//! latency is observed once per frame written (a hundred thousand times a second in the
//! fan-out benchmark), where a lookup and an atomic add is all the budget allows. The names
//! follow Prometheus conventions so a scraper can be pointed at it as is; the admin page's
//! plots are computed from the same histograms (see [`monitor`](crate::monitor)).

use std::{
    collections::BTreeMap,
    fmt::Write as _,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, LazyLock,
    },
    time::{Duration, Instant},
};

use axum::{
    body::Body,
    extract::{MatchedPath, State},
    http::Request,
    middleware::Next,
    response::Response,
};
use parking_lot::RwLock;

use crate::AppState;

static HTTP_REQUESTS: AtomicU64 = AtomicU64::new(0);
static HTTP_ERRORS: AtomicU64 = AtomicU64::new(0);

/// Bounds for durations, in microseconds: 50 µs to 10 s.
const DURATION_BOUNDS_US: &[u64] = &[
    50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000,
    10_000_000,
];
/// Bounds for how many messages one commit stored.
const BATCH_BOUNDS: &[u64] = &[1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

/// From the relay having a committed change to its frame being handed to a socket.
pub static DELIVERY_LATENCY: LazyLock<Histogram> = LazyLock::new(|| Histogram::new(DURATION_BOUNDS_US));
/// Messages stored by one commit of the writer.
pub static MESSAGES_PER_COMMIT: LazyLock<Histogram> = LazyLock::new(|| Histogram::new(BATCH_BOUNDS));
/// Database statements on the hot paths, by operation.
static DB_STATEMENTS: LazyLock<Labelled> = LazyLock::new(Labelled::default);
/// HTTP requests by route (the matched pattern, so ids do not multiply the series).
static HTTP_DURATION: LazyLock<Labelled> = LazyLock::new(Labelled::default);

/// Counts with fixed upper bounds (the last bucket is everything above them).
pub struct Histogram {
    bounds: &'static [u64],
    buckets: Box<[AtomicU64]>,
    sum: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [u64]) -> Self {
        Self { bounds, buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(), sum: AtomicU64::new(0) }
    }

    pub fn observe(&self, value: u64) {
        let i = self.bounds.partition_point(|&b| b < value);
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
    }

    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_micros().min(u64::MAX as u128) as u64);
    }

    /// The count in each bucket (not cumulative), the last one unbounded.
    pub fn counts(&self) -> Vec<u64> {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect()
    }

    /// The `q` quantile of the observations counted in `counts` (as from [`Self::counts`],
    /// or the difference of two), interpolated inside its bucket; `None` without any.
    pub fn quantile(&self, counts: &[u64], q: f64) -> Option<u64> {
        let total: u64 = counts.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = (q * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, &n) in counts.iter().enumerate() {
            if seen + n >= rank {
                let low = if i == 0 { 0 } else { self.bounds[i - 1] };
                let high = self.bounds.get(i).copied().unwrap_or(low.saturating_mul(2));
                let within = (rank - seen) as f64 / n as f64;
                return Some(low + ((high - low) as f64 * within) as u64);
            }
            seen += n;
        }
        None
    }

    /// Writes the Prometheus series; `scale` divides the stored values (1e6 for seconds).
    fn render(&self, out: &mut String, name: &str, labels: &str, scale: f64) {
        let counts = self.counts();
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, n) in counts.iter().enumerate() {
            cumulative += n;
            let le = self.bounds.get(i).map_or("+Inf".to_string(), |&b| (b as f64 / scale).to_string());
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}");
        }
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum.load(Ordering::Relaxed) as f64 / scale);
        let _ = writeln!(out, "{name}_count{braces} {cumulative}");
    }
}

/// Duration histograms by one label's value.
#[derive(Default)]
struct Labelled(RwLock<BTreeMap<String, Arc<Histogram>>>);

impl Labelled {
    fn get(&self, label: &str) -> Arc<Histogram> {
        if let Some(h) = self.0.read().get(label) {
            return h.clone();
        }
        self.0.write().entry(label.to_string()).or_insert_with(|| Arc::new(Histogram::new(DURATION_BOUNDS_US))).clone()
    }

    fn render(&self, out: &mut String, name: &str, label: &str) {
        let _ = writeln!(out, "# TYPE {name} histogram");
        for (value, h) in self.0.read().iter() {
            let value = value.replace('\\', "\\\\").replace('"', "\\\"");
            h.render(out, name, &format!("{label}=\"{value}\""), 1e6);
        }
    }
}

/// Times a database statement (or a short sequence of them) under `op`.
pub async fn timed<T>(op: &'static str, work: impl std::future::Future<Output = T>) -> T {
    let start = Instant::now();
    let out = work.await;
    DB_STATEMENTS.get(op).observe_duration(start.elapsed());
    out
}

/// Counts requests and 5xx answers, and times each by its route.
pub async fn track(req: Request<Body>, next: Next) -> Response {
    HTTP_REQUESTS.fetch_add(1, Ordering::Relaxed);
    // The matched path is shared (cloning it copies no text).
    let route = req.extensions().get::<MatchedPath>().cloned();
    let start = Instant::now();
    let res = next.run(req).await;
    HTTP_DURATION.get(route.as_ref().map_or("other", MatchedPath::as_str)).observe_duration(start.elapsed());
    if res.status().is_server_error() {
        HTTP_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
    res
}

/// The process's resident memory, from `/proc` (0 where there is none).
pub fn resident_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|pages| pages.parse::<u64>().ok()))
        .map_or(0, |pages| pages * 4096)
}

pub async fn render(State(state): State<AppState>) -> String {
    let service = &state.service;
    let hub = &service.hub;
    let writes = &service.messages.writer.stats;
    let database = service.storage.database_bytes().await.unwrap_or(0);
    let values = [
        ("confab_http_requests_total", "counter", HTTP_REQUESTS.load(Ordering::Relaxed)),
        ("confab_http_server_errors_total", "counter", HTTP_ERRORS.load(Ordering::Relaxed)),
        ("confab_ws_connections", "gauge", hub.connection_count() as u64),
        ("confab_users_online", "gauge", hub.local_users().len() as u64),
        ("confab_frames_delivered_total", "counter", hub.stats.delivered.load(Ordering::Relaxed)),
        ("confab_slow_consumers_dropped_total", "counter", hub.stats.slow_consumers.load(Ordering::Relaxed)),
        ("confab_messages_stored_total", "counter", writes.messages.load(Ordering::Relaxed)),
        ("confab_message_commits_total", "counter", writes.commits.load(Ordering::Relaxed)),
        ("confab_process_resident_memory_bytes", "gauge", resident_bytes()),
        ("confab_database_bytes", "gauge", database),
    ];
    let mut out = String::with_capacity(8 * 1024);
    let node = service.node.replace('\\', "\\\\").replace('"', "\\\"");
    let _ = writeln!(out, "# TYPE confab_node_info gauge\nconfab_node_info{{node=\"{node}\"}} 1");
    for (name, kind, value) in values {
        let _ = writeln!(out, "# TYPE {name} {kind}\n{name} {value}");
    }
    out.push_str("# TYPE confab_delivery_latency_seconds histogram\n");
    DELIVERY_LATENCY.render(&mut out, "confab_delivery_latency_seconds", "", 1e6);
    out.push_str("# TYPE confab_messages_per_commit histogram\n");
    MESSAGES_PER_COMMIT.render(&mut out, "confab_messages_per_commit", "", 1.0);
    HTTP_DURATION.render(&mut out, "confab_http_request_duration_seconds", "route");
    DB_STATEMENTS.render(&mut out, "confab_db_statement_duration_seconds", "op");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_inside_buckets() {
        let h = Histogram::new(&[10, 20, 40]);
        for v in [5, 15, 15, 15, 30, 100] {
            h.observe(v);
        }
        assert_eq!(h.counts(), vec![1, 3, 1, 1]);
        assert_eq!(h.quantile(&h.counts(), 0.5), Some(16), "the 3rd of 6: two thirds into the second bucket");
        assert_eq!(h.quantile(&h.counts(), 0.99), Some(80), "past the last bound: up to twice it");
        assert_eq!(h.quantile(&[0, 0, 0, 0], 0.5), None);
    }

    #[test]
    fn prometheus_histograms_are_cumulative() {
        let h = Histogram::new(&[1_000, 5_000]);
        h.observe(500);
        h.observe(2_000);
        h.observe(9_000);
        let mut out = String::new();
        h.render(&mut out, "x_seconds", "route=\"/a\"", 1e6);
        assert!(out.contains("x_seconds_bucket{route=\"/a\",le=\"0.001\"} 1\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{route=\"/a\",le=\"0.005\"} 2\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_seconds_sum{route=\"/a\"} 0.0115\n"), "{out}");
        assert!(out.contains("x_seconds_count{route=\"/a\"} 3\n"), "{out}");
    }
}
