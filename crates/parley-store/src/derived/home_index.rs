//! What the home timeline needs, kept in memory: each viewer's sources
//! (follows, blocks, mutes) and each author's newest statuses, as the rules
//! in [`super::home`] see them, and each viewer's own marks (favourited,
//! boosted, pinned) that every status shown to them carries. Loaded on first
//! use; dropped when a change record says they changed
//! ([`HomeIndex::apply`], the one list of which record touches which entry),
//! right after the write commits, whichever process made it. With both in
//! memory a home page is a merge of a few short lists: no SQL until the
//! statuses themselves are loaded.
//!
//! Loads that race with writes are handled by [`Sharded`]'s epochs.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use parley_core::AccountId;

use super::home::{Marks, Recent, Sources};
use super::sharded::{Sharded, Ticket, lock};
use crate::Result;
use crate::changes::{Change, ChangeListener, ChangeRecord};

/// Followed, blocked and muted accounts kept, over all viewers (8 bytes each).
const MAX_SOURCE_ENTRIES: usize = 6_000_000;
/// Statuses kept, over all authors (56 bytes each, a direct status more).
const MAX_RECENT_STATUSES: usize = 2_000_000;
/// Favourites, boosts and pins kept, over all viewers (8 bytes each).
const MAX_MARKS: usize = 4_000_000;

pub struct HomeIndex {
    sources: Sharded<Sources>,
    recent: Sharded<Recent>,
    marks: Sharded<Marks>,
    /// The accounts shown to nobody else (suspended or awaiting approval:
    /// `parley_core::visibility::account_shown`), and how often the set was
    /// dropped (its epoch).
    hidden: Mutex<(u64, Option<Arc<HashSet<i64>>>)>,
}

impl Default for HomeIndex {
    fn default() -> Self {
        HomeIndex {
            sources: Sharded::new(MAX_SOURCE_ENTRIES),
            recent: Sharded::with_hint(MAX_RECENT_STATUSES, Recent::newest),
            marks: Sharded::new(MAX_MARKS),
            hidden: Mutex::new((0, None)),
        }
    }
}

impl HomeIndex {
    /// A viewer's sources, loaded with `load` if not in memory.
    pub fn sources(&self, viewer: AccountId, load: impl FnOnce() -> Result<Sources>) -> Result<Arc<Sources>> {
        self.sources.get_or_load(viewer.0, Sources::weight, load)
    }

    /// An author's newest statuses, loaded with `load` if not in memory.
    pub fn recent(&self, author: AccountId, load: impl FnOnce() -> Result<Recent>) -> Result<Arc<Recent>> {
        self.recent.get_or_load(author.0, |r| r.statuses.len() + 1, load)
    }

    /// A viewer's marks (favourited, boosted, pinned), loaded with `load` if not in memory.
    pub fn marks(&self, viewer: AccountId, load: impl FnOnce() -> Result<Marks>) -> Result<Arc<Marks>> {
        self.marks.get_or_load(viewer.0, Marks::weight, load)
    }

    pub fn hidden(&self, load: impl FnOnce() -> Result<HashSet<i64>>) -> Result<Arc<HashSet<i64>>> {
        match self.start_hidden() {
            Ok(set) => Ok(set),
            Err(epoch) => Ok(self.put_hidden(epoch, load()?)),
        }
    }

    /// The hidden set if in memory, or the epoch to [`Self::put_hidden`] a
    /// freshly loaded one with (for a backend whose load is async).
    pub fn start_hidden(&self) -> std::result::Result<Arc<HashSet<i64>>, u64> {
        let guard = lock(&self.hidden);
        match &guard.1 {
            Some(set) => Ok(set.clone()),
            None => Err(guard.0),
        }
    }

    /// Keeps a set loaded after `epoch` was read, unless it was dropped since.
    pub fn put_hidden(&self, epoch: u64, set: HashSet<i64>) -> Arc<HashSet<i64>> {
        let set = Arc::new(set);
        let mut guard = lock(&self.hidden);
        if guard.0 == epoch {
            guard.1 = Some(set.clone());
        }
        set
    }

    /// A viewer's sources, or a ticket to [`Self::put_sources`] loaded ones with.
    pub fn start_sources(&self, viewer: AccountId) -> std::result::Result<Arc<Sources>, Ticket> {
        self.sources.get_or_ticket(viewer.0)
    }

    pub fn put_sources(&self, ticket: Ticket, viewer: AccountId, sources: Sources) -> Arc<Sources> {
        let sources = Arc::new(sources);
        self.sources.put(ticket, viewer.0, sources.clone(), Sources::weight(&sources));
        sources
    }

    /// A viewer's marks, or a ticket to [`Self::put_marks`] loaded ones with.
    pub fn start_marks(&self, viewer: AccountId) -> std::result::Result<Arc<Marks>, Ticket> {
        self.marks.get_or_ticket(viewer.0)
    }

    pub fn put_marks(&self, ticket: Ticket, viewer: AccountId, marks: Marks) -> Arc<Marks> {
        let marks = Arc::new(marks);
        self.marks.put(ticket, viewer.0, marks.clone(), Marks::weight(&marks));
        marks
    }

    /// A viewer's sources if in memory.
    pub fn cached_sources(&self, viewer: AccountId) -> Option<Arc<Sources>> {
        self.sources.get(viewer.0)
    }

    /// The ID of an author's newest status, if their statuses are in memory
    /// (`i64::MIN` if they have none), without reading the list.
    pub fn cached_newest(&self, author: AccountId) -> Option<i64> {
        self.recent.hint(author.0)
    }

    /// An author's newest statuses if in memory.
    pub fn cached_recent(&self, author: AccountId) -> Option<Arc<Recent>> {
        self.recent.get(author.0)
    }

    pub fn cached_hidden(&self) -> Option<Arc<HashSet<i64>>> {
        lock(&self.hidden).1.clone()
    }

    /// After a change to whom `account` follows, blocks or mutes, or who blocks them.
    pub fn forget_sources(&self, account: AccountId) {
        self.sources.forget(account.0);
    }

    /// After `author` posted, boosted, edited or deleted.
    pub fn forget_recent(&self, author: AccountId) {
        self.recent.forget(author.0);
    }

    /// After `account` favourited, boosted, pinned or bookmarked something, or took it back.
    pub fn forget_marks(&self, account: AccountId) {
        self.marks.forget(account.0);
    }

    /// After an account was created, suspended, unsuspended, approved or unapproved.
    pub fn forget_hidden(&self) {
        let mut guard = lock(&self.hidden);
        guard.0 += 1;
        guard.1 = None;
    }

    /// Everything kept now, for the rebuild-and-compare check.
    pub fn snapshot(&self) -> IndexSnapshot {
        IndexSnapshot {
            sources: self.sources.entries(),
            recent: self.recent.entries(),
            marks: self.marks.entries(),
            hidden: self.cached_hidden(),
        }
    }
}

/// What the index holds at one moment, by viewer or author.
pub struct IndexSnapshot {
    pub sources: Vec<(i64, Arc<Sources>)>,
    pub recent: Vec<(i64, Arc<Recent>)>,
    pub marks: Vec<(i64, Arc<Marks>)>,
    pub hidden: Option<Arc<HashSet<i64>>>,
}

impl ChangeListener for HomeIndex {
    fn apply(&self, record: &ChangeRecord) {
        match &record.change {
            Change::StatusCreated { account, reblog_of, .. } | Change::StatusDeleted { account, reblog_of, .. } => {
                self.forget_recent(*account);
                if reblog_of.is_some() {
                    // A boost is its author's mark on the original.
                    self.forget_marks(*account);
                }
            }
            Change::StatusEdited { account, .. } => self.forget_recent(*account),
            Change::Favourited { account, .. }
            | Change::Unfavourited { account, .. }
            | Change::Pinned { account, .. }
            | Change::Unpinned { account, .. }
            | Change::Bookmarked { account, .. }
            | Change::Unbookmarked { account, .. } => self.forget_marks(*account),
            Change::Followed { account, .. }
            | Change::Unfollowed { account, .. }
            | Change::Muted { account, .. }
            | Change::Unmuted { account, .. } => self.forget_sources(*account),
            // Both sides: blocks, and blocked-by.
            Change::Blocked { account, target } | Change::Unblocked { account, target } => {
                self.forget_sources(*account);
                self.forget_sources(*target);
            }
            // A new account may await approval: then it is hidden.
            Change::StandingChanged { suspension: true, .. } | Change::AccountCreated { .. } => self.forget_hidden(),
            Change::Everything => self.reset(),
            Change::StandingChanged { suspension: false, .. }
            | Change::ProfileUpdated { .. }
            | Change::TokensRevoked { .. }
            | Change::TokenRevoked { .. }
            | Change::AppCreated { .. }
            | Change::FollowRequested { .. }
            | Change::FollowRequestClosed { .. }
            | Change::NotificationCreated { .. }
            | Change::ConversationUpdated { .. }
            | Change::ConversationRemoved { .. }
            | Change::ScheduledStatusChanged { .. }
            | Change::BallotRecorded { .. }
            | Change::PollChanged { .. }
            | Change::PollClosed { .. } => {}
        }
    }

    fn reset(&self) {
        self.sources.clear();
        self.recent.clear();
        self.marks.clear();
        self.forget_hidden();
    }
}
