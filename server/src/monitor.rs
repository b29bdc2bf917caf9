//! The operations monitor behind `/admin`: every node samples its own figures every few
//! seconds and publishes them on the bus, so each node holds every live node's last fifteen
//! minutes and any of them can answer the admin page.
//!
//! Samples are ephemeral (never stored): a restarted node starts a new series, and a node that
//! stops sampling drops out of the view once its last sample is older than the window.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{atomic::Ordering, Arc, Weak},
    time::{Duration, Instant},
};

use app::types::{MonitorView, NodeSample, NodeSeries};
use parking_lot::Mutex;

use crate::{events::Event, metrics, service::ChatService};

/// How often each node samples.
pub const INTERVAL: Duration = Duration::from_secs(5);
/// How far back the admin page looks.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
const KEPT: usize = (WINDOW.as_secs() / INTERVAL.as_secs()) as usize + 1;

#[derive(Default)]
pub struct Monitor {
    series: Mutex<BTreeMap<String, VecDeque<NodeSample>>>,
}

impl Monitor {
    pub fn record(&self, node: &str, sample: NodeSample) {
        let mut series = self.series.lock();
        let samples = series.entry(node.to_string()).or_default();
        samples.push_back(sample);
        while samples.len() > KEPT {
            samples.pop_front();
        }
    }

    /// Every node heard from within the window, with its samples from the window.
    pub fn view(&self, now_ms: i64) -> MonitorView {
        let since = now_ms - WINDOW.as_millis() as i64;
        let mut series = self.series.lock();
        series.retain(|_, samples| samples.back().is_some_and(|s| s.at >= since));
        let nodes = series
            .iter()
            .map(|(node, samples)| NodeSeries {
                node: node.clone(),
                samples: samples.iter().filter(|s| s.at >= since).cloned().collect(),
            })
            .collect();
        MonitorView { interval_secs: INTERVAL.as_secs() as u32, window_secs: WINDOW.as_secs() as u32, nodes }
    }
}

/// Counters as they stood at the last sample.
struct Last {
    at: Instant,
    messages: u64,
    delivered: u64,
    latency: Vec<u64>,
}

/// Samples this node until the service is gone; the first sample goes out at once.
pub async fn sample_loop(service: Weak<ChatService>) {
    let mut ticks = tokio::time::interval(INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last: Option<Last> = None;
    loop {
        ticks.tick().await;
        let Some(service) = service.upgrade() else { return };
        let (sample, now) = sample(&service, last.as_ref()).await;
        last = Some(now);
        service.bus.publish(Event::NodeStats { node: service.node.clone(), sample });
    }
}

async fn sample(service: &Arc<ChatService>, last: Option<&Last>) -> (NodeSample, Last) {
    let now = Last {
        at: Instant::now(),
        messages: service.messages.writer.stats.messages.load(Ordering::Relaxed),
        delivered: service.hub.stats.delivered.load(Ordering::Relaxed),
        latency: metrics::DELIVERY_LATENCY.counts(),
    };
    let secs = last.map_or(0.0, |l| now.at.duration_since(l.at).as_secs_f64());
    let rate = |current: u64, before: Option<u64>| match before {
        Some(before) if secs > 0.0 => (current.saturating_sub(before) as f64 / secs).round() as u64,
        _ => 0,
    };
    let latency: Vec<u64> = match last {
        Some(l) => now.latency.iter().zip(&l.latency).map(|(a, b)| a.saturating_sub(*b)).collect(),
        None => vec![0; now.latency.len()],
    };
    let sample = NodeSample {
        at: crate::service::now_ms(),
        connections: service.hub.connection_count() as u64,
        online: service.hub.local_users().len() as u64,
        messages_per_sec: rate(now.messages, last.map(|l| l.messages)),
        deliveries_per_sec: rate(now.delivered, last.map(|l| l.delivered)),
        p50_us: metrics::DELIVERY_LATENCY.quantile(&latency, 0.5),
        p99_us: metrics::DELIVERY_LATENCY.quantile(&latency, 0.99),
        memory_bytes: metrics::resident_bytes(),
        database_bytes: service.storage.database_bytes().await.unwrap_or(0),
    };
    (sample, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> NodeSample {
        NodeSample {
            at: ms,
            connections: 1,
            online: 1,
            messages_per_sec: 0,
            deliveries_per_sec: 0,
            p50_us: None,
            p99_us: None,
            memory_bytes: 0,
            database_bytes: 0,
        }
    }

    #[test]
    fn the_view_keeps_the_window_and_drops_silent_nodes() {
        let monitor = Monitor::default();
        let window = WINDOW.as_millis() as i64;
        monitor.record("a", at(0));
        monitor.record("a", at(window));
        monitor.record("b", at(10));
        let view = monitor.view(window + 20);
        assert_eq!(view.nodes.len(), 1, "b has been silent longer than the window");
        assert_eq!(view.nodes[0].node, "a");
        assert_eq!(view.nodes[0].samples, vec![at(window)]);
        for i in 0..(KEPT as i64 + 10) {
            monitor.record("c", at(window + i));
        }
        let c = monitor.view(window + 20).nodes.into_iter().find(|n| n.node == "c").unwrap();
        assert_eq!(c.samples.len(), KEPT, "bounded");
    }
}
