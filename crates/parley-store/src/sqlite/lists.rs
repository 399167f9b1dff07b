//! Lists and their members, and the list timeline. Nothing kept in memory is
//! derived from lists (the home timeline leaves exclusive lists' members out
//! when it is read, in the app), so they append no change records.

use parley_core::model::{List, RepliesPolicy};
use parley_core::page::PageRequest;
use parley_core::{AccountId, IdGenerator, ListId};
use rusqlite::{Connection, OptionalExtension, Row, named_params, params};

use super::rows::{SqlWindow, Window, query_ids, query_pairs};
use super::visibility::{can_view_boost, not_hidden_from_viewer};
use crate::types::ListFields;
use crate::{Rejection, Result, StoreError};

/// How many lists an account may have (Mastodon's `List::PER_ACCOUNT_LIMIT`).
pub const LISTS_PER_ACCOUNT: i64 = 50;

const COLUMNS: &str = "id, account_id, title, replies_policy, exclusive";

fn list_from_row(r: &Row<'_>) -> rusqlite::Result<List> {
    let policy: String = r.get(3)?;
    Ok(List {
        id: ListId(r.get(0)?),
        account: AccountId(r.get(1)?),
        title: r.get(2)?,
        // The column's CHECK admits only the three names.
        replies_policy: RepliesPolicy::parse(&policy).unwrap_or_default(),
        exclusive: r.get(4)?,
    })
}

pub fn create(c: &Connection, ids: &IdGenerator, owner: AccountId, fields: &ListFields) -> Result<List> {
    let count: i64 = c.query_row("SELECT count(*) FROM lists WHERE account_id = ?1", [owner.0], |r| r.get(0))?;
    if count >= LISTS_PER_ACCOUNT {
        return Err(StoreError::Rejected(Rejection::ListLimit));
    }
    let id = ids.next_raw();
    c.prepare_cached(
        "INSERT INTO lists (id, account_id, title, replies_policy, exclusive) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![id, owner.0, fields.title, fields.replies_policy.as_str(), fields.exclusive])?;
    find(c, owner, ListId(id))?.ok_or(StoreError::NotFound)
}

/// The list if `owner` owns it (another's list is not found).
pub fn find(c: &Connection, owner: AccountId, id: ListId) -> Result<Option<List>> {
    Ok(c.prepare_cached(&format!("SELECT {COLUMNS} FROM lists WHERE id = ?1 AND account_id = ?2"))?
        .query_row(params![id.0, owner.0], list_from_row)
        .optional()?)
}

/// The owner's lists, oldest first, as Mastodon lists them (by ID).
pub fn of(c: &Connection, owner: AccountId) -> Result<Vec<List>> {
    let lists = c
        .prepare_cached(&format!("SELECT {COLUMNS} FROM lists WHERE account_id = ?1 ORDER BY id"))?
        .query_map([owner.0], list_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(lists)
}

/// The owner's lists that have `member` in them.
pub fn with_member(c: &Connection, owner: AccountId, member: AccountId) -> Result<Vec<List>> {
    let lists = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM lists WHERE account_id = ?1
               AND id IN (SELECT list_id FROM list_accounts WHERE owner_id = ?1 AND account_id = ?2)
             ORDER BY id"
        ))?
        .query_map(params![owner.0, member.0], list_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(lists)
}

pub fn update(c: &Connection, owner: AccountId, id: ListId, fields: &ListFields) -> Result<List> {
    let changed = c
        .prepare_cached(
            "UPDATE lists SET title = ?3, replies_policy = ?4, exclusive = ?5 WHERE id = ?1 AND account_id = ?2",
        )?
        .execute(params![id.0, owner.0, fields.title, fields.replies_policy.as_str(), fields.exclusive])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    find(c, owner, id)?.ok_or(StoreError::NotFound)
}

pub fn delete(c: &Connection, owner: AccountId, id: ListId) -> Result<bool> {
    Ok(c.execute("DELETE FROM lists WHERE id = ?1 AND account_id = ?2", params![id.0, owner.0])? > 0)
}

/// Adds members, all or none: each must be followed by the owner
/// (`Rejection::NotFollowed`) and not in the list yet (`Conflict::AlreadyListed`).
pub fn add_members(
    c: &Connection,
    ids: &IdGenerator,
    owner: AccountId,
    id: ListId,
    members: &[AccountId],
) -> Result<()> {
    if find(c, owner, id)?.is_none() {
        return Err(StoreError::NotFound);
    }
    let mut follows =
        c.prepare_cached("SELECT EXISTS (SELECT 1 FROM follows WHERE account_id = ?1 AND target_id = ?2)")?;
    let mut insert =
        c.prepare_cached("INSERT INTO list_accounts (id, list_id, owner_id, account_id) VALUES (?1, ?2, ?3, ?4)")?;
    for member in members {
        // Checked here for a precise answer; the foreign key on the follow
        // holds it anyway.
        if !follows.query_row(params![owner.0, member.0], |r| r.get::<_, bool>(0))? {
            return Err(StoreError::Rejected(Rejection::NotFollowed));
        }
        insert.execute(params![ids.next_raw(), id.0, owner.0, member.0])?;
    }
    Ok(())
}

pub fn remove_members(c: &Connection, owner: AccountId, id: ListId, members: &[AccountId]) -> Result<()> {
    if find(c, owner, id)?.is_none() {
        return Err(StoreError::NotFound);
    }
    let mut delete = c.prepare_cached("DELETE FROM list_accounts WHERE list_id = ?1 AND account_id = ?2")?;
    for member in members {
        delete.execute(params![id.0, member.0])?;
    }
    Ok(())
}

/// A page of the list's members, by when they were added: (cursor, account).
/// Members not shown to others (suspended, awaiting approval) are left out,
/// as Mastodon's `without_suspended`.
pub fn members(c: &Connection, owner: AccountId, id: ListId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    let w = Window::new(page);
    let sql = format!(
        "SELECT la.id, la.account_id FROM list_accounts la JOIN accounts a ON a.id = la.account_id
         WHERE la.list_id = :list AND la.owner_id = :owner AND {} AND {}",
        super::visibility::account_shown_to_others("a"),
        w.clause("la.id")
    );
    let rows = query_pairs(
        c,
        &sql,
        named_params! {":list": id.0, ":owner": owner.0, ":max": w.max, ":min": w.min, ":limit": w.limit},
    )?;
    Ok(w.finish(rows))
}

/// The accounts in any of the owner's exclusive lists: their statuses leave
/// the owner's home timeline.
pub fn exclusive_members(c: &Connection, owner: AccountId) -> Result<Vec<AccountId>> {
    // Deduplicated here rather than with DISTINCT, whose temporary b-tree
    // cost more than the query on every home-timeline read.
    let mut ids = query_ids(
        c,
        "SELECT la.account_id FROM list_accounts la JOIN lists l ON l.id = la.list_id
         WHERE l.account_id = :owner AND l.exclusive = 1",
        named_params! {":owner": owner.0},
    )?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids.into_iter().map(AccountId).collect())
}

/// Which statuses the list's timeline admits, as Mastodon's
/// `FeedManager#filter?(:list, …)`: the home rules for the owner (`:viewer`)
/// over the members' statuses (boosts only of members whose boosts the owner
/// shows; replies only to the owner, to oneself, or to an account the owner
/// follows), then the list's `replies_policy` on replies to others. Direct
/// statuses are never fanned out to lists. Visibility by the one rule.
fn admits() -> String {
    format!(
        "s.account_id IN (SELECT account_id FROM list_accounts WHERE list_id = :list)
         AND s.visibility <> 'direct'
         AND (s.reblog_of_id IS NULL OR EXISTS
              (SELECT 1 FROM follows f WHERE f.account_id = :viewer AND f.target_id = s.account_id AND f.show_reblogs = 1))
         AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id IN (s.account_id, :viewer)
              OR (s.in_reply_to_account_id IN (SELECT target_id FROM follows WHERE account_id = :viewer)
                  AND (:policy = 'followed'
                       OR (:policy = 'list' AND s.in_reply_to_account_id IN
                             (SELECT account_id FROM list_accounts WHERE list_id = :list)))))
         AND {} AND {}",
        can_view_boost(),
        not_hidden_from_viewer()
    )
}

/// The IDs of a page of the list's timeline, newest first.
pub fn timeline(c: &Connection, list: &List, page: PageRequest) -> Result<Vec<i64>> {
    let w = Window::new(page);
    let sql = format!("SELECT s.id FROM statuses s WHERE {} AND {}", admits(), w.clause("s.id"));
    let ids = query_ids(
        c,
        &sql,
        named_params! {
            ":viewer": list.account.0, ":list": list.id.0, ":policy": list.replies_policy.as_str(),
            ":max": w.max, ":min": w.min, ":limit": w.limit,
        },
    )?;
    Ok(w.finish(ids))
}

/// Whether the list's timeline has the status (what its stream pushes).
pub fn has_status(c: &Connection, list: &List, status: parley_core::StatusId) -> Result<bool> {
    let sql = format!("SELECT EXISTS (SELECT 1 FROM statuses s WHERE s.id = :status AND {})", admits());
    let mut stmt = c.prepare_cached(&sql)?;
    let found = stmt.query_row(
        named_params! {
            ":viewer": list.account.0, ":list": list.id.0, ":policy": list.replies_policy.as_str(),
            ":status": status.0,
        },
        |r| r.get::<_, bool>(0),
    )?;
    Ok(found)
}
