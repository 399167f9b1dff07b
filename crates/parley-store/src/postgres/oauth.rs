//! OAuth applications, authorization codes and access tokens (all secrets hashed).

use parley_core::model::App;
use parley_core::{AccountId, AppId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::rows::{ms, now_ms, sql, time};
use super::write::Write;
use crate::changes::Change;
use crate::types::{Grant, NewApp, NewGrant, NewToken, TokenInfo};
use crate::{Result, StoreError};

const APP_COLUMNS: &str = "id, name, website, redirect_uris, scopes, client_id, created_at, client_secret_hash";

fn app_from_row(r: &PgRow) -> Result<App, sqlx::Error> {
    let uris: &str = r.try_get(3)?;
    Ok(App {
        id: AppId(r.try_get(0)?),
        name: r.try_get(1)?,
        website: r.try_get(2)?,
        redirect_uris: uris.lines().map(str::to_string).collect(),
        scopes: r.try_get(4)?,
        client_id: r.try_get(5)?,
        created_at: time(r.try_get(6)?),
    })
}

pub async fn create_app(w: &mut Write, new: NewApp) -> Result<App> {
    let id = w.next_id();
    sqlx::query(
        "INSERT INTO apps (id, name, website, redirect_uris, scopes, client_id, client_secret_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(&new.name)
    .bind(&new.website)
    .bind(new.redirect_uris.join("\n"))
    .bind(&new.scopes)
    .bind(&new.client_id)
    .bind(&new.client_secret_hash)
    .bind(now_ms())
    .execute(w.c())
    .await?;
    w.append(Change::AppCreated { app: AppId(id) });
    find_app(w.c(), AppId(id)).await?.ok_or(StoreError::NotFound)
}

pub async fn find_app(c: &mut PgConnection, id: AppId) -> Result<Option<App>> {
    let row =
        sqlx::query(sql(format!("SELECT {APP_COLUMNS} FROM apps WHERE id = $1"))).bind(id.0).fetch_optional(c).await?;
    Ok(row.as_ref().map(app_from_row).transpose()?)
}

pub async fn find_app_by_client_id(c: &mut PgConnection, client_id: &str) -> Result<Option<(App, String)>> {
    let row = sqlx::query(sql(format!("SELECT {APP_COLUMNS} FROM apps WHERE client_id = $1")))
        .bind(client_id)
        .fetch_optional(c)
        .await?;
    Ok(match row {
        Some(r) => Some((app_from_row(&r)?, r.try_get(7)?)),
        None => None,
    })
}

/// How long a code is kept after it expires, to recognise a late replay.
const GRANT_KEPT_AFTER_EXPIRY_MS: i64 = 24 * 3600 * 1000;

pub async fn create_grant(w: &mut Write, g: NewGrant) -> Result<()> {
    sqlx::query("DELETE FROM oauth_grants WHERE expires_at < $1")
        .bind(now_ms() - GRANT_KEPT_AFTER_EXPIRY_MS)
        .execute(w.c())
        .await?;
    sqlx::query(
        "INSERT INTO oauth_grants (code_hash, app_id, account_id, scopes, redirect_uri, code_challenge,
                                   code_challenge_method, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&g.code_hash)
    .bind(g.app_id.0)
    .bind(g.account_id.0)
    .bind(&g.scopes)
    .bind(&g.redirect_uri)
    .bind(&g.code_challenge)
    .bind(&g.code_challenge_method)
    .bind(ms(g.expires_at))
    .execute(w.c())
    .await?;
    Ok(())
}

pub async fn find_grant(c: &mut PgConnection, code_hash: &str) -> Result<Option<Grant>> {
    let row = sqlx::query(
        "SELECT app_id, account_id, scopes, redirect_uri, code_challenge, code_challenge_method, expires_at,
                token_hash IS NOT NULL
         FROM oauth_grants WHERE code_hash = $1",
    )
    .bind(code_hash)
    .fetch_optional(c)
    .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(Grant {
        app_id: AppId(r.try_get(0)?),
        account_id: AccountId(r.try_get(1)?),
        scopes: r.try_get(2)?,
        redirect_uri: r.try_get(3)?,
        code_challenge: r.try_get(4)?,
        code_challenge_method: r.try_get(5)?,
        expires_at: time(r.try_get(6)?),
        redeemed: r.try_get(7)?,
    }))
}

pub async fn redeem_grant(w: &mut Write, code_hash: &str, token: NewToken) -> Result<bool> {
    let claimed = sqlx::query("UPDATE oauth_grants SET token_hash = $2 WHERE code_hash = $1 AND token_hash IS NULL")
        .bind(code_hash)
        .bind(&token.token_hash)
        .execute(w.c())
        .await?
        .rows_affected()
        == 1;
    if claimed {
        create_token(w, token).await?;
        return Ok(true);
    }
    let given: Option<Option<String>> = sqlx::query_scalar("SELECT token_hash FROM oauth_grants WHERE code_hash = $1")
        .bind(code_hash)
        .fetch_optional(w.c())
        .await?;
    if let Some(Some(given)) = given
        && sqlx::query("DELETE FROM tokens WHERE token_hash = $1").bind(&given).execute(w.c()).await?.rows_affected()
            > 0
    {
        w.append(Change::TokenRevoked { token_hash: given });
    }
    Ok(false)
}

pub async fn create_token(w: &mut Write, t: NewToken) -> Result<()> {
    let id = w.next_id();
    sqlx::query(
        "INSERT INTO tokens (id, token_hash, app_id, account_id, scopes, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(&t.token_hash)
    .bind(t.app_id.0)
    .bind(t.account_id.map(|a| a.0))
    .bind(&t.scopes)
    .bind(now_ms())
    .execute(w.c())
    .await?;
    Ok(())
}

pub async fn find_token(c: &mut PgConnection, token_hash: &str) -> Result<Option<TokenInfo>> {
    let row = sqlx::query("SELECT app_id, account_id, scopes FROM tokens WHERE token_hash = $1")
        .bind(token_hash)
        .fetch_optional(c)
        .await?;
    let Some(r) = row else { return Ok(None) };
    Ok(Some(TokenInfo {
        app_id: AppId(r.try_get(0)?),
        account_id: r.try_get::<Option<i64>, _>(1)?.map(AccountId),
        scopes: r.try_get(2)?,
    }))
}

pub async fn revoke_token(w: &mut Write, token_hash: &str, app: AppId) -> Result<bool> {
    let revoked = sqlx::query("DELETE FROM tokens WHERE token_hash = $1 AND app_id = $2")
        .bind(token_hash)
        .bind(app.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0;
    if revoked {
        w.append(Change::TokenRevoked { token_hash: token_hash.to_string() });
    }
    Ok(revoked)
}
