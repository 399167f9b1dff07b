//! Listing and dismissing notifications, and the one place that decides
//! which notifications a recipient is shown ([`NotificationService::visible`]);
//! grouping them is in [`crate::notification_groups`].

use std::collections::HashMap;
use std::sync::Arc;

use parley_core::filters::FilterContext;
use parley_core::model::{Account, Notification, NotificationKind, Status};
use parley_core::page::PageRequest;
use parley_core::visibility::account_shown;
use parley_core::{AccountId, NotificationId, StatusId};

use crate::views::{NotificationView, StatusView, filter_viewable, status_views};
use crate::{AppError, Context, Result};

#[derive(Clone)]
pub struct NotificationService {
    pub(crate) ctx: Arc<Context>,
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

    /// The notifications among `notes` that `me` is shown, in their order:
    /// the one rule for every listing, count and group. A notification never
    /// shows a status its recipient may not see (now), nor one their `hide`
    /// filters take away, nor anything from an account that is gone
    /// (suspended, awaiting approval).
    pub(crate) async fn visible(&self, me: AccountId, notes: Vec<Notification>) -> Result<Vec<Notification>> {
        Ok(self.shown(me, notes).await?.into_iter().map(|(n, _, _)| n).collect())
    }

    /// [`Self::visible`], with the sender and the status each needs.
    async fn shown(
        &self,
        me: AccountId,
        notes: Vec<Notification>,
    ) -> Result<Vec<(Notification, Arc<Account>, Option<Arc<Status>>)>> {
        let from: Vec<AccountId> = notes.iter().map(|n| n.from_account_id).collect();
        let accounts: HashMap<AccountId, Arc<Account>> =
            self.ctx.store.find_accounts(&from).await?.into_iter().map(|a| (a.id, a)).collect();
        let status_ids: Vec<StatusId> = notes.iter().filter_map(|n| n.status_id).collect();
        let statuses = self.ctx.store.find_statuses(&status_ids).await?;
        let statuses = filter_viewable(&self.ctx, Some(me), statuses).await?;
        // A status a `hide` filter takes away takes its notification along,
        // in lists, groups and counts alike.
        let hidden = crate::filters::hidden(&self.ctx, me, FilterContext::Notifications, &statuses).await?;
        let statuses: HashMap<StatusId, Arc<Status>> =
            statuses.into_iter().filter(|s| !hidden.contains(&s.id)).map(|s| (s.id, s)).collect();
        Ok(notes
            .into_iter()
            .filter_map(|n| {
                let account = Arc::clone(accounts.get(&n.from_account_id).filter(|a| account_shown(a, Some(me)))?);
                let status = match n.status_id {
                    Some(id) => Some(Arc::clone(statuses.get(&id)?)),
                    None => None,
                };
                Some((n, account, status))
            })
            .collect())
    }

    /// Views of the notifications among `notes` that `me` is shown; with the
    /// viewer's filters for the notifications context applied to their
    /// statuses (one a `hide` filter takes away takes its notification along).
    pub(crate) async fn views(&self, me: AccountId, notes: Vec<Notification>) -> Result<Vec<NotificationView>> {
        let shown = self.shown(me, notes).await?;
        let statuses: Vec<Arc<Status>> = shown.iter().filter_map(|(_, _, s)| s.clone()).collect();
        let views = status_views(&self.ctx, Some(me), statuses).await?;
        let views = crate::filters::apply(&self.ctx, Some(me), FilterContext::Notifications, views).await?;
        let views: HashMap<StatusId, StatusView> = views.into_iter().map(|v| (v.status.id, v)).collect();
        Ok(shown
            .into_iter()
            .filter_map(|(n, account, status)| {
                let status = match status {
                    Some(s) => Some(views.get(&s.id)?.clone()),
                    None => None,
                };
                Some(NotificationView { notification: n, account: Account::clone(&account), status })
            })
            .collect())
    }
}
