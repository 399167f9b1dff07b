//! Views: a domain object with everything needed to show it to one viewer
//! (its author, mentioned accounts, the boosted status, the viewer's own
//! marks). The API turns views into Mastodon entities; the web into pages.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parley_core::model::{Account, Notification, Relationship, Status};
use parley_core::visibility::{Viewer, account_shown, can_view, can_view_boost};
use parley_core::{AccountId, StatusId};

use crate::{AppError, Context, Result};
use parley_store::AuthorRelation;

#[derive(Debug, Clone)]
pub struct StatusView {
    /// Shared with the store's entity cache (see `parley_store`).
    pub status: Arc<Status>,
    pub account: Arc<Account>,
    pub mentions: Vec<Arc<Account>>,
    pub reblog: Option<Box<StatusView>>,
    /// The viewer's marks; `None` for anonymous viewers.
    pub favourited: Option<bool>,
    pub reblogged: Option<bool>,
    pub pinned: Option<bool>,
    pub bookmarked: Option<bool>,
    pub poll: Option<crate::polls::PollView>,
    /// The app it was posted with (name, website).
    pub application: Option<(String, Option<String>)>,
    /// The viewer's filters that match it and warn (set by
    /// [`crate::filters::FilterService::apply`]; empty until then).
    pub filtered: Vec<crate::filters::FilterHit>,
}

#[derive(Debug, Clone)]
pub struct NotificationView {
    pub notification: Notification,
    pub account: Account,
    pub status: Option<StatusView>,
}

/// Loads a status if `viewer` may see it; otherwise the same `NotFound` as a missing one.
pub async fn visible_status(ctx: &Context, viewer: Option<AccountId>, id: StatusId) -> Result<Arc<Status>> {
    let status = ctx.store.find_status(id).await?.ok_or(AppError::NotFound)?;
    ensure_visible(ctx, viewer, &status).await?;
    Ok(status)
}

/// Checks `can_view` for one status (and `can_view_boost` for a boost).
pub async fn ensure_visible(ctx: &Context, viewer: Option<AccountId>, status: &Arc<Status>) -> Result<()> {
    let kept = keep_visible(ctx, viewer, vec![Arc::clone(status)], Hide::Nothing).await?;
    if kept.is_empty() { Err(AppError::NotFound) } else { Ok(()) }
}

/// Keeps the statuses `viewer` may see and has not hidden (blocked or muted
/// authors, also of boosted statuses), in their order: for lists, where
/// Mastodon leaves out what the viewer chose not to see.
pub(crate) async fn filter_visible(
    ctx: &Context,
    viewer: Option<AccountId>,
    statuses: Vec<Arc<Status>>,
) -> Result<Vec<Arc<Status>>> {
    keep_visible(ctx, viewer, statuses, Hide::BlockedAndMuted).await
}

/// Keeps the statuses `viewer` may see, in their order, muted and blocked
/// authors' included: for notifications, whose senders the recipient's
/// mutes and blocks already decide (a mute that spares notifications lets
/// a muted account's mentions through, as Mastodon).
pub(crate) async fn filter_viewable(
    ctx: &Context,
    viewer: Option<AccountId>,
    statuses: Vec<Arc<Status>>,
) -> Result<Vec<Arc<Status>>> {
    keep_visible(ctx, viewer, statuses, Hide::Nothing).await
}

/// Besides what `can_view` refuses, what a read leaves out.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hide {
    /// A status asked for by ID: a muted or blocked author's is still shown.
    Nothing,
    BlockedAndMuted,
}

/// The one place the app applies `can_view` and `can_view_boost`: loads the
/// boosted originals, the authors and the viewer's relationships to them in
/// a few batched reads.
async fn keep_visible(
    ctx: &Context,
    viewer: Option<AccountId>,
    statuses: Vec<Arc<Status>>,
    hide: Hide,
) -> Result<Vec<Arc<Status>>> {
    let original_ids: Vec<StatusId> = statuses.iter().filter_map(|s| s.reblog_of).collect();
    let originals: HashMap<StatusId, Arc<Status>> = if original_ids.is_empty() {
        HashMap::new()
    } else {
        ctx.store.find_statuses(&original_ids).await?.into_iter().map(|s| (s.id, s)).collect()
    };
    let audience = Audience::load(ctx, viewer, statuses.iter().chain(originals.values())).await?;
    Ok(statuses
        .into_iter()
        .filter(|s| {
            let Some(seen) = audience.viewer_of(s) else {
                return false;
            };
            let original = match s.reblog_of {
                None => None,
                // A boost whose original is gone shows nothing.
                Some(id) => match originals.get(&id).and_then(|o| Some((o, audience.viewer_of(o)?))) {
                    Some(found) => Some(found),
                    None => return false,
                },
            };
            let visible = match original {
                None => can_view(s.visibility, seen),
                Some((o, of_original)) => can_view_boost((s.visibility, seen), (o.visibility, of_original)),
            };
            visible
                && !(hide == Hide::BlockedAndMuted
                    && (audience.hides(s) || original.is_some_and(|(o, _)| audience.hides(o))))
        })
        .collect())
}

/// `me`'s relationship to each of `ids`, in their order. The store answers one
/// per account; an answer short of that would leave a block unknown, so it is
/// an error, never "not blocked" (who may see what fails closed).
pub(crate) async fn relationships_to(
    ctx: &Context,
    me: AccountId,
    ids: &[AccountId],
) -> Result<Vec<(AccountId, Relationship)>> {
    pair_relationships(ids, ctx.store.relationships(me, ids).await?)
}

fn pair_relationships(ids: &[AccountId], rels: Vec<Relationship>) -> Result<Vec<(AccountId, Relationship)>> {
    if rels.len() != ids.len() {
        return Err(AppError::Internal(format!(
            "asked for {} relationships, the store answered {}",
            ids.len(),
            rels.len()
        )));
    }
    Ok(ids.iter().copied().zip(rels).collect())
}

/// The viewer as `can_view` knows them, towards the authors of a few statuses.
struct Audience {
    viewer: Option<AccountId>,
    authors: HashMap<AccountId, Arc<Account>>,
    relations: HashMap<AccountId, AuthorRelation>,
}

impl Audience {
    async fn load(
        ctx: &Context,
        viewer: Option<AccountId>,
        statuses: impl Iterator<Item = &Arc<Status>>,
    ) -> Result<Self> {
        let mut ids: Vec<AccountId> = statuses.map(|s| s.account_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let authors = ctx.store.find_accounts(&ids).await?.into_iter().map(|a| (a.id, a)).collect();
        let relations = match viewer {
            Some(me) => {
                let relations = ctx.store.author_relations(me, &ids).await?;
                // One per author, or a block would go unknown: fail closed.
                if relations.len() != ids.len() {
                    return Err(AppError::Internal(format!(
                        "asked for {} author relations, the store answered {}",
                        ids.len(),
                        relations.len()
                    )));
                }
                ids.iter().copied().zip(relations).collect()
            }
            None => HashMap::new(),
        };
        Ok(Audience { viewer, authors, relations })
    }

    /// `None` when the author no longer exists.
    fn viewer_of(&self, status: &Status) -> Option<Viewer> {
        let author = self.authors.get(&status.account_id)?;
        let author_gone = !account_shown(author, self.viewer);
        let Some(me) = self.viewer else {
            return Some(Viewer { author_gone, ..Viewer::ANONYMOUS });
        };
        if me == status.account_id {
            return Some(Viewer { signed_in: true, is_author: true, ..Viewer::default() });
        }
        // `load` asked for every author; one missing is not shown (fail closed).
        let rel = self.relations.get(&status.account_id)?;
        Some(Viewer {
            signed_in: true,
            is_author: false,
            follows_author: rel.following,
            mentioned: status.mentions.contains(&me),
            blocked_by_author: rel.blocked_by,
            author_gone,
        })
    }

    /// The viewer blocks or mutes the author (never true of their own statuses).
    fn hides(&self, status: &Status) -> bool {
        // Signed in, `load` asked for every author: one missing is hidden (fail closed).
        self.viewer.is_some_and(|me| me != status.account_id)
            && self.relations.get(&status.account_id).is_none_or(|r| r.blocking || r.muting)
    }
}

/// Turns statuses into views for `viewer`, loading authors, mentions, boosted
/// statuses and the viewer's marks in a few batched queries.
pub async fn status_views(
    ctx: &Context,
    viewer: Option<AccountId>,
    statuses: Vec<Arc<Status>>,
) -> Result<Vec<StatusView>> {
    let original_ids: Vec<StatusId> = statuses.iter().filter_map(|s| s.reblog_of).collect();
    let originals: HashMap<StatusId, Arc<Status>> = if original_ids.is_empty() {
        HashMap::new()
    } else {
        ctx.store.find_statuses(&original_ids).await?.into_iter().map(|s| (s.id, s)).collect()
    };
    // A page names a few dozen accounts at most: sorted lists, not hash maps.
    let mut account_ids: Vec<AccountId> = Vec::with_capacity(statuses.len() + originals.len());
    for s in statuses.iter().chain(originals.values()) {
        account_ids.push(s.account_id);
        account_ids.extend(s.mentions.iter().copied());
    }
    account_ids.sort_unstable();
    account_ids.dedup();
    let mut found = ctx.store.find_accounts(&account_ids).await?;
    found.sort_unstable_by_key(|a| a.id);
    let accounts = Accounts(found);
    let flags = match viewer {
        Some(me) => {
            let ids: Vec<StatusId> = statuses.iter().map(|s| s.id).chain(originals.keys().copied()).collect();
            Some(ctx.store.status_flags(me, &ids).await?)
        }
        None => None,
    };
    let view = |s: Arc<Status>| -> Option<StatusView> {
        let account = accounts.get(s.account_id)?.clone();
        let mentions = s.mentions.iter().filter_map(|m| accounts.get(*m).cloned()).collect();
        let mark =
            |set: fn(&parley_store::StatusFlags) -> &HashSet<StatusId>| flags.as_ref().map(|f| set(f).contains(&s.id));
        Some(StatusView {
            favourited: mark(|f| &f.favourited),
            reblogged: mark(|f| &f.reblogged),
            pinned: mark(|f| &f.pinned),
            bookmarked: mark(|f| &f.bookmarked),
            status: s,
            account,
            mentions,
            reblog: None,
            poll: None,
            application: None,
            filtered: Vec::new(),
        })
    };
    let mut out = Vec::with_capacity(statuses.len());
    for s in statuses {
        let original = s.reblog_of.and_then(|id| originals.get(&id).cloned());
        let is_reblog = s.reblog_of.is_some();
        let Some(mut v) = view(s) else { continue };
        if is_reblog {
            // A boost whose original is gone is not shown at all.
            let Some(original) = original.and_then(view) else {
                continue;
            };
            v.reblog = Some(Box::new(original));
        }
        out.push(v);
    }
    let mut apps: HashMap<parley_core::AppId, Option<(String, Option<String>)>> = HashMap::new();
    for v in &mut out {
        attach_app(ctx, &mut apps, v).await?;
        if let Some(original) = v.reblog.as_deref_mut() {
            attach_app(ctx, &mut apps, original).await?;
        }
    }
    for v in &mut out {
        attach_poll(ctx, viewer, v).await?;
        if let Some(original) = v.reblog.as_deref_mut() {
            attach_poll(ctx, viewer, original).await?;
        }
    }
    Ok(out)
}

/// Accounts sorted by ID.
struct Accounts(Vec<Arc<Account>>);

impl Accounts {
    fn get(&self, id: AccountId) -> Option<&Arc<Account>> {
        self.0.binary_search_by_key(&id, |a| a.id).ok().map(|i| &self.0[i])
    }
}

async fn attach_app(
    ctx: &Context,
    apps: &mut HashMap<parley_core::AppId, Option<(String, Option<String>)>>,
    v: &mut StatusView,
) -> Result<()> {
    if let Some(app_id) = v.status.application {
        if let std::collections::hash_map::Entry::Vacant(e) = apps.entry(app_id) {
            let app = ctx.store.find_app(app_id).await?.map(|a| (a.name, a.website));
            e.insert(app);
        }
        v.application = apps.get(&app_id).cloned().flatten();
    }
    Ok(())
}

async fn attach_poll(ctx: &Context, viewer: Option<AccountId>, v: &mut StatusView) -> Result<()> {
    if let Some(poll_id) = v.status.poll_id {
        v.poll = match ctx.polls.view(ctx, poll_id, viewer).await {
            Ok(p) => Some(p),
            // A poll deleted between the two reads: show the status without it.
            Err(AppError::NotFound) => None,
            Err(e) => return Err(e),
        };
    }
    Ok(())
}

/// One status's view; pass the store's `Arc` where there is one, so its
/// rendering is shared with every timeline that shows it.
pub async fn status_view(ctx: &Context, viewer: Option<AccountId>, status: Arc<Status>) -> Result<StatusView> {
    status_views(ctx, viewer, vec![status]).await?.pop().ok_or(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_answer_from_the_store_is_an_error_not_no_block() {
        let ids = [AccountId(1), AccountId(2)];
        let blocked = Relationship { blocked_by: true, ..Relationship::default() };
        let paired = pair_relationships(&ids, vec![Relationship::default(), blocked.clone()]);
        assert_eq!(paired.ok().and_then(|p| p.last().cloned()), Some((AccountId(2), blocked)));
        assert!(matches!(pair_relationships(&ids, vec![Relationship::default()]), Err(AppError::Internal(_))));
        assert!(matches!(pair_relationships(&[AccountId(1)], Vec::new()), Err(AppError::Internal(_))));
    }
}
