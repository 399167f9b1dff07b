//! Statuses, accounts and apps by ID, kept in memory between reads: every
//! timeline page, thread and notification list loads a few dozen of them,
//! every new session its app and account, and on a large database each is a
//! random read of a B-tree. SQLite's own page cache does not help much here:
//! in WAL mode a connection drops its whole cache whenever another one has
//! committed, so under a stream of writes every read starts cold.
//!
//! Entries change only by the change log ([`crate::changes`]): each record
//! drops the rows it changed, counters included (a favourite drops its
//! status, for `favourites_count`; a follow both accounts, for their
//! counts), whichever process wrote it. [`EntityCache::apply`] is the one
//! list of which record touches which row. The writer never fills the cache:
//! it reads inside transactions that are not committed yet.

use std::collections::HashMap;
use std::sync::Arc;

use parley_core::model::{Account, App, Status};
use parley_core::{AccountId, AppId, StatusId};

use super::sharded::{Sharded, Ticket};
use crate::Result;
use crate::changes::{Change, ChangeListener, ChangeRecord};

/// Bytes of statuses kept (text, HTML and bookkeeping counted).
const MAX_STATUS_BYTES: usize = 96 << 20;
/// Bytes of accounts kept.
const MAX_ACCOUNT_BYTES: usize = 32 << 20;
/// Bytes of apps kept (client registrations: few, and never changed).
const MAX_APP_BYTES: usize = 4 << 20;

pub struct EntityCache {
    statuses: Sharded<Status>,
    accounts: Sharded<Account>,
    apps: Sharded<App>,
}

impl Default for EntityCache {
    fn default() -> Self {
        EntityCache {
            statuses: Sharded::new(MAX_STATUS_BYTES),
            accounts: Sharded::new(MAX_ACCOUNT_BYTES),
            apps: Sharded::new(MAX_APP_BYTES),
        }
    }
}

impl EntityCache {
    /// The statuses with these IDs that exist, in the order asked, each once;
    /// `load` reads the missing ones (one query for all of them).
    pub fn statuses(&self, ids: &[i64], load: impl FnOnce(&[i64]) -> Result<Vec<Status>>) -> Result<Vec<Arc<Status>>> {
        cached_or_loaded(&self.statuses, ids, status_weight, |missing| {
            Ok(load(missing)?.into_iter().map(|s| (s.id.0, s)).collect())
        })
    }

    /// The accounts with these IDs that exist, in the order asked, each once.
    pub fn accounts(
        &self,
        ids: &[AccountId],
        load: impl FnOnce(&[AccountId]) -> Result<Vec<Account>>,
    ) -> Result<Vec<Arc<Account>>> {
        let raw: Vec<i64> = ids.iter().map(|id| id.0).collect();
        cached_or_loaded(&self.accounts, &raw, account_weight, |missing| {
            let missing: Vec<AccountId> = missing.iter().copied().map(AccountId).collect();
            Ok(load(&missing)?.into_iter().map(|a| (a.id.0, a)).collect())
        })
    }

    pub fn app(&self, id: AppId, load: impl FnOnce(AppId) -> Result<Option<App>>) -> Result<Option<App>> {
        let found = cached_or_loaded(&self.apps, &[id.0], app_weight, |_| {
            Ok(load(id)?.into_iter().map(|app| (app.id.0, app)).collect())
        })?;
        Ok(found.into_iter().next().map(Arc::unwrap_or_clone))
    }

    /// [`Self::statuses`] in two halves, for a backend whose load is async:
    /// the lookup, then [`EntityCache::finish_statuses`] with what was loaded.
    pub fn start_statuses(&self, ids: &[i64]) -> Lookup<Status> {
        Lookup::start(&self.statuses, ids)
    }
    pub fn finish_statuses(&self, lookup: Lookup<Status>, loaded: Vec<Status>) -> Vec<Arc<Status>> {
        lookup.finish(&self.statuses, status_weight, loaded.into_iter().map(|s| (s.id.0, s)).collect())
    }
    /// [`Self::accounts`] in two halves (see [`Self::start_statuses`]).
    pub fn start_accounts(&self, ids: &[AccountId]) -> Lookup<Account> {
        let raw: Vec<i64> = ids.iter().map(|id| id.0).collect();
        Lookup::start(&self.accounts, &raw)
    }
    pub fn finish_accounts(&self, lookup: Lookup<Account>, loaded: Vec<Account>) -> Vec<Arc<Account>> {
        lookup.finish(&self.accounts, account_weight, loaded.into_iter().map(|a| (a.id.0, a)).collect())
    }
    /// [`Self::app`] in two halves (see [`Self::start_statuses`]).
    pub fn start_app(&self, id: AppId) -> Lookup<App> {
        Lookup::start(&self.apps, &[id.0])
    }
    pub fn finish_app(&self, lookup: Lookup<App>, loaded: Option<App>) -> Option<App> {
        let found = lookup.finish(&self.apps, app_weight, loaded.into_iter().map(|a| (a.id.0, a)).collect());
        found.into_iter().next().map(Arc::unwrap_or_clone)
    }

    /// What is cached now (for the rebuild-and-compare check).
    pub fn cached(&self) -> Cached {
        Cached { statuses: self.statuses.values(), accounts: self.accounts.values(), apps: self.apps.values() }
    }
}

/// Everything the entity cache holds at one moment.
pub struct Cached {
    pub statuses: Vec<Arc<Status>>,
    pub accounts: Vec<Arc<Account>>,
    pub apps: Vec<Arc<App>>,
}

impl ChangeListener for EntityCache {
    fn apply(&self, record: &ChangeRecord) {
        let status = |id: StatusId| self.statuses.forget(id.0);
        let account = |id: AccountId| self.accounts.forget(id.0);
        match &record.change {
            Change::AccountCreated { account: a }
            | Change::ProfileUpdated { account: a }
            | Change::StandingChanged { account: a, .. } => account(*a),
            Change::AppCreated { app } => self.apps.forget(app.0),
            // Status rows carry the counts of replies and boosts, accounts of statuses.
            Change::StatusCreated { status: s, account: a, in_reply_to, reblog_of }
            | Change::StatusDeleted { status: s, account: a, in_reply_to, reblog_of, .. } => {
                status(*s);
                account(*a);
                in_reply_to.iter().chain(reblog_of).for_each(|s| status(*s));
            }
            Change::StatusEdited { status: s, .. } => status(*s),
            Change::Favourited { status: s, .. } | Change::Unfavourited { status: s, .. } => status(*s),
            // Follower and following counts.
            Change::Followed { account: a, target } | Change::Unfollowed { account: a, target } => {
                account(*a);
                account(*target);
            }
            Change::Everything => self.reset(),
            Change::TokensRevoked { .. }
            | Change::TokenRevoked { .. }
            | Change::Pinned { .. }
            | Change::Unpinned { .. }
            | Change::Bookmarked { .. }
            | Change::Unbookmarked { .. }
            | Change::FollowRequested { .. }
            | Change::FollowRequestClosed { .. }
            | Change::Blocked { .. }
            | Change::Unblocked { .. }
            | Change::Muted { .. }
            | Change::Unmuted { .. }
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
        self.statuses.clear();
        self.accounts.clear();
        self.apps.clear();
    }
}

/// The values for `ids` from `cache` (each ID once, in the order first
/// asked), loading the missing ones with `load` (one query for all of them)
/// and keeping what was loaded.
fn cached_or_loaded<T>(
    cache: &Sharded<T>,
    ids: &[i64],
    weight: fn(&T) -> usize,
    load: impl FnOnce(&[i64]) -> Result<HashMap<i64, T>>,
) -> Result<Vec<Arc<T>>> {
    let lookup = Lookup::start(cache, ids);
    let loaded = if lookup.missing.is_empty() { HashMap::new() } else { load(&lookup.missing_ids())? };
    Ok(lookup.finish(cache, weight, loaded))
}

/// A read through a cache in two halves, so the load between them may be
/// a blocking call (SQLite) or an `.await` (PostgreSQL): what was found,
/// and tickets for what is missing.
pub struct Lookup<T> {
    found: Vec<Option<Arc<T>>>,
    missing: Vec<(usize, i64, Ticket)>,
}

impl<T> Lookup<T> {
    pub(crate) fn start(cache: &Sharded<T>, ids: &[i64]) -> Self {
        let mut found: Vec<Option<Arc<T>>> = Vec::with_capacity(ids.len());
        let mut missing = Vec::new();
        let mut asked = rustc_hash::FxHashSet::default();
        for &id in ids {
            if !asked.insert(id) {
                continue;
            }
            let i = found.len();
            match cache.get_or_ticket(id) {
                Ok(value) => found.push(Some(value)),
                Err(ticket) => {
                    found.push(None);
                    missing.push((i, id, ticket));
                }
            }
        }
        Lookup { found, missing }
    }

    pub fn missing_ids(&self) -> Vec<i64> {
        self.missing.iter().map(|&(_, id, _)| id).collect()
    }

    /// The values in the order asked; keeps what was loaded (unless its
    /// shard forgot anything since the lookup started).
    pub(crate) fn finish(
        self,
        cache: &Sharded<T>,
        weight: fn(&T) -> usize,
        mut loaded: HashMap<i64, T>,
    ) -> Vec<Arc<T>> {
        let mut found = self.found;
        for (i, id, ticket) in self.missing {
            let Some(value) = loaded.remove(&id).map(Arc::new) else { continue };
            cache.put(ticket, id, value.clone(), weight(&value));
            found[i] = Some(value);
        }
        found.into_iter().flatten().collect()
    }
}

fn status_weight(s: &Status) -> usize {
    std::mem::size_of::<Status>()
        + s.text.len()
        + s.content_html.len()
        + s.spoiler_text.len()
        + s.mentions.len() * 8
        + s.tags.iter().map(|t| t.len() + 24).sum::<usize>()
        + 64
}

fn account_weight(a: &Account) -> usize {
    std::mem::size_of::<Account>()
        + a.username.len()
        + a.display_name.len()
        + a.note.len()
        + a.note_html.len()
        + a.fields.iter().map(|f| f.name.len() + f.value.len() + 48).sum::<usize>()
        + a.organisation.as_ref().map_or(0, String::len)
        + 64
}

fn app_weight(a: &App) -> usize {
    std::mem::size_of::<App>()
        + a.name.len()
        + a.website.as_ref().map_or(0, String::len)
        + a.redirect_uris.iter().map(|u| u.len() + 24).sum::<usize>()
        + a.scopes.len()
        + a.client_id.len()
        + 64
}
