//! A poll's transparency log, under `/api/v1/parley/polls/:id/log/…` (see
//! `docs/snapshots.md`): its checkpoint now (a C2SP signed note, as text, so
//! transparency-log tools read it as it is), every checkpoint signed,
//! inclusion proofs for receipts and consistency proofs between two sizes.
//! Hashes are base64, as in checkpoints.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::Deserialize;
use serde_json::{Value, json};

use super::path_id;
use crate::auth::MaybeAuth;
use crate::entities::timestamp;
use crate::params::{Params, PathParam, Query};
use crate::{ApiResult, AppState};

fn b64_all(hashes: &[parley_core::tlog::Hash]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h)).collect()
}

/// `GET /api/v1/parley/polls/:id/log/checkpoint`: the signed note, as text.
pub async fn checkpoint(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
) -> ApiResult<Response> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let cp = state.services.logs.latest(viewer, path_id(&id)?).await?;
    let note = state.services.logs.cosigned_note(&cp).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], note).into_response())
}

/// `GET /api/v1/parley/polls/:id/log/checkpoints`: every checkpoint signed, smallest first.
pub async fn checkpoints(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let poll = path_id(&id)?;
    let list = state.services.logs.checkpoints(viewer, poll).await?;
    let mut out = Vec::with_capacity(list.len());
    for cp in &list {
        let cosignatures = state.services.logs.cosignatures(poll, cp.tree_size).await?;
        out.push(json!({
            "tree_size": cp.tree_size,
            "root_hash": B64.encode(cp.root),
            "created_at": timestamp(cp.created_at),
            "checkpoint": cp.note,
            "cosignatures": cosignatures.iter().map(cosignature_json).collect::<Vec<_>>(),
        }));
    }
    Ok(Json(json!({ "origin": state.services.logs.origin(poll), "checkpoints": out })))
}

#[derive(Deserialize)]
pub struct InclusionQuery {
    leaf_index: u64,
    tree_size: u64,
}

/// `GET /api/v1/parley/polls/:id/log/inclusion?leaf_index=&tree_size=`
pub async fn inclusion(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
    Query(q): Query<InclusionQuery>,
) -> ApiResult<Json<Value>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let p = state.services.logs.inclusion(viewer, path_id(&id)?, q.leaf_index, q.tree_size).await?;
    Ok(Json(json!({
        "leaf_index": q.leaf_index,
        "tree_size": q.tree_size,
        "leaf": String::from_utf8_lossy(&p.leaf),
        "proof": b64_all(&p.proof),
        "root_hash": B64.encode(p.root),
    })))
}

#[derive(Deserialize)]
pub struct ConsistencyQuery {
    from: u64,
    to: u64,
}

/// `GET /api/v1/parley/polls/:id/log/consistency?from=&to=`
pub async fn consistency(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
    Query(q): Query<ConsistencyQuery>,
) -> ApiResult<Json<Value>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let p = state.services.logs.consistency(viewer, path_id(&id)?, q.from, q.to).await?;
    Ok(Json(json!({
        "from": q.from,
        "to": q.to,
        "proof": b64_all(&p.proof),
        "from_root_hash": B64.encode(p.old_root),
        "to_root_hash": B64.encode(p.new_root),
    })))
}

fn cosignature_json(co: &parley_app::transparency::Cosignature) -> Value {
    json!({
        "witness": co.witness,
        "public_key": B64.encode(&co.public_key),
        "cosignature": co.line,
        "created_at": timestamp(co.created_at),
    })
}

#[derive(Deserialize)]
pub struct CosignatureForm {
    tree_size: u64,
    /// The witness's name, as in its signature line.
    witness: String,
    /// Its Ed25519 public key, base64.
    public_key: String,
    /// The signature line (`— name base64`), C2SP `cosignature/v1`.
    cosignature: String,
}

/// `POST /api/v1/parley/polls/:id/log/cosignatures`: a witness hands back
/// its cosignature of one of the poll's checkpoints. Anyone may (a reader
/// decides which witnesses it trusts); it is kept only if it checks out.
pub async fn add_cosignature(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
    Params(form): Params<CosignatureForm>,
) -> ApiResult<Json<Value>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let poll = path_id(&id)?;
    state.services.logs.checkpoints(viewer, poll).await?;
    let co = state
        .services
        .logs
        .add_cosignature(poll, form.tree_size, &form.witness, &form.public_key, &form.cosignature)
        .await?;
    Ok(Json(cosignature_json(&co)))
}
