//! Markers: where an account stopped reading its home timeline and its
//! notifications (https://docs.joinmastodon.org/methods/markers/). The
//! notifications marker is where the unread counts start
//! ([`crate::notification_groups`]).

use std::sync::Arc;

use parley_core::AccountId;
use parley_core::model::{Marker, MarkerTimeline};

use crate::{Context, Result};

#[derive(Clone)]
pub struct MarkerService {
    ctx: Arc<Context>,
}

impl MarkerService {
    pub fn new(ctx: Arc<Context>) -> Self {
        MarkerService { ctx }
    }

    /// The markers of `timelines` that were ever set.
    pub async fn get(&self, me: AccountId, timelines: &[MarkerTimeline]) -> Result<Vec<Marker>> {
        Ok(self.ctx.store.find_markers(me, timelines).await?)
    }

    /// Sets each marker to its ID, all or none.
    pub async fn save(&self, me: AccountId, positions: Vec<(MarkerTimeline, i64)>) -> Result<Vec<Marker>> {
        if positions.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.ctx.store.save_markers(me, positions).await?)
    }
}
