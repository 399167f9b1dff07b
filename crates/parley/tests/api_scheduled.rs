//! Scheduled statuses: `scheduled_at` on `POST /api/v1/statuses`, the
//! scheduled statuses endpoints, and the scheduler that publishes each one
//! once, on time, also across a restart with the server down when it fell due.
#![allow(clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::{SecondsFormat, Utc};
use common::{TestServer, User};
use reqwest::Method;
use serde_json::{Value, json};

fn in_secs(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A server whose scheduled statuses may be as little as a second ahead.
async fn quick_server() -> TestServer {
    TestServer::start_with(|c| c.statuses.min_schedule_lead_secs = 1).await
}

/// The author's statuses whose text contains `marker`.
async fn posted(s: &TestServer, author: &User, marker: &str) -> Vec<Value> {
    let list = s.get(&format!("/api/v1/accounts/{}/statuses", author.id), Some(&author.token)).await.ok();
    list.as_array()
        .expect("list")
        .iter()
        .filter(|st| st["content"].as_str().unwrap_or_default().contains(marker))
        .cloned()
        .collect()
}

/// Waits (at most `limit`) until the author has a status containing `marker`.
async fn wait_posted(s: &TestServer, author: &User, marker: &str, limit: Duration) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let found = posted(s, author, marker).await;
        if !found.is_empty() || tokio::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_scheduled_poll_is_listed_then_published_on_time_once() {
    let s = quick_server().await;
    let alice = s.user("alice").await;
    let token = Some(alice.token.as_str());
    let at = in_secs(2);
    let scheduled = s
        .post(
            "/api/v1/statuses",
            token,
            json!({"status": "Which consulate? #vote", "visibility": "unlisted", "scheduled_at": at,
                   "poll": {"options": ["Vladivostok", "Yekaterinburg"], "expires_in": 600}}),
        )
        .await
        .ok();
    let id = scheduled["id"].as_str().expect("id").to_string();
    assert_eq!(scheduled["scheduled_at"], at.as_str());
    assert_eq!(scheduled["params"]["text"], "Which consulate? #vote");
    assert_eq!(scheduled["params"]["visibility"], "unlisted");
    assert_eq!(scheduled["params"]["poll"]["options"], json!(["Vladivostok", "Yekaterinburg"]));
    assert_eq!(scheduled["params"]["poll"]["expires_in"], "600");
    assert_eq!(scheduled["media_attachments"], json!([]));
    assert!(scheduled.get("content").is_none(), "a ScheduledStatus, not a Status");
    assert!(posted(&s, &alice, "Which consulate").await.is_empty(), "not posted yet");

    let list = s.get("/api/v1/scheduled_statuses", token).await.ok();
    assert_eq!(list.as_array().expect("list").len(), 1);
    assert_eq!(s.get(&format!("/api/v1/scheduled_statuses/{id}"), token).await.ok()["id"], id.as_str());

    let published = wait_posted(&s, &alice, "Which consulate", Duration::from_secs(6)).await;
    assert_eq!(published.len(), 1);
    let status = &published[0];
    assert_eq!(status["visibility"], "unlisted");
    assert_eq!(status["poll"]["options"][1]["title"], "Yekaterinburg");
    let created =
        chrono::DateTime::parse_from_rfc3339(status["created_at"].as_str().expect("created_at")).expect("time");
    let due = chrono::DateTime::parse_from_rfc3339(&at).expect("time");
    assert!(created >= due, "published at {created}, due {due}");
    assert!(created - due < chrono::Duration::seconds(3), "published late: {created}, due {due}");
    // The poll opened when the status was published.
    let ends =
        chrono::DateTime::parse_from_rfc3339(status["poll"]["expires_at"].as_str().expect("ends")).expect("time");
    assert!((ends - created - chrono::Duration::seconds(600)).num_seconds().abs() <= 1, "{ends} vs {created}");

    assert_eq!(s.get("/api/v1/scheduled_statuses", token).await.ok(), json!([]));
    s.get(&format!("/api/v1/scheduled_statuses/{id}"), token).await.expect(404);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(posted(&s, &alice, "Which consulate").await.len(), 1, "published once");
    s.assert_in_step().await;
}

#[tokio::test]
async fn scheduled_at_must_be_far_enough_ahead_and_a_past_time_posts_now() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let token = Some(alice.token.as_str());

    let soon =
        s.post("/api/v1/statuses", token, json!({"status": "soon", "scheduled_at": in_secs(60)})).await.expect(422);
    assert_eq!(soon["error"], "Validation failed: Scheduled at The scheduled date must be in the future");
    let bad =
        s.post("/api/v1/statuses", token, json!({"status": "when", "scheduled_at": "next tuesday"})).await.expect(422);
    assert!(bad["error"].as_str().expect("error").contains("Scheduled at"), "{bad}");
    // The status is checked when it is scheduled, as when posted.
    s.post("/api/v1/statuses", token, json!({"status": " ", "scheduled_at": in_secs(600)})).await.expect(422);
    s.post(
        "/api/v1/statuses",
        token,
        json!({"status": "poll", "scheduled_at": in_secs(600), "poll": {"options": ["only one"], "expires_in": 600}}),
    )
    .await
    .expect(422);
    assert_eq!(s.get("/api/v1/scheduled_statuses", token).await.ok(), json!([]));

    // A time that has passed posts now (Mastodon's PostStatusService).
    let now =
        s.post("/api/v1/statuses", token, json!({"status": "right away", "scheduled_at": in_secs(-60)})).await.ok();
    assert!(now["content"].as_str().expect("a Status").contains("right away"));

    // Form-encoded, as Mastodon.py sends it.
    let at = in_secs(3600);
    let form =
        s.form(Method::POST, "/api/v1/statuses", token, &[("status", "later"), ("scheduled_at", &at)]).await.ok();
    assert_eq!(form["scheduled_at"], at.as_str());
    s.assert_in_step().await;
}

#[tokio::test]
async fn a_scheduled_status_can_be_moved_and_cancelled_by_its_author_only() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    let token = Some(alice.token.as_str());
    let mut ids = vec![];
    for i in 0..3 {
        let row = s
            .post("/api/v1/statuses", token, json!({"status": format!("later {i}"), "scheduled_at": in_secs(3600)}))
            .await
            .ok();
        ids.push(row["id"].as_str().expect("id").to_string());
    }
    let path = |id: &str| format!("/api/v1/scheduled_statuses/{id}");

    // Newest first, paged with Link headers.
    let newest_first: Vec<String> = ids.iter().rev().cloned().collect();
    assert_eq!(s.walk("/api/v1/scheduled_statuses?limit=1", token).await, newest_first);

    let later = in_secs(7200);
    let moved = s.call(Method::PUT, &path(&ids[0]), token, json!({"scheduled_at": later})).await.ok();
    assert_eq!(moved["scheduled_at"], later.as_str());
    assert_eq!(s.get(&path(&ids[0]), token).await.ok()["scheduled_at"], later.as_str());
    let too_soon = s.call(Method::PUT, &path(&ids[0]), token, json!({"scheduled_at": in_secs(10)})).await.expect(422);
    assert_eq!(too_soon["error"], "Validation failed: Scheduled at The scheduled date must be in the future");
    s.call(Method::PUT, &path(&ids[0]), token, json!({})).await.expect(422);

    // Someone else's is not found, for reading, moving and cancelling.
    let other = Some(bob.token.as_str());
    s.get(&path(&ids[0]), other).await.expect(404);
    s.call(Method::PUT, &path(&ids[0]), other, json!({"scheduled_at": in_secs(7200)})).await.expect(404);
    s.call(Method::DELETE, &path(&ids[0]), other, Value::Null).await.expect(404);
    assert_eq!(s.get("/api/v1/scheduled_statuses", other).await.ok(), json!([]));
    s.get(&path("nope"), token).await.expect(404);

    assert_eq!(s.call(Method::DELETE, &path(&ids[0]), token, Value::Null).await.ok(), json!({}));
    s.get(&path(&ids[0]), token).await.expect(404);
    s.call(Method::DELETE, &path(&ids[0]), token, Value::Null).await.expect(404);
    assert_eq!(s.get("/api/v1/scheduled_statuses", token).await.ok().as_array().expect("list").len(), 2);
    s.get("/api/v1/scheduled_statuses", None).await.expect(401);
    s.assert_in_step().await;
}

#[tokio::test]
async fn no_more_than_25_statuses_are_scheduled_for_one_day() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let token = Some(alice.token.as_str());
    // All on one UTC day, two days ahead.
    let day = (Utc::now() + chrono::Duration::days(2)).date_naive();
    let at = |minute: u32| format!("{day}T10:{minute:02}:00.000Z");
    for m in 0..25 {
        s.post("/api/v1/statuses", token, json!({"status": format!("s{m}"), "scheduled_at": at(m)})).await.ok();
    }
    let over =
        s.post("/api/v1/statuses", token, json!({"status": "one too many", "scheduled_at": at(30)})).await.expect(422);
    assert_eq!(over["error"], "Validation failed: You have exceeded the limit of 25 scheduled posts for today");
    // Another day is fine.
    let next_day = format!("{}T10:00:00.000Z", day.succ_opt().expect("next day"));
    s.post("/api/v1/statuses", token, json!({"status": "tomorrow", "scheduled_at": next_day})).await.ok();
}

#[tokio::test]
async fn a_status_due_while_the_server_was_down_is_published_once_when_it_starts() {
    let s = quick_server().await;
    let alice = s.user("alice").await;
    let at = in_secs(2);
    s.post("/api/v1/statuses", Some(&alice.token), json!({"status": "Published after downtime", "scheduled_at": at}))
        .await
        .ok();
    // Down before it is due, up again after.
    let s = s.restart_after(Duration::from_secs(3)).await;
    let due = chrono::DateTime::parse_from_rfc3339(&at).expect("time");
    assert!(Utc::now() > due, "the server was down when the status fell due");
    let published = wait_posted(&s, &alice, "Published after downtime", Duration::from_secs(5)).await;
    assert_eq!(published.len(), 1);
    assert_eq!(s.get("/api/v1/scheduled_statuses", Some(&alice.token)).await.ok(), json!([]));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(posted(&s, &alice, "Published after downtime").await.len(), 1);
    s.assert_in_step().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishers_racing_for_the_same_due_status_post_it_once() {
    let s = quick_server().await;
    let alice = s.user("alice").await;
    for i in 0..5 {
        s.post(
            "/api/v1/statuses",
            Some(&alice.token),
            json!({"status": format!("race {i}"), "scheduled_at": in_secs(2)}),
        )
        .await
        .ok();
    }
    // Three publishers that see them as due already, at once, and then the
    // server's own scheduler when they are.
    let publish = || {
        let services = s.running.services.clone();
        let later = Utc::now() + chrono::Duration::seconds(5);
        tokio::spawn(async move { services.scheduled.publish_due(later).await.expect("publish") })
    };
    let racers = [publish(), publish(), publish()];
    let mut total = 0;
    for r in racers {
        total += r.await.expect("join");
    }
    assert_eq!(total, 5, "each published by one of the racers");
    tokio::time::sleep(Duration::from_millis(3000)).await;
    assert_eq!(posted(&s, &alice, "race").await.len(), 5, "each once");
    s.assert_in_step().await;
}

#[tokio::test]
async fn a_scheduled_reply_whose_parent_is_gone_is_published_as_no_reply_keeping_its_mention() {
    let s = quick_server().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    let parent = s.post_text(&bob, "Will you close a consulate?", "public").await;
    s.post(
        "/api/v1/statuses",
        Some(&alice.token),
        json!({"status": format!("@{} We might", bob.username), "in_reply_to_id": parent, "scheduled_at": in_secs(2)}),
    )
    .await
    .ok();
    s.call(Method::DELETE, &format!("/api/v1/statuses/{parent}"), Some(&bob.token), Value::Null).await.ok();
    let published = wait_posted(&s, &alice, "We might", Duration::from_secs(6)).await;
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["in_reply_to_id"], Value::Null, "Mastodon posts it without the thread it lost");
    assert_eq!(published[0]["mentions"][0]["username"], bob.username.as_str());
    s.assert_in_step().await;
}
