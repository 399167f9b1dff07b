//! Media attachment rows: uploads, attaching them to statuses (inside the
//! posting and editing transactions), and which stored files nothing names
//! any more. The files themselves are [`crate::files`]'s.
//!
//! Uploads write no change record: an unattached upload is in no derived
//! structure (only its owner sees it, read from the table). Attaching one is
//! part of posting or editing a status, whose own record makes the entity
//! cache load the status again, attachments included.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parley_core::media::{MediaAttachment, MediaFile, MediaKind};
use parley_core::model::Status;
use parley_core::{AccountId, IdGenerator, MediaId, StatusId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::rows::{ms, now_ms, time};
use crate::types::{MediaAttributes, NewMedia};
use crate::{Rejection, Result, StoreError};

const COLUMNS: &str = "id, account_id, status_id, kind, file_name, content_type, width, height, size, \
     small_name, small_content_type, small_width, small_height, small_size, description, focus_x, focus_y, \
     blurhash, created_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<MediaAttachment> {
    let kind: String = r.get(3)?;
    let focus = match (r.get::<_, Option<f64>>(15)?, r.get::<_, Option<f64>>(16)?) {
        (Some(x), Some(y)) => Some((x, y)),
        _ => None,
    };
    Ok(MediaAttachment {
        id: MediaId(r.get(0)?),
        account_id: AccountId(r.get(1)?),
        status_id: r.get::<_, Option<i64>>(2)?.map(StatusId),
        kind: MediaKind::parse(&kind).unwrap_or(MediaKind::Image),
        original: MediaFile {
            name: r.get(4)?,
            content_type: r.get(5)?,
            width: r.get(6)?,
            height: r.get(7)?,
            size: r.get(8)?,
        },
        small: MediaFile {
            name: r.get(9)?,
            content_type: r.get(10)?,
            width: r.get(11)?,
            height: r.get(12)?,
            size: r.get(13)?,
        },
        description: r.get(14)?,
        focus,
        blurhash: r.get(17)?,
        created_at: time(r.get(18)?),
    })
}

pub fn insert(c: &Connection, ids: &IdGenerator, new: NewMedia) -> Result<MediaAttachment> {
    let id = ids.next_raw();
    let (fx, fy) = new.focus.map_or((None, None), |(x, y)| (Some(x), Some(y)));
    c.prepare_cached(
        "INSERT INTO media_attachments (id, account_id, kind, file_name, content_type, width, height, size,
             small_name, small_content_type, small_width, small_height, small_size, description, focus_x, focus_y,
             blurhash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?
    .execute(params![
        id,
        new.account_id.0,
        new.kind.as_str(),
        new.original.name,
        new.original.content_type,
        new.original.width,
        new.original.height,
        new.original.size,
        new.small.name,
        new.small.content_type,
        new.small.width,
        new.small.height,
        new.small.size,
        new.description,
        fx,
        fy,
        new.blurhash,
        now_ms(),
    ])?;
    find(c, MediaId(id))?.ok_or(StoreError::NotFound)
}

pub fn find(c: &Connection, id: MediaId) -> Result<Option<MediaAttachment>> {
    Ok(c.prepare_cached(&format!("SELECT {COLUMNS} FROM media_attachments WHERE id = ?1"))?
        .query_row([id.0], from_row)
        .optional()?)
}

/// Sets what `attrs` gives of one attachment's description and focus, if
/// it matches `scope` (SQL over `?7`, the owner: an account or a status): how many rows changed (0 or 1).
fn set_attributes(c: &Connection, id: MediaId, attrs: &MediaAttributes, scope: &str, owner: i64) -> Result<usize> {
    let (fx, fy) = attrs.focus.map_or((None, None), |(x, y)| (Some(x), Some(y)));
    Ok(c.prepare_cached(&format!(
        "UPDATE media_attachments SET
             description = CASE WHEN ?2 THEN ?3 ELSE description END,
             focus_x = CASE WHEN ?4 THEN ?5 ELSE focus_x END,
             focus_y = CASE WHEN ?4 THEN ?6 ELSE focus_y END
         WHERE id = ?1 AND {scope}"
    ))?
    .execute(params![
        id.0,
        attrs.description.is_some(),
        attrs.description.clone().flatten(),
        attrs.focus.is_some(),
        fx,
        fy,
        owner
    ])?)
}

/// Changes an unattached upload of `account`'s; `NotFound` for anything else
/// (Mastodon's `where(status_id: nil)`: an attached one changes through an edit).
pub fn update(c: &Connection, account: AccountId, id: MediaId, attrs: MediaAttributes) -> Result<MediaAttachment> {
    if set_attributes(c, id, &attrs, "account_id = ?7 AND status_id IS NULL", account.0)? == 0 {
        return Err(StoreError::NotFound);
    }
    find(c, id)?.ok_or(StoreError::NotFound)
}

/// Deletes an unattached upload of `account`'s: the row as it was, or `None`.
pub fn delete_unattached(c: &Connection, account: AccountId, id: MediaId) -> Result<Option<MediaAttachment>> {
    let Some(found) = find(c, id)? else { return Ok(None) };
    if found.account_id != account || found.status_id.is_some() {
        return Ok(None);
    }
    c.execute("DELETE FROM media_attachments WHERE id = ?1 AND status_id IS NULL", [id.0])?;
    Ok(Some(found))
}

/// Makes `media` the status's attachments, in that order, inside its posting
/// or editing transaction. Each must be the author's and unattached or
/// already the status's own; otherwise nothing is attached
/// (`Rejection::MediaUnavailable`), so two statuses racing for one upload
/// cannot both get it. Attachments the list drops stay the status's, out of
/// its current list, for its edit history.
pub fn attach(c: &Connection, status: StatusId, author: AccountId, media: &[MediaId]) -> Result<()> {
    c.prepare_cached("UPDATE media_attachments SET position = NULL WHERE status_id = ?1")?.execute([status.0])?;
    let mut stmt = c.prepare_cached(
        "UPDATE media_attachments SET status_id = ?2, position = ?3
         WHERE id = ?1 AND account_id = ?4 AND (status_id IS NULL OR status_id = ?2)",
    )?;
    for (position, id) in media.iter().enumerate() {
        if stmt.execute(params![id.0, status.0, position as i64, author.0])? == 0 {
            return Err(StoreError::Rejected(Rejection::MediaUnavailable));
        }
    }
    Ok(())
}

/// Changes the description or focus of attachments the status has now (an
/// edit's `media_attributes`); others are ignored, as Mastodon does.
pub fn update_attached(c: &Connection, status: StatusId, attrs: &[(MediaId, MediaAttributes)]) -> Result<()> {
    for (id, a) in attrs {
        set_attributes(c, *id, a, "status_id = ?7 AND position IS NOT NULL", status.0)?;
    }
    Ok(())
}

/// Fills in the current attachments of loaded statuses (`list`: their IDs as JSON).
pub fn attach_to_loaded(c: &Connection, list: &str, by_id: &mut HashMap<i64, Status>) -> Result<()> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM media_attachments
         WHERE status_id IN (SELECT value FROM json_each(?1)) AND position IS NOT NULL
         ORDER BY status_id, position"
    ))?;
    for row in stmt.query_map([list], from_row)? {
        let m = row?;
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

/// Reads [`snapshot`]'s JSON back (in a row mapping, so a rusqlite error).
pub fn from_snapshot(json: &str, column: usize) -> rusqlite::Result<Vec<MediaAttachment>> {
    serde_json::from_str(json)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(column, rusqlite::types::Type::Text, Box::new(e)))
}

/// Of `names`, those no attachment, avatar or header names: files that may go.
pub fn unreferenced(c: &Connection, names: &[String]) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT NOT EXISTS (SELECT 1 FROM media_attachments WHERE file_name = ?1)
            AND NOT EXISTS (SELECT 1 FROM media_attachments WHERE small_name = ?1)
            AND NOT EXISTS (SELECT 1 FROM accounts WHERE avatar = ?1 OR header = ?1)",
    )?;
    let mut free = Vec::new();
    for name in names {
        if stmt.query_row([name], |r| r.get::<_, bool>(0))? && !free.contains(name) {
            free.push(name.clone());
        }
    }
    Ok(free)
}

/// Deletes uploads never attached that were made before `before` (at most
/// `limit`), returning them so their files can go.
pub fn delete_unattached_before(c: &Connection, before: DateTime<Utc>, limit: usize) -> Result<Vec<MediaAttachment>> {
    let stale = c
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM media_attachments WHERE status_id IS NULL AND created_at < ?1
             ORDER BY created_at LIMIT ?2 + 0"
        ))?
        .query_map(params![ms(before), limit as i64], from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut delete = c.prepare_cached("DELETE FROM media_attachments WHERE id = ?1 AND status_id IS NULL")?;
    for m in &stale {
        delete.execute([m.id.0])?;
    }
    Ok(stale)
}
