//! Markers: where an account stopped reading its home timeline and its
//! notifications (the twin of `sqlite/markers.rs`; no change records).

use parley_core::AccountId;
use parley_core::model::{Marker, MarkerTimeline};
use sqlx::PgConnection;

use super::rows::{now_ms, time};
use crate::Result;

pub async fn find(c: &mut PgConnection, account: AccountId, timelines: &[MarkerTimeline]) -> Result<Vec<Marker>> {
    let mut out = Vec::with_capacity(timelines.len());
    for timeline in timelines {
        let found: Option<(i64, i64, i64)> = sqlx::query_as(
            "SELECT last_read_id, version, updated_at FROM markers WHERE account_id = $1 AND timeline = $2",
        )
        .bind(account.0)
        .bind(timeline.as_str())
        .fetch_optional(&mut *c)
        .await?;
        out.extend(found.map(|(last_read_id, version, updated_at)| Marker {
            timeline: *timeline,
            last_read_id,
            version,
            updated_at: time(updated_at),
        }));
    }
    Ok(out)
}

/// Sets each marker, in one transaction; a marker moved to another ID
/// counts one more version, one set to where it is stays as it was.
pub async fn save(
    c: &mut PgConnection,
    account: AccountId,
    positions: &[(MarkerTimeline, i64)],
) -> Result<Vec<Marker>> {
    for (timeline, id) in positions {
        sqlx::query(
            "INSERT INTO markers (account_id, timeline, last_read_id, version, updated_at) VALUES ($1, $2, $3, 0, $4)
             ON CONFLICT (account_id, timeline) DO UPDATE
                 SET last_read_id = excluded.last_read_id, version = markers.version + 1,
                     updated_at = excluded.updated_at
                 WHERE markers.last_read_id <> excluded.last_read_id",
        )
        .bind(account.0)
        .bind(timeline.as_str())
        .bind(id)
        .bind(now_ms())
        .execute(&mut *c)
        .await?;
    }
    let timelines: Vec<MarkerTimeline> = positions.iter().map(|(t, _)| *t).collect();
    find(c, account, &timelines).await
}
