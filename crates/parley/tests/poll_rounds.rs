//! Poll history is append-only. The edit attack of issue 19: the author
//! reorders the options (voiding the votes) and then rewrites the question.
//! Before, a snapshot of a moment before the edit came back with the new
//! question and no votes, validly signed, and the audit passed. Now the
//! edit starts a new round: the earlier snapshot is byte-identical before
//! and after, the old round's ballots stay in the vote log, the audit passes,
//! and the new round starts at 0.

#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User};
use reqwest::Method;
use serde_json::{Value, json};

async fn snapshot(s: &TestServer, poll: &str, at: Option<&str>) -> Value {
    let query = at.map(|a| format!("?at={}", a.replace('+', "%2B"))).unwrap_or_default();
    s.get(&format!("/api/v1/parley/polls/{poll}/snapshot{query}"), None).await.ok()
}

async fn edit(s: &TestServer, author: &User, status: &str, body: Value) -> Value {
    s.call(Method::PUT, &format!("/api/v1/statuses/{status}"), Some(&author.token), body).await.ok()
}

async fn pause() {
    // Snapshot times are milliseconds: keep each step in a moment of its own.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
}

#[tokio::test]
async fn the_edit_attack_leaves_earlier_snapshots_as_they_were() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let voters = s.bulk_users("r", 5).await;
    let created = s
        .status(
            &author,
            json!({"status": "Which consulate would you close?",
                   "poll": {"options": ["Vladivostok", "Yekaterinburg", "St. Petersburg"], "expires_in": 3600}}),
        )
        .await;
    let status = created["id"].as_str().expect("status id").to_string();
    let poll = created["poll"]["id"].as_str().expect("poll id").to_string();
    for (i, v) in voters.iter().enumerate() {
        s.post(&format!("/api/v1/polls/{poll}/votes"), Some(&v.token), json!({"choices": [i % 3]})).await.ok();
    }
    pause().await;
    let before = snapshot(&s, &poll, None).await;
    let at = before["snapshot"]["as_of"].as_str().expect("as_of").to_string();
    assert_eq!(before["snapshot"]["votes_count"], 5);
    assert_eq!(before["snapshot"]["round"], 0);
    pause().await;

    // The attack: reorder the options (a new round), then reword the question.
    let reordered = edit(
        &s,
        &author,
        &status,
        json!({"status": "Which consulate would you close?",
               "poll": {"options": ["St. Petersburg", "Yekaterinburg", "Vladivostok"], "expires_in": 7200}}),
    )
    .await;
    assert_eq!(reordered["poll"]["votes_count"], 0, "the new round starts at 0");
    assert_eq!(reordered["poll"]["voters_count"], 0);
    pause().await;
    edit(
        &s,
        &author,
        &status,
        json!({"status": "Which consulate should stay open?",
               "poll": {"options": ["St. Petersburg", "Yekaterinburg", "Vladivostok"], "expires_in": 7200}}),
    )
    .await;
    pause().await;

    let after = snapshot(&s, &poll, Some(&at)).await;
    assert_eq!(
        serde_json::to_string(&after).expect("JSON"),
        serde_json::to_string(&before).expect("JSON"),
        "the snapshot of a moment before the edit is byte-identical"
    );
    assert_eq!(after["snapshot"]["question"], "Which consulate would you close?");
    assert_eq!(after["snapshot"]["options"][0], json!({"title": "Vladivostok", "votes_count": 2}));

    // The new round: the earlier voters may vote again, and only it is counted.
    s.post(&format!("/api/v1/polls/{poll}/votes"), Some(&voters[0].token), json!({"choices": [0]})).await.ok();
    let mine = s.get(&format!("/api/v1/polls/{poll}"), Some(&voters[1].token)).await.ok();
    assert_eq!(mine["voted"], false);
    assert_eq!(mine["votes_count"], 1);
    let now = snapshot(&s, &poll, None).await;
    assert_eq!(now["snapshot"]["round"], 1);
    assert_eq!(now["snapshot"]["question"], "Which consulate should stay open?");
    assert_eq!(now["snapshot"]["options"][0], json!({"title": "St. Petersburg", "votes_count": 1}));
    assert_eq!(now["snapshot"]["votes_count"], 1);
    // The vote log goes on across rounds: the old round's ballots are still in it.
    assert_eq!(now["snapshot"]["chain"]["length"], 6);
    // A moment between the two edits: the new options, the old question, no votes yet.
    assert_eq!(parley_app::snapshots::verify_snapshot(&now, None), Ok(()));

    let audits = s.running.services.polls.audit().await.expect("audit");
    assert!(audits.iter().all(|a| a.problems.is_empty()), "{audits:?}");
    let (ok, out) = common::verify_polls_cli(&s);
    assert!(ok, "parley admin polls verify:\n{out}");
    s.assert_in_step().await;
}

/// An edit that keeps the options and `multiple` keeps the round and its
/// votes (and the end: no silent extensions), and earlier snapshots.
#[tokio::test]
async fn adjusting_the_end_keeps_the_round_and_earlier_snapshots() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let voter = s.user("voter").await;
    let created = s.status(&author, json!({"status": "Q?", "poll": {"options": ["a", "b"], "expires_in": 3600}})).await;
    let status = created["id"].as_str().expect("status id").to_string();
    let poll = created["poll"]["id"].as_str().expect("poll id").to_string();
    s.post(&format!("/api/v1/polls/{poll}/votes"), Some(&voter.token), json!({"choices": [1]})).await.ok();
    pause().await;
    let before = snapshot(&s, &poll, None).await;
    let at = before["snapshot"]["as_of"].as_str().expect("as_of").to_string();
    pause().await;
    let adjusted =
        edit(&s, &author, &status, json!({"status": "Q?", "poll": {"options": ["a", "b"], "expires_in": 86400}})).await;
    assert_eq!(adjusted["poll"]["votes_count"], 1);
    assert_eq!(adjusted["poll"]["expires_at"], created["poll"]["expires_at"]);
    pause().await;
    assert_eq!(snapshot(&s, &poll, Some(&at)).await, before);
    let now = snapshot(&s, &poll, None).await;
    assert_eq!(now["snapshot"]["round"], 0);
    assert_eq!(now["snapshot"]["votes_count"], 1);
    assert_eq!(now["snapshot"]["expires_at"], before["snapshot"]["expires_at"]);
    let (ok, out) = common::verify_polls_cli(&s);
    assert!(ok, "parley admin polls verify:\n{out}");
    s.assert_in_step().await;
}
