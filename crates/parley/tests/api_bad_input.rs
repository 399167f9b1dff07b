//! Bad input over HTTP: malformed bodies, wrong types, junk IDs, missing or
//! weak tokens, unknown routes, then a seeded storm of random malformed
//! requests. Every refusal must be a 4xx whose body is JSON with a string
//! `error`; nothing may ever be a 5xx, and the server and its database must
//! be sound afterwards.

// Test helpers outside `#[test]` functions are not covered by clippy's
// `allow-expect-in-tests`; here a failed expectation is a failed test.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use reqwest::header::HeaderValue;
use serde_json::{Value, json};

const NOT_FOUND: &str = r#"{"error":"Record not found"}"#;
const INVALID_TOKEN: &str = r#"{"error":"The access token is invalid"}"#;
const OOB: &str = "urn:ietf:wg:oauth:2.0:oob";

/// An answer kept whole, to check its exact bytes and content type.
#[derive(Debug)]
struct Raw {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Raw {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).chars().take(200).collect()
    }

    /// The `error` string of a JSON error body, if that is what this is.
    fn error(&self) -> Option<String> {
        let v: Value = serde_json::from_slice(&self.body).ok()?;
        v.get("error")?.as_str().map(str::to_string)
    }

    /// Asserts a refusal with `status` and a JSON `error`; returns the message.
    fn refused(&self, status: u16, what: &str) -> String {
        assert_eq!(self.status, status, "{what}: {}", self.text());
        assert!(self.content_type.starts_with("application/json"), "{what}: content type {:?}", self.content_type);
        self.error().unwrap_or_else(|| panic!("{what}: no string `error` in {}", self.text()))
    }
}

async fn send(
    s: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Raw {
    let mut req = s.http.request(method, format!("{}{}", s.url, path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let resp = req.body(body).send().await.expect("request");
    let status = resp.status().as_u16();
    let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    Raw { status, content_type, body: resp.bytes().await.expect("body").to_vec() }
}

/// Sends `body` as JSON; `Null` sends no body at all.
async fn json_call(s: &TestServer, method: Method, path: &str, token: Option<&str>, body: &Value) -> Raw {
    if body.is_null() {
        return send(s, method, path, token, None, Vec::new()).await;
    }
    send(s, method, path, token, Some("application/json"), body.to_string().into_bytes()).await
}

async fn get(s: &TestServer, path: &str, token: Option<&str>) -> Raw {
    send(s, Method::GET, path, token, None, Vec::new()).await
}

async fn statuses_count(s: &TestServer, user: &User) -> u64 {
    let me = s.get("/api/v1/accounts/verify_credentials", Some(&user.token)).await.ok();
    me["statuses_count"].as_u64().expect("statuses_count")
}

#[tokio::test]
async fn malformed_json_bodies_are_400() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let own = s.post_text(&alice, "to be edited", "public").await;
    let bodies: [&[u8]; 11] = [
        b"{",
        b"{\"status\": \"hi\"",
        b"not json",
        b"{\"status\": \"hi\",}",
        b"{'status': 'hi'}",
        b"\xff\xfe{\x00}",
        b"[1, 2]",
        b"\"a string\"",
        b"42",
        b"null",
        b"true",
    ];
    let targets = [
        (Method::POST, "/api/v1/statuses".to_string(), Some(alice.token.as_str())),
        (Method::PUT, format!("/api/v1/statuses/{own}"), Some(alice.token.as_str())),
        (Method::POST, format!("/api/v1/statuses/{own}/reblog"), Some(bob.token.as_str())),
        (Method::PATCH, "/api/v1/accounts/update_credentials".to_string(), Some(alice.token.as_str())),
        (Method::POST, format!("/api/v1/accounts/{}/follow", bob.id), Some(alice.token.as_str())),
        (Method::POST, "/api/v1/apps".to_string(), None),
        (Method::POST, "/oauth/token".to_string(), None),
        (Method::POST, "/oauth/revoke".to_string(), None),
    ];
    for (method, path, token) in &targets {
        for body in bodies {
            let what = format!("{method} {path} with {:?}", String::from_utf8_lossy(body));
            send(&s, method.clone(), path, *token, Some("application/json"), body.to_vec()).await.refused(400, &what);
        }
    }
    assert_eq!(statuses_count(&s, &alice).await, 1, "nothing was posted");
    assert_eq!(s.get(&format!("/api/v1/statuses/{own}"), None).await.ok()["content"], "<p>to be edited</p>");
}

#[tokio::test]
async fn parameters_of_the_wrong_type_are_422() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let cases = [
        (json!({"status": "hi", "sensitive": "maybe"}), "sensitive"),
        (json!({"status": {"a": 1}}), "status"),
        (json!({"status": ["a", "b"]}), "status"),
        (json!({"status": "hi", "in_reply_to_id": {"id": 1}}), "in_reply_to_id"),
        (json!({"status": "hi", "visibility": ["public"]}), "visibility"),
        (json!({"status": "hi", "media_ids": {"a": 1}}), "media_ids"),
        (json!({"status": "hi", "sensitive": 2}), "sensitive"),
    ];
    for (body, field) in &cases {
        let msg = json_call(&s, Method::POST, "/api/v1/statuses", Some(&alice.token), body)
            .await
            .refused(422, &body.to_string());
        assert!(msg.contains(field), "{body}: the message names {field}: {msg}");
    }
    let form =
        s.form(Method::POST, "/api/v1/statuses", Some(&alice.token), &[("status", "hi"), ("sensitive", "maybe")]).await;
    assert_eq!(form.status, 422, "{}", form.body);
    assert!(form.body["error"].as_str().is_some_and(|m| m.contains("sensitive")), "{}", form.body);
    for body in [json!({"locked": "perhaps"}), json!({"display_name": {"x": 1}}), json!({"fields_attributes": "nope"})]
    {
        json_call(&s, Method::PATCH, "/api/v1/accounts/update_credentials", Some(&alice.token), &body)
            .await
            .refused(422, &body.to_string());
    }
    for path in [
        "/api/v1/timelines/public?limit=abc".to_string(),
        "/api/v1/timelines/home?limit=abc".to_string(),
        "/api/v1/timelines/public?local=maybe".to_string(),
        format!("/api/v1/accounts/{}/statuses?limit=abc", alice.id),
        format!("/api/v1/accounts/{}/statuses?exclude_replies=perhaps", alice.id),
        "/api/v1/notifications?limit=abc".to_string(),
        "/api/v2/search?q=x&limit=abc".to_string(),
    ] {
        let msg = get(&s, &path, Some(&alice.token)).await.refused(422, &path);
        let field = path
            .split('?')
            .nth(1)
            .and_then(|q| q.rsplit('&').next())
            .and_then(|p| p.split('=').next())
            .unwrap_or_default();
        assert!(msg.contains(field), "{path}: the message names {field}: {msg}");
    }
    assert_eq!(statuses_count(&s, &alice).await, 0, "nothing was posted");
}

#[tokio::test]
async fn unknown_and_malformed_ids_in_paths_are_404() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let junk = ["abc", "-1", "99999999999999999999", "0", "1.5", "1e3", "%20", "%00", "%FF", "0x10", "123456789"];
    let templates: &[(Method, &str)] = &[
        (Method::GET, "/api/v1/statuses/{}"),
        (Method::GET, "/api/v1/statuses/{}/context"),
        (Method::GET, "/api/v1/statuses/{}/history"),
        (Method::GET, "/api/v1/statuses/{}/source"),
        (Method::GET, "/api/v1/statuses/{}/favourited_by"),
        (Method::GET, "/api/v1/statuses/{}/reblogged_by"),
        (Method::POST, "/api/v1/statuses/{}/favourite"),
        (Method::POST, "/api/v1/statuses/{}/unfavourite"),
        (Method::POST, "/api/v1/statuses/{}/reblog"),
        (Method::POST, "/api/v1/statuses/{}/unreblog"),
        (Method::POST, "/api/v1/statuses/{}/pin"),
        (Method::POST, "/api/v1/statuses/{}/unpin"),
        (Method::DELETE, "/api/v1/statuses/{}"),
        (Method::GET, "/api/v1/accounts/{}"),
        (Method::GET, "/api/v1/accounts/{}/statuses"),
        (Method::GET, "/api/v1/accounts/{}/followers"),
        (Method::GET, "/api/v1/accounts/{}/following"),
        (Method::POST, "/api/v1/accounts/{}/follow"),
        (Method::POST, "/api/v1/accounts/{}/unfollow"),
        (Method::POST, "/api/v1/accounts/{}/block"),
        (Method::POST, "/api/v1/accounts/{}/unblock"),
        (Method::POST, "/api/v1/accounts/{}/mute"),
        (Method::POST, "/api/v1/accounts/{}/unmute"),
        (Method::GET, "/api/v1/notifications/{}"),
        (Method::POST, "/api/v1/notifications/{}/dismiss"),
        (Method::POST, "/api/v1/follow_requests/{}/authorize"),
        (Method::POST, "/api/v1/follow_requests/{}/reject"),
    ];
    let mut wrong = Vec::new();
    for (method, template) in templates {
        for id in junk {
            let path = template.replace("{}", id);
            let r = send(&s, method.clone(), &path, Some(&alice.token), None, Vec::new()).await;
            if r.status != 404 || r.body != NOT_FOUND.as_bytes() || !r.content_type.starts_with("application/json") {
                wrong.push(format!("{method} {path} → {} {:?} {}", r.status, r.content_type, r.text()));
            }
        }
    }
    for id in junk {
        let path = format!("/api/v1/statuses/{id}");
        let r = json_call(&s, Method::PUT, &path, Some(&alice.token), &json!({"status": "edited"})).await;
        if r.status != 404 || r.body != NOT_FOUND.as_bytes() {
            wrong.push(format!("PUT {path} → {} {:?} {}", r.status, r.content_type, r.text()));
        }
    }
    assert!(wrong.is_empty(), "{} answer(s) other than 404 {NOT_FOUND}:\n  {}", wrong.len(), wrong.join("\n  "));

    // An ID in a body names nothing the same way.
    for id in ["abc", "-1", "0", "99999999999999999999", "123456789"] {
        json_call(
            &s,
            Method::POST,
            "/api/v1/statuses",
            Some(&alice.token),
            &json!({"status": "hi", "in_reply_to_id": id}),
        )
        .await
        .refused(404, &format!("in_reply_to_id {id}"));
    }
    let many = s.get("/api/v1/statuses?id[]=abc&id[]=-1&id[]=0&id[]=99999999999999999999", None).await.expect(200);
    assert_eq!(many, json!([]));
    assert_eq!(statuses_count(&s, &alice).await, 0, "nothing was posted");
}

#[tokio::test]
async fn text_limits_and_visibility_are_validated_with_422() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let post = |body: Value| {
        let (s, token) = (&s, alice.token.clone());
        async move { json_call(s, Method::POST, "/api/v1/statuses", Some(&token), &body).await }
    };
    assert_eq!(post(json!({"status": "a".repeat(500)})).await.status, 200);
    assert_eq!(post(json!({"status": "é".repeat(500)})).await.status, 200, "characters, not bytes, are counted");
    for body in [
        json!({"status": "a".repeat(501)}),
        json!({"status": "é".repeat(501)}),
        json!({"status": "a".repeat(500), "spoiler_text": "b"}),
        json!({"status": "a".repeat(100_000)}),
    ] {
        let msg = post(body).await.refused(422, "over-long status");
        assert!(msg.contains("500"), "the limit is named: {msg}");
    }
    for body in [
        json!({"status": ""}),
        json!({"status": "  \n\t "}),
        json!({}),
        json!({"status": null}),
        json!({"spoiler_text": "only a warning"}),
    ] {
        post(body.clone()).await.refused(422, &format!("empty status {body}"));
    }
    for visibility in ["secret", "PUBLIC", "everyone", "1", "limited "] {
        let msg = post(json!({"status": "hi", "visibility": visibility})).await.refused(422, visibility);
        assert!(msg.to_lowercase().contains("visibility"), "{visibility}: {msg}");
    }
    assert_eq!(statuses_count(&s, &alice).await, 2, "only the two valid statuses were posted");

    let own = s.post_text(&alice, "original", "public").await;
    for body in [json!({"status": "a".repeat(501)}), json!({"status": ""})] {
        json_call(&s, Method::PUT, &format!("/api/v1/statuses/{own}"), Some(&alice.token), &body)
            .await
            .refused(422, "edit");
    }
    json_call(
        &s,
        Method::POST,
        &format!("/api/v1/statuses/{own}/reblog"),
        Some(&alice.token),
        &json!({"visibility": "secret"}),
    )
    .await
    .refused(422, "reblog visibility");
    assert_eq!(s.get(&format!("/api/v1/statuses/{own}"), None).await.ok()["content"], "<p>original</p>");
}

#[tokio::test]
async fn missing_and_invalid_tokens_are_401() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let status = s.post_text(&bob, "hello", "public").await;
    let needs_user: Vec<(Method, String, Value)> = vec![
        (Method::POST, "/api/v1/statuses".into(), json!({"status": "sneaky"})),
        (Method::GET, "/api/v1/timelines/home".into(), Value::Null),
        (Method::GET, "/api/v1/notifications".into(), Value::Null),
        (Method::GET, "/api/v1/accounts/verify_credentials".into(), Value::Null),
        (Method::PATCH, "/api/v1/accounts/update_credentials".into(), json!({"display_name": "x"})),
        (Method::POST, format!("/api/v1/accounts/{}/follow", bob.id), Value::Null),
        (Method::POST, format!("/api/v1/statuses/{status}/favourite"), Value::Null),
        (Method::DELETE, format!("/api/v1/statuses/{status}"), Value::Null),
    ];
    // Anyone may read these, but a token that is sent must be valid.
    let may_read: Vec<(Method, String, Value)> = vec![
        (Method::GET, "/api/v1/timelines/public".into(), Value::Null),
        (Method::GET, format!("/api/v1/statuses/{status}"), Value::Null),
        (Method::GET, format!("/api/v1/accounts/{}/statuses", bob.id), Value::Null),
    ];

    // The harness app issued alice's token, so it may revoke it.
    let revoked = s.user("carol").await;
    let app = s.app();
    s.post(
        "/oauth/revoke",
        None,
        json!({"client_id": app.client_id, "client_secret": app.client_secret, "token": revoked.token}),
    )
    .await
    .expect(200);

    let long = "x".repeat(10_000);
    let bad_tokens = ["not-a-token", "a b c", &long, &revoked.token, &format!("{}x", alice.token)];
    for (method, path, body) in &needs_user {
        let r = json_call(&s, method.clone(), path, None, body).await;
        assert_eq!((r.status, r.text()), (401, INVALID_TOKEN.to_string()), "{method} {path} without a token");
        let r = send(&s, method.clone(), path, None, None, Vec::new()).await;
        assert_eq!((r.status, r.text()), (401, INVALID_TOKEN.to_string()), "{method} {path} without a token or body");
        let mut req =
            s.http.request(method.clone(), format!("{}{path}", s.url)).header("authorization", "Basic YWxpY2U6cHc=");
        if !body.is_null() {
            req = req.json(body);
        }
        let r = req.send().await.expect("request");
        assert_eq!(r.status(), 401, "{method} {path} with Basic credentials");
    }
    for (method, path, body) in needs_user.iter().chain(&may_read) {
        for token in bad_tokens {
            let r = json_call(&s, method.clone(), path, Some(token), body).await;
            assert_eq!(
                (r.status, r.text()),
                (401, INVALID_TOKEN.to_string()),
                "{method} {path} with token {:.20}",
                token
            );
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = json_call(&s, method.clone(), &format!("{path}{sep}access_token=nope"), None, body).await;
        assert_eq!((r.status, r.text()), (401, INVALID_TOKEN.to_string()), "{method} {path}?access_token=nope");
    }
    for (_, path, _) in &may_read {
        s.get(path, None).await.expect(200);
    }
    assert_eq!(statuses_count(&s, &alice).await, 0);
    assert_eq!(statuses_count(&s, &bob).await, 1, "bob's status survived");
}

/// Runs the authorization-code flow for `scope` as `user` and returns the user token.
async fn user_token_with_scope(s: &TestServer, user: &User, app_scopes: &str, scope: &str) -> String {
    let app = s.register_app(app_scopes, OOB).await;
    let page = s
        .http
        .get(format!(
            "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={OOB}&scope={scope}",
            s.url, app.client_id
        ))
        .send()
        .await
        .expect("consent page");
    assert_eq!(page.status(), 200);
    let answer = s
        .http
        .post(format!("{}/oauth/authorize", s.url))
        .form(&[
            ("response_type", "code"),
            ("client_id", app.client_id.as_str()),
            ("redirect_uri", OOB),
            ("scope", scope),
            ("login", user.username.as_str()),
            ("password", "correct horse battery"),
            ("decision", "approve"),
        ])
        .send()
        .await
        .expect("consent");
    assert_eq!(answer.status(), 200);
    let html = answer.text().await.expect("page");
    let marker = "<code class=\"code\" id=\"code\">";
    let start = html.find(marker).unwrap_or_else(|| panic!("no code on the page: {html}")) + marker.len();
    let code = html[start..].split('<').next().expect("code");
    let token = s
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "authorization_code", "redirect_uri": OOB, "code": code, "client_id": app.client_id, "client_secret": app.client_secret}),
        )
        .await
        .ok();
    assert_eq!(token["scope"], scope, "{token}");
    token["access_token"].as_str().expect("token").to_string()
}

#[tokio::test]
async fn tokens_without_the_scope_are_403() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let status = s.post_text(&bob, "hello", "public").await;
    let read_only = user_token_with_scope(&s, &alice, "read", "read").await;
    let statuses_only = user_token_with_scope(&s, &alice, "read write", "write:statuses").await;
    let app_read = s.register_app("read", OOB).await.app_token;

    let writes: Vec<(Method, String, Value)> = vec![
        (Method::POST, "/api/v1/statuses".into(), json!({"status": "nope"})),
        (Method::POST, format!("/api/v1/statuses/{status}/favourite"), Value::Null),
        (Method::POST, format!("/api/v1/statuses/{status}/reblog"), Value::Null),
        (Method::POST, format!("/api/v1/accounts/{}/follow", bob.id), Value::Null),
        (Method::POST, format!("/api/v1/accounts/{}/block", bob.id), Value::Null),
        (Method::PATCH, "/api/v1/accounts/update_credentials".into(), json!({"display_name": "x"})),
        (Method::POST, "/api/v1/notifications/clear".into(), Value::Null),
    ];
    let outside = r#"{"error":"This action is outside the authorized scopes"}"#;
    for (method, path, body) in &writes {
        for (name, token) in [("read user token", &read_only), ("read app token", &app_read)] {
            let r = json_call(&s, method.clone(), path, Some(token), body).await;
            assert_eq!((r.status, r.text()), (403, outside.to_string()), "{method} {path} with a {name}");
        }
    }
    // Reading is what `read` allows.
    s.get("/api/v1/timelines/home", Some(&read_only)).await.expect(200);
    assert_eq!(s.get("/api/v1/accounts/verify_credentials", Some(&read_only)).await.ok()["id"], alice.id.as_str());

    // Granular scopes: `write:statuses` posts, but neither reads nor favourites.
    s.post("/api/v1/statuses", Some(&statuses_only), json!({"status": "granted"})).await.expect(200);
    for (method, path) in [
        (Method::GET, "/api/v1/timelines/home".to_string()),
        (Method::POST, format!("/api/v1/statuses/{status}/favourite")),
    ] {
        let r = send(&s, method.clone(), &path, Some(&statuses_only), None, Vec::new()).await;
        assert_eq!((r.status, r.text()), (403, outside.to_string()), "{method} {path} with write:statuses");
    }

    let me = s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.ok();
    assert_eq!(me["statuses_count"], 1, "only the granted post went through");
    assert_eq!(me["following_count"], 0);
    assert_eq!(s.get(&format!("/api/v1/statuses/{status}"), None).await.ok()["favourites_count"], 0);
}

#[tokio::test]
async fn app_tokens_are_refused_where_a_user_is_needed() {
    let s = TestServer::start().await;
    let bob = s.user("bob").await;
    let status = s.post_text(&bob, "hello", "public").await;
    let app_token = s.app().app_token.clone();
    let user_required = r#"{"error":"This method requires an authenticated user"}"#;
    for (method, path, body) in [
        (Method::POST, "/api/v1/statuses".to_string(), json!({"status": "from an app"})),
        (Method::GET, "/api/v1/timelines/home".to_string(), Value::Null),
        (Method::GET, "/api/v1/notifications".to_string(), Value::Null),
        (Method::GET, "/api/v1/accounts/verify_credentials".to_string(), Value::Null),
        (Method::PATCH, "/api/v1/accounts/update_credentials".to_string(), json!({"display_name": "x"})),
        (Method::POST, format!("/api/v1/accounts/{}/follow", bob.id), Value::Null),
        (Method::POST, format!("/api/v1/statuses/{status}/favourite"), Value::Null),
        (Method::DELETE, format!("/api/v1/statuses/{status}"), Value::Null),
    ] {
        let r = json_call(&s, method.clone(), &path, Some(&app_token), &body).await;
        assert_eq!((r.status, r.text()), (422, user_required.to_string()), "{method} {path} with an app token");
    }
    // An app token reads what anyone may read.
    s.get("/api/v1/timelines/public", Some(&app_token)).await.expect(200);
    s.get(&format!("/api/v1/statuses/{status}"), Some(&app_token)).await.expect(200);
    assert_eq!(statuses_count(&s, &bob).await, 1, "bob's status survived");
}

#[tokio::test]
async fn unknown_routes_and_methods_are_404_json() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    for (method, path) in [
        (Method::GET, "/api/v1/nothing"),
        (Method::GET, "/api/v3/instance"),
        (Method::GET, "/nope"),
        (Method::GET, "/api/v1/statuses/1/nonsense"),
        (Method::GET, "/api/v1/accounts/1/statuses/extra"),
        (Method::POST, "/api/v1/timelines/home"),
        (Method::DELETE, "/api/v1/instance"),
        (Method::PATCH, "/oauth/token"),
        (Method::PUT, "/api/v1/accounts/verify_credentials"),
    ] {
        for token in [None, Some(alice.token.as_str())] {
            let r = send(&s, method.clone(), path, token, None, Vec::new()).await;
            assert_eq!((r.status, r.text()), (404, NOT_FOUND.to_string()), "{method} {path}");
            assert!(r.content_type.starts_with("application/json"), "{method} {path}: {:?}", r.content_type);
        }
    }
}

#[tokio::test]
async fn bad_cursors_are_422_and_a_missing_query_is_400() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let status = s.post_text(&alice, "hello", "public").await;
    let lists = [
        "/api/v1/timelines/public".to_string(),
        "/api/v1/timelines/home".to_string(),
        "/api/v1/timelines/tag/parley".to_string(),
        format!("/api/v1/accounts/{}/statuses", alice.id),
        format!("/api/v1/accounts/{}/followers", alice.id),
        format!("/api/v1/accounts/{}/following", alice.id),
        format!("/api/v1/statuses/{status}/favourited_by"),
        format!("/api/v1/statuses/{status}/reblogged_by"),
        "/api/v1/notifications".to_string(),
    ];
    for list in &lists {
        for query in
            ["max_id=abc", "since_id=abc", "min_id=1.5", "max_id=99999999999999999999", "min_id=-", "limit=abc"]
        {
            let path = format!("{list}?{query}");
            let msg = get(&s, &path, Some(&alice.token)).await.refused(422, &path);
            let field = query.split('=').next().unwrap_or_default();
            assert!(msg.contains(field), "{path}: the message names {field}: {msg}");
        }
        // An empty cursor is an absent one.
        let r = get(&s, &format!("{list}?max_id=&since_id=&min_id="), Some(&alice.token)).await;
        assert_eq!(r.status, 200, "{list}: {}", r.text());
    }
    let msg = get(&s, "/api/v2/search", Some(&alice.token)).await.refused(400, "search without q");
    assert!(msg.contains('q'), "{msg}");
}

/// Runs the calling test again in a child process, so that a server that
/// aborts (a stack overflow cannot be caught) fails this test alone rather
/// than the whole binary. Returns true in the child, which does the work.
fn in_child_process(test: &str) -> bool {
    const CHILD: &str = "PARLEY_TEST_CHILD";
    if std::env::var(CHILD).is_ok_and(|t| t == test) {
        return true;
    }
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .output()
        .expect("child test process");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(60).collect::<Vec<_>>().into_iter().rev().collect();
    assert!(out.status.success(), "{test} failed in its child process ({}):\n{}", out.status, tail.join("\n"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed"), "the child ran {test}");
    false
}

#[tokio::test]
async fn deeply_nested_parameters_are_refused_without_harm() {
    if !in_child_process("deeply_nested_parameters_are_refused_without_harm") {
        return;
    }
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    // Rails (Rack) refuses parameters nested deeper than 32 levels; shallow nesting is fine.
    let shallow = format!("{}=x&status=hi", deep_key("poll", 10));
    let r = send(
        &s,
        Method::POST,
        "/api/v1/statuses",
        Some(&alice.token),
        Some("application/x-www-form-urlencoded"),
        shallow.into_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    // 12,000 levels is about 36 KB of URL, under the 64 KB a URI may have.
    for depth in [5_000, 12_000] {
        let key = deep_key("a", depth);
        // Without a token: a query string, a form body and a multipart field.
        let r = get(&s, &format!("/api/v1/timelines/public?{key}=1"), None).await;
        assert!(
            (400..500).contains(&r.status) && r.error().is_some(),
            "query nested {depth} deep: {} {}",
            r.status,
            r.text()
        );
        let r = send(
            &s,
            Method::POST,
            "/api/v1/apps",
            None,
            Some("application/x-www-form-urlencoded"),
            format!("{key}=1&client_name=x").into_bytes(),
        )
        .await;
        assert!(
            (400..500).contains(&r.status) && r.error().is_some(),
            "form nested {depth} deep: {} {}",
            r.status,
            r.text()
        );
        let multipart = format!("--B\r\nContent-Disposition: form-data; name=\"{key}\"\r\n\r\n1\r\n--B--\r\n");
        let r = send(
            &s,
            Method::POST,
            "/api/v1/apps",
            None,
            Some("multipart/form-data; boundary=B"),
            multipart.into_bytes(),
        )
        .await;
        assert!(
            (400..500).contains(&r.status) && r.error().is_some(),
            "multipart nested {depth} deep: {} {}",
            r.status,
            r.text()
        );
    }
    s.get("/api/v1/timelines/public", None).await.expect(200);
}

// ---------------------------------------------------------------------------
// The storm: random malformed requests at every kind of endpoint.

/// One generated request.
#[derive(Debug, Clone)]
struct Probe {
    method: Method,
    path: String,
    content_type: Option<HeaderValue>,
    body: Vec<u8>,
    token: Option<String>,
    /// False for the HTML sign-in pages, whose refusals are pages, not JSON.
    json_errors: bool,
}

impl Probe {
    fn summary(&self) -> String {
        let body: String = String::from_utf8_lossy(&self.body[..self.body.len().min(80)]).escape_debug().collect();
        let path: String = self.path.chars().take(120).collect();
        format!("{} {path} [{:?}, {} bytes: {body}]", self.method, self.content_type, self.body.len())
    }
}

const ENDPOINTS: &[(&str, &str)] = &[
    ("POST", "/api/v1/statuses"),
    ("PUT", "/api/v1/statuses/{s}"),
    ("GET", "/api/v1/statuses/{s}"),
    ("DELETE", "/api/v1/statuses/{s}"),
    ("GET", "/api/v1/statuses/{s}/context"),
    ("GET", "/api/v1/statuses/{s}/favourited_by"),
    ("POST", "/api/v1/statuses/{s}/favourite"),
    ("POST", "/api/v1/statuses/{s}/reblog"),
    ("POST", "/api/v1/statuses/{s}/pin"),
    ("GET", "/api/v1/statuses"),
    ("GET", "/api/v1/timelines/public"),
    ("GET", "/api/v1/timelines/home"),
    ("GET", "/api/v1/timelines/tag/{t}"),
    ("GET", "/api/v1/accounts/{a}"),
    ("GET", "/api/v1/accounts/{a}/statuses"),
    ("POST", "/api/v1/accounts/{a}/follow"),
    ("POST", "/api/v1/accounts/{a}/mute"),
    ("PATCH", "/api/v1/accounts/update_credentials"),
    ("POST", "/api/v1/accounts"),
    ("GET", "/api/v1/accounts"),
    ("GET", "/api/v1/accounts/relationships"),
    ("GET", "/api/v1/accounts/lookup"),
    ("GET", "/api/v1/accounts/search"),
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/notifications/{s}"),
    ("GET", "/api/v2/search"),
    ("POST", "/api/v1/apps"),
    ("GET", "/api/v1/apps/verify_credentials"),
    ("POST", "/oauth/token"),
    ("POST", "/oauth/revoke"),
    ("GET", "/oauth/authorize"),
    ("POST", "/oauth/authorize"),
    ("GET", "/api/v1/instance"),
    ("GET", "/api/v2/instance"),
];

const JUNK_IDS: &[&str] = &[
    "abc",
    "-1",
    "0",
    "99999999999999999999",
    "%FF",
    "%00",
    "%2F",
    "1.0",
    "%E2%80%AE1",
    "9223372036854775807",
    "-9223372036854775808",
];
const PARAM_NAMES: &[&str] = &[
    "status",
    "visibility",
    "sensitive",
    "spoiler_text",
    "in_reply_to_id",
    "media_ids[]",
    "language",
    "limit",
    "max_id",
    "since_id",
    "min_id",
    "local",
    "q",
    "type",
    "id[]",
    "types[]",
    "exclude_types[]",
    "acct",
    "username",
    "email",
    "password",
    "agreement",
    "locale",
    "display_name",
    "note",
    "locked",
    "fields_attributes[0][name]",
    "fields_attributes[][value]",
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "redirect_uri",
    "redirect_uris",
    "scope",
    "scopes",
    "client_name",
    "token",
    "response_type",
    "decision",
    "login",
    "poll[options][]",
];
const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/activity+json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=XyZ",
    "text/plain",
    "text/json",
    "application/octet-stream",
    "image/png",
    "*/*",
    "",
    "application/json; charset=utf-16",
];

fn junk_value(rng: &mut StdRng) -> String {
    match rng.gen_range(0..12) {
        0 => String::new(),
        1 => "abc".into(),
        2 => "-1".into(),
        3 => "99999999999999999999999999".into(),
        4 => "1e400".into(),
        5 => "NaN".into(),
        6 => "9".repeat(rng.gen_range(1..600)),
        7 => "\u{0}\u{202e}\u{fffd}😀".into(),
        8 => "%FF%zz%".into(),
        9 => "a".repeat(rng.gen_range(400..20_000)),
        10 => "true".into(),
        _ => random_text(rng, 40),
    }
}

fn random_text(rng: &mut StdRng, max: usize) -> String {
    let len = rng.gen_range(0..max);
    (0..len).map(|_| char::from_u32(rng.gen_range(0..0x3000)).unwrap_or('?')).collect()
}

fn random_bytes(rng: &mut StdRng, max: usize) -> Vec<u8> {
    let len = rng.gen_range(0..max);
    (0..len).map(|_| rng.r#gen::<u8>()).collect()
}

/// A JSON value of random shape and type, `depth` levels at most.
fn random_json(rng: &mut StdRng, depth: u32) -> Value {
    match rng.gen_range(0..if depth == 0 { 5 } else { 7 }) {
        0 => Value::Null,
        1 => json!(rng.gen_bool(0.5)),
        2 => json!(rng.r#gen::<i64>()),
        3 => json!(rng.r#gen::<f64>() * 1e300),
        4 => json!(junk_value(rng)),
        5 => Value::Array((0..rng.gen_range(0..4)).map(|_| random_json(rng, depth - 1)).collect()),
        _ => Value::Object(
            (0..rng.gen_range(0..4))
                .map(|_| ((*PARAM_NAMES.choose(rng).expect("names")).to_string(), random_json(rng, depth - 1)))
                .collect(),
        ),
    }
}

/// `a[b][b]…` with `depth` brackets.
fn deep_key(name: &str, depth: usize) -> String {
    let mut key = String::with_capacity(name.len() + depth * 3);
    key.push_str(name);
    for _ in 0..depth {
        key.push_str("[b]");
    }
    key
}

fn random_query(rng: &mut StdRng) -> String {
    let pairs: Vec<String> = (0..rng.gen_range(1..6))
        .map(|_| {
            let key = if rng.gen_bool(0.15) {
                deep_key(PARAM_NAMES.choose(rng).expect("names"), rng.gen_range(1..300))
            } else {
                (*PARAM_NAMES.choose(rng).expect("names")).to_string()
            };
            let value: String = junk_value(rng).chars().take(300).collect();
            format!(
                "{key}={}",
                if rng.gen_bool(0.5) { value.replace(['&', '#', ' '], "") } else { percent_encode(&value) }
            )
        })
        .collect();
    pairs.join("&")
}

/// Every byte but unreserved ASCII as `%XX`.
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A body and its content type: the part of the storm that tries hardest.
fn random_body(rng: &mut StdRng) -> (Option<HeaderValue>, Vec<u8>) {
    let pick = |rng: &mut StdRng| HeaderValue::from_static(CONTENT_TYPES.choose(rng).expect("types"));
    let json_ct = Some(HeaderValue::from_static("application/json"));
    let form_ct = Some(HeaderValue::from_static("application/x-www-form-urlencoded"));
    match rng.gen_range(0..12) {
        0 => (Some(pick(rng)), random_bytes(rng, 2048)),
        1 => {
            let whole = random_json(rng, 4).to_string();
            let cut = rng.gen_range(0..=whole.len());
            (json_ct, whole.as_bytes()[..cut].to_vec())
        }
        2 => (Some(pick(rng)), random_json(rng, 4).to_string().into_bytes()),
        3 => {
            let depth = rng.gen_range(100..5000);
            let open = if rng.gen_bool(0.5) { "[" } else { "{\"a\":" };
            let close = if open == "[" { "]" } else { "}" };
            (json_ct, format!("{}1{}", open.repeat(depth), close.repeat(depth)).into_bytes())
        }
        4 => {
            let depth = *[10, 500, 5_000, 50_000].choose(rng).expect("depths");
            let name = PARAM_NAMES.choose(rng).expect("names").split('[').next().unwrap_or("a");
            (form_ct, format!("{}=x&status=hi", deep_key(name, depth)).into_bytes())
        }
        5 => {
            let pairs: Vec<String> = (0..rng.gen_range(0..20))
                .map(|_| format!("{}={}", PARAM_NAMES.choose(rng).expect("names"), junk_value(rng)))
                .collect();
            let mut body = pairs.join(if rng.gen_bool(0.8) { "&" } else { "&&=&" }).into_bytes();
            body.extend(random_bytes(rng, 16));
            (if rng.gen_bool(0.7) { form_ct } else { None }, body)
        }
        6 => multipart(rng),
        7 => (Some(HeaderValue::from_static("multipart/form-data")), random_bytes(rng, 512)),
        8 => {
            // Huge but well-formed.
            let big = "x".repeat(rng.gen_range(10_000..900_000));
            let field = PARAM_NAMES.choose(rng).expect("names").split('[').next().unwrap_or("status");
            (json_ct, json!({ field: big, "limit": "9".repeat(400) }).to_string().into_bytes())
        }
        9 => (json_ct, vec![b'a'; 1024 * 1024 + rng.gen_range(1..1000)]),
        10 => {
            let bytes: Vec<u8> = [b"application/json; charset=".as_slice(), &[0x80, 0xfe, b'x']].concat();
            (HeaderValue::from_bytes(&bytes).ok(), random_json(rng, 3).to_string().into_bytes())
        }
        _ => (Some(pick(rng)), Vec::new()),
    }
}

/// Multipart bodies that are wrong in one way or another.
fn multipart(rng: &mut StdRng) -> (Option<HeaderValue>, Vec<u8>) {
    let boundary = "BoUnDaRy";
    let ct = Some(HeaderValue::from_str(&format!("multipart/form-data; boundary={boundary}")).expect("header"));
    let mut body = Vec::new();
    for _ in 0..rng.gen_range(0..5) {
        body.extend(format!("--{boundary}\r\n").as_bytes());
        match rng.gen_range(0..5) {
            0 => body.extend(format!("Content-Disposition: form-data; name=\"{}\"\r\n\r\n", PARAM_NAMES.choose(rng).expect("names")).as_bytes()),
            1 => body.extend(b"Content-Disposition: form-data\r\n\r\n"),
            2 => body.extend(format!("Content-Disposition: form-data; name=\"{}\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n", deep_key("a", rng.gen_range(1..200))).as_bytes()),
            3 => body.extend(b"garbage header without colon\r\n\r\n"),
            _ => {}
        }
        if rng.gen_bool(0.5) {
            body.extend(random_bytes(rng, 300));
        } else {
            body.extend(junk_value(rng).as_bytes());
        }
        body.extend(b"\r\n");
    }
    if rng.gen_bool(0.5) {
        body.extend(format!("--{boundary}--\r\n").as_bytes());
    }
    (ct, body)
}

fn random_probe(rng: &mut StdRng, status: &str, account: &str, tokens: &[Option<String>]) -> Probe {
    let (method, template) = *ENDPOINTS.choose(rng).expect("endpoints");
    let mut path = template.to_string();
    for (slot, real) in [("{s}", status), ("{a}", account), ("{t}", "parley")] {
        let id = if rng.gen_bool(0.6) { real.to_string() } else { (*JUNK_IDS.choose(rng).expect("ids")).to_string() };
        path = path.replace(slot, &id);
    }
    if rng.gen_bool(0.5) {
        path.push('?');
        path.push_str(&random_query(rng));
    }
    let method = if rng.gen_bool(0.05) { Method::OPTIONS } else { method.parse().expect("method") };
    let (content_type, body) =
        if method == Method::GET && rng.gen_bool(0.7) { (None, Vec::new()) } else { random_body(rng) };
    Probe {
        method,
        json_errors: !path.starts_with("/oauth/authorize"),
        path,
        content_type,
        body,
        token: tokens.choose(rng).cloned().flatten(),
    }
}

/// Sends one probe; `Err` describes what broke the rule.
async fn fire(http: reqwest::Client, base: String, probe: Probe) -> Result<(), String> {
    let mut req = http.request(probe.method.clone(), format!("{base}{}", probe.path)).body(probe.body.clone());
    if let Some(ct) = &probe.content_type {
        req = req.header("content-type", ct.clone());
    }
    if let Some(t) = &probe.token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.map_err(|e| format!("{}: no answer ({e:?})", probe.summary()))?;
    let status = resp.status().as_u16();
    let body = resp.bytes().await.map_err(|e| format!("{}: body cut ({e})", probe.summary()))?;
    let shown: String = String::from_utf8_lossy(&body).chars().take(160).collect();
    if status >= 500 {
        return Err(format!("{} → {status} {shown}", probe.summary()));
    }
    if probe.json_errors && (400..500).contains(&status) {
        let error = serde_json::from_slice::<Value>(&body).ok().and_then(|v| v.get("error").map(Value::is_string));
        if error != Some(true) {
            return Err(format!("{} → {status} without a JSON `error`: {shown}", probe.summary()));
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_malformed_requests_never_breaks_the_server() {
    if !in_child_process("a_storm_of_malformed_requests_never_breaks_the_server") {
        return;
    }
    const PROBES: usize = 500;
    const BATCH: usize = 25;
    let seed: u64 = std::env::var("PARLEY_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_ba5e);
    let mut rng = StdRng::seed_from_u64(seed);

    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let status = s.post_text(&bob, "a target for the storm", "public").await;
    let tokens = [None, Some(alice.token.clone()), Some(s.app().app_token.clone()), Some("garbage-token".to_string())];

    // A fresh connection per probe: a connection the server closes after an
    // unread body must not make the next probe look unanswered.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut failures = Vec::new();
    for _ in 0..PROBES / BATCH {
        let mut batch = tokio::task::JoinSet::new();
        for _ in 0..BATCH {
            let probe = random_probe(&mut rng, &status, &bob.id, &tokens);
            batch.spawn(fire(http.clone(), s.url.clone(), probe));
        }
        while let Some(done) = batch.join_next().await {
            if let Err(e) = done.expect("probe task") {
                // Printed at once too: should the server abort, the child's output keeps them.
                eprintln!("storm failure: {e}");
                failures.push(e);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {PROBES} probes broke the rules:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );

    // The server still works normally, and its database is sound.
    let carol = s.user("carol").await;
    let id = s.post_text(&carol, "still standing", "public").await;
    let read = s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    assert_eq!(read["content"], "<p>still standing</p>");
    assert!(s.walk("/api/v1/timelines/public", None).await.contains(&id));
    // SQLite's page check (PostgreSQL checks its own pages and has no such statement).
    if !common::on_postgres() {
        assert_eq!(s.running.store.integrity_check().await.expect("integrity check"), "ok");
    }
}
