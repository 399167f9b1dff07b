//! Mastodon's streaming API over a real WebSocket and real server-sent
//! events: what each subscriber receives for actions taken through the API,
//! and what it never receives.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, User};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(server: &TestServer, query: &str, token: Option<&str>) -> Ws {
    let url = format!("{}/api/v1/streaming?{query}", server.url.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    if let Some(t) = token {
        request.headers_mut().insert("authorization", format!("Bearer {t}").parse().expect("header"));
    }
    let (ws, _) = tokio_tungstenite::connect_async(request).await.expect("websocket handshake");
    ws
}

/// The next event frame, skipping pings; `None` after `wait` without one.
async fn next_frame(ws: &mut Ws, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next()).await.ok()??.ok()?;
        match message {
            Message::Text(text) => return Some(serde_json::from_str(text.as_str()).expect("JSON frame")),
            Message::Close(frame) => return Some(json!({"closed": frame.map(|f| u16::from(f.code))})),
            _ => continue,
        }
    }
}

async fn expect_frame(ws: &mut Ws, event: &str) -> Value {
    let frame = next_frame(ws, Duration::from_secs(5)).await.unwrap_or_else(|| panic!("no {event} frame"));
    assert_eq!(frame["event"], event, "{frame}");
    frame
}

fn payload(frame: &Value) -> Value {
    serde_json::from_str(frame["payload"].as_str().expect("payload string")).expect("payload JSON")
}

async fn post(server: &TestServer, user: &User, body: Value) -> String {
    server.status(user, body).await["id"].as_str().expect("id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_stream_carries_home_updates_notifications_edits_and_deletions() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    s.follow(&alice, &bob).await;
    let mut ws = connect(&s, "stream=user", Some(&alice.token)).await;

    let id = post(&s, &bob, json!({"status": "Consulate news"})).await;
    let frame = expect_frame(&mut ws, "update").await;
    assert_eq!(frame["stream"], json!(["user"]));
    assert_eq!(payload(&frame)["id"], id);
    assert_eq!(payload(&frame)["account"]["username"], bob.username);

    let mention = post(&s, &bob, json!({"status": format!("@{} see this", alice.username)})).await;
    let mut seen = vec![];
    for _ in 0..2 {
        let f = next_frame(&mut ws, Duration::from_secs(5)).await.expect("frame");
        seen.push((f["event"].as_str().unwrap_or_default().to_string(), payload(&f)));
    }
    let note = seen.iter().find(|(e, _)| e == "notification").expect("a notification frame");
    assert_eq!(note.1["type"], "mention");
    assert_eq!(note.1["status"]["id"], mention);
    assert!(seen.iter().any(|(e, p)| e == "update" && p["id"] == mention), "{seen:?}");

    s.call(reqwest::Method::PUT, &format!("/api/v1/statuses/{id}"), Some(&bob.token), json!({"status": "Edited"}))
        .await
        .ok();
    let edited = expect_frame(&mut ws, "status.update").await;
    assert!(payload(&edited)["content"].as_str().expect("content").contains("Edited"));

    s.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&bob.token), Value::Null).await.ok();
    let deleted = expect_frame(&mut ws, "delete").await;
    assert_eq!(deleted["payload"], id, "a deletion's payload is the bare ID");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stream_carries_what_its_subscriber_may_not_see() {
    let s = TestServer::start().await;
    let viewer = s.user("viewer").await;
    let author = s.user("author").await;
    let blocked = s.user("blocked").await;
    let muted = s.user("muted").await;
    let third = s.user("third").await;
    let neutral = s.user("neutral").await;
    for (who, what) in [(&blocked, "block"), (&muted, "mute")] {
        s.post(&format!("/api/v1/accounts/{}/{what}", who.id), Some(&viewer.token), json!({})).await.ok();
    }
    s.follow(&viewer, &muted).await;
    let mut public = connect(&s, "stream=public", Some(&viewer.token)).await;
    let mut home = connect(&s, "stream=user", Some(&viewer.token)).await;
    let mut tag = connect(&s, "stream=hashtag&tag=embassy", Some(&viewer.token)).await;

    post(&s, &author, json!({"status": "followers only #embassy", "visibility": "private"})).await;
    post(&s, &author, json!({"status": format!("@{} a secret #embassy", third.username), "visibility": "direct"}))
        .await;
    post(&s, &author, json!({"status": "unlisted #embassy", "visibility": "unlisted"})).await;
    post(&s, &blocked, json!({"status": "from a blocked account #embassy"})).await;
    post(&s, &muted, json!({"status": "from a muted account #embassy"})).await;
    // The control: once it arrives, anything sent before it would have too.
    let control = post(&s, &neutral, json!({"status": "public #embassy"})).await;
    for (name, ws) in [("public", &mut public), ("hashtag", &mut tag)] {
        let frame = expect_frame(ws, "update").await;
        assert_eq!(payload(&frame)["id"], control, "{name} stream carried something it should not: {frame}");
    }
    // The home stream follows no one but the muted account, which stays out.
    assert!(next_frame(&mut home, Duration::from_millis(300)).await.is_none(), "the home stream carried a muted post");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_websocket_subscribes_and_unsubscribes_with_messages_and_a_protocol_token() {
    let s = TestServer::start().await;
    let (reader, author) = (s.user("reader").await, s.user("author").await);
    let url = format!("{}/api/v1/streaming", s.url.replace("http://", "ws://"));
    let mut request = url.into_client_request().expect("request");
    request.headers_mut().insert("sec-websocket-protocol", reader.token.parse().expect("header"));
    let (mut ws, response) = tokio_tungstenite::connect_async(request).await.expect("handshake");
    assert_eq!(response.headers()["sec-websocket-protocol"], reader.token.as_str(), "the protocol is echoed");

    let subscribe = json!({"type": "subscribe", "stream": "hashtag", "tag": "Consulates"}).to_string();
    ws.send(Message::Text(subscribe.into())).await.expect("send");
    ws.send(Message::Text(json!({"type": "subscribe", "stream": "local"}).to_string().into())).await.expect("send");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id = post(&s, &author, json!({"status": "About the #consulates"})).await;
    let mut streams = vec![];
    for _ in 0..2 {
        let f = expect_frame(&mut ws, "update").await;
        assert_eq!(payload(&f)["id"], id);
        streams.push(f["stream"].clone());
    }
    streams.sort_by_key(|v| v.to_string());
    assert_eq!(streams, vec![json!(["hashtag", "consulates"]), json!(["public:local"])]);

    let unsubscribe = json!({"type": "unsubscribe", "stream": "hashtag", "tag": "consulates"}).to_string();
    ws.send(Message::Text(unsubscribe.into())).await.expect("send");
    tokio::time::sleep(Duration::from_millis(100)).await;
    post(&s, &author, json!({"status": "More on #consulates"})).await;
    let f = expect_frame(&mut ws, "update").await;
    assert_eq!(f["stream"], json!(["public:local"]), "only the stream still subscribed: {f}");

    ws.send(Message::Text(json!({"type": "subscribe", "stream": "nonsense"}).to_string().into())).await.expect("send");
    let error = next_frame(&mut ws, Duration::from_secs(5)).await.expect("an error frame");
    assert_eq!(error, json!({"error": "Unknown stream type", "status": 400}));

    ws.send(Message::Binary(vec![1, 2, 3].into())).await.expect("send");
    let closed = next_frame(&mut ws, Duration::from_secs(5)).await.expect("a close frame");
    assert_eq!(closed, json!({"closed": 1003}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_sent_events_and_the_streaming_errors() {
    let s = TestServer::start().await;
    let (reader, author) = (s.user("reader").await, s.user("author").await);
    assert_eq!(
        s.http
            .get(format!("{}/api/v1/streaming/health", s.url))
            .send()
            .await
            .expect("health")
            .text()
            .await
            .expect("text"),
        "OK"
    );
    let missing = s.get("/api/v1/streaming/public", None).await;
    assert_eq!((missing.status.as_u16(), missing.body.clone()), (401, json!({"error": "Missing access token"})));
    let unknown = s.get("/api/v1/streaming/nonsense", Some(&reader.token)).await;
    assert_eq!((unknown.status.as_u16(), unknown.body.clone()), (400, json!({"error": "Unknown stream type"})));
    let no_tag = s.get("/api/v1/streaming/hashtag", Some(&reader.token)).await;
    assert_eq!((no_tag.status.as_u16(), no_tag.body.clone()), (400, json!({"error": "No tag for stream provided"})));
    let bad = s.get("/api/v1/streaming/public", Some("not-a-token")).await;
    assert_eq!((bad.status.as_u16(), bad.body.clone()), (401, json!({"error": "Invalid access token"})));
    let instance = s.get("/api/v2/instance", None).await.ok();
    assert!(instance["configuration"]["urls"]["streaming"].as_str().is_some_and(|u| u.starts_with("ws")));

    let mut events = s
        .http
        .get(format!("{}/api/v1/streaming/public/local", s.url))
        .bearer_auth(&reader.token)
        .send()
        .await
        .expect("open the event stream");
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let first = events.chunk().await.expect("read").expect("a first chunk");
    // A comment first, as Mastodon's `:)`, so clients know the stream is open.
    assert!(String::from_utf8_lossy(&first).trim_end() == ": )", "{first:?}");
    let id = post(&s, &author, json!({"status": "Live from the embassy"})).await;
    let mut text = String::new();
    while !text.contains("\n\n") || !text.contains("event: update") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), events.chunk()).await.expect("in time");
        text.push_str(&String::from_utf8_lossy(&chunk.expect("read").expect("a chunk")));
    }
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).expect("a data line");
    assert_eq!(serde_json::from_str::<Value>(data).expect("JSON")["id"], id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_updates_are_coalesced_and_the_last_one_is_exact() {
    let s = TestServer::start().await;
    let author = s.user("embassy").await;
    let status =
        s.status(&author, json!({"status": "Which?", "poll": {"options": ["a", "b", "c"], "expires_in": 3600}})).await;
    let poll = status["poll"]["id"].as_str().expect("poll").to_string();
    let voters = s.bulk_users("voter", 500).await;
    // Anonymous: a public poll's stream needs no token.
    let mut ws = connect(&s, &format!("stream=parley:poll&poll={poll}"), None).await;

    let started = std::time::Instant::now();
    let mut votes = tokio::task::JoinSet::new();
    for (i, v) in voters.into_iter().enumerate() {
        let (http, url) = (s.http.clone(), format!("{}/api/v1/polls/{poll}/votes", s.url));
        votes.spawn(async move {
            http.post(url).bearer_auth(v.token).json(&json!({"choices": [i % 3]})).send().await.expect("vote")
        });
    }
    while let Some(v) = votes.join_next().await {
        assert!(v.expect("task").status().is_success());
    }
    let voting = started.elapsed();
    let mut updates = vec![];
    while let Some(frame) = next_frame(&mut ws, Duration::from_millis(800)).await {
        assert_eq!(frame["event"], "poll.update", "{frame}");
        assert_eq!(frame["stream"], json!(["parley:poll", poll]));
        updates.push(payload(&frame));
    }
    let last = updates.last().expect("at least one update");
    assert_eq!(last["votes_count"], 500, "the last update carries the exact tally: {last}");
    assert!(last.get("voted").is_none(), "never who voted: {last}");
    assert!(last["as_of"].is_string());
    // At most four a second, plus one.
    let allowed = (voting.as_secs_f64() * 4.0).ceil() as usize + 2;
    assert!(updates.len() <= allowed, "{} updates for {voting:?} of voting", updates.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_tokens_stream_is_closed_within_a_second() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let mut ws = connect(&s, "stream=user", Some(&alice.token)).await;
    let app = s.app().clone();
    s.post(
        "/oauth/revoke",
        None,
        json!({"client_id": app.client_id, "client_secret": app.client_secret, "token": alice.token}),
    )
    .await
    .ok();
    let closed = next_frame(&mut ws, Duration::from_secs(1)).await.expect("closed within a second");
    assert_eq!(closed, json!({"closed": 1008}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_stops_in_under_ten_seconds_with_streams_open() {
    let s = TestServer::start().await;
    let reader = s.user("reader").await;
    let author = s.user("author").await;
    let status =
        s.status(&author, json!({"status": "Live", "poll": {"options": ["a", "b"], "expires_in": 3600}})).await;
    let poll = status["poll"]["id"].as_str().expect("poll").to_string();
    let mut sockets = Vec::new();
    let mut streams = Vec::new();
    for i in 0..500 {
        sockets.push(connect(&s, "stream=public", Some(&reader.token)).await);
        let path = if i % 2 == 0 {
            format!("{}/api/v1/streaming/user", s.url)
        } else {
            // The web pages' live results: a poll's stream.
            format!("{}/api/v1/streaming/parley/poll?poll={poll}", s.url)
        };
        let mut sse = s.http.get(path).bearer_auth(&reader.token).send().await.expect("open a stream");
        assert!(sse.status().is_success(), "{}", sse.status());
        sse.chunk().await.expect("first chunk");
        streams.push(sse);
    }
    let started = std::time::Instant::now();
    tokio::time::timeout(Duration::from_secs(10), s.running.stop()).await.expect("stopped within ten seconds");
    eprintln!("stopped with 1,000 open streams in {:?}", started.elapsed());
    drop((sockets, streams));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_stream_is_its_owners_and_carries_its_members_statuses() {
    let s = TestServer::start().await;
    let (owner, member, outsider, stranger) =
        (s.user("owner").await, s.user("member").await, s.user("outsider").await, s.user("stranger").await);
    s.follow(&owner, &member).await;
    s.follow(&owner, &outsider).await;
    let list = s.post("/api/v1/lists", Some(&owner.token), json!({"title": "Officials"})).await.ok();
    let list = list["id"].as_str().expect("list id").to_string();
    s.post(&format!("/api/v1/lists/{list}/accounts"), Some(&owner.token), json!({"account_ids": [member.id]}))
        .await
        .ok();

    // Only the owner may follow it; a list that does not exist is refused alike.
    let refusal = json!({"error": "Not authorized to stream this list"});
    let theirs = s.get(&format!("/api/v1/streaming/list?list={list}"), Some(&stranger.token)).await;
    assert_eq!((theirs.status.as_u16(), theirs.body.clone()), (401, refusal.clone()));
    let missing = s.get("/api/v1/streaming/list?list=12345", Some(&owner.token)).await;
    assert_eq!((missing.status.as_u16(), missing.body), (401, refusal));

    let mut ws = connect(&s, &format!("stream=list&list={list}"), Some(&owner.token)).await;
    let stranger_post = post(&s, &stranger, json!({"status": "not followed"})).await;
    post(&s, &outsider, json!({"status": "followed, not in the list"})).await;
    // A reply to an account the owner does not follow is not in the list.
    post(&s, &member, json!({"status": "to a stranger", "in_reply_to_id": stranger_post})).await;
    post(&s, &member, json!({"status": format!("@{} direct", stranger.username), "visibility": "direct"})).await;
    let id = post(&s, &member, json!({"status": "Consulate news"})).await;
    let frame = expect_frame(&mut ws, "update").await;
    assert_eq!(frame["stream"], json!(["list", list]));
    assert_eq!(payload(&frame)["id"], id);

    s.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{id}"), Some(&member.token), Value::Null).await.ok();
    let deleted = expect_frame(&mut ws, "delete").await;
    assert_eq!(deleted["payload"], id);

    // An exclusive list's members leave the owner's home stream too.
    s.call(reqwest::Method::PUT, &format!("/api/v1/lists/{list}"), Some(&owner.token), json!({"exclusive": true}))
        .await
        .ok();
    let mut home = connect(&s, "stream=user", Some(&owner.token)).await;
    let in_list = post(&s, &member, json!({"status": "only in the list"})).await;
    let control = post(&s, &outsider, json!({"status": "at home"})).await;
    assert_eq!(payload(&expect_frame(&mut home, "update").await)["id"], control);
    assert_eq!(payload(&expect_frame(&mut ws, "update").await)["id"], in_list);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_media_streams_carry_only_statuses_with_attachments() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    let mut media_ws = connect(&s, "stream=public:media", Some(&bob.token)).await;
    let mut local_media_ws = connect(&s, "stream=public:local:media", Some(&bob.token)).await;
    post(&s, &alice, json!({"status": "Words only"})).await;
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::new(40, 30))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let part = reqwest::multipart::Part::bytes(png).file_name("a.png");
    let upload = s
        .http
        .post(format!("{}/api/v2/media", s.url))
        .bearer_auth(&alice.token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("upload");
    let media: Value = upload.json().await.expect("media");
    let with_media = post(&s, &alice, json!({"status": "A photograph", "media_ids": [media["id"]]})).await;
    for ws in [&mut media_ws, &mut local_media_ws] {
        let frame = expect_frame(ws, "update").await;
        assert_eq!(payload(&frame)["id"], with_media, "the first update is the one with media: {frame}");
        assert_eq!(payload(&frame)["media_attachments"][0]["id"], media["id"]);
    }
}
