//! Conversations: each account's direct-message threads (the twin of
//! `sqlite/conversations.rs`), written inside the posting and deleting
//! transactions of direct statuses.

use parley_core::page::PageRequest;
use parley_core::{AccountId, ConversationId, StatusId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::rows::{Window, map_rows, sql, window_clause};
use super::write::Write;
use crate::changes::Change;
use crate::types::ConversationEntry;
use crate::{Result, StoreError};

/// Deepest reply chain walked to find a thread's first status.
const MAX_DEPTH: i64 = 256;

/// Adds a new direct status to the conversation of `recipient`: the other
/// participants are the author and the mentioned accounts, less the
/// recipient. Unread unless the recipient wrote it.
pub async fn add_status(
    w: &mut Write,
    recipient: AccountId,
    status: StatusId,
    author: AccountId,
    mentions: &[AccountId],
    in_reply_to: Option<StatusId>,
) -> Result<()> {
    let root = match in_reply_to {
        Some(parent) => thread_root(w.c(), parent).await?,
        None => status,
    };
    let others = crate::neutral::conversation_others(recipient, author, mentions);
    let participants = serde_json::to_string(&others).map_err(|e| StoreError::Backend(e.to_string()))?;
    let new_id = w.next_id();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO conversations (id, account_id, root_id, participants, last_status_id, unread)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (account_id, root_id, participants) DO UPDATE
            SET last_status_id = greatest(conversations.last_status_id, excluded.last_status_id),
                unread = excluded.unread
         RETURNING id",
    )
    .bind(new_id)
    .bind(recipient.0)
    .bind(root.0)
    .bind(participants)
    .bind(status.0)
    .bind(author != recipient)
    .fetch_one(w.c())
    .await?;
    sqlx::query(
        "INSERT INTO conversation_statuses (conversation_id, status_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(status.0)
    .execute(w.c())
    .await?;
    w.append(Change::ConversationUpdated { account: recipient, conversation: ConversationId(id) });
    Ok(())
}

/// The first status of the thread `status` belongs to (as far as it still exists).
async fn thread_root(c: &mut PgConnection, status: StatusId) -> Result<StatusId> {
    let root: Option<i64> = sqlx::query_scalar(
        "WITH RECURSIVE up(id, parent, depth) AS (
             SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = $1
             UNION ALL
             SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s JOIN up ON s.id = up.parent
             WHERE up.depth < $2
         )
         SELECT id FROM up ORDER BY depth DESC LIMIT 1",
    )
    .bind(status.0)
    .bind(MAX_DEPTH)
    .fetch_optional(c)
    .await?;
    Ok(StatusId(root.unwrap_or(status.0)))
}

/// Takes a status being deleted out of every conversation: the newest left
/// becomes the last status; a conversation left empty goes.
pub async fn remove_status(w: &mut Write, status: StatusId) -> Result<()> {
    let holding: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT c.id, c.account_id FROM conversation_statuses cs JOIN conversations c ON c.id = cs.conversation_id
         WHERE cs.status_id = $1",
    )
    .bind(status.0)
    .fetch_all(w.c())
    .await?;
    for (id, account) in holding {
        sqlx::query("DELETE FROM conversation_statuses WHERE conversation_id = $1 AND status_id = $2")
            .bind(id)
            .bind(status.0)
            .execute(w.c())
            .await?;
        let newest: Option<i64> =
            sqlx::query_scalar("SELECT max(status_id) FROM conversation_statuses WHERE conversation_id = $1")
                .bind(id)
                .fetch_one(w.c())
                .await?;
        let (account, conversation) = (AccountId(account), ConversationId(id));
        match newest {
            Some(last) => {
                sqlx::query("UPDATE conversations SET last_status_id = $2 WHERE id = $1")
                    .bind(id)
                    .bind(last)
                    .execute(w.c())
                    .await?;
                w.append(Change::ConversationUpdated { account, conversation });
            }
            None => {
                sqlx::query("DELETE FROM conversations WHERE id = $1").bind(id).execute(w.c()).await?;
                w.append(Change::ConversationRemoved { account, conversation });
            }
        }
    }
    Ok(())
}

const COLUMNS: &str = "c.id, c.participants, c.last_status_id, c.unread";

fn entry(r: &PgRow) -> Result<ConversationEntry, sqlx::Error> {
    let participants: &str = r.try_get(1)?;
    Ok(ConversationEntry {
        id: ConversationId(r.try_get(0)?),
        participants: serde_json::from_str::<Vec<i64>>(participants)
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?
            .into_iter()
            .map(AccountId)
            .collect(),
        last_status: StatusId(r.try_get(2)?),
        unread: r.try_get(3)?,
    })
}

/// `account`'s conversations, newest last status first.
pub async fn list(c: &mut PgConnection, account: AccountId, page: PageRequest) -> Result<Vec<ConversationEntry>> {
    let win = Window::new(page);
    let rows = sqlx::query(sql(format!(
        "SELECT {COLUMNS} FROM conversations c WHERE c.account_id = $1 AND {}",
        window_clause(&win, "c.last_status_id", 2, 3, 4)
    )))
    .bind(account.0)
    .bind(win.max)
    .bind(win.min)
    .bind(win.limit)
    .fetch_all(c)
    .await?;
    Ok(win.finish(map_rows(&rows, entry)?))
}

pub async fn find(c: &mut PgConnection, account: AccountId, id: ConversationId) -> Result<Option<ConversationEntry>> {
    let row = sqlx::query(sql(format!("SELECT {COLUMNS} FROM conversations c WHERE c.id = $1 AND c.account_id = $2")))
        .bind(id.0)
        .bind(account.0)
        .fetch_optional(c)
        .await?;
    Ok(row.as_ref().map(entry).transpose()?)
}

/// Marks one of `account`'s conversations read; `NotFound` if it has none by that ID.
pub async fn mark_read(w: &mut Write, account: AccountId, id: ConversationId) -> Result<ConversationEntry> {
    let changed = sqlx::query("UPDATE conversations SET unread = FALSE WHERE id = $1 AND account_id = $2")
        .bind(id.0)
        .bind(account.0)
        .execute(w.c())
        .await?
        .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    w.append(Change::ConversationUpdated { account, conversation: id });
    find(w.c(), account, id).await?.ok_or(StoreError::NotFound)
}

/// Removes one of `account`'s conversations, for it alone; Ok(false) if it had none by that ID.
pub async fn remove(w: &mut Write, account: AccountId, id: ConversationId) -> Result<bool> {
    let removed = sqlx::query("DELETE FROM conversations WHERE id = $1 AND account_id = $2")
        .bind(id.0)
        .bind(account.0)
        .execute(w.c())
        .await?
        .rows_affected()
        > 0;
    if removed {
        w.append(Change::ConversationRemoved { account, conversation: id });
    }
    Ok(removed)
}
