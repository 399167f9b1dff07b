//! The home timeline's rules and what they read, kept in memory by
//! [`HomeIndex`](super::home_index::HomeIndex): each viewer's sources, each
//! author's newest statuses, each viewer's marks. A page is a merge of each
//! source's newest statuses, the rules ([`admits`]) applied in Rust; when the
//! index holds every list a page needs, it costs no database read at all
//! ([`home_in_memory`]). Backend-neutral: each backend loads these from its
//! own tables and keeps the executable specification of the rules as a query
//! (SQLite: `sqlite::timelines::home_reference`); tests check the two agree.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::num::NonZeroI64;
use std::sync::Arc;

use parley_core::page::PageRequest;
use parley_core::{AccountId, StatusId};

use super::home_index::HomeIndex;
use crate::Result;
use crate::types::StatusFlags;
use crate::window::Window;

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

impl Sources {
    /// A viewer's sources from the rows that say them (any order).
    pub fn new(
        viewer: AccountId,
        follows: Vec<(i64, bool)>,
        blocked: Vec<i64>,
        blocked_by: Vec<i64>,
        muted: Vec<i64>,
    ) -> Sources {
        let sorted = |mut ids: Vec<i64>| {
            ids.sort_unstable();
            ids.dedup();
            ids.into_boxed_slice()
        };
        let reblogs_hidden = follows.iter().filter(|(_, show)| !show).map(|(target, _)| *target).collect();
        Sources {
            me: viewer.0,
            follows: sorted(follows.into_iter().map(|(target, _)| target).collect()),
            reblogs_hidden: sorted(reblogs_hidden),
            blocked: sorted(blocked),
            blocked_by: sorted(blocked_by),
            muted: sorted(muted),
        }
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

    /// The viewer's relation to `account`, as the visibility rule reads it.
    pub fn relation_to(&self, account: i64) -> crate::AuthorRelation {
        let has = |ids: &[i64]| ids.binary_search(&account).is_ok();
        crate::AuthorRelation {
            following: has(&self.follows),
            blocking: has(&self.blocked),
            blocked_by: has(&self.blocked_by),
            muting: has(&self.muted),
        }
    }

    fn follows_or_is(&self, account: i64) -> bool {
        account == self.me || self.follows.binary_search(&account).is_ok()
    }

    /// Statuses by this account stay out: blocked, muted, blocking the
    /// viewer, or not shown to others (suspended or awaiting approval); never
    /// the viewer's own.
    pub(crate) fn hides(&self, account: i64, hidden: &HashSet<i64>) -> bool {
        account != self.me
            && (self.blocked.binary_search(&account).is_ok()
                || self.muted.binary_search(&account).is_ok()
                || self.blocked_by.binary_search(&account).is_ok()
                || hidden.contains(&account))
    }
}

/// Does `cand` belong in the home timeline of `s.me`?
pub fn admits(cand: &Candidate, s: &Sources, hidden: &HashSet<i64>) -> bool {
    let me = s.me;
    if s.hides(cand.author, hidden) {
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
        Some(o) => !s.hides(o, hidden),
    };
    // Direct statuses of others show only to those they mention.
    let direct_ok = match &cand.direct_mentions {
        None => true,
        Some(mentioned) => cand.author == me || mentioned.contains(&me),
    };
    reblogs_shown && reply_ok && direct_ok && (original_ok || cand.author == me && !cand.is_reblog)
}

impl Candidate {
    /// A status as the rules see it; `original_author` is the boosted
    /// status's author, for a boost.
    pub fn of(status: &parley_core::model::Status, original_author: Option<AccountId>) -> Candidate {
        Candidate {
            id: status.id.0,
            author: status.account_id.0,
            is_reblog: status.reblog_of.is_some(),
            reblog_of_author: original_author.and_then(|a| NonZeroI64::new(a.0)),
            reply_to_account: status.in_reply_to_account_id.and_then(|a| NonZeroI64::new(a.0)),
            direct_mentions: (status.visibility == parley_core::model::Visibility::Direct)
                .then(|| status.mentions.iter().map(|m| m.0).collect()),
        }
    }
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

/// The IDs of a page of the home timeline if everything it needs is already
/// in the index and decides it: then it costs no SQL at all.
pub fn home_in_memory(index: &HomeIndex, viewer: AccountId, page: PageRequest) -> Result<Option<Vec<i64>>> {
    let w = Window::new(page);
    let (Some(sources), Some(hidden)) = (index.cached_sources(viewer), index.cached_hidden()) else {
        return Ok(None);
    };
    let newest = |account| Ok(index.cached_newest(account));
    match page_from_memory(&sources, &hidden, &w, newest, |account| Ok(index.cached_recent(account)))? {
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
pub(crate) fn page_from_memory(
    sources: &Sources,
    hidden: &HashSet<i64>,
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
        if account != sources.me && sources.hides(account, hidden) {
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
            if admits(cand, sources, hidden) && !page.iter().any(|&Reverse(id)| id == cand.id) {
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

/// A viewer's own marks on statuses (favourited, boosted, pinned, bookmarked): every
/// status shown to a signed-in viewer carries them. Kept in memory per viewer
/// ([`super::home_index::HomeIndex::marks`]), sorted for lookups.
#[derive(Debug, PartialEq, Eq)]
pub struct Marks {
    favourited: Box<[i64]>,
    reblogged: Box<[i64]>,
    pinned: Box<[i64]>,
    bookmarked: Box<[i64]>,
}

impl Marks {
    /// Marks from the IDs of the statuses favourited, boosted, pinned and bookmarked (any order).
    pub fn new(
        mut favourited: Vec<i64>,
        mut reblogged: Vec<i64>,
        mut pinned: Vec<i64>,
        mut bookmarked: Vec<i64>,
    ) -> Marks {
        for ids in [&mut favourited, &mut reblogged, &mut pinned, &mut bookmarked] {
            ids.sort_unstable();
        }
        Marks {
            favourited: favourited.into_boxed_slice(),
            reblogged: reblogged.into_boxed_slice(),
            pinned: pinned.into_boxed_slice(),
            bookmarked: bookmarked.into_boxed_slice(),
        }
    }

    /// The marks among `statuses`.
    pub fn flags(&self, statuses: &[StatusId]) -> StatusFlags {
        let among = |set: &[i64]| statuses.iter().copied().filter(|s| set.binary_search(&s.0).is_ok()).collect();
        StatusFlags {
            favourited: among(&self.favourited),
            reblogged: among(&self.reblogged),
            pinned: among(&self.pinned),
            bookmarked: among(&self.bookmarked),
        }
    }

    pub fn weight(&self) -> usize {
        self.favourited.len() + self.reblogged.len() + self.pinned.len() + self.bookmarked.len() + 1
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
