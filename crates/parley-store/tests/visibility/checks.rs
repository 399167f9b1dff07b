//! Every SQL-backed listing and counter, asked as every viewer, compared
//! with the oracle: page by page (`PageRequest::select` is the page
//! semantics every listing follows), in the listing's own order.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parley_core::AccountId;
use parley_core::model::{RepliesPolicy, Visibility};
use parley_core::page::PageRequest;
use parley_store::{AccountStatusesFilter, ListFields, Store, StoreError};

use crate::model::Model;
use crate::world::{TAGS, WORD};

const KINDS: [&str; 10] = [
    "anonymous",
    "author",
    "follower",
    "stranger",
    "mentioned",
    "blocked",
    "blocking",
    "muting",
    "suspended",
    "pending",
];
static SEEN: [AtomicUsize; KINDS.len()] = [const { AtomicUsize::new(0) }; KINDS.len()];

/// How many (viewer, status) pairs of each kind the worlds so far held.
pub fn coverage() -> Vec<(&'static str, usize)> {
    KINDS.iter().zip(&SEEN).map(|(k, n)| (*k, n.load(Ordering::Relaxed))).collect()
}

fn count_kinds(m: &Model, viewer: Option<AccountId>) {
    let mark = |k: usize| SEEN[k].fetch_add(1, Ordering::Relaxed);
    for s in m.statuses.iter().filter(|s| s.reblog_of.is_none()) {
        let Some(me) = viewer else {
            mark(0);
            continue;
        };
        let v = m.viewer_of(s, viewer);
        let account = &m.accounts[&me];
        let kinds = [
            false,
            v.is_author,
            !v.is_author && v.follows_author,
            !v.is_author && !v.follows_author && !v.mentioned,
            !v.is_author && v.mentioned,
            v.blocked_by_author,
            m.blocks.contains(&(me, s.author)),
            m.mutes.contains(&(me, s.author)),
            account.suspended,
            !account.approved,
        ];
        kinds.iter().enumerate().filter(|(_, k)| **k).for_each(|(i, _)| {
            mark(i);
        });
    }
}

fn page(max: Option<i64>, since: Option<i64>, min: Option<i64>, limit: i64) -> PageRequest {
    PageRequest::new(max, since, min, Some(limit), 20, 40)
}

/// Pages that cut the world at a status in its middle (seen by the viewer
/// or not, so the filter must run before the `LIMIT`), walking down, up, and
/// everything.
fn pages(m: &Model) -> Vec<PageRequest> {
    let mut pages = vec![page(None, None, None, 40), page(None, None, None, 2)];
    if let Some(mid) = m.statuses.get(m.statuses.len() / 2) {
        let mid = Some(mid.id.0);
        pages.extend([page(mid, None, None, 3), page(None, None, mid, 2), page(None, mid, None, 40)]);
    }
    pages
}

struct Report(Vec<String>);

impl Report {
    fn compare<T: PartialEq + std::fmt::Debug>(&mut self, what: impl Fn() -> String, got: T, expected: T) {
        if got != expected {
            self.0.push(format!("{}: got {got:?}, the rule admits {expected:?}", what()));
        }
    }
}

fn ids(statuses: Vec<Arc<parley_core::model::Status>>) -> Vec<i64> {
    statuses.iter().map(|s| s.id.0).collect()
}

pub async fn all(opened: &crate::common::Opened, store: &Arc<dyn Store>, m: &Model) -> Result<Vec<String>, StoreError> {
    let mut r = Report(Vec::new());
    let viewers: Vec<Option<AccountId>> =
        std::iter::once(None).chain(m.account_ids.iter().copied().map(Some)).collect();
    let pages = pages(m);
    for &viewer in &viewers {
        count_kinds(m, viewer);
        for p in &pages {
            let expected = p.select(&m.public(viewer, None));
            for local in [false, true] {
                let got = ids(store.public_timeline(viewer, local, *p).await?);
                r.compare(|| format!("public (local {local}) for {viewer:?}, {p:?}"), got, expected.clone());
            }
            for tag in TAGS {
                let got = ids(store.tag_timeline(viewer, tag, *p).await?);
                r.compare(|| format!("#{tag} for {viewer:?}, {p:?}"), got, p.select(&m.public(viewer, Some(tag))));
            }
        }
        for &account in &m.account_ids {
            let filters = [
                AccountStatusesFilter::default(),
                AccountStatusesFilter { exclude_replies: true, ..AccountStatusesFilter::default() },
                AccountStatusesFilter { exclude_reblogs: true, ..AccountStatusesFilter::default() },
                AccountStatusesFilter { pinned: true, ..AccountStatusesFilter::default() },
            ];
            for (i, f) in filters.into_iter().enumerate() {
                let all = m.account_statuses(viewer, account, f);
                // Every page for the plain listing, the first for the filters.
                for p in if i == 0 { &pages[..] } else { &pages[..1] } {
                    let got = ids(store.account_statuses(viewer, account, f, *p).await?);
                    r.compare(|| format!("statuses of {account:?} {f:?} for {viewer:?}, {p:?}"), got, p.select(&all));
                }
            }
            let hidden = store.author_hidden_from(account, viewer).await?;
            r.compare(
                || format!("author_hidden_from({account:?}, {viewer:?})"),
                hidden,
                m.author_hidden_from(account, viewer),
            );
        }
        for original in m.statuses.iter().filter(|s| s.reblog_of.is_none() && m.visible(s, viewer)) {
            let got: Vec<i64> =
                store.reblogged_by(viewer, original.id, pages[0]).await?.iter().map(|(_, a)| a.0).collect();
            r.compare(
                || format!("reblogged_by {:?} for {viewer:?}", original.id),
                got,
                m.reblogged_by(viewer, original.id),
            );
        }
        let Some(me) = viewer else { continue };
        // What the app's visibility check reads of relationships, from memory.
        let relations = store.author_relations(me, &m.account_ids).await?;
        let expected: Vec<(bool, bool, bool, bool)> = m
            .account_ids
            .iter()
            .map(|&a| {
                (
                    m.follows.contains_key(&(me, a)),
                    m.blocks.contains(&(me, a)),
                    m.blocks.contains(&(a, me)),
                    m.mutes.contains(&(me, a)),
                )
            })
            .collect();
        r.compare(
            || format!("author_relations of {me:?}"),
            relations.iter().map(|x| (x.following, x.blocking, x.blocked_by, x.muting)).collect(),
            expected,
        );
        let got = ids(store.search_statuses(me, WORD, 40).await?);
        r.compare(|| format!("search for {me:?}"), got, m.search(me).into_iter().take(40).collect());
        let home = m.home(me);
        for p in &pages {
            let got = ids(store.home_timeline(me, *p).await?);
            r.compare(|| format!("home of {me:?}, {p:?}"), got, p.select(&home));
            let got: Vec<i64> = opened.home_timeline_reference(me, *p).await?.iter().map(|s| s.id.0).collect();
            r.compare(|| format!("home reference of {me:?}, {p:?}"), got, p.select(&home));
        }
        // A list of every account the viewer follows, under each replies policy.
        let members: Vec<AccountId> =
            m.account_ids.iter().copied().filter(|t| m.follows.contains_key(&(me, *t))).collect();
        for policy in [RepliesPolicy::Followed, RepliesPolicy::List, RepliesPolicy::None] {
            let fields = ListFields { title: "l".into(), replies_policy: policy, exclusive: false };
            let list = store.create_list(me, fields).await?;
            store.add_list_members(me, list.id, members.clone()).await?;
            let expected = m.list(me, &members, policy);
            for p in &pages {
                let got = ids(store.list_timeline(list.clone(), *p).await?);
                r.compare(|| format!("list ({policy:?}) of {me:?}, {p:?}"), got, p.select(&expected));
            }
            store.delete_list(me, list.id).await?;
        }
        for s in &m.statuses {
            let status = store.find_status(s.id).await?.ok_or(StoreError::NotFound)?;
            let got = store.in_home_of(me, &status).await?;
            r.compare(|| format!("in_home_of({me:?}, {:?})", s.id), got, m.in_home(s, me));
        }
    }
    for q in ["al", "alpha", "b", "#AL"] {
        let got = store.search_tags(q, 10).await?;
        let prefix = q.trim_start_matches('#').to_lowercase();
        r.compare(|| format!("search_tags({q})"), got, m.search_tags(&prefix));
    }
    counters(store, m, &mut r).await?;
    Ok(r.0)
}

/// The counters the rule decides (`counted_in_statuses`, `counted_in_replies`,
/// `account_shown`), kept by increments on every write, and the bulk recount
/// that must agree with them.
async fn counters(store: &Arc<dyn Store>, m: &Model, r: &mut Report) -> Result<(), StoreError> {
    for s in m.statuses.iter().filter(|s| s.reblog_of.is_none()) {
        let status = store.find_status(s.id).await?.ok_or(StoreError::NotFound)?;
        r.compare(|| format!("replies_count of {:?}", s.id), status.replies_count, m.replies_count(s.id));
        r.compare(|| format!("reblogs_count of {:?}", s.id), status.reblogs_count, m.reblogs_count(s.id));
        r.compare(|| format!("favourites_count of {:?}", s.id), status.favourites_count, m.favourites_count(s.id));
        let got: Vec<i64> =
            store.favourited_by(s.id, page(None, None, None, 40)).await?.iter().map(|(_, a)| a.0).collect();
        r.compare(|| format!("favourited_by {:?}", s.id), got, m.favourited_by(s.id));
    }
    r.compare(|| "user_count".into(), store.count_local_accounts().await?, m.user_count());
    let before = store.find_accounts(&m.account_ids).await?;
    for a in &before {
        r.compare(|| format!("statuses_count of {:?}", a.id), a.statuses_count, m.statuses_count(a.id));
        let counted = m.statuses.iter().any(|s| s.author == a.id && s.visibility != Visibility::Direct);
        if counted && a.last_status_at.is_none() {
            r.0.push(format!("last_status_at of {:?}: none though it has counted statuses", a.id));
        }
    }
    store.recount_account_counters().await?;
    let after = store.find_accounts(&m.account_ids).await?;
    let counts = |a: &parley_core::model::Account| (a.id, a.statuses_count, a.followers_count, a.following_count);
    r.compare(
        || "account counters recounted in bulk".into(),
        after.iter().map(|a| counts(a)).collect::<Vec<_>>(),
        before.iter().map(|a| counts(a)).collect(),
    );
    Ok(())
}
