//! Follow suggestions: accounts `viewer` might follow, official ones first,
//! then the most followed, without the ones they follow, asked to follow,
//! block, are blocked by, mute or dismissed. No derived state reads them, so
//! a dismissal appends no change record.

use parley_core::AccountId;
use rusqlite::{Connection, params};

use crate::Result;
use crate::types::SuggestionSource;

/// At most `limit` suggestions for `viewer`, in order (`accounts_suggested`).
pub fn suggest(c: &Connection, viewer: AccountId, limit: usize) -> Result<Vec<(AccountId, SuggestionSource)>> {
    let rows = c
        .prepare_cached(
            "SELECT a.id, a.organisation IS NOT NULL FROM accounts a INDEXED BY accounts_suggested
             WHERE a.suspended = 0 AND a.approved = 1 AND a.id <> ?1
               AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.account_id = ?1 AND f.target_id = a.id)
               AND NOT EXISTS (SELECT 1 FROM follow_requests r WHERE r.account_id = ?1 AND r.target_id = a.id)
               AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = ?1 AND b.target_id = a.id)
                                                        OR (b.account_id = a.id AND b.target_id = ?1))
               AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = ?1 AND m.target_id = a.id)
               AND NOT EXISTS (SELECT 1 FROM suggestion_dismissals d WHERE d.account_id = ?1 AND d.target_id = a.id)
             ORDER BY (a.organisation IS NOT NULL) DESC, a.followers_count DESC, a.id DESC
             LIMIT ?2",
        )?
        .query_map(params![viewer.0, limit as i64], |r| {
            let official: bool = r.get(1)?;
            Ok((
                AccountId(r.get(0)?),
                if official { SuggestionSource::Featured } else { SuggestionSource::MostFollowed },
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// `viewer` no longer wants `target` suggested (idempotent).
pub fn dismiss(c: &Connection, viewer: AccountId, target: AccountId) -> Result<()> {
    c.prepare_cached("INSERT OR IGNORE INTO suggestion_dismissals (account_id, target_id) VALUES (?1, ?2)")?
        .execute(params![viewer.0, target.0])?;
    Ok(())
}
