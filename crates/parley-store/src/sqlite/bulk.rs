//! Bulk loading for seeding (`parley admin seed`, the demo, load tests):
//! many rows per transaction, no notifications, counters recounted at the end.
//! Not for request paths.

use parley_core::{AccountId, IdGenerator, StatusId};
use rusqlite::{Connection, params};

use super::changelog::append;
use super::rows::{ms, now_ms};
use crate::Result;
use crate::changes::Change;
use crate::types::{NewAccount, NewStatus, NewToken};

pub fn accounts(c: &Connection, ids: &IdGenerator, accounts: Vec<NewAccount>) -> Result<Vec<AccountId>> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO accounts (id, username, email, password_hash, display_name, created_at, role, organisation, approved)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut out = Vec::with_capacity(accounts.len());
    for a in accounts {
        let id = match a.created_at {
            Some(t) => ids.at(t),
            None => ids.next_raw(),
        };
        let created = a.created_at.map(ms).unwrap_or_else(now_ms);
        stmt.execute(params![
            id,
            a.username,
            a.email,
            a.password_hash,
            a.display_name,
            created,
            a.role.as_str(),
            a.organisation,
            a.approved
        ])?;
        out.push(AccountId(id));
    }
    append(c, Change::Everything)?;
    Ok(out)
}

pub fn tokens(c: &Connection, ids: &IdGenerator, tokens: Vec<NewToken>) -> Result<()> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO tokens (id, token_hash, app_id, account_id, scopes, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let now = now_ms();
    for t in tokens {
        stmt.execute(params![ids.next_raw(), t.token_hash, t.app_id.0, t.account_id.map(|a| a.0), t.scopes, now])?;
    }
    Ok(())
}

/// Follows without notifications; duplicates and self-follows are skipped.
pub fn follows(c: &Connection, ids: &IdGenerator, mut pairs: Vec<(AccountId, AccountId)>) -> Result<()> {
    // In index order, so the unique index grows at its end instead of at random places.
    pairs.sort_unstable();
    let mut stmt = c.prepare_cached("INSERT OR IGNORE INTO follows (id, account_id, target_id) VALUES (?1, ?2, ?3)")?;
    for (a, b) in pairs.into_iter().filter(|(a, b)| a != b) {
        stmt.execute(params![ids.next_raw(), a.0, b.0])?;
    }
    append(c, Change::Everything)?;
    Ok(())
}

/// Statuses without mentions or tags (seeding text); IDs follow their times.
pub fn statuses(c: &Connection, ids: &IdGenerator, statuses: Vec<NewStatus>) -> Result<Vec<StatusId>> {
    let mut stmt = c.prepare_cached(
        "INSERT INTO statuses (id, account_id, text, content_html, visibility, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut out = Vec::with_capacity(statuses.len());
    for s in statuses {
        let (id, created) = match s.created_at {
            Some(t) => (ids.at(t), ms(t)),
            None => (ids.next_raw(), now_ms()),
        };
        stmt.execute(params![id, s.account_id.0, s.text, s.content_html, s.visibility.as_str(), created])?;
        out.push(StatusId(id));
    }
    append(c, Change::Everything)?;
    Ok(out)
}

/// Sets every account's counters from the rows (after bulk loading only:
/// live writes keep them by atomic increments). Direct messages are not
/// counted: `parley_core::visibility::counted_in_statuses` in SQL.
pub fn recount(c: &Connection) -> Result<()> {
    c.execute_batch(
        "UPDATE accounts SET
            followers_count = (SELECT count(*) FROM follows WHERE target_id = accounts.id),
            following_count = (SELECT count(*) FROM follows WHERE account_id = accounts.id),
            statuses_count = (SELECT count(*) FROM statuses
                              WHERE account_id = accounts.id AND visibility != 'direct'),
            last_status_at = (SELECT max(created_at) FROM statuses
                              WHERE account_id = accounts.id AND visibility != 'direct');",
    )?;
    append(c, Change::Everything)?;
    Ok(())
}
