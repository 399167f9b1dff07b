//! Parley's storage layer: the [`Store`] trait with coarse, use-case-sized
//! methods, its error type, the SQLite implementation and (with the
//! `postgres` feature) the PostgreSQL one.
//!
//! Layers above talk only to `dyn Store`; rows and SQL never leave this crate.
//! Depends on `parley-core` for the domain types it returns.
//!
//! Writes are durable when a method returns: the SQLite implementation queues
//! them to one writer thread that commits in groups (see [`sqlite::writer`]).
//!
//! Statuses and accounts read for display come as `Arc`s: they are shared with
//! the store's entity cache, so a timeline page copies none of them, and a
//! layer above may keep one and know it unchanged while it is the same `Arc`.

mod audit;
pub mod changes;
pub mod derived;
mod error;
pub mod files;
mod neutral;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod sqlite;
mod types;
mod window;

use std::sync::Arc;

use async_trait::async_trait;
use changes::{ChangeListener, ChangeRecord};
use chrono::{DateTime, Utc};
use parley_core::grouping::GroupKey;
use parley_core::media::MediaAttachment;
use parley_core::model::{
    Account, App, List, Marker, MarkerTimeline, Notification, NotificationKind, Poll, PostingDefaults, Relationship,
    Status, StatusEdit,
};
use parley_core::page::PageRequest;
use parley_core::{
    AccountId, AppId, ConversationId, ListId, MediaId, NotificationId, PollId, ScheduledStatusId, StatusId,
};

pub use error::{Conflict, Rejection, StoreError};
pub use types::*;

/// Scheduled statuses an account may have at once, and for one UTC day (Mastodon's).
pub const MAX_SCHEDULED: i64 = 300;
pub const MAX_SCHEDULED_PER_DAY: i64 = 25;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Everything the use cases need from storage. Implementations must make
/// each method atomic: it either happened, durably, or it did not.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    // ---- the change log (see [`changes`]) ----
    /// Registers derived state kept above the store: from now on it is told
    /// of every change record, by any process, in log order.
    fn subscribe(&self, listener: Arc<dyn ChangeListener>);
    /// Applies every record the log holds now (other processes' included);
    /// returns the position applied.
    async fn catch_up(&self) -> Result<i64>;
    /// Records after `after`, oldest first, at most `limit`.
    async fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<ChangeRecord>>;
    /// Reads every entry of the store's own derived state (entity cache, home
    /// index) again from the database: the differences, none when in step.
    async fn check_derived(&self) -> Result<Vec<String>>;

    // ---- accounts ----
    async fn create_account(&self, new: NewAccount) -> Result<Account>;
    async fn find_account(&self, id: AccountId) -> Result<Option<Account>>;
    async fn find_accounts(&self, ids: &[AccountId]) -> Result<Vec<Arc<Account>>>;
    async fn find_account_by_username(&self, username: &str) -> Result<Option<Account>>;
    /// The stored password hash of a local account, found by e-mail or username.
    async fn find_credentials(&self, login: &str) -> Result<Option<Credentials>>;
    async fn update_profile(&self, id: AccountId, update: ProfileUpdate) -> Result<Account>;
    async fn update_account_admin(&self, id: AccountId, update: AdminUpdate) -> Result<Account>;
    /// Sets a new password hash and revokes every token of the account, atomically.
    async fn reset_password(&self, id: AccountId, password_hash: String) -> Result<()>;
    async fn list_accounts(&self, page: PageRequest) -> Result<Vec<Account>>;
    async fn search_accounts(&self, query: &str, limit: usize) -> Result<Vec<Account>>;
    async fn count_local_accounts(&self) -> Result<i64>;

    // ---- OAuth ----
    async fn create_app(&self, new: NewApp) -> Result<App>;
    async fn find_app(&self, id: AppId) -> Result<Option<App>>;
    async fn find_app_by_client_id(&self, client_id: &str) -> Result<Option<(App, String)>>;
    async fn create_grant(&self, grant: NewGrant) -> Result<()>;
    /// An authorization code grant, redeemed or not (until a day after it expires).
    async fn find_grant(&self, code_hash: &str) -> Result<Option<Grant>>;
    /// Redeems a code, creating `token`, atomically: Ok(true). A code already
    /// redeemed is refused, and the token it gave is revoked (RFC 6749
    /// §4.1.2: a replayed code may have been stolen): Ok(false).
    async fn redeem_grant(&self, code_hash: &str, token: NewToken) -> Result<bool>;
    async fn create_token(&self, token: NewToken) -> Result<()>;
    async fn find_token(&self, token_hash: &str) -> Result<Option<TokenInfo>>;
    /// Everything a request's token stands for, in one read: the token, its app
    /// and its account (on every authenticated request, so one round trip).
    async fn find_token_identity(&self, token_hash: &str) -> Result<Option<(TokenInfo, App, Option<Account>)>>;
    /// Revokes a token if it belongs to `app`; Ok(false) when there was none.
    async fn revoke_token(&self, token_hash: &str, app: AppId) -> Result<bool>;

    // ---- statuses ----
    async fn insert_status(&self, new: NewStatus) -> Result<Status>;
    async fn find_status(&self, id: StatusId) -> Result<Option<Arc<Status>>>;
    /// Statuses by ID, in the order of `ids`; missing ones are skipped.
    async fn find_statuses(&self, ids: &[StatusId]) -> Result<Vec<Arc<Status>>>;
    async fn find_idempotent_status(&self, account: AccountId, key: &str) -> Result<Option<StatusId>>;
    /// Deletes a status with its boosts; returns it as it was.
    async fn delete_status(&self, id: StatusId) -> Result<Option<Status>>;
    async fn edit_status(&self, id: StatusId, edit: EditStatus) -> Result<Status>;
    /// Every version of a status, oldest first, the current one last.
    async fn status_history(&self, id: StatusId) -> Result<Vec<StatusEdit>>;

    // ---- media attachments (the files are `files::MediaFiles`') ----
    async fn insert_media(&self, new: NewMedia) -> Result<MediaAttachment>;
    async fn find_media(&self, id: MediaId) -> Result<Option<MediaAttachment>>;
    /// Changes an unattached upload of `account`'s (`NotFound` otherwise).
    async fn update_media(&self, account: AccountId, id: MediaId, attrs: MediaAttributes) -> Result<MediaAttachment>;
    /// Deletes an unattached upload of `account`'s; returns it as it was, or `None`.
    async fn delete_media(&self, account: AccountId, id: MediaId) -> Result<Option<MediaAttachment>>;
    /// Deletes uploads never attached made before `before` (at most `limit`); returns them.
    async fn delete_stale_media(&self, before: DateTime<Utc>, limit: usize) -> Result<Vec<MediaAttachment>>;
    /// Of these stored file names, those that no attachment, avatar or header names.
    async fn unreferenced_files(&self, names: Vec<String>) -> Result<Vec<String>>;
    /// Ancestors (oldest first) and all descendants (in thread order) of a status.
    async fn thread(&self, id: StatusId) -> Result<(Vec<Arc<Status>>, Vec<Arc<Status>>)>;
    /// Ok(true) when the favourite is new.
    async fn favourite(&self, account: AccountId, status: StatusId, notify: Option<AccountId>) -> Result<bool>;
    async fn unfavourite(&self, account: AccountId, status: StatusId) -> Result<bool>;
    /// Ok(true) when the bookmark is new.
    async fn bookmark(&self, account: AccountId, status: StatusId) -> Result<bool>;
    async fn unbookmark(&self, account: AccountId, status: StatusId) -> Result<bool>;
    /// The statuses an account bookmarked, newest bookmark first: (cursor, status).
    async fn bookmarks_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusId)>>;
    /// Boosts `status`; returns the boost (existing one if already boosted).
    async fn reblog(&self, new: NewReblog) -> Result<Status>;
    /// Removes `account`'s boost of `status`; returns it if there was one.
    async fn unreblog(&self, account: AccountId, status: StatusId) -> Result<Option<Status>>;
    async fn favourited_by(&self, status: StatusId, page: PageRequest) -> Result<Vec<(i64, AccountId)>>;
    /// The statuses an account favourited, newest favourite first: (cursor, status).
    async fn favourites_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusId)>>;
    async fn reblogged_by(
        &self,
        viewer: Option<AccountId>,
        status: StatusId,
        page: PageRequest,
    ) -> Result<Vec<(i64, AccountId)>>;
    /// Which of `statuses` the viewer has favourited, boosted, pinned, bookmarked.
    async fn status_flags(&self, viewer: AccountId, statuses: &[StatusId]) -> Result<StatusFlags>;
    async fn pin(&self, account: AccountId, status: StatusId) -> Result<()>;
    async fn unpin(&self, account: AccountId, status: StatusId) -> Result<()>;

    // ---- timelines (each returns statuses the viewer may see, newest first) ----
    async fn home_timeline(&self, viewer: AccountId, page: PageRequest) -> Result<Vec<Arc<Status>>>;
    async fn public_timeline(
        &self,
        viewer: Option<AccountId>,
        local_only: bool,
        only_media: bool,
        page: PageRequest,
    ) -> Result<Vec<Arc<Status>>>;
    async fn tag_timeline(
        &self,
        viewer: Option<AccountId>,
        tag: &str,
        only_media: bool,
        page: PageRequest,
    ) -> Result<Vec<Arc<Status>>>;
    async fn account_statuses(
        &self,
        viewer: Option<AccountId>,
        account: AccountId,
        filter: AccountStatusesFilter,
        page: PageRequest,
    ) -> Result<Vec<Arc<Status>>>;
    async fn search_statuses(&self, viewer: AccountId, query: &str, limit: usize) -> Result<Vec<Arc<Status>>>;
    async fn search_tags(&self, query: &str, limit: usize) -> Result<Vec<String>>;
    async fn count_local_statuses(&self) -> Result<i64>;

    // ---- relationships ----
    /// Follows `target`, or asks to when `request` is set. Idempotent.
    async fn follow(&self, account: AccountId, target: AccountId, request: bool, options: FollowOptions) -> Result<()>;
    async fn unfollow(&self, account: AccountId, target: AccountId) -> Result<()>;
    /// Turns a pending request from `requester` into a follow. Ok(false) if none was pending.
    async fn authorize_follow_request(&self, target: AccountId, requester: AccountId) -> Result<bool>;
    async fn reject_follow_request(&self, target: AccountId, requester: AccountId) -> Result<bool>;
    async fn follow_requests(&self, target: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>>;
    async fn followers(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>>;
    async fn following(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>>;
    /// Blocks `target`: severs follows and requests both ways.
    async fn block(&self, account: AccountId, target: AccountId) -> Result<()>;
    async fn unblock(&self, account: AccountId, target: AccountId) -> Result<()>;
    /// Mutes `target` (its notifications too when `notifications`), until `expires_at` if given.
    async fn mute(
        &self,
        account: AccountId,
        target: AccountId,
        notifications: bool,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<()>;
    /// Ends the mutes whose time is up; how many ended.
    async fn unmute_expired(&self, now: DateTime<Utc>) -> Result<usize>;
    async fn next_mute_expiry(&self) -> Result<Option<DateTime<Utc>>>;
    /// For each of `targets`, those `viewer` follows who follow it (at most `limit` each).
    async fn familiar_followers(
        &self,
        viewer: AccountId,
        targets: &[AccountId],
        limit: usize,
    ) -> Result<Vec<(AccountId, Vec<AccountId>)>>;
    /// Accounts to suggest `viewer` follow, at most `limit`: shown ones, not
    /// `viewer`, none they follow, asked to follow, block, are blocked by,
    /// mute or dismissed; official accounts first, then the most followed.
    async fn suggest_accounts(&self, viewer: AccountId, limit: usize) -> Result<Vec<(AccountId, SuggestionSource)>>;
    /// `viewer` no longer wants `target` suggested.
    async fn dismiss_suggestion(&self, viewer: AccountId, target: AccountId) -> Result<()>;
    /// Whom `account` blocks, newest block first: (cursor, account).
    async fn blocks_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>>;
    /// Whom `account` mutes, newest mute first.
    async fn mutes_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<MuteEntry>>;
    async fn unmute(&self, account: AccountId, target: AccountId) -> Result<()>;
    async fn relationships(&self, account: AccountId, targets: &[AccountId]) -> Result<Vec<Relationship>>;
    /// Whether `status` belongs in `viewer`'s home timeline by the home rules
    /// (follows, blocks, mutes, boosts shown, replies, direct mentions,
    /// suspensions): what a home stream pushes. Cheap (the home index).
    async fn in_home_of(&self, viewer: AccountId, status: &Status) -> Result<bool>;
    /// Whether an existing `author`'s statuses are hidden from `viewer`
    /// whatever their visibility: the author is suspended or blocks the viewer.
    /// Cheap (kept in memory), for hot paths that need nothing else of the
    /// relationship.
    async fn author_hidden_from(&self, author: AccountId, viewer: Option<AccountId>) -> Result<bool>;
    /// `viewer`'s relation to each of `authors`, in their order, one each:
    /// what the visibility rule needs of a relationship. Cheap (the home
    /// index, which follows the change log), so every signed-in read and
    /// every stream delivery skips a relationships query.
    async fn author_relations(&self, viewer: AccountId, authors: &[AccountId]) -> Result<Vec<AuthorRelation>>;

    // ---- notifications ----
    async fn list_notifications(
        &self,
        account: AccountId,
        kinds: &[NotificationKind],
        from: Option<AccountId>,
        page: PageRequest,
    ) -> Result<Vec<Notification>>;
    async fn find_notification(&self, account: AccountId, id: NotificationId) -> Result<Option<Notification>>;
    async fn dismiss_notification(&self, account: AccountId, id: NotificationId) -> Result<bool>;
    async fn clear_notifications(&self, account: AccountId) -> Result<()>;
    /// The figures of stored notification groups (see [`NotificationGroupStats`]).
    async fn notification_group_stats(
        &self,
        account: AccountId,
        keys: Vec<String>,
        range: Option<(i64, i64)>,
    ) -> Result<Vec<NotificationGroupStats>>;
    /// The newest notification of a group the recipient is shown.
    async fn find_notification_group(&self, account: AccountId, key: &GroupKey) -> Result<Option<Notification>>;
    /// Deletes a group's notifications; how many there were.
    async fn dismiss_notification_group(&self, account: AccountId, key: &GroupKey) -> Result<usize>;
    /// A group's senders, newest notification first: (cursor, sender).
    async fn notification_group_senders(
        &self,
        account: AccountId,
        key: &GroupKey,
        page: PageRequest,
    ) -> Result<Vec<(i64, AccountId)>>;
    /// Records notifications (recipients who block or mute the sender are skipped).
    async fn notify(&self, notes: Vec<NewNotification>) -> Result<()>;

    // ---- markers ----
    /// The account's markers among `timelines` (those never set are left out).
    async fn find_markers(&self, account: AccountId, timelines: &[MarkerTimeline]) -> Result<Vec<Marker>>;
    /// Sets markers, all or none; returns them as stored.
    async fn save_markers(&self, account: AccountId, positions: Vec<(MarkerTimeline, i64)>) -> Result<Vec<Marker>>;

    // ---- conversations (direct-message threads; see `sqlite::conversations`) ----
    /// `account`'s conversations, newest last status first.
    async fn conversations_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<ConversationEntry>>;
    async fn find_conversation(&self, account: AccountId, id: ConversationId) -> Result<Option<ConversationEntry>>;
    /// `NotFound` when `account` has no conversation by that ID.
    async fn mark_conversation_read(&self, account: AccountId, id: ConversationId) -> Result<ConversationEntry>;
    /// Ok(false) when `account` has no conversation by that ID.
    async fn remove_conversation(&self, account: AccountId, id: ConversationId) -> Result<bool>;

    // ---- scheduled statuses ----
    /// Rejected when the account is at [`MAX_SCHEDULED`] or [`MAX_SCHEDULED_PER_DAY`].
    async fn schedule_status(
        &self,
        account: AccountId,
        at: DateTime<Utc>,
        params: ScheduledParams,
    ) -> Result<ScheduledStatus>;
    async fn find_scheduled_status(&self, account: AccountId, id: ScheduledStatusId)
    -> Result<Option<ScheduledStatus>>;
    async fn scheduled_statuses_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<ScheduledStatus>>;
    /// `NotFound` when `account` has no scheduled status by that ID.
    async fn reschedule_status(
        &self,
        account: AccountId,
        id: ScheduledStatusId,
        at: DateTime<Utc>,
    ) -> Result<ScheduledStatus>;
    async fn cancel_scheduled_status(&self, account: AccountId, id: ScheduledStatusId) -> Result<bool>;
    /// Scheduled statuses whose time has come, oldest first, at most `limit`.
    async fn due_scheduled_statuses(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<ScheduledStatus>>;
    async fn next_scheduled_time(&self) -> Result<Option<DateTime<Utc>>>;
    /// Posts `new` and deletes the scheduled status in one transaction:
    /// Ok(None), posting nothing, when it is gone (published or cancelled).
    async fn publish_scheduled_status(&self, id: ScheduledStatusId, new: NewStatus) -> Result<Option<Status>>;
    // ---- lists (each scoped to its owner: another's list is `NotFound`) ----
    /// `Rejection::ListLimit` when the owner has as many as it may.
    async fn create_list(&self, owner: AccountId, fields: ListFields) -> Result<List>;
    async fn find_list(&self, owner: AccountId, id: ListId) -> Result<Option<List>>;
    /// The owner's lists, oldest first.
    async fn lists_of(&self, owner: AccountId) -> Result<Vec<List>>;
    /// The owner's lists that have `member` in them.
    async fn lists_with_member(&self, owner: AccountId, member: AccountId) -> Result<Vec<List>>;
    async fn update_list(&self, owner: AccountId, id: ListId, fields: ListFields) -> Result<List>;
    /// Ok(false) when there was no such list.
    async fn delete_list(&self, owner: AccountId, id: ListId) -> Result<bool>;
    /// Adds members, all or none: each must be followed by the owner
    /// (`Rejection::NotFollowed`), and not a member yet (`Conflict::AlreadyListed`).
    /// An unfollow (or a block) takes the account out of the owner's lists.
    async fn add_list_members(&self, owner: AccountId, id: ListId, members: Vec<AccountId>) -> Result<()>;
    async fn remove_list_members(&self, owner: AccountId, id: ListId, members: Vec<AccountId>) -> Result<()>;
    /// A page of the list's members shown to others, by when they were added: (cursor, account).
    async fn list_members(&self, owner: AccountId, id: ListId, page: PageRequest) -> Result<Vec<(i64, AccountId)>>;
    /// The accounts in any of the owner's exclusive lists.
    async fn exclusive_list_members(&self, owner: AccountId) -> Result<Vec<AccountId>>;
    /// A page of the list's timeline (the list's owner is the viewer).
    async fn list_timeline(&self, list: List, page: PageRequest) -> Result<Vec<Arc<Status>>>;
    /// Whether the list's timeline has `status` (what a list stream pushes).
    async fn list_has_status(&self, list: List, status: StatusId) -> Result<bool>;

    // ---- filters (each scoped to its account: another's filter is `NotFound`) ----
    /// The account's filters, oldest first, expired ones included.
    async fn filters_of(&self, account: AccountId) -> Result<Vec<parley_core::filters::Filter>>;
    async fn create_filter(
        &self,
        account: AccountId,
        fields: FilterFields,
        keywords: Vec<KeywordChange>,
    ) -> Result<parley_core::filters::Filter>;
    /// Makes the changes together, or none (`NotFound` for anything not the account's).
    async fn change_filter(
        &self,
        account: AccountId,
        id: i64,
        change: FilterChange,
    ) -> Result<parley_core::filters::Filter>;
    /// Ok(false) when there was no such filter.
    async fn delete_filter(&self, account: AccountId, id: i64) -> Result<bool>;

    /// What the account's new statuses are when a request does not say
    /// (changed with the profile: [`ProfileUpdate::posting_defaults`]).
    async fn posting_defaults(&self, account: AccountId) -> Result<PostingDefaults>;

    // ---- polls ----
    async fn find_poll(&self, id: PollId) -> Result<Option<Poll>>;
    async fn find_polls(&self, ids: &[PollId]) -> Result<Vec<Poll>>;
    /// A poll with every ballot, read at one point of the change log (loads
    /// the in-memory tallies and voter index).
    async fn poll_state(&self, id: PollId) -> Result<Option<PollState>>;
    /// Records a ballot, its vote rows (hash-chained) and the tallies in one
    /// transaction. `Conflict::AlreadyVoted` if the account has a ballot.
    async fn record_ballot(&self, ballot: NewBallot) -> Result<RecordedBallot>;
    /// Records many ballots in one transaction, in order (bulk seeding, the
    /// demo); all or none.
    async fn record_ballots(&self, ballots: Vec<NewBallot>) -> Result<usize>;
    /// Marks every poll that has ended as closed and notifies its author and
    /// voters, exactly once. Returns the polls it closed.
    async fn close_expired_polls(&self, now: DateTime<Utc>) -> Result<Vec<Poll>>;
    async fn next_poll_expiry(&self) -> Result<Option<DateTime<Utc>>>;
    async fn poll_tally_at(&self, id: PollId, at: DateTime<Utc>) -> Result<TallyAt>;
    async fn poll_history(&self, id: PollId, interval_seconds: i64) -> Result<Vec<HistoryBucket>>;
    async fn poll_signals(&self, id: PollId) -> Result<PollSignals>;
    /// Recounts every poll from its vote rows, re-walks its hash chain, and
    /// rebuilds its transparency log from the leaves.
    async fn audit_polls(&self) -> Result<Vec<PollAudit>>;
    // ---- poll transparency logs (RFC 9162 trees, `parley_core::tlog`) ----
    /// The number of leaves now.
    async fn poll_log_size(&self, poll: PollId) -> Result<u64>;
    /// The number of leaves appended at or before `at`.
    async fn poll_log_size_at(&self, poll: PollId, at: DateTime<Utc>) -> Result<u64>;
    /// The root of the first `tree_size` leaves (`NotFound` past the end).
    async fn poll_log_root(&self, poll: PollId, tree_size: u64) -> Result<parley_core::tlog::Hash>;
    /// Leaf `index` and its inclusion proof in the tree of `tree_size` leaves.
    async fn poll_log_inclusion(&self, poll: PollId, index: u64, tree_size: u64) -> Result<InclusionProof>;
    /// The consistency proof between the trees of `old` and `new` leaves.
    async fn poll_log_consistency(&self, poll: PollId, old: u64, new: u64) -> Result<ConsistencyProof>;
    /// Keeps a signed checkpoint unless one of its size exists; the one kept.
    async fn save_poll_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<StoredCheckpoint>;
    async fn find_poll_checkpoint(&self, poll: PollId, tree_size: u64) -> Result<Option<StoredCheckpoint>>;
    /// Every checkpoint of a poll, smallest first.
    async fn poll_checkpoints(&self, poll: PollId) -> Result<Vec<StoredCheckpoint>>;
    /// Polls whose log grew since their last checkpoint, with their size.
    async fn uncheckpointed_polls(&self) -> Result<Vec<(PollId, u64)>>;
    /// Keeps a witness's cosignature (checked by the caller); its first for a size stays.
    async fn save_poll_cosignature(&self, cosignature: Cosignature) -> Result<()>;
    /// The cosignatures of the checkpoint at `tree_size`.
    async fn poll_cosignatures(&self, poll: PollId, tree_size: u64) -> Result<Vec<Cosignature>>;
    // ---- bulk loading (seeding and load tests; one transaction per call) ----
    async fn bulk_insert_accounts(&self, accounts: Vec<NewAccount>) -> Result<Vec<AccountId>>;
    async fn bulk_insert_tokens(&self, tokens: Vec<NewToken>) -> Result<()>;
    async fn bulk_insert_follows(&self, pairs: Vec<(AccountId, AccountId)>) -> Result<()>;
    async fn bulk_insert_statuses(&self, statuses: Vec<NewStatus>) -> Result<Vec<StatusId>>;
    /// Recomputes every account's counters from the rows (after bulk loading).
    async fn recount_account_counters(&self) -> Result<()>;

    /// Every signing key, oldest first (the last one signs).
    async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>>;
    /// Adds `candidate` as the first signing key unless one exists; every key.
    async fn first_signing_key(&self, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>>;
    /// Adds `candidate` as the newest signing key (rotation); every key.
    async fn rotate_signing_key(&self, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>>;
}
