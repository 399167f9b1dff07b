//! Signing keys: appended on rotation, never replaced or deleted, so what an
//! old key signed still verifies against a key the server publishes.

use rusqlite::{Connection, params};

use super::rows::{now_ms, time};
use crate::Result;
use crate::types::SigningKeyRow;

pub fn all(c: &Connection) -> Result<Vec<SigningKeyRow>> {
    let mut stmt = c.prepare_cached("SELECT id, secret, created_at FROM signing_keys ORDER BY id")?;
    let rows = stmt
        .query_map([], |r| Ok(SigningKeyRow { number: r.get(0)?, secret: r.get(1)?, created_at: time(r.get(2)?) }))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The first key, if there is none yet (two processes starting together
/// agree: the writer is single and the check is in the same transaction).
pub fn first(c: &Connection, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>> {
    c.execute(
        "INSERT INTO signing_keys (secret, created_at) SELECT ?1, ?2 WHERE NOT EXISTS (SELECT 1 FROM signing_keys)",
        params![candidate, now_ms()],
    )?;
    all(c)
}

pub fn rotate(c: &Connection, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>> {
    c.execute("INSERT INTO signing_keys (secret, created_at) VALUES (?1, ?2)", params![candidate, now_ms()])?;
    all(c)
}
