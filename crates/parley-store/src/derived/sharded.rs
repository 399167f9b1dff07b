//! A bounded map of cached values split into locked shards, the building
//! block of the store's in-memory caches ([`super::home_index`],
//! [`super::entities`]).
//!
//! A load races with writes: it may read the database just before a write
//! commits and finish after the write dropped the entry. Each shard counts
//! the entries it drops (its epoch), and a load stores what it read only if
//! the epoch did not move meanwhile. A shard that outgrows its share of the
//! bound starts over, rather than tracking recency on every read.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rustc_hash::FxHashMap;

use crate::Result;

const SHARDS: usize = 64;

pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Everything kept here is a cache that is consistent after every statement.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A kept value, its weight, and its hint: one number about the value kept
/// inline, to be read without touching the value (see [`Sharded::hint`]).
struct Entry<T> {
    value: Arc<T>,
    weight: usize,
    hint: i64,
}

struct Shard<T> {
    /// Keyed by ID with a multiplicative hash: a home page looks up one
    /// entry per followed account, and SipHash was a visible share of that.
    entries: FxHashMap<i64, Entry<T>>,
    /// Entries dropped so far: a load stores its result only if this did not move.
    epoch: u64,
    weight: usize,
}

pub struct Sharded<T> {
    shards: Box<[Mutex<Shard<T>>]>,
    max_weight_per_shard: usize,
    hint: fn(&T) -> i64,
}

/// Which shard's epoch a load saw before it read the database.
#[derive(Clone, Copy)]
pub struct Ticket {
    shard: usize,
    epoch: u64,
}

impl<T> Sharded<T> {
    /// A map whose entries weigh at most `max_weight` in all.
    pub fn new(max_weight: usize) -> Self {
        Self::with_hint(max_weight, |_| 0)
    }

    /// A map that also keeps `hint` of each value beside it.
    pub fn with_hint(max_weight: usize, hint: fn(&T) -> i64) -> Self {
        Sharded {
            hint,
            shards: (0..SHARDS)
                .map(|_| Mutex::new(Shard { entries: FxHashMap::default(), epoch: 0, weight: 0 }))
                .collect(),
            max_weight_per_shard: max_weight / SHARDS,
        }
    }

    fn shard_of(key: i64) -> usize {
        // IDs are time-ordered; mixing spreads neighbours over the shards.
        let mixed = (key as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58;
        mixed as usize % SHARDS
    }

    pub fn get(&self, key: i64) -> Option<Arc<T>> {
        lock(&self.shards[Self::shard_of(key)]).entries.get(&key).map(|e| e.value.clone())
    }

    /// The hint of the cached value, if any. Reading it touches only the
    /// map, not the value: every home page asks this of the same popular
    /// authors from both cores, and cloning their `Arc` bounced its
    /// reference count between the cores.
    pub fn hint(&self, key: i64) -> Option<i64> {
        lock(&self.shards[Self::shard_of(key)]).entries.get(&key).map(|e| e.hint)
    }

    /// The cached value, or a ticket to [`Self::put`] a freshly loaded one with.
    pub fn get_or_ticket(&self, key: i64) -> std::result::Result<Arc<T>, Ticket> {
        let shard = Self::shard_of(key);
        let guard = lock(&self.shards[shard]);
        match guard.entries.get(&key) {
            Some(e) => Ok(e.value.clone()),
            None => Err(Ticket { shard, epoch: guard.epoch }),
        }
    }

    /// Keeps `value`, loaded after `ticket` was taken, unless its shard dropped
    /// anything since (the value may then predate that write).
    pub fn put(&self, ticket: Ticket, key: i64, value: Arc<T>, weight: usize) {
        let mut guard = lock(&self.shards[ticket.shard]);
        if guard.epoch != ticket.epoch {
            return;
        }
        if guard.weight + weight > self.max_weight_per_shard {
            guard.entries.clear();
            guard.weight = 0;
        }
        guard.weight += weight;
        let hint = (self.hint)(&value);
        if let Some(old) = guard.entries.insert(key, Entry { value, weight, hint }) {
            guard.weight -= old.weight;
        }
    }

    pub fn get_or_load(
        &self,
        key: i64,
        weight: impl Fn(&T) -> usize,
        load: impl FnOnce() -> Result<T>,
    ) -> Result<Arc<T>> {
        let ticket = match self.get_or_ticket(key) {
            Ok(value) => return Ok(value),
            Err(ticket) => ticket,
        };
        let value = Arc::new(load()?);
        self.put(ticket, key, value.clone(), weight(&value));
        Ok(value)
    }

    pub fn forget(&self, key: i64) {
        let mut guard = lock(&self.shards[Self::shard_of(key)]);
        guard.epoch += 1;
        if let Some(old) = guard.entries.remove(&key) {
            guard.weight -= old.weight;
        }
    }

    /// Every value kept now (for the rebuild-and-compare check).
    pub fn values(&self) -> Vec<Arc<T>> {
        self.shards.iter().flat_map(|s| lock(s).entries.values().map(|e| e.value.clone()).collect::<Vec<_>>()).collect()
    }

    /// Every (key, value) kept now (for the rebuild-and-compare check).
    pub fn entries(&self) -> Vec<(i64, Arc<T>)> {
        self.shards
            .iter()
            .flat_map(|s| lock(s).entries.iter().map(|(k, e)| (*k, e.value.clone())).collect::<Vec<_>>())
            .collect()
    }

    pub fn clear(&self) {
        for shard in self.shards.iter() {
            let mut guard = lock(shard);
            guard.epoch += 1;
            guard.entries.clear();
            guard.weight = 0;
        }
    }
}
