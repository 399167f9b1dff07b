//! Statuses, accounts and apps by ID, kept in memory between reads: every
//! timeline page, thread and notification list loads a few dozen of them,
//! every new session its app and account, and on a large database each is a
//! random read of a B-tree. SQLite's own page cache does not help much here:
//! in WAL mode a connection drops its whole cache whenever another one has
//! committed, so under a stream of writes every read starts cold.
//!
//! Invalidation cannot miss a write, whichever store function made it: the
//! writer's connection reports every row it changes in `statuses`,
//! `accounts` or `apps` (SQLite's update hook, see [`super::writer`]), and those rows
//! are dropped here once their group has committed, before any request of
//! the group is answered. A status's mentions and tags live in other tables
//! but only change together with its row (on edit). The writer never fills
//! the cache: it reads inside transactions that are not committed yet.
//!
//! Another process (the CLI) changes accounts only through functions that
//! bump the authentication generation, so the cached accounts are valid for
//! one generation. It never writes statuses while a server runs (the seeding
//! command writes them with the server stopped).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use parley_core::model::{Account, App, Status};
use parley_core::{AccountId, AppId};
use rusqlite::Connection;

use super::sharded::{Sharded, lock};
use super::{accounts, oauth, rows};
use crate::Result;

/// Bytes of statuses kept (text, HTML and bookkeeping counted).
const MAX_STATUS_BYTES: usize = 96 << 20;
/// Bytes of accounts kept.
const MAX_ACCOUNT_BYTES: usize = 32 << 20;
/// Bytes of apps kept (client registrations: few, and never changed).
const MAX_APP_BYTES: usize = 4 << 20;

pub struct EntityCache {
    statuses: Sharded<Status>,
    accounts: Sharded<Account>,
    apps: Sharded<App>,
    /// Rows the writer changed in its current group: (table, rowid).
    changed: Mutex<Vec<(Table, i64)>>,
    /// The authentication generation the cached accounts were read under.
    accounts_generation: Mutex<Option<i64>>,
}

#[derive(Clone, Copy)]
enum Table {
    Statuses,
    Accounts,
    Apps,
}

impl Default for EntityCache {
    fn default() -> Self {
        EntityCache {
            statuses: Sharded::new(MAX_STATUS_BYTES),
            accounts: Sharded::new(MAX_ACCOUNT_BYTES),
            apps: Sharded::new(MAX_APP_BYTES),
            changed: Mutex::new(Vec::new()),
            accounts_generation: Mutex::new(None),
        }
    }
}

impl EntityCache {
    /// The statuses with these IDs that exist, in the order asked, each once.
    pub fn statuses(&self, c: &Connection, ids: &[i64]) -> Result<Vec<Arc<Status>>> {
        cached_or_loaded(&self.statuses, ids, status_weight, |missing| {
            Ok(rows::load_statuses(c, missing)?.into_iter().map(|s| (s.id.0, s)).collect())
        })
    }

    /// The accounts with these IDs that exist, in the order asked, each once, if valid
    /// under the authentication `generation`.
    pub fn accounts(&self, c: &Connection, generation: i64, ids: &[AccountId]) -> Result<Vec<Arc<Account>>> {
        {
            let mut seen = lock(&self.accounts_generation);
            if *seen != Some(generation) {
                // Moved by a profile or admin change, here or in another process.
                self.accounts.clear();
                *seen = Some(generation);
            }
        }
        let raw: Vec<i64> = ids.iter().map(|id| id.0).collect();
        cached_or_loaded(&self.accounts, &raw, account_weight, |missing| {
            let missing: Vec<AccountId> = missing.iter().copied().map(AccountId).collect();
            Ok(accounts::find_many(c, &missing)?.into_iter().map(|a| (a.id.0, a)).collect())
        })
    }

    pub fn app(&self, c: &Connection, id: AppId) -> Result<Option<App>> {
        let found = cached_or_loaded(&self.apps, &[id.0], app_weight, |missing| {
            let mut loaded = HashMap::new();
            for &id in missing {
                if let Some(app) = oauth::find_app(c, AppId(id))? {
                    loaded.insert(id, app);
                }
            }
            Ok(loaded)
        })?;
        Ok(found.into_iter().next().map(Arc::unwrap_or_clone))
    }

    /// Called by the writer for each row it inserts, updates or deletes.
    pub fn note_change(&self, table: &str, rowid: i64) {
        let table = match table {
            "statuses" => Table::Statuses,
            "accounts" => Table::Accounts,
            "apps" => Table::Apps,
            _ => return,
        };
        lock(&self.changed).push((table, rowid));
    }

    /// Called by the writer once a group has committed (or rolled back):
    /// drops every row it changed.
    pub fn forget_noted(&self) {
        let changed = std::mem::take(&mut *lock(&self.changed));
        for (table, id) in changed {
            match table {
                Table::Statuses => self.statuses.forget(id),
                Table::Accounts => self.accounts.forget(id),
                Table::Apps => self.apps.forget(id),
            }
        }
    }

    /// After writes that may bypass the update hook (bulk loads, raw SQL).
    pub fn forget_everything(&self) {
        self.statuses.clear();
        self.accounts.clear();
        self.apps.clear();
    }
}

/// The values for `ids` from `cache` (each ID once, in the order first
/// asked), loading the missing ones with `load` (one query for all of them)
/// and keeping what was loaded.
fn cached_or_loaded<T>(
    cache: &Sharded<T>,
    ids: &[i64],
    weight: fn(&T) -> usize,
    load: impl FnOnce(&[i64]) -> Result<HashMap<i64, T>>,
) -> Result<Vec<Arc<T>>> {
    let mut found: Vec<Option<Arc<T>>> = Vec::with_capacity(ids.len());
    let mut missing = Vec::new();
    let mut asked = rustc_hash::FxHashSet::default();
    for &id in ids {
        if !asked.insert(id) {
            continue;
        }
        let i = found.len();
        match cache.get_or_ticket(id) {
            Ok(value) => found.push(Some(value)),
            Err(ticket) => {
                found.push(None);
                missing.push((i, id, ticket));
            }
        }
    }
    if !missing.is_empty() {
        let ids: Vec<i64> = missing.iter().map(|&(_, id, _)| id).collect();
        let mut loaded = load(&ids)?;
        for (i, id, ticket) in missing {
            let Some(value) = loaded.remove(&id).map(Arc::new) else { continue };
            cache.put(ticket, id, value.clone(), weight(&value));
            found[i] = Some(value);
        }
    }
    Ok(found.into_iter().flatten().collect())
}

fn status_weight(s: &Status) -> usize {
    std::mem::size_of::<Status>()
        + s.text.len()
        + s.content_html.len()
        + s.spoiler_text.len()
        + s.mentions.len() * 8
        + s.tags.iter().map(|t| t.len() + 24).sum::<usize>()
        + 64
}

fn account_weight(a: &Account) -> usize {
    std::mem::size_of::<Account>()
        + a.username.len()
        + a.display_name.len()
        + a.note.len()
        + a.note_html.len()
        + a.fields.iter().map(|f| f.name.len() + f.value.len() + 48).sum::<usize>()
        + a.organisation.as_ref().map_or(0, String::len)
        + 64
}

fn app_weight(a: &App) -> usize {
    std::mem::size_of::<App>()
        + a.name.len()
        + a.website.as_ref().map_or(0, String::len)
        + a.redirect_uris.iter().map(|u| u.len() + 24).sum::<usize>()
        + a.scopes.len()
        + a.client_id.len()
        + 64
}
