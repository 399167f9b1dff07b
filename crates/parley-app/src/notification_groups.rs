//! Grouped notifications (Mastodon 4.3, `GET /api/v2/notifications`): pages
//! of groups, one group, its senders, dismissing it, and the unread counts
//! both API versions give from the notifications marker.
//!
//! A page holds at most one notification per group, in page order: the
//! newest of each group when paging down, the oldest above the cursor when
//! paging up (`min_id`), as Mastodon's `paginate_groups`. Which notifications
//! are shown at all is [`NotificationService::visible`]'s rule, applied
//! before grouping, so a group never stands for a notification its
//! recipient may not see. A group's figures (count, sample senders) cover
//! every notification of the group up to the page's newest, as Mastodon's
//! `NotificationGroup.from_notifications`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parley_core::grouping::{GROUPABLE, GroupKey, ungrouped_key};
use parley_core::model::{Account, MarkerTimeline, Notification, NotificationKind};
use parley_core::page::PageRequest;
use parley_core::{AccountId, NotificationId};
use parley_store::NotificationGroupStats;

use crate::notifications::NotificationService;
use crate::statuses::accounts_for;
use crate::views::NotificationView;
use crate::{AppError, Result};

/// Notifications read per step while a page of groups is gathered.
const STEP: usize = 80;
/// Most notifications read for one page of groups (or one unread count):
/// the work of a request stays bounded however the notifications fall.
const MAX_SCANNED: usize = 4000;

/// Which notifications a listing covers.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    /// The kinds listed; every kind when empty.
    pub kinds: Vec<NotificationKind>,
    /// Only notifications from this account.
    pub from: Option<AccountId>,
}

/// One group as a page shows it.
#[derive(Debug, Clone)]
pub struct GroupView {
    pub key: String,
    /// The group's notification on this page: its kind and status.
    pub notification: NotificationView,
    pub count: i64,
    pub most_recent: NotificationId,
    /// The group's most recent senders, newest first (those still shown).
    pub sample_accounts: Vec<Arc<Account>>,
    /// `page_min_id` and `latest_page_notification_at`, on paged lists only.
    pub page: Option<(NotificationId, DateTime<Utc>)>,
}

/// A page of groups, newest first, with the cursors of its `Link` header.
#[derive(Debug, Clone, Default)]
pub struct GroupPage {
    pub groups: Vec<GroupView>,
    /// (oldest, newest) of the page's notifications.
    pub cursors: Option<(i64, i64)>,
}

impl NotificationService {
    /// `GET /api/v2/notifications`. `grouped` are the kinds grouped (of
    /// [`GROUPABLE`]); a notification of another kind is a group of one.
    pub async fn grouped(
        &self,
        me: AccountId,
        filter: &NotificationFilter,
        grouped: &[NotificationKind],
        page: PageRequest,
    ) -> Result<GroupPage> {
        let heads = self.heads(me, filter, grouped, page, page.limit).await?;
        let (Some(newest), Some(oldest)) = (heads.first(), heads.last()) else {
            return Ok(GroupPage::default());
        };
        let (newest, oldest) = (newest.id.0, oldest.id.0);
        // The notifications the page covers (Mastodon's `pagination_range`):
        // its own, or up to the cursor when it is the last page that way.
        let range = match (heads.len() < page.limit, page.ascending()) {
            (false, _) => (oldest, newest),
            (true, true) => (oldest, page.max_id.map_or(i64::MAX, |m| m - 1)),
            (true, false) => (page.since_id.map_or(i64::MIN, |s| s + 1), newest),
        };
        let groups = self.group_views(me, heads, grouped, Some(range)).await?;
        Ok(GroupPage { groups, cursors: Some((oldest, newest)) })
    }

    /// `GET /api/v2/notifications/:group_key`
    pub async fn group(&self, me: AccountId, key: &str) -> Result<GroupView> {
        let head = self.group_head(me, &GroupKey::parse(key)).await?.ok_or(AppError::NotFound)?;
        self.group_views(me, vec![head], &GROUPABLE, None).await?.pop().ok_or(AppError::NotFound)
    }

    /// `POST /api/v2/notifications/:group_key/dismiss`: every notification of the group.
    pub async fn dismiss_group(&self, me: AccountId, key: &str) -> Result<()> {
        self.ctx.store.dismiss_notification_group(me, &GroupKey::parse(key)).await?;
        Ok(())
    }

    /// `GET /api/v2/notifications/:group_key/accounts`: who caused the
    /// group's notifications, newest first, with cursors. Nothing for a
    /// group its recipient is not shown.
    pub async fn group_accounts(&self, me: AccountId, key: &str, page: PageRequest) -> Result<Vec<(i64, Account)>> {
        let key = GroupKey::parse(key);
        if self.group_head(me, &key).await?.is_none() {
            return Ok(Vec::new());
        }
        let pairs = self.ctx.store.notification_group_senders(me, &key, page).await?;
        accounts_for(&self.ctx, pairs).await
    }

    /// `GET /api/v1/notifications/unread_count`: notifications after the
    /// notifications marker (all without one), at most `limit`.
    pub async fn unread_count(&self, me: AccountId, filter: &NotificationFilter, limit: usize) -> Result<usize> {
        self.unread_group_count(me, filter, &[], limit).await
    }

    /// `GET /api/v2/notifications/unread_count`: groups after the marker, at
    /// most `limit` (each notification alone when `grouped` is empty: v1's count).
    pub async fn unread_group_count(
        &self,
        me: AccountId,
        filter: &NotificationFilter,
        grouped: &[NotificationKind],
        limit: usize,
    ) -> Result<usize> {
        let marker = self.ctx.store.find_markers(me, &[MarkerTimeline::Notifications]).await?.pop();
        // Counted upwards from the marker, as Mastodon's `paginate_groups_by_min_id`.
        let page = PageRequest { min_id: Some(marker.map_or(0, |m| m.last_read_id)), limit, ..PageRequest::default() };
        Ok(self.heads(me, filter, grouped, page, limit).await?.len())
    }

    /// The newest notification of a group that `me` is shown.
    async fn group_head(&self, me: AccountId, key: &GroupKey) -> Result<Option<Notification>> {
        let head = self.ctx.store.find_notification_group(me, key).await?;
        Ok(self.visible(me, head.into_iter().collect()).await?.pop())
    }

    /// One shown notification per group, in page order (newest first), at
    /// most `limit`; read in steps, at most [`MAX_SCANNED`] in all.
    async fn heads(
        &self,
        me: AccountId,
        filter: &NotificationFilter,
        grouped: &[NotificationKind],
        page: PageRequest,
        limit: usize,
    ) -> Result<Vec<Notification>> {
        let kinds: Vec<NotificationKind> =
            if filter.kinds.is_empty() { NotificationKind::ALL.to_vec() } else { filter.kinds.clone() };
        let mut step = PageRequest { limit: STEP, ..page };
        let mut seen: HashSet<String> = HashSet::new();
        let mut heads = Vec::new();
        let mut scanned = 0;
        while heads.len() < limit && scanned < MAX_SCANNED {
            let mut batch = self.ctx.store.list_notifications(me, &kinds, filter.from, step).await?;
            let exhausted = batch.len() < STEP;
            scanned += batch.len();
            if page.ascending() {
                // Pages come newest first; upwards, the scan runs oldest first.
                batch.reverse();
            }
            let Some(last) = batch.last().map(|n| n.id.0) else { break };
            if page.ascending() {
                step.min_id = Some(last);
            } else {
                step.max_id = Some(last);
            }
            for n in self.visible(me, batch).await? {
                if heads.len() < limit && seen.insert(effective_key(&n, grouped)) {
                    heads.push(n);
                }
            }
            if exhausted {
                break;
            }
        }
        if page.ascending() {
            heads.reverse();
        }
        Ok(heads)
    }

    /// Views of the groups `heads` stand for, over `range` when paged.
    async fn group_views(
        &self,
        me: AccountId,
        heads: Vec<Notification>,
        grouped: &[NotificationKind],
        range: Option<(i64, i64)>,
    ) -> Result<Vec<GroupView>> {
        let stored: Vec<String> =
            heads.iter().filter(|n| is_grouped(n, grouped)).filter_map(|n| n.group_key.clone()).collect();
        let stats: HashMap<String, NotificationGroupStats> = if stored.is_empty() {
            HashMap::new()
        } else {
            let found = self.ctx.store.notification_group_stats(me, stored, range).await?;
            found.into_iter().map(|s| (s.key.clone(), s)).collect()
        };
        let mut sender_ids: Vec<AccountId> = stats.values().flat_map(|s| s.sample_accounts.iter().copied()).collect();
        sender_ids.sort_unstable();
        sender_ids.dedup();
        let senders: HashMap<AccountId, Arc<Account>> = self
            .ctx
            .store
            .find_accounts(&sender_ids)
            .await?
            .into_iter()
            .filter(|a| parley_core::visibility::account_shown(a, Some(me)))
            .map(|a| (a.id, a))
            .collect();
        let grouping: Vec<bool> = heads.iter().map(|n| is_grouped(n, grouped)).collect();
        let views = self.views(me, heads).await?;
        let mut out = Vec::with_capacity(views.len());
        for (view, grouped) in views.into_iter().zip(grouping) {
            let n = &view.notification;
            let group = if grouped { n.group_key.as_ref().and_then(|k| stats.get(k)) } else { None };
            out.push(match group {
                Some(s) => GroupView {
                    key: s.key.clone(),
                    count: s.count,
                    most_recent: s.most_recent,
                    sample_accounts: s.sample_accounts.iter().filter_map(|a| senders.get(a).cloned()).collect(),
                    page: range.map(|_| (s.page_min.unwrap_or(n.id), s.latest_at)),
                    notification: view,
                },
                None => GroupView {
                    key: ungrouped_key(n.id),
                    count: 1,
                    most_recent: n.id,
                    sample_accounts: vec![Arc::new(view.account.clone())],
                    page: range.map(|_| (n.id, n.created_at)),
                    notification: view,
                },
            });
        }
        Ok(out)
    }
}

/// Whether `n` is grouped on this page: of a kind grouped, with a key.
fn is_grouped(n: &Notification, grouped: &[NotificationKind]) -> bool {
    n.group_key.is_some() && grouped.contains(&n.kind)
}

/// The group `n` falls in on this page.
fn effective_key(n: &Notification, grouped: &[NotificationKind]) -> String {
    match &n.group_key {
        Some(key) if grouped.contains(&n.kind) => key.clone(),
        _ => ungrouped_key(n.id),
    }
}
