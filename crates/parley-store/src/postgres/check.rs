//! The rebuild-and-compare check on PostgreSQL: every entry the node's
//! derived state holds (entity cache, home index) is read again from the
//! database and compared (the twin of `sqlite/check.rs`).

use parley_core::{AccountId, AppId};
use sqlx::PgConnection;

use super::home::{hidden_accounts, load_sources, recent};
use super::statuses::load_marks;
use super::{accounts, oauth, rows};
use crate::Result;
use crate::derived::entities::EntityCache;
use crate::derived::home_index::HomeIndex;

/// Every difference between what is kept and what the database says.
pub async fn differences(c: &mut PgConnection, entities: &EntityCache, home: &HomeIndex) -> Result<Vec<String>> {
    let mut found = Vec::new();
    let cached = entities.cached();
    for status in cached.statuses {
        let fresh = rows::load_statuses(c, &[status.id.0]).await?.pop();
        if fresh.as_ref() != Some(&*status) {
            found.push(format!("status {}: cached {status:?}, database {fresh:?}", status.id));
        }
    }
    for account in cached.accounts {
        let fresh = accounts::find(c, account.id).await?;
        if fresh.as_ref() != Some(&*account) {
            found.push(format!("account {}: cached {account:?}, database {fresh:?}", account.id));
        }
    }
    for app in cached.apps {
        let fresh = oauth::find_app(c, AppId(app.id.0)).await?;
        if fresh.as_ref() != Some(&*app) {
            found.push(format!("app {}: cached {app:?}, database {fresh:?}", app.id));
        }
    }
    let index = home.snapshot();
    for (id, kept) in index.sources {
        let fresh = load_sources(c, AccountId(id)).await?;
        if fresh != *kept {
            found.push(format!("home sources of {id}: cached {kept:?}, database {fresh:?}"));
        }
    }
    for (id, kept) in index.recent {
        let fresh = recent(c, id).await?;
        if fresh != *kept {
            found.push(format!("newest statuses of {id}: cached {kept:?}, database {fresh:?}"));
        }
    }
    for (id, kept) in index.marks {
        let fresh = load_marks(c, AccountId(id)).await?;
        if fresh != *kept {
            found.push(format!("marks of {id}: cached {kept:?}, database {fresh:?}"));
        }
    }
    if let Some(hidden) = index.hidden {
        let fresh = hidden_accounts(c).await?;
        if *hidden != fresh {
            found.push(format!("hidden accounts: cached {hidden:?}, database {fresh:?}"));
        }
    }
    Ok(found)
}
