//! `post-fanout`: the author posts; the post's latency is measured, then the
//! followers' home timelines are read over and over until every follower in
//! the sample has the post (or `--fanout-timeout` passes).
//!
//! The sample is the first `--sample` tokens after line 1, narrowed to those
//! that follow the author (asked once through `/api/v1/accounts/relationships`).
//! A follower counts as reached when an answer to its home timeline contains
//! the post; the time recorded is when that answer came, from when the post
//! was sent. So the resolution is one sweep over the sample (sample size ÷
//! read throughput), and the reads themselves load the server: keep the
//! sample modest (1,000 by default) for the time to mean much.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Args;
use http::{HeaderValue, Method, Uri};
use serde::Serialize;

use super::{Ctx, RunArgs, ScenarioOutput, parse_duration};
use crate::api::{Status, follows, status_ids};
use crate::client::Prepared;
use crate::load::{Group, Load, WorkerState, Workload};
use crate::recorder::ClassRecorder;
use crate::report::Check;
use crate::tokens::bearer_headers;

#[derive(Args, Debug, Clone)]
pub struct PostFanoutArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Followers checked: the first N tokens after line 1 (those following the author); 0: all.
    #[arg(long, default_value_t = 1000)]
    pub sample: usize,
    /// Posts, one after another, each followed until it reached the sample.
    #[arg(long, default_value_t = 3)]
    pub posts: usize,
    /// Give up on a post reaching the whole sample after this long.
    #[arg(long, value_parser = parse_duration, default_value = "30s")]
    pub fanout_timeout: Duration,
}

/// Who in the sample follows the author: 0 unknown, 1 yes, 2 no.
struct Relationships {
    uri: Uri,
    auths: Arc<Vec<HeaderValue>>,
    author_id: String,
    following: Vec<AtomicU8>,
}

impl Workload for Relationships {
    fn next(&self, ticket: u64, _: &mut WorkerState) -> Option<Prepared> {
        let auth = self.auths.get(ticket as usize)?.clone();
        Some(Prepared::get(0, self.uri.clone(), Some(auth)).reading_body())
    }

    fn answered(&self, ticket: u64, status: u16, body: &[u8], _: &mut WorkerState) {
        if (200..300).contains(&status) {
            let v = if follows(body, &self.author_id) == Some(true) { 1 } else { 2 };
            self.following[ticket as usize].store(v, Ordering::Relaxed);
        }
    }
}

/// Sweeps the followers' home timelines until each has the post.
struct FanoutCheck {
    uri: Uri,
    auths: Arc<Vec<HeaderValue>>,
    post_id: String,
    sent_at: Instant,
    /// When each follower was seen with the post, in µs after it was sent (0: not yet).
    seen_us: Vec<AtomicU64>,
    remaining: AtomicUsize,
    cursor: AtomicUsize,
}

impl Workload for FanoutCheck {
    fn next(&self, _: u64, w: &mut WorkerState) -> Option<Prepared> {
        let n = self.auths.len();
        for _ in 0..n {
            if self.remaining.load(Ordering::Relaxed) == 0 {
                return None;
            }
            let i = self.cursor.fetch_add(1, Ordering::Relaxed) % n;
            if self.seen_us[i].load(Ordering::Relaxed) == 0 {
                w.slot = i;
                return Some(Prepared::get(0, self.uri.clone(), Some(self.auths[i].clone())).reading_body());
            }
        }
        None
    }

    fn answered(&self, _: u64, status: u16, body: &[u8], w: &mut WorkerState) {
        if !(200..300).contains(&status) {
            return;
        }
        let has_it = status_ids(body).is_some_and(|ids| ids.contains(&self.post_id));
        if has_it {
            let us = (self.sent_at.elapsed().as_micros() as u64).max(1);
            // Two workers may check the same follower at once: count it once.
            if self.seen_us[w.slot].compare_exchange(0, us, Ordering::Relaxed, Ordering::Relaxed).is_ok() {
                self.remaining.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct PostResult {
    pub id: String,
    pub post_latency_us: u64,
    pub followers: usize,
    pub reached: usize,
    /// Time from sending the post until it was seen, over the followers reached.
    pub first_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Until the last follower in the sample had it (`None` if some never did).
    pub all_ms: Option<f64>,
}

/// Pure: the summary of one post's reach from the per-follower times (0 = not reached).
pub fn summarise(id: &str, post_latency_us: u64, seen_us: &[u64]) -> PostResult {
    let mut times: Vec<u64> = seen_us.iter().copied().filter(|&t| t > 0).collect();
    times.sort_unstable();
    let ms = |us: u64| us as f64 / 1000.0;
    let at = |q: f64| {
        (!times.is_empty()).then(|| ms(times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1]))
    };
    PostResult {
        id: id.to_owned(),
        post_latency_us,
        followers: seen_us.len(),
        reached: times.len(),
        first_ms: times.first().map(|&t| ms(t)),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
        all_ms: (times.len() == seen_us.len()).then(|| times.last().map(|&t| ms(t))).flatten(),
    }
}

pub async fn run(ctx: &Ctx, args: &PostFanoutArgs) -> anyhow::Result<ScenarioOutput> {
    anyhow::ensure!(ctx.tokens.len() >= 2, "post-fanout needs an author (line 1) and followers (lines 2..)");
    let mut out = ScenarioOutput { headline: "post".into(), ..ScenarioOutput::default() };
    let mut api = ctx.api().await?;
    let author = ctx.tokens.author();
    let me = api.verify_credentials(author).await?;

    // Which of the sample follow the author.
    let readers = ctx.tokens.readers();
    let sample = if args.sample == 0 { readers.len() } else { args.sample.min(readers.len()) };
    let auths = Arc::new(bearer_headers(&readers[..sample]));
    let rel = Arc::new(Relationships {
        uri: ctx.uri(&format!("/api/v1/accounts/relationships?id[]={}", me.id)),
        auths: auths.clone(),
        author_id: me.id.clone(),
        following: (0..sample).map(|_| AtomicU8::new(0)).collect(),
    });
    let group = Group {
        workers: ctx.concurrency.min(sample),
        workload: rel.clone(),
        requests: Some(sample as u64),
        duration: None,
        primary: true,
    };
    ctx.runner
        .run(Load { label: "relationships".into(), classes: vec!["relationships".into()], groups: vec![group] })
        .await?;
    let followers: Vec<HeaderValue> =
        (0..sample).filter(|&i| rel.following[i].load(Ordering::Relaxed) == 1).map(|i| auths[i].clone()).collect();
    anyhow::ensure!(
        !followers.is_empty(),
        "none of the {sample} sampled accounts follows the author (@{}): seed follows (`parley admin seed`) or use `parley-bench register --follow-author`",
        me.username
    );
    out.notes.push(format!(
        "{} of the {sample} sampled accounts follow @{} and are checked",
        followers.len(),
        me.username
    ));
    let followers = Arc::new(followers);
    let home_uri = ctx.uri("/api/v1/timelines/home?limit=20");
    let warm = super::Rotate::authenticated(home_uri.clone(), followers.clone(), 0);
    ctx.warm_up(vec![Group {
        workers: ctx.concurrency,
        workload: Arc::new(warm),
        requests: None,
        duration: None,
        primary: true,
    }])
    .await?;

    let mut post_rec = ClassRecorder::default();
    let mut results = Vec::new();
    let nonce = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    for n in 1..=args.posts.max(1) {
        let body = serde_json::json!({
            "status": format!("parley-bench fan-out check {n} ({nonce:x})"),
            "visibility": "public",
        });
        let sent_at = Instant::now();
        let (status, answer) = api.call(Method::POST, "/api/v1/statuses", Some(author), Some(&body)).await?;
        let latency = sent_at.elapsed();
        post_rec.record(status, latency, sent_at.saturating_duration_since(ctx.run_start) + latency);
        anyhow::ensure!((200..300).contains(&status), "posting: {status} {}", String::from_utf8_lossy(&answer));
        let post: Status = serde_json::from_slice(&answer)?;

        let check = Arc::new(FanoutCheck {
            uri: home_uri.clone(),
            auths: followers.clone(),
            post_id: post.id.clone(),
            sent_at,
            seen_us: (0..followers.len()).map(|_| AtomicU64::new(0)).collect(),
            remaining: AtomicUsize::new(followers.len()),
            cursor: AtomicUsize::new(0),
        });
        let group = Group {
            workers: ctx.concurrency.min(followers.len()),
            workload: check.clone(),
            requests: None,
            duration: Some(args.fanout_timeout),
            primary: true,
        };
        let name = format!("fanout-check-{n}");
        let outcome =
            ctx.runner.run(Load { label: name.clone(), classes: vec![name.clone()], groups: vec![group] }).await?;
        out.notes.extend(outcome.notes.iter().cloned());
        let reads = ctx.measurement(&outcome, 0, &name);
        // The reach times are upper bounds, a read's latency late at most: say how late.
        let read_p50 = reads.latency.map_or("–".to_owned(), |l| crate::stats::human_us(l.p50_us));
        out.phases.push(reads);
        let seen: Vec<u64> = check.seen_us.iter().map(|s| s.load(Ordering::Relaxed)).collect();
        let result = summarise(&post.id, latency.as_micros() as u64, &seen);
        out.checks.push(Check::new(
            &format!("reach-{n}"),
            result.reached == result.followers,
            format!(
                "post {} (answered in {:.1} ms) reached {} of {} followers; all after {} (home reads p50 {read_p50})",
                post.id,
                latency.as_secs_f64() * 1000.0,
                result.reached,
                result.followers,
                result.all_ms.map_or(format!("— not within {:?}", args.fanout_timeout), |ms| format!("{ms:.0} ms")),
            ),
        ));
        results.push(result);
    }
    out.phases.insert(0, post_rec.measurement("post", Some(0.0), 0.0));
    out.extra = serde_json::json!({
        "author_id": me.id,
        "sampled": sample,
        "followers_checked": followers.len(),
        "posts": results,
    });
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_summary() {
        let r = summarise("9", 4_000, &[3_000, 1_000, 2_000, 4_000]);
        assert_eq!((r.reached, r.followers), (4, 4));
        assert_eq!(r.first_ms, Some(1.0));
        assert_eq!(r.p50_ms, Some(2.0));
        assert_eq!(r.p99_ms, Some(4.0));
        assert_eq!(r.all_ms, Some(4.0));
        let partial = summarise("9", 4_000, &[0, 1_000, 0]);
        assert_eq!(partial.reached, 1);
        assert_eq!(partial.all_ms, None);
        assert_eq!(partial.p99_ms, Some(1.0));
        let none = summarise("9", 4_000, &[0, 0]);
        assert_eq!((none.first_ms, none.p50_ms, none.all_ms), (None, None, None));
    }

    #[test]
    fn each_follower_counts_once() {
        let check = FanoutCheck {
            uri: Uri::from_static("/home"),
            auths: Arc::new(vec![HeaderValue::from_static("Bearer a"), HeaderValue::from_static("Bearer b")]),
            post_id: "42".into(),
            sent_at: Instant::now(),
            seen_us: (0..2).map(|_| AtomicU64::new(0)).collect(),
            remaining: AtomicUsize::new(2),
            cursor: AtomicUsize::new(0),
        };
        let mut w = WorkerState::default();
        let p = check.next(0, &mut w).unwrap();
        assert_eq!(w.slot, 0);
        assert!(p.read_body);
        check.answered(0, 200, br#"[{"id":"41"}]"#, &mut w);
        assert_eq!(check.remaining.load(Ordering::Relaxed), 2);
        check.answered(0, 200, br#"[{"id":"42"},{"id":"41"}]"#, &mut w);
        check.answered(0, 200, br#"[{"id":"42"}]"#, &mut w);
        assert_eq!(check.remaining.load(Ordering::Relaxed), 1);
        // Follower 0 is done: only follower 1 is asked for now.
        for _ in 0..3 {
            check.next(0, &mut w).unwrap();
            assert_eq!(w.slot, 1);
        }
        check.answered(0, 200, br#"[{"id":"42"}]"#, &mut w);
        assert!(check.next(0, &mut w).is_none());
    }
}
