//! Crash safety under mixed load, with the real binary: many accounts post
//! (with idempotency keys), follow, favourite and vote at once through HTTP;
//! the server is killed with `SIGKILL` at a random moment, restarted, and
//! checked: every write answered 200 is there, none is there twice (one
//! status per idempotency key, one follow per pair, one favourite per pair,
//! one ballot per voter, counters equal to their rows, no notification
//! doubled), nothing is there that was never sent, `parley admin polls
//! verify` and SQLite's integrity check pass, and the restarted server's
//! derived state is in step with the database. Writes in flight at the kill
//! are sent again in the next round (same idempotency key, same target).
//!
//! CI runs 3 rounds. The long version:
//!
//! ```sh
//! PARLEY_CRASH_ROUNDS=20 cargo test -p parley --test crash_mixed -- --nocapture
//! ```
//!
//! `PARLEY_CRASH_SEED` repeats the operations and kill delays of an earlier
//! run (the seed is printed); the server's timing is never the same twice.

// Test helpers outside `#[test]` functions are not covered by clippy's
// `allow-expect-in-tests`; here a failed expectation is a failed test.
#![allow(clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::{ServerProcess, cli, output_text};
use parley::config::Config;
use parley_core::model::Role;
use parley_core::scope::Scopes;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const ALREADY_VOTED: &str = "Validation failed: You have already voted on this poll";
const ACCOUNTS: usize = 300;
const POLLS: usize = 4;
const OPTIONS: u32 = 3;
/// Most operations one round may send (the kill usually comes first).
const PER_ROUND: usize = 1500;
const IN_FLIGHT: usize = 32;

/// One write a client asks for. Accounts and polls are indices.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Op {
    /// A public status whose text names its idempotency key.
    Post {
        by: usize,
        key: String,
    },
    Follow {
        by: usize,
        target: usize,
    },
    /// A favourite of a status known to exist (by ID).
    Favourite {
        by: usize,
        status: String,
    },
    Vote {
        by: usize,
        poll: usize,
        choice: u32,
    },
}

#[derive(Default, Clone)]
struct Ledger {
    /// Every operation sent at least once.
    sent: HashSet<Op>,
    /// Answered 200 (posts: with the status ID; votes: or "already voted" on a resend).
    acknowledged: HashMap<Op, Option<String>>,
    /// Sent, never answered: in flight at a kill; sent again next round.
    unanswered: HashSet<Op>,
    problems: Vec<String>,
}

struct World {
    url_of_poll: Vec<String>,
    ids: Vec<i64>,
    tokens: Vec<String>,
}

fn post_text(key: &str) -> String {
    format!("crash post {key}")
}

/// Sends one operation; `None` when no complete answer came (the kill).
async fn send(http: &reqwest::Client, base: &str, world: &World, op: &Op) -> Option<(u16, Value)> {
    let request = match op {
        Op::Post { by, key } => http
            .post(format!("{base}/api/v1/statuses"))
            .bearer_auth(&world.tokens[*by])
            .header("Idempotency-Key", key)
            .json(&json!({"status": post_text(key)})),
        Op::Follow { by, target } => {
            http.post(format!("{base}/api/v1/accounts/{}/follow", world.ids[*target])).bearer_auth(&world.tokens[*by])
        }
        Op::Favourite { by, status } => {
            http.post(format!("{base}/api/v1/statuses/{status}/favourite")).bearer_auth(&world.tokens[*by])
        }
        Op::Vote { by, poll, choice } => http
            .post(format!("{base}/api/v1/polls/{}/votes", world.url_of_poll[*poll]))
            .bearer_auth(&world.tokens[*by])
            .json(&json!({"choices": [choice]})),
    };
    let resp = request.send().await.ok()?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.ok()?;
    Some((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)))
}

/// Records an answer in the ledger; `resend` is true for an operation sent
/// before (in flight at a kill, or a deliberate duplicate).
fn record(l: &mut Ledger, op: &Op, resend: bool, answer: Option<(u16, Value)>) {
    let Some((status, body)) = answer else {
        if !l.acknowledged.contains_key(op) {
            l.unanswered.insert(op.clone());
        }
        return;
    };
    let acknowledged = match (op, status) {
        (Op::Post { key, .. }, 200) if body["content"].as_str().is_some_and(|c| c.contains(key.as_str())) => {
            Some(body["id"].as_str().map(str::to_string))
        }
        (Op::Follow { .. }, 200) if body["following"] == true => Some(None),
        (Op::Favourite { .. }, 200) if body["favourited"] == true => Some(None),
        (Op::Vote { choice, .. }, 200) if body["voted"] == true && body["own_votes"] == json!([choice]) => Some(None),
        // Only a resend may find its ballot already counted.
        (Op::Vote { .. }, 422) if resend && body["error"] == ALREADY_VOTED => Some(None),
        _ => None,
    };
    let Some(id) = acknowledged else {
        l.problems.push(format!("{op:?}: unexpected answer {status}: {body}"));
        return;
    };
    l.unanswered.remove(op);
    if let Some(Some(earlier)) = l.acknowledged.get(op)
        && id.as_ref() != Some(earlier)
    {
        l.problems.push(format!("{op:?}: one idempotency key answered two statuses, {earlier} and {id:?}"));
    }
    if !matches!(l.acknowledged.get(op), Some(Some(_))) {
        l.acknowledged.insert(op.clone(), id);
    }
}

/// Sends `queue` with a fixed crew of workers until it runs out or the server
/// is killed after `delay`.
async fn round(
    server: &mut ServerProcess,
    world: &Arc<World>,
    queue: Vec<(Op, bool)>,
    delay: Duration,
    ledger: &Arc<Mutex<Ledger>>,
) {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    let queue = Arc::new(queue);
    let cursor = Arc::new(AtomicUsize::new(0));
    let killed = Arc::new(AtomicBool::new(false));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (http, base, world, queue, cursor, killed, ledger) = (
            http.clone(),
            server.url.clone(),
            world.clone(),
            queue.clone(),
            cursor.clone(),
            killed.clone(),
            ledger.clone(),
        );
        workers.spawn(async move {
            while !killed.load(Ordering::SeqCst) {
                let Some((op, resend)) = queue.get(cursor.fetch_add(1, Ordering::SeqCst)).cloned() else { return };
                let resend = resend || !ledger.lock().expect("ledger").sent.insert(op.clone());
                let answer = send(&http, &base, &world, &op).await;
                record(&mut ledger.lock().expect("ledger"), &op, resend, answer);
            }
        });
    }
    tokio::time::sleep(delay).await;
    killed.store(true, Ordering::SeqCst);
    server.kill();
    while let Some(w) = workers.join_next().await {
        w.expect("worker");
    }
}

/// What may be sent only once: a ballot per voter and poll, whatever the choice.
fn one_per_target(op: &Op) -> Op {
    match op {
        Op::Vote { by, poll, .. } => Op::Vote { by: *by, poll: *poll, choice: 0 },
        other => other.clone(),
    }
}

/// New operations for a round, each new but for a few deliberate duplicates
/// (the same post, follow or favourite twice at once).
fn plan(rng: &mut StdRng, round: usize, used: &mut HashSet<Op>, favourable: &[String]) -> Vec<(Op, bool)> {
    let mut ops = Vec::new();
    let mut attempts = 0;
    while ops.len() < PER_ROUND && attempts < PER_ROUND * 20 {
        attempts += 1;
        let by = rng.gen_range(0..ACCOUNTS);
        let op = match rng.gen_range(0..4) {
            0 => Op::Post { by, key: format!("r{round}-{}", ops.len()) },
            1 => Op::Follow { by, target: rng.gen_range(0..ACCOUNTS) },
            2 => Op::Favourite { by, status: favourable[rng.gen_range(0..favourable.len())].clone() },
            _ => Op::Vote { by, poll: rng.gen_range(0..POLLS), choice: rng.gen_range(0..OPTIONS) },
        };
        let fresh = match &op {
            Op::Follow { by, target } => by != target,
            // Poll `i` is account `i`'s own.
            Op::Vote { by, poll, .. } => by != poll,
            _ => true,
        } && used.insert(one_per_target(&op));
        if fresh {
            ops.push(op);
        }
    }
    ops.shuffle(rng);
    // A duplicate goes right after its original, so the crew sends both at once.
    let mut queue = Vec::with_capacity(ops.len() + ops.len() / 10);
    for op in ops {
        if !matches!(op, Op::Vote { .. }) && rng.gen_ratio(1, 20) {
            queue.push((op.clone(), false));
        }
        queue.push((op, false));
    }
    queue
}

/// With the server down: what the file holds, checked against the ledger.
fn check_offline(data: &Path, world: &World, l: &Ledger) {
    let verify = cli(&["admin", "polls", "verify"], data);
    assert!(verify.status.success(), "parley admin polls verify after a kill:\n{}", output_text(&verify));
    let db = rusqlite::Connection::open(data.join("parley.sqlite3")).expect("open the database");
    let rows = |sql: &str| -> Vec<(i64, i64)> {
        let mut stmt = db.prepare(sql).expect("prepare");
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    };
    let mut problems = Vec::new();
    let ok: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity check");
    if ok != "ok" {
        problems.push(format!("integrity check: {ok}"));
    }
    let index: HashMap<i64, usize> = world.ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    let poll_index: HashMap<i64, usize> =
        world.url_of_poll.iter().enumerate().map(|(i, p)| (p.parse().expect("poll id"), i)).collect();

    // Posts: one status per key; the acknowledged one; none never sent.
    let mut stmt =
        db.prepare("SELECT text, id, account_id FROM statuses WHERE text LIKE 'crash post %'").expect("prepare");
    let posts: Vec<(String, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let mut by_key: HashMap<Op, Vec<i64>> = HashMap::new();
    for (text, id, account) in posts {
        let key = text.trim_start_matches("crash post ").to_string();
        by_key.entry(Op::Post { by: index[&account], key }).or_default().push(id);
    }
    // Favourites, follows and ballots, as operations (choices are compared too).
    let mut stored: HashSet<Op> = HashSet::new();
    for (account, status) in rows("SELECT account_id, status_id FROM favourites") {
        stored.insert(Op::Favourite { by: index[&account], status: status.to_string() });
    }
    for (account, target) in rows("SELECT account_id, target_id FROM follows") {
        stored.insert(Op::Follow { by: index[&account], target: index[&target] });
    }
    let mut stmt = db.prepare("SELECT account_id, poll_id, choice FROM poll_votes").expect("prepare");
    let ballots: Vec<(i64, i64, u32)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    for (account, poll, choice) in ballots {
        stored.insert(Op::Vote { by: index[&account], poll: poll_index[&poll], choice });
    }
    for (op, ids) in &by_key {
        if ids.len() > 1 {
            problems.push(format!("{op:?} stored {} times: {ids:?}", ids.len()));
        }
        if !l.sent.contains(op) {
            problems.push(format!("{op:?} stored but never sent"));
        }
        if let Some(Some(acknowledged)) = l.acknowledged.get(op)
            && ids.iter().all(|id| id.to_string() != *acknowledged)
        {
            problems.push(format!("{op:?} acknowledged as {acknowledged}, stored as {ids:?}"));
        }
        stored.insert(op.clone());
    }
    for op in l.acknowledged.keys() {
        if !stored.contains(op) {
            problems.push(format!("{op:?} acknowledged but lost"));
        }
    }
    for op in &stored {
        if !l.sent.contains(op) {
            problems.push(format!("{op:?} stored but never sent"));
        }
    }
    // Counters equal their rows; no notification twice.
    for (what, sql) in [
        (
            "followers_count",
            "SELECT count(*) FROM accounts a WHERE followers_count != (SELECT count(*) FROM follows WHERE target_id = a.id)",
        ),
        (
            "following_count",
            "SELECT count(*) FROM accounts a WHERE following_count != (SELECT count(*) FROM follows WHERE account_id = a.id)",
        ),
        (
            "statuses_count",
            "SELECT count(*) FROM accounts a WHERE statuses_count != (SELECT count(*) FROM statuses WHERE account_id = a.id AND visibility != 'direct')",
        ),
        (
            "favourites_count",
            "SELECT count(*) FROM statuses s WHERE favourites_count != (SELECT count(*) FROM favourites WHERE status_id = s.id)",
        ),
        (
            "votes_count",
            "SELECT count(*) FROM polls p WHERE votes_count != (SELECT count(*) FROM poll_votes WHERE poll_id = p.id)",
        ),
        (
            "doubled notifications",
            "SELECT count(*) FROM (SELECT 1 FROM notifications GROUP BY account_id, from_account_id, kind, status_id HAVING count(*) > 1)",
        ),
    ] {
        let wrong: i64 = db.query_row(sql, [], |r| r.get(0)).expect(what);
        if wrong != 0 {
            problems.push(format!("{what}: {wrong} rows disagree"));
        }
    }
    assert!(problems.is_empty(), "after a kill:\n{}", problems.join("\n"));
}

/// Through the restarted server: its derived state is in step, and each
/// operation acknowledged since the last restart shows through the API.
async fn check_online(server: &ServerProcess, world: &World, admin: &str, fresh: &[(Op, Option<String>)]) {
    let http = reqwest::Client::new();
    let get = |path: String, token: &str| {
        let request = http.get(format!("{}{path}", server.url)).bearer_auth(token.to_string());
        async move { request.send().await.expect("get").json::<Value>().await.expect("json") }
    };
    let report = get("/api/v1/parley/admin/derived_state".into(), admin).await;
    assert_eq!(report, json!({"in_step": true, "differences": []}), "after a kill and a restart");
    for (op, id) in fresh {
        let shown = match op {
            Op::Post { by, key } => {
                let s = get(format!("/api/v1/statuses/{}", id.clone().expect("post id")), &world.tokens[*by]).await;
                s["content"].as_str().is_some_and(|c| c.contains(key.as_str()))
            }
            Op::Follow { by, target } => {
                let r = get(format!("/api/v1/accounts/relationships?id[]={}", world.ids[*target]), &world.tokens[*by])
                    .await;
                r[0]["following"] == true
            }
            Op::Favourite { by, status } => {
                get(format!("/api/v1/statuses/{status}"), &world.tokens[*by]).await["favourited"] == true
            }
            Op::Vote { by, poll, choice } => {
                let p = get(format!("/api/v1/polls/{}", world.url_of_poll[*poll]), &world.tokens[*by]).await;
                p["voted"] == true && p["own_votes"] == json!([choice])
            }
        };
        assert!(shown, "{op:?} was acknowledged before the kill but is not shown after the restart");
    }
}

fn config(data: &Path) -> Config {
    Config { data_dir: data.to_path_buf(), ..Config::default() }
}

/// The accounts the load works on and an administrator's token, made
/// through the store (registering through the API would hash a password per
/// account).
async fn make_accounts(data: &Path) -> (Vec<i64>, Vec<String>, String) {
    let (store, services) = parley::server::open(&config(data)).await.expect("open the data directory");
    let app = services
        .ctx
        .store
        .create_app(parley_store::NewApp {
            name: "crash".into(),
            website: None,
            redirect_uris: vec!["urn:ietf:wg:oauth:2.0:oob".into()],
            scopes: "read write follow admin:read".into(),
            client_id: "crash-client".into(),
            client_secret_hash: "unusable".into(),
        })
        .await
        .expect("app");
    let account = |username: String, role: Role| {
        let services = services.clone();
        async move {
            services
                .ctx
                .store
                .create_account(parley_store::NewAccount {
                    email: format!("{username}@crash.example"),
                    username,
                    password_hash: "unusable".into(),
                    display_name: String::new(),
                    role,
                    organisation: None,
                    approved: true,
                    created_at: None,
                })
                .await
                .expect("account")
        }
    };
    let auditor = account("auditor".into(), Role::Admin).await;
    let admin = services
        .auth
        .issue_user_token(&app, auditor.id, Scopes::parse("admin:read").expect("scopes"))
        .await
        .expect("token");
    let mut ids = Vec::new();
    let mut tokens = Vec::new();
    for i in 0..ACCOUNTS {
        let a = account(format!("user{i}"), Role::User).await;
        ids.push(a.id.0);
        tokens.push(
            services
                .auth
                .issue_user_token(&app, a.id, Scopes::parse("read write follow").expect("scopes"))
                .await
                .expect("token"),
        );
    }
    drop(services);
    drop(store);
    (ids, tokens, admin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_of_every_kind_survive_sigkill_and_none_doubles() {
    let rounds: usize = std::env::var("PARLEY_CRASH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let seed: u64 = std::env::var("PARLEY_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    eprintln!("{rounds} rounds, seed {seed}");
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let tmp = tempfile::tempdir().expect("temp dir");
    let data: PathBuf = tmp.path().join("data");
    let log = tmp.path().join("server.log");
    let (ids, tokens, admin) = make_accounts(&data).await;

    // Polls and statuses to favourite, through the API of the real binary.
    let mut server = ServerProcess::start(&data, &log).await;
    let http = reqwest::Client::new();
    let mut favourable = Vec::new();
    let mut url_of_poll = Vec::new();
    for (i, token) in tokens.iter().enumerate().take(POLLS + 8) {
        let mut body = json!({"status": format!("seed status {i}")});
        if i < POLLS {
            body["poll"] = json!({"options": ["a", "b", "c"], "expires_in": 7 * 86_400});
        }
        let resp = http
            .post(format!("{}/api/v1/statuses", server.url))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .expect("post");
        assert!(resp.status().is_success(), "{}", resp.status());
        let status: Value = resp.json().await.expect("json");
        favourable.push(status["id"].as_str().expect("id").to_string());
        if i < POLLS {
            url_of_poll.push(status["poll"]["id"].as_str().expect("poll id").to_string());
        }
    }
    let world = Arc::new(World { url_of_poll, ids, tokens });

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let mut confirmed: HashSet<Op> = HashSet::new();
    for r in 0..rounds {
        let queue: Vec<(Op, bool)> = {
            let l = ledger.lock().expect("ledger");
            let mut resend: Vec<Op> = l.unanswered.iter().cloned().collect();
            resend.sort_by_key(|op| format!("{op:?}"));
            let mut queue: Vec<(Op, bool)> = resend.into_iter().map(|op| (op, true)).collect();
            // Statuses acknowledged so far may be favourited too.
            let mut targets = favourable.clone();
            targets.extend(l.acknowledged.values().flatten().cloned());
            targets.sort();
            // Planned operations the kill came before may be planned again.
            let mut used: HashSet<Op> = l.sent.iter().map(one_per_target).collect();
            queue.extend(plan(&mut rng, r, &mut used, &targets));
            queue
        };
        let delay = Duration::from_millis(rng.gen_range(50..=700));
        round(&mut server, &world, queue, delay, &ledger).await;
        let l = ledger.lock().expect("ledger").clone();
        assert!(l.problems.is_empty(), "round {r}:\n{}", l.problems.join("\n"));
        check_offline(&data, &world, &l);
        server = ServerProcess::start(&data, &log).await;
        // Each acknowledged write is looked at through the API once, after the restart that follows it.
        let mut fresh: Vec<(Op, Option<String>)> = l
            .acknowledged
            .iter()
            .filter(|(op, _)| confirmed.insert((*op).clone()))
            .map(|(op, id)| (op.clone(), id.clone()))
            .collect();
        fresh.sort_by_key(|(op, _)| format!("{op:?}"));
        check_online(&server, &world, &admin, &fresh).await;
        let kinds = |f: fn(&Op) -> bool| l.acknowledged.keys().filter(|op| f(op)).count();
        eprintln!(
            "round {r}: killed after {delay:?}; acknowledged so far: {} posts, {} follows, {} favourites, {} votes; \
             {} in flight at the kill",
            kinds(|op| matches!(op, Op::Post { .. })),
            kinds(|op| matches!(op, Op::Follow { .. })),
            kinds(|op| matches!(op, Op::Favourite { .. })),
            kinds(|op| matches!(op, Op::Vote { .. })),
            l.unanswered.len()
        );
    }
    server.kill();
    let l = ledger.lock().expect("ledger").clone();
    assert!(l.acknowledged.len() > rounds, "hardly any write was acknowledged: the test tested nothing");
    eprintln!("{rounds} rounds in {:.0?}", started.elapsed());
}
