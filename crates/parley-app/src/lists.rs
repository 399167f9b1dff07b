//! Lists (https://docs.joinmastodon.org/methods/lists/): accounts an account
//! follows, read as a timeline of their own. A list is its owner's alone:
//! anyone else's is not found. Which statuses a list's timeline admits is
//! the store's (`list_timeline`, Mastodon's `FeedManager#filter?(:list)`);
//! what leaves the home timeline for an exclusive list is
//! [`crate::timelines::TimelineService::home`]'s.

use std::sync::Arc;

use parley_core::filters::FilterContext;
use parley_core::model::{Account, List, RepliesPolicy};
use parley_core::page::PageRequest;
use parley_core::visibility::account_shown;
use parley_core::{AccountId, ListId};
use parley_store::ListFields;

use crate::statuses::accounts_for;
use crate::views::{StatusView, status_views};
use crate::{AppError, Context, Result};

/// The longest title accepted (Mastodon has none; a bound keeps every field bounded).
pub const MAX_TITLE_CHARS: usize = 256;

/// A list's fields as a request gives them; what is absent stays as it was
/// (or takes Mastodon's default on creation).
#[derive(Debug, Default, Clone)]
pub struct ListChanges {
    pub title: Option<String>,
    pub replies_policy: Option<String>,
    pub exclusive: Option<bool>,
}

#[derive(Clone)]
pub struct ListService {
    ctx: Arc<Context>,
}

impl ListService {
    pub fn new(ctx: Arc<Context>) -> Self {
        ListService { ctx }
    }

    /// `GET /api/v1/lists`: the caller's lists, oldest first.
    pub async fn all(&self, me: AccountId) -> Result<Vec<List>> {
        Ok(self.ctx.store.lists_of(me).await?)
    }

    /// One of the caller's lists; anyone else's is not found.
    pub async fn get(&self, me: AccountId, id: ListId) -> Result<List> {
        self.ctx.store.find_list(me, id).await?.ok_or(AppError::NotFound)
    }

    pub async fn create(&self, me: AccountId, changes: ListChanges) -> Result<List> {
        let fields = merge(
            ListFields { title: String::new(), replies_policy: RepliesPolicy::default(), exclusive: false },
            changes,
        )?;
        Ok(self.ctx.store.create_list(me, fields).await?)
    }

    pub async fn update(&self, me: AccountId, id: ListId, changes: ListChanges) -> Result<List> {
        let list = self.get(me, id).await?;
        let fields = merge(
            ListFields { title: list.title, replies_policy: list.replies_policy, exclusive: list.exclusive },
            changes,
        )?;
        Ok(self.ctx.store.update_list(me, id, fields).await?)
    }

    pub async fn delete(&self, me: AccountId, id: ListId) -> Result<()> {
        if self.ctx.store.delete_list(me, id).await? { Ok(()) } else { Err(AppError::NotFound) }
    }

    /// A page of the list's members, by when they were added.
    pub async fn members(&self, me: AccountId, id: ListId, page: PageRequest) -> Result<Vec<(i64, Account)>> {
        self.get(me, id).await?;
        let pairs = self.ctx.store.list_members(me, id, page).await?;
        accounts_for(&self.ctx, pairs).await
    }

    /// Adds accounts the caller follows, all or none (Mastodon: 422 for one
    /// not followed or already in the list, 404 for one that does not exist).
    pub async fn add_members(&self, me: AccountId, id: ListId, accounts: Vec<AccountId>) -> Result<()> {
        self.get(me, id).await?;
        self.ensure_accounts_exist(&accounts).await?;
        Ok(self.ctx.store.add_list_members(me, id, accounts).await?)
    }

    pub async fn remove_members(&self, me: AccountId, id: ListId, accounts: Vec<AccountId>) -> Result<()> {
        self.get(me, id).await?;
        Ok(self.ctx.store.remove_list_members(me, id, accounts).await?)
    }

    /// `GET /api/v1/accounts/:id/lists`: the caller's lists that have the account.
    pub async fn with_member(&self, me: AccountId, account: AccountId) -> Result<Vec<List>> {
        self.ensure_accounts_exist(&[account]).await?;
        Ok(self.ctx.store.lists_with_member(me, account).await?)
    }

    /// `GET /api/v1/timelines/list/:id`, newest first.
    pub async fn timeline(&self, me: AccountId, id: ListId, page: PageRequest) -> Result<Vec<StatusView>> {
        let list = self.get(me, id).await?;
        let statuses = self.ctx.store.list_timeline(list, page).await?;
        let views = status_views(&self.ctx, Some(me), statuses).await?;
        // Mastodon filters a list as the home timeline.
        crate::filters::apply(&self.ctx, Some(me), FilterContext::Home, views).await
    }

    /// Every account named exists and is shown to others, or the request is a 404.
    async fn ensure_accounts_exist(&self, ids: &[AccountId]) -> Result<()> {
        let found = self.ctx.store.find_accounts(ids).await?;
        let all_shown = ids.iter().all(|id| found.iter().any(|a| a.id == *id && account_shown(a, None)));
        if all_shown { Ok(()) } else { Err(AppError::NotFound) }
    }
}

/// The list's fields after `changes`, validated as Mastodon's `List` model does.
fn merge(mut fields: ListFields, changes: ListChanges) -> Result<ListFields> {
    if let Some(title) = changes.title {
        fields.title = title;
    }
    if fields.title.trim().is_empty() {
        return Err(AppError::validation("Validation failed: Title can't be blank"));
    }
    if fields.title.chars().count() > MAX_TITLE_CHARS {
        return Err(AppError::validation(format!(
            "Validation failed: Title is too long (maximum is {MAX_TITLE_CHARS} characters)"
        )));
    }
    if let Some(policy) = changes.replies_policy {
        fields.replies_policy = RepliesPolicy::parse(&policy)
            .ok_or_else(|| AppError::validation("Validation failed: Replies policy is not included in the list"))?;
    }
    if let Some(exclusive) = changes.exclusive {
        fields.exclusive = exclusive;
    }
    Ok(fields)
}
