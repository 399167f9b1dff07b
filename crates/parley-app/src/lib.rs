//! Parley's use cases: every rule about who may do what, and the order in
//! which things happen. The HTTP API, the web pages and the CLI all call these
//! services, so they cannot disagree.
//!
//! Depends on `parley-core` (rules, types) and `parley-store` (the `Store`
//! trait); knows nothing of HTTP.

pub mod accounts;
pub mod auth;
pub mod conversations;
mod error;
pub mod events;
pub mod filters;
pub mod instance;
pub mod lists;
pub mod markers;
pub mod media;
pub mod notification_groups;
pub mod notifications;
mod password;
pub mod polls;
pub mod scheduled;
pub mod settings;
pub mod snapshots;
pub mod statuses;
pub mod streaming;
pub mod timelines;
pub mod transparency;
pub mod views;

use std::sync::Arc;

pub use error::{AppError, Result};
use parley_store::Store;
pub use parley_store::{
    AccountStatusesFilter, AdminUpdate, FollowOptions, ListFields, ScheduledStatus, SuggestionSource,
};
pub use settings::{InstanceTexts, RegistrationsMode, Settings};

/// What every service shares: the store, the settings, and the state derived
/// from the store's change log (live polls, identities, the event hub), which
/// only the log changes (see `parley_store::changes`).
pub struct Context {
    pub store: Arc<dyn Store>,
    pub settings: Settings,
    pub polls: Arc<polls::PollCache>,
    pub events: Arc<events::EventHub>,
    pub(crate) identities: Arc<auth::IdentityCache>,
    /// Where media files are kept.
    pub files: parley_store::files::MediaFiles,
    pub(crate) media_pool: media::MediaPool,
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
    pub markers: markers::MarkerService,
    pub conversations: conversations::ConversationService,
    pub scheduled: scheduled::ScheduledService,
    pub lists: lists::ListService,
    pub filters: filters::FilterService,
    pub polls: polls::PollService,
    pub media: media::MediaService,
    pub snapshots: snapshots::SnapshotService,
    pub logs: transparency::LogService,
    pub streaming: streaming::StreamingService,
}

impl Services {
    pub fn new(store: Arc<dyn Store>, settings: Settings, files: parley_store::files::MediaFiles) -> Services {
        let media_pool = media::MediaPool::new(settings.media.workers);
        let ctx = Arc::new(Context {
            store,
            settings,
            files,
            media_pool,
            polls: Arc::default(),
            events: Arc::default(),
            identities: Arc::default(),
        });
        ctx.store.subscribe(ctx.polls.clone());
        ctx.store.subscribe(ctx.identities.clone());
        ctx.store.subscribe(ctx.events.clone());
        Services {
            auth: auth::AuthService::new(ctx.clone()),
            accounts: accounts::AccountService::new(ctx.clone()),
            statuses: statuses::StatusService::new(ctx.clone()),
            timelines: timelines::TimelineService::new(ctx.clone()),
            notifications: notifications::NotificationService::new(ctx.clone()),
            instance: instance::InstanceService::new(ctx.clone()),
            markers: markers::MarkerService::new(ctx.clone()),
            conversations: conversations::ConversationService::new(ctx.clone()),
            scheduled: scheduled::ScheduledService::new(ctx.clone()),
            lists: lists::ListService::new(ctx.clone()),
            filters: filters::FilterService::new(ctx.clone()),
            polls: polls::PollService::new(ctx.clone()),
            media: media::MediaService::new(ctx.clone()),
            snapshots: snapshots::SnapshotService::new(ctx.clone()),
            logs: transparency::LogService::new(ctx.clone()),
            streaming: streaming::StreamingService::new(ctx.clone()),
            ctx,
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.ctx.settings
    }

    /// [`Self::check_derived_state`] for an administrator's token
    /// (`GET /api/v1/parley/admin/derived_state`): role admin, scope `admin:read`.
    pub async fn check_derived_state_as(&self, who: &auth::Identity) -> Result<Vec<String>> {
        who.require_scope("admin:read")?;
        if who.user()?.role != parley_core::model::Role::Admin {
            return Err(AppError::forbidden());
        }
        self.check_derived_state().await
    }

    /// Rebuilds every derived structure from the database and compares it
    /// with the live one (after applying everything the log holds): the
    /// differences, none when derived state follows the log. For a quiet
    /// moment: a write landing meanwhile may show as a passing difference.
    pub async fn check_derived_state(&self) -> Result<Vec<String>> {
        let mut found = self.ctx.store.check_derived().await?;
        found.extend(self.ctx.polls.differences(&self.ctx).await?);
        found.extend(self.ctx.identities.differences(&self.ctx).await?);
        Ok(found)
    }

    /// Starts the background jobs (poll expiry, poll log checkpoints, mute
    /// expiry, scheduled statuses); they run until
    /// the runtime stops, or until the handle is aborted.
    pub fn start_jobs(&self) -> tokio::task::JoinHandle<()> {
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            tokio::join!(
                polls::run_poll_closer(ctx.clone()),
                transparency::run_checkpointer(ctx.clone()),
                accounts::run_mute_expirer(ctx.clone()),
                media::run_media_cleaner(ctx.clone()),
                scheduled::run_scheduler(ctx)
            );
        })
    }
}
