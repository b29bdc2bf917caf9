//! A small line chart of one figure over the monitor's window (SVG, no plotting library: a
//! polyline per series costs the bundle a few hundred bytes).

use leptos::prelude::*;

/// One line: its name (for the legend) and its values, `None` where there was no value.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: &'static str,
    pub points: Vec<(i64, Option<f64>)>,
}

const WIDTH: f64 = 300.0;
const HEIGHT: f64 = 80.0;

/// `title` over the lines from `start` to `end` (milliseconds), values written by `format`.
/// The latest value of each line is printed beside the title, and the chart's accessible name
/// says the same, so the figure reads without the picture.
#[component]
pub fn MetricChart(
    title: String,
    lines: Vec<Line>,
    start: i64,
    end: i64,
    format: fn(f64) -> String,
    #[prop(into)] testid: String,
) -> impl IntoView {
    let max = lines.iter().flat_map(|l| l.points.iter().filter_map(|p| p.1)).fold(0.0_f64, f64::max);
    let top = if max > 0.0 { max * 1.1 } else { 1.0 };
    let span = (end - start).max(1) as f64;
    let x = move |at: i64| ((at - start) as f64 / span * WIDTH).clamp(0.0, WIDTH);
    let y = move |v: f64| HEIGHT - (v / top * HEIGHT).clamp(0.0, HEIGHT);
    let latest: Vec<String> = lines
        .iter()
        .map(|l| {
            let value = l.points.iter().rev().find_map(|p| p.1).map_or("–".to_string(), format);
            if l.name.is_empty() {
                value
            } else {
                format!("{} {value}", l.name)
            }
        })
        .collect();
    let summary = format!("{title}: {}", latest.join(", "));
    let paths: Vec<_> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let points: Vec<String> =
                line.points.iter().filter_map(|&(at, v)| v.map(|v| format!("{:.1},{:.1}", x(at), y(v)))).collect();
            view! { <polyline class=format!("chart-line chart-line-{i}") points=points.join(" ") /> }
        })
        .collect();
    view! {
        <figure class="metric-chart" data-testid=testid data-samples=lines.first().map_or(0, |l| l.points.len())>
            <figcaption>
                <span class="metric-title">{title}</span>
                <span class="metric-latest" data-testid="metric-latest">{latest.join(" · ")}</span>
            </figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=summary>
                <line class="chart-axis" x1="0" y1=HEIGHT x2=WIDTH y2=HEIGHT />
                {paths}
            </svg>
            <span class="metric-scale">{format(max)}</span>
        </figure>
    }
}
