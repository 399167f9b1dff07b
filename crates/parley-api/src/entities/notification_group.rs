//! GroupedNotificationsResults and NotificationGroup (Mastodon 4.3,
//! https://docs.joinmastodon.org/entities/GroupedNotificationsResults/).

use std::collections::HashSet;
use std::sync::Arc;

use parley_app::Settings;
use parley_app::notification_groups::GroupView;
use parley_core::AccountId;
use parley_core::model::{self, NotificationKind};
use serde::Serialize;

use super::{AccountJson, Status, timestamp};

#[derive(Debug, Clone, Serialize)]
pub struct NotificationGroup {
    pub group_key: String,
    pub notifications_count: i64,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub most_recent_notification_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_min_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_max_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_page_notification_at: Option<String>,
    pub sample_account_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_id: Option<String>,
}

impl NotificationGroup {
    pub fn from_view(g: &GroupView) -> NotificationGroup {
        let n = &g.notification.notification;
        NotificationGroup {
            group_key: g.key.clone(),
            notifications_count: g.count,
            kind: n.kind.as_str(),
            most_recent_notification_id: g.most_recent.to_string(),
            page_min_id: g.page.map(|(min, _)| min.to_string()),
            page_max_id: g.page.map(|_| g.most_recent.to_string()),
            latest_page_notification_at: g.page.map(|(_, at)| timestamp(at)),
            sample_account_ids: g.sample_accounts.iter().map(|a| a.id.to_string()).collect(),
            status_id: has_status(n.kind)
                .then(|| g.notification.status.as_ref().map(|s| s.status.id.to_string()))
                .flatten(),
        }
    }
}

/// The kinds whose group names a status (`status_id`), as Mastodon's serializer.
fn has_status(kind: NotificationKind) -> bool {
    matches!(
        kind,
        NotificationKind::Favourite
            | NotificationKind::Reblog
            | NotificationKind::Status
            | NotificationKind::Mention
            | NotificationKind::Poll
            | NotificationKind::Update
    )
}

/// An account as `expand_accounts=partial_avatars` lists the ones it does not expand.
#[derive(Debug, Clone, Serialize)]
pub struct PartialAccountWithAvatar {
    pub id: String,
    pub acct: String,
    pub url: String,
    pub avatar: String,
    pub avatar_static: String,
    pub locked: bool,
    pub bot: bool,
}

impl PartialAccountWithAvatar {
    fn from_domain(a: &model::Account, s: &Settings) -> Self {
        let avatar = super::avatar_url(a, s);
        PartialAccountWithAvatar {
            id: a.id.to_string(),
            acct: a.username.clone(),
            url: s.account_url(&a.username),
            avatar_static: avatar.clone(),
            avatar,
            locked: a.locked,
            bot: a.bot,
        }
    }
}

/// The answer of `GET /api/v2/notifications` and `/:group_key`: each
/// account and status once, and the groups naming them by ID.
#[derive(Debug, Clone, Serialize)]
pub struct GroupedNotificationsResults {
    pub accounts: Vec<AccountJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partial_accounts: Option<Vec<PartialAccountWithAvatar>>,
    pub statuses: Vec<Status>,
    pub notification_groups: Vec<NotificationGroup>,
}

impl GroupedNotificationsResults {
    /// With `partial` (`expand_accounts=partial_avatars`), only each group's
    /// most recent sender and the statuses' authors are full accounts; the
    /// other senders are listed partially.
    pub fn from_views(groups: &[GroupView], s: &Settings, me: AccountId, partial: bool) -> Self {
        let mut full: Vec<Arc<model::Account>> = Vec::new();
        let mut rest: Vec<Arc<model::Account>> = Vec::new();
        let mut statuses = Vec::new();
        let mut seen_statuses = HashSet::new();
        for g in groups {
            for (i, a) in g.sample_accounts.iter().enumerate() {
                if i == 0 || !partial { full.push(Arc::clone(a)) } else { rest.push(Arc::clone(a)) }
            }
            if let Some(status) = &g.notification.status {
                full.push(Arc::clone(&status.account));
                if seen_statuses.insert(status.status.id) {
                    statuses.push(Status::from_view(status, s, Some(me)));
                }
            }
        }
        let mut listed = HashSet::new();
        full.retain(|a| listed.insert(a.id));
        rest.retain(|a| listed.insert(a.id));
        GroupedNotificationsResults {
            accounts: full.iter().map(|a| AccountJson::from_shared(a, s)).collect(),
            partial_accounts: partial
                .then(|| rest.iter().map(|a| PartialAccountWithAvatar::from_domain(a, s)).collect()),
            statuses,
            notification_groups: groups.iter().map(NotificationGroup::from_view).collect(),
        }
    }
}
