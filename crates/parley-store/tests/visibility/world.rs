//! Random small worlds: what proptest generates ([`WorldSpec`]), and writing
//! one through the store's real write API into a real SQLite file while
//! keeping the [`Model`] of what was written.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use parley_core::model::{Role, Visibility};
use parley_core::{AccountId, StatusId};
use parley_store::{AdminUpdate, FollowOptions, NewAccount, NewReblog, NewStatus, ProfileUpdate, Store};
use proptest::prelude::*;

use crate::model::{Model, ModelStatus};

/// Tags share prefixes so a hashtag search matches several, in order.
pub const TAGS: [&str; 3] = ["alpha", "alps", "beta"];
/// Every status's text holds this word, so a search for it matches all.
pub const WORD: &str = "common";

#[derive(Debug, Clone)]
pub struct AccountSpec {
    pub suspended: bool,
    pub pending: bool,
    pub locked: bool,
}

/// Account and status references are indices, taken modulo what exists
/// when the world is written (so every generated world is valid and
/// shrinks freely).
#[derive(Debug, Clone)]
pub enum PostSpec {
    Status {
        author: usize,
        visibility: Visibility,
        mentions: Vec<usize>,
        reply_to: Option<usize>,
        tag: Option<usize>,
        pinned: bool,
    },
    /// A boost of an original, kept only where the app allows one
    /// (`StatusService::reblog`): public or unlisted, or one's own
    /// followers-only status (boosted followers-only).
    Boost { booster: usize, original: usize, visibility: Visibility },
}

#[derive(Debug, Clone)]
pub struct WorldSpec {
    pub accounts: Vec<AccountSpec>,
    /// (follower, target, show_reblogs, accepted when the target is locked)
    pub follows: Vec<(usize, usize, bool, bool)>,
    pub posts: Vec<PostSpec>,
    pub blocks: Vec<(usize, usize)>,
    pub mutes: Vec<(usize, usize)>,
    pub favourites: Vec<(usize, usize)>,
    pub deletions: Vec<usize>,
}

fn visibility() -> impl Strategy<Value = Visibility> {
    prop_oneof![
        Just(Visibility::Public),
        Just(Visibility::Unlisted),
        Just(Visibility::Private),
        Just(Visibility::Direct)
    ]
}

fn post() -> impl Strategy<Value = PostSpec> {
    let status = (
        0..8usize,
        visibility(),
        prop::collection::vec(0..8usize, 0..3),
        prop::option::weighted(0.3, 0..16usize),
        prop::option::weighted(0.4, 0..TAGS.len()),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(author, visibility, mentions, reply_to, tag, pinned)| PostSpec::Status {
            author,
            visibility,
            mentions,
            reply_to,
            tag,
            pinned,
        });
    let boost = (0..8usize, 0..16usize, visibility()).prop_map(|(booster, original, visibility)| PostSpec::Boost {
        booster,
        original,
        visibility,
    });
    prop_oneof![3 => status, 1 => boost]
}

pub fn world() -> impl Strategy<Value = WorldSpec> {
    let account = (prop::bool::weighted(0.15), prop::bool::weighted(0.15), prop::bool::weighted(0.3))
        .prop_map(|(suspended, pending, locked)| AccountSpec { suspended, pending, locked });
    let pair = || (0..8usize, 0..8usize);
    (
        prop::collection::vec(account, 3..=6),
        prop::collection::vec((0..8usize, 0..8usize, prop::bool::weighted(0.7), prop::bool::weighted(0.7)), 0..16),
        prop::collection::vec(post(), 1..16),
        prop::collection::vec(pair(), 0..4),
        prop::collection::vec(pair(), 0..4),
        prop::collection::vec((0..8usize, 0..16usize), 0..8),
        prop::collection::vec(0..16usize, 0..3),
    )
        .prop_map(|(accounts, follows, posts, blocks, mutes, favourites, deletions)| WorldSpec {
            accounts,
            follows,
            posts,
            blocks,
            mutes,
            favourites,
            deletions,
        })
}

type Fallible<T> = Result<T, parley_store::StoreError>;

/// Writes `spec` through `store` (accounts, follows and requests, posts and
/// boosts, then blocks, mutes, favourites, deletions, and suspensions last,
/// so suspended accounts have something to hide), and returns the model of it.
pub async fn write(store: &Arc<dyn Store>, spec: &WorldSpec) -> Fallible<Model> {
    let mut m = Model::default();
    for (i, a) in spec.accounts.iter().enumerate() {
        let account = store
            .create_account(NewAccount {
                username: format!("u{i}"),
                email: format!("u{i}@example.org"),
                password_hash: "x".into(),
                display_name: String::new(),
                role: Role::User,
                organisation: None,
                approved: !a.pending,
                created_at: None,
            })
            .await?;
        if a.locked {
            store.update_profile(account.id, ProfileUpdate { locked: Some(true), ..ProfileUpdate::default() }).await?;
        }
        m.account_ids.push(account.id);
    }
    let ids = m.account_ids.clone();
    let id = |i: usize| ids[i % ids.len()];
    let mut follows: HashMap<(AccountId, AccountId), bool> = HashMap::new();
    for &(a, t, show_reblogs, accepted) in &spec.follows {
        let locked = spec.accounts[t % ids.len()].locked;
        let (a, t) = (id(a), id(t));
        if a == t || follows.contains_key(&(a, t)) {
            continue;
        }
        store.follow(a, t, locked, FollowOptions { show_reblogs, notify: false }).await?;
        if !locked {
            follows.insert((a, t), show_reblogs);
        } else if accepted && store.authorize_follow_request(t, a).await? {
            // An accepted request follows with the default options: requests
            // do not keep the requester's (see the report of this test).
            follows.insert((a, t), true);
        }
    }
    m.follows = follows;
    let mut originals: Vec<StatusId> = Vec::new();
    let mut boosted: HashSet<(AccountId, StatusId)> = HashSet::new();
    for (k, p) in spec.posts.iter().enumerate() {
        match p {
            PostSpec::Status { author, visibility, mentions, reply_to, tag, pinned } => {
                let author = id(*author);
                let mut mentioned: Vec<AccountId> = mentions.iter().map(|&i| id(i)).collect();
                mentioned.sort_unstable();
                mentioned.dedup();
                let reply_to = match reply_to {
                    Some(r) if !originals.is_empty() => {
                        let parent = originals[r % originals.len()];
                        m.status(parent).map(|s| (parent, s.author))
                    }
                    _ => None,
                };
                let tag = tag.map(|t| TAGS[t]);
                let text = format!("post {k} {WORD}{}", tag.map(|t| format!(" #{t}")).unwrap_or_default());
                let status = store
                    .insert_status(NewStatus {
                        account_id: author,
                        text: text.clone(),
                        content_html: format!("<p>{text}</p>"),
                        spoiler_text: String::new(),
                        sensitive: false,
                        visibility: *visibility,
                        language: None,
                        in_reply_to: reply_to,
                        mentions: mentioned.clone(),
                        tags: tag.iter().map(|t| t.to_string()).collect(),
                        app: None,
                        idempotency_key: None,
                        created_at: None,
                        poll: None,
                        media: Vec::new(),
                    })
                    .await?;
                let pin = *pinned && *visibility != Visibility::Direct;
                if pin {
                    store.pin(author, status.id).await?;
                }
                originals.push(status.id);
                m.statuses.push(ModelStatus {
                    id: status.id,
                    author,
                    visibility: *visibility,
                    mentions: mentioned,
                    reply_to,
                    reblog_of: None,
                    tag,
                    pinned: pin,
                });
            }
            PostSpec::Boost { booster, original, visibility } => {
                let booster = id(*booster);
                let Some(original) = originals.get(original % originals.len().max(1)).copied() else { continue };
                let Some(o) = m.status(original) else { continue };
                let own_private = o.visibility == Visibility::Private && o.author == booster;
                let boostable = matches!(o.visibility, Visibility::Public | Visibility::Unlisted);
                if !(boostable || own_private) || !boosted.insert((booster, original)) {
                    continue;
                }
                let visibility = match visibility {
                    _ if own_private => Visibility::Private,
                    Visibility::Direct => Visibility::Public,
                    v => *v,
                };
                let boost =
                    store.reblog(NewReblog { account_id: booster, status_id: original, visibility, app: None }).await?;
                m.statuses.push(ModelStatus {
                    id: boost.id,
                    author: booster,
                    visibility,
                    mentions: Vec::new(),
                    reply_to: None,
                    reblog_of: Some(original),
                    tag: None,
                    pinned: false,
                });
            }
        }
    }
    for &(a, t) in &spec.blocks {
        let (a, t) = (id(a), id(t));
        if a != t {
            store.block(a, t).await?;
            // A block severs follows both ways.
            m.follows.remove(&(a, t));
            m.follows.remove(&(t, a));
            m.blocks.insert((a, t));
        }
    }
    for &(a, t) in &spec.mutes {
        let (a, t) = (id(a), id(t));
        if a != t {
            store.mute(a, t, true, None).await?;
            m.mutes.insert((a, t));
        }
    }
    for &(a, s) in &spec.favourites {
        let Some(&status) = originals.get(s % originals.len().max(1)) else { continue };
        if store.favourite(id(a), status, None).await? {
            m.favourites.push((id(a), status));
        }
    }
    for &d in &spec.deletions {
        let Some(&status) = originals.get(d % originals.len().max(1)) else { continue };
        if store.delete_status(status).await?.is_some() {
            m.statuses.retain(|s| s.id != status && s.reblog_of != Some(status));
            m.favourites.retain(|(_, s)| *s != status);
        }
    }
    for (i, a) in spec.accounts.iter().enumerate() {
        if a.suspended {
            store.update_account_admin(ids[i], AdminUpdate { suspended: Some(true), ..AdminUpdate::default() }).await?;
        }
    }
    m.accounts = store.find_accounts(&m.account_ids).await?.into_iter().map(|a| (a.id, a)).collect();
    Ok(m)
}
