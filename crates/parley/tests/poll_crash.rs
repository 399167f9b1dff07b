//! Crash safety of ballots with the real binary: a stream of concurrent votes,
//! `SIGKILL` at a random moment, restart, and check that every ballot the
//! server acknowledged survived, that nothing was counted twice, that the
//! recount and `parley admin polls verify` are clean, and that SQLite's
//! integrity check passes.
//!
//! CI runs 3 rounds. The long version, with more kills at more moments:
//!
//! ```sh
//! PARLEY_CRASH_ROUNDS=50 cargo test -p parley --test poll_crash -- --nocapture
//! ```
//!
//! `PARLEY_CRASH_SEED` repeats the kill delays and choices of an earlier run
//! (the seed is printed); the timing of the server is never the same twice.

// Test helpers outside `#[test]` functions are not covered by clippy's
// `allow-expect-in-tests`; here a failed expectation is a failed test.
#![allow(clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::process::{ServerProcess, cli, output_text};
use parley::config::Config;
use parley_core::PollId;
use parley_core::scope::Scopes;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

const ALREADY_VOTED: &str = "Validation failed: You have already voted on this poll";
/// Most fresh voters one round may use (the kill usually comes first).
const PER_ROUND: usize = 800;
/// Requests in flight at once.
const IN_FLIGHT: usize = 64;
const OPTIONS: u32 = 4;

fn config(data: &Path) -> Config {
    Config { data_dir: data.to_path_buf(), ..Config::default() }
}

async fn post(http: &reqwest::Client, url: String, token: Option<&str>, body: Value) -> Value {
    let mut req = http.post(url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{status}: {body}");
    body
}

/// A voter and the option it picks (every ballot names one).
type Ballot = (Voter, u32);

/// A voter made offline: account ID (as in the store) and token.
#[derive(Clone)]
struct Voter {
    id: i64,
    token: String,
}

/// What the clients saw, across every round.
#[derive(Default, Clone)]
struct Ledger {
    /// Every voter whose ballot was sent at least once, with its choice.
    sent: HashMap<i64, u32>,
    /// Voters whose ballot the server acknowledged (200, or "already voted" on a retry).
    acknowledged: HashSet<i64>,
    /// Sent but never answered: in flight at the kill.
    unanswered: HashSet<i64>,
    /// Retried ballots that were accepted now (lost in the crash, or never arrived).
    retries_accepted: usize,
    /// Retried ballots refused as "already voted" (committed, but the answer was lost).
    retries_already_counted: usize,
    problems: Vec<String>,
}

/// Votes with a stream of voters (retries first) until the server is killed
/// or `fresh` runs out; kills it after `delay`. Returns the fresh voters used.
async fn round(
    server: &mut ServerProcess,
    poll: &str,
    retries: Vec<Ballot>,
    fresh: Vec<Ballot>,
    delay: Duration,
    ledger: &Arc<Mutex<Ledger>>,
) -> usize {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let url = Arc::new(format!("{}/api/v1/polls/{poll}/votes", server.url));
    let retry_count = retries.len();
    let queue: Arc<Vec<Ballot>> = Arc::new(retries.into_iter().chain(fresh).collect());
    let cursor = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    // A fixed crew of workers bounds the requests in flight.
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (http, url, queue, cursor, killed, ledger) =
            (http.clone(), url.clone(), queue.clone(), cursor.clone(), killed.clone(), ledger.clone());
        workers.spawn(async move {
            loop {
                if killed.load(Ordering::SeqCst) {
                    return;
                }
                let i = cursor.fetch_add(1, Ordering::SeqCst);
                let Some((voter, choice)) = queue.get(i).cloned() else { return };
                ledger.lock().expect("ledger").sent.insert(voter.id, choice);
                let resp =
                    http.post(url.as_str()).bearer_auth(&voter.token).json(&json!({"choices": [choice]})).send().await;
                let answer = match resp {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        // A body cut off by the kill is no answer.
                        r.bytes()
                            .await
                            .ok()
                            .map(|b| (status, serde_json::from_slice::<Value>(&b).unwrap_or(Value::Null)))
                    }
                    Err(_) => None,
                };
                let mut l = ledger.lock().expect("ledger");
                match answer {
                    Some((200, body)) => {
                        l.retries_accepted += usize::from(i < retry_count);
                        if body["voted"] != true || body["own_votes"] != json!([choice]) {
                            l.problems.push(format!("voter {}: 200 without its ballot [{choice}]: {body}", voter.id));
                        }
                        l.acknowledged.insert(voter.id);
                        l.unanswered.remove(&voter.id);
                    }
                    // Only a retry may already have voted: its earlier ballot was committed.
                    Some((422, body)) if body["error"] == ALREADY_VOTED && i < retry_count => {
                        l.retries_already_counted += 1;
                        l.acknowledged.insert(voter.id);
                        l.unanswered.remove(&voter.id);
                    }
                    Some((status, body)) => {
                        l.problems.push(format!("voter {}: unexpected answer {status}: {body}", voter.id))
                    }
                    None => {
                        l.unanswered.insert(voter.id);
                    }
                }
            }
        });
    }
    tokio::time::sleep(delay).await;
    killed.store(true, Ordering::SeqCst);
    server.kill();
    while let Some(w) = workers.join_next().await {
        w.expect("worker");
    }
    cursor.load(Ordering::SeqCst).min(queue.len()).saturating_sub(retry_count)
}

/// With the server down: `parley admin polls verify` passes, the file is
/// sound, the recount is clean, every acknowledged ballot is there once, and
/// nothing is there that was not sent.
/// Returns the voters whose ballot is stored.
async fn check_offline(data: &Path, poll: PollId, ledger: &Ledger) -> HashSet<i64> {
    // The CLI is the first to open the killed server's database.
    let verify = cli(&["admin", "polls", "verify"], data);
    assert!(verify.status.success(), "parley admin polls verify failed:\n{}", output_text(&verify));
    let (store, services) = parley::server::open(&config(data)).await.expect("open the data directory");
    assert_eq!(store.integrity_check().await.expect("integrity check"), "ok");
    let audits = services.polls.audit().await.expect("audit");
    let bad: Vec<_> = audits.iter().filter(|a| !a.problems.is_empty()).collect();
    assert!(bad.is_empty(), "the recount after a crash found problems: {bad:?}");
    let p = services.ctx.store.find_poll(poll).await.expect("find poll").expect("poll exists");
    let ballots = services.ctx.store.poll_state(poll).await.expect("ballots").expect("poll exists").ballots;
    let mut problems = Vec::new();
    let mut per_option = vec![0i64; OPTIONS as usize];
    let mut counted = HashSet::new();
    for (account, choices) in &ballots {
        counted.insert(account.0);
        match ledger.sent.get(&account.0) {
            Some(sent) if choices == &vec![*sent] => per_option[*sent as usize] += 1,
            Some(sent) => problems.push(format!("voter {account} sent [{sent}] but {choices:?} is counted")),
            None => problems.push(format!("voter {account} never voted but {choices:?} is counted")),
        }
    }
    for id in &ledger.acknowledged {
        if !counted.contains(id) {
            problems.push(format!("voter {id}: acknowledged ballot lost"));
        }
    }
    let n = ballots.len() as i64;
    if (p.votes_count, p.voters_count, p.vote_seq) != (n, n, n) {
        problems.push(format!(
            "{n} ballots, but votes_count {}, voters_count {}, vote_seq {}",
            p.votes_count, p.voters_count, p.vote_seq
        ));
    }
    if p.option_votes != per_option {
        problems.push(format!("option tallies {:?}, ballot rows {per_option:?}", p.option_votes));
    }
    assert!(problems.is_empty(), "after a crash:\n{}", problems.join("\n"));
    drop(services);
    drop(store);
    counted
}

/// Through the restarted server: acknowledged voters see their ballot, voters
/// whose ballot was in flight at the kill are shown as having voted exactly
/// when it is stored, and the totals equal the stored ballots.
async fn check_online(
    server: &ServerProcess,
    poll: &str,
    author: &str,
    voters: &[Ballot],
    in_flight: &[(Voter, bool)],
    ballots: usize,
) {
    let http = reqwest::Client::new();
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut checks = tokio::task::JoinSet::new();
    for (voter, choice) in voters.iter().cloned() {
        let (http, gate, url) = (http.clone(), gate.clone(), format!("{}/api/v1/polls/{poll}", server.url));
        checks.spawn(async move {
            let _permit = gate.acquire().await.expect("gate");
            let body: Value =
                http.get(url).bearer_auth(&voter.token).send().await.expect("get").json().await.expect("json");
            (body["voted"] == true && body["own_votes"] == json!([choice]))
                .then_some(())
                .ok_or(format!("{}: {body}", voter.id))
        });
    }
    let mut lost = Vec::new();
    while let Some(c) = checks.join_next().await {
        if let Err(e) = c.expect("check") {
            lost.push(e);
        }
    }
    assert!(lost.is_empty(), "after restart, acknowledged voters do not see their ballot:\n{}", lost.join("\n"));
    let get_poll = |token: String| {
        let request = http.get(format!("{}/api/v1/polls/{poll}", server.url)).bearer_auth(token);
        async move { request.send().await.expect("get").json::<Value>().await.expect("json") }
    };
    for (voter, stored) in in_flight {
        let body = get_poll(voter.token.clone()).await;
        assert_eq!(body["voted"], json!(stored), "voter {} in flight at the kill: served {body}", voter.id);
    }
    let body = get_poll(author.to_string()).await;
    let options: i64 =
        body["options"].as_array().expect("options").iter().map(|o| o["votes_count"].as_i64().unwrap_or(-1)).sum();
    let n = ballots as i64;
    assert_eq!((body["votes_count"].as_i64(), body["voters_count"].as_i64(), options), (Some(n), Some(n), n), "{body}");
}

/// The restarted server rebuilds its derived state from the database and
/// finds it equal to what it serves.
async fn check_derived_state(server: &ServerProcess, admin: &str) {
    let report: Value = reqwest::Client::new()
        .get(format!("{}/api/v1/parley/admin/derived_state", server.url))
        .bearer_auth(admin)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(report["in_step"], json!(true), "after a crash and a restart: {report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_ballots_survive_sigkill_and_none_counts_twice() {
    let rounds: usize = std::env::var("PARLEY_CRASH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let seed: u64 = std::env::var("PARLEY_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    eprintln!("{rounds} rounds, seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let tmp = tempfile::tempdir().expect("temp dir");
    let data: PathBuf = tmp.path().join("data");
    let log = tmp.path().join("server.log");

    // An app, an author and a poll, through the API of the real binary.
    let mut server = ServerProcess::start(&data, &log).await;
    let http = reqwest::Client::new();
    let app = post(
        &http,
        format!("{}/api/v1/apps", server.url),
        None,
        json!({"client_name": "crash", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write follow"}),
    )
    .await;
    let client_id = app["client_id"].as_str().expect("client_id").to_string();
    let app_token = post(
        &http,
        format!("{}/oauth/token", server.url),
        None,
        json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": app["client_secret"], "scope": "read write follow"}),
    )
    .await["access_token"]
        .as_str()
        .expect("app token")
        .to_string();
    let author = post(
        &http,
        format!("{}/api/v1/accounts", server.url),
        Some(&app_token),
        json!({"username": "author", "email": "author@example.org", "password": "correct horse battery", "agreement": true}),
    )
    .await["access_token"]
        .as_str()
        .expect("author token")
        .to_string();
    let status = post(
        &http,
        format!("{}/api/v1/statuses", server.url),
        Some(&author),
        json!({"status": "Which consulate?", "poll": {"options": ["a", "b", "c", "d"], "expires_in": 7 * 86_400}}),
    )
    .await;
    let poll = status["poll"]["id"].as_str().expect("poll id").to_string();
    let poll_id = PollId(poll.parse().expect("numeric poll id"));
    server.kill();

    // Voters straight through the store (registration through the API would
    // hash a password per account), with the server down.
    let (voters, admin): (Vec<Voter>, String) = {
        let (store, services) = parley::server::open(&config(&data)).await.expect("open the data directory");
        let app = services.ctx.store.find_app_by_client_id(&client_id).await.expect("find app").expect("app").0;
        // An administrator, to ask each restarted server to rebuild and compare its derived state.
        let admin = services
            .ctx
            .store
            .create_account(parley_store::NewAccount {
                username: "auditor".into(),
                email: "auditor@crash.example".into(),
                password_hash: "unusable".into(),
                display_name: String::new(),
                role: parley_core::model::Role::Admin,
                organisation: None,
                approved: true,
                created_at: None,
            })
            .await
            .expect("admin");
        let scopes = Scopes::parse("admin:read").expect("scopes");
        let admin = services.auth.issue_user_token(&app, admin.id, scopes).await.expect("admin token");
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..rounds * PER_ROUND {
            let (services, app) = (services.clone(), app.clone());
            tasks.spawn(async move {
                let username = format!("voter{i}");
                let account = services
                    .ctx
                    .store
                    .create_account(parley_store::NewAccount {
                        username: username.clone(),
                        email: format!("{username}@crash.example"),
                        password_hash: "unusable".into(),
                        display_name: String::new(),
                        role: parley_core::model::Role::User,
                        organisation: None,
                        approved: true,
                        created_at: None,
                    })
                    .await
                    .expect("account");
                let scopes = Scopes::parse("read write").expect("scopes");
                let token = services.auth.issue_user_token(&app, account.id, scopes).await.expect("token");
                (i, Voter { id: account.id.0, token })
            });
        }
        let mut voters = Vec::new();
        while let Some(t) = tasks.join_next().await {
            voters.push(t.expect("task"));
        }
        voters.sort_by_key(|(i, _)| *i);
        drop(services);
        drop(store);
        (voters.into_iter().map(|(_, v)| v).collect(), admin)
    };

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut next_fresh = 0;
    let mut to_confirm: Vec<Ballot> = Vec::new();
    let mut confirmed: HashSet<i64> = HashSet::new();
    let mut stored = 0;
    let mut in_flight: Vec<(Voter, bool)> = Vec::new();
    let choice_of: HashMap<i64, u32> = voters.iter().map(|v| (v.id, rng.gen_range(0..OPTIONS))).collect();
    for r in 0..rounds {
        server = ServerProcess::start(&data, &log).await;
        check_online(&server, &poll, &author, &to_confirm, &in_flight, stored).await;
        check_derived_state(&server, &admin).await;
        let (retries, fresh): (Vec<Ballot>, Vec<Ballot>) = {
            let l = ledger.lock().expect("ledger");
            let retries =
                voters.iter().filter(|v| l.unanswered.contains(&v.id)).map(|v| (v.clone(), choice_of[&v.id])).collect();
            let end = (next_fresh + PER_ROUND).min(voters.len());
            (retries, voters[next_fresh..end].iter().map(|v| (v.clone(), choice_of[&v.id])).collect())
        };
        let delay = Duration::from_millis(rng.gen_range(20..=400));
        let used = round(&mut server, &poll, retries, fresh, delay, &ledger).await;
        next_fresh += used;
        let l = ledger.lock().expect("ledger").clone();
        assert!(l.problems.is_empty(), "round {r}:\n{}", l.problems.join("\n"));
        let durable = check_offline(&data, poll_id, &l).await;
        stored = durable.len();
        in_flight = voters
            .iter()
            .filter(|v| l.unanswered.contains(&v.id))
            .map(|v| (v.clone(), durable.contains(&v.id)))
            .collect();
        eprintln!(
            "round {r}: killed after {delay:?}; {} acknowledged, {} in flight at the kill, {stored} ballots stored; \
             so far {} retries accepted, {} retries already counted",
            l.acknowledged.len(),
            l.unanswered.len(),
            l.retries_accepted,
            l.retries_already_counted
        );
        // Each acknowledged ballot is looked at through the API once, after the next restart.
        to_confirm = voters
            .iter()
            .filter(|v| l.acknowledged.contains(&v.id) && confirmed.insert(v.id))
            .map(|v| (v.clone(), choice_of[&v.id]))
            .collect();
    }

    // A last restart: the server reads what the crashes left.
    server = ServerProcess::start(&data, &log).await;
    check_online(&server, &poll, &author, &to_confirm, &in_flight, stored).await;
    check_derived_state(&server, &admin).await;
    server.kill();
    let l = ledger.lock().expect("ledger").clone();
    assert!(!l.acknowledged.is_empty(), "no ballot was acknowledged in any round: the test tested nothing");
    assert_eq!(check_offline(&data, poll_id, &l).await.len(), stored);
}
