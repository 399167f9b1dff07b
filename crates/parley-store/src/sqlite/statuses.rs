//! Statuses: posting, editing, deleting, favourites, boosts, pins, threads.

use parley_core::model::{NotificationKind, Status, StatusEdit, Visibility};
use parley_core::page::PageRequest;
use parley_core::visibility::{counted_in_replies, counted_in_statuses, notifies_subscribers};
use parley_core::{AccountId, IdGenerator, StatusId};
use rusqlite::{Connection, OptionalExtension, named_params, params};

use super::changelog::append;
use super::conversations;
use super::notifications::notify_filtered;
use super::polls;
use super::rows::{SqlWindow, Window, load_statuses, ms, now_ms, query_pairs, time};
use crate::Rejection;
use crate::changes::Change;
use crate::derived::home::Marks;
use crate::types::{EditStatus, NewReblog, NewStatus, PollChange};
use crate::{Result, StoreError};

/// Deepest reply chain walked for ancestors, and most descendants returned.
const MAX_ANCESTORS: i64 = 256;
const MAX_DESCENDANTS: i64 = 4096;

pub fn insert(c: &Connection, ids: &IdGenerator, new: NewStatus) -> Result<Status> {
    if let Some(key) = &new.idempotency_key
        && let Some(existing) = find_idempotent(c, new.account_id, key)?
    {
        return find(c, existing)?.ok_or(StoreError::NotFound);
    }
    // A back-dated status (demo, import) gets an ID from its time, so it sorts where it belongs.
    let id = new.created_at.map(|t| ids.at(t)).unwrap_or_else(|| ids.next_raw());
    let created = new.created_at.map(ms).unwrap_or_else(now_ms);
    let (reply_id, reply_account) = match new.in_reply_to {
        Some((s, a)) => (Some(s.0), Some(a.0)),
        None => (None, None),
    };
    c.prepare_cached(
        "INSERT INTO statuses (id, account_id, in_reply_to_id, in_reply_to_account_id, text, content_html,
                               spoiler_text, sensitive, visibility, language, created_at, app_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        id,
        new.account_id.0,
        reply_id,
        reply_account,
        new.text,
        new.content_html,
        new.spoiler_text,
        new.sensitive,
        new.visibility.as_str(),
        new.language,
        created,
        new.app.map(|a| a.0),
    ])?;
    write_mentions_and_tags(c, id, &new.mentions, &new.tags)?;
    if counted_in_statuses(new.visibility) {
        c.prepare_cached(
            "UPDATE accounts SET statuses_count = statuses_count + 1,
                             last_status_at = max(coalesce(last_status_at, 0), ?2) WHERE id = ?1",
        )?
        .execute(params![new.account_id.0, created])?;
    }
    if let Some(parent) = reply_id
        && counted_in_replies(new.visibility)
    {
        c.prepare_cached("UPDATE statuses SET replies_count = replies_count + 1 WHERE id = ?1")?.execute([parent])?;
    }
    if let Some(poll) = &new.poll {
        polls::insert(c, ids, StatusId(id), new.account_id, poll, created)?;
    }
    if let Some(key) = &new.idempotency_key {
        c.execute(
            "INSERT INTO idempotency_keys (account_id, key, status_id, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![new.account_id.0, key, id, now_ms()],
        )?;
    }
    append(
        c,
        Change::StatusCreated {
            status: StatusId(id),
            account: new.account_id,
            in_reply_to: new.in_reply_to.map(|(s, _)| s),
            reblog_of: None,
        },
    )?;
    // A direct status joins its author's conversation, and the conversation
    // of each mentioned account its mention notifies (as Mastodon's
    // NotifyService: a recipient who blocks or mutes the author gets neither).
    let direct = new.visibility == Visibility::Direct;
    let in_reply_to = new.in_reply_to.map(|(s, _)| s);
    let join = |recipient| {
        conversations::add_status(c, ids, recipient, StatusId(id), new.account_id, &new.mentions, in_reply_to)
    };
    if direct {
        join(new.account_id)?;
    }
    for mentioned in new.mentions.iter().filter(|m| **m != new.account_id) {
        let notified =
            notify_filtered(c, ids, *mentioned, new.account_id, NotificationKind::Mention, Some(StatusId(id)))?;
        if notified && direct {
            join(*mentioned)?;
        }
    }
    if notifies_subscribers(new.visibility, new.account_id, new.in_reply_to.map(|(_, a)| a)) {
        notify_subscribers(c, ids, new.account_id, StatusId(id))?;
    }
    find(c, StatusId(id))?.ok_or(StoreError::NotFound)
}

/// A `status` notification for each follower who follows `author` with
/// `notify` on; `notify_filtered` leaves out blocks and notification mutes.
fn notify_subscribers(c: &Connection, ids: &IdGenerator, author: AccountId, status: StatusId) -> Result<()> {
    let subscribers = c
        .prepare_cached("SELECT account_id FROM follows WHERE target_id = ?1 AND notify = 1")?
        .query_map([author.0], |r| r.get::<_, i64>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    for subscriber in subscribers.into_iter().filter(|s| *s != author.0) {
        notify_filtered(c, ids, AccountId(subscriber), author, NotificationKind::Status, Some(status))?;
    }
    Ok(())
}

fn write_mentions_and_tags(c: &Connection, id: i64, mentions: &[AccountId], tags: &[String]) -> Result<()> {
    let mut m =
        c.prepare_cached("INSERT OR IGNORE INTO mentions (status_id, account_id, position) VALUES (?1, ?2, ?3)")?;
    for (i, a) in mentions.iter().enumerate() {
        m.execute(params![id, a.0, i as i64])?;
    }
    let mut t = c.prepare_cached("INSERT OR IGNORE INTO status_tags (tag, status_id, position) VALUES (?1, ?2, ?3)")?;
    for (i, tag) in tags.iter().enumerate() {
        t.execute(params![tag.to_lowercase(), id, i as i64])?;
    }
    Ok(())
}

pub fn find(c: &Connection, id: StatusId) -> Result<Option<Status>> {
    Ok(load_statuses(c, &[id.0])?.pop())
}

pub fn find_idempotent(c: &Connection, account: AccountId, key: &str) -> Result<Option<StatusId>> {
    Ok(c.prepare_cached("SELECT status_id FROM idempotency_keys WHERE account_id = ?1 AND key = ?2")?
        .query_row(params![account.0, key], |r| r.get(0))
        .optional()?
        .map(StatusId))
}

pub fn delete(c: &Connection, id: StatusId) -> Result<Option<Status>> {
    let Some(status) = find(c, id)? else {
        return Ok(None);
    };
    // Boosts of it go with it; their authors' counters drop.
    let boosts: Vec<(i64, i64, String)> = {
        let mut stmt = c.prepare_cached("SELECT id, account_id, visibility FROM statuses WHERE reblog_of_id = ?1")?;
        stmt.query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?
    };
    for (boost, booster, visibility) in boosts {
        append(
            c,
            Change::StatusDeleted {
                status: StatusId(boost),
                account: AccountId(booster),
                in_reply_to: None,
                reblog_of: Some(id),
                poll: None,
                visibility: parley_core::model::Visibility::parse(&visibility),
            },
        )?;
    }
    c.execute(
        "UPDATE accounts SET statuses_count = statuses_count - 1
         WHERE id IN (SELECT account_id FROM statuses WHERE reblog_of_id = ?1)",
        [id.0],
    )?;
    c.execute("DELETE FROM statuses WHERE reblog_of_id = ?1", [id.0])?;
    if let Some(parent) = status.in_reply_to_id
        && counted_in_replies(status.visibility)
    {
        c.execute("UPDATE statuses SET replies_count = max(replies_count - 1, 0) WHERE id = ?1", [parent.0])?;
    }
    if let Some(original) = status.reblog_of {
        c.execute("UPDATE statuses SET reblogs_count = max(reblogs_count - 1, 0) WHERE id = ?1", [original.0])?;
    }
    if counted_in_statuses(status.visibility) {
        c.execute(
            "UPDATE accounts SET statuses_count = max(statuses_count - 1, 0) WHERE id = ?1",
            [status.account_id.0],
        )?;
    }
    // Its favourites and bookmarks go with it (a cascade): each account's
    // marks are told, or they would keep a status that is gone.
    let marked_by = |table: &str| -> Result<Vec<i64>> {
        let mut stmt = c.prepare_cached(&format!("SELECT account_id FROM {table} WHERE status_id = ?1"))?;
        Ok(stmt.query_map([id.0], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
    };
    for account in marked_by("favourites")? {
        append(c, Change::Unfavourited { account: AccountId(account), status: id })?;
    }
    for account in marked_by("bookmarks")? {
        append(c, Change::Unbookmarked { account: AccountId(account), status: id })?;
    }
    conversations::remove_status(c, id)?;
    c.execute("DELETE FROM idempotency_keys WHERE status_id = ?1", [id.0])?;
    c.execute("DELETE FROM statuses WHERE id = ?1", [id.0])?;
    append(
        c,
        Change::StatusDeleted {
            status: id,
            account: status.account_id,
            in_reply_to: status.in_reply_to_id,
            reblog_of: status.reblog_of,
            poll: status.poll_id,
            visibility: Some(status.visibility),
        },
    )?;
    Ok(Some(status))
}

pub fn edit(c: &Connection, ids: &IdGenerator, id: StatusId, e: EditStatus) -> Result<Status> {
    let current = find(c, id)?.ok_or(StoreError::NotFound)?;
    let now = now_ms();
    let poll = match current.poll_id {
        Some(p) => polls::find_many(c, &[p])?.pop(),
        None => None,
    };
    // Checked here, inside the transaction, so no vote can slip in between.
    if e.text_changed && poll.as_ref().is_some_and(|p| p.votes_count > 0) {
        return Err(StoreError::Rejected(Rejection::PollHasVotes));
    }
    let mut voided_voters = Vec::new();
    match (&e.poll, &poll) {
        (PollChange::Keep, _) => {}
        (PollChange::Adjust { hide_totals, expires_at }, Some(p)) => polls::adjust(c, p.id, *hide_totals, *expires_at)?,
        (PollChange::Reset(new), Some(p)) => voided_voters = polls::reset(c, p.id, new)?,
        (PollChange::Create(new), None) => {
            polls::insert(c, ids, id, current.account_id, new, now)?;
        }
        (PollChange::Create(new), Some(p)) => voided_voters = polls::reset(c, p.id, new)?,
        (PollChange::Adjust { .. } | PollChange::Reset(_), None) => return Err(StoreError::NotFound),
    }
    if !matches!(e.poll, PollChange::Keep) {
        let poll: Option<i64> = c.query_row("SELECT poll_id FROM statuses WHERE id = ?1", [id.0], |r| r.get(0))?;
        if let Some(poll) = poll {
            append(c, Change::PollChanged { poll: parley_core::PollId(poll) })?;
        }
    }
    let has_history: bool =
        c.query_row("SELECT EXISTS (SELECT 1 FROM status_edits WHERE status_id = ?1)", [id.0], |r| r.get(0))?;
    let mut version = c.prepare_cached(
        "INSERT INTO status_edits (id, status_id, text, content_html, spoiler_text, sensitive, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    if !has_history {
        // The first edit also records the original, so history starts at the beginning.
        version.execute(params![
            ids.next_raw(),
            id.0,
            current.text,
            current.content_html,
            current.spoiler_text,
            current.sensitive,
            ms(current.created_at)
        ])?;
    }
    version.execute(params![ids.next_raw(), id.0, e.text, e.content_html, e.spoiler_text, e.sensitive, now])?;
    c.execute(
        "UPDATE statuses SET text = ?2, content_html = ?3, spoiler_text = ?4, sensitive = ?5, language = ?6,
                             edited_at = ?7 WHERE id = ?1",
        params![id.0, e.text, e.content_html, e.spoiler_text, e.sensitive, e.language, now],
    )?;
    c.execute("DELETE FROM mentions WHERE status_id = ?1", [id.0])?;
    c.execute("DELETE FROM status_tags WHERE status_id = ?1", [id.0])?;
    write_mentions_and_tags(c, id.0, &e.mentions, &e.tags)?;
    append(c, Change::StatusEdited { status: id, account: current.account_id })?;
    // Everyone who boosted it learns that what they shared has changed.
    let boosters: Vec<i64> = {
        let mut stmt = c.prepare_cached("SELECT account_id FROM statuses WHERE reblog_of_id = ?1")?;
        stmt.query_map([id.0], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    // Voters whose votes the edit voided are told too (once, even if they also boosted).
    let mut told: Vec<AccountId> = boosters.into_iter().map(AccountId).collect();
    for v in voided_voters {
        if !told.contains(&v) {
            told.push(v);
        }
    }
    for account in told.into_iter().filter(|a| *a != current.account_id) {
        notify_filtered(c, ids, account, current.account_id, NotificationKind::Update, Some(id))?;
    }
    find(c, id)?.ok_or(StoreError::NotFound)
}

pub fn history(c: &Connection, id: StatusId) -> Result<Vec<StatusEdit>> {
    let mut stmt = c.prepare_cached(
        "SELECT text, content_html, spoiler_text, sensitive, created_at FROM status_edits
         WHERE status_id = ?1 ORDER BY id",
    )?;
    let edits = stmt
        .query_map([id.0], |r| {
            Ok(StatusEdit {
                status_id: id,
                text: r.get(0)?,
                content_html: r.get(1)?,
                spoiler_text: r.get(2)?,
                sensitive: r.get(3)?,
                created_at: time(r.get(4)?),
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    if !edits.is_empty() {
        return Ok(edits);
    }
    // Never edited: its history is itself.
    Ok(find(c, id)?
        .map(|s| StatusEdit {
            status_id: id,
            text: s.text,
            content_html: s.content_html,
            spoiler_text: s.spoiler_text,
            sensitive: s.sensitive,
            created_at: s.created_at,
        })
        .into_iter()
        .collect())
}

/// The IDs of a status's ancestors (oldest first) and descendants (in thread order).
pub fn thread(c: &Connection, id: StatusId) -> Result<(Vec<i64>, Vec<i64>)> {
    let ancestors: Vec<i64> = {
        let mut stmt = c.prepare_cached(
            "WITH RECURSIVE up(id, depth) AS (
                 SELECT in_reply_to_id, 1 FROM statuses WHERE id = ?1 AND in_reply_to_id IS NOT NULL
                 UNION ALL
                 SELECT s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.id
                 WHERE s.in_reply_to_id IS NOT NULL AND up.depth < ?2)
             SELECT id FROM up ORDER BY depth DESC",
        )?;
        stmt.query_map(params![id.0, MAX_ANCESTORS], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    let edges: Vec<(i64, i64)> = {
        let mut stmt = c.prepare_cached(
            "WITH RECURSIVE down(id, parent) AS (
                 SELECT id, in_reply_to_id FROM statuses WHERE in_reply_to_id = ?1
                 UNION
                 SELECT s.id, s.in_reply_to_id FROM statuses s JOIN down ON s.in_reply_to_id = down.id)
             SELECT id, parent FROM down LIMIT ?2 + 0",
        )?;
        stmt.query_map(params![id.0, MAX_DESCENDANTS], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    Ok((ancestors, crate::neutral::thread_order(id.0, &edges)))
}

pub fn favourite(
    c: &Connection,
    ids: &IdGenerator,
    account: AccountId,
    status: StatusId,
    notify: Option<AccountId>,
) -> Result<bool> {
    let added = c
        .prepare_cached("INSERT OR IGNORE INTO favourites (id, account_id, status_id) VALUES (?1, ?2, ?3)")?
        .execute(params![ids.next_raw(), account.0, status.0])?
        > 0;
    if added {
        c.prepare_cached("UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = ?1")?
            .execute([status.0])?;
        append(c, Change::Favourited { account, status })?;
        if let Some(author) = notify {
            notify_filtered(c, ids, author, account, NotificationKind::Favourite, Some(status))?;
        }
    }
    Ok(added)
}

pub fn unfavourite(c: &Connection, account: AccountId, status: StatusId) -> Result<bool> {
    let removed =
        c.execute("DELETE FROM favourites WHERE account_id = ?1 AND status_id = ?2", params![account.0, status.0])? > 0;
    if removed {
        c.execute("UPDATE statuses SET favourites_count = max(favourites_count - 1, 0) WHERE id = ?1", [status.0])?;
        append(c, Change::Unfavourited { account, status })?;
        c.execute(
            "DELETE FROM notifications WHERE kind = 'favourite' AND from_account_id = ?1 AND status_id = ?2",
            params![account.0, status.0],
        )?;
    }
    Ok(removed)
}

pub fn reblog(c: &Connection, ids: &IdGenerator, new: NewReblog) -> Result<Status> {
    let existing: Option<i64> = c
        .query_row(
            "SELECT id FROM statuses WHERE account_id = ?1 AND reblog_of_id = ?2",
            params![new.account_id.0, new.status_id.0],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return find(c, StatusId(id))?.ok_or(StoreError::NotFound);
    }
    let original = find(c, new.status_id)?.ok_or(StoreError::NotFound)?;
    let id = ids.next_raw();
    let now = now_ms();
    c.execute(
        "INSERT INTO statuses (id, account_id, reblog_of_id, text, content_html, visibility, created_at, app_id)
         VALUES (?1, ?2, ?3, '', '', ?4, ?5, ?6)",
        params![id, new.account_id.0, new.status_id.0, new.visibility.as_str(), now, new.app.map(|a| a.0)],
    )?;
    c.execute("UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = ?1", [new.status_id.0])?;
    c.execute(
        "UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = ?2 WHERE id = ?1",
        params![new.account_id.0, now],
    )?;
    append(
        c,
        Change::StatusCreated {
            status: StatusId(id),
            account: new.account_id,
            in_reply_to: None,
            reblog_of: Some(new.status_id),
        },
    )?;
    if original.account_id != new.account_id {
        notify_filtered(c, ids, original.account_id, new.account_id, NotificationKind::Reblog, Some(new.status_id))?;
    }
    find(c, StatusId(id))?.ok_or(StoreError::NotFound)
}

pub fn unreblog(c: &Connection, account: AccountId, status: StatusId) -> Result<Option<Status>> {
    let existing: Option<i64> = c
        .query_row(
            "SELECT id FROM statuses WHERE account_id = ?1 AND reblog_of_id = ?2",
            params![account.0, status.0],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = existing else {
        return Ok(None);
    };
    let removed = delete(c, StatusId(id))?;
    c.execute(
        "DELETE FROM notifications WHERE kind = 'reblog' AND from_account_id = ?1 AND status_id = ?2",
        params![account.0, status.0],
    )?;
    Ok(removed)
}

pub fn favourited_by(c: &Connection, status: StatusId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    let w = Window::new(page);
    let sql = format!(
        "SELECT f.id, f.account_id FROM favourites f JOIN accounts a ON a.id = f.account_id
         WHERE f.status_id = :status AND {} AND {}",
        super::visibility::account_shown_to_others("a"),
        w.clause("f.id")
    );
    let rows =
        query_pairs(c, &sql, named_params! {":status": status.0, ":max": w.max, ":min": w.min, ":limit": w.limit})?;
    Ok(w.finish(rows))
}

pub fn favourites_of(c: &Connection, account: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusId)>> {
    let w = Window::new(page);
    let sql =
        format!("SELECT f.id, f.status_id FROM favourites f WHERE f.account_id = :account AND {}", w.clause("f.id"));
    let rows =
        query_pairs(c, &sql, named_params! {":account": account.0, ":max": w.max, ":min": w.min, ":limit": w.limit})?;
    Ok(w.finish(rows.into_iter().map(|(cursor, id)| (cursor, StatusId(id.0))).collect()))
}

/// The boosters of a status whose boosts `viewer` may see (a followers-only
/// boost lists its booster to the booster's followers only), less those the
/// viewer blocks or mutes (Mastodon's `RebloggedByAccountsController`).
pub fn reblogged_by(
    c: &Connection,
    viewer: Option<AccountId>,
    status: StatusId,
    page: PageRequest,
) -> Result<Vec<(i64, AccountId)>> {
    let w = Window::new(page);
    let sql = format!(
        "SELECT s.id, s.account_id FROM statuses s
         WHERE s.reblog_of_id = :status AND {} AND {} AND {}",
        super::visibility::can_view("s"),
        super::visibility::not_blocked_or_muted("s.account_id"),
        w.clause("s.id")
    );
    let viewer = viewer.map_or(0, |v| v.0);
    let rows = query_pairs(
        c,
        &sql,
        named_params! {":status": status.0, ":viewer": viewer, ":max": w.max, ":min": w.min, ":limit": w.limit},
    )?;
    Ok(w.finish(rows))
}

/// A viewer's marks (favourited, boosted, pinned, bookmarked), read from the database.
pub fn load_marks(c: &Connection, viewer: AccountId) -> Result<Marks> {
    let sorted = |sql: &str| -> Result<Vec<i64>> {
        let mut stmt = c.prepare_cached(sql)?;
        Ok(stmt.query_map([viewer.0], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<i64>>>()?)
    };
    Ok(Marks::new(
        sorted("SELECT status_id FROM favourites WHERE account_id = ?1")?,
        sorted("SELECT reblog_of_id FROM statuses WHERE account_id = ?1 AND reblog_of_id IS NOT NULL")?,
        sorted("SELECT status_id FROM pins WHERE account_id = ?1")?,
        sorted("SELECT status_id FROM bookmarks WHERE account_id = ?1")?,
    ))
}

pub fn pin(c: &Connection, ids: &IdGenerator, account: AccountId, status: StatusId) -> Result<()> {
    let added = c.execute(
        "INSERT OR IGNORE INTO pins (id, account_id, status_id) VALUES (?1, ?2, ?3)",
        params![ids.next_raw(), account.0, status.0],
    )? > 0;
    if added {
        append(c, Change::Pinned { account, status })?;
    }
    Ok(())
}

pub fn unpin(c: &Connection, account: AccountId, status: StatusId) -> Result<()> {
    if c.execute("DELETE FROM pins WHERE account_id = ?1 AND status_id = ?2", params![account.0, status.0])? > 0 {
        append(c, Change::Unpinned { account, status })?;
    }
    Ok(())
}
