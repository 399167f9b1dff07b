//! The scenarios, what they share (options, context, simple workloads), and
//! the run around one: resolve the target, read the tokens, measure the
//! baseline, run the scenario, assemble the report.

mod post_fanout;
mod streams;
mod timelines;
mod viral_poll;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use clap::{Args, Subcommand};
use http::{HeaderValue, Uri};

use crate::api::Api;
use crate::client::{ClientKind, Prepared, Target};
use crate::load::{Load, Outcome, Runner, WorkerState, Workload};
use crate::recorder::ClassRecorder;
use crate::report::{Check, Measurement, Report, Settings};
use crate::tokens::Tokens;

pub use post_fanout::PostFanoutArgs;
pub use streams::StreamsArgs;
pub use timelines::{HomeTimelineArgs, PollReadArgs, PublicTimelineArgs};
pub use viral_poll::ViralPollArgs;

/// Options every scenario takes.
#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Base URL of the server (plain http), e.g. http://127.0.0.1:8080.
    #[arg(long, required = false)]
    pub url: Option<String>,
    /// Tokens file: one access token per line; line 1 is the author.
    #[arg(long)]
    pub tokens: Option<PathBuf>,
    /// Requests in flight (workers, each with its own connection) [default: 256 for
    /// viral-poll, 64 otherwise].
    #[arg(long, short = 'c')]
    pub concurrency: Option<usize>,
    /// How long the measured phase runs (`10`, `10s`, `500ms`, `2m`) [default: 10s for
    /// reads; viral-poll runs until every voter has voted].
    #[arg(long, value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// At most this many requests in the measured phase (for viral-poll: votes).
    #[arg(long)]
    pub requests: Option<u64>,
    /// Unmeasured load before the measured phase.
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    pub warmup: Duration,
    /// Load-generator threads, each with its own runtime [default: one per core; with
    /// fewer, the client caps the baseline and flatters every ratio].
    #[arg(long, default_value_t = default_threads(), hide_default_value = true)]
    pub threads: usize,
    /// How connections are held.
    #[arg(long, value_enum, default_value = "conn")]
    pub client: ClientKind,
    /// How long each baseline endpoint is measured.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub baseline_duration: Duration,
    /// Skip the baseline (no ratios then).
    #[arg(long)]
    pub no_baseline: bool,
    /// Runtime workers of the baseline server (0: one per core, like Parley).
    #[arg(long, default_value_t = 0)]
    pub baseline_server_threads: usize,
    /// A request with no answer after this long counts as an error.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub timeout: Duration,
    /// Write the results as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Draw throughput and p50/p99 latency per second into this SVG file.
    #[arg(long)]
    pub chart: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Subcommand, Debug, Clone)]
pub enum Scenario {
    /// Voters vote once each on a fresh poll as fast as the server takes them; then
    /// a second poll while others read the public timeline. Checks the tallies.
    ViralPoll(ViralPollArgs),
    /// Viewers refresh one poll, authenticated and anonymous.
    PollRead(PollReadArgs),
    /// Accounts read their home timeline (`limit=20`), paging with `max_id` now and then.
    HomeTimeline(HomeTimelineArgs),
    /// Anonymous reads of the public timeline (`limit=20`).
    PublicTimeline(PublicTimelineArgs),
    /// The author posts; time until the post is in followers' home timelines.
    PostFanout(PostFanoutArgs),
    /// Many streaming connections (WebSocket and server-sent events) while the author
    /// posts and votes arrive: memory per connection, delivery delays, nothing lost.
    Streams(StreamsArgs),
}

impl Scenario {
    pub fn name(&self) -> &'static str {
        match self {
            Scenario::ViralPoll(_) => "viral-poll",
            Scenario::PollRead(_) => "poll-read",
            Scenario::HomeTimeline(_) => "home-timeline",
            Scenario::PublicTimeline(_) => "public-timeline",
            Scenario::PostFanout(_) => "post-fanout",
            Scenario::Streams(_) => "streams",
        }
    }

    pub fn run_args(&self) -> &RunArgs {
        match self {
            Scenario::ViralPoll(a) => &a.run,
            Scenario::PollRead(a) => &a.run,
            Scenario::HomeTimeline(a) => &a.run,
            Scenario::PublicTimeline(a) => &a.run,
            Scenario::PostFanout(a) => &a.run,
            Scenario::Streams(a) => &a.run,
        }
    }

    fn default_concurrency(&self) -> usize {
        match self {
            Scenario::ViralPoll(_) => 256,
            _ => 64,
        }
    }

    /// The concurrency a run uses.
    pub fn concurrency(&self) -> usize {
        self.run_args().concurrency.unwrap_or(self.default_concurrency()).max(1)
    }

    async fn run(&self, ctx: &Ctx) -> anyhow::Result<ScenarioOutput> {
        match self {
            Scenario::ViralPoll(a) => viral_poll::run(ctx, a).await,
            Scenario::PollRead(a) => timelines::poll_read(ctx, a).await,
            Scenario::HomeTimeline(a) => timelines::home(ctx, a).await,
            Scenario::PublicTimeline(_) => timelines::public(ctx).await,
            Scenario::PostFanout(a) => post_fanout::run(ctx, a).await,
            Scenario::Streams(a) => streams::run(ctx, a).await,
        }
    }
}

/// What a scenario found.
#[derive(Default)]
pub struct ScenarioOutput {
    pub phases: Vec<Measurement>,
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
    pub extra: serde_json::Value,
    /// The phase `compare` sets side by side.
    pub headline: String,
}

/// What a scenario runs with.
pub struct Ctx {
    pub runner: Runner,
    pub tokens: Tokens,
    pub args: RunArgs,
    pub concurrency: usize,
    /// Measurements are dated from here (for the chart).
    pub run_start: Instant,
}

impl Ctx {
    pub async fn api(&self) -> anyhow::Result<Api> {
        Api::connect(&self.runner.target).await
    }

    pub fn target(&self) -> &Target {
        &self.runner.target
    }

    pub fn uri(&self, path: &str) -> Uri {
        self.runner.target.uri(path)
    }

    /// The measured phase's length: `--duration`, or `default`.
    pub fn duration_or(&self, default: Option<Duration>) -> Option<Duration> {
        self.args.duration.or(default)
    }

    /// Runs an unmeasured warm-up load for `--warmup`, if any.
    pub async fn warm_up(&self, groups: Vec<crate::load::Group>) -> anyhow::Result<()> {
        if self.args.warmup.is_zero() || groups.is_empty() {
            return Ok(());
        }
        let groups = groups.into_iter().map(|g| crate::load::Group { duration: Some(self.args.warmup), ..g }).collect();
        self.runner.run(Load { label: "warm-up".into(), classes: vec!["warm-up".into(); 16], groups }).await?;
        Ok(())
    }

    /// The figures of class `class` of `outcome`, named `name`.
    pub fn measurement(&self, outcome: &Outcome, class: usize, name: &str) -> Measurement {
        outcome.classes[class].measurement(name, None, self.offset(outcome))
    }

    /// Several classes of `outcome` as one measurement.
    pub fn merged(&self, outcome: Outcome, classes: &[usize], name: &str) -> Measurement {
        let offset = self.offset(&outcome);
        let mut all = ClassRecorder::default();
        for (i, c) in outcome.classes.into_iter().enumerate() {
            if classes.contains(&i) {
                all.merge(c);
            }
        }
        all.measurement(name, None, offset)
    }

    fn offset(&self, outcome: &Outcome) -> f64 {
        outcome.started.saturating_duration_since(self.run_start).as_secs_f64()
    }
}

/// The same request again and again.
pub struct Repeat(pub Prepared);

impl Workload for Repeat {
    fn next(&self, _: u64, _: &mut WorkerState) -> Option<Prepared> {
        Some(self.0.clone())
    }
}

/// One URI, with the tokens in turn; a share of the requests anonymous.
pub struct Rotate {
    pub uri: Uri,
    pub auths: Arc<Vec<HeaderValue>>,
    /// Share of anonymous requests, in 1/1024ths.
    pub anonymous: u64,
    pub class_auth: usize,
    pub class_anon: usize,
}

impl Rotate {
    pub fn authenticated(uri: Uri, auths: Arc<Vec<HeaderValue>>, class: usize) -> Rotate {
        Rotate { uri, auths, anonymous: 0, class_auth: class, class_anon: class }
    }

    pub fn anonymous(uri: Uri, class: usize) -> Rotate {
        Rotate { uri, auths: Arc::new(Vec::new()), anonymous: 1024, class_auth: class, class_anon: class }
    }
}

impl Workload for Rotate {
    fn next(&self, ticket: u64, _: &mut WorkerState) -> Option<Prepared> {
        // A multiplicative hash spreads anonymous requests evenly over tickets.
        let anon = self.auths.is_empty() || (ticket.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) < self.anonymous;
        Some(if anon {
            Prepared::get(self.class_anon, self.uri.clone(), None)
        } else {
            let auth = self.auths[(ticket % self.auths.len() as u64) as usize].clone();
            Prepared::get(self.class_auth, self.uri.clone(), Some(auth))
        })
    }
}

/// Runs `scenario` against the server in its `--url`/`--tokens`, baseline first.
pub async fn execute(scenario: &Scenario) -> anyhow::Result<Report> {
    let args = scenario.run_args();
    let url = args.url.as_deref().context("--url is required")?;
    let tokens = args.tokens.as_deref().context("--tokens is required")?;
    let target = Target::resolve(url, args.client).await?;
    let tokens = Tokens::read(tokens)?;
    let run_start = Instant::now();
    let runner = runner(args, target);
    let (baseline, notes) = baseline(scenario, &runner, run_start).await?;
    let mut report = run_against(scenario, &runner, tokens, run_start).await?;
    report.baseline = baseline;
    report.notes.splice(0..0, notes);
    report.finish();
    Ok(report)
}

pub fn runner(args: &RunArgs, target: Target) -> Runner {
    Runner { target, threads: args.threads.max(1), timeout: args.timeout, progress: !args.quiet }
}

/// The same-run baseline for `scenario`'s shape, unless `--no-baseline`.
pub async fn baseline(
    scenario: &Scenario,
    runner: &Runner,
    run_start: Instant,
) -> anyhow::Result<(Vec<Measurement>, Vec<String>)> {
    let args = scenario.run_args();
    if args.no_baseline {
        return Ok((Vec::new(), Vec::new()));
    }
    crate::baseline::measure(
        runner,
        scenario.concurrency(),
        args.baseline_duration,
        args.baseline_server_threads,
        run_start,
    )
    .await
}

/// Runs `scenario` once against `runner`'s target (no baseline).
pub async fn run_against(
    scenario: &Scenario,
    runner: &Runner,
    tokens: Tokens,
    run_start: Instant,
) -> anyhow::Result<Report> {
    let args = scenario.run_args().clone();
    let started_at = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let settings = Settings {
        concurrency: scenario.concurrency(),
        threads: runner.threads,
        client: runner.target.kind.name().to_owned(),
        duration_s: args.duration.map(|d| d.as_secs_f64()),
        requests: args.requests,
        warmup_s: args.warmup.as_secs_f64(),
        tokens: tokens.len(),
    };
    let ctx = Ctx { runner: runner.clone(), tokens, args, concurrency: scenario.concurrency(), run_start };
    let out = scenario.run(&ctx).await?;
    let mut report = Report {
        tool: format!("parley-bench {}", env!("CARGO_PKG_VERSION")),
        scenario: scenario.name().to_owned(),
        target: runner.target.base.clone(),
        started_at,
        settings,
        baseline: Vec::new(),
        phases: out.phases,
        checks: out.checks,
        extra: out.extra,
        notes: out.notes,
        headline: out.headline,
        ok: false,
    };
    report.finish();
    Ok(report)
}

/// One load thread per core: measured here, one thread held the JSON baseline
/// to about two thirds of what two threads (and wrk) get from it.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
}

/// `10`, `10s`, `1.5s`, `500ms`, `2m`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let value: f64 = number.trim().parse().map_err(|_| format!("not a duration: {text:?} (try 10s, 500ms, 2m)"))?;
    if !(value.is_finite() && value >= 0.0) {
        return Err(format!("not a duration: {text:?}"));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("-1s").is_err());
    }

    #[test]
    fn rotate_mixes_anonymous_and_authenticated() {
        let auths = Arc::new(vec![HeaderValue::from_static("Bearer a"), HeaderValue::from_static("Bearer b")]);
        let half = Rotate { uri: Uri::from_static("/p"), auths, anonymous: 512, class_auth: 1, class_anon: 2 };
        let mut w = WorkerState::default();
        let anon = (0..10_000).filter(|&t| half.next(t, &mut w).unwrap().auth.is_none()).count();
        assert!((4_500..5_500).contains(&anon), "{anon} anonymous of 10,000");
        let p = half.next(0, &mut w).unwrap();
        assert_eq!(p.class, if p.auth.is_none() { 2 } else { 1 });
        let anyone = Rotate::anonymous(Uri::from_static("/p"), 0);
        assert!((0..100).all(|t| anyone.next(t, &mut w).unwrap().auth.is_none()));
    }
}
