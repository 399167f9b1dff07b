//! [`Store`] for [`PgStore`]: each method routed to its module's function,
//! as a read on a pooled connection or a [`PgStore::write`].

use std::sync::Arc;

use async_trait::async_trait;
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

use super::{
    PgStore, accounts, bookmarks, bulk, changelog, check, conversations, filters, home, keys, lists, markers, media,
    notifications, oauth, poll_log, polls, scheduled, social, statuses, suggestions, timelines,
};
use crate::changes::{ChangeListener, ChangeRecord};
use crate::types::*;
use crate::{Result, Store};

#[async_trait]
impl Store for PgStore {
    fn subscribe(&self, listener: Arc<dyn ChangeListener>) {
        self.inner.feed.subscribe(listener);
    }
    async fn catch_up(&self) -> Result<i64> {
        self.inner.catch_up().await
    }
    async fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<ChangeRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(changelog::read_after_limit(&mut *self.conn().await?, after, limit).await?.records)
    }
    async fn check_derived(&self) -> Result<Vec<String>> {
        self.catch_up().await?;
        check::differences(&mut *self.conn().await?, &self.inner.entities, &self.inner.home).await
    }

    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        self.write(move |w| Box::pin(accounts::create(w, new))).await
    }
    async fn find_account(&self, id: AccountId) -> Result<Option<Account>> {
        Ok(self.cached_accounts(&[id]).await?.pop().map(Arc::unwrap_or_clone))
    }
    async fn find_accounts(&self, ids: &[AccountId]) -> Result<Vec<Arc<Account>>> {
        self.cached_accounts(ids).await
    }
    async fn find_account_by_username(&self, username: &str) -> Result<Option<Account>> {
        accounts::find_by_username(&mut *self.conn().await?, username).await
    }
    async fn find_credentials(&self, login: &str) -> Result<Option<Credentials>> {
        accounts::find_credentials(&mut *self.conn().await?, login).await
    }
    async fn update_profile(&self, id: AccountId, update: ProfileUpdate) -> Result<Account> {
        self.write(move |w| Box::pin(accounts::update_profile(w, id, update))).await
    }
    async fn update_account_admin(&self, id: AccountId, update: AdminUpdate) -> Result<Account> {
        self.write(move |w| Box::pin(accounts::update_admin(w, id, update))).await
    }
    async fn reset_password(&self, id: AccountId, password_hash: String) -> Result<()> {
        self.write(move |w| Box::pin(async move { accounts::reset_password(w, id, &password_hash).await })).await
    }
    async fn list_accounts(&self, page: PageRequest) -> Result<Vec<Account>> {
        accounts::list(&mut *self.conn().await?, page).await
    }
    async fn search_accounts(&self, query: &str, limit: usize) -> Result<Vec<Account>> {
        accounts::search(&mut *self.conn().await?, query, limit).await
    }
    async fn count_local_accounts(&self) -> Result<i64> {
        accounts::count_shown(&mut *self.conn().await?).await
    }

    async fn create_app(&self, new: NewApp) -> Result<App> {
        self.write(move |w| Box::pin(oauth::create_app(w, new))).await
    }
    async fn find_app(&self, id: AppId) -> Result<Option<App>> {
        self.cached_app(id).await
    }
    async fn find_app_by_client_id(&self, client_id: &str) -> Result<Option<(App, String)>> {
        oauth::find_app_by_client_id(&mut *self.conn().await?, client_id).await
    }
    async fn create_grant(&self, grant: NewGrant) -> Result<()> {
        self.write(move |w| Box::pin(oauth::create_grant(w, grant))).await
    }
    async fn find_grant(&self, code_hash: &str) -> Result<Option<Grant>> {
        oauth::find_grant(&mut *self.conn().await?, code_hash).await
    }
    async fn redeem_grant(&self, code_hash: &str, token: NewToken) -> Result<bool> {
        let code_hash = code_hash.to_string();
        self.write(move |w| Box::pin(async move { oauth::redeem_grant(w, &code_hash, token).await })).await
    }
    async fn create_token(&self, token: NewToken) -> Result<()> {
        self.write(move |w| Box::pin(oauth::create_token(w, token))).await
    }
    async fn find_token(&self, token_hash: &str) -> Result<Option<TokenInfo>> {
        oauth::find_token(&mut *self.conn().await?, token_hash).await
    }
    async fn find_token_identity(&self, token_hash: &str) -> Result<Option<(TokenInfo, App, Option<Account>)>> {
        // The account is read past the entity cache, as on SQLite: the
        // identity cache keeps it for as long.
        let mut c = self.conn().await?;
        let Some(info) = oauth::find_token(&mut c, token_hash).await? else { return Ok(None) };
        drop(c);
        let Some(app) = self.cached_app(info.app_id).await? else { return Ok(None) };
        let account = match info.account_id {
            Some(id) => match accounts::find(&mut *self.conn().await?, id).await? {
                Some(a) => Some(a),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some((info, app, account)))
    }
    async fn revoke_token(&self, token_hash: &str, app: AppId) -> Result<bool> {
        let token_hash = token_hash.to_string();
        self.write(move |w| Box::pin(async move { oauth::revoke_token(w, &token_hash, app).await })).await
    }

    async fn insert_status(&self, new: NewStatus) -> Result<Status> {
        self.write(move |w| Box::pin(statuses::insert(w, new))).await
    }
    async fn find_status(&self, id: StatusId) -> Result<Option<Arc<Status>>> {
        Ok(self.cached_statuses(&mut *self.conn().await?, &[id.0]).await?.pop())
    }
    async fn find_statuses(&self, ids: &[StatusId]) -> Result<Vec<Arc<Status>>> {
        let raw: Vec<i64> = ids.iter().map(|id| id.0).collect();
        self.cached_statuses(&mut *self.conn().await?, &raw).await
    }
    async fn find_idempotent_status(&self, account: AccountId, key: &str) -> Result<Option<StatusId>> {
        statuses::find_idempotent(&mut *self.conn().await?, account, key).await
    }
    async fn delete_status(&self, id: StatusId) -> Result<Option<Status>> {
        self.write(move |w| Box::pin(statuses::delete(w, id))).await
    }
    async fn edit_status(&self, id: StatusId, edit: EditStatus) -> Result<Status> {
        self.write(move |w| Box::pin(statuses::edit(w, id, edit))).await
    }
    async fn status_history(&self, id: StatusId) -> Result<Vec<StatusEdit>> {
        statuses::history(&mut *self.conn().await?, id).await
    }
    async fn insert_media(&self, new: NewMedia) -> Result<MediaAttachment> {
        self.write(move |w| Box::pin(media::insert(w, new))).await
    }
    async fn find_media(&self, id: MediaId) -> Result<Option<MediaAttachment>> {
        media::find(&mut *self.conn().await?, id).await
    }
    async fn update_media(&self, account: AccountId, id: MediaId, attrs: MediaAttributes) -> Result<MediaAttachment> {
        self.write(move |w| Box::pin(media::update(w, account, id, attrs))).await
    }
    async fn delete_media(&self, account: AccountId, id: MediaId) -> Result<Option<MediaAttachment>> {
        self.write(move |w| Box::pin(media::delete_unattached(w, account, id))).await
    }
    async fn delete_stale_media(&self, before: DateTime<Utc>, limit: usize) -> Result<Vec<MediaAttachment>> {
        self.write(move |w| Box::pin(media::delete_unattached_before(w, before, limit))).await
    }
    async fn unreferenced_files(&self, names: Vec<String>) -> Result<Vec<String>> {
        media::unreferenced(&mut *self.conn().await?, &names).await
    }
    async fn thread(&self, id: StatusId) -> Result<(Vec<Arc<Status>>, Vec<Arc<Status>>)> {
        let mut c = self.conn().await?;
        let (ancestors, descendants) = statuses::thread(&mut c, id).await?;
        Ok((self.cached_statuses(&mut c, &ancestors).await?, self.cached_statuses(&mut c, &descendants).await?))
    }
    async fn favourite(&self, account: AccountId, status: StatusId, notify: Option<AccountId>) -> Result<bool> {
        self.write(move |w| Box::pin(statuses::favourite(w, account, status, notify))).await
    }
    async fn unfavourite(&self, account: AccountId, status: StatusId) -> Result<bool> {
        self.write(move |w| Box::pin(statuses::unfavourite(w, account, status))).await
    }
    async fn bookmark(&self, account: AccountId, status: StatusId) -> Result<bool> {
        self.write(move |w| Box::pin(bookmarks::bookmark(w, account, status))).await
    }
    async fn unbookmark(&self, account: AccountId, status: StatusId) -> Result<bool> {
        self.write(move |w| Box::pin(bookmarks::unbookmark(w, account, status))).await
    }
    async fn bookmarks_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusId)>> {
        bookmarks::bookmarks_of(&mut *self.conn().await?, account, page).await
    }
    async fn reblog(&self, new: NewReblog) -> Result<Status> {
        self.write(move |w| Box::pin(statuses::reblog(w, new))).await
    }
    async fn unreblog(&self, account: AccountId, status: StatusId) -> Result<Option<Status>> {
        self.write(move |w| Box::pin(statuses::unreblog(w, account, status))).await
    }
    async fn favourited_by(&self, status: StatusId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        statuses::favourited_by(&mut *self.conn().await?, status, page).await
    }
    async fn favourites_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusId)>> {
        statuses::favourites_of(&mut *self.conn().await?, account, page).await
    }
    async fn reblogged_by(
        &self,
        viewer: Option<AccountId>,
        status: StatusId,
        page: PageRequest,
    ) -> Result<Vec<(i64, AccountId)>> {
        statuses::reblogged_by(&mut *self.conn().await?, viewer, status, page).await
    }
    async fn status_flags(&self, viewer: AccountId, statuses: &[StatusId]) -> Result<StatusFlags> {
        let marks = home::marks(&mut *self.conn().await?, &self.inner.home, viewer).await?;
        Ok(marks.flags(statuses))
    }
    async fn pin(&self, account: AccountId, status: StatusId) -> Result<()> {
        self.write(move |w| Box::pin(statuses::pin(w, account, status))).await
    }
    async fn unpin(&self, account: AccountId, status: StatusId) -> Result<()> {
        self.write(move |w| Box::pin(statuses::unpin(w, account, status))).await
    }

    async fn home_timeline(&self, viewer: AccountId, page: PageRequest) -> Result<Vec<Arc<Status>>> {
        // The reference query (see `home`), then the statuses through the cache.
        let mut c = self.conn().await?;
        let ids: Vec<i64> =
            timelines::home_reference(&mut c, viewer, page).await?.into_iter().map(|s| s.id.0).collect();
        self.cached_statuses(&mut c, &ids).await
    }
    async fn public_timeline(
        &self,
        viewer: Option<AccountId>,
        _local_only: bool, // every account is local until federation arrives
        only_media: bool,
        page: PageRequest,
    ) -> Result<Vec<Arc<Status>>> {
        let mut c = self.conn().await?;
        let ids = timelines::public(&mut c, viewer, None, only_media, page).await?;
        self.cached_statuses(&mut c, &ids).await
    }
    async fn tag_timeline(
        &self,
        viewer: Option<AccountId>,
        tag: &str,
        only_media: bool,
        page: PageRequest,
    ) -> Result<Vec<Arc<Status>>> {
        let mut c = self.conn().await?;
        let ids = timelines::public(&mut c, viewer, Some(&tag.to_lowercase()), only_media, page).await?;
        self.cached_statuses(&mut c, &ids).await
    }
    async fn account_statuses(
        &self,
        viewer: Option<AccountId>,
        account: AccountId,
        filter: AccountStatusesFilter,
        page: PageRequest,
    ) -> Result<Vec<Arc<Status>>> {
        let mut c = self.conn().await?;
        let ids = timelines::account(&mut c, viewer, account, filter, page).await?;
        self.cached_statuses(&mut c, &ids).await
    }
    async fn search_statuses(&self, viewer: AccountId, query: &str, limit: usize) -> Result<Vec<Arc<Status>>> {
        let found = timelines::search(&mut *self.conn().await?, viewer, query, limit).await?;
        Ok(found.into_iter().map(Arc::new).collect())
    }
    async fn search_tags(&self, query: &str, limit: usize) -> Result<Vec<String>> {
        timelines::search_tags(&mut *self.conn().await?, query, limit).await
    }
    async fn count_local_statuses(&self) -> Result<i64> {
        Ok(sqlx::query_scalar("SELECT count(*) FROM statuses WHERE reblog_of_id IS NULL")
            .fetch_one(&mut *self.conn().await?)
            .await?)
    }

    async fn follow(&self, account: AccountId, target: AccountId, request: bool, options: FollowOptions) -> Result<()> {
        self.write(move |w| Box::pin(social::follow(w, account, target, request, options))).await
    }
    async fn unfollow(&self, account: AccountId, target: AccountId) -> Result<()> {
        self.write(move |w| Box::pin(social::unfollow(w, account, target))).await
    }
    async fn authorize_follow_request(&self, target: AccountId, requester: AccountId) -> Result<bool> {
        self.write(move |w| Box::pin(social::authorize_request(w, target, requester))).await
    }
    async fn reject_follow_request(&self, target: AccountId, requester: AccountId) -> Result<bool> {
        self.write(move |w| Box::pin(social::reject_request(w, target, requester))).await
    }
    async fn follow_requests(&self, target: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        social::follow_requests(&mut *self.conn().await?, target, page).await
    }
    async fn followers(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        social::followers(&mut *self.conn().await?, account, page).await
    }
    async fn following(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        social::following(&mut *self.conn().await?, account, page).await
    }
    async fn block(&self, account: AccountId, target: AccountId) -> Result<()> {
        self.write(move |w| Box::pin(social::block(w, account, target))).await
    }
    async fn unblock(&self, account: AccountId, target: AccountId) -> Result<()> {
        self.write(move |w| Box::pin(social::unblock(w, account, target))).await
    }
    async fn mute(
        &self,
        account: AccountId,
        target: AccountId,
        notifications: bool,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.write(move |w| Box::pin(social::mute(w, account, target, notifications, expires_at))).await
    }
    async fn unmute_expired(&self, now: DateTime<Utc>) -> Result<usize> {
        self.write(move |w| Box::pin(social::unmute_expired(w, now))).await
    }
    async fn next_mute_expiry(&self) -> Result<Option<DateTime<Utc>>> {
        social::next_mute_expiry(&mut *self.conn().await?).await
    }
    async fn familiar_followers(
        &self,
        viewer: AccountId,
        targets: &[AccountId],
        limit: usize,
    ) -> Result<Vec<(AccountId, Vec<AccountId>)>> {
        let mut c = self.conn().await?;
        let mut out = Vec::with_capacity(targets.len());
        for t in targets {
            out.push((*t, social::familiar_followers(&mut c, viewer, *t, limit).await?));
        }
        Ok(out)
    }
    async fn suggest_accounts(&self, viewer: AccountId, limit: usize) -> Result<Vec<(AccountId, SuggestionSource)>> {
        suggestions::suggest(&mut *self.conn().await?, viewer, limit).await
    }
    async fn dismiss_suggestion(&self, viewer: AccountId, target: AccountId) -> Result<()> {
        self.write(move |w| Box::pin(suggestions::dismiss(w, viewer, target))).await
    }
    async fn blocks_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        social::blocks_of(&mut *self.conn().await?, account, page).await
    }
    async fn mutes_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<MuteEntry>> {
        social::mutes_of(&mut *self.conn().await?, account, page).await
    }
    async fn unmute(&self, account: AccountId, target: AccountId) -> Result<()> {
        self.write(move |w| Box::pin(social::unmute(w, account, target))).await
    }
    async fn relationships(&self, account: AccountId, targets: &[AccountId]) -> Result<Vec<Relationship>> {
        social::relationships(&mut *self.conn().await?, account, targets).await
    }
    async fn in_home_of(&self, viewer: AccountId, status: &Status) -> Result<bool> {
        let original_author = match status.reblog_of {
            Some(original) => match self.find_status(original).await? {
                Some(o) => Some(o.account_id),
                None => return Ok(false),
            },
            None => None,
        };
        let candidate = crate::derived::home::Candidate::of(status, original_author);
        let mut c = self.conn().await?;
        let sources = home::sources(&mut c, &self.inner.home, viewer).await?;
        let hidden = home::hidden(&mut c, &self.inner.home).await?;
        Ok(sources.accounts().any(|a| a == candidate.author)
            && crate::derived::home::admits(&candidate, &sources, &hidden))
    }
    async fn author_hidden_from(&self, author: AccountId, viewer: Option<AccountId>) -> Result<bool> {
        // From the home index, as on SQLite; nothing of one's own is hidden from oneself.
        if viewer == Some(author) {
            return Ok(false);
        }
        let mut c = self.conn().await?;
        if home::hidden(&mut c, &self.inner.home).await?.contains(&author.0) {
            return Ok(true);
        }
        let Some(viewer) = viewer else { return Ok(false) };
        Ok(home::sources(&mut c, &self.inner.home, author).await?.blocks(viewer.0))
    }
    async fn author_relations(&self, viewer: AccountId, authors: &[AccountId]) -> Result<Vec<AuthorRelation>> {
        let sources = home::sources(&mut *self.conn().await?, &self.inner.home, viewer).await?;
        Ok(authors.iter().map(|a| sources.relation_to(a.0)).collect())
    }

    async fn list_notifications(
        &self,
        account: AccountId,
        kinds: &[NotificationKind],
        from: Option<AccountId>,
        page: PageRequest,
    ) -> Result<Vec<Notification>> {
        notifications::list(&mut *self.conn().await?, account, kinds, from, page).await
    }
    async fn find_notification(&self, account: AccountId, id: NotificationId) -> Result<Option<Notification>> {
        notifications::find(&mut *self.conn().await?, account, id).await
    }
    async fn dismiss_notification(&self, account: AccountId, id: NotificationId) -> Result<bool> {
        self.write(move |w| Box::pin(notifications::dismiss(w, account, id))).await
    }
    async fn clear_notifications(&self, account: AccountId) -> Result<()> {
        self.write(move |w| Box::pin(notifications::clear(w, account))).await
    }
    async fn notification_group_stats(
        &self,
        account: AccountId,
        keys: Vec<String>,
        range: Option<(i64, i64)>,
    ) -> Result<Vec<NotificationGroupStats>> {
        notifications::group_stats(&mut *self.conn().await?, account, &keys, range).await
    }
    async fn find_notification_group(&self, account: AccountId, key: &GroupKey) -> Result<Option<Notification>> {
        notifications::find_group(&mut *self.conn().await?, account, key).await
    }
    async fn dismiss_notification_group(&self, account: AccountId, key: &GroupKey) -> Result<usize> {
        let key = key.clone();
        self.write(move |w| Box::pin(async move { notifications::dismiss_group(w, account, &key).await })).await
    }
    async fn notification_group_senders(
        &self,
        account: AccountId,
        key: &GroupKey,
        page: PageRequest,
    ) -> Result<Vec<(i64, AccountId)>> {
        notifications::group_senders(&mut *self.conn().await?, account, key, page).await
    }
    async fn notify(&self, notes: Vec<NewNotification>) -> Result<()> {
        self.write(move |w| Box::pin(async move { notifications::insert_all(w, &notes).await })).await
    }

    async fn find_markers(&self, account: AccountId, timelines: &[MarkerTimeline]) -> Result<Vec<Marker>> {
        markers::find(&mut *self.conn().await?, account, timelines).await
    }
    async fn save_markers(&self, account: AccountId, positions: Vec<(MarkerTimeline, i64)>) -> Result<Vec<Marker>> {
        self.write(move |w| Box::pin(async move { markers::save(w.c(), account, &positions).await })).await
    }

    async fn conversations_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<ConversationEntry>> {
        conversations::list(&mut *self.conn().await?, account, page).await
    }
    async fn find_conversation(&self, account: AccountId, id: ConversationId) -> Result<Option<ConversationEntry>> {
        conversations::find(&mut *self.conn().await?, account, id).await
    }
    async fn mark_conversation_read(&self, account: AccountId, id: ConversationId) -> Result<ConversationEntry> {
        self.write(move |w| Box::pin(conversations::mark_read(w, account, id))).await
    }
    async fn remove_conversation(&self, account: AccountId, id: ConversationId) -> Result<bool> {
        self.write(move |w| Box::pin(conversations::remove(w, account, id))).await
    }

    async fn schedule_status(
        &self,
        account: AccountId,
        at: DateTime<Utc>,
        params: ScheduledParams,
    ) -> Result<ScheduledStatus> {
        self.write(move |w| Box::pin(async move { scheduled::schedule(w, account, at, &params).await })).await
    }
    async fn find_scheduled_status(
        &self,
        account: AccountId,
        id: ScheduledStatusId,
    ) -> Result<Option<ScheduledStatus>> {
        scheduled::find(&mut *self.conn().await?, account, id).await
    }
    async fn scheduled_statuses_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<ScheduledStatus>> {
        scheduled::list(&mut *self.conn().await?, account, page).await
    }
    async fn reschedule_status(
        &self,
        account: AccountId,
        id: ScheduledStatusId,
        at: DateTime<Utc>,
    ) -> Result<ScheduledStatus> {
        self.write(move |w| Box::pin(scheduled::reschedule(w, account, id, at))).await
    }
    async fn cancel_scheduled_status(&self, account: AccountId, id: ScheduledStatusId) -> Result<bool> {
        self.write(move |w| Box::pin(scheduled::cancel(w, account, id))).await
    }
    async fn due_scheduled_statuses(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<ScheduledStatus>> {
        scheduled::due(&mut *self.conn().await?, now, limit).await
    }
    async fn next_scheduled_time(&self) -> Result<Option<DateTime<Utc>>> {
        scheduled::next_time(&mut *self.conn().await?).await
    }
    async fn publish_scheduled_status(&self, id: ScheduledStatusId, new: NewStatus) -> Result<Option<Status>> {
        self.write(move |w| Box::pin(scheduled::publish(w, id, new))).await
    }

    async fn create_list(&self, owner: AccountId, fields: ListFields) -> Result<List> {
        self.write(move |w| Box::pin(async move { lists::create(w, owner, &fields).await })).await
    }
    async fn find_list(&self, owner: AccountId, id: ListId) -> Result<Option<List>> {
        lists::find(&mut *self.conn().await?, owner, id).await
    }
    async fn lists_of(&self, owner: AccountId) -> Result<Vec<List>> {
        lists::of(&mut *self.conn().await?, owner).await
    }
    async fn lists_with_member(&self, owner: AccountId, member: AccountId) -> Result<Vec<List>> {
        lists::with_member(&mut *self.conn().await?, owner, member).await
    }
    async fn update_list(&self, owner: AccountId, id: ListId, fields: ListFields) -> Result<List> {
        self.write(move |w| Box::pin(async move { lists::update(w, owner, id, &fields).await })).await
    }
    async fn delete_list(&self, owner: AccountId, id: ListId) -> Result<bool> {
        self.write(move |w| Box::pin(lists::delete(w, owner, id))).await
    }
    async fn add_list_members(&self, owner: AccountId, id: ListId, members: Vec<AccountId>) -> Result<()> {
        self.write(move |w| Box::pin(async move { lists::add_members(w, owner, id, &members).await })).await
    }
    async fn remove_list_members(&self, owner: AccountId, id: ListId, members: Vec<AccountId>) -> Result<()> {
        self.write(move |w| Box::pin(async move { lists::remove_members(w, owner, id, &members).await })).await
    }
    async fn list_members(&self, owner: AccountId, id: ListId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        lists::members(&mut *self.conn().await?, owner, id, page).await
    }
    async fn exclusive_list_members(&self, owner: AccountId) -> Result<Vec<AccountId>> {
        lists::exclusive_members(&mut *self.conn().await?, owner).await
    }
    async fn list_timeline(&self, list: List, page: PageRequest) -> Result<Vec<Arc<Status>>> {
        let mut c = self.conn().await?;
        let ids = lists::timeline(&mut c, &list, page).await?;
        self.cached_statuses(&mut c, &ids).await
    }
    async fn list_has_status(&self, list: List, status: StatusId) -> Result<bool> {
        lists::has_status(&mut *self.conn().await?, &list, status).await
    }

    async fn filters_of(&self, account: AccountId) -> Result<Vec<parley_core::filters::Filter>> {
        filters::of(&mut *self.conn().await?, account).await
    }
    async fn create_filter(
        &self,
        account: AccountId,
        fields: FilterFields,
        keywords: Vec<KeywordChange>,
    ) -> Result<parley_core::filters::Filter> {
        self.write(move |w| Box::pin(async move { filters::create(w, account, &fields, &keywords).await })).await
    }
    async fn change_filter(
        &self,
        account: AccountId,
        id: i64,
        change: FilterChange,
    ) -> Result<parley_core::filters::Filter> {
        self.write(move |w| Box::pin(async move { filters::change(w, account, id, &change).await })).await
    }
    async fn delete_filter(&self, account: AccountId, id: i64) -> Result<bool> {
        self.write(move |w| Box::pin(filters::delete(w, account, id))).await
    }

    async fn posting_defaults(&self, account: AccountId) -> Result<PostingDefaults> {
        accounts::posting_defaults(&mut *self.conn().await?, account).await
    }

    async fn find_poll(&self, id: PollId) -> Result<Option<Poll>> {
        Ok(polls::find_many(&mut *self.conn().await?, &[id]).await?.pop())
    }
    async fn find_polls(&self, ids: &[PollId]) -> Result<Vec<Poll>> {
        polls::find_many(&mut *self.conn().await?, ids).await
    }
    async fn poll_state(&self, id: PollId) -> Result<Option<PollState>> {
        polls::state(&mut *self.conn().await?, id).await
    }
    async fn record_ballot(&self, ballot: NewBallot) -> Result<RecordedBallot> {
        self.write(move |w| Box::pin(polls::record(w, ballot))).await
    }
    async fn record_ballots(&self, ballots: Vec<NewBallot>) -> Result<usize> {
        self.write(move |w| {
            Box::pin(async move {
                let n = ballots.len();
                for b in ballots {
                    polls::record(w, b).await?;
                }
                Ok(n)
            })
        })
        .await
    }
    async fn close_expired_polls(&self, now: DateTime<Utc>) -> Result<Vec<Poll>> {
        self.write(move |w| Box::pin(polls::close_expired(w, now))).await
    }
    async fn next_poll_expiry(&self) -> Result<Option<DateTime<Utc>>> {
        polls::next_expiry(&mut *self.conn().await?).await
    }
    async fn poll_tally_at(&self, id: PollId, at: DateTime<Utc>) -> Result<TallyAt> {
        polls::tally_at(&mut *self.conn().await?, id, at).await
    }
    async fn poll_history(&self, id: PollId, interval_seconds: i64) -> Result<Vec<HistoryBucket>> {
        polls::history(&mut *self.conn().await?, id, interval_seconds).await
    }
    async fn poll_signals(&self, id: PollId) -> Result<PollSignals> {
        polls::signals(&mut *self.conn().await?, id).await
    }
    async fn audit_polls(&self) -> Result<Vec<PollAudit>> {
        polls::audit(&mut *self.conn().await?).await
    }
    async fn poll_log_size(&self, poll: PollId) -> Result<u64> {
        poll_log::size(&mut *self.conn().await?, poll).await
    }
    async fn poll_log_size_at(&self, poll: PollId, at: DateTime<Utc>) -> Result<u64> {
        poll_log::size_at(&mut *self.conn().await?, poll, at).await
    }
    async fn poll_log_root(&self, poll: PollId, tree_size: u64) -> Result<parley_core::tlog::Hash> {
        poll_log::root(&mut *self.conn().await?, poll, tree_size).await
    }
    async fn poll_log_inclusion(&self, poll: PollId, index: u64, tree_size: u64) -> Result<InclusionProof> {
        poll_log::inclusion(&mut *self.conn().await?, poll, index, tree_size).await
    }
    async fn poll_log_consistency(&self, poll: PollId, old: u64, new: u64) -> Result<ConsistencyProof> {
        poll_log::consistency(&mut *self.conn().await?, poll, old, new).await
    }
    async fn save_poll_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<StoredCheckpoint> {
        self.write(move |w| Box::pin(poll_log::save_checkpoint(w.c(), checkpoint))).await
    }
    async fn find_poll_checkpoint(&self, poll: PollId, tree_size: u64) -> Result<Option<StoredCheckpoint>> {
        poll_log::find_checkpoint(&mut *self.conn().await?, poll, tree_size).await
    }
    async fn poll_checkpoints(&self, poll: PollId) -> Result<Vec<StoredCheckpoint>> {
        poll_log::checkpoints(&mut *self.conn().await?, poll).await
    }
    async fn uncheckpointed_polls(&self) -> Result<Vec<(PollId, u64)>> {
        poll_log::uncheckpointed(&mut *self.conn().await?).await
    }
    async fn save_poll_cosignature(&self, cosignature: Cosignature) -> Result<()> {
        self.write(move |w| Box::pin(poll_log::save_cosignature(w.c(), cosignature))).await
    }
    async fn poll_cosignatures(&self, poll: PollId, tree_size: u64) -> Result<Vec<Cosignature>> {
        poll_log::cosignatures(&mut *self.conn().await?, poll, tree_size).await
    }

    async fn bulk_insert_accounts(&self, accounts: Vec<NewAccount>) -> Result<Vec<AccountId>> {
        self.write(move |w| Box::pin(bulk::accounts(w, accounts))).await
    }
    async fn bulk_insert_tokens(&self, tokens: Vec<NewToken>) -> Result<()> {
        self.write(move |w| Box::pin(bulk::tokens(w, tokens))).await
    }
    async fn bulk_insert_follows(&self, pairs: Vec<(AccountId, AccountId)>) -> Result<()> {
        self.write(move |w| Box::pin(bulk::follows(w, pairs))).await
    }
    async fn bulk_insert_statuses(&self, statuses: Vec<NewStatus>) -> Result<Vec<StatusId>> {
        self.write(move |w| Box::pin(bulk::statuses(w, statuses))).await
    }
    async fn recount_account_counters(&self) -> Result<()> {
        self.write(|w| Box::pin(bulk::recount(w))).await
    }

    async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>> {
        keys::all(&mut *self.conn().await?).await
    }
    async fn first_signing_key(&self, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>> {
        self.write(move |w| Box::pin(keys::first(w, candidate))).await
    }
    async fn rotate_signing_key(&self, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>> {
        self.write(move |w| Box::pin(keys::rotate(w, candidate))).await
    }
}
