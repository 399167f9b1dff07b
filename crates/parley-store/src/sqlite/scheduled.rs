//! Scheduled statuses: statuses to publish at a time. Publishing inserts the
//! status and deletes the scheduled row in one transaction, and does nothing
//! when the row is gone, so a status is published once whichever process
//! (or restart) gets there first.

use chrono::{DateTime, Utc};
use parley_core::model::Status;
use parley_core::page::PageRequest;
use parley_core::{AccountId, IdGenerator, ScheduledStatusId};
use rusqlite::{Connection, OptionalExtension, Row, named_params, params};

use super::changelog::append;
use super::rows::{SqlWindow, Window, ms, time};
use super::statuses;
use crate::changes::Change;
use crate::types::{NewStatus, ScheduledParams, ScheduledStatus};
use crate::{MAX_SCHEDULED, MAX_SCHEDULED_PER_DAY, Rejection, Result, StoreError};

const COLUMNS: &str = "id, account_id, scheduled_at, params";

fn row(r: &Row<'_>) -> rusqlite::Result<ScheduledStatus> {
    let params: String = r.get(3)?;
    Ok(ScheduledStatus {
        id: ScheduledStatusId(r.get(0)?),
        account: AccountId(r.get(1)?),
        scheduled_at: time(r.get(2)?),
        params: serde_json::from_str(&params)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e)))?,
    })
}

fn encode(params: &ScheduledParams) -> Result<String> {
    serde_json::to_string(params).map_err(|e| StoreError::Backend(format!("scheduled params: {e}")))
}

/// The limits (all scheduled, and scheduled for the same UTC day), checked
/// in the writing transaction so two requests cannot both pass them.
fn check_limits(c: &Connection, account: AccountId, at: DateTime<Utc>, except: Option<i64>) -> Result<()> {
    let except = except.unwrap_or(0);
    let total: i64 = c
        .prepare_cached("SELECT count(*) FROM scheduled_statuses WHERE account_id = ?1 AND id <> ?2")?
        .query_row(params![account.0, except], |r| r.get(0))?;
    if total >= MAX_SCHEDULED {
        return Err(StoreError::Rejected(Rejection::TooManyScheduled));
    }
    let day_start = at.date_naive().and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(at);
    let day_end = day_start + chrono::Duration::days(1);
    let that_day: i64 = c
        .prepare_cached(
            "SELECT count(*) FROM scheduled_statuses
             WHERE account_id = ?1 AND id <> ?2 AND scheduled_at >= ?3 AND scheduled_at < ?4",
        )?
        .query_row(params![account.0, except, ms(day_start), ms(day_end)], |r| r.get(0))?;
    if that_day >= MAX_SCHEDULED_PER_DAY {
        return Err(StoreError::Rejected(Rejection::TooManyScheduledThatDay));
    }
    Ok(())
}

pub fn schedule(
    c: &Connection,
    ids: &IdGenerator,
    account: AccountId,
    at: DateTime<Utc>,
    params: &ScheduledParams,
) -> Result<ScheduledStatus> {
    check_limits(c, account, at, None)?;
    let id = ids.next_raw();
    c.prepare_cached("INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![id, account.0, ms(at), encode(params)?])?;
    append(c, Change::ScheduledStatusChanged { account, scheduled: ScheduledStatusId(id) })?;
    find(c, account, ScheduledStatusId(id))?.ok_or(StoreError::NotFound)
}

pub fn find(c: &Connection, account: AccountId, id: ScheduledStatusId) -> Result<Option<ScheduledStatus>> {
    let sql = format!("SELECT {COLUMNS} FROM scheduled_statuses WHERE id = ?1 AND account_id = ?2");
    Ok(c.prepare_cached(&sql)?.query_row(params![id.0, account.0], row).optional()?)
}

/// `account`'s scheduled statuses, newest ID first.
pub fn list(c: &Connection, account: AccountId, page: PageRequest) -> Result<Vec<ScheduledStatus>> {
    let w = Window::new(page);
    let sql = format!("SELECT {COLUMNS} FROM scheduled_statuses WHERE account_id = :account AND {}", w.clause("id"));
    let rows = c
        .prepare_cached(&sql)?
        .query_map(named_params! {":account": account.0, ":max": w.max, ":min": w.min, ":limit": w.limit}, row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(w.finish(rows))
}

pub fn reschedule(
    c: &Connection,
    account: AccountId,
    id: ScheduledStatusId,
    at: DateTime<Utc>,
) -> Result<ScheduledStatus> {
    if find(c, account, id)?.is_none() {
        return Err(StoreError::NotFound);
    }
    check_limits(c, account, at, Some(id.0))?;
    c.prepare_cached("UPDATE scheduled_statuses SET scheduled_at = ?3 WHERE id = ?1 AND account_id = ?2")?
        .execute(params![id.0, account.0, ms(at)])?;
    append(c, Change::ScheduledStatusChanged { account, scheduled: id })?;
    find(c, account, id)?.ok_or(StoreError::NotFound)
}

/// Ok(false) when `account` has no scheduled status by that ID.
pub fn cancel(c: &Connection, account: AccountId, id: ScheduledStatusId) -> Result<bool> {
    let removed = c
        .prepare_cached("DELETE FROM scheduled_statuses WHERE id = ?1 AND account_id = ?2")?
        .execute(params![id.0, account.0])?
        > 0;
    if removed {
        append(c, Change::ScheduledStatusChanged { account, scheduled: id })?;
    }
    Ok(removed)
}

/// Those due at `now`, oldest time first, at most `limit`.
pub fn due(c: &Connection, now: DateTime<Utc>, limit: usize) -> Result<Vec<ScheduledStatus>> {
    let sql =
        format!("SELECT {COLUMNS} FROM scheduled_statuses WHERE scheduled_at <= ?1 ORDER BY scheduled_at, id LIMIT ?2");
    Ok(c.prepare_cached(&sql)?.query_map(params![ms(now), limit as i64], row)?.collect::<rusqlite::Result<_>>()?)
}

pub fn next_time(c: &Connection) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> =
        c.prepare_cached("SELECT min(scheduled_at) FROM scheduled_statuses")?.query_row([], |r| r.get(0))?;
    Ok(at.map(time))
}

/// Deletes the scheduled row and posts `new` in this one transaction; Ok(None)
/// (and nothing posted) when the row is already gone: published or cancelled.
pub fn publish(c: &Connection, ids: &IdGenerator, id: ScheduledStatusId, new: NewStatus) -> Result<Option<Status>> {
    let account = new.account_id;
    let removed = c
        .prepare_cached("DELETE FROM scheduled_statuses WHERE id = ?1 AND account_id = ?2")?
        .execute(params![id.0, account.0])?
        > 0;
    if !removed {
        return Ok(None);
    }
    append(c, Change::ScheduledStatusChanged { account, scheduled: id })?;
    statuses::insert(c, ids, new).map(Some)
}
