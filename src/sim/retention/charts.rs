//! The two SVG charts of `bench-retention`: disk bytes and reads searchable, per policy.

use std::collections::BTreeMap;
use std::path::Path;

use super::{DayFigures, RetentionReport};
use crate::error::{Error, Result};

/// Line colours (the Tableau 10 palette: distinct on white, in print and for most colour
/// vision deficiencies).
const COLORS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

pub(super) fn chart(
    report: &RetentionReport,
    path: &Path,
    title: &str,
    y_label: &str,
    value: impl Fn(&DayFigures) -> f64,
) -> Result<()> {
    use plotters::prelude::*;
    let plot_err =
        |e: &dyn std::fmt::Display| Error::Internal(format!("chart {}: {e}", path.display()));
    let mut series: BTreeMap<usize, Vec<(f64, f64)>> = BTreeMap::new();
    let mut lo = f64::MAX;
    let mut hi = f64::MIN;
    for (i, p) in report.policies.iter().enumerate() {
        let points: Vec<(f64, f64)> = p
            .days
            .iter()
            .map(|d| (f64::from(d.day), value(d).max(1e-3)))
            .collect();
        for (_, y) in &points {
            lo = lo.min(*y);
            hi = hi.max(*y);
        }
        series.insert(i, points);
    }
    if lo > hi {
        lo = 1e-3;
        hi = 1.0;
    }
    let (lo, hi) = (lo / 2.0, hi * 2.0);
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| plot_err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..f64::from(report.days.max(1)), (lo..hi).log_scale())
        .map_err(|e| plot_err(&e))?;
    chart
        .configure_mesh()
        .x_desc("simulated day")
        .y_desc(y_label)
        .draw()
        .map_err(|e| plot_err(&e))?;
    for (i, p) in report.policies.iter().enumerate() {
        let (r, g, b) = COLORS[i % COLORS.len()];
        let color = RGBColor(r, g, b).to_rgba();
        let points = series.remove(&i).unwrap_or_default();
        let last = points.last().copied();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| plot_err(&e))?
            .label(format!("{} ({} epochs)", p.policy, p.epoch))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        if p.extrapolated
            && let Some((x, y)) = last
        {
            chart
                .draw_series(DashedLineSeries::new(
                    vec![(x, y), (f64::from(report.days), y)],
                    6,
                    4,
                    color.stroke_width(2),
                ))
                .map_err(|e| plot_err(&e))?;
        }
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::LowerRight)
        .draw()
        .map_err(|e| plot_err(&e))?;
    root.present().map_err(|e| plot_err(&e))?;
    Ok(())
}
