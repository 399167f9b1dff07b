//! Notifications: recorded in the same transaction as what caused them, with
//! their group key (parley-core's `grouping`); listed, grouped, dismissed.

use chrono::Utc;
use parley_core::grouping::{GroupKey, bucket_of, group_bucket, group_key, group_prefix};
use parley_core::model::{Notification, NotificationKind};
use parley_core::page::PageRequest;
use parley_core::{AccountId, NotificationId, StatusId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::rows::{Window, map_rows, now_ms, sql, time, window_clause};
use super::write::Write;
use crate::Result;
use crate::changes::Change;
use crate::types::{NewNotification, NotificationGroupStats};

/// The sender is shown to the recipient: not blocked by them, and
/// `account_shown` (the twin of `sqlite/notifications.rs::SENDER_SHOWN`).
const SENDER_SHOWN: &str = "NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = n.account_id AND b.target_id = n.from_account_id)
           AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.from_account_id AND (a.suspended OR NOT a.approved))";

const COLUMNS: &str = "n.id, n.account_id, n.from_account_id, n.kind, n.status_id, n.created_at, n.group_key";

/// Records a notification unless either blocks the other or the recipient
/// mutes the sender's notifications; whether it was recorded.
pub async fn notify_filtered(
    w: &mut Write,
    recipient: AccountId,
    from: AccountId,
    kind: NotificationKind,
    status: Option<StatusId>,
) -> Result<bool> {
    let id = w.next_id();
    let key = match group_prefix(kind, status) {
        Some(prefix) => {
            Some(group_key(&prefix, group_bucket(Utc::now(), newest_bucket(w.c(), recipient, &prefix).await?)))
        }
        None => None,
    };
    let added = sqlx::query(
        "INSERT INTO notifications (id, account_id, from_account_id, kind, status_id, created_at, group_key)
         SELECT $1, $2, $3, $4, $5, $6, $7
         WHERE NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = $2 AND target_id = $3)
           AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = $3 AND target_id = $2)
           AND NOT EXISTS (SELECT 1 FROM mutes WHERE account_id = $2 AND target_id = $3 AND notifications)",
    )
    .bind(id)
    .bind(recipient.0)
    .bind(from.0)
    .bind(kind.as_str())
    .bind(status.map(|s| s.0))
    .bind(now_ms())
    .bind(key)
    .execute(w.c())
    .await?
    .rows_affected()
        > 0;
    if added {
        w.append(Change::NotificationCreated { notification: NotificationId(id), account: recipient });
    }
    Ok(added)
}

/// The bucket of the recipient's newest group with this prefix. Keys are
/// `<prefix>-<digits>`, so they sort between `<prefix>-` and `<prefix>.`
/// (compared bytewise: `COLLATE "C"`).
async fn newest_bucket(c: &mut PgConnection, recipient: AccountId, prefix: &str) -> Result<Option<i64>> {
    let key: Option<String> = sqlx::query_scalar(
        "SELECT group_key FROM notifications
         WHERE account_id = $1 AND group_key COLLATE \"C\" > ($2 || '-') AND group_key COLLATE \"C\" < ($2 || '.')
         ORDER BY id DESC LIMIT 1",
    )
    .bind(recipient.0)
    .bind(prefix)
    .fetch_optional(c)
    .await?;
    Ok(key.as_deref().and_then(bucket_of))
}

pub async fn insert_all(w: &mut Write, notes: &[NewNotification]) -> Result<()> {
    for n in notes {
        notify_filtered(w, n.account_id, n.from_account_id, n.kind, n.status_id).await?;
    }
    Ok(())
}

fn from_row(r: &PgRow) -> Result<Notification, sqlx::Error> {
    let kind: &str = r.try_get(3)?;
    Ok(Notification {
        id: NotificationId(r.try_get(0)?),
        account_id: AccountId(r.try_get(1)?),
        from_account_id: AccountId(r.try_get(2)?),
        kind: NotificationKind::parse(kind).unwrap_or(NotificationKind::Mention),
        status_id: r.try_get::<Option<i64>, _>(4)?.map(StatusId),
        created_at: time(r.try_get(5)?),
        group_key: r.try_get(6)?,
    })
}

pub async fn list(
    c: &mut PgConnection,
    account: AccountId,
    kinds: &[NotificationKind],
    from: Option<AccountId>,
    page: PageRequest,
) -> Result<Vec<Notification>> {
    let win = Window::new(page);
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let rows = sqlx::query(sql(format!(
        "SELECT {COLUMNS} FROM notifications n
         WHERE n.account_id = $1 AND n.kind = ANY($2)
           AND ($3::bigint IS NULL OR n.from_account_id = $3)
           AND {SENDER_SHOWN}
           AND {}",
        window_clause(&win, "n.id", 4, 5, 6)
    )))
    .bind(account.0)
    .bind(&kinds)
    .bind(from.map(|f| f.0))
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(map_rows(&rows, from_row)?))
}

pub async fn find(c: &mut PgConnection, account: AccountId, id: NotificationId) -> Result<Option<Notification>> {
    let row = sqlx::query(sql(format!("SELECT {COLUMNS} FROM notifications n WHERE n.id = $1 AND n.account_id = $2")))
        .bind(id.0)
        .bind(account.0)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

pub async fn dismiss(w: &mut Write, account: AccountId, id: NotificationId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM notifications WHERE id = $1 AND account_id = $2")
        .bind(id.0)
        .bind(account.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0)
}

pub async fn clear(w: &mut Write, account: AccountId) -> Result<()> {
    sqlx::query("DELETE FROM notifications WHERE account_id = $1").bind(account.0).execute(w.c()).await?;
    Ok(())
}

/// The figures of each stored group among `keys` (as `sqlite/notifications.rs::group_stats`).
pub async fn group_stats(
    c: &mut PgConnection,
    account: AccountId,
    keys: &[String],
    range: Option<(i64, i64)>,
) -> Result<Vec<NotificationGroupStats>> {
    let (begin, end) = range.unwrap_or((i64::MIN, i64::MAX));
    let newest_sql = format!(
        "SELECT n.id, n.created_at, (SELECT count(*) FROM notifications n WHERE n.account_id = $1
                    AND n.group_key = $2 AND n.id <= $3 AND {SENDER_SHOWN})
         FROM notifications n
         WHERE n.account_id = $1 AND n.group_key = $2 AND n.id <= $3 AND {SENDER_SHOWN}
         ORDER BY n.id DESC LIMIT 1"
    );
    let samples_sql = format!(
        "SELECT n.from_account_id FROM notifications n
         WHERE n.account_id = $1 AND n.group_key = $2 AND n.id <= $3 AND {SENDER_SHOWN}
         ORDER BY n.id DESC LIMIT $4"
    );
    let oldest_sql = format!(
        "SELECT min(n.id) FROM notifications n
         WHERE n.account_id = $1 AND n.group_key = $2 AND n.id >= $3 AND {SENDER_SHOWN}"
    );
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let found: Option<(i64, i64, i64)> =
            sqlx::query_as(sql(newest_sql.clone())).bind(account.0).bind(key).bind(end).fetch_optional(&mut *c).await?;
        let Some((most_recent, at, count)) = found else { continue };
        let sample_accounts: Vec<i64> = sqlx::query_scalar(sql(samples_sql.clone()))
            .bind(account.0)
            .bind(key)
            .bind(end)
            .bind(parley_core::grouping::SAMPLE_ACCOUNTS as i64)
            .fetch_all(&mut *c)
            .await?;
        let page_min = match range {
            Some(_) => sqlx::query_scalar::<_, Option<i64>>(sql(oldest_sql.clone()))
                .bind(account.0)
                .bind(key)
                .bind(begin)
                .fetch_one(&mut *c)
                .await?
                .map(NotificationId),
            None => None,
        };
        out.push(NotificationGroupStats {
            key: key.clone(),
            most_recent: NotificationId(most_recent),
            latest_at: time(at),
            count,
            sample_accounts: sample_accounts.into_iter().map(AccountId).collect(),
            page_min,
        });
    }
    Ok(out)
}

/// The newest notification of a group (one the recipient is shown).
pub async fn find_group(c: &mut PgConnection, account: AccountId, key: &GroupKey) -> Result<Option<Notification>> {
    let (id, stored) = key_params(key);
    let row = sqlx::query(sql(format!(
        "SELECT {COLUMNS} FROM notifications n
         WHERE n.account_id = $1 AND (n.id = $2 OR n.group_key = $3) AND {SENDER_SHOWN}
         ORDER BY n.id DESC LIMIT 1"
    )))
    .bind(account.0)
    .bind(id)
    .bind(stored)
    .fetch_optional(c)
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Deletes every notification of a group; how many there were.
pub async fn dismiss_group(w: &mut Write, account: AccountId, key: &GroupKey) -> Result<usize> {
    let (id, stored) = key_params(key);
    Ok(sqlx::query("DELETE FROM notifications WHERE account_id = $1 AND (id = $2 OR group_key = $3)")
        .bind(account.0)
        .bind(id)
        .bind(stored)
        .execute(w.c())
        .await?
        .rows_affected() as usize)
}

/// The senders of a group's notifications, newest first: (notification, sender).
pub async fn group_senders(
    c: &mut PgConnection,
    account: AccountId,
    key: &GroupKey,
    page: PageRequest,
) -> Result<Vec<(i64, AccountId)>> {
    let win = Window::new(page);
    let (id, stored) = key_params(key);
    let rows: Vec<(i64, i64)> = sqlx::query_as(sql(format!(
        "SELECT n.id, n.from_account_id FROM notifications n
         WHERE n.account_id = $1 AND (n.id = $2 OR n.group_key = $3) AND {SENDER_SHOWN} AND {}",
        window_clause(&win, "n.id", 4, 5, 6)
    )))
    .bind(account.0)
    .bind(id)
    .bind(stored)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(rows.into_iter().map(|(cursor, a)| (cursor, AccountId(a))).collect()))
}

/// A key as the parameters `id` (a single notification) and `key` (a stored group); the other is NULL.
fn key_params(key: &GroupKey) -> (Option<i64>, Option<String>) {
    match key {
        GroupKey::Single(id) => (Some(id.0), None),
        GroupKey::Stored(k) => (None, Some(k.clone())),
    }
}
