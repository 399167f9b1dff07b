//! Views: a domain object with everything needed to show it to one viewer
//! (its author, mentioned accounts, the boosted status, the viewer's own
//! marks). The API turns views into Mastodon entities; the web into pages.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parley_core::model::{Account, Notification, Status};
use parley_core::visibility::{Viewer, can_view};
use parley_core::{AccountId, StatusId};

use crate::{AppError, Context, Result};

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
    pub poll: Option<crate::polls::PollView>,
    /// The app it was posted with (name, website).
    pub application: Option<(String, Option<String>)>,
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

/// Checks `can_view` for one status (and for a boost, for what it boosts).
pub async fn ensure_visible(ctx: &Context, viewer: Option<AccountId>, status: &Status) -> Result<()> {
    let author = ctx.store.find_account(status.account_id).await?.ok_or(AppError::NotFound)?;
    if author.suspended && Some(author.id) != viewer {
        return Err(AppError::NotFound);
    }
    if !can_view(status.visibility, viewer_of(ctx, viewer, status).await?) {
        return Err(AppError::NotFound);
    }
    if let Some(original) = status.reblog_of {
        let original = ctx.store.find_status(original).await?.ok_or(AppError::NotFound)?;
        if !can_view(original.visibility, viewer_of(ctx, viewer, &original).await?) {
            return Err(AppError::NotFound);
        }
    }
    Ok(())
}

async fn viewer_of(ctx: &Context, viewer: Option<AccountId>, status: &Status) -> Result<Viewer> {
    let Some(me) = viewer else {
        return Ok(Viewer::ANONYMOUS);
    };
    if me == status.account_id {
        return Ok(Viewer { signed_in: true, is_author: true, ..Viewer::default() });
    }
    let rel = ctx.store.relationships(me, &[status.account_id]).await?.pop().unwrap_or_default();
    Ok(Viewer {
        signed_in: true,
        is_author: false,
        follows_author: rel.following,
        mentioned: status.mentions.contains(&me),
        blocked_by_author: rel.blocked_by,
    })
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
            status: s,
            account,
            mentions,
            reblog: None,
            poll: None,
            application: None,
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
