//! Live poll results as server-sent events: `GET /polls/live?ids=1,2[&embed=1]`.
//!
//! One connection per page, whatever the number of polls on it. The event
//! hub says only *which* poll changed; the update re-reads the poll as this
//! viewer sees it. Whether the viewer may see it at all is checked through
//! `PollService::get` when the connection opens, when the poll changes (an
//! edit, a deletion, its end) and every [`RECHECK`]; in between, during a
//! storm of votes, the tally comes from the poll cache in memory, so a
//! thousand readers of a viral poll cost no database reads. Updates are
//! coalesced: at most one per connection every [`MIN_GAP`], however fast the
//! votes come, and a listener that falls behind the hub skips to the current
//! tally instead of replaying every vote.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, Uri};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use parley_app::AppError;
use parley_app::events::Event;
use parley_core::{AccountId, PollId};
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::Instant;

use crate::models::{self, PollModel, PollOptions, PollUpdate};
use crate::pages::query;
use crate::render::{Layout, WebError, WebResult};
use crate::session::Ctx;

/// The shortest time between two updates of one connection (four a second).
pub const MIN_GAP: Duration = Duration::from_millis(250);
/// Polls one connection may watch.
const MAX_POLLS: usize = 40;
/// How long a visibility check holds while only votes arrive.
pub const RECHECK: Duration = Duration::from_secs(30);

#[derive(Template)]
#[template(path = "partials/poll_alone.html")]
struct PollFragment {
    l: Layout,
    p: PollModel,
}

struct Watched {
    id: PollId,
    author_username: String,
    /// When the viewer was last found allowed to see the poll.
    checked_at: Instant,
}

struct Live {
    ctx: Ctx,
    viewer: Option<AccountId>,
    embed: bool,
    polls: Vec<Watched>,
    rx: parley_app::events::Subscription,
    /// Polls to send again; `true` when the visibility must be checked anew.
    dirty: BTreeMap<PollId, bool>,
    ended: BTreeSet<PollId>,
    pending: VecDeque<SseEvent>,
    last_flush: Option<Instant>,
    finished: bool,
}

impl Live {
    fn watches(&self, id: PollId) -> bool {
        self.polls.iter().any(|w| w.id == id)
    }

    fn mark(&mut self, event: Event) {
        match event {
            Event::PollVoted(id) if self.watches(id) => {
                self.dirty.entry(id).or_insert(false);
            }
            Event::PollChanged(id) if self.watches(id) => {
                self.dirty.insert(id, true);
            }
            _ => {}
        }
    }

    /// After missing events: everything may have changed.
    fn mark_all(&mut self) {
        let ids: Vec<PollId> = self.polls.iter().map(|w| w.id).collect();
        self.dirty.extend(ids.into_iter().map(|id| (id, true)));
    }

    /// Waits for a change to a watched poll; false when the hub is gone.
    async fn wait(&mut self) -> bool {
        while self.dirty.is_empty() {
            match self.rx.recv().await {
                Ok(event) => self.mark(event),
                Err(RecvError::Lagged(_)) => self.mark_all(),
                Err(RecvError::Closed) => return false,
            }
        }
        true
    }

    /// Takes in whatever else arrived meanwhile, without waiting.
    fn drain(&mut self) {
        loop {
            match self.rx.try_recv() {
                Ok(event) => self.mark(event),
                Err(TryRecvError::Lagged(_)) => self.mark_all(),
                Err(TryRecvError::Empty | TryRecvError::Closed) => return,
            }
        }
    }

    async fn next(mut self) -> Option<(Result<SseEvent, Infallible>, Live)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some((Ok(event), self));
            }
            if self.finished {
                return None;
            }
            if self.dirty.is_empty() {
                if !self.wait().await {
                    return None;
                }
                if let Some(last) = self.last_flush {
                    tokio::time::sleep_until(last + MIN_GAP).await;
                }
                self.drain();
            }
            self.last_flush = Some(Instant::now());
            for (id, recheck) in std::mem::take(&mut self.dirty) {
                let Some(w) = self.polls.iter_mut().find(|w| w.id == id) else { continue };
                match update(&self.ctx, self.viewer, self.embed, w, recheck).await {
                    Update::Send { event, ended } => {
                        self.pending.push_back(event);
                        if ended {
                            self.ended.insert(id);
                        }
                    }
                    Update::Gone => {
                        self.ended.insert(id);
                    }
                    Update::Skipped => {}
                }
            }
            // Every poll has ended: nothing more will change. The script closes
            // the connection on the final update instead of reconnecting.
            if self.ended.len() >= self.polls.len() {
                self.finished = true;
            }
        }
    }
}

/// The poll as this viewer sees it now; once it has ended, with its results rendered.
async fn update(ctx: &Ctx, viewer: Option<AccountId>, embed: bool, w: &mut Watched, recheck: bool) -> Update {
    let services = ctx.services();
    let recheck = recheck || w.checked_at.elapsed() >= RECHECK;
    let read = if recheck {
        services.polls.get(viewer, w.id).await
    } else {
        services.ctx.polls.view(&services.ctx, w.id, viewer).await
    };
    if recheck {
        w.checked_at = Instant::now();
    }
    let view = match read {
        Ok(v) => v,
        Err(AppError::NotFound) => return Update::Gone,
        Err(e) => {
            tracing::warn!(error = %e, poll = %w.id, "live poll update failed");
            return Update::Skipped;
        }
    };
    let opts = PollOptions { embed, ..Default::default() };
    let model = models::poll(&ctx.state.site, &view, &w.author_username, viewer, &opts);
    let mut update = PollUpdate::of(&model);
    if model.expired {
        let l = if embed { Layout::anonymous(&ctx.state, "") } else { Layout::new(ctx, "", "") };
        // Without the final fragment the page still gets the final counts;
        // the failure is a bug to be seen in the log.
        update.html = match (PollFragment { l, p: model }).render() {
            Ok(html) => Some(html),
            Err(e) => {
                tracing::error!(error = %e, poll = %w.id, "rendering a poll's final results failed");
                None
            }
        };
    }
    match SseEvent::default().event("poll").json_data(&update) {
        Ok(event) => Update::Send { event, ended: view.expired },
        Err(e) => {
            tracing::error!(error = %e, poll = %w.id, "encoding a live poll update failed");
            Update::Skipped
        }
    }
}

/// What one poll's refresh gives.
enum Update {
    Send {
        event: SseEvent,
        ended: bool,
    },
    /// Deleted, or no longer visible to this viewer: stop watching it.
    Gone,
    /// A passing failure (logged): try again on the next change.
    Skipped,
}

/// `GET /polls/live?ids=1,2[&embed=1]`
pub async fn stream(ctx: Ctx, uri: Uri) -> WebResult<Response> {
    let q = query(&uri);
    let embed = q.get("embed") == Some("1");
    // An embed shows what anyone may see, whoever is reading.
    let viewer = if embed { None } else { ctx.viewer() };
    let mut ids: Vec<PollId> =
        q.get("ids").unwrap_or_default().split(',').filter_map(|s| s.trim().parse().ok()).take(MAX_POLLS).collect();
    ids.sort_unstable();
    ids.dedup();
    // Listen before reading, so that no vote falls between the two.
    let mut rx = ctx.services().ctx.events.subscribe();
    for id in &ids {
        rx.watch_poll(*id);
    }
    let mut polls = Vec::new();
    for id in ids {
        match ctx.services().polls.get(viewer, id).await {
            Ok(view) => {
                let author = ctx.services().accounts.get(view.poll.account_id).await?;
                polls.push(Watched { id, author_username: author.username, checked_at: Instant::now() });
            }
            Err(AppError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if polls.is_empty() {
        return Err(WebError::NotFound);
    }
    let live = Live {
        dirty: polls.iter().map(|w| (w.id, false)).collect(),
        ctx,
        viewer,
        embed,
        polls,
        rx,
        ended: BTreeSet::new(),
        pending: VecDeque::new(),
        last_flush: None,
        finished: false,
    };
    let events = futures_util::stream::unfold(live, Live::next);
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))).into_response();
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}
