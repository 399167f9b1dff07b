//! The PostgreSQL implementation of [`Store`] (the `postgres` feature): for
//! an instance that outgrows one machine, several Parley nodes on one
//! database.
//!
//! Each submodule holds the SQL of one concern as plain async functions
//! over a `&mut PgConnection` (reads) or a [`write::Write`] (a transaction
//! and the change records it appends); this file only routes trait methods
//! to them. Nodes stay in step through the change log: each applies its own
//! records right after its commit, and the others' when `NOTIFY` says there
//! are new ones (with a periodic poll as a fallback): see [`changelog`].
//! The backend-neutral derived state (entity cache, home index) is the
//! SQLite store's, in `crate::derived`.

mod accounts;
mod bookmarks;
mod bulk;
mod changelog;
mod check;
mod constraints;
mod conversations;
mod filters;
mod home;
mod keys;
mod lists;
mod markers;
mod media;
mod notifications;
mod oauth;
mod poll_log;
mod polls;
mod routes;
mod rows;
mod scheduled;
mod social;
mod statuses;
mod suggestions;
pub mod testing;
mod timelines;
mod visibility;
mod write;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parley_core::IdGenerator;
use parley_core::model::{Account, App, Status};
use parley_core::{AccountId, AppId, StatusId};
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sqlx::{PgConnection, Postgres};

use self::write::Write;
use crate::changes::{ChangeFeed, ChangeRecord, Fetched};
use crate::derived::{entities::EntityCache, home_index::HomeIndex};
use crate::{Result, StoreError};

/// Migrations, in order, numbered as `migrations/sqlite/` (a test checks).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/postgres/0001_core.sql")),
    (2, include_str!("../../migrations/postgres/0002_polls.sql")),
    (3, include_str!("../../migrations/postgres/0003_suspended_index.sql")),
    (4, include_str!("../../migrations/postgres/0004_auth_generation.sql")),
    (5, include_str!("../../migrations/postgres/0005_token_lookup.sql")),
    (6, include_str!("../../migrations/postgres/0006_change_log.sql")),
    (7, include_str!("../../migrations/postgres/0007_grant_redemption.sql")),
    (8, include_str!("../../migrations/postgres/0008_poll_eligibility.sql")),
    (9, include_str!("../../migrations/postgres/0009_notification_groups.sql")),
    (10, include_str!("../../migrations/postgres/0010_markers.sql")),
    (11, include_str!("../../migrations/postgres/0011_posting_defaults.sql")),
    (12, include_str!("../../migrations/postgres/0012_bookmarks.sql")),
    (13, include_str!("../../migrations/postgres/0013_mute_expiry.sql")),
    (14, include_str!("../../migrations/postgres/0014_hidden_index.sql")),
    (15, include_str!("../../migrations/postgres/0015_conversations.sql")),
    (16, include_str!("../../migrations/postgres/0016_scheduled_statuses.sql")),
    (17, include_str!("../../migrations/postgres/0017_lists.sql")),
    (18, include_str!("../../migrations/postgres/0018_filters.sql")),
    (19, include_str!("../../migrations/postgres/0019_suggestions.sql")),
    (20, include_str!("../../migrations/postgres/0020_media.sql")),
    (21, include_str!("../../migrations/postgres/0021_signing_keys.sql")),
    (22, include_str!("../../migrations/postgres/0022_poll_rounds.sql")),
    (23, include_str!("../../migrations/postgres/0023_poll_log.sql")),
    (24, include_str!("../../migrations/postgres/0024_poll_cosignatures.sql")),
];

/// The versions of the bundled migrations (a test checks every backend lists the same).
pub fn migration_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|(v, _)| *v).collect()
}

/// The advisory lock nodes take to migrate one at a time ("parley" in ASCII).
const MIGRATION_LOCK: i64 = 0x7061_726c_6579;

/// How to connect.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections in this node's pool.
    pub max_connections: u32,
    /// How often the log is read even without a `NOTIFY` (a lost
    /// notification, a listener reconnecting).
    pub poll_interval: Duration,
    /// How long change records are kept.
    pub change_retention: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 16,
            poll_interval: Duration::from_millis(500),
            change_retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// How often this node renews its node number and prunes the log.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(10);

/// A write's body: runs inside the transaction, borrowing it.
pub(crate) type WriteFuture<'w, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'w>>;

/// The PostgreSQL store. Cheap to clone; clones share the pool and the
/// derived state.
#[derive(Clone)]
pub struct PgStore {
    inner: Arc<Inner>,
}

struct Inner {
    pool: PgPool,
    ids: Arc<IdGenerator>,
    /// This node's number (in every ID it makes) and when it was claimed.
    node: i64,
    node_claimed_at: i64,
    home: Arc<HomeIndex>,
    entities: Arc<EntityCache>,
    feed: Arc<ChangeFeed>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Give the node number back if a runtime is still there to do it;
        // otherwise its lease simply runs out.
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let (pool, node, at) = (self.pool.clone(), self.node, self.node_claimed_at);
            handle.spawn(async move {
                if let Ok(mut c) = pool.acquire().await
                    && let Err(e) = changelog::release_node(&mut c, node, at).await
                {
                    tracing::warn!(error = %e, node, "cannot release the node number");
                }
            });
        }
    }
}

impl PgStore {
    /// Connects to `url` (`postgres://…`), runs pending migrations, claims a
    /// node number and starts following the change log.
    pub async fn open(url: &str, options: PgOptions) -> Result<PgStore> {
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(2))
            // Waiting for a connection is queueing for the database: under a burst
            // of writes it takes seconds, and the HTTP layer's request timeout
            // bounds it for requests (grouped commits per node will shorten it).
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        migrate(&pool).await?;
        let mut c = pool.acquire().await?;
        let (node, node_claimed_at) = changelog::claim_node(&mut c).await?;
        let ids = Arc::new(IdGenerator::for_node(node));
        ids.observe(rows::max_id(&mut c).await?);
        // Derived state starts empty: it reflects the log up to here by loading from the database.
        let feed = Arc::new(ChangeFeed::new(changelog::last_seq(&mut c).await?));
        drop(c);
        let entities = Arc::new(EntityCache::default());
        let home = Arc::new(HomeIndex::default());
        feed.subscribe(entities.clone());
        feed.subscribe(home.clone());
        let store = PgStore { inner: Arc::new(Inner { pool, ids, node, node_claimed_at, home, entities, feed }) };
        let listener = PgListener::connect(url).await?;
        start_tailer(Arc::downgrade(&store.inner), listener, options);
        Ok(store)
    }

    /// The last change record this node has applied.
    pub fn applied_seq(&self) -> i64 {
        self.inner.feed.applied()
    }

    /// This node's number.
    pub fn node(&self) -> i64 {
        self.inner.node
    }

    /// The ID generator this store assigns IDs from.
    pub fn ids(&self) -> Arc<IdGenerator> {
        self.inner.ids.clone()
    }

    /// A pooled connection for a read.
    async fn conn(&self) -> Result<PoolConnection<Postgres>> {
        Ok(self.inner.pool.acquire().await?)
    }

    /// Runs `f` in one transaction and commits it with its change records;
    /// resolves once it is durable and its records are applied to this
    /// node's derived state. Runs in a task of its own (see [`write`]).
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'w> FnOnce(&'w mut Write) -> WriteFuture<'w, T> + Send + 'static,
    {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let tx = inner.pool.begin().await?;
            let mut w = Write::new(tx, inner.ids.clone());
            let value = f(&mut w).await?;
            let records = w.commit().await?;
            inner.apply_own(records).await;
            Ok(value)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("write task failed: {e}")))?
    }

    /// Accounts by ID through the entity cache.
    async fn cached_accounts(&self, ids: &[AccountId]) -> Result<Vec<Arc<Account>>> {
        let lookup = self.inner.entities.start_accounts(ids);
        let missing: Vec<AccountId> = lookup.missing_ids().into_iter().map(AccountId).collect();
        let loaded = if missing.is_empty() {
            Vec::new()
        } else {
            accounts::find_many(&mut *self.conn().await?, &missing).await?
        };
        Ok(self.inner.entities.finish_accounts(lookup, loaded))
    }

    /// Statuses by ID through the entity cache, in the order given.
    async fn cached_statuses(&self, c: &mut PgConnection, ids: &[i64]) -> Result<Vec<Arc<Status>>> {
        let lookup = self.inner.entities.start_statuses(ids);
        let missing = lookup.missing_ids();
        let loaded = if missing.is_empty() { Vec::new() } else { rows::load_statuses(c, &missing).await? };
        Ok(self.inner.entities.finish_statuses(lookup, loaded))
    }

    async fn cached_app(&self, id: AppId) -> Result<Option<App>> {
        let lookup = self.inner.entities.start_app(id);
        let loaded =
            if lookup.missing_ids().is_empty() { None } else { oauth::find_app(&mut *self.conn().await?, id).await? };
        Ok(self.inner.entities.finish_app(lookup, loaded))
    }

    /// Statuses and accounts read from the database, past the entity cache
    /// (tests compare the two after every kind of write).
    pub async fn entities_uncached(
        &self,
        statuses: Vec<StatusId>,
        accounts: Vec<AccountId>,
    ) -> Result<(Vec<Status>, Vec<Account>)> {
        let mut c = self.conn().await?;
        let raw: Vec<i64> = statuses.iter().map(|id| id.0).collect();
        Ok((rows::load_statuses(&mut c, &raw).await?, accounts::find_many(&mut c, &accounts).await?))
    }

    /// A viewer's marks read from the database, past the index (tests compare the two).
    pub async fn status_flags_uncached(&self, viewer: AccountId, ids: Vec<StatusId>) -> Result<crate::StatusFlags> {
        Ok(statuses::load_marks(&mut *self.conn().await?, viewer).await?.flags(&ids))
    }

    /// The home timeline by the reference query.
    pub async fn home_timeline_reference(
        &self,
        viewer: AccountId,
        page: parley_core::page::PageRequest,
    ) -> Result<Vec<Status>> {
        timelines::home_reference(&mut *self.conn().await?, viewer, page).await
    }

    /// The unique indexes and constraints of the schema that
    /// `constraints.rs` does not list (a test wants none).
    pub async fn unlisted_unique_constraints(&self) -> Result<Vec<String>> {
        let names = constraints::schema_unique_names(&mut *self.conn().await?).await?;
        Ok(names.into_iter().filter(|n| !constraints::is_listed(n)).collect())
    }

    /// Runs arbitrary SQL (admin tools and tests only); every node forgets
    /// what it derived, since no record can say what changed.
    pub async fn execute_admin_sql(&self, sql: String) -> Result<()> {
        self.write(move |w| {
            Box::pin(async move {
                sqlx::raw_sql(rows::sql(sql)).execute(w.c()).await?;
                w.append(crate::changes::Change::Everything);
                Ok(())
            })
        })
        .await
    }
}

impl Inner {
    /// Applies records this node just committed (read your writes). When
    /// another node's records come first, they are read from the table:
    /// they committed before ours (the log's lock orders commits).
    async fn apply_own(&self, records: Vec<ChangeRecord>) {
        let Some(first) = records.first() else { return };
        if first.seq > self.feed.applied() + 1 {
            // A failed read has already forgotten all derived state (in
            // `catch_up`): what is served is loaded afresh, never stale.
            if let Err(e) = self.catch_up().await {
                tracing::warn!(error = %e, "cannot read other nodes' records before applying our own");
            }
        }
        self.feed.apply(records, |_| Ok(Fetched::default()));
    }

    /// Applies every record the log holds now; the position applied. A
    /// failed read forgets all derived state (so nothing stale is served).
    async fn catch_up(&self) -> Result<i64> {
        loop {
            let after = self.feed.applied();
            let fetched = match self.pool.acquire().await {
                Ok(mut c) => changelog::read_after(&mut c, after).await,
                Err(e) => Err(e.into()),
            };
            let fetched = match fetched {
                Ok(f) => f,
                Err(e) => {
                    let message = e.to_string();
                    self.feed.apply(Vec::new(), |_| Err(StoreError::Backend(message.clone())));
                    return Err(e);
                }
            };
            if fetched.records.is_empty() {
                return Ok(self.feed.applied());
            }
            let mut once = Some(fetched);
            self.feed.apply(Vec::new(), move |at| {
                Ok(match once.take() {
                    Some(f) if at == after => f,
                    // Another task applied some meanwhile: what is left needs no gap check.
                    Some(f) => Fetched { records: f.records, missed: false },
                    None => Fetched::default(),
                })
            });
        }
    }
}

/// Applies what other nodes append to the log, woken by `NOTIFY` (or every
/// `poll_interval`), and keeps this node's number and the log's retention:
/// a task ending with the store.
fn start_tailer(store: Weak<Inner>, mut listener: PgListener, options: PgOptions) {
    let keep_ms = i64::try_from(options.change_retention.as_millis()).unwrap_or(i64::MAX);
    tokio::spawn(async move {
        if let Err(e) = listener.listen(changelog::CHANNEL).await {
            tracing::error!(error = %e, "cannot listen for change records; reading the log every poll instead");
        }
        let mut last_housekeeping = tokio::time::Instant::now();
        loop {
            let announced = tokio::select! {
                n = listener.recv() => match n {
                    Ok(n) => n.payload().parse::<i64>().ok(),
                    Err(e) => {
                        tracing::warn!(error = %e, "change notifications interrupted; reconnecting");
                        tokio::time::sleep(options.poll_interval).await;
                        None
                    }
                },
                _ = tokio::time::sleep(options.poll_interval) => None,
            };
            let Some(inner) = store.upgrade() else { return };
            if announced.is_none_or(|seq| seq > inner.feed.applied())
                && let Err(e) = inner.catch_up().await
            {
                tracing::error!(error = %e, "cannot read the change log");
            }
            if last_housekeeping.elapsed() >= HOUSEKEEPING_INTERVAL {
                last_housekeeping = tokio::time::Instant::now();
                if let Err(e) = housekeeping(&inner, keep_ms).await {
                    tracing::error!(error = %e, "change log housekeeping failed");
                }
            }
        }
    });
}

async fn housekeeping(inner: &Inner, keep_ms: i64) -> Result<()> {
    let mut c = inner.pool.acquire().await?;
    changelog::heartbeat(&mut c, inner.node).await?;
    changelog::prune(&mut c, keep_ms).await?;
    Ok(())
}

async fn migrate(pool: &PgPool) -> Result<()> {
    let mut c = pool.acquire().await?;
    // One node migrates at a time; the others wait, then find nothing to do.
    sqlx::query("SELECT pg_advisory_lock($1)").bind(MIGRATION_LOCK).execute(&mut *c).await?;
    let result = run_migrations(&mut c).await;
    sqlx::query("SELECT pg_advisory_unlock($1)").bind(MIGRATION_LOCK).execute(&mut *c).await?;
    result
}

async fn run_migrations(c: &mut PgConnection) -> Result<()> {
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *c)
    .await?;
    for (version, sql) in MIGRATIONS {
        let applied: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)")
            .bind(version)
            .fetch_one(&mut *c)
            .await?;
        if applied {
            continue;
        }
        let mut tx = sqlx::Connection::begin(&mut *c).await?;
        sqlx::raw_sql(*sql).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(changelog::now_ms())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        tracing::info!(version, "applied migration");
    }
    Ok(())
}
