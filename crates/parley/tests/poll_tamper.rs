//! The vote log is tamper-evident: edits made behind the server's back, in
//! raw SQL, are found by the recount (`PollService::audit`, and
//! `parley admin polls verify`), and a signed snapshot taken before the edit
//! no longer agrees with the same snapshot taken after it.
//!
//! Each case gets a fresh server with two polls of a few dozen ballots: the
//! target, which is tampered with, and a control, which must stay clean.

// Test helpers outside `#[test]` functions are not covered by clippy's
// `allow-expect-in-tests`; here a failed expectation is a failed test.
#![allow(clippy::expect_used)]

mod common;

use chrono::DateTime;
use common::{TestServer, User};
use parley_core::PollId;
use parley_core::poll::{chain_genesis, chain_next};
use serde_json::{Value, json};

const BALLOTS: usize = 30;
/// The ballot (by chain position) that the cases alter or remove: mid-log,
/// so later links depend on it.
const K: i64 = 10;

struct Fixture {
    s: TestServer,
    target: i64,
    control: i64,
    /// An account that did not vote, for forgeries.
    outsider: User,
}

async fn poll_with_ballots(s: &TestServer, author: &User, voters: &[User]) -> i64 {
    let status = s
        .status(author, json!({"status": "Which consulate?", "poll": {"options": ["a", "b", "c"], "expires_in": 3600}}))
        .await;
    let poll = status["poll"]["id"].as_str().expect("poll id").to_string();
    for (i, v) in voters.iter().enumerate() {
        s.post(&format!("/api/v1/polls/{poll}/votes"), Some(&v.token), json!({"choices": [i % 3]})).await.ok();
    }
    poll.parse().expect("numeric poll id")
}

async fn fixture() -> Fixture {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let mut voters = s.bulk_users("t", 2 * BALLOTS + 1).await;
    let outsider = voters.pop().expect("outsider");
    let target = poll_with_ballots(&s, &author, &voters[..BALLOTS]).await;
    let control = poll_with_ballots(&s, &author, &voters[BALLOTS..]).await;
    Fixture { s, target, control, outsider }
}

/// What the recount says about one poll.
async fn problems(s: &TestServer, poll: i64) -> Vec<String> {
    let audits = s.running.services.polls.audit().await.expect("audit");
    audits.into_iter().find(|a| a.poll_id == PollId(poll)).expect("poll audited").problems
}

async fn snapshot(s: &TestServer, poll: i64, at: Option<&str>) -> Value {
    let query = at.map(|a| format!("?at={}", a.replace('+', "%2B"))).unwrap_or_default();
    s.get(&format!("/api/v1/parley/polls/{poll}/snapshot{query}"), None).await.ok()
}

/// The figures of a snapshot that a recount could contradict.
fn figures(doc: &Value) -> Value {
    let s = &doc["snapshot"];
    json!({"options": s["options"], "votes_count": s["votes_count"], "voters_count": s["voters_count"], "chain": s["chain"]})
}

/// What a case's edit is allowed to leave unchanged.
#[derive(PartialEq)]
enum Evidence {
    /// The vote rows changed: the snapshot's recount changes too.
    Rows,
    /// Only a stored counter changed: snapshots recount the rows, so only the audit sees it.
    CounterOnly,
}

/// Tampers with the target poll using the SQL `edit` makes (given the
/// fixture and the snapshot's time in ms), then checks every witness.
async fn tamper(name: &str, evidence: Evidence, edit: impl FnOnce(&Fixture, i64) -> String) {
    let f = fixture().await;
    let s = &f.s;
    assert_eq!(problems(s, f.target).await, Vec::<String>::new(), "{name}: untampered target");
    assert_eq!(problems(s, f.control).await, Vec::<String>::new(), "{name}: untampered control");
    let (ok, out) = common::verify_polls_cli(s);
    assert!(ok, "{name}: verify fails before tampering:\n{out}");

    let before = snapshot(s, f.target, None).await;
    let at = before["snapshot"]["as_of"].as_str().expect("as_of").to_string();
    let at_ms = DateTime::parse_from_rfc3339(&at).expect("RFC 3339").timestamp_millis();
    assert_eq!(before["snapshot"]["chain"]["length"], BALLOTS);
    // The same moment asked again gives the same figures: any later difference is the edit's.
    assert_eq!(figures(&snapshot(s, f.target, Some(&at)).await), figures(&before), "{name}: snapshots repeat");

    s.running.store.execute_admin_sql(edit(&f, at_ms)).await.expect("tampering SQL runs");

    let found = problems(s, f.target).await;
    assert!(!found.is_empty(), "{name}: the recount did not notice");
    assert_eq!(problems(s, f.control).await, Vec::<String>::new(), "{name}: the control poll is still clean");
    let (ok, out) = common::verify_polls_cli(s);
    assert!(!ok, "{name}: parley admin polls verify exited 0 after tampering:\n{out}");
    assert!(out.contains(&format!("poll {}:", f.target)), "{name}: the CLI names the tampered poll:\n{out}");
    assert!(!out.contains(&format!("poll {}:", f.control)), "{name}: the CLI blames the control poll:\n{out}");

    let after = snapshot(s, f.target, Some(&at)).await;
    match evidence {
        Evidence::Rows => assert_ne!(
            figures(&after),
            figures(&before),
            "{name}: the signed snapshot from before the edit still matches a recount after it"
        ),
        Evidence::CounterOnly => assert_eq!(figures(&after), figures(&before), "{name}: snapshots recount the rows"),
    }
    // The earlier signed statement stays valid evidence of what the log said then.
    assert_eq!(parley_app::snapshots::verify_snapshot(&before, None), Ok(()));
}

/// Moves a ballot from one option to another, keeping every tally consistent:
/// only the chain can tell.
#[tokio::test]
async fn an_altered_choice_is_found() {
    tamper("altered choice", Evidence::Rows, |f, _| {
        let p = f.target;
        format!(
            "UPDATE poll_options SET votes_count = votes_count - 1
               WHERE poll_id = {p} AND position = (SELECT choice FROM poll_votes WHERE poll_id = {p} AND seq = {K});
             UPDATE poll_votes SET choice = (choice + 1) % 3 WHERE poll_id = {p} AND seq = {K};
             UPDATE poll_options SET votes_count = votes_count + 1
               WHERE poll_id = {p} AND position = (SELECT choice FROM poll_votes WHERE poll_id = {p} AND seq = {K});"
        )
    })
    .await;
}

/// Removes a ballot: vote row, voter row and tallies, consistently.
#[tokio::test]
async fn a_deleted_ballot_is_found() {
    tamper("deleted ballot", Evidence::Rows, |f, _| {
        let p = f.target;
        format!(
            "UPDATE poll_options SET votes_count = votes_count - 1
               WHERE poll_id = {p} AND position = (SELECT choice FROM poll_votes WHERE poll_id = {p} AND seq = {K});
             DELETE FROM poll_voters
               WHERE poll_id = {p} AND account_id = (SELECT account_id FROM poll_votes WHERE poll_id = {p} AND seq = {K});
             DELETE FROM poll_votes WHERE poll_id = {p} AND seq = {K};
             UPDATE polls SET votes_count = votes_count - 1, voters_count = voters_count - 1 WHERE id = {p};"
        )
    })
    .await;
}

/// Adds a ballot from an account that never voted, with consistent tallies,
/// next sequence number and a well-formed SHA-256 that is not the chain's.
#[tokio::test]
async fn a_forged_ballot_is_found() {
    tamper("forged ballot", Evidence::Rows, |f, at| {
        let p = f.target;
        let seq = BALLOTS as i64 + 1;
        let hash = chain_next(&chain_genesis(p), seq, 1, at);
        forge_sql(p, &f.outsider.id, seq, at, &hash)
    })
    .await;
}

fn forge_sql(p: i64, account: &str, seq: i64, at: i64, hash: &str) -> String {
    format!(
        "INSERT INTO poll_voters (poll_id, round, account_id, created_at) VALUES ({p}, 0, {account}, {at});
         INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at, seq, hash)
           VALUES ((SELECT max(id) + 1 FROM poll_votes), {p}, {account}, 1, {at}, {seq}, '{hash}');
         UPDATE poll_options SET votes_count = votes_count + 1 WHERE poll_id = {p} AND position = 1;
         UPDATE polls SET votes_count = votes_count + 1, voters_count = voters_count + 1,
                          vote_seq = {seq}, chain_head = '{hash}' WHERE id = {p};"
    )
}

/// Moves a ballot later in time (vote row and voter row), past the snapshot.
#[tokio::test]
async fn a_changed_vote_time_is_found() {
    tamper("changed time", Evidence::Rows, |f, at| {
        let p = f.target;
        let later = at + 1_000;
        format!(
            "UPDATE poll_voters SET created_at = {later}
               WHERE poll_id = {p} AND account_id = (SELECT account_id FROM poll_votes WHERE poll_id = {p} AND seq = {K});
             UPDATE poll_votes SET created_at = {later} WHERE poll_id = {p} AND seq = {K};"
        )
    })
    .await;
}

/// A tally that drifted from its rows by one.
#[tokio::test]
async fn tally_drift_is_found() {
    tamper("drift", Evidence::CounterOnly, |f, _| {
        format!("UPDATE poll_options SET votes_count = votes_count + 1 WHERE poll_id = {} AND position = 0;", f.target)
    })
    .await;
}

/// A forger who knows the chain's public formula can append a ballot whose
/// link is right, and then the rows agree with themselves. What still catches
/// it is a snapshot signed before the forgery: the same moment now shows
/// another head, length and count.
#[tokio::test]
async fn a_correctly_chained_forgery_contradicts_an_earlier_snapshot() {
    let f = fixture().await;
    let s = &f.s;
    let before = snapshot(s, f.target, None).await;
    let at = before["snapshot"]["as_of"].as_str().expect("as_of").to_string();
    let at_ms = DateTime::parse_from_rfc3339(&at).expect("RFC 3339").timestamp_millis();
    let poll = s.running.services.ctx.store.find_poll(PollId(f.target)).await.expect("find").expect("poll");
    let seq = poll.vote_seq + 1;
    let hash = chain_next(&poll.chain_head, seq, 1, at_ms);
    s.running.store.execute_admin_sql(forge_sql(f.target, &f.outsider.id, seq, at_ms, &hash)).await.expect("forgery");

    let after = snapshot(s, f.target, Some(&at)).await;
    assert_ne!(after["snapshot"]["chain"]["head"], before["snapshot"]["chain"]["head"]);
    assert_eq!(after["snapshot"]["chain"]["length"], BALLOTS + 1);
    assert_eq!(after["snapshot"]["voters_count"], BALLOTS + 1);
    assert_eq!(parley_app::snapshots::verify_snapshot(&before, None), Ok(()));
    assert_eq!(problems(s, f.control).await, Vec::<String>::new());
}
