//! The event hub: what happened, for whoever is listening (server-sent
//! events on the web, later Mastodon's streaming API). Fed only by the change
//! log (see `parley_store::changes`), so it says what is durable, and tells of
//! changes made by any process, not just this one.
//!
//! Events carry no private data (a poll event says only which poll changed),
//! so a listener re-reads what it shows through the services, with the
//! viewer's own visibility. Slow listeners miss events rather than slow the
//! server: the channel is bounded and lagging receivers skip ahead.

use std::sync::atomic::{AtomicU64, Ordering};

use parley_core::model::Visibility;
use parley_core::{AccountId, NotificationId, PollId, StatusId};
use parley_store::changes::{Change, ChangeListener, ChangeRecord};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// Events kept for slow listeners before they start skipping.
const CAPACITY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A ballot was recorded (durably) in this poll.
    PollVoted(PollId),
    /// A poll's options or end changed, or it ended.
    PollChanged(PollId),
    /// A status was posted (a boost included).
    StatusPosted(StatusId),
    /// A status was edited.
    StatusEdited(StatusId),
    /// A status was deleted; who could see it says who may be told.
    StatusDeleted { status: StatusId, account: AccountId, visibility: Option<Visibility> },
    /// `account` has a new notification.
    Notified { notification: NotificationId, account: AccountId },
    /// An account's profile or standing (suspension, organisation) changed.
    AccountChanged(AccountId),
    /// A token, or every token of an account, may have stopped being valid.
    AuthChanged,
}

impl Event {
    /// Does this change what a public page of statuses shows (beyond counters)?
    fn changes_listings(&self) -> bool {
        matches!(
            self,
            Event::StatusPosted(_) | Event::StatusEdited(_) | Event::StatusDeleted { .. } | Event::AccountChanged(_)
        )
    }
}

pub struct EventHub {
    tx: broadcast::Sender<Event>,
    /// Bumped by every event that changes listings: caches of public pages
    /// compare it to know they are stale without subscribing.
    listings: AtomicU64,
    /// Set when the server stops: every subscription ends, so open streams
    /// (a browser's live poll, a client's timeline) do not hold shutdown up.
    stopping: tokio::sync::watch::Sender<bool>,
}

/// A listener's place in the hub. Ends (as if closed) once the server stops.
pub struct Subscription {
    rx: broadcast::Receiver<Event>,
    stopping: tokio::sync::watch::Receiver<bool>,
}

impl Subscription {
    /// The next event; `Lagged` when this listener fell behind, `Closed` when the server stops.
    pub async fn recv(&mut self) -> Result<Event, RecvError> {
        if *self.stopping.borrow() {
            return Err(RecvError::Closed);
        }
        tokio::select! {
            event = self.rx.recv() => event,
            _ = self.stopping.wait_for(|stopping| *stopping) => Err(RecvError::Closed),
        }
    }

    /// An event already waiting, without waiting for one.
    pub fn try_recv(&mut self) -> Result<Event, TryRecvError> {
        if *self.stopping.borrow() {
            return Err(TryRecvError::Closed);
        }
        self.rx.try_recv()
    }
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub {
            tx: broadcast::channel(CAPACITY).0,
            listings: AtomicU64::new(0),
            stopping: tokio::sync::watch::Sender::new(false),
        }
    }
}

impl EventHub {
    pub fn publish(&self, event: Event) {
        if event.changes_listings() {
            self.listings.fetch_add(1, Ordering::Release);
        }
        // No listener is not an error.
        let _ = self.tx.send(event);
    }

    /// The listings generation (see [`EventHub`]'s `listings`).
    pub fn listings_generation(&self) -> u64 {
        self.listings.load(Ordering::Acquire)
    }

    pub fn subscribe(&self) -> Subscription {
        Subscription { rx: self.tx.subscribe(), stopping: self.stopping.subscribe() }
    }

    /// Ends every subscription, now and later (the server is stopping).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }
}

impl ChangeListener for EventHub {
    fn apply(&self, record: &ChangeRecord) {
        match &record.change {
            Change::BallotRecorded { poll, .. } => self.publish(Event::PollVoted(*poll)),
            Change::PollChanged { poll } | Change::PollClosed { poll } => self.publish(Event::PollChanged(*poll)),
            Change::StatusCreated { status, .. } => self.publish(Event::StatusPosted(*status)),
            Change::StatusEdited { status, .. } => self.publish(Event::StatusEdited(*status)),
            Change::StatusDeleted { status, account, poll, visibility, .. } => {
                self.publish(Event::StatusDeleted { status: *status, account: *account, visibility: *visibility });
                if let Some(poll) = poll {
                    self.publish(Event::PollChanged(*poll));
                }
            }
            Change::NotificationCreated { notification, account } => {
                self.publish(Event::Notified { notification: *notification, account: *account })
            }
            Change::ProfileUpdated { account } => self.publish(Event::AccountChanged(*account)),
            Change::StandingChanged { account, .. } => {
                self.publish(Event::AccountChanged(*account));
                self.publish(Event::AuthChanged);
            }
            Change::TokenRevoked { .. } | Change::TokensRevoked { .. } => self.publish(Event::AuthChanged),
            Change::Everything => self.reset(),
            _ => {}
        }
    }

    fn reset(&self) {
        // Listings may have changed in any way, and so may any token.
        self.listings.fetch_add(1, Ordering::Release);
        let _ = self.tx.send(Event::AuthChanged);
    }
}
