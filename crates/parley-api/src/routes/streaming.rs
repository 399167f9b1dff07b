//! Mastodon's streaming API: a WebSocket at `/api/v1/streaming` (many streams
//! on one connection, changed with `subscribe`/`unsubscribe` messages) and
//! server-sent events at `/api/v1/streaming/:stream` (one stream each), plus
//! Parley's `parley:poll` stream of coalesced tallies.
//!
//! Events come from the event hub, which the change log feeds, so a stream
//! tells what is durable, whichever process wrote it. What each event becomes
//! for each subscriber is decided by `parley_app::streaming` (visibility at
//! the moment of delivery). A connection whose reader falls too far behind
//! the hub is closed (clients reconnect) rather than buffered without bound.

use std::collections::{BTreeSet, VecDeque};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use parley_app::auth::Identity;
use parley_app::events::Event;
use parley_app::polls::PollView;
use parley_app::streaming::{Outgoing, Stream, StreamRefusal};
use parley_app::views::StatusView;
use parley_app::{AppError, Services};
use parley_core::PollId;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::time::Instant;

use crate::entities;
use crate::error::ApiError;
use crate::{ApiResult, AppState};

/// The shortest time between two updates of one poll on one connection.
pub const POLL_UPDATE_GAP: Duration = Duration::from_millis(250);
/// How often a WebSocket is pinged; a connection that has not answered the
/// previous ping by the next one is dropped.
const PING_INTERVAL: Duration = Duration::from_secs(30);
/// How often an event stream carries a heartbeat comment.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Streams one WebSocket may hold at once.
const MAX_STREAMS: usize = 64;
/// A WebSocket's read buffer.
const WS_BUFFER: usize = 4 * 1024;
/// Frames a WebSocket may have unsent before the connection fails (a reader
/// that stopped reading): well above one status.
const MAX_WS_WRITE_BUFFER: usize = 1024 * 1024;
/// The largest message a client may send (subscriptions are tiny).
const MAX_CLIENT_MESSAGE: usize = 16 * 1024;

/// One frame to send: the event's name, its payload (JSON as a string, or a
/// bare ID for `delete`) for server-sent events, and the whole WebSocket
/// message. Cheap to clone: a status's frame is rendered once for every
/// connection it goes to (see [`RenderedFrames`]).
#[derive(Clone)]
struct Frame {
    event: &'static str,
    payload: Arc<str>,
    websocket: Utf8Bytes,
}

impl Frame {
    /// `None` (logged) if the message cannot be written, which strings never fail.
    fn new(stream: &Stream, event: &'static str, payload: String) -> Option<Frame> {
        /// A WebSocket message, written straight out (no `serde_json::Value` on the way).
        #[derive(serde::Serialize)]
        struct Message<'a> {
            stream: &'a [String],
            event: &'a str,
            payload: &'a str,
        }
        let message = Message { stream: &stream.frame_name(), event, payload: &payload };
        match serde_json::to_string(&message) {
            Ok(websocket) => Some(Frame { event, payload: payload.into(), websocket: websocket.into() }),
            Err(e) => {
                tracing::error!(error = %e, "streaming: a frame could not be written");
                None
            }
        }
    }
}

/// The frames of the last statuses and poll tallies streamed, each rendered
/// once for all the connections it goes to: a post by an account with 10,000
/// connected followers is serialised and escaped once per stream name, not
/// 10,000 times, and so is each coalesced tally for its poll's watchers.
#[derive(Default)]
pub struct RenderedFrames {
    recent: std::sync::Mutex<VecDeque<Rendered>>,
}

struct Rendered {
    of: RenderedOf,
    event: &'static str,
    stream: Stream,
    frame: Frame,
}

/// What a frame shows.
enum RenderedOf {
    /// One version of a status: its shared view's `Arc` (a new version is a
    /// new view, see `StreamingService::shared_view`). The entry holds the
    /// view, so its address cannot be reused while the entry lives.
    Status(Arc<StatusView>),
    /// A poll's tally as anyone sees it. Two reads with the same options,
    /// ballots and state show the same figures; the frame keeps the first
    /// read's `as_of`, which is still true of them.
    Poll(Box<PollView>),
}

impl RenderedOf {
    fn shows(&self, out: &Outgoing) -> bool {
        match (self, out) {
            (RenderedOf::Status(kept), Outgoing::Update(view) | Outgoing::StatusUpdate(view)) => {
                Arc::ptr_eq(kept, view)
            }
            (RenderedOf::Poll(kept), Outgoing::PollUpdate(view)) => {
                let (a, b) = (&kept.poll, &view.poll);
                a.id == b.id
                    && a.vote_seq == b.vote_seq
                    && a.votes_count == b.votes_count
                    && a.voters_count == b.voters_count
                    && a.closed == b.closed
                    && a.options == b.options
                    && kept.expired == view.expired
                    && kept.option_votes == view.option_votes
            }
            _ => false,
        }
    }
}

/// Frames kept: a few per stream name for what fans out at once.
const RENDERED_FRAMES: usize = 256;

impl RenderedFrames {
    /// `out`'s frame on `stream`, rendered now unless it was already.
    fn get(&self, stream: &Stream, out: &Outgoing, render: impl FnOnce() -> Option<String>) -> Option<Frame> {
        let of = match out {
            Outgoing::Update(view) | Outgoing::StatusUpdate(view) => RenderedOf::Status(view.clone()),
            Outgoing::PollUpdate(view) => RenderedOf::Poll(view.clone()),
            // A viewer's own, or a bare ID: nothing to share.
            Outgoing::Notification(_) | Outgoing::Delete(_) | Outgoing::Conversation(_) => {
                return Frame::new(stream, out.event(), render()?);
            }
        };
        let event = out.event();
        let find = |recent: &VecDeque<Rendered>| {
            // Newest first: what fans out now was rendered last.
            recent
                .iter()
                .rev()
                .find(|r| r.event == event && r.of.shows(out) && r.stream == *stream)
                .map(|r| r.frame.clone())
        };
        if let Some(frame) = find(&self.lock()) {
            return Some(frame);
        }
        // Rendered outside the lock; two connections may both render a frame
        // the first time, and the first kept wins.
        let frame = Frame::new(stream, event, render()?)?;
        let mut recent = self.lock();
        if let Some(kept) = find(&recent) {
            return Some(kept);
        }
        if recent.len() >= RENDERED_FRAMES {
            recent.pop_front();
        }
        recent.push_back(Rendered { of, event, stream: stream.clone(), frame: frame.clone() });
        Some(frame)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Rendered>> {
        self.recent.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A connection's subscriptions and its place in the event hub.
struct Connection {
    services: Services,
    rendered: Arc<RenderedFrames>,
    identity: Option<Arc<Identity>>,
    token: Option<String>,
    streams: Vec<Stream>,
    rx: parley_app::events::Subscription,
    /// Polls with votes not yet told, and when polls were last told.
    dirty_polls: BTreeSet<PollId>,
    polls_told_at: Option<Instant>,
}

/// Why a connection ends.
enum Ended {
    /// The hub moved on further than this connection could follow.
    FellBehind,
    /// The token it was opened with no longer works.
    Revoked,
    /// The server is stopping.
    Closed,
}

impl Connection {
    fn new(state: &AppState, identity: Option<Arc<Identity>>, token: Option<String>) -> Connection {
        let services = state.services.clone();
        let rx = services.ctx.events.subscribe();
        Connection {
            services,
            rendered: state.streaming_frames.clone(),
            identity,
            token,
            streams: Vec::new(),
            rx,
            dirty_polls: BTreeSet::new(),
            polls_told_at: None,
        }
    }

    fn viewer(&self) -> Option<parley_core::AccountId> {
        self.identity.as_ref().and_then(|i| i.account.as_ref()).map(|a| a.id)
    }

    /// Subscribes to a stream, if the connection's token allows it.
    async fn subscribe(&mut self, stream: Stream) -> Result<(), Refused> {
        if self.streams.len() >= MAX_STREAMS {
            return Err(Refused::TooMany);
        }
        match self.services.streaming.authorize(self.identity.as_deref(), &stream).await {
            Ok(None) => {}
            Ok(Some(refusal)) => return Err(Refused::Stream(refusal)),
            Err(AppError::NotFound) => return Err(Refused::NotFound),
            Err(e) => return Err(Refused::App(e)),
        }
        if let Stream::Poll(id) = stream {
            self.rx.watch_poll(id);
        }
        if !self.streams.contains(&stream) {
            self.streams.push(stream);
        }
        Ok(())
    }

    /// The next frames to send, waiting for them.
    async fn next(&mut self) -> Result<Vec<Frame>, Ended> {
        loop {
            let due = self.polls_told_at.map(|t| t + POLL_UPDATE_GAP);
            let event = if self.dirty_polls.is_empty() {
                self.rx.recv().await
            } else if due.is_none_or(|d| d <= Instant::now()) {
                return Ok(self.tell_polls().await);
            } else {
                // Votes already heard of are told at `due`: more need not wake us.
                tokio::select! {
                    event = self.rx.recv_except_votes() => event,
                    _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)) => continue,
                }
            };
            let event = match event {
                Ok(event) => event,
                Err(RecvError::Lagged(_)) => return Err(Ended::FellBehind),
                Err(RecvError::Closed) => return Err(Ended::Closed),
            };
            let frames = self.frames_for(&event).await?;
            if !frames.is_empty() {
                return Ok(frames);
            }
        }
    }

    async fn frames_for(&mut self, event: &Event) -> Result<Vec<Frame>, Ended> {
        match event {
            Event::AuthChanged => {
                if let Some(token) = &self.token
                    && !matches!(self.services.streaming.still_valid(token).await, Ok(true))
                {
                    return Err(Ended::Revoked);
                }
                return Ok(Vec::new());
            }
            Event::PollVoted(id) | Event::PollChanged(id) => {
                if self.streams.contains(&Stream::Poll(*id)) {
                    self.dirty_polls.insert(*id);
                }
                return Ok(Vec::new());
            }
            _ => {}
        }
        let mut frames = Vec::new();
        for stream in &self.streams {
            match self.services.streaming.route(self.identity.as_deref(), stream, event).await {
                Ok(Some(out)) => frames.extend(self.frame(stream, &out)),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "streaming: an event could not be delivered"),
            }
        }
        Ok(frames)
    }

    async fn tell_polls(&mut self) -> Vec<Frame> {
        self.polls_told_at = Some(Instant::now());
        let viewer = self.viewer();
        let mut frames = Vec::new();
        for id in std::mem::take(&mut self.dirty_polls) {
            let stream = Stream::Poll(id);
            match self.services.streaming.poll_update(viewer, id).await {
                Ok(Some(out)) => frames.extend(self.frame(&stream, &out)),
                Ok(None) => {}
                Err(e) => tracing::error!(error = %e, "streaming: a poll update could not be read"),
            }
        }
        frames
    }

    fn frame(&self, stream: &Stream, out: &Outgoing) -> Option<Frame> {
        let settings = self.services.settings();
        self.rendered.get(stream, out, || {
            let payload = match out {
                // As anyone sees it: the same for every subscriber.
                Outgoing::Update(view) | Outgoing::StatusUpdate(view) => {
                    serde_json::to_string(&entities::Status::from_view(view, settings, None))
                }
                Outgoing::Notification(view) => {
                    serde_json::to_string(&entities::Notification::from_view(view, settings))
                }
                Outgoing::PollUpdate(view) => serde_json::to_string(&entities::Poll::from_view(view)),
                Outgoing::Conversation(view) => {
                    serde_json::to_string(&entities::Conversation::from_view(view, settings, view.owner))
                }
                Outgoing::Delete(id) => Ok(id.to_string()),
            };
            match payload {
                Ok(payload) => Some(payload),
                Err(e) => {
                    tracing::error!(error = %e, "streaming: an entity could not be serialised");
                    None
                }
            }
        })
    }
}

/// Why a subscription was refused.
enum Refused {
    Stream(StreamRefusal),
    NotFound,
    TooMany,
    App(AppError),
}

impl Refused {
    fn status_and_message(&self) -> (u16, String) {
        match self {
            Refused::Stream(r) => (r.status(), r.message().to_string()),
            Refused::NotFound => (404, "Record not found".into()),
            Refused::TooMany => (400, format!("No more than {MAX_STREAMS} streams on one connection")),
            Refused::App(e) => {
                tracing::error!(error = %e, "streaming: a subscription could not be checked");
                (500, "Internal server error".into())
            }
        }
    }

    fn into_response(self) -> Response {
        let (status, message) = self.status_and_message();
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, axum::Json(json!({ "error": message }))).into_response()
    }
}

/// The query of a streaming request.
#[derive(Debug, Default, Deserialize)]
pub struct StreamQuery {
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
    poll: Option<String>,
}

/// The token, from `Authorization: Bearer`, `access_token`, or (WebSocket
/// only) `Sec-WebSocket-Protocol`, which browsers can set where they cannot
/// set headers; then whom it stands for.
pub struct StreamAuth {
    token: Option<String>,
    /// Sent as the WebSocket subprotocol: echoed back, or Chrome fails the handshake.
    protocol: Option<String>,
    identity: Option<Arc<Identity>>,
}

impl FromRequestParts<AppState> for StreamAuth {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let protocol = parts
            .headers
            .get(header::SEC_WEBSOCKET_PROTOCOL)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty() && !v.contains(','));
        let token = crate::auth::bearer(parts).or_else(|| protocol.clone());
        let identity = match &token {
            None => None,
            Some(t) => match state.services.auth.authenticate(t).await {
                Ok(identity) => Some(identity),
                Err(AppError::InvalidToken) => {
                    let body = axum::Json(json!({"error": "Invalid access token"}));
                    return Err((StatusCode::UNAUTHORIZED, body).into_response());
                }
                Err(e) => return Err(ApiError::from(e).into_response()),
            },
        };
        Ok(StreamAuth { token, protocol, identity })
    }
}

/// `GET /api/v1/streaming/health`
pub async fn health() -> &'static str {
    "OK"
}

/// `GET /api/v1/streaming` (WebSocket).
pub async fn websocket(
    State(state): State<AppState>,
    auth: StreamAuth,
    crate::params::Query(q): crate::params::Query<StreamQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let mut conn = Connection::new(&state, auth.identity, auth.token);
    if let Some(name) = q.stream.as_deref() {
        let stream = match Stream::parse(name, q.tag.as_deref(), q.list.as_deref(), q.poll.as_deref()) {
            Ok(s) => s,
            Err(r) => return Refused::Stream(r).into_response(),
        };
        if let Err(refused) = conn.subscribe(stream).await {
            return refused.into_response();
        }
    }
    let upgrade = match auth.protocol {
        Some(p) => upgrade.protocols([p]),
        None => upgrade,
    };
    // Clients send a few small messages and the server a frame at a time:
    // small buffers keep an idle connection to a few KiB (the defaults are 128 KiB).
    let upgrade = upgrade
        .read_buffer_size(WS_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WS_WRITE_BUFFER)
        .max_message_size(MAX_CLIENT_MESSAGE)
        .max_frame_size(MAX_CLIENT_MESSAGE);
    upgrade.on_upgrade(move |socket| serve_websocket(socket, conn))
}

/// A client's message on the WebSocket.
#[derive(Debug, Deserialize)]
struct ClientMessage {
    #[serde(rename = "type")]
    kind: String,
    stream: Option<String>,
    tag: Option<String>,
    list: Option<String>,
    poll: Option<String>,
}

async fn serve_websocket(mut socket: WebSocket, mut conn: Connection) {
    let mut ping = tokio::time::interval_at(Instant::now() + PING_INTERVAL, PING_INTERVAL);
    let mut answered_ping = true;
    let close = |code: u16, reason: &str| Message::Close(Some(CloseFrame { code, reason: reason.into() }));
    loop {
        tokio::select! {
            frames = conn.next() => match frames {
                Ok(frames) => {
                    for frame in frames {
                        tracing::debug!(event = frame.event, "streaming: frame");
                        if socket.send(Message::Text(frame.websocket)).await.is_err() {
                            return;
                        }
                    }
                }
                Err(ended) => {
                    let (code, reason) = match ended {
                        Ended::FellBehind => (1013, "fell behind; reconnect"),
                        Ended::Revoked => (1008, "the access token was revoked"),
                        Ended::Closed => (1001, "the server is stopping"),
                    };
                    // The connection ends either way: a close frame that cannot be sent changes nothing.
                    let _ = socket.send(close(code, reason)).await;
                    return;
                }
            },
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    tracing::debug!(message = %text.as_str(), "streaming: client message");
                    if let Some(reply) = handle_client_message(&mut conn, text.as_str()).await
                        && socket.send(Message::Text(reply.into())).await.is_err()
                    {
                        return;
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    // As above: the connection ends either way.
                    let _ = socket.send(close(1003, "binary frames are not accepted")).await;
                    return;
                }
                Some(Ok(Message::Pong(_))) => answered_ping = true,
                Some(Ok(Message::Ping(_))) => {}
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
            },
            _ = ping.tick() => {
                if !answered_ping {
                    return;
                }
                answered_ping = false;
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
        }
    }
}

/// A `subscribe` or `unsubscribe` message; an error frame to send back, if any.
async fn handle_client_message(conn: &mut Connection, text: &str) -> Option<String> {
    let error = |status: u16, message: &str| Some(json!({"error": message, "status": status}).to_string());
    let Ok(msg) = serde_json::from_str::<ClientMessage>(text) else {
        return error(400, "Could not parse the message");
    };
    let name = msg.stream.as_deref().unwrap_or_default();
    let stream = match Stream::parse(name, msg.tag.as_deref(), msg.list.as_deref(), msg.poll.as_deref()) {
        Ok(s) => s,
        Err(r) => return error(r.status(), r.message()),
    };
    match msg.kind.as_str() {
        "subscribe" => match conn.subscribe(stream).await {
            Ok(()) => None,
            Err(refused) => {
                let (status, message) = refused.status_and_message();
                error(status, &message)
            }
        },
        "unsubscribe" => {
            if let Stream::Poll(id) = stream {
                conn.rx.unwatch_poll(id);
            }
            conn.streams.retain(|s| *s != stream);
            None
        }
        _ => error(400, "Unknown message type"),
    }
}

/// `GET /api/v1/streaming/*stream` (server-sent events): `user`,
/// `user/notification`, `public`, `public/local`, `public/remote`,
/// `hashtag`, `hashtag/local`, `list`, `direct`, `parley/poll`; `only_media`
/// picks the `:media` variant of a public stream.
pub async fn server_sent(
    State(state): State<AppState>,
    Path(path): Path<String>,
    auth: StreamAuth,
    crate::params::Query(q): crate::params::Query<SseQuery>,
) -> ApiResult<Response> {
    let media = q.only_media.as_deref().is_some_and(|v| matches!(v, "1" | "true"));
    let mut name = path.replace('/', ":");
    if media && name.starts_with("public") {
        name.push_str(":media");
    }
    let stream = match Stream::parse(&name, q.tag.as_deref(), q.list.as_deref(), q.poll.as_deref()) {
        Ok(s) => s,
        Err(r) => return Ok(Refused::Stream(r).into_response()),
    };
    let mut conn = Connection::new(&state, auth.identity, auth.token);
    if let Err(refused) = conn.subscribe(stream).await {
        return Ok(refused.into_response());
    }
    let first = VecDeque::from([SseEvent::default().comment(")")]);
    let events = futures_util::stream::unfold((conn, first), |(mut conn, mut pending)| async move {
        loop {
            if let Some(event) = pending.pop_front() {
                return Some((Ok::<_, Infallible>(event), (conn, pending)));
            }
            match conn.next().await {
                Ok(frames) => {
                    pending.extend(frames.into_iter().map(|f| SseEvent::default().event(f.event).data(&*f.payload)))
                }
                Err(_) => return None,
            }
        }
    });
    let mut response = Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("thump")).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(Debug, Default, Deserialize)]
pub struct SseQuery {
    tag: Option<String>,
    list: Option<String>,
    poll: Option<String>,
    only_media: Option<String>,
}
