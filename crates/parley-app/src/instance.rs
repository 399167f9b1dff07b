//! What the instance says about itself (`/api/v1/instance`, nodeinfo).

use std::sync::Arc;

use crate::{Context, Result};

/// Usage figures for the instance and nodeinfo documents.
#[derive(Debug, Clone, Copy)]
pub struct InstanceStats {
    pub user_count: i64,
    pub status_count: i64,
    pub domain_count: i64,
}

#[derive(Clone)]
pub struct InstanceService {
    ctx: Arc<Context>,
}

impl InstanceService {
    pub fn new(ctx: Arc<Context>) -> Self {
        InstanceService { ctx }
    }

    pub async fn stats(&self) -> Result<InstanceStats> {
        Ok(InstanceStats {
            user_count: self.ctx.store.count_local_accounts().await?,
            status_count: self.ctx.store.count_local_statuses().await?,
            domain_count: 0,
        })
    }
}
