//! `parley demo` tells the seed story: the embassy's poll, at the "1 p.m."
//! mark, has more than 11,600 votes with St. Petersburg a 45 percent
//! plurality — and a snapshot at that mark verifies.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use common::TestServer;

#[tokio::test]
async fn the_demo_poll_reads_like_the_news_reports_at_the_mark() {
    let dir = tempfile::tempdir().expect("dir");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(["demo", "--no-serve", "--data-dir"])
        .arg(dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("demo runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let data = dir.path().to_path_buf();
    let s = TestServer::start_with(move |c| c.data_dir = data).await;
    let embassy = s.get("/api/v1/accounts/lookup?acct=RusEmbUSA", None).await.ok();
    assert_eq!(embassy["roles"][0]["name"], "Embassy of the Russian Federation in the USA");
    let statuses =
        s.get(&format!("/api/v1/accounts/{}/statuses", embassy["id"].as_str().expect("id")), None).await.ok();
    let status =
        statuses.as_array().expect("list").iter().find(|s| !s["poll"].is_null()).expect("the poll status").clone();
    assert!(
        status["content"].as_str().expect("content").contains("@<span>GK_Seattle</span>"),
        "mentions the consulate"
    );
    let poll = &status["poll"];
    let titles: Vec<&str> =
        poll["options"].as_array().expect("options").iter().map(|o| o["title"].as_str().unwrap_or("")).collect();
    assert_eq!(titles, ["Vladivostok", "Yekaterinburg", "St. Petersburg"]);
    let poll_id = poll["id"].as_str().expect("poll id");

    let mark = parley::demo::the_mark().to_rfc3339();
    let snapshot =
        s.get(&format!("/api/v1/parley/polls/{poll_id}/snapshot?at={}", mark.replace('+', "%2B")), None).await.ok();
    let votes = snapshot["snapshot"]["votes_count"].as_i64().expect("votes");
    assert!(votes > 11_600, "{votes} votes by the mark");
    let options: Vec<i64> = snapshot["snapshot"]["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["votes_count"].as_i64().unwrap_or(0))
        .collect();
    let st_petersburg = options[2] as f64 / votes as f64;
    assert!((st_petersburg - 0.45).abs() < 0.005, "St. Petersburg at {:.1}%", st_petersburg * 100.0);
    assert!(options[2] > options[1] && options[1] > options[0], "a plurality");
    parley_app::snapshots::verify_snapshot(&snapshot, None).expect("the snapshot verifies");

    // The history shows the rise to the mark.
    let history = s.get(&format!("/api/v1/parley/polls/{poll_id}/history?interval=1800"), None).await.ok();
    let totals: Vec<i64> = history["buckets"]
        .as_array()
        .expect("buckets")
        .iter()
        .map(|b| b["total_voters"].as_i64().unwrap_or(0))
        .collect();
    assert!(totals.windows(2).all(|w| w[0] <= w[1]), "running totals only grow");
    assert_eq!(
        s.running.services.polls.audit().await.expect("audit").iter().filter(|a| !a.problems.is_empty()).count(),
        0
    );

    // Every story account joined before its first post.
    for name in ["RusEmbUSA", "GK_Seattle", "StateDept", "PressSec", "MFA_Russia", "capitol_reporter"] {
        let account = s.get(&format!("/api/v1/accounts/lookup?acct={name}"), None).await.ok();
        let posts =
            s.get(&format!("/api/v1/accounts/{}/statuses", account["id"].as_str().expect("id")), None).await.ok();
        let first =
            posts.as_array().expect("posts").iter().filter_map(|p| p["created_at"].as_str()).min().expect("a post");
        let joined = account["created_at"].as_str().expect("joined");
        assert!(joined < first, "{name} joined {joined}, after its post of {first}");
    }

    // The demo visitor follows the story's accounts: their first home timeline tells it.
    let token = s.token_for("demo", parley::demo::DEMO_PASSWORD).await;
    let home = s.get("/api/v1/timelines/home?limit=40", Some(&token)).await.ok();
    let authors: Vec<&str> =
        home.as_array().expect("home").iter().filter_map(|st| st["account"]["username"].as_str()).collect();
    for name in ["RusEmbUSA", "StateDept", "capitol_reporter"] {
        assert!(authors.contains(&name), "{name} is not in the visitor's home timeline: {authors:?}");
    }
}
