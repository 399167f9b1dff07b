//! Three Parley nodes on one PostgreSQL database serve one instance: a
//! ballot taken by any node counts once (the same ballot sent again to
//! another node is refused), every node serves the same tally and the same
//! `voted`, a status posted on one node is in home timelines read from the
//! others, and a suspension made through one node hides the account on the
//! others, each within a second (the change log, `LISTEN/NOTIFY`).
//!
//! Needs PostgreSQL (`PARLEY_TEST_POSTGRES_URL`, default the local server):
//! without it the test says it did not run, unless `PARLEY_REQUIRE_POSTGRES=1`.

// Test code: a failed setup step should stop the test with a message.
#![allow(clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{TestServer, User};
use parley_store::postgres::testing::TestDatabase;
use serde_json::{Value, json};

/// Polls `check` until it holds, for at most a second.
async fn within_a_second(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < Duration::from_secs(1), "{what}: not within a second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn home_ids(s: &TestServer, user: &User) -> Vec<String> {
    let home = s.get("/api/v1/timelines/home", Some(&user.token)).await.ok();
    home.as_array().expect("home").iter().map(|st| st["id"].as_str().expect("id").to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_on_one_database_serve_one_instance() {
    let Some(db) = TestDatabase::create("three_nodes_on_one_database_serve_one_instance").await.expect("database")
    else {
        return;
    };
    let url = db.url().to_string();
    let mut nodes = Vec::new();
    for _ in 0..3 {
        let url = url.clone();
        nodes.push(TestServer::start_with(move |c| c.database.url = Some(url)).await);
    }
    let author = nodes[0].user("embassy").await;
    let reader = nodes[1].user("reader").await;
    nodes[2].follow(&reader, &author).await;

    // Voters registered on every node; each votes on one node and sends the
    // same ballot to the next one.
    let status = nodes[0]
        .status(
            &author,
            json!({"status": "Which consulate?", "poll": {"options": ["a", "b", "c"], "expires_in": 3600}}),
        )
        .await;
    let poll = status["poll"]["id"].as_str().expect("poll id").to_string();
    let mut voters = Vec::new();
    for i in 0..30 {
        voters.push(nodes[i % 3].user("voter").await);
    }
    let path = format!("/api/v1/polls/{poll}/votes");
    let mut tasks = tokio::task::JoinSet::new();
    for (i, voter) in voters.iter().enumerate() {
        for node in [i % 3, (i + 1) % 3] {
            let (base, http, token) = (nodes[node].url.clone(), nodes[node].http.clone(), voter.token.clone());
            let path = path.clone();
            tasks.spawn(async move {
                let resp = http
                    .post(format!("{base}{path}"))
                    .bearer_auth(token)
                    .json(&json!({"choices": [i % 3]}))
                    .send()
                    .await
                    .expect("vote sent");
                resp.status().as_u16()
            });
        }
    }
    let mut answers = Vec::new();
    while let Some(code) = tasks.join_next().await {
        answers.push(code.expect("task"));
    }
    assert_eq!(answers.iter().filter(|c| **c == 200).count(), 30, "each voter counts once: {answers:?}");
    assert_eq!(answers.iter().filter(|c| **c == 422).count(), 30, "each second copy is refused: {answers:?}");

    // Every node serves the exact tally, and `voted` for every voter.
    for node in &nodes {
        let tally = node.get(&format!("/api/v1/polls/{poll}"), None).await.ok();
        assert_eq!(tally["voters_count"], json!(30));
        let counts: Vec<Value> =
            tally["options"].as_array().expect("options").iter().map(|o| o["votes_count"].clone()).collect();
        assert_eq!(counts, vec![json!(10), json!(10), json!(10)]);
        for voter in &voters {
            let seen = node.get(&format!("/api/v1/polls/{poll}"), Some(&voter.token)).await.ok();
            assert_eq!(seen["voted"], json!(true));
        }
    }

    // A status posted on node 0 is in the reader's home on nodes 1 and 2.
    let posted = nodes[0].post_text(&author, "posted on node 0", "public").await;
    for node in &nodes[1..] {
        within_a_second("a status posted on another node in the home timeline", async || {
            home_ids(node, &reader).await.contains(&posted)
        })
        .await;
    }

    // Suspended through node 2, the author is hidden on nodes 0 and 1.
    let services = &nodes[2].running.services;
    let account = services.accounts.find_by_username(&author.username).await.expect("account");
    services
        .accounts
        .admin_update(account.id, parley_app::AdminUpdate { suspended: Some(true), ..Default::default() })
        .await
        .expect("suspend");
    for node in &nodes[..2] {
        within_a_second("a suspension made on another node", async || {
            node.get(&format!("/api/v1/accounts/{}", author.id), None).await.status.as_u16() == 404
                && !home_ids(node, &reader).await.contains(&posted)
        })
        .await;
    }
    for node in &nodes {
        node.assert_in_step().await;
    }
}
