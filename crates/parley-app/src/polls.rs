//! Polls: voting, the in-memory tallies and voter index, history, signed
//! snapshots and integrity signals.
//!
//! The vote rows in the store are the truth. [`PollCache`] keeps each active
//! poll's tallies and its voters in memory so that reads and the "already
//! voted?" check never touch the database, let alone wait on the writer. It
//! is derived state (see `parley_store::changes`): loaded from the store at
//! one point of the change log, and advanced only by the ballot records
//! applied after that point, whichever process or request recorded them. A
//! request never changes it, so a client that hangs up after voting cannot
//! leave a durable ballot uncounted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use parley_core::model::{Poll, Visibility};
use parley_core::poll::{BallotBox, VoteError, VoterStanding, check_eligibility, show_totals, validate_vote};
use parley_core::{AccountId, PollId};
use parley_store::changes::{Change, ChangeListener, ChangeRecord};
use parley_store::{Conflict, HistoryBucket, NewBallot, PollAudit, PollSignals, PollState, Rejection, StoreError};
use tokio::sync::OnceCell;

use crate::transparency::{LogService, Receipt, new_secret};
use crate::views::visible_status;
use crate::{AppError, Context, Result};

/// Above this many cached polls the cache starts over (a crude bound on memory).
const MAX_CACHED_POLLS: usize = 10_000;

/// One poll's live state. Put in the cache *before* it is read from the
/// store, so that no ballot record can fall between the read and the cache:
/// records that arrive while it loads wait in `Loading` and are applied on
/// top of the read, those the read already reflects skipped by sequence.
struct LivePoll {
    /// Set once the first reader has loaded the poll.
    loaded: OnceCell<()>,
    state: Mutex<LiveState>,
}

enum LiveState {
    /// Ballot records applied before the load finished: (seq, voter, choices).
    Loading(Vec<(i64, AccountId, Vec<u32>)>),
    Ready(Box<Tallies>),
}

/// A loaded poll: its row with live counts, and who voted what.
struct Tallies {
    poll: Poll,
    /// The visibility of the poll's status (fixed for a status's life).
    visibility: Visibility,
    /// The last change record reflected.
    as_of_seq: i64,
    /// Voter → chosen options as a bit set (polls have at most 32 options).
    ballots: HashMap<AccountId, u32>,
}

impl Tallies {
    fn count(&mut self, seq: i64, voter: AccountId, choices: &[u32]) {
        if seq <= self.as_of_seq || self.ballots.contains_key(&voter) {
            return;
        }
        self.as_of_seq = seq;
        for c in choices {
            if let Some(slot) = self.poll.option_votes.get_mut(*c as usize) {
                *slot += 1;
            }
        }
        self.poll.votes_count += choices.len() as i64;
        self.poll.voters_count += 1;
        self.ballots.insert(voter, bits(choices));
    }
}

/// What a reader takes out of a loaded poll.
struct Seen {
    poll: Poll,
    visibility: Visibility,
    /// The viewer's choices, when a viewer was asked about.
    own: Option<Option<Vec<u32>>>,
}

impl LivePoll {
    fn state(&self) -> MutexGuard<'_, LiveState> {
        // Every critical section leaves the state whole.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn finish_load(&self, loaded: PollState) {
        let mut state = self.state();
        let pending = match &mut *state {
            LiveState::Loading(pending) => std::mem::take(pending),
            LiveState::Ready(_) => return,
        };
        let mut tallies = Tallies {
            poll: loaded.poll,
            visibility: loaded.visibility,
            as_of_seq: loaded.as_of_seq,
            ballots: loaded.ballots.into_iter().map(|(a, c)| (a, bits(&c))).collect(),
        };
        for (seq, voter, choices) in pending {
            tallies.count(seq, voter, &choices);
        }
        *state = LiveState::Ready(Box::new(tallies));
    }

    fn seen(&self, viewer: Option<AccountId>) -> Result<Seen> {
        match &*self.state() {
            LiveState::Ready(t) => Ok(Seen {
                poll: t.poll.clone(),
                visibility: t.visibility,
                own: viewer.map(|me| t.ballots.get(&me).copied().map(from_bits)),
            }),
            LiveState::Loading(_) => Err(AppError::Internal("poll read before it was loaded".into())),
        }
    }
}

#[derive(Default)]
pub struct PollCache {
    slots: Mutex<HashMap<PollId, Arc<LivePoll>>>,
}

fn bits(choices: &[u32]) -> u32 {
    choices.iter().fold(0u32, |acc, c| acc | (1u32 << c.min(&31)))
}

fn from_bits(mask: u32) -> Vec<u32> {
    (0..32).filter(|i| mask & (1 << i) != 0).collect()
}

impl PollCache {
    fn slots(&self) -> MutexGuard<'_, HashMap<PollId, Arc<LivePoll>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn live(&self, ctx: &Context, id: PollId) -> Result<Arc<LivePoll>> {
        let slot = {
            let mut slots = self.slots();
            if slots.len() >= MAX_CACHED_POLLS && !slots.contains_key(&id) {
                slots.clear();
            }
            slots
                .entry(id)
                .or_insert_with(|| {
                    Arc::new(LivePoll { loaded: OnceCell::new(), state: Mutex::new(LiveState::Loading(Vec::new())) })
                })
                .clone()
        };
        let loaded = slot
            .loaded
            .get_or_try_init(|| async {
                let state = ctx.store.poll_state(id).await?.ok_or(AppError::NotFound)?;
                slot.finish_load(state);
                Ok::<_, AppError>(())
            })
            .await;
        if let Err(e) = loaded {
            // Do not keep a slot for a poll that failed to load (or does not exist).
            let mut slots = self.slots();
            if slots.get(&id).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                slots.remove(&id);
            }
            return Err(e);
        }
        Ok(slot)
    }

    fn forget(&self, id: PollId) {
        self.slots().remove(&id);
    }

    /// The poll as `viewer` sees it now.
    pub async fn view(&self, ctx: &Context, id: PollId, viewer: Option<AccountId>) -> Result<PollView> {
        let seen = self.live(ctx, id).await?.seen(viewer)?;
        Ok(PollView::new(seen.poll, viewer, seen.own, Utc::now()))
    }

    /// Every loaded poll's tallies and ballots, for the rebuild-and-compare check.
    fn loaded(&self) -> Vec<(PollId, Poll, HashMap<AccountId, u32>)> {
        let slots: Vec<(PollId, Arc<LivePoll>)> = self.slots().iter().map(|(id, s)| (*id, s.clone())).collect();
        slots
            .into_iter()
            .filter_map(|(id, slot)| match &*slot.state() {
                LiveState::Ready(t) => Some((id, t.poll.clone(), t.ballots.clone())),
                LiveState::Loading(_) => None,
            })
            .collect()
    }

    /// Reads every loaded poll again from the store: the differences.
    pub(crate) async fn differences(&self, ctx: &Context) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for (id, kept, ballots) in self.loaded() {
            let Some(fresh) = ctx.store.poll_state(id).await? else {
                found.push(format!("poll {id}: kept, but gone from the database"));
                continue;
            };
            let fresh_ballots: HashMap<AccountId, u32> = fresh.ballots.iter().map(|(a, c)| (*a, bits(c))).collect();
            // The chain head is read from the store when a snapshot needs it, never kept live.
            let mut fresh_poll = fresh.poll;
            fresh_poll.chain_head.clone_from(&kept.chain_head);
            fresh_poll.vote_seq = kept.vote_seq;
            if kept != fresh_poll {
                found.push(format!("poll {id}: kept {kept:?}, database {fresh_poll:?}"));
            }
            if ballots != fresh_ballots {
                found.push(format!(
                    "poll {id}: {} voters kept, {} in the database, or their choices differ",
                    ballots.len(),
                    fresh_ballots.len()
                ));
            }
        }
        Ok(found)
    }
}

impl ChangeListener for PollCache {
    fn apply(&self, record: &ChangeRecord) {
        match &record.change {
            Change::BallotRecorded { poll, account, choices } => {
                let Some(slot) = self.slots().get(poll).cloned() else { return };
                match &mut *slot.state() {
                    LiveState::Loading(pending) => pending.push((record.seq, *account, choices.clone())),
                    LiveState::Ready(tallies) => tallies.count(record.seq, *account, choices),
                }
            }
            // Options, end or hidden totals changed, or it ended: read it again.
            Change::PollChanged { poll } | Change::PollClosed { poll } => self.forget(*poll),
            Change::StatusDeleted { poll: Some(poll), .. } => self.forget(*poll),
            // Who may see the poll is checked per request; its row does not change.
            Change::Everything => self.reset(),
            _ => {}
        }
    }

    fn reset(&self) {
        self.slots().clear();
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
        let seen = self.ctx.polls.live(&self.ctx, id).await?.seen(viewer)?;
        self.check_visible(&seen, viewer).await?;
        Ok(PollView::new(seen.poll, viewer, seen.own, Utc::now()))
    }

    /// `POST /api/v1/polls/:id/votes`: the poll as the voter now sees it,
    /// and the ballot's receipt (its leaf in the poll's log and the secret
    /// the leaf commits to, which the server does not keep).
    pub async fn vote(&self, voter: AccountId, id: PollId, choices: &[i64]) -> Result<(PollView, Receipt)> {
        let ctx = &self.ctx;
        let seen = ctx.polls.live(ctx, id).await?.seen(Some(voter))?;
        // Public and unlisted polls: the ballot's own transaction checks that the
        // author neither blocks the voter nor is suspended (one round trip in all).
        if !public(&seen) {
            visible_status(ctx, Some(voter), seen.poll.status_id).await?;
        }
        let already = matches!(seen.own, Some(Some(_)));
        let ballot_box = BallotBox {
            author: seen.poll.account_id,
            options: seen.poll.options.len(),
            multiple: seen.poll.multiple,
            expires_at: seen.poll.expires_at,
        };
        let now = Utc::now();
        let chosen = validate_vote(ballot_box, voter, choices, already, now).map_err(vote_error)?;
        // Most polls are open to all: only a poll with rules loads the voter.
        if !seen.poll.eligibility.is_open() {
            let account = ctx.store.find_accounts(&[voter]).await?.pop().ok_or(AppError::NotFound)?;
            let standing = VoterStanding { created_at: account.created_at, local: account.is_local() };
            check_eligibility(seen.poll.eligibility, standing, now).map_err(vote_error)?;
        }
        let (secret, commitment) = new_secret();
        let recorded = ctx
            .store
            .record_ballot(NewBallot { poll_id: id, account_id: voter, choices: chosen, at: None, commitment })
            .await;
        let recorded = match recorded {
            Ok(r) => r,
            Err(StoreError::Conflict(Conflict::AlreadyVoted)) => return Err(vote_error(VoteError::AlreadyVoted)),
            Err(StoreError::Rejected(Rejection::PollExpired)) => return Err(vote_error(VoteError::Expired)),
            Err(StoreError::Rejected(Rejection::InvalidChoice)) => return Err(vote_error(VoteError::InvalidChoice)),
            Err(StoreError::Rejected(Rejection::NotVisible)) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let logs = LogService::new(ctx.clone());
        let receipt = Receipt {
            poll_id: id.to_string(),
            origin: logs.origin(id),
            leaf_index: recorded.leaf_index,
            leaf: String::from_utf8_lossy(&recorded.leaf).into_owned(),
            secret: hex::encode(secret),
            tree_size: recorded.leaf_index + 1,
            inclusion_url: logs.inclusion_url(id),
        };
        // The ballot's record was applied to the tallies before the store answered.
        Ok((ctx.polls.view(ctx, id, Some(voter)).await?, receipt))
    }

    /// May `viewer` see the poll's status? For public and unlisted polls only a
    /// block by the author (or the author's suspension) hides it.
    async fn check_visible(&self, seen: &Seen, viewer: Option<AccountId>) -> Result<()> {
        if !public(seen) {
            return visible_status(&self.ctx, viewer, seen.poll.status_id).await.map(|_| ());
        }
        // Public and unlisted: shown unless the author is suspended or blocks
        // the viewer (the author sees their own even while suspended).
        if viewer == Some(seen.poll.account_id) {
            return Ok(());
        }
        if self.ctx.store.author_hidden_from(seen.poll.account_id, viewer).await? {
            return Err(AppError::NotFound);
        }
        Ok(())
    }

    /// The readable poll, refusing while totals are hidden (history and
    /// snapshots would reveal them).
    pub(crate) async fn readable(&self, viewer: Option<AccountId>, id: PollId) -> Result<Poll> {
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
        Ok(self.ctx.store.close_expired_polls(Utc::now()).await?.len())
    }
}

fn public(seen: &Seen) -> bool {
    matches!(seen.visibility, Visibility::Public | Visibility::Unlisted)
}

fn vote_error(e: VoteError) -> AppError {
    AppError::Validation(e.to_string())
}

/// How often the closer looks at least (new polls may end sooner than the
/// next known one), and how long it waits after a failure before trying again.
const CLOSER_TICK: std::time::Duration = std::time::Duration::from_secs(1);
/// The shortest wait, so a poll that has just ended is not polled in a spin.
const CLOSER_MIN_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

/// Runs until the process ends: closes polls when they end (and, at start,
/// those that ended while the server was down), so their author and voters
/// are notified exactly once. A failure is logged and tried again a tick
/// later: the polls stay due, so nothing is lost, and a broken database is
/// not hammered (the next expiry would be in the past, a wait of nothing).
pub async fn run_poll_closer(ctx: Arc<Context>) {
    let service = PollService::new(ctx.clone());
    loop {
        let round = match service.close_expired().await {
            Err(e) => {
                tracing::error!(error = %e, "closing expired polls failed; trying again in a tick");
                CloserRound::Failed
            }
            Ok(_) => match ctx.store.next_poll_expiry().await {
                Err(e) => {
                    tracing::error!(error = %e, "reading when the next poll ends failed; looking again in a tick");
                    CloserRound::Failed
                }
                Ok(next_expiry) => CloserRound::Done { next_expiry },
            },
        };
        tokio::time::sleep(closer_wait(round, Utc::now())).await;
    }
}

/// How one round of the closer went.
enum CloserRound {
    Failed,
    Done { next_expiry: Option<DateTime<Utc>> },
}

/// How long the closer sleeps: until the next poll ends, within a tick; a
/// full tick after a failure.
fn closer_wait(round: CloserRound, now: DateTime<Utc>) -> std::time::Duration {
    match round {
        CloserRound::Done { next_expiry: Some(at) } => {
            (at - now).to_std().unwrap_or_default().clamp(CLOSER_MIN_WAIT, CLOSER_TICK)
        }
        CloserRound::Done { next_expiry: None } | CloserRound::Failed => CLOSER_TICK,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_closer_waits_a_tick_after_a_failure_and_no_longer_than_a_tick() {
        let now = Utc::now();
        let ms = std::time::Duration::from_millis;
        let done = |next_expiry| CloserRound::Done { next_expiry };
        // A failure (the overdue poll is still due) must not retry in a spin.
        assert_eq!(closer_wait(CloserRound::Failed, now), CLOSER_TICK);
        assert_eq!(closer_wait(done(Some(now - chrono::Duration::seconds(5))), now), CLOSER_MIN_WAIT);
        assert_eq!(closer_wait(done(Some(now + chrono::Duration::milliseconds(300))), now), ms(300));
        assert_eq!(closer_wait(done(Some(now + chrono::Duration::hours(1))), now), CLOSER_TICK);
        assert_eq!(closer_wait(done(None), now), CLOSER_TICK);
    }
}
