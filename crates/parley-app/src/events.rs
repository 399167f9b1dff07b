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
use parley_core::{AccountId, ConversationId, NotificationId, PollId, StatusId};
use parley_store::changes::{Change, ChangeListener, ChangeRecord};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// Events kept for slow listeners before they start skipping.
const CAPACITY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Ballots were recorded (durably) in this poll: told only to listeners
    /// that watch it ([`Subscription::watch_poll`]), never on the shared channel.
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
    /// One of `account`'s conversations changed (a direct status joined it, or it was read).
    ConversationChanged { conversation: ConversationId, account: AccountId },
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
    /// Votes, per poll, for the listeners that watch it.
    poll_watches: std::sync::Arc<PollWatches>,
}

/// A listener's place in the hub. Ends (as if closed) once the server stops.
///
/// Votes do not travel the shared channel (a viral poll would wake every
/// listener a thousand times a second): a listener says which polls it
/// watches ([`Subscription::watch_poll`]) and hears `PollVoted` for those
/// only, once per wake however many votes arrived meanwhile.
pub struct Subscription {
    rx: broadcast::Receiver<Event>,
    stopping: tokio::sync::watch::Receiver<bool>,
    polls: Vec<(PollId, tokio::sync::watch::Receiver<u64>)>,
    hub: std::sync::Weak<PollWatches>,
}

impl Subscription {
    /// Also hear of votes in `poll`.
    pub fn watch_poll(&mut self, poll: PollId) {
        if self.polls.iter().any(|(id, _)| *id == poll) {
            return;
        }
        if let Some(watches) = self.hub.upgrade() {
            self.polls.push((poll, watches.watch(poll)));
        }
    }

    /// Stop hearing of votes in `poll`.
    pub fn unwatch_poll(&mut self, poll: PollId) {
        self.polls.retain(|(id, _)| *id != poll);
    }

    /// The next event, votes in watched polls included; `Lagged` when this
    /// listener fell behind, `Closed` when the server stops.
    pub async fn recv(&mut self) -> Result<Event, RecvError> {
        if *self.stopping.borrow() {
            return Err(RecvError::Closed);
        }
        let voted = async {
            if self.polls.is_empty() {
                return std::future::pending().await;
            }
            let changes = self.polls.iter_mut().map(|(id, rx)| {
                let id = *id;
                Box::pin(async move { rx.changed().await.map(|()| id) })
            });
            futures_util::future::select_all(changes).await.0
        };
        tokio::select! {
            event = self.rx.recv() => event,
            Ok(poll) = voted => Ok(Event::PollVoted(poll)),
            _ = self.stopping.wait_for(|stopping| *stopping) => Err(RecvError::Closed),
        }
    }

    /// The next event that is not a vote (while the caller waits to tell
    /// votes it already heard of, it need not be woken by more).
    pub async fn recv_except_votes(&mut self) -> Result<Event, RecvError> {
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
        for (id, rx) in &mut self.polls {
            if rx.has_changed().unwrap_or(false) {
                rx.mark_unchanged();
                return Ok(Event::PollVoted(*id));
            }
        }
        self.rx.try_recv()
    }
}

/// Who watches which poll's votes: a version per poll, bumped by each ballot.
#[derive(Default)]
struct PollWatches {
    polls: std::sync::Mutex<std::collections::HashMap<PollId, tokio::sync::watch::Sender<u64>>>,
}

/// Polls with watchers kept before unwatched ones are dropped from the map.
const MAX_WATCHED_POLLS: usize = 1024;

impl PollWatches {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<PollId, tokio::sync::watch::Sender<u64>>> {
        self.polls.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn watch(&self, poll: PollId) -> tokio::sync::watch::Receiver<u64> {
        let mut polls = self.lock();
        if polls.len() >= MAX_WATCHED_POLLS {
            polls.retain(|_, tx| tx.receiver_count() > 0);
        }
        polls.entry(poll).or_insert_with(|| tokio::sync::watch::Sender::new(0)).subscribe()
    }

    fn voted(&self, poll: PollId) {
        let mut polls = self.lock();
        if let Some(tx) = polls.get(&poll) {
            if tx.receiver_count() == 0 {
                polls.remove(&poll);
            } else {
                tx.send_modify(|version| *version += 1);
            }
        }
    }
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub {
            tx: broadcast::channel(CAPACITY).0,
            listings: AtomicU64::new(0),
            stopping: tokio::sync::watch::Sender::new(false),
            poll_watches: Default::default(),
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
        Subscription {
            rx: self.tx.subscribe(),
            stopping: self.stopping.subscribe(),
            polls: Vec::new(),
            hub: std::sync::Arc::downgrade(&self.poll_watches),
        }
    }

    /// Ends every subscription, now and later (the server is stopping).
    pub fn stop(&self) {
        self.stopping.send_replace(true);
    }
}

impl ChangeListener for EventHub {
    fn apply(&self, record: &ChangeRecord) {
        match &record.change {
            Change::BallotRecorded { poll, .. } => self.poll_watches.voted(*poll),
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
            Change::ConversationUpdated { account, conversation } => {
                self.publish(Event::ConversationChanged { conversation: *conversation, account: *account })
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
