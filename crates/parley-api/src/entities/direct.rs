//! Conversation (https://docs.joinmastodon.org/entities/Conversation/) and
//! ScheduledStatus (https://docs.joinmastodon.org/entities/ScheduledStatus/).

use parley_app::ScheduledStatus as ScheduledRow;
use parley_app::Settings;
use parley_app::conversations::ConversationView;
use parley_core::AccountId;
use serde::Serialize;

use super::{Account, Status, timestamp};

#[derive(Debug, Clone, Serialize)]
pub struct Conversation {
    pub id: String,
    pub unread: bool,
    pub accounts: Vec<Account>,
    /// Null when the viewer may no longer see it.
    pub last_status: Option<Status>,
}

impl Conversation {
    pub fn from_view(v: &ConversationView, s: &Settings, viewer: AccountId) -> Conversation {
        Conversation {
            id: v.id.to_string(),
            unread: v.unread,
            accounts: v.accounts.iter().map(|a| Account::from_domain(a, s)).collect(),
            last_status: v.last_status.as_ref().map(|st| Status::from_view(st, s, Some(viewer))),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduledStatus {
    pub id: String,
    pub scheduled_at: String,
    pub params: ScheduledParams,
    /// Statuses carry no media yet.
    pub media_attachments: Vec<serde_json::Value>,
}

/// The parameters the status will be posted with, named as Mastodon's.
#[derive(Debug, Clone, Serialize)]
pub struct ScheduledParams {
    pub text: String,
    pub poll: Option<ScheduledPoll>,
    pub media_ids: Option<Vec<String>>,
    pub sensitive: Option<bool>,
    pub spoiler_text: Option<String>,
    pub visibility: Option<&'static str>,
    pub in_reply_to_id: Option<String>,
    pub language: Option<String>,
    pub application_id: Option<i64>,
    /// Null: it is the status's time, not the parameters', that is scheduled.
    pub scheduled_at: Option<String>,
    pub idempotency: Option<String>,
    pub with_rate_limit: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScheduledPoll {
    pub options: Vec<String>,
    /// Seconds, as a string (Mastodon keeps the form's value).
    pub expires_in: String,
    pub multiple: bool,
    pub hide_totals: bool,
}

impl ScheduledStatus {
    pub fn from_domain(row: &ScheduledRow) -> ScheduledStatus {
        let p = &row.params;
        ScheduledStatus {
            id: row.id.to_string(),
            scheduled_at: timestamp(row.scheduled_at),
            params: ScheduledParams {
                text: p.text.clone(),
                poll: p.poll.as_ref().map(|poll| ScheduledPoll {
                    options: poll.options.clone(),
                    expires_in: poll.expires_in.to_string(),
                    multiple: poll.multiple,
                    hide_totals: poll.hide_totals,
                }),
                media_ids: None,
                sensitive: p.sensitive,
                spoiler_text: Some(p.spoiler_text.clone()).filter(|s| !s.is_empty()),
                visibility: p.visibility.map(|v| v.as_str()),
                in_reply_to_id: p.in_reply_to_id.map(|id| id.to_string()),
                language: p.language.clone(),
                application_id: p.app.map(|a| a.get()),
                scheduled_at: None,
                idempotency: None,
                with_rate_limit: false,
            },
            media_attachments: Vec::new(),
        }
    }
}

impl crate::pagination::ListItem for Conversation {}
impl crate::pagination::ListItem for ScheduledStatus {}
