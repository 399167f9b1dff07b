//! The rebuild-and-compare check: every entry the store's derived state holds
//! (entity cache, home index) is read again from the database and compared.
//! Meant for a quiet moment (tests, `parley admin`): a write that lands while
//! it runs may show as a difference it would not have on a second run.

use std::sync::Arc;

use parley_core::{AccountId, AppId};
use rusqlite::Connection;

use super::home::{hidden_accounts, load_sources, recent};
use super::statuses::load_marks;
use super::{accounts, oauth, rows};
use crate::Result;
use crate::derived::entities::EntityCache;
use crate::derived::home_index::HomeIndex;

/// Every difference between what is kept and what the database says.
pub fn differences(c: &Connection, entities: &EntityCache, home: &HomeIndex) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let cached = entities.cached();
    let (statuses, cached_accounts, apps) = (cached.statuses, cached.accounts, cached.apps);
    for status in statuses {
        let fresh = rows::load_statuses(c, &[status.id.0])?.pop();
        if fresh.as_ref() != Some(&*status) {
            found.push(format!("status {}: cached {status:?}, database {fresh:?}", status.id));
        }
    }
    for account in cached_accounts {
        let fresh = accounts::find(c, account.id)?;
        if fresh.as_ref() != Some(&*account) {
            found.push(format!("account {}: cached {account:?}, database {fresh:?}", account.id));
        }
    }
    for app in apps {
        let fresh = oauth::find_app(c, AppId(app.id.0))?;
        if fresh.as_ref() != Some(&*app) {
            found.push(format!("app {}: cached {app:?}, database {fresh:?}", app.id));
        }
    }
    let index = home.snapshot();
    compare(&mut found, "home sources of", index.sources, |id| load_sources(c, AccountId(id)))?;
    compare(&mut found, "newest statuses of", index.recent, |id| recent(c, id))?;
    compare(&mut found, "marks of", index.marks, |id| load_marks(c, AccountId(id)))?;
    if let Some(hidden) = index.hidden {
        let fresh = hidden_accounts(c)?;
        if *hidden != fresh {
            found.push(format!("hidden accounts: cached {hidden:?}, database {fresh:?}"));
        }
    }
    Ok(found)
}

fn compare<T: PartialEq + std::fmt::Debug>(
    found: &mut Vec<String>,
    what: &str,
    kept: Vec<(i64, Arc<T>)>,
    load: impl Fn(i64) -> Result<T>,
) -> Result<()> {
    for (id, value) in kept {
        let fresh = load(id)?;
        if fresh != *value {
            found.push(format!("{what} {id}: cached {value:?}, database {fresh:?}"));
        }
    }
    Ok(())
}
