//! What a client reads about the server and its people: the instance's
//! rules and texts, WebFinger and host-meta, familiar followers.
#![allow(clippy::expect_used)]

mod common;

use common::TestServer;
use serde_json::json;

#[tokio::test]
async fn instance_texts_say_when_none_were_written() {
    let s = TestServer::start().await;
    assert_eq!(s.get("/api/v1/instance/rules", None).await.ok(), json!([]));
    for path in ["extended_description", "privacy_policy"] {
        let text = s.get(&format!("/api/v1/instance/{path}"), None).await.ok();
        let content = text["content"].as_str().expect("content");
        assert!(content.starts_with("<p>The administrator of this server has not"), "{path}: {content}");
        assert!(text["updated_at"].as_str().expect("updated_at").ends_with('Z'));
    }
    let terms = s.get("/api/v1/instance/terms_of_service", None).await.ok();
    assert!(terms["content"].as_str().expect("content").contains("not published terms of service"));
    assert_eq!(terms["effective"], true);
    assert_eq!(terms["effective_date"].as_str().expect("date").len(), 10);
}

#[tokio::test]
async fn instance_texts_and_rules_come_from_the_configuration() {
    let s = TestServer::start_with(|c| {
        c.instance.rules = vec!["Be civil.".into(), "No <spam> & no bots".into()];
        c.instance.privacy_policy = "We keep little.\n\nWe sell nothing.\nEver.".into();
        c.instance.extended_description = "An embassy's server.".into();
    })
    .await;
    let rules = s.get("/api/v1/instance/rules", None).await.ok();
    assert_eq!(
        rules,
        json!([{"id": "1", "text": "Be civil.", "hint": ""}, {"id": "2", "text": "No <spam> & no bots", "hint": ""}])
    );
    assert_eq!(s.get("/api/v2/instance", None).await.ok()["rules"], rules);
    assert_eq!(s.get("/api/v1/instance", None).await.ok()["rules"], rules);
    let policy = s.get("/api/v1/instance/privacy_policy", None).await.ok();
    assert_eq!(policy["content"], "<p>We keep little.</p><p>We sell nothing.<br>Ever.</p>");
    let about = s.get("/api/v1/instance/extended_description", None).await.ok();
    assert_eq!(about["content"], "<p>An embassy's server.</p>");
}

#[tokio::test]
async fn webfinger_finds_local_accounts_by_acct_profile_or_actor() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let domain = s.public.trim_start_matches("http://").to_string();
    let profile = format!("{}/@{}", s.public, alice.username);
    let actor = format!("{}/users/{}", s.public, alice.username);
    for resource in [
        format!("acct:{}@{domain}", alice.username),
        format!("{}@{domain}", alice.username),
        format!("acct:{}@{}", alice.username.to_uppercase(), domain),
        profile.clone(),
        actor.clone(),
    ] {
        let url = format!("/.well-known/webfinger?resource={}", urlencode(&resource));
        let reply = s.get(&url, None).await;
        assert_eq!(reply.headers["content-type"], "application/jrd+json; charset=utf-8");
        let jrd = reply.ok();
        assert_eq!(jrd["subject"], format!("acct:{}@{domain}", alice.username), "{resource}");
        assert_eq!(jrd["aliases"], json!([profile, actor]));
        let links = jrd["links"].as_array().expect("links");
        assert!(links.iter().any(|l| l["rel"] == "self" && l["href"] == actor.as_str()));
    }
    for resource in ["acct:nobody@".to_string() + &domain, format!("acct:{}@elsewhere.example", alice.username)] {
        s.get(&format!("/.well-known/webfinger?resource={}", urlencode(&resource)), None).await.expect(404);
    }
    s.get("/.well-known/webfinger", None).await.expect(400);
    // A suspended account is not found.
    let update = parley_app::AdminUpdate { suspended: Some(true), ..Default::default() };
    s.running.services.accounts.admin_update(alice.id.parse().expect("id"), update).await.expect("suspend");
    let resource = urlencode(&format!("acct:{}@{domain}", alice.username));
    s.get(&format!("/.well-known/webfinger?resource={resource}"), None).await.expect(404);

    let meta = s.http.get(format!("{}/.well-known/host-meta", s.url)).send().await.expect("host-meta");
    assert_eq!(meta.headers()["content-type"], "application/xrd+xml; charset=utf-8");
    let xml = meta.text().await.expect("body");
    assert!(xml.contains(&format!("template=\"{}/.well-known/webfinger?resource={{uri}}\"", s.public)), "{xml}");
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn familiar_followers_are_those_one_follows_who_follow_them() {
    let s = TestServer::start().await;
    let (alice, bob, carol, dave, erin) =
        (s.user("alice").await, s.user("bob").await, s.user("carol").await, s.user("dave").await, s.user("erin").await);
    // Alice follows Bob and Carol; Bob and Carol follow Dave; Erin (whom Alice does not follow) too.
    for (who, whom) in [(&alice, &bob), (&alice, &carol), (&bob, &dave), (&carol, &dave), (&erin, &dave)] {
        s.follow(who, whom).await;
    }
    s.follow(&bob, &alice).await;
    let path =
        format!("/api/v1/accounts/familiar_followers?id[]={}&id[]={}&id[]={}&id[]=999", dave.id, erin.id, alice.id);
    let found = s.get(&path, Some(&alice.token)).await.ok();
    let found = found.as_array().expect("list");
    let of = |id: &str| -> Vec<String> {
        let entry = found.iter().find(|e| e["id"] == id).expect("an entry per account");
        common::ids(&entry["accounts"])
    };
    assert_eq!(of(&dave.id), [carol.id.clone(), bob.id.clone()]);
    assert_eq!(of(&erin.id), Vec::<String>::new());
    assert_eq!(of(&alice.id), Vec::<String>::new(), "none for oneself");
    assert_eq!(found.len(), 3, "nothing for an unknown account");
    s.get(&path, None).await.expect(401);
}
