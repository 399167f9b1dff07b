//! Conversations and scheduled statuses at the store, on both backends
//! (`common::Backend`): conversations follow direct statuses in their own
//! transactions, and a scheduled status is published once even by two
//! processes (or nodes) at the same time.

// Test code: a failed setup step should stop the test with a message.
#![allow(clippy::expect_used)]

mod common;

use common::Backend;

use std::sync::Arc;

use chrono::{Duration, Utc};
use parley_core::AccountId;
use parley_core::model::{Role, Visibility};
use parley_core::page::PageRequest;
use parley_store::changes::Change;
use parley_store::{NewAccount, NewStatus, Rejection, ScheduledParams, Store, StoreError};

async fn account(store: &Arc<dyn Store>, name: &str) -> AccountId {
    let new = NewAccount {
        username: name.to_string(),
        email: format!("{name}@example.org"),
        password_hash: "x".into(),
        display_name: String::new(),
        role: Role::User,
        organisation: None,
        approved: true,
        created_at: None,
    };
    store.create_account(new).await.expect("account").id
}

fn status(author: AccountId, text: &str, visibility: Visibility, mentions: Vec<AccountId>) -> NewStatus {
    NewStatus {
        account_id: author,
        text: text.into(),
        content_html: format!("<p>{text}</p>"),
        spoiler_text: String::new(),
        sensitive: false,
        visibility,
        language: None,
        in_reply_to: None,
        mentions,
        tags: Vec::new(),
        app: None,
        idempotency_key: None,
        created_at: None,
        poll: None,
    }
}

fn page() -> PageRequest {
    PageRequest { limit: 40, ..PageRequest::default() }
}

async fn a_direct_status_writes_each_participants_conversation_with_its_records(backend: &Backend) {
    let store = backend.store().await;
    let (a, b, c) = (account(&store, "a").await, account(&store, "b").await, account(&store, "c").await);
    let before = store.catch_up().await.expect("position");
    let s = store.insert_status(status(a, "hi", Visibility::Direct, vec![c, b])).await.expect("status");

    let of_a = store.conversations_of(a, page()).await.expect("list");
    assert_eq!(of_a.len(), 1);
    assert_eq!(of_a[0].participants, {
        let mut others = vec![b, c];
        others.sort();
        others
    });
    assert_eq!((of_a[0].last_status, of_a[0].unread), (s.id, false));
    let of_b = store.conversations_of(b, page()).await.expect("list");
    assert_eq!(of_b[0].participants, {
        let mut others = vec![a, c];
        others.sort();
        others
    });
    assert!(of_b[0].unread);
    let updated: Vec<AccountId> = store
        .changes_after(before, 100)
        .await
        .expect("records")
        .into_iter()
        .filter_map(|r| match r.change {
            Change::ConversationUpdated { account, .. } => Some(account),
            _ => None,
        })
        .collect();
    assert_eq!(updated.len(), 3, "one record per participant: {updated:?}");

    // A private status with mentions makes none.
    store.insert_status(status(a, "not direct", Visibility::Private, vec![b])).await.expect("status");
    assert_eq!(store.conversations_of(b, page()).await.expect("list").len(), 1);
    // Deleting the only status removes every participant's conversation.
    store.delete_status(s.id).await.expect("delete");
    for who in [a, b, c] {
        assert!(store.conversations_of(who, page()).await.expect("list").is_empty());
    }
}

async fn two_processes_publishing_the_same_scheduled_status_post_it_once(backend: &Backend) {
    let (one, two) = (backend.store().await, backend.store().await);
    let a = account(&one, "a").await;
    let params = ScheduledParams { text: "later".into(), ..ScheduledParams::default() };
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(one.schedule_status(a, Utc::now() + Duration::hours(1), params.clone()).await.expect("scheduled").id);
    }
    let publish = |store: Arc<dyn Store>, ids: Vec<parley_core::ScheduledStatusId>| {
        tokio::spawn(async move {
            let mut posted = 0;
            for id in ids {
                let new = status(a, "later", Visibility::Public, Vec::new());
                if store.publish_scheduled_status(id, new).await.expect("publish").is_some() {
                    posted += 1;
                }
            }
            posted
        })
    };
    let (x, y) = (publish(one.clone(), ids.clone()), publish(two.clone(), ids.clone()));
    let total = x.await.expect("join") + y.await.expect("join");
    assert_eq!(total, 20);
    let posted = one.account_statuses(Some(a), a, Default::default(), page()).await.expect("statuses");
    assert_eq!(posted.len(), 20);
    assert!(one.scheduled_statuses_of(a, page()).await.expect("list").is_empty());
    assert!(!one.cancel_scheduled_status(a, ids[0]).await.expect("cancel"), "gone once published");
}

async fn the_daily_limit_is_checked_in_the_writing_transaction_and_moving_counts_too(backend: &Backend) {
    let store = backend.store().await;
    let a = account(&store, "a").await;
    let day = Utc::now() + Duration::days(3);
    let params = ScheduledParams { text: "x".into(), ..ScheduledParams::default() };
    for i in 0..25 {
        store.schedule_status(a, day + Duration::seconds(i), params.clone()).await.expect("within the limit");
    }
    let over = store.schedule_status(a, day, params.clone()).await;
    assert!(matches!(over, Err(StoreError::Rejected(Rejection::TooManyScheduledThatDay))), "{over:?}");
    // One on another day may not be moved onto the full one; one already there may move within it.
    let other = store.schedule_status(a, day + Duration::days(2), params.clone()).await.expect("another day");
    let moved = store.reschedule_status(a, other.id, day).await;
    assert!(matches!(moved, Err(StoreError::Rejected(Rejection::TooManyScheduledThatDay))), "{moved:?}");
    let first = store.scheduled_statuses_of(a, page()).await.expect("list").pop().expect("oldest");
    store.reschedule_status(a, first.id, first.scheduled_at + Duration::seconds(1)).await.expect("same day");
}

on_both_backends!(
    a_direct_status_writes_each_participants_conversation_with_its_records,
    two_processes_publishing_the_same_scheduled_status_post_it_once,
    the_daily_limit_is_checked_in_the_writing_transaction_and_moving_counts_too,
);
