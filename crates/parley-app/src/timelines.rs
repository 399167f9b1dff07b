//! Home, public and hashtag timelines.

use std::sync::Arc;

use parley_core::AccountId;
use parley_core::filters::FilterContext;
use parley_core::model::Status;
use parley_core::page::PageRequest;

use crate::filters;
use crate::views::{StatusView, status_views};
use crate::{Context, Result};

/// How many more pages of the home index one home page may read when the
/// members of exclusive lists took statuses out of it.
pub const EXCLUSIVE_REFILLS: usize = 4;
/// The fewest statuses each of those reads asks for, so that a page of one
/// still reads past a run of hidden statuses.
const EXCLUSIVE_BATCH: usize = 40;

#[derive(Clone)]
pub struct TimelineService {
    ctx: Arc<Context>,
}

impl TimelineService {
    pub fn new(ctx: Arc<Context>) -> Self {
        TimelineService { ctx }
    }

    /// The home timeline, less the statuses of the members of the viewer's
    /// exclusive lists (Mastodon 4.2: they are read in those lists only).
    ///
    /// Those are left out here, when the page is read, not in the home index:
    /// list membership then stays out of the derived state (no change records,
    /// nothing to rebuild), at the price of reading on when a page loses
    /// statuses, at most [`EXCLUSIVE_REFILLS`] more pages of the index (a page that still
    /// finds none is empty, and its client stops there: a run of more than 200
    /// hidden statuses).
    pub async fn home(&self, me: AccountId, page: PageRequest) -> Result<Vec<StatusView>> {
        let hidden = self.ctx.store.exclusive_list_members(me).await?;
        if hidden.is_empty() {
            let statuses = self.ctx.store.home_timeline(me, page).await?;
            let views = status_views(&self.ctx, Some(me), statuses).await?;
            return filters::apply(&self.ctx, Some(me), FilterContext::Home, views).await;
        }
        let limit = page.limit;
        let ascending = page.ascending();
        let mut request = PageRequest { limit: page.limit.max(EXCLUSIVE_BATCH), ..page };
        // Newest first, like every page.
        let mut kept: Vec<Arc<Status>> = Vec::new();
        for _ in 0..=EXCLUSIVE_REFILLS {
            let batch = self.ctx.store.home_timeline(me, request).await?;
            let (Some(newest), Some(oldest)) = (batch.first().map(|s| s.id.0), batch.last().map(|s| s.id.0)) else {
                break;
            };
            let full = batch.len() >= request.limit;
            let shown = batch.into_iter().filter(|s| !hidden.contains(&s.account_id));
            if ascending {
                // Reading upwards from `min_id`: each batch is newer than the last.
                let mut newer: Vec<Arc<Status>> = shown.collect();
                newer.append(&mut kept);
                kept = newer;
                request.min_id = Some(newest);
                request.since_id = None;
            } else {
                kept.extend(shown);
                request.max_id = Some(oldest);
            }
            if kept.len() >= limit || !full {
                break;
            }
        }
        if ascending {
            // The `limit` oldest above `min_id`.
            let excess = kept.len().saturating_sub(limit);
            kept.drain(..excess);
        } else {
            kept.truncate(limit);
        }
        let views = status_views(&self.ctx, Some(me), kept).await?;
        filters::apply(&self.ctx, Some(me), FilterContext::Home, views).await
    }

    pub async fn public(
        &self,
        viewer: Option<AccountId>,
        local_only: bool,
        only_media: bool,
        page: PageRequest,
    ) -> Result<Vec<StatusView>> {
        let statuses = self.ctx.store.public_timeline(viewer, local_only, only_media, page).await?;
        let views = status_views(&self.ctx, viewer, statuses).await?;
        filters::apply(&self.ctx, viewer, FilterContext::Public, views).await
    }

    pub async fn tag(
        &self,
        viewer: Option<AccountId>,
        tag: &str,
        only_media: bool,
        page: PageRequest,
    ) -> Result<Vec<StatusView>> {
        let statuses = self.ctx.store.tag_timeline(viewer, tag, only_media, page).await?;
        let views = status_views(&self.ctx, viewer, statuses).await?;
        filters::apply(&self.ctx, viewer, FilterContext::Public, views).await
    }

    /// `/api/v2/search` over statuses: those the viewer may see.
    pub async fn search_statuses(&self, me: AccountId, query: &str, limit: usize) -> Result<Vec<StatusView>> {
        let statuses = self.ctx.store.search_statuses(me, query, limit).await?;
        status_views(&self.ctx, Some(me), statuses).await
    }

    pub async fn search_tags(&self, query: &str, limit: usize) -> Result<Vec<String>> {
        Ok(self.ctx.store.search_tags(query, limit).await?)
    }
}
