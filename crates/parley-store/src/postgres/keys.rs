//! Signing keys (the twin of `sqlite/keys.rs`): appended on rotation, never
//! replaced or deleted, so what an old key signed still verifies.

use sqlx::PgConnection;

use super::rows::{now_ms, time};
use super::write::Write;
use crate::Result;
use crate::types::SigningKeyRow;

pub async fn all(c: &mut PgConnection) -> Result<Vec<SigningKeyRow>> {
    let rows: Vec<(i64, Vec<u8>, i64)> =
        sqlx::query_as("SELECT id, secret, created_at FROM signing_keys ORDER BY id").fetch_all(c).await?;
    Ok(rows.into_iter().map(|(number, secret, at)| SigningKeyRow { number, secret, created_at: time(at) }).collect())
}

/// The first key, if there is none yet. Nodes starting together agree: the
/// table lock (which readers do not wait for) makes the check and the
/// insert one step across transactions.
pub async fn first(w: &mut Write, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>> {
    sqlx::query("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE").execute(w.c()).await?;
    sqlx::query(
        "INSERT INTO signing_keys (secret, created_at) SELECT $1, $2 WHERE NOT EXISTS (SELECT 1 FROM signing_keys)",
    )
    .bind(candidate)
    .bind(now_ms())
    .execute(w.c())
    .await?;
    all(w.c()).await
}

pub async fn rotate(w: &mut Write, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>> {
    sqlx::query("INSERT INTO signing_keys (secret, created_at) VALUES ($1, $2)")
        .bind(candidate)
        .bind(now_ms())
        .execute(w.c())
        .await?;
    all(w.c()).await
}
