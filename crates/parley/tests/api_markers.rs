//! Markers (`/api/v1/markers`) and the unread counts they start, over HTTP
//! against a real server.
#![allow(clippy::expect_used)]

mod common;

use common::TestServer;
use serde_json::{Value, json};

#[tokio::test]
async fn markers_are_set_read_back_and_count_their_moves() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let token = Some(alice.token.as_str());
    assert_eq!(s.get("/api/v1/markers", token).await.ok(), json!({}), "nothing asked, nothing given");
    assert_eq!(s.get("/api/v1/markers?timeline[]=home", token).await.ok(), json!({}), "never set");

    let set = s.post("/api/v1/markers", token, json!({"home": {"last_read_id": "103"}})).await.ok();
    assert_eq!(set["home"]["last_read_id"], "103");
    assert_eq!(set["home"]["version"], 0);
    assert!(set["home"]["updated_at"].as_str().expect("updated_at").ends_with('Z'));
    assert!(set.get("notifications").is_none());

    // Form syntax, both at once; the same position again is no move.
    let form = [("home[last_read_id]", "103"), ("notifications[last_read_id]", "55")];
    let both = s.form(reqwest::Method::POST, "/api/v1/markers", token, &form).await.ok();
    assert_eq!(both["home"]["version"], 0);
    assert_eq!(both["notifications"]["last_read_id"], "55");
    let moved = s.post("/api/v1/markers", token, json!({"home": {"last_read_id": "120"}})).await.ok();
    assert_eq!(moved["home"]["version"], 1);
    let moved = s.post("/api/v1/markers", token, json!({"home": {"last_read_id": "121"}})).await.ok();
    assert_eq!(moved["home"]["version"], 2);

    let read = s.get("/api/v1/markers?timeline[]=home&timeline[]=notifications&timeline[]=lists", token).await.ok();
    assert_eq!(read["home"]["last_read_id"], "121");
    assert_eq!(read["home"]["version"], 2);
    assert_eq!(read["notifications"]["last_read_id"], "55");
    assert_eq!(read.as_object().expect("object").len(), 2);

    // Markers are each account's own.
    let bob = s.user("bob").await;
    let theirs = s.get("/api/v1/markers?timeline[]=home", Some(&bob.token)).await.ok();
    assert_eq!(theirs, json!({}));
}

#[tokio::test]
async fn bad_markers_are_refused_and_change_nothing() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let token = Some(alice.token.as_str());
    s.post("/api/v1/markers", token, json!({"home": {"last_read_id": "7"}})).await.ok();
    for body in [
        json!({"home": {}}),
        json!({"home": {"last_read_id": ""}}),
        json!({"home": {"last_read_id": "seven"}}),
        json!({"home": {"last_read_id": "8"}, "notifications": {"last_read_id": "-1"}}),
    ] {
        let refused = s.post("/api/v1/markers", token, body.clone()).await.expect(422);
        assert!(refused["error"].as_str().expect("error").starts_with("Validation failed"), "{body}: {refused}");
    }
    let read = s.get("/api/v1/markers?timeline[]=home&timeline[]=notifications", token).await.ok();
    assert_eq!(read["home"]["last_read_id"], "7", "all or none");
    assert!(read.get("notifications").is_none());
    s.get("/api/v1/markers?timeline[]=home", None).await.expect(401);
    s.post("/api/v1/markers", None, json!({"home": {"last_read_id": "7"}})).await.expect(401);
}

#[tokio::test]
async fn unread_counts_start_at_the_notifications_marker() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let fans = [s.user("fan").await, s.user("fan").await];
    let status = s.post_text(&alice, "Which consulate?", "public").await;
    for fan in &fans {
        s.post(&format!("/api/v1/statuses/{status}/favourite"), Some(&fan.token), Value::Null).await.ok();
    }
    for fan in &fans {
        s.follow(fan, &alice).await;
    }
    s.post_text(&fans[0], &format!("@{} hello", alice.username), "public").await;
    // Newest first: mention, follow, follow, favourite, favourite.
    let all = common::ids(&s.get("/api/v1/notifications", Some(&alice.token)).await.ok());
    assert_eq!(all.len(), 5);

    let count = |path: &'static str| {
        let s = &s;
        let token = alice.token.clone();
        async move { s.get(path, Some(&token)).await.ok()["count"].clone() }
    };
    assert_eq!(count("/api/v1/notifications/unread_count").await, 5);
    assert_eq!(count("/api/v2/notifications/unread_count").await, 3);

    // Read up to the newest favourite: the follows and the mention are left.
    s.post("/api/v1/markers", Some(&alice.token), json!({"notifications": {"last_read_id": all[3]}})).await.ok();
    assert_eq!(count("/api/v1/notifications/unread_count").await, 3);
    assert_eq!(count("/api/v2/notifications/unread_count").await, 2);
    // Everything read.
    s.post("/api/v1/markers", Some(&alice.token), json!({"notifications": {"last_read_id": all[0]}})).await.ok();
    assert_eq!(count("/api/v1/notifications/unread_count").await, 0);
    assert_eq!(count("/api/v2/notifications/unread_count").await, 0);
    // The home marker has nothing to do with notifications.
    s.post("/api/v1/markers", Some(&alice.token), json!({"home": {"last_read_id": "1"}})).await.ok();
    assert_eq!(count("/api/v1/notifications/unread_count").await, 0);
}
