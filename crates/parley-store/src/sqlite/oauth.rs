//! OAuth applications, authorization codes and access tokens (all secrets hashed).

use parley_core::model::App;
use parley_core::{AccountId, AppId, IdGenerator};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::changelog::append;
use super::rows::{ms, now_ms, time};
use crate::changes::Change;
use crate::types::{Grant, NewApp, NewGrant, NewToken, TokenInfo};
use crate::{Result, StoreError};

const APP_COLUMNS: &str = "id, name, website, redirect_uris, scopes, client_id, created_at, client_secret_hash";

fn app_from_row(r: &Row<'_>) -> rusqlite::Result<App> {
    let uris: String = r.get(3)?;
    Ok(App {
        id: AppId(r.get(0)?),
        name: r.get(1)?,
        website: r.get(2)?,
        redirect_uris: uris.lines().map(str::to_string).collect(),
        scopes: r.get(4)?,
        client_id: r.get(5)?,
        created_at: time(r.get(6)?),
    })
}

pub fn create_app(c: &Connection, ids: &IdGenerator, new: NewApp) -> Result<App> {
    let id = ids.next_raw();
    c.execute(
        "INSERT INTO apps (id, name, website, redirect_uris, scopes, client_id, client_secret_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            id,
            new.name,
            new.website,
            new.redirect_uris.join("\n"),
            new.scopes,
            new.client_id,
            new.client_secret_hash,
            now_ms()
        ],
    )?;
    append(c, Change::AppCreated { app: AppId(id) })?;
    find_app(c, AppId(id))?.ok_or(StoreError::NotFound)
}

pub fn find_app(c: &Connection, id: AppId) -> Result<Option<App>> {
    Ok(c.prepare_cached(&format!("SELECT {APP_COLUMNS} FROM apps WHERE id = ?1"))?
        .query_row([id.0], app_from_row)
        .optional()?)
}

pub fn find_app_by_client_id(c: &Connection, client_id: &str) -> Result<Option<(App, String)>> {
    Ok(c.prepare_cached(&format!("SELECT {APP_COLUMNS} FROM apps WHERE client_id = ?1"))?
        .query_row([client_id], |r| Ok((app_from_row(r)?, r.get::<_, String>(7)?)))
        .optional()?)
}

/// How long a code is kept after it expires, to recognise a late replay.
const GRANT_KEPT_AFTER_EXPIRY_MS: i64 = 24 * 3600 * 1000;

pub fn create_grant(c: &Connection, g: NewGrant) -> Result<()> {
    c.execute("DELETE FROM oauth_grants WHERE expires_at < ?1", [now_ms() - GRANT_KEPT_AFTER_EXPIRY_MS])?;
    c.execute(
        "INSERT INTO oauth_grants (code_hash, app_id, account_id, scopes, redirect_uri, code_challenge,
                                   code_challenge_method, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            g.code_hash,
            g.app_id.0,
            g.account_id.0,
            g.scopes,
            g.redirect_uri,
            g.code_challenge,
            g.code_challenge_method,
            ms(g.expires_at)
        ],
    )?;
    Ok(())
}

pub fn find_grant(c: &Connection, code_hash: &str) -> Result<Option<Grant>> {
    Ok(c.query_row(
        "SELECT app_id, account_id, scopes, redirect_uri, code_challenge, code_challenge_method, expires_at,
                token_hash IS NOT NULL
         FROM oauth_grants WHERE code_hash = ?1",
        [code_hash],
        |r| {
            Ok(Grant {
                app_id: AppId(r.get(0)?),
                account_id: AccountId(r.get(1)?),
                scopes: r.get(2)?,
                redirect_uri: r.get(3)?,
                code_challenge: r.get(4)?,
                code_challenge_method: r.get(5)?,
                expires_at: time(r.get(6)?),
                redeemed: r.get(7)?,
            })
        },
    )
    .optional()?)
}

pub fn redeem_grant(c: &Connection, ids: &IdGenerator, code_hash: &str, token: NewToken) -> Result<bool> {
    let claimed = c.execute(
        "UPDATE oauth_grants SET token_hash = ?2 WHERE code_hash = ?1 AND token_hash IS NULL",
        params![code_hash, token.token_hash],
    )? == 1;
    if claimed {
        create_token(c, ids, token)?;
        return Ok(true);
    }
    let given: Option<Option<String>> = c
        .query_row("SELECT token_hash FROM oauth_grants WHERE code_hash = ?1", [code_hash], |r| r.get(0))
        .optional()?;
    if let Some(Some(given)) = given
        && c.execute("DELETE FROM tokens WHERE token_hash = ?1", [&given])? > 0
    {
        append(c, Change::TokenRevoked { token_hash: given })?;
    }
    Ok(false)
}

pub fn create_token(c: &Connection, ids: &IdGenerator, t: NewToken) -> Result<()> {
    c.execute(
        "INSERT INTO tokens (id, token_hash, app_id, account_id, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![ids.next_raw(), t.token_hash, t.app_id.0, t.account_id.map(|a| a.0), t.scopes, now_ms()],
    )?;
    Ok(())
}

pub fn find_token(c: &Connection, token_hash: &str) -> Result<Option<TokenInfo>> {
    // The unique index on `token_hash` alone would look equally good to the planner.
    Ok(c.prepare_cached(
        "SELECT app_id, account_id, scopes FROM tokens INDEXED BY tokens_lookup WHERE token_hash = ?1",
    )?
    .query_row([token_hash], |r| {
        Ok(TokenInfo {
            app_id: AppId(r.get(0)?),
            account_id: r.get::<_, Option<i64>>(1)?.map(AccountId),
            scopes: r.get(2)?,
        })
    })
    .optional()?)
}

pub fn revoke_token(c: &Connection, token_hash: &str, app: AppId) -> Result<bool> {
    let revoked =
        c.execute("DELETE FROM tokens WHERE token_hash = ?1 AND app_id = ?2", params![token_hash, app.0])? > 0;
    if revoked {
        append(c, Change::TokenRevoked { token_hash: token_hash.to_string() })?;
    }
    Ok(revoked)
}
