//! The store's contract, written once against `dyn Store` and run on both
//! backends (`common::Backend`): a real SQLite file (so WAL, the writer
//! thread and the reader pool are all in play) and a fresh PostgreSQL
//! database per test.

// Test code: a failed setup step should stop the test with a message.
#![allow(clippy::expect_used)]

mod common;

use common::Backend;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parley_core::AccountId;
use parley_core::model::{Account, Role, Status, Visibility};
use parley_core::page::PageRequest;
use parley_store::changes::Change;
use parley_store::{AdminUpdate, Conflict, FollowOptions, NewAccount, NewStatus, Store, StoreError};

fn new_account(name: &str) -> NewAccount {
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

fn new_status(author: AccountId, text: &str) -> NewStatus {
    NewStatus {
        account_id: author,
        text: text.into(),
        content_html: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        visibility: Visibility::Public,
        language: None,
        in_reply_to: None,
        mentions: Vec::new(),
        tags: Vec::new(),
        app: None,
        idempotency_key: None,
        created_at: None,
        poll: None,
        media: Vec::new(),
    }
}

async fn create_accounts(store: &Arc<dyn Store>, prefix: &str, n: usize) -> Vec<AccountId> {
    let mut accounts = Vec::new();
    for i in 0..n {
        accounts.push(store.create_account(new_account(&format!("{prefix}{i}"))).await.expect("account").id);
    }
    accounts
}

/// A deterministic pseudo-random sequence (xorshift): `next(n)` is in `0..n`.
fn pseudo_random(seed: u64) -> impl FnMut(usize) -> usize {
    let mut x = seed;
    move |n| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    }
}

async fn concurrent_writes_all_commit_and_conflicts_stay_isolated(backend: &Backend) {
    let store = backend.store().await;
    let mut tasks = tokio::task::JoinSet::new();
    // 400 distinct accounts and 100 duplicates of the first 100, all at once:
    // the duplicates fail alone, their neighbours in the same group commit.
    for i in 0..500 {
        let store = store.clone();
        tasks.spawn(async move { store.create_account(new_account(&format!("user{}", i % 400))).await });
    }
    let (mut ok, mut taken) = (0, 0);
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok(_) => ok += 1,
            Err(StoreError::Conflict(Conflict::UsernameTaken | Conflict::EmailTaken)) => taken += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, taken), (400, 100));
    assert_eq!(store.count_local_accounts().await.expect("count"), 400);
}

async fn counters_are_exact_under_concurrency(backend: &Backend) {
    let store = backend.store().await;
    let author = store.create_account(new_account("author")).await.expect("author");
    let status = store.insert_status(new_status(author.id, "hello")).await.expect("status");
    let mut fans = Vec::new();
    for i in 0..50 {
        fans.push(store.create_account(new_account(&format!("fan{i}"))).await.expect("fan"));
    }
    let mut tasks = tokio::task::JoinSet::new();
    // Every fan favourites five times and follows twice, concurrently.
    for fan in &fans {
        for _ in 0..5 {
            let (store, fan) = (store.clone(), fan.id);
            tasks.spawn(async move { store.favourite(fan, status.id, Some(author.id)).await.map(|_| ()) });
        }
        for _ in 0..2 {
            let (store, fan) = (store.clone(), fan.id);
            tasks.spawn(async move { store.follow(fan, author.id, false, FollowOptions::default()).await });
        }
    }
    while let Some(r) = tasks.join_next().await {
        r.expect("task").expect("write");
    }
    let status = store.find_status(status.id).await.expect("read").expect("status");
    assert_eq!(status.favourites_count, 50);
    let author = store.find_account(author.id).await.expect("read").expect("author");
    assert_eq!(author.followers_count, 50);
    let notes = store
        .list_notifications(
            author.id,
            &parley_core::model::NotificationKind::ALL,
            None,
            PageRequest::new(None, None, None, Some(200), 200, 200),
        )
        .await
        .expect("notes");
    assert_eq!(notes.len(), 100, "one favourite and one follow notification per fan");
}

async fn acknowledged_writes_survive_reopening(backend: &Backend) {
    let id = {
        let store = backend.store().await;
        let a = store.create_account(new_account("durable")).await.expect("create");
        store.insert_status(new_status(a.id, "still here")).await.expect("status");
        a.id
    };
    // Reopening runs migrations again (a no-op) and sees everything.
    let store = backend.store().await;
    let a = store.find_account(id).await.expect("read").expect("account");
    assert_eq!(a.statuses_count, 1);
    let page = store
        .account_statuses(None, id, Default::default(), PageRequest::new(None, None, None, None, 20, 40))
        .await
        .expect("statuses");
    assert_eq!(page[0].text, "still here");
    // New IDs keep sorting after the stored ones.
    let b = store.create_account(new_account("later")).await.expect("create");
    assert!(b.id > a.id);
}

async fn pages_agree_with_the_reference_selection(backend: &Backend) {
    let store = backend.store().await;
    let a = store.create_account(new_account("pager")).await.expect("create");
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(store.insert_status(new_status(a.id, &format!("s{i}"))).await.expect("status").id.get());
    }
    ids.reverse();
    let cases = [
        (None, None, None, 10),
        (Some(ids[5]), None, None, 10),
        (None, Some(ids[20]), None, 5),
        (None, None, Some(ids[20]), 5),
        (Some(ids[2]), None, Some(ids[20]), 40),
        (Some(ids[2]), Some(ids[10]), None, 40),
    ];
    for (max, since, min, limit) in cases {
        let page = PageRequest::new(max, since, min, Some(limit), 20, 40);
        let got: Vec<i64> =
            store.public_timeline(None, false, false, page).await.expect("page").iter().map(|s| s.id.get()).collect();
        assert_eq!(got, page.select(&ids), "{page:?}");
    }
}

/// A poll keeps who may vote, and an account says it is local.
async fn poll_eligibility_is_stored_with_the_poll(backend: &Backend) {
    use parley_core::poll::Eligibility;
    use parley_store::NewPoll;
    let store = backend.store().await;
    let author = store.create_account(new_account("author")).await.expect("account");
    assert!(author.is_local(), "accounts made here are of this server");
    let rules = Eligibility { min_account_age_days: Some(30), local_only: true };
    let mut s = new_status(author.id, "who may vote?");
    s.poll = Some(NewPoll {
        options: vec!["yes".into(), "no".into()],
        multiple: false,
        hide_totals: false,
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        eligibility: rules,
    });
    let status = store.insert_status(s).await.expect("status");
    let poll_id = status.poll_id.expect("poll");
    assert_eq!(store.find_poll(poll_id).await.expect("read").expect("poll").eligibility, rules);
    let open = store.create_account(new_account("open")).await.expect("account");
    let mut s = new_status(open.id, "anyone");
    s.poll = Some(NewPoll {
        options: vec!["a".into(), "b".into()],
        multiple: false,
        hide_totals: false,
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        eligibility: Eligibility::default(),
    });
    let status = store.insert_status(s).await.expect("status");
    let poll = store.find_poll(status.poll_id.expect("poll")).await.expect("read").expect("poll");
    assert!(poll.eligibility.is_open());
}

#[test]
fn migrations_are_numbered_without_gaps() {
    let versions = parley_store::sqlite::migration_versions();
    assert_eq!(versions, (1..=versions.len() as i64).collect::<Vec<_>>());
}

/// The versions a migrations directory holds, from its file names (`0007_….sql`).
fn versions_in(dir: &str) -> Vec<i64> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(dir);
    let mut versions: Vec<i64> = std::fs::read_dir(&path)
        .expect("migrations directory")
        .map(|e| {
            let name = e.expect("entry").file_name().into_string().expect("utf-8 name");
            name.split('_').next().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("unnumbered migration {name}"))
        })
        .collect();
    versions.sort_unstable();
    versions
}

#[test]
fn both_backends_list_the_same_migration_versions() {
    let sqlite = versions_in("sqlite");
    assert_eq!(sqlite, versions_in("postgres"), "migrations/sqlite and migrations/postgres differ");
    assert_eq!(sqlite, parley_store::sqlite::migration_versions(), "a SQLite migration is not in MIGRATIONS");
    assert_eq!(sqlite, parley_store::postgres::migration_versions(), "a PostgreSQL migration is not in MIGRATIONS");
}

/// The fast home timeline agrees with the reference query on a random graph
/// with replies, boosts, direct messages, blocks, mutes and hidden boosts.
async fn home_timeline_agrees_with_its_reference_query(backend: &Backend) {
    use parley_store::NewReblog;
    let opened = backend.open().await;
    let store = opened.store();
    let accounts = create_accounts(&store, "h", 12).await;
    let mut next = pseudo_random(0x9e37_79b9_7f4a_7c15);
    for (i, a) in accounts.iter().enumerate() {
        for _ in 0..4 {
            let t = accounts[next(accounts.len())];
            if t != *a {
                let options = FollowOptions { show_reblogs: next(4) != 0, notify: false };
                store.follow(*a, t, false, options).await.expect("follow");
            }
        }
        if i % 5 == 0 {
            store.mute(*a, accounts[next(accounts.len())], true, None).await.expect("mute");
        }
        if i % 4 == 0 {
            let t = accounts[next(accounts.len())];
            if t != *a {
                store.block(*a, t).await.expect("block");
            }
        }
    }
    let mut statuses = Vec::new();
    // Boosts as the app allows them (`StatusService::reblog`): of public and
    // unlisted statuses only, which the home rules rely on.
    let mut boostable = HashSet::new();
    for k in 0..300 {
        let author = accounts[next(accounts.len())];
        let mut s = new_status(author, &format!("s{k}"));
        s.visibility = [Visibility::Public, Visibility::Unlisted, Visibility::Private, Visibility::Direct][next(4)];
        if s.visibility == Visibility::Direct || next(3) == 0 {
            s.mentions = vec![accounts[next(accounts.len())]];
        }
        if !statuses.is_empty() && next(4) == 0 {
            let (parent_id, parent_author) = statuses[next(statuses.len())];
            s.in_reply_to = Some((parent_id, parent_author));
        }
        let public = matches!(s.visibility, Visibility::Public | Visibility::Unlisted);
        let st = store.insert_status(s).await.expect("status");
        if public {
            boostable.insert(st.id);
        }
        statuses.push((st.id, author));
        if next(5) == 0 {
            let (target, target_author) = statuses[next(statuses.len())];
            let booster = accounts[next(accounts.len())];
            if booster != target_author && boostable.contains(&target) {
                let _ = store
                    .reblog(NewReblog {
                        account_id: booster,
                        status_id: target,
                        visibility: Visibility::Public,
                        app: None,
                    })
                    .await;
            }
        }
    }
    for viewer in &accounts {
        for (max, min, limit) in [
            (None, None, 20),
            (None, None, 7),
            (None, Some(statuses[100].0.get()), 10),
            (Some(statuses[250].0.get()), None, 15),
        ] {
            let page = PageRequest::new(max, None, min, Some(limit), 20, 40);
            let fast: Vec<i64> =
                store.home_timeline(*viewer, page).await.expect("fast").iter().map(|s| s.id.get()).collect();
            let reference: Vec<i64> = opened
                .home_timeline_reference(*viewer, page)
                .await
                .expect("reference")
                .iter()
                .map(|s| s.id.get())
                .collect();
            assert_eq!(fast, reference, "viewer {viewer:?}, {page:?}");
        }
    }
}

/// The home timeline stays equal to its reference while the graph changes
/// under it: each round makes one change (a post, reply, direct message,
/// boost, unboost, deletion, follow, unfollow, hidden boosts, block, unblock,
/// mute, unmute, suspension) and then reads pages for several viewers, so
/// what the store keeps in memory from earlier reads must follow every change.
async fn home_timeline_follows_every_change_of_the_graph(backend: &Backend) {
    use parley_store::{AdminUpdate, NewReblog};
    let opened = backend.open().await;
    let store = opened.store();
    let accounts = create_accounts(&store, "g", 8).await;
    let mut next = pseudo_random(0x2545_f491_4f6c_dd1d);
    for a in &accounts {
        for t in &accounts {
            if a != t && next(2) == 0 {
                store.follow(*a, *t, false, FollowOptions::default()).await.expect("follow");
            }
        }
    }
    let mut statuses: Vec<(parley_core::StatusId, AccountId)> = Vec::new();
    let mut suspended: Option<AccountId> = None;
    // Boosts as the app allows them: of public statuses only here.
    let mut boostable = HashSet::new();
    let mut checked_pages = 0;
    for round in 0..400 {
        let a = accounts[next(accounts.len())];
        let t = accounts[next(accounts.len())];
        match next(12) {
            0..=3 => {
                let mut s = new_status(a, &format!("r{round}"));
                s.visibility = [Visibility::Public, Visibility::Private, Visibility::Direct][next(3)];
                if s.visibility == Visibility::Direct || next(3) == 0 {
                    s.mentions = vec![t];
                }
                if !statuses.is_empty() && next(3) == 0 {
                    s.in_reply_to = Some(statuses[next(statuses.len())]);
                }
                let public = s.visibility == Visibility::Public;
                let st = store.insert_status(s).await.expect("status");
                if public {
                    boostable.insert(st.id);
                }
                statuses.push((st.id, a));
            }
            4 if !statuses.is_empty() => {
                let (target, author) = statuses[next(statuses.len())];
                if author != a && boostable.contains(&target) {
                    let new = NewReblog { account_id: a, status_id: target, visibility: Visibility::Public, app: None };
                    let _ = store.reblog(new).await;
                }
            }
            5 if !statuses.is_empty() => {
                let (target, _) = statuses[next(statuses.len())];
                store.unreblog(a, target).await.expect("unreblog");
            }
            6 if !statuses.is_empty() => {
                let (target, _) = statuses.swap_remove(next(statuses.len()));
                store.delete_status(target).await.expect("delete");
            }
            7 if a != t => {
                let options = FollowOptions { show_reblogs: next(2) == 0, notify: false };
                store.follow(a, t, false, options).await.expect("follow");
            }
            8 => store.unfollow(a, t).await.expect("unfollow"),
            9 if a != t => {
                if next(2) == 0 {
                    store.block(a, t).await.expect("block");
                } else {
                    store.unblock(a, t).await.expect("unblock");
                }
            }
            10 if a != t => {
                if next(2) == 0 {
                    store.mute(a, t, true, None).await.expect("mute");
                } else {
                    store.unmute(a, t).await.expect("unmute");
                }
            }
            11 => {
                let (who, on) = match suspended.take() {
                    Some(who) => (who, false),
                    None => {
                        suspended = Some(t);
                        (t, true)
                    }
                };
                let update = AdminUpdate { suspended: Some(on), ..Default::default() };
                store.update_account_admin(who, update).await.expect("suspension");
            }
            _ => {}
        }
        for _ in 0..3 {
            let viewer = accounts[next(accounts.len())];
            let max = (!statuses.is_empty() && next(3) == 0).then(|| statuses[next(statuses.len())].0.get());
            let page = PageRequest::new(max, None, None, Some([5, 20, 40][next(3)]), 20, 40);
            let fast: Vec<i64> =
                store.home_timeline(viewer, page).await.expect("fast").iter().map(|s| s.id.get()).collect();
            let reference: Vec<i64> = opened
                .home_timeline_reference(viewer, page)
                .await
                .expect("reference")
                .iter()
                .map(|s| s.id.get())
                .collect();
            assert_eq!(fast, reference, "round {round}, viewer {viewer:?}, {page:?}");
            checked_pages += 1;
        }
    }
    assert_eq!(checked_pages, 1200);
}

/// The store keeps statuses and accounts in memory between reads. Each round
/// here makes one write that changes a status or an account (a post, reply,
/// poll, boost, unboost, deletion, favourite, unfavourite, pin, unpin, edit,
/// follow, unfollow, block, profile or admin change), then reads everything
/// and one viewer's marks through the caches and compares them with the
/// database: no write may leave a stale copy behind.
async fn cached_statuses_and_accounts_follow_every_write(backend: &Backend) {
    use parley_store::{AdminUpdate, EditStatus, NewPoll, NewReblog, PollChange, ProfileUpdate};
    let opened = backend.open().await;
    let store = opened.store();
    let accounts = create_accounts(&store, "e", 6).await;
    let mut next = pseudo_random(0x9e37_79b9_7f4a_7c15);
    let mut statuses: Vec<(parley_core::StatusId, AccountId)> = Vec::new();
    let mut all_statuses: Vec<parley_core::StatusId> = Vec::new();
    for round in 0..300 {
        let a = accounts[next(accounts.len())];
        let t = accounts[next(accounts.len())];
        let some_status = |next: &mut dyn FnMut(usize) -> usize| statuses[next(statuses.len())];
        match next(13) {
            0..=2 => {
                let mut s = new_status(a, &format!("r{round} #tag{}", next(3)));
                s.tags = vec![format!("tag{round}")];
                s.mentions = vec![t];
                if !statuses.is_empty() && next(2) == 0 {
                    s.in_reply_to = Some(some_status(&mut next));
                }
                if next(4) == 0 {
                    s.poll = Some(NewPoll {
                        options: vec!["yes".into(), "no".into()],
                        multiple: false,
                        hide_totals: false,
                        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
                        eligibility: Default::default(),
                    });
                }
                let st = store.insert_status(s).await.expect("status");
                statuses.push((st.id, a));
                all_statuses.push(st.id);
            }
            3 if !statuses.is_empty() => {
                let new = NewReblog {
                    account_id: a,
                    status_id: some_status(&mut next).0,
                    visibility: Visibility::Public,
                    app: None,
                };
                if let Ok(boost) = store.reblog(new).await {
                    all_statuses.push(boost.id);
                }
            }
            4 if !statuses.is_empty() => {
                store.unreblog(a, some_status(&mut next).0).await.expect("unreblog");
            }
            5 if !statuses.is_empty() => {
                let (target, _) = statuses.swap_remove(next(statuses.len()));
                store.delete_status(target).await.expect("delete");
            }
            6 if !statuses.is_empty() => {
                let (target, _) = some_status(&mut next);
                if next(2) == 0 {
                    store.favourite(a, target, None).await.expect("favourite");
                } else {
                    store.unfavourite(a, target).await.expect("unfavourite");
                }
            }
            7 if !statuses.is_empty() => {
                let (target, _) = some_status(&mut next);
                let edit = EditStatus {
                    text: format!("edited in round {round}"),
                    content_html: format!("<p>edited in round {round}</p>"),
                    spoiler_text: "cw".into(),
                    sensitive: true,
                    language: Some("en".into()),
                    mentions: vec![t],
                    tags: vec![format!("edit{round}")],
                    poll: PollChange::Keep,
                    text_changed: true,
                    media: None,
                    media_attributes: Vec::new(),
                };
                store.edit_status(target, edit).await.expect("edit");
            }
            8 if a != t => store.follow(a, t, false, FollowOptions::default()).await.expect("follow"),
            9 => store.unfollow(a, t).await.expect("unfollow"),
            10 if a != t => store.block(a, t).await.expect("block"),
            12 if !statuses.is_empty() => {
                let (target, author) = some_status(&mut next);
                if next(2) == 0 {
                    let _ = store.pin(author, target).await;
                } else {
                    store.unpin(author, target).await.expect("unpin");
                }
            }
            11 => {
                if next(2) == 0 {
                    let update = ProfileUpdate { display_name: Some(format!("name {round}")), ..Default::default() };
                    store.update_profile(a, update).await.expect("profile");
                } else {
                    let update = AdminUpdate { organisation: Some(Some(format!("org {round}"))), ..Default::default() };
                    store.update_account_admin(a, update).await.expect("admin");
                }
            }
            _ => {}
        }
        let (want_statuses, want_accounts) =
            opened.entities_uncached(all_statuses.clone(), accounts.clone()).await.expect("uncached");
        let statuses: Vec<Status> =
            store.find_statuses(&all_statuses).await.expect("statuses").into_iter().map(Arc::unwrap_or_clone).collect();
        assert_eq!(statuses, want_statuses, "round {round}");
        let found: Vec<Account> =
            store.find_accounts(&accounts).await.expect("accounts").into_iter().map(Arc::unwrap_or_clone).collect();
        assert_eq!(found, want_accounts, "round {round}");
        for id in all_statuses.iter().rev().take(3) {
            let want = want_statuses.iter().find(|s| s.id == *id).cloned();
            assert_eq!(store.find_status(*id).await.expect("status").map(Arc::unwrap_or_clone), want, "round {round}");
        }
        // Marks on deleted statuses may linger in memory: IDs are never reused,
        // so they can never be shown.
        let viewer = accounts[next(accounts.len())];
        let live: Vec<parley_core::StatusId> = want_statuses.iter().map(|s| s.id).collect();
        let marks = store.status_flags(viewer, &live).await.expect("marks");
        let want = opened.status_flags_uncached(viewer, live).await.expect("uncached marks");
        assert_eq!(
            (marks.favourited, marks.reblogged, marks.pinned),
            (want.favourited, want.reblogged, want.pinned),
            "round {round}, viewer {viewer:?}"
        );
    }
}

// ---- two stores on one file, as a server and the CLI (or two nodes) are ----

async fn two_processes_hold_different_node_numbers_and_never_make_the_same_id(backend: &Backend) {
    let (a, b) = (backend.open().await, backend.open().await);
    assert_ne!(a.node(), b.node(), "two live stores share a node number");
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..300 {
        let store = if i % 2 == 0 { a.store() } else { b.store() };
        tasks.spawn(async move { store.create_account(new_account(&format!("u{i}"))).await.expect("create").id });
    }
    let mut ids = HashSet::new();
    while let Some(id) = tasks.join_next().await {
        assert!(ids.insert(id.expect("task")), "an ID was made twice");
    }
    assert_eq!(ids.len(), 300);
}

async fn a_store_applies_what_another_wrote_to_its_caches(backend: &Backend) {
    let (server, cli) = (backend.store().await, backend.store().await);
    let author = server.create_account(new_account("embassy")).await.expect("author");
    let reader = server.create_account(new_account("reader")).await.expect("reader");
    server.follow(reader.id, author.id, false, Default::default()).await.expect("follow");
    server.insert_status(new_status(author.id, "hello")).await.expect("post");
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

/// Two processes (two nodes on PostgreSQL) take ballots for one poll at
/// once, every ballot sent to both: each voter counts once, the other copy
/// is `AlreadyVoted`, the tally and the hash chain are exact, each ballot
/// has a leaf of its own in the poll's transparency log (indices 0..60, no
/// two alike), and each process's change log carries every ballot.
async fn ballots_are_exact_when_two_nodes_take_them_at_once(backend: &Backend) {
    use parley_core::poll::Eligibility;
    use parley_store::{NewBallot, NewPoll};
    let (a, b) = (backend.store().await, backend.store().await);
    let author = a.create_account(new_account("pollster")).await.expect("author");
    let mut s = new_status(author.id, "which?");
    s.poll = Some(NewPoll {
        options: vec!["a".into(), "b".into(), "c".into()],
        multiple: true,
        hide_totals: false,
        expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
        eligibility: Eligibility::default(),
    });
    let poll = a.insert_status(s).await.expect("status").poll_id.expect("poll");
    let voters = create_accounts(&b, "voter", 60).await;
    let start = a.catch_up().await.expect("position");
    let mut tasks = tokio::task::JoinSet::new();
    for (i, voter) in voters.iter().enumerate() {
        let choices: Vec<u32> = if i % 3 == 0 { vec![0, 2] } else { vec![(i % 3) as u32] };
        for store in [a.clone(), b.clone()] {
            let commitment = parley_core::tlog::commitment(&voter.0.to_be_bytes());
            let ballot =
                NewBallot { poll_id: poll, account_id: *voter, choices: choices.clone(), at: None, commitment };
            tasks.spawn(async move { store.record_ballot(ballot).await });
        }
    }
    let (mut recorded, mut refused) = (0, 0);
    let mut leaves = Vec::new();
    while let Some(r) = tasks.join_next().await {
        match r.expect("task") {
            Ok(ballot) => {
                recorded += 1;
                leaves.push(ballot.leaf_index);
            }
            Err(StoreError::Conflict(Conflict::AlreadyVoted)) => refused += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((recorded, refused), (60, 60), "each voter counts once, on whichever node");
    leaves.sort_unstable();
    assert_eq!(leaves, (0..60).collect::<Vec<u64>>(), "each ballot has a leaf of its own");
    assert_eq!(b.poll_log_size(poll).await.expect("log size"), 60);
    let root = a.poll_log_root(poll, 60).await.expect("root");
    let proof = b.poll_log_inclusion(poll, 17, 60).await.expect("inclusion");
    assert_eq!(proof.root, root, "both nodes read one tree");
    let leaf = parley_core::tlog::leaf_hash(&proof.leaf);
    assert!(parley_core::tlog::verify_inclusion(17, 60, &leaf, &proof.proof, &root), "the proof verifies");
    let stored = a.find_poll(poll).await.expect("read").expect("poll");
    assert_eq!(stored.voters_count, 60);
    assert_eq!(stored.option_votes, vec![20, 20, 40]);
    assert_eq!(stored.votes_count, 80);
    let audits = b.audit_polls().await.expect("audit");
    assert!(audits.iter().all(|a| a.problems.is_empty()), "{audits:?}");
    for store in [&a, &b] {
        let state = store.poll_state(poll).await.expect("state").expect("poll");
        assert_eq!(state.ballots.len(), 60);
        let records = store.changes_after(start, 10_000).await.expect("log");
        let ballots = records.iter().filter(|r| matches!(r.change, Change::BallotRecorded { .. })).count();
        assert_eq!(ballots, 60, "every ballot is in the log, once");
        assert!(records.windows(2).all(|w| w[1].seq == w[0].seq + 1), "the log has no gaps");
    }
}

/// Every unique index or constraint of the PostgreSQL schema is listed in
/// `postgres/constraints.rs`, so a violation is mapped, never a surprise.
#[tokio::test]
async fn every_unique_constraint_of_the_postgres_schema_is_listed() {
    let Some(backend) = Backend::postgres("every_unique_constraint_of_the_postgres_schema_is_listed").await else {
        return;
    };
    let common::Opened::Postgres(store) = backend.open().await else { unreachable!("a PostgreSQL backend") };
    assert_eq!(store.unlisted_unique_constraints().await.expect("schema"), Vec::<String>::new());
}

/// A node applies another node's records when `NOTIFY` says there are new
/// ones, not only at its next poll of the log (here an hour away).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_is_woken_by_notify_not_by_its_poll() {
    use parley_store::postgres::{PgOptions, PgStore};
    let Some(backend) = Backend::postgres("a_node_is_woken_by_notify_not_by_its_poll").await else { return };
    let Backend::Postgres(db) = &backend else { unreachable!("a PostgreSQL backend") };
    let slow = PgOptions { poll_interval: Duration::from_secs(3600), ..PgOptions::default() };
    let reader = PgStore::open(db.url(), slow.clone()).await.expect("reader node");
    let writer = PgStore::open(db.url(), slow).await.expect("writer node");
    let account = writer.create_account(new_account("renamed")).await.expect("account");
    // The reader's entity cache holds the account as it is now.
    assert_eq!(reader.find_account(account.id).await.expect("read").expect("account").display_name, "");
    let update = parley_store::ProfileUpdate { display_name: Some("New name".into()), ..Default::default() };
    writer.update_profile(account.id, update).await.expect("rename");
    let started = Instant::now();
    while reader.find_account(account.id).await.expect("read").expect("account").display_name != "New name" {
        assert!(started.elapsed() < Duration::from_secs(1), "the reader node was not woken by NOTIFY");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

on_both_backends!(
    concurrent_writes_all_commit_and_conflicts_stay_isolated,
    counters_are_exact_under_concurrency,
    acknowledged_writes_survive_reopening,
    pages_agree_with_the_reference_selection,
    poll_eligibility_is_stored_with_the_poll,
    home_timeline_agrees_with_its_reference_query,
    home_timeline_follows_every_change_of_the_graph,
    cached_statuses_and_accounts_follow_every_write,
    two_processes_hold_different_node_numbers_and_never_make_the_same_id,
    a_store_applies_what_another_wrote_to_its_caches,
    ballots_are_exact_when_two_nodes_take_them_at_once,
);
