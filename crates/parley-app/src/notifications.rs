//! Listing and dismissing notifications.

use std::collections::HashMap;
use std::sync::Arc;

use parley_core::model::{Account, NotificationKind};
use parley_core::page::PageRequest;
use parley_core::visibility::account_shown;
use parley_core::{AccountId, NotificationId, StatusId};

use crate::views::{NotificationView, StatusView, status_views};
use crate::{AppError, Context, Result};

#[derive(Clone)]
pub struct NotificationService {
    ctx: Arc<Context>,
}

impl NotificationService {
    pub fn new(ctx: Arc<Context>) -> Self {
        NotificationService { ctx }
    }

    /// Notifications of the given kinds (every kind when `kinds` is empty), newest first.
    pub async fn list(
        &self,
        me: AccountId,
        kinds: &[NotificationKind],
        from: Option<AccountId>,
        page: PageRequest,
    ) -> Result<Vec<NotificationView>> {
        let kinds: Vec<NotificationKind> =
            if kinds.is_empty() { NotificationKind::ALL.to_vec() } else { kinds.to_vec() };
        let notes = self.ctx.store.list_notifications(me, &kinds, from, page).await?;
        self.views(me, notes).await
    }

    pub async fn get(&self, me: AccountId, id: NotificationId) -> Result<NotificationView> {
        let note = self.ctx.store.find_notification(me, id).await?.ok_or(AppError::NotFound)?;
        self.views(me, vec![note]).await?.pop().ok_or(AppError::NotFound)
    }

    pub async fn dismiss(&self, me: AccountId, id: NotificationId) -> Result<()> {
        if self.ctx.store.dismiss_notification(me, id).await? { Ok(()) } else { Err(AppError::NotFound) }
    }

    pub async fn clear(&self, me: AccountId) -> Result<()> {
        Ok(self.ctx.store.clear_notifications(me).await?)
    }

    async fn views(
        &self,
        me: AccountId,
        notes: Vec<parley_core::model::Notification>,
    ) -> Result<Vec<NotificationView>> {
        let from: Vec<AccountId> = notes.iter().map(|n| n.from_account_id).collect();
        let accounts: HashMap<AccountId, Arc<Account>> =
            self.ctx.store.find_accounts(&from).await?.into_iter().map(|a| (a.id, a)).collect();
        let status_ids: Vec<StatusId> = notes.iter().filter_map(|n| n.status_id).collect();
        let statuses = self.ctx.store.find_statuses(&status_ids).await?;
        // A notification never shows a status its recipient may not see (now).
        let statuses = crate::views::filter_visible(&self.ctx, Some(me), statuses).await?;
        let views: HashMap<StatusId, StatusView> =
            status_views(&self.ctx, Some(me), statuses).await?.into_iter().map(|v| (v.status.id, v)).collect();
        Ok(notes
            .into_iter()
            .filter_map(|n| {
                // Nothing from an account that is gone (suspended, awaiting approval).
                let account = Account::clone(accounts.get(&n.from_account_id).filter(|a| account_shown(a, Some(me)))?);
                let status = match n.status_id {
                    Some(id) => Some(views.get(&id)?.clone()),
                    None => None,
                };
                Some(NotificationView { notification: n, account, status })
            })
            .collect())
    }
}
