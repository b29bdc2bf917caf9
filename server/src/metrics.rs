//! Operational counters on `GET /metrics`, in the Prometheus text format.
//!
//! A handful of atomics is all Confab needs today, so no exporter crate is pulled in; the
//! names follow Prometheus conventions so a scraper can be pointed at it as is.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::{body::Body, extract::State, http::Request, middleware::Next, response::Response};

use crate::AppState;

static HTTP_REQUESTS: AtomicU64 = AtomicU64::new(0);
static HTTP_ERRORS: AtomicU64 = AtomicU64::new(0);

/// Counts requests and 5xx answers.
pub async fn track(req: Request<Body>, next: Next) -> Response {
    HTTP_REQUESTS.fetch_add(1, Ordering::Relaxed);
    let res = next.run(req).await;
    if res.status().is_server_error() {
        HTTP_ERRORS.fetch_add(1, Ordering::Relaxed);
    }
    res
}

pub async fn render(State(state): State<AppState>) -> String {
    let hub = &state.service.hub;
    let writes = &state.service.messages.writer.stats;
    let lines = [
        ("confab_http_requests_total", "counter", HTTP_REQUESTS.load(Ordering::Relaxed)),
        ("confab_http_server_errors_total", "counter", HTTP_ERRORS.load(Ordering::Relaxed)),
        ("confab_ws_connections", "gauge", hub.connection_count() as u64),
        ("confab_users_online", "gauge", hub.local_users().len() as u64),
        ("confab_frames_delivered_total", "counter", hub.stats.delivered.load(Ordering::Relaxed)),
        ("confab_slow_consumers_dropped_total", "counter", hub.stats.slow_consumers.load(Ordering::Relaxed)),
        ("confab_messages_stored_total", "counter", writes.messages.load(Ordering::Relaxed)),
        ("confab_message_commits_total", "counter", writes.commits.load(Ordering::Relaxed)),
    ];
    lines.iter().map(|(name, kind, value)| format!("# TYPE {name} {kind}\n{name} {value}\n")).collect()
}
