//! What real Mastodon clients trip over: each test is a bug a client hit,
//! checked over HTTP against Mastodon's documented behaviour.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User};
use reqwest::Method;
use serde_json::{Value, json};

/// The IDs of `user`'s notifications of one type, oldest first.
async fn notified(s: &TestServer, user: &User, kind: &str) -> Vec<String> {
    let list = s.get(&format!("/api/v1/notifications?types[]={kind}"), Some(&user.token)).await.ok();
    let mut ids: Vec<String> =
        list.as_array().expect("list").iter().map(|n| n["status"]["id"].as_str().expect("status").into()).collect();
    ids.reverse();
    ids
}

#[tokio::test]
async fn credential_role_carries_permissions_and_highlighted() {
    let s = TestServer::start().await;
    let user = s.user("plain").await;
    let me = s.get("/api/v1/accounts/verify_credentials", Some(&user.token)).await.ok();
    assert_eq!(me["role"], json!({"id": "-99", "name": "", "permissions": "0", "color": "", "highlighted": false}));

    let services = &s.running.services;
    let id = user.id.parse().expect("id");
    services
        .accounts
        .admin_update(id, parley_app::AdminUpdate { role: Some(parley_core::model::Role::Admin), ..Default::default() })
        .await
        .expect("make admin");
    let me = s.get("/api/v1/accounts/verify_credentials", Some(&user.token)).await.ok();
    assert_eq!(me["role"], json!({"id": "3", "name": "Admin", "permissions": "1", "color": "", "highlighted": true}));
    s.assert_in_step().await;
}

#[tokio::test]
async fn non_ascii_hashtags_are_percent_encoded() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let status = s.status(&alice, json!({"status": "#café and #日本 and #plain_tag"})).await;
    let urls: Vec<&str> =
        status["tags"].as_array().expect("tags").iter().map(|t| t["url"].as_str().expect("url")).collect();
    let expected = [
        format!("{}/tags/caf%C3%A9", s.public),
        format!("{}/tags/%E6%97%A5%E6%9C%AC", s.public),
        format!("{}/tags/plain_tag", s.public),
    ];
    assert_eq!(urls, expected);
    let content = status["content"].as_str().expect("content");
    for url in &expected {
        assert!(content.contains(&format!("href=\"{url}\"")), "{content}");
    }
    // The encoded link leads to the hashtag's page.
    let page = s.http.get(format!("{}/tags/caf%C3%A9", s.url)).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("body").contains("café"));
    s.assert_in_step().await;
}

#[tokio::test]
async fn notify_follows_get_status_notifications_as_mastodon_sends_them() {
    let s = TestServer::start().await;
    let (alice, bob, carol, dave) =
        (s.user("alice").await, s.user("bob").await, s.user("carol").await, s.user("dave").await);
    let followed =
        s.post(&format!("/api/v1/accounts/{}/follow", alice.id), Some(&bob.token), json!({"notify": true})).await.ok();
    assert_eq!(followed["notifying"], true);
    s.follow(&carol, &alice).await;

    let public = s.post_text(&alice, "public", "public").await;
    let unlisted = s.post_text(&alice, "unlisted", "unlisted").await;
    let private = s.post_text(&alice, "followers only", "private").await;
    s.post_text(&alice, &format!("@{} a direct message", bob.username), "direct").await;
    let theirs = s.post_text(&dave, "dave speaks", "public").await;
    s.status(&alice, json!({"status": "a reply to dave", "in_reply_to_id": theirs})).await;
    let thread = s.status(&alice, json!({"status": "a thread", "in_reply_to_id": public})).await;
    let thread = thread["id"].as_str().expect("id").to_string();

    assert_eq!(notified(&s, &bob, "status").await, vec![public, unlisted, private, thread]);
    let first = s.get("/api/v1/notifications?types[]=status&limit=1", Some(&bob.token)).await.ok();
    assert_eq!(first[0]["type"], "status");
    assert_eq!(first[0]["account"]["id"], alice.id);
    assert!(notified(&s, &carol, "status").await.is_empty(), "a follow without notify is not notified");
    s.assert_in_step().await;
}

#[tokio::test]
async fn nodeinfo_names_mastodon_upstream() {
    let s = TestServer::start().await;
    let links = s.get("/.well-known/nodeinfo", None).await.ok();
    let rels: Vec<&str> =
        links["links"].as_array().expect("links").iter().map(|l| l["rel"].as_str().expect("rel")).collect();
    assert_eq!(
        rels,
        ["http://nodeinfo.diaspora.software/ns/schema/2.0", "http://nodeinfo.diaspora.software/ns/schema/2.1"]
    );
    let version = s.get("/api/v1/instance", None).await.ok()["version"].clone();
    for v in ["2.0", "2.1"] {
        let info = s.get(&format!("/nodeinfo/{v}"), None).await.ok();
        assert_eq!(info["version"], v);
        assert_eq!(info["software"]["name"], "parley");
        assert_eq!(info["metadata"]["upstream"], json!({"name": "mastodon", "version": version}));
    }
}

#[tokio::test]
async fn the_advertised_about_page_exists() {
    let s = TestServer::start_with(|c| {
        c.instance.title = "Testland Parley".into();
        c.instance.description = "Where officials of Testland answer questions.".into();
        c.instance.contact_email = "press@testland.example".into();
    })
    .await;
    let v2 = s.get("/api/v2/instance", None).await.ok();
    let about = v2["configuration"]["urls"]["about"].as_str().expect("about").to_string();
    assert_eq!(about, format!("{}/about", s.public));
    let page = s.http.get(format!("{}/about", s.url)).header("accept", "text/html").send().await.expect("about");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("body");
    for text in ["Testland Parley", "Where officials of Testland answer questions.", "press@testland.example"] {
        assert!(html.contains(text), "{text} missing from {html}");
    }
}

#[tokio::test]
async fn a_wrongly_typed_token_parameter_is_an_oauth_error() {
    let s = TestServer::start().await;
    let app = s.app().clone();
    // A number is read as the string Rails would make of it: an unknown client.
    let body = json!({"grant_type": "client_credentials", "client_id": 5, "client_secret": app.client_secret});
    let reply = s.post("/oauth/token", None, body).await;
    assert_eq!(reply.status, 401, "{}", reply.body);
    assert_eq!(reply.body["error"], "invalid_client");
    for client_id in [json!({"id": 5}), json!([app.client_id])] {
        let body =
            json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": app.client_secret});
        let reply = s.post("/oauth/token", None, body).await;
        assert_eq!(reply.status, 400, "{}", reply.body);
        assert_eq!(reply.body["error"], "invalid_request");
        assert!(reply.body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{}", reply.body);
    }
    let revoke = s.post("/oauth/revoke", None, json!({"client_id": [1], "token": "x"})).await;
    assert_eq!(revoke.status, 400, "{}", revoke.body);
    assert_eq!(revoke.body["error"], "invalid_request");
}

#[tokio::test]
async fn unknown_api_paths_answer_with_cors_headers() {
    let s = TestServer::start().await;
    for path in ["/api/v1/no_such_thing", "/api/v2/nothing/here", "/nodeinfo/9.9", "/.well-known/nothing"] {
        let reply = s
            .http
            .get(format!("{}{path}", s.url))
            .header("origin", "https://client.example")
            .send()
            .await
            .expect("get");
        assert_eq!(reply.status(), 404, "{path}");
        assert_eq!(reply.headers().get("access-control-allow-origin").map(|v| v.as_bytes()), Some(&b"*"[..]), "{path}");
        let body: Value = reply.json().await.expect("json");
        assert_eq!(body, json!({"error": "Record not found"}), "{path}");
    }
    // A known route with an unknown method, too.
    let reply = s.call(Method::DELETE, "/api/v1/instance", None, Value::Null).await;
    assert_eq!(reply.status, 404);
    // The web's own routes under the API's prefixes still answer.
    let oembed = s.http.get(format!("{}/api/oembed?url={}/nope", s.url, s.public)).send().await.expect("oembed");
    assert_ne!(oembed.status(), 405);
}
