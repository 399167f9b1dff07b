//! Accounts, their credentials and their posting defaults.

use parley_core::model::{Account, PostingDefaults, Visibility};
use parley_core::page::PageRequest;
use parley_core::{AccountId, IdGenerator};
use rusqlite::{Connection, OptionalExtension, named_params, params};

use super::changelog::append;
use super::rows::{ACCOUNT_COLUMNS, SqlWindow, Window, account_from_row, json_ids, ms, now_ms};
use crate::changes::Change;
use crate::types::{AdminUpdate, Credentials, NewAccount, PostingDefaultsUpdate, ProfileUpdate};
use crate::{Result, StoreError};

pub fn create(c: &Connection, ids: &IdGenerator, new: NewAccount) -> Result<Account> {
    let id = ids.next_raw();
    let created = new.created_at.map(ms).unwrap_or_else(now_ms);
    c.prepare_cached(
        "INSERT INTO accounts (id, username, email, password_hash, display_name, created_at, role, organisation, approved)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        id,
        new.username,
        new.email,
        new.password_hash,
        new.display_name,
        created,
        new.role.as_str(),
        new.organisation,
        new.approved
    ])
    ?;
    append(c, Change::AccountCreated { account: AccountId(id) })?;
    find(c, AccountId(id))?.ok_or(StoreError::NotFound)
}

pub fn find(c: &Connection, id: AccountId) -> Result<Option<Account>> {
    Ok(c.prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"))?
        .query_row([id.0], account_from_row)
        .optional()?)
}

pub fn find_many(c: &Connection, ids: &[AccountId]) -> Result<Vec<Account>> {
    if let [id] = ids {
        // One point read needs no JSON list to be built and parsed.
        return Ok(find(c, *id)?.into_iter().collect());
    }
    let list = json_ids(ids.iter().map(|i| i.0));
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id IN (SELECT value FROM json_each(?1))"
    ))?;
    let found = stmt.query_map([list], account_from_row)?.collect::<rusqlite::Result<Vec<Account>>>()?;
    // Keep the caller's order.
    Ok(ids.iter().filter_map(|id| found.iter().find(|a| a.id == *id).cloned()).collect())
}

pub fn find_by_username(c: &Connection, username: &str) -> Result<Option<Account>> {
    Ok(c.prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE username = ?1 COLLATE NOCASE"))?
        .query_row([username], account_from_row)
        .optional()?)
}

pub fn find_credentials(c: &Connection, login: &str) -> Result<Option<Credentials>> {
    Ok(c.prepare_cached(
        "SELECT id, password_hash FROM accounts
         WHERE (email = ?1 COLLATE NOCASE OR username = ?1 COLLATE NOCASE) AND password_hash IS NOT NULL",
    )?
    .query_row([login], |r| Ok(Credentials { account_id: AccountId(r.get(0)?), password_hash: r.get(1)? }))
    .optional()?)
}

pub fn update_profile(c: &Connection, id: AccountId, u: ProfileUpdate) -> Result<Account> {
    if let Some(name) = u.display_name {
        c.execute("UPDATE accounts SET display_name = ?2 WHERE id = ?1", params![id.0, name])?;
    }
    if let Some((note, html)) = u.note {
        c.execute("UPDATE accounts SET note = ?2, note_html = ?3 WHERE id = ?1", params![id.0, note, html])?;
    }
    if let Some(fields) = u.fields {
        let json = serde_json::to_string(&fields).map_err(|e| StoreError::Backend(e.to_string()))?;
        c.execute("UPDATE accounts SET fields = ?2 WHERE id = ?1", params![id.0, json])?;
    }
    if let Some(locked) = u.locked {
        c.execute("UPDATE accounts SET locked = ?2 WHERE id = ?1", params![id.0, locked])?;
    }
    if let Some(bot) = u.bot {
        c.execute("UPDATE accounts SET bot = ?2 WHERE id = ?1", params![id.0, bot])?;
    }
    if !u.posting_defaults.is_empty() {
        update_posting_defaults(c, id, &u.posting_defaults)?;
    }
    if let Some(avatar) = u.avatar {
        c.execute("UPDATE accounts SET avatar = ?2 WHERE id = ?1", params![id.0, avatar])?;
    }
    if let Some(header) = u.header {
        c.execute("UPDATE accounts SET header = ?2 WHERE id = ?1", params![id.0, header])?;
    }
    append(c, Change::ProfileUpdated { account: id })?;
    find(c, id)?.ok_or(StoreError::NotFound)
}

pub fn update_admin(c: &Connection, id: AccountId, u: AdminUpdate) -> Result<Account> {
    if find(c, id)?.is_none() {
        return Err(StoreError::NotFound);
    }
    if let Some(role) = u.role {
        c.execute("UPDATE accounts SET role = ?2 WHERE id = ?1", params![id.0, role.as_str()])?;
    }
    if let Some(org) = u.organisation {
        c.execute("UPDATE accounts SET organisation = ?2 WHERE id = ?1", params![id.0, org])?;
    }
    if let Some(approved) = u.approved {
        c.execute("UPDATE accounts SET approved = ?2 WHERE id = ?1", params![id.0, approved])?;
    }
    if let Some(suspended) = u.suspended {
        c.execute("UPDATE accounts SET suspended = ?2 WHERE id = ?1", params![id.0, suspended])?;
        if suspended {
            // A suspended account's sessions end at once.
            c.execute("DELETE FROM tokens WHERE account_id = ?1", [id.0])?;
            append(c, Change::TokensRevoked { account: id })?;
        }
    }
    append(c, Change::StandingChanged { account: id, suspension: u.suspended.is_some() || u.approved.is_some() })?;
    find(c, id)?.ok_or(StoreError::NotFound)
}

pub fn reset_password(c: &Connection, id: AccountId, hash: &str) -> Result<()> {
    let changed = c.execute("UPDATE accounts SET password_hash = ?2 WHERE id = ?1", params![id.0, hash])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    c.execute("DELETE FROM tokens WHERE account_id = ?1", [id.0])?;
    c.execute("DELETE FROM oauth_grants WHERE account_id = ?1", [id.0])?;
    append(c, Change::TokensRevoked { account: id })?;
    Ok(())
}

pub fn list(c: &Connection, page: PageRequest) -> Result<Vec<Account>> {
    let w = Window::new(page);
    let mut stmt = c.prepare_cached(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE {}", w.clause("id")))?;
    let rows = stmt
        .query_map(named_params! {":max": w.max, ":min": w.min, ":limit": w.limit}, account_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(w.finish(rows))
}

/// Accounts whose username or display name starts with (or contains) the query,
/// exact username matches first.
pub fn search(c: &Connection, query: &str, limit: usize) -> Result<Vec<Account>> {
    let q = query.trim().trim_start_matches('@');
    let q = q.split('@').next().unwrap_or_default();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let escaped = q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts
         WHERE {} AND (username LIKE ?1 ESCAPE '\\' OR display_name LIKE ?2 ESCAPE '\\')
         ORDER BY (username = ?3 COLLATE NOCASE) DESC, (username LIKE ?1 ESCAPE '\\') DESC, followers_count DESC, id
         LIMIT ?4 + 0",
        super::visibility::account_shown_to_others("accounts")
    ))?;
    let rows = stmt
        .query_map(params![format!("{escaped}%"), format!("%{escaped}%"), q, limit as i64], account_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn posting_defaults(c: &Connection, account: AccountId) -> Result<PostingDefaults> {
    let row = c
        .prepare_cached("SELECT visibility, sensitive, language FROM posting_defaults WHERE account_id = ?1")?
        .query_row([account.0], |r| Ok((r.get::<_, String>(0)?, r.get::<_, bool>(1)?, r.get::<_, Option<String>>(2)?)))
        .optional()?;
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

/// Changes the given defaults in place (no read-modify-write); nothing is
/// derived from them, so no change record of their own.
fn update_posting_defaults(c: &Connection, account: AccountId, u: &PostingDefaultsUpdate) -> Result<()> {
    let initial = PostingDefaults::default();
    c.prepare_cached(
        "INSERT INTO posting_defaults (account_id, visibility, sensitive, language)
         VALUES (?1, coalesce(?2, ?5), coalesce(?3, ?6), CASE WHEN ?4 THEN ?7 ELSE NULL END)
         ON CONFLICT (account_id) DO UPDATE
             SET visibility = coalesce(?2, visibility), sensitive = coalesce(?3, sensitive),
                 language = CASE WHEN ?4 THEN ?7 ELSE language END",
    )?
    .execute(params![
        account.0,
        u.visibility.map(|v| v.as_str()),
        u.sensitive,
        u.language.is_some(),
        initial.visibility.as_str(),
        initial.sensitive,
        u.language.clone().flatten(),
    ])?;
    Ok(())
}
