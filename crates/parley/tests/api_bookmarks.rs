//! Bookmarks: bookmarking, the list, `bookmarked` on statuses, and that a
//! bookmark never shows a status its owner may no longer see.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, ids};
use serde_json::Value;

#[tokio::test]
async fn bookmarks_are_marked_listed_newest_first_and_paged() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    let first = s.post_text(&bob, "first", "public").await;
    let second = s.post_text(&bob, "second", "public").await;
    let token = Some(alice.token.as_str());

    let marked = s.post(&format!("/api/v1/statuses/{second}/bookmark"), token, Value::Null).await.ok();
    assert_eq!(marked["bookmarked"], true);
    s.post(&format!("/api/v1/statuses/{first}/bookmark"), token, Value::Null).await.ok();
    s.post(&format!("/api/v1/statuses/{first}/bookmark"), token, Value::Null).await.ok();
    assert_eq!(s.get(&format!("/api/v1/statuses/{first}"), token).await.ok()["bookmarked"], true);
    assert_eq!(s.get(&format!("/api/v1/statuses/{first}"), Some(&bob.token)).await.ok()["bookmarked"], false);

    // Newest bookmark first, whatever the statuses' own order; paged by bookmark.
    assert_eq!(ids(&s.get("/api/v1/bookmarks", token).await.ok()), [first.clone(), second.clone()]);
    assert_eq!(s.walk("/api/v1/bookmarks?limit=1", token).await, [first.clone(), second.clone()]);
    let page = s.get("/api/v1/bookmarks?limit=1", token).await;
    assert!(page.link("next").expect("next").contains("limit=1"));

    let unmarked = s.post(&format!("/api/v1/statuses/{first}/unbookmark"), token, Value::Null).await.ok();
    assert_eq!(unmarked["bookmarked"], false);
    assert_eq!(ids(&s.get("/api/v1/bookmarks", token).await.ok()), [second.as_str()]);
    let home = s.get("/api/v1/timelines/public", token).await.ok();
    let shown: Vec<(Value, Value)> =
        home.as_array().expect("list").iter().map(|st| (st["id"].clone(), st["bookmarked"].clone())).collect();
    assert_eq!(shown, [(second.clone().into(), true.into()), (first.clone().into(), false.into())]);
    s.get("/api/v1/bookmarks", None).await.expect(401);
    s.assert_in_step().await;
}

#[tokio::test]
async fn a_boost_is_bookmarked_as_its_original() {
    let s = TestServer::start().await;
    let (alice, bob, carol) = (s.user("alice").await, s.user("bob").await, s.user("carol").await);
    let original = s.post_text(&bob, "original", "public").await;
    let boost = s.post(&format!("/api/v1/statuses/{original}/reblog"), Some(&carol.token), Value::Null).await.ok();
    let boost = boost["id"].as_str().expect("boost id").to_string();
    let marked = s.post(&format!("/api/v1/statuses/{boost}/bookmark"), Some(&alice.token), Value::Null).await.ok();
    assert_eq!(marked["id"], original.as_str());
    assert_eq!(ids(&s.get("/api/v1/bookmarks", Some(&alice.token)).await.ok()), [original]);
}

#[tokio::test]
async fn a_bookmark_of_a_status_no_longer_visible_is_not_listed_nor_made_again() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    s.follow(&alice, &bob).await;
    let private = s.post_text(&bob, "followers only", "private").await;
    let public = s.post_text(&bob, "for everyone", "public").await;
    let token = Some(alice.token.as_str());
    for id in [&private, &public] {
        s.post(&format!("/api/v1/statuses/{id}/bookmark"), token, Value::Null).await.ok();
    }
    assert_eq!(ids(&s.get("/api/v1/bookmarks", token).await.ok()), [public.clone(), private.clone()]);

    s.post(&format!("/api/v1/accounts/{}/unfollow", bob.id), token, Value::Null).await.ok();
    assert_eq!(ids(&s.get("/api/v1/bookmarks", token).await.ok()), [public.as_str()]);
    s.post(&format!("/api/v1/statuses/{private}/bookmark"), token, Value::Null).await.expect(404);
    s.post(&format!("/api/v1/statuses/{private}/unbookmark"), token, Value::Null).await.expect(404);
    // Nor anyone's bookmark of a status they could never see.
    let eve = s.user("eve").await;
    s.post(&format!("/api/v1/statuses/{private}/bookmark"), Some(&eve.token), Value::Null).await.expect(404);

    // Following again brings it back: the bookmark was kept.
    s.follow(&alice, &bob).await;
    assert_eq!(ids(&s.get("/api/v1/bookmarks", token).await.ok()), [public.clone(), private.clone()]);
}

#[tokio::test]
async fn deleting_a_bookmarked_status_removes_the_bookmark_everywhere() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    let status = s.post_text(&bob, "soon gone", "public").await;
    s.post(&format!("/api/v1/statuses/{status}/bookmark"), Some(&alice.token), Value::Null).await.ok();
    // A favourite goes the same way (its mark in memory was kept before).
    let carol = s.user("carol").await;
    s.post(&format!("/api/v1/statuses/{status}/favourite"), Some(&carol.token), Value::Null).await.ok();
    assert_eq!(s.get(&format!("/api/v1/statuses/{status}"), Some(&carol.token)).await.ok()["favourited"], true);
    // Alice's marks are now in memory.
    assert_eq!(s.get(&format!("/api/v1/statuses/{status}"), Some(&alice.token)).await.ok()["bookmarked"], true);
    s.call(reqwest::Method::DELETE, &format!("/api/v1/statuses/{status}"), Some(&bob.token), Value::Null).await.ok();
    assert_eq!(ids(&s.get("/api/v1/bookmarks", Some(&alice.token)).await.ok()), Vec::<String>::new());
    assert_eq!(ids(&s.get("/api/v1/favourites", Some(&carol.token)).await.ok()), Vec::<String>::new());
    s.assert_in_step().await;
}
