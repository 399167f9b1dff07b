//! The blocks and mutes lists, and mutes that end by themselves (`duration`).
#![allow(clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{TestServer, User, ids};
use serde_json::{Value, json};

async fn act(s: &TestServer, who: &User, action: &str, target: &User, body: Value) -> Value {
    s.post(&format!("/api/v1/accounts/{}/{action}", target.id), Some(&who.token), body).await.ok()
}

#[tokio::test]
async fn blocks_are_listed_newest_first_and_paged() {
    let s = TestServer::start().await;
    let (alice, bob, carol, dave) =
        (s.user("alice").await, s.user("bob").await, s.user("carol").await, s.user("dave").await);
    for target in [&bob, &carol, &dave] {
        act(&s, &alice, "block", target, Value::Null).await;
    }
    let token = Some(alice.token.as_str());
    assert_eq!(ids(&s.get("/api/v1/blocks", token).await.ok()), [dave.id.clone(), carol.id.clone(), bob.id.clone()]);
    assert_eq!(s.walk("/api/v1/blocks?limit=2", token).await, [dave.id.clone(), carol.id.clone(), bob.id.clone()]);

    act(&s, &alice, "unblock", &carol, Value::Null).await;
    // A suspended account exists only for itself.
    let update = parley_app::AdminUpdate { suspended: Some(true), ..Default::default() };
    s.running.services.accounts.admin_update(dave.id.parse().expect("id"), update).await.expect("suspend");
    assert_eq!(ids(&s.get("/api/v1/blocks", token).await.ok()), [bob.id.as_str()]);
    assert_eq!(ids(&s.get("/api/v1/blocks", Some(&bob.token)).await.ok()), Vec::<String>::new());
    s.get("/api/v1/blocks", None).await.expect(401);
}

#[tokio::test]
async fn mutes_are_listed_with_when_they_end_and_honour_notifications() {
    let s = TestServer::start().await;
    let (alice, bob, carol) = (s.user("alice").await, s.user("bob").await, s.user("carol").await);
    let rel = act(&s, &alice, "mute", &bob, json!({"notifications": false})).await;
    assert_eq!((rel["muting"].clone(), rel["muting_notifications"].clone()), (json!(true), json!(false)));
    act(&s, &alice, "mute", &carol, json!({"duration": 3600})).await;

    let listed = s.get("/api/v1/mutes", Some(&alice.token)).await.ok();
    assert_eq!(ids(&listed), [carol.id.clone(), bob.id.clone()]);
    assert!(listed[1]["mute_expires_at"].is_null(), "bob's mute never ends");
    let ends = listed[0]["mute_expires_at"].as_str().expect("carol's mute ends");
    let ends = chrono::DateTime::parse_from_rfc3339(ends).expect("timestamp").with_timezone(&chrono::Utc);
    let in_an_hour = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    assert!((in_an_hour - ends).num_seconds().abs() < 60, "{ends}");
    assert_eq!(listed[0]["username"], carol.username.as_str(), "a full account");

    // Bob is muted but not his notifications: his mention still arrives; Carol's does not.
    s.post_text(&bob, &format!("@{} from bob", alice.username), "public").await;
    s.post_text(&carol, &format!("@{} from carol", alice.username), "public").await;
    let notes = s.get("/api/v1/notifications", Some(&alice.token)).await.ok();
    let senders: Vec<&Value> = notes.as_array().expect("list").iter().map(|n| &n["account"]["id"]).collect();
    assert_eq!(senders, [&json!(bob.id)]);

    // Muting again without a duration makes it last.
    act(&s, &alice, "mute", &carol, json!({})).await;
    assert!(s.get("/api/v1/mutes", Some(&alice.token)).await.ok()[0]["mute_expires_at"].is_null());
    let path = format!("/api/v1/accounts/{}/mute", carol.id);
    let refused = s.post(&path, Some(&alice.token), json!({"duration": -5})).await.expect(422);
    assert!(refused["error"].as_str().expect("error").starts_with("Validation failed"));
    s.get("/api/v1/mutes", None).await.expect(401);
}

#[tokio::test]
async fn a_mute_with_a_duration_ends_by_itself() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    s.follow(&alice, &bob).await;
    let rel = act(&s, &alice, "mute", &bob, json!({"duration": 1})).await;
    assert_eq!(rel["muting"], true);
    let hidden = s.post_text(&bob, "while muted", "public").await;
    let home = ids(&s.get("/api/v1/timelines/home", Some(&alice.token)).await.ok());
    assert!(!home.contains(&hidden), "a muted account's posts stay out of the home timeline");

    let mut ended = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let rels = s.get(&format!("/api/v1/accounts/relationships?id[]={}", bob.id), Some(&alice.token)).await.ok();
        if rels[0]["muting"] == false {
            ended = true;
            break;
        }
    }
    assert!(ended, "the mute ended within five seconds");
    assert_eq!(ids(&s.get("/api/v1/mutes", Some(&alice.token)).await.ok()), Vec::<String>::new());
    let home = ids(&s.get("/api/v1/timelines/home", Some(&alice.token)).await.ok());
    assert!(home.contains(&hidden), "the home timeline shows the account again");
    s.assert_in_step().await;
}
