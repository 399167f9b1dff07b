//! Lists and their members, and the list timeline (the twin of
//! `sqlite/lists.rs`; no change records: nothing in memory derives from them).

use parley_core::model::{List, RepliesPolicy};
use parley_core::page::PageRequest;
use parley_core::{AccountId, ListId, StatusId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::rows::{Window, map_rows, sql, window_clause};
use super::visibility::{can_view_boost, not_hidden_from_viewer};
use super::write::Write;
use crate::types::ListFields;
use crate::{Rejection, Result, StoreError};

/// How many lists an account may have (Mastodon's `List::PER_ACCOUNT_LIMIT`).
pub const LISTS_PER_ACCOUNT: i64 = 50;

const COLUMNS: &str = "id, account_id, title, replies_policy, exclusive";

fn list_from_row(r: &PgRow) -> Result<List, sqlx::Error> {
    let policy: &str = r.try_get(3)?;
    Ok(List {
        id: ListId(r.try_get(0)?),
        account: AccountId(r.try_get(1)?),
        title: r.try_get(2)?,
        // The column's CHECK admits only the three names.
        replies_policy: RepliesPolicy::parse(policy).unwrap_or_default(),
        exclusive: r.try_get(4)?,
    })
}

/// Locks the owner's row until the transaction ends: a limit counted after
/// it cannot be passed by two requests at once.
pub(super) async fn lock_account(c: &mut PgConnection, account: AccountId) -> Result<()> {
    sqlx::query("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE").bind(account.0).execute(c).await?;
    Ok(())
}

pub async fn create(w: &mut Write, owner: AccountId, fields: &ListFields) -> Result<List> {
    lock_account(w.c(), owner).await?;
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM lists WHERE account_id = $1").bind(owner.0).fetch_one(w.c()).await?;
    if count >= LISTS_PER_ACCOUNT {
        return Err(StoreError::Rejected(Rejection::ListLimit));
    }
    let id = w.next_id();
    sqlx::query("INSERT INTO lists (id, account_id, title, replies_policy, exclusive) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(owner.0)
        .bind(&fields.title)
        .bind(fields.replies_policy.as_str())
        .bind(fields.exclusive)
        .execute(w.c())
        .await?;
    find(w.c(), owner, ListId(id)).await?.ok_or(StoreError::NotFound)
}

/// The list if `owner` owns it (another's list is not found).
pub async fn find(c: &mut PgConnection, owner: AccountId, id: ListId) -> Result<Option<List>> {
    let row = sqlx::query(sql(format!("SELECT {COLUMNS} FROM lists WHERE id = $1 AND account_id = $2")))
        .bind(id.0)
        .bind(owner.0)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(list_from_row).transpose()?)
}

/// The owner's lists, oldest first.
pub async fn of(c: &mut PgConnection, owner: AccountId) -> Result<Vec<List>> {
    let rows = sqlx::query(sql(format!("SELECT {COLUMNS} FROM lists WHERE account_id = $1 ORDER BY id")))
        .bind(owner.0)
        .fetch_all(c)
        .await?;
    map_rows(&rows, list_from_row)
}

/// The owner's lists that have `member` in them.
pub async fn with_member(c: &mut PgConnection, owner: AccountId, member: AccountId) -> Result<Vec<List>> {
    let rows = sqlx::query(sql(format!(
        "SELECT {COLUMNS} FROM lists WHERE account_id = $1
           AND id IN (SELECT list_id FROM list_accounts WHERE owner_id = $1 AND account_id = $2)
         ORDER BY id"
    )))
    .bind(owner.0)
    .bind(member.0)
    .fetch_all(c)
    .await?;
    map_rows(&rows, list_from_row)
}

pub async fn update(w: &mut Write, owner: AccountId, id: ListId, fields: &ListFields) -> Result<List> {
    let changed = sqlx::query(
        "UPDATE lists SET title = $3, replies_policy = $4, exclusive = $5 WHERE id = $1 AND account_id = $2",
    )
    .bind(id.0)
    .bind(owner.0)
    .bind(&fields.title)
    .bind(fields.replies_policy.as_str())
    .bind(fields.exclusive)
    .execute(w.c())
    .await?
    .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    find(w.c(), owner, id).await?.ok_or(StoreError::NotFound)
}

pub async fn delete(w: &mut Write, owner: AccountId, id: ListId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM lists WHERE id = $1 AND account_id = $2")
        .bind(id.0)
        .bind(owner.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0)
}

/// Adds members, all or none: each must be followed by the owner
/// (`Rejection::NotFollowed`) and not in the list yet (`Conflict::AlreadyListed`).
pub async fn add_members(w: &mut Write, owner: AccountId, id: ListId, members: &[AccountId]) -> Result<()> {
    if find(w.c(), owner, id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    for member in members {
        // Checked here for a precise answer; the foreign key on the follow holds it anyway.
        let follows: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM follows WHERE account_id = $1 AND target_id = $2)")
                .bind(owner.0)
                .bind(member.0)
                .fetch_one(w.c())
                .await?;
        if !follows {
            return Err(StoreError::Rejected(Rejection::NotFollowed));
        }
        let entry = w.next_id();
        sqlx::query("INSERT INTO list_accounts (id, list_id, owner_id, account_id) VALUES ($1, $2, $3, $4)")
            .bind(entry)
            .bind(id.0)
            .bind(owner.0)
            .bind(member.0)
            .execute(w.c())
            .await?;
    }
    Ok(())
}

pub async fn remove_members(w: &mut Write, owner: AccountId, id: ListId, members: &[AccountId]) -> Result<()> {
    if find(w.c(), owner, id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    let raw: Vec<i64> = members.iter().map(|m| m.0).collect();
    sqlx::query("DELETE FROM list_accounts WHERE list_id = $1 AND account_id = ANY($2)")
        .bind(id.0)
        .bind(&raw)
        .execute(w.c())
        .await?;
    Ok(())
}

/// A page of the list's members shown to others, by when they were added.
pub async fn members(
    c: &mut PgConnection,
    owner: AccountId,
    id: ListId,
    page: PageRequest,
) -> Result<Vec<(i64, AccountId)>> {
    let win = Window::new(page);
    let rows: Vec<(i64, i64)> = sqlx::query_as(sql(format!(
        "SELECT la.id, la.account_id FROM list_accounts la JOIN accounts a ON a.id = la.account_id
         WHERE la.list_id = $1 AND la.owner_id = $2 AND {} AND {}",
        super::visibility::account_shown_to_others("a"),
        window_clause(&win, "la.id", 3, 4, 5)
    )))
    .bind(id.0)
    .bind(owner.0)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(rows.into_iter().map(|(cursor, a)| (cursor, AccountId(a))).collect()))
}

/// The accounts in any of the owner's exclusive lists.
pub async fn exclusive_members(c: &mut PgConnection, owner: AccountId) -> Result<Vec<AccountId>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT DISTINCT la.account_id FROM list_accounts la JOIN lists l ON l.id = la.list_id
         WHERE l.account_id = $1 AND l.exclusive ORDER BY 1",
    )
    .bind(owner.0)
    .fetch_all(c)
    .await?;
    Ok(ids.into_iter().map(AccountId).collect())
}

/// Which statuses the list's timeline admits (as `sqlite/lists.rs::admits`):
/// the owner is `$1`, the list `$2`, its replies policy `$3`.
fn admits() -> String {
    format!(
        "s.account_id IN (SELECT account_id FROM list_accounts WHERE list_id = $2)
         AND s.visibility <> 'direct'
         AND (s.reblog_of_id IS NULL OR EXISTS
              (SELECT 1 FROM follows f WHERE f.account_id = $1 AND f.target_id = s.account_id AND f.show_reblogs))
         AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id IN (s.account_id, $1)
              OR (s.in_reply_to_account_id IN (SELECT target_id FROM follows WHERE account_id = $1)
                  AND ($3 = 'followed'
                       OR ($3 = 'list' AND s.in_reply_to_account_id IN
                             (SELECT account_id FROM list_accounts WHERE list_id = $2)))))
         AND {} AND {}",
        can_view_boost("$1"),
        not_hidden_from_viewer("$1")
    )
}

/// The IDs of a page of the list's timeline, newest first.
pub async fn timeline(c: &mut PgConnection, list: &List, page: PageRequest) -> Result<Vec<i64>> {
    let win = Window::new(page);
    let ids: Vec<i64> = sqlx::query_scalar(sql(format!(
        "SELECT s.id FROM statuses s WHERE {} AND {}",
        admits(),
        window_clause(&win, "s.id", 4, 5, 6)
    )))
    .bind(list.account.0)
    .bind(list.id.0)
    .bind(list.replies_policy.as_str())
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(ids))
}

/// Whether the list's timeline has the status (what its stream pushes).
pub async fn has_status(c: &mut PgConnection, list: &List, status: StatusId) -> Result<bool> {
    Ok(sqlx::query_scalar(sql(format!("SELECT EXISTS (SELECT 1 FROM statuses s WHERE s.id = $4 AND {})", admits())))
        .bind(list.account.0)
        .bind(list.id.0)
        .bind(list.replies_policy.as_str())
        .bind(status.0)
        .fetch_one(c)
        .await?)
}
