//! `parley witness`: follows the checkpoints of polls on a Parley server,
//! checks each is consistent with the last one it saw (an RFC 9162
//! consistency proof), keeps them, and co-signs (C2SP `cosignature/v1`),
//! handing the cosignature back to the server. Any outlet can run one: a
//! server that rewrites a poll's history after a witness signed is caught by
//! the witness at its next look, and by anyone holding the cosigned
//! checkpoint.
//!
//! State, in `--state DIR`: `witness.key` (the witness's Ed25519 seed, hex;
//! made on first run) and, per poll, the last checkpoint seen
//! (`poll-ID.checkpoint`). On an inconsistency the offending checkpoint is
//! kept beside it (`poll-ID.conflict`) and the witness exits 1.
//!
//! Plain HTTP only for now (no TLS in the build): run it against `http://`
//! or through a local TLS proxy.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use parley_app::transparency::{
    WitnessKey, check_checkpoint, cosign, key_from_hex, new_seed_hex, parse_hashes, public_key_base64, verify_extends,
};
use parley_core::tlog::Checkpoint;
use serde_json::{Value, json};

pub struct WitnessArgs {
    pub server: String,
    pub polls: Vec<String>,
    pub state: PathBuf,
    pub name: String,
    pub interval: std::time::Duration,
    pub once: bool,
}

/// The witness's key, made on first use.
fn key(state: &Path) -> anyhow::Result<WitnessKey> {
    let path = state.join("witness.key");
    if !path.exists() {
        std::fs::write(&path, new_seed_hex()).with_context(|| format!("cannot write {}", path.display()))?;
    }
    key_from_hex(&std::fs::read_to_string(&path)?)
        .with_context(|| format!("{} is not a 32-byte hex seed", path.display()))
}

/// How one look at one poll went.
enum Look {
    Consistent { size: u64, since: Option<u64> },
    Inconsistent(String),
}

struct Witness {
    http: reqwest::Client,
    args: WitnessArgs,
    key: WitnessKey,
}

impl Witness {
    async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        let url = format!("{}{path}", self.args.server.trim_end_matches('/'));
        let resp = self.http.get(&url).send().await.with_context(|| format!("GET {url}"))?;
        if !resp.status().is_success() {
            bail!("GET {url}: {}", resp.status());
        }
        Ok(resp)
    }

    /// Reads a checkpoint signed by one of the keys the server publishes.
    async fn verified(&self, note: &str) -> anyhow::Result<Checkpoint> {
        let keys: Value = self.get("/.well-known/parley/snapshot-keys").await?.json().await?;
        let keys = keys["keys"].as_array().context("the server publishes no keys")?;
        for k in keys.iter().filter_map(|k| k["public_key"].as_str()) {
            if let Ok(cp) = check_checkpoint(note, k) {
                return Ok(cp);
            }
        }
        bail!("the checkpoint is signed by none of the keys the server publishes")
    }

    async fn look(&self, poll: &str) -> anyhow::Result<Look> {
        let note = self.get(&format!("/api/v1/parley/polls/{poll}/log/checkpoint")).await?.text().await?;
        let new = self.verified(&note).await?;
        let held_path = self.args.state.join(format!("poll-{poll}.checkpoint"));
        let held = match std::fs::read_to_string(&held_path) {
            Ok(text) => Some(self.verified(&text).await?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", held_path.display())),
        };
        if let Some(old) = &held {
            let problem = if new.size < old.size {
                Some(format!("the log shrank from {} to {} ballots", old.size, new.size))
            } else {
                let reply = self
                    .get(&format!("/api/v1/parley/polls/{poll}/log/consistency?from={}&to={}", old.size, new.size))
                    .await;
                match reply {
                    Err(e) => Some(format!("no consistency proof from {} to {}: {e:#}", old.size, new.size)),
                    Ok(resp) => {
                        let doc: Value = resp.json().await?;
                        let list = doc["proof"].as_array().context("no proof in the answer")?;
                        let proof = parse_hashes(list.iter().filter_map(Value::as_str))?;
                        verify_extends(old, &new, &proof).err().map(|e| e.to_string())
                    }
                }
            };
            if let Some(problem) = problem {
                let conflict = self.args.state.join(format!("poll-{poll}.conflict"));
                std::fs::write(&conflict, &note)?;
                return Ok(Look::Inconsistent(format!(
                    "{problem} (held: {}, offending checkpoint kept in {})",
                    held_path.display(),
                    conflict.display()
                )));
            }
        }
        std::fs::write(&held_path, &note).with_context(|| format!("cannot write {}", held_path.display()))?;
        let body = note.split("\n\n").next().unwrap_or_default().to_string() + "\n";
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap_or_default();
        let line = cosign(&body, &self.args.name, &self.key, now);
        let url = format!("{}/api/v1/parley/polls/{poll}/log/cosignatures", self.args.server.trim_end_matches('/'));
        let public_key = public_key_base64(&self.key);
        let resp = self
            .http
            .post(&url)
            .json(&json!({"tree_size": new.size, "witness": self.args.name, "public_key": public_key, "cosignature": line}))
            .send()
            .await
            .with_context(|| format!("POST {url}"))?;
        if !resp.status().is_success() {
            bail!("the server refused the cosignature: {} {}", resp.status(), resp.text().await.unwrap_or_default());
        }
        Ok(Look::Consistent { size: new.size, since: held.map(|h| h.size) })
    }
}

/// Runs the witness; `Ok(false)` once a poll's log was found inconsistent.
pub async fn run(args: WitnessArgs) -> anyhow::Result<bool> {
    std::fs::create_dir_all(&args.state).with_context(|| format!("cannot create {}", args.state.display()))?;
    let key = key(&args.state)?;
    println!(
        "witness {} (key {})",
        args.name,
        parley_app::transparency::verifier_key(&args.name, &key.verifying_key())
    );
    let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)).build()?;
    let witness = Witness { http, args, key };
    loop {
        for poll in &witness.args.polls {
            match witness.look(poll).await {
                Ok(Look::Consistent { size, since }) => match since {
                    Some(old) => println!("poll {poll}: {size} ballots, consistent with {old}; cosigned"),
                    None => println!("poll {poll}: {size} ballots, first checkpoint held; cosigned"),
                },
                Ok(Look::Inconsistent(why)) => {
                    println!("INCONSISTENT: poll {poll}: {why}");
                    return Ok(false);
                }
                // A server that cannot be reached now is tried again next time.
                Err(e) if !witness.args.once => eprintln!("poll {poll}: {e:#}; trying again later"),
                Err(e) => return Err(e),
            }
        }
        if witness.args.once {
            return Ok(true);
        }
        tokio::time::sleep(witness.args.interval).await;
    }
}
