//! Timelines and pagination walked page by page through `Link` headers.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, ids};
use serde_json::Value;

#[tokio::test]
async fn public_timeline_pages_exactly_like_mastodon() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let mut posted = Vec::new();
    for i in 0..45 {
        posted.push(s.post_text(&alice, &format!("post {i} #paging"), "public").await);
    }
    s.post_text(&alice, "not listed", "unlisted").await;
    posted.reverse(); // newest first

    let first = s.get("/api/v1/timelines/public?limit=20", None).await;
    assert_eq!(ids(&first.body), posted[..20].to_vec());
    let next = first.link("next").expect("next link");
    assert_eq!(next, format!("{}/api/v1/timelines/public?limit=20&max_id={}", s.url, posted[19]));
    let prev = first.link("prev").expect("prev link");
    assert_eq!(prev, format!("{}/api/v1/timelines/public?limit=20&min_id={}", s.url, posted[0]));

    // Walking "next" visits every public status once, newest first, and stops.
    assert_eq!(s.walk("/api/v1/timelines/public?limit=20", None).await, posted);
    assert_eq!(s.walk("/api/v1/timelines/tag/paging?limit=7", None).await, posted);
    assert_eq!(
        s.walk(&format!("/api/v1/accounts/{}/statuses?limit=40&exclude_replies=1", alice.id), None).await.len(),
        46
    );

    // min_id returns the page just above it; since_id the newest above it.
    let above = s.get(&format!("/api/v1/timelines/public?limit=5&min_id={}", posted[30]), None).await.ok();
    assert_eq!(ids(&above), posted[25..30].to_vec());
    let since = s.get(&format!("/api/v1/timelines/public?limit=5&since_id={}", posted[30]), None).await.ok();
    assert_eq!(ids(&since), posted[..5].to_vec());
    // Walking back with prev from the last page returns to the newest.
    let mut page = s.get(&format!("/api/v1/timelines/public?limit=20&max_id={}", posted[24]), None).await;
    let mut seen = ids(&page.body);
    loop {
        let prev = page.link("prev").expect("prev");
        page = s.get(prev.strip_prefix(&s.url).expect("own url"), None).await;
        let got = ids(&page.body);
        if got.is_empty() {
            break;
        }
        seen.splice(0..0, got);
    }
    assert_eq!(seen, posted, "prev pages lead back to the newest without gaps");
    // An empty page has no Link header.
    let empty = s.get(&format!("/api/v1/timelines/public?min_id={}", posted[0]), None).await;
    assert_eq!(empty.body, Value::Array(vec![]));
    assert!(empty.headers.get("link").is_none());
    // limit is capped at 40.
    let capped = s.get("/api/v1/timelines/public?limit=500", None).await.ok();
    assert_eq!(ids(&capped).len(), 40);
    s.assert_in_step().await;
}

#[tokio::test]
async fn home_timeline_shows_follows_and_respects_mutes_and_blocks() {
    let s = TestServer::start().await;
    let me = s.user("me").await;
    let friend = s.user("friend").await;
    let stranger = s.user("stranger").await;
    let muted = s.user("muted").await;
    s.follow(&me, &friend).await;
    s.follow(&me, &muted).await;
    let mine = s.post_text(&me, "my own", "public").await;
    let f_public = s.post_text(&friend, "friend public", "public").await;
    let f_private = s.post_text(&friend, "friend private", "private").await;
    let f_direct_other = s.post_text(&friend, &format!("@{} secret", stranger.username), "direct").await;
    let f_direct_me = s.post_text(&friend, &format!("@{} secret for me", me.username), "direct").await;
    let reply_to_stranger = s
        .status(&friend, serde_json::json!({"status": "reply", "in_reply_to_id": s.post_text(&stranger, "stranger says", "public").await}))
        .await;
    let m = s.post_text(&muted, "muted voice", "public").await;
    let boost_of_stranger = s.post_text(&stranger, "boost this", "public").await;
    let boost =
        s.post(&format!("/api/v1/statuses/{boost_of_stranger}/reblog"), Some(&friend.token), Value::Null).await.ok();

    let home = ids(&s.get("/api/v1/timelines/home", Some(&me.token)).await.ok());
    assert!(
        home.contains(&mine) && home.contains(&f_public) && home.contains(&f_private) && home.contains(&f_direct_me)
    );
    assert!(home.contains(&m));
    assert!(home.contains(&boost["id"].as_str().expect("id").to_string()), "boosts by follows are in home");
    assert!(!home.contains(&f_direct_other), "a DM to someone else never shows");
    assert!(
        !home.contains(&reply_to_stranger["id"].as_str().expect("id").to_string()),
        "replies to people I don't follow are left out"
    );

    s.post(&format!("/api/v1/accounts/{}/mute", muted.id), Some(&me.token), Value::Null).await.ok();
    let home = ids(&s.get("/api/v1/timelines/home", Some(&me.token)).await.ok());
    assert!(!home.contains(&m), "muted accounts disappear from home");
    s.post(&format!("/api/v1/accounts/{}/block", stranger.id), Some(&me.token), Value::Null).await.ok();
    let home = ids(&s.get("/api/v1/timelines/home", Some(&me.token)).await.ok());
    assert!(!home.contains(&boost["id"].as_str().expect("id").to_string()), "boosts of blocked accounts disappear");
    let public = ids(&s.get("/api/v1/timelines/public", Some(&me.token)).await.ok());
    assert!(!public.contains(&boost_of_stranger));
    // Unfollowing empties the friend's posts from home.
    s.post(&format!("/api/v1/accounts/{}/unfollow", friend.id), Some(&me.token), Value::Null).await.ok();
    let home = ids(&s.get("/api/v1/timelines/home", Some(&me.token)).await.ok());
    assert!(!home.contains(&f_public));
    assert!(home.contains(&mine));
    s.assert_in_step().await;
}

/// Statuses and accounts are rendered once and shared between viewers; each
/// page must still show every status as it is now, with this viewer's marks.
#[tokio::test]
async fn home_pages_show_each_status_as_it_is_now_with_each_viewers_marks() {
    use reqwest::Method;
    let s = TestServer::start().await;
    let embassy = s.user("embassy").await;
    let (bob, carol) = (s.user("bob").await, s.user("carol").await);
    s.follow(&bob, &embassy).await;
    s.follow(&carol, &embassy).await;
    let id = s.post_text(&embassy, "Talks resume at noon", "public").await;
    let newest = |token: &str| {
        let token = token.to_string();
        let s = &s;
        async move {
            let page = s.get("/api/v1/timelines/home", Some(&token)).await.ok();
            page.as_array().and_then(|a| a.first().cloned()).expect("a status")
        }
    };
    for viewer in [&bob, &carol] {
        let first = newest(&viewer.token).await;
        assert_eq!((first["id"].as_str(), first["favourites_count"].as_i64()), (Some(id.as_str()), Some(0)));
        assert_eq!(first["favourited"], false);
    }

    s.post(&format!("/api/v1/statuses/{id}/favourite"), Some(&carol.token), Value::Null).await.ok();
    s.call(
        Method::PUT,
        &format!("/api/v1/statuses/{id}"),
        Some(&embassy.token),
        serde_json::json!({"status": "Talks resume at one"}),
    )
    .await
    .ok();
    s.call(
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&embassy.token),
        serde_json::json!({"display_name": "Embassy of Testland"}),
    )
    .await
    .ok();

    let (for_bob, for_carol) = (newest(&bob.token).await, newest(&carol.token).await);
    for shown in [&for_bob, &for_carol] {
        assert_eq!(shown["favourites_count"], 1);
        assert!(shown["content"].as_str().is_some_and(|c| c.contains("Talks resume at one")), "{shown}");
        assert!(shown["edited_at"].is_string());
        assert_eq!(shown["account"]["display_name"], "Embassy of Testland");
    }
    assert_eq!((&for_bob["favourited"], &for_carol["favourited"]), (&Value::Bool(false), &Value::Bool(true)));
    s.assert_in_step().await;
}

#[tokio::test]
async fn junk_parameters_make_no_new_entries_in_the_anonymous_page_cache() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    for i in 0..3 {
        s.post_text(&alice, &format!("post {i} #junk"), "public").await;
    }
    let plain = s.get("/api/v1/timelines/public?limit=2", None).await;
    let plain_ids = common::ids(&plain.body);
    assert_eq!(plain_ids.len(), 2);
    let tag_ids = common::ids(&s.get("/api/v1/timelines/tag/junk", None).await.ok());
    assert_eq!(tag_ids.len(), 3);
    for i in 0..2000 {
        let r = s.get(&format!("/api/v1/timelines/public?limit=2&x={i}&utm_source=a{i}"), None).await;
        assert_eq!(common::ids(&r.body), plain_ids, "the same answer, whatever else is in the query");
        if i == 0 {
            let next = r.link("next").expect("a next link");
            assert!(!next.contains("x=") && next.contains("limit=2"), "links carry only what means something: {next}");
        }
        let r = s.get(&format!("/api/v1/timelines/tag/junk?junk{i}=1"), None).await;
        assert_eq!(common::ids(&r.body), tag_ids);
    }
    let (entries, bytes) = s.running.pages.size();
    assert!(entries <= 4, "4,000 junk queries, {entries} entries");
    assert!(bytes < 64 * 1024, "{bytes} bytes");
}
