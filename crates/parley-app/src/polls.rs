//! Polls: voting, the in-memory tallies and voter index, history, signed
//! snapshots and integrity signals.
//!
//! The vote rows in the store are the truth. [`PollCache`] keeps each active
//! poll's tallies and its voters in memory so that reads and the "already
//! voted?" check never touch the database, let alone wait on the writer. It
//! is loaded from the store's read pool and advanced only after a ballot is
//! durable, so it never shows a vote the store could still lose.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use parley_core::model::{Poll, Visibility};
use parley_core::poll::{BallotBox, VoteError, show_totals, validate_vote};
use parley_core::{AccountId, PollId};
use parley_store::{Conflict, HistoryBucket, NewBallot, PollAudit, PollSignals, Rejection, StoreError};
use tokio::sync::OnceCell;

use crate::views::visible_status;
use crate::{AppError, Context, Result};

/// Above this many cached polls the cache starts over (a crude bound on memory).
const MAX_CACHED_POLLS: usize = 10_000;

/// One poll's live state.
struct LivePoll {
    poll: Poll,
    /// The visibility of the poll's status (fixed for a status's life).
    visibility: Visibility,
    counts: Mutex<Counts>,
    /// Voter → chosen options as a bit set (polls have at most 32 options).
    ballots: Mutex<HashMap<AccountId, u32>>,
}

#[derive(Clone)]
struct Counts {
    option_votes: Vec<i64>,
    votes: i64,
    voters: i64,
}

#[derive(Default)]
pub struct PollCache {
    slots: Mutex<HashMap<PollId, Arc<OnceCell<Arc<LivePoll>>>>>,
}

fn poisoned() -> AppError {
    AppError::Internal("poll cache lock poisoned".into())
}

fn bits(choices: &[u32]) -> u32 {
    choices.iter().fold(0u32, |acc, c| acc | (1u32 << c.min(&31)))
}

fn from_bits(mask: u32) -> Vec<u32> {
    (0..32).filter(|i| mask & (1 << i) != 0).collect()
}

impl PollCache {
    async fn live(&self, ctx: &Context, id: PollId) -> Result<Arc<LivePoll>> {
        let slot = {
            let mut slots = self.slots.lock().map_err(|_| poisoned())?;
            if slots.len() >= MAX_CACHED_POLLS && !slots.contains_key(&id) {
                slots.clear();
            }
            slots.entry(id).or_default().clone()
        };
        let live = slot
            .get_or_try_init(|| async {
                let poll = ctx.store.find_poll(id).await?.ok_or(AppError::NotFound)?;
                let status = ctx.store.find_status(poll.status_id).await?.ok_or(AppError::NotFound)?;
                let ballots: HashMap<AccountId, u32> =
                    ctx.store.poll_ballots(id).await?.into_iter().map(|(a, c)| (a, bits(&c))).collect();
                let counts = Counts {
                    option_votes: poll.option_votes.clone(),
                    votes: poll.votes_count,
                    voters: poll.voters_count,
                };
                Ok::<_, AppError>(Arc::new(LivePoll {
                    poll,
                    visibility: status.visibility,
                    counts: Mutex::new(counts),
                    ballots: Mutex::new(ballots),
                }))
            })
            .await;
        match live {
            Ok(live) => Ok(live.clone()),
            Err(e) => {
                // Do not keep a slot for a poll that failed to load (or does not exist).
                if let Ok(mut slots) = self.slots.lock() {
                    slots.remove(&id);
                }
                Err(e)
            }
        }
    }

    /// Forgets a poll (after an edit changed it or its status was deleted).
    pub fn invalidate(&self, id: PollId) {
        if let Ok(mut slots) = self.slots.lock() {
            slots.remove(&id);
        }
    }

    /// The poll as `viewer` sees it now.
    pub async fn view(&self, ctx: &Context, id: PollId, viewer: Option<AccountId>) -> Result<PollView> {
        let live = self.live(ctx, id).await?;
        let counts = live.counts.lock().map_err(|_| poisoned())?.clone();
        let own = match viewer {
            Some(me) => Some(live.ballots.lock().map_err(|_| poisoned())?.get(&me).copied()),
            None => None,
        };
        let mut poll = live.poll.clone();
        poll.option_votes = counts.option_votes;
        poll.votes_count = counts.votes;
        poll.voters_count = counts.voters;
        Ok(PollView::new(poll, viewer, own.map(|o| o.map(from_bits)), Utc::now()))
    }
}

/// A poll as one viewer sees it at one moment.
#[derive(Debug, Clone)]
pub struct PollView {
    pub poll: Poll,
    pub expired: bool,
    /// Per-option counts, or `None` while totals are hidden.
    pub option_votes: Option<Vec<i64>>,
    /// `None` for anonymous viewers.
    pub voted: Option<bool>,
    pub own_votes: Option<Vec<u32>>,
    pub as_of: DateTime<Utc>,
}

impl PollView {
    fn new(poll: Poll, viewer: Option<AccountId>, own: Option<Option<Vec<u32>>>, now: DateTime<Utc>) -> PollView {
        let expired = poll.expired(now);
        let option_votes = show_totals(poll.hide_totals, expired).then(|| poll.option_votes.clone());
        let is_author = viewer == Some(poll.account_id);
        let (voted, own_votes) = match own {
            None => (None, None),
            Some(choices) => (Some(is_author || choices.is_some()), Some(choices.unwrap_or_default())),
        };
        PollView { poll, expired, option_votes, voted, own_votes, as_of: now }
    }
}

/// The tally history of a poll, bucketed.
#[derive(Debug, Clone)]
pub struct PollHistory {
    pub poll: Poll,
    pub interval_seconds: i64,
    pub buckets: Vec<HistoryBucket>,
}

#[derive(Clone)]
pub struct PollService {
    ctx: Arc<Context>,
}

impl PollService {
    pub fn new(ctx: Arc<Context>) -> Self {
        PollService { ctx }
    }

    /// The poll, if its status is visible to the viewer (`GET /api/v1/polls/:id`).
    pub async fn get(&self, viewer: Option<AccountId>, id: PollId) -> Result<PollView> {
        let live = self.ctx.polls.live(&self.ctx, id).await?;
        self.check_visible(&live, viewer).await?;
        self.ctx.polls.view(&self.ctx, id, viewer).await
    }

    /// `POST /api/v1/polls/:id/votes`
    pub async fn vote(&self, voter: AccountId, id: PollId, choices: &[i64]) -> Result<PollView> {
        let ctx = &self.ctx;
        let live = ctx.polls.live(ctx, id).await?;
        // Public and unlisted polls: the ballot's own transaction checks that the
        // author neither blocks the voter nor is suspended (one round trip in all).
        if !public(&live) {
            visible_status(ctx, Some(voter), live.poll.status_id).await?;
        }
        let already = live.ballots.lock().map_err(|_| poisoned())?.contains_key(&voter);
        let ballot_box = BallotBox {
            author: live.poll.account_id,
            options: live.poll.options.len(),
            multiple: live.poll.multiple,
            expires_at: live.poll.expires_at,
        };
        let chosen = validate_vote(ballot_box, voter, choices, already, Utc::now()).map_err(vote_error)?;
        let recorded = ctx
            .store
            .record_ballot(NewBallot { poll_id: id, account_id: voter, choices: chosen.clone(), at: None })
            .await;
        match recorded {
            Ok(_) => {}
            Err(StoreError::Conflict(Conflict::AlreadyVoted)) => return Err(vote_error(VoteError::AlreadyVoted)),
            Err(StoreError::Rejected(Rejection::PollExpired)) => return Err(vote_error(VoteError::Expired)),
            Err(StoreError::Rejected(Rejection::InvalidChoice)) => return Err(vote_error(VoteError::InvalidChoice)),
            Err(StoreError::Rejected(Rejection::NotVisible)) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        }
        // Durable now: advance the live tallies.
        {
            let mut counts = live.counts.lock().map_err(|_| poisoned())?;
            for c in &chosen {
                if let Some(slot) = counts.option_votes.get_mut(*c as usize) {
                    *slot += 1;
                }
            }
            counts.votes += chosen.len() as i64;
            counts.voters += 1;
        }
        live.ballots.lock().map_err(|_| poisoned())?.insert(voter, bits(&chosen));
        ctx.events.publish(crate::events::Event::PollVoted(id));
        ctx.polls.view(ctx, id, Some(voter)).await
    }

    /// May `viewer` see the poll's status? For public and unlisted polls only a
    /// block by the author (or the author's suspension) hides it.
    async fn check_visible(&self, live: &LivePoll, viewer: Option<AccountId>) -> Result<()> {
        if !public(live) {
            return visible_status(&self.ctx, viewer, live.poll.status_id).await.map(|_| ());
        }
        // Public and unlisted: shown unless the author is suspended or blocks
        // the viewer (the author sees their own even while suspended).
        if viewer == Some(live.poll.account_id) {
            return Ok(());
        }
        if self.ctx.store.author_hidden_from(live.poll.account_id, viewer).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// The readable poll, refusing while totals are hidden (history and
    /// snapshots would reveal them).
    async fn readable(&self, viewer: Option<AccountId>, id: PollId) -> Result<Poll> {
        let view = self.get(viewer, id).await?;
        if view.option_votes.is_none() {
            return Err(AppError::Forbidden("The totals of this poll are hidden until it ends".into()));
        }
        Ok(view.poll)
    }

    /// `GET /api/v1/parley/polls/:id/history`
    pub async fn history(&self, viewer: Option<AccountId>, id: PollId, interval_seconds: i64) -> Result<PollHistory> {
        if !(1..=31_536_000).contains(&interval_seconds) {
            return Err(AppError::validation("Validation failed: interval must be between 1 and 31536000 seconds"));
        }
        let poll = self.readable(viewer, id).await?;
        let buckets = self.ctx.store.poll_history(id, interval_seconds).await?;
        Ok(PollHistory { poll, interval_seconds, buckets })
    }

    /// `GET /api/v1/parley/polls/:id/signals`
    pub async fn signals(&self, viewer: Option<AccountId>, id: PollId) -> Result<(Poll, PollSignals)> {
        let view = self.get(viewer, id).await?;
        let signals = self.ctx.store.poll_signals(id).await?;
        Ok((view.poll, signals))
    }

    /// The tally as of `at`, from the vote rows, for a signed snapshot.
    pub async fn tally_at(
        &self,
        viewer: Option<AccountId>,
        id: PollId,
        at: DateTime<Utc>,
    ) -> Result<(Poll, parley_store::TallyAt)> {
        if at > Utc::now() {
            return Err(AppError::validation("Validation failed: a snapshot cannot be taken in the future"));
        }
        let poll = self.readable(viewer, id).await?;
        if poll.hide_totals && at < poll.expires_at {
            return Err(AppError::Forbidden("The totals of this poll were hidden at that time".into()));
        }
        let tally = self.ctx.store.poll_tally_at(id, at).await?;
        Ok((poll, tally))
    }

    /// Recounts every poll (`parley admin polls verify`).
    pub async fn audit(&self) -> Result<Vec<PollAudit>> {
        Ok(self.ctx.store.audit_polls().await?)
    }

    /// Closes every poll whose time has come; returns how many.
    pub async fn close_expired(&self) -> Result<usize> {
        let closed = self.ctx.store.close_expired_polls(Utc::now()).await?;
        for poll in &closed {
            self.ctx.events.publish(crate::events::Event::PollChanged(poll.id));
        }
        Ok(closed.len())
    }
}

fn public(live: &LivePoll) -> bool {
    matches!(live.visibility, Visibility::Public | Visibility::Unlisted)
}

fn vote_error(e: VoteError) -> AppError {
    AppError::Validation(e.to_string())
}

/// Runs until the process ends: closes polls when they end (and, at start,
/// those that ended while the server was down), so their author and voters
/// are notified exactly once.
pub async fn run_poll_closer(ctx: Arc<Context>) {
    let service = PollService::new(ctx.clone());
    loop {
        if let Err(e) = service.close_expired().await {
            tracing::error!(error = %e, "closing expired polls failed");
        }
        let wait = match ctx.store.next_poll_expiry().await {
            Ok(Some(next)) => (next - Utc::now()).to_std().unwrap_or_default(),
            Ok(None) => std::time::Duration::from_secs(1),
            Err(_) => std::time::Duration::from_secs(1),
        };
        // New polls may end sooner than the next known one: look again at least every second.
        tokio::time::sleep(wait.clamp(std::time::Duration::from_millis(20), std::time::Duration::from_secs(1))).await;
    }
}
