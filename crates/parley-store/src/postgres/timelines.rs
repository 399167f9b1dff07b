//! Timelines and status search (the twin of `sqlite/timelines.rs`): every
//! query filters by the rule of `parley_core::visibility` in SQL
//! ([`super::visibility`]).

use parley_core::AccountId;
use parley_core::model::Status;
use parley_core::page::PageRequest;
use sqlx::PgConnection;

use super::rows::{Window, load_statuses, sql, window_clause};
use super::visibility::{can_view, can_view_boost, not_hidden_from_viewer, original_not_blocked_or_muted};
use crate::Result;
use crate::types::AccountStatusesFilter;

/// The home timeline's rules as one query (the reference the fast home
/// timeline is compared with). The viewer is `$1`.
pub async fn home_reference(c: &mut PgConnection, viewer: AccountId, page: PageRequest) -> Result<Vec<Status>> {
    let win = Window::new(page);
    let ids: Vec<i64> = sqlx::query_scalar(sql(format!(
        "SELECT s.id FROM statuses s
         WHERE (s.account_id = $1
                OR s.account_id IN (SELECT target_id FROM follows WHERE account_id = $1))
           AND (s.reblog_of_id IS NULL OR s.account_id = $1 OR EXISTS
                (SELECT 1 FROM follows f WHERE f.account_id = $1 AND f.target_id = s.account_id AND f.show_reblogs))
           AND (s.in_reply_to_account_id IS NULL OR s.account_id = $1
                OR s.in_reply_to_account_id IN (s.account_id, $1)
                OR s.in_reply_to_account_id IN (SELECT target_id FROM follows WHERE account_id = $1))
           AND {} AND {}
           AND {}",
        can_view_boost("$1"),
        not_hidden_from_viewer("$1"),
        window_clause(&win, "s.id", 2, 3, 4)
    )))
    .bind(viewer.0)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(&mut *c)
    .await?;
    load_statuses(c, &win.finish(ids)).await
}

/// The IDs of a page of the public timeline, or of a hashtag's when `tag` is
/// set: public, original statuses only.
pub async fn public(
    c: &mut PgConnection,
    viewer: Option<AccountId>,
    tag: Option<&str>,
    page: PageRequest,
) -> Result<Vec<i64>> {
    let win = Window::new(page);
    let ids: Vec<i64> = sqlx::query_scalar(sql(format!(
        "SELECT s.id FROM statuses s
         WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL
           AND ($2::text IS NULL OR s.id IN (SELECT status_id FROM status_tags WHERE tag = $2))
           AND {} AND {}
           AND {}",
        can_view("s", "$1"),
        not_hidden_from_viewer("$1"),
        window_clause(&win, "s.id", 3, 4, 5)
    )))
    .bind(viewer.map_or(0, |v| v.0))
    .bind(tag)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(ids))
}

/// The IDs of a page of an account's statuses that the viewer may see.
pub async fn account(
    c: &mut PgConnection,
    viewer: Option<AccountId>,
    account: AccountId,
    filter: AccountStatusesFilter,
    page: PageRequest,
) -> Result<Vec<i64>> {
    if filter.only_media {
        // Parley has no media attachments yet, so no status has any.
        return Ok(Vec::new());
    }
    let win = Window::new(page);
    let mut filters = String::new();
    if filter.exclude_replies {
        filters.push_str(" AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)");
    }
    if filter.exclude_reblogs {
        filters.push_str(" AND s.reblog_of_id IS NULL");
    }
    if filter.pinned {
        filters.push_str(" AND s.id IN (SELECT status_id FROM pins WHERE account_id = $2)");
    }
    let ids: Vec<i64> = sqlx::query_scalar(sql(format!(
        "SELECT s.id FROM statuses s
         WHERE s.account_id = $2 {filters}
           AND {} AND {}
           AND {}",
        can_view_boost("$1"),
        // Boosts of accounts the viewer blocks or mutes are left out.
        original_not_blocked_or_muted("$1"),
        window_clause(&win, "s.id", 3, 4, 5)
    )))
    .bind(viewer.map_or(0, |v| v.0))
    .bind(account.0)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(ids))
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
fn like_escaped(q: &str) -> String {
    q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Statuses containing the words of `query` that the viewer may see, newest
/// first (`ILIKE`: SQLite's `LIKE` ignores ASCII case too).
pub async fn search(c: &mut PgConnection, viewer: AccountId, query: &str, limit: usize) -> Result<Vec<Status>> {
    let q = query.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = sqlx::query_scalar(sql(format!(
        "SELECT s.id FROM statuses s
         WHERE s.reblog_of_id IS NULL AND s.text ILIKE $2 ESCAPE '\\'
           AND {} AND {}
         ORDER BY s.id DESC LIMIT $3",
        can_view("s", "$1"),
        not_hidden_from_viewer("$1")
    )))
    .bind(viewer.0)
    .bind(format!("%{}%", like_escaped(q)))
    .bind(limit as i64)
    .fetch_all(&mut *c)
    .await?;
    load_statuses(c, &ids).await
}

/// Hashtags starting with `query`, most used first; only tags of statuses
/// anyone may see.
pub async fn search_tags(c: &mut PgConnection, query: &str, limit: usize) -> Result<Vec<String>> {
    let q = query.trim().trim_start_matches('#').to_lowercase();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_scalar(sql(format!(
        "SELECT t.tag FROM status_tags t JOIN statuses s ON s.id = t.status_id
         WHERE t.tag ILIKE $2 ESCAPE '\\' AND {}
         GROUP BY t.tag ORDER BY (t.tag = $3) DESC, count(*) DESC, t.tag LIMIT $4",
        can_view("s", "$1")
    )))
    .bind(0i64)
    .bind(format!("{}%", like_escaped(&q)))
    .bind(&q)
    .bind(limit as i64)
    .fetch_all(c)
    .await?)
}
