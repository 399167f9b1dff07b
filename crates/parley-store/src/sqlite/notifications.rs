//! Notifications: recorded in the same transaction as what caused them.

use parley_core::model::{Notification, NotificationKind};
use parley_core::page::PageRequest;
use parley_core::{AccountId, IdGenerator, NotificationId, StatusId};
use rusqlite::{Connection, OptionalExtension, Row, named_params, params};

use super::changelog::append;
use super::rows::{SqlWindow, Window, now_ms, time};
use crate::Result;
use crate::changes::Change;
use crate::types::NewNotification;

/// Records a notification unless either blocks the other or the recipient
/// mutes the sender's notifications.
pub fn notify_filtered(
    c: &Connection,
    ids: &IdGenerator,
    recipient: AccountId,
    from: AccountId,
    kind: NotificationKind,
    status: Option<StatusId>,
) -> Result<()> {
    let id = ids.next_raw();
    let added = c
        .prepare_cached(
            "INSERT INTO notifications (id, account_id, from_account_id, kind, status_id, created_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6
         WHERE NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = ?2 AND target_id = ?3)
           AND NOT EXISTS (SELECT 1 FROM blocks WHERE account_id = ?3 AND target_id = ?2)
           AND NOT EXISTS (SELECT 1 FROM mutes WHERE account_id = ?2 AND target_id = ?3 AND notifications = 1)",
        )?
        .execute(params![id, recipient.0, from.0, kind.as_str(), status.map(|s| s.0), now_ms()])?
        > 0;
    if added {
        append(c, Change::NotificationCreated { notification: NotificationId(id), account: recipient })?;
    }
    Ok(())
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
        "SELECT n.id, n.account_id, n.from_account_id, n.kind, n.status_id, n.created_at FROM notifications n
         WHERE n.account_id = :account AND n.kind IN (SELECT value FROM json_each(:kinds))
           AND (:from IS NULL OR n.from_account_id = :from)
           AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = n.account_id AND b.target_id = n.from_account_id)
           AND {}
           AND {}",
        // `account_shown` in SQL, so a page is not emptied by the app's check.
        super::visibility::account_shown("n.from_account_id"),
        w.clause("n.id")
    ))?;
    let rows = stmt
        .query_map(
            named_params! {":account": account.0, ":viewer": account.0, ":kinds": kinds, ":from": from.map(|f| f.0), ":max": w.max, ":min": w.min, ":limit": w.limit},
            from_row,
        )?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(w.finish(rows))
}

pub fn find(c: &Connection, account: AccountId, id: NotificationId) -> Result<Option<Notification>> {
    Ok(c.prepare_cached(
        "SELECT id, account_id, from_account_id, kind, status_id, created_at FROM notifications
         WHERE id = ?1 AND account_id = ?2",
    )?
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
