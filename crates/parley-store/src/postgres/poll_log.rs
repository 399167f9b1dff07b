//! Each poll's transparency log on PostgreSQL (the twin of
//! `sqlite/poll_log.rs`): leaves appended in the ballot's transaction under
//! the poll row's lock, the stored subtree hashes (`parley_core::tlog`),
//! proofs read in one snapshot, signed checkpoints, cosignatures, and the
//! rows the audit (`audit::log_problems`) checks.
//!
//! The tree functions read stored hashes through a synchronous callback.
//! Which places they read depends on the sizes and indices only, never on
//! the hashes, so [`over_stored`] runs a function once to learn its places,
//! reads them in one query, and runs it again over them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parley_core::PollId;
use parley_core::tlog::{self, Hash, Place, ProofError};
use sqlx::{PgConnection, Row};

use super::rows::{map_rows, ms, time};
use crate::audit::{LoggedBallot, StoredLog, log_problems};
use crate::types::{ConsistencyProof, Cosignature, InclusionProof, StoredCheckpoint};
use crate::{Result, StoreError};

fn hash_of(bytes: Vec<u8>) -> Result<Hash> {
    bytes.try_into().map_err(|_| StoreError::Backend("a stored log hash is not 32 bytes".into()))
}

type Reader<'a> = dyn FnMut(Place) -> Result<Hash> + 'a;

/// Runs `f` over the poll's stored hashes: a first run records the places
/// it reads (answered with zeroes, its result dropped), they are read in one
/// query, and the second run's result is returned.
async fn over_stored<R>(c: &mut PgConnection, poll: PollId, f: impl Fn(&mut Reader<'_>) -> R) -> Result<R> {
    let mut places: Vec<Place> = Vec::new();
    f(&mut |p: Place| {
        places.push(p);
        Ok([0u8; 32])
    });
    places.sort();
    places.dedup();
    let levels: Vec<i16> = places.iter().map(|p| i16::from(p.level)).collect();
    let indices: Vec<i64> = places.iter().map(|p| p.index as i64).collect();
    let rows: Vec<(i16, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT h.level, h.idx, h.hash FROM unnest($2::smallint[], $3::bigint[]) AS p (level, idx)
         JOIN poll_log_hashes h ON h.poll_id = $1 AND h.level = p.level AND h.idx = p.idx",
    )
    .bind(poll.0)
    .bind(&levels)
    .bind(&indices)
    .fetch_all(c)
    .await?;
    let mut stored: HashMap<Place, Hash> = HashMap::with_capacity(rows.len());
    for (level, index, hash) in rows {
        let level = u8::try_from(level).map_err(|_| StoreError::Backend(format!("bad log level {level}")))?;
        stored.insert(Place { level, index: index as u64 }, hash_of(hash)?);
    }
    Ok(f(&mut |p: Place| {
        stored
            .get(&p)
            .copied()
            .ok_or_else(|| StoreError::Backend(format!("poll {poll}: log hash {}/{} missing", p.level, p.index)))
    }))
}

fn proof_error(e: ProofError<StoreError>) -> StoreError {
    match e {
        ProofError::Stored(e) => e,
        ProofError::NoSuchLeaf { .. } | ProofError::NotAPrefix { .. } => StoreError::NotFound,
    }
}

/// Appends leaf `index` (the poll's log size, read under the poll row's
/// lock in this transaction) and the subtree hashes it completes.
pub async fn append(c: &mut PgConnection, poll: PollId, index: u64, data: &[u8], at_ms: i64) -> Result<()> {
    sqlx::query("INSERT INTO poll_log_leaves (poll_id, leaf_index, data, created_at) VALUES ($1, $2, $3, $4)")
        .bind(poll.0)
        .bind(index as i64)
        .bind(data)
        .bind(at_ms)
        .execute(&mut *c)
        .await?;
    let leaf = tlog::leaf_hash(data);
    let new = over_stored(c, poll, |r| tlog::append(index, leaf, r)).await??;
    let levels: Vec<i16> = new.iter().map(|(p, _)| i16::from(p.level)).collect();
    let indices: Vec<i64> = new.iter().map(|(p, _)| p.index as i64).collect();
    let hashes: Vec<Vec<u8>> = new.iter().map(|(_, h)| h.to_vec()).collect();
    sqlx::query(
        "INSERT INTO poll_log_hashes (poll_id, level, idx, hash)
         SELECT $1, l, i, h FROM unnest($2::smallint[], $3::bigint[], $4::bytea[]) AS n (l, i, h)",
    )
    .bind(poll.0)
    .bind(&levels)
    .bind(&indices)
    .bind(&hashes)
    .execute(c)
    .await?;
    Ok(())
}

/// The poll's log size now.
pub async fn size(c: &mut PgConnection, poll: PollId) -> Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT log_size FROM polls WHERE id = $1")
        .bind(poll.0)
        .fetch_optional(c)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(n as u64)
}

/// The log size at a moment: the leaves appended at or before it.
pub async fn size_at(c: &mut PgConnection, poll: PollId, at: DateTime<Utc>) -> Result<u64> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM poll_log_leaves WHERE poll_id = $1 AND created_at <= $2")
        .bind(poll.0)
        .bind(ms(at))
        .fetch_one(c)
        .await?;
    Ok(n as u64)
}

/// A read-only snapshot: the size checked and the hashes read agree.
async fn snapshot(c: &mut PgConnection) -> Result<sqlx::Transaction<'_, sqlx::Postgres>> {
    Ok(sqlx::Connection::begin_with(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?)
}

/// The root of the first `size` leaves (`NotFound` past the log's end).
pub async fn root(c: &mut PgConnection, poll: PollId, tree_size: u64) -> Result<Hash> {
    let mut tx = snapshot(c).await?;
    if tree_size > size(&mut tx, poll).await? {
        return Err(StoreError::NotFound);
    }
    let root = over_stored(&mut tx, poll, |r| tlog::tree_hash(tree_size, r)).await??;
    tx.commit().await?;
    Ok(root)
}

pub async fn inclusion(c: &mut PgConnection, poll: PollId, index: u64, tree_size: u64) -> Result<InclusionProof> {
    let mut tx = snapshot(c).await?;
    if tree_size > size(&mut tx, poll).await? {
        return Err(StoreError::NotFound);
    }
    let leaf: Vec<u8> = sqlx::query_scalar("SELECT data FROM poll_log_leaves WHERE poll_id = $1 AND leaf_index = $2")
        .bind(poll.0)
        .bind(index as i64)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
    let (proof, root) = over_stored(&mut tx, poll, |r| {
        let proof = tlog::inclusion_proof(index, tree_size, &mut *r).map_err(proof_error)?;
        Ok::<_, StoreError>((proof, tlog::tree_hash(tree_size, r)?))
    })
    .await??;
    tx.commit().await?;
    Ok(InclusionProof { leaf, proof, root })
}

pub async fn consistency(c: &mut PgConnection, poll: PollId, old: u64, new: u64) -> Result<ConsistencyProof> {
    let mut tx = snapshot(c).await?;
    if new > size(&mut tx, poll).await? {
        return Err(StoreError::NotFound);
    }
    let (proof, old_root, new_root) = over_stored(&mut tx, poll, |r| {
        let proof = tlog::consistency_proof(old, new, &mut *r).map_err(proof_error)?;
        Ok::<_, StoreError>((proof, tlog::tree_hash(old, &mut *r)?, tlog::tree_hash(new, r)?))
    })
    .await??;
    tx.commit().await?;
    Ok(ConsistencyProof { proof, old_root, new_root })
}

/// Keeps a signed checkpoint unless one of that size exists; returns the
/// one kept (the first signed at a size stays, whichever node signed first).
pub async fn save_checkpoint(c: &mut PgConnection, cp: StoredCheckpoint) -> Result<StoredCheckpoint> {
    sqlx::query(
        "INSERT INTO poll_checkpoints (poll_id, tree_size, root, note, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (poll_id, tree_size) DO NOTHING",
    )
    .bind(cp.poll_id.0)
    .bind(cp.tree_size as i64)
    .bind(&cp.root[..])
    .bind(&cp.note)
    .bind(ms(cp.created_at))
    .execute(&mut *c)
    .await?;
    find_checkpoint(c, cp.poll_id, cp.tree_size).await?.ok_or(StoreError::NotFound)
}

type CheckpointRow = (i64, i64, Vec<u8>, String, i64);

fn checkpoint(row: CheckpointRow) -> Result<StoredCheckpoint> {
    let (poll, size, root, note, at) = row;
    Ok(StoredCheckpoint {
        poll_id: PollId(poll),
        tree_size: size as u64,
        root: hash_of(root)?,
        note,
        created_at: time(at),
    })
}

pub async fn find_checkpoint(c: &mut PgConnection, poll: PollId, tree_size: u64) -> Result<Option<StoredCheckpoint>> {
    let row: Option<CheckpointRow> = sqlx::query_as(
        "SELECT poll_id, tree_size, root, note, created_at FROM poll_checkpoints WHERE poll_id = $1 AND tree_size = $2",
    )
    .bind(poll.0)
    .bind(tree_size as i64)
    .fetch_optional(c)
    .await?;
    row.map(checkpoint).transpose()
}

/// Every checkpoint of a poll, oldest first.
pub async fn checkpoints(c: &mut PgConnection, poll: PollId) -> Result<Vec<StoredCheckpoint>> {
    let rows: Vec<CheckpointRow> = sqlx::query_as(
        "SELECT poll_id, tree_size, root, note, created_at FROM poll_checkpoints WHERE poll_id = $1 ORDER BY tree_size",
    )
    .bind(poll.0)
    .fetch_all(c)
    .await?;
    rows.into_iter().map(checkpoint).collect()
}

/// Keeps a witness's cosignature (its first for a size stays).
pub async fn save_cosignature(c: &mut PgConnection, co: Cosignature) -> Result<()> {
    sqlx::query(
        "INSERT INTO poll_cosignatures (poll_id, tree_size, witness, public_key, line, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (poll_id, tree_size, witness, public_key) DO NOTHING",
    )
    .bind(co.poll_id.0)
    .bind(co.tree_size as i64)
    .bind(&co.witness)
    .bind(&co.public_key)
    .bind(&co.line)
    .bind(ms(co.created_at))
    .execute(c)
    .await?;
    Ok(())
}

/// The cosignatures of a poll's checkpoint at `tree_size`, oldest first.
pub async fn cosignatures(c: &mut PgConnection, poll: PollId, tree_size: u64) -> Result<Vec<Cosignature>> {
    let rows: Vec<(String, Vec<u8>, String, i64)> = sqlx::query_as(
        "SELECT witness, public_key, line, created_at FROM poll_cosignatures
         WHERE poll_id = $1 AND tree_size = $2 ORDER BY created_at, witness",
    )
    .bind(poll.0)
    .bind(tree_size as i64)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(witness, public_key, line, at)| Cosignature {
            poll_id: poll,
            tree_size,
            witness,
            public_key,
            line,
            created_at: time(at),
        })
        .collect())
}

/// Polls whose log has grown past their last checkpoint, with their size.
pub async fn uncheckpointed(c: &mut PgConnection) -> Result<Vec<(PollId, u64)>> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, log_size FROM polls
         WHERE log_size > coalesce((SELECT max(tree_size) FROM poll_checkpoints WHERE poll_id = polls.id), 0)",
    )
    .fetch_all(c)
    .await?;
    Ok(rows.into_iter().map(|(id, size)| (PollId(id), size as u64)).collect())
}

/// Reads the poll's log as stored and checks it (`audit::log_problems`).
pub async fn audit(c: &mut PgConnection, poll: PollId, log_size: u64) -> Result<Vec<String>> {
    let leaves: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT leaf_index, data FROM poll_log_leaves WHERE poll_id = $1 ORDER BY leaf_index")
            .bind(poll.0)
            .fetch_all(&mut *c)
            .await?;
    let leaves = leaves.into_iter().map(|(i, data)| (i as u64, data)).collect();
    let hashes = sqlx::query("SELECT level, idx, hash FROM poll_log_hashes WHERE poll_id = $1")
        .bind(poll.0)
        .fetch_all(&mut *c)
        .await?;
    let hashes = map_rows(&hashes, |r| {
        let level: i16 = r.try_get(0)?;
        Ok((Place { level: level as u8, index: r.try_get::<i64, _>(1)? as u64 }, r.try_get::<Vec<u8>, _>(2)?))
    })?;
    let ballots: Vec<(i64, i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT v.leaf_index, v.round, v.created_at,
                (SELECT string_agg(w.choice::text, ',' ORDER BY w.choice) FROM poll_votes w
                 WHERE w.poll_id = v.poll_id AND w.round = v.round AND w.account_id = v.account_id)
         FROM poll_voters v WHERE v.poll_id = $1 AND v.leaf_index IS NOT NULL",
    )
    .bind(poll.0)
    .fetch_all(&mut *c)
    .await?;
    let ballots = ballots
        .into_iter()
        .map(|(index, round, at, choices)| LoggedBallot {
            leaf_index: index as u64,
            round,
            at,
            choices: choices.unwrap_or_default(),
        })
        .collect();
    // Since the log began, every ballot has a leaf.
    let unlogged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM poll_voters WHERE poll_id = $1 AND leaf_index IS NULL
           AND created_at >= (SELECT min(created_at) FROM poll_log_leaves WHERE poll_id = $1)",
    )
    .bind(poll.0)
    .fetch_one(&mut *c)
    .await?;
    let checkpoints = checkpoints(c, poll).await?;
    log_problems(&StoredLog { log_size, leaves, hashes, checkpoints, ballots, unlogged })
}
