//! A run's results: the JSON written by `--json` and the text printed at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::stats::{Latency, Versus, human_rate, human_us};

/// The figures of one class of requests in one phase of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What was measured: `votes`, `timeline-during-votes`, `baseline-json`…
    pub name: String,
    /// Requests that finished, answered or not.
    pub requests: u64,
    /// Answers with a 2xx status.
    pub ok: u64,
    /// Everything else, by status (`"422"`), `io` for requests with no answer.
    pub errors: BTreeMap<String, u64>,
    /// How long the phase ran.
    pub seconds: f64,
    /// `requests / seconds`.
    pub throughput: f64,
    /// `ok / seconds`.
    pub ok_throughput: f64,
    pub latency: Option<Latency>,
    /// When the phase started, in seconds from the start of the run (for the chart).
    pub offset_s: f64,
    /// One entry per second of the phase.
    pub per_second: Vec<Second>,
    /// Against the same-run baseline (the JSON one for Mastodon API requests).
    pub vs_baseline: Option<Versus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Second {
    pub requests: u64,
    pub errors: u64,
    pub p50_us: u64,
    pub p99_us: u64,
}

/// A correctness check; a failed one makes the run exit with code 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub fn new(name: &str, ok: bool, detail: impl Into<String>) -> Check {
        Check { name: name.to_owned(), ok, detail: detail.into() }
    }
}

/// How the load was shaped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub concurrency: usize,
    pub threads: usize,
    pub client: String,
    pub duration_s: Option<f64>,
    pub requests: Option<u64>,
    pub warmup_s: f64,
    pub tokens: usize,
}

/// Everything `--json` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub tool: String,
    pub scenario: String,
    pub target: String,
    /// Seconds since the Unix epoch when the run started.
    pub started_at: u64,
    pub settings: Settings,
    /// `baseline-hello` and `baseline-json`, measured right before the scenario.
    pub baseline: Vec<Measurement>,
    pub phases: Vec<Measurement>,
    pub checks: Vec<Check>,
    /// Scenario-specific figures (for `post-fanout`: post latencies and fan-out times).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub extra: serde_json::Value,
    pub notes: Vec<String>,
    /// The phase `compare` sets side by side.
    #[serde(default)]
    pub headline: String,
    /// All checks passed and nothing went wrong.
    pub ok: bool,
}

impl Report {
    /// Sets every phase's ratio to the JSON baseline (all Mastodon API answers are JSON).
    pub fn compare_to_baseline(&mut self) {
        let Some(base) = self.baseline.iter().find(|m| m.name == "baseline-json").cloned() else {
            return;
        };
        for m in &mut self.phases {
            m.vs_baseline =
                Some(Versus::of("json", m.throughput, m.latency.as_ref(), base.throughput, base.latency.as_ref()));
        }
        if let Some(hello) = self.baseline.iter_mut().find(|m| m.name == "baseline-hello") {
            hello.vs_baseline = Some(Versus::of(
                "json",
                hello.throughput,
                hello.latency.as_ref(),
                base.throughput,
                base.latency.as_ref(),
            ));
        }
    }

    pub fn finish(&mut self) {
        self.compare_to_baseline();
        self.ok = self.checks.iter().all(|c| c.ok);
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        write_json(self, path)
    }

    /// The measurement `compare` sets side by side.
    pub fn headline(&self) -> Option<&Measurement> {
        self.phases.iter().find(|m| m.name == self.headline).or(self.phases.first())
    }

    /// The text printed at the end of a run.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let s = &self.settings;
        let _ = writeln!(
            out,
            "{} against {} · concurrency {} · {} client thread(s) · {} client · {} token(s)",
            self.scenario, self.target, s.concurrency, s.threads, s.client, s.tokens
        );
        for m in self.baseline.iter().chain(&self.phases) {
            out.push_str(&render_measurement(m));
        }
        for note in &self.notes {
            let _ = writeln!(out, "  note: {note}");
        }
        for c in &self.checks {
            let _ = writeln!(out, "  check {}: {} — {}", c.name, if c.ok { "ok" } else { "FAILED" }, c.detail);
        }
        let _ = writeln!(out, "{}", if self.ok { "result: ok" } else { "result: FAILED" });
        out
    }
}

pub fn write_json(value: &impl Serialize, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

pub fn render_measurement(m: &Measurement) -> String {
    let mut out = String::new();
    if m.seconds > 0.0 {
        let _ = write!(
            out,
            "  {:<26} {:>9} req in {:>6.2} s  {:>9} req/s",
            m.name,
            m.requests,
            m.seconds,
            human_rate(m.throughput)
        );
    } else {
        // One request at a time (a post): only its latency means something.
        let _ = write!(out, "  {:<26} {:>9} req", m.name, m.requests);
    }
    if m.ok != m.requests && m.seconds > 0.0 {
        let _ = write!(out, " (2xx {}/s)", human_rate(m.ok_throughput));
    }
    out.push('\n');
    if let Some(l) = &m.latency {
        let _ = writeln!(
            out,
            "  {:<26} p50 {}  p90 {}  p99 {}  p99.9 {}  max {}",
            "",
            human_us(l.p50_us),
            human_us(l.p90_us),
            human_us(l.p99_us),
            human_us(l.p999_us),
            human_us(l.max_us)
        );
    }
    if !m.errors.is_empty() {
        let list: Vec<String> = m.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = writeln!(out, "  {:<26} errors: {}", "", list.join(", "));
    }
    if let Some(v) = &m.vs_baseline {
        let _ = writeln!(out, "  {:<26} vs {}: {}", "", v.against, render_versus(v));
    }
    out
}

pub fn render_versus(v: &Versus) -> String {
    let f = |x: Option<f64>| x.map_or("–".to_owned(), |x| format!("{x:.2}×"));
    format!("throughput {}, p50 {}, p99 {}", f(v.throughput), f(v.p50), f(v.p99))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measurement(name: &str, throughput: f64, p50: u64, p99: u64) -> Measurement {
        Measurement {
            name: name.to_owned(),
            requests: 1000,
            ok: 1000,
            errors: BTreeMap::new(),
            seconds: 1000.0 / throughput,
            throughput,
            ok_throughput: throughput,
            latency: Some(Latency {
                min_us: 1,
                mean_us: p50 as f64,
                p50_us: p50,
                p90_us: p99,
                p99_us: p99,
                p999_us: p99,
                max_us: p99,
            }),
            offset_s: 0.0,
            per_second: vec![Second { requests: 1000, errors: 0, p50_us: p50, p99_us: p99 }],
            vs_baseline: None,
        }
    }

    fn report() -> Report {
        Report {
            tool: "parley-bench 0.1.0".into(),
            scenario: "viral-poll".into(),
            target: "http://127.0.0.1:8080".into(),
            started_at: 1_700_000_000,
            settings: Settings {
                concurrency: 256,
                threads: 1,
                client: "conn".into(),
                duration_s: None,
                requests: None,
                warmup_s: 2.0,
                tokens: 3001,
            },
            baseline: vec![
                measurement("baseline-hello", 100_000.0, 500, 2_000),
                measurement("baseline-json", 80_000.0, 600, 2_400),
            ],
            phases: vec![measurement("votes", 20_000.0, 3_000, 12_000)],
            checks: vec![Check::new("tally", true, "3000 = 3000")],
            extra: serde_json::Value::Null,
            notes: vec![],
            headline: "votes".into(),
            ok: false,
        }
    }

    #[test]
    fn ratios_are_to_the_json_baseline() {
        let mut r = report();
        r.finish();
        assert!(r.ok);
        let v = r.phases[0].vs_baseline.as_ref().unwrap();
        assert_eq!(v.against, "json");
        assert_eq!(v.throughput, Some(0.25));
        assert_eq!(v.p50, Some(5.0));
        assert_eq!(v.p99, Some(5.0));
        assert_eq!(r.baseline[0].vs_baseline.as_ref().unwrap().throughput, Some(1.25));
    }

    #[test]
    fn a_failed_check_fails_the_run() {
        let mut r = report();
        r.checks.push(Check::new("tally", false, "2999 ≠ 3000"));
        r.finish();
        assert!(!r.ok);
        assert!(r.render().contains("check tally: FAILED — 2999 ≠ 3000"));
        assert!(r.render().ends_with("result: FAILED\n"));
    }

    #[test]
    fn json_shape_and_round_trip() {
        let mut r = report();
        r.finish();
        let text = serde_json::to_string(&r).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["scenario"], "viral-poll");
        assert_eq!(v["phases"][0]["name"], "votes");
        assert_eq!(v["phases"][0]["throughput"], 20_000.0);
        assert_eq!(v["phases"][0]["latency"]["p99_us"], 12_000);
        assert_eq!(v["phases"][0]["vs_baseline"]["throughput"], 0.25);
        assert_eq!(v["checks"][0]["ok"], true);
        assert_eq!(v["ok"], true);
        assert!(v.get("extra").is_none(), "null extra is left out");
        let back: Report = serde_json::from_str(&text).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn text_report_shows_absolute_figures_and_ratios() {
        let mut r = report();
        r.phases[0].errors.insert("422".into(), 3);
        r.finish();
        let text = r.render();
        assert!(text.contains("votes"), "{text}");
        assert!(text.contains("20,000 req/s"), "{text}");
        assert!(text.contains("p99 12.0 ms"), "{text}");
        assert!(text.contains("errors: 422: 3"), "{text}");
        assert!(text.contains("vs json: throughput 0.25×, p50 5.00×, p99 5.00×"), "{text}");
    }
}
