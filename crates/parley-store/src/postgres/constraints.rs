//! What a PostgreSQL error means to the use cases: a uniqueness violation
//! names its constraint (the same names as SQLite's indexes, see
//! `migrations/postgres/0001_core.sql`), mapped to the same [`Conflict`] as
//! `sqlite/constraints.rs`; anything else is a backend failure.

use crate::{Conflict, StoreError};

/// PostgreSQL's SQLSTATE for a unique violation.
const UNIQUE_VIOLATION: &str = "23505";

/// Constraints whose violation the use cases act on; every other unique
/// constraint can only be violated by a bug and is reported by name.
const MEANINGFUL: &[(&str, Conflict)] = &[
    ("accounts_username_unique", Conflict::UsernameTaken),
    ("accounts_email_unique", Conflict::EmailTaken),
    // One ballot per account, poll and round, and one vote row per chosen option.
    ("poll_voters_pkey", Conflict::AlreadyVoted),
    ("poll_votes_unique", Conflict::AlreadyVoted),
    ("list_accounts_unique", Conflict::AlreadyListed),
    ("filter_statuses_unique", Conflict::AlreadyFiltered),
];

/// Every other unique constraint of the schema, by name (a `Conflict::Other`
/// needs a `'static` name; the test below checks the list is complete).
const OTHERS: &[&str] = &[
    "accounts_pkey",
    "apps_pkey",
    "apps_client_id",
    "oauth_grants_pkey",
    "tokens_pkey",
    "tokens_token_hash",
    "tokens_lookup",
    "statuses_pkey",
    "statuses_reblog_unique",
    "mentions_pkey",
    "status_tags_pkey",
    "status_edits_pkey",
    "favourites_pkey",
    "favourites_unique",
    "pins_pkey",
    "pins_unique",
    "bookmarks_pkey",
    "bookmarks_unique",
    "suggestion_dismissals_pkey",
    "media_attachments_pkey",
    "follows_pkey",
    "follows_unique",
    "follow_requests_pkey",
    "follow_requests_unique",
    "blocks_pkey",
    "blocks_unique",
    "mutes_pkey",
    "mutes_unique",
    "notifications_pkey",
    "idempotency_keys_pkey",
    "polls_pkey",
    "polls_status_id",
    "poll_options_pkey",
    "poll_votes_pkey",
    "poll_votes_seq",
    "server_keys_pkey",
    "signing_keys_pkey",
    "poll_versions_pkey",
    // A leaf's index is the poll's log size, taken under the poll row's lock.
    "poll_log_leaves_pkey",
    "poll_log_hashes_pkey",
    // Saved with `ON CONFLICT DO NOTHING`: the first signed at a size stays.
    "poll_checkpoints_pkey",
    "poll_cosignatures_pkey",
    "change_log_pkey",
    "change_log_head_pkey",
    "nodes_pkey",
    "markers_pkey",
    "posting_defaults_pkey",
    "conversations_pkey",
    "conversations_unique",
    "conversation_statuses_pkey",
    "scheduled_statuses_pkey",
    "lists_pkey",
    "list_accounts_pkey",
    "filters_pkey",
    "filter_keywords_pkey",
    "filter_statuses_pkey",
    "filter_statuses_unique",
    "schema_migrations_pkey",
];

/// The conflict a violation of the named constraint means.
fn conflict(name: &str) -> Conflict {
    if let Some((_, c)) = MEANINGFUL.iter().find(|(n, _)| *n == name) {
        return *c;
    }
    match OTHERS.iter().find(|n| **n == name) {
        Some(n) => Conflict::Other(n),
        None => Conflict::Other("unlisted unique constraint"),
    }
}

pub fn store_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.code().as_deref() == Some(UNIQUE_VIOLATION)
    {
        let name = db.constraint().unwrap_or_default();
        let conflict = conflict(name);
        if matches!(conflict, Conflict::Other(_)) {
            tracing::error!(constraint = name, error = %e, "unexpected uniqueness violation");
        }
        return StoreError::Conflict(conflict);
    }
    StoreError::Backend(e.to_string())
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        store_error(e)
    }
}

/// Every unique index and constraint of a migrated database, by name (the
/// test that the lists above are complete).
pub async fn schema_unique_names(c: &mut sqlx::PgConnection) -> crate::Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT i.relname::text FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = i.relnamespace
         WHERE x.indisunique AND n.nspname = current_schema() ORDER BY 1",
    )
    .fetch_all(c)
    .await?)
}

/// Whether `name` is listed above (meaningful or not).
pub fn is_listed(name: &str) -> bool {
    MEANINGFUL.iter().any(|(n, _)| *n == name) || OTHERS.contains(&name)
}
