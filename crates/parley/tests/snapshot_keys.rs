//! Signing keys have IDs and rotate without forgetting: after
//! `parley admin keys rotate` (another process, while the server runs) new
//! snapshots name the new key, the old key stays published in
//! `/.well-known/parley/snapshot-keys`, and a snapshot signed before the
//! rotation still verifies against the key its ID names there.

#![allow(clippy::expect_used)]

mod common;

use std::process::Command;

use common::TestServer;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_parley");

fn cli(s: &TestServer, args: &[&str]) -> String {
    let out =
        Command::new(BIN).args(args).args(s.instance_args()).env("RUST_LOG", "warn").output().expect("run parley");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "parley {args:?} failed:\n{text}");
    text
}

/// The published key a snapshot's `key_id` names, checked against the key in the file.
fn published_key<'a>(keys: &'a Value, snapshot: &Value) -> &'a Value {
    let id = snapshot["signature"]["key_id"].as_str().expect("key_id");
    let key = keys["keys"].as_array().expect("keys").iter().find(|k| k["key_id"] == id).expect("key published");
    assert_eq!(key["public_key"], snapshot["signature"]["public_key"]);
    key
}

#[tokio::test]
async fn rotation_keeps_old_snapshots_verifiable() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let voter = s.user("voter").await;
    let status =
        s.status(&author, json!({"status": "Which?", "poll": {"options": ["a", "b"], "expires_in": 3600}})).await;
    let poll = status["poll"]["id"].as_str().expect("poll id").to_string();
    s.post(&format!("/api/v1/polls/{poll}/votes"), Some(&voter.token), json!({"choices": [1]})).await.ok();

    let before = s.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), None).await.ok();
    let old_id = before["signature"]["key_id"].as_str().expect("key_id").to_string();
    assert_eq!(old_id.len(), 16);
    let current = s.get("/.well-known/parley/snapshot-key", None).await.ok();
    assert_eq!(current["key_id"], old_id);
    assert!(current["retired_at"].is_null());

    let rotated = cli(&s, &["admin", "keys", "rotate"]);
    assert!(rotated.contains("now signing with"), "{rotated}");

    let after = s.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), None).await.ok();
    let new_id = after["signature"]["key_id"].as_str().expect("key_id").to_string();
    assert_ne!(new_id, old_id, "the server signs with the new key at once");
    let keys = s.get("/.well-known/parley/snapshot-keys", None).await.ok();
    assert_eq!(keys["keys"].as_array().map(Vec::len), Some(2));
    let old = published_key(&keys, &before);
    assert!(old["retired_at"].is_string(), "the old key is marked retired: {old}");
    assert!(published_key(&keys, &after)["retired_at"].is_null());
    assert_eq!(s.get("/.well-known/parley/snapshot-key", None).await.ok()["key_id"], new_id);

    // Both verify, each pinned to the key the server publishes under its ID.
    let pin = |doc: &Value| published_key(&keys, doc)["public_key"].as_str().expect("key").to_string();
    assert_eq!(parley_app::snapshots::verify_snapshot(&before, Some(&pin(&before))), Ok(()));
    assert_eq!(parley_app::snapshots::verify_snapshot(&after, Some(&pin(&after))), Ok(()));
    // A snapshot pinned to the other key does not.
    assert!(parley_app::snapshots::verify_snapshot(&before, Some(&pin(&after))).is_err());

    let listed = cli(&s, &["admin", "keys", "list"]);
    assert!(listed.contains(&old_id) && listed.contains(&new_id) && listed.contains("signs now"), "{listed}");
}
