//! The web interface, round two (issue 20): the cite page of an ended poll,
//! text that follows the browser's font size, compressed responses, and the
//! pages' live polls on the streaming API's `parley:poll` stream.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::{DateTime, Utc};
use common::TestServer;
use serde_json::{Value, json};

/// A page as a browser without JavaScript fetches it: (status, body).
async fn page(s: &TestServer, path: &str) -> (u16, String) {
    let resp = s.http.get(format!("{}{path}", s.url)).header("accept", "text/html").send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

fn between<'h>(haystack: &'h str, start: &str, end: &str) -> Option<&'h str> {
    let from = haystack.find(start)? + start.len();
    let to = haystack[from..].find(end)? + from;
    Some(&haystack[from..to])
}

#[tokio::test]
async fn the_cite_page_of_an_ended_poll_cites_its_final_results_at_its_end() {
    let s = TestServer::start_with(|c| c.polls.min_expiration = 1).await;
    let author = s.user("embassy").await;
    let voter = s.user("voter").await;
    let question = "Which consulate general should close? A question long enough to be cut short elsewhere: \
                    Vladivostok, Yekaterinburg or St. Petersburg, and why would it matter to anyone";
    let status = s
        .status(
            &author,
            json!({"status": question, "poll": {"options": ["Vladivostok", "Yekaterinburg"], "expires_in": 1}}),
        )
        .await;
    let poll_id = status["poll"]["id"].as_str().expect("poll");
    let ends: DateTime<Utc> = status["poll"]["expires_at"].as_str().expect("end").parse().expect("a time");
    s.post(&format!("/api/v1/polls/{poll_id}/votes"), Some(&voter.token), json!({"choices": [1]})).await.ok();
    // Well after the end: "now" and the end are different seconds.
    tokio::time::sleep(Duration::from_millis(2600)).await;

    let path = format!("/@{}/{}", author.username, status["id"].as_str().expect("id"));
    let (code, body) = page(&s, &format!("{path}/cite")).await;
    assert_eq!(code, 200, "{body}");
    // The question in full and who asked it.
    assert!(body.contains(question), "{body}");
    assert!(body.contains(&format!("@{}", author.username)), "{body}");
    assert!(body.contains("The poll ended on"), "{body}");
    // The citation is of the final results at the end, not today.
    let link = between(&body, "id=\"snapshot-url\" class=\"code-box\" type=\"text\" readonly value=\"", "\"")
        .expect("snapshot link")
        .replace("&#38;", "&");
    let at: DateTime<Utc> = between(&link, "at=", "&")
        .unwrap_or_else(|| link.split("at=").nth(1).unwrap_or_default())
        .replace("%2B", "+")
        .parse()
        .expect("the snapshot's time");
    assert!(at >= ends && at - ends < chrono::Duration::milliseconds(2), "cited at {at}, the poll ended at {ends}");
    let citation = between(&body, "id=\"citation\"", "</textarea>").expect("citation");
    assert!(citation.contains("final results as of"), "{citation}");
    let snapshot = s.get(link.strip_prefix(&s.public).expect("public URL"), None).await.ok();
    assert_eq!(snapshot["snapshot"]["votes_count"], 1);
    // A later moment asked for explicitly is the end too: nothing changed after it.
    let later = (ends + chrono::Duration::seconds(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let (_, again) = page(&s, &format!("{path}/cite?at={later}")).await;
    assert!(again.contains(&link.replace('&', "&#38;")), "the same snapshot");
    // "How to verify" leads to the explanation on this page, not to raw JSON;
    // the long key wraps rather than scrolling a phone's screen sideways.
    assert!(body.contains("#verify\">How to verify</a>"), "{body}");
    assert!(body.contains("id=\"verify\""));
    assert!(body.contains("<code class=\"long-code\">parley verify-snapshot"));
}

#[tokio::test]
async fn text_follows_the_browsers_font_size() {
    let s = TestServer::start().await;
    let (code, home) = page(&s, "/about").await;
    assert_eq!(code, 200);
    let css_path = between(&home, "<link rel=\"stylesheet\" href=\"", "\"").expect("stylesheet");
    let (_, css) = page(&s, css_path).await;
    // Sizes in rem and em follow the reader's setting; a pixel size of the
    // body's font would pin every size derived from it.
    let body_rule = between(&css, "\nbody {", "}").expect("the body rule");
    assert!(body_rule.contains("font: 100%/"), "{body_rule}");
    // (The chart's labels are in the SVG's own units, which scale with the drawing.)
    let pixels = |l: &&str| {
        ["font-size: ", "font: "]
            .iter()
            .any(|p| l.split(p).skip(1).any(|v| v.split([' ', ';']).next().unwrap_or_default().ends_with("px")))
    };
    let pinned: Vec<&str> = css.lines().filter(|l| !l.starts_with(".chart")).filter(pixels).collect();
    assert!(pinned.is_empty(), "font sizes in pixels: {pinned:?}");
}

/// A GET that says which encodings it accepts: (status, headers, raw body).
async fn raw(s: &TestServer, path: &str, accept: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = s.http.get(format!("{}{path}", s.url)).header("accept-encoding", accept).send().await.expect("request");
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    (status, headers, resp.bytes().await.expect("body").to_vec())
}

fn encoding(headers: &reqwest::header::HeaderMap) -> &str {
    headers.get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn text_responses_are_compressed_streams_are_not() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    for i in 0..5 {
        s.post_text(&author, &format!("Post number {i}, with enough words to be worth compressing."), "public").await;
    }
    for path in ["/", "/assets/parley.css", "/api/v1/timelines/public", "/api/v1/instance"] {
        let (code, plain_headers, plain) = raw(&s, path, "identity").await;
        assert_eq!((code, encoding(&plain_headers)), (200, ""), "{path}");
        let (code, headers, gzipped) = raw(&s, path, "gzip").await;
        assert_eq!((code, encoding(&headers)), (200, "gzip"), "{path}");
        assert_eq!(gzipped[..2], [0x1f, 0x8b], "{path}: a gzip stream");
        assert!(gzipped.len() < plain.len(), "{path}: {} bytes of {}", gzipped.len(), plain.len());
        let (_, headers, _) = raw(&s, path, "br;q=1.0, gzip;q=0.5").await;
        assert_eq!(encoding(&headers), "br", "{path}");
    }
    // Below the threshold there is nothing to gain.
    let (_, headers, _) = raw(&s, "/api/v1/streaming/health", "gzip").await;
    assert_eq!(encoding(&headers), "", "a two-byte answer stays as it is");

    // An event stream is never compressed: each event must leave at once.
    let status =
        s.status(&author, json!({"status": "Live?", "poll": {"options": ["yes", "no"], "expires_in": 3600}})).await;
    let poll = status["poll"]["id"].as_str().expect("poll");
    let mut sse = s
        .http
        .get(format!("{}/api/v1/streaming/parley/poll?poll={poll}", s.url))
        .header("accept-encoding", "gzip, br")
        .send()
        .await
        .expect("event stream");
    assert_eq!(sse.status().as_u16(), 200);
    assert_eq!(encoding(sse.headers()), "");
    let first = tokio::time::timeout(Duration::from_secs(5), sse.chunk()).await.expect("in time").expect("chunk");
    let first = String::from_utf8_lossy(&first.expect("data")).to_string();
    assert!(first.starts_with(":"), "an uncompressed comment first: {first}");

    // Nor a WebSocket handshake: the socket still opens and carries frames.
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("{}/api/v1/streaming?stream=parley:poll&poll={poll}", s.url.replace("http://", "ws://"))
        .into_client_request()
        .expect("request");
    request.headers_mut().insert("accept-encoding", "gzip, br".parse().expect("header"));
    let (_ws, response) = tokio_tungstenite::connect_async(request).await.expect("websocket handshake");
    assert_eq!(response.status().as_u16(), 101);
    assert!(response.headers().get("content-encoding").is_none());
}

/// Reads server-sent events (event name, JSON data) until `until` says so or the time is up.
async fn read_events(
    resp: &mut reqwest::Response,
    wait: Duration,
    mut until: impl FnMut(&[(String, Value)]) -> bool,
) -> Vec<(String, Value)> {
    let mut events = Vec::new();
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    while tokio::time::Instant::now() < deadline && !until(&events) {
        let left = deadline - tokio::time::Instant::now();
        match tokio::time::timeout(left, resp.chunk()).await {
            Ok(Ok(Some(bytes))) => {
                buffer.push_str(&String::from_utf8_lossy(&bytes));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    let event = block.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or_default().to_string();
                    if let Some(data) = block.lines().find_map(|l| l.strip_prefix("data: ")) {
                        events.push((event, serde_json::from_str(data).unwrap_or(Value::Null)));
                    }
                }
            }
            _ => break,
        }
    }
    events
}

#[tokio::test]
async fn pages_listen_to_the_streaming_apis_poll_stream_and_end_with_the_final_results() {
    let s = TestServer::start_with(|c| c.polls.min_expiration = 1).await;
    let author = s.user("author").await;
    let voter = s.user("voter").await;
    let status = s
        .status(
            &author,
            json!({"status": "Quick?", "poll": {"options": ["yes", "no"], "expires_in": 2, "hide_totals": true}}),
        )
        .await;
    let poll_id = status["poll"]["id"].as_str().expect("poll").to_string();
    let path = format!("/@{}/{}", author.username, status["id"].as_str().expect("id"));
    // The page marks its live poll and where its final rendering is; the
    // script listens to the streaming API, and the web's own stream is gone.
    let (_, body) = page(&s, &path).await;
    assert!(body.contains(&format!("data-live=\"page\" data-status=\"{path}\"")), "{body}");
    let script_path = between(&body, "<script src=\"", "\"").expect("script");
    let (_, script) = page(&s, script_path).await;
    assert!(script.contains("'/api/v1/streaming/parley/poll?poll='") && !script.contains("/polls/live"));
    let (_, embed) = page(&s, &format!("{path}/embed")).await;
    assert!(embed.contains("data-live=\"embed\""), "{embed}");
    let gone = s.http.get(format!("{}/polls/live?ids={poll_id}", s.url)).send().await.expect("request");
    assert_eq!(gone.status().as_u16(), 404);

    // What a page hears: the Poll entity as anyone sees it (totals hidden while
    // it runs), then a final event with the results when it ends.
    let mut sse = s
        .http
        .get(format!("{}/api/v1/streaming/parley/poll?poll={poll_id}", s.url))
        .send()
        .await
        .expect("event stream");
    assert_eq!(sse.status().as_u16(), 200);
    s.post(&format!("/api/v1/polls/{poll_id}/votes"), Some(&voter.token), json!({"choices": [0]})).await.ok();
    let events =
        read_events(&mut sse, Duration::from_secs(10), |e| e.last().is_some_and(|(_, p)| p["expired"] == true)).await;
    assert!(events.iter().all(|(name, _)| name == "poll.update"), "{events:?}");
    let (first, last) = (&events.first().expect("first").1, &events.last().expect("last").1);
    assert_eq!((first["expired"].as_bool(), first["options"][0]["votes_count"].is_null()), (Some(false), true));
    assert_eq!((last["expired"].as_bool(), last["options"][0]["votes_count"].as_i64()), (Some(true), Some(1)));
    assert!(last["as_of"].is_string() && last.get("own_votes").is_none(), "never who voted: {last}");
    // What the script then fetches to replace the poll: its final results.
    let (_, after) = page(&s, &path).await;
    let section = between(&after, &format!("data-poll=\"{poll_id}\""), "</section>").expect("the poll");
    assert!(section.contains("Final results as of") && section.contains("100%") && !section.contains("data-live"));
}

/// A thread reads as one: a reply names whom it answers, a post's replies
/// come right under it, and the reply form and embed panel after them.
#[tokio::test]
async fn a_thread_names_whom_each_reply_answers_and_keeps_replies_under_the_post() {
    let s = TestServer::start().await;
    let embassy = s.user("embassy").await;
    let reader = s.user("reader").await;
    let first = s.post_text(&embassy, "A statement.", "public").await;
    let more = s.status(&embassy, json!({"status": "And a second part.", "in_reply_to_id": first})).await;
    let more_id = more["id"].as_str().expect("id").to_string();
    let answer =
        s.status(&reader, json!({"status": format!("@{} why?", embassy.username), "in_reply_to_id": more_id})).await;
    let answer_id = answer["id"].as_str().expect("id").to_string();

    let (status, body) = page(&s, &format!("/@{}/{more_id}", embassy.username)).await;
    assert_eq!(status, 200);
    // The author answering themself continues a thread; the reader's reply names the embassy.
    let focus = between(&body, "status-focus", "</article>").expect("the focused post");
    assert!(focus.contains(">Continues a thread</a>"), "{focus}");
    let replies = between(&body, "class=\"thread-replies\"", "</section>").expect("replies");
    assert!(replies.contains(&format!(">In reply to @{}</a>", embassy.username)), "{replies}");
    assert!(replies.contains(&format!("/@{}/{answer_id}", reader.username)), "{replies}");
    // Replies come before the embed panel (and, signed in, the reply form).
    let at = |needle: &str| body.find(needle).unwrap_or_else(|| panic!("{needle} is missing"));
    assert!(at("class=\"thread-replies\"") < at("class=\"panel embed-panel\""));
    assert!(at("status-focus") < at("class=\"thread-replies\""));
}
