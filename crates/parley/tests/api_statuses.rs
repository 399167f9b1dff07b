//! Statuses over HTTP: posting, rendering, threads, edits, deletes,
//! favourites, boosts, pins, idempotency.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, ids};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn posting_renders_mentions_hashtags_and_links() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let status = s
        .status(&alice, json!({"status": format!("Hi @{} and @nobody, see https://example.org/x #Diplomacy <b>bold</b>", bob.username), "language": "en"}))
        .await;
    let content = status["content"].as_str().expect("content");
    assert!(content.contains(&format!("href=\"{}/@{}\" class=\"u-url mention\"", s.url, bob.username)), "{content}");
    assert!(content.contains("@nobody"), "unknown mentions stay text");
    assert!(content.contains(&format!("href=\"{}/tags/diplomacy\" class=\"mention hashtag\" rel=\"tag\"", s.url)));
    assert!(content.contains("href=\"https://example.org/x\""));
    assert!(content.contains("&lt;b&gt;bold&lt;/b&gt;"), "user HTML is escaped, not interpreted");
    assert_eq!(status["mentions"].as_array().map(Vec::len), Some(1));
    assert_eq!(status["mentions"][0]["acct"], bob.username);
    assert_eq!(status["tags"], json!([{"name": "diplomacy", "url": format!("{}/tags/diplomacy", s.url)}]));
    assert_eq!(status["language"], "en");
    assert_eq!(status["visibility"], "public");
    assert_eq!(status["url"], format!("{}/@{}/{}", s.url, alice.username, status["id"].as_str().unwrap_or_default()));
    assert_eq!(status["account"]["statuses_count"], 1);
    assert_eq!(status["favourited"], false);

    // The length limit counts a URL as 23 characters.
    let long_url = format!("https://example.org/{}", "a".repeat(600));
    s.status(&alice, json!({"status": format!("{} {}", "x".repeat(470), long_url)})).await;
    let too_long = s.post("/api/v1/statuses", Some(&alice.token), json!({"status": "x".repeat(501)})).await.expect(422);
    assert_eq!(too_long["error"], "Validation failed: Text character limit of 500 exceeded");
    let blank = s.post("/api/v1/statuses", Some(&alice.token), json!({"status": "   "})).await.expect(422);
    assert_eq!(blank["error"], "Validation failed: Text can't be blank");
    // Spoiler text counts too, and a content warning makes the status sensitive.
    let cw = s.status(&alice, json!({"status": "spoiler inside", "spoiler_text": "cw"})).await;
    assert_eq!(cw["sensitive"], true);
    s.assert_in_step().await;
}

#[tokio::test]
async fn forms_and_multipart_post_like_json() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let via_form = s
        .form(
            Method::POST,
            "/api/v1/statuses",
            Some(&alice.token),
            &[("status", "from a form"), ("sensitive", "1"), ("visibility", "unlisted")],
        )
        .await
        .ok();
    assert_eq!(via_form["sensitive"], true);
    assert_eq!(via_form["visibility"], "unlisted");
    let multipart = reqwest::multipart::Form::new().text("status", "from multipart").text("sensitive", "false");
    let resp = s
        .http
        .post(format!("{}/api/v1/statuses", s.url))
        .bearer_auth(&alice.token)
        .multipart(multipart)
        .send()
        .await
        .expect("multipart");
    let body = TestServer::reply(resp).await.ok();
    assert_eq!(body["content"], "<p>from multipart</p>");
    assert_eq!(body["sensitive"], false);
    s.assert_in_step().await;
}

#[tokio::test]
async fn idempotency_key_returns_the_same_status() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let send = || async {
        let resp = s
            .http
            .post(format!("{}/api/v1/statuses", s.url))
            .bearer_auth(&alice.token)
            .header("Idempotency-Key", "abc-123")
            .json(&json!({"status": "once only"}))
            .send()
            .await
            .expect("post");
        TestServer::reply(resp).await.ok()
    };
    let first = send().await;
    let second = send().await;
    assert_eq!(first["id"], second["id"]);
    let mine = s.get(&format!("/api/v1/accounts/{}/statuses", alice.id), None).await.ok();
    assert_eq!(ids(&mine).len(), 1);
    s.assert_in_step().await;
}

#[tokio::test]
async fn replies_and_context() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let root = s.post_text(&alice, "root", "public").await;
    let r1 = s.status(&bob, json!({"status": format!("@{} first", alice.username), "in_reply_to_id": root})).await;
    let r1_id = r1["id"].as_str().expect("id").to_string();
    assert_eq!(r1["in_reply_to_id"], root);
    assert_eq!(r1["in_reply_to_account_id"], alice.id);
    let r2 = s.status(&alice, json!({"status": "second", "in_reply_to_id": r1_id})).await;
    let r3 = s.status(&bob, json!({"status": "sibling", "in_reply_to_id": root})).await;
    let ctx = s.get(&format!("/api/v1/statuses/{root}/context"), None).await.ok();
    assert_eq!(ctx["ancestors"], json!([]));
    // Depth first: r1, its reply r2, then the sibling r3.
    assert_eq!(
        ids(&ctx["descendants"]),
        vec![r1_id.clone(), r2["id"].as_str().expect("id").into(), r3["id"].as_str().expect("id").into()]
    );
    let ctx = s.get(&format!("/api/v1/statuses/{}/context", r2["id"].as_str().expect("id")), None).await.ok();
    assert_eq!(ids(&ctx["ancestors"]), vec![root.clone(), r1_id]);
    let root_now = s.get(&format!("/api/v1/statuses/{root}"), None).await.ok();
    assert_eq!(root_now["replies_count"], 2);
    // Replying to something that does not exist is a 404.
    s.post("/api/v1/statuses", Some(&bob.token), json!({"status": "x", "in_reply_to_id": "12345"})).await.expect(404);
    s.assert_in_step().await;
}

#[tokio::test]
async fn edit_keeps_history_and_delete_returns_source() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let id = s.post_text(&alice, "first version #one", "public").await;
    s.post(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token), Value::Null).await.ok();
    let edited = s
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{id}"),
            Some(&alice.token),
            json!({"status": "second version #two", "spoiler_text": "note"}),
        )
        .await
        .ok();
    assert_eq!(
        edited["content"],
        format!(
            "<p>second version <a href=\"{}/tags/two\" class=\"mention hashtag\" rel=\"tag\">#<span>two</span></a></p>",
            s.url
        )
    );
    assert!(edited["edited_at"].is_string());
    assert_eq!(edited["spoiler_text"], "note");
    let history = s.get(&format!("/api/v1/statuses/{id}/history"), None).await.ok();
    let versions = history.as_array().expect("history");
    assert_eq!(versions.len(), 2);
    assert!(versions[0]["content"].as_str().expect("c").contains("first version"));
    assert!(versions[1]["content"].as_str().expect("c").contains("second version"));
    let source = s.get(&format!("/api/v1/statuses/{id}/source"), Some(&alice.token)).await.ok();
    assert_eq!(source["text"], "second version #two");
    s.get(&format!("/api/v1/statuses/{id}/source"), Some(&bob.token)).await.expect(404);
    // The booster hears about the edit.
    let notes = s.get("/api/v1/notifications?types[]=update", Some(&bob.token)).await.ok();
    assert_eq!(notes.as_array().map(Vec::len), Some(1));
    assert_eq!(notes[0]["status"]["id"], id);

    // Nobody else may edit or delete.
    s.call(Method::PUT, &format!("/api/v1/statuses/{id}"), Some(&bob.token), json!({"status": "hijack"}))
        .await
        .expect(403);
    s.call(Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&bob.token), Value::Null).await.expect(403);

    let deleted = s.call(Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&alice.token), Value::Null).await.ok();
    assert_eq!(deleted["text"], "second version #two");
    s.get(&format!("/api/v1/statuses/{id}"), None).await.expect(404);
    // Its boosts went with it.
    let bobs = s.get(&format!("/api/v1/accounts/{}/statuses", bob.id), None).await.ok();
    assert_eq!(ids(&bobs), Vec::<String>::new());
    let me = s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.ok();
    assert_eq!(me["statuses_count"], 0);
    s.assert_in_step().await;
}

#[tokio::test]
async fn favourites_and_boosts_count_once() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let carol = s.user("carol").await;
    let id = s.post_text(&alice, "boost me", "public").await;
    for _ in 0..3 {
        s.post(&format!("/api/v1/statuses/{id}/favourite"), Some(&bob.token), Value::Null).await.ok();
    }
    let fav = s.post(&format!("/api/v1/statuses/{id}/favourite"), Some(&carol.token), Value::Null).await.ok();
    assert_eq!(fav["favourites_count"], 2);
    assert_eq!(fav["favourited"], true);
    let by = s.get(&format!("/api/v1/statuses/{id}/favourited_by"), None).await.ok();
    assert_eq!(by.as_array().map(Vec::len), Some(2));

    let boost = s.post(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token), Value::Null).await.ok();
    let again = s.post(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token), Value::Null).await.ok();
    assert_eq!(boost["id"], again["id"], "a second boost is the same boost");
    assert_eq!(boost["reblog"]["id"], id);
    assert_eq!(boost["reblog"]["reblogs_count"], 1);
    assert_eq!(boost["reblog"]["reblogged"], true);
    assert_eq!(boost["content"], "");
    // Favouriting the boost favourites the original.
    let via_boost = s
        .post(
            &format!("/api/v1/statuses/{}/favourite", boost["id"].as_str().expect("id")),
            Some(&alice.token),
            Value::Null,
        )
        .await
        .ok();
    assert_eq!(via_boost["id"], id);
    let by = s.get(&format!("/api/v1/statuses/{id}/reblogged_by"), None).await.ok();
    assert_eq!(by[0]["id"], bob.id);

    let un = s.post(&format!("/api/v1/statuses/{id}/unreblog"), Some(&bob.token), Value::Null).await.ok();
    assert_eq!(un["reblogged"], false);
    assert_eq!(un["reblogs_count"], 0);
    let un = s.post(&format!("/api/v1/statuses/{id}/unfavourite"), Some(&bob.token), Value::Null).await.ok();
    assert_eq!(un["favourites_count"], 2, "carol and alice remain");
    assert_eq!(un["favourited"], false);

    // Alice was told once per action, and the withdrawn ones are gone.
    let notes = s.get("/api/v1/notifications", Some(&alice.token)).await.ok();
    let kinds: Vec<&str> =
        notes.as_array().expect("list").iter().map(|n| n["type"].as_str().unwrap_or_default()).collect();
    assert_eq!(kinds, vec!["favourite"], "only carol's favourite is left: {kinds:?}");
    s.assert_in_step().await;
}

#[tokio::test]
async fn pins_show_on_the_profile() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let a = s.post_text(&alice, "pinned one", "public").await;
    s.post_text(&alice, "other", "public").await;
    let pinned = s.post(&format!("/api/v1/statuses/{a}/pin"), Some(&alice.token), Value::Null).await.ok();
    assert_eq!(pinned["pinned"], true);
    let list = s.get(&format!("/api/v1/accounts/{}/statuses?pinned=true", alice.id), None).await.ok();
    assert_eq!(ids(&list), vec![a.clone()]);
    s.post(&format!("/api/v1/statuses/{a}/pin"), Some(&bob.token), Value::Null).await.expect(422);
    s.post(&format!("/api/v1/statuses/{a}/unpin"), Some(&alice.token), Value::Null).await.ok();
    let list = s.get(&format!("/api/v1/accounts/{}/statuses?pinned=1", alice.id), None).await.ok();
    assert_eq!(ids(&list), Vec::<String>::new());
    s.assert_in_step().await;
}

#[tokio::test]
async fn statuses_by_id_list() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let a = s.post_text(&alice, "a", "public").await;
    let b = s.post_text(&alice, "b", "public").await;
    let list = s.get(&format!("/api/v1/statuses?id[]={a}&id[]={b}&id[]=999"), None).await.ok();
    assert_eq!(ids(&list), vec![a, b]);
    s.assert_in_step().await;
}
