//! The read scenarios: `poll-read`, `home-timeline`, `public-timeline`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Args;
use http::HeaderValue;

use super::viral_poll::Vote;
use super::{Ctx, Rotate, RunArgs, ScenarioOutput};
use crate::client::{Prepared, Target};
use crate::load::{Group, Load, WorkerState, Workload};
use crate::report::{Check, Measurement};
use crate::tokens::bearer_headers;

const DEFAULT_DURATION: Duration = Duration::from_secs(10);

#[derive(Args, Debug, Clone)]
pub struct PollReadArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Share of anonymous viewers (0 to 1).
    #[arg(long, default_value_t = 0.5)]
    pub anonymous: f64,
    /// Read this poll instead of creating one.
    #[arg(long)]
    pub poll: Option<String>,
    /// Votes cast on a created poll before it is read (so it has a tally).
    #[arg(long, default_value_t = 1000)]
    pub pre_votes: usize,
}

#[derive(Args, Debug, Clone)]
pub struct HomeTimelineArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Every Nth request of a worker reads the page and follows it with the next
    /// page (`max_id`); 0: never.
    #[arg(long, default_value_t = 10)]
    pub page_every: u64,
}

#[derive(Args, Debug, Clone)]
pub struct PublicTimelineArgs {
    #[command(flatten)]
    pub run: RunArgs,
}

fn measured(ctx: &Ctx, workers: usize, workload: Arc<dyn Workload>) -> Group {
    Group {
        workers,
        workload,
        requests: ctx.args.requests,
        duration: ctx.duration_or(if ctx.args.requests.is_some() { None } else { Some(DEFAULT_DURATION) }),
        primary: true,
    }
}

/// Every answer of a read scenario should be 2xx.
fn all_answered(name: &str, m: &Measurement) -> Check {
    if m.errors.is_empty() && m.requests > 0 {
        Check::new(name, true, format!("{} answers, all 2xx", m.requests))
    } else if m.requests == 0 {
        Check::new(name, false, "no request was answered")
    } else {
        let list: Vec<String> = m.errors.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        Check::new(name, false, format!("{} of {} not 2xx ({})", m.requests - m.ok, m.requests, list.join(", ")))
    }
}

pub async fn poll_read(ctx: &Ctx, args: &PollReadArgs) -> anyhow::Result<ScenarioOutput> {
    anyhow::ensure!((0.0..=1.0).contains(&args.anonymous), "--anonymous is a share between 0 and 1");
    let readers = Arc::new(bearer_headers(ctx.tokens.readers()));
    let mut api = ctx.api().await?;
    let author = ctx.tokens.author();
    let mut out = ScenarioOutput { headline: "poll-read".into(), ..ScenarioOutput::default() };
    let poll_id = match &args.poll {
        Some(id) => id.clone(),
        None => {
            let options: Vec<String> = ["Vladivostok", "Yekaterinburg", "St. Petersburg"].map(String::from).into();
            let (_, poll) = api.create_poll(author, "What US Consulate General would you close?", &options).await?;
            let voters = args.pre_votes.min(if ctx.tokens.len() > 1 { readers.len() } else { 0 });
            if voters > 0 {
                let uri = ctx.uri(&format!("/api/v1/polls/{}/votes", poll.id));
                let vote = Vote::new(uri, Arc::new(readers[..voters].to_vec()), 3, 0);
                let group = Group {
                    workers: ctx.concurrency.min(voters),
                    workload: Arc::new(vote),
                    requests: Some(voters as u64),
                    duration: None,
                    primary: true,
                };
                ctx.runner
                    .run(Load { label: "pre-votes".into(), classes: vec!["pre-votes".into()], groups: vec![group] })
                    .await?;
            }
            poll.id
        }
    };
    let before = api.get_poll(Some(author), &poll_id).await?;
    out.notes.push(format!(
        "poll {poll_id} with {} votes, {:.0}% anonymous viewers",
        before.votes_count,
        args.anonymous * 100.0
    ));

    let mix = || Rotate {
        uri: ctx.uri(&format!("/api/v1/polls/{poll_id}")),
        auths: readers.clone(),
        anonymous: (args.anonymous * 1024.0).round() as u64,
        class_auth: 0,
        class_anon: 1,
    };
    ctx.warm_up(vec![measured(ctx, ctx.concurrency, Arc::new(mix()))]).await?;
    let outcome = ctx
        .runner
        .run(Load {
            label: "poll-read".into(),
            classes: vec!["poll-read-auth".into(), "poll-read-anon".into()],
            groups: vec![measured(ctx, ctx.concurrency, Arc::new(mix()))],
        })
        .await?;
    out.notes.extend(outcome.notes.iter().cloned());
    let auth = ctx.measurement(&outcome, 0, "poll-read-auth");
    let anon = ctx.measurement(&outcome, 1, "poll-read-anon");
    let all = ctx.merged(outcome, &[0, 1], "poll-read");
    out.checks.push(all_answered("answers", &all));
    let after = api.get_poll(Some(author), &poll_id).await?;
    out.checks.push(Check::new(
        "tally-unchanged",
        after.votes_count == before.votes_count,
        format!("votes_count {} before, {} after reading", before.votes_count, after.votes_count),
    ));
    out.phases.extend([all, auth, anon]);
    Ok(out)
}

/// Home timeline reads with the tokens in turn; now and then the next page.
struct Home {
    target: Target,
    auths: Arc<Vec<HeaderValue>>,
    first: http::Uri,
    page_every: u64,
    sampled: AtomicU64,
    empty: AtomicU64,
}

impl Home {
    fn auth(&self, ticket: u64) -> HeaderValue {
        self.auths[(ticket % self.auths.len() as u64) as usize].clone()
    }

    fn samples_this_one(&self, sent_before: u64) -> bool {
        (sent_before + 1).checked_rem(self.page_every) == Some(0)
    }
}

impl Workload for Home {
    fn next(&self, ticket: u64, w: &mut WorkerState) -> Option<Prepared> {
        let p = Prepared::get(0, self.first.clone(), Some(self.auth(ticket)));
        Some(if self.samples_this_one(w.sent) { p.reading_body() } else { p })
    }

    fn answered(&self, ticket: u64, status: u16, body: &[u8], w: &mut WorkerState) {
        // Follow-ups (ticket u64::MAX) end the chain; first pages read were the sampled ones.
        if ticket == u64::MAX || !self.samples_this_one(w.sent - 1) || !(200..300).contains(&status) {
            return;
        }
        self.sampled.fetch_add(1, Ordering::Relaxed);
        match crate::api::status_ids(body).and_then(|ids| ids.last().cloned()) {
            Some(last) => {
                let uri = self.target.uri(&format!("/api/v1/timelines/home?limit=20&max_id={last}"));
                w.follow_up = Some(Prepared::get(1, uri, Some(self.auth(ticket))));
            }
            None => {
                self.empty.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

pub async fn home(ctx: &Ctx, args: &HomeTimelineArgs) -> anyhow::Result<ScenarioOutput> {
    let mut out = ScenarioOutput { headline: "home-timeline".into(), ..ScenarioOutput::default() };
    let make = || Home {
        target: ctx.target().clone(),
        auths: Arc::new(bearer_headers(ctx.tokens.readers())),
        first: ctx.uri("/api/v1/timelines/home?limit=20"),
        page_every: args.page_every,
        sampled: AtomicU64::new(0),
        empty: AtomicU64::new(0),
    };
    ctx.warm_up(vec![measured(ctx, ctx.concurrency, Arc::new(make()))]).await?;
    let home = Arc::new(make());
    let group = measured(ctx, ctx.concurrency, home.clone());
    let outcome = ctx
        .runner
        .run(Load {
            label: "home-timeline".into(),
            classes: vec!["home-first-page".into(), "home-next-page".into()],
            groups: vec![group],
        })
        .await?;
    out.notes.extend(outcome.notes.iter().cloned());
    let first = ctx.measurement(&outcome, 0, "home-first-page");
    let next = ctx.measurement(&outcome, 1, "home-next-page");
    let all = ctx.merged(outcome, &[0, 1], "home-timeline");
    out.checks.push(all_answered("answers", &all));
    let (sampled, empty) = (home.sampled.load(Ordering::Relaxed), home.empty.load(Ordering::Relaxed));
    out.notes.push(format!(
        "{} token(s) in turn; {sampled} first pages read, {empty} of them empty{}",
        home.auths.len(),
        if empty > 0 { " (accounts following no one who posted?)" } else { "" }
    ));
    out.extra = serde_json::json!({ "sampled_pages": sampled, "empty_pages": empty });
    out.phases.extend([all, first, next]);
    Ok(out)
}

pub async fn public(ctx: &Ctx) -> anyhow::Result<ScenarioOutput> {
    let mut out = ScenarioOutput { headline: "public-timeline".into(), ..ScenarioOutput::default() };
    let uri = ctx.uri("/api/v1/timelines/public?limit=20");
    ctx.warm_up(vec![measured(ctx, ctx.concurrency, Arc::new(Rotate::anonymous(uri.clone(), 0)))]).await?;
    let outcome = ctx
        .runner
        .run(Load {
            label: "public-timeline".into(),
            classes: vec!["public-timeline".into()],
            groups: vec![measured(ctx, ctx.concurrency, Arc::new(Rotate::anonymous(uri, 0)))],
        })
        .await?;
    out.notes.extend(outcome.notes.iter().cloned());
    let m = ctx.measurement(&outcome, 0, "public-timeline");
    out.checks.push(all_answered("answers", &m));
    out.phases.push(m);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientKind;

    #[tokio::test]
    async fn home_pages_now_and_then() {
        let target = Target::resolve("http://127.0.0.1:9", ClientKind::Conn).await.unwrap();
        let home = Home {
            first: target.uri("/api/v1/timelines/home?limit=20"),
            target,
            auths: Arc::new(vec![HeaderValue::from_static("Bearer a"), HeaderValue::from_static("Bearer b")]),
            page_every: 2,
            sampled: AtomicU64::new(0),
            empty: AtomicU64::new(0),
        };
        let mut w = WorkerState::default();
        let p = home.next(0, &mut w).unwrap();
        assert!(!p.read_body);
        w.sent += 1;
        home.answered(0, 200, b"", &mut w);
        assert!(w.follow_up.is_none());
        let p = home.next(1, &mut w).unwrap();
        assert!(p.read_body);
        assert_eq!(p.auth.as_ref().unwrap(), "Bearer b");
        w.sent += 1;
        home.answered(1, 200, br#"[{"id":"30"},{"id":"20"}]"#, &mut w);
        let f = w.follow_up.take().unwrap();
        assert_eq!(f.uri.to_string(), "/api/v1/timelines/home?limit=20&max_id=20");
        assert_eq!(f.class, 1);
        assert_eq!(f.auth.as_ref().unwrap(), "Bearer b");
        assert_eq!(home.sampled.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn read_checks() {
        let mut m = crate::report::Measurement {
            name: "x".into(),
            requests: 10,
            ok: 10,
            errors: Default::default(),
            seconds: 1.0,
            throughput: 10.0,
            ok_throughput: 10.0,
            latency: None,
            offset_s: 0.0,
            per_second: vec![],
            vs_baseline: None,
        };
        assert!(all_answered("answers", &m).ok);
        m.ok = 8;
        m.errors.insert("500".into(), 2);
        let c = all_answered("answers", &m);
        assert!(!c.ok);
        assert_eq!(c.detail, "2 of 10 not 2xx (500: 2)");
    }
}
