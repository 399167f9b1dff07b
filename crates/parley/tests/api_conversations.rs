//! Conversations (direct-message threads): who gets one, unread and read,
//! removal for one participant only, paging, deletions, the visibility of
//! the last status, and the `direct` stream's `conversation` event.
#![allow(clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, User};
use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn direct(s: &TestServer, from: &User, text: &str, reply_to: Option<&str>) -> String {
    let mut body = json!({"status": text, "visibility": "direct"});
    if let Some(parent) = reply_to {
        body["in_reply_to_id"] = parent.into();
    }
    s.status(from, body).await["id"].as_str().expect("id").to_string()
}

async fn conversations(s: &TestServer, who: &User) -> Vec<Value> {
    s.get("/api/v1/conversations", Some(&who.token)).await.ok().as_array().expect("list").clone()
}

fn usernames(conversation: &Value) -> Vec<String> {
    let mut names: Vec<String> = conversation["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["username"].as_str().expect("username").to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_direct_status_makes_a_conversation_for_its_author_and_each_mentioned_account() {
    let s = TestServer::start().await;
    let (alice, bob, carol, dave) =
        (s.user("alice").await, s.user("bob").await, s.user("carol").await, s.user("dave").await);
    let first = direct(&s, &alice, &format!("@{} @{} our plan", bob.username, carol.username), None).await;

    let mine = conversations(&s, &alice).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(usernames(&mine[0]), {
        let mut v = vec![bob.username.clone(), carol.username.clone()];
        v.sort();
        v
    });
    assert_eq!(mine[0]["last_status"]["id"], first.as_str());
    assert_eq!(mine[0]["unread"], false, "the author has read what it wrote");
    let bobs = conversations(&s, &bob).await;
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0]["unread"], true);
    assert_eq!(bobs[0]["last_status"]["visibility"], "direct");
    assert_ne!(bobs[0]["id"], mine[0]["id"], "each participant has a conversation of its own");
    assert!(conversations(&s, &dave).await.is_empty(), "not mentioned, no conversation");
    // Public and private statuses make none.
    s.post_text(&alice, &format!("@{} hello", bob.username), "public").await;
    s.post_text(&alice, &format!("@{} hello", bob.username), "private").await;
    assert_eq!(conversations(&s, &bob).await.len(), 1);

    // A reply in the thread, with the same participants, updates the same
    // conversation: unread again for the others, read for its author.
    let read = s
        .post(
            &format!("/api/v1/conversations/{}/read", bobs[0]["id"].as_str().expect("id")),
            Some(&bob.token),
            json!({}),
        )
        .await
        .ok();
    assert_eq!(read["unread"], false);
    assert_eq!(conversations(&s, &bob).await[0]["unread"], false);
    let reply = direct(&s, &bob, &format!("@{} @{} agreed", alice.username, carol.username), Some(&first)).await;
    let bobs = conversations(&s, &bob).await;
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0]["last_status"]["id"], reply.as_str());
    assert_eq!(bobs[0]["unread"], false);
    let mine = conversations(&s, &alice).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["last_status"]["id"], reply.as_str());
    assert_eq!(mine[0]["unread"], true);

    // The same thread with other participants is another conversation (Mastodon's).
    direct(&s, &alice, &format!("@{} just you", bob.username), Some(&reply)).await;
    assert_eq!(conversations(&s, &bob).await.len(), 2);
    s.assert_in_step().await;
}

#[tokio::test]
async fn removing_a_conversation_removes_it_for_the_caller_only_and_unknown_ids_are_404() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    direct(&s, &alice, &format!("@{} psst", bob.username), None).await;
    let bobs = conversations(&s, &bob).await;
    let id = bobs[0]["id"].as_str().expect("id").to_string();

    // Another account cannot read or remove it.
    s.post(&format!("/api/v1/conversations/{id}/read"), Some(&alice.token), json!({})).await.expect(404);
    s.call(Method::DELETE, &format!("/api/v1/conversations/{id}"), Some(&alice.token), Value::Null).await.expect(404);
    s.call(Method::DELETE, "/api/v1/conversations/not-an-id", Some(&bob.token), Value::Null).await.expect(404);

    let removed =
        s.call(Method::DELETE, &format!("/api/v1/conversations/{id}"), Some(&bob.token), Value::Null).await.ok();
    assert_eq!(removed, json!({}));
    assert!(conversations(&s, &bob).await.is_empty());
    assert_eq!(conversations(&s, &alice).await.len(), 1, "still there for the other participant");
    s.call(Method::DELETE, &format!("/api/v1/conversations/{id}"), Some(&bob.token), Value::Null).await.expect(404);
    s.get("/api/v1/conversations", None).await.expect(401);

    // A new thread makes a new conversation.
    direct(&s, &alice, &format!("@{} again", bob.username), None).await;
    assert_eq!(conversations(&s, &bob).await.len(), 1);
    s.assert_in_step().await;
}

#[tokio::test]
async fn conversations_are_paged_by_last_status_with_link_headers() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let mut friends = vec![];
    for _ in 0..3 {
        friends.push(s.user("friend").await);
    }
    let mut last = vec![];
    for f in &friends {
        last.push(direct(&s, &alice, &format!("@{} hi", f.username), None).await);
    }
    // The oldest conversation gets a new status: it comes first.
    let bump = direct(&s, &friends[0], &format!("@{} hello back", alice.username), None).await;
    let walked: Vec<String> = {
        let mut seen = vec![];
        let mut next = Some(format!("{}/api/v1/conversations?limit=1", s.url));
        while let Some(url) = next.take() {
            let path = url.trim_start_matches(&s.public).trim_start_matches(&s.url).to_string();
            let page = s.get(&path, Some(&alice.token)).await;
            next = page.link("next");
            let list = page.ok();
            let items = list.as_array().expect("list");
            if items.is_empty() {
                break;
            }
            seen.extend(items.iter().map(|c| c["last_status"]["id"].as_str().expect("id").to_string()));
        }
        seen
    };
    assert_eq!(walked, [bump, last[2].clone(), last[1].clone(), last[0].clone()]);
}

#[tokio::test]
async fn deleting_statuses_moves_or_removes_the_conversation_and_hidden_statuses_are_not_shown() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    let first = direct(&s, &alice, &format!("@{} one", bob.username), None).await;
    let second = direct(&s, &alice, &format!("@{} two", bob.username), Some(&first)).await;
    assert_eq!(conversations(&s, &bob).await[0]["last_status"]["id"], second.as_str());
    s.call(Method::DELETE, &format!("/api/v1/statuses/{second}"), Some(&alice.token), Value::Null).await.ok();
    assert_eq!(conversations(&s, &bob).await[0]["last_status"]["id"], first.as_str());
    s.call(Method::DELETE, &format!("/api/v1/statuses/{first}"), Some(&alice.token), Value::Null).await.ok();
    assert!(conversations(&s, &bob).await.is_empty());
    assert!(conversations(&s, &alice).await.is_empty());

    // Bob blocks Carol: her direct messages make him no conversation; and
    // after Dave's message, a block hides the last status (null), as a
    // fetch of it would be refused.
    let (carol, dave) = (s.user("carol").await, s.user("dave").await);
    s.post(&format!("/api/v1/accounts/{}/block", carol.id), Some(&bob.token), json!({})).await.ok();
    direct(&s, &carol, &format!("@{} let me in", bob.username), None).await;
    assert!(conversations(&s, &bob).await.is_empty());
    let from_dave = direct(&s, &dave, &format!("@{} hi", bob.username), None).await;
    assert_eq!(conversations(&s, &bob).await[0]["last_status"]["id"], from_dave.as_str());
    s.post(&format!("/api/v1/accounts/{}/block", bob.id), Some(&dave.token), json!({})).await.ok();
    s.get(&format!("/api/v1/statuses/{from_dave}"), Some(&bob.token)).await.expect(404);
    let bobs = conversations(&s, &bob).await;
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0]["last_status"], Value::Null);
    s.assert_in_step().await;
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(s: &TestServer, query: &str, token: &str) -> Ws {
    let url = format!("{}/api/v1/streaming?{query}", s.url.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert("authorization", format!("Bearer {token}").parse().expect("header"));
    tokio_tungstenite::connect_async(request).await.expect("websocket handshake").0
}

async fn next_frame(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        match tokio::time::timeout_at(deadline, ws.next()).await.ok()??.ok()? {
            Message::Text(text) => return Some(serde_json::from_str(text.as_str()).expect("JSON frame")),
            _ => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_direct_stream_carries_conversation_events_to_their_participants_only() {
    let s = TestServer::start().await;
    let (alice, bob, eve) = (s.user("alice").await, s.user("bob").await, s.user("eve").await);
    let mut bobs = connect(&s, "stream=direct", &bob.token).await;
    let mut eves = connect(&s, "stream=direct", &eve.token).await;
    let mut bobs_user = connect(&s, "stream=user", &bob.token).await;

    let id = direct(&s, &alice, &format!("@{} for your eyes", bob.username), None).await;
    let frame = next_frame(&mut bobs, Duration::from_secs(5)).await.expect("a conversation frame");
    assert_eq!(frame["event"], "conversation", "{frame}");
    assert_eq!(frame["stream"], json!(["direct"]));
    let payload: Value = serde_json::from_str(frame["payload"].as_str().expect("payload")).expect("JSON");
    assert_eq!(payload["last_status"]["id"], id.as_str());
    assert_eq!(payload["unread"], true);
    assert_eq!(usernames(&payload), [alice.username.as_str()]);
    assert_eq!(payload["id"], conversations(&s, &bob).await[0]["id"]);

    // Reading it is told too (Mastodon pushes every saved change).
    let cid = payload["id"].as_str().expect("id").to_string();
    s.post(&format!("/api/v1/conversations/{cid}/read"), Some(&bob.token), json!({})).await.ok();
    let frame = next_frame(&mut bobs, Duration::from_secs(5)).await.expect("a frame after reading");
    assert_eq!(frame["event"], "conversation");
    let payload: Value = serde_json::from_str(frame["payload"].as_str().expect("payload")).expect("JSON");
    assert_eq!(payload["unread"], false);

    // Not a participant: nothing. The user stream has no conversation event.
    assert_eq!(next_frame(&mut eves, Duration::from_millis(500)).await, None);
    while let Some(frame) = next_frame(&mut bobs_user, Duration::from_millis(300)).await {
        assert_ne!(frame["event"], "conversation", "{frame}");
    }
}
