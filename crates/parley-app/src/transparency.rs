//! Poll transparency logs, the server's side: signed checkpoints (a C2SP
//! `tlog-checkpoint` inside a C2SP `signed-note`, Ed25519, with the key hash
//! the spec defines), inclusion and consistency proofs, ballot receipts and
//! their offline checks, and the checkpointer that signs a checkpoint at
//! least every [`CHECKPOINT_EVERY`] while votes arrive. The tree itself is
//! `parley_core::tlog`; the leaves are written by the ballot's transaction.
//!
//! Readable exactly when the poll's snapshots are (visible to the viewer,
//! totals not hidden): a leaf carries the choices.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use parley_core::tlog::{self, Hash};
use parley_core::{AccountId, PollId};
pub use parley_store::{ConsistencyProof, Cosignature, InclusionProof, StoredCheckpoint};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::polls::PollService;
use crate::snapshots::SnapshotService;
use crate::{AppError, Context, Result};

/// How often the checkpointer looks for logs that grew (at most this long
/// between a vote and a checkpoint that covers it; the issue asks for a minute).
pub const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(20);

/// The signed-note signature type of Ed25519.
const ED25519_TYPE: u8 = 0x01;

/// The signed-note key hash: the first 4 bytes of
/// `SHA-256(name || "\n" || 0x01 || public key)`.
pub fn note_key_hash(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([ED25519_TYPE]);
    h.update(key.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// The signed-note verifier key: `name+hex(key hash)+base64(0x01 || key)`,
/// the form transparency-log tools (Go's `note.NewVerifier`) read.
pub fn verifier_key(name: &str, key: &VerifyingKey) -> String {
    let mut typed = vec![ED25519_TYPE];
    typed.extend_from_slice(key.as_bytes());
    format!("{name}+{}+{}", hex::encode(note_key_hash(name, key)), B64.encode(typed))
}

/// Signs a note body (its text, ending in a newline) as a C2SP signed note.
pub fn sign_note(body: &str, name: &str, key: &SigningKey) -> String {
    let sig = key.sign(body.as_bytes());
    let mut blob = note_key_hash(name, &key.verifying_key()).to_vec();
    blob.extend_from_slice(&sig.to_bytes());
    format!("{body}\n\u{2014} {name} {}\n", B64.encode(blob))
}

/// Why a note, a checkpoint or a receipt does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogCheckError {
    #[error("not a signed note: {0}")]
    Malformed(String),
    #[error("no signature by {0} with the expected key")]
    NotSigned(String),
    #[error("the signature does not match: the note was altered")]
    BadSignature,
    #[error("the leaf the server returns is not the one in the receipt: the ballot was removed or altered")]
    LeafDiffers,
    #[error("the receipt's secret does not match the leaf's commitment")]
    WrongSecret,
    #[error("the inclusion proof does not lead to the checkpoint's root: the ballot is not in this log")]
    NotIncluded,
    #[error("the consistency proof fails: the newer log does not extend the older one (history was rewritten)")]
    Inconsistent,
    #[error("the checkpoint is for {0}, not this poll's log")]
    WrongLog(String),
}

/// The signed-note signature type of C2SP `cosignature/v1`.
const COSIGNATURE_TYPE: u8 = 0x04;

/// A witness key's ID: the first 4 bytes of
/// `SHA-256(name || "\n" || 0x04 || public key)`.
pub fn cosigner_key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([COSIGNATURE_TYPE]);
    h.update(key.as_bytes());
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

/// What a witness signs (C2SP `tlog-cosignature`): the header, the time,
/// then the checkpoint body.
fn cosigned_message(body: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{body}")
}

/// A witness's cosignature of a checkpoint body at `time` (Unix seconds),
/// as a note signature line: `— name base64(key ID || time (8 bytes, big
/// endian) || signature)`.
pub fn cosign(body: &str, name: &str, key: &SigningKey, time: u64) -> String {
    let sig = key.sign(cosigned_message(body, time).as_bytes());
    let mut blob = cosigner_key_id(name, &key.verifying_key()).to_vec();
    blob.extend_from_slice(&time.to_be_bytes());
    blob.extend_from_slice(&sig.to_bytes());
    format!("\u{2014} {name} {}", B64.encode(blob))
}

/// Checks a witness's cosignature line of a checkpoint body; its time.
pub fn verify_cosignature(line: &str, body: &str, name: &str, key: &VerifyingKey) -> Result<u64, LogCheckError> {
    let rest = line
        .trim_end()
        .strip_prefix("\u{2014} ")
        .ok_or_else(|| LogCheckError::Malformed("not a signature line".into()))?;
    let (signer, blob) = rest.rsplit_once(' ').ok_or_else(|| LogCheckError::Malformed("no signature".into()))?;
    if signer != name {
        return Err(LogCheckError::NotSigned(name.to_string()));
    }
    let blob = B64.decode(blob).map_err(|_| LogCheckError::Malformed("signature is not base64".into()))?;
    if blob.len() != 4 + 8 + 64 || blob[..4] != cosigner_key_id(name, key) {
        return Err(LogCheckError::NotSigned(name.to_string()));
    }
    let time = u64::from_be_bytes(blob[4..12].try_into().map_err(|_| LogCheckError::Malformed("time".into()))?);
    let sig: [u8; 64] = blob[12..].try_into().map_err(|_| LogCheckError::Malformed("signature length".into()))?;
    key.verify(cosigned_message(body, time).as_bytes(), &Signature::from_bytes(&sig))
        .map(|()| time)
        .map_err(|_| LogCheckError::BadSignature)
}

/// Checks a signed note against `name`'s key; returns its body.
pub fn verify_note<'a>(note: &'a str, name: &str, key: &VerifyingKey) -> Result<&'a str, LogCheckError> {
    let split = note.find("\n\n").ok_or_else(|| LogCheckError::Malformed("no blank line".into()))?;
    let (body, signatures) = (&note[..split + 1], &note[split + 2..]);
    let want = note_key_hash(name, key);
    for line in signatures.lines() {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return Err(LogCheckError::Malformed(format!("not a signature line: {line:?}")));
        };
        let Some((signer, blob)) = rest.rsplit_once(' ') else { continue };
        if signer != name {
            continue;
        }
        let blob = B64.decode(blob).map_err(|_| LogCheckError::Malformed("signature is not base64".into()))?;
        if blob.len() != 68 || blob[..4] != want {
            continue;
        }
        let sig: [u8; 64] = blob[4..].try_into().map_err(|_| LogCheckError::Malformed("signature length".into()))?;
        return key
            .verify(body.as_bytes(), &Signature::from_bytes(&sig))
            .map(|()| body)
            .map_err(|_| LogCheckError::BadSignature);
    }
    Err(LogCheckError::NotSigned(name.to_string()))
}

/// A published Ed25519 key (base64 of its 32 bytes).
pub fn parse_public_key(base64: &str) -> Result<VerifyingKey, LogCheckError> {
    let bytes: [u8; 32] = B64
        .decode(base64.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| LogCheckError::Malformed("the key is not 32 bytes of base64".into()))?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| LogCheckError::Malformed("not an Ed25519 public key".into()))
}

/// Checks a signed checkpoint with the server's key (base64) and reads it.
/// The signer's name is the host its origin begins with.
pub fn check_checkpoint(note: &str, key_base64: &str) -> Result<tlog::Checkpoint, LogCheckError> {
    let key = parse_public_key(key_base64)?;
    let body = note.split("\n\n").next().unwrap_or_default();
    let unverified =
        tlog::parse_checkpoint(body).ok_or_else(|| LogCheckError::Malformed("not a tlog checkpoint".into()))?;
    let name = unverified.origin.split("/polls/").next().unwrap_or_default();
    let body = verify_note(note, name, &key)?;
    tlog::parse_checkpoint(body).ok_or_else(|| LogCheckError::Malformed("not a tlog checkpoint".into()))
}

/// Checks that checkpoint `new` extends checkpoint `old` (same log, and the
/// consistency proof the server gave leads from one root to the other).
pub fn verify_extends(old: &tlog::Checkpoint, new: &tlog::Checkpoint, proof: &[Hash]) -> Result<(), LogCheckError> {
    if old.origin != new.origin {
        return Err(LogCheckError::WrongLog(new.origin.clone()));
    }
    if tlog::verify_consistency(old.size, new.size, &old.root, &new.root, proof) {
        Ok(())
    } else {
        Err(LogCheckError::Inconsistent)
    }
}

/// Reads base64 hashes (as the proof endpoints give them).
pub fn parse_hashes<'a>(list: impl IntoIterator<Item = &'a str>) -> Result<Vec<Hash>, LogCheckError> {
    list.into_iter()
        .map(|h| {
            B64.decode(h)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| LogCheckError::Malformed("a proof hash is not 32 bytes of base64".into()))
        })
        .collect()
}

/// What a voter keeps: enough to find their ballot in any later checkpoint
/// and to show it is theirs (the secret), without anyone else learning it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub poll_id: String,
    /// The log's origin line (its name in checkpoints).
    pub origin: String,
    pub leaf_index: u64,
    /// The leaf's text, as hashed into the log.
    pub leaf: String,
    /// The secret the leaf's commitment binds (hex); only the voter has it.
    pub secret: String,
    /// The first tree size that includes the ballot: any checkpoint of at
    /// least this size must.
    pub tree_size: u64,
    /// Where to ask for the proof.
    pub inclusion_url: String,
}

/// Checks a receipt against a checkpoint's root and the inclusion proof the
/// server gave for (`leaf_index`, checkpoint size).
pub fn verify_receipt(
    receipt: &Receipt,
    checkpoint: &tlog::Checkpoint,
    leaf_from_server: &[u8],
    proof: &[Hash],
) -> Result<(), LogCheckError> {
    if checkpoint.origin != receipt.origin {
        return Err(LogCheckError::WrongLog(checkpoint.origin.clone()));
    }
    if leaf_from_server != receipt.leaf.as_bytes() {
        return Err(LogCheckError::LeafDiffers);
    }
    let secret = hex::decode(&receipt.secret).map_err(|_| LogCheckError::Malformed("secret is not hex".into()))?;
    let commitment = hex::encode(tlog::commitment(&secret));
    if receipt.leaf.split('\n').nth(5) != Some(commitment.as_str()) {
        return Err(LogCheckError::WrongSecret);
    }
    let leaf = tlog::leaf_hash(receipt.leaf.as_bytes());
    if !tlog::verify_inclusion(receipt.leaf_index, checkpoint.size, &leaf, proof, &checkpoint.root) {
        return Err(LogCheckError::NotIncluded);
    }
    Ok(())
}

/// The key type witnesses sign with (re-exported for the `parley witness` CLI).
pub use ed25519_dalek::SigningKey as WitnessKey;

/// A key from its 32-byte seed written as hex (a witness's key file).
pub fn key_from_hex(text: &str) -> Option<SigningKey> {
    let seed: [u8; 32] = hex::decode(text.trim()).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&seed))
}

/// A fresh key seed, as hex.
pub fn new_seed_hex() -> String {
    hex::encode(new_secret().0)
}

/// A key's public half, base64 (as the server publishes its own).
pub fn public_key_base64(key: &SigningKey) -> String {
    B64.encode(key.verifying_key().as_bytes())
}

/// A fresh voter secret and its commitment.
pub fn new_secret() -> ([u8; 32], Hash) {
    let mut secret = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut secret);
    let commitment = tlog::commitment(&secret);
    (secret, commitment)
}

#[derive(Clone)]
pub struct LogService {
    ctx: Arc<Context>,
}

impl LogService {
    pub fn new(ctx: Arc<Context>) -> Self {
        LogService { ctx }
    }

    /// The name checkpoints are signed under: the server's host.
    pub fn signer_name(&self) -> &str {
        &self.ctx.settings.domain
    }

    pub fn origin(&self, poll: PollId) -> String {
        tlog::origin(&self.ctx.settings.domain, poll)
    }

    pub fn inclusion_url(&self, poll: PollId) -> String {
        format!("{}/api/v1/parley/polls/{poll}/log/inclusion", self.ctx.settings.public_url)
    }

    /// The signed-note verifier keys of every signing key, oldest first.
    pub async fn verifier_keys(&self) -> Result<Vec<String>> {
        let keys = SnapshotService::new(self.ctx.clone()).public_keys().await?;
        keys.iter()
            .map(|k| {
                let bytes: [u8; 32] = B64
                    .decode(&k.public_key_base64)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or_else(|| AppError::Internal("a published key is not 32 bytes".into()))?;
                let key = VerifyingKey::from_bytes(&bytes).map_err(|e| AppError::Internal(e.to_string()))?;
                Ok(verifier_key(self.signer_name(), &key))
            })
            .collect()
    }

    /// The checkpoint at `size`, signed now if none was (the first one signed
    /// at a size stays).
    pub(crate) async fn checkpoint_at(&self, poll: PollId, size: u64) -> Result<StoredCheckpoint> {
        if let Some(cp) = self.ctx.store.find_poll_checkpoint(poll, size).await? {
            return Ok(cp);
        }
        let root = self.ctx.store.poll_log_root(poll, size).await?;
        let key = SnapshotService::new(self.ctx.clone()).current_key().await?;
        let body = tlog::checkpoint_body(&self.origin(poll), size, &root);
        let note = sign_note(&body, self.signer_name(), &key);
        let cp = StoredCheckpoint { poll_id: poll, tree_size: size, root, note, created_at: Utc::now() };
        Ok(self.ctx.store.save_poll_checkpoint(cp).await?)
    }

    async fn readable(&self, viewer: Option<AccountId>, poll: PollId) -> Result<()> {
        PollService::new(self.ctx.clone()).readable(viewer, poll).await.map(|_| ())
    }

    /// `GET …/log/checkpoint`: a checkpoint of the log as it is now.
    pub async fn latest(&self, viewer: Option<AccountId>, poll: PollId) -> Result<StoredCheckpoint> {
        self.readable(viewer, poll).await?;
        let size = self.ctx.store.poll_log_size(poll).await?;
        self.checkpoint_at(poll, size).await
    }

    /// `GET …/log/checkpoints`: every checkpoint signed, smallest first.
    pub async fn checkpoints(&self, viewer: Option<AccountId>, poll: PollId) -> Result<Vec<StoredCheckpoint>> {
        self.readable(viewer, poll).await?;
        Ok(self.ctx.store.poll_checkpoints(poll).await?)
    }

    /// `GET …/log/inclusion?leaf_index=&tree_size=`
    pub async fn inclusion(
        &self,
        viewer: Option<AccountId>,
        poll: PollId,
        index: u64,
        tree_size: u64,
    ) -> Result<InclusionProof> {
        self.readable(viewer, poll).await?;
        if index >= tree_size {
            return Err(AppError::validation("Validation failed: leaf_index must be below tree_size"));
        }
        self.ctx.store.poll_log_inclusion(poll, index, tree_size).await.map_err(|e| match e {
            parley_store::StoreError::NotFound => {
                AppError::validation("Validation failed: the log has no tree of that size yet")
            }
            e => e.into(),
        })
    }

    /// `GET …/log/consistency?from=&to=`
    pub async fn consistency(
        &self,
        viewer: Option<AccountId>,
        poll: PollId,
        from: u64,
        to: u64,
    ) -> Result<ConsistencyProof> {
        self.readable(viewer, poll).await?;
        if from > to {
            return Err(AppError::validation("Validation failed: from must not be above to"));
        }
        self.ctx.store.poll_log_consistency(poll, from, to).await.map_err(|e| match e {
            parley_store::StoreError::NotFound => {
                AppError::validation("Validation failed: the log has no tree of that size yet")
            }
            e => e.into(),
        })
    }

    /// `POST …/log/cosignatures`: keeps a witness's cosignature once it
    /// checks out against the server's own checkpoint of that size.
    pub async fn add_cosignature(
        &self,
        poll: PollId,
        tree_size: u64,
        witness: &str,
        public_key: &str,
        line: &str,
    ) -> Result<Cosignature> {
        let bad = |m: String| AppError::validation(format!("Validation failed: {m}"));
        if witness.is_empty() || witness.len() > 200 || witness.contains(char::is_whitespace) || witness.contains('+') {
            return Err(bad("the witness name must be one word without '+'".into()));
        }
        let key = parse_public_key(public_key).map_err(|e| bad(e.to_string()))?;
        let Some(cp) = self.ctx.store.find_poll_checkpoint(poll, tree_size).await? else {
            return Err(bad("the server signed no checkpoint of that size".into()));
        };
        let body = cp.note.split("\n\n").next().unwrap_or_default().to_string() + "\n";
        verify_cosignature(line, &body, witness, &key)
            .map_err(|e| bad(format!("the cosignature does not check: {e}")))?;
        let co = Cosignature {
            poll_id: poll,
            tree_size,
            witness: witness.to_string(),
            public_key: key.as_bytes().to_vec(),
            line: line.trim_end().to_string(),
            created_at: Utc::now(),
        };
        self.ctx.store.save_poll_cosignature(co.clone()).await?;
        Ok(co)
    }

    /// The cosignatures of the checkpoint at `tree_size`.
    pub async fn cosignatures(&self, poll: PollId, tree_size: u64) -> Result<Vec<Cosignature>> {
        Ok(self.ctx.store.poll_cosignatures(poll, tree_size).await?)
    }

    /// A checkpoint's note with its witnesses' cosignature lines appended
    /// (the C2SP form: more signature lines on the same note).
    pub async fn cosigned_note(&self, cp: &StoredCheckpoint) -> Result<String> {
        let mut note = cp.note.clone();
        for co in self.cosignatures(cp.poll_id, cp.tree_size).await? {
            note.push_str(&co.line);
            note.push('\n');
        }
        Ok(note)
    }

    /// Signs a checkpoint for every log that grew since its last one.
    pub async fn checkpoint_all(&self) -> Result<usize> {
        let due = self.ctx.store.uncheckpointed_polls().await?;
        for (poll, size) in &due {
            self.checkpoint_at(*poll, *size).await?;
        }
        Ok(due.len())
    }
}

/// Runs until the process ends: a checkpoint for every log that grew, every
/// [`CHECKPOINT_EVERY`]. A failure is logged and tried again next time (the
/// logs stay due).
pub async fn run_checkpointer(ctx: Arc<Context>) {
    let service = LogService::new(ctx);
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if let Err(e) = service.checkpoint_all().await {
            tracing::error!(error = %e, "signing poll log checkpoints failed; trying again later");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosignatures_verify_and_reject_tampering() {
        let witness = SigningKey::from_bytes(&[5u8; 32]);
        let body = tlog::checkpoint_body("parley.example/polls/7", 3, &[9u8; 32]);
        let line = cosign(&body, "witness.example", &witness, 1_700_000_000);
        let key = witness.verifying_key();
        assert_eq!(verify_cosignature(&line, &body, "witness.example", &key), Ok(1_700_000_000));
        let other = tlog::checkpoint_body("parley.example/polls/7", 4, &[9u8; 32]);
        assert_eq!(verify_cosignature(&line, &other, "witness.example", &key), Err(LogCheckError::BadSignature));
        assert!(verify_cosignature(&line, &body, "other.example", &key).is_err());
        // A cosignature is not a checkpoint signature: the key IDs differ by type.
        assert_ne!(cosigner_key_id("w", &key), note_key_hash("w", &key));
    }

    #[test]
    fn notes_verify_and_reject_tampering() {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let body = tlog::checkpoint_body("parley.example/polls/7", 3, &[9u8; 32]);
        let note = sign_note(&body, "parley.example", &key);
        assert!(note.starts_with(&body) && note.contains("\n\n\u{2014} parley.example "));
        assert_eq!(verify_note(&note, "parley.example", &key.verifying_key()), Ok(body.as_str()));
        let other = SigningKey::from_bytes(&[4u8; 32]).verifying_key();
        assert!(matches!(verify_note(&note, "parley.example", &other), Err(LogCheckError::NotSigned(_))));
        let altered = note.replacen("\n3\n", "\n4\n", 1);
        assert_eq!(verify_note(&altered, "parley.example", &key.verifying_key()), Err(LogCheckError::BadSignature));
        let vkey = verifier_key("parley.example", &key.verifying_key());
        assert!(vkey.starts_with("parley.example+") && vkey.split('+').nth(1).map(str::len) == Some(8));
    }
}
