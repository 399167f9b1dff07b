//! Posting, reading, editing and deleting statuses; favourites, bookmarks and boosts.

use std::collections::HashMap;
use std::sync::Arc;

use parley_core::filters::FilterContext;
use parley_core::media::{check_description, parse_focus};
use parley_core::model::{Account, Status, StatusEdit, Visibility};
use parley_core::page::PageRequest;
use parley_core::poll::Eligibility;
use parley_core::text::{self, MentionRef, ResolvedMention};
use parley_core::visibility::account_shown;
use parley_core::{AccountId, AppId, MediaId, StatusId};
use parley_store::{EditStatus, MediaAttributes, NewPoll, NewReblog, NewStatus, PollChange};

use crate::views::{StatusView, filter_visible, status_view, status_views, visible_status};
use crate::{AppError, Context, Result};

/// What a client sends to post a status.
#[derive(Debug, Clone, Default)]
pub struct CreateStatus {
    pub text: String,
    pub in_reply_to_id: Option<StatusId>,
    /// `None`: the author's default ([`parley_core::model::PostingDefaults`]), as are the next two.
    pub visibility: Option<Visibility>,
    pub spoiler_text: String,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
    pub idempotency_key: Option<String>,
    pub app: Option<AppId>,
    /// Statuses created by the demo and seeding tools may be back-dated.
    pub created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub poll: Option<PollRequest>,
    /// Uploads to attach, in order (`media_ids[]`).
    pub media_ids: Vec<MediaId>,
}

/// `poll[options][]`, `poll[expires_in]`, `poll[multiple]`, `poll[hide_totals]`.
#[derive(Debug, Clone, Default)]
pub struct PollRequest {
    pub options: Vec<String>,
    /// Seconds; required.
    pub expires_in: Option<i64>,
    pub multiple: bool,
    pub hide_totals: bool,
    /// Parley's own (`poll[parley_eligibility][…]`): voters' accounts at least
    /// this many days old; absent or 0 for any age.
    pub min_account_age_days: Option<i64>,
    /// Parley's own: only accounts of this server may vote.
    pub local_only: bool,
}

/// A visibility as a client names it: absent or empty is the default; a word
/// other than Mastodon's four is refused, never quietly made public. The API
/// and the web composer both read it here.
pub fn requested_visibility(raw: Option<&str>) -> Result<Option<Visibility>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(v) => Visibility::parse(v)
            .map(Some)
            .ok_or_else(|| AppError::validation("Validation failed: Visibility is not included in the list")),
    }
}

/// What a client sends to edit a status.
#[derive(Debug, Clone, Default)]
pub struct UpdateStatus {
    pub text: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub language: Option<String>,
    /// `None` keeps the poll as it is.
    pub poll: Option<PollRequest>,
    /// `None` keeps the attachments; otherwise the new list (`media_ids[]`).
    pub media_ids: Option<Vec<MediaId>>,
    /// `media_attributes[][id|description|focus]`: new descriptions and
    /// focal points of attachments the status keeps.
    pub media_attributes: Vec<MediaEdit>,
}

/// One of an edit's `media_attributes[]`.
#[derive(Debug, Clone)]
pub struct MediaEdit {
    pub id: MediaId,
    pub description: Option<String>,
    pub focus: Option<String>,
}

/// Text rendered and its mentions and tags resolved.
pub(crate) struct Rendered {
    pub html: String,
    pub mentions: Vec<AccountId>,
    pub tags: Vec<String>,
}

#[derive(Clone)]
pub struct StatusService {
    ctx: Arc<Context>,
}

impl StatusService {
    pub fn new(ctx: Arc<Context>) -> Self {
        StatusService { ctx }
    }

    /// `POST /api/v1/statuses`
    pub async fn create(&self, author: &Account, req: CreateStatus) -> Result<StatusView> {
        let ctx = &self.ctx;
        if let Some(key) = &req.idempotency_key
            && let Some(id) = ctx.store.find_idempotent_status(author.id, key).await?
            && let Some(existing) = ctx.store.find_status(id).await?
        {
            return status_view(ctx, Some(author.id), existing).await;
        }
        let new = self.prepare(author, req).await?;
        let status = ctx.store.insert_status(new).await?;
        status_view(ctx, Some(author.id), Arc::new(status)).await
    }

    /// A status to post, checked and rendered (mentions resolved now): what
    /// `create` inserts, and what a scheduled status is checked and at last
    /// published with.
    pub(crate) async fn prepare(&self, author: &Account, req: CreateStatus) -> Result<NewStatus> {
        let ctx = &self.ctx;
        let text = req.text.trim().to_string();
        self.check_media(author, None, &req.media_ids, req.poll.is_some()).await?;
        if text.is_empty() && req.media_ids.is_empty() {
            return Err(AppError::validation("Validation failed: Text can't be blank"));
        }
        self.check_length(&text, &req.spoiler_text)?;
        // What the request leaves out is the author's default (Mastodon's PostStatusService).
        let asked_language = req.language.filter(|l| !l.trim().is_empty());
        let defaults = match (req.visibility, req.sensitive, &asked_language) {
            (Some(_), Some(_), Some(_)) => parley_core::model::PostingDefaults::default(),
            _ => ctx.store.posting_defaults(author.id).await?,
        };
        let language = check_language(asked_language.or(defaults.language))?;
        let in_reply_to = match req.in_reply_to_id {
            Some(id) => {
                let parent = visible_status(ctx, Some(author.id), id).await?;
                if parent.reblog_of.is_some() {
                    return Err(AppError::NotFound);
                }
                Some((parent.id, parent.account_id))
            }
            None => None,
        };
        let poll = match &req.poll {
            // A back-dated status (demo, seeding) has a poll that started back then.
            Some(p) => Some(self.check_poll(p, req.created_at.unwrap_or_else(chrono::Utc::now))?),
            None => None,
        };
        let rendered = render_text(&self.ctx, &text).await?;
        Ok(NewStatus {
            account_id: author.id,
            text,
            content_html: rendered.html,
            sensitive: req.sensitive.unwrap_or(defaults.sensitive) || !req.spoiler_text.trim().is_empty(),
            spoiler_text: req.spoiler_text.trim().to_string(),
            visibility: req.visibility.unwrap_or(defaults.visibility),
            language,
            in_reply_to,
            mentions: rendered.mentions,
            tags: rendered.tags,
            app: req.app,
            idempotency_key: req.idempotency_key,
            created_at: req.created_at,
            poll,
            media: req.media_ids,
        })
    }

    /// Mastodon's `validate_media!`: at most four, not with a poll, each the
    /// author's and unattached (or, in an edit, already this status's). The
    /// store checks ownership again inside the transaction, where no race
    /// can slip past; this check names the IDs.
    async fn check_media(
        &self,
        author: &Account,
        editing: Option<StatusId>,
        media: &[MediaId],
        with_poll: bool,
    ) -> Result<()> {
        if media.is_empty() {
            return Ok(());
        }
        if media.len() > parley_core::media::MAX_ATTACHMENTS {
            return Err(AppError::validation("Cannot attach more than 4 files"));
        }
        if with_poll {
            return Err(AppError::validation("Cannot attach files to a post with a poll"));
        }
        let mut missing = Vec::new();
        for (i, id) in media.iter().enumerate() {
            let usable = match self.ctx.store.find_media(*id).await? {
                Some(m) => m.account_id == author.id && (m.status_id.is_none() || m.status_id == editing),
                None => false,
            };
            if !usable || media[..i].contains(id) {
                missing.push(id.to_string());
            }
        }
        if !missing.is_empty() {
            return Err(AppError::Validation(format!(
                "Media {} not found or already attached to another post",
                missing.join(", ")
            )));
        }
        Ok(())
    }

    /// `GET /api/v1/statuses/:id`
    pub async fn get(&self, viewer: Option<AccountId>, id: StatusId) -> Result<StatusView> {
        let status = visible_status(&self.ctx, viewer, id).await?;
        status_view(&self.ctx, viewer, status).await
    }

    /// Several statuses, keeping those the viewer may see (`GET /api/v1/statuses?id[]=`).
    pub async fn get_many(&self, viewer: Option<AccountId>, ids: &[StatusId]) -> Result<Vec<StatusView>> {
        let statuses = self.ctx.store.find_statuses(ids).await?;
        let visible = filter_visible(&self.ctx, viewer, statuses).await?;
        status_views(&self.ctx, viewer, visible).await
    }

    /// `DELETE /api/v1/statuses/:id`: returns the status as it was, with its source text.
    pub async fn delete(&self, actor: &Account, id: StatusId) -> Result<StatusView> {
        let status = visible_status(&self.ctx, Some(actor.id), id).await?;
        if status.account_id != actor.id || status.reblog_of.is_some() {
            return Err(AppError::forbidden());
        }
        let view = status_view(&self.ctx, Some(actor.id), status).await?;
        // Every attachment any version had: the files may go with the status.
        let mut files = crate::media::file_names(&view.status.media);
        for version in self.ctx.store.status_history(id).await? {
            files.extend(crate::media::file_names(&version.media));
        }
        self.ctx.store.delete_status(id).await?;
        // The status is gone, whatever happens to its files now: a failure is
        // logged (the files are unreachable and cost only space).
        if let Err(e) = crate::media::release_files(&self.ctx, files).await {
            tracing::error!(error = %e, status = %id, "removing a deleted status's media files failed");
        }
        Ok(view)
    }

    /// `PUT /api/v1/statuses/:id`
    pub async fn edit(&self, actor: &Account, id: StatusId, req: UpdateStatus) -> Result<StatusView> {
        let status = visible_status(&self.ctx, Some(actor.id), id).await?;
        if status.account_id != actor.id || status.reblog_of.is_some() {
            return Err(AppError::forbidden());
        }
        let text = req.text.trim().to_string();
        let keeps_poll = req.poll.is_some() || status.poll_id.is_some();
        if let Some(media) = &req.media_ids {
            self.check_media(actor, Some(status.id), media, keeps_poll).await?;
        }
        let has_media = req.media_ids.as_ref().map_or(!status.media.is_empty(), |m| !m.is_empty());
        if text.is_empty() && !has_media {
            return Err(AppError::validation("Validation failed: Text can't be blank"));
        }
        self.check_length(&text, &req.spoiler_text)?;
        let media_attributes = req
            .media_attributes
            .iter()
            .map(|a| {
                Ok((
                    a.id,
                    MediaAttributes {
                        description: a.description.as_deref().map(|d| check_description(Some(d))).transpose()?,
                        focus: match &a.focus {
                            Some(f) => parse_focus(f)?,
                            None => None,
                        },
                    },
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        let language = match req.language {
            Some(l) => check_language(Some(l))?,
            None => status.language.clone(),
        };
        let poll = match (&req.poll, status.poll_id) {
            (None, _) => PollChange::Keep,
            (Some(p), None) => PollChange::Create(self.check_poll(p, chrono::Utc::now())?),
            (Some(p), Some(poll_id)) => {
                let current = self.ctx.store.find_poll(poll_id).await?.ok_or(AppError::NotFound)?;
                let same_options: Vec<String> = p.options.iter().map(|o| o.trim().to_string()).collect();
                if same_options == current.options && p.multiple == current.multiple {
                    // Same question: votes stay, and the end does not move (no silent
                    // extensions). Who may vote stays too: the votes were cast under it.
                    PollChange::Adjust { hide_totals: p.hide_totals, expires_at: current.expires_at }
                } else {
                    PollChange::Reset(self.check_poll(p, chrono::Utc::now())?)
                }
            }
        };
        let text_changed = text != status.text;
        let rendered = render_text(&self.ctx, &text).await?;
        let edited = self
            .ctx
            .store
            .edit_status(
                id,
                EditStatus {
                    text,
                    content_html: rendered.html,
                    sensitive: req.sensitive || !req.spoiler_text.trim().is_empty(),
                    spoiler_text: req.spoiler_text.trim().to_string(),
                    language,
                    mentions: rendered.mentions,
                    tags: rendered.tags,
                    poll,
                    text_changed,
                    media: req.media_ids,
                    media_attributes,
                },
            )
            .await?;
        status_view(&self.ctx, Some(actor.id), Arc::new(edited)).await
    }

    /// `GET /api/v1/statuses/:id/history`
    pub async fn history(&self, viewer: Option<AccountId>, id: StatusId) -> Result<(StatusView, Vec<StatusEdit>)> {
        let view = self.get(viewer, id).await?;
        let edits = self.ctx.store.status_history(id).await?;
        Ok((view, edits))
    }

    /// `GET /api/v1/statuses/:id/context`: ancestors and descendants the viewer may see.
    pub async fn context(&self, viewer: Option<AccountId>, id: StatusId) -> Result<(Vec<StatusView>, Vec<StatusView>)> {
        visible_status(&self.ctx, viewer, id).await?;
        let (ancestors, descendants) = self.ctx.store.thread(id).await?;
        let ancestors = filter_visible(&self.ctx, viewer, ancestors).await?;
        let descendants = filter_visible(&self.ctx, viewer, descendants).await?;
        let thread = |views| crate::filters::apply(&self.ctx, viewer, FilterContext::Thread, views);
        let ancestors = thread(status_views(&self.ctx, viewer, ancestors).await?).await?;
        let descendants = thread(status_views(&self.ctx, viewer, descendants).await?).await?;
        Ok((ancestors, descendants))
    }

    /// `POST /api/v1/statuses/:id/favourite` (a boost's original is what gets favourited).
    pub async fn favourite(&self, actor: &Account, id: StatusId) -> Result<StatusView> {
        let status = self.target_of(actor, id).await?;
        let notify = (status.account_id != actor.id).then_some(status.account_id);
        self.ctx.store.favourite(actor.id, status.id, notify).await?;
        self.get(Some(actor.id), status.id).await
    }

    pub async fn unfavourite(&self, actor: &Account, id: StatusId) -> Result<StatusView> {
        let status = self.target_of(actor, id).await?;
        self.ctx.store.unfavourite(actor.id, status.id).await?;
        self.get(Some(actor.id), status.id).await
    }

    /// `POST /api/v1/statuses/:id/bookmark` (a boost's original is what gets
    /// bookmarked); only a status the actor may see.
    pub async fn bookmark(&self, actor: &Account, id: StatusId) -> Result<StatusView> {
        let status = self.target_of(actor, id).await?;
        self.ctx.store.bookmark(actor.id, status.id).await?;
        self.get(Some(actor.id), status.id).await
    }

    pub async fn unbookmark(&self, actor: &Account, id: StatusId) -> Result<StatusView> {
        let status = self.target_of(actor, id).await?;
        self.ctx.store.unbookmark(actor.id, status.id).await?;
        self.get(Some(actor.id), status.id).await
    }

    /// `POST /api/v1/statuses/:id/reblog`: returns the boost, wrapping the original.
    pub async fn reblog(
        &self,
        actor: &Account,
        id: StatusId,
        visibility: Option<Visibility>,
        app: Option<AppId>,
    ) -> Result<StatusView> {
        let status = self.target_of(actor, id).await?;
        // As in Mastodon, only the author may boost a private status (to the same followers).
        let own_private = status.visibility == Visibility::Private && status.account_id == actor.id;
        if !status.visibility.is_boostable() && !own_private {
            return Err(AppError::forbidden());
        }
        // Mastodon's Status validates `visibility` of a boost with an exclusion
        // of `direct` (Rails' message for it: "is reserved"), so a direct boost
        // is a 422, never silently made public.
        let visibility = match visibility {
            _ if own_private => Visibility::Private,
            Some(Visibility::Direct) => return Err(AppError::validation("Validation failed: Visibility is reserved")),
            Some(v) => v,
            None => Visibility::Public,
        };
        let reblog =
            self.ctx.store.reblog(NewReblog { account_id: actor.id, status_id: status.id, visibility, app }).await?;
        status_view(&self.ctx, Some(actor.id), Arc::new(reblog)).await
    }

    /// `POST /api/v1/statuses/:id/unreblog`: returns the original.
    pub async fn unreblog(&self, actor: &Account, id: StatusId) -> Result<StatusView> {
        let status = self.target_of(actor, id).await?;
        self.ctx.store.unreblog(actor.id, status.id).await?;
        self.get(Some(actor.id), status.id).await
    }

    pub async fn pin(&self, actor: &Account, id: StatusId, pinned: bool) -> Result<StatusView> {
        let status = visible_status(&self.ctx, Some(actor.id), id).await?;
        if status.account_id != actor.id || status.reblog_of.is_some() {
            return Err(AppError::validation("Validation failed: You can only pin your own statuses"));
        }
        if pinned {
            if !matches!(status.visibility, Visibility::Public | Visibility::Unlisted | Visibility::Private) {
                return Err(AppError::validation("Validation failed: Direct messages cannot be pinned"));
            }
            self.ctx.store.pin(actor.id, id).await?;
        } else {
            self.ctx.store.unpin(actor.id, id).await?;
        }
        self.get(Some(actor.id), id).await
    }

    /// `GET /api/v1/favourites`: what the viewer favourited and may still see, with cursors.
    pub async fn favourites(&self, me: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusView)>> {
        let pairs = self.ctx.store.favourites_of(me, page).await?;
        self.still_visible(me, pairs).await
    }

    /// `GET /api/v1/bookmarks`: what the viewer bookmarked and may still see, with cursors.
    pub async fn bookmarks(&self, me: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusView)>> {
        let pairs = self.ctx.store.bookmarks_of(me, page).await?;
        self.still_visible(me, pairs).await
    }

    /// The (cursor, status) pairs of a list whose statuses `me` may still see, as views.
    async fn still_visible(&self, me: AccountId, pairs: Vec<(i64, StatusId)>) -> Result<Vec<(i64, StatusView)>> {
        let ids: Vec<StatusId> = pairs.iter().map(|(_, id)| *id).collect();
        let statuses = filter_visible(&self.ctx, Some(me), self.ctx.store.find_statuses(&ids).await?).await?;
        let views = status_views(&self.ctx, Some(me), statuses).await?;
        Ok(pairs
            .into_iter()
            .filter_map(|(cursor, id)| views.iter().find(|v| v.status.id == id).map(|v| (cursor, v.clone())))
            .collect())
    }

    /// `GET /api/v1/statuses/:id/favourited_by`: (cursor, account) pairs.
    pub async fn favourited_by(
        &self,
        viewer: Option<AccountId>,
        id: StatusId,
        page: PageRequest,
    ) -> Result<Vec<(i64, Account)>> {
        visible_status(&self.ctx, viewer, id).await?;
        let pairs = self.ctx.store.favourited_by(id, page).await?;
        accounts_for(&self.ctx, pairs).await
    }

    pub async fn reblogged_by(
        &self,
        viewer: Option<AccountId>,
        id: StatusId,
        page: PageRequest,
    ) -> Result<Vec<(i64, Account)>> {
        visible_status(&self.ctx, viewer, id).await?;
        let pairs = self.ctx.store.reblogged_by(viewer, id, page).await?;
        accounts_for(&self.ctx, pairs).await
    }

    /// The status an interaction applies to: the original, for a boost.
    async fn target_of(&self, actor: &Account, id: StatusId) -> Result<Arc<Status>> {
        let status = visible_status(&self.ctx, Some(actor.id), id).await?;
        match status.reblog_of {
            Some(original) => visible_status(&self.ctx, Some(actor.id), original).await,
            None => Ok(status),
        }
    }

    /// Mastodon's poll rules with this server's limits.
    fn check_poll(&self, p: &PollRequest, now: chrono::DateTime<chrono::Utc>) -> Result<NewPoll> {
        let expires_in =
            p.expires_in.ok_or_else(|| AppError::validation("Validation failed: Poll expires at can't be blank"))?;
        let valid = parley_core::poll::validate_new_poll(
            &p.options,
            expires_in,
            p.multiple,
            p.hide_totals,
            self.ctx.settings.poll_limits,
            now,
        )
        .map_err(|e| AppError::Validation(e.to_string()))?;
        let eligibility =
            Eligibility::new(p.min_account_age_days, p.local_only).map_err(|e| AppError::Validation(e.to_string()))?;
        Ok(NewPoll {
            options: valid.options,
            multiple: valid.multiple,
            hide_totals: valid.hide_totals,
            expires_at: valid.expires_at,
            eligibility,
        })
    }

    fn check_length(&self, text: &str, spoiler: &str) -> Result<()> {
        let max = self.ctx.settings.max_characters;
        // First, and cheap: the byte cap (a URL counts 23 characters however
        // long, so the count alone bounds nothing). Clients know Mastodon's
        // message for a text too long, so it is the same one.
        if text.len() + spoiler.len() > self.ctx.settings.max_status_bytes {
            return Err(AppError::validation(format!("Validation failed: Text character limit of {max} exceeded")));
        }
        if text::status_length(text) + spoiler.trim().chars().count() > max {
            return Err(AppError::validation(format!("Validation failed: Text character limit of {max} exceeded")));
        }
        Ok(())
    }
}

/// Renders text to HTML, linking mentions of accounts that exist here.
pub(crate) async fn render_text(ctx: &Context, text: &str) -> Result<Rendered> {
    let settings = &ctx.settings;
    let mut resolved: HashMap<String, (AccountId, ResolvedMention)> = HashMap::new();
    for m in text::extract_mentions(text) {
        let local = m.domain.as_deref().is_none_or(|d| d.eq_ignore_ascii_case(&settings.domain));
        if !local {
            continue;
        }
        if let Some(account) = ctx.store.find_account_by_username(&m.username).await? {
            // Nobody can mention an account that is gone for others (not notified either).
            if !account_shown(&account, None) {
                continue;
            }
            resolved.insert(
                mention_key(&m),
                (
                    account.id,
                    ResolvedMention {
                        url: settings.account_url(&account.username),
                        acct: account.username.clone(),
                        username: account.username,
                    },
                ),
            );
        }
    }
    let html = text::render_html(
        text,
        &|m: &MentionRef| resolved.get(&mention_key(m)).map(|(_, r)| r.clone()),
        &|tag: &str| settings.tag_url(&tag.to_lowercase()),
    );
    let mut mentions: Vec<AccountId> = Vec::new();
    for m in text::extract_mentions(text) {
        if let Some((id, _)) = resolved.get(&mention_key(&m))
            && !mentions.contains(id)
        {
            mentions.push(*id);
        }
    }
    let mut tags: Vec<String> = Vec::new();
    for t in text::extract_hashtags(text) {
        let t = t.to_lowercase();
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    Ok(Rendered { html, mentions, tags })
}

fn mention_key(m: &MentionRef) -> String {
    format!("{}@{}", m.username.to_lowercase(), m.domain.as_deref().unwrap_or("").to_lowercase())
}

/// ISO 639 codes are two or three lower-case letters.
pub(crate) fn check_language(language: Option<String>) -> Result<Option<String>> {
    match language.map(|l| l.trim().to_string()).filter(|l| !l.is_empty()) {
        None => Ok(None),
        Some(l) if (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Ok(Some(l.to_ascii_lowercase()))
        }
        Some(_) => Err(AppError::validation("Validation failed: Language is not a valid ISO 639 code")),
    }
}

/// Pairs of (cursor, account ID) to (cursor, account), skipping missing accounts.
pub(crate) async fn accounts_for(ctx: &Context, pairs: Vec<(i64, AccountId)>) -> Result<Vec<(i64, Account)>> {
    let ids: Vec<AccountId> = pairs.iter().map(|(_, a)| *a).collect();
    let accounts: HashMap<AccountId, Arc<Account>> =
        ctx.store.find_accounts(&ids).await?.into_iter().map(|a| (a.id, a)).collect();
    Ok(pairs.into_iter().filter_map(|(cursor, id)| accounts.get(&id).map(|a| (cursor, Account::clone(a)))).collect())
}
