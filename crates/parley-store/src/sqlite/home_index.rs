//! What the home timeline needs, kept in memory: each viewer's sources
//! (follows, blocks, mutes) and each author's newest statuses, as the rules
//! in [`super::home`] see them. Loaded on first use; dropped by the store
//! right after a write that changes them is durable, so a request that
//! follows a write always sees it. With both in memory a home page is a merge
//! of a few short lists: no SQL until the statuses themselves are loaded.
//!
//! A load races with writes: it may read the database just before a write
//! commits and finish after the write dropped the entry. Each shard counts
//! the entries it drops (its epoch), and a load stores what it read only if
//! the epoch did not move meanwhile.
//!
//! The index is per process, like the store's other caches; writes by
//! another process (the CLI, another node) are not seen by it. Such writes
//! to these tables are the bulk seeding command only, which runs with the
//! server stopped.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use parley_core::AccountId;

use super::home::{Recent, Sources};
use crate::Result;

const SHARDS: usize = 64;

/// Followed, blocked and muted accounts kept, over all viewers (8 bytes each).
const MAX_SOURCE_ENTRIES: usize = 6_000_000;
/// Statuses kept, over all authors (56 bytes each, a direct status more).
const MAX_RECENT_STATUSES: usize = 2_000_000;

pub struct HomeIndex {
    sources: Sharded<Sources>,
    recent: Sharded<Recent>,
    /// Suspended accounts, and how often the set was dropped (its epoch).
    suspended: Mutex<(u64, Option<Arc<HashSet<i64>>>)>,
}

impl Default for HomeIndex {
    fn default() -> Self {
        HomeIndex {
            sources: Sharded::new(MAX_SOURCE_ENTRIES),
            recent: Sharded::new(MAX_RECENT_STATUSES),
            suspended: Mutex::new((0, None)),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Everything here is a cache that is consistent after every statement.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HomeIndex {
    /// A viewer's sources, loaded with `load` if not in memory.
    pub fn sources(&self, viewer: AccountId, load: impl FnOnce() -> Result<Sources>) -> Result<Arc<Sources>> {
        self.sources.get_or_load(viewer, Sources::weight, load)
    }

    /// An author's newest statuses, loaded with `load` if not in memory.
    pub fn recent(&self, author: AccountId, load: impl FnOnce() -> Result<Recent>) -> Result<Arc<Recent>> {
        self.recent.get_or_load(author, |r| r.statuses.len() + 1, load)
    }

    pub fn suspended(&self, load: impl FnOnce() -> Result<HashSet<i64>>) -> Result<Arc<HashSet<i64>>> {
        let epoch = {
            let guard = lock(&self.suspended);
            if let Some(set) = &guard.1 {
                return Ok(set.clone());
            }
            guard.0
        };
        let set = Arc::new(load()?);
        let mut guard = lock(&self.suspended);
        if guard.0 == epoch {
            guard.1 = Some(set.clone());
        }
        Ok(set)
    }

    /// A viewer's sources if in memory.
    pub fn cached_sources(&self, viewer: AccountId) -> Option<Arc<Sources>> {
        self.sources.get(viewer)
    }

    /// An author's newest statuses if in memory.
    pub fn cached_recent(&self, author: AccountId) -> Option<Arc<Recent>> {
        self.recent.get(author)
    }

    pub fn cached_suspended(&self) -> Option<Arc<HashSet<i64>>> {
        lock(&self.suspended).1.clone()
    }

    /// After a change to whom `account` follows, blocks or mutes, or who blocks them.
    pub fn forget_sources(&self, account: AccountId) {
        self.sources.forget(account);
    }

    /// After `author` posted, boosted, edited or deleted.
    pub fn forget_recent(&self, author: AccountId) {
        self.recent.forget(author);
    }

    /// After an account was suspended or unsuspended.
    pub fn forget_suspended(&self) {
        let mut guard = lock(&self.suspended);
        guard.0 += 1;
        guard.1 = None;
    }

    /// After writes the index cannot follow (bulk loads, raw SQL).
    pub fn forget_everything(&self) {
        self.sources.clear();
        self.recent.clear();
        self.forget_suspended();
    }
}

struct Shard<T> {
    entries: HashMap<AccountId, (Arc<T>, usize)>,
    /// Entries dropped so far: a load stores its result only if this did not move.
    epoch: u64,
    weight: usize,
}

struct Sharded<T> {
    shards: Box<[Mutex<Shard<T>>]>,
    max_weight_per_shard: usize,
}

impl<T> Sharded<T> {
    fn new(max_weight: usize) -> Self {
        Sharded {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard { entries: HashMap::new(), epoch: 0, weight: 0 })).collect(),
            max_weight_per_shard: max_weight / SHARDS,
        }
    }

    fn shard(&self, key: AccountId) -> &Mutex<Shard<T>> {
        // IDs are time-ordered; mixing spreads neighbours over the shards.
        let mixed = (key.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
        &self.shards[mixed as usize % SHARDS]
    }

    fn get(&self, key: AccountId) -> Option<Arc<T>> {
        lock(self.shard(key)).entries.get(&key).map(|(value, _)| value.clone())
    }

    fn get_or_load(
        &self,
        key: AccountId,
        weight: impl Fn(&T) -> usize,
        load: impl FnOnce() -> Result<T>,
    ) -> Result<Arc<T>> {
        let shard = self.shard(key);
        let epoch = {
            let guard = lock(shard);
            if let Some((value, _)) = guard.entries.get(&key) {
                return Ok(value.clone());
            }
            guard.epoch
        };
        let value = Arc::new(load()?);
        let w = weight(&value);
        let mut guard = lock(shard);
        if guard.epoch == epoch {
            if guard.weight + w > self.max_weight_per_shard {
                // Full: start this shard over rather than track recency on every read.
                guard.entries.clear();
                guard.weight = 0;
            }
            guard.weight += w;
            if let Some((_, old)) = guard.entries.insert(key, (value.clone(), w)) {
                guard.weight -= old;
            }
        }
        Ok(value)
    }

    fn forget(&self, key: AccountId) {
        let mut guard = lock(self.shard(key));
        guard.epoch += 1;
        if let Some((_, w)) = guard.entries.remove(&key) {
            guard.weight -= w;
        }
    }

    fn clear(&self) {
        for shard in self.shards.iter() {
            let mut guard = lock(shard);
            guard.epoch += 1;
            guard.entries.clear();
            guard.weight = 0;
        }
    }
}
