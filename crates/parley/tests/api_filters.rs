//! Filters (v2) over HTTP: the filters, their keywords and statuses, and
//! where they apply: `filtered` on statuses for warn, statuses gone for hide,
//! only in the filter's contexts, only while it is in force.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User, ids};
use reqwest::Method;
use serde_json::{Value, json};

async fn filter(s: &TestServer, user: &User, body: Value) -> Value {
    s.post("/api/v2/filters", Some(&user.token), body).await.ok()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_string()
}

/// The statuses of a listing as (ID, titles of the filters that matched).
fn shown(list: &Value) -> Vec<(String, Vec<String>)> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|st| {
            let titles = st["filtered"]
                .as_array()
                .expect("filtered for a signed-in viewer")
                .iter()
                .map(|r| r["filter"]["title"].as_str().expect("title").to_string())
                .collect();
            (id(st), titles)
        })
        .collect()
}

#[tokio::test]
async fn filters_keywords_and_statuses_are_made_changed_and_removed_by_their_owner_only() {
    let s = TestServer::start().await;
    let (alice, mallory, bob) = (s.user("alice").await, s.user("mallory").await, s.user("bob").await);
    let token = Some(alice.token.as_str());
    let made = filter(
        &s,
        &alice,
        json!({"title": "Consulates", "context": ["home", "public"], "filter_action": "warn",
               "keywords_attributes": [{"keyword": "Vladivostok"}, {"keyword": "burg", "whole_word": false}]}),
    )
    .await;
    let fid = id(&made);
    let keywords = made["keywords"].as_array().expect("keywords").clone();
    assert_eq!(made["title"], "Consulates");
    assert_eq!(made["context"], json!(["home", "public"]));
    assert_eq!((made["filter_action"].clone(), made["expires_at"].clone()), (json!("warn"), Value::Null));
    assert_eq!(
        keywords.iter().map(|k| (k["keyword"].clone(), k["whole_word"].clone())).collect::<Vec<_>>(),
        [(json!("Vladivostok"), json!(true)), (json!("burg"), json!(false))]
    );
    assert_eq!(made["statuses"], json!([]));
    assert_eq!(s.get("/api/v2/filters", token).await.ok(), json!([made.clone()]));
    assert_eq!(s.get(&format!("/api/v2/filters/{fid}"), token).await.ok(), made);

    // Changing: fields given, a keyword changed by ID, one removed, one added.
    let first = id(&keywords[0]);
    let second = id(&keywords[1]);
    let changed = s
        .call(
            Method::PUT,
            &format!("/api/v2/filters/{fid}"),
            token,
            json!({"filter_action": "hide", "expires_in": 3600, "keywords_attributes": [
                {"id": first, "keyword": "Vladivostok", "whole_word": false},
                {"id": second, "_destroy": true},
                {"keyword": "Yekaterinburg"}]}),
        )
        .await
        .ok();
    assert_eq!((changed["title"].clone(), changed["filter_action"].clone()), (json!("Consulates"), json!("hide")));
    assert!(changed["expires_at"].is_string());
    let words: Vec<(Value, Value)> = changed["keywords"]
        .as_array()
        .expect("keywords")
        .iter()
        .map(|k| (k["keyword"].clone(), k["whole_word"].clone()))
        .collect();
    assert_eq!(words, [(json!("Vladivostok"), json!(false)), (json!("Yekaterinburg"), json!(true))]);

    // The keyword endpoints.
    let added =
        s.post(&format!("/api/v2/filters/{fid}/keywords"), token, json!({"keyword": "St. Petersburg"})).await.ok();
    assert_eq!((added["keyword"].clone(), added["whole_word"].clone()), (json!("St. Petersburg"), json!(true)));
    let kid = id(&added);
    assert_eq!(s.get(&format!("/api/v2/filters/keywords/{kid}"), token).await.ok(), added);
    let renamed =
        s.call(Method::PUT, &format!("/api/v2/filters/keywords/{kid}"), token, json!({"whole_word": false})).await.ok();
    assert_eq!(renamed, json!({"id": kid, "keyword": "St. Petersburg", "whole_word": false}));
    assert_eq!(s.get(&format!("/api/v2/filters/{fid}/keywords"), token).await.ok().as_array().map(Vec::len), Some(3));
    let gone = s.call(Method::DELETE, &format!("/api/v2/filters/keywords/{kid}"), token, Value::Null).await.ok();
    assert_eq!(gone, json!({}));
    s.get(&format!("/api/v2/filters/keywords/{kid}"), token).await.expect(404);

    // The status endpoints: only a status the owner may see, once.
    let public = s.post_text(&bob, "public", "public").await;
    let private = s.post_text(&bob, "followers only", "private").await;
    let entry = s.post(&format!("/api/v2/filters/{fid}/statuses"), token, json!({"status_id": public})).await.ok();
    assert_eq!(entry["status_id"], public.as_str());
    let again = s.post(&format!("/api/v2/filters/{fid}/statuses"), token, json!({"status_id": public})).await;
    assert_eq!(again.expect(422)["error"], "Validation failed: Status has already been taken");
    s.post(&format!("/api/v2/filters/{fid}/statuses"), token, json!({"status_id": private})).await.expect(404);
    let eid = id(&entry);
    assert_eq!(s.get(&format!("/api/v2/filters/statuses/{eid}"), token).await.ok(), entry);
    assert_eq!(s.get(&format!("/api/v2/filters/{fid}/statuses"), token).await.ok(), json!([entry.clone()]));

    // Anyone else's filter, keyword or entry does not exist for them.
    let theirs = Some(mallory.token.as_str());
    s.get(&format!("/api/v2/filters/{fid}"), theirs).await.expect(404);
    s.call(Method::PUT, &format!("/api/v2/filters/{fid}"), theirs, json!({"title": "x"})).await.expect(404);
    s.call(Method::DELETE, &format!("/api/v2/filters/{fid}"), theirs, Value::Null).await.expect(404);
    s.get(&format!("/api/v2/filters/keywords/{first}"), theirs).await.expect(404);
    s.call(Method::DELETE, &format!("/api/v2/filters/keywords/{first}"), theirs, Value::Null).await.expect(404);
    s.post(&format!("/api/v2/filters/{fid}/keywords"), theirs, json!({"keyword": "x"})).await.expect(404);
    s.get(&format!("/api/v2/filters/statuses/{eid}"), theirs).await.expect(404);
    s.call(Method::DELETE, &format!("/api/v2/filters/statuses/{eid}"), theirs, Value::Null).await.expect(404);
    // A keyword ID of someone else's filter given in one's own filter's attributes.
    let own = filter(&s, &mallory, json!({"title": "Mine", "context": ["home"]})).await;
    s.call(
        Method::PUT,
        &format!("/api/v2/filters/{}", id(&own)),
        theirs,
        json!({"keywords_attributes": [{"id": first, "keyword": "stolen"}]}),
    )
    .await
    .expect(404);
    assert_eq!(s.get(&format!("/api/v2/filters/{fid}"), token).await.ok()["keywords"][0]["keyword"], "Vladivostok");
    s.get("/api/v2/filters", None).await.expect(401);

    let removed = s.call(Method::DELETE, &format!("/api/v2/filters/statuses/{eid}"), token, Value::Null).await.ok();
    assert_eq!(removed, json!({}));
    assert_eq!(s.call(Method::DELETE, &format!("/api/v2/filters/{fid}"), token, Value::Null).await.ok(), json!({}));
    s.get(&format!("/api/v2/filters/{fid}"), token).await.expect(404);
    assert_eq!(s.get("/api/v2/filters", token).await.ok(), json!([]));
    s.assert_in_step().await;
}

#[tokio::test]
async fn bad_filters_are_refused_with_422() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let token = Some(alice.token.as_str());
    let cases = [
        (json!({"context": ["home"]}), "Validation failed: Title can't be blank"),
        (json!({"title": "t"}), "Validation failed: Context can't be blank"),
        (
            json!({"title": "t", "context": ["everywhere"]}),
            "Validation failed: Context None or invalid context supplied",
        ),
        (
            json!({"title": "t", "context": ["home"], "filter_action": "explode"}),
            "Validation failed: Filter action is not included in the list",
        ),
        (
            json!({"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": "  "}]}),
            "Validation failed: Keyword can't be blank",
        ),
        (
            json!({"title": "t", "context": ["home"], "expires_in": -5}),
            "Validation failed: Expires in is not a valid duration",
        ),
    ];
    for (body, error) in cases {
        assert_eq!(s.post("/api/v2/filters", token, body).await.expect(422), json!({"error": error}));
    }
    assert_eq!(s.get("/api/v2/filters", token).await.ok(), json!([]));
    let made = filter(&s, &alice, json!({"title": "t", "context": ["home"]})).await;
    s.post(&format!("/api/v2/filters/{}/keywords", id(&made)), token, json!({})).await.expect(422);
    s.post(&format!("/api/v2/filters/{}/statuses", id(&made)), token, json!({})).await.expect(422);
}

#[tokio::test]
async fn filters_warn_or_hide_in_their_contexts_only_and_while_in_force() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    s.follow(&alice, &bob).await;
    let token = Some(alice.token.as_str());
    let warned = s.post_text(&bob, "Close the Vladivostok consulate", "public").await;
    let hidden = s.post_text(&bob, "News from Yekaterinburg", "public").await;
    let plain = s.post_text(&bob, "Nothing to see", "public").await;
    let own = s.post_text(&alice, "My Vladivostok and Yekaterinburg", "public").await;
    filter(
        &s,
        &alice,
        json!({"title": "Warn", "context": ["home", "public"], "keywords_attributes": [{"keyword": "vladivostok"}]}),
    )
    .await;
    filter(
        &s,
        &alice,
        json!({"title": "Hide", "context": ["home"], "filter_action": "hide", "keywords_attributes": [{"keyword": "YEKATERINBURG"}]}),
    )
    .await;

    let none = Vec::<String>::new;
    let warn = || vec!["Warn".to_string()];
    let home = s.get("/api/v1/timelines/home", token).await.ok();
    assert_eq!(shown(&home), [(own.clone(), none()), (plain.clone(), none()), (warned.clone(), warn())]);
    let public = s.get("/api/v1/timelines/public", token).await.ok();
    assert_eq!(
        shown(&public),
        [(own.clone(), none()), (plain.clone(), none()), (hidden.clone(), none()), (warned.clone(), warn())]
    );
    let result = &public[3]["filtered"][0];
    assert_eq!(
        (result["keyword_matches"].clone(), result["status_matches"].clone()),
        (json!(["vladivostok"]), Value::Null)
    );
    assert_eq!(result["filter"]["filter_action"], "warn");
    // No filter names the account context; anonymous viewers have no `filtered`.
    let account = s.get(&format!("/api/v1/accounts/{}/statuses", bob.id), token).await.ok();
    assert_eq!(ids(&account), [plain.clone(), hidden.clone(), warned.clone()]);
    let anonymous = s.get("/api/v1/timelines/public", None).await.ok();
    assert!(anonymous[0].get("filtered").is_none(), "{}", anonymous[0]);

    // A boost is filtered by what it boosts.
    let carol = s.user("carol").await;
    s.follow(&alice, &carol).await;
    let boost = s.post(&format!("/api/v1/statuses/{hidden}/reblog"), Some(&carol.token), Value::Null).await.ok();
    assert!(!ids(&s.get("/api/v1/timelines/home", token).await.ok()).contains(&id(&boost)));

    // A status filter in the thread context hides a reply there, and in a list as home.
    let reply = s.status(&bob, json!({"status": "a reply", "in_reply_to_id": plain})).await;
    let thread_filter =
        filter(&s, &alice, json!({"title": "Thread", "context": ["thread"], "filter_action": "hide"})).await;
    s.post(&format!("/api/v2/filters/{}/statuses", id(&thread_filter)), token, json!({"status_id": id(&reply)}))
        .await
        .ok();
    let context = s.get(&format!("/api/v1/statuses/{plain}/context"), token).await.ok();
    assert_eq!(context["descendants"], json!([]));
    let list = s.post("/api/v1/lists", token, json!({"title": "Bob"})).await.ok();
    s.post(&format!("/api/v1/lists/{}/accounts", id(&list)), token, json!({"account_ids": [bob.id]})).await.ok();
    let listed = s.get(&format!("/api/v1/timelines/list/{}", id(&list)), token).await.ok();
    assert_eq!(ids(&listed), [id(&reply), plain.clone(), warned.clone()]);

    // An expired filter applies to nothing, and is still listed.
    let soon = filter(
        &s,
        &alice,
        json!({"title": "Soon", "context": ["account"], "filter_action": "hide", "expires_in": 1,
               "keywords_attributes": [{"keyword": "nothing"}]}),
    )
    .await;
    let account = s.get(&format!("/api/v1/accounts/{}/statuses", bob.id), token).await.ok();
    assert!(!ids(&account).contains(&plain));
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let account = s.get(&format!("/api/v1/accounts/{}/statuses", bob.id), token).await.ok();
    assert!(ids(&account).contains(&plain));
    assert!(ids(&s.get("/api/v2/filters", token).await.ok()).contains(&id(&soon)));
}

#[tokio::test]
async fn filters_in_the_notifications_context_warn_on_and_hide_mentions() {
    let s = TestServer::start().await;
    let (alice, bob) = (s.user("alice").await, s.user("bob").await);
    let token = Some(alice.token.as_str());
    let warned = s.post_text(&bob, &format!("@{} the Vladivostok vote", alice.username), "public").await;
    let hidden = s.post_text(&bob, &format!("@{} the Yekaterinburg vote", alice.username), "public").await;
    let plain = s.post_text(&bob, &format!("@{} a plain mention", alice.username), "public").await;
    filter(
        &s,
        &alice,
        json!({"title": "Warn", "context": ["notifications"], "keywords_attributes": [{"keyword": "Vladivostok"}]}),
    )
    .await;
    // In force in the home context only: no effect on notifications.
    filter(&s, &alice, json!({"title": "Home", "context": ["home"], "filter_action": "hide", "keywords_attributes": [{"keyword": "plain"}]}))
        .await;
    let before = s.get("/api/v1/notifications", token).await.ok();
    let statuses: Vec<Value> = before.as_array().expect("list").iter().map(|n| n["status"].clone()).collect();
    assert_eq!(
        shown(&Value::Array(statuses)),
        [(plain.clone(), vec![]), (hidden.clone(), vec![]), (warned.clone(), vec!["Warn".to_string()]),]
    );
    filter(
        &s,
        &alice,
        json!({"title": "Hide", "context": ["notifications"], "filter_action": "hide", "keywords_attributes": [{"keyword": "Yekaterinburg"}]}),
    )
    .await;
    let after = s.get("/api/v1/notifications", token).await.ok();
    let mentioned: Vec<String> =
        after.as_array().expect("list").iter().map(|n| n["status"]["id"].as_str().expect("id").to_string()).collect();
    assert_eq!(mentioned, [plain, warned]);
    // Counts and groups agree with the list: the hidden mention is not counted.
    assert_eq!(s.get("/api/v1/notifications/unread_count", token).await.ok()["count"], 2);
    assert_eq!(s.get("/api/v2/notifications/unread_count", token).await.ok()["count"], 2);
    let groups = s.get("/api/v2/notifications", token).await.ok();
    let grouped: Vec<&str> = groups["notification_groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter_map(|g| g["status_id"].as_str())
        .collect();
    assert_eq!(grouped.len(), 2, "{groups}");
    assert!(!grouped.contains(&hidden.as_str()), "{groups}");
}
