//! The home timeline, built by merging each followed account's newest
//! statuses instead of sorting everything they ever posted.
//!
//! One SQL query over all followed accounts has to sort every candidate (tens
//! of thousands of rows for someone who follows popular accounts: 230 ms on a
//! 200k-status database). Here each source (the viewer and everyone they
//! follow) contributes its newest statuses, the rules ([`admits`]) are applied
//! in Rust, and the sources are merged. The sources' newest statuses come from
//! [`HomeIndex`](super::home_index::HomeIndex) when it holds them, so a page
//! usually needs no SQL at all, and otherwise from one index seek per source.
//! The rules are those of [`super::timelines::home_reference`], which stays as
//! the executable specification; tests check the two agree.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::num::NonZeroI64;
use std::sync::Arc;

use parley_core::AccountId;
use parley_core::page::PageRequest;
use rusqlite::{Connection, params};

use super::home_index::HomeIndex;
use super::rows::Window;
use crate::Result;

/// Newest statuses kept in memory per author.
pub const RECENT_PER_AUTHOR: usize = 32;

/// One status as the rules see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: i64,
    pub author: i64,
    pub is_reblog: bool,
    /// The boosted status's author; `None` for an original, or a boost whose original is gone.
    /// (IDs are never 0, so these take 8 bytes, not 16: the index holds millions.)
    pub reblog_of_author: Option<NonZeroI64>,
    pub reply_to_account: Option<NonZeroI64>,
    /// Who a direct status mentions; `None` for any other visibility.
    pub direct_mentions: Option<Box<[i64]>>,
}

/// The viewer's side of the rules: whom they follow, block, mute, and who blocks them.
#[derive(Debug, PartialEq, Eq)]
pub struct Sources {
    pub me: i64,
    /// Followed accounts, sorted.
    follows: Box<[i64]>,
    /// Followed accounts whose boosts the viewer turned off, sorted.
    reblogs_hidden: Box<[i64]>,
    blocked: Box<[i64]>,
    blocked_by: Box<[i64]>,
    muted: Box<[i64]>,
}

fn sorted_ids(c: &Connection, sql: &str, viewer: i64) -> Result<Box<[i64]>> {
    let mut stmt = c.prepare_cached(sql)?;
    let mut ids = stmt.query_map([viewer], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<Vec<i64>>>()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids.into_boxed_slice())
}

impl Sources {
    pub fn load(c: &Connection, viewer: AccountId) -> Result<Sources> {
        let me = viewer.0;
        let mut follows = Vec::new();
        let mut reblogs_hidden = Vec::new();
        {
            let mut stmt = c.prepare_cached("SELECT target_id, show_reblogs FROM follows WHERE account_id = ?1")?;
            for row in stmt.query_map([me], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, bool>(1)?)))? {
                let (target, show_reblogs) = row?;
                follows.push(target);
                if !show_reblogs {
                    reblogs_hidden.push(target);
                }
            }
        }
        follows.sort_unstable();
        reblogs_hidden.sort_unstable();
        Ok(Sources {
            me,
            follows: follows.into_boxed_slice(),
            reblogs_hidden: reblogs_hidden.into_boxed_slice(),
            blocked: sorted_ids(c, "SELECT target_id FROM blocks WHERE account_id = ?1", me)?,
            blocked_by: sorted_ids(c, "SELECT account_id FROM blocks WHERE target_id = ?1", me)?,
            muted: sorted_ids(c, "SELECT target_id FROM mutes WHERE account_id = ?1", me)?,
        })
    }

    /// The accounts whose statuses may appear: the viewer, then those they follow.
    pub fn accounts(&self) -> impl Iterator<Item = i64> + '_ {
        std::iter::once(self.me).chain(self.follows.iter().copied().filter(move |&a| a != self.me))
    }

    /// Entries kept in memory for this viewer (for the index's size bound).
    pub fn weight(&self) -> usize {
        1 + self.follows.len()
            + self.reblogs_hidden.len()
            + self.blocked.len()
            + self.blocked_by.len()
            + self.muted.len()
    }

    /// Does the viewer block `account`?
    pub fn blocks(&self, account: i64) -> bool {
        self.blocked.binary_search(&account).is_ok()
    }

    fn follows_or_is(&self, account: i64) -> bool {
        account == self.me || self.follows.binary_search(&account).is_ok()
    }

    /// Statuses by this account stay out: blocked, muted or suspended.
    fn hides(&self, account: i64, suspended: &HashSet<i64>) -> bool {
        self.blocked.binary_search(&account).is_ok()
            || self.muted.binary_search(&account).is_ok()
            || suspended.contains(&account)
    }
}

/// The accounts that are suspended (few; read with the partial index `accounts_suspended`).
pub fn suspended_accounts(c: &Connection) -> Result<HashSet<i64>> {
    let mut stmt = c.prepare_cached("SELECT id FROM accounts WHERE suspended = 1")?;
    let set = stmt.query_map([], |r| r.get::<_, i64>(0))?.collect::<rusqlite::Result<HashSet<i64>>>()?;
    Ok(set)
}

/// Does `cand` belong in the home timeline of `s.me`?
pub fn admits(cand: &Candidate, s: &Sources, suspended: &HashSet<i64>) -> bool {
    let me = s.me;
    if suspended.contains(&cand.author) || cand.author != me && s.hides(cand.author, suspended) {
        return false;
    }
    // Boosts by someone whose boosts the viewer turned off stay out.
    let reblogs_shown = !cand.is_reblog
        || cand.author == me
        || (s.follows_or_is(cand.author) && s.reblogs_hidden.binary_search(&cand.author).is_err());
    // Replies show only when they answer the viewer, the author, or someone the viewer follows.
    let reply_ok = match cand.reply_to_account.map(NonZeroI64::get) {
        None => true,
        Some(to) => cand.author == me || to == cand.author || s.follows_or_is(to),
    };
    let original_ok = match cand.reblog_of_author.map(NonZeroI64::get) {
        None => !cand.is_reblog,
        Some(o) => !(s.hides(o, suspended) || s.blocked_by.binary_search(&o).is_ok()),
    };
    // Direct statuses of others show only to those they mention.
    let direct_ok = match &cand.direct_mentions {
        None => true,
        Some(mentioned) => cand.author == me || mentioned.contains(&me),
    };
    reblogs_shown && reply_ok && direct_ok && (original_ok || cand.author == me && !cand.is_reblog)
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

/// An author's newest statuses, newest first.
#[derive(Debug, PartialEq, Eq)]
pub struct Recent {
    pub statuses: Box<[Candidate]>,
    /// True when these are all the author's statuses.
    pub complete: bool,
}

impl Recent {
    /// The ID of the newest status, `i64::MIN` if there is none.
    pub fn newest(&self) -> i64 {
        self.statuses.first().map_or(i64::MIN, |c| c.id)
    }
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
    let sources = index.sources(viewer, || Sources::load(c, viewer))?;
    let suspended = index.suspended(|| suspended_accounts(c))?;
    let list = |account: AccountId| index.recent(account, || recent(c, account.0));
    let from_memory =
        page_from_memory(&sources, &suspended, &w, |a| Ok(Some(list(a)?.newest())), |a| Ok(Some(list(a)?)))?;
    let ids = match from_memory {
        Some(ids) => ids,
        None => page_from_sql(c, &sources, &suspended, &w)?,
    };
    Ok(w.finish(ids))
}

/// The IDs of a page of the home timeline if everything it needs is already
/// in the index and decides it: then it costs no SQL at all.
pub fn home_in_memory(index: &HomeIndex, viewer: AccountId, page: PageRequest) -> Result<Option<Vec<i64>>> {
    let w = Window::new(page);
    let (Some(sources), Some(suspended)) = (index.cached_sources(viewer), index.cached_suspended()) else {
        return Ok(None);
    };
    let newest = |account| Ok(index.cached_newest(account));
    match page_from_memory(&sources, &suspended, &w, newest, |account| Ok(index.cached_recent(account)))? {
        Some(ids) => Ok(Some(w.finish(ids))),
        None => Ok(None),
    }
}

/// The page from the sources' newest statuses (`newest` gives the ID of a
/// source's newest status, `list` the statuses, or `None` to give up);
/// `None` when some list is missing, when some source's statuses in memory
/// end before the page could be decided (a deep page), or for pages read
/// oldest first.
///
/// Sources are read newest first: once the page is full, a source whose
/// newest status is below the page's end has nothing for it, nor has any
/// source after it, so most lists are never opened.
fn page_from_memory(
    sources: &Sources,
    suspended: &HashSet<i64>,
    w: &Window,
    mut newest: impl FnMut(AccountId) -> Result<Option<i64>>,
    mut list: impl FnMut(AccountId) -> Result<Option<Arc<Recent>>>,
) -> Result<Option<Vec<i64>>> {
    if w.ascending {
        return Ok(None);
    }
    let limit = w.limit.max(0) as usize;
    let mut heads: Vec<(i64, AccountId)> = Vec::with_capacity(sources.follows.len() + 1);
    for account in sources.accounts() {
        if account != sources.me && sources.hides(account, suspended) {
            continue;
        }
        match newest(AccountId(account))? {
            Some(head) => heads.push((head, AccountId(account))),
            None => return Ok(None),
        }
    }
    heads.sort_unstable_by(|a, b| b.cmp(a));
    // The newest `limit` admitted statuses inside the window so far (a
    // min-heap: its top is the page's current end). Each source is newest
    // first, so a source stops contributing at the first status below that end.
    let mut page: BinaryHeap<Reverse<i64>> = BinaryHeap::with_capacity(limit + 1);
    // The oldest status in memory of each source that may have older ones in the window.
    let mut open_floors: Vec<i64> = Vec::new();
    for (head, account) in heads {
        // Every later source's newest status is older still.
        if page.len() == limit && page.peek().is_some_and(|&Reverse(end)| head <= end) {
            break;
        }
        let Some(list) = list(account)? else {
            return Ok(None);
        };
        let mut taken = 0;
        for cand in list.statuses.iter() {
            if cand.id >= w.max {
                continue;
            }
            if cand.id <= w.min || taken == limit {
                break;
            }
            if page.len() == limit && page.peek().is_some_and(|&Reverse(end)| cand.id <= end) {
                break;
            }
            if admits(cand, sources, suspended) && !page.iter().any(|&Reverse(id)| id == cand.id) {
                page.push(Reverse(cand.id));
                if page.len() > limit {
                    page.pop();
                }
                taken += 1;
            }
        }
        let oldest = list.statuses.last().map(|c| c.id).unwrap_or(i64::MAX);
        if taken < limit && !list.complete && oldest > w.min {
            open_floors.push(oldest);
        }
    }
    // Newest first.
    let pool: Vec<i64> = page.into_sorted_vec().into_iter().map(|Reverse(id)| id).collect();
    // A source cut short could hold statuses between its oldest in memory and
    // the page's end: only a full page that ends above every such cut is sure.
    let sure = open_floors.is_empty()
        || (pool.len() == limit && open_floors.iter().all(|&floor| pool.last().is_some_and(|&last| last > floor)));
    Ok(sure.then_some(pool))
}

/// The page by one index seek per source: for deep pages and oldest-first pages.
fn page_from_sql(c: &Connection, sources: &Sources, suspended: &HashSet<i64>, w: &Window) -> Result<Vec<i64>> {
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
                if source != sources.me && sources.hides(source, suspended) {
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
                    if admits(&cand, sources, suspended) {
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_candidate_stays_small() {
        // The index holds up to two million of them.
        assert_eq!(std::mem::size_of::<super::Candidate>(), 56);
    }
}
