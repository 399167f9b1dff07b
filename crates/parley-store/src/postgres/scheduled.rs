//! Scheduled statuses (the twin of `sqlite/scheduled.rs`). Publishing
//! deletes the scheduled row and inserts the status in one transaction, and
//! does nothing when the row is gone, so each is published once whichever
//! node gets there first; the limits are counted with the account's row
//! locked, so two requests cannot both pass them.

use chrono::{DateTime, Utc};
use parley_core::model::Status;
use parley_core::page::PageRequest;
use parley_core::{AccountId, ScheduledStatusId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::lists::lock_account;
use super::rows::{Window, map_rows, ms, sql, time, window_clause};
use super::statuses;
use super::write::Write;
use crate::changes::Change;
use crate::types::{NewStatus, ScheduledParams, ScheduledStatus};
use crate::{MAX_SCHEDULED, MAX_SCHEDULED_PER_DAY, Rejection, Result, StoreError};

const COLUMNS: &str = "id, account_id, scheduled_at, params";

fn row(r: &PgRow) -> Result<ScheduledStatus, sqlx::Error> {
    let params: &str = r.try_get(3)?;
    Ok(ScheduledStatus {
        id: ScheduledStatusId(r.try_get(0)?),
        account: AccountId(r.try_get(1)?),
        scheduled_at: time(r.try_get(2)?),
        params: serde_json::from_str(params).map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
    })
}

fn encode(params: &ScheduledParams) -> Result<String> {
    serde_json::to_string(params).map_err(|e| StoreError::Backend(format!("scheduled params: {e}")))
}

async fn check_limits(c: &mut PgConnection, account: AccountId, at: DateTime<Utc>, except: Option<i64>) -> Result<()> {
    lock_account(&mut *c, account).await?;
    let except = except.unwrap_or(0);
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM scheduled_statuses WHERE account_id = $1 AND id <> $2")
        .bind(account.0)
        .bind(except)
        .fetch_one(&mut *c)
        .await?;
    if total >= MAX_SCHEDULED {
        return Err(StoreError::Rejected(Rejection::TooManyScheduled));
    }
    let day_start = at.date_naive().and_hms_opt(0, 0, 0).map(|d| d.and_utc()).unwrap_or(at);
    let day_end = day_start + chrono::Duration::days(1);
    let that_day: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM scheduled_statuses
         WHERE account_id = $1 AND id <> $2 AND scheduled_at >= $3 AND scheduled_at < $4",
    )
    .bind(account.0)
    .bind(except)
    .bind(ms(day_start))
    .bind(ms(day_end))
    .fetch_one(&mut *c)
    .await?;
    if that_day >= MAX_SCHEDULED_PER_DAY {
        return Err(StoreError::Rejected(Rejection::TooManyScheduledThatDay));
    }
    Ok(())
}

pub async fn schedule(
    w: &mut Write,
    account: AccountId,
    at: DateTime<Utc>,
    params: &ScheduledParams,
) -> Result<ScheduledStatus> {
    check_limits(w.c(), account, at, None).await?;
    let id = w.next_id();
    sqlx::query("INSERT INTO scheduled_statuses (id, account_id, scheduled_at, params) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(account.0)
        .bind(ms(at))
        .bind(encode(params)?)
        .execute(w.c())
        .await?;
    w.append(Change::ScheduledStatusChanged { account, scheduled: ScheduledStatusId(id) });
    find(w.c(), account, ScheduledStatusId(id)).await?.ok_or(StoreError::NotFound)
}

pub async fn find(c: &mut PgConnection, account: AccountId, id: ScheduledStatusId) -> Result<Option<ScheduledStatus>> {
    let found = sqlx::query(sql(format!("SELECT {COLUMNS} FROM scheduled_statuses WHERE id = $1 AND account_id = $2")))
        .bind(id.0)
        .bind(account.0)
        .fetch_optional(c)
        .await?;
    Ok(found.as_ref().map(row).transpose()?)
}

/// `account`'s scheduled statuses, newest ID first.
pub async fn list(c: &mut PgConnection, account: AccountId, page: PageRequest) -> Result<Vec<ScheduledStatus>> {
    let win = Window::new(page);
    let rows = sqlx::query(sql(format!(
        "SELECT {COLUMNS} FROM scheduled_statuses WHERE account_id = $1 AND {}",
        window_clause(&win, "id", 2, 3, 4)
    )))
    .bind(account.0)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(map_rows(&rows, row)?))
}

pub async fn reschedule(
    w: &mut Write,
    account: AccountId,
    id: ScheduledStatusId,
    at: DateTime<Utc>,
) -> Result<ScheduledStatus> {
    if find(w.c(), account, id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    check_limits(w.c(), account, at, Some(id.0)).await?;
    sqlx::query("UPDATE scheduled_statuses SET scheduled_at = $3 WHERE id = $1 AND account_id = $2")
        .bind(id.0)
        .bind(account.0)
        .bind(ms(at))
        .execute(w.c())
        .await?;
    w.append(Change::ScheduledStatusChanged { account, scheduled: id });
    find(w.c(), account, id).await?.ok_or(StoreError::NotFound)
}

async fn remove(w: &mut Write, account: AccountId, id: ScheduledStatusId) -> Result<bool> {
    let removed = sqlx::query("DELETE FROM scheduled_statuses WHERE id = $1 AND account_id = $2")
        .bind(id.0)
        .bind(account.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0;
    if removed {
        w.append(Change::ScheduledStatusChanged { account, scheduled: id });
    }
    Ok(removed)
}

/// Ok(false) when `account` has no scheduled status by that ID.
pub async fn cancel(w: &mut Write, account: AccountId, id: ScheduledStatusId) -> Result<bool> {
    remove(w, account, id).await
}

/// Those due at `now`, oldest time first, at most `limit`.
pub async fn due(c: &mut PgConnection, now: DateTime<Utc>, limit: usize) -> Result<Vec<ScheduledStatus>> {
    let rows = sqlx::query(sql(format!(
        "SELECT {COLUMNS} FROM scheduled_statuses WHERE scheduled_at <= $1 ORDER BY scheduled_at, id LIMIT $2"
    )))
    .bind(ms(now))
    .bind(limit as i64)
    .fetch_all(c)
    .await?;
    map_rows(&rows, row)
}

pub async fn next_time(c: &mut PgConnection) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> = sqlx::query_scalar("SELECT min(scheduled_at) FROM scheduled_statuses").fetch_one(c).await?;
    Ok(at.map(time))
}

/// Deletes the scheduled row and posts `new` in this one transaction;
/// Ok(None), posting nothing, when the row is already gone. Two nodes at
/// once: the second's delete waits for the first's commit, then finds nothing.
pub async fn publish(w: &mut Write, id: ScheduledStatusId, new: NewStatus) -> Result<Option<Status>> {
    if !remove(w, new.account_id, id).await? {
        return Ok(None);
    }
    statuses::insert(w, new).await.map(Some)
}
