//! Rate limits with Mastodon's numbers and headers, against a real server.
//! Loopback is exempt by default (as in Mastodon), so most tests turn that off.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;

async fn limited_server(trusted: &[&str]) -> TestServer {
    let trusted: Vec<String> = trusted.iter().map(|s| s.to_string()).collect();
    TestServer::start_with(move |c| {
        c.rate_limits.exempt_loopback = false;
        c.rate_limits.trusted_proxies = trusted;
    })
    .await
}

/// Sends `n` anonymous GETs (with extra headers); the statuses, in order.
async fn hammer(s: &TestServer, n: usize, token: Option<&str>, forwarded_for: Option<&str>) -> Vec<reqwest::Response> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut req = s.http.get(format!("{}/api/v1/timelines/public", s.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ip) = forwarded_for {
            req = req.header("x-forwarded-for", ip);
        }
        out.push(req.send().await.expect("request"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_requests_per_ip_then_429_with_mastodons_headers() {
    let s = limited_server(&[]).await;
    let first = &hammer(&s, 1, None, None).await[0];
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["x-ratelimit-limit"], "300");
    let reset = first.headers()["x-ratelimit-reset"].to_str().expect("ascii");
    assert!(chrono::DateTime::parse_from_rfc3339(reset).is_ok(), "{reset}");
    // The harness registered its app from here (one API request) before this one.
    let remaining: usize = first.headers()["x-ratelimit-remaining"].to_str().expect("ascii").parse().expect("number");
    assert_eq!(remaining, 298);
    let answers = hammer(&s, remaining, None, None).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::OK));
    assert_eq!(answers.last().map(|r| r.headers()["x-ratelimit-remaining"].clone()), Some("0".parse().expect("value")));

    let refused = s.http.get(format!("{}/api/v1/timelines/public", s.url)).send().await.expect("request");
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers()["x-ratelimit-remaining"], "0");
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(refused.json::<serde_json::Value>().await.expect("json"), json!({"error": "Too many requests"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_has_its_own_allowance() {
    let limited = limited_server(&[]).await;
    // Accounts and tokens made through the store: nothing counted yet.
    let carol = limited.bulk_users("carol", 2).await;
    let answers = hammer(&limited, 300, Some(&carol[0].token), None).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::OK));
    assert_eq!(hammer(&limited, 1, Some(&carol[0].token), None).await[0].status(), StatusCode::TOO_MANY_REQUESTS);
    // Another token, and anonymous readers from the same address, are still served.
    assert_eq!(hammer(&limited, 1, Some(&carol[1].token), None).await[0].status(), StatusCode::OK);
    assert_eq!(hammer(&limited, 1, None, None).await[0].status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ups_and_sign_in_attempts_are_limited_per_address() {
    let s = limited_server(&[]).await;
    let app = s.app().clone();
    let mut codes = Vec::new();
    for i in 0..6 {
        let r = s
            .post(
                "/api/v1/accounts",
                Some(&app.app_token),
                json!({"username": format!("signup{i}"), "email": format!("signup{i}@example.org"),
                       "password": "correct horse battery", "agreement": true}),
            )
            .await;
        codes.push(r.status.as_u16());
    }
    assert_eq!(codes, vec![200, 200, 200, 200, 200, 429], "5 sign-ups per 30 minutes");

    let mut attempts = Vec::new();
    for _ in 0..26 {
        let r = s
            .form(
                reqwest::Method::POST,
                "/oauth/authorize",
                None,
                &[("client_id", app.client_id.as_str()), ("login", "nobody"), ("password", "wrong")],
            )
            .await;
        attempts.push(r.status.as_u16());
    }
    // The harness's own token request was the first of the 25 attempts.
    assert!(attempts[..24].iter().all(|c| *c == 400), "{attempts:?}");
    assert_eq!(&attempts[24..], &[429, 429], "25 sign-in attempts per 5 minutes: {attempts:?}");
}

/// A sign-in attempt from `ip` (behind the trusted loopback proxy).
async fn sign_in_from(s: &TestServer, ip: &str, path: &str, fields: &[(&str, &str)]) -> u16 {
    let resp = s
        .http
        .post(format!("{}{path}", s.url))
        .header("x-forwarded-for", ip)
        .form(fields)
        .send()
        .await
        .expect("request");
    resp.status().as_u16()
}

/// Wrong passwords for one account from many addresses (none of which hits
/// its own limit) are refused after 25, whatever the path or the case of the
/// login; another account is still served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_attempts_are_limited_per_account_from_any_address() {
    let s = limited_server(&["127.0.0.1/32"]).await;
    let victim = s.user("victim").await;
    let client_id = s.app().client_id.clone();
    let mut answers = Vec::new();
    for i in 0..25 {
        let ip = format!("198.51.100.{i}");
        let login = if i % 2 == 0 { victim.username.clone() } else { victim.username.to_uppercase() };
        let form = [("client_id", client_id.as_str()), ("login", login.as_str()), ("password", "guess")];
        answers.push(sign_in_from(&s, &ip, "/oauth/authorize", &form).await);
    }
    assert!(answers.iter().all(|c| *c == 400 || *c == 401), "wrong passwords answered as such: {answers:?}");
    // The 26th, from yet another address, through the web's form: refused.
    let web = [("login", victim.username.as_str()), ("password", "guess")];
    assert_eq!(sign_in_from(&s, "203.0.113.1", "/auth/sign_in", &web).await, 429);
    // The password grant counts the same login, by its `username`.
    let grant = [
        ("grant_type", "password"),
        ("client_id", client_id.as_str()),
        ("username", victim.username.as_str()),
        ("password", "correct horse battery"),
    ];
    assert_eq!(sign_in_from(&s, "203.0.113.2", "/oauth/token", &grant).await, 429);
    // Another account, from an address already used, is not held up.
    let other = s.user("other").await;
    let form = [("client_id", client_id.as_str()), ("login", other.username.as_str()), ("password", "guess")];
    assert_ne!(sign_in_from(&s, "198.51.100.1", "/oauth/authorize", &form).await, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_account_allowance_is_configurable() {
    let s = TestServer::start_with(|c| {
        c.rate_limits.exempt_loopback = false;
        c.rate_limits.sign_in_attempts_per_account = 3;
    })
    .await;
    let client_id = s.app().client_id.clone();
    let form = [("client_id", client_id.as_str()), ("login", "someone"), ("password", "guess")];
    let mut answers = Vec::new();
    for _ in 0..4 {
        answers.push(s.form(reqwest::Method::POST, "/oauth/authorize", None, &form).await.status.as_u16());
    }
    assert_eq!(&answers[3..], &[429], "{answers:?}");
    assert!(answers[..3].iter().all(|c| *c != 429), "{answers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    // Nobody is trusted: a spoofed X-Forwarded-For changes nothing.
    let s = limited_server(&[]).await;
    let mut answers = Vec::new();
    for i in 0..301 {
        answers.extend(hammer(&s, 1, None, Some(&format!("203.0.113.{}", i % 250))).await);
    }
    assert_eq!(answers.last().map(|r| r.status()), Some(StatusCode::TOO_MANY_REQUESTS));

    // The loopback proxy is trusted: each forwarded client has its own allowance.
    let s = limited_server(&["127.0.0.1/32"]).await;
    let first = hammer(&s, 301, None, Some("198.51.100.7")).await;
    assert_eq!(first.last().map(|r| r.status()), Some(StatusCode::TOO_MANY_REQUESTS));
    let other = hammer(&s, 1, None, Some("198.51.100.8, 127.0.0.1")).await;
    assert_eq!(other[0].status(), StatusCode::OK, "another client behind the proxy is served");
    // IPv6 clients share their /64.
    hammer(&s, 300, None, Some("2001:db8:1:2::1")).await;
    let same_net = hammer(&s, 1, None, Some("2001:db8:1:2:ffff::9")).await;
    assert_eq!(same_net[0].status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_exempt_by_default_and_limits_switch_off() {
    let s = TestServer::start().await;
    let answers = hammer(&s, 320, None, None).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::OK));
    assert!(!answers[0].headers().contains_key("x-ratelimit-limit"), "loopback is not counted");

    let off = TestServer::start_with(|c| {
        c.rate_limits.enabled = false;
        c.rate_limits.exempt_loopback = false;
    })
    .await;
    let answers = hammer(&off, 320, None, None).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::OK));
}
