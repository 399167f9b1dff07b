//! `compare`: one scenario against two servers alternately (A B A B …), with
//! the same client, concurrency and data shape, and the ratios pair by pair.
//! Alternating spreads the machine's noise over both sides; the median of
//! the pairs is the figure to quote.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use crate::client::Target;
use crate::report::{Measurement, Report, render_measurement, render_versus, write_json};
use crate::scenarios::{self, Scenario};
use crate::stats::{Versus, median};
use crate::tokens::Tokens;

#[derive(Args, Debug, Clone)]
pub struct CompareArgs {
    /// Base URL of server A.
    #[arg(long)]
    pub a: String,
    /// Tokens file for server A.
    #[arg(long)]
    pub a_tokens: PathBuf,
    /// Base URL of server B.
    #[arg(long)]
    pub b: String,
    /// Tokens file for server B.
    #[arg(long)]
    pub b_tokens: PathBuf,
    /// Pairs of runs.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// The scenario and its options (its --url/--tokens are ignored; its --json
    /// receives the comparison).
    #[command(subcommand)]
    pub scenario: Scenario,
}

#[derive(Debug, Serialize)]
pub struct Pair {
    pub round: usize,
    pub a: Report,
    pub b: Report,
    /// A's headline figures over B's.
    pub a_vs_b: Option<Versus>,
}

#[derive(Debug, Serialize)]
pub struct Comparison {
    pub scenario: String,
    pub a: String,
    pub b: String,
    pub baseline: Vec<Measurement>,
    pub pairs: Vec<Pair>,
    /// The median of the pairs' ratios (A over B).
    pub median_a_vs_b: Versus,
    pub ok: bool,
}

/// A's figures over B's for the headline measurement of both reports.
pub fn pair_ratio(a: &Report, b: &Report) -> Option<Versus> {
    let (ma, mb) = (a.headline()?, b.headline()?);
    Some(Versus::of("b", ma.throughput, ma.latency.as_ref(), mb.throughput, mb.latency.as_ref()))
}

pub fn median_ratio(pairs: &[Pair]) -> Versus {
    let of = |f: fn(&Versus) -> Option<f64>| median(pairs.iter().map(|p| p.a_vs_b.as_ref().and_then(f)));
    Versus { against: "b".into(), throughput: of(|v| v.throughput), p50: of(|v| v.p50), p99: of(|v| v.p99) }
}

pub async fn run(args: &CompareArgs) -> anyhow::Result<bool> {
    let scenario = &args.scenario;
    let run = scenario.run_args();
    let a_target = Target::resolve(&args.a, run.client).await?;
    let b_target = Target::resolve(&args.b, run.client).await?;
    let a_tokens = Tokens::read(&args.a_tokens)?;
    let b_tokens = Tokens::read(&args.b_tokens)?;
    let run_start = Instant::now();
    let a_runner = scenarios::runner(run, a_target);
    let b_runner = a_runner.with_target(b_target);

    let (baseline, _) = scenarios::baseline(scenario, &a_runner, run_start).await?;
    for m in &baseline {
        print!("{}", render_measurement(m));
    }
    let mut pairs = Vec::new();
    for round in 1..=args.rounds.max(1) {
        let mut a = scenarios::run_against(scenario, &a_runner, a_tokens.clone(), run_start).await?;
        let mut b = scenarios::run_against(scenario, &b_runner, b_tokens.clone(), run_start).await?;
        for r in [&mut a, &mut b] {
            r.baseline = baseline.clone();
            r.finish();
        }
        let a_vs_b = pair_ratio(&a, &b);
        println!("round {round}");
        for (side, r) in [("A", &a), ("B", &b)] {
            match r.headline() {
                Some(m) => print!("  {side} {}", render_measurement(m).trim_start()),
                None => println!("  {side}: no measurement"),
            }
            for c in r.checks.iter().filter(|c| !c.ok) {
                println!("  {side} check {} FAILED: {}", c.name, c.detail);
            }
        }
        if let Some(v) = &a_vs_b {
            println!("  A vs B: {}", render_versus(v));
        }
        pairs.push(Pair { round, a, b, a_vs_b });
    }
    let median_a_vs_b = median_ratio(&pairs);
    let ok = pairs.iter().all(|p| p.a.ok && p.b.ok);
    println!("median of {} pair(s), A vs B: {}", pairs.len(), render_versus(&median_a_vs_b));
    println!("{}", if ok { "result: ok" } else { "result: FAILED (a check failed)" });
    let comparison = Comparison {
        scenario: scenario.name().to_owned(),
        a: args.a.clone(),
        b: args.b.clone(),
        baseline,
        pairs,
        median_a_vs_b,
        ok,
    };
    if let Some(path) = &run.json {
        write_json(&comparison, path)?;
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_pair_ratios() {
        let v = |t: f64| Some(Versus { against: "b".into(), throughput: Some(t), p50: Some(1.0 / t), p99: None });
        let pair = |a_vs_b| Pair { round: 1, a: report(), b: report(), a_vs_b };
        let pairs = vec![pair(v(2.0)), pair(v(4.0)), pair(v(3.0)), pair(None)];
        let m = median_ratio(&pairs);
        assert_eq!(m.throughput, Some(3.0));
        assert_eq!(m.p50, Some(1.0 / 3.0));
        assert_eq!(m.p99, None);
    }

    fn report() -> Report {
        serde_json::from_value(serde_json::json!({
            "tool": "t", "scenario": "public-timeline", "target": "x", "started_at": 0,
            "settings": {"concurrency": 1, "threads": 1, "client": "conn", "duration_s": null,
                         "requests": null, "warmup_s": 0.0, "tokens": 1},
            "baseline": [], "phases": [], "checks": [], "notes": [], "ok": true
        }))
        .unwrap()
    }

    #[test]
    fn pair_ratio_uses_the_headline() {
        let mut a = report();
        let mut b = report();
        let m = |name: &str, tp: f64| Measurement {
            name: name.into(),
            requests: 1,
            ok: 1,
            errors: Default::default(),
            seconds: 1.0,
            throughput: tp,
            ok_throughput: tp,
            latency: None,
            offset_s: 0.0,
            per_second: vec![],
            vs_baseline: None,
        };
        a.phases = vec![m("other", 1.0), m("public-timeline", 30.0)];
        b.phases = vec![m("public-timeline", 10.0)];
        a.headline = "public-timeline".into();
        b.headline = "public-timeline".into();
        assert_eq!(pair_ratio(&a, &b).unwrap().throughput, Some(3.0));
        assert!(pair_ratio(&report(), &b).is_none());
    }
}
