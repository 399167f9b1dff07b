//! Parley's use cases: every rule about who may do what, and the order in
//! which things happen. The HTTP API, the web pages and the CLI all call these
//! services, so they cannot disagree.
//!
//! Depends on `parley-core` (rules, types) and `parley-store` (the `Store`
//! trait); knows nothing of HTTP.

pub mod accounts;
pub mod auth;
mod error;
pub mod events;
pub mod instance;
pub mod notifications;
mod password;
pub mod polls;
pub mod settings;
pub mod snapshots;
pub mod statuses;
pub mod timelines;
pub mod views;

use std::sync::Arc;

pub use error::{AppError, Result};
use parley_store::Store;
pub use parley_store::{AccountStatusesFilter, AdminUpdate, FollowOptions};
pub use settings::{RegistrationsMode, Settings};

/// What every service shares: the store, the settings, the live poll state.
pub struct Context {
    pub store: Arc<dyn Store>,
    pub settings: Settings,
    pub polls: polls::PollCache,
    pub events: events::EventHub,
    pub(crate) identities: auth::IdentityCache,
    snapshot_key: tokio::sync::OnceCell<ed25519_dalek::SigningKey>,
}

/// All the use cases, cheap to clone into request handlers.
#[derive(Clone)]
pub struct Services {
    pub ctx: Arc<Context>,
    pub auth: auth::AuthService,
    pub accounts: accounts::AccountService,
    pub statuses: statuses::StatusService,
    pub timelines: timelines::TimelineService,
    pub notifications: notifications::NotificationService,
    pub instance: instance::InstanceService,
    pub polls: polls::PollService,
    pub snapshots: snapshots::SnapshotService,
}

impl Services {
    pub fn new(store: Arc<dyn Store>, settings: Settings) -> Services {
        let ctx = Arc::new(Context {
            store,
            settings,
            polls: polls::PollCache::default(),
            events: events::EventHub::default(),
            identities: auth::IdentityCache::default(),
            snapshot_key: tokio::sync::OnceCell::new(),
        });
        Services {
            auth: auth::AuthService::new(ctx.clone()),
            accounts: accounts::AccountService::new(ctx.clone()),
            statuses: statuses::StatusService::new(ctx.clone()),
            timelines: timelines::TimelineService::new(ctx.clone()),
            notifications: notifications::NotificationService::new(ctx.clone()),
            instance: instance::InstanceService::new(ctx.clone()),
            polls: polls::PollService::new(ctx.clone()),
            snapshots: snapshots::SnapshotService::new(ctx.clone()),
            ctx,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.ctx.settings
    }

    /// Starts the background jobs (poll expiry); they run until the runtime stops.
    pub fn start_jobs(&self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(polls::run_poll_closer(self.ctx.clone()))
    }
}
