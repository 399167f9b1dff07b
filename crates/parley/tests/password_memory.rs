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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_parallel_sign_in_attempts_keep_memory_bounded() {
    let s = TestServer::start().await;
    let known = s.user("victim").await;
    // Warm up: the first unknown login makes the dummy hash.
    assert_eq!(sign_in_attempt(&s, "nobody").await, 401);
    let before = peak_rss_kib();
    let started = std::time::Instant::now();
    let mut attempts = tokio::task::JoinSet::new();
    for i in 0..100 {
        let s_url = s.url.clone();
        let http = s.http.clone();
        let client_id = s.app().client_id.clone();
        // Half unknown logins, half a real one with a wrong password.
        let login = if i % 2 == 0 { format!("nobody{i}") } else { known.username.clone() };
        attempts.spawn(async move {
            let form = [
                ("response_type", "code"),
                ("client_id", client_id.as_str()),
                ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
                ("scope", "read"),
                ("login", login.as_str()),
                ("password", "not the password"),
            ];
            http.post(format!("{s_url}/oauth/authorize")).form(&form).send().await.expect("request").status().as_u16()
        });
    }
    while let Some(status) = attempts.join_next().await {
        assert_eq!(status.expect("task"), 401, "every attempt is answered: wrong login or password");
    }
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    eprintln!("100 parallel sign-in attempts: {:?}, peak RSS grew by {grown_mib} MiB", started.elapsed());
    // Unbounded, 100 × 19 MiB would be about 1.9 GiB.
    assert!(grown_mib < 300, "peak RSS grew by {grown_mib} MiB");
}
