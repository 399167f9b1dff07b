//! Media attachment rows on PostgreSQL: the twin of `sqlite/media.rs`
//! (uploads, attaching inside the posting and editing transactions, files
//! nothing names any more). Uploads write no change record (see there).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parley_core::media::{MediaAttachment, MediaFile, MediaKind};
use parley_core::model::Status;
use parley_core::{AccountId, MediaId, StatusId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::rows::{map_rows, ms, now_ms, sql, time};
use super::write::Write;
use crate::types::{MediaAttributes, NewMedia};
use crate::{Rejection, Result, StoreError};

const COLUMNS: &str = "id, account_id, status_id, kind, file_name, content_type, width, height, size, \
     small_name, small_content_type, small_width, small_height, small_size, description, focus_x, focus_y, \
     blurhash, created_at";

fn file(r: &PgRow, at: usize) -> Result<MediaFile, sqlx::Error> {
    let n = |i: usize| -> Result<i64, sqlx::Error> { r.try_get(at + i) };
    Ok(MediaFile {
        name: r.try_get(at)?,
        content_type: r.try_get(at + 1)?,
        width: u32::try_from(n(2)?).unwrap_or(0),
        height: u32::try_from(n(3)?).unwrap_or(0),
        size: u64::try_from(n(4)?).unwrap_or(0),
    })
}

fn from_row(r: &PgRow) -> Result<MediaAttachment, sqlx::Error> {
    let kind: &str = r.try_get(3)?;
    let focus = match (r.try_get::<Option<f64>, _>(15)?, r.try_get::<Option<f64>, _>(16)?) {
        (Some(x), Some(y)) => Some((x, y)),
        _ => None,
    };
    Ok(MediaAttachment {
        id: MediaId(r.try_get(0)?),
        account_id: AccountId(r.try_get(1)?),
        status_id: r.try_get::<Option<i64>, _>(2)?.map(StatusId),
        kind: MediaKind::parse(kind).unwrap_or(MediaKind::Image),
        original: file(r, 4)?,
        small: file(r, 9)?,
        description: r.try_get(14)?,
        focus,
        blurhash: r.try_get(17)?,
        created_at: time(r.try_get(18)?),
    })
}

pub async fn insert(w: &mut Write, new: NewMedia) -> Result<MediaAttachment> {
    let id = w.ids.next_raw();
    let (fx, fy) = new.focus.map_or((None, None), |(x, y)| (Some(x), Some(y)));
    sqlx::query(
        "INSERT INTO media_attachments (id, account_id, kind, file_name, content_type, width, height, size,
             small_name, small_content_type, small_width, small_height, small_size, description, focus_x, focus_y,
             blurhash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
    )
    .bind(id)
    .bind(new.account_id.0)
    .bind(new.kind.as_str())
    .bind(&new.original.name)
    .bind(&new.original.content_type)
    .bind(i64::from(new.original.width))
    .bind(i64::from(new.original.height))
    .bind(new.original.size as i64)
    .bind(&new.small.name)
    .bind(&new.small.content_type)
    .bind(i64::from(new.small.width))
    .bind(i64::from(new.small.height))
    .bind(new.small.size as i64)
    .bind(&new.description)
    .bind(fx)
    .bind(fy)
    .bind(&new.blurhash)
    .bind(now_ms())
    .execute(w.c())
    .await?;
    find(w.c(), MediaId(id)).await?.ok_or(StoreError::NotFound)
}

pub async fn find(c: &mut PgConnection, id: MediaId) -> Result<Option<MediaAttachment>> {
    let row = sqlx::query(sql(format!("SELECT {COLUMNS} FROM media_attachments WHERE id = $1")))
        .bind(id.0)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Sets what `attrs` gives of one attachment's description and focus, if it
/// matches `scope` (SQL over `$7`, the owner: an account or a status).
async fn set_attributes(
    c: &mut PgConnection,
    id: MediaId,
    attrs: &MediaAttributes,
    scope: &str,
    owner: i64,
) -> Result<u64> {
    let (fx, fy) = attrs.focus.map_or((None, None), |(x, y)| (Some(x), Some(y)));
    Ok(sqlx::query(sql(format!(
        "UPDATE media_attachments SET
             description = CASE WHEN $2 THEN $3 ELSE description END,
             focus_x = CASE WHEN $4 THEN $5 ELSE focus_x END,
             focus_y = CASE WHEN $4 THEN $6 ELSE focus_y END
         WHERE id = $1 AND {scope}"
    )))
    .bind(id.0)
    .bind(attrs.description.is_some())
    .bind(attrs.description.clone().flatten())
    .bind(attrs.focus.is_some())
    .bind(fx)
    .bind(fy)
    .bind(owner)
    .execute(c)
    .await?
    .rows_affected())
}

/// Changes an unattached upload of `account`'s; `NotFound` for anything else.
pub async fn update(w: &mut Write, account: AccountId, id: MediaId, attrs: MediaAttributes) -> Result<MediaAttachment> {
    if set_attributes(w.c(), id, &attrs, "account_id = $7 AND status_id IS NULL", account.0).await? == 0 {
        return Err(StoreError::NotFound);
    }
    find(w.c(), id).await?.ok_or(StoreError::NotFound)
}

/// Deletes an unattached upload of `account`'s: the row as it was, or `None`.
pub async fn delete_unattached(w: &mut Write, account: AccountId, id: MediaId) -> Result<Option<MediaAttachment>> {
    let row = sqlx::query(sql(format!(
        "DELETE FROM media_attachments WHERE id = $1 AND account_id = $2 AND status_id IS NULL RETURNING {COLUMNS}"
    )))
    .bind(id.0)
    .bind(account.0)
    .fetch_optional(w.c())
    .await?;
    Ok(row.as_ref().map(from_row).transpose()?)
}

/// Makes `media` the status's attachments, in that order, inside its posting
/// or editing transaction; each must be the author's and unattached or
/// already the status's own (otherwise `Rejection::MediaUnavailable`, and the
/// transaction rolls back). The row update takes the row's lock, so two
/// statuses racing for one upload cannot both get it.
pub async fn attach(c: &mut PgConnection, status: StatusId, author: AccountId, media: &[MediaId]) -> Result<()> {
    sqlx::query("UPDATE media_attachments SET position = NULL WHERE status_id = $1")
        .bind(status.0)
        .execute(&mut *c)
        .await?;
    for (position, id) in media.iter().enumerate() {
        let changed = sqlx::query(
            "UPDATE media_attachments SET status_id = $2, position = $3
             WHERE id = $1 AND account_id = $4 AND (status_id IS NULL OR status_id = $2)",
        )
        .bind(id.0)
        .bind(status.0)
        .bind(position as i32)
        .bind(author.0)
        .execute(&mut *c)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(StoreError::Rejected(Rejection::MediaUnavailable));
        }
    }
    Ok(())
}

/// Changes the description or focus of attachments the status has now.
pub async fn update_attached(
    c: &mut PgConnection,
    status: StatusId,
    attrs: &[(MediaId, MediaAttributes)],
) -> Result<()> {
    for (id, a) in attrs {
        set_attributes(&mut *c, *id, a, "status_id = $7 AND position IS NOT NULL", status.0).await?;
    }
    Ok(())
}

/// Fills in the current attachments of loaded statuses.
pub async fn attach_to_loaded(c: &mut PgConnection, ids: &[i64], by_id: &mut HashMap<i64, Status>) -> Result<()> {
    let rows = sqlx::query(sql(format!(
        "SELECT {COLUMNS} FROM media_attachments
         WHERE status_id = ANY($1) AND position IS NOT NULL
         ORDER BY status_id, position"
    )))
    .bind(ids)
    .fetch_all(c)
    .await?;
    for m in map_rows(&rows, from_row)? {
        if let Some(s) = m.status_id.and_then(|sid| by_id.get_mut(&sid.0)) {
            s.media.push(m);
        }
    }
    Ok(())
}

/// The attachments of a status as JSON, for a version in its edit history.
pub fn snapshot(media: &[MediaAttachment]) -> Result<String> {
    serde_json::to_string(media).map_err(|e| StoreError::Backend(e.to_string()))
}

/// Reads [`snapshot`]'s JSON back.
pub fn from_snapshot(json: &str) -> Result<Vec<MediaAttachment>> {
    serde_json::from_str(json).map_err(|e| StoreError::Backend(e.to_string()))
}

/// Of `names`, those no attachment, avatar or header names: files that may go.
pub async fn unreferenced(c: &mut PgConnection, names: &[String]) -> Result<Vec<String>> {
    let mut free = Vec::new();
    for name in names {
        let unused: bool = sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM media_attachments WHERE file_name = $1)
                AND NOT EXISTS (SELECT 1 FROM media_attachments WHERE small_name = $1)
                AND NOT EXISTS (SELECT 1 FROM accounts WHERE avatar = $1 OR header = $1)",
        )
        .bind(name)
        .fetch_one(&mut *c)
        .await?;
        if unused && !free.contains(name) {
            free.push(name.clone());
        }
    }
    Ok(free)
}

/// Deletes uploads never attached that were made before `before` (at most `limit`).
pub async fn delete_unattached_before(
    w: &mut Write,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<MediaAttachment>> {
    let rows = sqlx::query(sql(format!(
        "DELETE FROM media_attachments WHERE id IN (
             SELECT id FROM media_attachments WHERE status_id IS NULL AND created_at < $1
             ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         AND status_id IS NULL
         RETURNING {COLUMNS}"
    )))
    .bind(ms(before))
    .bind(limit as i64)
    .fetch_all(w.c())
    .await?;
    map_rows(&rows, from_row)
}
