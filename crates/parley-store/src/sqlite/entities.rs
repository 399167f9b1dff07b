//! The entity cache ([`EntityCache`]) filled from SQLite: the loads it asks
//! for, as this backend's queries.

use std::sync::Arc;

use parley_core::model::{Account, App, Status};
use parley_core::{AccountId, AppId};
use rusqlite::Connection;

use super::{accounts, oauth, rows};
use crate::Result;
use crate::derived::entities::EntityCache;

/// Reads through the entity cache, loading misses on `c`.
pub trait SqliteLoads {
    fn statuses_on(&self, c: &Connection, ids: &[i64]) -> Result<Vec<Arc<Status>>>;
    fn accounts_on(&self, c: &Connection, ids: &[AccountId]) -> Result<Vec<Arc<Account>>>;
    fn app_on(&self, c: &Connection, id: AppId) -> Result<Option<App>>;
}

impl SqliteLoads for EntityCache {
    fn statuses_on(&self, c: &Connection, ids: &[i64]) -> Result<Vec<Arc<Status>>> {
        self.statuses(ids, |missing| rows::load_statuses(c, missing))
    }
    fn accounts_on(&self, c: &Connection, ids: &[AccountId]) -> Result<Vec<Arc<Account>>> {
        self.accounts(ids, |missing| accounts::find_many(c, missing))
    }
    fn app_on(&self, c: &Connection, id: AppId) -> Result<Option<App>> {
        self.app(id, |id| oauth::find_app(c, id))
    }
}
