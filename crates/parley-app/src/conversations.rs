//! Conversations: an account's direct-message threads
//! (https://docs.joinmastodon.org/methods/conversations/). The store keeps
//! them as the statuses are posted and deleted; this shows them to their
//! owner, with the last status only if the owner may still see it (the
//! same rule as `GET /api/v1/statuses/:id`).

use std::sync::Arc;

use parley_core::model::Account;
use parley_core::page::PageRequest;
use parley_core::visibility::account_shown;
use parley_core::{AccountId, ConversationId};
use parley_store::ConversationEntry;

use crate::views::{StatusView, filter_viewable, status_views};
use crate::{AppError, Context, Result};

/// A conversation as its owner sees it.
#[derive(Debug, Clone)]
pub struct ConversationView {
    pub id: ConversationId,
    /// Whose conversation it is (the viewer of everything in it).
    pub owner: AccountId,
    /// The other participants (the owner alone when there are none, as Mastodon).
    pub accounts: Vec<Arc<Account>>,
    pub last_status: Option<StatusView>,
    pub unread: bool,
    /// The listing's cursor: the last status's ID.
    pub cursor: i64,
}

#[derive(Clone)]
pub struct ConversationService {
    ctx: Arc<Context>,
}

impl ConversationService {
    pub fn new(ctx: Arc<Context>) -> Self {
        ConversationService { ctx }
    }

    /// `GET /api/v1/conversations`
    pub async fn list(&self, me: AccountId, page: PageRequest) -> Result<Vec<ConversationView>> {
        let entries = self.ctx.store.conversations_of(me, page).await?;
        self.views(me, entries).await
    }

    /// One conversation of `me`'s (the `direct` stream's payload).
    pub async fn get(&self, me: AccountId, id: ConversationId) -> Result<ConversationView> {
        let entry = self.ctx.store.find_conversation(me, id).await?.ok_or(AppError::NotFound)?;
        self.one(me, entry).await
    }

    /// `POST /api/v1/conversations/:id/read`
    pub async fn read(&self, me: AccountId, id: ConversationId) -> Result<ConversationView> {
        let entry = self.ctx.store.mark_conversation_read(me, id).await?;
        self.one(me, entry).await
    }

    /// `DELETE /api/v1/conversations/:id`: gone for `me` only.
    pub async fn remove(&self, me: AccountId, id: ConversationId) -> Result<()> {
        if self.ctx.store.remove_conversation(me, id).await? { Ok(()) } else { Err(AppError::NotFound) }
    }

    async fn one(&self, me: AccountId, entry: ConversationEntry) -> Result<ConversationView> {
        self.views(me, vec![entry]).await?.pop().ok_or(AppError::NotFound)
    }

    /// Views of entries, in their order, with a few batched reads.
    async fn views(&self, me: AccountId, entries: Vec<ConversationEntry>) -> Result<Vec<ConversationView>> {
        let ctx = &self.ctx;
        let status_ids: Vec<_> = entries.iter().map(|e| e.last_status).collect();
        let statuses = filter_viewable(ctx, Some(me), ctx.store.find_statuses(&status_ids).await?).await?;
        let statuses = status_views(ctx, Some(me), statuses).await?;
        let mut account_ids: Vec<AccountId> = entries.iter().flat_map(|e| e.participants.iter().copied()).collect();
        account_ids.push(me);
        account_ids.sort_unstable();
        account_ids.dedup();
        let accounts = ctx.store.find_accounts(&account_ids).await?;
        Ok(entries
            .into_iter()
            .map(|e| {
                let mut shown: Vec<Arc<Account>> = e
                    .participants
                    .iter()
                    .filter_map(|id| accounts.iter().find(|a| a.id == *id))
                    .filter(|a| account_shown(a, Some(me)))
                    .cloned()
                    .collect();
                if e.participants.is_empty() {
                    shown.extend(accounts.iter().find(|a| a.id == me).cloned());
                }
                ConversationView {
                    id: e.id,
                    owner: me,
                    accounts: shown,
                    last_status: statuses.iter().find(|v| v.status.id == e.last_status).cloned(),
                    unread: e.unread,
                    cursor: e.last_status.get(),
                }
            })
            .collect())
    }
}
