//! Follows, follow requests, blocks, mutes and the relationships they add up to.

use chrono::{DateTime, Utc};
use parley_core::model::{NotificationKind, Relationship};
use parley_core::page::PageRequest;
use parley_core::{AccountId, IdGenerator};
use rusqlite::{Connection, named_params, params};

use super::changelog::append;
use super::notifications::notify_filtered;
use super::rows::{SqlWindow, Window, ms, query_pairs, time};
use super::visibility::account_shown_to_others;
use crate::Result;
use crate::changes::Change;
use crate::types::{FollowOptions, MuteEntry};

pub fn follow(
    c: &Connection,
    ids: &IdGenerator,
    account: AccountId,
    target: AccountId,
    request: bool,
    options: FollowOptions,
) -> Result<()> {
    let already: bool = c.query_row(
        "SELECT EXISTS (SELECT 1 FROM follows WHERE account_id = ?1 AND target_id = ?2)",
        params![account.0, target.0],
        |r| r.get(0),
    )?;
    if already {
        c.execute(
            "UPDATE follows SET show_reblogs = ?3, notify = ?4 WHERE account_id = ?1 AND target_id = ?2",
            params![account.0, target.0, options.show_reblogs, options.notify],
        )?;
        // Whose boosts show changed: the viewer's sources.
        append(c, Change::Followed { account, target })?;
        return Ok(());
    }
    if request {
        let added = c.execute(
            "INSERT OR IGNORE INTO follow_requests (id, account_id, target_id) VALUES (?1, ?2, ?3)",
            params![ids.next_raw(), account.0, target.0],
        )? > 0;
        if added {
            append(c, Change::FollowRequested { account, target })?;
            notify_filtered(c, ids, target, account, NotificationKind::FollowRequest, None)?;
        }
        return Ok(());
    }
    insert_follow(c, ids, account, target, options)?;
    notify_filtered(c, ids, target, account, NotificationKind::Follow, None)?;
    Ok(())
}

fn insert_follow(
    c: &Connection,
    ids: &IdGenerator,
    account: AccountId,
    target: AccountId,
    options: FollowOptions,
) -> Result<()> {
    let added = c.execute(
        "INSERT OR IGNORE INTO follows (id, account_id, target_id, show_reblogs, notify) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![ids.next_raw(), account.0, target.0, options.show_reblogs, options.notify],
    )? > 0;
    if added {
        c.execute("UPDATE accounts SET following_count = following_count + 1 WHERE id = ?1", [account.0])?;
        c.execute("UPDATE accounts SET followers_count = followers_count + 1 WHERE id = ?1", [target.0])?;
        append(c, Change::Followed { account, target })?;
    }
    Ok(())
}

pub fn unfollow(c: &Connection, account: AccountId, target: AccountId) -> Result<()> {
    let removed =
        c.execute("DELETE FROM follows WHERE account_id = ?1 AND target_id = ?2", params![account.0, target.0])? > 0;
    if removed {
        c.execute("UPDATE accounts SET following_count = max(following_count - 1, 0) WHERE id = ?1", [account.0])?;
        c.execute("UPDATE accounts SET followers_count = max(followers_count - 1, 0) WHERE id = ?1", [target.0])?;
        append(c, Change::Unfollowed { account, target })?;
    }
    if c.execute("DELETE FROM follow_requests WHERE account_id = ?1 AND target_id = ?2", params![account.0, target.0])?
        > 0
    {
        append(c, Change::FollowRequestClosed { account, target })?;
    }
    Ok(())
}

pub fn authorize_request(c: &Connection, ids: &IdGenerator, target: AccountId, requester: AccountId) -> Result<bool> {
    let pending = c.execute(
        "DELETE FROM follow_requests WHERE account_id = ?1 AND target_id = ?2",
        params![requester.0, target.0],
    )? > 0;
    if pending {
        append(c, Change::FollowRequestClosed { account: requester, target })?;
        insert_follow(c, ids, requester, target, FollowOptions::default())?;
        c.execute(
            "DELETE FROM notifications WHERE account_id = ?1 AND from_account_id = ?2 AND kind = 'follow_request'",
            params![target.0, requester.0],
        )?;
    }
    Ok(pending)
}

pub fn reject_request(c: &Connection, target: AccountId, requester: AccountId) -> Result<bool> {
    let pending = c.execute(
        "DELETE FROM follow_requests WHERE account_id = ?1 AND target_id = ?2",
        params![requester.0, target.0],
    )? > 0;
    if pending {
        append(c, Change::FollowRequestClosed { account: requester, target })?;
        c.execute(
            "DELETE FROM notifications WHERE account_id = ?1 AND from_account_id = ?2 AND kind = 'follow_request'",
            params![target.0, requester.0],
        )?;
    }
    Ok(pending)
}

fn page_of(
    c: &Connection,
    sql: &str,
    account: AccountId,
    page: PageRequest,
    col: &str,
) -> Result<Vec<(i64, AccountId)>> {
    let w = Window::new(page);
    let sql = format!("{sql} AND {}", w.clause(col));
    let rows =
        query_pairs(c, &sql, named_params! {":account": account.0, ":max": w.max, ":min": w.min, ":limit": w.limit})?;
    Ok(w.finish(rows))
}

pub fn follow_requests(c: &Connection, target: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    page_of(c, "SELECT r.id, r.account_id FROM follow_requests r WHERE r.target_id = :account", target, page, "r.id")
}

pub fn followers(c: &Connection, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    page_of(
        c,
        &format!(
            "SELECT f.id, f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id
             WHERE f.target_id = :account AND {}",
            account_shown_to_others("a")
        ),
        account,
        page,
        "f.id",
    )
}

pub fn following(c: &Connection, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    page_of(
        c,
        &format!(
            "SELECT f.id, f.target_id FROM follows f JOIN accounts a ON a.id = f.target_id
             WHERE f.account_id = :account AND {}",
            account_shown_to_others("a")
        ),
        account,
        page,
        "f.id",
    )
}

pub fn block(c: &Connection, ids: &IdGenerator, account: AccountId, target: AccountId) -> Result<()> {
    c.execute(
        "INSERT OR IGNORE INTO blocks (id, account_id, target_id) VALUES (?1, ?2, ?3)",
        params![ids.next_raw(), account.0, target.0],
    )?;
    append(c, Change::Blocked { account, target })?;
    // A block severs every tie both ways.
    unfollow(c, account, target)?;
    unfollow(c, target, account)?;
    Ok(())
}

pub fn unblock(c: &Connection, account: AccountId, target: AccountId) -> Result<()> {
    if c.execute("DELETE FROM blocks WHERE account_id = ?1 AND target_id = ?2", params![account.0, target.0])? > 0 {
        append(c, Change::Unblocked { account, target })?;
    }
    Ok(())
}

/// Mutes `target`, until `expires_at` if given; muting again sets both anew.
pub fn mute(
    c: &Connection,
    ids: &IdGenerator,
    account: AccountId,
    target: AccountId,
    notifications: bool,
    expires_at: Option<DateTime<Utc>>,
) -> Result<()> {
    c.execute(
        "INSERT INTO mutes (id, account_id, target_id, notifications, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (account_id, target_id)
         DO UPDATE SET notifications = excluded.notifications, expires_at = excluded.expires_at",
        params![ids.next_raw(), account.0, target.0, notifications, expires_at.map(ms)],
    )?;
    append(c, Change::Muted { account, target })?;
    Ok(())
}

/// Ends every mute whose time is up at `now`, each with its `Unmuted`
/// record (so home indexes show the account again); how many ended.
pub fn unmute_expired(c: &Connection, now: DateTime<Utc>) -> Result<usize> {
    let ended: Vec<(i64, i64)> = c
        .prepare_cached("SELECT account_id, target_id FROM mutes WHERE expires_at <= ?1")?
        .query_map([ms(now)], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (account, target) in &ended {
        unmute(c, AccountId(*account), AccountId(*target))?;
    }
    Ok(ended.len())
}

/// When the next mute ends, if any does.
pub fn next_mute_expiry(c: &Connection) -> Result<Option<DateTime<Utc>>> {
    let next: Option<i64> = c.query_row("SELECT min(expires_at) FROM mutes", [], |r| r.get(0))?;
    Ok(next.map(time))
}

/// Those `viewer` follows who follow `target` (not suspended, not awaiting
/// approval: `account_shown`), most recent follow of `target` first.
pub fn familiar_followers(
    c: &Connection,
    viewer: AccountId,
    target: AccountId,
    limit: usize,
) -> Result<Vec<AccountId>> {
    Ok(c.prepare_cached(
        "SELECT f.account_id FROM follows f
         JOIN follows mine ON mine.account_id = ?1 AND mine.target_id = f.account_id
         JOIN accounts a ON a.id = f.account_id
         WHERE f.target_id = ?2 AND a.suspended = 0 AND a.approved = 1
         ORDER BY f.id DESC LIMIT ?3 + 0",
    )?
    .query_map(params![viewer.0, target.0, limit as i64], |r| r.get(0).map(AccountId))?
    .collect::<rusqlite::Result<Vec<_>>>()?)
}

/// The accounts `account` blocks, newest block first: (block, account).
pub fn blocks_of(c: &Connection, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    page_of(
        c,
        "SELECT b.id, b.target_id FROM blocks b JOIN accounts a ON a.id = b.target_id
         WHERE b.account_id = :account AND a.suspended = 0",
        account,
        page,
        "b.id",
    )
}

/// The accounts `account` mutes, newest mute first, with when each mute ends.
pub fn mutes_of(c: &Connection, account: AccountId, page: PageRequest) -> Result<Vec<MuteEntry>> {
    let w = Window::new(page);
    let sql = format!(
        "SELECT m.id, m.target_id, m.expires_at FROM mutes m JOIN accounts a ON a.id = m.target_id
         WHERE m.account_id = :account AND a.suspended = 0 AND {}",
        w.clause("m.id")
    );
    let rows = c
        .prepare_cached(&sql)?
        .query_map(named_params! {":account": account.0, ":max": w.max, ":min": w.min, ":limit": w.limit}, |r| {
            Ok(MuteEntry {
                cursor: r.get(0)?,
                account: AccountId(r.get(1)?),
                expires_at: r.get::<_, Option<i64>>(2)?.map(time),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(w.finish(rows))
}

pub fn unmute(c: &Connection, account: AccountId, target: AccountId) -> Result<()> {
    if c.execute("DELETE FROM mutes WHERE account_id = ?1 AND target_id = ?2", params![account.0, target.0])? > 0 {
        append(c, Change::Unmuted { account, target })?;
    }
    Ok(())
}

pub fn relationships(c: &Connection, account: AccountId, targets: &[AccountId]) -> Result<Vec<Relationship>> {
    let mut stmt = c.prepare_cached(
        "SELECT
           EXISTS (SELECT 1 FROM follows WHERE account_id = ?1 AND target_id = ?2),
           EXISTS (SELECT 1 FROM follows WHERE account_id = ?2 AND target_id = ?1),
           EXISTS (SELECT 1 FROM follow_requests WHERE account_id = ?1 AND target_id = ?2),
           EXISTS (SELECT 1 FROM follow_requests WHERE account_id = ?2 AND target_id = ?1),
           EXISTS (SELECT 1 FROM blocks WHERE account_id = ?1 AND target_id = ?2),
           EXISTS (SELECT 1 FROM blocks WHERE account_id = ?2 AND target_id = ?1),
           EXISTS (SELECT 1 FROM mutes WHERE account_id = ?1 AND target_id = ?2),
           coalesce((SELECT notifications FROM mutes WHERE account_id = ?1 AND target_id = ?2), 0),
           coalesce((SELECT show_reblogs FROM follows WHERE account_id = ?1 AND target_id = ?2), 1),
           coalesce((SELECT notify FROM follows WHERE account_id = ?1 AND target_id = ?2), 0)",
    )?;
    let mut out = Vec::with_capacity(targets.len());
    for t in targets {
        out.push(stmt.query_row(params![account.0, t.0], |r| {
            Ok(Relationship {
                following: r.get(0)?,
                followed_by: r.get(1)?,
                requested: r.get(2)?,
                requested_by: r.get(3)?,
                blocking: r.get(4)?,
                blocked_by: r.get(5)?,
                muting: r.get(6)?,
                muting_notifications: r.get(7)?,
                showing_reblogs: r.get(8)?,
                notifying: r.get(9)?,
            })
        })?);
    }
    Ok(out)
}
