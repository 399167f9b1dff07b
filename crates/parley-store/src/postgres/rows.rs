//! Row mapping and SQL helpers shared by the query modules (PostgreSQL's
//! twin of `sqlite/rows.rs`: the same column lists, so both read alike).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parley_core::model::{Account, ProfileField, Role, Status, Visibility};
use parley_core::{AccountId, AppId, PollId, StatusId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use crate::Result;

pub use crate::window::Window;

pub fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

pub use super::changelog::now_ms;

/// A query string built at run time from this module's fixed fragments
/// (column lists, visibility rules, window clauses): never from input,
/// which is always bound.
pub fn sql(text: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(text)
}

/// The largest ID in any table, so new IDs sort after everything stored.
pub async fn max_id(c: &mut PgConnection) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT greatest(coalesce((SELECT max(id) FROM accounts), 0),
                         coalesce((SELECT max(id) FROM statuses), 0),
                         coalesce((SELECT max(id) FROM notifications), 0),
                         coalesce((SELECT max(id) FROM follows), 0),
                         coalesce((SELECT max(id) FROM favourites), 0))",
    )
    .fetch_one(c)
    .await?)
}

/// `col < $max AND col > $min ORDER BY col … LIMIT $limit`, with the
/// parameter numbers given (the window's `max`, `min` and `limit`).
pub fn window_clause(w: &Window, col: &str, max: usize, min: usize, limit: usize) -> String {
    let dir = if w.ascending { "ASC" } else { "DESC" };
    format!("{col} < ${max} AND {col} > ${min} ORDER BY {col} {dir} LIMIT ${limit}")
}

pub const ACCOUNT_COLUMNS: &str = "id, username, display_name, note, note_html, fields, locked, bot, created_at, \
     role, organisation, approved, suspended, followers_count, following_count, statuses_count, last_status_at, domain";

pub fn account_from_row(r: &PgRow) -> Result<Account, sqlx::Error> {
    let fields: &str = r.try_get(5)?;
    let role: &str = r.try_get(9)?;
    Ok(Account {
        id: AccountId(r.try_get(0)?),
        username: r.try_get(1)?,
        display_name: r.try_get(2)?,
        note: r.try_get(3)?,
        note_html: r.try_get(4)?,
        fields: serde_json::from_str::<Vec<ProfileField>>(fields).unwrap_or_default(),
        locked: r.try_get(6)?,
        bot: r.try_get(7)?,
        created_at: time(r.try_get(8)?),
        role: Role::parse(role).unwrap_or(Role::User),
        organisation: r.try_get(10)?,
        approved: r.try_get(11)?,
        suspended: r.try_get(12)?,
        followers_count: r.try_get(13)?,
        following_count: r.try_get(14)?,
        statuses_count: r.try_get(15)?,
        last_status_at: r.try_get::<Option<i64>, _>(16)?.map(time),
        domain: r.try_get(17)?,
    })
}

pub const STATUS_COLUMNS: &str = "id, account_id, in_reply_to_id, in_reply_to_account_id, reblog_of_id, text, \
     content_html, spoiler_text, sensitive, visibility, language, created_at, edited_at, replies_count, \
     reblogs_count, favourites_count, app_id, poll_id";

/// A status row without its mentions and tags (see [`load_statuses`]).
pub fn status_from_row(r: &PgRow) -> Result<Status, sqlx::Error> {
    let visibility: &str = r.try_get(9)?;
    Ok(Status {
        id: StatusId(r.try_get(0)?),
        account_id: AccountId(r.try_get(1)?),
        in_reply_to_id: r.try_get::<Option<i64>, _>(2)?.map(StatusId),
        in_reply_to_account_id: r.try_get::<Option<i64>, _>(3)?.map(AccountId),
        reblog_of: r.try_get::<Option<i64>, _>(4)?.map(StatusId),
        text: r.try_get(5)?,
        content_html: r.try_get(6)?,
        spoiler_text: r.try_get(7)?,
        sensitive: r.try_get(8)?,
        visibility: Visibility::parse(visibility).unwrap_or(Visibility::Direct),
        language: r.try_get(10)?,
        created_at: time(r.try_get(11)?),
        edited_at: r.try_get::<Option<i64>, _>(12)?.map(time),
        replies_count: r.try_get(13)?,
        reblogs_count: r.try_get(14)?,
        favourites_count: r.try_get(15)?,
        mentions: Vec::new(),
        tags: Vec::new(),
        application: r.try_get::<Option<i64>, _>(16)?.map(AppId),
        poll_id: r.try_get::<Option<i64>, _>(17)?.map(PollId),
    })
}

/// Loads the statuses with these IDs, with mentions and tags, in the order given.
pub async fn load_statuses(c: &mut PgConnection, ids: &[i64]) -> Result<Vec<Status>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(sql(format!("SELECT {STATUS_COLUMNS} FROM statuses WHERE id = ANY($1)")))
        .bind(ids)
        .fetch_all(&mut *c)
        .await?;
    let mut by_id: HashMap<i64, Status> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let s = status_from_row(r)?;
        by_id.insert(s.id.0, s);
    }
    let mentions: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT status_id, account_id FROM mentions WHERE status_id = ANY($1) ORDER BY status_id, position",
    )
    .bind(ids)
    .fetch_all(&mut *c)
    .await?;
    for (sid, aid) in mentions {
        if let Some(s) = by_id.get_mut(&sid) {
            s.mentions.push(AccountId(aid));
        }
    }
    let tags: Vec<(i64, String)> =
        sqlx::query_as("SELECT status_id, tag FROM status_tags WHERE status_id = ANY($1) ORDER BY status_id, position")
            .bind(ids)
            .fetch_all(&mut *c)
            .await?;
    for (sid, tag) in tags {
        if let Some(s) = by_id.get_mut(&sid) {
            s.tags.push(tag);
        }
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Maps every row with `f`.
pub fn map_rows<T>(rows: &[PgRow], f: impl Fn(&PgRow) -> Result<T, sqlx::Error>) -> Result<Vec<T>> {
    Ok(rows.iter().map(f).collect::<Result<Vec<T>, sqlx::Error>>()?)
}
