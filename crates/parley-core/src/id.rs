//! Time-ordered 64-bit identifiers, as Mastodon makes them.
//!
//! The high 48 bits hold milliseconds since the Unix epoch, the low 16 bits a
//! sequence (10 bits) and the node that made the ID (6 bits), so ordering by
//! ID is ordering by creation time and `max_id` / `since_id` / `min_id` are
//! plain index range scans. Two processes writing to one database (a server
//! and the CLI, or several nodes on PostgreSQL) hold different node numbers,
//! so their IDs never collide. IDs travel as decimal strings, like Mastodon's.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// Bits of an ID that name the node (process) that made it.
pub const NODE_BITS: u32 = 6;
/// How many nodes may make IDs at once.
pub const MAX_NODES: i64 = 1 << NODE_BITS;

/// Makes strictly increasing IDs from the clock; safe to share between threads.
///
/// An ID is a *slot* (`ms << 10 | sequence`) followed by the node number; the
/// generator hands out slots in increasing order, so a node's IDs increase
/// strictly and two nodes' IDs differ in their low bits.
#[derive(Debug, Default)]
pub struct IdGenerator {
    /// The last slot handed out.
    last_slot: AtomicI64,
    /// Sequence for back-dated IDs (see [`IdGenerator::at`]).
    seq: AtomicI64,
    node: i64,
}

impl IdGenerator {
    /// A generator for node 0 (a process alone with its database: tests, tools).
    pub fn new() -> Self {
        Self::default()
    }

    /// A generator whose IDs carry `node` (taken modulo [`MAX_NODES`]).
    pub fn for_node(node: i64) -> Self {
        IdGenerator { node: node.rem_euclid(MAX_NODES), ..Self::default() }
    }

    pub fn node(&self) -> i64 {
        self.node
    }

    /// The next ID: the current millisecond's first slot, or the slot after
    /// the last one handed out when the clock has not moved (or moved backwards).
    pub fn next_raw(&self) -> i64 {
        let candidate = Utc::now().timestamp_millis() << (16 - NODE_BITS);
        let mut last = self.last_slot.load(Ordering::Relaxed);
        loop {
            let next = candidate.max(last + 1);
            match self.last_slot.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return (next << NODE_BITS) | self.node,
                Err(actual) => last = actual,
            }
        }
    }

    /// An ID for something that happened at `at` (back-dated imports, seeding):
    /// the time in the high bits, a rolling sequence and the node in the low ones.
    pub fn at(&self, at: DateTime<Utc>) -> i64 {
        let seq = self.seq.fetch_add(1, Ordering::Relaxed) & ((1 << (16 - NODE_BITS)) - 1);
        raw_id_at(at) | (seq << NODE_BITS) | self.node
    }

    /// Makes sure later IDs sort after `seen` (used at start with the largest stored ID).
    pub fn observe(&self, seen: i64) {
        self.last_slot.fetch_max(seen >> NODE_BITS, Ordering::Relaxed);
    }
}

/// The smallest ID that could have been made at `at`: a bound for time-based range scans.
pub fn raw_id_at(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis() << 16
}

/// The creation time encoded in an ID.
pub fn raw_id_time(raw: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(raw >> 16).unwrap_or_default()
}

/// An ID from a client that is not a decimal 64-bit number.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a valid ID")]
pub struct BadId;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl $name {
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = BadId;
            fn from_str(s: &str) -> Result<Self, BadId> {
                // Mastodon IDs are positive decimals; anything else names nothing.
                if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(BadId);
                }
                s.parse::<i64>().map($name).map_err(|_| BadId)
            }
        }
    };
}

id_type!(
    /// An account, local or (later) remote.
    AccountId
);
id_type!(
    /// A status (post), including boosts.
    StatusId
);
id_type!(
    /// A poll attached to a status.
    PollId
);
id_type!(
    /// An uploaded media attachment (attached to a status or not yet).
    MediaId
);
id_type!(
    /// One account's direct-message thread with a set of participants.
    ConversationId
);
id_type!(
    /// A status waiting to be published at its time.
    ScheduledStatusId
);
id_type!(
    /// A notification row.
    NotificationId
);
id_type!(
    /// A registered OAuth application.
    AppId
);
id_type!(
    /// A list of accounts an account reads as its own timeline.
    ListId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_strictly_increase_even_within_one_millisecond() {
        let ids = IdGenerator::new();
        let mut prev = ids.next_raw();
        for _ in 0..10_000 {
            let next = ids.next_raw();
            assert!(next > prev);
            prev = next;
        }
    }

    #[test]
    fn ids_encode_their_creation_time() {
        let ids = IdGenerator::new();
        let before = Utc::now().timestamp_millis();
        let id = ids.next_raw();
        let t = raw_id_time(id).timestamp_millis();
        assert!(t >= before && t <= Utc::now().timestamp_millis());
        assert!(raw_id_at(raw_id_time(id)) <= id);
    }

    #[test]
    fn observe_moves_the_generator_past_stored_ids() {
        let ids = IdGenerator::new();
        let future = (Utc::now().timestamp_millis() + 60_000) << 16;
        ids.observe(future);
        assert!(ids.next_raw() > future);
    }

    #[test]
    fn nodes_never_make_the_same_id() {
        let a = IdGenerator::for_node(1);
        let b = IdGenerator::for_node(2);
        let from_a: std::collections::HashSet<i64> = (0..5_000).map(|_| a.next_raw()).collect();
        assert!((0..5_000).map(|_| b.next_raw()).all(|id| !from_a.contains(&id)));
        assert!(from_a.iter().all(|id| id & (MAX_NODES - 1) == 1));
        let back = Utc::now() - chrono::Duration::days(3);
        assert_ne!(a.at(back), b.at(back));
        assert_eq!(b.at(back) & (MAX_NODES - 1), 2);
    }

    #[test]
    fn observing_another_nodes_id_keeps_this_nodes_bits() {
        let ids = IdGenerator::for_node(5);
        let future = ((Utc::now().timestamp_millis() + 60_000) << 16) | 9;
        ids.observe(future);
        let next = ids.next_raw();
        assert!(next > future);
        assert_eq!(next & (MAX_NODES - 1), 5);
    }

    #[test]
    fn parsing_accepts_only_decimal_ids() {
        assert_eq!("123".parse::<StatusId>(), Ok(StatusId(123)));
        for bad in ["", "-1", "1e3", "abc", " 1", "99999999999999999999", "9223372036854775808"] {
            assert_eq!(bad.parse::<StatusId>(), Err(BadId), "{bad:?}");
        }
    }
}
