//! The change log's tables on PostgreSQL ([`crate::changes`]), and the node
//! numbers that keep IDs from two nodes apart.
//!
//! Ordering: a write's records are appended as the last statements of its
//! transaction, numbered from the one row of `change_log_head`
//! (`seq = seq + n`). That row stays locked until the transaction ends, so
//! transactions that append commit in `seq` order and a rolled-back one
//! gives its numbers back: the log has no gaps, and a reader that has seen
//! `seq` N has seen every record before it. (A sequence or bigserial would
//! hand out numbers in one order and commit them in another, and a node
//! reading `seq > applied` could pass over a record that commits later.)
//! The lock is held only from the append to the commit; see
//! docs/development.md for the cost and what grouping does to it.
//!
//! Each append also sends `NOTIFY parley_changes, '<last seq>'`, delivered
//! at commit, so the other nodes read the new records at once.

use parley_core::id::MAX_NODES;
use sqlx::{PgConnection, Row};

use crate::changes::{Change, ChangeRecord, Fetched};
use crate::{Result, StoreError};

/// The channel the nodes listen on.
pub const CHANNEL: &str = "parley_changes";

/// Most records read from the table in one go.
const READ_BATCH: i64 = 10_000;

/// A node whose heartbeat is older than this is gone; its number may be taken.
pub const NODE_LEASE_MS: i64 = 60_000;

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Appends `changes` at the end of the caller's transaction and announces
/// them; returns them numbered. Must be the transaction's last statement
/// before its commit (it takes the log's lock).
pub async fn append_all(c: &mut PgConnection, changes: Vec<Change>) -> Result<Vec<ChangeRecord>> {
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let n = changes.len() as i64;
    let bodies: Vec<String> = changes.iter().map(ChangeRecord::encode).collect();
    // One round trip: take the numbers, insert the records, announce the last.
    let last: i64 = sqlx::query_scalar(
        "WITH head AS (UPDATE change_log_head SET seq = seq + $1 WHERE id = 1 RETURNING seq),
              records AS (INSERT INTO change_log (seq, at, body)
                          SELECT (SELECT seq FROM head) - $1 + t.n, $2, t.body
                          FROM unnest($3::text[]) WITH ORDINALITY AS t (body, n))
         SELECT seq FROM head, LATERAL pg_notify($4, seq::text)",
    )
    .bind(n)
    .bind(now_ms())
    .bind(&bodies)
    .bind(CHANNEL)
    .fetch_one(&mut *c)
    .await?;
    let seqs: Vec<i64> = ((last - n + 1)..=last).collect();
    Ok(seqs.into_iter().zip(changes).map(|(seq, change)| ChangeRecord { seq, change }).collect())
}

/// The newest sequence number (0 for an empty log).
pub async fn last_seq(c: &mut PgConnection) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT seq FROM change_log_head WHERE id = 1").fetch_one(c).await?)
}

/// Records after `after`, oldest first (at most [`READ_BATCH`]). `missed`
/// when the record right after `after` was pruned (the log has no other gaps).
pub async fn read_after(c: &mut PgConnection, after: i64) -> Result<Fetched> {
    read_after_limit(c, after, READ_BATCH).await
}

pub async fn read_after_limit(c: &mut PgConnection, after: i64, limit: i64) -> Result<Fetched> {
    let rows = sqlx::query("SELECT seq, body FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2")
        .bind(after)
        .bind(limit)
        .fetch_all(c)
        .await?;
    let records = rows
        .iter()
        .map(|r| Ok(ChangeRecord::decode(r.try_get(0)?, r.try_get::<&str, _>(1)?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let missed = records.first().is_some_and(|r| r.seq != after + 1);
    Ok(Fetched { records, missed })
}

/// Drops records older than `keep_ms`, keeping the newest one (the head row
/// keeps the numbering in any case).
pub async fn prune(c: &mut PgConnection, keep_ms: i64) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM change_log WHERE at < $1 AND seq < (SELECT seq FROM change_log_head WHERE id = 1)")
        .bind(now_ms() - keep_ms)
        .execute(c)
        .await?
        .rows_affected())
}

/// Takes the lowest node number no live process holds. The table is locked
/// for the claim, so two nodes starting at once take different numbers.
/// Returns the node and the claim's time (which tells this claim from a later one).
pub async fn claim_node(c: &mut PgConnection) -> Result<(i64, i64)> {
    let mut tx = sqlx::Connection::begin(&mut *c).await?;
    sqlx::query("LOCK TABLE nodes IN EXCLUSIVE MODE").execute(&mut *tx).await?;
    let now = now_ms();
    let taken: Vec<i64> = sqlx::query_scalar("SELECT node FROM nodes WHERE heartbeat_at >= $1")
        .bind(now - NODE_LEASE_MS)
        .fetch_all(&mut *tx)
        .await?;
    let node = (0..MAX_NODES)
        .find(|n| !taken.contains(n))
        .ok_or_else(|| StoreError::Backend(format!("all {MAX_NODES} node numbers are held by running processes")))?;
    sqlx::query(
        "INSERT INTO nodes (node, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $3)
         ON CONFLICT (node) DO UPDATE SET pid = $2, started_at = $3, heartbeat_at = $3",
    )
    .bind(node)
    .bind(i64::from(std::process::id()))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((node, now))
}

/// Renews this process's hold on its node number.
pub async fn heartbeat(c: &mut PgConnection, node: i64) -> Result<()> {
    sqlx::query("UPDATE nodes SET heartbeat_at = $2 WHERE node = $1").bind(node).bind(now_ms()).execute(c).await?;
    Ok(())
}

/// Gives the node number back (at a clean exit).
pub async fn release_node(c: &mut PgConnection, node: i64, started_at: i64) -> Result<()> {
    sqlx::query("DELETE FROM nodes WHERE node = $1 AND started_at = $2").bind(node).bind(started_at).execute(c).await?;
    Ok(())
}
