//! Pure figures: latency histograms, their percentiles, and ratios to a
//! baseline. Latencies are recorded in microseconds.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// The longest latency a histogram holds (10 minutes); longer ones are clamped.
pub const MAX_LATENCY_US: u64 = 600_000_000;

/// A whole-run histogram: 3 significant figures (0.1% resolution).
pub fn run_histogram() -> Histogram<u64> {
    histogram(3)
}

/// A one-second histogram for the chart: 2 significant figures keeps a
/// thread's per-second series small (about 20 KB a second).
pub fn second_histogram() -> Histogram<u64> {
    histogram(2)
}

fn histogram(sigfig: u8) -> Histogram<u64> {
    // The bounds are constants that `new_with_bounds` accepts (low ≥ 1, high ≥ 2·low, sigfig ≤ 5).
    Histogram::new_with_bounds(1, MAX_LATENCY_US, sigfig).unwrap_or_else(|_| unreachable!("constant histogram bounds"))
}

/// Records one latency, clamped into the histogram's range.
pub fn record(h: &mut Histogram<u64>, micros: u64) {
    h.saturating_record(micros.clamp(1, MAX_LATENCY_US));
}

/// Latency percentiles of a set of requests, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Latency {
    pub min_us: u64,
    pub mean_us: f64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
}

impl Latency {
    /// `None` for an empty histogram.
    pub fn of(h: &Histogram<u64>) -> Option<Latency> {
        if h.is_empty() {
            return None;
        }
        Some(Latency {
            min_us: h.min(),
            mean_us: h.mean(),
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p99_us: h.value_at_quantile(0.99),
            p999_us: h.value_at_quantile(0.999),
            max_us: h.max(),
        })
    }
}

/// `a / b`, or `None` when `b` is zero or either is not a finite number.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    let r = a / b;
    (a.is_finite() && b.is_finite() && b != 0.0 && r.is_finite()).then_some(r)
}

/// A measurement set beside a baseline: throughput as a share of the
/// baseline's (below 1 is slower), latencies as multiples of the baseline's
/// (above 1 is slower).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versus {
    /// What was compared against (`json`, `hello`, or the other server in `compare`).
    pub against: String,
    pub throughput: Option<f64>,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
}

impl Versus {
    pub fn of(
        against: &str,
        throughput: f64,
        latency: Option<&Latency>,
        base_throughput: f64,
        base_latency: Option<&Latency>,
    ) -> Versus {
        let lat = |f: fn(&Latency) -> u64| match (latency, base_latency) {
            (Some(a), Some(b)) => ratio(f(a) as f64, f(b) as f64),
            _ => None,
        };
        Versus {
            against: against.to_owned(),
            throughput: ratio(throughput, base_throughput),
            p50: lat(|l| l.p50_us),
            p99: lat(|l| l.p99_us),
        }
    }
}

/// The median of some ratios (pairs in `compare`), ignoring missing ones.
pub fn median(values: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let mut v: Vec<f64> = values.into_iter().flatten().collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[mid] } else { (v[mid - 1] + v[mid]) / 2.0 })
}

/// Microseconds as a short human figure: `850 µs`, `12.3 ms`, `1.20 s`.
pub fn human_us(us: u64) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < 1_000_000 {
        format!("{:.1} ms", us as f64 / 1_000.0)
    } else {
        format!("{:.2} s", us as f64 / 1_000_000.0)
    }
}

/// A rate with thousands separators: `24,310`.
pub fn human_rate(r: f64) -> String {
    let n = r.round() as u64;
    let s = n.to_string();
    let head = match s.len() % 3 {
        0 => 3.min(s.len()),
        r => r,
    };
    let mut out = s[..head].to_owned();
    for group in s.as_bytes()[head..].chunks(3) {
        out.push(',');
        out.push_str(std::str::from_utf8(group).unwrap_or_default());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut h = run_histogram();
        // 1..=1000 ms, one request each.
        for ms in 1..=1000u64 {
            record(&mut h, ms * 1000);
        }
        let l = Latency::of(&h).unwrap();
        let near = |got: u64, want: u64| (got as f64 - want as f64).abs() / want as f64 <= 0.001;
        assert!(near(l.p50_us, 500_000), "{l:?}");
        assert!(near(l.p90_us, 900_000), "{l:?}");
        assert!(near(l.p99_us, 990_000), "{l:?}");
        assert!(near(l.p999_us, 999_000), "{l:?}");
        assert!(near(l.max_us, 1_000_000), "{l:?}");
        assert!(near(l.min_us, 1_000), "{l:?}");
        assert!((l.mean_us - 500_500.0).abs() / 500_500.0 < 0.001, "{l:?}");
    }

    #[test]
    fn empty_histogram_has_no_latency() {
        assert_eq!(Latency::of(&run_histogram()), None);
    }

    #[test]
    fn out_of_range_latencies_are_clamped_not_lost() {
        let mut h = run_histogram();
        record(&mut h, 0);
        record(&mut h, u64::MAX);
        assert_eq!(h.len(), 2);
        assert_eq!(h.min(), 1);
        assert!(h.max() >= MAX_LATENCY_US);
    }

    #[test]
    fn ratios() {
        assert_eq!(ratio(25.0, 100.0), Some(0.25));
        assert_eq!(ratio(1.0, 0.0), None);
        assert_eq!(ratio(f64::NAN, 1.0), None);
        let base = Latency { min_us: 1, mean_us: 1.0, p50_us: 100, p90_us: 1, p99_us: 400, p999_us: 1, max_us: 1 };
        let run = Latency { p50_us: 300, p99_us: 1000, ..base };
        let v = Versus::of("json", 30_000.0, Some(&run), 90_000.0, Some(&base));
        assert_eq!(v.against, "json");
        assert!((v.throughput.unwrap() - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(v.p50, Some(3.0));
        assert_eq!(v.p99, Some(2.5));
        let none = Versus::of("json", 1.0, None, 0.0, Some(&base));
        assert_eq!((none.throughput, none.p50, none.p99), (None, None, None));
    }

    #[test]
    fn medians() {
        assert_eq!(median([Some(3.0), None, Some(1.0), Some(2.0)]), Some(2.0));
        assert_eq!(median([Some(4.0), Some(1.0)]), Some(2.5));
        assert_eq!(median([None]), None);
    }

    #[test]
    fn human_figures() {
        assert_eq!(human_us(850), "850 µs");
        assert_eq!(human_us(12_345), "12.3 ms");
        assert_eq!(human_us(1_200_000), "1.20 s");
        assert_eq!(human_rate(24_310.4), "24,310");
        assert_eq!(human_rate(999.0), "999");
        assert_eq!(human_rate(1_234_567.0), "1,234,567");
    }
}
