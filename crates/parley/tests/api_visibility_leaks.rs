//! Leaks an outsider found by probing `parley serve` (issue 14): what a
//! suspended author, an account awaiting approval, a followers-only or a
//! direct status must not reveal, on every path that showed it.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User, ids};
use parley_core::model::Visibility;
use parley_core::{AccountId, StatusId};
use serde_json::{Value, json};

fn account_id(user: &User) -> AccountId {
    AccountId(user.id.parse().expect("numeric account id"))
}

async fn suspend(s: &TestServer, user: &User) {
    let update = parley_app::AdminUpdate { suspended: Some(true), ..Default::default() };
    s.running.services.accounts.admin_update(account_id(user), update).await.expect("suspend");
}

async fn boost(s: &TestServer, booster: &User, id: &str) -> String {
    let boost = s.post(&format!("/api/v1/statuses/{id}/reblog"), Some(&booster.token), Value::Null).await.ok();
    boost["id"].as_str().expect("boost id").to_string()
}

/// The HTML of a web page, as a browser without a session gets it.
async fn page(s: &TestServer, path: &str) -> (u16, String) {
    let resp = s.http.get(format!("{}{path}", s.url)).send().await.expect("request");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

/// Every path that showed a boost: the boost by ID, in `?id[]=`, in the
/// booster's statuses and on the booster's web profile. `shown` is what
/// each should answer; the differences are returned together.
async fn boost_paths(
    s: &TestServer,
    reader: Option<&User>,
    booster: &User,
    boost_id: &str,
    words: &str,
    shown: bool,
) -> Vec<String> {
    let token = reader.map(|r| r.token.as_str());
    let who = reader.map_or("anonymous".to_string(), |r| r.username.clone());
    let mut wrong = Vec::new();
    let by_id = s.get(&format!("/api/v1/statuses/{boost_id}"), token).await.status.as_u16();
    if (by_id == 200) != shown {
        wrong.push(format!("{who}: GET /api/v1/statuses/:boost answered {by_id}"));
    }
    let many = s.get(&format!("/api/v1/statuses?id[]={boost_id}"), token).await.ok();
    if ids(&many).contains(&boost_id.to_string()) != shown {
        wrong.push(format!("{who}: GET /api/v1/statuses?id[]= answered {many}"));
    }
    let listed = s.get(&format!("/api/v1/accounts/{}/statuses", booster.id), token).await.ok();
    if ids(&listed).contains(&boost_id.to_string()) != shown {
        wrong.push(format!("{who}: the booster's statuses are {listed}"));
    }
    if reader.is_none() {
        let (code, html) = page(s, &format!("/@{}", booster.username)).await;
        if code != 200 || html.contains(words) != shown {
            wrong.push(format!("the booster's web profile ({code}) shows the boosted words: {}", !shown));
        }
    }
    wrong
}

#[tokio::test]
async fn a_suspended_authors_status_is_not_shown_through_a_boost_even_after_a_restart() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let booster = s.user("booster").await;
    let reader = s.user("reader").await;
    let words = "words of a soon suspended author";
    let original = s.post_text(&author, words, "public").await;
    let boost_id = boost(&s, &booster, &original).await;
    let mut wrong = Vec::new();
    for reader in [None, Some(&reader)] {
        wrong.extend(boost_paths(&s, reader, &booster, &boost_id, words, true).await);
    }
    assert!(wrong.is_empty(), "before the suspension:\n{}", wrong.join("\n"));

    suspend(&s, &author).await;
    for reader in [None, Some(&reader)] {
        wrong.extend(boost_paths(&s, reader, &booster, &boost_id, words, false).await);
    }
    s.assert_in_step().await;
    let s = s.restart().await;
    for reader in [None, Some(&reader)] {
        wrong.extend(
            boost_paths(&s, reader, &booster, &boost_id, words, false)
                .await
                .into_iter()
                .map(|w| format!("after the restart, {w}")),
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_boost_does_not_show_its_original_to_whom_the_author_blocks() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let booster = s.user("booster").await;
    let blocked = s.user("blocked").await;
    let words = "not for the blocked";
    let original = s.post_text(&author, words, "public").await;
    let boost_id = boost(&s, &booster, &original).await;
    s.post(&format!("/api/v1/accounts/{}/block", blocked.id), Some(&author.token), Value::Null).await.ok();
    let wrong = boost_paths(&s, Some(&blocked), &booster, &boost_id, words, false).await;
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    s.assert_in_step().await;
}

#[tokio::test]
async fn a_public_boost_of_a_followers_only_status_shows_it_to_followers_only() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let booster = s.user("booster").await;
    let follower = s.user("follower").await;
    let stranger = s.user("stranger").await;
    s.follow(&follower, &author).await;
    let words = "for my followers only";
    let original = s.post_text(&author, words, "private").await;
    // The API refuses such a boost; the rows can still exist (written before
    // that rule, or by tools), and reading them must not leak the original.
    let boost = s
        .running
        .services
        .ctx
        .store
        .reblog(parley_store::NewReblog {
            account_id: account_id(&booster),
            status_id: StatusId(original.parse().expect("id")),
            visibility: Visibility::Public,
            app: None,
        })
        .await
        .expect("boost row");
    let boost_id = boost.id.to_string();
    let mut wrong = Vec::new();
    for reader in [None, Some(&stranger)] {
        wrong.extend(boost_paths(&s, reader, &booster, &boost_id, words, false).await);
    }
    wrong.extend(boost_paths(&s, Some(&follower), &booster, &boost_id, words, true).await);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    s.assert_in_step().await;
}

#[tokio::test]
async fn hashtag_search_lists_only_tags_of_statuses_anyone_may_see() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let gone = s.user("gone").await;
    let searcher = s.user("searcher").await;
    s.post_text(&author, "open #sesame", "public").await;
    s.post_text(&author, "quiet #seaside", "unlisted").await;
    s.post_text(&author, "followers know #secretplan", "private").await;
    s.post_text(&author, "between us #secretdate", "direct").await;
    s.post_text(&gone, "soon gone #seized", "public").await;
    suspend(&s, &gone).await;
    for token in [None, Some(searcher.token.as_str()), Some(author.token.as_str())] {
        let found = s.get("/api/v2/search?type=hashtags&q=se", token).await.ok();
        let mut names: Vec<&str> =
            found["hashtags"].as_array().expect("hashtags").iter().map(|t| t["name"].as_str().expect("name")).collect();
        names.sort_unstable();
        assert_eq!(names, ["seaside", "sesame"], "for {token:?}");
    }
    s.assert_in_step().await;
}

/// Registers an account through the API, as a server in approval mode leaves it: waiting.
async fn pending_user(s: &TestServer, username: &str) -> (AccountId, String) {
    let reply = s
        .post(
            "/api/v1/accounts",
            Some(&s.app().app_token),
            json!({"username": username, "email": format!("{username}@example.org"), "password": "long enough pw", "agreement": true}),
        )
        .await
        .ok();
    let token = reply["access_token"].as_str().expect("token").to_string();
    let account = s.running.services.accounts.find_by_username(username).await.expect("account");
    (account.id, token)
}

async fn approve(s: &TestServer, id: AccountId) {
    let update = parley_app::AdminUpdate { approved: Some(true), ..Default::default() };
    s.running.services.accounts.admin_update(id, update).await.expect("approve");
}

/// `user_count` as `/api/v1/instance`, `/api/v2/instance` and nodeinfo say it.
async fn user_counts(s: &TestServer) -> [i64; 3] {
    let v1 = s.get("/api/v1/instance", None).await.ok();
    let v2 = s.get("/api/v2/instance", None).await.ok();
    let nodeinfo = s.get("/nodeinfo/2.0", None).await.ok();
    [
        v1["stats"]["user_count"].as_i64().expect("v1 user_count"),
        v2["usage"]["users"]["active_month"].as_i64().expect("v2 users"),
        nodeinfo["usage"]["users"]["total"].as_i64().expect("nodeinfo users"),
    ]
}

#[tokio::test]
async fn an_account_awaiting_approval_is_gone_for_everyone_else() {
    let s = TestServer::start_with(|c| c.registrations.mode = Some(parley_app::RegistrationsMode::Approval)).await;
    let (member_id, member_token) = pending_user(&s, "member").await;
    approve(&s, member_id).await;
    let before = user_counts(&s).await;
    let (pending, pending_token) = pending_user(&s, "pending").await;

    let mut wrong = Vec::new();
    for token in [None, Some(member_token.as_str())] {
        for path in [
            "/api/v1/accounts/lookup?acct=pending".to_string(),
            format!("/api/v1/accounts/{pending}"),
            format!("/api/v1/accounts/{pending}/statuses"),
        ] {
            let code = s.get(&path, token).await.status.as_u16();
            if code != 404 {
                wrong.push(format!("{path} answered {code}"));
            }
        }
        // Account search needs a token; the v2 search answers anyone.
        let searches: &[&str] = match token {
            Some(_) => &["/api/v1/accounts/search?q=pending", "/api/v2/search?type=accounts&q=pending"],
            None => &["/api/v2/search?type=accounts&q=pending"],
        };
        for path in searches {
            let found = s.get(path, token).await.ok();
            if found.to_string().contains("\"pending\"") {
                wrong.push(format!("{path} found {found}"));
            }
        }
    }
    let (code, _) = page(&s, "/@pending").await;
    if code != 404 {
        wrong.push(format!("the web profile answered {code}"));
    }
    let follow = s.post(&format!("/api/v1/accounts/{pending}/follow"), Some(&member_token), Value::Null).await;
    if follow.status.as_u16() != 404 {
        wrong.push(format!("following answered {}", follow.status));
    }
    let mention = s.post("/api/v1/statuses", Some(&member_token), json!({"status": "hello @pending"})).await.ok();
    if mention["mentions"] != json!([]) {
        wrong.push(format!("the mention resolved: {}", mention["mentions"]));
    }
    let counted = user_counts(&s).await;
    if counted != before {
        wrong.push(format!("user counts went from {before:?} to {counted:?}"));
    }

    // Approved, the account is there for everyone, and no earlier mention reached it.
    approve(&s, pending).await;
    s.get("/api/v1/accounts/lookup?acct=pending", None).await.ok();
    let notes = s.get("/api/v1/notifications", Some(&pending_token)).await.ok();
    if notes != json!([]) {
        wrong.push(format!("the account awaiting approval was notified: {notes}"));
    }
    assert_eq!(user_counts(&s).await, before.map(|n| n + 1));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    s.assert_in_step().await;
}

#[tokio::test]
async fn suspended_accounts_are_not_counted_as_users() {
    let s = TestServer::start().await;
    let _stays = s.user("stays").await;
    let goes = s.user("goes").await;
    let before = user_counts(&s).await;
    suspend(&s, &goes).await;
    assert_eq!(user_counts(&s).await, before.map(|n| n - 1));
}

/// An account's `statuses_count` and `last_status_at`, and a status's `replies_count`.
async fn counters(s: &TestServer, user: &User, status: &str) -> (i64, Value, i64) {
    let account = s.get(&format!("/api/v1/accounts/{}", user.id), None).await.ok();
    let status = s.get(&format!("/api/v1/statuses/{status}"), Some(&user.token)).await.ok();
    (
        account["statuses_count"].as_i64().expect("statuses_count"),
        account["last_status_at"].clone(),
        status["replies_count"].as_i64().expect("replies_count"),
    )
}

#[tokio::test]
async fn counters_leave_out_direct_messages_and_replies_not_shown_publicly() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let replier = s.user("replier").await;
    // Only a direct message: nothing to count, and no last status.
    s.post_text(&replier, &format!("psst @{}", author.username), "direct").await;
    let first = s.post_text(&author, "first", "public").await;
    assert_eq!(counters(&s, &replier, &first).await.0, 0, "a direct message counts as a status");
    assert_eq!(counters(&s, &replier, &first).await.1, Value::Null, "a direct message sets last_status_at");

    let parent = s.post_text(&author, "a thread", "public").await;
    let mut replies = Vec::new();
    for visibility in ["public", "unlisted", "private", "direct"] {
        let reply = s
            .status(&replier, json!({"status": format!("@{} a reply", author.username), "visibility": visibility, "in_reply_to_id": parent}))
            .await;
        replies.push(reply["id"].as_str().expect("id").to_string());
    }
    let (statuses, _, replies_count) = counters(&s, &replier, &parent).await;
    // Mastodon: `statuses_count` leaves out direct messages, `replies_count`
    // counts only replies that are distributable (public and unlisted).
    assert_eq!((statuses, replies_count), (3, 2));

    // The recount agrees with the increments.
    let services = &s.running.services;
    services.ctx.store.recount_account_counters().await.expect("recount");
    assert_eq!(counters(&s, &replier, &parent).await.0, 3, "the recount disagrees");

    // Deleting each reply gives back exactly what it counted.
    let direct_first: Vec<&String> = replies.iter().rev().collect();
    let expected = [(3, 2), (2, 2), (1, 1), (0, 0)];
    for (reply, want) in direct_first.into_iter().zip(expected) {
        s.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{reply}"), Some(&replier.token), Value::Null)
            .await
            .ok();
        let (statuses, _, replies_count) = counters(&s, &replier, &parent).await;
        assert_eq!((statuses, replies_count), want, "after deleting {reply}");
    }
    s.assert_in_step().await;
}

#[tokio::test]
async fn reblogged_by_lists_only_boosts_the_reader_may_see() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let quiet = s.user("quiet").await;
    let loud = s.user("loud").await;
    let follower = s.user("follower").await;
    let stranger = s.user("stranger").await;
    s.follow(&follower, &quiet).await;
    let original = s.post_text(&author, "boost me", "public").await;
    s.post(&format!("/api/v1/statuses/{original}/reblog"), Some(&quiet.token), json!({"visibility": "private"}))
        .await
        .ok();
    s.post(&format!("/api/v1/statuses/{original}/reblog"), Some(&loud.token), Value::Null).await.ok();
    let path = format!("/api/v1/statuses/{original}/reblogged_by");
    for (token, expected) in [
        (None, vec![loud.id.clone()]),
        (Some(&stranger.token), vec![loud.id.clone()]),
        (Some(&follower.token), vec![loud.id.clone(), quiet.id.clone()]),
        (Some(&quiet.token), vec![loud.id.clone(), quiet.id.clone()]),
    ] {
        let listed = s.get(&path, token.map(String::as_str)).await.ok();
        assert_eq!(ids(&listed), expected, "for {token:?}");
    }
    s.assert_in_step().await;
}

#[tokio::test]
async fn a_boost_may_not_be_direct() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let booster = s.user("booster").await;
    let original = s.post_text(&author, "boost me quietly", "public").await;
    let refused = s
        .post(&format!("/api/v1/statuses/{original}/reblog"), Some(&booster.token), json!({"visibility": "direct"}))
        .await
        .expect(422);
    assert_eq!(refused["error"], "Validation failed: Visibility is reserved");
    let listed = s.get(&format!("/api/v1/accounts/{}/statuses", booster.id), Some(&booster.token)).await.ok();
    assert_eq!(listed, json!([]), "a boost was made");
    s.assert_in_step().await;
}

#[tokio::test]
async fn notifications_from_suspended_accounts_are_hidden() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let carol = s.user("carol").await;
    let post = s.post_text(&alice, "notice me", "public").await;
    for user in [&bob, &carol] {
        s.post(&format!("/api/v1/statuses/{post}/favourite"), Some(&user.token), Value::Null).await.ok();
        s.follow(user, &alice).await;
        s.post_text(user, &format!("hello @{}", alice.username), "public").await;
    }
    let all = s.get("/api/v1/notifications", Some(&alice.token)).await.ok();
    let from_bob: Vec<String> = all
        .as_array()
        .expect("notifications")
        .iter()
        .filter(|n| n["account"]["id"] == json!(bob.id))
        .map(|n| n["id"].as_str().expect("id").to_string())
        .collect();
    assert_eq!(from_bob.len(), 3, "{all}");
    suspend(&s, &bob).await;
    let left = s.get("/api/v1/notifications", Some(&alice.token)).await.ok();
    let senders: Vec<&Value> = left.as_array().expect("notifications").iter().map(|n| &n["account"]["id"]).collect();
    assert_eq!(senders, [&json!(carol.id); 3], "{left}");
    for id in from_bob {
        s.get(&format!("/api/v1/notifications/{id}"), Some(&alice.token)).await.expect(404);
    }
    s.assert_in_step().await;
}
