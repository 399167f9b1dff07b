//! Follow suggestions (`/api/v2/suggestions`, v1, dismissal): official
//! accounts first, then the most followed; never oneself, anyone followed,
//! asked, blocked either way, muted or dismissed.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User, ids};
use reqwest::Method;
use serde_json::Value;

async fn act(s: &TestServer, who: &User, action: &str, target: &User) {
    s.post(&format!("/api/v1/accounts/{}/{action}", target.id), Some(&who.token), Value::Null).await.ok();
}

#[tokio::test]
async fn official_accounts_come_first_then_the_most_followed() {
    let s = TestServer::start().await;
    let viewer = s.user("viewer").await;
    let (popular, quiet, followed, blocker, muted, blocked) = (
        s.user("popular").await,
        s.user("quiet").await,
        s.user("followed").await,
        s.user("blocker").await,
        s.user("muted").await,
        s.user("blocked").await,
    );
    let embassy = s.user("embassy").await;
    s.running
        .services
        .accounts
        .admin_update(
            embassy.id.parse().expect("id"),
            parley_app::AdminUpdate { organisation: Some(Some("Embassy of Somewhere".into())), ..Default::default() },
        )
        .await
        .expect("organisation");
    // Two followers make `popular` the most followed of the rest.
    for fan in [&quiet, &followed] {
        act(&s, fan, "follow", &popular).await;
    }
    act(&s, &viewer, "follow", &followed).await;
    act(&s, &blocker, "block", &viewer).await;
    act(&s, &viewer, "mute", &muted).await;
    act(&s, &viewer, "block", &blocked).await;

    let token = Some(viewer.token.as_str());
    let v2 = s.get("/api/v2/suggestions", token).await.ok();
    let first = &v2[0];
    assert_eq!(first["account"]["id"], embassy.id.as_str());
    assert_eq!((first["source"].as_str(), first["sources"][0].as_str()), (Some("staff"), Some("featured")));
    assert_eq!(v2[1]["account"]["id"], popular.id.as_str());
    assert_eq!(v2[1]["sources"][0], "most_followed");
    let suggested: Vec<&str> =
        v2.as_array().expect("list").iter().filter_map(|x| x["account"]["id"].as_str()).collect();
    for not in [&viewer, &followed, &blocker, &muted, &blocked] {
        assert!(!suggested.contains(&not.id.as_str()), "{} suggested: {v2}", not.username);
    }
    assert!(suggested.contains(&quiet.id.as_str()));

    // v1: the accounts alone, in the same order; `limit` holds.
    let v1 = s.get("/api/v1/suggestions?limit=2", token).await.ok();
    assert_eq!(ids(&v1), [embassy.id.clone(), popular.id.clone()]);

    // Dismissed: gone for the viewer, still there for others.
    let r = s.call(Method::DELETE, &format!("/api/v1/suggestions/{}", embassy.id), token, Value::Null).await.ok();
    assert_eq!(r, serde_json::json!({}));
    let after = s.get("/api/v1/suggestions", token).await.ok();
    assert_eq!(after[0]["id"], popular.id.as_str());
    let other = s.get("/api/v1/suggestions", Some(&quiet.token)).await.ok();
    assert_eq!(other[0]["id"], embassy.id.as_str());
    // Dismissing twice, or someone never suggested, is still `{}`.
    s.call(Method::DELETE, &format!("/api/v2/suggestions/{}", embassy.id), token, Value::Null).await.ok();

    // Following someone takes them off the list.
    act(&s, &viewer, "follow", &popular).await;
    let now = s.get("/api/v1/suggestions", token).await.ok();
    assert!(!ids(&now).contains(&popular.id), "{now}");

    // Signed out: 401; a malformed ID: 404.
    s.get("/api/v2/suggestions", None).await.expect(401);
    s.call(Method::DELETE, "/api/v1/suggestions/not-an-id", token, Value::Null).await.expect(404);
}
