//! `parley admin backup FILE` with the real binary, while a server takes a
//! steady stream of votes through HTTP: the copy is consistent (every ballot
//! acknowledged before the backup began is in it, nothing that was not yet
//! sent when it ended), writers go on meanwhile, and a server started on the
//! restored copy serves tallies equal to its vote rows, passes
//! `parley admin polls verify`, the derived-state check and SQLite's integrity
//! check. A second backup to the same file is refused and leaves it alone.

// Test helpers outside `#[test]` functions are not covered by clippy's
// `allow-expect-in-tests`; here a failed expectation is a failed test.
#![allow(clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::process::{cli, output_text};
use common::{TestServer, User};
use parley::config::Config;
use parley_core::AccountId;
use serde_json::{Value, json};

const POLLS: usize = 3;
const OPTIONS: usize = 4;
const VOTERS: usize = 400;
const IN_FLIGHT: usize = 16;

/// An administrator's token with `admin:read`, made through the services (it
/// is stored in the database, so it works on a restored copy too).
async fn admin_token(server: &TestServer) -> String {
    let user = server.bulk_users("admin", 1).await.remove(0);
    let services = &server.running.services;
    let id = AccountId(user.id.parse().expect("id"));
    services
        .accounts
        .admin_update(id, parley_app::AdminUpdate { role: Some(parley_core::model::Role::Admin), ..Default::default() })
        .await
        .expect("make admin");
    let app = services.ctx.store.find_app_by_client_id(&server.app().client_id).await.expect("app").expect("app").0;
    let scopes = parley_core::scope::Scopes::parse("admin:read").expect("scopes");
    services.auth.issue_user_token(&app, id, scopes).await.expect("token")
}

/// One ballot: who, in which poll, for which option.
type Ballot = (String, usize, usize);

#[derive(Default)]
struct Ledger {
    sent: HashSet<(String, usize)>,
    acknowledged: HashSet<(String, usize)>,
    /// Slowest vote answer seen while the backup ran.
    slowest_during_backup: Duration,
    acknowledged_during_backup: usize,
    problems: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_backup_under_voting_load_restores_to_a_sound_server() {
    let server = TestServer::start().await;
    let author = server.user("author").await;
    let admin = admin_token(&server).await;
    let mut polls = Vec::new();
    for q in 0..POLLS {
        let status = server
            .status(
                &author,
                json!({"status": format!("Question {q}?"), "poll": {"options": ["a", "b", "c", "d"], "expires_in": 86_400}}),
            )
            .await;
        polls.push(status["poll"]["id"].as_str().expect("poll id").to_string());
    }
    let voters: Vec<User> = server.bulk_users("voter", VOTERS).await;
    // Each voter votes in every poll; polls interleave so all three move at once.
    let ballots: Arc<Vec<Ballot>> = Arc::new(
        voters
            .iter()
            .enumerate()
            .flat_map(|(i, v)| (0..POLLS).map(move |p| (v.token.clone(), p, (i + p) % OPTIONS)))
            .collect(),
    );

    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let backing_up = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let cursor = Arc::new(AtomicUsize::new(0));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let (http, url, polls, ballots, cursor, ledger, backing_up, stop) = (
            server.http.clone(),
            server.url.clone(),
            polls.clone(),
            ballots.clone(),
            cursor.clone(),
            ledger.clone(),
            backing_up.clone(),
            stop.clone(),
        );
        workers.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let Some((token, poll, choice)) = ballots.get(cursor.fetch_add(1, Ordering::SeqCst)).cloned() else {
                    return;
                };
                ledger.lock().expect("ledger").sent.insert((token.clone(), poll));
                let during = backing_up.load(Ordering::SeqCst);
                let started = Instant::now();
                let resp = http
                    .post(format!("{url}/api/v1/polls/{}/votes", polls[poll]))
                    .bearer_auth(&token)
                    .json(&json!({"choices": [choice]}))
                    .send()
                    .await
                    .expect("vote");
                let status = resp.status();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                let mut l = ledger.lock().expect("ledger");
                if status.is_success() {
                    l.acknowledged.insert((token, poll));
                    if during && backing_up.load(Ordering::SeqCst) {
                        l.acknowledged_during_backup += 1;
                        l.slowest_during_backup = l.slowest_during_backup.max(started.elapsed());
                    }
                } else {
                    l.problems.push(format!("vote answered {status}: {body}"));
                }
            }
        });
    }

    // The backup starts once the stream is well under way.
    let deadline = Instant::now() + Duration::from_secs(60);
    while ledger.lock().expect("ledger").acknowledged.len() < 150 {
        assert!(Instant::now() < deadline, "votes are not being acknowledged");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let backups = tempfile::tempdir().expect("temp dir");
    let file = backups.path().join("parley-backup.sqlite3");
    let acknowledged_before: HashSet<(String, usize)> = ledger.lock().expect("ledger").acknowledged.clone();
    backing_up.store(true, Ordering::SeqCst);
    let (data, arg) = (server.data_dir(), file.to_str().expect("utf-8 path").to_string());
    let out = tokio::task::spawn_blocking(move || cli(&["admin", "backup", &arg], &data)).await.expect("backup");
    backing_up.store(false, Ordering::SeqCst);
    let sent_by_end: HashSet<(String, usize)> = ledger.lock().expect("ledger").sent.clone();
    assert!(out.status.success(), "parley admin backup failed:\n{}", output_text(&out));
    assert!(output_text(&out).contains("integrity ok"), "{}", output_text(&out));

    // Votes keep coming for a moment after the backup, then stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    while let Some(w) = workers.join_next().await {
        w.expect("worker");
    }
    {
        let l = ledger.lock().expect("ledger");
        assert!(l.problems.is_empty(), "{}", l.problems.join("\n"));
        eprintln!(
            "{} ballots acknowledged before the backup, {} while it ran (slowest answer {:?}), {} in all",
            acknowledged_before.len(),
            l.acknowledged_during_backup,
            l.slowest_during_backup,
            l.acknowledged.len()
        );
        // The writer was not held up: ballots were committed while the copy was made.
        assert!(l.acknowledged_during_backup > 0, "no vote was acknowledged while the backup ran");
    }

    // Never over an existing file: refused, with a clear message, and the file is untouched.
    let before = std::fs::read(&file).expect("read the backup");
    let again = cli(&["admin", "backup", file.to_str().expect("utf-8")], &server.data_dir());
    assert!(!again.status.success());
    assert!(output_text(&again).contains("already exists"), "{}", output_text(&again));
    assert_eq!(std::fs::read(&file).expect("read the backup"), before);

    // Restore: the copy alone, as the database of an empty data directory.
    let restored = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&file, restored.path().join("parley.sqlite3")).expect("restore");
    let rows = vote_rows(&restored.path().join("parley.sqlite3"));
    let stored: HashSet<(String, usize)> = {
        let tokens: HashMap<i64, &str> = voters.iter().map(|v| (v.id.parse().expect("id"), v.token.as_str())).collect();
        let poll_index: HashMap<i64, usize> =
            polls.iter().enumerate().map(|(i, p)| (p.parse().expect("poll id"), i)).collect();
        rows.ballots.iter().map(|(poll, account)| (tokens[account].to_string(), poll_index[poll])).collect()
    };
    let lost: Vec<_> = acknowledged_before.difference(&stored).collect();
    assert!(lost.is_empty(), "{} ballots acknowledged before the backup are missing from it", lost.len());
    let unsent: Vec<_> = stored.difference(&sent_by_end).collect();
    assert!(unsent.is_empty(), "{} ballots in the backup were not yet sent when it ended", unsent.len());

    let verify = cli(&["admin", "polls", "verify"], restored.path());
    assert!(verify.status.success(), "parley admin polls verify on the restored copy:\n{}", output_text(&verify));

    let running = parley::server::spawn(Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: restored.path().to_path_buf(),
        ..Config::default()
    })
    .await
    .expect("a server starts on the restored copy");
    let url = format!("http://{}", running.addr);
    let http = reqwest::Client::new();
    for (i, poll) in polls.iter().enumerate() {
        let id: i64 = poll.parse().expect("poll id");
        let served: Value = http
            .get(format!("{url}/api/v1/polls/{poll}"))
            .bearer_auth(&author.token)
            .send()
            .await
            .expect("get poll")
            .json()
            .await
            .expect("json");
        let counts: Vec<i64> = served["options"]
            .as_array()
            .expect("options")
            .iter()
            .map(|o| o["votes_count"].as_i64().expect("count"))
            .collect();
        let expected = rows.per_option.get(&id).cloned().unwrap_or(vec![0; OPTIONS]);
        assert_eq!(counts, expected, "poll {i}: served tallies differ from the vote rows: {served}");
        let total: i64 = expected.iter().sum();
        assert_eq!(served["votes_count"], json!(total), "{served}");
        assert_eq!(served["voters_count"], json!(total), "{served}");
    }
    let report: Value = http
        .get(format!("{url}/api/v1/parley/admin/derived_state"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("derived state")
        .json()
        .await
        .expect("json");
    assert_eq!(report, json!({"in_step": true, "differences": []}));
    // The restored server takes writes.
    let posted = http
        .post(format!("{url}/api/v1/statuses"))
        .bearer_auth(&author.token)
        .json(&json!({"status": "back from the backup"}))
        .send()
        .await
        .expect("post");
    assert!(posted.status().is_success(), "{}", posted.status());
    assert_eq!(running.store.integrity_check().await.expect("integrity check"), "ok");
    running.stop().await;
}

struct VoteRows {
    /// (poll, account) of every ballot row.
    ballots: Vec<(i64, i64)>,
    per_option: HashMap<i64, Vec<i64>>,
}

/// Reads the copy as a plain SQLite file, before any server opens it.
fn vote_rows(path: &Path) -> VoteRows {
    let db = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).expect("open");
    let ok: String = db.query_row("PRAGMA integrity_check", [], |r| r.get(0)).expect("integrity check");
    assert_eq!(ok, "ok");
    let mode: String = db.query_row("PRAGMA journal_mode", [], |r| r.get(0)).expect("journal mode");
    assert_eq!(mode, "delete", "a backup is one self-contained file");
    let mut stmt = db.prepare("SELECT poll_id, account_id, choice FROM poll_votes").expect("prepare");
    let rows: Vec<(i64, i64, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let mut per_option: HashMap<i64, Vec<i64>> = HashMap::new();
    for (poll, _, choice) in &rows {
        per_option.entry(*poll).or_insert_with(|| vec![0; OPTIONS])[*choice as usize] += 1;
    }
    VoteRows { ballots: rows.iter().map(|(p, a, _)| (*p, *a)).collect(), per_option }
}
