//! How notifications are grouped (Mastodon 4.3's grouped notifications,
//! `app/models/concerns/notification/groups.rb`): the rule that gives a new
//! notification its group key, and the keys' two forms.
//!
//! Favourites and boosts of one status, and follows, are grouped; every other
//! kind stands alone. A group spans at most [`MAXIMUM_GROUP_SPAN_HOURS`]
//! hour-buckets counted from the bucket it started in, so a status favourited
//! again a day later starts a new group.

use chrono::{DateTime, Utc};

use crate::model::NotificationKind;
use crate::{NotificationId, StatusId};

/// The kinds that are grouped (Mastodon also groups `admin.sign_up`, which
/// Parley does not send).
pub const GROUPABLE: [NotificationKind; 3] =
    [NotificationKind::Favourite, NotificationKind::Reblog, NotificationKind::Follow];

/// How many hour-buckets one group may span.
pub const MAXIMUM_GROUP_SPAN_HOURS: i64 = 12;

/// How many of a group's most recent senders it names (`sample_account_ids`).
pub const SAMPLE_ACCOUNTS: usize = 8;

/// What groups a notification together with others before its time bucket:
/// `favourite-<status>`, `reblog-<status>`, `follow`; `None` for a kind that
/// is never grouped.
pub fn group_prefix(kind: NotificationKind, status: Option<StatusId>) -> Option<String> {
    match (kind, status) {
        (NotificationKind::Favourite | NotificationKind::Reblog, Some(status)) => {
            Some(format!("{}-{}", kind.as_str(), status))
        }
        (NotificationKind::Follow, _) => Some("follow".to_string()),
        _ => None,
    }
}

/// The hour-bucket of a notification made at `at`, given the bucket of the
/// newest group with the same prefix: that group is joined while it spans
/// fewer than [`MAXIMUM_GROUP_SPAN_HOURS`] buckets.
pub fn group_bucket(at: DateTime<Utc>, previous: Option<i64>) -> i64 {
    let bucket = at.timestamp().div_euclid(3600);
    match previous {
        Some(previous) if bucket < previous + MAXIMUM_GROUP_SPAN_HOURS => previous,
        _ => bucket,
    }
}

/// `<prefix>-<bucket>`, as stored with the notification.
pub fn group_key(prefix: &str, bucket: i64) -> String {
    format!("{prefix}-{bucket}")
}

/// The bucket at the end of a stored group key.
pub fn bucket_of(key: &str) -> Option<i64> {
    key.rsplit_once('-')?.1.parse().ok()
}

/// The key of a group of one: a notification that is not grouped.
pub fn ungrouped_key(id: NotificationId) -> String {
    format!("ungrouped-{id}")
}

/// A group key as a client sends it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupKey {
    /// `ungrouped-<id>`: that one notification.
    Single(NotificationId),
    /// A stored key: every notification that carries it.
    Stored(String),
}

impl GroupKey {
    pub fn parse(raw: &str) -> GroupKey {
        match raw.strip_prefix("ungrouped-").and_then(|id| id.parse().ok()) {
            Some(id) => GroupKey::Single(id),
            None => GroupKey::Stored(raw.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(h * 3600 + 59, 0).unwrap_or_default()
    }

    #[test]
    fn favourites_and_boosts_group_by_status_follows_by_kind_others_never() {
        let s = Some(StatusId(42));
        assert_eq!(group_prefix(NotificationKind::Favourite, s).as_deref(), Some("favourite-42"));
        assert_eq!(group_prefix(NotificationKind::Reblog, s).as_deref(), Some("reblog-42"));
        assert_eq!(group_prefix(NotificationKind::Follow, None).as_deref(), Some("follow"));
        for kind in [
            NotificationKind::Mention,
            NotificationKind::Status,
            NotificationKind::FollowRequest,
            NotificationKind::Poll,
            NotificationKind::Update,
        ] {
            assert_eq!(group_prefix(kind, s), None, "{kind:?}");
        }
    }

    #[test]
    fn a_group_spans_at_most_twelve_hour_buckets_from_its_start() {
        assert_eq!(group_bucket(hour(100), None), 100);
        assert_eq!(group_bucket(hour(111), Some(100)), 100);
        assert_eq!(group_bucket(hour(112), Some(100)), 112);
        assert_eq!(group_key("favourite-42", 100), "favourite-42-100");
        assert_eq!(bucket_of("favourite-42-100"), Some(100));
        assert_eq!(bucket_of("follow-7"), Some(7));
    }

    #[test]
    fn keys_sent_back_name_one_notification_or_a_stored_group() {
        assert_eq!(GroupKey::parse("ungrouped-5"), GroupKey::Single(NotificationId(5)));
        assert_eq!(GroupKey::parse("follow-7"), GroupKey::Stored("follow-7".into()));
        assert_eq!(GroupKey::parse("ungrouped-x"), GroupKey::Stored("ungrouped-x".into()));
    }
}
