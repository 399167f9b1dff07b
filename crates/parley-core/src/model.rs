//! Domain types shared by the store, the use cases and the HTTP edge.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AccountId, AppId, NotificationId, PollId, StatusId};
pub use crate::media::{MediaAttachment, MediaFile, MediaKind};
use crate::poll::Eligibility;

/// Who may see a status (Mastodon's four levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Public,
    Unlisted,
    Private,
    Direct,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Unlisted => "unlisted",
            Visibility::Private => "private",
            Visibility::Direct => "direct",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "public" => Visibility::Public,
            "unlisted" => Visibility::Unlisted,
            "private" => Visibility::Private,
            "direct" => Visibility::Direct,
            _ => return None,
        })
    }

    /// Public and unlisted statuses can be boosted; private and direct ones cannot.
    pub fn is_boostable(self) -> bool {
        matches!(self, Visibility::Public | Visibility::Unlisted)
    }
}

/// An account's standing on this server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A profile field ("Website", "https://…"), as entered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileField {
    pub name: String,
    pub value: String,
}

/// An account with its profile and counters.
#[derive(Debug, Clone, PartialEq)]
pub struct Account {
    pub id: AccountId,
    pub username: String,
    pub display_name: String,
    /// The bio as typed; `note_html` is its rendering.
    pub note: String,
    pub note_html: String,
    pub fields: Vec<ProfileField>,
    pub locked: bool,
    pub bot: bool,
    pub created_at: DateTime<Utc>,
    pub role: Role,
    /// Set for official accounts: "Embassy of … in the USA".
    pub organisation: Option<String>,
    pub approved: bool,
    pub suspended: bool,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<DateTime<Utc>>,
    /// The account's server: `None` for this one (every account until
    /// federation brings remote ones).
    pub domain: Option<String>,
    /// The stored avatar image's name, `None` for the default one.
    pub avatar: Option<String>,
    /// The stored header image's name, `None` for the default one.
    pub header: Option<String>,
}

impl Account {
    /// An account of this server.
    pub fn is_local(&self) -> bool {
        self.domain.is_none()
    }
}

/// A status (or a boost, when `reblog_of` is set).
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub id: StatusId,
    pub account_id: AccountId,
    pub in_reply_to_id: Option<StatusId>,
    pub in_reply_to_account_id: Option<AccountId>,
    pub reblog_of: Option<StatusId>,
    /// The text as typed (returned on delete for redrafting, and as `source`).
    pub text: String,
    pub content_html: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    /// Accounts mentioned, in order of appearance.
    pub mentions: Vec<AccountId>,
    /// Hashtags, lower-cased.
    pub tags: Vec<String>,
    pub application: Option<AppId>,
    pub poll_id: Option<PollId>,
    /// Media attachments, in the order the author gave them.
    pub media: Vec<MediaAttachment>,
}

/// One earlier (or the current) version of an edited status.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusEdit {
    pub status_id: StatusId,
    pub text: String,
    pub content_html: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: DateTime<Utc>,
    /// The attachments this version had (their descriptions then).
    pub media: Vec<MediaAttachment>,
}

/// The kinds of notification Mastodon clients know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    Mention,
    Status,
    Reblog,
    Follow,
    FollowRequest,
    Favourite,
    Poll,
    Update,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 8] = [
        NotificationKind::Mention,
        NotificationKind::Status,
        NotificationKind::Reblog,
        NotificationKind::Follow,
        NotificationKind::FollowRequest,
        NotificationKind::Favourite,
        NotificationKind::Poll,
        NotificationKind::Update,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Mention => "mention",
            NotificationKind::Status => "status",
            NotificationKind::Reblog => "reblog",
            NotificationKind::Follow => "follow",
            NotificationKind::FollowRequest => "follow_request",
            NotificationKind::Favourite => "favourite",
            NotificationKind::Poll => "poll",
            NotificationKind::Update => "update",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A notification for `account_id`, caused by `from_account_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub id: NotificationId,
    pub account_id: AccountId,
    pub from_account_id: AccountId,
    pub kind: NotificationKind,
    pub status_id: Option<StatusId>,
    pub created_at: DateTime<Utc>,
    /// The group it belongs to (`favourite-<status>-<bucket>`…; see
    /// [`crate::grouping`]); `None` for a kind that is never grouped.
    pub group_key: Option<String>,
}

/// What a new status of an account is when the request does not say
/// (Mastodon's `source` settings and `posting:default:*` preferences).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostingDefaults {
    pub visibility: Visibility,
    pub sensitive: bool,
    pub language: Option<String>,
}

impl Default for PostingDefaults {
    fn default() -> Self {
        PostingDefaults { visibility: Visibility::Public, sensitive: false, language: None }
    }
}

/// A timeline whose read position is kept (Mastodon's markers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MarkerTimeline {
    Home,
    Notifications,
}

impl MarkerTimeline {
    pub const ALL: [MarkerTimeline; 2] = [MarkerTimeline::Home, MarkerTimeline::Notifications];

    pub fn as_str(self) -> &'static str {
        match self {
            MarkerTimeline::Home => "home",
            MarkerTimeline::Notifications => "notifications",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Where an account stopped reading a timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub timeline: MarkerTimeline,
    pub last_read_id: i64,
    /// How many times it moved since it was first set (from 0).
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

/// How one account stands towards another (Mastodon's Relationship entity).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Relationship {
    pub following: bool,
    pub followed_by: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
}

/// A registered OAuth client application.
#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub id: AppId,
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: String,
    pub client_id: String,
    pub created_at: DateTime<Utc>,
}

/// A poll with its tallies as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    pub id: PollId,
    pub status_id: StatusId,
    /// The author of the status (who may not vote).
    pub account_id: AccountId,
    pub options: Vec<String>,
    pub option_votes: Vec<i64>,
    pub multiple: bool,
    pub hide_totals: bool,
    /// Who may vote (Parley's own).
    pub eligibility: Eligibility,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The end has been processed (notifications sent).
    pub closed: bool,
    pub votes_count: i64,
    pub voters_count: i64,
    pub chain_head: String,
    pub vote_seq: i64,
    /// Editing the options or `multiple` starts a new round; only the
    /// current round's ballots are counted, earlier ones are kept.
    pub round: i64,
}

impl Poll {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

/// Which replies a list's timeline shows (Mastodon's `replies_policy`):
/// replies to any account the owner follows, to the list's members, or none
/// (a member's reply to the owner, or to themselves, is always shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RepliesPolicy {
    Followed,
    #[default]
    List,
    None,
}

impl RepliesPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            RepliesPolicy::Followed => "followed",
            RepliesPolicy::List => "list",
            RepliesPolicy::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<RepliesPolicy> {
        match s {
            "followed" => Some(RepliesPolicy::Followed),
            "list" => Some(RepliesPolicy::List),
            "none" => Some(RepliesPolicy::None),
            _ => None,
        }
    }
}

/// A list of accounts its owner follows, read as a timeline of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    pub id: crate::ListId,
    pub account: AccountId,
    pub title: String,
    pub replies_policy: RepliesPolicy,
    /// The members' statuses leave the owner's home timeline.
    pub exclusive: bool,
}
