//! Follows, follow requests, blocks, mutes and the relationships they add up to.

use parley_core::model::{NotificationKind, Relationship};
use parley_core::page::PageRequest;
use parley_core::{AccountId, IdGenerator};
use rusqlite::{Connection, named_params, params};

use super::changelog::append;
use super::notifications::notify_filtered;
use super::rows::{SqlWindow, Window, query_pairs};
use super::visibility::account_shown_to_others;
use crate::Result;
use crate::changes::Change;
use crate::types::FollowOptions;

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
    notify_filtered(c, ids, target, account, NotificationKind::Follow, None)
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

pub fn mute(
    c: &Connection,
    ids: &IdGenerator,
    account: AccountId,
    target: AccountId,
    notifications: bool,
) -> Result<()> {
    c.execute(
        "INSERT INTO mutes (id, account_id, target_id, notifications) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (account_id, target_id) DO UPDATE SET notifications = excluded.notifications",
        params![ids.next_raw(), account.0, target.0, notifications],
    )?;
    append(c, Change::Muted { account, target })?;
    Ok(())
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
