//! The home timeline on SQLite: loading what the rules of
//! [`crate::derived::home`] read (sources, newest statuses, the hidden
//! set), and the page by SQL when the index cannot decide it (deep pages,
//! oldest-first pages). The rules are those of
//! [`super::timelines::home_reference`], which stays as the executable
//! specification; tests check the two agree.

use std::collections::HashSet;
use std::num::NonZeroI64;

use parley_core::AccountId;
use parley_core::page::PageRequest;
use rusqlite::{Connection, params};

use crate::Result;
use crate::derived::home::{Candidate, RECENT_PER_AUTHOR, Recent, Sources, admits, page_from_memory};
use crate::derived::home_index::HomeIndex;
use crate::window::Window;

/// A viewer's sources: whom they follow (and whose boosts they hide), block,
/// mute, and who blocks them.
pub fn load_sources(c: &Connection, viewer: AccountId) -> Result<Sources> {
    let me = viewer.0;
    let follows = {
        let mut stmt = c.prepare_cached("SELECT target_id, show_reblogs FROM follows WHERE account_id = ?1")?;
        stmt.query_map([me], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?
    };
    Ok(Sources::new(
        viewer,
        follows,
        ids(c, "SELECT target_id FROM blocks WHERE account_id = ?1", me)?,
        ids(c, "SELECT account_id FROM blocks WHERE target_id = ?1", me)?,
        ids(c, "SELECT target_id FROM mutes WHERE account_id = ?1", me)?,
    ))
}

fn ids(c: &Connection, sql: &str, viewer: i64) -> Result<Vec<i64>> {
    let mut stmt = c.prepare_cached(sql)?;
    Ok(stmt.query_map([viewer], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<i64>>>()?)
}

/// The accounts shown to nobody else: suspended or awaiting approval
/// (`account_shown`; few, read with the partial index `accounts_hidden`).
pub fn hidden_accounts(c: &Connection) -> Result<HashSet<i64>> {
    let mut stmt = c.prepare_cached("SELECT id FROM accounts WHERE suspended = 1 OR approved = 0")?;
    let set = stmt.query_map([], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<HashSet<i64>>>()?;
    Ok(set)
}

/// What the rules need of a status, as SQL columns (`s` is the status).
const CANDIDATE_COLUMNS: &str = "s.id, s.account_id, s.reblog_of_id IS NOT NULL,
    (SELECT o.account_id FROM statuses o WHERE o.id = s.reblog_of_id),
    s.in_reply_to_account_id,
    CASE WHEN s.visibility = 'direct'
         THEN coalesce((SELECT group_concat(m.account_id) FROM mentions m WHERE m.status_id = s.id), '') END";

fn candidate_from_row(r: &rusqlite::Row) -> rusqlite::Result<Candidate> {
    let mentions: Option<String> = r.get(5)?;
    Ok(Candidate {
        id: r.get(0)?,
        author: r.get(1)?,
        is_reblog: r.get(2)?,
        reblog_of_author: r.get::<_, Option<i64>>(3)?.and_then(NonZeroI64::new),
        reply_to_account: r.get::<_, Option<i64>>(4)?.and_then(NonZeroI64::new),
        direct_mentions: mentions.map(|m| m.split(',').filter_map(|id| id.parse().ok()).collect()),
    })
}

/// Reads an author's newest [`RECENT_PER_AUTHOR`] statuses.
pub fn recent(c: &Connection, author: i64) -> Result<Recent> {
    let mut stmt = c.prepare_cached(&format!(
        "SELECT {CANDIDATE_COLUMNS} FROM statuses s WHERE s.account_id = ?1 ORDER BY s.id DESC LIMIT ?2 + 0"
    ))?;
    let statuses: Vec<Candidate> = stmt
        .query_map(params![author, RECENT_PER_AUTHOR as i64], candidate_from_row)?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Recent { complete: statuses.len() < RECENT_PER_AUTHOR, statuses: statuses.into_boxed_slice() })
}

/// The IDs of a page of the home timeline, loading into the index what it lacks.
pub fn home(c: &Connection, index: &HomeIndex, viewer: AccountId, page: PageRequest) -> Result<Vec<i64>> {
    let w = Window::new(page);
    let sources = index.sources(viewer, || load_sources(c, viewer))?;
    let hidden = index.hidden(|| hidden_accounts(c))?;
    let list = |account: AccountId| index.recent(account, || recent(c, account.0));
    let from_memory = page_from_memory(&sources, &hidden, &w, |a| Ok(Some(list(a)?.newest())), |a| Ok(Some(list(a)?)))?;
    let ids = match from_memory {
        Some(ids) => ids,
        None => page_from_sql(c, &sources, &hidden, &w)?,
    };
    Ok(w.finish(ids))
}

/// The page by one index seek per source: for deep pages and oldest-first pages.
fn page_from_sql(c: &Connection, sources: &Sources, hidden: &HashSet<i64>, w: &Window) -> Result<Vec<i64>> {
    let order = if w.ascending { "ASC" } else { "DESC" };
    // Phase 1 reads only the covering index `statuses_account (account_id, id)`;
    // phase 2 reads what the rules need of the best candidates, a chunk at a time.
    let ids_sql = format!(
        "SELECT id FROM statuses WHERE account_id = ?1 AND id < ?2 AND id > ?3 ORDER BY id {order} LIMIT ?4 + 0"
    );
    let rows_sql =
        format!("SELECT {CANDIDATE_COLUMNS} FROM statuses s WHERE s.id IN (SELECT value FROM json_each(?1))");
    let mut fetch = w.limit + 8;
    loop {
        let mut pool: Vec<i64> = Vec::new();
        let mut some_source_was_cut = false;
        {
            let mut stmt = c.prepare_cached(&ids_sql)?;
            for source in sources.accounts() {
                if source != sources.me && sources.hides(source, hidden) {
                    continue;
                }
                let before = pool.len();
                for id in stmt.query_map(params![source, w.max, w.min, fetch], |r| r.get::<_, i64>(0))? {
                    pool.push(id?);
                }
                some_source_was_cut |= (pool.len() - before) as i64 == fetch;
            }
        }
        if w.ascending {
            pool.sort_unstable();
        } else {
            pool.sort_unstable_by(|a, b| b.cmp(a));
        }
        pool.dedup();
        let mut kept: Vec<i64> = Vec::with_capacity(w.limit as usize);
        for chunk in pool.chunks((w.limit as usize).max(16) * 2) {
            let passed: HashSet<i64> = {
                let mut stmt = c.prepare_cached(&rows_sql)?;
                let rows = stmt.query_map([super::rows::json_ids(chunk.iter().copied())], candidate_from_row)?;
                let mut passed = HashSet::new();
                for cand in rows {
                    let cand = cand?;
                    if admits(&cand, sources, hidden) {
                        passed.insert(cand.id);
                    }
                }
                passed
            };
            // Keep the chunk's order (newest first, or oldest first for min_id pages).
            kept.extend(chunk.iter().filter(|id| passed.contains(id)));
            if kept.len() as i64 >= w.limit {
                break;
            }
        }
        // If the rules left the page short while some source had more, look deeper.
        if (kept.len() as i64) < w.limit && some_source_was_cut {
            fetch *= 4;
            continue;
        }
        kept.truncate(w.limit as usize);
        return Ok(kept);
    }
}
