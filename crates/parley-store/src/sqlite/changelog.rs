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
/// the sequence stays known. Record times grow with their sequence numbers
/// (up to clock steps, which only move the cut by that much), so the cut is
/// found by a binary search over `seq`: a few primary-key lookups, no index on
/// the time.
pub fn prune(c: &Connection, keep_ms: i64) -> Result<usize> {
    let cutoff = now_ms() - keep_ms;
    let (first, last): (Option<i64>, Option<i64>) =
        c.query_row("SELECT min(seq), max(seq) FROM change_log", [], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let (Some(mut lo), Some(last)) = (first, last) else { return Ok(0) };
    // The first record at or after the cutoff lies in [lo, last]; the newest is always kept.
    let mut hi = last;
    let mut at_or_after = c.prepare_cached("SELECT at FROM change_log WHERE seq >= ?1 ORDER BY seq LIMIT 1")?;
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let at: i64 = at_or_after.query_row([mid], |r| r.get(0))?;
        if at < cutoff { lo = mid + 1 } else { hi = mid }
    }
    Ok(c.execute("DELETE FROM change_log WHERE seq < ?1", [lo])?)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(times: &[i64]) -> Connection {
        let c = Connection::open_in_memory().expect("memory db");
        c.execute_batch(
            "CREATE TABLE change_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, body TEXT NOT NULL)",
        )
        .expect("table");
        for at in times {
            c.execute("INSERT INTO change_log (at, body) VALUES (?1, '{}')", [at]).expect("row");
        }
        c
    }

    fn seqs(c: &Connection) -> Vec<i64> {
        let mut stmt = c.prepare("SELECT seq FROM change_log ORDER BY seq").expect("stmt");
        stmt.query_map([], |r| r.get(0)).expect("query").collect::<rusqlite::Result<_>>().expect("rows")
    }

    #[test]
    fn pruning_drops_exactly_the_records_older_than_the_window() {
        let now = now_ms();
        let hour = 3_600_000;
        for old in 0..7 {
            let mut times: Vec<i64> = (0..old).map(|i| now - 10 * hour + i).collect();
            times.extend((0..5).map(|i| now - hour + i));
            let c = log_with(&times);
            assert_eq!(prune(&c, 2 * hour).expect("prune"), old as usize);
            assert_eq!(seqs(&c), ((old + 1)..=(old + 5)).collect::<Vec<_>>());
        }
    }

    #[test]
    fn pruning_keeps_the_newest_record_so_numbers_are_never_reused() {
        let c = log_with(&[now_ms() - 10_000_000, now_ms() - 9_000_000]);
        assert_eq!(prune(&c, 1_000).expect("prune"), 1);
        assert_eq!(seqs(&c), vec![2]);
        assert_eq!(prune(&log_with(&[]), 1_000).expect("empty"), 0);
    }

    #[test]
    fn a_gap_after_the_position_reads_as_missed() {
        let c = log_with(&[1, 2, 3, 4]);
        c.execute("DELETE FROM change_log WHERE seq < 3", []).expect("prune by hand");
        assert!(read_after(&c, 1).expect("read").missed);
        let fetched = read_after(&c, 2).expect("read");
        assert!(!fetched.missed);
        assert_eq!(fetched.records.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![3, 4]);
    }
}
