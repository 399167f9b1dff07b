//! Notifications: recorded in the same transaction as what caused them, with
//! their group key (parley-core's `grouping`); listed, grouped, dismissed.

use chrono::Utc;
use parley_core::grouping::{GroupKey, bucket_of, group_bucket, group_key, group_prefix};
use parley_core::model::{Notification, NotificationKind};
use parley_core::page::PageRequest;
use parley_core::{AccountId, IdGenerator, NotificationId, StatusId};
use rusqlite::{Connection, OptionalExtension, Row, named_params, params};

use super::changelog::append;
use super::rows::{SqlWindow, Window, now_ms, query_pairs, time};
use crate::Result;
use crate::changes::Change;
use crate::types::{NewNotification, NotificationGroupStats};

/// The senders a recipient is shown notifications from, over `n`: not one
/// the recipient blocks, and `account_shown` of parley-core's visibility in
/// SQL (not suspended, not awaiting approval), so a page or a group's counts
/// are not emptied by the app's check afterwards. The one SQL copy of the
/// rule for notifications: lists and group figures both use it.
/// The sender is shown to the recipient: not blocked by them, and
/// `account_shown` (`visibility::account_shown`, for a sender who is never
/// the recipient). One copy for every notification query.
const SENDER_SHOWN: &str = "NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = n.account_id AND b.target_id = n.from_account_id)
           AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.id = n.from_account_id AND (a.suspended = 1 OR a.approved = 0))";

const COLUMNS: &str = "n.id, n.account_id, n.from_account_id, n.kind, n.status_id, n.created_at, n.group_key";

/// Records a notification unless either blocks the other or the recipient
/// mutes the sender's notifications.
pub fn notify_filtered(
    c: &Connection,
    ids: &IdGenerator,
    recipient: AccountId,
    from: AccountId,
    kind: NotificationKind,
    status: Option<StatusId>,
) -> Result<bool> {
    let id = ids.next_raw();
    let key = match group_prefix(kind, status) {
        Some(prefix) => Some(group_key(&prefix, group_bucket(Utc::now(), newest_bucket(c, recipient, &prefix)?))),
        None => None,
    };
    let added = c
        .prepare_cached(
            "INSERT INTO notifications (id, account_id, from_account_id, kind, status_id, created_at, group_key)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7
         WHERE NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = ?2 AND target_id = ?3)
           AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = ?3 AND target_id = ?2)
           AND NOT EXISTS (SELECT 1 FROM mutes WHERE account_id = ?2 AND target_id = ?3 AND notifications = 1)",
        )?
        .execute(params![id, recipient.0, from.0, kind.as_str(), status.map(|s| s.0), now_ms(), key])?
        > 0;
    if added {
        append(c, Change::NotificationCreated { notification: NotificationId(id), account: recipient })?;
    }
    Ok(added)
}

/// The bucket of the recipient's newest group with this prefix. Keys are
/// `<prefix>-<digits>`, so they sort between `<prefix>-` and `<prefix>.`.
fn newest_bucket(c: &Connection, recipient: AccountId, prefix: &str) -> Result<Option<i64>> {
    let key: Option<String> = c
        .prepare_cached(
            "SELECT group_key FROM notifications
             WHERE account_id = ?1 AND group_key > ?2 || '-' AND group_key < ?2 || '.'
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![recipient.0, prefix], |r| r.get(0))
        .optional()?;
    Ok(key.as_deref().and_then(bucket_of))
}

pub fn insert_all(c: &Connection, ids: &IdGenerator, notes: &[NewNotification]) -> Result<()> {
    for n in notes {
        notify_filtered(c, ids, n.account_id, n.from_account_id, n.kind, n.status_id)?;
    }
    Ok(())
}

fn from_row(r: &Row<'_>) -> rusqlite::Result<Notification> {
    let kind: String = r.get(3)?;
    Ok(Notification {
        id: NotificationId(r.get(0)?),
        account_id: AccountId(r.get(1)?),
        from_account_id: AccountId(r.get(2)?),
        kind: NotificationKind::parse(&kind).unwrap_or(NotificationKind::Mention),
        status_id: r.get::<_, Option<i64>>(4)?.map(StatusId),
        created_at: time(r.get(5)?),
        group_key: r.get(6)?,
    })
}

pub fn list(
    c: &Connection,
    account: AccountId,
    kinds: &[NotificationKind],
    from: Option<AccountId>,
    page: PageRequest,
) -> Result<Vec<Notification>> {
    let w = Window::new(page);
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let kinds = serde_json::to_string(&kinds).unwrap_or_else(|_| "[]".into());
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM notifications n
         WHERE n.account_id = :account AND n.kind IN (SELECT value FROM json_each(:kinds))
           AND (:from IS NULL OR n.from_account_id = :from)
           AND {SENDER_SHOWN}
           AND {}",
        w.clause("n.id")
    ))?;
    let rows = stmt
        .query_map(
            named_params! {":account": account.0, ":kinds": kinds, ":from": from.map(|f| f.0), ":max": w.max, ":min": w.min, ":limit": w.limit},
            from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(w.finish(rows))
}

pub fn find(c: &Connection, account: AccountId, id: NotificationId) -> Result<Option<Notification>> {
    Ok(c.prepare_cached(&format!("SELECT {COLUMNS} FROM notifications n WHERE n.id = ?1 AND n.account_id = ?2"))?
        .query_row(params![id.0, account.0], from_row)
        .optional()?)
}

pub fn dismiss(c: &Connection, account: AccountId, id: NotificationId) -> Result<bool> {
    Ok(c.execute("DELETE FROM notifications WHERE id = ?1 AND account_id = ?2", params![id.0, account.0])? > 0)
}

pub fn clear(c: &Connection, account: AccountId) -> Result<()> {
    c.execute("DELETE FROM notifications WHERE account_id = ?1", [account.0])?;
    Ok(())
}

/// The figures of each stored group among `keys`, over the notifications up
/// to `range.1` (all when `None`); with a range, also the group's oldest
/// notification from `range.0` on. A group with nothing shown is left out.
pub fn group_stats(
    c: &Connection,
    account: AccountId,
    keys: &[String],
    range: Option<(i64, i64)>,
) -> Result<Vec<NotificationGroupStats>> {
    let (begin, end) = range.unwrap_or((i64::MIN, i64::MAX));
    let mut newest = c.prepare_cached(&format!(
        "SELECT n.id, n.created_at, (SELECT count(*) FROM notifications n WHERE n.account_id = :account
                    AND n.group_key = :key AND n.id <= :end AND {SENDER_SHOWN})
         FROM notifications n
         WHERE n.account_id = :account AND n.group_key = :key AND n.id <= :end AND {SENDER_SHOWN}
         ORDER BY n.id DESC LIMIT 1"
    ))?;
    let mut samples = c.prepare_cached(&format!(
        "SELECT n.id, n.from_account_id FROM notifications n
         WHERE n.account_id = :account AND n.group_key = :key AND n.id <= :end AND {SENDER_SHOWN}
         ORDER BY n.id DESC LIMIT :limit + 0"
    ))?;
    let mut oldest = c.prepare_cached(&format!(
        "SELECT min(n.id) FROM notifications n
         WHERE n.account_id = :account AND n.group_key = :key AND n.id >= :begin AND {SENDER_SHOWN}"
    ))?;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let found = newest
            .query_row(named_params! {":account": account.0, ":key": key, ":end": end}, |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })
            .optional()?;
        let Some((most_recent, at, count)) = found else { continue };
        let sample_accounts = samples
            .query_map(
                named_params! {":account": account.0, ":key": key, ":end": end,
                ":limit": parley_core::grouping::SAMPLE_ACCOUNTS as i64},
                |r| r.get::<_, i64>(1),
            )?
            .map(|id| id.map(AccountId))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let page_min = match range {
            Some(_) => oldest
                .query_row(named_params! {":account": account.0, ":key": key, ":begin": begin}, |r| {
                    r.get::<_, Option<i64>>(0)
                })?
                .map(NotificationId),
            None => None,
        };
        out.push(NotificationGroupStats {
            key: key.clone(),
            most_recent: NotificationId(most_recent),
            latest_at: time(at),
            count,
            sample_accounts,
            page_min,
        });
    }
    Ok(out)
}

/// The newest notification of a group (one the recipient is shown).
pub fn find_group(c: &Connection, account: AccountId, key: &GroupKey) -> Result<Option<Notification>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM notifications n
         WHERE n.account_id = :account AND (n.id = :id OR n.group_key = :key) AND {SENDER_SHOWN}
         ORDER BY n.id DESC LIMIT 1"
    );
    let (id, stored) = key_params(key);
    Ok(c.prepare_cached(&sql)?
        .query_row(named_params! {":account": account.0, ":id": id, ":key": stored}, from_row)
        .optional()?)
}

/// Deletes every notification of a group; how many there were.
pub fn dismiss_group(c: &Connection, account: AccountId, key: &GroupKey) -> Result<usize> {
    let (id, stored) = key_params(key);
    Ok(c.execute(
        "DELETE FROM notifications WHERE account_id = ?1 AND (id = ?2 OR group_key = ?3)",
        params![account.0, id, stored],
    )?)
}

/// The senders of a group's notifications, newest first: (notification, sender).
pub fn group_senders(
    c: &Connection,
    account: AccountId,
    key: &GroupKey,
    page: PageRequest,
) -> Result<Vec<(i64, AccountId)>> {
    let w = Window::new(page);
    let (id, stored) = key_params(key);
    let sql = format!(
        "SELECT n.id, n.from_account_id FROM notifications n
         WHERE n.account_id = :account AND (n.id = :id OR n.group_key = :key) AND {SENDER_SHOWN} AND {}",
        w.clause("n.id")
    );
    let rows = query_pairs(
        c,
        &sql,
        named_params! {":account": account.0, ":id": id, ":key": stored, ":max": w.max, ":min": w.min, ":limit": w.limit},
    )?;
    Ok(w.finish(rows))
}

/// A key as the parameters `:id` (a single notification) and `:key` (a stored group); the other is NULL.
fn key_params(key: &GroupKey) -> (Option<i64>, Option<&str>) {
    match key {
        GroupKey::Single(id) => (Some(id.0), None),
        GroupKey::Stored(k) => (None, Some(k.as_str())),
    }
}
