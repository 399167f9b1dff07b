//! Each poll's transparency log in SQLite: leaves appended in the ballot's
//! transaction, the stored subtree hashes (`parley_core::tlog`), proofs read
//! in one read transaction, signed checkpoints, and the rows the audit
//! (`audit::log_problems`) checks.

use chrono::{DateTime, Utc};
use parley_core::PollId;
use parley_core::tlog::{self, Hash, Place, ProofError};
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{ms, time};
use crate::audit::{LoggedBallot, StoredLog, log_problems};
use crate::types::{ConsistencyProof, Cosignature, InclusionProof, StoredCheckpoint};
use crate::{Result, StoreError};

fn hash_of(bytes: Vec<u8>) -> Result<Hash> {
    bytes.try_into().map_err(|_| StoreError::Backend("a stored log hash is not 32 bytes".into()))
}

/// Reads stored hashes of one poll's log.
fn reader(c: &Connection, poll: PollId) -> impl FnMut(Place) -> Result<Hash> + '_ {
    move |p: Place| {
        let bytes: Option<Vec<u8>> = c
            .prepare_cached("SELECT hash FROM poll_log_hashes WHERE poll_id = ?1 AND level = ?2 AND idx = ?3")?
            .query_row(params![poll.0, p.level, p.index as i64], |r| r.get(0))
            .optional()?;
        let bytes = bytes
            .ok_or_else(|| StoreError::Backend(format!("poll {poll}: log hash {}/{} missing", p.level, p.index)))?;
        hash_of(bytes)
    }
}

fn proof_error(e: ProofError<StoreError>) -> StoreError {
    match e {
        ProofError::Stored(e) => e,
        ProofError::NoSuchLeaf { .. } | ProofError::NotAPrefix { .. } => StoreError::NotFound,
    }
}

/// Appends leaf `index` (the poll's log size, read in this transaction).
pub fn append(c: &Connection, poll: PollId, index: u64, data: &[u8], at_ms: i64) -> Result<()> {
    c.prepare_cached("INSERT INTO poll_log_leaves (poll_id, leaf_index, data, created_at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![poll.0, index as i64, data, at_ms])?;
    let new = tlog::append(index, tlog::leaf_hash(data), reader(c, poll))?;
    let mut insert =
        c.prepare_cached("INSERT INTO poll_log_hashes (poll_id, level, idx, hash) VALUES (?1, ?2, ?3, ?4)")?;
    for (p, h) in new {
        insert.execute(params![poll.0, p.level, p.index as i64, &h[..]])?;
    }
    Ok(())
}

/// The poll's log size now.
pub fn size(c: &Connection, poll: PollId) -> Result<u64> {
    let n: i64 = c
        .prepare_cached("SELECT log_size FROM polls WHERE id = ?1")?
        .query_row([poll.0], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    Ok(n as u64)
}

/// The log size at a moment: the leaves appended at or before it.
pub fn size_at(c: &Connection, poll: PollId, at: DateTime<Utc>) -> Result<u64> {
    let n: i64 = c
        .prepare_cached("SELECT count(*) FROM poll_log_leaves WHERE poll_id = ?1 AND created_at <= ?2")?
        .query_row(params![poll.0, ms(at)], |r| r.get(0))?;
    Ok(n as u64)
}

/// The root of the first `size` leaves (`NotFound` past the log's end).
pub fn root(c: &Connection, poll: PollId, tree_size: u64) -> Result<Hash> {
    if tree_size > size(c, poll)? {
        return Err(StoreError::NotFound);
    }
    tlog::tree_hash(tree_size, reader(c, poll))
}

pub fn inclusion(c: &Connection, poll: PollId, index: u64, tree_size: u64) -> Result<InclusionProof> {
    let tx = c.unchecked_transaction()?;
    if tree_size > size(&tx, poll)? {
        return Err(StoreError::NotFound);
    }
    let leaf: Vec<u8> = tx
        .prepare_cached("SELECT data FROM poll_log_leaves WHERE poll_id = ?1 AND leaf_index = ?2")?
        .query_row(params![poll.0, index as i64], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let proof = tlog::inclusion_proof(index, tree_size, reader(&tx, poll)).map_err(proof_error)?;
    let root = tlog::tree_hash(tree_size, reader(&tx, poll))?;
    tx.commit()?;
    Ok(InclusionProof { leaf, proof, root })
}

pub fn consistency(c: &Connection, poll: PollId, old: u64, new: u64) -> Result<ConsistencyProof> {
    let tx = c.unchecked_transaction()?;
    if new > size(&tx, poll)? {
        return Err(StoreError::NotFound);
    }
    let proof = tlog::consistency_proof(old, new, reader(&tx, poll)).map_err(proof_error)?;
    let old_root = tlog::tree_hash(old, reader(&tx, poll))?;
    let new_root = tlog::tree_hash(new, reader(&tx, poll))?;
    tx.commit()?;
    Ok(ConsistencyProof { proof, old_root, new_root })
}

/// Keeps a signed checkpoint unless one of that size exists; returns the
/// one kept (the first signed at a size stays, so a document that embeds it
/// is the same whenever it is asked for again).
pub fn save_checkpoint(c: &Connection, cp: StoredCheckpoint) -> Result<StoredCheckpoint> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO poll_checkpoints (poll_id, tree_size, root, note, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![cp.poll_id.0, cp.tree_size as i64, &cp.root[..], cp.note, ms(cp.created_at)])?;
    find_checkpoint(c, cp.poll_id, cp.tree_size)?.ok_or(StoreError::NotFound)
}

fn checkpoint_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, i64, Vec<u8>, String, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn checkpoint(row: (i64, i64, Vec<u8>, String, i64)) -> Result<StoredCheckpoint> {
    let (poll, size, root, note, at) = row;
    Ok(StoredCheckpoint {
        poll_id: PollId(poll),
        tree_size: size as u64,
        root: hash_of(root)?,
        note,
        created_at: time(at),
    })
}

pub fn find_checkpoint(c: &Connection, poll: PollId, tree_size: u64) -> Result<Option<StoredCheckpoint>> {
    let row = c
        .prepare_cached(
            "SELECT poll_id, tree_size, root, note, created_at FROM poll_checkpoints WHERE poll_id = ?1 AND tree_size = ?2",
        )?
        .query_row(params![poll.0, tree_size as i64], checkpoint_from_row)
        .optional()?;
    row.map(checkpoint).transpose()
}

/// Every checkpoint of a poll, oldest first.
pub fn checkpoints(c: &Connection, poll: PollId) -> Result<Vec<StoredCheckpoint>> {
    let mut stmt = c.prepare_cached(
        "SELECT poll_id, tree_size, root, note, created_at FROM poll_checkpoints WHERE poll_id = ?1 ORDER BY tree_size",
    )?;
    let rows = stmt.query_map([poll.0], checkpoint_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(checkpoint).collect()
}

/// Keeps a witness's cosignature (its first for a size stays).
pub fn save_cosignature(c: &Connection, co: Cosignature) -> Result<()> {
    c.prepare_cached(
        "INSERT OR IGNORE INTO poll_cosignatures (poll_id, tree_size, witness, public_key, line, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![co.poll_id.0, co.tree_size as i64, co.witness, co.public_key, co.line, ms(co.created_at)])?;
    Ok(())
}

/// The cosignatures of a poll's checkpoint at `tree_size`, oldest first.
pub fn cosignatures(c: &Connection, poll: PollId, tree_size: u64) -> Result<Vec<Cosignature>> {
    let mut stmt = c.prepare_cached(
        "SELECT witness, public_key, line, created_at FROM poll_cosignatures
         WHERE poll_id = ?1 AND tree_size = ?2 ORDER BY created_at, witness",
    )?;
    let rows = stmt.query_map(params![poll.0, tree_size as i64], |r| {
        Ok(Cosignature {
            poll_id: poll,
            tree_size,
            witness: r.get(0)?,
            public_key: r.get(1)?,
            line: r.get(2)?,
            created_at: time(r.get(3)?),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Polls whose log has grown past their last checkpoint, with their size.
pub fn uncheckpointed(c: &Connection) -> Result<Vec<(PollId, u64)>> {
    let mut stmt = c.prepare_cached(
        "SELECT id, log_size FROM polls
         WHERE log_size > coalesce((SELECT max(tree_size) FROM poll_checkpoints WHERE poll_id = polls.id), 0)",
    )?;
    let rows = stmt.query_map([], |r| Ok((PollId(r.get(0)?), r.get::<_, i64>(1)? as u64)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Reads the poll's log as stored and checks it (`audit::log_problems`).
pub fn audit(c: &Connection, poll: PollId, log_size: u64) -> Result<Vec<String>> {
    let leaves = {
        let mut stmt =
            c.prepare_cached("SELECT leaf_index, data FROM poll_log_leaves WHERE poll_id = ?1 ORDER BY leaf_index")?;
        let rows = stmt.query_map([poll.0], |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, Vec<u8>>(1)?)))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let hashes = {
        let mut stmt = c.prepare_cached("SELECT level, idx, hash FROM poll_log_hashes WHERE poll_id = ?1")?;
        let rows = stmt.query_map([poll.0], |r| {
            Ok((Place { level: r.get(0)?, index: r.get::<_, i64>(1)? as u64 }, r.get::<_, Vec<u8>>(2)?))
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    let ballots = {
        let mut stmt = c.prepare_cached(
            "SELECT v.leaf_index, v.round, v.created_at,
                    (SELECT group_concat(choice, ',') FROM
                        (SELECT choice FROM poll_votes w
                         WHERE w.poll_id = v.poll_id AND w.round = v.round AND w.account_id = v.account_id
                         ORDER BY choice))
             FROM poll_voters v WHERE v.poll_id = ?1 AND v.leaf_index IS NOT NULL",
        )?;
        let rows = stmt.query_map([poll.0], |r| {
            Ok(LoggedBallot {
                leaf_index: r.get::<_, i64>(0)? as u64,
                round: r.get(1)?,
                at: r.get(2)?,
                choices: r.get::<_, Option<String>>(3)?.unwrap_or_default(),
            })
        })?;
        rows.collect::<rusqlite::Result<Vec<_>>>()?
    };
    // Since the log began, every ballot has a leaf.
    let unlogged: i64 = c
        .prepare_cached(
            "SELECT count(*) FROM poll_voters WHERE poll_id = ?1 AND leaf_index IS NULL
               AND created_at >= (SELECT min(created_at) FROM poll_log_leaves WHERE poll_id = ?1)",
        )?
        .query_row([poll.0], |r| r.get(0))?;
    let checkpoints = checkpoints(c, poll)?;
    log_problems(&StoredLog { log_size, leaves, hashes, checkpoints, ballots, unlogged })
}
