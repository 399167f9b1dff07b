//! Accounts, relationships and notifications over HTTP.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, ids};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn profile_lookup_and_update() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let found = s.get(&format!("/api/v1/accounts/lookup?acct={}", alice.username), None).await.ok();
    assert_eq!(found["id"], alice.id);
    let host = s.url.trim_start_matches("http://");
    let found =
        s.get(&format!("/api/v1/accounts/lookup?acct=@{}@{}", alice.username.to_uppercase(), host), None).await.ok();
    assert_eq!(found["id"], alice.id);
    s.get(&format!("/api/v1/accounts/lookup?acct={}@elsewhere.example", alice.username), None).await.expect(404);
    s.get("/api/v1/accounts/lookup?acct=nobody_here", None).await.expect(404);

    let updated = s
        .form(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(&alice.token),
            &[
                ("display_name", "Alice A."),
                ("note", "Press officer. #diplomacy <script>x</script>"),
                ("locked", "true"),
                ("fields_attributes[0][name]", "Website"),
                ("fields_attributes[0][value]", "https://alice.example"),
                ("fields_attributes[1][name]", "Desk"),
                ("fields_attributes[1][value]", "Foreign <b>news</b>"),
            ],
        )
        .await
        .ok();
    assert_eq!(updated["display_name"], "Alice A.");
    assert_eq!(updated["locked"], true);
    assert!(updated["note"].as_str().expect("note").contains("&lt;script&gt;"));
    assert!(updated["note"].as_str().expect("note").contains("class=\"mention hashtag\""));
    assert_eq!(updated["source"]["note"], "Press officer. #diplomacy <script>x</script>");
    assert_eq!(updated["fields"][1]["value"], "Foreign &lt;b&gt;news&lt;/b&gt;");
    assert_eq!(updated["source"]["fields"][0]["name"], "Website");
    s.form(
        Method::PATCH,
        "/api/v1/accounts/update_credentials",
        Some(&alice.token),
        &[("display_name", &"x".repeat(31))],
    )
    .await
    .expect(422);
    let public = s.get(&format!("/api/v1/accounts/{}", alice.id), None).await.ok();
    assert_eq!(public["display_name"], "Alice A.");
    assert!(public.get("source").is_none());
    let many = s.get(&format!("/api/v1/accounts?id[]={}&id[]=1", alice.id), None).await.ok();
    assert_eq!(ids(&many), vec![alice.id.clone()]);
    s.assert_in_step().await;
}

#[tokio::test]
async fn organisations_show_as_a_highlighted_role() {
    let s = TestServer::start().await;
    let embassy = s.user("embassy").await;
    let services = &s.running.services;
    let account = services.accounts.find_by_username(&embassy.username).await.expect("account");
    services
        .accounts
        .admin_update(
            account.id,
            parley_app::AdminUpdate { organisation: Some(Some("Embassy of Testland".into())), ..Default::default() },
        )
        .await
        .expect("update");
    let shown = s.get(&format!("/api/v1/accounts/{}", embassy.id), None).await.ok();
    assert_eq!(shown["roles"][0]["name"], "Embassy of Testland");
    assert_eq!(shown["organisation"], "Embassy of Testland");
    let id = s.post_text(&embassy, "official statement", "public").await;
    let status = s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    assert_eq!(status["account"]["roles"][0]["name"], "Embassy of Testland");
    s.assert_in_step().await;
}

#[tokio::test]
async fn follows_requests_blocks_and_mutes() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let locked = s.user("locked").await;
    s.form(Method::PATCH, "/api/v1/accounts/update_credentials", Some(&locked.token), &[("locked", "1")]).await.ok();

    let rel = s.post(&format!("/api/v1/accounts/{}/follow", bob.id), Some(&alice.token), Value::Null).await.ok();
    assert_eq!(rel["following"], true);
    assert_eq!(rel["showing_reblogs"], true);
    let rels = s
        .get(&format!("/api/v1/accounts/relationships?id[]={}&id[]={}", bob.id, locked.id), Some(&alice.token))
        .await
        .ok();
    assert_eq!(rels[0]["following"], true);
    assert_eq!(rels[1]["following"], false);
    let back = s.get(&format!("/api/v1/accounts/relationships?id[]={}", alice.id), Some(&bob.token)).await.ok();
    assert_eq!(back[0]["followed_by"], true);
    let followers = s.get(&format!("/api/v1/accounts/{}/followers", bob.id), None).await.ok();
    assert_eq!(ids(&followers), vec![alice.id.clone()]);
    let following = s.get(&format!("/api/v1/accounts/{}/following", alice.id), None).await.ok();
    assert_eq!(ids(&following), vec![bob.id.clone()]);
    let bob_now = s.get(&format!("/api/v1/accounts/{}", bob.id), None).await.ok();
    assert_eq!(bob_now["followers_count"], 1);
    // Following yourself is not allowed.
    s.post(&format!("/api/v1/accounts/{}/follow", alice.id), Some(&alice.token), Value::Null).await.expect(403);

    // A locked account gets a request instead.
    let rel = s.post(&format!("/api/v1/accounts/{}/follow", locked.id), Some(&alice.token), Value::Null).await.ok();
    assert_eq!(rel["following"], false);
    assert_eq!(rel["requested"], true);
    let requests = s.get("/api/v1/follow_requests", Some(&locked.token)).await.ok();
    assert_eq!(ids(&requests), vec![alice.id.clone()]);
    let notes = s.get("/api/v1/notifications", Some(&locked.token)).await.ok();
    assert_eq!(notes[0]["type"], "follow_request");
    let rel =
        s.post(&format!("/api/v1/follow_requests/{}/authorize", alice.id), Some(&locked.token), Value::Null).await.ok();
    assert_eq!(rel["followed_by"], true);
    s.post(&format!("/api/v1/follow_requests/{}/authorize", alice.id), Some(&locked.token), Value::Null)
        .await
        .expect(404);
    s.post(&format!("/api/v1/accounts/{}/follow", locked.id), Some(&bob.token), Value::Null).await.ok();
    let rel =
        s.post(&format!("/api/v1/follow_requests/{}/reject", bob.id), Some(&locked.token), Value::Null).await.ok();
    assert_eq!(rel["followed_by"], false);
    assert_eq!(rel["requested_by"], false);

    // A block severs the follow both ways and refuses new ones.
    let rel = s.post(&format!("/api/v1/accounts/{}/block", alice.id), Some(&bob.token), Value::Null).await.ok();
    assert_eq!(rel["blocking"], true);
    assert_eq!(rel["followed_by"], false);
    s.post(&format!("/api/v1/accounts/{}/follow", bob.id), Some(&alice.token), Value::Null).await.expect(403);
    let seen_by_alice =
        s.get(&format!("/api/v1/accounts/relationships?id[]={}", bob.id), Some(&alice.token)).await.ok();
    assert_eq!(seen_by_alice[0]["blocked_by"], true);
    s.post(&format!("/api/v1/accounts/{}/unblock", alice.id), Some(&bob.token), Value::Null).await.ok();

    let rel = s
        .post(&format!("/api/v1/accounts/{}/mute", bob.id), Some(&alice.token), json!({"notifications": false}))
        .await
        .ok();
    assert_eq!(rel["muting"], true);
    assert_eq!(rel["muting_notifications"], false);
    let rel = s.post(&format!("/api/v1/accounts/{}/unmute", bob.id), Some(&alice.token), Value::Null).await.ok();
    assert_eq!(rel["muting"], false);
    s.post("/api/v1/accounts/123/follow", Some(&alice.token), Value::Null).await.expect(404);
    s.assert_in_step().await;
}

#[tokio::test]
async fn notifications_list_filter_dismiss_clear() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    s.follow(&bob, &alice).await;
    let id = s.post_text(&alice, "hello", "public").await;
    s.post(&format!("/api/v1/statuses/{id}/favourite"), Some(&bob.token), Value::Null).await.ok();
    s.post(&format!("/api/v1/statuses/{id}/reblog"), Some(&bob.token), Value::Null).await.ok();
    s.post_text(&bob, &format!("hi @{}", alice.username), "public").await;

    let all = s.get("/api/v1/notifications", Some(&alice.token)).await.ok();
    let kinds: Vec<&str> =
        all.as_array().expect("list").iter().map(|n| n["type"].as_str().unwrap_or_default()).collect();
    assert_eq!(kinds, vec!["mention", "reblog", "favourite", "follow"]);
    assert_eq!(all[0]["account"]["id"], bob.id);
    assert_eq!(all[1]["status"]["id"], id);
    let only = s.get("/api/v1/notifications?types[]=mention&types[]=follow", Some(&alice.token)).await.ok();
    assert_eq!(only.as_array().map(Vec::len), Some(2));
    let without = s.get("/api/v1/notifications?exclude_types[]=mention", Some(&alice.token)).await.ok();
    assert_eq!(without.as_array().map(Vec::len), Some(3));
    let paged = s.get("/api/v1/notifications?limit=2", Some(&alice.token)).await;
    assert!(paged.link("next").is_some());
    assert_eq!(s.walk("/api/v1/notifications?limit=1", Some(&alice.token)).await.len(), 4);

    let first = all[0]["id"].as_str().expect("id");
    let one = s.get(&format!("/api/v1/notifications/{first}"), Some(&alice.token)).await.ok();
    assert_eq!(one["type"], "mention");
    s.get(&format!("/api/v1/notifications/{first}"), Some(&bob.token)).await.expect(404);
    s.post(&format!("/api/v1/notifications/{first}/dismiss"), Some(&alice.token), Value::Null).await.ok();
    s.get(&format!("/api/v1/notifications/{first}"), Some(&alice.token)).await.expect(404);
    s.post("/api/v1/notifications/clear", Some(&alice.token), Value::Null).await.ok();
    assert_eq!(s.get("/api/v1/notifications", Some(&alice.token)).await.ok(), json!([]));
    s.assert_in_step().await;
}

#[tokio::test]
async fn search_finds_accounts_tags_and_visible_statuses() {
    let s = TestServer::start().await;
    let alice = s.user("searchable").await;
    let bob = s.user("bob").await;
    s.post_text(&alice, "consulates and #Vladivostok", "public").await;
    s.post_text(&alice, "consulates in private", "private").await;
    let r = s.get(&format!("/api/v2/search?q={}", alice.username), None).await.ok();
    assert_eq!(r["accounts"][0]["id"], alice.id);
    let r = s.get("/api/v2/search?q=%23vladi&type=hashtags", None).await.ok();
    assert_eq!(r["hashtags"][0]["name"], "vladivostok");
    let r = s.get("/api/v2/search?q=consulates&type=statuses", Some(&bob.token)).await.ok();
    assert_eq!(r["statuses"].as_array().map(Vec::len), Some(1), "private statuses stay hidden");
    let r = s.get("/api/v2/search?q=consulates&type=statuses", Some(&alice.token)).await.ok();
    assert_eq!(r["statuses"].as_array().map(Vec::len), Some(2));
    let r = s.get("/api/v2/search?q=consulates&type=statuses", None).await.ok();
    assert_eq!(r["statuses"], json!([]), "anonymous search does not list statuses");
    s.assert_in_step().await;
}

#[tokio::test]
async fn instance_and_nodeinfo_describe_the_server() {
    let s = TestServer::start_with(|c| c.statuses.max_characters = 777).await;
    s.user("someone").await;
    let v1 = s.get("/api/v1/instance", None).await.ok();
    assert!(v1["version"].as_str().expect("version").starts_with("4.3.0 (compatible; Parley "));
    assert_eq!(v1["stats"]["user_count"], 1);
    let v2 = s.get("/api/v2/instance", None).await.ok();
    assert_eq!(v2["configuration"]["statuses"]["max_characters"], 777);
    assert_eq!(v2["configuration"]["polls"]["max_options"], 4);
    assert_eq!(v2["registrations"]["enabled"], true);
    assert_eq!(s.get("/api/v1/instance/peers", None).await.ok(), json!([]));
    let links = s.get("/.well-known/nodeinfo", None).await.ok();
    assert_eq!(links["links"][0]["href"], format!("{}/nodeinfo/2.0", s.url));
    let info = s.get("/nodeinfo/2.0", None).await.ok();
    assert_eq!(info["software"]["name"], "parley");
    assert_eq!(info["usage"]["users"]["total"], 1);
    let avatar = s.http.get(format!("{}/avatars/original/missing.png", s.url)).send().await.expect("avatar");
    assert_eq!(avatar.headers()["content-type"], "image/png");
    s.assert_in_step().await;
}

#[tokio::test]
async fn the_public_url_is_used_everywhere() {
    let s = TestServer::start_with(|c| c.public_url = Some("https://parley.example".into())).await;
    let alice = s.user("alice").await;
    let id = s.post_text(&alice, "hello #world", "public").await;
    let status = s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    assert_eq!(status["url"], format!("https://parley.example/@{}/{id}", alice.username));
    assert_eq!(status["uri"], format!("https://parley.example/users/{}/statuses/{id}", alice.username));
    assert_eq!(status["account"]["url"], format!("https://parley.example/@{}", alice.username));
    let page = s.get("/api/v1/timelines/public", None).await;
    assert!(
        page.headers["link"]
            .to_str()
            .expect("link")
            .starts_with("<https://parley.example/api/v1/timelines/public?max_id=")
    );
    let meta = s.get("/.well-known/oauth-authorization-server", None).await.ok();
    assert_eq!(meta["authorization_endpoint"], "https://parley.example/oauth/authorize");
    s.assert_in_step().await;
}
