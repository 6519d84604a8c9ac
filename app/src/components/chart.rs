//! Server-drawn SVG charts for the merchant's dashboard: a line over a series and a
//! funnel of horizontal bars. Plain SVG elements (text escaped like any view), so they
//! need no script and no chart library; the geometry is in pure functions.

use leptos::prelude::*;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 180.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 24.0;

/// A rounded-up top of the scale: 1, 2 or 5 times a power of ten.
pub fn nice_max(max: f64) -> f64 {
    if !max.is_finite() || max <= 0.0 {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|v| *v >= max).unwrap_or(10.0 * power)
}

/// The vertices `(x, y)` of `values` (`None`: no data at that point, left out) on a
/// scale up to `max`.
pub fn vertices(values: &[Option<f64>], max: f64) -> Vec<(f64, f64)> {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let step = if values.len() > 1 { plot_w / (values.len() - 1) as f64 } else { 0.0 };
    let max = if max > 0.0 { max } else { 1.0 };
    values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (LEFT + step * i as f64, TOP + plot_h * (1.0 - v.max(0.0) / max))))
        .collect()
}

/// The polyline's points (`x,y x,y …`) of vertices.
pub fn line_points(vertices: &[(f64, f64)]) -> String {
    vertices.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ")
}

/// A line chart of `values` (one per point), its scale labelled in `unit`, the first
/// and last points labelled `first` and `last`.
#[component]
pub fn LineChart(
    title: String,
    unit: &'static str,
    values: Vec<Option<f64>>,
    first: String,
    last: String,
) -> impl IntoView {
    let top = nice_max(values.iter().flatten().copied().fold(0.0, f64::max));
    let vertices = vertices(&values, top);
    let points = line_points(&vertices);
    // A dot on every point with data, so a lone point shows too.
    let dots = vertices
        .iter()
        .map(|(x, y)| view! { <circle class="chart__dot" cx=format!("{x:.1}") cy=format!("{y:.1}") r="2.5"></circle> })
        .collect_view();
    let total: f64 = values.iter().flatten().sum();
    let base = HEIGHT - BOTTOM;
    let right = WIDTH - RIGHT;
    let label_y = HEIGHT - 6.0;
    view! {
        <figure class="chart">
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title
                data-points=values.len() data-total=total.to_string()>
                <line class="chart__axis" x1=LEFT y1=base x2=right y2=base></line>
                <line class="chart__grid" x1=LEFT y1=TOP x2=right y2=TOP></line>
                <text class="chart__label" x=LEFT - 6.0 y=TOP + 4.0 text-anchor="end">{format!("{top} {unit}")}</text>
                <text class="chart__label" x=LEFT - 6.0 y=base text-anchor="end">"0"</text>
                <text class="chart__label" x=LEFT y=label_y>{first}</text>
                <text class="chart__label" x=right y=label_y text-anchor="end">{last}</text>
                <polyline class="chart__line" fill="none" points=points></polyline>
                {dots}
            </svg>
        </figure>
    }
}

/// One bar of the funnel: its width (of `span`, the widest step filling it) and its
/// share of the first step (`None` when the first step has nothing).
pub fn funnel_bar(count: i64, first: i64, widest: i64, span: f64) -> (f64, Option<f64>) {
    let width = if widest > 0 { span * (count.max(0) as f64 / widest as f64) } else { 0.0 };
    let share = (first > 0).then(|| count.max(0) as f64 / first as f64);
    (width.max(1.0), share)
}

/// The conversion funnel: one bar per step, as wide as its share of the first step.
#[component]
pub fn FunnelChart(title: String, steps: Vec<(&'static str, i64)>) -> impl IntoView {
    let first = steps.first().map_or(0, |(_, n)| *n);
    let widest = steps.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let row = 34.0;
    let height = row * steps.len() as f64 + 8.0;
    let label_w = 150.0;
    let span = WIDTH - label_w - 170.0;
    let bars = steps
        .into_iter()
        .enumerate()
        .map(|(i, (label, count))| {
            let y = 4.0 + row * i as f64;
            let (width, share) = funnel_bar(count, first, widest, span);
            let label_text = match share {
                Some(share) if i > 0 => format!("{count} ({:.0}% of the first)", share * 100.0),
                _ => count.to_string(),
            };
            view! {
                <text class="chart__label" x="0" y=y + 17.0>{label}</text>
                <rect class="chart__bar" x=label_w y=y width=format!("{width:.1}") height="24" data-count=count></rect>
                <text class="chart__label" x=label_w + width + 8.0 y=y + 17.0>{label_text}</text>
            }
        })
        .collect_view();
    view! {
        <figure class="chart chart--funnel">
            <figcaption>{title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {height}") role="img" aria-label=title>{bars}</svg>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_round_up_to_one_two_five() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(f64::NAN), 1.0);
        assert_eq!(nice_max(3.0), 5.0);
        assert_eq!(nice_max(17.0), 20.0);
        assert_eq!(nice_max(100.0), 100.0);
        assert_eq!(nice_max(101.0), 200.0);
    }

    #[test]
    fn a_line_has_one_vertex_per_point_with_data() {
        let points = line_points(&vertices(&[Some(1.0), None, Some(4.0), Some(2.0)], 5.0));
        assert_eq!(points.split(' ').count(), 3);
        assert!(points.starts_with("72.0,"), "{points}");
        assert!(points.ends_with(&format!(
            "{:.1},{:.1}",
            WIDTH - RIGHT,
            TOP + (HEIGHT - TOP - BOTTOM) * 0.6
        )));
        assert_eq!(line_points(&vertices(&[], 1.0)), "");
    }

    #[test]
    fn funnel_bars_shrink_with_the_steps() {
        assert_eq!(funnel_bar(200, 200, 200, 100.0), (100.0, Some(1.0)));
        assert_eq!(funnel_bar(50, 200, 200, 100.0), (25.0, Some(0.25)));
        assert_eq!(funnel_bar(0, 200, 200, 100.0), (1.0, Some(0.0)), "an empty step is still drawn");
        assert_eq!(
            funnel_bar(3, 0, 6, 100.0),
            (50.0, None),
            "no first step: widths by the widest, no shares"
        );
        assert_eq!(funnel_bar(0, 0, 0, 100.0), (1.0, None));
    }
}
