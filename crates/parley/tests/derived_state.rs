//! Derived state follows the durable log: what a server shows equals what it
//! recorded, whatever the clients do (hang up right after sending) and
//! whoever wrote (another process, the CLI).

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use std::future::Future;
use std::task::Poll;
use std::time::{Duration, Instant};

use common::{TestServer, User};
use parley_core::{AccountId, PollId, StatusId};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_parley");

/// Sends one HTTP request and resets the connection at once, without reading
/// the answer (a phone that loses its network, a proxy that times out).
async fn send_and_hang_up(addr: std::net::SocketAddr, method: &str, path: &str, token: &str, body: &Value) {
    let body = body.to_string();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let mut rest = request.as_bytes();
    while !rest.is_empty() {
        stream.writable().await.expect("writable");
        match stream.try_write(rest) {
            Ok(n) => rest = &rest[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => panic!("send: {e}"),
        }
    }
    // A few milliseconds: long enough for the server to read the request,
    // not long enough to answer it.
    tokio::time::sleep(Duration::from_millis(2)).await;
    #[allow(deprecated)]
    stream.set_linger(Some(Duration::ZERO)).expect("linger");
    drop(stream);
}

/// Waits until no write is left in flight: the log stops moving.
async fn settle(server: &TestServer) {
    let store = &server.running.services.ctx.store;
    let mut last = store.catch_up().await.expect("catch up");
    loop {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = store.catch_up().await.expect("catch up");
        if now == last {
            return;
        }
        last = now;
    }
}

async fn assert_in_step(server: &TestServer) {
    let differences = server.running.services.check_derived_state().await.expect("check");
    assert!(differences.is_empty(), "derived state differs from the database:\n{}", differences.join("\n"));
}

/// What the story's readers are shown: counts, `voted`, timelines, marks.
async fn served(server: &TestServer, author: &User, poll: &str, liked: &str, voters: &[User]) -> Value {
    let poll_seen = server.get(&format!("/api/v1/polls/{poll}"), Some(&author.token)).await.ok();
    let status = server.get(&format!("/api/v1/statuses/{liked}"), None).await.ok();
    let account = server.get(&format!("/api/v1/accounts/{}", author.id), None).await.ok();
    let mut per_voter = Vec::new();
    for v in voters {
        let p = server.get(&format!("/api/v1/polls/{poll}"), Some(&v.token)).await.ok();
        let s = server.get(&format!("/api/v1/statuses/{liked}"), Some(&v.token)).await.ok();
        let home = server.get("/api/v1/timelines/home?limit=40", Some(&v.token)).await.ok();
        let rel = server.get(&format!("/api/v1/accounts/relationships?id[]={}", author.id), Some(&v.token)).await.ok();
        let home_ids: Vec<Value> = home.as_array().expect("home").iter().map(|s| s["id"].clone()).collect();
        per_voter.push(json!({
            "voted": p["voted"], "own_votes": p["own_votes"], "favourited": s["favourited"],
            "following": rel[0]["following"], "home": home_ids,
        }));
    }
    json!({
        "poll": {"votes_count": poll_seen["votes_count"], "voters_count": poll_seen["voters_count"],
                 "options": poll_seen["options"]},
        "favourites_count": status["favourites_count"],
        "followers_count": account["followers_count"],
        "statuses_count": account["statuses_count"],
        "voters": per_voter,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_clients_that_hang_up_wrote_is_served_exactly_as_after_a_restart() {
    let server = TestServer::start().await;
    let author = server.user("embassy").await;
    let poll_status = server
        .status(
            &author,
            json!({"status": "Which consulate?", "poll": {"options": ["Vladivostok", "Yekaterinburg", "St. Petersburg"], "expires_in": 3600}}),
        )
        .await;
    let poll = poll_status["poll"]["id"].as_str().expect("poll id").to_string();
    let liked = poll_status["id"].as_str().expect("status id").to_string();
    let voters = server.bulk_users("hangup", 120).await;

    // Every voter votes, half favourite, a third follow, a fifth post: each
    // over a connection reset right after sending.
    let addr = server.running.addr;
    let mut sends = tokio::task::JoinSet::new();
    for (i, v) in voters.iter().enumerate() {
        let mut requests = vec![("POST", format!("/api/v1/polls/{poll}/votes"), json!({"choices": [i % 3]}))];
        if i % 2 == 0 {
            requests.push(("POST", format!("/api/v1/statuses/{liked}/favourite"), Value::Null));
        }
        if i % 3 == 0 {
            requests.push(("POST", format!("/api/v1/accounts/{}/follow", author.id), json!({})));
        }
        if i % 5 == 0 {
            requests.push(("POST", "/api/v1/statuses".into(), json!({"status": format!("I voted, says {i}")})));
        }
        for (method, path, body) in requests {
            let token = v.token.clone();
            sends.spawn(async move { send_and_hang_up(addr, method, &path, &token, &body).await });
        }
    }
    while let Some(done) = sends.join_next().await {
        done.expect("send");
    }
    settle(&server).await;
    assert_in_step(&server).await;

    let before = served(&server, &author, &poll, &liked, &voters).await;
    let recorded = server.running.services.ctx.store.poll_state(PollId(poll.parse().expect("id"))).await;
    let ballots = recorded.expect("poll state").expect("poll").ballots.len();
    assert!(ballots > 0, "no vote reached the database: the test sent nothing");
    assert_eq!(before["poll"]["voters_count"], json!(ballots), "served voters differ from recorded ballots");
    let voted = before["voters"].as_array().expect("voters").iter().filter(|v| v["voted"] == true).count();
    assert_eq!(voted, ballots, "voters shown as having voted differ from recorded ballots");

    // The same data directory, served by a new process's worth of state.
    let restarted = server.restart().await;
    let after = served(&restarted, &author, &poll, &liked, &voters).await;
    assert_eq!(before, after, "what was served before a restart differs from what is served after it");
    assert_in_step(&restarted).await;
}

/// Polls a future `polls` times (letting the writer run between polls), then
/// drops it, as axum drops a request's future when its client goes away.
/// Returns whether it completed first.
async fn poll_then_drop<F: Future>(future: F, polls: usize) -> bool {
    let mut future = std::pin::pin!(future);
    for _ in 0..polls {
        let done = std::future::poll_fn(|cx| Poll::Ready(future.as_mut().poll(cx).is_ready())).await;
        if done {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_cancelled_at_any_await_point_leaves_derived_state_in_step() {
    let server = TestServer::start().await;
    let services = &server.running.services;
    let author = server.user("author").await;
    let poll_status = server
        .status(&author, json!({"status": "Cancel?", "poll": {"options": ["yes", "no"], "expires_in": 3600}}))
        .await;
    let poll = PollId(poll_status["poll"]["id"].as_str().expect("poll").parse().expect("id"));
    let liked = StatusId(poll_status["id"].as_str().expect("status").parse().expect("id"));
    let author_id = AccountId(author.id.parse().expect("id"));
    let users = server.bulk_users("cancel", 40).await;
    let mut cancelled = 0;
    for (polls, user) in users.iter().enumerate() {
        let me = services.ctx.store.find_account(AccountId(user.id.parse().expect("id"))).await.expect("find");
        let me = me.expect("account");
        let mut completed = poll_then_drop(services.polls.vote(me.id, poll, &[0]), polls).await;
        completed &= poll_then_drop(services.statuses.favourite(&me, liked), polls).await;
        completed &= poll_then_drop(services.accounts.follow(&me, author_id, Default::default()), polls).await;
        completed &= poll_then_drop(
            services
                .statuses
                .create(&me, parley_app::statuses::CreateStatus { text: "hi".into(), ..Default::default() }),
            polls,
        )
        .await;
        settle(&server).await;
        assert_in_step(&server).await;
        // What the voter is shown is what the database holds.
        let recorded = services.ctx.store.poll_state(poll).await.expect("state").expect("poll");
        let durable = recorded.ballots.iter().any(|(a, _)| *a == me.id);
        let shown = server.get(&format!("/api/v1/polls/{poll}"), Some(&user.token)).await.ok();
        assert_eq!(shown["voted"], json!(durable), "after cancelling at poll {polls}: {shown}");
        assert_eq!(shown["voters_count"], json!(recorded.ballots.len()));
        if completed {
            break;
        }
        cancelled += 1;
    }
    assert!(cancelled > 0, "no write was cancelled: the test did not test cancellation");
}

fn cli(server: &TestServer, args: &[&str]) {
    let out = std::process::Command::new(BIN)
        .args(server.instance_args())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run the parley CLI");
    assert!(
        out.status.success(),
        "parley {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asks `check` until it holds, for at most a second.
async fn within_a_second<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    loop {
        match check().await {
            Ok(()) => return,
            Err(e) if started.elapsed() > Duration::from_secs(1) => {
                panic!("{what}: not served within a second of the CLI's change: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_made_by_the_cli_are_served_within_a_second() {
    let server = TestServer::start().await;
    let embassy = server.user("embassy").await;
    let reader = server.user("reader").await;
    server.follow(&reader, &embassy).await;
    let status =
        server.status(&embassy, json!({"status": "Vote", "poll": {"options": ["a", "b"], "expires_in": 3600}})).await;
    let poll = status["poll"]["id"].as_str().expect("poll").to_string();
    let status_id = status["id"].as_str().expect("id").to_string();
    server.post(&format!("/api/v1/polls/{poll}/votes"), Some(&reader.token), json!({"choices": [1]})).await.ok();
    // Everything below is now in the server's memory.
    let home = server.get("/api/v1/timelines/home", Some(&reader.token)).await.ok();
    assert!(common::ids(&home).contains(&status_id));
    server.get(&format!("/api/v1/polls/{poll}"), None).await.ok();
    server.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), None).await.ok();
    server.get(&format!("/api/v1/accounts/{}", embassy.id), None).await.ok();

    // An organisation label.
    cli(&server, &["admin", "account", "organisation", &embassy.username, "Embassy of Testland"]);
    within_a_second("the organisation label", || async {
        let a = server.get(&format!("/api/v1/accounts/{}", embassy.id), None).await.body;
        let label = a["parley"]["organisation"].as_str().or(a["organisation"].as_str()).map(str::to_string);
        let shown = a.to_string().contains("Embassy of Testland");
        if shown { Ok(()) } else { Err(format!("{label:?} in {a}")) }
    })
    .await;
    assert_in_step(&server).await;

    // A suspension: the poll, its snapshot and the timeline entry go; the token stops working.
    cli(&server, &["admin", "account", "suspend", &embassy.username]);
    within_a_second("the suspension", || async {
        let poll_answer = server.get(&format!("/api/v1/polls/{poll}"), None).await.status.as_u16();
        let snapshot = server.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), None).await.status.as_u16();
        let home = server.get("/api/v1/timelines/home", Some(&reader.token)).await.ok();
        let token = server.get("/api/v1/accounts/verify_credentials", Some(&embassy.token)).await.status.as_u16();
        if poll_answer == 404 && snapshot == 404 && !common::ids(&home).contains(&status_id) && token == 401 {
            Ok(())
        } else {
            Err(format!("poll {poll_answer}, snapshot {snapshot}, home {:?}, token {token}", common::ids(&home)))
        }
    })
    .await;
    assert_in_step(&server).await;

    // Lifted again: everything is back (the old token stays revoked).
    cli(&server, &["admin", "account", "suspend", "--undo", &embassy.username]);
    within_a_second("lifting the suspension", || async {
        let poll_answer = server.get(&format!("/api/v1/polls/{poll}"), None).await.status.as_u16();
        let home = server.get("/api/v1/timelines/home", Some(&reader.token)).await.ok();
        if poll_answer == 200 && common::ids(&home).contains(&status_id) {
            Ok(())
        } else {
            Err(format!("poll {poll_answer}, home {:?}", common::ids(&home)))
        }
    })
    .await;

    // A password reset ends the reader's sessions.
    cli(&server, &["admin", "account", "reset-password", &reader.username, "--password", "a new long passphrase"]);
    within_a_second("the password reset", || async {
        let status = server.get("/api/v1/accounts/verify_credentials", Some(&reader.token)).await.status.as_u16();
        if status == 401 { Ok(()) } else { Err(format!("the old token answered {status}")) }
    })
    .await;
    assert_in_step(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_approved_by_the_cli_can_act_within_a_second() {
    let server = TestServer::start_with(|c| c.registrations.mode = Some(parley_app::RegistrationsMode::Approval)).await;
    let username = common::unique("pending");
    let reply = server
        .post(
            "/api/v1/accounts",
            Some(&server.app().app_token),
            json!({"username": username, "email": format!("{username}@example.org"), "password": "correct horse battery", "agreement": true, "reason": "press office"}),
        )
        .await
        .ok();
    let token = reply["access_token"].as_str().expect("token").to_string();
    let refused = server.post("/api/v1/statuses", Some(&token), json!({"status": "hello"})).await;
    assert_eq!(refused.status.as_u16(), 403, "{}", refused.body);
    cli(&server, &["admin", "account", "approve", &username]);
    within_a_second("the approval", || async {
        let r = server.post("/api/v1/statuses", Some(&token), json!({"status": "hello"})).await;
        if r.status.is_success() { Ok(()) } else { Err(format!("{}: {}", r.status, r.body)) }
    })
    .await;
    assert_in_step(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administrators_can_ask_the_server_to_rebuild_and_compare_its_derived_state() {
    let server = TestServer::start().await;
    let services = &server.running.services;
    let user = server.user("someone").await;
    server.post_text(&user, "warming the caches", "public").await;
    server.get("/api/v1/timelines/home", Some(&user.token)).await.ok();
    let refused = server.get("/api/v1/parley/admin/derived_state", Some(&user.token)).await;
    assert_eq!(refused.status.as_u16(), 403, "{}", refused.body);
    assert_eq!(server.get("/api/v1/parley/admin/derived_state", None).await.status.as_u16(), 401);

    let admin = services.ctx.store.find_account(AccountId(user.id.parse().expect("id"))).await.expect("find");
    let admin = admin.expect("account");
    services
        .accounts
        .admin_update(
            admin.id,
            parley_app::AdminUpdate { role: Some(parley_core::model::Role::Admin), ..Default::default() },
        )
        .await
        .expect("make admin");
    let app = services.ctx.store.find_app_by_client_id(&server.app().client_id).await.expect("app").expect("app").0;
    let scopes = parley_core::scope::Scopes::parse("admin:read").expect("scopes");
    let token = services.auth.issue_user_token(&app, admin.id, scopes).await.expect("token");
    let report = server.get("/api/v1/parley/admin/derived_state", Some(&token)).await.ok();
    assert_eq!(report, json!({"in_step": true, "differences": []}));

    // Rows changed behind the server's back (and no record says so) show up.
    if common::on_postgres() {
        eprintln!("the tampering below writes the SQLite file: not run on PostgreSQL");
        return;
    }
    let db = rusqlite::Connection::open(server.data_dir().join("parley.sqlite3")).expect("open the file");
    db.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
    db.execute("UPDATE accounts SET display_name = 'Tampered' WHERE id = ?1", [admin.id.0]).expect("tamper");
    let report = server.get("/api/v1/parley/admin/derived_state", Some(&token)).await.ok();
    assert_eq!(report["in_step"], json!(false), "{report}");
    assert!(report["differences"].to_string().contains("Tampered"), "{report}");
}
