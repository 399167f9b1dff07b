//! `parley admin …`: account administration from the command line.

use anyhow::{Context, bail};
use parley_app::accounts::AccountSpec;
use parley_app::{AdminUpdate, Services};
use parley_core::model::{Account, Role};
use parley_core::page::PageRequest;

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
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(" ({})", flags.join(", "))
    };
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
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("created {}", describe(&account));
    Ok(())
}

pub async fn list(services: &Services) -> anyhow::Result<()> {
    let mut page = PageRequest::new(None, None, None, Some(200), 200, 200);
    loop {
        let accounts = services
            .accounts
            .list(page)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
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

pub async fn update(
    services: &Services,
    username: &str,
    update: AdminUpdate,
) -> anyhow::Result<()> {
    let account = find(services, username).await?;
    let account = services
        .accounts
        .admin_update(account.id, update)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("updated {}", describe(&account));
    Ok(())
}

/// Sets a new password (generated when none is given) and revokes every token.
pub async fn reset_password(
    services: &Services,
    username: &str,
    password: Option<String>,
) -> anyhow::Result<()> {
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
    println!(
        "password of @{} reset; every token of the account is revoked",
        account.username
    );
    if generated {
        println!("new password: {password}");
    }
    Ok(())
}

fn random_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
