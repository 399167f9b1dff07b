//! Polls over HTTP: Mastodon's poll API, hidden totals, expiry
//! notifications, edits, and Parley's history, snapshots and signals.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, User};
use reqwest::Method;
use serde_json::{Value, json};

async fn poll_status(s: &TestServer, author: &User, poll: Value) -> (String, String) {
    let status = s.status(author, json!({"status": "What US Consulate General would you close?", "poll": poll})).await;
    (status["id"].as_str().expect("id").into(), status["poll"]["id"].as_str().expect("poll id").into())
}

fn counts(poll: &Value) -> Vec<Value> {
    poll["options"].as_array().expect("options").iter().map(|o| o["votes_count"].clone()).collect()
}

async fn vote(s: &TestServer, user: &User, poll: &str, body: Value) -> common::Reply {
    s.post(&format!("/api/v1/polls/{poll}/votes"), Some(&user.token), body).await
}

/// Starts a server whose polls may last as little as one second.
async fn quick_polls() -> TestServer {
    TestServer::start_with(|c| {
        c.polls.min_expiration = 1;
        c.polls.max_options = 6;
    })
    .await
}

#[tokio::test]
async fn creating_polls_as_json_and_form_with_mastodons_rules() {
    let s = TestServer::start().await;
    let embassy = s.user("embassy").await;
    let status = s
        .status(&embassy, json!({"status": "Which?", "poll": {"options": ["Vladivostok", "Yekaterinburg", "St. Petersburg"], "expires_in": "86400", "multiple": "0", "hide_totals": false}}))
        .await;
    let poll = &status["poll"];
    assert_eq!(poll["options"][2]["title"], "St. Petersburg");
    assert_eq!(counts(poll), vec![json!(0), json!(0), json!(0)]);
    assert_eq!(poll["multiple"], false);
    assert_eq!(poll["expired"], false);
    assert_eq!(poll["votes_count"], 0);
    assert_eq!(poll["voters_count"], 0);
    assert_eq!(poll["voted"], true, "the author counts as having voted, as in Mastodon");
    assert_eq!(poll["own_votes"], json!([]));
    assert_eq!(poll["emojis"], json!([]));

    let form = s
        .form(
            Method::POST,
            "/api/v1/statuses",
            Some(&embassy.token),
            &[
                ("status", "Form poll"),
                ("poll[options][]", "yes"),
                ("poll[options][]", "no"),
                ("poll[expires_in]", "600"),
                ("poll[multiple]", "true"),
            ],
        )
        .await
        .ok();
    assert_eq!(form["poll"]["multiple"], true);
    assert_eq!(form["poll"]["options"].as_array().map(Vec::len), Some(2));

    let refuse = |poll: Value, message: &'static str| {
        let s = &s;
        let token = embassy.token.clone();
        async move {
            let r = s.post("/api/v1/statuses", Some(&token), json!({"status": "x", "poll": poll})).await.expect(422);
            assert_eq!(r["error"], message);
        }
    };
    refuse(
        json!({"options": ["only"], "expires_in": 600}),
        "Validation failed: Poll options must have more than one item",
    )
    .await;
    refuse(
        json!({"options": ["a", "b", "c", "d", "e"], "expires_in": 600}),
        "Validation failed: Poll options can't contain more than 4 items",
    )
    .await;
    refuse(
        json!({"options": ["a", "a"], "expires_in": 600}),
        "Validation failed: Poll options contain duplicate items",
    )
    .await;
    refuse(
        json!({"options": ["a", "x".repeat(51)], "expires_in": 600}),
        "Validation failed: Poll options cannot be longer than 50 characters each",
    )
    .await;
    refuse(json!({"options": ["a", "b"], "expires_in": 299}), "Validation failed: Poll expires at is too soon").await;
    refuse(
        json!({"options": ["a", "b"], "expires_in": 2_629_747}),
        "Validation failed: Poll expires at is too far into the future",
    )
    .await;
    refuse(json!({"options": ["a", "b"]}), "Validation failed: Poll expires at can't be blank").await;
    // Nothing was created by the refusals.
    let mine = s.get(&format!("/api/v1/accounts/{}/statuses", embassy.id), None).await.ok();
    assert_eq!(mine.as_array().map(Vec::len), Some(2));
    s.assert_in_step().await;
}

#[tokio::test]
async fn limits_are_configurable_and_published() {
    let s = quick_polls().await;
    let config = s.get("/api/v2/instance", None).await.ok()["configuration"]["polls"].clone();
    assert_eq!(
        config,
        json!({"max_options": 6, "max_characters_per_option": 50, "min_expiration": 1, "max_expiration": 2629746})
    );
    let v1 = s.get("/api/v1/instance", None).await.ok();
    assert_eq!(v1["configuration"]["polls"]["max_options"], 6);
    let author = s.user("author").await;
    let six: Vec<String> = (1..=6).map(|i| format!("option {i}")).collect();
    let (_, poll) = poll_status(&s, &author, json!({"options": six, "expires_in": 1})).await;
    assert!(!poll.is_empty());
}

#[tokio::test]
async fn voting_is_exact_and_refusals_change_nothing() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let (_, poll) = poll_status(&s, &author, json!({"options": ["a", "b", "c"], "expires_in": 3600})).await;

    let voted = vote(&s, &alice, &poll, json!({"choices": ["2"]})).await.ok();
    assert_eq!(counts(&voted), vec![json!(0), json!(0), json!(1)]);
    assert_eq!(voted["voted"], true);
    assert_eq!(voted["own_votes"], json!([2]));
    let form = s
        .form(Method::POST, &format!("/api/v1/polls/{poll}/votes"), Some(&bob.token), &[("choices[]", "0")])
        .await
        .ok();
    assert_eq!(form["votes_count"], 2);
    assert_eq!(form["voters_count"], 2);

    let before = s.get(&format!("/api/v1/polls/{poll}"), None).await.ok();
    let refusals = [
        (&alice, json!({"choices": [1]}), "Validation failed: You have already voted on this poll"),
        (&author, json!({"choices": [0]}), "Validation failed: You cannot vote in your own polls"),
    ];
    for (user, body, message) in refusals {
        assert_eq!(vote(&s, user, &poll, body).await.expect(422)["error"], message);
    }
    let carol = s.user("carol").await;
    for body in [
        json!({"choices": [3]}),
        json!({"choices": [-1]}),
        json!({"choices": ["x"]}),
        json!({"choices": [1.5]}),
        json!({"choices": []}),
        json!({}),
        json!({"choices": [0, 1]}),
    ] {
        let r = vote(&s, &carol, &poll, body.clone()).await;
        assert_eq!(r.status.as_u16(), 422, "{body} → {}", r.body);
        assert!(r.body["error"].is_string());
    }
    let after = s.get(&format!("/api/v1/polls/{poll}"), None).await.ok();
    assert_eq!(counts(&after), counts(&before));
    assert_eq!(after["voters_count"], before["voters_count"]);
    // The anonymous view has no `voted`; carol's shows she has not voted.
    assert!(after.get("voted").is_none());
    let carols = s.get(&format!("/api/v1/polls/{poll}"), Some(&carol.token)).await.ok();
    assert_eq!(carols["voted"], false);
    assert_eq!(carols["own_votes"], json!([]));
    // Unknown polls are 404.
    vote(&s, &carol, "12345", json!({"choices": [0]})).await.expect(404);
    s.get("/api/v1/polls/nope", None).await.expect(404);
    s.assert_in_step().await;
}

#[tokio::test]
async fn a_poll_is_as_visible_as_its_status() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let follower = s.user("follower").await;
    let stranger = s.user("stranger").await;
    s.follow(&follower, &author).await;
    let status = s
        .status(&author, json!({"status": "followers only", "visibility": "private", "poll": {"options": ["a", "b"], "expires_in": 600}}))
        .await;
    let poll = status["poll"]["id"].as_str().expect("poll").to_string();
    s.get(&format!("/api/v1/polls/{poll}"), None).await.expect(404);
    s.get(&format!("/api/v1/polls/{poll}"), Some(&stranger.token)).await.expect(404);
    vote(&s, &stranger, &poll, json!({"choices": [0]})).await.expect(404);
    vote(&s, &follower, &poll, json!({"choices": [0]})).await.ok();
    s.get(&format!("/api/v1/parley/polls/{poll}/history"), None).await.expect(404);
    s.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), Some(&stranger.token)).await.expect(404);

    // A public poll is hidden only from those its author blocks, and they cannot vote in it.
    let (_, open) = poll_status(&s, &author, json!({"options": ["a", "b"], "expires_in": 600})).await;
    s.post(&format!("/api/v1/accounts/{}/block", stranger.id), Some(&author.token), Value::Null).await.ok();
    s.get(&format!("/api/v1/polls/{open}"), Some(&stranger.token)).await.expect(404);
    vote(&s, &stranger, &open, json!({"choices": [0]})).await.expect(404);
    s.get(&format!("/api/v1/polls/{open}"), None).await.ok();
    let counted = vote(&s, &follower, &open, json!({"choices": [1]})).await.ok();
    assert_eq!(counted["voters_count"], 1, "only the visible voter counted");
    s.post(&format!("/api/v1/accounts/{}/unblock", stranger.id), Some(&author.token), Value::Null).await.ok();
    s.get(&format!("/api/v1/polls/{open}"), Some(&stranger.token)).await.ok();

    // A suspended author's polls are gone for everyone, signed in or not.
    let services = &s.running.services;
    let update = parley_app::AdminUpdate { suspended: Some(true), ..Default::default() };
    let account = services.accounts.find_by_username(&author.username).await.expect("author");
    services.accounts.admin_update(account.id, update).await.expect("suspend");
    s.get(&format!("/api/v1/polls/{open}"), None).await.expect(404);
    s.get(&format!("/api/v1/polls/{open}"), Some(&follower.token)).await.expect(404);
    let latecomer = s.user("latecomer").await;
    vote(&s, &latecomer, &open, json!({"choices": [0]})).await.expect(404);
    s.assert_in_step().await;
}

#[tokio::test]
async fn hidden_totals_stay_hidden_for_everyone_until_the_end() {
    let s = quick_polls().await;
    let author = s.user("author").await;
    let voter = s.user("voter").await;
    let (_, poll) =
        poll_status(&s, &author, json!({"options": ["a", "b"], "expires_in": 2, "hide_totals": true})).await;
    let voted = vote(&s, &voter, &poll, json!({"choices": [1]})).await.ok();
    assert_eq!(counts(&voted), vec![Value::Null, Value::Null]);
    assert_eq!(voted["own_votes"], json!([1]));
    for token in [None, Some(author.token.as_str()), Some(voter.token.as_str())] {
        let p = s.get(&format!("/api/v1/polls/{poll}"), token).await.ok();
        assert_eq!(counts(&p), vec![Value::Null, Value::Null], "hidden for {token:?}");
    }
    s.get(&format!("/api/v1/parley/polls/{poll}/history"), None).await.expect(403);
    s.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), None).await.expect(403);
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let ended = s.get(&format!("/api/v1/polls/{poll}"), Some(&author.token)).await.ok();
    assert_eq!(ended["expired"], true);
    assert_eq!(counts(&ended), vec![json!(0), json!(1)]);
    // Too late to vote.
    let late = s.user("late").await;
    assert_eq!(
        vote(&s, &late, &poll, json!({"choices": [0]})).await.expect(422)["error"],
        "Validation failed: The poll has already ended"
    );
}

#[tokio::test]
async fn the_end_is_announced_to_author_and_voters_exactly_once_even_after_downtime() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_path_buf();
    let (author, voters, status_id) = {
        let d = data.clone();
        let s = TestServer::start_with(move |c| {
            c.polls.min_expiration = 1;
            c.data_dir = d;
        })
        .await;
        let author = s.user("author").await;
        let voters = vec![s.user("v").await, s.user("v").await];
        let (status_id, poll) = poll_status(&s, &author, json!({"options": ["a", "b"], "expires_in": 2})).await;
        for v in &voters {
            vote(&s, v, &poll, json!({"choices": [0]})).await.ok();
        }
        // The server goes down before the poll ends.
        s.running.stop().await;
        (author, voters, status_id)
    };
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let d = data.clone();
    let s = TestServer::start_with(move |c| {
        c.polls.min_expiration = 1;
        c.data_dir = d;
    })
    .await;
    // The closer catches up at start.
    let mut found = Vec::new();
    for _ in 0..50 {
        found = s
            .get("/api/v1/notifications?types[]=poll", Some(&author.token))
            .await
            .ok()
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !found.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found.len(), 1, "the author is told once");
    assert_eq!(found[0]["status"]["id"], status_id);
    assert_eq!(found[0]["account"]["id"], author.id);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for v in voters.iter().chain(std::iter::once(&author)) {
        let notes = s.get("/api/v1/notifications?types[]=poll", Some(&v.token)).await.ok();
        assert_eq!(notes.as_array().map(Vec::len), Some(1), "{} is told exactly once", v.username);
    }
    drop(dir);
}

#[tokio::test]
async fn editing_options_resets_votes_and_text_edits_wait_for_no_votes() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let voter = s.user("voter").await;
    let (status, poll) = poll_status(&s, &author, json!({"options": ["a", "b"], "expires_in": 3600})).await;
    // With no votes the text may change.
    s.call(
        Method::PUT,
        &format!("/api/v1/statuses/{status}"),
        Some(&author.token),
        json!({"status": "Reworded question", "poll": {"options": ["a", "b"], "expires_in": 3600}}),
    )
    .await
    .ok();
    vote(&s, &voter, &poll, json!({"choices": [1]})).await.ok();
    // Once there are votes, changing the question is refused and nothing changes.
    let refused = s
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{status}"),
            Some(&author.token),
            json!({"status": "Do you like puppies?"}),
        )
        .await
        .expect(422);
    assert!(refused["error"].as_str().expect("error").starts_with("Validation failed"));
    let now = s.get(&format!("/api/v1/statuses/{status}"), None).await.ok();
    assert_eq!(now["content"], "<p>Reworded question</p>");
    assert_eq!(now["poll"]["votes_count"], 1);
    // The same options (e.g. toggling hide_totals) keep the votes.
    let kept = s
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{status}"),
            Some(&author.token),
            json!({"status": "Reworded question", "poll": {"options": ["a", "b"], "expires_in": 3600}}),
        )
        .await
        .ok();
    assert_eq!(kept["poll"]["votes_count"], 1);
    // New options void the votes, and the voter is told.
    let reset = s
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{status}"),
            Some(&author.token),
            json!({"status": "Reworded question", "poll": {"options": ["a", "b", "c"], "expires_in": 3600}}),
        )
        .await
        .ok();
    assert_eq!(reset["poll"]["votes_count"], 0);
    assert_eq!(reset["poll"]["voters_count"], 0);
    assert_eq!(counts(&reset["poll"]), vec![json!(0), json!(0), json!(0)]);
    let mine = s.get(&format!("/api/v1/polls/{poll}"), Some(&voter.token)).await.ok();
    assert_eq!(mine["voted"], false);
    let told = s.get("/api/v1/notifications?types[]=update", Some(&voter.token)).await.ok();
    assert_eq!(told.as_array().map(Vec::len), Some(1));
    // The voter may vote again on the new question.
    vote(&s, &voter, &poll, json!({"choices": [2]})).await.ok();
    assert!(s.running.services.polls.audit().await.expect("audit").iter().all(|a| a.problems.is_empty()));
    s.assert_in_step().await;
}

#[tokio::test]
async fn history_snapshots_and_signals() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let (_, poll) = poll_status(
        &s,
        &author,
        json!({"options": ["Vladivostok", "Yekaterinburg", "St. Petersburg"], "expires_in": 3600}),
    )
    .await;
    let voters = s.bulk_users("h", 12).await;
    for (i, v) in voters.iter().enumerate() {
        let choice = [2, 1, 2, 0][i % 4];
        vote(&s, v, &poll, json!({"choices": [choice]})).await.ok();
    }
    let history = s.get(&format!("/api/v1/parley/polls/{poll}/history?interval=3600"), None).await.ok();
    let buckets = history["buckets"].as_array().expect("buckets");
    assert_eq!(buckets.len(), 1);
    assert_eq!(buckets[0]["votes"], json!([3, 3, 6]));
    assert_eq!(buckets[0]["total_voters"], 12);
    assert_eq!(history["options"], json!(["Vladivostok", "Yekaterinburg", "St. Petersburg"]));
    let csv = s
        .http
        .get(format!("{}/api/v1/parley/polls/{poll}/history?interval=3600&format=csv", s.url))
        .send()
        .await
        .expect("csv");
    assert!(csv.headers()["content-type"].to_str().expect("ct").starts_with("text/csv"));
    let text = csv.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "bucket_start,votes: Vladivostok,votes: Yekaterinburg,votes: St. Petersburg,voters,total: Vladivostok,total: Yekaterinburg,total: St. Petersburg,total_voters"
    );
    assert!(lines[1].ends_with(",3,3,6,12,3,3,6,12"), "{}", lines[1]);
    s.get(&format!("/api/v1/parley/polls/{poll}/history?interval=0"), None).await.expect(422);

    let snapshot = s.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), None).await.ok();
    assert_eq!(snapshot["snapshot"]["votes_count"], 12);
    assert_eq!(snapshot["snapshot"]["options"][2], json!({"title": "St. Petersburg", "votes_count": 6}));
    assert_eq!(snapshot["snapshot"]["chain"]["length"], 12);
    let key = s.get("/.well-known/parley/snapshot-key", None).await.ok();
    assert_eq!(key["public_key"], snapshot["signature"]["public_key"]);
    assert!(key["public_key_pem"].as_str().expect("pem").starts_with("-----BEGIN PUBLIC KEY-----"));
    let pinned = key["public_key"].as_str().expect("key");
    parley_app::snapshots::verify_snapshot(&snapshot, Some(pinned)).expect("verifies");
    let mut forged = snapshot.clone();
    forged["snapshot"]["options"][0]["votes_count"] = json!(9);
    assert!(parley_app::snapshots::verify_snapshot(&forged, Some(pinned)).is_err());
    // A snapshot before the first vote shows nothing yet; the same moment always gives the same document.
    let opened = snapshot["snapshot"]["opened_at"].as_str().expect("opened");
    let early = s.get(&format!("/api/v1/parley/polls/{poll}/snapshot?at={opened}"), None).await.ok();
    assert_eq!(early["snapshot"]["votes_count"], 0);
    let at = snapshot["snapshot"]["as_of"].as_str().expect("as_of");
    let again = s.get(&format!("/api/v1/parley/polls/{poll}/snapshot?at={at}"), None).await.ok();
    assert_eq!(again, snapshot, "a snapshot is a permalink: same moment, same signed document");
    s.get(&format!("/api/v1/parley/polls/{poll}/snapshot?at=yesterday"), None).await.expect(422);
    s.get(&format!("/api/v1/parley/polls/{poll}/snapshot?at=2999-01-01T00:00:00Z"), None).await.expect(422);

    // The offline verifier agrees.
    let file = tempfile::NamedTempFile::new().expect("file");
    std::fs::write(file.path(), snapshot.to_string()).expect("write");
    let ok = std::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("verify-snapshot")
        .arg(file.path())
        .output()
        .expect("run");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stdout));
    std::fs::write(file.path(), forged.to_string()).expect("write");
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("verify-snapshot")
        .arg(file.path())
        .output()
        .expect("run");
    assert_eq!(bad.status.code(), Some(1));

    let signals = s.get(&format!("/api/v1/parley/polls/{poll}/signals"), None).await.ok();
    assert_eq!(signals["ballots"], 12);
    assert_eq!(
        signals["ballots_from_accounts_created_after_opening"], 12,
        "the bulk voters were made after the poll opened"
    );
    assert_eq!(signals["share_from_accounts_created_after_opening"], 1.0);
    let per_minute: i64 = signals["ballots_per_minute"]
        .as_array()
        .expect("minutes")
        .iter()
        .map(|m| m["ballots"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(per_minute, 12);
    assert!(signals.to_string().find(&voters[0].username).is_none(), "signals never name voters");
    s.assert_in_step().await;
}

#[tokio::test]
async fn polls_appear_in_timelines_and_deleting_the_status_removes_them() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let voter = s.user("voter").await;
    let (status, poll) =
        poll_status(&s, &author, json!({"options": ["a", "b"], "expires_in": 600, "multiple": true})).await;
    let voted = vote(&s, &voter, &poll, json!({"choices": [0, 1, 1]})).await.ok();
    assert_eq!(voted["own_votes"], json!([0, 1]));
    assert_eq!(voted["votes_count"], 2);
    assert_eq!(voted["voters_count"], 1);
    let public = s.get("/api/v1/timelines/public", Some(&voter.token)).await.ok();
    assert_eq!(public[0]["poll"]["own_votes"], json!([0, 1]));
    assert!(public[0]["poll"]["as_of"].is_string());
    s.call(Method::DELETE, &format!("/api/v1/statuses/{status}"), Some(&author.token), Value::Null).await.ok();
    s.get(&format!("/api/v1/polls/{poll}"), None).await.expect(404);
    s.assert_in_step().await;
}
