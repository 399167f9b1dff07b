//! Leaks an outsider found by probing `parley serve` (issue 14): what a
//! suspended author, an account awaiting approval, a followers-only or a
//! direct status must not reveal, on every path that showed it.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User, ids};
use parley_core::model::Visibility;
use parley_core::{AccountId, StatusId};
use serde_json::Value;

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
