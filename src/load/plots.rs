//! SVG plots of a load run (plotters, SVG backend only: no fonts or system libraries needed).
//!
//! - the latency percentile distribution, with the x axis in "nines" (90 %, 99 %, 99.9 % ...)
//!   so the tail, where coordinated omission hides, gets as much room as the median;
//! - throughput over time: achieved completions and errors per second against the target rate;
//! - p50 and p99 over time, per second.

use super::metrics::SecondStats;
use plotters::prelude::*;

/// A named latency distribution: (percentile, µs) points.
pub type Curve<'a> = (&'a str, &'a [(f64, u64)]);
/// A named, coloured line of (x, y) points.
type Line<'a> = (&'a str, RGBColor, Vec<(f64, f64)>);
/// A named, coloured pick of one figure of each second.
type Pick<'a> = (&'a str, RGBColor, fn(&SecondStats) -> u64);

const SIZE: (u32, u32) = (860, 440);
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn err(e: impl std::fmt::Debug) -> String {
    format!("{e:?}")
}

type Chart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// Draws each named line with its legend entry, then the legend box: every plot here ends so.
fn draw_lines<'b>(
    chart: &mut Chart<'b, 'b>,
    lines: Vec<Line<'_>>,
    legend: SeriesLabelPosition,
) -> Result<(), String> {
    for (name, color, pts) in lines {
        chart
            .draw_series(LineSeries::new(pts, color.stroke_width(2)))
            .map_err(err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
    }
    chart
        .configure_series_labels()
        .position(legend)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(err)?;
    Ok(())
}

/// Percentile -> "nines": 90 % -> 1, 99 % -> 2, 99.9 % -> 3; capped at 5 (and max at 5.3).
fn nines(percentile: f64) -> f64 {
    if percentile >= 100.0 {
        5.3
    } else {
        (-(1.0 - percentile / 100.0).log10()).clamp(0.0, 5.0)
    }
}

fn nines_label(x: &f64) -> String {
    match x.round() as i64 {
        0 => "0%".into(),
        1 => "90%".into(),
        2 => "99%".into(),
        3 => "99.9%".into(),
        4 => "99.99%".into(),
        5 => "99.999%".into(),
        _ => String::new(),
    }
}

/// The latency distribution of each curve, in milliseconds.
pub fn latency_distribution(title: &str, curves: &[Curve<'_>]) -> Result<String, String> {
    let ymax = curves
        .iter()
        .flat_map(|(_, c)| c.iter().map(|p| p.1))
        .max()
        .unwrap_or(1) as f64
        / 1000.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..5.4f64, 0f64..(ymax * 1.08).max(0.01))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("latency (ms)")
            .x_labels(6)
            .x_label_formatter(&nines_label)
            .draw()
            .map_err(err)?;
        let lines: Vec<Line<'_>> = curves
            .iter()
            .enumerate()
            .map(|(i, (name, pts))| {
                let pts = pts
                    .iter()
                    .map(|(p, us)| (nines(*p), *us as f64 / 1000.0))
                    .collect();
                (*name, COLORS[i % COLORS.len()], pts)
            })
            .collect();
        draw_lines(&mut chart, lines, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Achieved completions and errors per second, against the target rate.
pub fn throughput(title: &str, seconds: &[SecondStats], target: &[f64]) -> Result<String, String> {
    let n = seconds.len().max(target.len()).max(1) as f64;
    let ymax = seconds
        .iter()
        .map(|s| s.completed as f64)
        .chain(target.iter().copied())
        .fold(1.0, f64::max);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..n, 0f64..ymax * 1.1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("seconds")
            .y_desc("operations / s")
            .draw()
            .map_err(err)?;
        let series: [Line<'_>; 3] = [
            (
                "target rate",
                RGBColor(150, 150, 150),
                target
                    .iter()
                    .enumerate()
                    .map(|(i, r)| (i as f64 + 0.5, *r))
                    .collect(),
            ),
            (
                "completed / s",
                COLORS[0],
                seconds
                    .iter()
                    .map(|s| (s.second as f64 + 0.5, s.completed as f64))
                    .collect(),
            ),
            (
                "errors / s",
                COLORS[3],
                seconds
                    .iter()
                    .map(|s| (s.second as f64 + 0.5, s.errors as f64))
                    .collect(),
            ),
        ];
        draw_lines(&mut chart, series.into(), SeriesLabelPosition::LowerRight)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Corrected p50 and p99 per second, in milliseconds.
pub fn latency_over_time(title: &str, seconds: &[SecondStats]) -> Result<String, String> {
    let n = seconds.len().max(1) as f64;
    let ymax = seconds.iter().map(|s| s.p99_us).max().unwrap_or(1) as f64 / 1000.0;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..n, 0f64..(ymax * 1.1).max(0.01))
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("seconds")
            .y_desc("latency (ms)")
            .draw()
            .map_err(err)?;
        let pick: [Pick<'_>; 2] = [
            ("p50", COLORS[0], |s| s.p50_us),
            ("p99", COLORS[3], |s| s.p99_us),
        ];
        let lines: Vec<Line<'_>> = pick
            .into_iter()
            .map(|(name, color, f)| {
                let pts = seconds
                    .iter()
                    .filter(|s| s.completed > s.errors)
                    .map(|s| (s.second as f64 + 0.5, f(s) as f64 / 1000.0))
                    .collect();
                (name, color, pts)
            })
            .collect();
        draw_lines(&mut chart, lines, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}
