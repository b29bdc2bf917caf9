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
        .flat_map(|(i, line)| segments(&line.points).into_iter().map(move |segment| (i, segment)))
        .map(|(i, segment)| {
            let mut points: Vec<String> = segment.iter().map(|&(at, v)| format!("{:.1},{:.1}", x(at), y(v))).collect();
            // A lone sample is a dot: a line of no length, drawn with round caps.
            if points.len() == 1 {
                points.push(points[0].clone());
            }
            view! { <polyline class=format!("chart-line chart-line-{i}") points=points.join(" ") /> }
        })
        .collect();
    let i18n = crate::i18n::use_i18n();
    let peak = format(max);
    let peak_y = y(max);
    view! {
        <figure class="metric-chart" data-testid=testid data-samples=lines.first().map_or(0, |l| l.points.len())>
            <figcaption>
                <span class="metric-title">{title}</span>
                <span class="metric-latest" data-testid="metric-latest">{latest.join(" · ")}</span>
            </figcaption>
            // The scale: the window's highest value, written over the dashed line at its height.
            <span class="metric-scale">{move || crate::i18n::t_string!(i18n, admin.peak, value = peak.clone())}</span>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=summary>
                <line class="chart-peak" x1="0" y1=peak_y x2=WIDTH y2=peak_y />
                <line class="chart-axis" x1="0" y1=HEIGHT x2=WIDTH y2=HEIGHT />
                {paths}
            </svg>
        </figure>
    }
}

/// The runs of a line between samples without a value: no line is drawn across a time when
/// nothing was measured (no deliveries, no latency).
fn segments(points: &[(i64, Option<f64>)]) -> Vec<Vec<(i64, f64)>> {
    let mut runs: Vec<Vec<(i64, f64)>> = Vec::new();
    let mut open = false;
    for &(at, value) in points {
        match (value, runs.last_mut()) {
            (Some(v), Some(run)) if open => run.push((at, v)),
            (Some(v), _) => {
                runs.push(vec![(at, v)]);
                open = true;
            }
            (None, _) => open = false,
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_breaks_where_nothing_was_measured() {
        let points = [(1, Some(1.0)), (2, Some(2.0)), (3, None), (4, None), (5, Some(5.0)), (6, None), (7, Some(7.0))];
        assert_eq!(segments(&points), vec![vec![(1, 1.0), (2, 2.0)], vec![(5, 5.0)], vec![(7, 7.0)]]);
        assert!(segments(&[(1, None)]).is_empty());
    }
}
