//! `viral-poll`: every voter votes once, as fast as the server takes it, on a
//! fresh poll; the tally must then equal the votes answered 2xx, option by
//! option. Then a second poll is voted on while other workers read the public
//! timeline, whose latency is compared with the same reads alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use clap::Args;
use http::{HeaderValue, Uri};

use super::{Ctx, Rotate, RunArgs, ScenarioOutput, parse_duration};
use crate::client::Prepared;
use crate::load::{Group, Load, WorkerState, Workload};
use crate::report::Check;
use crate::stats::Versus;
use crate::tokens::bearer_headers;

#[derive(Args, Debug, Clone)]
pub struct ViralPollArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// How many accounts vote (at most the tokens after line 1).
    #[arg(long, default_value_t = 100_000)]
    pub voters: usize,
    /// The poll's question.
    #[arg(long, default_value = "What US Consulate General would you close?")]
    pub question: String,
    /// The poll's options, comma-separated.
    #[arg(long, default_value = "Vladivostok,Yekaterinburg,St. Petersburg")]
    pub options: String,
    /// Workers reading the public timeline in the second phase [default: concurrency / 8].
    #[arg(long)]
    pub readers: Option<usize>,
    /// How long the public timeline is read alone, for comparison.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    pub read_alone: Duration,
    /// Skip the second phase (a second poll with timeline reads).
    #[arg(long)]
    pub no_timeline_phase: bool,
}

/// Votes: ticket `n` is voter `n`, who votes once. The choices follow the
/// 2018 poll's shape (45% for the last option), deterministically.
pub(super) struct Vote {
    uri: Uri,
    auths: Arc<Vec<HeaderValue>>,
    bodies: Vec<Bytes>,
    /// 2xx answers per option.
    accepted: Vec<AtomicU64>,
    class: usize,
}

impl Vote {
    pub(super) fn new(uri: Uri, auths: Arc<Vec<HeaderValue>>, options: usize, class: usize) -> Vote {
        let bodies = (0..options).map(|i| Bytes::from(format!("{{\"choices\":[{i}]}}"))).collect();
        let accepted = (0..options).map(|_| AtomicU64::new(0)).collect();
        Vote { uri, auths, bodies, accepted, class }
    }

    fn choice(&self, ticket: u64) -> usize {
        choice_for(ticket, self.bodies.len())
    }

    fn accepted(&self) -> Vec<u64> {
        self.accepted.iter().map(|a| a.load(Ordering::Relaxed)).collect()
    }
}

/// Option for voter `ticket`: with 3 options 31% / 24% / 45%; otherwise in turn.
pub fn choice_for(ticket: u64, options: usize) -> usize {
    if options == 3 {
        // 37 is prime to 100: the options alternate even among the first few voters.
        match (ticket * 37) % 100 {
            0..31 => 0,
            31..55 => 1,
            _ => 2,
        }
    } else {
        (ticket % options.max(1) as u64) as usize
    }
}

impl Workload for Vote {
    fn next(&self, ticket: u64, _: &mut WorkerState) -> Option<Prepared> {
        let auth = self.auths.get(ticket as usize)?.clone();
        let body = self.bodies[self.choice(ticket)].clone();
        Some(Prepared::post_json(self.class, self.uri.clone(), Some(auth), body))
    }

    fn answered(&self, ticket: u64, status: u16, _: &[u8], _: &mut WorkerState) {
        if (200..300).contains(&status) {
            self.accepted[self.choice(ticket)].fetch_add(1, Ordering::Relaxed);
        }
    }
}

pub async fn run(ctx: &Ctx, args: &ViralPollArgs) -> anyhow::Result<ScenarioOutput> {
    anyhow::ensure!(ctx.tokens.len() >= 2, "viral-poll needs an author (line 1) and voters (lines 2..)");
    let options: Vec<String> = args.options.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect();
    anyhow::ensure!(options.len() >= 2, "--options needs at least two options");
    let mut voters = args.voters.min(ctx.tokens.readers().len());
    if let Some(n) = ctx.args.requests {
        voters = voters.min(n as usize);
    }
    let auths = Arc::new(bearer_headers(&ctx.tokens.readers()[..voters]));
    let mut out = ScenarioOutput { headline: "votes".into(), ..ScenarioOutput::default() };
    let mut api = ctx.api().await?;
    let author = ctx.tokens.author();

    let (_, poll) = api.create_poll(author, &args.question, &options).await?;
    out.notes.push(format!("poll {} with {} voters", poll.id, voters));
    // Warm up by reading the poll (voting would use up voters).
    let poll_uri = ctx.uri(&format!("/api/v1/polls/{}", poll.id));
    ctx.warm_up(vec![group(ctx.concurrency, Rotate::authenticated(poll_uri, auths.clone(), 0), None, true)]).await?;

    let vote =
        Arc::new(Vote::new(ctx.uri(&format!("/api/v1/polls/{}/votes", poll.id)), auths.clone(), options.len(), 0));
    let load = Load {
        label: "votes".into(),
        classes: vec!["votes".into()],
        groups: vec![Group {
            workers: ctx.concurrency.min(voters.max(1)),
            workload: vote.clone(),
            requests: Some(voters as u64),
            duration: ctx.args.duration,
            primary: true,
        }],
    };
    let outcome = ctx.runner.run(load).await?;
    out.notes.extend(outcome.notes.iter().cloned());
    let votes = ctx.measurement(&outcome, 0, "votes");
    out.checks.push(tally_check(&mut api, author, &poll.id, "tally", &vote.accepted()).await?);
    out.phases.push(votes);

    if args.no_timeline_phase {
        return Ok(out);
    }

    // Phase 2: the public timeline alone, then during the votes on a second poll.
    let readers = args.readers.unwrap_or(ctx.concurrency / 8).clamp(1, ctx.concurrency.max(2) - 1);
    let voting_workers = ctx.concurrency.saturating_sub(readers).max(1);
    let timeline_uri = ctx.uri("/api/v1/timelines/public?limit=20");
    let alone = ctx
        .runner
        .run(Load {
            label: "timeline-alone".into(),
            classes: vec!["timeline-alone".into()],
            groups: vec![group(readers, Rotate::anonymous(timeline_uri.clone(), 0), Some(args.read_alone), true)],
        })
        .await?;
    let alone = ctx.measurement(&alone, 0, "timeline-alone");

    let (_, poll2) = api.create_poll(author, &format!("{} (2)", args.question), &options).await?;
    let vote2 =
        Arc::new(Vote::new(ctx.uri(&format!("/api/v1/polls/{}/votes", poll2.id)), auths.clone(), options.len(), 0));
    let both = ctx
        .runner
        .run(Load {
            label: "votes+timeline".into(),
            classes: vec!["votes-2".into(), "timeline-during-votes".into()],
            groups: vec![
                Group {
                    workers: voting_workers.min(voters.max(1)),
                    workload: vote2.clone(),
                    requests: Some(voters as u64),
                    duration: ctx.args.duration,
                    primary: true,
                },
                group(readers, Rotate::anonymous(timeline_uri, 1), None, false),
            ],
        })
        .await?;
    out.notes.extend(both.notes.iter().cloned());
    let votes2 = ctx.measurement(&both, 0, "votes-2");
    let during = ctx.measurement(&both, 1, "timeline-during-votes");
    out.checks.push(tally_check(&mut api, author, &poll2.id, "tally-2", &vote2.accepted()).await?);
    let slowdown = Versus::of(
        "timeline-alone",
        during.throughput,
        during.latency.as_ref(),
        alone.throughput,
        alone.latency.as_ref(),
    );
    out.notes.push(format!(
        "public timeline during votes vs alone ({readers} readers, {voting_workers} voters): {}",
        crate::report::render_versus(&slowdown)
    ));
    out.extra = serde_json::json!({ "timeline_during_votes_vs_alone": slowdown, "readers": readers, "voting_workers": voting_workers });
    out.phases.extend([alone, votes2, during]);
    Ok(out)
}

fn group(workers: usize, workload: impl Workload + 'static, duration: Option<Duration>, primary: bool) -> Group {
    Group { workers, workload: Arc::new(workload), requests: None, duration, primary }
}

/// The poll's tally against the votes answered 2xx: total, voters, and option by option.
async fn tally_check(
    api: &mut crate::api::Api,
    author: &str,
    poll_id: &str,
    name: &str,
    accepted: &[u64],
) -> anyhow::Result<Check> {
    let poll = api.get_poll(Some(author), poll_id).await?;
    let total: u64 = accepted.iter().sum();
    let counted: Vec<Option<i64>> = poll.options.iter().map(|o| o.votes_count).collect();
    Ok(compare_tally(name, total, accepted, poll.votes_count, poll.voters_count, &counted))
}

/// Pure: does the server's tally equal what it acknowledged?
pub fn compare_tally(
    name: &str,
    acknowledged: u64,
    per_option: &[u64],
    votes_count: i64,
    voters_count: Option<i64>,
    option_counts: &[Option<i64>],
) -> Check {
    let mut problems = Vec::new();
    if votes_count != acknowledged as i64 {
        problems.push(format!("votes_count {votes_count} ≠ {acknowledged} acknowledged"));
    }
    match voters_count {
        Some(v) if v != acknowledged as i64 => problems.push(format!("voters_count {v} ≠ {acknowledged}")),
        _ => {}
    }
    if option_counts.len() != per_option.len() {
        problems.push(format!("{} options ≠ {} sent", option_counts.len(), per_option.len()));
    }
    for (i, (got, want)) in option_counts.iter().zip(per_option).enumerate() {
        match got {
            Some(g) if *g == *want as i64 => {}
            Some(g) => problems.push(format!("option {i}: {g} ≠ {want}")),
            None => {} // totals hidden: only the total can be checked
        }
    }
    if problems.is_empty() {
        Check::new(
            name,
            true,
            format!("votes_count {votes_count} = {acknowledged} votes answered 2xx, per option {per_option:?}"),
        )
    } else {
        Check::new(name, false, problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_follow_the_2018_shape() {
        let mut counts = [0; 3];
        for t in 0..1000 {
            counts[choice_for(t, 3)] += 1;
        }
        assert_eq!(counts, [310, 240, 450]);
        assert_eq!(choice_for(5, 2), 1);
        assert_eq!(choice_for(5, 4), 1);
    }

    #[test]
    fn tally_must_match_exactly() {
        let ok = compare_tally("tally", 10, &[3, 3, 4], 10, Some(10), &[Some(3), Some(3), Some(4)]);
        assert!(ok.ok, "{}", ok.detail);
        let off_by_one = compare_tally("tally", 10, &[3, 3, 4], 11, Some(11), &[Some(3), Some(4), Some(4)]);
        assert!(!off_by_one.ok);
        assert!(off_by_one.detail.contains("votes_count 11 ≠ 10"), "{}", off_by_one.detail);
        assert!(off_by_one.detail.contains("option 1: 4 ≠ 3"), "{}", off_by_one.detail);
        let hidden = compare_tally("tally", 10, &[3, 3, 4], 10, None, &[None, None, None]);
        assert!(hidden.ok);
    }

    #[test]
    fn each_voter_votes_once() {
        let auths = Arc::new(vec![HeaderValue::from_static("Bearer a"), HeaderValue::from_static("Bearer b")]);
        let v = Vote::new(Uri::from_static("/api/v1/polls/1/votes"), auths, 3, 0);
        let mut w = WorkerState::default();
        assert!(v.next(0, &mut w).is_some());
        assert!(v.next(1, &mut w).is_some());
        assert!(v.next(2, &mut w).is_none(), "no third voter");
        v.answered(0, 200, b"", &mut w);
        v.answered(1, 422, b"", &mut w);
        assert_eq!(v.accepted(), vec![1, 0, 0]);
    }
}
