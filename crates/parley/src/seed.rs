//! `parley admin seed`: a realistic population for load tests, written
//! straight through the store's bulk methods (100,000 accounts in seconds).
//!
//! Shape: one official account (followed by about nine in ten accounts),
//! every account following others with a power-law preference for popular
//! (low-numbered) accounts, statuses spread over the last 30 days with the
//! same preference. Prints a tokens file: the official account first.

use std::io::Write;
use std::time::Instant;

use anyhow::Context;
use chrono::{Duration, Utc};
use parley_app::Services;
use parley_app::accounts::AccountSpec;
use parley_core::AccountId;
use parley_core::model::{Role, Visibility};
use parley_core::scope::Scopes;
use parley_store::{NewAccount, NewStatus, NewToken};
use rand::{Rng, SeedableRng};

pub struct SeedArgs {
    pub accounts: usize,
    pub follows_per_account: usize,
    pub statuses: usize,
    pub prefix: String,
    pub tokens_out: std::path::PathBuf,
    pub seed: u64,
}

const CHUNK: usize = 10_000;

/// A rank in `0..n` drawn log-uniformly: P(rank) ∝ 1/(rank+1), a power law.
fn power_law(rng: &mut impl Rng, n: usize) -> usize {
    let u: f64 = rng.gen_range(0.0..1.0);
    (((n as f64 + 1.0).ln() * u).exp() as usize).saturating_sub(1).min(n.saturating_sub(1))
}

pub async fn seed(services: &Services, args: SeedArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let store = &services.ctx.store;
    let fail = |e: parley_app::AppError| anyhow::anyhow!("{e}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed);
    let n = args.accounts.max(1);

    let (app, _) = services
        .auth
        .register_app("parley seed", vec![parley_app::auth::OOB_REDIRECT.into()], Some("read write follow"), None)
        .await
        .map_err(fail)?;
    let official = services
        .accounts
        .create(AccountSpec {
            username: format!("{}_official", args.prefix),
            email: format!("{}_official@seed.parley.invalid", args.prefix),
            password: "seed-password-2018".into(),
            role: Role::User,
            organisation: Some("Ministry of Load Testing".into()),
            approved: true,
            display_name: Some("Official account".into()),
            joined: None,
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e} (is there already a seed with prefix {:?}? use --prefix)", args.prefix))?;
    let hash = store.find_credentials(&official.username).await?.context("official credentials")?.password_hash;

    // Accounts: the official one is index 0.
    let mut ids: Vec<AccountId> = vec![official.id];
    let joined = Utc::now() - Duration::days(400);
    for chunk_start in (1..n).step_by(CHUNK) {
        let batch: Vec<NewAccount> = (chunk_start..(chunk_start + CHUNK).min(n))
            .map(|i| NewAccount {
                username: format!("{}{i}", args.prefix),
                email: format!("{}{i}@seed.parley.invalid", args.prefix),
                password_hash: hash.clone(),
                display_name: String::new(),
                role: Role::User,
                organisation: None,
                approved: true,
                created_at: Some(joined + Duration::seconds(i as i64)),
            })
            .collect();
        ids.extend(store.bulk_insert_accounts(batch).await?);
    }
    let t_accounts = started.elapsed();

    // Tokens, written as they are made (the plain tokens exist only in the file).
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(&args.tokens_out)
            .with_context(|| format!("cannot write {}", args.tokens_out.display()))?,
    );
    let scopes = Scopes::parse("read write follow").unwrap_or_default().to_string();
    for (chunk_index, chunk) in ids.chunks(CHUNK).enumerate() {
        let mut batch = Vec::with_capacity(chunk.len());
        for (j, id) in chunk.iter().enumerate() {
            let (token, token_hash) = parley_app::auth::new_token();
            let i = chunk_index * CHUNK + j;
            let username = if i == 0 { official.username.clone() } else { format!("{}{i}", args.prefix) };
            writeln!(out, "{token}\t{id}\t{username}")?;
            batch.push(NewToken { token_hash, app_id: app.id, account_id: Some(*id), scopes: scopes.clone() });
        }
        store.bulk_insert_tokens(batch).await?;
    }
    out.flush()?;
    let t_tokens = started.elapsed();

    // Follows: ~90% follow the official account; the rest by power law.
    let mut follows = Vec::with_capacity(CHUNK * 8);
    let mut total_follows = 0usize;
    for (i, me) in ids.iter().enumerate().skip(1) {
        if rng.gen_bool(0.9) {
            follows.push((*me, ids[0]));
        }
        for _ in 0..args.follows_per_account {
            let target = power_law(&mut rng, n);
            if target != i {
                follows.push((*me, ids[target]));
            }
        }
        if follows.len() >= 500_000 {
            total_follows += follows.len();
            store.bulk_insert_follows(std::mem::take(&mut follows)).await?;
        }
    }
    total_follows += follows.len();
    store.bulk_insert_follows(follows).await?;
    let t_follows = started.elapsed();

    // Statuses over the last 30 days, in time order.
    let span_ms = Duration::days(30).num_milliseconds();
    let first = Utc::now() - Duration::days(30);
    let mut batch = Vec::with_capacity(CHUNK);
    for k in 0..args.statuses {
        let author = power_law(&mut rng, n);
        let at = first + Duration::milliseconds(span_ms * k as i64 / args.statuses.max(1) as i64);
        let text = format!("Seed status {k} about the consulates, from account {author}.");
        batch.push(NewStatus {
            account_id: ids[author],
            content_html: format!("<p>{text}</p>"),
            text,
            spoiler_text: String::new(),
            sensitive: false,
            visibility: Visibility::Public,
            language: Some("en".into()),
            in_reply_to: None,
            mentions: Vec::new(),
            tags: Vec::new(),
            app: None,
            idempotency_key: None,
            created_at: Some(at),
            poll: None,
        });
        if batch.len() >= CHUNK {
            store.bulk_insert_statuses(std::mem::take(&mut batch)).await?;
        }
    }
    store.bulk_insert_statuses(batch).await?;
    let t_statuses = started.elapsed();
    store.recount_account_counters().await?;

    println!(
        "seeded {n} accounts ({:.1}s), {n} tokens ({:.1}s), {total_follows} follows ({:.1}s), {} statuses ({:.1}s); counters {:.1}s; total {:.1}s",
        t_accounts.as_secs_f64(),
        (t_tokens - t_accounts).as_secs_f64(),
        (t_follows - t_tokens).as_secs_f64(),
        args.statuses,
        (t_statuses - t_follows).as_secs_f64(),
        (started.elapsed() - t_statuses).as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    println!("tokens (official account first): {}", args.tokens_out.display());
    Ok(())
}
