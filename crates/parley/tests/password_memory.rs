//! Password checks (Argon2, 19 MiB each) run a few at a time, whatever the
//! number of sign-in attempts: no account is needed to make one. Alone in its
//! file, so the process's peak memory is this test's.
#![allow(clippy::expect_used)]

mod common;

use common::TestServer;

/// The process's peak resident memory so far (Linux), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    line.split_whitespace().nth(1).and_then(|n| n.parse().ok()).expect("a number of KiB")
}

async fn sign_in_attempt(s: &TestServer, login: &str) -> u16 {
    let form = [
        ("response_type", "code"),
        ("client_id", s.app().client_id.as_str()),
        ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
        ("scope", "read"),
        ("login", login),
        ("password", "not the password"),
    ];
    let resp = s.http.post(format!("{}/oauth/authorize", s.url)).form(&form).send().await.expect("request");
    resp.status().as_u16()
}

/// A sign-in request as raw HTTP/1.1 bytes (closing the connection after).
fn raw_attempt(s: &TestServer, login: &str) -> Vec<u8> {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("response_type", "code"),
            ("client_id", s.app().client_id.as_str()),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("scope", "read"),
            ("login", login),
            ("password", "not the password"),
        ])
        .finish();
    format!(
        "POST /oauth/authorize HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_parallel_sign_in_attempts_keep_memory_bounded() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let s = TestServer::start().await;
    let known = s.user("victim").await;
    // Warm up: the first unknown login makes the dummy hash.
    assert_eq!(sign_in_attempt(&s, "nobody").await, 401);
    // Connected and written beforehand, released together: the attempts
    // arrive at once, as from a load generator, not one by one.
    let mut ready = Vec::new();
    for i in 0..100 {
        // Half unknown logins, half a real one with a wrong password.
        let login = if i % 2 == 0 { format!("nobody{i}") } else { known.username.clone() };
        let socket = tokio::net::TcpStream::connect(s.running.addr).await.expect("connect");
        ready.push((socket, raw_attempt(&s, &login)));
    }
    let before = peak_rss_kib();
    let started = std::time::Instant::now();
    let go = std::sync::Arc::new(tokio::sync::Barrier::new(ready.len()));
    let mut attempts = tokio::task::JoinSet::new();
    for (mut socket, request) in ready {
        let go = go.clone();
        attempts.spawn(async move {
            go.wait().await;
            socket.write_all(&request).await.expect("send");
            let mut answer = Vec::new();
            socket.read_to_end(&mut answer).await.expect("answer");
            String::from_utf8_lossy(&answer).lines().next().unwrap_or_default().to_string()
        });
    }
    while let Some(status_line) = attempts.join_next().await {
        let status_line = status_line.expect("task");
        assert!(status_line.starts_with("HTTP/1.1 401"), "wrong login or password: {status_line}");
    }
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    eprintln!("100 parallel sign-in attempts: {:?}, peak RSS grew by {grown_mib} MiB", started.elapsed());
    // Unbounded, 100 × 19 MiB would be about 1.9 GiB.
    assert!(grown_mib < 300, "peak RSS grew by {grown_mib} MiB");
}
