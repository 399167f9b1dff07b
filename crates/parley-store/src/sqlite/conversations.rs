//! Conversations: each account's direct-message threads, kept as Mastodon's
//! `AccountConversation`. A direct status joins, for its author and for each
//! mentioned account it notifies, the conversation of its thread with the
//! other participants, in the status's own transaction; a deletion takes it
//! out again. Every change appends its record (the `direct` stream tells of
//! updates).

use parley_core::page::PageRequest;
use parley_core::{AccountId, ConversationId, IdGenerator, StatusId};
use rusqlite::{Connection, OptionalExtension, Row, named_params, params};

use super::changelog::append;
use super::rows::{SqlWindow, Window, json_ids};
use crate::changes::Change;
use crate::types::ConversationEntry;
use crate::{Result, StoreError};

/// Deepest reply chain walked to find a thread's first status.
const MAX_DEPTH: i64 = 256;

/// Adds a new direct status to the conversation of `recipient` (its author,
/// or an account it mentions): the other participants are the author and the
/// mentioned accounts, less the recipient. Unread unless the recipient wrote it.
pub fn add_status(
    c: &Connection,
    ids: &IdGenerator,
    recipient: AccountId,
    status: StatusId,
    author: AccountId,
    mentions: &[AccountId],
    in_reply_to: Option<StatusId>,
) -> Result<()> {
    let root = match in_reply_to {
        Some(parent) => thread_root(c, parent)?,
        None => status,
    };
    let others = crate::neutral::conversation_others(recipient, author, mentions);
    let id: i64 = c
        .prepare_cached(
            "INSERT INTO conversations (id, account_id, root_id, participants, last_status_id, unread)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (account_id, root_id, participants) DO UPDATE
                SET last_status_id = max(last_status_id, excluded.last_status_id), unread = excluded.unread
             RETURNING id",
        )?
        .query_row(
            params![ids.next_raw(), recipient.0, root.0, json_ids(others), status.0, author != recipient],
            |r| r.get(0),
        )?;
    c.prepare_cached("INSERT OR IGNORE INTO conversation_statuses (conversation_id, status_id) VALUES (?1, ?2)")?
        .execute(params![id, status.0])?;
    append(c, Change::ConversationUpdated { account: recipient, conversation: ConversationId(id) })
}

/// The first status of the thread `status` belongs to (as far as it still exists).
fn thread_root(c: &Connection, status: StatusId) -> Result<StatusId> {
    let root = c
        .prepare_cached(
            "WITH RECURSIVE up(id, parent, depth) AS (
                 SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = ?1
                 UNION ALL
                 SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.parent
                 WHERE up.depth < ?2
             )
             SELECT id FROM up ORDER BY depth DESC LIMIT 1",
        )?
        .query_row(params![status.0, MAX_DEPTH], |r| r.get(0))
        .optional()?;
    Ok(StatusId(root.unwrap_or(status.0)))
}

/// Takes a status being deleted out of every conversation: the newest left
/// becomes the last status; a conversation left empty goes.
pub fn remove_status(c: &Connection, status: StatusId) -> Result<()> {
    let holding: Vec<(i64, i64)> = c
        .prepare_cached(
            "SELECT c.id, c.account_id FROM conversation_statuses cs JOIN conversations c ON c.id = cs.conversation_id
             WHERE cs.status_id = ?1",
        )?
        .query_map([status.0], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, account) in holding {
        c.prepare_cached("DELETE FROM conversation_statuses WHERE conversation_id = ?1 AND status_id = ?2")?
            .execute(params![id, status.0])?;
        let newest: Option<i64> = c
            .prepare_cached("SELECT max(status_id) FROM conversation_statuses WHERE conversation_id = ?1")?
            .query_row([id], |r| r.get(0))?;
        let (account, conversation) = (AccountId(account), ConversationId(id));
        match newest {
            Some(last) => {
                c.prepare_cached("UPDATE conversations SET last_status_id = ?2 WHERE id = ?1")?
                    .execute(params![id, last])?;
                append(c, Change::ConversationUpdated { account, conversation })?;
            }
            None => {
                c.prepare_cached("DELETE FROM conversations WHERE id = ?1")?.execute([id])?;
                append(c, Change::ConversationRemoved { account, conversation })?;
            }
        }
    }
    Ok(())
}

const COLUMNS: &str = "c.id, c.participants, c.last_status_id, c.unread";

fn entry(r: &Row<'_>) -> rusqlite::Result<ConversationEntry> {
    let participants: String = r.get(1)?;
    Ok(ConversationEntry {
        id: ConversationId(r.get(0)?),
        participants: serde_json::from_str::<Vec<i64>>(&participants)
            .map_err(|e| rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, Box::new(e)))?
            .into_iter()
            .map(AccountId)
            .collect(),
        last_status: StatusId(r.get(2)?),
        unread: r.get(3)?,
    })
}

/// `account`'s conversations, newest last status first (the cursor is the
/// last status's ID, as Mastodon pages them).
pub fn list(c: &Connection, account: AccountId, page: PageRequest) -> Result<Vec<ConversationEntry>> {
    let w = Window::new(page);
    let sql = format!(
        "SELECT {COLUMNS} FROM conversations c WHERE c.account_id = :account AND {}",
        w.clause("c.last_status_id")
    );
    let rows = c
        .prepare_cached(&sql)?
        .query_map(named_params! {":account": account.0, ":max": w.max, ":min": w.min, ":limit": w.limit}, entry)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(w.finish(rows))
}

pub fn find(c: &Connection, account: AccountId, id: ConversationId) -> Result<Option<ConversationEntry>> {
    let sql = format!("SELECT {COLUMNS} FROM conversations c WHERE c.id = ?1 AND c.account_id = ?2");
    Ok(c.prepare_cached(&sql)?.query_row(params![id.0, account.0], entry).optional()?)
}

/// Marks one of `account`'s conversations read; `NotFound` if it has none by that ID.
pub fn mark_read(c: &Connection, account: AccountId, id: ConversationId) -> Result<ConversationEntry> {
    let changed = c
        .prepare_cached("UPDATE conversations SET unread = 0 WHERE id = ?1 AND account_id = ?2")?
        .execute(params![id.0, account.0])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    append(c, Change::ConversationUpdated { account, conversation: id })?;
    find(c, account, id)?.ok_or(StoreError::NotFound)
}

/// Removes one of `account`'s conversations, for it alone; Ok(false) if it had none by that ID.
pub fn remove(c: &Connection, account: AccountId, id: ConversationId) -> Result<bool> {
    let removed = c
        .prepare_cached("DELETE FROM conversations WHERE id = ?1 AND account_id = ?2")?
        .execute(params![id.0, account.0])?
        > 0;
    if removed {
        append(c, Change::ConversationRemoved { account, conversation: id })?;
    }
    Ok(removed)
}
