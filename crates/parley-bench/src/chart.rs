//! `--chart`: throughput and latency (p50, p99) per second over the whole
//! run, baseline included, as one SVG: throughput above, latency (log scale)
//! below, one colour per measurement.

use std::path::Path;

use anyhow::anyhow;
use plotters::prelude::*;

use crate::report::{Measurement, Report};

/// (time from the run's start, requests/s, p50 ms, p99 ms).
pub type Point = (f64, f64, f64, f64);

/// A measurement's points, one per second.
pub fn points(m: &Measurement) -> Vec<Point> {
    let mut out = Vec::new();
    for (i, s) in m.per_second.iter().enumerate() {
        // The last second is partial: scale its count, or drop it if too short to mean much.
        let covered = (m.seconds - i as f64).clamp(0.0, 1.0);
        if covered < 0.25 || s.requests == 0 {
            continue;
        }
        let t = m.offset_s + i as f64 + covered / 2.0;
        out.push((t, s.requests as f64 / covered, s.p50_us as f64 / 1000.0, s.p99_us as f64 / 1000.0));
    }
    out
}

/// Okabe–Ito: distinguishable in colour-blind vision and in greyscale print.
const COLORS: [RGBColor; 8] = [
    RGBColor(213, 94, 0),
    RGBColor(0, 114, 178),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(0, 0, 0),
    RGBColor(128, 128, 128),
];

fn color(i: usize) -> RGBAColor {
    COLORS[i % COLORS.len()].to_rgba()
}

pub fn draw(report: &Report, path: &Path) -> anyhow::Result<()> {
    let series: Vec<(&Measurement, Vec<Point>)> =
        report.baseline.iter().chain(&report.phases).map(|m| (m, points(m))).filter(|(_, p)| !p.is_empty()).collect();
    let err = |e: &dyn std::fmt::Display| anyhow!("drawing {}: {e}", path.display());
    let end = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.0)).fold(1.0, f64::max).ceil();
    // Both panels are logarithmic: a scenario at 3% of the baseline still shows its shape.
    let top = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.1)).fold(1.0, f64::max) * 1.5;
    let bottom = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.1)).filter(|&v| v > 0.0).fold(top, f64::min) / 1.5;
    let lat_max = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.3)).fold(1.0, f64::max) * 1.5;
    let lat_min =
        series.iter().flat_map(|(_, p)| p.iter().map(|x| x.2)).filter(|&v| v > 0.0).fold(lat_max, f64::min) / 1.5;

    let root = SVGBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let title = format!("parley-bench {} — {}", report.scenario, report.target);
    let root = root.titled(&title, ("sans-serif", 22)).map_err(|e| err(&e))?;
    let (upper, lower) = root.split_vertically(390);

    let mut chart = ChartBuilder::on(&upper)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..end, (bottom.max(0.1)..top).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .y_desc("requests/s")
        .x_desc("seconds")
        .y_label_formatter(&|v| format!("{v:.0}"))
        .draw()
        .map_err(|e| err(&e))?;
    for (i, (m, p)) in series.iter().enumerate() {
        let color = color(i);
        // Dots as well as lines: a phase of one second is a single point.
        chart.draw_series(p.iter().map(|x| Circle::new((x.0, x.1), 3, color.filled()))).map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(p.iter().map(|x| (x.0, x.1)), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(m.name.clone())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| err(&e))?;

    let mut chart = ChartBuilder::on(&lower)
        .margin(10)
        .x_label_area_size(30)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..end, (lat_min.max(0.001)..lat_max).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .y_desc("latency, ms (p50 thick, p99 thin)")
        .x_desc("seconds")
        .y_label_formatter(&|v| if *v < 1.0 { format!("{v:.2}") } else { format!("{v:.0}") })
        .draw()
        .map_err(|e| err(&e))?;
    for (i, (_, p)) in series.iter().enumerate() {
        let color = color(i);
        chart
            .draw_series(p.iter().map(|x| Circle::new((x.0, x.2.max(0.001)), 3, color.filled())))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(p.iter().map(|x| Circle::new((x.0, x.3.max(0.001)), 2, color.mix(0.6).filled())))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(p.iter().map(|x| (x.0, x.2.max(0.001))), color.stroke_width(2)))
            .map_err(|e| err(&e))?;
        chart
            .draw_series(LineSeries::new(p.iter().map(|x| (x.0, x.3.max(0.001))), color.mix(0.6).stroke_width(1)))
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::report::{Second, Settings};

    fn m(name: &str, offset: f64, seconds: f64, per: &[(u64, u64, u64)]) -> Measurement {
        Measurement {
            name: name.into(),
            requests: per.iter().map(|p| p.0).sum(),
            ok: 0,
            errors: BTreeMap::new(),
            seconds,
            throughput: 0.0,
            ok_throughput: 0.0,
            latency: None,
            offset_s: offset,
            per_second: per
                .iter()
                .map(|&(r, p50, p99)| Second { requests: r, errors: 0, p50_us: p50, p99_us: p99 })
                .collect(),
            vs_baseline: None,
        }
    }

    #[test]
    fn partial_last_second_is_scaled_or_dropped() {
        let p = points(&m("x", 10.0, 2.5, &[(100, 1000, 2000), (100, 1000, 2000), (50, 1000, 2000)]));
        assert_eq!(p.len(), 3);
        assert_eq!(p[0], (10.5, 100.0, 1.0, 2.0));
        assert_eq!(p[2], (12.25, 100.0, 1.0, 2.0));
        let short = points(&m("x", 0.0, 1.1, &[(100, 1, 1), (10, 1, 1)]));
        assert_eq!(short.len(), 1);
    }

    #[test]
    fn draws_an_svg() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.svg");
        let report = Report {
            tool: "t".into(),
            scenario: "viral-poll".into(),
            target: "http://127.0.0.1:1".into(),
            started_at: 0,
            settings: Settings {
                concurrency: 1,
                threads: 1,
                client: "conn".into(),
                duration_s: None,
                requests: None,
                warmup_s: 0.0,
                tokens: 2,
            },
            baseline: vec![m("baseline-json", 0.0, 2.0, &[(90_000, 500, 2_000), (91_000, 480, 1_900)])],
            phases: vec![m(
                "votes",
                3.0,
                3.0,
                &[(20_000, 5_000, 20_000), (25_000, 4_000, 15_000), (24_000, 4_100, 16_000)],
            )],
            checks: vec![],
            extra: serde_json::Value::Null,
            notes: vec![],
            headline: "votes".into(),
            ok: true,
        };
        draw(&report, &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
        assert!(svg.contains("baseline-json") && svg.contains("votes"));
    }
}
