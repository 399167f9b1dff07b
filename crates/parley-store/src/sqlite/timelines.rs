//! Timelines and status search. Every query here filters by the rule of
//! `parley_core::visibility` in SQL ([`super::visibility`]); the property
//! test `tests/visibility` checks the two agree.

use parley_core::AccountId;
use parley_core::model::Status;
use parley_core::page::PageRequest;
use rusqlite::{Connection, named_params};

use super::rows::{SqlWindow, Window, load_statuses, query_ids};
use super::visibility::{can_view, can_view_boost, not_hidden_from_viewer, original_not_blocked_or_muted};
use crate::Result;
use crate::types::AccountStatusesFilter;

/// `only_media`: the status has attachments now.
const HAS_MEDIA: &str =
    " AND EXISTS (SELECT 1 FROM media_attachments m WHERE m.status_id = s.id AND m.position IS NOT NULL)";

/// The home timeline's rules as one query: the specification that
/// [`super::home::home`] implements faster. Kept for the agreement test.
pub fn home_reference(c: &Connection, viewer: AccountId, page: PageRequest) -> Result<Vec<Status>> {
    let w = Window::new(page);
    let sql = format!(
        "SELECT s.id FROM statuses s
         WHERE (s.account_id = :viewer
                OR s.account_id IN (SELECT target_id FROM follows WHERE account_id = :viewer))
           AND (s.reblog_of_id IS NULL OR s.account_id = :viewer OR EXISTS
                (SELECT 1 FROM follows f WHERE f.account_id = :viewer AND f.target_id = s.account_id AND f.show_reblogs = 1))
           AND (s.in_reply_to_account_id IS NULL OR s.account_id = :viewer
                OR s.in_reply_to_account_id IN (s.account_id, :viewer)
                OR s.in_reply_to_account_id IN (SELECT target_id FROM follows WHERE account_id = :viewer))
           AND {} AND {}
           AND {}",
        can_view_boost(),
        not_hidden_from_viewer(),
        w.clause("s.id")
    );
    let ids = query_ids(c, &sql, named_params! {":viewer": viewer.0, ":max": w.max, ":min": w.min, ":limit": w.limit})?;
    load_statuses(c, &w.finish(ids))
}

/// The IDs of a page of the public timeline, or of a hashtag's when `tag` is
/// set: public, original statuses only.
pub fn public(
    c: &Connection,
    viewer: Option<AccountId>,
    tag: Option<&str>,
    only_media: bool,
    page: PageRequest,
) -> Result<Vec<i64>> {
    let w = Window::new(page);
    let viewer = viewer.map(|v| v.0).unwrap_or(0);
    let tag_filter = if tag.is_some() {
        "AND s.id IN (SELECT status_id FROM status_tags WHERE tag = :tag)"
    } else {
        "AND :tag IS NULL"
    };
    let media_filter = if only_media { HAS_MEDIA } else { "" };
    let sql = format!(
        "SELECT s.id FROM statuses s
         WHERE s.visibility = 'public' AND s.reblog_of_id IS NULL {tag_filter} {media_filter}
           AND {} AND {}
           AND {}",
        can_view("s"),
        not_hidden_from_viewer(),
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
    let w = Window::new(page);
    let viewer = viewer.map(|v| v.0).unwrap_or(0);
    let mut filters = String::new();
    if filter.only_media {
        // A boost carries no attachments of its own, so it is left out (as Mastodon).
        filters.push_str(HAS_MEDIA);
    }
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
           AND {} AND {}
           AND {}",
        can_view_boost(),
        // Mastodon's `AccountStatusesFilter`: boosts of accounts the viewer
        // blocks or mutes are left out (the account's own statuses are not).
        original_not_blocked_or_muted(),
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
           AND {} AND {}
         ORDER BY s.id DESC LIMIT :limit + 0",
        can_view("s"),
        not_hidden_from_viewer()
    );
    let ids = query_ids(
        c,
        &sql,
        named_params! {":viewer": viewer.0, ":pattern": format!("%{escaped}%"), ":limit": limit as i64},
    )?;
    load_statuses(c, &ids)
}

/// Hashtags starting with `query`, most used first; only tags of statuses
/// anyone may see (`can_view` by an anonymous viewer: public or unlisted, by
/// an author shown to others), so a tag used only in followers-only or
/// direct posts, or by a suspended account, is not revealed.
pub fn search_tags(c: &Connection, query: &str, limit: usize) -> Result<Vec<String>> {
    let q = query.trim().trim_start_matches('#').to_lowercase();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let mut stmt = c.prepare_cached(&format!(
        "SELECT t.tag FROM status_tags t JOIN statuses s ON s.id = t.status_id
         WHERE t.tag LIKE :pattern ESCAPE '\\' AND {}
         GROUP BY t.tag ORDER BY (t.tag = :exact) DESC, count(*) DESC, t.tag LIMIT :limit + 0",
        can_view("s")
    ))?;
    let tags = stmt
        .query_map(
            named_params! {":pattern": format!("{escaped}%"), ":exact": q, ":limit": limit as i64, ":viewer": 0},
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(tags)
}
