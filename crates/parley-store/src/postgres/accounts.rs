//! Accounts, their credentials and their posting defaults.

use parley_core::AccountId;
use parley_core::model::{Account, PostingDefaults, Visibility};
use parley_core::page::PageRequest;
use sqlx::{PgConnection, Row};

use super::rows::{ACCOUNT_COLUMNS, Window, account_from_row, map_rows, ms, now_ms, sql, window_clause};
use super::write::Write;
use crate::changes::Change;
use crate::types::{AdminUpdate, Credentials, NewAccount, PostingDefaultsUpdate, ProfileUpdate};
use crate::{Result, StoreError};

pub async fn create(w: &mut Write, new: NewAccount) -> Result<Account> {
    let id = w.next_id();
    let created = new.created_at.map(ms).unwrap_or_else(now_ms);
    sqlx::query(
        "INSERT INTO accounts (id, username, email, password_hash, display_name, created_at, role, organisation, approved)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(&new.username)
    .bind(&new.email)
    .bind(&new.password_hash)
    .bind(&new.display_name)
    .bind(created)
    .bind(new.role.as_str())
    .bind(&new.organisation)
    .bind(new.approved)
    .execute(w.c())
    .await?;
    w.append(Change::AccountCreated { account: AccountId(id) });
    find(w.c(), AccountId(id)).await?.ok_or(StoreError::NotFound)
}

pub async fn find(c: &mut PgConnection, id: AccountId) -> Result<Option<Account>> {
    let row = sqlx::query(sql(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1")))
        .bind(id.0)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(account_from_row).transpose()?)
}

pub async fn find_many(c: &mut PgConnection, ids: &[AccountId]) -> Result<Vec<Account>> {
    let raw: Vec<i64> = ids.iter().map(|i| i.0).collect();
    let rows = sqlx::query(sql(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ANY($1)")))
        .bind(&raw)
        .fetch_all(c)
        .await?;
    let found = map_rows(&rows, account_from_row)?;
    // Keep the caller's order.
    Ok(ids.iter().filter_map(|id| found.iter().find(|a| a.id == *id).cloned()).collect())
}

pub async fn find_by_username(c: &mut PgConnection, username: &str) -> Result<Option<Account>> {
    let row = sqlx::query(sql(format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE lower(username) = lower($1)")))
        .bind(username)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(account_from_row).transpose()?)
}

pub async fn find_credentials(c: &mut PgConnection, login: &str) -> Result<Option<Credentials>> {
    let row = sqlx::query(
        "SELECT id, password_hash FROM accounts
         WHERE (lower(email) = lower($1) OR lower(username) = lower($1)) AND password_hash IS NOT NULL",
    )
    .bind(login)
    .fetch_optional(c)
    .await?;
    Ok(match row {
        Some(r) => Some(Credentials { account_id: AccountId(r.try_get(0)?), password_hash: r.try_get(1)? }),
        None => None,
    })
}

pub async fn update_profile(w: &mut Write, id: AccountId, u: ProfileUpdate) -> Result<Account> {
    if let Some(name) = u.display_name {
        sqlx::query("UPDATE accounts SET display_name = $2 WHERE id = $1").bind(id.0).bind(name).execute(w.c()).await?;
    }
    if let Some((note, html)) = u.note {
        sqlx::query("UPDATE accounts SET note = $2, note_html = $3 WHERE id = $1")
            .bind(id.0)
            .bind(note)
            .bind(html)
            .execute(w.c())
            .await?;
    }
    if let Some(fields) = u.fields {
        let json = serde_json::to_string(&fields).map_err(|e| StoreError::Backend(e.to_string()))?;
        sqlx::query("UPDATE accounts SET fields = $2 WHERE id = $1").bind(id.0).bind(json).execute(w.c()).await?;
    }
    if let Some(locked) = u.locked {
        sqlx::query("UPDATE accounts SET locked = $2 WHERE id = $1").bind(id.0).bind(locked).execute(w.c()).await?;
    }
    if let Some(bot) = u.bot {
        sqlx::query("UPDATE accounts SET bot = $2 WHERE id = $1").bind(id.0).bind(bot).execute(w.c()).await?;
    }
    if !u.posting_defaults.is_empty() {
        update_posting_defaults(w.c(), id, &u.posting_defaults).await?;
    }
    w.append(Change::ProfileUpdated { account: id });
    find(w.c(), id).await?.ok_or(StoreError::NotFound)
}

pub async fn update_admin(w: &mut Write, id: AccountId, u: AdminUpdate) -> Result<Account> {
    if find(w.c(), id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    if let Some(role) = u.role {
        sqlx::query("UPDATE accounts SET role = $2 WHERE id = $1")
            .bind(id.0)
            .bind(role.as_str())
            .execute(w.c())
            .await?;
    }
    if let Some(org) = u.organisation {
        sqlx::query("UPDATE accounts SET organisation = $2 WHERE id = $1").bind(id.0).bind(org).execute(w.c()).await?;
    }
    if let Some(approved) = u.approved {
        sqlx::query("UPDATE accounts SET approved = $2 WHERE id = $1").bind(id.0).bind(approved).execute(w.c()).await?;
    }
    if let Some(suspended) = u.suspended {
        sqlx::query("UPDATE accounts SET suspended = $2 WHERE id = $1")
            .bind(id.0)
            .bind(suspended)
            .execute(w.c())
            .await?;
        if suspended {
            // A suspended account's sessions end at once.
            sqlx::query("DELETE FROM tokens WHERE account_id = $1").bind(id.0).execute(w.c()).await?;
            w.append(Change::TokensRevoked { account: id });
        }
    }
    w.append(Change::StandingChanged { account: id, suspension: u.suspended.is_some() || u.approved.is_some() });
    find(w.c(), id).await?.ok_or(StoreError::NotFound)
}

pub async fn reset_password(w: &mut Write, id: AccountId, hash: &str) -> Result<()> {
    let changed = sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
        .bind(id.0)
        .bind(hash)
        .execute(w.c())
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("DELETE FROM tokens WHERE account_id = $1").bind(id.0).execute(w.c()).await?;
    sqlx::query("DELETE FROM oauth_grants WHERE account_id = $1").bind(id.0).execute(w.c()).await?;
    w.append(Change::TokensRevoked { account: id });
    Ok(())
}

pub async fn list(c: &mut PgConnection, page: PageRequest) -> Result<Vec<Account>> {
    let win = Window::new(page);
    let rows = sqlx::query(sql(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {}",
        window_clause(&win, "id", 1, 2, 3)
    )))
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(map_rows(&rows, account_from_row)?))
}

/// Accounts whose username or display name starts with (or contains) the
/// query, exact username matches first (as `sqlite/accounts.rs::search`).
pub async fn search(c: &mut PgConnection, query: &str, limit: usize) -> Result<Vec<Account>> {
    let q = query.trim().trim_start_matches('@');
    let q = q.split('@').next().unwrap_or_default();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let rows = sqlx::query(sql(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts
         WHERE {} AND (username ILIKE $1 ESCAPE '\\' OR display_name ILIKE $2 ESCAPE '\\')
         ORDER BY (lower(username) = lower($3)) DESC, (username ILIKE $1 ESCAPE '\\') DESC, followers_count DESC, id
         LIMIT $4",
        super::visibility::account_shown_to_others("accounts")
    )))
    .bind(format!("{escaped}%"))
    .bind(format!("%{escaped}%"))
    .bind(q)
    .bind(limit as i64)
    .fetch_all(c)
    .await?;
    map_rows(&rows, account_from_row)
}

pub async fn count_shown(c: &mut PgConnection) -> Result<i64> {
    // Those shown to others (`account_shown`): Mastodon counts neither
    // suspended accounts nor users awaiting approval.
    Ok(sqlx::query_scalar(sql(format!(
        "SELECT count(*) FROM accounts WHERE {}",
        super::visibility::account_shown_to_others("accounts")
    )))
    .fetch_one(c)
    .await?)
}

pub async fn posting_defaults(c: &mut PgConnection, account: AccountId) -> Result<PostingDefaults> {
    let row: Option<(String, bool, Option<String>)> =
        sqlx::query_as("SELECT visibility, sensitive, language FROM posting_defaults WHERE account_id = $1")
            .bind(account.0)
            .fetch_optional(c)
            .await?;
    Ok(match row {
        Some((visibility, sensitive, language)) => PostingDefaults {
            // Written from a `Visibility`; anything else is the default.
            visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Public),
            sensitive,
            language,
        },
        None => PostingDefaults::default(),
    })
}

/// Changes the given defaults in place (no read-modify-write).
async fn update_posting_defaults(c: &mut PgConnection, account: AccountId, u: &PostingDefaultsUpdate) -> Result<()> {
    let initial = PostingDefaults::default();
    sqlx::query(
        "INSERT INTO posting_defaults (account_id, visibility, sensitive, language)
         VALUES ($1, coalesce($2, $5), coalesce($3, $6), CASE WHEN $4 THEN $7 ELSE NULL END)
         ON CONFLICT (account_id) DO UPDATE
             SET visibility = coalesce($2, posting_defaults.visibility),
                 sensitive = coalesce($3, posting_defaults.sensitive),
                 language = CASE WHEN $4 THEN $7 ELSE posting_defaults.language END",
    )
    .bind(account.0)
    .bind(u.visibility.map(|v| v.as_str()))
    .bind(u.sensitive)
    .bind(u.language.is_some())
    .bind(initial.visibility.as_str())
    .bind(initial.sensitive)
    .bind(u.language.clone().flatten())
    .execute(c)
    .await?;
    Ok(())
}
