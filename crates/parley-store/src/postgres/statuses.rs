//! Statuses: posting, editing, deleting, favourites, boosts, pins, threads
//! (the twin of `sqlite/statuses.rs`).

use parley_core::model::{NotificationKind, Status, StatusEdit, Visibility};
use parley_core::page::PageRequest;
use parley_core::visibility::{counted_in_replies, counted_in_statuses, notifies_subscribers};
use parley_core::{AccountId, StatusId};
use sqlx::PgConnection;

use super::conversations;
use super::notifications::notify_filtered;
use super::polls;
use super::rows::{Window, load_statuses, ms, now_ms, sql, time, window_clause};
use super::write::Write;
use crate::Rejection;
use crate::changes::Change;
use crate::derived::home::Marks;
use crate::types::{EditStatus, NewReblog, NewStatus, PollChange};
use crate::{Result, StoreError};

/// Deepest reply chain walked for ancestors, and most descendants returned.
const MAX_ANCESTORS: i64 = 256;
const MAX_DESCENDANTS: i64 = 4096;

pub async fn insert(w: &mut Write, new: NewStatus) -> Result<Status> {
    if let Some(key) = &new.idempotency_key
        && let Some(existing) = find_idempotent(w.c(), new.account_id, key).await?
    {
        return find(w.c(), existing).await?.ok_or(StoreError::NotFound);
    }
    // A back-dated status (demo, import) gets an ID from its time, so it sorts where it belongs.
    let id = new.created_at.map(|t| w.ids.at(t)).unwrap_or_else(|| w.next_id());
    let created = new.created_at.map(ms).unwrap_or_else(now_ms);
    let (reply_id, reply_account) = match new.in_reply_to {
        Some((s, a)) => (Some(s.0), Some(a.0)),
        None => (None, None),
    };
    sqlx::query(
        "INSERT INTO statuses (id, account_id, in_reply_to_id, in_reply_to_account_id, text, content_html,
                               spoiler_text, sensitive, visibility, language, created_at, app_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(id)
    .bind(new.account_id.0)
    .bind(reply_id)
    .bind(reply_account)
    .bind(&new.text)
    .bind(&new.content_html)
    .bind(&new.spoiler_text)
    .bind(new.sensitive)
    .bind(new.visibility.as_str())
    .bind(&new.language)
    .bind(created)
    .bind(new.app.map(|a| a.0))
    .execute(w.c())
    .await?;
    write_mentions_and_tags(w.c(), id, &new.mentions, &new.tags).await?;
    if counted_in_statuses(new.visibility) {
        sqlx::query(
            "UPDATE accounts SET statuses_count = statuses_count + 1,
                             last_status_at = greatest(coalesce(last_status_at, 0), $2) WHERE id = $1",
        )
        .bind(new.account_id.0)
        .bind(created)
        .execute(w.c())
        .await?;
    }
    if let Some(parent) = reply_id
        && counted_in_replies(new.visibility)
    {
        sqlx::query("UPDATE statuses SET replies_count = replies_count + 1 WHERE id = $1")
            .bind(parent)
            .execute(w.c())
            .await?;
    }
    if let Some(poll) = &new.poll {
        polls::insert(w, StatusId(id), new.account_id, poll, created).await?;
    }
    if let Some(key) = &new.idempotency_key {
        sqlx::query("INSERT INTO idempotency_keys (account_id, key, status_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(new.account_id.0)
            .bind(key)
            .bind(id)
            .bind(now_ms())
            .execute(w.c())
            .await?;
    }
    w.append(Change::StatusCreated {
        status: StatusId(id),
        account: new.account_id,
        in_reply_to: new.in_reply_to.map(|(s, _)| s),
        reblog_of: None,
    });
    // A direct status joins its author's conversation, and the conversation
    // of each mentioned account its mention notifies.
    let direct = new.visibility == Visibility::Direct;
    let in_reply_to = new.in_reply_to.map(|(s, _)| s);
    if direct {
        conversations::add_status(w, new.account_id, StatusId(id), new.account_id, &new.mentions, in_reply_to).await?;
    }
    for mentioned in new.mentions.iter().filter(|m| **m != new.account_id) {
        let notified =
            notify_filtered(w, *mentioned, new.account_id, NotificationKind::Mention, Some(StatusId(id))).await?;
        if notified && direct {
            conversations::add_status(w, *mentioned, StatusId(id), new.account_id, &new.mentions, in_reply_to).await?;
        }
    }
    if notifies_subscribers(new.visibility, new.account_id, new.in_reply_to.map(|(_, a)| a)) {
        notify_subscribers(w, new.account_id, StatusId(id)).await?;
    }
    find(w.c(), StatusId(id)).await?.ok_or(StoreError::NotFound)
}

/// A `status` notification for each follower who follows `author` with `notify` on.
async fn notify_subscribers(w: &mut Write, author: AccountId, status: StatusId) -> Result<()> {
    let subscribers: Vec<i64> = sqlx::query_scalar("SELECT account_id FROM follows WHERE target_id = $1 AND notify")
        .bind(author.0)
        .fetch_all(w.c())
        .await?;
    for subscriber in subscribers.into_iter().filter(|s| *s != author.0) {
        notify_filtered(w, AccountId(subscriber), author, NotificationKind::Status, Some(status)).await?;
    }
    Ok(())
}

async fn write_mentions_and_tags(c: &mut PgConnection, id: i64, mentions: &[AccountId], tags: &[String]) -> Result<()> {
    for (i, a) in mentions.iter().enumerate() {
        sqlx::query(
            "INSERT INTO mentions (status_id, account_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(a.0)
        .bind(i as i64)
        .execute(&mut *c)
        .await?;
    }
    for (i, tag) in tags.iter().enumerate() {
        sqlx::query("INSERT INTO status_tags (tag, status_id, position) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(tag.to_lowercase())
            .bind(id)
            .bind(i as i64)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

pub async fn find(c: &mut PgConnection, id: StatusId) -> Result<Option<Status>> {
    Ok(load_statuses(c, &[id.0]).await?.pop())
}

pub async fn find_idempotent(c: &mut PgConnection, account: AccountId, key: &str) -> Result<Option<StatusId>> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT status_id FROM idempotency_keys WHERE account_id = $1 AND key = $2")
            .bind(account.0)
            .bind(key)
            .fetch_optional(c)
            .await?;
    Ok(found.map(StatusId))
}

pub async fn delete(w: &mut Write, id: StatusId) -> Result<Option<Status>> {
    let Some(status) = find(w.c(), id).await? else {
        return Ok(None);
    };
    // Boosts of it go with it; their authors' counters drop.
    let boosts: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT id, account_id, visibility FROM statuses WHERE reblog_of_id = $1")
            .bind(id.0)
            .fetch_all(w.c())
            .await?;
    for (boost, booster, visibility) in boosts {
        w.append(Change::StatusDeleted {
            status: StatusId(boost),
            account: AccountId(booster),
            in_reply_to: None,
            reblog_of: Some(id),
            poll: None,
            visibility: Visibility::parse(&visibility),
        });
    }
    sqlx::query(
        "UPDATE accounts SET statuses_count = statuses_count - 1
         WHERE id IN (SELECT account_id FROM statuses WHERE reblog_of_id = $1)",
    )
    .bind(id.0)
    .execute(w.c())
    .await?;
    sqlx::query("DELETE FROM statuses WHERE reblog_of_id = $1").bind(id.0).execute(w.c()).await?;
    if let Some(parent) = status.in_reply_to_id
        && counted_in_replies(status.visibility)
    {
        sqlx::query("UPDATE statuses SET replies_count = greatest(replies_count - 1, 0) WHERE id = $1")
            .bind(parent.0)
            .execute(w.c())
            .await?;
    }
    if let Some(original) = status.reblog_of {
        sqlx::query("UPDATE statuses SET reblogs_count = greatest(reblogs_count - 1, 0) WHERE id = $1")
            .bind(original.0)
            .execute(w.c())
            .await?;
    }
    if counted_in_statuses(status.visibility) {
        sqlx::query("UPDATE accounts SET statuses_count = greatest(statuses_count - 1, 0) WHERE id = $1")
            .bind(status.account_id.0)
            .execute(w.c())
            .await?;
    }
    // Its favourites and bookmarks go with it (a cascade): each account's marks are told.
    let favouriters: Vec<i64> = sqlx::query_scalar("SELECT account_id FROM favourites WHERE status_id = $1")
        .bind(id.0)
        .fetch_all(w.c())
        .await?;
    for account in favouriters {
        w.append(Change::Unfavourited { account: AccountId(account), status: id });
    }
    let bookmarkers: Vec<i64> =
        sqlx::query_scalar("SELECT account_id FROM bookmarks WHERE status_id = $1").bind(id.0).fetch_all(w.c()).await?;
    for account in bookmarkers {
        w.append(Change::Unbookmarked { account: AccountId(account), status: id });
    }
    conversations::remove_status(w, id).await?;
    sqlx::query("DELETE FROM idempotency_keys WHERE status_id = $1").bind(id.0).execute(w.c()).await?;
    sqlx::query("DELETE FROM statuses WHERE id = $1").bind(id.0).execute(w.c()).await?;
    w.append(Change::StatusDeleted {
        status: id,
        account: status.account_id,
        in_reply_to: status.in_reply_to_id,
        reblog_of: status.reblog_of,
        poll: status.poll_id,
        visibility: Some(status.visibility),
    });
    Ok(Some(status))
}

pub async fn edit(w: &mut Write, id: StatusId, e: EditStatus) -> Result<Status> {
    // Locked, so a vote cannot slip in between the check and the change.
    let current = find(w.c(), id).await?.ok_or(StoreError::NotFound)?;
    let now = now_ms();
    let poll = match current.poll_id {
        Some(p) => polls::find_for_update(w.c(), p).await?,
        None => None,
    };
    if e.text_changed && poll.as_ref().is_some_and(|p| p.votes_count > 0) {
        return Err(StoreError::Rejected(Rejection::PollHasVotes));
    }
    let mut voided_voters = Vec::new();
    match (&e.poll, &poll) {
        (PollChange::Keep, _) => {}
        (PollChange::Adjust { hide_totals, expires_at }, Some(p)) => {
            polls::adjust(w, p.id, *hide_totals, *expires_at).await?
        }
        (PollChange::Reset(new), Some(p)) => voided_voters = polls::reset(w, p.id, new).await?,
        (PollChange::Create(new), None) => {
            polls::insert(w, id, current.account_id, new, now).await?;
        }
        (PollChange::Create(new), Some(p)) => voided_voters = polls::reset(w, p.id, new).await?,
        (PollChange::Adjust { .. } | PollChange::Reset(_), None) => return Err(StoreError::NotFound),
    }
    if !matches!(e.poll, PollChange::Keep) {
        let poll: Option<i64> =
            sqlx::query_scalar("SELECT poll_id FROM statuses WHERE id = $1").bind(id.0).fetch_one(w.c()).await?;
        if let Some(poll) = poll {
            w.append(Change::PollChanged { poll: parley_core::PollId(poll) });
        }
    }
    let has_history: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM status_edits WHERE status_id = $1)")
        .bind(id.0)
        .fetch_one(w.c())
        .await?;
    const VERSION: &str =
        "INSERT INTO status_edits (id, status_id, text, content_html, spoiler_text, sensitive, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)";
    if !has_history {
        // The first edit also records the original, so history starts at the beginning.
        let version_id = w.next_id();
        sqlx::query(VERSION)
            .bind(version_id)
            .bind(id.0)
            .bind(&current.text)
            .bind(&current.content_html)
            .bind(&current.spoiler_text)
            .bind(current.sensitive)
            .bind(ms(current.created_at))
            .execute(w.c())
            .await?;
    }
    let version_id = w.next_id();
    sqlx::query(VERSION)
        .bind(version_id)
        .bind(id.0)
        .bind(&e.text)
        .bind(&e.content_html)
        .bind(&e.spoiler_text)
        .bind(e.sensitive)
        .bind(now)
        .execute(w.c())
        .await?;
    sqlx::query(
        "UPDATE statuses SET text = $2, content_html = $3, spoiler_text = $4, sensitive = $5, language = $6,
                             edited_at = $7 WHERE id = $1",
    )
    .bind(id.0)
    .bind(&e.text)
    .bind(&e.content_html)
    .bind(&e.spoiler_text)
    .bind(e.sensitive)
    .bind(&e.language)
    .bind(now)
    .execute(w.c())
    .await?;
    sqlx::query("DELETE FROM mentions WHERE status_id = $1").bind(id.0).execute(w.c()).await?;
    sqlx::query("DELETE FROM status_tags WHERE status_id = $1").bind(id.0).execute(w.c()).await?;
    write_mentions_and_tags(w.c(), id.0, &e.mentions, &e.tags).await?;
    w.append(Change::StatusEdited { status: id, account: current.account_id });
    // Everyone who boosted it learns that what they shared has changed, and
    // voters whose votes the edit voided (once each).
    let boosters: Vec<i64> = sqlx::query_scalar("SELECT account_id FROM statuses WHERE reblog_of_id = $1")
        .bind(id.0)
        .fetch_all(w.c())
        .await?;
    let mut told: Vec<AccountId> = boosters.into_iter().map(AccountId).collect();
    for v in voided_voters {
        if !told.contains(&v) {
            told.push(v);
        }
    }
    for account in told.into_iter().filter(|a| *a != current.account_id) {
        notify_filtered(w, account, current.account_id, NotificationKind::Update, Some(id)).await?;
    }
    find(w.c(), id).await?.ok_or(StoreError::NotFound)
}

pub async fn history(c: &mut PgConnection, id: StatusId) -> Result<Vec<StatusEdit>> {
    let rows: Vec<(String, String, String, bool, i64)> = sqlx::query_as(
        "SELECT text, content_html, spoiler_text, sensitive, created_at FROM status_edits
         WHERE status_id = $1 ORDER BY id",
    )
    .bind(id.0)
    .fetch_all(&mut *c)
    .await?;
    if !rows.is_empty() {
        return Ok(rows
            .into_iter()
            .map(|(text, content_html, spoiler_text, sensitive, at)| StatusEdit {
                status_id: id,
                text,
                content_html,
                spoiler_text,
                sensitive,
                created_at: time(at),
            })
            .collect());
    }
    // Never edited: its history is itself.
    Ok(find(c, id)
        .await?
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
pub async fn thread(c: &mut PgConnection, id: StatusId) -> Result<(Vec<i64>, Vec<i64>)> {
    let ancestors: Vec<i64> = sqlx::query_scalar(
        "WITH RECURSIVE up(id, depth) AS (
             SELECT in_reply_to_id, 1 FROM statuses WHERE id = $1 AND in_reply_to_id IS NOT NULL
             UNION ALL
             SELECT s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.id
             WHERE s.in_reply_to_id IS NOT NULL AND up.depth < $2)
         SELECT id FROM up ORDER BY depth DESC",
    )
    .bind(id.0)
    .bind(MAX_ANCESTORS)
    .fetch_all(&mut *c)
    .await?;
    let edges: Vec<(i64, i64)> = sqlx::query_as(
        "WITH RECURSIVE down(id, parent) AS (
             SELECT id, in_reply_to_id FROM statuses WHERE in_reply_to_id = $1
             UNION
             SELECT s.id, s.in_reply_to_id FROM statuses s JOIN down ON s.in_reply_to_id = down.id)
         SELECT id, parent FROM down LIMIT $2",
    )
    .bind(id.0)
    .bind(MAX_DESCENDANTS)
    .fetch_all(&mut *c)
    .await?;
    Ok((ancestors, crate::neutral::thread_order(id.0, &edges)))
}

pub async fn favourite(w: &mut Write, account: AccountId, status: StatusId, notify: Option<AccountId>) -> Result<bool> {
    let id = w.next_id();
    let added =
        sqlx::query("INSERT INTO favourites (id, account_id, status_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(account.0)
            .bind(status.0)
            .execute(w.c())
            .await?
            .rows_affected()
            > 0;
    if added {
        sqlx::query("UPDATE statuses SET favourites_count = favourites_count + 1 WHERE id = $1")
            .bind(status.0)
            .execute(w.c())
            .await?;
        w.append(Change::Favourited { account, status });
        if let Some(author) = notify {
            notify_filtered(w, author, account, NotificationKind::Favourite, Some(status)).await?;
        }
    }
    Ok(added)
}

pub async fn unfavourite(w: &mut Write, account: AccountId, status: StatusId) -> Result<bool> {
    let removed = sqlx::query("DELETE FROM favourites WHERE account_id = $1 AND status_id = $2")
        .bind(account.0)
        .bind(status.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0;
    if removed {
        sqlx::query("UPDATE statuses SET favourites_count = greatest(favourites_count - 1, 0) WHERE id = $1")
            .bind(status.0)
            .execute(w.c())
            .await?;
        w.append(Change::Unfavourited { account, status });
        sqlx::query("DELETE FROM notifications WHERE kind = 'favourite' AND from_account_id = $1 AND status_id = $2")
            .bind(account.0)
            .bind(status.0)
            .execute(w.c())
            .await?;
    }
    Ok(removed)
}

async fn boost_of(c: &mut PgConnection, account: AccountId, status: StatusId) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar("SELECT id FROM statuses WHERE account_id = $1 AND reblog_of_id = $2")
        .bind(account.0)
        .bind(status.0)
        .fetch_optional(c)
        .await?)
}

pub async fn reblog(w: &mut Write, new: NewReblog) -> Result<Status> {
    if let Some(id) = boost_of(w.c(), new.account_id, new.status_id).await? {
        return find(w.c(), StatusId(id)).await?.ok_or(StoreError::NotFound);
    }
    let original = find(w.c(), new.status_id).await?.ok_or(StoreError::NotFound)?;
    let id = w.next_id();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO statuses (id, account_id, reblog_of_id, text, content_html, visibility, created_at, app_id)
         VALUES ($1, $2, $3, '', '', $4, $5, $6)",
    )
    .bind(id)
    .bind(new.account_id.0)
    .bind(new.status_id.0)
    .bind(new.visibility.as_str())
    .bind(now)
    .bind(new.app.map(|a| a.0))
    .execute(w.c())
    .await?;
    sqlx::query("UPDATE statuses SET reblogs_count = reblogs_count + 1 WHERE id = $1")
        .bind(new.status_id.0)
        .execute(w.c())
        .await?;
    sqlx::query("UPDATE accounts SET statuses_count = statuses_count + 1, last_status_at = $2 WHERE id = $1")
        .bind(new.account_id.0)
        .bind(now)
        .execute(w.c())
        .await?;
    w.append(Change::StatusCreated {
        status: StatusId(id),
        account: new.account_id,
        in_reply_to: None,
        reblog_of: Some(new.status_id),
    });
    if original.account_id != new.account_id {
        notify_filtered(w, original.account_id, new.account_id, NotificationKind::Reblog, Some(new.status_id)).await?;
    }
    find(w.c(), StatusId(id)).await?.ok_or(StoreError::NotFound)
}

pub async fn unreblog(w: &mut Write, account: AccountId, status: StatusId) -> Result<Option<Status>> {
    let Some(id) = boost_of(w.c(), account, status).await? else {
        return Ok(None);
    };
    let removed = delete(w, StatusId(id)).await?;
    sqlx::query("DELETE FROM notifications WHERE kind = 'reblog' AND from_account_id = $1 AND status_id = $2")
        .bind(account.0)
        .bind(status.0)
        .execute(w.c())
        .await?;
    Ok(removed)
}

pub async fn favourited_by(c: &mut PgConnection, status: StatusId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
    let win = Window::new(page);
    let rows: Vec<(i64, i64)> = sqlx::query_as(sql(format!(
        "SELECT f.id, f.account_id FROM favourites f JOIN accounts a ON a.id = f.account_id
         WHERE f.status_id = $1 AND {} AND {}",
        super::visibility::account_shown_to_others("a"),
        window_clause(&win, "f.id", 2, 3, 4)
    )))
    .bind(status.0)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(rows.into_iter().map(|(cursor, a)| (cursor, AccountId(a))).collect()))
}

pub async fn favourites_of(
    c: &mut PgConnection,
    account: AccountId,
    page: PageRequest,
) -> Result<Vec<(i64, StatusId)>> {
    let win = Window::new(page);
    let rows: Vec<(i64, i64)> = sqlx::query_as(sql(format!(
        "SELECT f.id, f.status_id FROM favourites f WHERE f.account_id = $1 AND {}",
        window_clause(&win, "f.id", 2, 3, 4)
    )))
    .bind(account.0)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(rows.into_iter().map(|(cursor, s)| (cursor, StatusId(s))).collect()))
}

/// The boosters of a status whose boosts `viewer` may see, less those the
/// viewer blocks or mutes.
pub async fn reblogged_by(
    c: &mut PgConnection,
    viewer: Option<AccountId>,
    status: StatusId,
    page: PageRequest,
) -> Result<Vec<(i64, AccountId)>> {
    let win = Window::new(page);
    let rows: Vec<(i64, i64)> = sqlx::query_as(sql(format!(
        "SELECT s.id, s.account_id FROM statuses s
         WHERE s.reblog_of_id = $1 AND {} AND {} AND {}",
        super::visibility::can_view("s", "$2"),
        super::visibility::not_blocked_or_muted("s.account_id", "$2"),
        window_clause(&win, "s.id", 3, 4, 5)
    )))
    .bind(status.0)
    .bind(viewer.map_or(0, |v| v.0))
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(rows.into_iter().map(|(cursor, a)| (cursor, AccountId(a))).collect()))
}

/// A viewer's marks (favourited, boosted, pinned, bookmarked), read from the database.
pub async fn load_marks(c: &mut PgConnection, viewer: AccountId) -> Result<Marks> {
    async fn ids(c: &mut PgConnection, q: &'static str, viewer: AccountId) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(q).bind(viewer.0).fetch_all(c).await?)
    }
    Ok(Marks::new(
        ids(c, "SELECT status_id FROM favourites WHERE account_id = $1", viewer).await?,
        ids(c, "SELECT reblog_of_id FROM statuses WHERE account_id = $1 AND reblog_of_id IS NOT NULL", viewer).await?,
        ids(c, "SELECT status_id FROM pins WHERE account_id = $1", viewer).await?,
        ids(c, "SELECT status_id FROM bookmarks WHERE account_id = $1", viewer).await?,
    ))
}

pub async fn pin(w: &mut Write, account: AccountId, status: StatusId) -> Result<()> {
    let id = w.next_id();
    let added = sqlx::query("INSERT INTO pins (id, account_id, status_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(id)
        .bind(account.0)
        .bind(status.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0;
    if added {
        w.append(Change::Pinned { account, status });
    }
    Ok(())
}

pub async fn unpin(w: &mut Write, account: AccountId, status: StatusId) -> Result<()> {
    if sqlx::query("DELETE FROM pins WHERE account_id = $1 AND status_id = $2")
        .bind(account.0)
        .bind(status.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0
    {
        w.append(Change::Unpinned { account, status });
    }
    Ok(())
}
