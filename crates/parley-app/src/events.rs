//! The event hub: what happened, for whoever is listening (server-sent
//! events on the web, later Mastodon's streaming API). In-process only; the
//! PostgreSQL work will relay it between nodes.
//!
//! Events carry no private data (a poll event says only which poll changed),
//! so a listener re-reads what it shows through the services, with the
//! viewer's own visibility. Slow listeners miss events rather than slow the
//! server: the channel is bounded and lagging receivers skip ahead.

use parley_core::{PollId, StatusId};
use tokio::sync::broadcast;

/// Events kept for slow listeners before they start skipping.
const CAPACITY: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A ballot was recorded (durably) in this poll.
    PollVoted(PollId),
    /// A poll's options or end changed, or it ended.
    PollChanged(PollId),
    /// A status was posted.
    StatusPosted(StatusId),
}

pub struct EventHub {
    tx: broadcast::Sender<Event>,
}

impl Default for EventHub {
    fn default() -> Self {
        EventHub { tx: broadcast::channel(CAPACITY).0 }
    }
}

impl EventHub {
    pub fn publish(&self, event: Event) {
        // No listener is not an error.
        let _ = self.tx.send(event);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }
}
