//! Follows, follow requests, blocks, mutes and the relationships they add
//! up to (the twin of `sqlite/social.rs`).

use chrono::{DateTime, Utc};
use parley_core::AccountId;
use parley_core::model::{NotificationKind, Relationship};
use parley_core::page::PageRequest;
use sqlx::{PgConnection, Row};

use super::notifications::notify_filtered;
use super::rows::{Window, map_rows, ms, sql, time, window_clause};
use super::visibility::account_shown_to_others;
use super::write::Write;
use crate::Result;
use crate::changes::Change;
use crate::types::{FollowOptions, MuteEntry};

pub async fn follow(
    w: &mut Write,
    account: AccountId,
    target: AccountId,
    request: bool,
    options: FollowOptions,
) -> Result<()> {
    let updated =
        sqlx::query("UPDATE follows SET show_reblogs = $3, notify = $4 WHERE account_id = $1 AND target_id = $2")
            .bind(account.0)
            .bind(target.0)
            .bind(options.show_reblogs)
            .bind(options.notify)
            .execute(w.c())
            .await?
            .rows_affected()
            > 0;
    if updated {
        // Whose boosts show changed: the viewer's sources.
        w.append(Change::Followed { account, target });
        return Ok(());
    }
    if request {
        let id = w.next_id();
        let added = sqlx::query(
            "INSERT INTO follow_requests (id, account_id, target_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(account.0)
        .bind(target.0)
        .execute(w.c())
        .await?
        .rows_affected()
            > 0;
        if added {
            w.append(Change::FollowRequested { account, target });
            notify_filtered(w, target, account, NotificationKind::FollowRequest, None).await?;
        }
        return Ok(());
    }
    // Two follows of the same pair at once: one inserts, the other finds it
    // done (the unique index waits for the first), and only one notifies.
    if insert_follow(w, account, target, options).await? {
        notify_filtered(w, target, account, NotificationKind::Follow, None).await?;
    }
    Ok(())
}

/// Whether the follow is new.
async fn insert_follow(w: &mut Write, account: AccountId, target: AccountId, options: FollowOptions) -> Result<bool> {
    let id = w.next_id();
    let added = sqlx::query(
        "INSERT INTO follows (id, account_id, target_id, show_reblogs, notify) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(account.0)
    .bind(target.0)
    .bind(options.show_reblogs)
    .bind(options.notify)
    .execute(w.c())
    .await?
    .rows_affected()
        > 0;
    if added {
        count_follow(w, account, target, 1).await?;
        w.append(Change::Followed { account, target });
    }
    Ok(added)
}

/// Moves both accounts' follow counters by `delta` (never below 0). The two
/// rows are locked lowest ID first: a follow of B by A beside one of A by B
/// would otherwise lock them in opposite orders and deadlock.
async fn count_follow(w: &mut Write, account: AccountId, target: AccountId, delta: i64) -> Result<()> {
    const FOLLOWING: &str = "UPDATE accounts SET following_count = greatest(following_count + $2, 0) WHERE id = $1";
    const FOLLOWERS: &str = "UPDATE accounts SET followers_count = greatest(followers_count + $2, 0) WHERE id = $1";
    let mut updates = [(account, FOLLOWING), (target, FOLLOWERS)];
    updates.sort_by_key(|(id, _)| id.0);
    for (id, update) in updates {
        sqlx::query(update).bind(id.0).bind(delta).execute(w.c()).await?;
    }
    Ok(())
}

async fn delete_pair(w: &mut Write, table: &str, account: AccountId, target: AccountId) -> Result<bool> {
    Ok(sqlx::query(sql(format!("DELETE FROM {table} WHERE account_id = $1 AND target_id = $2")))
        .bind(account.0)
        .bind(target.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0)
}

pub async fn unfollow(w: &mut Write, account: AccountId, target: AccountId) -> Result<()> {
    if delete_pair(w, "follows", account, target).await? {
        count_follow(w, account, target, -1).await?;
        w.append(Change::Unfollowed { account, target });
    }
    if delete_pair(w, "follow_requests", account, target).await? {
        w.append(Change::FollowRequestClosed { account, target });
    }
    Ok(())
}

async fn close_request(w: &mut Write, target: AccountId, requester: AccountId) -> Result<bool> {
    let pending = delete_pair(w, "follow_requests", requester, target).await?;
    if pending {
        w.append(Change::FollowRequestClosed { account: requester, target });
        sqlx::query(
            "DELETE FROM notifications WHERE account_id = $1 AND from_account_id = $2 AND kind = 'follow_request'",
        )
        .bind(target.0)
        .bind(requester.0)
        .execute(w.c())
        .await?;
    }
    Ok(pending)
}

pub async fn authorize_request(w: &mut Write, target: AccountId, requester: AccountId) -> Result<bool> {
    let pending = close_request(w, target, requester).await?;
    if pending {
        insert_follow(w, requester, target, FollowOptions::default()).await?;
    }
    Ok(pending)
}

pub async fn reject_request(w: &mut Write, target: AccountId, requester: AccountId) -> Result<bool> {
    close_request(w, target, requester).await
}

/// A page of (cursor, account) pairs: `select` names the owner as `$1`.
async fn page_of(
    c: &mut PgConnection,
    select: &str,
    account: AccountId,
    page: PageRequest,
    col: &str,
) -> Result<Vec<(i64, AccountId)>> {
    let win = Window::new(page);
    let rows: Vec<(i64, i64)> = sqlx::query_as(sql(format!("{select} AND {}", window_clause(&win, col, 2, 3, 4))))
        .bind(account.0)
        .bind(win.max)
        .bind(win.min)
        .bind(win.limit)
        .fetch_all(c)
        .await?;
    Ok(win.finish(rows.into_iter().map(|(cursor, a)| (cursor, AccountId(a))).collect()))
}

pub async fn follow_requests(
    c: &mut PgConnection,
    target: AccountId,
    page: PageRequest,
) -> Result<Vec<(i64, AccountId)>> {
    page_of(c, "SELECT r.id, r.account_id FROM follow_requests r WHERE r.target_id = $1", target, page, "r.id").await
}

pub async fn followers(c: &mut PgConnection, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    let select = format!(
        "SELECT f.id, f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id
         WHERE f.target_id = $1 AND {}",
        account_shown_to_others("a")
    );
    page_of(c, &select, account, page, "f.id").await
}

pub async fn following(c: &mut PgConnection, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    let select = format!(
        "SELECT f.id, f.target_id FROM follows f JOIN accounts a ON a.id = f.target_id
         WHERE f.account_id = $1 AND {}",
        account_shown_to_others("a")
    );
    page_of(c, &select, account, page, "f.id").await
}

pub async fn block(w: &mut Write, account: AccountId, target: AccountId) -> Result<()> {
    let id = w.next_id();
    sqlx::query("INSERT INTO blocks (id, account_id, target_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(account.0)
        .bind(target.0)
        .execute(w.c())
        .await?;
    w.append(Change::Blocked { account, target });
    // A block severs every tie both ways.
    unfollow(w, account, target).await?;
    unfollow(w, target, account).await?;
    Ok(())
}

pub async fn unblock(w: &mut Write, account: AccountId, target: AccountId) -> Result<()> {
    if delete_pair(w, "blocks", account, target).await? {
        w.append(Change::Unblocked { account, target });
    }
    Ok(())
}

/// Mutes `target`, until `expires_at` if given; muting again sets both anew.
pub async fn mute(
    w: &mut Write,
    account: AccountId,
    target: AccountId,
    notifications: bool,
    expires_at: Option<DateTime<Utc>>,
) -> Result<()> {
    let id = w.next_id();
    sqlx::query(
        "INSERT INTO mutes (id, account_id, target_id, notifications, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account_id, target_id)
         DO UPDATE SET notifications = excluded.notifications, expires_at = excluded.expires_at",
    )
    .bind(id)
    .bind(account.0)
    .bind(target.0)
    .bind(notifications)
    .bind(expires_at.map(ms))
    .execute(w.c())
    .await?;
    w.append(Change::Muted { account, target });
    Ok(())
}

/// Ends every mute whose time is up at `now`, each with its `Unmuted` record.
pub async fn unmute_expired(w: &mut Write, now: DateTime<Utc>) -> Result<usize> {
    let ended: Vec<(i64, i64)> = sqlx::query_as("SELECT account_id, target_id FROM mutes WHERE expires_at <= $1")
        .bind(ms(now))
        .fetch_all(w.c())
        .await?;
    for (account, target) in &ended {
        unmute(w, AccountId(*account), AccountId(*target)).await?;
    }
    Ok(ended.len())
}

/// When the next mute ends, if any does.
pub async fn next_mute_expiry(c: &mut PgConnection) -> Result<Option<DateTime<Utc>>> {
    let next: Option<i64> = sqlx::query_scalar("SELECT min(expires_at) FROM mutes").fetch_one(c).await?;
    Ok(next.map(time))
}

/// Those `viewer` follows who follow `target` (shown to others), most recent follow of `target` first.
pub async fn familiar_followers(
    c: &mut PgConnection,
    viewer: AccountId,
    target: AccountId,
    limit: usize,
) -> Result<Vec<AccountId>> {
    let ids: Vec<i64> = sqlx::query_scalar(sql(format!(
        "SELECT f.account_id FROM follows f
         JOIN follows mine ON mine.account_id = $1 AND mine.target_id = f.account_id
         JOIN accounts a ON a.id = f.account_id
         WHERE f.target_id = $2 AND {}
         ORDER BY f.id DESC LIMIT $3",
        account_shown_to_others("a")
    )))
    .bind(viewer.0)
    .bind(target.0)
    .bind(limit as i64)
    .fetch_all(c)
    .await?;
    Ok(ids.into_iter().map(AccountId).collect())
}

/// The accounts `account` blocks, newest block first: (block, account).
pub async fn blocks_of(c: &mut PgConnection, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    page_of(
        c,
        "SELECT b.id, b.target_id FROM blocks b JOIN accounts a ON a.id = b.target_id
         WHERE b.account_id = $1 AND NOT a.suspended",
        account,
        page,
        "b.id",
    )
    .await
}

/// The accounts `account` mutes, newest mute first, with when each mute ends.
pub async fn mutes_of(c: &mut PgConnection, account: AccountId, page: PageRequest) -> Result<Vec<MuteEntry>> {
    let win = Window::new(page);
    let rows = sqlx::query(sql(format!(
        "SELECT m.id, m.target_id, m.expires_at FROM mutes m JOIN accounts a ON a.id = m.target_id
         WHERE m.account_id = $1 AND NOT a.suspended AND {}",
        window_clause(&win, "m.id", 2, 3, 4)
    )))
    .bind(account.0)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    let entries = map_rows(&rows, |r| {
        Ok(MuteEntry {
            cursor: r.try_get(0)?,
            account: AccountId(r.try_get(1)?),
            expires_at: r.try_get::<Option<i64>, _>(2)?.map(time),
        })
    })?;
    Ok(win.finish(entries))
}

pub async fn unmute(w: &mut Write, account: AccountId, target: AccountId) -> Result<()> {
    if delete_pair(w, "mutes", account, target).await? {
        w.append(Change::Unmuted { account, target });
    }
    Ok(())
}

pub async fn relationships(
    c: &mut PgConnection,
    account: AccountId,
    targets: &[AccountId],
) -> Result<Vec<Relationship>> {
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        let r = sqlx::query(
            "SELECT
               EXISTS (SELECT 1 FROM follows WHERE account_id = $1 AND target_id = $2),
               EXISTS (SELECT 1 FROM follows WHERE account_id = $2 AND target_id = $1),
               EXISTS (SELECT 1 FROM follow_requests WHERE account_id = $1 AND target_id = $2),
               EXISTS (SELECT 1 FROM follow_requests WHERE account_id = $2 AND target_id = $1),
               EXISTS (SELECT 1 FROM blocks WHERE account_id = $1 AND target_id = $2),
               EXISTS (SELECT 1 FROM blocks WHERE account_id = $2 AND target_id = $1),
               EXISTS (SELECT 1 FROM mutes WHERE account_id = $1 AND target_id = $2),
               coalesce((SELECT notifications FROM mutes WHERE account_id = $1 AND target_id = $2), FALSE),
               coalesce((SELECT show_reblogs FROM follows WHERE account_id = $1 AND target_id = $2), TRUE),
               coalesce((SELECT notify FROM follows WHERE account_id = $1 AND target_id = $2), FALSE)",
        )
        .bind(account.0)
        .bind(t.0)
        .fetch_one(&mut *c)
        .await?;
        out.push(Relationship {
            following: r.try_get(0)?,
            followed_by: r.try_get(1)?,
            requested: r.try_get(2)?,
            requested_by: r.try_get(3)?,
            blocking: r.try_get(4)?,
            blocked_by: r.try_get(5)?,
            muting: r.try_get(6)?,
            muting_notifications: r.try_get(7)?,
            showing_reblogs: r.try_get(8)?,
            notifying: r.try_get(9)?,
        });
    }
    Ok(out)
}
