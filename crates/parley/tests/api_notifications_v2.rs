//! Grouped notifications (`/api/v2/notifications`, Mastodon 4.3) and the
//! unread counts, over HTTP against a real server.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User};
use serde_json::{Value, json};

fn account_id(user: &User) -> parley_core::AccountId {
    user.id.parse().expect("account id")
}

async fn favourite(s: &TestServer, user: &User, status: &str) {
    s.post(&format!("/api/v1/statuses/{status}/favourite"), Some(&user.token), Value::Null).await.ok();
}

fn groups(body: &Value) -> Vec<Value> {
    body["notification_groups"].as_array().cloned().expect("notification_groups")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().expect("array").iter().map(|x| x.as_str().expect("string").to_string()).collect()
}

/// Alice's status favourited by three accounts, two follows of her, and two
/// mentions of her by one account: in that order.
async fn busy_alice(s: &TestServer) -> (User, Vec<User>, String) {
    let alice = s.user("alice").await;
    let fans = vec![s.user("fan").await, s.user("fan").await, s.user("fan").await];
    let status = s.post_text(&alice, "What US Consulate General would you close?", "public").await;
    for fan in &fans {
        favourite(s, fan, &status).await;
    }
    s.follow(&fans[0], &alice).await;
    s.follow(&fans[1], &alice).await;
    for text in ["first", "second"] {
        s.post_text(&fans[2], &format!("@{} {text}", alice.username), "public").await;
    }
    (alice, fans, status)
}

#[tokio::test]
async fn favourites_of_one_status_and_follows_are_grouped_mentions_never() {
    let s = TestServer::start().await;
    let (alice, fans, status) = busy_alice(&s).await;
    let body = s.get("/api/v2/notifications", Some(&alice.token)).await.ok();
    let groups = groups(&body);
    let kinds: Vec<&str> = groups.iter().map(|g| g["type"].as_str().expect("type")).collect();
    assert_eq!(kinds, ["mention", "mention", "follow", "favourite"], "newest first, one entry per group");

    let favourites = &groups[3];
    assert_eq!(favourites["notifications_count"], 3);
    assert_eq!(favourites["status_id"], status.as_str());
    let newest_first: Vec<String> = fans.iter().rev().map(|f| f.id.clone()).collect();
    assert_eq!(strings(&favourites["sample_account_ids"]), newest_first);
    let key = favourites["group_key"].as_str().expect("group_key");
    assert!(key.starts_with(&format!("favourite-{status}-")), "{key}");

    let follows = &groups[2];
    assert_eq!(follows["notifications_count"], 2);
    assert_eq!(strings(&follows["sample_account_ids"]), [fans[1].id.clone(), fans[0].id.clone()]);
    assert!(follows.get("status_id").is_none(), "a follow names no status");

    for mention in &groups[0..2] {
        assert_eq!(mention["notifications_count"], 1);
        let key = mention["group_key"].as_str().expect("group_key");
        assert_eq!(key, format!("ungrouped-{}", mention["most_recent_notification_id"].as_str().expect("id")));
        assert_eq!(strings(&mention["sample_account_ids"]), [fans[2].id.clone()]);
    }
    // Each account and status once; the groups name them by ID.
    let mut account_ids = strings(&Value::Array(
        body["accounts"].as_array().expect("accounts").iter().map(|a| a["id"].clone()).collect(),
    ));
    account_ids.sort();
    let mut expected: Vec<String> = fans.iter().map(|f| f.id.clone()).chain([alice.id.clone()]).collect();
    expected.sort();
    assert_eq!(account_ids, expected, "senders and the statuses' authors");
    assert_eq!(body["statuses"].as_array().expect("statuses").len(), 3, "the favourited status and two mentions");
    assert!(body.get("partial_accounts").is_none());
    // Paged lists say where each group's page starts and ends.
    assert_eq!(favourites["page_max_id"], favourites["most_recent_notification_id"]);
    assert!(
        favourites["page_min_id"].as_str().expect("page_min_id") < favourites["page_max_id"].as_str().expect("max")
    );
    assert!(favourites["latest_page_notification_at"].is_string());

    // v1 lists every notification, carrying the same group keys.
    let v1 = s.get("/api/v1/notifications", Some(&alice.token)).await.ok();
    let v1 = v1.as_array().expect("list");
    assert_eq!(v1.len(), 7);
    assert_eq!(v1.iter().filter(|n| n["group_key"] == key).count(), 3);
}

#[tokio::test]
async fn grouped_types_and_type_filters_choose_what_is_grouped_and_listed() {
    let s = TestServer::start().await;
    let (alice, _, _) = busy_alice(&s).await;
    let only_follows = s.get("/api/v2/notifications?grouped_types[]=follow", Some(&alice.token)).await.ok();
    let kinds: Vec<String> =
        groups(&only_follows).iter().map(|g| g["type"].as_str().expect("type").to_string()).collect();
    assert_eq!(kinds, ["mention", "mention", "follow", "favourite", "favourite", "favourite"]);

    let favourites = s.get("/api/v2/notifications?types[]=favourite", Some(&alice.token)).await.ok();
    assert_eq!(groups(&favourites).len(), 1);
    let no_mentions = s.get("/api/v2/notifications?exclude_types[]=mention", Some(&alice.token)).await.ok();
    assert_eq!(groups(&no_mentions).len(), 2);
    let nothing = s.get("/api/v2/notifications?types[]=mention&exclude_types[]=mention", Some(&alice.token)).await;
    assert_eq!(groups(&nothing.ok()).len(), 0);

    let partial = s.get("/api/v2/notifications?expand_accounts=partial_avatars", Some(&alice.token)).await.ok();
    let partial_ids: Vec<&Value> =
        partial["partial_accounts"].as_array().expect("partial_accounts").iter().map(|a| &a["id"]).collect();
    assert_eq!(partial_ids.len(), 1, "the favourites' older senders not already listed in full");
    assert!(partial["partial_accounts"][0]["avatar"].is_string());
    let bad = s.get("/api/v2/notifications?expand_accounts=everything", Some(&alice.token)).await.expect(400);
    assert!(bad["error"].as_str().expect("error").contains("expand_accounts"));
}

#[tokio::test]
async fn pages_hold_one_entry_per_group_and_link_onwards_and_back() {
    let s = TestServer::start().await;
    let (alice, _, _) = busy_alice(&s).await;
    let first = s.get("/api/v2/notifications?limit=2", Some(&alice.token)).await;
    let next = first.link("next").expect("next link");
    assert!(next.contains("limit=2"), "{next}");
    let first = first.ok();
    assert_eq!(groups(&first).iter().map(|g| g["type"].clone()).collect::<Vec<_>>(), ["mention", "mention"]);
    let path = next.strip_prefix(&s.public).expect("public URL").to_string();
    let second = s.get(&path, Some(&alice.token)).await;
    let prev = second.link("prev").expect("prev link");
    let second = second.ok();
    let kinds: Vec<Value> = groups(&second).iter().map(|g| g["type"].clone()).collect();
    assert_eq!(kinds, ["follow", "favourite"]);
    assert_eq!(groups(&second)[1]["notifications_count"], 3, "a group's count covers the group up to the page");

    // Back up from the second page: the page above it again.
    let back = s.get(prev.strip_prefix(&s.public).expect("public URL"), Some(&alice.token)).await.ok();
    let keys = |b: &Value| groups(b).iter().map(|g| g["group_key"].clone()).collect::<Vec<_>>();
    assert_eq!(keys(&back), keys(&first));
    // A group reaches below the page it is on: each next page (from the
    // page's last notification, as Mastodon's links) shows what is left of
    // it, until nothing is.
    let mut counts = vec![groups(&second)[1]["notifications_count"].clone()];
    let mut next = s.get(&path, Some(&alice.token)).await.link("next");
    while let Some(link) = next {
        let page = s.get(link.strip_prefix(&s.public).expect("public URL"), Some(&alice.token)).await;
        next = page.link("next");
        let body = page.ok();
        for g in groups(&body) {
            assert_eq!(g["group_key"], groups(&second)[1]["group_key"]);
            counts.push(g["notifications_count"].clone());
        }
        if groups(&body).is_empty() {
            assert!(next.is_none(), "an empty page links nowhere");
        }
    }
    assert_eq!(counts, [3, 2, 1]);
}

#[tokio::test]
async fn one_group_its_senders_and_dismissing_it() {
    let s = TestServer::start().await;
    let (alice, fans, status) = busy_alice(&s).await;
    let body = s.get("/api/v2/notifications?types[]=favourite", Some(&alice.token)).await.ok();
    let key = groups(&body)[0]["group_key"].as_str().expect("key").to_string();

    let one = s.get(&format!("/api/v2/notifications/{key}"), Some(&alice.token)).await.ok();
    let group = &groups(&one)[0];
    assert_eq!(group["notifications_count"], 3);
    assert_eq!(group["status_id"], status.as_str());
    assert!(group.get("page_min_id").is_none(), "one group is not a page");
    assert_eq!(one["statuses"][0]["id"], status.as_str());

    let senders = s.get(&format!("/api/v2/notifications/{key}/accounts?limit=2"), Some(&alice.token)).await;
    assert!(senders.link("next").is_some());
    let senders = senders.ok();
    assert_eq!(common::ids(&senders), [fans[2].id.clone(), fans[1].id.clone()]);

    // Another user's group key names nothing of theirs.
    let other = s.user("other").await;
    s.get(&format!("/api/v2/notifications/{key}"), Some(&other.token)).await.expect(404);
    s.post(&format!("/api/v2/notifications/{key}/dismiss"), Some(&other.token), Value::Null).await.ok();
    s.get(&format!("/api/v2/notifications/{key}"), Some(&alice.token)).await.ok();

    s.post(&format!("/api/v2/notifications/{key}/dismiss"), Some(&alice.token), Value::Null).await.ok();
    s.get(&format!("/api/v2/notifications/{key}"), Some(&alice.token)).await.expect(404);
    let v1 = s.get("/api/v1/notifications?types[]=favourite", Some(&alice.token)).await.ok();
    assert_eq!(v1.as_array().expect("list").len(), 0, "every notification of the group is gone");
    let left = s.get("/api/v2/notifications", Some(&alice.token)).await.ok();
    assert_eq!(groups(&left).len(), 3);

    // A single notification's key works the same way.
    let mention = groups(&left)[0]["group_key"].as_str().expect("key").to_string();
    assert!(mention.starts_with("ungrouped-"));
    s.get(&format!("/api/v2/notifications/{mention}"), Some(&alice.token)).await.ok();
    s.post(&format!("/api/v2/notifications/{mention}/dismiss"), Some(&alice.token), Value::Null).await.ok();
    s.get(&format!("/api/v2/notifications/{mention}"), Some(&alice.token)).await.expect(404);
    s.get("/api/v2/notifications/ungrouped-nonsense", Some(&alice.token)).await.expect(404);
}

#[tokio::test]
async fn a_group_never_shows_a_hidden_status_nor_a_suspended_sender() {
    let s = TestServer::start().await;
    let (alice, fans, _) = busy_alice(&s).await;
    // The mentions' author blocks Alice: she may no longer see those statuses.
    s.post(&format!("/api/v1/accounts/{}/block", alice.id), Some(&fans[2].token), Value::Null).await.ok();
    // One favouriter is suspended.
    let update = parley_app::AdminUpdate { suspended: Some(true), ..Default::default() };
    s.running.services.accounts.admin_update(account_id(&fans[0]), update).await.expect("suspend");

    let body = s.get("/api/v2/notifications", Some(&alice.token)).await.ok();
    let groups = groups(&body);
    let kinds: Vec<&str> = groups.iter().map(|g| g["type"].as_str().expect("type")).collect();
    assert_eq!(kinds, ["follow", "favourite"], "the mentions are gone with their statuses");
    let text = body.to_string();
    assert!(!text.contains(&fans[0].id), "nothing names the suspended account: {text}");
    let favourites = &groups[1];
    assert_eq!(favourites["notifications_count"], 2);
    assert_eq!(strings(&favourites["sample_account_ids"]), [fans[2].id.clone(), fans[1].id.clone()]);
    assert_eq!(groups[0]["notifications_count"], 1);
    for status in body["statuses"].as_array().expect("statuses") {
        assert!(!status["content"].as_str().unwrap_or_default().contains("first"));
    }
    let unread = s.get("/api/v2/notifications/unread_count", Some(&alice.token)).await.ok();
    assert_eq!(unread["count"], 2);
}

#[tokio::test]
async fn unread_counts_count_notifications_and_groups() {
    let s = TestServer::start().await;
    let (alice, _, _) = busy_alice(&s).await;
    let v1 = s.get("/api/v1/notifications/unread_count", Some(&alice.token)).await.ok();
    assert_eq!(v1, json!({"count": 7}));
    let v2 = s.get("/api/v2/notifications/unread_count", Some(&alice.token)).await.ok();
    assert_eq!(v2, json!({"count": 4}));
    let capped = s.get("/api/v1/notifications/unread_count?limit=5", Some(&alice.token)).await.ok();
    assert_eq!(capped["count"], 5);
    let ungrouped = s.get("/api/v2/notifications/unread_count?grouped_types[]=follow", Some(&alice.token)).await;
    assert_eq!(ungrouped.ok()["count"], 6);
    let mentions = s.get("/api/v1/notifications/unread_count?types[]=mention", Some(&alice.token)).await.ok();
    assert_eq!(mentions["count"], 2);
}

#[tokio::test]
async fn the_instance_advertises_grouped_notifications_and_they_answer() {
    let s = TestServer::start().await;
    let instance = s.get("/api/v2/instance", None).await.ok();
    assert_eq!(instance["api_versions"]["mastodon"], 2, "the API version that has grouped notifications");
    let alice = s.user("alice").await;
    let body = s.get("/api/v2/notifications", Some(&alice.token)).await.ok();
    assert_eq!(body, json!({"accounts": [], "statuses": [], "notification_groups": []}));
    s.get("/api/v2/notifications", None).await.expect(401);
}
