//! `parley admin …`: account administration, poll verification and backups
//! from the command line.

use std::path::PathBuf;

use anyhow::{Context, bail};
use parley_app::accounts::AccountSpec;
use parley_app::{AdminUpdate, Services};
use parley_core::model::{Account, Role};
use parley_core::page::PageRequest;
use parley_store::sqlite::backup::backup_blocking;

use crate::config::Config;

fn describe(a: &Account) -> String {
    let mut flags = Vec::new();
    if a.role == Role::Admin {
        flags.push("admin".to_string());
    }
    if !a.approved {
        flags.push("awaiting approval".to_string());
    }
    if a.suspended {
        flags.push("suspended".to_string());
    }
    if let Some(org) = &a.organisation {
        flags.push(format!("organisation: {org}"));
    }
    let flags = if flags.is_empty() { String::new() } else { format!(" ({})", flags.join(", ")) };
    format!("{}\t@{}{}", a.id, a.username, flags)
}

pub struct CreateArgs {
    pub username: String,
    pub email: String,
    pub password: String,
    pub admin: bool,
    pub organisation: Option<String>,
}

pub async fn create(services: &Services, args: CreateArgs) -> anyhow::Result<()> {
    let account = services
        .accounts
        .create(AccountSpec {
            username: args.username,
            email: args.email,
            password: args.password,
            role: if args.admin { Role::Admin } else { Role::User },
            organisation: args.organisation,
            approved: true,
            display_name: None,
            joined: None,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created {}", describe(&account));
    Ok(())
}

pub async fn list(services: &Services) -> anyhow::Result<()> {
    let mut page = PageRequest::new(None, None, None, Some(200), 200, 200);
    loop {
        let accounts = services.accounts.list(page).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        for a in &accounts {
            println!("{}", describe(a));
        }
        match accounts.last() {
            Some(last) if accounts.len() == page.limit => page.max_id = Some(last.id.get()),
            _ => return Ok(()),
        }
    }
}

async fn find(services: &Services, username: &str) -> anyhow::Result<Account> {
    services
        .accounts
        .find_by_username(username.trim_start_matches('@'))
        .await
        .map_err(|_| anyhow::anyhow!("no account named {username}"))
}

pub async fn update(services: &Services, username: &str, update: AdminUpdate) -> anyhow::Result<()> {
    let account = find(services, username).await?;
    let account = services.accounts.admin_update(account.id, update).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("updated {}", describe(&account));
    Ok(())
}

/// Sets a new password (generated when none is given) and revokes every token.
pub async fn reset_password(services: &Services, username: &str, password: Option<String>) -> anyhow::Result<()> {
    let account = find(services, username).await?;
    let generated = password.is_none();
    let password = match password {
        Some(p) => p,
        None => random_password(),
    };
    if password.len() < 8 {
        bail!("the password must have at least 8 characters");
    }
    services
        .accounts
        .reset_password(account.id, password.clone())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("cannot reset the password")?;
    println!("password of @{} reset; every token of the account is revoked", account.username);
    if generated {
        println!("new password: {password}");
    }
    Ok(())
}

fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// `parley admin backup FILE`: an online backup of the data directory's
/// database (see `parley_store::sqlite::backup` for how and why).
pub async fn backup(config: &Config, file: PathBuf) -> anyhow::Result<()> {
    if config.database.postgres_url().is_some() {
        anyhow::bail!("`parley admin backup` copies the SQLite database; back PostgreSQL up with pg_dump");
    }
    let database = config.database_path();
    let from = database.clone();
    let to = file.clone();
    let report =
        tokio::task::spawn_blocking(move || backup_blocking(&from, &to)).await.context("the backup task failed")??;
    println!(
        "backup of {} written to {}: {} bytes, as of change {}, integrity ok, in {:.1}s",
        database.display(),
        file.display(),
        report.bytes,
        report.change_seq,
        report.elapsed.as_secs_f64()
    );
    Ok(())
}

/// `parley admin polls verify`: recounts every poll from its vote rows and
/// re-walks each vote log's hash chain. Returns false if anything is off.
pub async fn verify_polls(services: &Services) -> anyhow::Result<bool> {
    let audits = services.polls.audit().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut bad = 0;
    for audit in &audits {
        for problem in &audit.problems {
            println!("poll {}: {problem}", audit.poll_id);
        }
        if !audit.problems.is_empty() {
            bad += 1;
        }
    }
    if bad == 0 {
        println!(
            "{} polls verified: every tally equals its vote rows and every vote log's chain is intact",
            audits.len()
        );
    } else {
        println!("{bad} of {} polls have drift or a broken vote log", audits.len());
    }
    Ok(bad == 0)
}

fn describe_key(k: &parley_app::snapshots::PublicKeyInfo) -> String {
    let state = match k.retired_at {
        None => "signs now".to_string(),
        Some(t) => format!("retired {}", t.to_rfc3339()),
    };
    format!("{}\t{}\tcreated {}\t{state}", k.key_id, k.public_key_base64, k.created_at.to_rfc3339())
}

/// `parley admin keys list`
pub async fn list_keys(services: &Services) -> anyhow::Result<()> {
    for k in services.snapshots.public_keys().await.map_err(|e| anyhow::anyhow!("{e}"))? {
        println!("{}", describe_key(&k));
    }
    Ok(())
}

/// `parley admin keys rotate`
pub async fn rotate_key(services: &Services) -> anyhow::Result<()> {
    let key = services.snapshots.rotate().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("now signing with {}", describe_key(&key));
    Ok(())
}

/// `parley verify-snapshot FILE`: checks a saved snapshot offline.
pub fn verify_snapshot_file(path: &std::path::Path, key: Option<&str>) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let document: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    match parley_app::snapshots::verify_snapshot(&document, key) {
        Ok(()) => {
            let s = &document["snapshot"];
            println!(
                "valid: signed by key {} ({})",
                document["signature"]["key_id"].as_str().unwrap_or("?"),
                document["signature"]["public_key"].as_str().unwrap_or("?")
            );
            println!(
                "poll {} ({}) as of {}",
                s["poll_id"].as_str().unwrap_or("?"),
                s["status_url"].as_str().unwrap_or("?"),
                s["as_of"].as_str().unwrap_or("?")
            );
            if let Some(options) = s["options"].as_array() {
                let total = s["votes_count"].as_i64().unwrap_or(0).max(1) as f64;
                for o in options {
                    let votes = o["votes_count"].as_i64().unwrap_or(0);
                    println!(
                        "  {:>8} votes  {:>5.1}%  {}",
                        votes,
                        100.0 * votes as f64 / total,
                        o["title"].as_str().unwrap_or("?")
                    );
                }
            }
            println!(
                "  {} votes from {} voters; vote log head {} after {} votes",
                s["votes_count"],
                s["voters_count"],
                s["chain"]["head"].as_str().unwrap_or("?"),
                s["chain"]["length"]
            );
            let signer = key.unwrap_or_else(|| document["signature"]["public_key"].as_str().unwrap_or_default());
            if let Some(note) = s["log"]["checkpoint"].as_str() {
                match parley_app::transparency::check_checkpoint(note, signer) {
                    Ok(cp) if cp.size == s["log"]["tree_size"].as_u64().unwrap_or(u64::MAX) => println!(
                        "  transparency log {}: signed checkpoint of {} ballots, root {}",
                        cp.origin,
                        cp.size,
                        s["log"]["root_hash"].as_str().unwrap_or("?")
                    ),
                    Ok(_) => {
                        println!("INVALID: the embedded checkpoint is not of the log size the snapshot states");
                        return Ok(false);
                    }
                    Err(parley_app::transparency::LogCheckError::NotSigned(_)) => println!(
                        "  the embedded checkpoint was signed by an earlier key of the server: check it with that key"
                    ),
                    Err(e) => {
                        println!("INVALID checkpoint: {e}");
                        return Ok(false);
                    }
                }
            }
            if key.is_none() {
                println!(
                    "compare the key with one the server publishes: {}",
                    document["signature"]["keys_url"].as_str().unwrap_or("/.well-known/parley/snapshot-keys")
                );
            }
            Ok(true)
        }
        Err(e) => {
            println!("INVALID: {e}");
            Ok(false)
        }
    }
}
