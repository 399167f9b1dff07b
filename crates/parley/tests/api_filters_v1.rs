//! Filters, v1, over HTTP, as Mastodon maps them onto v2 filters: a v1
//! filter is a keyword, with its filter's context, expiry and action.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, ids};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn v1_filters_are_keywords_of_v2_filters() {
    let s = TestServer::start().await;
    let (alice, bob, mallory) = (s.user("alice").await, s.user("bob").await, s.user("mallory").await);
    s.follow(&alice, &bob).await;
    let token = Some(alice.token.as_str());
    let made = s
        .post(
            "/api/v1/filters",
            token,
            json!({"phrase": "Vladivostok", "context": ["home"], "irreversible": true, "whole_word": false}),
        )
        .await
        .ok();
    let id = made["id"].as_str().expect("id").to_string();
    assert_eq!(
        made,
        json!({"id": id, "phrase": "Vladivostok", "context": ["home"], "whole_word": false, "expires_at": null, "irreversible": true})
    );
    // The v2 view of it: a filter titled with the phrase, hiding, with the one keyword.
    let v2 = s.get("/api/v2/filters", token).await.ok();
    assert_eq!((v2[0]["title"].clone(), v2[0]["filter_action"].clone()), (json!("Vladivostok"), json!("hide")));
    assert_eq!(v2[0]["keywords"][0]["id"], id.as_str());
    assert_eq!(s.get("/api/v1/filters", token).await.ok(), json!([made.clone()]));
    assert_eq!(s.get(&format!("/api/v1/filters/{id}"), token).await.ok(), made);

    // It applies as the v2 filter does: irreversible hides.
    let hidden = s.post_text(&bob, "Close Vladivostok", "public").await;
    let kept = s.post_text(&bob, "Something else", "public").await;
    let home = ids(&s.get("/api/v1/timelines/home", token).await.ok());
    assert!(home.contains(&kept) && !home.contains(&hidden), "{home:?}");

    let changed = s
        .call(
            Method::PUT,
            &format!("/api/v1/filters/{id}"),
            token,
            json!({"irreversible": false, "context": ["home", "public"]}),
        )
        .await
        .ok();
    assert_eq!(
        (changed["irreversible"].clone(), changed["context"].clone()),
        (json!(false), json!(["home", "public"]))
    );
    assert!(ids(&s.get("/api/v1/timelines/home", token).await.ok()).contains(&hidden));

    // A filter with more keywords can only have the keyword itself changed from v1.
    let fid = v2[0]["id"].as_str().expect("filter id").to_string();
    s.post(&format!("/api/v2/filters/{fid}/keywords"), token, json!({"keyword": "Yekaterinburg"})).await.ok();
    let refused = s.call(Method::PUT, &format!("/api/v1/filters/{id}"), token, json!({"context": ["thread"]})).await;
    assert_eq!(refused.status.as_u16(), 422, "{}", refused.body);
    // The phrase is the filter's title too (Mastodon), so it cannot change either.
    s.call(Method::PUT, &format!("/api/v1/filters/{id}"), token, json!({"phrase": "Other"})).await.expect(422);
    let whole = s.call(Method::PUT, &format!("/api/v1/filters/{id}"), token, json!({"whole_word": true})).await;
    assert_eq!(whole.ok()["whole_word"], true);
    assert_eq!(s.get("/api/v1/filters", token).await.ok().as_array().map(Vec::len), Some(2));

    s.get(&format!("/api/v1/filters/{id}"), Some(&mallory.token)).await.expect(404);
    s.call(Method::DELETE, &format!("/api/v1/filters/{id}"), Some(&mallory.token), Value::Null).await.expect(404);
    s.post("/api/v1/filters", token, json!({"context": ["home"]})).await.expect(422);
    s.post("/api/v1/filters", token, json!({"phrase": "x", "context": []})).await.expect(422);

    // Deleting a v1 filter deletes the keyword; its filter stays.
    assert_eq!(s.call(Method::DELETE, &format!("/api/v1/filters/{id}"), token, Value::Null).await.ok(), json!({}));
    s.get(&format!("/api/v1/filters/{id}"), token).await.expect(404);
    let left = s.get(&format!("/api/v2/filters/{fid}"), token).await.ok();
    assert_eq!(left["keywords"].as_array().map(Vec::len), Some(1));
}
