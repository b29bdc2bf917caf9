//! `/admin`: the operations monitor, for instance admins. A row per node (connections,
//! messages and deliveries per second, delivery latency p50/p99, memory, database size over
//! the last 15 minutes), fetched again every sampling interval without a reload.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::{
    api,
    components::{
        metric_chart::{Line, MetricChart},
        require_user::RequireUser,
    },
    i18n::{t, t_string, use_i18n},
    lazy::{wasm_split, LazyPage, Loaded},
    tr,
    types::{MonitorView, NodeSample, NodeSeries},
    AppError,
};

#[component]
pub fn AdminPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=move || t_string!(i18n, admin.title).to_string() />
        <RequireUser children=move |_| view! { <LazyPage load=admin_view /> } />
    }
}

/// The monitor, from a WASM chunk of its own (see [`crate::lazy`]).
#[wasm_split(admin_page, wasm_split_path = ::leptos::wasm_split, fallible)]
fn admin_view() -> Loaded {
    // In the browser only (see `LazyPage`): asked for when the page is shown.
    let monitor = Resource::new(|| (), |_| api::admin_monitor());
    let i18n = use_i18n();
    // The server samples every few seconds: ask again as often (in the browser only), until
    // the answer is a refusal, which another try would only repeat.
    Effect::new(move |_| {
        let every = std::time::Duration::from_secs(5);
        let refused = move || {
            monitor
                .with_untracked(|m| matches!(m, Some(Err(AppError::Forbidden { .. } | AppError::Unauthorized { .. }))))
        };
        let tick = move || {
            if !refused() {
                monitor.refetch();
            }
        };
        if let Ok(handle) = set_interval_with_handle(tick, every) {
            on_cleanup(move || handle.clear());
        }
    });
    Ok(view! {
        <Transition fallback=move || view! { <p class="loading">{tr!(i18n, common.loading)}</p> }>
            {move || {
                monitor
                    .get()
                    .map(|m| match m {
                        Ok(view) => view! { <Monitor view /> }.into_any(),
                        Err(e) => {
                            view! {
                                <section class="auth-card">
                                    <h1>{tr!(i18n, admin.title)}</h1>
                                    <p class="form-error" role="alert" data-testid="admin-error">
                                        {e.localized(i18n.get_locale())}
                                    </p>
                                    <p>
                                        <A href="/chat">
                                            {tr!(i18n, common.not_found.back)}
                                        </A>
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
    }
    .into_any())
}

#[component]
fn Monitor(view: MonitorView) -> impl IntoView {
    let i18n = use_i18n();
    let end = view.nodes.iter().filter_map(|n| n.samples.last().map(|s| s.at)).max().unwrap_or(0);
    let start = end - i64::from(view.window_secs) * 1000;
    let (minutes, seconds) = (view.window_secs / 60, view.interval_secs);
    let empty = view.nodes.is_empty();
    let nodes: Vec<_> = view.nodes.into_iter().map(|node| view! { <NodeRow node start end /> }).collect();
    view! {
        <div class="admin" data-testid="admin">
            <h1>{tr!(i18n, admin.heading)}</h1>
            <p class="admin-window">{t!(i18n, admin.window, minutes = minutes, seconds = seconds)}</p>
            {empty.then(|| view! { <p data-testid="admin-empty">{tr!(i18n, admin.no_samples)}</p> })}
            {nodes}
        </div>
    }
}

#[component]
fn NodeRow(node: NodeSeries, start: i64, end: i64) -> impl IntoView {
    let i18n = use_i18n();
    let heading = format!("node-{}", node.node.replace(|c: char| !c.is_ascii_alphanumeric(), "-"));
    let samples = node.samples;
    // One chart per figure: its lines, each a name (for the legend) and how to read it.
    let lines = |picks: &[(&'static str, Pick)]| -> Vec<Line> {
        picks
            .iter()
            .map(|&(name, pick)| Line { name, points: samples.iter().map(|s| (s.at, pick(s))).collect() })
            .collect()
    };
    let charts: [Chart; 6] = [
        (
            "chart-connections",
            t_string!(i18n, admin.connections).to_string(),
            count,
            lines(&[("", |s| Some(s.connections as f64))]),
        ),
        (
            "chart-messages",
            t_string!(i18n, admin.messages).to_string(),
            per_second,
            lines(&[("", |s| Some(s.messages_per_sec as f64))]),
        ),
        (
            "chart-deliveries",
            t_string!(i18n, admin.deliveries).to_string(),
            per_second,
            lines(&[("", |s| Some(s.deliveries_per_sec as f64))]),
        ),
        (
            "chart-latency",
            t_string!(i18n, admin.latency).to_string(),
            millis,
            lines(&[("p50", |s| ms(s.p50_us)), ("p99", |s| ms(s.p99_us))]),
        ),
        (
            "chart-memory",
            t_string!(i18n, admin.memory).to_string(),
            bytes,
            lines(&[("", |s| Some(s.memory_bytes as f64))]),
        ),
        (
            "chart-database",
            t_string!(i18n, admin.database).to_string(),
            bytes,
            lines(&[("", |s| Some(s.database_bytes as f64))]),
        ),
    ];
    let name = node.node.clone();
    let labelled_by = heading.clone();
    view! {
        <section class="admin-node" data-testid="admin-node" data-node=node.node aria-labelledby=labelled_by>
            <h2 id=heading>{t!(i18n, admin.node, name = move || name.clone())}</h2>
            <div class="metric-grid">
                {charts
                    .into_iter()
                    .map(|(testid, title, format, lines)| view! { <MetricChart title lines start end format testid /> })
                    .collect_view()}
            </div>
        </section>
    }
}

/// Reads one figure of a sample (`None`: none measured then).
type Pick = fn(&NodeSample) -> Option<f64>;

/// A chart's test id, title, how its values read, and its lines.
type Chart = (&'static str, String, fn(f64) -> String, Vec<Line>);

fn ms(micros: Option<u64>) -> Option<f64> {
    micros.map(|us| us as f64 / 1000.0)
}

fn count(v: f64) -> String {
    format!("{v:.0}")
}

fn per_second(v: f64) -> String {
    format!("{v:.0}/s")
}

fn millis(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.0} ms")
    }
}

fn bytes(v: f64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if v >= 1024.0 * MIB {
        format!("{:.2} GiB", v / (1024.0 * MIB))
    } else {
        format!("{:.1} MiB", v / MIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_in_their_units() {
        assert_eq!(millis(0.42), "0.42 ms");
        assert_eq!(millis(31.4), "31 ms");
        assert_eq!(bytes(15.0 * 1024.0 * 1024.0), "15.0 MiB");
        assert_eq!(bytes(3.0 * 1024.0 * 1024.0 * 1024.0), "3.00 GiB");
        assert_eq!(per_second(999.6), "1000/s");
    }
}
