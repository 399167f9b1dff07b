//! Home, public and hashtag timelines.

use std::sync::Arc;

use parley_core::AccountId;
use parley_core::page::PageRequest;

use crate::views::{StatusView, status_views};
use crate::{Context, Result};

#[derive(Clone)]
pub struct TimelineService {
    ctx: Arc<Context>,
}

impl TimelineService {
    pub fn new(ctx: Arc<Context>) -> Self {
        TimelineService { ctx }
    }

    pub async fn home(&self, me: AccountId, page: PageRequest) -> Result<Vec<StatusView>> {
        let statuses = self.ctx.store.home_timeline(me, page).await?;
        status_views(&self.ctx, Some(me), statuses).await
    }

    pub async fn public(
        &self,
        viewer: Option<AccountId>,
        local_only: bool,
        page: PageRequest,
    ) -> Result<Vec<StatusView>> {
        let statuses = self.ctx.store.public_timeline(viewer, local_only, page).await?;
        status_views(&self.ctx, viewer, statuses).await
    }

    pub async fn tag(&self, viewer: Option<AccountId>, tag: &str, page: PageRequest) -> Result<Vec<StatusView>> {
        let statuses = self.ctx.store.tag_timeline(viewer, tag, page).await?;
        status_views(&self.ctx, viewer, statuses).await
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
