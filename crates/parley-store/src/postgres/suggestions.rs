//! Follow suggestions on PostgreSQL: the same rule as `sqlite/suggestions.rs`
//! (official accounts first, then the most followed; none followed, asked,
//! blocked either way, muted or dismissed).

use parley_core::AccountId;
use sqlx::PgConnection;

use super::write::Write;
use crate::Result;
use crate::types::SuggestionSource;

/// At most `limit` suggestions for `viewer`, in order (`accounts_suggested`).
pub async fn suggest(
    c: &mut PgConnection,
    viewer: AccountId,
    limit: usize,
) -> Result<Vec<(AccountId, SuggestionSource)>> {
    let rows: Vec<(i64, bool)> = sqlx::query_as(
        "SELECT a.id, a.organisation IS NOT NULL FROM accounts a
         WHERE NOT a.suspended AND a.approved AND a.id <> $1
           AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1 AND f.target_id = a.id)
           AND NOT EXISTS (SELECT 1 FROM follow_requests r WHERE r.account_id = $1 AND r.target_id = a.id)
           AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.account_id = $1 AND b.target_id = a.id)
                                                    OR (b.account_id = a.id AND b.target_id = $1))
           AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $1 AND m.target_id = a.id)
           AND NOT EXISTS (SELECT 1 FROM suggestion_dismissals d WHERE d.account_id = $1 AND d.target_id = a.id)
         ORDER BY (a.organisation IS NOT NULL) DESC, a.followers_count DESC, a.id DESC
         LIMIT $2",
    )
    .bind(viewer.0)
    .bind(limit as i64)
    .fetch_all(c)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, official)| {
            (AccountId(id), if official { SuggestionSource::Featured } else { SuggestionSource::MostFollowed })
        })
        .collect())
}

/// `viewer` no longer wants `target` suggested (idempotent).
pub async fn dismiss(w: &mut Write, viewer: AccountId, target: AccountId) -> Result<()> {
    sqlx::query("INSERT INTO suggestion_dismissals (account_id, target_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(viewer.0)
        .bind(target.0)
        .execute(w.c())
        .await?;
    Ok(())
}
