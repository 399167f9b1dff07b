//! Parley's own poll endpoints, under `/api/v1/parley/polls/:id/…` (see
//! `docs/api.md`): tally history, signed snapshots, integrity signals, and the
//! snapshot key at `/.well-known/parley/snapshot-key`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::path_id;
use crate::auth::{Auth, MaybeAuth};
use crate::entities::timestamp;
use crate::error::ApiError;
use crate::params::{PathParam, Query};
use crate::{ApiResult, AppState};

#[derive(Deserialize)]
pub struct HistoryQuery {
    /// Bucket width in seconds (default 60).
    interval: Option<i64>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// RFC 4180 field quoting.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// `GET /api/v1/parley/polls/:id/history?interval=SECONDS[&format=csv]`
pub async fn history(
    State(state): State<AppState>,
    auth: MaybeAuth,
    headers: HeaderMap,
    PathParam(id): PathParam,
    Query(q): Query<HistoryQuery>,
) -> ApiResult<Response> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let h = state.services.polls.history(viewer, path_id(&id)?, q.interval.unwrap_or(60)).await?;
    let wants_csv = q.format.as_deref() == Some("csv")
        || headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.starts_with("text/csv"));
    let n = h.poll.options.len();
    let mut cumulative = vec![0i64; n];
    let mut cumulative_voters = 0i64;
    let mut rows = Vec::with_capacity(h.buckets.len());
    for b in &h.buckets {
        for (c, v) in cumulative.iter_mut().zip(&b.option_votes) {
            *c += v;
        }
        cumulative_voters += b.voters;
        rows.push((b, cumulative.clone(), cumulative_voters));
    }
    if wants_csv {
        let mut out = String::from("bucket_start");
        for title in &h.poll.options {
            out.push(',');
            out.push_str(&csv_field(&format!("votes: {title}")));
        }
        out.push_str(",voters");
        for title in &h.poll.options {
            out.push(',');
            out.push_str(&csv_field(&format!("total: {title}")));
        }
        out.push_str(",total_voters\r\n");
        for (b, cum, cum_voters) in &rows {
            out.push_str(&b.start.to_rfc3339_opts(SecondsFormat::Secs, true));
            for v in &b.option_votes {
                out.push_str(&format!(",{v}"));
            }
            out.push_str(&format!(",{}", b.voters));
            for v in cum {
                out.push_str(&format!(",{v}"));
            }
            out.push_str(&format!(",{cum_voters}\r\n"));
        }
        let filename = format!("attachment; filename=\"poll-{}-history.csv\"", h.poll.id);
        return Ok((
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, filename)],
            out,
        )
            .into_response());
    }
    let buckets: Vec<Value> = rows
        .iter()
        .map(|(b, cum, cum_voters)| {
            json!({
                "start": timestamp(b.start),
                "votes": b.option_votes,
                "voters": b.voters,
                "total_votes": cum,
                "total_voters": cum_voters,
            })
        })
        .collect();
    Ok(Json(json!({
        "poll_id": h.poll.id.to_string(),
        "interval": h.interval_seconds,
        "options": h.poll.options,
        "opened_at": timestamp(h.poll.created_at),
        "expires_at": timestamp(h.poll.expires_at),
        "buckets": buckets,
    }))
    .into_response())
}

#[derive(Deserialize)]
pub struct SnapshotQuery {
    /// RFC 3339; default now.
    at: Option<String>,
}

/// `GET /api/v1/parley/polls/:id/snapshot?at=RFC3339`
pub async fn snapshot(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
    Query(q): Query<SnapshotQuery>,
) -> ApiResult<Json<Value>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let at = match q.at.as_deref() {
        None => Utc::now(),
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| ApiError::InvalidParam("Validation failed: at is not an RFC 3339 time".into()))?,
    };
    Ok(Json(state.services.snapshots.snapshot(viewer, path_id(&id)?, at).await?))
}

/// `GET /api/v1/parley/polls/:id/signals`: aggregates only, never who voted what.
pub async fn signals(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let (poll, s) = state.services.polls.signals(viewer, path_id(&id)?).await?;
    let share = if s.ballots == 0 { 0.0 } else { s.ballots_from_new_accounts as f64 / s.ballots as f64 };
    Ok(Json(json!({
        "poll_id": poll.id.to_string(),
        "opened_at": timestamp(poll.created_at),
        "ballots": s.ballots,
        "ballots_from_accounts_created_after_opening": s.ballots_from_new_accounts,
        "share_from_accounts_created_after_opening": share,
        "ballots_per_minute": s.ballots_per_minute.iter().map(|(t, n)| json!({"minute": timestamp(*t), "ballots": n})).collect::<Vec<_>>(),
    })))
}

fn published_key(key: &parley_app::snapshots::PublicKeyInfo, note_key: Option<&String>) -> Value {
    json!({
        "note_verifier_key": note_key,
        "key_id": key.key_id,
        "algorithm": "ed25519",
        "public_key": key.public_key_base64,
        "public_key_pem": key.public_key_pem,
        "created_at": timestamp(key.created_at),
        "retired_at": key.retired_at.map(timestamp),
    })
}

/// `GET /.well-known/parley/snapshot-key`: the key that signs now.
pub async fn snapshot_key(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let note_keys = state.services.logs.verifier_keys().await?;
    Ok(Json(published_key(&state.services.snapshots.public_key().await?, note_keys.last())))
}

/// `GET /.well-known/parley/snapshot-keys`: every key the server has signed
/// with, oldest first, so that what a retired key signed still verifies.
pub async fn snapshot_keys(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let keys = state.services.snapshots.public_keys().await?;
    let note_keys = state.services.logs.verifier_keys().await?;
    let keys: Vec<Value> = keys.iter().enumerate().map(|(i, k)| published_key(k, note_keys.get(i))).collect();
    Ok(Json(json!({ "keys": keys })))
}

/// `GET /api/v1/parley/admin/derived_state`: rebuilds the server's derived
/// state (caches, live polls, identities) from the database and lists every
/// difference. Administrators only (`admin:read`); for a quiet moment.
pub async fn derived_state(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    let differences = state.services.check_derived_state_as(&auth.0).await?;
    Ok(Json(json!({ "in_step": differences.is_empty(), "differences": differences })))
}
