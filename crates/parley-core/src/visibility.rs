//! Who may see a status: the one rule every read path applies.
//!
//! Mastodon's `StatusPolicy#show?`: a direct status is seen by its author and
//! the accounts it mentions; a private one also by the author's followers;
//! public and unlisted ones by anyone the author does not block. Nobody but
//! the author sees the statuses of an account that is gone for others
//! ([`account_shown`]), and a boost shows only what its original shows.

use crate::AccountId;
use crate::model::{Account, Visibility};

/// Is `account` shown to `viewer`? A suspended account, and one awaiting an
/// administrator's approval, exist only for themselves: to everyone else they
/// answer like a missing account (not listed, counted, followed or mentioned).
pub fn account_shown(account: &Account, viewer: Option<AccountId>) -> bool {
    viewer == Some(account.id) || (!account.suspended && account.approved)
}

/// What the store knows about the viewer relative to one status and its author.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewer {
    /// False for anonymous requests (no user token).
    pub signed_in: bool,
    pub is_author: bool,
    pub follows_author: bool,
    pub mentioned: bool,
    pub blocked_by_author: bool,
    /// The author is not shown to the viewer ([`account_shown`] is false).
    pub author_gone: bool,
}

impl Viewer {
    pub const ANONYMOUS: Viewer = Viewer {
        signed_in: false,
        is_author: false,
        follows_author: false,
        mentioned: false,
        blocked_by_author: false,
        author_gone: false,
    };
}

/// May `viewer` see a status of this visibility? Callers answer "no" exactly
/// as they answer "does not exist", so the rule cannot be probed.
pub fn can_view(visibility: Visibility, viewer: Viewer) -> bool {
    if viewer.is_author {
        return true;
    }
    if viewer.blocked_by_author || viewer.author_gone {
        return false;
    }
    match visibility {
        Visibility::Public | Visibility::Unlisted => true,
        Visibility::Private => viewer.signed_in && (viewer.follows_author || viewer.mentioned),
        Visibility::Direct => viewer.signed_in && viewer.mentioned,
    }
}

/// May the viewer see a boost? Only when they may see both the boost and the
/// status it boosts (its author suspended, blocking the viewer, or the
/// original followers-only: the boost shows nothing).
pub fn can_view_boost(boost: (Visibility, Viewer), original: (Visibility, Viewer)) -> bool {
    can_view(boost.0, boost.1) && can_view(original.0, original.1)
}

/// Does a status of this visibility belong on public timelines (public, local, hashtag)?
pub fn listed_publicly(visibility: Visibility) -> bool {
    visibility == Visibility::Public
}

/// Does a status of this visibility count in its author's `statuses_count`
/// and move `last_status_at`? Mastodon leaves direct messages out
/// (`Status#increment_counter_caches` returns early for them).
pub fn counted_in_statuses(visibility: Visibility) -> bool {
    visibility != Visibility::Direct
}

/// Does a reply of this visibility count in its parent's `replies_count`?
/// Mastodon counts distributable replies only: public and unlisted.
pub fn counted_in_replies(visibility: Visibility) -> bool {
    matches!(visibility, Visibility::Public | Visibility::Unlisted)
}

/// Does a new status tell the followers who asked to be notified
/// (`notify=true`) with a `status` notification? Mastodon's
/// `FeedInsertWorker#notify?` skips replies to someone else (a self-reply,
/// a thread, notifies); direct messages never reach its follower fan-out.
pub fn notifies_subscribers(visibility: Visibility, author: AccountId, in_reply_to_account: Option<AccountId>) -> bool {
    visibility != Visibility::Direct && in_reply_to_account.is_none_or(|parent_author| parent_author == author)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Visibility::*;

    fn viewer(f: impl FnOnce(&mut Viewer)) -> Viewer {
        let mut v = Viewer { signed_in: true, ..Viewer::default() };
        f(&mut v);
        v
    }

    #[test]
    fn the_matrix_of_viewers_and_levels() {
        let anonymous = Viewer::ANONYMOUS;
        let stranger = viewer(|_| {});
        let follower = viewer(|v| v.follows_author = true);
        let mentioned = viewer(|v| v.mentioned = true);
        let blocked = viewer(|v| {
            v.blocked_by_author = true;
            v.mentioned = true;
        });
        let author = viewer(|v| v.is_author = true);
        // (visibility, [anonymous, stranger, follower, mentioned, blocked, author])
        let expected = [
            (Public, [true, true, true, true, false, true]),
            (Unlisted, [true, true, true, true, false, true]),
            (Private, [false, false, true, true, false, true]),
            (Direct, [false, false, false, true, false, true]),
        ];
        for (vis, row) in expected {
            let got = [anonymous, stranger, follower, mentioned, blocked, author].map(|v| can_view(vis, v));
            assert_eq!(got, row, "{vis:?}");
        }
    }

    #[test]
    fn a_gone_authors_statuses_are_seen_by_the_author_only() {
        let gone = |f: fn(&mut Viewer)| {
            viewer(|v| {
                v.author_gone = true;
                f(v)
            })
        };
        for vis in [Public, Unlisted, Private, Direct] {
            assert!(!can_view(vis, Viewer { author_gone: true, ..Viewer::ANONYMOUS }), "{vis:?}");
            assert!(!can_view(vis, gone(|v| v.follows_author = true)), "{vis:?}");
            assert!(!can_view(vis, gone(|v| v.mentioned = true)), "{vis:?}");
            assert!(can_view(vis, gone(|v| v.is_author = true)), "{vis:?}");
        }
    }

    #[test]
    fn a_boost_shows_only_what_its_original_shows() {
        let stranger = viewer(|_| {});
        let gone = viewer(|v| v.author_gone = true);
        let blocked = viewer(|v| v.blocked_by_author = true);
        assert!(can_view_boost((Public, stranger), (Public, stranger)));
        assert!(!can_view_boost((Public, stranger), (Public, gone)));
        assert!(!can_view_boost((Public, stranger), (Public, blocked)));
        assert!(!can_view_boost((Public, stranger), (Private, stranger)));
        assert!(!can_view_boost((Private, stranger), (Public, stranger)));
    }

    #[test]
    fn suspended_and_unapproved_accounts_are_shown_only_to_themselves() {
        let account = |suspended, approved| Account {
            id: AccountId(7),
            username: "a".into(),
            display_name: String::new(),
            note: String::new(),
            note_html: String::new(),
            fields: Vec::new(),
            locked: false,
            bot: false,
            created_at: chrono::DateTime::UNIX_EPOCH,
            role: crate::model::Role::User,
            organisation: None,
            approved,
            suspended,
            followers_count: 0,
            following_count: 0,
            statuses_count: 0,
            last_status_at: None,
            domain: None,
            avatar: None,
            header: None,
        };
        let others = [None, Some(AccountId(8))];
        for (suspended, approved, shown) in [(false, true, true), (true, true, false), (false, false, false)] {
            let a = account(suspended, approved);
            for viewer in others {
                assert_eq!(account_shown(&a, viewer), shown, "suspended {suspended}, approved {approved}");
            }
            assert!(account_shown(&a, Some(AccountId(7))));
        }
    }

    #[test]
    fn only_public_statuses_are_listed_publicly() {
        assert!(listed_publicly(Public));
        assert!(!listed_publicly(Unlisted));
        assert!(!listed_publicly(Private));
        assert!(!listed_publicly(Direct));
    }

    #[test]
    fn subscribers_hear_of_posts_and_threads_not_replies_to_others_or_direct_messages() {
        let (author, other) = (AccountId(1), AccountId(2));
        for v in [Public, Unlisted, Private] {
            assert!(notifies_subscribers(v, author, None));
            assert!(notifies_subscribers(v, author, Some(author)));
            assert!(!notifies_subscribers(v, author, Some(other)));
        }
        assert!(!notifies_subscribers(Direct, author, None));
    }
}
