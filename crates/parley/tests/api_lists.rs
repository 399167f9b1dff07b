//! Lists over HTTP: the list itself, its members, `/accounts/:id/lists`, the
//! list timeline (replies policy, exclusive lists, visibility), and that
//! another account's list does not exist for anyone but its owner.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User, ids};
use reqwest::Method;
use serde_json::{Value, json};

async fn create_list(s: &TestServer, owner: &User, body: Value) -> String {
    let list = s.post("/api/v1/lists", Some(&owner.token), body).await.ok();
    list["id"].as_str().expect("list id").to_string()
}

async fn add(s: &TestServer, owner: &User, list: &str, members: &[&User]) {
    let ids: Vec<&str> = members.iter().map(|u| u.id.as_str()).collect();
    s.post(&format!("/api/v1/lists/{list}/accounts"), Some(&owner.token), json!({"account_ids": ids})).await.ok();
}

fn list_timeline(list: &str) -> String {
    format!("/api/v1/timelines/list/{list}")
}

#[tokio::test]
async fn a_list_is_created_read_changed_and_deleted_by_its_owner_only() {
    let s = TestServer::start().await;
    let (alice, mallory) = (s.user("alice").await, s.user("mallory").await);
    let token = Some(alice.token.as_str());

    let made = s.post("/api/v1/lists", token, json!({"title": "Consulates"})).await.ok();
    let id = made["id"].as_str().expect("id").to_string();
    assert_eq!(made, json!({"id": id, "title": "Consulates", "replies_policy": "list", "exclusive": false}));
    // Form parameters, as many clients send them.
    let second = s
        .form(
            Method::POST,
            "/api/v1/lists",
            token,
            &[("title", "Press"), ("replies_policy", "none"), ("exclusive", "1")],
        )
        .await
        .ok();
    assert_eq!((second["replies_policy"].clone(), second["exclusive"].clone()), (json!("none"), json!(true)));
    let all = s.get("/api/v1/lists", token).await.ok();
    assert_eq!(ids(&all), [id.clone(), second["id"].as_str().expect("id").to_string()], "oldest first");
    assert_eq!(s.get(&format!("/api/v1/lists/{id}"), token).await.ok(), made);

    // Only what is given changes.
    let changed =
        s.call(Method::PUT, &format!("/api/v1/lists/{id}"), token, json!({"replies_policy": "followed"})).await.ok();
    assert_eq!(changed, json!({"id": id, "title": "Consulates", "replies_policy": "followed", "exclusive": false}));
    let renamed = s
        .call(Method::PUT, &format!("/api/v1/lists/{id}"), token, json!({"title": "Missions", "exclusive": true}))
        .await
        .ok();
    assert_eq!(renamed, json!({"id": id, "title": "Missions", "replies_policy": "followed", "exclusive": true}));

    // Someone else's list does not exist for them, whatever they try.
    let theirs = Some(mallory.token.as_str());
    s.get(&format!("/api/v1/lists/{id}"), theirs).await.expect(404);
    s.call(Method::PUT, &format!("/api/v1/lists/{id}"), theirs, json!({"title": "Mine"})).await.expect(404);
    s.call(Method::DELETE, &format!("/api/v1/lists/{id}"), theirs, Value::Null).await.expect(404);
    s.get(&format!("/api/v1/lists/{id}/accounts"), theirs).await.expect(404);
    s.post(&format!("/api/v1/lists/{id}/accounts"), theirs, json!({"account_ids": [alice.id]})).await.expect(404);
    s.get(&list_timeline(&id), theirs).await.expect(404);
    assert_eq!(s.get("/api/v1/lists", theirs).await.ok(), json!([]));
    assert_eq!(s.get(&format!("/api/v1/lists/{id}"), token).await.ok()["title"], "Missions");
    s.get("/api/v1/lists/not-an-id", token).await.expect(404);
    s.get("/api/v1/lists", None).await.expect(401);

    assert_eq!(s.call(Method::DELETE, &format!("/api/v1/lists/{id}"), token, Value::Null).await.ok(), json!({}));
    s.get(&format!("/api/v1/lists/{id}"), token).await.expect(404);
    s.call(Method::DELETE, &format!("/api/v1/lists/{id}"), token, Value::Null).await.expect(404);
    s.assert_in_step().await;
}

#[tokio::test]
async fn bad_list_fields_are_refused_with_422() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let token = Some(alice.token.as_str());
    for body in [json!({}), json!({"title": ""}), json!({"title": "   "})] {
        let refused = s.post("/api/v1/lists", token, body).await.expect(422);
        assert_eq!(refused, json!({"error": "Validation failed: Title can't be blank"}));
    }
    let refused = s.post("/api/v1/lists", token, json!({"title": "x", "replies_policy": "everyone"})).await;
    assert_eq!(refused.expect(422)["error"], "Validation failed: Replies policy is not included in the list");
    s.post("/api/v1/lists", token, json!({"title": "x".repeat(257)})).await.expect(422);
    let id = create_list(&s, &alice, json!({"title": "Kept"})).await;
    s.call(Method::PUT, &format!("/api/v1/lists/{id}"), token, json!({"title": "   "})).await.expect(422);
    assert_eq!(s.get(&format!("/api/v1/lists/{id}"), token).await.ok()["title"], "Kept");
    assert_eq!(s.get("/api/v1/lists", token).await.ok().as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn members_must_be_followed_are_paged_and_leave_with_the_follow() {
    let s = TestServer::start().await;
    let (alice, bob, carol, dave) =
        (s.user("alice").await, s.user("bob").await, s.user("carol").await, s.user("dave").await);
    let token = Some(alice.token.as_str());
    s.follow(&alice, &bob).await;
    s.follow(&alice, &carol).await;
    let list = create_list(&s, &alice, json!({"title": "Officials"})).await;
    let members = format!("/api/v1/lists/{list}/accounts");

    // Not followed: 422, and nothing of the request is kept (all or none).
    let refused = s.post(&members, token, json!({"account_ids": [bob.id, dave.id]})).await.expect(422);
    assert_eq!(refused, json!({"error": "Validation failed: Follow must exist"}));
    assert_eq!(s.get(&members, token).await.ok(), json!([]));
    s.post(&members, token, json!({"account_ids": ["999999999"]})).await.expect(404);

    add(&s, &alice, &list, &[&bob]).await;
    // Rails form syntax works too.
    s.form(Method::POST, &members, token, &[("account_ids[]", &carol.id)]).await.ok();
    let again = s.post(&members, token, json!({"account_ids": [bob.id]})).await.expect(422);
    assert_eq!(again["error"], "Validation failed: Account has already been taken");
    assert_eq!(ids(&s.get(&members, token).await.ok()), [carol.id.clone(), bob.id.clone()]);
    assert_eq!(s.walk(&format!("{members}?limit=1"), token).await, [carol.id.clone(), bob.id.clone()]);
    assert_eq!(s.get(&format!("{members}?limit=0"), token).await.ok().as_array().map(Vec::len), Some(2));

    // The lists an account is in, for their owner only.
    let in_lists = s.get(&format!("/api/v1/accounts/{}/lists", bob.id), token).await.ok();
    assert_eq!(ids(&in_lists), [list.as_str()]);
    assert_eq!(s.get(&format!("/api/v1/accounts/{}/lists", dave.id), token).await.ok(), json!([]));
    assert_eq!(s.get(&format!("/api/v1/accounts/{}/lists", bob.id), Some(&carol.token)).await.ok(), json!([]));
    s.get("/api/v1/accounts/999999999/lists", token).await.expect(404);

    // Removing, and unfollowing, take an account out.
    let removed = s.call(Method::DELETE, &members, token, json!({"account_ids": [carol.id]})).await.ok();
    assert_eq!(removed, json!({}));
    s.post(&format!("/api/v1/accounts/{}/unfollow", bob.id), token, Value::Null).await.ok();
    assert_eq!(s.get(&members, token).await.ok(), json!([]));
    assert_eq!(s.get(&format!("/api/v1/accounts/{}/lists", bob.id), token).await.ok(), json!([]));
    s.assert_in_step().await;
}

#[tokio::test]
async fn the_list_timeline_shows_its_members_statuses_by_the_replies_policy() {
    let s = TestServer::start().await;
    let (owner, member, other_member, followed, stranger) = (
        s.user("owner").await,
        s.user("member").await,
        s.user("othermember").await,
        s.user("followed").await,
        s.user("stranger").await,
    );
    for u in [&member, &other_member, &followed] {
        s.follow(&owner, u).await;
    }
    let followed_list = create_list(&s, &owner, json!({"title": "f", "replies_policy": "followed"})).await;
    let members_list = create_list(&s, &owner, json!({"title": "l", "replies_policy": "list"})).await;
    let none_list = create_list(&s, &owner, json!({"title": "n", "replies_policy": "none"})).await;
    for list in [&followed_list, &members_list, &none_list] {
        add(&s, &owner, list, &[&member, &other_member]).await;
    }

    let root_followed = s.post_text(&followed, "a followed account's post", "public").await;
    let root_member = s.post_text(&other_member, "another member's post", "public").await;
    let root_stranger = s.post_text(&stranger, "a stranger's post", "public").await;
    let root_owner = s.post_text(&owner, "the owner's post", "public").await;
    let plain = s.post_text(&member, "a member's post", "public").await;
    let private = s.post_text(&member, "for followers", "private").await;
    let reply = |to: String, text: &'static str| {
        let s = &s;
        let member = &member;
        async move {
            let st = s.status(member, json!({"status": text, "in_reply_to_id": to})).await;
            st["id"].as_str().expect("id").to_string()
        }
    };
    let to_self = reply(plain.clone(), "a thread of my own").await;
    let to_followed = reply(root_followed, "to a followed account").await;
    let to_member = reply(root_member.clone(), "to another member").await;
    // Never shown: the owner does not follow the account replied to.
    reply(root_stranger, "to a stranger").await;
    let to_owner = reply(root_owner, "to the owner").await;
    s.post_text(&stranger, "not a member", "public").await;

    let timeline = |list: String| {
        let s = &s;
        let token = owner.token.clone();
        async move { ids(&s.get(&list_timeline(&list), Some(&token)).await.ok()) }
    };
    assert_eq!(
        timeline(followed_list).await,
        [&to_owner, &to_member, &to_followed, &to_self, &private, &plain, &root_member].map(String::clone)
    );
    assert_eq!(
        timeline(members_list).await,
        [&to_owner, &to_member, &to_self, &private, &plain, &root_member].map(String::clone)
    );
    assert_eq!(
        timeline(none_list.clone()).await,
        [&to_owner, &to_self, &private, &plain, &root_member].map(String::clone)
    );

    // Paged newest first with Link headers.
    let walked = s.walk(&format!("{}?limit=2", list_timeline(&none_list)), Some(&owner.token)).await;
    assert_eq!(walked, [&to_owner, &to_self, &private, &plain, &root_member].map(String::clone));
    let newer = s.get(&format!("{}?min_id={plain}&limit=2", list_timeline(&none_list)), Some(&owner.token)).await;
    assert_eq!(ids(&newer.ok()), [&to_self, &private].map(String::clone));
    s.get(&list_timeline(&none_list), None).await.expect(401);
}

#[tokio::test]
async fn a_list_never_shows_what_its_owner_could_not_fetch() {
    let s = TestServer::start().await;
    let (owner, member, blocker, third) =
        (s.user("owner").await, s.user("member").await, s.user("blocker").await, s.user("third").await);
    s.follow(&owner, &member).await;
    let list = create_list(&s, &owner, json!({"title": "l"})).await;
    add(&s, &owner, &list, &[&member]).await;

    // A boost of a status whose author blocks the owner.
    let hidden = s.post_text(&blocker, "not for the owner", "public").await;
    s.post(&format!("/api/v1/accounts/{}/block", owner.id), Some(&blocker.token), Value::Null).await.ok();
    let boost = s.post(&format!("/api/v1/statuses/{hidden}/reblog"), Some(&member.token), Value::Null).await.ok();
    let boost = boost["id"].as_str().expect("boost id").to_string();
    s.get(&format!("/api/v1/statuses/{boost}"), Some(&owner.token)).await.expect(404);
    // A direct message to someone else, and one to the owner: lists never hold direct statuses.
    s.post_text(&member, &format!("@{} between us", third.username), "direct").await;
    s.post_text(&member, &format!("@{} to you", owner.username), "direct").await;
    let control = s.post_text(&member, "for everyone", "public").await;
    assert_eq!(ids(&s.get(&list_timeline(&list), Some(&owner.token)).await.ok()), [control.as_str()]);

    // Muting the member leaves the list empty, as the home timeline.
    s.post(&format!("/api/v1/accounts/{}/mute", member.id), Some(&owner.token), json!({})).await.ok();
    assert_eq!(s.get(&list_timeline(&list), Some(&owner.token)).await.ok(), json!([]));
}

#[tokio::test]
async fn an_exclusive_lists_members_leave_the_home_timeline() {
    let s = TestServer::start().await;
    let (owner, member, friend) = (s.user("owner").await, s.user("member").await, s.user("friend").await);
    s.follow(&owner, &member).await;
    s.follow(&owner, &friend).await;
    let list = create_list(&s, &owner, json!({"title": "Elsewhere"})).await;
    add(&s, &owner, &list, &[&member]).await;
    let token = Some(owner.token.as_str());

    let older = s.post_text(&friend, "older", "public").await;
    let mut from_member = Vec::new();
    for i in 0..6 {
        from_member.push(s.post_text(&member, &format!("member {i}"), "public").await);
    }
    let newer = s.post_text(&friend, "newer", "public").await;
    from_member.reverse();
    let everything: Vec<String> =
        std::iter::once(newer.clone()).chain(from_member.clone()).chain([older.clone()]).collect();
    assert_eq!(ids(&s.get("/api/v1/timelines/home", token).await.ok()), everything, "not exclusive yet");

    s.call(Method::PUT, &format!("/api/v1/lists/{list}"), token, json!({"exclusive": true})).await.ok();
    assert_eq!(ids(&s.get("/api/v1/timelines/home", token).await.ok()), [newer.clone(), older.clone()]);
    // A short page reads on past the members' statuses, both ways.
    assert_eq!(ids(&s.get("/api/v1/timelines/home?limit=2", token).await.ok()), [newer.clone(), older.clone()]);
    assert_eq!(s.walk("/api/v1/timelines/home?limit=1", token).await, [newer.clone(), older.clone()]);
    let upwards = s.get(&format!("/api/v1/timelines/home?min_id={older}&limit=1"), token).await.ok();
    assert_eq!(ids(&upwards), [newer.as_str()]);
    assert_eq!(ids(&s.get(&list_timeline(&list), token).await.ok()), from_member);
    // Only for the owner: the member's followers see the member at home.
    s.follow(&friend, &member).await;
    let friends_home = ids(&s.get("/api/v1/timelines/home", Some(&friend.token)).await.ok());
    assert!(friends_home.contains(&from_member[0]), "{friends_home:?}");
}
