//! The home index's loads on PostgreSQL (sources, the hidden set, marks,
//! an author's newest statuses), as the twin of `sqlite/home.rs`.
//!
//! The home timeline itself is the reference query
//! (`timelines::home_reference`, the rules' specification) on this
//! backend for now; serving it from the index as SQLite does
//! (`derived::home::page_from_memory`) needs the index's loads to be
//! async-friendly, which is the next step.

use std::collections::HashSet;
use std::num::NonZeroI64;
use std::sync::Arc;

use parley_core::AccountId;
use sqlx::{PgConnection, Row};

use super::rows::sql;
use super::statuses::load_marks;
use crate::Result;
use crate::derived::home::{Candidate, Marks, RECENT_PER_AUTHOR, Recent, Sources};
use crate::derived::home_index::HomeIndex;

/// A viewer's sources: whom they follow (and whose boosts they hide), block,
/// mute, and who blocks them.
pub async fn load_sources(c: &mut PgConnection, viewer: AccountId) -> Result<Sources> {
    let me = viewer.0;
    let follows: Vec<(i64, bool)> = sqlx::query_as("SELECT target_id, show_reblogs FROM follows WHERE account_id = $1")
        .bind(me)
        .fetch_all(&mut *c)
        .await?;
    Ok(Sources::new(
        viewer,
        follows,
        ids(c, "SELECT target_id FROM blocks WHERE account_id = $1", me).await?,
        ids(c, "SELECT account_id FROM blocks WHERE target_id = $1", me).await?,
        ids(c, "SELECT target_id FROM mutes WHERE account_id = $1", me).await?,
    ))
}

async fn ids(c: &mut PgConnection, q: &'static str, viewer: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(q).bind(viewer).fetch_all(c).await?)
}

/// The accounts shown to nobody else: suspended or awaiting approval.
pub async fn hidden_accounts(c: &mut PgConnection) -> Result<HashSet<i64>> {
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE suspended OR NOT approved").fetch_all(c).await?;
    Ok(ids.into_iter().collect())
}

/// What the rules need of a status, as SQL columns (`s` is the status).
const CANDIDATE_COLUMNS: &str = "s.id, s.account_id, s.reblog_of_id IS NOT NULL,
    (SELECT o.account_id FROM statuses o WHERE o.id = s.reblog_of_id),
    s.in_reply_to_account_id,
    CASE WHEN s.visibility = 'direct'
         THEN coalesce((SELECT string_agg(m.account_id::text, ',') FROM mentions m WHERE m.status_id = s.id), '') END";

/// Reads an author's newest [`RECENT_PER_AUTHOR`] statuses.
pub async fn recent(c: &mut PgConnection, author: i64) -> Result<Recent> {
    let rows = sqlx::query(sql(format!(
        "SELECT {CANDIDATE_COLUMNS} FROM statuses s WHERE s.account_id = $1 ORDER BY s.id DESC LIMIT $2"
    )))
    .bind(author)
    .bind(RECENT_PER_AUTHOR as i64)
    .fetch_all(c)
    .await?;
    let statuses = super::rows::map_rows(&rows, |r| {
        let mentions: Option<String> = r.try_get(5)?;
        Ok(Candidate {
            id: r.try_get(0)?,
            author: r.try_get(1)?,
            is_reblog: r.try_get(2)?,
            reblog_of_author: r.try_get::<Option<i64>, _>(3)?.and_then(NonZeroI64::new),
            reply_to_account: r.try_get::<Option<i64>, _>(4)?.and_then(NonZeroI64::new),
            direct_mentions: mentions.map(|m| m.split(',').filter_map(|id| id.parse().ok()).collect()),
        })
    })?;
    Ok(Recent { complete: statuses.len() < RECENT_PER_AUTHOR, statuses: statuses.into_boxed_slice() })
}

/// A viewer's sources through the index.
pub async fn sources(c: &mut PgConnection, index: &HomeIndex, viewer: AccountId) -> Result<Arc<Sources>> {
    match index.start_sources(viewer) {
        Ok(sources) => Ok(sources),
        Err(ticket) => Ok(index.put_sources(ticket, viewer, load_sources(c, viewer).await?)),
    }
}

/// The hidden set through the index.
pub async fn hidden(c: &mut PgConnection, index: &HomeIndex) -> Result<Arc<HashSet<i64>>> {
    match index.start_hidden() {
        Ok(set) => Ok(set),
        Err(epoch) => Ok(index.put_hidden(epoch, hidden_accounts(c).await?)),
    }
}

/// A viewer's marks through the index.
pub async fn marks(c: &mut PgConnection, index: &HomeIndex, viewer: AccountId) -> Result<Arc<Marks>> {
    match index.start_marks(viewer) {
        Ok(marks) => Ok(marks),
        Err(ticket) => Ok(index.put_marks(ticket, viewer, load_marks(c, viewer).await?)),
    }
}
