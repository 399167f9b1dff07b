//! `streams`: many open streaming connections while the author posts and
//! votes arrive. Half the connections (`--sse-share`) are server-sent event
//! streams, the rest WebSockets; `--poll-share` of them watch the author's
//! poll (`parley:poll`, anonymous), the others are the user streams of the
//! accounts in the tokens file (lines 2..).
//!
//! It reports the connections held, the server's memory per connection
//! (`--server-pid`, from `/proc`), how long after the author's post was sent
//! each follower's stream delivered it (the post's acknowledgement comes
//! after the fan-out has started: events are applied before the author is
//! answered), and how stale each poll update was (from the acknowledgement of
//! the vote that made its count; updates are coalesced to four a second).
//! It checks that every follower got every post once, that no one else got
//! it, and that every poll subscriber's last update carries the final tally.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use hdrhistogram::Histogram;
use http::Method;
use serde_json::{Value, json};

use super::{Ctx, RunArgs, ScenarioOutput, parse_duration};
use crate::api::{Account, follows};
use crate::report::{Check, Measurement};
use crate::stats::{Latency, record};

/// How long one connection may take to open before it counts as failed.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Args, Debug, Clone)]
pub struct StreamsArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Streaming connections to hold.
    #[arg(long, default_value_t = 10_000)]
    pub connections: usize,
    /// Share of the connections that are server-sent event streams (the rest are WebSockets).
    #[arg(long, default_value_t = 0.5)]
    pub sse_share: f64,
    /// Share of the connections that watch the author's poll instead of a user stream.
    #[arg(long, default_value_t = 0.2)]
    pub poll_share: f64,
    /// Votes per second sent while the streams are open.
    #[arg(long, default_value_t = 1000)]
    pub vote_rate: u64,
    /// Posts by the author, one every `--post-every`, while votes arrive.
    #[arg(long, default_value_t = 3)]
    pub posts: usize,
    #[arg(long, value_parser = parse_duration, default_value = "2s")]
    pub post_every: Duration,
    /// The server's process ID, to read its memory before and after the connections open.
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Connections opened at once.
    #[arg(long, default_value_t = 200)]
    pub open_concurrency: usize,
}

/// What all connections share.
struct Shared {
    /// When each post was sent, by its number (its text says it): its
    /// acknowledgement comes after the fan-out, which starts at the commit.
    post_sent: Mutex<Vec<Instant>>,
    /// The posts' status IDs, once acknowledged.
    posts: Mutex<HashMap<String, Instant>>,
    /// When votes were acknowledged, in order: the n-th is when the tally reached n at the latest.
    vote_acks: Mutex<Vec<Instant>>,
    delivery: Mutex<Histogram<u64>>,
    poll_staleness: Mutex<Histogram<u64>>,
    /// Updates that were not the author's posts (none expected).
    strays: AtomicUsize,
    open: AtomicUsize,
    failed_to_open: AtomicUsize,
    frames: AtomicU64,
}

/// What one connection saw.
#[derive(Default)]
struct Seen {
    /// Status IDs of `update` events, in order.
    updates: Vec<String>,
    last_poll_votes: Option<i64>,
    poll_updates: usize,
}

enum Role {
    User { token: String, follows_author: bool },
    Poll,
}

pub async fn run(ctx: &Ctx, args: &StreamsArgs) -> anyhow::Result<ScenarioOutput> {
    let mut out = ScenarioOutput { headline: "post-delivery".into(), ..ScenarioOutput::default() };
    let mut api = ctx.api().await?;
    let author_token = ctx.tokens.author().to_string();
    let me: Account = api.verify_credentials(&author_token).await?;
    let (_, poll) =
        api.create_poll(&author_token, "Streams: which consulate?", &["a".into(), "b".into(), "c".into()]).await?;
    let readers = ctx.tokens.readers();
    let users = ((args.connections as f64) * (1.0 - args.poll_share)).round() as usize;
    anyhow::ensure!(readers.len() >= users, "{users} user streams need as many tokens after line 1");

    // Which of the user-stream accounts follow the author.
    let mut roles = Vec::with_capacity(args.connections);
    for token in &readers[..users] {
        let (status, body) =
            api.call(Method::GET, &format!("/api/v1/accounts/relationships?id[]={}", me.id), Some(token), None).await?;
        anyhow::ensure!(status == 200, "relationships: {status}");
        roles.push(Role::User { token: token.clone(), follows_author: follows(&body, &me.id) == Some(true) });
    }
    roles.extend((users..args.connections).map(|_| Role::Poll));
    let followers = roles.iter().filter(|r| matches!(r, Role::User { follows_author: true, .. })).count();

    let shared = Arc::new(Shared {
        post_sent: Mutex::new(Vec::new()),
        posts: Mutex::new(HashMap::new()),
        vote_acks: Mutex::new(Vec::new()),
        delivery: Mutex::new(crate::stats::run_histogram()),
        poll_staleness: Mutex::new(crate::stats::run_histogram()),
        strays: AtomicUsize::new(0),
        open: AtomicUsize::new(0),
        failed_to_open: AtomicUsize::new(0),
        frames: AtomicU64::new(0),
    });
    let rss_before = args.server_pid.and_then(rss_kib);
    let target = ctx.target().base.clone();
    let authority = target.trim_start_matches("http://").trim_end_matches('/').to_string();

    // Open every connection, a few hundred at a time.
    let opening = Instant::now();
    let gate = Arc::new(tokio::sync::Semaphore::new(args.open_concurrency.max(1)));
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut tasks = Vec::with_capacity(roles.len());
    for (i, role) in roles.into_iter().enumerate() {
        let sse = (i as f64 / args.connections.max(1) as f64) < args.sse_share || (i % 2 == 0 && args.sse_share >= 1.0);
        let (shared, gate, authority, poll_id, ready) =
            (shared.clone(), gate.clone(), authority.clone(), poll.id.clone(), ready_tx.clone());
        let follows_author = matches!(role, Role::User { follows_author: true, .. });
        tasks.push((
            follows_author,
            matches!(role, Role::Poll),
            tokio::spawn(async move {
                let permit = gate.acquire_owned().await.ok();
                // A server that stops accepting (its connection limit) must not hang the run.
                let opened = match tokio::time::timeout(OPEN_TIMEOUT, open(&authority, &role, &poll_id, sse)).await {
                    Ok(opened) => opened,
                    Err(_) => Err(anyhow::anyhow!("not opened within {OPEN_TIMEOUT:?}")),
                };
                drop(permit);
                match opened {
                    Ok(stream) => {
                        shared.open.fetch_add(1, Ordering::Relaxed);
                        let _ = ready.send(());
                        consume(stream, &shared).await
                    }
                    Err(_) => {
                        shared.failed_to_open.fetch_add(1, Ordering::Relaxed);
                        let _ = ready.send(());
                        Seen::default()
                    }
                }
            }),
        ));
    }
    drop(ready_tx);
    for _ in 0..tasks.len() {
        ready_rx.recv().await;
    }
    let open_time = opening.elapsed();
    // Let the server settle its buffers before reading its memory.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = args.server_pid.and_then(rss_kib);
    let held = shared.open.load(Ordering::Relaxed);

    // Votes at the set rate, and the author's posts, at the same time.
    let voters: Vec<String> = readers.iter().rev().take(readers.len().saturating_sub(1)).cloned().collect();
    let vote_window = args.post_every * (args.posts as u32 + 1);
    let votes = (args.vote_rate as f64 * vote_window.as_secs_f64()) as usize;
    anyhow::ensure!(voters.len() >= votes, "{votes} votes need as many tokens");
    let vote_task = {
        let (shared, target, poll_id) = (shared.clone(), ctx.target().clone(), poll.id.clone());
        let voters = voters[..votes].to_vec();
        let rate = args.vote_rate.max(1);
        tokio::spawn(async move { send_votes(&target, &poll_id, voters, rate, shared).await })
    };
    for k in 0..args.posts {
        tokio::time::sleep(args.post_every).await;
        let body = json!({"status": format!("Streams post {k}"), "visibility": "public"});
        shared.post_sent.lock().map_err(|_| anyhow::anyhow!("lock"))?.push(Instant::now());
        let (status, answer) = api.call(Method::POST, "/api/v1/statuses", Some(&author_token), Some(&body)).await?;
        anyhow::ensure!(status == 200, "posting: {status}");
        let id = serde_json::from_slice::<Value>(&answer)?["id"].as_str().context("status id")?.to_string();
        shared.posts.lock().map_err(|_| anyhow::anyhow!("lock"))?.insert(id, Instant::now());
    }
    let sent_votes = vote_task.await.context("votes")??;
    // The last poll updates and deliveries.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let final_tally = api.get_poll(None, &poll.id).await?.votes_count;
    for (_, _, t) in &tasks {
        t.abort();
    }
    let mut missing = 0usize;
    let mut doubled = 0usize;
    let mut unexpected = 0usize;
    let mut stale_polls = 0usize;
    let mut poll_updates = 0usize;
    let posts: Vec<String> = shared.posts.lock().map_err(|_| anyhow::anyhow!("lock"))?.keys().cloned().collect();
    for (follows_author, is_poll, task) in tasks {
        let seen = match task.await {
            Ok(seen) => seen,
            Err(e) if e.is_cancelled() => continue,
            Err(e) => return Err(e.into()),
        };
        if is_poll {
            poll_updates += seen.poll_updates;
            if seen.last_poll_votes != Some(final_tally) {
                stale_polls += 1;
            }
            continue;
        }
        for post in &posts {
            let n = seen.updates.iter().filter(|u| *u == post).count();
            match (follows_author, n) {
                (true, 0) => missing += 1,
                (true, 1) | (false, 0) => {}
                (true, _) => doubled += 1,
                (false, _) => unexpected += 1,
            }
        }
    }
    out.notes.push(format!(
        "{held} of {} connections held ({} failed to open) in {open_time:?}; {followers} user streams follow @{}",
        args.connections,
        shared.failed_to_open.load(Ordering::Relaxed),
        me.username
    ));
    if let (Some(before), Some(after)) = (rss_before, rss_after) {
        let per = (after.saturating_sub(before)) as f64 / held.max(1) as f64;
        out.notes
            .push(format!("server memory: {before} KiB before, {after} KiB with the connections: {per:.1} KiB each"));
        out.extra = json!({"rss_before_kib": before, "rss_after_kib": after, "kib_per_connection": per});
    }
    out.notes.push(format!(
        "{sent_votes} votes acknowledged; final tally {final_tally}; {poll_updates} poll updates and {} frames in all received",
        shared.frames.load(Ordering::Relaxed)
    ));
    let delivery = shared.delivery.lock().map_err(|_| anyhow::anyhow!("lock"))?.clone();
    let staleness = shared.poll_staleness.lock().map_err(|_| anyhow::anyhow!("lock"))?.clone();
    out.phases.push(measurement("post-delivery", &delivery, ctx));
    out.phases.push(measurement("poll-update-staleness", &staleness, ctx));
    out.checks.push(Check::new(
        "held",
        held == args.connections,
        format!("{held} of {} connections open", args.connections),
    ));
    out.checks.push(Check::new(
        "every-post-once",
        missing == 0 && doubled == 0,
        format!("{missing} posts missing from a follower's stream, {doubled} delivered twice"),
    ));
    out.checks.push(Check::new(
        "nothing-unexpected",
        unexpected == 0 && shared.strays.load(Ordering::Relaxed) == 0,
        format!(
            "{unexpected} posts reached a non-follower's user stream; {} updates of other statuses",
            shared.strays.load(Ordering::Relaxed)
        ),
    ));
    out.checks.push(Check::new(
        "poll-final-tally",
        stale_polls == 0,
        format!("{stale_polls} poll subscribers' last update was not the final tally ({final_tally})"),
    ));
    Ok(out)
}

fn measurement(name: &str, h: &Histogram<u64>, ctx: &Ctx) -> Measurement {
    let n = h.len();
    Measurement {
        name: name.into(),
        requests: n,
        ok: n,
        errors: Default::default(),
        seconds: 0.0,
        throughput: 0.0,
        ok_throughput: 0.0,
        latency: Latency::of(h),
        offset_s: ctx.run_start.elapsed().as_secs_f64(),
        per_second: Vec::new(),
        vs_baseline: None,
    }
}

/// The server's resident memory, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

enum Opened {
    Sse(tokio::net::TcpStream),
    Ws(Box<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>>),
}

async fn open(authority: &str, role: &Role, poll: &str, sse: bool) -> anyhow::Result<Opened> {
    let (path, token) = match role {
        Role::User { token, .. } => ("user".to_string(), Some(token.as_str())),
        Role::Poll => (format!("parley:poll&poll={poll}"), None),
    };
    if sse {
        let (route, query) = match role {
            Role::User { .. } => ("/api/v1/streaming/user".to_string(), String::new()),
            Role::Poll => ("/api/v1/streaming/parley/poll".to_string(), format!("?poll={poll}")),
        };
        let stream = tokio::net::TcpStream::connect(authority).await?;
        let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
        let request =
            format!("GET {route}{query} HTTP/1.1\r\nHost: {authority}\r\n{auth}Accept: text/event-stream\r\n\r\n");
        write_all(&stream, request.as_bytes()).await?;
        let mut head = vec![0u8; 1024];
        let n = read_some(&stream, &mut head).await?;
        anyhow::ensure!(head[..n].starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&head[..n]));
        return Ok(Opened::Sse(stream));
    }
    let mut url = format!("ws://{authority}/api/v1/streaming?stream={path}");
    if let Some(t) = token {
        url.push_str(&format!("&access_token={t}"));
    }
    let (ws, _) = tokio_tungstenite::connect_async(url).await?;
    Ok(Opened::Ws(Box::new(ws)))
}

/// Reads a stream until it is aborted, recording what arrives.
async fn consume(stream: Opened, shared: &Shared) -> Seen {
    let mut seen = Seen::default();
    match stream {
        Opened::Ws(mut ws) => {
            use futures_util::StreamExt;
            while let Some(Ok(message)) = ws.next().await {
                if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                    // The payload is JSON inside a JSON string: unescaped only for poll updates (small).
                    let text = text.as_str();
                    if text.contains("\"event\":\"update\"") {
                        note("update", &text.replace("\\\"", "\""), shared, &mut seen);
                    } else if let Ok(frame) = serde_json::from_str::<Value>(text) {
                        let event = frame["event"].as_str().unwrap_or_default().to_string();
                        let payload = frame["payload"].as_str().unwrap_or_default().to_string();
                        note(&event, &payload, shared, &mut seen);
                    }
                }
            }
        }
        Opened::Sse(tcp) => {
            let mut buf = Vec::new();
            let mut chunk = vec![0u8; 64 * 1024];
            while let Ok(n) = read_some(&tcp, &mut chunk).await {
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                // Events end with a blank line; chunk-size lines of the transfer encoding are skipped.
                while let Some(end) = find(&buf, b"\n\n") {
                    let block = String::from_utf8_lossy(&buf[..end]).to_string();
                    buf.drain(..end + 2);
                    let event = block.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or_default();
                    let data = block.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or_default();
                    if !event.is_empty() {
                        note(event, data, shared, &mut seen);
                    }
                }
            }
        }
    }
    seen
}

/// Writes all of `bytes` (tokio's readiness API: no io-util feature for one request line).
async fn write_all(stream: &tokio::net::TcpStream, mut bytes: &[u8]) -> std::io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Reads what has arrived (at least one byte, or 0 at the end).
async fn read_some(stream: &tokio::net::TcpStream, buf: &mut [u8]) -> std::io::Result<usize> {
    loop {
        stream.readable().await?;
        match stream.try_read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Records one event. The payloads are read by searching their text, not
/// parsed: with thousands of connections on the load generator's one thread,
/// parsing every status would measure the client, not the server.
fn note(event: &str, payload: &str, shared: &Shared, seen: &mut Seen) {
    let now = Instant::now();
    shared.frames.fetch_add(1, Ordering::Relaxed);
    match event {
        "update" => {
            let id = string_field(payload, "id").unwrap_or_default();
            let number = payload
                .split("Streams post ")
                .nth(1)
                .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|k| k.parse::<usize>().ok());
            let sent = number.and_then(|k| shared.post_sent.lock().ok().and_then(|p| p.get(k).copied()));
            match sent {
                Some(at) => {
                    if let Ok(mut h) = shared.delivery.lock() {
                        record(&mut h, now.saturating_duration_since(at).as_micros() as u64);
                    }
                }
                None => {
                    shared.strays.fetch_add(1, Ordering::Relaxed);
                }
            }
            seen.updates.push(id);
        }
        "poll.update" => {
            let Ok(body) = serde_json::from_str::<Value>(payload) else { return };
            let votes = body["votes_count"].as_i64().unwrap_or(0);
            seen.poll_updates += 1;
            seen.last_poll_votes = Some(votes);
            if votes > 0
                && let Ok(acks) = shared.vote_acks.lock()
                && let Some(at) = acks.get(votes as usize - 1)
                && let Ok(mut h) = shared.poll_staleness.lock()
            {
                record(&mut h, now.saturating_duration_since(*at).as_micros() as u64);
            }
        }
        _ => {}
    }
}

/// The first `"name":"value"` string in a JSON text (a status's own `id` comes first).
fn string_field(json: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\":\"");
    let start = json.find(&key)? + key.len();
    let end = json[start..].find('"')? + start;
    Some(json[start..end].to_string())
}

/// Votes at `rate` per second, each from its own token; returns how many were acknowledged.
async fn send_votes(
    target: &crate::client::Target,
    poll: &str,
    voters: Vec<String>,
    rate: u64,
    shared: Arc<Shared>,
) -> anyhow::Result<usize> {
    let started = Instant::now();
    let workers = 64usize;
    let next = Arc::new(AtomicUsize::new(0));
    let voters = Arc::new(voters);
    let acked = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for w in 0..workers {
        let (target, next, voters, acked) = (target.clone(), next.clone(), voters.clone(), acked.clone());
        let (poll, shared) = (poll.to_string(), shared.clone());
        set.spawn(async move {
            let mut api = crate::api::Api::connect(&target).await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(token) = voters.get(i) else { return anyhow::Ok(()) };
                // Pace: the i-th vote leaves no earlier than i / rate seconds in.
                let due = started + Duration::from_micros(i as u64 * 1_000_000 / rate);
                tokio::time::sleep_until(due.into()).await;
                let body = json!({"choices": [(i + w) % 3]});
                let (status, _) =
                    api.call(Method::POST, &format!("/api/v1/polls/{poll}/votes"), Some(token), Some(&body)).await?;
                if status == 200 {
                    acked.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut a) = shared.vote_acks.lock() {
                        a.push(Instant::now());
                    }
                }
            }
        });
    }
    while let Some(done) = set.join_next().await {
        done??;
    }
    Ok(acked.load(Ordering::Relaxed))
}
