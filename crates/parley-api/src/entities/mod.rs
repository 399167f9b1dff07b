//! Mastodon's entities, named and shaped as in docs.joinmastodon.org, and
//! the conversions from Parley's domain types and views to them.

mod account;
mod direct;
mod filter;
mod instance;
mod media;
mod misc;
mod notification_group;
mod poll;
mod rendered;
mod status;

use chrono::{DateTime, SecondsFormat, Utc};

pub use account::{Account, AccountJson, CredentialAccount, MutedAccount, Relationship, Role};
pub use direct::{Conversation, ScheduledStatus};
pub use filter::{Filter, FilterKeyword, FilterResult, FilterStatus, V1Filter};
pub use instance::{NODEINFO_VERSIONS, instance_text, instance_v1, instance_v2, nodeinfo, rules, terms_of_service};
pub use media::{FILES_PATH, MediaAttachment, avatar_url, file_url, header_url};
pub use misc::{Application, List, Marker, Notification, Token};
pub use notification_group::{GroupedNotificationsResults, NotificationGroup, PartialAccountWithAvatar};
pub use poll::Poll;
pub use status::{Status, StatusEdit, StatusSource};

/// Mastodon's timestamp format: `2019-12-08T03:48:33.901Z`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
