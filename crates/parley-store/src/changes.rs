//! The change log: what every write changed, in commit order, and the one
//! place that applies it to derived state.
//!
//! Every write appends [`Change`] records to an append-only table in the same
//! transaction as the change itself, each with a sequence number that only
//! grows. Everything kept in memory to be fast (the entity cache, the home
//! index, poll tallies, identities, the event hub…) is *derived* and changes
//! only when a record is applied, by [`ChangeFeed::apply`], strictly in log
//! order and never from a request's future: the store applies its own records
//! right after their group commits (before any request of the group is
//! answered: read your writes), and records written by other processes (the
//! CLI, other nodes) when it sees them in the table.
//!
//! Records say *what* changed (IDs and a little of the row), never how to show
//! it. A listener that cannot follow a record exactly forgets what it may
//! affect: a derived structure may always be dropped and loaded again.

use std::sync::{Arc, Mutex, RwLock};

use parley_core::{AccountId, AppId, ConversationId, NotificationId, PollId, ScheduledStatusId, StatusId};
use serde::{Deserialize, Serialize};

use crate::Result;

/// One change, as recorded in the log. New kinds are added at the end of a
/// listener's `match`; a process that reads a kind it does not know (an older
/// binary beside a newer one) forgets everything rather than guess.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    AccountCreated {
        account: AccountId,
    },
    /// Display name, note, fields, locked or bot.
    ProfileUpdated {
        account: AccountId,
    },
    /// Role, organisation label, approval or suspension.
    StandingChanged {
        account: AccountId,
        /// Suspension or approval was set or lifted: whether the account is
        /// shown to others (`account_shown`) changes everywhere.
        suspension: bool,
    },
    /// Every token of the account was revoked (password reset, suspension).
    TokensRevoked {
        account: AccountId,
    },
    /// One token was revoked (sign-out, `POST /oauth/revoke`). The hash, as
    /// stored in the tokens table, never the token.
    TokenRevoked {
        token_hash: String,
    },
    AppCreated {
        app: AppId,
    },
    StatusCreated {
        status: StatusId,
        account: AccountId,
        in_reply_to: Option<StatusId>,
        reblog_of: Option<StatusId>,
    },
    /// Text, mentions or tags of a status changed (a change to its poll is
    /// a [`Change::PollChanged`] of its own).
    StatusEdited {
        status: StatusId,
        account: AccountId,
    },
    StatusDeleted {
        status: StatusId,
        account: AccountId,
        in_reply_to: Option<StatusId>,
        reblog_of: Option<StatusId>,
        poll: Option<PollId>,
        /// Who could have seen it (so a deletion is told only where the status was).
        #[serde(default)]
        visibility: Option<parley_core::model::Visibility>,
    },
    Favourited {
        account: AccountId,
        status: StatusId,
    },
    Unfavourited {
        account: AccountId,
        status: StatusId,
    },
    Pinned {
        account: AccountId,
        status: StatusId,
    },
    Bookmarked {
        account: AccountId,
        status: StatusId,
    },
    /// Also for each bookmark of a deleted status.
    Unbookmarked {
        account: AccountId,
        status: StatusId,
    },
    Unpinned {
        account: AccountId,
        status: StatusId,
    },
    /// `account` follows `target` now (or changed its follow's options).
    Followed {
        account: AccountId,
        target: AccountId,
    },
    Unfollowed {
        account: AccountId,
        target: AccountId,
    },
    FollowRequested {
        account: AccountId,
        target: AccountId,
    },
    FollowRequestClosed {
        account: AccountId,
        target: AccountId,
    },
    Blocked {
        account: AccountId,
        target: AccountId,
    },
    Unblocked {
        account: AccountId,
        target: AccountId,
    },
    Muted {
        account: AccountId,
        target: AccountId,
    },
    Unmuted {
        account: AccountId,
        target: AccountId,
    },
    NotificationCreated {
        notification: NotificationId,
        account: AccountId,
    },
    /// A ballot: `choices` sorted, each below the poll's option count.
    BallotRecorded {
        poll: PollId,
        account: AccountId,
        choices: Vec<u32>,
    },
    /// Options, `multiple`, the end or hidden totals changed (a status edit).
    PollChanged {
        poll: PollId,
    },
    PollClosed {
        poll: PollId,
    },
    /// A direct status joined one of `account`'s conversations, or the
    /// conversation was read, or lost a deleted status but not its last.
    ConversationUpdated {
        account: AccountId,
        conversation: ConversationId,
    },
    /// `account` removed the conversation, or its last status was deleted.
    ConversationRemoved {
        account: AccountId,
        conversation: ConversationId,
    },
    /// A scheduled status was created, moved, cancelled or published.
    ScheduledStatusChanged {
        account: AccountId,
        scheduled: ScheduledStatusId,
    },
    /// Rows changed in ways no record describes (bulk loading, raw SQL, a
    /// record this binary cannot read): forget everything derived.
    Everything,
}

/// A change with its place in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub seq: i64,
    pub change: Change,
}

impl ChangeRecord {
    /// A record read back from the log; one this binary cannot read becomes
    /// [`Change::Everything`], so it is never skipped silently.
    pub fn decode(seq: i64, body: &str) -> ChangeRecord {
        let change = serde_json::from_str(body).unwrap_or_else(|e| {
            tracing::warn!(seq, error = %e, "unreadable change record; forgetting all derived state");
            Change::Everything
        });
        ChangeRecord { seq, change }
    }

    pub fn encode(change: &Change) -> String {
        // A record is plain data with string keys: serialising cannot fail.
        serde_json::to_string(change).unwrap_or_else(|_| r#"{"kind":"everything"}"#.to_string())
    }
}

/// Derived state kept in step with the log. `apply` runs on the thread that
/// applies the log (the store's writer or its tailer), one record at a time,
/// in order: it must be quick and must not wait on the store.
pub trait ChangeListener: Send + Sync {
    fn apply(&self, record: &ChangeRecord);
    /// Forget everything (records were missed: pruned away, or unreadable).
    fn reset(&self);
}

/// The applied position of one process's derived state, and who is told.
pub struct ChangeFeed {
    /// The last sequence number applied. Its lock is held while applying, so
    /// records reach every listener in log order, each once.
    applied: Mutex<i64>,
    listeners: RwLock<Vec<Arc<dyn ChangeListener>>>,
}

impl ChangeFeed {
    /// A feed whose derived state already reflects everything up to `start`
    /// (it is empty, and loads what it needs from the database).
    pub fn new(start: i64) -> ChangeFeed {
        ChangeFeed { applied: Mutex::new(start), listeners: RwLock::new(Vec::new()) }
    }

    pub fn subscribe(&self, listener: Arc<dyn ChangeListener>) {
        self.listeners.write().unwrap_or_else(std::sync::PoisonError::into_inner).push(listener);
    }

    pub fn applied(&self) -> i64 {
        *self.applied.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies what follows the applied position. `known` are records this
    /// process just committed (or read), in order and without gaps; when they
    /// do not reach back to the applied position (another process wrote in
    /// between), or none are known, `fetch(after)` reads the log after
    /// `after`. Records at or before the applied position are skipped. A failed fetch
    /// forgets everything, so nothing stale is ever served.
    pub fn apply(&self, known: Vec<ChangeRecord>, mut fetch: impl FnMut(i64) -> Result<Fetched>) {
        let mut applied = self.applied.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let listeners = self.listeners.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let deliver = |records: Vec<ChangeRecord>, applied: &mut i64| {
            for record in records {
                if record.seq > *applied {
                    listeners.iter().for_each(|l| l.apply(&record));
                    *applied = record.seq;
                }
            }
        };
        match known.first() {
            Some(first) if first.seq <= *applied + 1 => return deliver(known, &mut applied),
            Some(_) if known.last().is_some_and(|last| last.seq <= *applied) => return,
            _ => {}
        }
        // Read the log until it has nothing after the applied position.
        loop {
            match fetch(*applied) {
                Ok(fetched) if fetched.records.is_empty() => return,
                Ok(fetched) => {
                    if fetched.missed {
                        // Records after ours were pruned before this process read them.
                        tracing::warn!(after = *applied, "change records missed; forgetting all derived state");
                        listeners.iter().for_each(|l| l.reset());
                    }
                    deliver(fetched.records, &mut applied);
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the change log; forgetting all derived state");
                    listeners.iter().for_each(|l| l.reset());
                    return;
                }
            }
        }
    }
}

/// What the log holds after a position.
#[derive(Debug, Default)]
pub struct Fetched {
    /// In log order.
    pub records: Vec<ChangeRecord>,
    /// Records right after the position are gone (pruned): what was derived
    /// from before them cannot be brought up to date record by record.
    pub missed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Seen(Mutex<Vec<String>>);

    impl ChangeListener for Seen {
        fn apply(&self, record: &ChangeRecord) {
            self.0.lock().expect("lock").push(format!("apply {}", record.seq));
        }
        fn reset(&self) {
            self.0.lock().expect("lock").push("reset".into());
        }
    }

    fn record(seq: i64) -> ChangeRecord {
        ChangeRecord { seq, change: Change::PollClosed { poll: PollId(seq) } }
    }

    fn feed_from(start: i64) -> (ChangeFeed, Arc<Seen>) {
        let feed = ChangeFeed::new(start);
        let seen = Arc::new(Seen::default());
        feed.subscribe(seen.clone());
        (feed, seen)
    }

    fn log(seen: &Seen) -> Vec<String> {
        std::mem::take(&mut *seen.0.lock().expect("lock"))
    }

    #[test]
    fn own_records_that_continue_the_position_are_applied_without_a_read() {
        let (feed, seen) = feed_from(10);
        feed.apply(vec![record(11), record(12)], |_| panic!("no read needed"));
        assert_eq!(log(&seen), ["apply 11", "apply 12"]);
        assert_eq!(feed.applied(), 12);
        // Already applied (the tailer was first): nothing happens twice.
        feed.apply(vec![record(11), record(12)], |_| panic!("no read needed"));
        assert!(log(&seen).is_empty());
    }

    #[test]
    fn records_of_another_process_in_between_are_read_from_the_log_in_order() {
        let (feed, seen) = feed_from(10);
        let table: Vec<ChangeRecord> = (11..=14).map(record).collect();
        feed.apply(vec![record(13), record(14)], |after| {
            Ok(Fetched { records: table.iter().filter(|r| r.seq > after).cloned().collect(), missed: false })
        });
        assert_eq!(log(&seen), ["apply 11", "apply 12", "apply 13", "apply 14"]);
        assert_eq!(feed.applied(), 14);
    }

    #[test]
    fn missed_records_or_an_unreadable_log_forget_everything() {
        let (feed, seen) = feed_from(10);
        let mut reads = 0;
        feed.apply(Vec::new(), |_| {
            reads += 1;
            Ok(if reads == 1 { Fetched { records: vec![record(15)], missed: true } } else { Fetched::default() })
        });
        assert_eq!(log(&seen), ["reset", "apply 15"]);
        feed.apply(Vec::new(), |_| Err(crate::StoreError::Backend("gone".into())));
        assert_eq!(log(&seen), ["reset"]);
        assert_eq!(feed.applied(), 15);
    }

    #[test]
    fn records_round_trip_and_unknown_ones_mean_everything() {
        let change = Change::BallotRecorded { poll: PollId(7), account: AccountId(9), choices: vec![0, 2] };
        let body = ChangeRecord::encode(&change);
        assert_eq!(ChangeRecord::decode(3, &body), ChangeRecord { seq: 3, change });
        assert_eq!(ChangeRecord::decode(4, r#"{"kind":"from_the_future"}"#).change, Change::Everything);
    }
}
