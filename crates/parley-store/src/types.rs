//! The inputs and outputs of [`crate::Store`] methods that are not domain types.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use parley_core::media::{MediaFile, MediaKind};
use parley_core::model::{NotificationKind, Poll, ProfileField, Role, Visibility};
use parley_core::{AccountId, AppId, ConversationId, MediaId, NotificationId, PollId, ScheduledStatusId, StatusId};

/// A local account to create.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub organisation: Option<String>,
    pub approved: bool,
    /// For bulk seeding and the demo; `None` means now.
    pub created_at: Option<DateTime<Utc>>,
}

/// What sign-in needs to check a password.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub account_id: AccountId,
    pub password_hash: String,
}

/// A change to the profile; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ProfileUpdate {
    pub display_name: Option<String>,
    pub note: Option<(String, String)>,
    pub fields: Option<Vec<ProfileField>>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    pub posting_defaults: PostingDefaultsUpdate,
    /// A stored image's name: the new avatar.
    pub avatar: Option<String>,
    /// A stored image's name: the new header.
    pub header: Option<String>,
}

/// A change to the posting defaults; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct PostingDefaultsUpdate {
    pub visibility: Option<Visibility>,
    pub sensitive: Option<bool>,
    /// `Some(None)` clears it.
    pub language: Option<Option<String>>,
}

impl PostingDefaultsUpdate {
    pub fn is_empty(&self) -> bool {
        self.visibility.is_none() && self.sensitive.is_none() && self.language.is_none()
    }
}

/// An administrator's change to an account; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct AdminUpdate {
    pub role: Option<Role>,
    pub organisation: Option<Option<String>>,
    pub approved: Option<bool>,
    pub suspended: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct NewApp {
    pub name: String,
    pub website: Option<String>,
    pub redirect_uris: Vec<String>,
    pub scopes: String,
    pub client_id: String,
    pub client_secret_hash: String,
}

#[derive(Debug, Clone)]
pub struct NewGrant {
    pub code_hash: String,
    pub app_id: AppId,
    pub account_id: AccountId,
    pub scopes: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// An authorization code, as the token endpoint finds it.
#[derive(Debug, Clone)]
pub struct Grant {
    /// Already exchanged for a token: a second exchange is a replay.
    pub redeemed: bool,
    pub app_id: AppId,
    pub account_id: AccountId,
    pub scopes: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewToken {
    pub token_hash: String,
    pub app_id: AppId,
    pub account_id: Option<AccountId>,
    pub scopes: String,
}

/// What a bearer token stands for.
#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub app_id: AppId,
    /// `None` for client-credentials (app-only) tokens.
    pub account_id: Option<AccountId>,
    pub scopes: String,
}

/// A status to post. The store assigns its ID and time, bumps the counters,
/// and notifies the mentioned accounts (but the author) in the same transaction.
#[derive(Debug, Clone)]
pub struct NewStatus {
    pub account_id: AccountId,
    pub text: String,
    pub content_html: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub visibility: Visibility,
    pub language: Option<String>,
    /// The parent status and its author.
    pub in_reply_to: Option<(StatusId, AccountId)>,
    pub mentions: Vec<AccountId>,
    pub tags: Vec<String>,
    pub app: Option<AppId>,
    /// Remembered so a retried request returns the same status.
    pub idempotency_key: Option<String>,
    /// For the demo and seeding; `None` means now.
    pub created_at: Option<DateTime<Utc>>,
    pub poll: Option<NewPoll>,
    /// Uploads to attach, in order: each the author's and unattached.
    pub media: Vec<MediaId>,
}

/// An upload, decoded and stored: its row.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub account_id: AccountId,
    pub kind: MediaKind,
    pub original: MediaFile,
    pub small: MediaFile,
    pub description: Option<String>,
    pub focus: Option<(f64, f64)>,
    pub blurhash: String,
}

/// A change to an attachment's description or focus; `None` leaves one as it
/// is, `Some(None)` clears the description.
#[derive(Debug, Clone, Default)]
pub struct MediaAttributes {
    pub description: Option<Option<String>>,
    pub focus: Option<(f64, f64)>,
}

/// A new version of a status's text; the store keeps the previous one in the
/// history and tells everyone who boosted it (`update` notifications).
#[derive(Debug, Clone)]
pub struct EditStatus {
    pub text: String,
    pub content_html: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub mentions: Vec<AccountId>,
    pub tags: Vec<String>,
    pub poll: PollChange,
    /// The text changed: refused if the poll already has votes, so the
    /// meaning of a vote never changes under it.
    pub text_changed: bool,
    /// `None` keeps the attachments; otherwise the new list, in order.
    pub media: Option<Vec<MediaId>>,
    /// New descriptions and focal points of attachments the status keeps.
    pub media_attributes: Vec<(MediaId, MediaAttributes)>,
}

#[derive(Debug, Clone)]
pub struct NewReblog {
    pub account_id: AccountId,
    pub status_id: StatusId,
    pub visibility: Visibility,
    pub app: Option<AppId>,
}

/// The viewer's own marks on a set of statuses.
#[derive(Debug, Clone, Default)]
pub struct StatusFlags {
    pub favourited: HashSet<StatusId>,
    pub reblogged: HashSet<StatusId>,
    pub pinned: HashSet<StatusId>,
    pub bookmarked: HashSet<StatusId>,
}

/// The filters of `GET /api/v1/accounts/:id/statuses`.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountStatusesFilter {
    pub exclude_replies: bool,
    pub exclude_reblogs: bool,
    pub only_media: bool,
    pub pinned: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct FollowOptions {
    pub show_reblogs: bool,
    pub notify: bool,
}

impl Default for FollowOptions {
    fn default() -> Self {
        FollowOptions { show_reblogs: true, notify: false }
    }
}

/// What a viewer's relationship to an author says for who sees what
/// (`parley_core::visibility`): the part of a `Relationship` the visibility
/// rule reads, answered from memory (see `Store::author_relations`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthorRelation {
    /// The viewer follows the author (an accepted follow).
    pub following: bool,
    /// The viewer blocks the author.
    pub blocking: bool,
    /// The author blocks the viewer.
    pub blocked_by: bool,
    /// The viewer mutes the author.
    pub muting: bool,
}

/// One of an account's conversations (direct-message threads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationEntry {
    pub id: ConversationId,
    /// The other participants, by ID (none: a message to oneself).
    pub participants: Vec<AccountId>,
    /// Also the conversation's cursor in a listing.
    pub last_status: StatusId,
    pub unread: bool,
}

/// One mute, as `GET /api/v1/mutes` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MuteEntry {
    pub cursor: i64,
    pub account: AccountId,
    /// When it ends by itself (`None`: never).
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewNotification {
    pub account_id: AccountId,
    pub from_account_id: AccountId,
    pub kind: NotificationKind,
    pub status_id: Option<StatusId>,
}

/// What a notification group amounts to over a page (Mastodon's
/// `NotificationGroup` figures): over the notifications up to the page's
/// newest, those the recipient is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationGroupStats {
    pub key: String,
    pub most_recent: NotificationId,
    pub latest_at: DateTime<Utc>,
    pub count: i64,
    /// The most recent senders, newest first (at most `grouping::SAMPLE_ACCOUNTS`).
    pub sample_accounts: Vec<AccountId>,
    /// The group's oldest notification from the page's start on (paged lists only).
    pub page_min: Option<NotificationId>,
}

/// A poll to attach to a new status.
#[derive(Debug, Clone)]
pub struct NewPoll {
    pub options: Vec<String>,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: DateTime<Utc>,
    /// Who may vote; an edit that resets the poll sets it again.
    pub eligibility: parley_core::poll::Eligibility,
}

/// What an edit does to the status's poll.
#[derive(Debug, Clone, Default)]
pub enum PollChange {
    /// Leave it as it is.
    #[default]
    Keep,
    /// Change only when it ends and whether totals are hidden; votes stay.
    Adjust { hide_totals: bool, expires_at: DateTime<Utc> },
    /// New options or another `multiple`: every vote is void and its voter told.
    Reset(NewPoll),
    /// Attach a poll to a status that had none.
    Create(NewPoll),
}

/// One ballot: all the choices of one account in one poll.
#[derive(Debug, Clone)]
pub struct NewBallot {
    pub poll_id: PollId,
    pub account_id: AccountId,
    /// Sorted, deduplicated, each below the option count.
    pub choices: Vec<u32>,
    /// When it was cast; `None` means the writer's clock (live votes). Vote
    /// times never run backwards within a poll, so the log is in time order.
    pub at: Option<DateTime<Utc>>,
    /// The commitment its log leaf holds to the voter's secret
    /// (`parley_core::tlog::commitment`); the secret itself is never stored.
    pub commitment: parley_core::tlog::Hash,
}

/// A recorded ballot: the vote log's new head.
#[derive(Debug, Clone)]
pub struct RecordedBallot {
    pub at: DateTime<Utc>,
    pub last_seq: i64,
    pub chain_head: String,
    /// Its leaf in the poll's transparency log: index and data.
    pub leaf_index: u64,
    pub leaf: Vec<u8>,
}

/// A signed checkpoint of a poll's log as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub poll_id: PollId,
    pub tree_size: u64,
    pub root: parley_core::tlog::Hash,
    /// The signed note (C2SP `signed-note` around a `tlog-checkpoint`).
    pub note: String,
    pub created_at: DateTime<Utc>,
}

/// An inclusion proof: the leaf, the path, and the root it leads to.
#[derive(Debug, Clone)]
pub struct InclusionProof {
    pub leaf: Vec<u8>,
    pub proof: Vec<parley_core::tlog::Hash>,
    pub root: parley_core::tlog::Hash,
}

/// A consistency proof between two tree sizes, with both roots.
#[derive(Debug, Clone)]
pub struct ConsistencyProof {
    pub proof: Vec<parley_core::tlog::Hash>,
    pub old_root: parley_core::tlog::Hash,
    pub new_root: parley_core::tlog::Hash,
}

/// A poll's tally as of a moment, from the vote rows.
#[derive(Debug, Clone)]
pub struct TallyAt {
    pub option_votes: Vec<i64>,
    pub votes_count: i64,
    pub voters_count: i64,
    /// The hash of the last vote at or before the moment (the genesis if none).
    pub chain_head: String,
    pub last_seq: i64,
    /// The status's text at the moment (its edit history).
    pub question: String,
    /// The poll's version at the moment; the tally is of its round.
    pub version: PollVersion,
}

/// What a poll looked like from `started_at` until its next version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollVersion {
    pub round: i64,
    pub options: Vec<String>,
    pub multiple: bool,
    pub hide_totals: bool,
    pub expires_at: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
}

/// Votes cast within one interval of a poll's history.
#[derive(Debug, Clone)]
pub struct HistoryBucket {
    pub start: DateTime<Utc>,
    pub option_votes: Vec<i64>,
    pub voters: i64,
}

/// Aggregate integrity signals (never who voted what).
#[derive(Debug, Clone)]
pub struct PollSignals {
    /// (minute start, ballots cast in that minute), in time order.
    pub ballots_per_minute: Vec<(DateTime<Utc>, i64)>,
    pub ballots: i64,
    /// Ballots from accounts created after the poll opened.
    pub ballots_from_new_accounts: i64,
}

/// What the recount found wrong with one poll.
#[derive(Debug, Clone)]
pub struct PollAudit {
    pub poll_id: PollId,
    pub problems: Vec<String>,
}

/// A poll as recorded at one point of the change log: its row, every ballot
/// (voter, sorted choices), and the last record the read reflects.
#[derive(Debug, Clone)]
pub struct PollState {
    pub poll: Poll,
    /// The visibility of the poll's status.
    pub visibility: Visibility,
    pub ballots: Vec<(AccountId, Vec<u32>)>,
    /// Records up to this one are in the state; later ones are not.
    pub as_of_seq: i64,
}

/// What a scheduled status will be posted with: the request as it was
/// checked when it was scheduled (mentions are resolved when it is published,
/// as Mastodon does).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ScheduledParams {
    pub text: String,
    /// `None`: the author's default when it is published.
    pub visibility: Option<Visibility>,
    pub in_reply_to_id: Option<StatusId>,
    pub spoiler_text: String,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    pub poll: Option<ScheduledPoll>,
    pub app: Option<AppId>,
}

/// A scheduled status's poll; it opens when the status is published.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ScheduledPoll {
    pub options: Vec<String>,
    pub expires_in: i64,
    pub multiple: bool,
    pub hide_totals: bool,
    /// Parley's own eligibility (see `NewPoll`).
    #[serde(default)]
    pub min_account_age_days: Option<i64>,
    #[serde(default)]
    pub local_only: bool,
}

/// A status waiting for its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledStatus {
    pub id: ScheduledStatusId,
    pub account: AccountId,
    pub scheduled_at: DateTime<Utc>,
    pub params: ScheduledParams,
}

/// What a list is, as created or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListFields {
    pub title: String,
    pub replies_policy: parley_core::model::RepliesPolicy,
    pub exclusive: bool,
}

/// A filter's own fields, as created or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterFields {
    pub title: String,
    pub contexts: Vec<parley_core::filters::FilterContext>,
    pub action: parley_core::filters::FilterAction,
    pub expires_at: Option<DateTime<Utc>>,
}

/// A change to a filter's keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeywordChange {
    Add {
        keyword: String,
        whole_word: bool,
    },
    /// `NotFound` unless the keyword is the filter's.
    Update {
        id: i64,
        keyword: String,
        whole_word: bool,
    },
    Remove {
        id: i64,
    },
}

/// A change to a filter's statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilteredStatusChange {
    /// `Conflict::AlreadyFiltered` when it is there already.
    Add(StatusId),
    /// `NotFound` unless the entry is the filter's.
    Remove { id: i64 },
}

/// Changes to a filter, made together.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterChange {
    pub fields: Option<FilterFields>,
    pub keywords: Vec<KeywordChange>,
    pub statuses: Vec<FilteredStatusChange>,
}

/// A signing key as stored: its place in the order of rotation, its secret
/// (an Ed25519 seed) and when it was made. The newest signs.
#[derive(Clone)]
pub struct SigningKeyRow {
    pub number: i64,
    pub secret: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

impl std::fmt::Debug for SigningKeyRow {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRow").field("number", &self.number).field("created_at", &self.created_at).finish()
    }
}

/// A witness's cosignature of a checkpoint, as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    pub poll_id: PollId,
    pub tree_size: u64,
    /// The witness's name, as in its signature line.
    pub witness: String,
    pub public_key: Vec<u8>,
    /// The note signature line (`— name base64`).
    pub line: String,
    pub created_at: DateTime<Utc>,
}

/// Why an account is suggested (Mastodon's `sources`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SuggestionSource {
    /// An official (organisation) account: Mastodon's `featured`.
    Featured,
    /// Among the most followed: `most_followed`.
    MostFollowed,
}
