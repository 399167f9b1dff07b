//! Timelines and status search. Every query here filters by the same
//! visibility rule as `parley_core::visibility::can_view`, expressed in SQL
//! ([`visible_to_viewer`]); the API tests check the two agree.

use parley_core::AccountId;
use parley_core::model::Status;
use parley_core::page::PageRequest;
use rusqlite::{Connection, named_params, params};

use super::rows::{SqlWindow, Window, load_statuses, query_ids};
use crate::Result;
use crate::types::AccountStatusesFilter;

/// The status row `{s}` is visible to `:viewer` (0 when anonymous):
/// `parley_core::visibility::can_view` in SQL, `account_shown` included (an
/// author suspended or awaiting approval is seen by nobody else).
pub(super) fn visible_to_viewer(s: &str) -> String {
    format!(
        "(
    {s}.account_id = :viewer
    OR (
      NOT EXISTS (SELECT 1 FROM accounts au WHERE au.id = {s}.account_id AND (au.suspended = 1 OR au.approved = 0))
      AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = {s}.account_id AND b.target_id = :viewer)
      AND (
        {s}.visibility IN ('public', 'unlisted')
        OR ({s}.visibility = 'private' AND EXISTS
             (SELECT 1 FROM follows f WHERE f.account_id = :viewer AND f.target_id = {s}.account_id))
        OR ({s}.visibility IN ('private', 'direct') AND EXISTS
             (SELECT 1 FROM mentions m WHERE m.status_id = {s}.id AND m.account_id = :viewer))
      )
    )
  )"
    )
}

/// `s` is visible to `:viewer`, and so is what it boosts: `can_view_boost` in SQL.
fn visible_with_original() -> String {
    format!(
        "({} AND (s.reblog_of_id IS NULL OR EXISTS (SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND {})))",
        visible_to_viewer("s"),
        visible_to_viewer("o")
    )
}

/// Hides what the viewer chose not to see (blocked or muted authors, also of
/// boosted statuses) and authors who are suspended.
const NOT_HIDDEN_FROM_VIEWER: &str = "
  NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = s.account_id AND a.suspended = 1)
  AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = :viewer AND b.target_id = s.account_id)
  AND NOT EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = :viewer AND mu.target_id = s.account_id)
  AND (s.reblog_of_id IS NULL OR NOT EXISTS (
        SELECT 1 FROM statuses o WHERE o.id = s.reblog_of_id AND (
          EXISTS (SELECT 1 FROM accounts a WHERE a.id = o.account_id AND a.suspended = 1)
          OR EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = :viewer AND b.target_id = o.account_id)
          OR EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = o.account_id AND b.target_id = :viewer)
          OR EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = :viewer AND mu.target_id = o.account_id))))";

/// The home timeline's rules as one query: the specification that
/// [`super::home::home`] implements faster. Kept for the agreement test.
pub fn home_reference(c: &Connection, viewer: AccountId, page: PageRequest) -> Result<Vec<Status>> {
    let w = Window::new(page);
    let sql = format!(
        "SELECT s.id FROM statuses s
         WHERE (s.account_id = :viewer
                OR s.account_id IN (SELECT target_id FROM follows WHERE account_id = :viewer))
           AND (s.visibility != 'direct' OR s.account_id = :viewer
                OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = :viewer))
           AND (s.reblog_of_id IS NULL OR s.account_id = :viewer OR EXISTS
                (SELECT 1 FROM follows f WHERE f.account_id = :viewer AND f.target_id = s.account_id AND f.show_reblogs = 1))
           AND (s.in_reply_to_account_id IS NULL OR s.account_id = :viewer
                OR s.in_reply_to_account_id IN (s.account_id, :viewer)
                OR s.in_reply_to_account_id IN (SELECT target_id FROM follows WHERE account_id = :viewer))
           AND {NOT_HIDDEN_FROM_VIEWER}
           AND {}",
        w.clause("s.id")
    );
    let ids = query_ids(c, &sql, named_params! {":viewer": viewer.0, ":max": w.max, ":min": w.min, ":limit": w.limit})?;
    load_statuses(c, &w.finish(ids))
}

/// The IDs of a page of the public timeline, or of a hashtag's when `tag` is
/// set: public, original statuses only.
pub fn public(c: &Connection, viewer: Option<AccountId>, tag: Option<&str>, page: PageRequest) -> Result<Vec<i64>> {
    let w = Window::new(page);
    let viewer = viewer.map(|v| v.0).unwrap_or(0);
    let tag_filter = if tag.is_some() {
        "AND s.id IN (SELECT status_id FROM status_tags WHERE tag = :tag)"
    } else {
        "AND :tag IS NULL"
    };
    let sql = format!(
        "SELECT s.id FROM statuses s
         WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL {tag_filter}
           AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = s.account_id AND b.target_id = :viewer)
           AND {NOT_HIDDEN_FROM_VIEWER}
           AND {}",
        w.clause("s.id")
    );
    let ids = query_ids(
        c,
        &sql,
        named_params! {":viewer": viewer, ":tag": tag, ":max": w.max, ":min": w.min, ":limit": w.limit},
    )?;
    Ok(w.finish(ids))
}

/// The IDs of a page of an account's statuses that the viewer may see.
pub fn account(
    c: &Connection,
    viewer: Option<AccountId>,
    account: AccountId,
    filter: AccountStatusesFilter,
    page: PageRequest,
) -> Result<Vec<i64>> {
    if filter.only_media {
        // Parley has no media attachments yet, so no status has any.
        return Ok(Vec::new());
    }
    let w = Window::new(page);
    let viewer = viewer.map(|v| v.0).unwrap_or(0);
    let mut filters = String::new();
    if filter.exclude_replies {
        filters.push_str(" AND (s.in_reply_to_id IS NULL OR s.in_reply_to_account_id = s.account_id)");
    }
    if filter.exclude_reblogs {
        filters.push_str(" AND s.reblog_of_id IS NULL");
    }
    if filter.pinned {
        filters.push_str(" AND s.id IN (SELECT status_id FROM pins WHERE account_id = :account)");
    }
    let sql = format!(
        "SELECT s.id FROM statuses s
         WHERE s.account_id = :account {filters}
           AND {}
           AND {}",
        visible_with_original(),
        w.clause("s.id")
    );
    let ids = query_ids(
        c,
        &sql,
        named_params! {":viewer": viewer, ":account": account.0, ":max": w.max, ":min": w.min, ":limit": w.limit},
    )?;
    Ok(w.finish(ids))
}

/// Statuses containing the words of `query` that the viewer may see, newest first.
pub fn search(c: &Connection, viewer: AccountId, query: &str, limit: usize) -> Result<Vec<Status>> {
    let q = query.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let sql = format!(
        "SELECT s.id FROM statuses s
         WHERE s.reblog_of_id IS NULL AND s.text LIKE :pattern ESCAPE '\\'
           AND {} AND {NOT_HIDDEN_FROM_VIEWER}
         ORDER BY s.id DESC LIMIT :limit + 0",
        visible_with_original()
    );
    let ids = query_ids(
        c,
        &sql,
        named_params! {":viewer": viewer.0, ":pattern": format!("%{escaped}%"), ":limit": limit as i64},
    )?;
    load_statuses(c, &ids)
}

/// Hashtags starting with `query`, most used first; only tags of statuses
/// anyone may see (public or unlisted, by an author shown to others), so a
/// tag used only in followers-only or direct posts, or by a suspended
/// account, is not revealed.
pub fn search_tags(c: &Connection, query: &str, limit: usize) -> Result<Vec<String>> {
    let q = query.trim().trim_start_matches('#').to_lowercase();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let mut stmt = c.prepare_cached(
        "SELECT t.tag FROM status_tags t JOIN statuses s ON s.id = t.status_id
         WHERE t.tag LIKE ?1 ESCAPE '\\' AND s.visibility IN ('public', 'unlisted')
           AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = s.account_id AND (a.suspended = 1 OR a.approved = 0))
         GROUP BY t.tag ORDER BY (t.tag = ?2) DESC, count(*) DESC, t.tag LIMIT ?3 + 0",
    )?;
    let tags = stmt
        .query_map(params![format!("{escaped}%"), q, limit as i64], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(tags)
}
