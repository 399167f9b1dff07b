//! Citable poll snapshots: the tally at a moment, signed with the server's
//! Ed25519 key over canonical JSON, checkable offline by anyone; and the
//! server's signing keys (named by ID, rotated without forgetting old ones).
//!
//! Canonical JSON is RFC 8785 (JCS), by `serde_json_canonicalizer`: it does
//! not depend on how serde_json happens to order a map (its `preserve_order`
//! feature, enabled by any crate in the build, would otherwise change every
//! signature). The signature covers the bytes of the canonical `snapshot`
//! object.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use parley_core::{AccountId, PollId, StatusId};
use parley_store::SigningKeyRow;
use rand::RngCore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::polls::PollService;
use crate::{AppError, Context, Result};

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes.
const ED25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The canonical bytes of a JSON value (RFC 8785).
pub fn canonical(value: &Value) -> Result<Vec<u8>, serde_json::Error> {
    serde_json_canonicalizer::to_vec(value)
}

/// A key's ID: the first 8 bytes of SHA-256 of its 32 public bytes, in hex.
/// Short enough to read out, and what a snapshot names its signer by.
pub fn key_id_of(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// One of the server's signing keys, as published.
#[derive(Debug, Clone)]
pub struct PublicKeyInfo {
    pub key_id: String,
    pub public_key_base64: String,
    pub public_key_pem: String,
    pub created_at: DateTime<Utc>,
    /// When the next key replaced it (`None`: it signs now).
    pub retired_at: Option<DateTime<Utc>>,
}

pub fn pem_of(key: &VerifyingKey) -> String {
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(key.as_bytes());
    format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", B64.encode(der))
}

fn signing_key(row: &SigningKeyRow) -> Result<SigningKey> {
    let bytes: [u8; 32] = row
        .secret
        .as_slice()
        .try_into()
        .map_err(|_| AppError::Internal(format!("signing key #{} has the wrong length", row.number)))?;
    Ok(SigningKey::from_bytes(&bytes))
}

fn random_seed() -> Vec<u8> {
    let mut seed = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut seed);
    seed.to_vec()
}

#[derive(Clone)]
pub struct SnapshotService {
    ctx: Arc<Context>,
}

impl SnapshotService {
    pub fn new(ctx: Arc<Context>) -> Self {
        SnapshotService { ctx }
    }

    /// Every key, oldest first; the first is made on first use. Read each
    /// time (a small read, off the vote path) so that a rotation by the
    /// admin CLI, another process, is followed at once.
    async fn rows(&self) -> Result<Vec<SigningKeyRow>> {
        let rows = self.ctx.store.signing_keys().await?;
        if !rows.is_empty() {
            return Ok(rows);
        }
        Ok(self.ctx.store.first_signing_key(random_seed()).await?)
    }

    /// The key that signs now.
    pub(crate) async fn current_key(&self) -> Result<SigningKey> {
        let rows = self.rows().await?;
        signing_key(rows.last().ok_or_else(|| AppError::Internal("no signing key".into()))?)
    }

    /// Where the server publishes every key it has signed with.
    pub fn keys_url(&self) -> String {
        format!("{}/.well-known/parley/snapshot-keys", self.ctx.settings.public_url)
    }

    /// Every key the server has signed with, oldest first.
    pub async fn public_keys(&self) -> Result<Vec<PublicKeyInfo>> {
        published(&self.rows().await?)
    }

    /// The key that signs now.
    pub async fn public_key(&self) -> Result<PublicKeyInfo> {
        self.public_keys().await?.pop().ok_or_else(|| AppError::Internal("no signing key".into()))
    }

    /// Starts signing with a new key; the old ones stay published.
    pub async fn rotate(&self) -> Result<PublicKeyInfo> {
        self.rows().await?;
        let rows = self.ctx.store.rotate_signing_key(random_seed()).await?;
        published(&rows)?.pop().ok_or_else(|| AppError::Internal("no signing key".into()))
    }

    /// A signed snapshot of poll `id` as of `at`.
    pub async fn snapshot(&self, viewer: Option<AccountId>, id: PollId, at: DateTime<Utc>) -> Result<Value> {
        let polls = PollService::new(self.ctx.clone());
        let (poll, tally) = polls.tally_at(viewer, id, at).await?;
        let status = self.ctx.store.find_status(poll.status_id).await?.ok_or(AppError::NotFound)?;
        let author = self.ctx.store.find_account(status.account_id).await?.ok_or(AppError::NotFound)?;
        let logs = crate::transparency::LogService::new(self.ctx.clone());
        let log_size = self.ctx.store.poll_log_size_at(id, at).await?;
        let checkpoint = logs.checkpoint_at(id, log_size).await?;
        let checkpoint_size = checkpoint.tree_size;
        let settings = &self.ctx.settings;
        let payload = payload(&SnapshotFacts {
            server: settings.public_url.clone(),
            poll_id: poll.id,
            status_id: status.id,
            status_url: settings.status_url(&author.username, status.id),
            author: author.username,
            question: tally.question,
            multiple: tally.version.multiple,
            round: tally.version.round,
            options: tally.version.options.into_iter().zip(tally.option_votes).collect(),
            votes_count: tally.votes_count,
            voters_count: tally.voters_count,
            opened_at: poll.created_at,
            expires_at: tally.version.expires_at,
            as_of: at,
            chain_head: tally.chain_head,
            chain_length: tally.last_seq,
            log: LogFacts {
                origin: logs.origin(id),
                tree_size: checkpoint.tree_size,
                root: checkpoint.root,
                checkpoint: checkpoint.note,
            },
        });
        let mut document = sign_document(&self.current_key().await?, &self.keys_url(), payload)?;
        // Witnesses' cosignatures of the embedded checkpoint: beside the
        // signed object, not in it (they arrive later; the snapshot stays the same).
        let witnesses: Vec<Value> = logs
            .cosignatures(id, checkpoint_size)
            .await?
            .iter()
            .map(
                |co| json!({ "witness": co.witness, "public_key": B64.encode(&co.public_key), "cosignature": co.line }),
            )
            .collect();
        document["witnesses"] = Value::Array(witnesses);
        Ok(document)
    }
}

/// What a snapshot states: the poll as it was at `as_of` (question, options
/// and end as of then, from the status's and the poll's recorded history).
#[derive(Debug, Clone)]
pub struct SnapshotFacts {
    pub server: String,
    pub poll_id: PollId,
    pub status_id: StatusId,
    pub status_url: String,
    pub author: String,
    pub question: String,
    pub multiple: bool,
    /// The poll's round at `as_of` (editing the options or `multiple` starts a new one).
    pub round: i64,
    /// Each option's title and votes.
    pub options: Vec<(String, i64)>,
    pub votes_count: i64,
    pub voters_count: i64,
    pub opened_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub chain_head: String,
    pub chain_length: i64,
    /// The poll's transparency log at `as_of`, with its signed checkpoint.
    pub log: LogFacts,
}

/// Where a snapshot's moment sits in the poll's transparency log.
#[derive(Debug, Clone)]
pub struct LogFacts {
    pub origin: String,
    pub tree_size: u64,
    pub root: parley_core::tlog::Hash,
    /// The signed note (C2SP checkpoint) for `tree_size`.
    pub checkpoint: String,
}

/// The signed object of a snapshot (`tests/vectors/` holds a byte-exact example).
pub fn payload(f: &SnapshotFacts) -> Value {
    let options: Vec<Value> =
        f.options.iter().map(|(title, votes)| json!({ "title": title, "votes_count": votes })).collect();
    json!({
        "type": "parley.poll.snapshot",
        "version": 2,
        "server": f.server,
        "poll_id": f.poll_id.to_string(),
        "status_id": f.status_id.to_string(),
        "status_url": f.status_url,
        "author": f.author,
        "question": f.question,
        "multiple": f.multiple,
        "round": f.round,
        "options": options,
        "votes_count": f.votes_count,
        "voters_count": f.voters_count,
        "opened_at": ts(f.opened_at),
        "expires_at": ts(f.expires_at),
        "as_of": ts(f.as_of),
        "chain": { "algorithm": "sha256", "head": f.chain_head, "length": f.chain_length },
        "log": {
            "origin": f.log.origin,
            "tree_size": f.log.tree_size,
            "root_hash": B64.encode(f.log.root),
            "checkpoint": f.log.checkpoint,
        },
    })
}

/// Signs a snapshot payload with `key` (the server's `snapshot`, and the
/// test vector's, are made by this one function).
pub fn sign_document(key: &SigningKey, keys_url: &str, payload: Value) -> Result<Value> {
    let bytes = canonical(&payload).map_err(|e| AppError::Internal(format!("canonical JSON: {e}")))?;
    let public = key.verifying_key();
    Ok(json!({
        "snapshot": payload,
        "signature": {
            "algorithm": "ed25519",
            "key_id": key_id_of(&public),
            "keys_url": keys_url,
            "public_key": B64.encode(public.as_bytes()),
            "value": B64.encode(key.sign(&bytes).to_bytes()),
        }
    }))
}

/// The keys as published: each retired when the next was made.
fn published(rows: &[SigningKeyRow]) -> Result<Vec<PublicKeyInfo>> {
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let key = signing_key(row)?.verifying_key();
        out.push(PublicKeyInfo {
            key_id: key_id_of(&key),
            public_key_base64: B64.encode(key.as_bytes()),
            public_key_pem: pem_of(&key),
            created_at: row.created_at,
            retired_at: rows.get(i + 1).map(|next| next.created_at),
        });
    }
    Ok(out)
}

/// Why a saved snapshot does not verify.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("not a Parley snapshot: {0}")]
    Malformed(String),
    #[error("the signature does not match: the snapshot was altered or signed by another key")]
    BadSignature,
    #[error("signed by a different key than the one expected")]
    WrongKey,
}

/// Checks a snapshot document offline. `expected_key` (base64) pins the
/// server's published key; without it the key embedded in the document is used.
pub fn verify_snapshot(document: &Value, expected_key: Option<&str>) -> Result<(), VerifyError> {
    let malformed = |m: &str| VerifyError::Malformed(m.to_string());
    let payload = document.get("snapshot").ok_or_else(|| malformed("no `snapshot` object"))?;
    if payload.get("type").and_then(Value::as_str) != Some("parley.poll.snapshot") {
        return Err(malformed("`snapshot.type` is not parley.poll.snapshot"));
    }
    let sig = document.get("signature").ok_or_else(|| malformed("no `signature` object"))?;
    if sig.get("algorithm").and_then(Value::as_str) != Some("ed25519") {
        return Err(malformed("unsupported signature algorithm"));
    }
    let embedded = sig.get("public_key").and_then(Value::as_str).ok_or_else(|| malformed("no public key"))?;
    if let Some(expected) = expected_key
        && expected.trim() != embedded
    {
        return Err(VerifyError::WrongKey);
    }
    let key_bytes: [u8; 32] = B64
        .decode(embedded)
        .map_err(|_| malformed("public key is not base64"))?
        .try_into()
        .map_err(|_| malformed("public key is not 32 bytes"))?;
    let key = VerifyingKey::from_bytes(&key_bytes).map_err(|_| malformed("not an Ed25519 public key"))?;
    let sig_bytes: [u8; 64] = B64
        .decode(sig.get("value").and_then(Value::as_str).ok_or_else(|| malformed("no signature value"))?)
        .map_err(|_| malformed("signature is not base64"))?
        .try_into()
        .map_err(|_| malformed("signature is not 64 bytes"))?;
    let bytes = canonical(payload).map_err(|e| VerifyError::Malformed(format!("not canonicalisable: {e}")))?;
    key.verify(&bytes, &Signature::from_bytes(&sig_bytes)).map_err(|_| VerifyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(payload: Value, key: &SigningKey) -> Value {
        let sig = key.sign(&canonical(&payload).unwrap_or_default());
        json!({"snapshot": payload, "signature": {"algorithm": "ed25519", "public_key": B64.encode(key.verifying_key().as_bytes()), "value": B64.encode(sig.to_bytes())}})
    }

    #[test]
    fn signed_snapshots_verify_and_tampering_is_caught() {
        let key = SigningKey::from_bytes(&[7u8; 32]);
        let doc = signed(
            json!({"type": "parley.poll.snapshot", "votes_count": 11600, "options": [{"title": "St. Petersburg", "votes_count": 5220}]}),
            &key,
        );
        assert_eq!(verify_snapshot(&doc, None), Ok(()));
        let pinned = B64.encode(key.verifying_key().as_bytes());
        assert_eq!(verify_snapshot(&doc, Some(&pinned)), Ok(()));
        assert_eq!(verify_snapshot(&doc, Some("AAAA")), Err(VerifyError::WrongKey));
        let mut altered = doc.clone();
        altered["snapshot"]["votes_count"] = json!(11601);
        assert_eq!(verify_snapshot(&altered, None), Err(VerifyError::BadSignature));
        // Key order in the file does not matter: the canonical form is sorted.
        let reordered: Value = serde_json::from_str(&doc.to_string()).unwrap_or_default();
        assert_eq!(verify_snapshot(&reordered, None), Ok(()));
    }

    #[test]
    fn the_pem_wraps_the_raw_key() {
        let key = SigningKey::from_bytes(&[1u8; 32]).verifying_key();
        let pem = pem_of(&key);
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"));
    }
}
