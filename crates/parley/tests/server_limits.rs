//! Bounded work per connection and request: header-read timeout, connection
//! limit, body size limit, and the byte cap on a status's text.
#![allow(clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::TestServer;
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn a_connection_that_stalls_in_its_request_line_is_closed_after_the_header_timeout() {
    let s = TestServer::start_with(|c| c.http.header_read_timeout_secs = 1).await;
    let mut socket = TcpStream::connect(s.running.addr).await.expect("connect");
    socket.write_all(b"GET /api/v1/inst").await.expect("half a request line");
    let started = Instant::now();
    let mut buf = Vec::new();
    // The server closes the connection (possibly answering 408 first): the read ends.
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the connection was still open after 5 s");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(900) && waited < Duration::from_secs(3), "closed after {waited:?}");
    // An idle keep-alive connection is closed the same way.
    let mut idle = TcpStream::connect(s.running.addr).await.expect("connect");
    idle.write_all(b"GET /api/v1/instance HTTP/1.1\r\nHost: x\r\n\r\n").await.expect("request");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the idle keep-alive connection was still open after 5 s");
    assert!(String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"), "answered first");
}

#[tokio::test]
async fn idle_sockets_beyond_the_connection_limit_do_not_block_a_normal_client() {
    let s = TestServer::start_with(|c| {
        c.http.header_read_timeout_secs = 1;
        c.http.max_connections = 16;
    })
    .await;
    let mut idle = Vec::new();
    for _ in 0..64 {
        let mut socket = TcpStream::connect(s.running.addr).await.expect("connect");
        let _ = socket.write_all(b"G").await;
        idle.push(socket);
    }
    let started = Instant::now();
    let reply = tokio::time::timeout(Duration::from_secs(10), s.get("/api/v1/instance", None)).await;
    let reply = reply.expect("a normal client is served while idle sockets wait to be closed");
    reply.ok();
    assert!(started.elapsed() < Duration::from_secs(8), "served after {:?}", started.elapsed());
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_413_on_every_endpoint() {
    let s = TestServer::start_with(|c| c.http.max_body_bytes = 128 * 1024).await;
    let alice = s.user("alice").await;
    let big = format!("status={}", "a".repeat(200 * 1024));
    // With a length: refused before the handler.
    let r = s
        .raw(Method::POST, "/api/v1/statuses", Some(&alice.token), "application/x-www-form-urlencoded", big.into())
        .await;
    assert_eq!(r.status.as_u16(), 413);
    // A web form too.
    let r =
        s.raw(Method::POST, "/auth/sign_in", None, "application/x-www-form-urlencoded", vec![b'a'; 200 * 1024]).await;
    assert_eq!(r.status.as_u16(), 413);
    // Chunked, without a length: refused while reading, with Mastodon's JSON error.
    let mut socket = TcpStream::connect(s.running.addr).await.expect("connect");
    let head = format!(
        "POST /api/v1/statuses HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nstatus=\r\n",
        alice.token
    );
    socket.write_all(head.as_bytes()).await.expect("head");
    let chunk = format!("2000\r\n{}\r\n", "a".repeat(0x2000));
    for _ in 0..20 {
        // The server may stop reading and answer once the limit is passed.
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = socket.write_all(b"0\r\n\r\n").await;
    let mut answer = vec![0u8; 4096];
    let n =
        tokio::time::timeout(Duration::from_secs(5), socket.read(&mut answer)).await.expect("answer").expect("read");
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("Request body is too large"), "{answer}");
}

#[tokio::test]
async fn a_status_is_capped_in_bytes_whatever_it_counts_as_in_characters() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    // Three long URLs count 3 × 23 characters and take about 6 KB: accepted.
    let url = format!("https://example.com/{}", "a".repeat(2000));
    let text = format!("{url} {url} {url}");
    s.post("/api/v1/statuses", Some(&alice.token), json!({"status": text})).await.ok();
    // One URL of a megabyte counts 23 characters, but is refused.
    let huge = format!("https://example.com/{}", "a".repeat(1_000_000));
    let r = s.post("/api/v1/statuses", Some(&alice.token), json!({"status": huge})).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    assert_eq!(r.body["error"], "Validation failed: Text character limit of 500 exceeded");
    // Just over the cap, well under the body limit: refused by the rule, not the body limit.
    let over = format!("https://example.com/{}", "a".repeat(16 * 1024));
    let r = s.post("/api/v1/statuses", Some(&alice.token), json!({"status": over})).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    // Remote mentions' domains count nothing either.
    let mentions = format!("@bob@{}.example", "d".repeat(20_000));
    let r = s.post("/api/v1/statuses", Some(&alice.token), json!({"status": mentions})).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    s.assert_in_step().await;
}
