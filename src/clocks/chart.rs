//! A grouped bar chart of the dashboard, laid out here (SVG user units) and drawn by
//! `templates/dashboard/chart.html` as an inline SVG: askama escapes every text, no markup is
//! built in Rust, no style attribute (CSP), no script.

/// One series: its name, its fill colour and one value per group (`None`: no figure).
pub type Series = (&'static str, &'static str, Vec<Option<f64>>);

/// One bar.
#[derive(Debug, Clone)]
pub struct Bar {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub fill: &'static str,
    /// "Compliance review 2026-11: 3.5 business hours", the bar's `<title>`.
    pub title: String,
}

/// A label under a group, or a value on the axis.
#[derive(Debug, Clone)]
pub struct Label {
    pub x: f64,
    pub y: f64,
    pub text: String,
}

/// The laid-out chart.
#[derive(Debug, Clone)]
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    pub baseline: f64,
    pub bars: Vec<Bar>,
    pub groups: Vec<Label>,
    /// Horizontal grid lines with their values (y, label at the left edge).
    pub grid: Vec<Label>,
    /// (series name, colour) for the legend beside the chart.
    pub legend: Vec<(&'static str, &'static str)>,
    /// The figures as text, for screen readers.
    pub summary: String,
}

impl Chart {
    const W: f64 = 720.0;
    const H: f64 = 240.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 28.0;
    const LEFT: f64 = 44.0;

    /// Lays out one group per entry of `groups`, one bar per series; `unit` names the values
    /// ("business hours", "items").
    pub fn grouped(
        id: &'static str,
        title: impl Into<String>,
        groups: &[String],
        series: &[Series],
        unit: &str,
    ) -> Chart {
        let max = series
            .iter()
            .flat_map(|s| s.2.iter().flatten().copied())
            .fold(0.0_f64, f64::max);
        let top = axis_top(max);
        let (left, right) = (Self::LEFT, Self::W - 8.0);
        let baseline = Self::H - Self::BOTTOM;
        let span = baseline - Self::TOP;
        let group_w = (right - left) / groups.len().max(1) as f64;
        let bar_w = group_w * 0.8 / series.len().max(1) as f64;
        let mut bars = Vec::new();
        let mut labels = Vec::new();
        // Label every group when they fit, else every other one.
        let step = if groups.len() > 16 { 2 } else { 1 };
        for (i, g) in groups.iter().enumerate() {
            let gx = left + i as f64 * group_w + group_w * 0.1;
            if i % step == 0 {
                labels.push(Label {
                    x: gx + group_w * 0.4,
                    y: baseline + 16.0,
                    text: g.clone(),
                });
            }
            for (j, (name, fill, values)) in series.iter().enumerate() {
                let Some(Some(v)) = values.get(i) else {
                    continue;
                };
                let h = if top > 0.0 { span * v / top } else { 0.0 };
                bars.push(Bar {
                    x: gx + j as f64 * bar_w,
                    y: baseline - h,
                    w: bar_w * 0.9,
                    h,
                    fill,
                    title: format!("{name}, {g}: {} {unit}", fmt(*v)),
                });
            }
        }
        let grid = (0..=4)
            .map(|k| {
                let v = top * f64::from(k) / 4.0;
                Label {
                    x: left - 4.0,
                    y: baseline - span * f64::from(k) / 4.0,
                    text: fmt(v),
                }
            })
            .collect();
        let summary = groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let parts: Vec<String> = series
                    .iter()
                    .map(|(name, _, v)| match v.get(i).copied().flatten() {
                        Some(x) => format!("{name} {}", fmt(x)),
                        None => format!("{name} none"),
                    })
                    .collect();
                format!("{g}: {}", parts.join(", "))
            })
            .collect::<Vec<_>>()
            .join("; ");
        Chart {
            id,
            title: title.into(),
            width: Self::W,
            height: Self::H,
            left,
            right,
            baseline,
            bars,
            groups: labels,
            grid,
            legend: series.iter().map(|(n, c, _)| (*n, *c)).collect(),
            summary: format!("{summary} ({unit})"),
        }
    }
}

/// The top of the axis: four grid steps of 1, 2, 3 or 5 × 10ⁿ (at least 1), reaching `v`, so
/// the grid values are round (counts stay whole numbers).
fn axis_top(v: f64) -> f64 {
    let quarter = v / 4.0;
    if quarter <= 1.0 {
        return 4.0;
    }
    let mag = 10f64.powf(quarter.log10().floor());
    let step = [1.0, 2.0, 3.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|c| *c >= quarter)
        .unwrap_or(10.0 * mag);
    step * 4.0
}

/// A value as shown: whole numbers without decimals, else one decimal.
pub fn fmt(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_a_round_top_and_missing_values_have_no_bar() {
        assert_eq!(axis_top(0.0), 4.0);
        assert_eq!(axis_top(1.0), 4.0);
        assert_eq!(axis_top(7.0), 8.0);
        assert_eq!(axis_top(13.0), 20.0);
        assert_eq!(axis_top(90.0), 120.0);
        let c = Chart::grouped(
            "t",
            "Test",
            &["a".into(), "b".into()],
            &[
                ("One", "#000", vec![Some(5.0), None]),
                ("Two", "#111", vec![Some(10.0), Some(2.5)]),
            ],
            "items",
        );
        assert_eq!(c.bars.len(), 3);
        let tallest = c.bars.iter().map(|b| b.h).fold(0.0, f64::max);
        // 10 on an axis of 12 (steps of 3).
        assert!((tallest - (c.baseline - 12.0) * 10.0 / 12.0).abs() < 1e-9);
        assert!(
            c.summary.contains("a: One 5, Two 10; b: One none, Two 2.5"),
            "{}",
            c.summary
        );
    }
}
