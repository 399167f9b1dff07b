//! The backends the store's contract is checked on: SQLite always (a real
//! file in a temporary directory, so WAL and the writer thread are in play),
//! PostgreSQL when it answers (a fresh database per test, so tests run in
//! parallel; see `parley_store::postgres::testing`).
//!
//! `on_both_backends!(name, …)` turns each `async fn name(backend: &Backend)`
//! into the tests `name::sqlite` and `name::postgres`.

// Test code: a failed setup step should stop the test with a message.
#![allow(clippy::expect_used, dead_code)]

use std::sync::Arc;

use parley_core::AccountId;
use parley_core::StatusId;
use parley_core::model::{Account, Status};
use parley_core::page::PageRequest;
use parley_store::postgres::testing::TestDatabase;
use parley_store::postgres::{PgOptions, PgStore};
use parley_store::sqlite::{SqliteOptions, SqliteStore};
use parley_store::{StatusFlags, Store, StoreError};

/// Where a test's data lives; each [`Backend::open`] is another process
/// (or node) on the same data.
pub enum Backend {
    Sqlite(tempfile::TempDir),
    Postgres(TestDatabase),
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite(tempfile::tempdir().expect("dir"))
    }

    /// A fresh database, or `None` (said on stderr) when PostgreSQL does not
    /// answer; a failure when `PARLEY_REQUIRE_POSTGRES=1`.
    pub async fn postgres(test: &str) -> Option<Backend> {
        TestDatabase::create(test).await.expect("PostgreSQL test database").map(Backend::Postgres)
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    pub async fn open(&self) -> Opened {
        match self {
            Backend::Sqlite(dir) => Opened::Sqlite(
                SqliteStore::open(&dir.path().join("db.sqlite3"), SqliteOptions::default()).expect("open sqlite"),
            ),
            Backend::Postgres(db) => {
                Opened::Postgres(PgStore::open(db.url(), PgOptions::default()).await.expect("open postgres"))
            }
        }
    }

    /// Opened, as `dyn Store` only.
    pub async fn store(&self) -> Arc<dyn Store> {
        self.open().await.store()
    }
}

/// An open store, as itself (for its reference queries) or as `dyn Store`.
#[derive(Clone)]
pub enum Opened {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Opened {
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Opened::Sqlite(s) => Arc::new(s.clone()),
            Opened::Postgres(s) => Arc::new(s.clone()),
        }
    }

    pub fn node(&self) -> i64 {
        match self {
            Opened::Sqlite(s) => s.node(),
            Opened::Postgres(s) => s.node(),
        }
    }

    pub async fn home_timeline_reference(
        &self,
        viewer: AccountId,
        page: PageRequest,
    ) -> Result<Vec<Status>, StoreError> {
        match self {
            Opened::Sqlite(s) => s.home_timeline_reference(viewer, page).await,
            Opened::Postgres(s) => s.home_timeline_reference(viewer, page).await,
        }
    }

    pub async fn entities_uncached(
        &self,
        statuses: Vec<StatusId>,
        accounts: Vec<AccountId>,
    ) -> Result<(Vec<Status>, Vec<Account>), StoreError> {
        match self {
            Opened::Sqlite(s) => s.entities_uncached(statuses, accounts).await,
            Opened::Postgres(s) => s.entities_uncached(statuses, accounts).await,
        }
    }

    pub async fn status_flags_uncached(
        &self,
        viewer: AccountId,
        ids: Vec<StatusId>,
    ) -> Result<StatusFlags, StoreError> {
        match self {
            Opened::Sqlite(s) => s.status_flags_uncached(viewer, ids).await,
            Opened::Postgres(s) => s.status_flags_uncached(viewer, ids).await,
        }
    }
}

/// `async fn name(backend: &Backend)` → the tests `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(&$crate::common::Backend::sqlite()).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(backend) = $crate::common::Backend::postgres(stringify!($name)).await {
                    super::$name(&backend).await
                }
            }
        }
    )*};
}
