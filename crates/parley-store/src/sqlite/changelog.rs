//! The change log's table on SQLite ([`crate::changes`]), and the node
//! numbers that keep IDs from two processes apart.
//!
//! Records appended by a write closure are also kept on the writer thread
//! ([`take_appended`]), so after its group commits the writer applies them
//! without reading them back, unless another process wrote in between.

use std::cell::RefCell;

use parley_core::id::MAX_NODES;
use rusqlite::{Connection, params};

use super::rows::now_ms;
use crate::changes::{Change, ChangeRecord, Fetched};
use crate::{Result, StoreError};

/// Most records read from the table in one go.
const READ_BATCH: i64 = 10_000;

/// A node whose heartbeat is older than this is gone; its number may be taken.
pub const NODE_LEASE_MS: i64 = 60_000;

thread_local! {
    /// Records appended on this thread (the writer) since the last take.
    static APPENDED: RefCell<Vec<ChangeRecord>> = const { RefCell::new(Vec::new()) };
}

/// Appends a record to the log, inside the caller's transaction.
pub fn append(c: &Connection, change: Change) -> Result<()> {
    c.prepare_cached("INSERT INTO change_log (at, body) VALUES (?1, ?2)")?
        .execute(params![now_ms(), ChangeRecord::encode(&change)])?;
    let seq = c.last_insert_rowid();
    APPENDED.with(|a| a.borrow_mut().push(ChangeRecord { seq, change }));
    Ok(())
}

/// How many records this thread has appended and not yet taken.
pub fn appended_len() -> usize {
    APPENDED.with(|a| a.borrow().len())
}

/// Forgets records appended after the first `len` (their savepoint rolled back).
pub fn truncate_appended(len: usize) {
    APPENDED.with(|a| a.borrow_mut().truncate(len));
}

/// The records appended on this thread since the last take.
pub fn take_appended() -> Vec<ChangeRecord> {
    APPENDED.with(|a| std::mem::take(&mut *a.borrow_mut()))
}

/// The newest sequence number (0 for an empty log).
pub fn last_seq(c: &Connection) -> Result<i64> {
    Ok(c.prepare_cached("SELECT coalesce(max(seq), 0) FROM change_log")?.query_row([], |r| r.get(0))?)
}

/// Records after `after`, oldest first (at most [`READ_BATCH`]; the caller
/// asks again for the rest). `missed` when the record right after `after`
/// was pruned.
pub fn read_after(c: &Connection, after: i64) -> Result<Fetched> {
    let mut stmt = c.prepare_cached("SELECT seq, body FROM change_log WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
    let records = stmt
        .query_map(params![after, READ_BATCH], |r| Ok(ChangeRecord::decode(r.get(0)?, &r.get::<_, String>(1)?)))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    // AUTOINCREMENT numbers have no gaps in SQLite (a rolled-back insert
    // gives its number back), so a gap means pruning.
    let missed = records.first().is_some_and(|r| r.seq != after + 1);
    Ok(Fetched { records, missed })
}

/// Drops records older than `keep_ms` (retention), keeping the newest one so
/// the sequence stays known.
pub fn prune(c: &Connection, keep_ms: i64) -> Result<usize> {
    Ok(c.execute(
        "DELETE FROM change_log WHERE at < ?1 AND seq < (SELECT max(seq) FROM change_log)",
        [now_ms() - keep_ms],
    )?)
}

/// Takes the lowest node number no live process holds.
pub fn claim_node(c: &mut Connection) -> Result<i64> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let now = now_ms();
    let taken: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT node FROM nodes WHERE heartbeat_at >= ?1")?;
        stmt.query_map([now - NODE_LEASE_MS], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    let node = (0..MAX_NODES)
        .find(|n| !taken.contains(n))
        .ok_or_else(|| StoreError::Backend(format!("all {MAX_NODES} node numbers are held by running processes")))?;
    tx.execute(
        "INSERT OR REPLACE INTO nodes (node, pid, started_at, heartbeat_at) VALUES (?1, ?2, ?3, ?3)",
        params![node, i64::from(std::process::id()), now],
    )?;
    tx.commit()?;
    Ok(node)
}

/// Renews this process's hold on its node number.
pub fn heartbeat(c: &Connection, node: i64) -> Result<()> {
    c.prepare_cached("UPDATE nodes SET heartbeat_at = ?2 WHERE node = ?1")?.execute(params![node, now_ms()])?;
    Ok(())
}

/// Gives the node number back (at a clean exit).
pub fn release_node(c: &Connection, node: i64) -> Result<()> {
    c.execute("DELETE FROM nodes WHERE node = ?1 AND pid = ?2", params![node, i64::from(std::process::id())])?;
    Ok(())
}
