//! `register`: makes accounts through the Mastodon API and writes their
//! tokens, for servers that allow registration through the API:
//! `POST /api/v1/apps`, a client-credentials token (`POST /oauth/token`),
//! then `POST /api/v1/accounts` per account. The first account is the author.
//! With `--follow-author` every other account then follows it, for
//! `post-fanout` and `home-timeline`.
//!
//! Servers hash passwords on registration (Argon2 on Parley), so this is slow:
//! tens of accounts a second. For Parley, `parley admin seed` is the fast path.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use clap::Args;
use http::{HeaderValue, Method, Uri};
use rand::Rng;
use rand::distributions::Alphanumeric;

use crate::api::{Api, Application, Token};
use crate::client::{ClientKind, Prepared, Target};
use crate::load::{Group, Load, Runner, WorkerState, Workload};
use crate::tokens::{bearer, bearer_headers, render};

#[derive(Args, Debug, Clone)]
pub struct RegisterArgs {
    /// Base URL of the server (plain http).
    #[arg(long)]
    pub url: String,
    /// How many accounts to make (the first is the author).
    #[arg(long)]
    pub count: usize,
    /// Where to write the tokens file (`token<TAB>username` per line).
    #[arg(long)]
    pub out: PathBuf,
    /// Usernames are PREFIX0, PREFIX1, … [default: `b` and 5 random characters and `_`].
    #[arg(long)]
    pub prefix: Option<String>,
    /// Registrations in flight.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Every account after the first follows the first.
    #[arg(long)]
    pub follow_author: bool,
    /// Email domain of the accounts.
    #[arg(long, default_value = "example.com")]
    pub email_domain: String,
    /// No progress bar.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// `POST /api/v1/accounts` for account `ticket`; keeps the token from the answer.
struct Registrations {
    uri: Uri,
    app_token: HeaderValue,
    bodies: Vec<Bytes>,
    tokens: Mutex<Vec<Option<String>>>,
    first_error: Mutex<Option<String>>,
}

impl Workload for Registrations {
    fn next(&self, ticket: u64, _: &mut WorkerState) -> Option<Prepared> {
        let body = self.bodies.get(ticket as usize)?.clone();
        Some(Prepared::post_json(0, self.uri.clone(), Some(self.app_token.clone()), body).reading_body())
    }

    fn answered(&self, ticket: u64, status: u16, body: &[u8], _: &mut WorkerState) {
        let token = (200..300).contains(&status).then(|| serde_json::from_slice::<Token>(body).ok()).flatten();
        match token {
            Some(t) => {
                if let Ok(mut tokens) = self.tokens.lock() {
                    tokens[ticket as usize] = Some(t.access_token);
                }
            }
            None => {
                if let Ok(mut first) = self.first_error.lock() {
                    first.get_or_insert_with(|| {
                        format!("{status} {}", String::from_utf8_lossy(&body[..body.len().min(300)]))
                    });
                }
            }
        }
    }
}

/// `POST /api/v1/accounts/:id/follow` with each token in turn.
struct Follows {
    uri: Uri,
    auths: Vec<HeaderValue>,
    ok: AtomicU64,
}

impl Workload for Follows {
    fn next(&self, ticket: u64, _: &mut WorkerState) -> Option<Prepared> {
        let auth = self.auths.get(ticket as usize)?.clone();
        Some(Prepared {
            class: 0,
            method: Method::POST,
            uri: self.uri.clone(),
            auth: Some(auth),
            body: None,
            read_body: false,
        })
    }

    fn answered(&self, _: u64, status: u16, _: &[u8], _: &mut WorkerState) {
        if (200..300).contains(&status) {
            self.ok.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn username(prefix: &str, i: usize) -> String {
    format!("{prefix}{i}")
}

fn default_prefix() -> String {
    let suffix: String = rand::thread_rng().sample_iter(&Alphanumeric).take(5).map(char::from).collect();
    format!("b{}_", suffix.to_lowercase())
}

/// Returns whether every account was made (and followed, if asked).
pub async fn run(args: &RegisterArgs) -> anyhow::Result<bool> {
    anyhow::ensure!(args.count > 0, "--count must be at least 1");
    let target = Target::resolve(&args.url, ClientKind::Conn).await?;
    let mut api = Api::connect(&target).await?;
    let app: Application = api
        .json(
            Method::POST,
            "/api/v1/apps",
            None,
            Some(&serde_json::json!({
                "client_name": "parley-bench",
                "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                "scopes": "read write follow",
            })),
        )
        .await
        .context("registering the app")?;
    let app_token: Token = api
        .json(
            Method::POST,
            "/oauth/token",
            None,
            Some(&serde_json::json!({
                "grant_type": "client_credentials",
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "scope": "read write follow",
            })),
        )
        .await
        .context("getting a client-credentials token")?;

    let prefix = args.prefix.clone().unwrap_or_else(default_prefix);
    let password: String = rand::thread_rng().sample_iter(&Alphanumeric).take(24).map(char::from).collect();
    let bodies = (0..args.count)
        .map(|i| {
            let name = username(&prefix, i);
            let body = serde_json::json!({
                "username": name,
                "email": format!("{name}@{}", args.email_domain),
                "password": password,
                "agreement": true,
                "locale": "en",
            });
            Bytes::from(body.to_string())
        })
        .collect();
    let reg = Arc::new(Registrations {
        uri: target.uri("/api/v1/accounts"),
        app_token: bearer(&app_token.access_token),
        bodies,
        tokens: Mutex::new(vec![None; args.count]),
        first_error: Mutex::new(None),
    });
    let runner =
        Runner { target: target.clone(), threads: 1, timeout: Duration::from_secs(120), progress: !args.quiet };
    let group = Group {
        workers: args.concurrency.clamp(1, args.count),
        workload: reg.clone(),
        requests: Some(args.count as u64),
        duration: None,
        primary: true,
    };
    let outcome =
        runner.run(Load { label: "register".into(), classes: vec!["register".into()], groups: vec![group] }).await?;
    let m = outcome.classes[0].measurement("register", None, 0.0);
    let tokens: Vec<Option<String>> = reg.tokens.lock().map(|t| t.clone()).unwrap_or_default();
    let made: Vec<(String, String)> =
        tokens.iter().enumerate().filter_map(|(i, t)| t.clone().map(|t| (t, username(&prefix, i)))).collect();
    eprintln!("registered {} of {} accounts in {:.1} s ({:.0}/s)", made.len(), args.count, m.seconds, m.ok_throughput);
    if let Some(e) = reg.first_error.lock().ok().and_then(|e| e.clone()) {
        eprintln!("first refusal: {e}");
    }
    anyhow::ensure!(!made.is_empty(), "no account could be registered");
    std::fs::write(&args.out, render(&made)).with_context(|| format!("writing {}", args.out.display()))?;
    eprintln!("wrote {} (line 1, @{}, is the author)", args.out.display(), made[0].1);
    let mut complete = made.len() == args.count;

    if args.follow_author && made.len() > 1 {
        let author = api.verify_credentials(&made[0].0).await?;
        let followers: Vec<String> = made[1..].iter().map(|(t, _)| t.clone()).collect();
        let follows = Arc::new(Follows {
            uri: target.uri(&format!("/api/v1/accounts/{}/follow", author.id)),
            auths: bearer_headers(&followers),
            ok: AtomicU64::new(0),
        });
        let group = Group {
            workers: 32.min(followers.len()),
            workload: follows.clone(),
            requests: Some(followers.len() as u64),
            duration: None,
            primary: true,
        };
        runner.run(Load { label: "follow".into(), classes: vec!["follow".into()], groups: vec![group] }).await?;
        let ok = follows.ok.load(Ordering::Relaxed);
        eprintln!("{ok} of {} accounts now follow @{}", followers.len(), made[0].1);
        complete &= ok == followers.len() as u64;
    }
    Ok(complete)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_valid_mastodon_usernames() {
        let p = default_prefix();
        let name = username(&p, 99_999);
        assert!(name.len() <= 30, "{name}");
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{name}");
    }

    #[test]
    fn registration_answers_become_tokens() {
        let reg = Registrations {
            uri: Uri::from_static("/api/v1/accounts"),
            app_token: HeaderValue::from_static("Bearer app"),
            bodies: vec![Bytes::from_static(b"{}"), Bytes::from_static(b"{}")],
            tokens: Mutex::new(vec![None, None]),
            first_error: Mutex::new(None),
        };
        let mut w = WorkerState::default();
        assert!(reg.next(1, &mut w).unwrap().read_body);
        assert!(reg.next(2, &mut w).is_none());
        reg.answered(0, 200, br#"{"access_token":"tok","token_type":"Bearer"}"#, &mut w);
        reg.answered(1, 422, br#"{"error":"taken"}"#, &mut w);
        assert_eq!(*reg.tokens.lock().unwrap(), vec![Some("tok".to_owned()), None]);
        assert_eq!(reg.first_error.lock().unwrap().as_deref(), Some(r#"422 {"error":"taken"}"#));
    }
}
