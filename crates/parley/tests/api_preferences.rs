//! Preferences (`GET /api/v1/preferences`) and the posting defaults behind
//! them (`source[…]` of `update_credentials`), over HTTP.
#![allow(clippy::expect_used)]

mod common;

use common::TestServer;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn preferences_start_as_mastodons_defaults() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let prefs = s.get("/api/v1/preferences", Some(&alice.token)).await.ok();
    assert_eq!(
        prefs,
        json!({
            "posting:default:visibility": "public",
            "posting:default:sensitive": false,
            "posting:default:language": null,
            "reading:expand:media": "default",
            "reading:expand:spoilers": false
        })
    );
    s.get("/api/v1/preferences", None).await.expect(401);
}

#[tokio::test]
async fn posting_defaults_are_kept_shown_and_used_for_new_statuses() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let token = Some(alice.token.as_str());
    let form = [("source[privacy]", "private"), ("source[sensitive]", "true"), ("source[language]", "de")];
    let me = s.form(Method::PATCH, "/api/v1/accounts/update_credentials", token, &form).await.ok();
    assert_eq!(me["source"]["privacy"], "private");
    assert_eq!(me["source"]["sensitive"], true);
    assert_eq!(me["source"]["language"], "de");
    let me = s.get("/api/v1/accounts/verify_credentials", token).await.ok();
    assert_eq!(me["source"]["privacy"], "private");
    let prefs = s.get("/api/v1/preferences", token).await.ok();
    assert_eq!(prefs["posting:default:visibility"], "private");
    assert_eq!(prefs["posting:default:sensitive"], true);
    assert_eq!(prefs["posting:default:language"], "de");

    // A status that says nothing takes the defaults; what it says wins.
    let plain = s.status(&alice, json!({"status": "Guten Tag"})).await;
    assert_eq!((plain["visibility"].clone(), plain["sensitive"].clone()), (json!("private"), json!(true)));
    assert_eq!(plain["language"], "de");
    let said = s
        .status(&alice, json!({"status": "Hello", "visibility": "public", "sensitive": false, "language": "en"}))
        .await;
    assert_eq!((said["visibility"].clone(), said["sensitive"].clone()), (json!("public"), json!(false)));
    assert_eq!(said["language"], "en");

    // Changing one leaves the others.
    let body = json!({"source": {"sensitive": false}});
    let me = s.call(Method::PATCH, "/api/v1/accounts/update_credentials", token, body).await.ok();
    assert_eq!(
        me["source"],
        json!({"privacy": "private", "sensitive": false, "language": "de", "note": "", "fields": [], "follow_requests_count": 0})
    );
    // A profile change alone leaves them too.
    let body = json!({"display_name": "Alice"});
    let me = s.call(Method::PATCH, "/api/v1/accounts/update_credentials", token, body).await.ok();
    assert_eq!(me["source"]["privacy"], "private");
}

#[tokio::test]
async fn bad_posting_defaults_are_refused_and_change_nothing() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let token = Some(alice.token.as_str());
    for source in [json!({"privacy": "direct"}), json!({"privacy": "everyone"}), json!({"language": "klingon"})] {
        let body = json!({"display_name": "Changed", "source": source});
        let refused = s.call(Method::PATCH, "/api/v1/accounts/update_credentials", token, body).await.expect(422);
        assert!(refused["error"].as_str().expect("error").starts_with("Validation failed"), "{refused}");
    }
    let me = s.get("/api/v1/accounts/verify_credentials", token).await.ok();
    assert_eq!(me["display_name"], Value::String(String::new()), "all or nothing");
    assert_eq!(me["source"]["privacy"], "public");
}
