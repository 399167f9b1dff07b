//! Who may see a status: the one rule every read path applies.
//!
//! Mastodon's `StatusPolicy#show?`: a direct status is seen by its author and
//! the accounts it mentions; a private one also by the author's followers;
//! public and unlisted ones by anyone the author does not block.

use crate::model::Visibility;

/// What the store knows about the viewer relative to one status and its author.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Viewer {
    /// False for anonymous requests (no user token).
    pub signed_in: bool,
    pub is_author: bool,
    pub follows_author: bool,
    pub mentioned: bool,
    pub blocked_by_author: bool,
}

impl Viewer {
    pub const ANONYMOUS: Viewer = Viewer {
        signed_in: false,
        is_author: false,
        follows_author: false,
        mentioned: false,
        blocked_by_author: false,
    };
}

/// May `viewer` see a status of this visibility? Callers answer "no" exactly
/// as they answer "does not exist", so the rule cannot be probed.
pub fn can_view(visibility: Visibility, viewer: Viewer) -> bool {
    if viewer.is_author {
        return true;
    }
    if viewer.blocked_by_author {
        return false;
    }
    match visibility {
        Visibility::Public | Visibility::Unlisted => true,
        Visibility::Private => viewer.signed_in && (viewer.follows_author || viewer.mentioned),
        Visibility::Direct => viewer.signed_in && viewer.mentioned,
    }
}

/// Does a status of this visibility belong on public timelines (public, local, hashtag)?
pub fn listed_publicly(visibility: Visibility) -> bool {
    visibility == Visibility::Public
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
    fn only_public_statuses_are_listed_publicly() {
        assert!(listed_publicly(Public));
        assert!(!listed_publicly(Unlisted));
        assert!(!listed_publicly(Private));
        assert!(!listed_publicly(Direct));
    }
}
