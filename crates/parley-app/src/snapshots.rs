//! Citable poll snapshots: the tally at a moment, signed with the server's
//! Ed25519 key over canonical JSON, checkable offline by anyone.
//!
//! Canonical JSON here: object keys sorted, no insignificant white space,
//! UTF-8 (serde_json's compact output of a sorted map). The signature covers
//! the bytes of the canonical `snapshot` object.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use parley_core::{AccountId, PollId};
use rand::RngCore;
use serde_json::{Value, json};

use crate::polls::PollService;
use crate::{AppError, Context, Result};

const KEY_NAME: &str = "snapshot-ed25519";
/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes.
const ED25519_SPKI_PREFIX: [u8; 12] = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The canonical bytes of a JSON value: sorted keys, compact.
pub fn canonical(value: &Value) -> String {
    // serde_json's map is ordered by key (no `preserve_order`), so this is sorted.
    value.to_string()
}

/// The server's published snapshot key.
#[derive(Debug, Clone)]
pub struct PublicKeyInfo {
    pub key_id: String,
    pub public_key_base64: String,
    pub public_key_pem: String,
}

pub fn pem_of(key: &VerifyingKey) -> String {
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(key.as_bytes());
    format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", B64.encode(der))
}

#[derive(Clone)]
pub struct SnapshotService {
    ctx: Arc<Context>,
}

impl SnapshotService {
    pub fn new(ctx: Arc<Context>) -> Self {
        SnapshotService { ctx }
    }

    async fn key(&self) -> Result<&SigningKey> {
        self.ctx
            .snapshot_key
            .get_or_try_init(|| async {
                let mut candidate = [0u8; 32];
                rand::thread_rng().fill_bytes(&mut candidate);
                let stored = self.ctx.store.server_key(KEY_NAME, candidate.to_vec()).await?;
                let bytes: [u8; 32] = stored
                    .try_into()
                    .map_err(|_| AppError::Internal("stored snapshot key has the wrong length".into()))?;
                Ok::<_, AppError>(SigningKey::from_bytes(&bytes))
            })
            .await
    }

    pub fn key_id(&self) -> String {
        format!("{}/.well-known/parley/snapshot-key", self.ctx.settings.public_url)
    }

    pub async fn public_key(&self) -> Result<PublicKeyInfo> {
        let key = self.key().await?.verifying_key();
        Ok(PublicKeyInfo {
            key_id: self.key_id(),
            public_key_base64: B64.encode(key.as_bytes()),
            public_key_pem: pem_of(&key),
        })
    }

    /// A signed snapshot of poll `id` as of `at`.
    pub async fn snapshot(&self, viewer: Option<AccountId>, id: PollId, at: DateTime<Utc>) -> Result<Value> {
        let polls = PollService::new(self.ctx.clone());
        let (poll, tally) = polls.tally_at(viewer, id, at).await?;
        let status = self.ctx.store.find_status(poll.status_id).await?.ok_or(AppError::NotFound)?;
        let author = self.ctx.store.find_account(status.account_id).await?.ok_or(AppError::NotFound)?;
        let settings = &self.ctx.settings;
        let options: Vec<Value> = poll
            .options
            .iter()
            .zip(&tally.option_votes)
            .map(|(title, votes)| json!({ "title": title, "votes_count": votes }))
            .collect();
        let payload = json!({
            "type": "parley.poll.snapshot",
            "version": 1,
            "server": settings.public_url,
            "poll_id": poll.id.to_string(),
            "status_id": status.id.to_string(),
            "status_url": settings.status_url(&author.username, status.id),
            "author": author.username,
            "question": status.text,
            "multiple": poll.multiple,
            "options": options,
            "votes_count": tally.votes_count,
            "voters_count": tally.voters_count,
            "opened_at": ts(poll.created_at),
            "expires_at": ts(poll.expires_at),
            "as_of": ts(at),
            "chain": { "algorithm": "sha256", "head": tally.chain_head, "length": tally.last_seq },
        });
        let key = self.key().await?;
        let signature = key.sign(canonical(&payload).as_bytes());
        Ok(json!({
            "snapshot": payload,
            "signature": {
                "algorithm": "ed25519",
                "key_id": self.key_id(),
                "public_key": B64.encode(key.verifying_key().as_bytes()),
                "value": B64.encode(signature.to_bytes()),
            }
        }))
    }
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
    key.verify(canonical(payload).as_bytes(), &Signature::from_bytes(&sig_bytes)).map_err(|_| VerifyError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(payload: Value, key: &SigningKey) -> Value {
        let sig = key.sign(canonical(&payload).as_bytes());
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
