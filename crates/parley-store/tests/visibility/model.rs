//! The oracle: what each listing must return, computed from the model of the
//! world with `parley_core::visibility` (the one rule), never with SQL.
//! Besides the rule, each listing keeps only its own selection (an author, a
//! tag, the home sources…) and what a listing leaves out as Mastodon does
//! (the viewer's blocks and mutes: [`Model::hides`]).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parley_core::model::{Account, RepliesPolicy, Visibility};
use parley_core::visibility::{
    Viewer, account_shown, can_view, can_view_boost, counted_in_replies, counted_in_statuses, listed_publicly,
};
use parley_core::{AccountId, StatusId};
use parley_store::AccountStatusesFilter;

#[derive(Debug, Clone)]
pub struct ModelStatus {
    pub id: StatusId,
    pub author: AccountId,
    pub visibility: Visibility,
    pub mentions: Vec<AccountId>,
    pub reply_to: Option<(StatusId, AccountId)>,
    pub reblog_of: Option<StatusId>,
    pub tag: Option<&'static str>,
    pub pinned: bool,
}

#[derive(Debug, Default)]
pub struct Model {
    pub account_ids: Vec<AccountId>,
    /// As read back after every write (standing: suspended, approved).
    pub accounts: HashMap<AccountId, Arc<Account>>,
    /// (follower, target) → show_reblogs
    pub follows: HashMap<(AccountId, AccountId), bool>,
    pub blocks: HashSet<(AccountId, AccountId)>,
    pub mutes: HashSet<(AccountId, AccountId)>,
    /// Live statuses, oldest first (IDs grow with time).
    pub statuses: Vec<ModelStatus>,
    /// (account, status), oldest first.
    pub favourites: Vec<(AccountId, StatusId)>,
}

impl Model {
    pub fn status(&self, id: StatusId) -> Option<&ModelStatus> {
        self.statuses.iter().find(|s| s.id == id)
    }

    fn shown(&self, account: AccountId, viewer: Option<AccountId>) -> bool {
        self.accounts.get(&account).is_some_and(|a| account_shown(a, viewer))
    }

    /// The viewer as `can_view` knows them, towards one status.
    pub fn viewer_of(&self, s: &ModelStatus, viewer: Option<AccountId>) -> Viewer {
        let author_gone = !self.shown(s.author, viewer);
        let Some(me) = viewer else {
            return Viewer { author_gone, ..Viewer::ANONYMOUS };
        };
        Viewer {
            signed_in: true,
            is_author: me == s.author,
            follows_author: self.follows.contains_key(&(me, s.author)),
            mentioned: s.mentions.contains(&me),
            blocked_by_author: self.blocks.contains(&(s.author, me)),
            author_gone,
        }
    }

    /// `can_view`, or `can_view_boost` for a boost.
    pub fn visible(&self, s: &ModelStatus, viewer: Option<AccountId>) -> bool {
        match s.reblog_of {
            None => can_view(s.visibility, self.viewer_of(s, viewer)),
            Some(o) => self.status(o).is_some_and(|o| {
                can_view_boost((s.visibility, self.viewer_of(s, viewer)), (o.visibility, self.viewer_of(o, viewer)))
            }),
        }
    }

    fn blocks_or_mutes(&self, viewer: Option<AccountId>, author: AccountId) -> bool {
        viewer.is_some_and(|me| {
            me != author && (self.blocks.contains(&(me, author)) || self.mutes.contains(&(me, author)))
        })
    }

    /// What a listing leaves out although the rule admits it: statuses by
    /// an author the viewer blocks or mutes, and boosts of one.
    pub fn hides(&self, s: &ModelStatus, viewer: Option<AccountId>) -> bool {
        self.blocks_or_mutes(viewer, s.author) || self.original_hidden(s, viewer)
    }

    fn original_hidden(&self, s: &ModelStatus, viewer: Option<AccountId>) -> bool {
        s.reblog_of.and_then(|o| self.status(o)).is_some_and(|o| self.blocks_or_mutes(viewer, o.author))
    }

    fn newest_first(&self, keep: impl Fn(&ModelStatus) -> bool) -> Vec<i64> {
        self.statuses.iter().rev().filter(|s| keep(s)).map(|s| s.id.0).collect()
    }

    /// The public timeline, or a hashtag's: public originals.
    pub fn public(&self, viewer: Option<AccountId>, tag: Option<&str>) -> Vec<i64> {
        self.newest_first(|s| {
            s.reblog_of.is_none()
                && listed_publicly(s.visibility)
                && tag.is_none_or(|t| s.tag == Some(t))
                && self.visible(s, viewer)
                && !self.hides(s, viewer)
        })
    }

    /// An account's statuses (Mastodon's `AccountStatusesFilter`: its own
    /// statuses as the rule allows, boosts of hidden authors left out).
    pub fn account_statuses(
        &self,
        viewer: Option<AccountId>,
        account: AccountId,
        f: AccountStatusesFilter,
    ) -> Vec<i64> {
        self.newest_first(|s| {
            s.author == account
                && !(f.exclude_replies && s.reply_to.is_some_and(|(_, to)| to != account))
                && !(f.exclude_reblogs && s.reblog_of.is_some())
                && (!f.pinned || s.pinned)
                && self.visible(s, viewer)
                && !self.original_hidden(s, viewer)
        })
    }

    /// Status search: originals containing the word.
    pub fn search(&self, viewer: AccountId) -> Vec<i64> {
        self.newest_first(|s| s.reblog_of.is_none() && self.visible(s, Some(viewer)) && !self.hides(s, Some(viewer)))
    }

    /// Hashtag search for `prefix`: tags of statuses anyone may see, the exact
    /// match first, then the most used.
    pub fn search_tags(&self, prefix: &str) -> Vec<String> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for s in &self.statuses {
            if let Some(t) = s.tag
                && t.starts_with(prefix)
                && self.visible(s, None)
            {
                *counts.entry(t).or_default() += 1;
            }
        }
        let mut tags: Vec<(&str, usize)> = counts.into_iter().collect();
        tags.sort_by_key(|&(t, n)| (t != prefix, std::cmp::Reverse(n), t));
        tags.into_iter().map(|(t, _)| t.to_string()).collect()
    }

    /// Who boosted `original` (which the viewer may see), newest boost
    /// first: boosts the viewer may see, by accounts the viewer neither
    /// blocks nor mutes (Mastodon's `RebloggedByAccountsController`).
    pub fn reblogged_by(&self, viewer: Option<AccountId>, original: StatusId) -> Vec<i64> {
        self.statuses
            .iter()
            .rev()
            .filter(|b| {
                b.reblog_of == Some(original) && self.visible(b, viewer) && !self.blocks_or_mutes(viewer, b.author)
            })
            .map(|b| b.author.0)
            .collect()
    }

    /// Who favourited `status`, newest first: accounts shown to others.
    pub fn favourited_by(&self, status: StatusId) -> Vec<i64> {
        self.favourites.iter().rev().filter(|(a, s)| *s == status && self.shown(*a, None)).map(|(a, _)| a.0).collect()
    }

    /// The home timeline: the home rules (sources, boosts shown, replies)
    /// and then the visibility rule and the viewer's blocks and mutes.
    pub fn home(&self, me: AccountId) -> Vec<i64> {
        self.newest_first(|s| self.in_home(s, me))
    }

    pub fn in_home(&self, s: &ModelStatus, me: AccountId) -> bool {
        let follows = |t: AccountId| t == me || self.follows.contains_key(&(me, t));
        let reblogs_shown = s.reblog_of.is_none() || s.author == me || self.follows.get(&(me, s.author)) == Some(&true);
        let reply_ok = match s.reply_to {
            None => true,
            Some((_, to)) => s.author == me || to == s.author || follows(to),
        };
        follows(s.author) && reblogs_shown && reply_ok && self.visible(s, Some(me)) && !self.hides(s, Some(me))
    }

    /// A list timeline of `me` with these members: Mastodon's list rules
    /// (the home rules for the owner over the members' statuses, never
    /// direct ones, then `replies_policy` on replies to others), then the
    /// visibility rule and the owner's blocks and mutes.
    pub fn list(&self, me: AccountId, members: &[AccountId], policy: RepliesPolicy) -> Vec<i64> {
        self.newest_first(|s| {
            let reblogs_shown = s.reblog_of.is_none() || self.follows.get(&(me, s.author)) == Some(&true);
            let reply_ok = match s.reply_to {
                None => true,
                Some((_, to)) => {
                    to == s.author
                        || to == me
                        || (self.follows.contains_key(&(me, to))
                            && match policy {
                                RepliesPolicy::Followed => true,
                                RepliesPolicy::List => members.contains(&to),
                                RepliesPolicy::None => false,
                            })
                }
            };
            members.contains(&s.author)
                && s.visibility != Visibility::Direct
                && reblogs_shown
                && reply_ok
                && self.visible(s, Some(me))
                && !self.hides(s, Some(me))
        })
    }

    /// `Store::author_hidden_from`: everything of the author is hidden.
    pub fn author_hidden_from(&self, author: AccountId, viewer: Option<AccountId>) -> bool {
        viewer != Some(author)
            && (!self.shown(author, viewer) || viewer.is_some_and(|v| self.blocks.contains(&(author, v))))
    }

    pub fn statuses_count(&self, account: AccountId) -> i64 {
        self.statuses.iter().filter(|s| s.author == account && counted_in_statuses(s.visibility)).count() as i64
    }

    pub fn replies_count(&self, status: StatusId) -> i64 {
        self.statuses
            .iter()
            .filter(|s| s.reply_to.is_some_and(|(p, _)| p == status) && counted_in_replies(s.visibility))
            .count() as i64
    }

    pub fn reblogs_count(&self, status: StatusId) -> i64 {
        self.statuses.iter().filter(|s| s.reblog_of == Some(status)).count() as i64
    }

    pub fn favourites_count(&self, status: StatusId) -> i64 {
        self.favourites.iter().filter(|(_, s)| *s == status).count() as i64
    }

    /// `user_count`: the accounts shown to others.
    pub fn user_count(&self) -> i64 {
        self.account_ids.iter().filter(|a| self.shown(**a, None)).count() as i64
    }
}
