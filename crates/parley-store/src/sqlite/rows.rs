//! Row mapping and SQL helpers shared by the query modules.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parley_core::model::{Account, ProfileField, Role, Status, Visibility};
use parley_core::{AccountId, AppId, PollId, StatusId};
use rusqlite::{Connection, Row};

use crate::Result;

pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A JSON array of integers, for `IN (SELECT value FROM json_each(?))`.
pub fn json_ids(ids: impl IntoIterator<Item = i64>) -> String {
    let parts: Vec<String> = ids.into_iter().map(|i| i.to_string()).collect();
    format!("[{}]", parts.join(","))
}

/// The largest ID in any table, so new IDs sort after everything stored.
pub fn max_id(c: &Connection) -> Result<i64> {
    Ok(c.query_row(
        "SELECT max(coalesce((SELECT max(id) FROM accounts), 0),
                    coalesce((SELECT max(id) FROM statuses), 0),
                    coalesce((SELECT max(id) FROM notifications), 0),
                    coalesce((SELECT max(id) FROM follows), 0),
                    coalesce((SELECT max(id) FROM favourites), 0))",
        [],
        |r| r.get(0),
    )?)
}

pub use crate::window::Window;

/// A page window bound to named parameters `:max`, `:min`, `:limit`, so each
/// query's SQL text is fixed and its prepared statement can be cached.
pub trait SqlWindow {
    /// `col < :max AND col > :min ORDER BY col … LIMIT :limit + 0`
    ///
    /// Every `LIMIT` bound to a parameter is written `LIMIT ? + 0`: SQLite
    /// plans with the value of a bare `LIMIT ?` and so recompiles the
    /// statement whenever it is bound to a different value (the statement
    /// cache then saves nothing: 38% of a home-timeline request went to
    /// re-preparing). An expression is not used for planning.
    fn clause(&self, col: &str) -> String;
}

impl SqlWindow for Window {
    fn clause(&self, col: &str) -> String {
        let dir = if self.ascending { "ASC" } else { "DESC" };
        format!("{col} < :max AND {col} > :min ORDER BY {col} {dir} LIMIT :limit + 0")
    }
}

pub const ACCOUNT_COLUMNS: &str = "id, username, display_name, note, note_html, fields, locked, bot, created_at, \
     role, organisation, approved, suspended, followers_count, following_count, statuses_count, last_status_at, domain, \
     avatar, header";

pub fn account_from_row(r: &Row<'_>) -> rusqlite::Result<Account> {
    let fields: String = r.get(5)?;
    let role: String = r.get(9)?;
    Ok(Account {
        id: AccountId(r.get(0)?),
        username: r.get(1)?,
        display_name: r.get(2)?,
        note: r.get(3)?,
        note_html: r.get(4)?,
        fields: serde_json::from_str::<Vec<ProfileField>>(&fields).unwrap_or_default(),
        locked: r.get(6)?,
        bot: r.get(7)?,
        created_at: time(r.get(8)?),
        role: Role::parse(&role).unwrap_or(Role::User),
        organisation: r.get(10)?,
        approved: r.get(11)?,
        suspended: r.get(12)?,
        followers_count: r.get(13)?,
        following_count: r.get(14)?,
        statuses_count: r.get(15)?,
        last_status_at: r.get::<_, Option<i64>>(16)?.map(time),
        domain: r.get(17)?,
        avatar: r.get(18)?,
        header: r.get(19)?,
    })
}

pub const STATUS_COLUMNS: &str = "id, account_id, in_reply_to_id, in_reply_to_account_id, reblog_of_id, text, \
     content_html, spoiler_text, sensitive, visibility, language, created_at, edited_at, replies_count, \
     reblogs_count, favourites_count, app_id, poll_id";

/// A status row without its mentions and tags (see [`attach_mentions_and_tags`]).
pub fn status_from_row(r: &Row<'_>) -> rusqlite::Result<Status> {
    let visibility: String = r.get(9)?;
    Ok(Status {
        id: StatusId(r.get(0)?),
        account_id: AccountId(r.get(1)?),
        in_reply_to_id: r.get::<_, Option<i64>>(2)?.map(StatusId),
        in_reply_to_account_id: r.get::<_, Option<i64>>(3)?.map(AccountId),
        reblog_of: r.get::<_, Option<i64>>(4)?.map(StatusId),
        text: r.get(5)?,
        content_html: r.get(6)?,
        spoiler_text: r.get(7)?,
        sensitive: r.get(8)?,
        visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Direct),
        language: r.get(10)?,
        created_at: time(r.get(11)?),
        edited_at: r.get::<_, Option<i64>>(12)?.map(time),
        replies_count: r.get(13)?,
        reblogs_count: r.get(14)?,
        favourites_count: r.get(15)?,
        mentions: Vec::new(),
        tags: Vec::new(),
        application: r.get::<_, Option<i64>>(16)?.map(AppId),
        poll_id: r.get::<_, Option<i64>>(17)?.map(PollId),
        media: Vec::new(),
    })
}

/// Loads the statuses with these IDs, with mentions, tags and attachments, in the order given.
pub fn load_statuses(c: &Connection, ids: &[i64]) -> Result<Vec<Status>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = json_ids(ids.iter().copied());
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {STATUS_COLUMNS} FROM statuses WHERE id IN (SELECT value FROM json_each(?1))"
    ))?;
    let mut by_id: HashMap<i64, Status> =
        stmt.query_map([&list], status_from_row)?.map(|r| r.map(|s| (s.id.0, s))).collect::<rusqlite::Result<_>>()?;
    attach_mentions_and_tags(c, &list, &mut by_id)?;
    super::media::attach_to_loaded(c, &list, &mut by_id)?;
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

fn attach_mentions_and_tags(c: &Connection, list: &str, by_id: &mut HashMap<i64, Status>) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "SELECT status_id, account_id FROM mentions
         WHERE status_id IN (SELECT value FROM json_each(?1)) ORDER BY status_id, position",
    )?;
    let rows = stmt.query_map([list], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    for row in rows {
        let (sid, aid) = row?;
        if let Some(s) = by_id.get_mut(&sid) {
            s.mentions.push(AccountId(aid));
        }
    }
    let mut stmt = c.prepare_cached(
        "SELECT status_id, tag FROM status_tags
         WHERE status_id IN (SELECT value FROM json_each(?1)) ORDER BY status_id, position",
    )?;
    let rows = stmt.query_map([list], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
    for row in rows {
        let (sid, tag) = row?;
        if let Some(s) = by_id.get_mut(&sid) {
            s.tags.push(tag);
        }
    }
    Ok(())
}

/// IDs from a query with named parameters.
pub fn query_ids(c: &Connection, sql: &str, params: &[(&str, &dyn rusqlite::ToSql)]) -> Result<Vec<i64>> {
    let mut stmt = c.prepare_cached(sql)?;
    let ids = stmt.query_map(params, |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    Ok(ids)
}

/// (cursor, account) pairs from a query with named parameters.
pub fn query_pairs(
    c: &Connection,
    sql: &str,
    params: &[(&str, &dyn rusqlite::ToSql)],
) -> Result<Vec<(i64, AccountId)>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params, |r| Ok((r.get::<_, i64>(0)?, AccountId(r.get(1)?))))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}
