//! How a write runs on PostgreSQL: one transaction per call ([`Write`]),
//! its change records appended last (`changelog::append_all`), and once it
//! has committed, its records applied to this node's derived state before
//! the caller is answered (read your writes).
//!
//! Every write runs in a task of its own ([`PgStore::write`]): a client
//! that disconnects drops the request's future, never a commit half-applied
//! to derived state. That task is also where grouped commits per node will
//! go (a queue of writes run in one transaction, as the SQLite writer
//! does), without changing any query module.

use std::sync::Arc;

use parley_core::IdGenerator;
use sqlx::{PgConnection, Postgres, Transaction};

use super::changelog;
use crate::Result;
use crate::changes::{Change, ChangeRecord};

/// A write's transaction, the ID generator, and the change records it
/// appends when it commits.
pub struct Write {
    tx: Transaction<'static, Postgres>,
    pub ids: Arc<IdGenerator>,
    changes: Vec<Change>,
}

impl Write {
    pub(super) fn new(tx: Transaction<'static, Postgres>, ids: Arc<IdGenerator>) -> Write {
        Write { tx, ids, changes: Vec::new() }
    }

    /// The transaction's connection, for queries.
    pub fn c(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    /// Records a change, appended to the log when the transaction commits.
    pub fn append(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// A fresh ID from this node.
    pub fn next_id(&self) -> i64 {
        self.ids.next_raw()
    }

    /// Appends the records and commits; the records, numbered.
    pub(super) async fn commit(mut self) -> Result<Vec<ChangeRecord>> {
        let changes = std::mem::take(&mut self.changes);
        let records = changelog::append_all(&mut self.tx, changes).await?;
        self.tx.commit().await?;
        Ok(records)
    }
}
