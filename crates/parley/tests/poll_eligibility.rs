//! Poll eligibility (Parley's own): an author may let only accounts of a
//! minimum age, or only accounts of this server, vote. Given on creation as
//! `poll[parley_eligibility][…]` (JSON or form), shown on the Poll entity,
//! enforced on every vote with a clear 422.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User, unique};
use reqwest::Method;
use serde_json::{Value, json};

const TOO_NEW: &str =
    "Validation failed: Your account is too new to vote in this poll (accounts must be at least 7 days old)";
const NOT_LOCAL: &str = "Validation failed: Only accounts on this server may vote in this poll";

/// An account made `days` days ago, with a user token.
async fn aged_user(s: &TestServer, days: i64) -> User {
    let services = &s.running.services;
    let username = unique("aged");
    let account = services
        .ctx
        .store
        .create_account(parley_store::NewAccount {
            username: username.clone(),
            email: format!("{username}@example.org"),
            password_hash: "unusable".into(),
            display_name: String::new(),
            role: parley_core::model::Role::User,
            organisation: None,
            approved: true,
            created_at: Some(chrono::Utc::now() - chrono::Duration::days(days)),
        })
        .await
        .expect("account");
    let app = services.ctx.store.find_app_by_client_id(&s.app().client_id).await.expect("app").expect("app").0;
    let scopes = parley_core::scope::Scopes::parse("read write").expect("scopes");
    let token = services.auth.issue_user_token(&app, account.id, scopes).await.expect("token");
    User { id: account.id.to_string(), username, token }
}

/// Posts a poll with these eligibility fields; returns the status as answered.
async fn poll_with(s: &TestServer, author: &User, eligibility: Value) -> Value {
    s.status(
        author,
        json!({"status": "Who may answer?", "poll": {"options": ["yes", "no"], "expires_in": 3600, "parley_eligibility": eligibility}}),
    )
    .await
}

fn poll_id(status: &Value) -> String {
    status["poll"]["id"].as_str().expect("poll id").to_string()
}

async fn vote(s: &TestServer, voter: &User, poll: &str) -> common::Reply {
    s.post(&format!("/api/v1/polls/{poll}/votes"), Some(&voter.token), json!({"choices": [0]})).await
}

#[tokio::test]
async fn a_minimum_account_age_keeps_new_accounts_out() {
    let s = TestServer::start().await;
    let author = s.user("embassy").await;
    let status = poll_with(&s, &author, json!({"min_account_age_days": 7})).await;
    assert_eq!(status["poll"]["parley_eligibility"], json!({"min_account_age_days": 7, "local_only": false}));
    let poll = poll_id(&status);

    let fresh = s.user("fresh").await;
    let refused = vote(&s, &fresh, &poll).await.expect(422);
    assert_eq!(refused, json!({"error": TOO_NEW}));
    let six_days = aged_user(&s, 6).await;
    assert_eq!(vote(&s, &six_days, &poll).await.expect(422)["error"], TOO_NEW);

    let old = aged_user(&s, 8).await;
    let counted = vote(&s, &old, &poll).await.ok();
    assert_eq!((counted["votes_count"].clone(), counted["voted"].clone()), (json!(1), json!(true)));
    let seen = s.get(&format!("/api/v1/polls/{poll}"), None).await.ok();
    assert_eq!(seen["votes_count"], 1, "refused ballots are not counted");
    assert_eq!(seen["parley_eligibility"]["min_account_age_days"], 7);
    s.assert_in_step().await;
}

#[tokio::test]
async fn polls_are_open_to_all_by_default() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let status =
        s.status(&author, json!({"status": "Anyone?", "poll": {"options": ["a", "b"], "expires_in": 3600}})).await;
    assert_eq!(status["poll"]["parley_eligibility"], json!({"min_account_age_days": null, "local_only": false}));
    // 0 days is no minimum.
    let zero = poll_with(&s, &author, json!({"min_account_age_days": 0})).await;
    let fresh = s.user("fresh").await;
    vote(&s, &fresh, &poll_id(&status)).await.ok();
    vote(&s, &fresh, &poll_id(&zero)).await.ok();
}

#[tokio::test]
async fn eligibility_is_read_from_forms_and_checked() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let form = |age: &'static str| {
        vec![
            ("status", "Form poll"),
            ("poll[options][]", "a"),
            ("poll[options][]", "b"),
            ("poll[expires_in]", "600"),
            ("poll[parley_eligibility][min_account_age_days]", age),
            ("poll[parley_eligibility][local_only]", "1"),
        ]
    };
    let posted = s.form(Method::POST, "/api/v1/statuses", Some(&author.token), &form("30")).await.ok();
    assert_eq!(posted["poll"]["parley_eligibility"], json!({"min_account_age_days": 30, "local_only": true}));
    for bad in ["-1", "3651"] {
        let refused = s.form(Method::POST, "/api/v1/statuses", Some(&author.token), &form(bad)).await.expect(422);
        assert_eq!(
            refused["error"],
            "Validation failed: Poll minimum account age must be a whole number of days from 0 to 3650",
            "{bad}"
        );
    }
    let refused = s.form(Method::POST, "/api/v1/statuses", Some(&author.token), &form("a week")).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let mine = s.get(&format!("/api/v1/accounts/{}/statuses", author.id), None).await.ok();
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "refused polls were not posted");
}

#[tokio::test]
async fn local_only_refuses_accounts_of_other_servers() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let local = s.user("local").await;
    let remote = s.user("remote").await;
    let status = poll_with(&s, &author, json!({"local_only": true})).await;
    let poll = poll_id(&status);
    // No federation yet: mark an account as another server's behind the
    // server's back, then start again so nothing of it is kept in memory.
    // The ID is digits (a Snowflake), so it may stand in the SQL as it is.
    assert!(remote.id.bytes().all(|b| b.is_ascii_digit()), "{}", remote.id);
    let sql = format!("UPDATE accounts SET domain = 'elsewhere.example' WHERE id = {}", remote.id);
    s.running.store.execute_admin_sql(sql).await.expect("remote");
    let s = s.restart().await;

    assert_eq!(vote(&s, &remote, &poll).await.expect(422), json!({"error": NOT_LOCAL}));
    vote(&s, &local, &poll).await.ok();
    s.assert_in_step().await;
}

/// An edit that keeps the question keeps who may vote (the votes were cast
/// under it); one that resets the poll takes the rules sent with it.
#[tokio::test]
async fn edits_keep_or_reset_eligibility_with_the_votes() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let status = poll_with(&s, &author, json!({"min_account_age_days": 7})).await;
    let id = status["id"].as_str().expect("id").to_string();
    let same = s
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{id}"),
            Some(&author.token),
            json!({"status": "Who may answer?", "poll": {"options": ["yes", "no"], "expires_in": 3600}}),
        )
        .await
        .ok();
    assert_eq!(same["poll"]["parley_eligibility"]["min_account_age_days"], 7);
    let reset = s
        .call(
            Method::PUT,
            &format!("/api/v1/statuses/{id}"),
            Some(&author.token),
            json!({"status": "Who may answer?", "poll": {"options": ["yes", "no", "maybe"], "expires_in": 3600, "parley_eligibility": {"local_only": true}}}),
        )
        .await
        .ok();
    assert_eq!(reset["poll"]["parley_eligibility"], json!({"min_account_age_days": null, "local_only": true}));
    s.assert_in_step().await;
}
