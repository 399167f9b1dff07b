//! Mastodon's streaming API as use cases: which streams exist, who may
//! subscribe to which, and what each event from the hub becomes on each
//! stream. Every rule of who sees what is checked when an event is delivered,
//! with the same rules a request uses (`views::ensure_visible` for a status
//! by ID, `filter_visible` for listings, the store's home rule for `user`),
//! so a stream never shows a status its subscriber could not fetch. What is
//! sent is the status as anyone sees it, viewed once per version for all its
//! subscribers, as Mastodon's stream payloads carry no viewer's marks. Transports (WebSocket, server-sent
//! events) live in `parley-api`.

use std::sync::Arc;

use parley_core::model::{Status, Visibility};
use parley_core::{AccountId, PollId, StatusId};

use crate::auth::{AuthService, Identity};
use crate::conversations::{ConversationService, ConversationView};
use crate::events::Event;
use crate::notifications::NotificationService;
use crate::polls::{PollService, PollView};
use crate::views::{NotificationView, StatusView, ensure_visible, filter_visible, status_view};
use crate::{AppError, Context, Result};

/// One stream, as named by Mastodon (`user`, `public:local`, `hashtag`…) or
/// by Parley (`parley:poll`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stream {
    User,
    UserNotification,
    /// `public`, `public:local`, `public:remote`, each with `:media`.
    Public {
        local: bool,
        remote: bool,
        media: bool,
    },
    Hashtag {
        tag: String,
        local: bool,
    },
    List(String),
    Direct,
    /// Coalesced tallies of one poll (Parley's own).
    Poll(PollId),
}

/// Why a subscription is refused, with Mastodon's wording and status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamRefusal {
    UnknownStream,
    NoTag,
    NoList,
    ListNotAuthorized,
    NoPoll,
    MissingToken,
    MissingScopes,
}

impl StreamRefusal {
    pub fn message(self) -> &'static str {
        match self {
            StreamRefusal::UnknownStream => "Unknown stream type",
            StreamRefusal::NoTag => "No tag for stream provided",
            StreamRefusal::NoList => "No list for stream provided",
            StreamRefusal::ListNotAuthorized => "Not authorized to stream this list",
            StreamRefusal::NoPoll => "No poll for stream provided",
            StreamRefusal::MissingToken => "Missing access token",
            StreamRefusal::MissingScopes => "Access token does not have the required scopes",
        }
    }

    /// The HTTP status Mastodon's streaming server answers with.
    pub fn status(self) -> u16 {
        match self {
            StreamRefusal::UnknownStream | StreamRefusal::NoTag | StreamRefusal::NoList | StreamRefusal::NoPoll => 400,
            StreamRefusal::ListNotAuthorized | StreamRefusal::MissingToken | StreamRefusal::MissingScopes => 401,
        }
    }
}

impl Stream {
    /// A stream from its name and parameters. `local` is accepted as
    /// `public:local` (Ice Cubes subscribes to it).
    pub fn parse(
        name: &str,
        tag: Option<&str>,
        list: Option<&str>,
        poll: Option<&str>,
    ) -> std::result::Result<Stream, StreamRefusal> {
        let public = |local, remote, media| Ok(Stream::Public { local, remote, media });
        let tag = || match tag.map(str::trim).map(|t| t.trim_start_matches('#')) {
            Some(t) if !t.is_empty() => Ok(t.to_lowercase()),
            _ => Err(StreamRefusal::NoTag),
        };
        match name {
            "user" => Ok(Stream::User),
            "user:notification" => Ok(Stream::UserNotification),
            "public" => public(false, false, false),
            "public:media" => public(false, false, true),
            "public:local" | "local" => public(true, false, false),
            "public:local:media" => public(true, false, true),
            "public:remote" => public(false, true, false),
            "public:remote:media" => public(false, true, true),
            "hashtag" => Ok(Stream::Hashtag { tag: tag()?, local: false }),
            "hashtag:local" => Ok(Stream::Hashtag { tag: tag()?, local: true }),
            "list" => match list {
                Some(l) if !l.is_empty() => Ok(Stream::List(l.to_string())),
                _ => Err(StreamRefusal::NoList),
            },
            "direct" => Ok(Stream::Direct),
            "parley:poll" => match poll.and_then(|p| p.parse().ok()) {
                Some(id) => Ok(Stream::Poll(PollId(id))),
                None => Err(StreamRefusal::NoPoll),
            },
            _ => Err(StreamRefusal::UnknownStream),
        }
    }

    /// The `stream` array of a frame: the name, then the tag, list or poll.
    pub fn frame_name(&self) -> Vec<String> {
        let with_media = |base: &str, media: bool| if media { format!("{base}:media") } else { base.to_string() };
        match self {
            Stream::User => vec!["user".into()],
            Stream::UserNotification => vec!["user:notification".into()],
            Stream::Public { local: true, media, .. } => vec![with_media("public:local", *media)],
            Stream::Public { remote: true, media, .. } => vec![with_media("public:remote", *media)],
            Stream::Public { media, .. } => vec![with_media("public", *media)],
            Stream::Hashtag { tag, local } => {
                vec![if *local { "hashtag:local" } else { "hashtag" }.to_string(), tag.clone()]
            }
            Stream::List(id) => vec!["list".into(), id.clone()],
            Stream::Direct => vec!["direct".into()],
            Stream::Poll(id) => vec!["parley:poll".into(), id.to_string()],
        }
    }

    /// The scope a token needs for the stream (any of these).
    fn scopes(&self) -> &'static [&'static str] {
        match self {
            Stream::UserNotification => &["read:notifications"],
            Stream::Poll(_) => &[],
            _ => &["read:statuses"],
        }
    }
}

/// What one event becomes on one stream.
#[derive(Debug, Clone)]
pub enum Outgoing {
    /// The status as anyone sees it (no viewer's marks, as Mastodon's stream
    /// payloads), shared by every subscriber it goes to.
    Update(Arc<StatusView>),
    StatusUpdate(Arc<StatusView>),
    Delete(StatusId),
    Notification(Box<NotificationView>),
    /// The poll as an anonymous reader sees it.
    PollUpdate(Box<PollView>),
    /// One of the subscriber's conversations, as `GET /api/v1/conversations` shows it.
    Conversation(Box<ConversationView>),
}

impl Outgoing {
    /// The event's name in a frame.
    pub fn event(&self) -> &'static str {
        match self {
            Outgoing::Update(_) => "update",
            Outgoing::StatusUpdate(_) => "status.update",
            Outgoing::Delete(_) => "delete",
            Outgoing::Notification(_) => "notification",
            Outgoing::PollUpdate(_) => "poll.update",
            Outgoing::Conversation(_) => "conversation",
        }
    }
}

#[derive(Clone)]
pub struct StreamingService {
    ctx: Arc<Context>,
    auth: AuthService,
    notifications: NotificationService,
    conversations: ConversationService,
    polls: PollService,
    /// The last statuses streamed, each viewed once for all its subscribers
    /// (keyed by the entity cache's `Arc`: a new version is a new key).
    shared_views: SharedViews,
}

type SharedViews = Arc<std::sync::Mutex<std::collections::VecDeque<(Arc<Status>, Arc<StatusView>)>>>;

/// Statuses whose shared view is kept (a post fans out within a second).
const SHARED_VIEWS: usize = 64;

impl StreamingService {
    pub fn new(ctx: Arc<Context>) -> Self {
        StreamingService {
            auth: AuthService::new(ctx.clone()),
            shared_views: Default::default(),
            notifications: NotificationService::new(ctx.clone()),
            conversations: ConversationService::new(ctx.clone()),
            polls: PollService::new(ctx.clone()),
            ctx,
        }
    }

    /// May `who` subscribe to `stream`? Every Mastodon stream needs a user
    /// token with the stream's scope (since Mastodon 4.2); a poll's stream
    /// needs only that its reader may see the poll.
    pub async fn authorize(&self, who: Option<&Identity>, stream: &Stream) -> Result<Option<StreamRefusal>> {
        if let Stream::Poll(id) = stream {
            let viewer = who.and_then(|w| w.account.as_ref()).map(|a| a.id);
            return self.polls.get(viewer, *id).await.map(|_| None);
        }
        let Some(who) = who else { return Ok(Some(StreamRefusal::MissingToken)) };
        who.user()?;
        if !stream.scopes().iter().any(|s| who.scopes.allows(s)) {
            return Ok(Some(StreamRefusal::MissingScopes));
        }
        if let Stream::List(id) = stream {
            // Only the list's owner may follow it; anyone else's list, or a
            // list that does not exist, is refused alike.
            let me = who.user()?.id;
            if self.list_of(me, id).await?.is_none() {
                return Ok(Some(StreamRefusal::ListNotAuthorized));
            }
        }
        Ok(None)
    }

    /// Is the token a stream was opened with still good (after a revocation,
    /// a suspension, a password reset)?
    pub async fn still_valid(&self, token: &str) -> Result<bool> {
        match self.auth.authenticate(token).await {
            Ok(identity) => Ok(identity.user().is_ok()),
            Err(AppError::InvalidToken) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// What `event` becomes on `stream` for `who`, if anything.
    pub async fn route(&self, who: Option<&Identity>, stream: &Stream, event: &Event) -> Result<Option<Outgoing>> {
        let viewer = who.and_then(|w| w.account.as_ref()).map(|a| a.id);
        match (event, stream) {
            (Event::PollVoted(id) | Event::PollChanged(id), Stream::Poll(watched)) if id == watched => {
                self.poll_update(viewer, *id).await
            }
            (Event::StatusPosted(id), _) => Ok(self.status_for(viewer, stream, *id).await?.map(Outgoing::Update)),
            (Event::StatusEdited(id), _) => Ok(self.status_for(viewer, stream, *id).await?.map(Outgoing::StatusUpdate)),
            (Event::StatusDeleted { status, account, visibility }, _) => {
                let told = self.deletion_reaches(viewer, stream, *account, *visibility).await?;
                Ok(told.then_some(Outgoing::Delete(*status)))
            }
            (Event::Notified { notification, account }, Stream::User | Stream::UserNotification)
                if Some(*account) == viewer =>
            {
                let allowed = who.is_some_and(|w| w.scopes.allows("read:notifications"));
                if !allowed {
                    return Ok(None);
                }
                match self.notifications.get(*account, *notification).await {
                    Ok(view) => Ok(Some(Outgoing::Notification(Box::new(view)))),
                    // Dismissed already, or hidden from its recipient.
                    Err(AppError::NotFound) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            // Mastodon tells conversations on the `direct` stream only.
            (Event::ConversationChanged { conversation, account }, Stream::Direct) if Some(*account) == viewer => {
                match self.conversations.get(*account, *conversation).await {
                    Ok(view) => Ok(Some(Outgoing::Conversation(Box::new(view)))),
                    // Removed meanwhile.
                    Err(AppError::NotFound) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            _ => Ok(None),
        }
    }

    /// The poll as an anonymous reader sees it, if `viewer` may still see it.
    pub async fn poll_update(&self, viewer: Option<AccountId>, id: PollId) -> Result<Option<Outgoing>> {
        match self.polls.get(viewer, id).await {
            Ok(_) => {}
            Err(AppError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        }
        Ok(Some(Outgoing::PollUpdate(Box::new(self.polls.get(None, id).await?))))
    }

    /// The status's shared view, if it belongs on `stream` for `viewer` and
    /// `viewer` may see it.
    async fn status_for(
        &self,
        viewer: Option<AccountId>,
        stream: &Stream,
        id: StatusId,
    ) -> Result<Option<Arc<StatusView>>> {
        let Some(me) = viewer else { return Ok(None) };
        let Some(status) = self.ctx.store.find_status(id).await? else { return Ok(None) };
        let belongs = match stream {
            Stream::User => {
                self.ctx.store.in_home_of(me, &status).await?
                    && !self.ctx.store.exclusive_list_members(me).await?.contains(&status.account_id)
            }
            // Deleted since the stream opened: nothing more.
            Stream::List(id) => match self.list_of(me, id).await? {
                Some(list) => self.ctx.store.list_has_status(list, status.id).await?,
                None => false,
            },
            Stream::Public { remote: false, media, .. } => {
                public_original(&status) && (!media || !status.media.is_empty())
            }
            Stream::Hashtag { tag, .. } => public_original(&status) && status.tags.iter().any(|t| t == tag),
            // Every account is local.
            Stream::Public { remote: true, .. } => false,
            // Direct statuses reach the `direct` stream as `conversation`
            // events (Mastodon sends no `update` there).
            Stream::UserNotification | Stream::Direct | Stream::Poll(_) => false,
        };
        if !belongs {
            return Ok(None);
        }
        // Visibility, blocks and suspension as `GET /api/v1/statuses/:id`; on
        // public and tag streams also mutes, as their timelines.
        let visible = match stream {
            Stream::User => match ensure_visible(&self.ctx, Some(me), &status).await {
                Ok(()) => true,
                Err(AppError::NotFound) => false,
                Err(e) => return Err(e),
            },
            _ => !filter_visible(&self.ctx, Some(me), vec![status.clone()]).await?.is_empty(),
        };
        if !visible {
            return Ok(None);
        }
        self.shared_view(status).await.map(Some)
    }

    /// The status as anyone sees it, viewed once for every subscriber.
    async fn shared_view(&self, status: Arc<Status>) -> Result<Arc<StatusView>> {
        let kept = |views: &std::collections::VecDeque<(Arc<Status>, Arc<StatusView>)>| {
            views.iter().find(|(s, _)| Arc::ptr_eq(s, &status)).map(|(_, v)| v.clone())
        };
        if let Some(view) = kept(&self.shared_views.lock().unwrap_or_else(std::sync::PoisonError::into_inner)) {
            return Ok(view);
        }
        let view = Arc::new(status_view(&self.ctx, None, status.clone()).await?);
        let mut views = self.shared_views.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(other) = kept(&views) {
            return Ok(other);
        }
        if views.len() >= SHARED_VIEWS {
            views.pop_front();
        }
        views.push_back((status, view.clone()));
        Ok(view)
    }

    /// Is a deletion told on this stream? Where the status could have been shown.
    async fn deletion_reaches(
        &self,
        viewer: Option<AccountId>,
        stream: &Stream,
        author: AccountId,
        visibility: Option<Visibility>,
    ) -> Result<bool> {
        let Some(me) = viewer else { return Ok(false) };
        Ok(match stream {
            Stream::User => {
                me == author || {
                    let shown_to_followers = !matches!(visibility, Some(Visibility::Direct));
                    let rel = crate::views::relationships_to(&self.ctx, me, &[author]).await?;
                    shown_to_followers && rel.first().is_some_and(|(_, r)| r.following)
                }
            }
            Stream::Public { remote: false, .. } | Stream::Hashtag { .. } => visibility == Some(Visibility::Public),
            // Where a member's status could have been: lists never hold direct ones.
            Stream::List(id) => {
                !matches!(visibility, Some(Visibility::Direct))
                    && self.ctx.store.lists_with_member(me, author).await?.iter().any(|l| l.id.0.to_string() == *id)
            }
            _ => false,
        })
    }

    /// The viewer's list named by a stream's `list` parameter, if it is one.
    async fn list_of(&self, me: AccountId, id: &str) -> Result<Option<parley_core::model::List>> {
        let Ok(id) = id.parse::<i64>() else { return Ok(None) };
        Ok(self.ctx.store.find_list(me, parley_core::ListId(id)).await?)
    }
}

fn public_original(status: &parley_core::model::Status) -> bool {
    status.visibility == Visibility::Public && status.reblog_of.is_none()
}
