//! Bulk loading for seeding (`parley admin seed`, the demo, load tests) (the
//! twin of `sqlite/bulk.rs`): many rows per statement (`unnest`), no
//! notifications, counters recounted at the end. Not for request paths.

use parley_core::{AccountId, StatusId};

use super::rows::{ms, now_ms};
use super::write::Write;
use crate::Result;
use crate::changes::Change;
use crate::types::{NewAccount, NewStatus, NewToken};

pub async fn accounts(w: &mut Write, accounts: Vec<NewAccount>) -> Result<Vec<AccountId>> {
    let now = now_ms();
    let ids: Vec<i64> =
        accounts.iter().map(|a| a.created_at.map_or_else(|| w.ids.next_raw(), |t| w.ids.at(t))).collect();
    let created: Vec<i64> = accounts.iter().map(|a| a.created_at.map_or(now, ms)).collect();
    let usernames: Vec<&str> = accounts.iter().map(|a| a.username.as_str()).collect();
    let emails: Vec<&str> = accounts.iter().map(|a| a.email.as_str()).collect();
    let hashes: Vec<&str> = accounts.iter().map(|a| a.password_hash.as_str()).collect();
    let names: Vec<&str> = accounts.iter().map(|a| a.display_name.as_str()).collect();
    let roles: Vec<&str> = accounts.iter().map(|a| a.role.as_str()).collect();
    let organisations: Vec<Option<&str>> = accounts.iter().map(|a| a.organisation.as_deref()).collect();
    let approved: Vec<bool> = accounts.iter().map(|a| a.approved).collect();
    sqlx::query(
        "INSERT INTO accounts (id, username, email, password_hash, display_name, created_at, role, organisation, approved)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                              $8::text[], $9::boolean[])",
    )
    .bind(&ids)
    .bind(&usernames)
    .bind(&emails)
    .bind(&hashes)
    .bind(&names)
    .bind(&created)
    .bind(&roles)
    .bind(&organisations)
    .bind(&approved)
    .execute(w.c())
    .await?;
    w.append(Change::Everything);
    Ok(ids.into_iter().map(AccountId).collect())
}

pub async fn tokens(w: &mut Write, tokens: Vec<NewToken>) -> Result<()> {
    let ids: Vec<i64> = tokens.iter().map(|_| w.next_id()).collect();
    let hashes: Vec<&str> = tokens.iter().map(|t| t.token_hash.as_str()).collect();
    let apps: Vec<i64> = tokens.iter().map(|t| t.app_id.0).collect();
    let accounts: Vec<Option<i64>> = tokens.iter().map(|t| t.account_id.map(|a| a.0)).collect();
    let scopes: Vec<&str> = tokens.iter().map(|t| t.scopes.as_str()).collect();
    sqlx::query(
        "INSERT INTO tokens (id, token_hash, app_id, account_id, scopes, created_at)
         SELECT i, h, a, u, s, $6 FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[])
             AS t (i, h, a, u, s)",
    )
    .bind(&ids)
    .bind(&hashes)
    .bind(&apps)
    .bind(&accounts)
    .bind(&scopes)
    .bind(now_ms())
    .execute(w.c())
    .await?;
    Ok(())
}

/// Follows without notifications; duplicates and self-follows are skipped.
pub async fn follows(w: &mut Write, mut pairs: Vec<(AccountId, AccountId)>) -> Result<()> {
    pairs.sort_unstable();
    pairs.retain(|(a, b)| a != b);
    let ids: Vec<i64> = pairs.iter().map(|_| w.next_id()).collect();
    let from: Vec<i64> = pairs.iter().map(|(a, _)| a.0).collect();
    let to: Vec<i64> = pairs.iter().map(|(_, b)| b.0).collect();
    sqlx::query(
        "INSERT INTO follows (id, account_id, target_id)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) ON CONFLICT DO NOTHING",
    )
    .bind(&ids)
    .bind(&from)
    .bind(&to)
    .execute(w.c())
    .await?;
    w.append(Change::Everything);
    Ok(())
}

/// Statuses without mentions or tags (seeding text); IDs follow their times.
pub async fn statuses(w: &mut Write, statuses: Vec<NewStatus>) -> Result<Vec<StatusId>> {
    let now = now_ms();
    let ids: Vec<i64> =
        statuses.iter().map(|s| s.created_at.map_or_else(|| w.ids.next_raw(), |t| w.ids.at(t))).collect();
    let created: Vec<i64> = statuses.iter().map(|s| s.created_at.map_or(now, ms)).collect();
    let authors: Vec<i64> = statuses.iter().map(|s| s.account_id.0).collect();
    let texts: Vec<&str> = statuses.iter().map(|s| s.text.as_str()).collect();
    let html: Vec<&str> = statuses.iter().map(|s| s.content_html.as_str()).collect();
    let visibility: Vec<&str> = statuses.iter().map(|s| s.visibility.as_str()).collect();
    sqlx::query(
        "INSERT INTO statuses (id, account_id, text, content_html, visibility, created_at)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[])",
    )
    .bind(&ids)
    .bind(&authors)
    .bind(&texts)
    .bind(&html)
    .bind(&visibility)
    .bind(&created)
    .execute(w.c())
    .await?;
    w.append(Change::Everything);
    Ok(ids.into_iter().map(StatusId).collect())
}

/// Sets every account's counters from the rows (after bulk loading only).
/// Direct messages are not counted (`counted_in_statuses`).
pub async fn recount(w: &mut Write) -> Result<()> {
    sqlx::query(
        "UPDATE accounts SET
            followers_count = (SELECT count(*) FROM follows WHERE target_id = accounts.id),
            following_count = (SELECT count(*) FROM follows WHERE account_id = accounts.id),
            statuses_count = (SELECT count(*) FROM statuses
                              WHERE account_id = accounts.id AND visibility <> 'direct'),
            last_status_at = (SELECT max(created_at) FROM statuses
                              WHERE account_id = accounts.id AND visibility <> 'direct')",
    )
    .execute(w.c())
    .await?;
    w.append(Change::Everything);
    Ok(())
}
