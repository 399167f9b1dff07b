//! Markers: where an account stopped reading its home timeline and its
//! notifications. Nothing is derived from them, so they append no change
//! records.

use parley_core::AccountId;
use parley_core::model::{Marker, MarkerTimeline};
use rusqlite::{Connection, params};

use super::rows::{now_ms, time};
use crate::Result;

pub fn find(c: &Connection, account: AccountId, timelines: &[MarkerTimeline]) -> Result<Vec<Marker>> {
    let mut stmt = c.prepare_cached(
        "SELECT last_read_id, version, updated_at FROM markers WHERE account_id = ?1 AND timeline = ?2",
    )?;
    let mut out = Vec::with_capacity(timelines.len());
    for timeline in timelines {
        let found = stmt
            .query_map(params![account.0, timeline.as_str()], |r| {
                Ok(Marker {
                    timeline: *timeline,
                    last_read_id: r.get(0)?,
                    version: r.get(1)?,
                    updated_at: time(r.get(2)?),
                })
            })?
            .next()
            .transpose()?;
        out.extend(found);
    }
    Ok(out)
}

/// Sets each marker, in one transaction; a marker moved to another ID
/// counts one more version, one set to where it is stays as it was.
pub fn save(c: &Connection, account: AccountId, positions: &[(MarkerTimeline, i64)]) -> Result<Vec<Marker>> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) VALUES (?1, ?2, ?3, 0, ?4)
         ON CONFLICT (account_id, timeline) DO UPDATE
             SET last_read_id = excluded.last_read_id, version = version + 1, updated_at = excluded.updated_at
             WHERE last_read_id <> excluded.last_read_id",
    )?;
    for (timeline, id) in positions {
        stmt.execute(params![account.0, timeline.as_str(), id, now_ms()])?;
    }
    let timelines: Vec<MarkerTimeline> = positions.iter().map(|(t, _)| *t).collect();
    find(c, account, &timelines)
}
