//! Two stores on one database file, as a server and the CLI (or two nodes)
//! are: each applies what the other writes, and their IDs never collide.
// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parley_core::model::Role;
use parley_core::page::PageRequest;
use parley_store::changes::Change;
use parley_store::sqlite::{SqliteOptions, SqliteStore};
use parley_store::{AdminUpdate, NewAccount, NewStatus, Store};

fn account(name: &str) -> NewAccount {
    NewAccount {
        username: name.to_string(),
        email: format!("{name}@example.org"),
        password_hash: "x".into(),
        display_name: String::new(),
        role: Role::User,
        organisation: None,
        approved: true,
        created_at: None,
    }
}

fn post(author: parley_core::AccountId, text: &str) -> NewStatus {
    NewStatus {
        account_id: author,
        text: text.into(),
        content_html: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        visibility: parley_core::model::Visibility::Public,
        language: None,
        in_reply_to: None,
        mentions: Vec::new(),
        tags: Vec::new(),
        app: None,
        idempotency_key: None,
        created_at: None,
        poll: None,
    }
}

fn open(path: &std::path::Path) -> SqliteStore {
    SqliteStore::open(path, SqliteOptions::default()).expect("open")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_hold_different_node_numbers_and_never_make_the_same_id() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("db.sqlite3");
    let (a, b) = (open(&path), open(&path));
    assert_ne!(a.node(), b.node(), "two live stores share a node number");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..300 {
        let store: Arc<dyn Store> = Arc::new(if i % 2 == 0 { a.clone() } else { b.clone() });
        tasks.spawn(async move { store.create_account(account(&format!("u{i}"))).await.expect("create").id });
    }
    let mut ids = HashSet::new();
    while let Some(id) = tasks.join_next().await {
        assert!(ids.insert(id.expect("task")), "an ID was made twice");
    }
    assert_eq!(ids.len(), 300);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_applies_what_another_wrote_to_its_caches() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("db.sqlite3");
    let (server, cli) = (open(&path), open(&path));
    let author = server.create_account(account("embassy")).await.expect("author");
    let reader = server.create_account(account("reader")).await.expect("reader");
    server.follow(reader.id, author.id, false, Default::default()).await.expect("follow");
    server.insert_status(post(author.id, "hello")).await.expect("post");
    // The server's caches hold the account, the status and the reader's home.
    let home = server.home_timeline(reader.id, PageRequest::new(None, None, None, Some(20), 20, 40)).await;
    assert_eq!(home.expect("home").len(), 1);
    assert!(!server.find_account(author.id).await.expect("find").expect("author").suspended);

    let seen = server.catch_up().await.expect("catch up");
    cli.update_account_admin(author.id, AdminUpdate { suspended: Some(true), ..Default::default() })
        .await
        .expect("suspend");
    let records = server.changes_after(seen, 10).await.expect("records");
    assert!(
        records.iter().any(|r| r.change == Change::StandingChanged { account: author.id, suspension: true }),
        "the suspension left no record: {records:?}"
    );

    // The server's tailer applies the CLI's records within its interval.
    let started = Instant::now();
    loop {
        let suspended = server.find_account(author.id).await.expect("find").expect("author").suspended;
        let home = server.home_timeline(reader.id, PageRequest::new(None, None, None, Some(20), 20, 40)).await;
        if suspended && home.expect("home").is_empty() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "another store's write not applied within a second");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(server.check_derived().await.expect("check").is_empty());
}
