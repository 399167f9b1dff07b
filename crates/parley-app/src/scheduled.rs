//! Scheduled statuses (https://docs.joinmastodon.org/methods/scheduled_statuses/
//! and `scheduled_at` on `POST /api/v1/statuses`), and the scheduler that
//! publishes them.
//!
//! A status is checked as if posted when it is scheduled (Mastodon validates
//! it then too), and checked and rendered again when it is published, as its
//! author could post it at that moment: mentions resolve then, and a poll
//! opens then. Publishing posts the status and deletes the scheduled row in
//! one store transaction that does nothing if the row is gone, so each is
//! published once, whichever process or restart gets there first; a server
//! that was down publishes what fell due meanwhile when it starts.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use parley_core::ScheduledStatusId;
use parley_core::model::Account;
use parley_core::page::PageRequest;
use parley_store::{ScheduledParams, ScheduledPoll, ScheduledStatus};

use crate::statuses::{CreateStatus, PollRequest, StatusService};
use crate::views::StatusView;
use crate::{AppError, Context, Result};

/// What `POST /api/v1/statuses` did.
#[derive(Debug, Clone)]
pub enum Posted {
    Now(Box<StatusView>),
    Scheduled(ScheduledStatus),
}

#[derive(Clone)]
pub struct ScheduledService {
    ctx: Arc<Context>,
    statuses: StatusService,
}

/// Scheduled statuses published per round of the scheduler, at most.
const ROUND: usize = 100;
/// The scheduler looks again at least this often (another process may have
/// scheduled something sooner), and waits at least this long between rounds.
const TICK: std::time::Duration = std::time::Duration::from_secs(1);
const MIN_WAIT: std::time::Duration = std::time::Duration::from_millis(20);

impl ScheduledService {
    pub fn new(ctx: Arc<Context>) -> Self {
        ScheduledService { statuses: StatusService::new(ctx.clone()), ctx }
    }

    /// `POST /api/v1/statuses`, with or without `scheduled_at`. A time that
    /// has passed posts now, as Mastodon; one sooner than the minimum lead
    /// (5 minutes) is refused.
    pub async fn post(&self, author: &Account, req: CreateStatus, at: Option<DateTime<Utc>>) -> Result<Posted> {
        let now = Utc::now();
        let Some(at) = at.filter(|at| *at > now) else {
            return Ok(Posted::Now(Box::new(self.statuses.create(author, req).await?)));
        };
        self.check_lead(at, now)?;
        if !req.media_ids.is_empty() {
            // An upload would be removed as unattached before a post a day ahead came out.
            return Err(AppError::validation("Validation failed: Scheduled posts cannot carry media attachments yet"));
        }
        // Checked as if posted now (the rendering is thrown away).
        let checked = self.statuses.prepare(author, req.clone()).await?;
        let params = ScheduledParams {
            text: req.text,
            visibility: Some(checked.visibility),
            in_reply_to_id: req.in_reply_to_id,
            spoiler_text: req.spoiler_text,
            sensitive: Some(checked.sensitive),
            language: checked.language,
            poll: req.poll.map(|p| ScheduledPoll {
                options: p.options,
                expires_in: p.expires_in.unwrap_or_default(),
                multiple: p.multiple,
                hide_totals: p.hide_totals,
                min_account_age_days: p.min_account_age_days,
                local_only: p.local_only,
            }),
            app: req.app,
        };
        Ok(Posted::Scheduled(self.ctx.store.schedule_status(author.id, at, params).await?))
    }

    fn check_lead(&self, at: DateTime<Utc>, now: DateTime<Utc>) -> Result<()> {
        let lead = chrono::Duration::from_std(self.ctx.settings.min_schedule_lead).unwrap_or(chrono::Duration::MAX);
        if at < now + lead {
            return Err(AppError::validation(
                "Validation failed: Scheduled at The scheduled date must be in the future",
            ));
        }
        Ok(())
    }

    /// `GET /api/v1/scheduled_statuses`
    pub async fn list(&self, me: &Account, page: PageRequest) -> Result<Vec<ScheduledStatus>> {
        Ok(self.ctx.store.scheduled_statuses_of(me.id, page).await?)
    }

    /// `GET /api/v1/scheduled_statuses/:id`
    pub async fn get(&self, me: &Account, id: ScheduledStatusId) -> Result<ScheduledStatus> {
        self.ctx.store.find_scheduled_status(me.id, id).await?.ok_or(AppError::NotFound)
    }

    /// `PUT /api/v1/scheduled_statuses/:id`: a new time, with the same rule.
    pub async fn reschedule(&self, me: &Account, id: ScheduledStatusId, at: DateTime<Utc>) -> Result<ScheduledStatus> {
        self.check_lead(at, Utc::now())?;
        Ok(self.ctx.store.reschedule_status(me.id, id, at).await?)
    }

    /// `DELETE /api/v1/scheduled_statuses/:id`
    pub async fn cancel(&self, me: &Account, id: ScheduledStatusId) -> Result<()> {
        if self.ctx.store.cancel_scheduled_status(me.id, id).await? { Ok(()) } else { Err(AppError::NotFound) }
    }

    /// Publishes what is due at `now`: how many were published. One that
    /// fails does not hold up the others; the first failure is returned
    /// after all were tried (the scheduler then waits a tick).
    pub async fn publish_due(&self, now: DateTime<Utc>) -> Result<usize> {
        let mut published = 0;
        let mut failed = None;
        for due in self.ctx.store.due_scheduled_statuses(now, ROUND).await? {
            let id = due.id;
            match self.publish(due).await {
                Ok(true) => published += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(scheduled = %id, error = %e, "publishing a scheduled status failed");
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(published),
        }
    }

    /// Publishes one, or drops it when it can no longer be posted (its author
    /// is gone or suspended, or it breaks a rule now), as Mastodon's worker
    /// drops an invalid one. A store failure is returned: it is tried again.
    async fn publish(&self, due: ScheduledStatus) -> Result<bool> {
        let ctx = &self.ctx;
        let author = match ctx.store.find_account(due.account).await? {
            Some(a) if !a.suspended => a,
            _ => return self.drop_unpostable(&due, "its author is gone or suspended").await,
        };
        let p = due.params.clone();
        let mut req = CreateStatus {
            text: p.text,
            in_reply_to_id: p.in_reply_to_id,
            visibility: p.visibility,
            spoiler_text: p.spoiler_text,
            sensitive: p.sensitive,
            language: p.language,
            idempotency_key: None,
            app: p.app,
            created_at: None,
            poll: p.poll.map(|p| PollRequest {
                options: p.options,
                expires_in: Some(p.expires_in),
                multiple: p.multiple,
                hide_totals: p.hide_totals,
                min_account_age_days: p.min_account_age_days,
                local_only: p.local_only,
            }),
            media_ids: Vec::new(),
        };
        let new = match self.statuses.prepare(&author, req.clone()).await {
            Ok(new) => new,
            // The status it replied to is gone or hidden: posted as no reply (Mastodon's `find_by`).
            Err(AppError::NotFound) if req.in_reply_to_id.is_some() => {
                req.in_reply_to_id = None;
                match self.statuses.prepare(&author, req).await {
                    Ok(new) => new,
                    Err(AppError::Validation(why)) => return self.drop_unpostable(&due, &why).await,
                    Err(e) => return Err(e),
                }
            }
            Err(AppError::Validation(why)) => return self.drop_unpostable(&due, &why).await,
            Err(e) => return Err(e),
        };
        Ok(ctx.store.publish_scheduled_status(due.id, new).await?.is_some())
    }

    async fn drop_unpostable(&self, due: &ScheduledStatus, why: &str) -> Result<bool> {
        tracing::warn!(scheduled = %due.id, reason = why, "scheduled status cannot be posted; dropped");
        self.ctx.store.cancel_scheduled_status(due.account, due.id).await?;
        Ok(false)
    }
}

/// The scheduler: publishes due statuses, then sleeps until the next is due
/// (within a tick, so one scheduled by another process is seen).
pub async fn run_scheduler(ctx: Arc<Context>) {
    let service = ScheduledService::new(ctx.clone());
    loop {
        let wait = match service.publish_due(Utc::now()).await {
            Err(e) => {
                tracing::error!(error = %e, "publishing scheduled statuses failed; trying again in a tick");
                TICK
            }
            Ok(n) if n == ROUND => MIN_WAIT,
            Ok(_) => match ctx.store.next_scheduled_time().await {
                Ok(Some(at)) => (at - Utc::now()).to_std().unwrap_or_default().clamp(MIN_WAIT, TICK),
                Ok(None) => TICK,
                Err(e) => {
                    tracing::error!(error = %e, "reading when the next scheduled status is due failed");
                    TICK
                }
            },
        };
        tokio::time::sleep(wait).await;
    }
}

/// `scheduled_at` as a client sends it: an ISO 8601 time, with an offset or
/// in UTC; anything else is refused (422), never read as "now".
pub fn parse_scheduled_at(raw: &str) -> Result<DateTime<Utc>> {
    let raw = raw.trim();
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%.f").map(|t| t.and_utc()))
        .map_err(|_| AppError::validation("Validation failed: Scheduled at is invalid"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scheduled_at_is_iso_8601_with_or_without_an_offset() {
        let at = parse_scheduled_at("2030-01-02T03:04:05.000Z").expect("utc");
        assert_eq!(at.to_rfc3339(), "2030-01-02T03:04:05+00:00");
        assert_eq!(parse_scheduled_at("2030-01-02T05:04:05+02:00").expect("offset"), at);
        assert_eq!(parse_scheduled_at("2030-01-02T03:04:05").expect("naive"), at);
        assert!(matches!(parse_scheduled_at("tomorrow"), Err(AppError::Validation(_))));
        assert!(matches!(parse_scheduled_at(""), Err(AppError::Validation(_))));
    }
}
