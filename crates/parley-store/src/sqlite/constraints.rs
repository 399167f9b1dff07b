//! The schema's uniqueness constraints by name, and what a violation of each
//! means to the use cases: one table, in one place.
//!
//! SQLite reports a violation with an extended result code
//! (`SQLITE_CONSTRAINT_UNIQUE`, or `_PRIMARYKEY` for a composite primary key)
//! and names the table and columns (`UNIQUE constraint failed:
//! poll_voters.poll_id, poll_voters.account_id`), not the index, except for
//! an index on an expression (`UNIQUE constraint failed: index 'name'`). So
//! each constraint is listed with its table and columns, and a violation is
//! mapped by (code, table, columns), never by searching the message for a
//! word. A test checks that every unique index of the migrated schema is
//! listed here, so a new one cannot be forgotten.

use rusqlite::ffi;

use crate::{Conflict, StoreError};

/// A uniqueness constraint of the schema.
struct Unique {
    /// The index's name in the migrations (SQLite's own for an inline `UNIQUE`
    /// or composite `PRIMARY KEY`: `sqlite_autoindex_<table>_<n>`).
    name: &'static str,
    table: &'static str,
    columns: &'static [&'static str],
    /// What a violation means; `Conflict::Other` (named) when it means a bug.
    conflict: Conflict,
}

const fn unique(
    name: &'static str,
    table: &'static str,
    columns: &'static [&'static str],
    conflict: Conflict,
) -> Unique {
    Unique { name, table, columns, conflict }
}

/// Violations the use cases act on, then those that can only be a bug (an ID
/// or a random token drawn twice, a writer that lost its place) and are
/// reported as such, by name.
const UNIQUE: &[Unique] = &[
    unique("accounts_username_unique", "accounts", &["username"], Conflict::UsernameTaken),
    unique("accounts_email_unique", "accounts", &["email"], Conflict::EmailTaken),
    // One ballot per account, poll and round, and one vote row per chosen option.
    unique("poll_voters_pkey", "poll_voters", &["poll_id", "round", "account_id"], Conflict::AlreadyVoted),
    unique("poll_votes_unique", "poll_votes", &["poll_id", "round", "account_id", "choice"], Conflict::AlreadyVoted),
    // A leaf's index is the poll's log size, taken and incremented in the ballot's transaction.
    unique(
        "poll_log_leaves_pkey",
        "poll_log_leaves",
        &["poll_id", "leaf_index"],
        Conflict::Other("poll_log_leaves_pkey"),
    ),
    unique(
        "poll_log_hashes_pkey",
        "poll_log_hashes",
        &["poll_id", "level", "idx"],
        Conflict::Other("poll_log_hashes_pkey"),
    ),
    // Saved with `INSERT OR IGNORE`: the first checkpoint signed at a size stays.
    unique(
        "poll_checkpoints_pkey",
        "poll_checkpoints",
        &["poll_id", "tree_size"],
        Conflict::Other("poll_checkpoints_pkey"),
    ),
    // Saved with `INSERT OR IGNORE`: a witness's first cosignature of a size stays.
    unique(
        "poll_cosignatures_pkey",
        "poll_cosignatures",
        &["poll_id", "tree_size", "witness", "public_key"],
        Conflict::Other("poll_cosignatures_pkey"),
    ),
    unique("poll_versions_pkey", "poll_versions", &["poll_id", "version"], Conflict::Other("poll_versions_pkey")),
    unique("poll_votes_seq", "poll_votes", &["poll_id", "seq"], Conflict::Other("poll_votes_seq")),
    unique("polls_status_id", "polls", &["status_id"], Conflict::Other("polls_status_id")),
    unique("poll_options_pkey", "poll_options", &["poll_id", "position"], Conflict::Other("poll_options_pkey")),
    unique("apps_client_id", "apps", &["client_id"], Conflict::Other("apps_client_id")),
    unique("tokens_token_hash", "tokens", &["token_hash"], Conflict::Other("tokens_token_hash")),
    unique(
        "tokens_lookup",
        "tokens",
        &["token_hash", "app_id", "account_id", "scopes"],
        Conflict::Other("tokens_lookup"),
    ),
    unique("oauth_grants_pkey", "oauth_grants", &["code_hash"], Conflict::Other("oauth_grants_pkey")),
    unique(
        "statuses_reblog_unique",
        "statuses",
        &["account_id", "reblog_of_id"],
        Conflict::Other("statuses_reblog_unique"),
    ),
    unique("mentions_pkey", "mentions", &["status_id", "account_id"], Conflict::Other("mentions_pkey")),
    unique("status_tags_pkey", "status_tags", &["tag", "status_id"], Conflict::Other("status_tags_pkey")),
    // Checked first in the same transaction (`statuses::insert`).
    unique(
        "idempotency_keys_pkey",
        "idempotency_keys",
        &["account_id", "key"],
        Conflict::Other("idempotency_keys_pkey"),
    ),
    unique("server_keys_pkey", "server_keys", &["name"], Conflict::Other("server_keys_pkey")),
    unique("favourites_unique", "favourites", &["account_id", "status_id"], Conflict::Other("favourites_unique")),
    unique("pins_unique", "pins", &["account_id", "status_id"], Conflict::Other("pins_unique")),
    unique("follows_unique", "follows", &["account_id", "target_id"], Conflict::Other("follows_unique")),
    unique(
        "follow_requests_unique",
        "follow_requests",
        &["account_id", "target_id"],
        Conflict::Other("follow_requests_unique"),
    ),
    unique("blocks_unique", "blocks", &["account_id", "target_id"], Conflict::Other("blocks_unique")),
    unique("mutes_unique", "mutes", &["account_id", "target_id"], Conflict::Other("mutes_unique")),
    // Bookmarking twice is `INSERT OR IGNORE`, and markers are upserted.
    unique("bookmarks_unique", "bookmarks", &["account_id", "status_id"], Conflict::Other("bookmarks_unique")),
    // Adding a member twice is the use case's 422 (Mastodon: "has already been taken").
    unique("list_accounts_unique", "list_accounts", &["list_id", "account_id"], Conflict::AlreadyListed),
    // Filtering a status twice is the use case's 422 (Mastodon: "has already been taken").
    unique("filter_statuses_unique", "filter_statuses", &["filter_id", "status_id"], Conflict::AlreadyFiltered),
    unique("sqlite_autoindex_markers_1", "markers", &["account_id", "timeline"], Conflict::Other("markers_pkey")),
    // Dismissing a suggestion twice is `INSERT OR IGNORE`.
    unique(
        "sqlite_autoindex_suggestion_dismissals_1",
        "suggestion_dismissals",
        &["account_id", "target_id"],
        Conflict::Other("suggestion_dismissals_pkey"),
    ),
    // A conversation is upserted on its key, and a status joins it with `INSERT OR IGNORE`.
    unique(
        "conversations_unique",
        "conversations",
        &["account_id", "root_id", "participants"],
        Conflict::Other("conversations_unique"),
    ),
    unique(
        "sqlite_autoindex_conversation_statuses_1",
        "conversation_statuses",
        &["conversation_id", "status_id"],
        Conflict::Other("conversation_statuses_pkey"),
    ),
];

/// What SQLite said was violated.
#[derive(Debug, PartialEq, Eq)]
enum Violated<'m> {
    /// `table.col, table.col…`
    Columns { table: &'m str, columns: Vec<&'m str> },
    /// `index 'name'` (an index on an expression).
    Index(&'m str),
}

fn violated(message: &str) -> Option<Violated<'_>> {
    let rest = message.strip_prefix("UNIQUE constraint failed: ")?;
    if let Some(name) = rest.strip_prefix("index '").and_then(|n| n.strip_suffix('\'')) {
        return Some(Violated::Index(name));
    }
    let mut table = None;
    let mut columns = Vec::new();
    for qualified in rest.split(", ") {
        let (t, c) = qualified.split_once('.')?;
        if table.is_some_and(|seen| seen != t) {
            return None;
        }
        table = Some(t);
        columns.push(c);
    }
    Some(Violated::Columns { table: table?, columns })
}

fn lookup(violated: &Violated<'_>) -> Option<&'static Unique> {
    UNIQUE.iter().find(|u| match violated {
        Violated::Columns { table, columns } => u.table == *table && u.columns == columns.as_slice(),
        Violated::Index(name) => u.name == *name,
    })
}

/// The store's error for a failed statement: a uniqueness violation becomes
/// the named conflict it means; anything else (including a constraint this
/// table does not list, which is a bug to be logged in full) is a backend error.
pub fn store_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(failure, Some(message)) = &e
        && matches!(failure.extended_code, ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY)
        && let Some(found) = violated(message).as_ref().and_then(lookup)
    {
        return StoreError::Conflict(found.conflict);
    }
    StoreError::Backend(e.to_string())
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, params};

    use super::*;

    fn migrated() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        super::super::migrate(&mut c).unwrap();
        c
    }

    fn insert_account(c: &Connection, id: i64, username: &str, email: &str) -> Result<usize, StoreError> {
        c.execute(
            "INSERT INTO accounts (id, username, email, created_at) VALUES (?1, ?2, ?3, 0)",
            params![id, username, email],
        )
        .map_err(store_error)
    }

    #[test]
    fn violations_map_to_the_conflict_they_mean() {
        let c = migrated();
        insert_account(&c, 1, "alice", "a@example.org").unwrap();
        // The index compares without case, as the registration rule does.
        assert_eq!(
            insert_account(&c, 2, "ALICE", "b@example.org").unwrap_err().to_string(),
            StoreError::Conflict(Conflict::UsernameTaken).to_string()
        );
        assert!(matches!(
            insert_account(&c, 3, "bob", "A@example.org"),
            Err(StoreError::Conflict(Conflict::EmailTaken))
        ));
        c.execute_batch(
            "INSERT INTO statuses (id, account_id, text, content_html, visibility, created_at)
                 VALUES (10, 1, 'q', 'q', 'public', 0);
             INSERT INTO polls (id, status_id, account_id, multiple, hide_totals, expires_at, created_at, chain_head)
                 VALUES (20, 10, 1, 0, 0, 1, 0, '');
             INSERT INTO poll_voters (poll_id, round, account_id, created_at) VALUES (20, 0, 5, 0);
             INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at, seq, hash)
                 VALUES (30, 20, 5, 0, 0, 1, '');",
        )
        .unwrap();
        let again_voter = c
            .execute("INSERT INTO poll_voters (poll_id, round, account_id, created_at) VALUES (20, 0, 5, 0)", [])
            .map_err(store_error);
        assert!(matches!(again_voter, Err(StoreError::Conflict(Conflict::AlreadyVoted))));
        let again_vote = c
            .execute(
                "INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at, seq, hash)
                 VALUES (31, 20, 5, 0, 0, 2, '')",
                [],
            )
            .map_err(store_error);
        assert!(matches!(again_vote, Err(StoreError::Conflict(Conflict::AlreadyVoted))));
        // A constraint that can only break by a bug is named, for the log.
        let same_seq = c
            .execute(
                "INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at, seq, hash)
                 VALUES (32, 20, 6, 0, 0, 1, '')",
                [],
            )
            .map_err(store_error);
        assert!(matches!(same_seq, Err(StoreError::Conflict(Conflict::Other("poll_votes_seq")))));
    }

    #[test]
    fn a_word_in_the_data_is_not_a_constraint() {
        let c = migrated();
        // A failure whose text merely mentions a constraint is no conflict.
        let e = c.execute("SELECT raise(ABORT, 'UNIQUE constraint failed: accounts.username')", []).unwrap_err();
        assert!(matches!(store_error(e), StoreError::Backend(_)));
        // Nor is a primary key drawn twice on a rowid table, which is not listed.
        insert_account(&c, 1, "alice", "a@example.org").unwrap();
        assert!(matches!(insert_account(&c, 1, "bob", "b@example.org"), Err(StoreError::Backend(_))));
    }

    #[test]
    fn messages_are_read_as_sqlite_writes_them() {
        assert_eq!(
            violated("UNIQUE constraint failed: poll_voters.poll_id, poll_voters.account_id"),
            Some(Violated::Columns { table: "poll_voters", columns: vec!["poll_id", "account_id"] })
        );
        assert_eq!(violated("UNIQUE constraint failed: index 'by_lower'"), Some(Violated::Index("by_lower")));
        assert_eq!(violated("UNIQUE constraint failed: a.x, b.y"), None);
        assert_eq!(violated("NOT NULL constraint failed: accounts.username"), None);
    }

    /// Every unique index in the migrated schema (explicit, inline `UNIQUE`,
    /// composite primary key) is in the table, with its columns.
    #[test]
    fn every_unique_index_of_the_schema_is_listed() {
        let c = migrated();
        let tables: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut missing = Vec::new();
        for table in tables {
            let indexes: Vec<(String, bool)> = c
                .prepare("SELECT name, \"unique\" FROM pragma_index_list(?1)")
                .unwrap()
                .query_map([&table], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<rusqlite::Result<_>>()
                .unwrap();
            for (index, is_unique) in indexes {
                if !is_unique {
                    continue;
                }
                let columns: Vec<String> = c
                    .prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno")
                    .unwrap()
                    .query_map([&index], |r| r.get(0))
                    .unwrap()
                    .collect::<rusqlite::Result<_>>()
                    .unwrap();
                let listed = UNIQUE
                    .iter()
                    .any(|u| u.table == table && u.columns.iter().copied().eq(columns.iter().map(String::as_str)));
                if !listed {
                    missing.push(format!("{index} on {table} ({})", columns.join(", ")));
                }
            }
        }
        assert!(missing.is_empty(), "unique indexes not in constraints::UNIQUE: {missing:?}");
    }
}
