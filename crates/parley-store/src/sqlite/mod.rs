//! The SQLite implementation of [`Store`]: one database file in WAL mode, one
//! writer thread committing in groups ([`writer`]), a small pool of read-only
//! connections for queries.
//!
//! Each submodule holds the SQL of one concern as plain functions over a
//! `&Connection`; this file only routes trait methods to them, so which
//! thread runs a query (writer or reader) is decided in one place.

mod accounts;
pub mod backup;
mod bookmarks;
mod bulk;
mod changelog;
mod check;
mod constraints;
mod conversations;
mod entities;
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
mod rows;
mod scheduled;
mod social;
mod statuses;
mod suggestions;
mod timelines;
mod visibility;
pub mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use parley_core::IdGenerator;
use parley_core::grouping::GroupKey;
use parley_core::media::MediaAttachment;
use parley_core::model::{
    Account, App, List, Marker, MarkerTimeline, Notification, NotificationKind, Poll, PostingDefaults, Relationship,
    Status, StatusEdit,
};
use parley_core::page::PageRequest;
use parley_core::{
    AccountId, AppId, ConversationId, ListId, MediaId, NotificationId, PollId, ScheduledStatusId, StatusId,
};
use rusqlite::{Connection, OpenFlags};
use tokio::sync::Semaphore;

use self::entities::SqliteLoads;
use self::writer::Writer;
use crate::changes::{ChangeFeed, ChangeListener, ChangeRecord};
use crate::derived::{entities::EntityCache, home_index::HomeIndex};
use crate::types::*;
use crate::{Result, Store, StoreError};

/// Numbers each opened store (see `Inner::instance`).
static NEXT_INSTANCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// Prepared statements kept per connection: more than the queries Parley has,
/// so no query is parsed twice (rusqlite's default of 16 is far too few).
const STATEMENT_CACHE: usize = 256;

/// Migrations, in order. Each runs once, in its own transaction.
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../../migrations/sqlite/0001_core.sql")),
    (2, include_str!("../../migrations/sqlite/0002_polls.sql")),
    (3, include_str!("../../migrations/sqlite/0003_suspended_index.sql")),
    (4, include_str!("../../migrations/sqlite/0004_auth_generation.sql")),
    (5, include_str!("../../migrations/sqlite/0005_token_lookup.sql")),
    (6, include_str!("../../migrations/sqlite/0006_change_log.sql")),
    (7, include_str!("../../migrations/sqlite/0007_grant_redemption.sql")),
    (8, include_str!("../../migrations/sqlite/0008_poll_eligibility.sql")),
    (9, include_str!("../../migrations/sqlite/0009_notification_groups.sql")),
    (10, include_str!("../../migrations/sqlite/0010_markers.sql")),
    (11, include_str!("../../migrations/sqlite/0011_posting_defaults.sql")),
    (12, include_str!("../../migrations/sqlite/0012_bookmarks.sql")),
    (13, include_str!("../../migrations/sqlite/0013_mute_expiry.sql")),
    (14, include_str!("../../migrations/sqlite/0014_hidden_index.sql")),
    (15, include_str!("../../migrations/sqlite/0015_conversations.sql")),
    (16, include_str!("../../migrations/sqlite/0016_scheduled_statuses.sql")),
    (17, include_str!("../../migrations/sqlite/0017_lists.sql")),
    (18, include_str!("../../migrations/sqlite/0018_filters.sql")),
    (19, include_str!("../../migrations/sqlite/0019_suggestions.sql")),
    (20, include_str!("../../migrations/sqlite/0020_media.sql")),
    (21, include_str!("../../migrations/sqlite/0021_signing_keys.sql")),
    (22, include_str!("../../migrations/sqlite/0022_poll_rounds.sql")),
    (23, include_str!("../../migrations/sqlite/0023_poll_log.sql")),
    (24, include_str!("../../migrations/sqlite/0024_poll_cosignatures.sql")),
];

impl From<rusqlite::Error> for StoreError {
    /// A uniqueness violation is the named conflict it means (`constraints`).
    fn from(e: rusqlite::Error) -> Self {
        constraints::store_error(e)
    }
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Read-only connections in the pool (and reads running at once).
    pub readers: usize,
    /// How often the log is checked for records other processes wrote.
    pub tail_interval: Duration,
    /// How long change records are kept (a process that falls further
    /// behind than this forgets all it derived and starts over).
    pub change_retention: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            readers: 4,
            tail_interval: Duration::from_millis(25),
            change_retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// How often this process renews its node number and prunes the log.
const HOUSEKEEPING_INTERVAL: Duration = Duration::from_secs(10);

/// The SQLite store. Cheap to clone; all clones share the writer and the pool.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    /// Tells this store's thread-local connections from another store's.
    instance: u64,
    path: PathBuf,
    writer: Writer,
    readers: Mutex<Vec<Connection>>,
    read_slots: Arc<Semaphore>,
    ids: Arc<IdGenerator>,
    /// This process's node number (in every ID it makes).
    node: i64,
    home: Arc<HomeIndex>,
    entities: Arc<EntityCache>,
    /// The change log's applied position and who is told of each record.
    feed: Arc<ChangeFeed>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last write the writer runs before it stops.
        let node = self.node;
        self.writer.submit("release the node number", move |c| changelog::release_node(c, node));
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: &Path, options: SqliteOptions) -> Result<SqliteStore> {
        let mut conn = Connection::open(path)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        migrate(&mut conn)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let node = changelog::claim_node(&mut conn)?;
        let ids = Arc::new(IdGenerator::for_node(node));
        ids.observe(rows::max_id(&conn)?);
        // Derived state starts empty: it reflects the log up to here by loading from the database.
        let feed = Arc::new(ChangeFeed::new(changelog::last_seq(&conn)?));
        let entities = Arc::new(EntityCache::default());
        let home = Arc::new(HomeIndex::default());
        feed.subscribe(entities.clone());
        feed.subscribe(home.clone());
        let mut readers = Vec::with_capacity(options.readers);
        for _ in 0..options.readers.max(1) {
            readers.push(open_reader(path)?);
        }
        let applier = feed.clone();
        let writer = Writer::start(
            conn,
            Box::new(move |c, committed| applier.apply(committed, |after| changelog::read_after(c, after))),
        )?;
        let store = SqliteStore {
            inner: Arc::new(Inner {
                instance: NEXT_INSTANCE.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                path: path.to_path_buf(),
                writer,
                read_slots: Arc::new(Semaphore::new(readers.len())),
                readers: Mutex::new(readers),
                ids,
                node,
                home,
                entities,
                feed,
            }),
        };
        start_tailer(Arc::downgrade(&store.inner), open_reader(path)?, options)?;
        Ok(store)
    }

    /// The last change record this process has applied.
    pub fn applied_seq(&self) -> i64 {
        self.inner.feed.applied()
    }

    /// This process's node number.
    pub fn node(&self) -> i64 {
        self.inner.node
    }

    /// The ID generator this store assigns IDs from.
    pub fn ids(&self) -> Arc<IdGenerator> {
        self.inner.ids.clone()
    }

    /// Runs a point read (a few index lookups, or one per item of a page:
    /// microseconds to a fraction of a millisecond) on the calling
    /// thread, with that thread's own read-only connection: no hand-off to
    /// another thread, which under load costs more than the read itself. Scans
    /// and anything that may take long go through [`Self::read`] instead.
    fn read_here<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        thread_local! {
            static CONNECTIONS: std::cell::RefCell<HashMap<u64, Connection>> = std::cell::RefCell::new(HashMap::new());
        }
        CONNECTIONS.with(|cell| {
            let mut conns = cell.borrow_mut();
            let conn = match conns.entry(self.inner.instance) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(open_reader(&self.inner.path)?),
            };
            f(conn)
        })
    }

    /// Runs a query on a pooled read-only connection, off the async threads.
    async fn read<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let permit = self
            .inner
            .read_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Backend("reader pool closed".into()))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || {
            let pooled = inner.readers.lock().map_err(|_| poisoned())?.pop();
            // A connection is lost only if a query panicked; open a fresh one.
            let conn = match pooled {
                Some(c) => c,
                None => open_reader(&inner.path)?,
            };
            let result = f(&conn);
            inner.readers.lock().map_err(|_| poisoned())?.push(conn);
            drop(permit);
            result
        })
        .await
        .map_err(|e| StoreError::Backend(format!("read task failed: {e}")))?
    }

    /// Runs a write on the writer thread; resolves once it is durable and its
    /// change records are applied to this process's derived state.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &IdGenerator) -> Result<T> + Send + 'static,
    {
        let ids = self.inner.ids.clone();
        self.inner.writer.write(move |c| f(c, &ids)).await
    }

    /// Accounts by ID through the entity cache.
    fn cached_accounts(&self, ids: &[AccountId]) -> Result<Vec<Arc<Account>>> {
        self.read_here(|c| self.inner.entities.accounts_on(c, ids))
    }

    /// Statuses and accounts read from the database, past the entity cache
    /// (tests compare the two after every kind of write).
    pub async fn entities_uncached(
        &self,
        statuses: Vec<StatusId>,
        accounts: Vec<AccountId>,
    ) -> Result<(Vec<Status>, Vec<Account>)> {
        self.read(move |c| {
            let raw: Vec<i64> = statuses.iter().map(|id| id.0).collect();
            Ok((rows::load_statuses(c, &raw)?, accounts::find_many(c, &accounts)?))
        })
        .await
    }

    /// A viewer's marks read from the database, past the index (tests compare the two).
    pub async fn status_flags_uncached(&self, viewer: AccountId, ids: Vec<StatusId>) -> Result<StatusFlags> {
        self.read(move |c| Ok(statuses::load_marks(c, viewer)?.flags(&ids))).await
    }

    /// The home timeline by the reference query (tests compare it with the fast one).
    pub async fn home_timeline_reference(&self, viewer: AccountId, page: PageRequest) -> Result<Vec<Status>> {
        self.read(move |c| timelines::home_reference(c, viewer, page)).await
    }

    /// Runs arbitrary SQL on the writer (admin tools and tests only); every
    /// process forgets what it derived, since no record can say what changed.
    pub async fn execute_admin_sql(&self, sql: String) -> Result<()> {
        self.write(move |c, _| {
            c.execute_batch(&sql)?;
            changelog::append(c, crate::changes::Change::Everything)
        })
        .await
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub async fn integrity_check(&self) -> Result<String> {
        self.read(|c| Ok(c.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)).await
    }
}

/// Applies what other processes append to the log, and keeps this process's
/// node number and the log's retention: a thread of its own, ending with the store.
fn start_tailer(store: Weak<Inner>, conn: Connection, options: SqliteOptions) -> Result<()> {
    let keep_ms = i64::try_from(options.change_retention.as_millis()).unwrap_or(i64::MAX);
    std::thread::Builder::new()
        .name("change-log-tailer".into())
        .spawn(move || {
            let mut last_housekeeping = std::time::Instant::now();
            loop {
                std::thread::sleep(options.tail_interval);
                let Some(inner) = store.upgrade() else { return };
                match changelog::last_seq(&conn) {
                    Ok(last) if last > inner.feed.applied() => {
                        inner.feed.apply(Vec::new(), |after| changelog::read_after(&conn, after));
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "cannot read the change log's position"),
                }
                if last_housekeeping.elapsed() >= HOUSEKEEPING_INTERVAL {
                    last_housekeeping = std::time::Instant::now();
                    let node = inner.node;
                    inner.writer.submit("renew the node number", move |c| changelog::heartbeat(c, node));
                    inner.writer.submit("prune the change log", move |c| changelog::prune(c, keep_ms).map(|_| ()));
                }
            }
        })
        .map_err(|e| StoreError::Backend(format!("cannot start the change log tailer: {e}")))?;
    Ok(())
}

fn poisoned() -> StoreError {
    StoreError::Backend("reader pool lock poisoned".into())
}

fn open_reader(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    conn.execute_batch("PRAGMA busy_timeout = 5000; PRAGMA query_only = 1; PRAGMA cache_size = -16384;")?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)",
    )?;
    for (version, sql) in MIGRATIONS {
        let applied: bool =
            conn.query_row("SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?1)", [version], |r| {
                r.get(0)
            })?;
        if applied {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            rusqlite::params![version, chrono::Utc::now().timestamp_millis()],
        )?;
        tx.commit()?;
        tracing::info!(version, "applied migration");
    }
    Ok(())
}

/// The versions of the bundled migrations (a test checks every backend lists the same).
pub fn migration_versions() -> Vec<i64> {
    MIGRATIONS.iter().map(|(v, _)| *v).collect()
}

#[async_trait]
impl Store for SqliteStore {
    fn subscribe(&self, listener: Arc<dyn ChangeListener>) {
        self.inner.feed.subscribe(listener);
    }
    async fn catch_up(&self) -> Result<i64> {
        let feed = self.inner.feed.clone();
        self.read(move |c| {
            feed.apply(Vec::new(), |after| changelog::read_after(c, after));
            Ok(feed.applied())
        })
        .await
    }
    async fn changes_after(&self, after: i64, limit: usize) -> Result<Vec<ChangeRecord>> {
        let mut records = self.read(move |c| Ok(changelog::read_after(c, after)?.records)).await?;
        records.truncate(limit);
        Ok(records)
    }
    async fn check_derived(&self) -> Result<Vec<String>> {
        self.catch_up().await?;
        let inner = self.inner.clone();
        self.read(move |c| check::differences(c, &inner.entities, &inner.home)).await
    }

    async fn create_account(&self, new: NewAccount) -> Result<Account> {
        self.write(move |c, ids| accounts::create(c, ids, new)).await
    }
    async fn find_account(&self, id: AccountId) -> Result<Option<Account>> {
        Ok(self.cached_accounts(&[id])?.pop().map(Arc::unwrap_or_clone))
    }
    async fn find_accounts(&self, ids: &[AccountId]) -> Result<Vec<Arc<Account>>> {
        self.cached_accounts(ids)
    }
    async fn find_account_by_username(&self, username: &str) -> Result<Option<Account>> {
        let username = username.to_string();
        self.read_here(|c| accounts::find_by_username(c, &username))
    }
    async fn find_credentials(&self, login: &str) -> Result<Option<Credentials>> {
        let login = login.to_string();
        self.read(move |c| accounts::find_credentials(c, &login)).await
    }
    async fn update_profile(&self, id: AccountId, update: ProfileUpdate) -> Result<Account> {
        self.write(move |c, _| accounts::update_profile(c, id, update)).await
    }
    async fn update_account_admin(&self, id: AccountId, update: AdminUpdate) -> Result<Account> {
        self.write(move |c, _| accounts::update_admin(c, id, update)).await
    }
    async fn reset_password(&self, id: AccountId, password_hash: String) -> Result<()> {
        self.write(move |c, _| accounts::reset_password(c, id, &password_hash)).await
    }
    async fn list_accounts(&self, page: PageRequest) -> Result<Vec<Account>> {
        self.read(move |c| accounts::list(c, page)).await
    }
    async fn search_accounts(&self, query: &str, limit: usize) -> Result<Vec<Account>> {
        let query = query.to_string();
        self.read(move |c| accounts::search(c, &query, limit)).await
    }
    async fn count_local_accounts(&self) -> Result<i64> {
        // Those shown to others (`account_shown`): Mastodon counts neither
        // suspended accounts nor users awaiting approval.
        self.read(|c| {
            let sql =
                format!("SELECT count(*) FROM accounts WHERE {}", visibility::account_shown_to_others("accounts"));
            Ok(c.query_row(&sql, [], |r| r.get(0))?)
        })
        .await
    }

    async fn create_app(&self, new: NewApp) -> Result<App> {
        self.write(move |c, ids| oauth::create_app(c, ids, new)).await
    }
    async fn find_app(&self, id: AppId) -> Result<Option<App>> {
        self.read_here(|c| self.inner.entities.app_on(c, id))
    }
    async fn find_app_by_client_id(&self, client_id: &str) -> Result<Option<(App, String)>> {
        let client_id = client_id.to_string();
        self.read(move |c| oauth::find_app_by_client_id(c, &client_id)).await
    }
    async fn create_grant(&self, grant: NewGrant) -> Result<()> {
        self.write(move |c, _| oauth::create_grant(c, grant)).await
    }
    async fn find_grant(&self, code_hash: &str) -> Result<Option<Grant>> {
        let code_hash = code_hash.to_string();
        self.read(move |c| oauth::find_grant(c, &code_hash)).await
    }
    async fn redeem_grant(&self, code_hash: &str, token: NewToken) -> Result<bool> {
        let code_hash = code_hash.to_string();
        self.write(move |c, ids| oauth::redeem_grant(c, ids, &code_hash, token)).await
    }
    async fn create_token(&self, token: NewToken) -> Result<()> {
        self.write(move |c, ids| oauth::create_token(c, ids, token)).await
    }
    async fn find_token(&self, token_hash: &str) -> Result<Option<TokenInfo>> {
        let token_hash = token_hash.to_string();
        self.read(move |c| oauth::find_token(c, &token_hash)).await
    }
    async fn find_token_identity(&self, token_hash: &str) -> Result<Option<(TokenInfo, App, Option<Account>)>> {
        // The account is read past the entity cache: the identity cache keeps
        // it for as long, and a first-seen token's account is rarely cached.
        let entities = &self.inner.entities;
        self.read_here(|c| {
            let Some(info) = oauth::find_token(c, token_hash)? else { return Ok(None) };
            let Some(app) = entities.app_on(c, info.app_id)? else { return Ok(None) };
            let account = match info.account_id {
                Some(id) => match accounts::find(c, id)? {
                    Some(a) => Some(a),
                    None => return Ok(None),
                },
                None => None,
            };
            Ok(Some((info, app, account)))
        })
    }
    async fn revoke_token(&self, token_hash: &str, app: AppId) -> Result<bool> {
        let token_hash = token_hash.to_string();
        self.write(move |c, _| oauth::revoke_token(c, &token_hash, app)).await
    }

    async fn insert_status(&self, new: NewStatus) -> Result<Status> {
        self.write(move |c, ids| statuses::insert(c, ids, new)).await
    }
    async fn find_status(&self, id: StatusId) -> Result<Option<Arc<Status>>> {
        Ok(self.read_here(|c| self.inner.entities.statuses_on(c, &[id.0]))?.pop())
    }
    async fn find_statuses(&self, ids: &[StatusId]) -> Result<Vec<Arc<Status>>> {
        let raw: Vec<i64> = ids.iter().map(|id| id.0).collect();
        self.read_here(|c| self.inner.entities.statuses_on(c, &raw))
    }
    async fn find_idempotent_status(&self, account: AccountId, key: &str) -> Result<Option<StatusId>> {
        let key = key.to_string();
        self.read_here(|c| statuses::find_idempotent(c, account, &key))
    }
    async fn delete_status(&self, id: StatusId) -> Result<Option<Status>> {
        self.write(move |c, _| statuses::delete(c, id)).await
    }
    async fn edit_status(&self, id: StatusId, edit: EditStatus) -> Result<Status> {
        self.write(move |c, ids| statuses::edit(c, ids, id, edit)).await
    }
    async fn status_history(&self, id: StatusId) -> Result<Vec<StatusEdit>> {
        self.read(move |c| statuses::history(c, id)).await
    }
    async fn insert_media(&self, new: NewMedia) -> Result<MediaAttachment> {
        self.write(move |c, ids| media::insert(c, ids, new)).await
    }
    async fn find_media(&self, id: MediaId) -> Result<Option<MediaAttachment>> {
        self.read(move |c| media::find(c, id)).await
    }
    async fn update_media(&self, account: AccountId, id: MediaId, attrs: MediaAttributes) -> Result<MediaAttachment> {
        self.write(move |c, _| media::update(c, account, id, attrs)).await
    }
    async fn delete_media(&self, account: AccountId, id: MediaId) -> Result<Option<MediaAttachment>> {
        self.write(move |c, _| media::delete_unattached(c, account, id)).await
    }
    async fn delete_stale_media(&self, before: DateTime<Utc>, limit: usize) -> Result<Vec<MediaAttachment>> {
        self.write(move |c, _| media::delete_unattached_before(c, before, limit)).await
    }
    async fn unreferenced_files(&self, names: Vec<String>) -> Result<Vec<String>> {
        self.read(move |c| media::unreferenced(c, &names)).await
    }
    async fn thread(&self, id: StatusId) -> Result<(Vec<Arc<Status>>, Vec<Arc<Status>>)> {
        let entities = self.inner.entities.clone();
        self.read(move |c| {
            let (ancestors, descendants) = statuses::thread(c, id)?;
            Ok((entities.statuses_on(c, &ancestors)?, entities.statuses_on(c, &descendants)?))
        })
        .await
    }
    async fn favourite(&self, account: AccountId, status: StatusId, notify: Option<AccountId>) -> Result<bool> {
        self.write(move |c, ids| statuses::favourite(c, ids, account, status, notify)).await
    }
    async fn unfavourite(&self, account: AccountId, status: StatusId) -> Result<bool> {
        self.write(move |c, _| statuses::unfavourite(c, account, status)).await
    }
    async fn bookmark(&self, account: AccountId, status: StatusId) -> Result<bool> {
        self.write(move |c, ids| bookmarks::bookmark(c, ids, account, status)).await
    }
    async fn unbookmark(&self, account: AccountId, status: StatusId) -> Result<bool> {
        self.write(move |c, _| bookmarks::unbookmark(c, account, status)).await
    }
    async fn bookmarks_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusId)>> {
        self.read(move |c| bookmarks::bookmarks_of(c, account, page)).await
    }
    async fn reblog(&self, new: NewReblog) -> Result<Status> {
        self.write(move |c, ids| statuses::reblog(c, ids, new)).await
    }
    async fn unreblog(&self, account: AccountId, status: StatusId) -> Result<Option<Status>> {
        self.write(move |c, _| statuses::unreblog(c, account, status)).await
    }
    async fn favourited_by(&self, status: StatusId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        self.read(move |c| statuses::favourited_by(c, status, page)).await
    }
    async fn favourites_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, StatusId)>> {
        self.read(move |c| statuses::favourites_of(c, account, page)).await
    }
    async fn reblogged_by(
        &self,
        viewer: Option<AccountId>,
        status: StatusId,
        page: PageRequest,
    ) -> Result<Vec<(i64, AccountId)>> {
        self.read(move |c| statuses::reblogged_by(c, viewer, status, page)).await
    }
    async fn status_flags(&self, viewer: AccountId, statuses: &[StatusId]) -> Result<StatusFlags> {
        let marks = self.read_here(|c| self.inner.home.marks(viewer, || statuses::load_marks(c, viewer)))?;
        Ok(marks.flags(statuses))
    }
    async fn pin(&self, account: AccountId, status: StatusId) -> Result<()> {
        self.write(move |c, ids| statuses::pin(c, ids, account, status)).await
    }
    async fn unpin(&self, account: AccountId, status: StatusId) -> Result<()> {
        self.write(move |c, _| statuses::unpin(c, account, status)).await
    }

    async fn home_timeline(&self, viewer: AccountId, page: PageRequest) -> Result<Vec<Arc<Status>>> {
        // A page the index holds costs point reads only: on this thread. One
        // that needs loading, or SQL, goes to the reader pool.
        if let Some(ids) = crate::derived::home::home_in_memory(&self.inner.home, viewer, page)? {
            return self.read_here(|c| self.inner.entities.statuses_on(c, &ids));
        }
        let inner = self.inner.clone();
        self.read(move |c| inner.entities.statuses_on(c, &home::home(c, &inner.home, viewer, page)?)).await
    }
    async fn public_timeline(
        &self,
        viewer: Option<AccountId>,
        local_only: bool,
        only_media: bool,
        page: PageRequest,
    ) -> Result<Vec<Arc<Status>>> {
        let _ = local_only; // every account is local until federation arrives
        let entities = self.inner.entities.clone();
        self.read(move |c| entities.statuses_on(c, &timelines::public(c, viewer, None, only_media, page)?)).await
    }
    async fn tag_timeline(
        &self,
        viewer: Option<AccountId>,
        tag: &str,
        only_media: bool,
        page: PageRequest,
    ) -> Result<Vec<Arc<Status>>> {
        let tag = tag.to_lowercase();
        let entities = self.inner.entities.clone();
        self.read(move |c| entities.statuses_on(c, &timelines::public(c, viewer, Some(&tag), only_media, page)?)).await
    }
    async fn account_statuses(
        &self,
        viewer: Option<AccountId>,
        account: AccountId,
        filter: AccountStatusesFilter,
        page: PageRequest,
    ) -> Result<Vec<Arc<Status>>> {
        let entities = self.inner.entities.clone();
        self.read(move |c| entities.statuses_on(c, &timelines::account(c, viewer, account, filter, page)?)).await
    }
    async fn search_statuses(&self, viewer: AccountId, query: &str, limit: usize) -> Result<Vec<Arc<Status>>> {
        let query = query.to_string();
        let found = self.read(move |c| timelines::search(c, viewer, &query, limit)).await?;
        Ok(found.into_iter().map(Arc::new).collect())
    }
    async fn search_tags(&self, query: &str, limit: usize) -> Result<Vec<String>> {
        let query = query.to_string();
        self.read(move |c| timelines::search_tags(c, &query, limit)).await
    }
    async fn count_local_statuses(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM statuses WHERE reblog_of_id IS NULL", [], |r| r.get(0))?))
            .await
    }

    async fn follow(&self, account: AccountId, target: AccountId, request: bool, options: FollowOptions) -> Result<()> {
        self.write(move |c, ids| social::follow(c, ids, account, target, request, options)).await
    }
    async fn unfollow(&self, account: AccountId, target: AccountId) -> Result<()> {
        self.write(move |c, _| social::unfollow(c, account, target)).await
    }
    async fn authorize_follow_request(&self, target: AccountId, requester: AccountId) -> Result<bool> {
        self.write(move |c, ids| social::authorize_request(c, ids, target, requester)).await
    }
    async fn reject_follow_request(&self, target: AccountId, requester: AccountId) -> Result<bool> {
        self.write(move |c, _| social::reject_request(c, target, requester)).await
    }
    async fn follow_requests(&self, target: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        self.read(move |c| social::follow_requests(c, target, page)).await
    }
    async fn followers(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        self.read(move |c| social::followers(c, account, page)).await
    }
    async fn following(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        self.read(move |c| social::following(c, account, page)).await
    }
    async fn block(&self, account: AccountId, target: AccountId) -> Result<()> {
        self.write(move |c, ids| social::block(c, ids, account, target)).await
    }
    async fn unblock(&self, account: AccountId, target: AccountId) -> Result<()> {
        self.write(move |c, _| social::unblock(c, account, target)).await
    }
    async fn mute(
        &self,
        account: AccountId,
        target: AccountId,
        notifications: bool,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        self.write(move |c, ids| social::mute(c, ids, account, target, notifications, expires_at)).await
    }
    async fn conversations_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<ConversationEntry>> {
        self.read(move |c| conversations::list(c, account, page)).await
    }
    async fn find_conversation(&self, account: AccountId, id: ConversationId) -> Result<Option<ConversationEntry>> {
        self.read(move |c| conversations::find(c, account, id)).await
    }
    async fn mark_conversation_read(&self, account: AccountId, id: ConversationId) -> Result<ConversationEntry> {
        self.write(move |c, _| conversations::mark_read(c, account, id)).await
    }
    async fn remove_conversation(&self, account: AccountId, id: ConversationId) -> Result<bool> {
        self.write(move |c, _| conversations::remove(c, account, id)).await
    }
    async fn schedule_status(
        &self,
        account: AccountId,
        at: DateTime<Utc>,
        params: ScheduledParams,
    ) -> Result<ScheduledStatus> {
        self.write(move |c, ids| scheduled::schedule(c, ids, account, at, &params)).await
    }
    async fn find_scheduled_status(
        &self,
        account: AccountId,
        id: ScheduledStatusId,
    ) -> Result<Option<ScheduledStatus>> {
        self.read(move |c| scheduled::find(c, account, id)).await
    }
    async fn scheduled_statuses_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<ScheduledStatus>> {
        self.read(move |c| scheduled::list(c, account, page)).await
    }
    async fn reschedule_status(
        &self,
        account: AccountId,
        id: ScheduledStatusId,
        at: DateTime<Utc>,
    ) -> Result<ScheduledStatus> {
        self.write(move |c, _| scheduled::reschedule(c, account, id, at)).await
    }
    async fn cancel_scheduled_status(&self, account: AccountId, id: ScheduledStatusId) -> Result<bool> {
        self.write(move |c, _| scheduled::cancel(c, account, id)).await
    }
    async fn due_scheduled_statuses(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<ScheduledStatus>> {
        self.read(move |c| scheduled::due(c, now, limit)).await
    }
    async fn next_scheduled_time(&self) -> Result<Option<DateTime<Utc>>> {
        self.read(scheduled::next_time).await
    }
    async fn publish_scheduled_status(&self, id: ScheduledStatusId, new: NewStatus) -> Result<Option<Status>> {
        self.write(move |c, ids| scheduled::publish(c, ids, id, new)).await
    }
    async fn unmute_expired(&self, now: DateTime<Utc>) -> Result<usize> {
        self.write(move |c, _| social::unmute_expired(c, now)).await
    }
    async fn next_mute_expiry(&self) -> Result<Option<DateTime<Utc>>> {
        self.read(social::next_mute_expiry).await
    }
    async fn familiar_followers(
        &self,
        viewer: AccountId,
        targets: &[AccountId],
        limit: usize,
    ) -> Result<Vec<(AccountId, Vec<AccountId>)>> {
        let targets = targets.to_vec();
        self.read(move |c| {
            targets.iter().map(|t| Ok((*t, social::familiar_followers(c, viewer, *t, limit)?))).collect()
        })
        .await
    }
    async fn suggest_accounts(&self, viewer: AccountId, limit: usize) -> Result<Vec<(AccountId, SuggestionSource)>> {
        self.read(move |c| suggestions::suggest(c, viewer, limit)).await
    }
    async fn dismiss_suggestion(&self, viewer: AccountId, target: AccountId) -> Result<()> {
        self.write(move |c, _| suggestions::dismiss(c, viewer, target)).await
    }
    async fn blocks_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        self.read(move |c| social::blocks_of(c, account, page)).await
    }
    async fn mutes_of(&self, account: AccountId, page: PageRequest) -> Result<Vec<MuteEntry>> {
        self.read(move |c| social::mutes_of(c, account, page)).await
    }
    async fn unmute(&self, account: AccountId, target: AccountId) -> Result<()> {
        self.write(move |c, _| social::unmute(c, account, target)).await
    }
    async fn author_relations(&self, viewer: AccountId, authors: &[AccountId]) -> Result<Vec<AuthorRelation>> {
        let index = &self.inner.home;
        self.read_here(|c| {
            let sources = index.sources(viewer, || home::load_sources(c, viewer))?;
            Ok(authors.iter().map(|a| sources.relation_to(a.0)).collect())
        })
    }
    async fn author_hidden_from(&self, author: AccountId, viewer: Option<AccountId>) -> Result<bool> {
        // From the home index (accounts shown to nobody else, and whom the
        // author blocks), so a hot poll read needs no read transaction;
        // loaded on first use. Nothing of one's own is hidden from oneself.
        if viewer == Some(author) {
            return Ok(false);
        }
        let index = &self.inner.home;
        self.read_here(|c| {
            if index.hidden(|| home::hidden_accounts(c))?.contains(&author.0) {
                return Ok(true);
            }
            let Some(viewer) = viewer else { return Ok(false) };
            Ok(index.sources(author, || home::load_sources(c, author))?.blocks(viewer.0))
        })
    }
    async fn in_home_of(&self, viewer: AccountId, status: &Status) -> Result<bool> {
        let original_author = match status.reblog_of {
            Some(original) => match self.find_status(original).await? {
                Some(o) => Some(o.account_id),
                None => return Ok(false),
            },
            None => None,
        };
        let candidate = crate::derived::home::Candidate::of(status, original_author);
        let index = &self.inner.home;
        self.read_here(|c| {
            let sources = index.sources(viewer, || home::load_sources(c, viewer))?;
            let hidden = index.hidden(|| home::hidden_accounts(c))?;
            Ok(sources.accounts().any(|a| a == candidate.author)
                && crate::derived::home::admits(&candidate, &sources, &hidden))
        })
    }
    async fn relationships(&self, account: AccountId, targets: &[AccountId]) -> Result<Vec<Relationship>> {
        let targets = targets.to_vec();
        self.read_here(|c| social::relationships(c, account, &targets))
    }

    async fn list_notifications(
        &self,
        account: AccountId,
        kinds: &[NotificationKind],
        from: Option<AccountId>,
        page: PageRequest,
    ) -> Result<Vec<Notification>> {
        let kinds = kinds.to_vec();
        self.read(move |c| notifications::list(c, account, &kinds, from, page)).await
    }
    async fn find_notification(&self, account: AccountId, id: NotificationId) -> Result<Option<Notification>> {
        self.read(move |c| notifications::find(c, account, id)).await
    }
    async fn dismiss_notification(&self, account: AccountId, id: NotificationId) -> Result<bool> {
        self.write(move |c, _| notifications::dismiss(c, account, id)).await
    }
    async fn clear_notifications(&self, account: AccountId) -> Result<()> {
        self.write(move |c, _| notifications::clear(c, account)).await
    }
    async fn notification_group_stats(
        &self,
        account: AccountId,
        keys: Vec<String>,
        range: Option<(i64, i64)>,
    ) -> Result<Vec<NotificationGroupStats>> {
        self.read(move |c| notifications::group_stats(c, account, &keys, range)).await
    }
    async fn find_notification_group(&self, account: AccountId, key: &GroupKey) -> Result<Option<Notification>> {
        let key = key.clone();
        self.read(move |c| notifications::find_group(c, account, &key)).await
    }
    async fn dismiss_notification_group(&self, account: AccountId, key: &GroupKey) -> Result<usize> {
        let key = key.clone();
        self.write(move |c, _| notifications::dismiss_group(c, account, &key)).await
    }
    async fn notification_group_senders(
        &self,
        account: AccountId,
        key: &GroupKey,
        page: PageRequest,
    ) -> Result<Vec<(i64, AccountId)>> {
        let key = key.clone();
        self.read(move |c| notifications::group_senders(c, account, &key, page)).await
    }
    async fn notify(&self, notes: Vec<NewNotification>) -> Result<()> {
        self.write(move |c, ids| notifications::insert_all(c, ids, &notes)).await
    }

    async fn create_list(&self, owner: AccountId, fields: ListFields) -> Result<List> {
        self.write(move |c, ids| lists::create(c, ids, owner, &fields)).await
    }
    async fn find_list(&self, owner: AccountId, id: ListId) -> Result<Option<List>> {
        self.read_here(|c| lists::find(c, owner, id))
    }
    async fn lists_of(&self, owner: AccountId) -> Result<Vec<List>> {
        self.read_here(|c| lists::of(c, owner))
    }
    async fn lists_with_member(&self, owner: AccountId, member: AccountId) -> Result<Vec<List>> {
        self.read_here(|c| lists::with_member(c, owner, member))
    }
    async fn update_list(&self, owner: AccountId, id: ListId, fields: ListFields) -> Result<List> {
        self.write(move |c, _| lists::update(c, owner, id, &fields)).await
    }
    async fn delete_list(&self, owner: AccountId, id: ListId) -> Result<bool> {
        self.write(move |c, _| lists::delete(c, owner, id)).await
    }
    async fn add_list_members(&self, owner: AccountId, id: ListId, members: Vec<AccountId>) -> Result<()> {
        self.write(move |c, ids| lists::add_members(c, ids, owner, id, &members)).await
    }
    async fn remove_list_members(&self, owner: AccountId, id: ListId, members: Vec<AccountId>) -> Result<()> {
        self.write(move |c, _| lists::remove_members(c, owner, id, &members)).await
    }
    async fn list_members(&self, owner: AccountId, id: ListId, page: PageRequest) -> Result<Vec<(i64, AccountId)>> {
        self.read(move |c| lists::members(c, owner, id, page)).await
    }
    async fn exclusive_list_members(&self, owner: AccountId) -> Result<Vec<AccountId>> {
        self.read_here(|c| lists::exclusive_members(c, owner))
    }
    async fn list_timeline(&self, list: List, page: PageRequest) -> Result<Vec<Arc<Status>>> {
        let entities = self.inner.entities.clone();
        self.read(move |c| entities.statuses_on(c, &lists::timeline(c, &list, page)?)).await
    }
    async fn list_has_status(&self, list: List, status: StatusId) -> Result<bool> {
        self.read_here(|c| lists::has_status(c, &list, status))
    }

    async fn filters_of(&self, account: AccountId) -> Result<Vec<parley_core::filters::Filter>> {
        self.read_here(|c| filters::of(c, account))
    }
    async fn create_filter(
        &self,
        account: AccountId,
        fields: FilterFields,
        keywords: Vec<KeywordChange>,
    ) -> Result<parley_core::filters::Filter> {
        self.write(move |c, ids| filters::create(c, ids, account, &fields, &keywords)).await
    }
    async fn change_filter(
        &self,
        account: AccountId,
        id: i64,
        change: FilterChange,
    ) -> Result<parley_core::filters::Filter> {
        self.write(move |c, ids| filters::change(c, ids, account, id, &change)).await
    }
    async fn delete_filter(&self, account: AccountId, id: i64) -> Result<bool> {
        self.write(move |c, _| filters::delete(c, account, id)).await
    }

    async fn find_markers(&self, account: AccountId, timelines: &[MarkerTimeline]) -> Result<Vec<Marker>> {
        self.read_here(|c| markers::find(c, account, timelines))
    }
    async fn save_markers(&self, account: AccountId, positions: Vec<(MarkerTimeline, i64)>) -> Result<Vec<Marker>> {
        self.write(move |c, _| markers::save(c, account, &positions)).await
    }
    async fn posting_defaults(&self, account: AccountId) -> Result<PostingDefaults> {
        self.read_here(|c| accounts::posting_defaults(c, account))
    }

    async fn find_poll(&self, id: PollId) -> Result<Option<Poll>> {
        self.read(move |c| Ok(polls::find_many(c, &[id])?.pop())).await
    }
    async fn find_polls(&self, ids: &[PollId]) -> Result<Vec<Poll>> {
        let ids = ids.to_vec();
        self.read(move |c| polls::find_many(c, &ids)).await
    }
    async fn poll_state(&self, id: PollId) -> Result<Option<PollState>> {
        self.read(move |c| polls::state(c, id)).await
    }
    async fn record_ballot(&self, ballot: NewBallot) -> Result<RecordedBallot> {
        self.write(move |c, ids| polls::record(c, ids, ballot)).await
    }
    async fn record_ballots(&self, ballots: Vec<NewBallot>) -> Result<usize> {
        self.write(move |c, ids| {
            let n = ballots.len();
            for b in ballots {
                polls::record(c, ids, b)?;
            }
            Ok(n)
        })
        .await
    }
    async fn close_expired_polls(&self, now: DateTime<Utc>) -> Result<Vec<Poll>> {
        self.write(move |c, ids| polls::close_expired(c, ids, now)).await
    }
    async fn next_poll_expiry(&self) -> Result<Option<DateTime<Utc>>> {
        self.read(polls::next_expiry).await
    }
    async fn poll_tally_at(&self, id: PollId, at: DateTime<Utc>) -> Result<TallyAt> {
        self.read(move |c| polls::tally_at(c, id, at)).await
    }
    async fn poll_history(&self, id: PollId, interval_seconds: i64) -> Result<Vec<HistoryBucket>> {
        self.read(move |c| polls::history(c, id, interval_seconds)).await
    }
    async fn poll_signals(&self, id: PollId) -> Result<PollSignals> {
        self.read(move |c| polls::signals(c, id)).await
    }
    async fn audit_polls(&self) -> Result<Vec<PollAudit>> {
        self.read(polls::audit).await
    }
    async fn poll_log_size(&self, poll: PollId) -> Result<u64> {
        self.read(move |c| poll_log::size(c, poll)).await
    }
    async fn poll_log_size_at(&self, poll: PollId, at: DateTime<Utc>) -> Result<u64> {
        self.read(move |c| poll_log::size_at(c, poll, at)).await
    }
    async fn poll_log_root(&self, poll: PollId, tree_size: u64) -> Result<parley_core::tlog::Hash> {
        self.read(move |c| poll_log::root(c, poll, tree_size)).await
    }
    async fn poll_log_inclusion(&self, poll: PollId, index: u64, tree_size: u64) -> Result<InclusionProof> {
        self.read(move |c| poll_log::inclusion(c, poll, index, tree_size)).await
    }
    async fn poll_log_consistency(&self, poll: PollId, old: u64, new: u64) -> Result<ConsistencyProof> {
        self.read(move |c| poll_log::consistency(c, poll, old, new)).await
    }
    async fn save_poll_checkpoint(&self, checkpoint: StoredCheckpoint) -> Result<StoredCheckpoint> {
        self.write(move |c, _| poll_log::save_checkpoint(c, checkpoint)).await
    }
    async fn find_poll_checkpoint(&self, poll: PollId, tree_size: u64) -> Result<Option<StoredCheckpoint>> {
        self.read(move |c| poll_log::find_checkpoint(c, poll, tree_size)).await
    }
    async fn poll_checkpoints(&self, poll: PollId) -> Result<Vec<StoredCheckpoint>> {
        self.read(move |c| poll_log::checkpoints(c, poll)).await
    }
    async fn uncheckpointed_polls(&self) -> Result<Vec<(PollId, u64)>> {
        self.read(poll_log::uncheckpointed).await
    }
    async fn save_poll_cosignature(&self, cosignature: Cosignature) -> Result<()> {
        self.write(move |c, _| poll_log::save_cosignature(c, cosignature)).await
    }
    async fn poll_cosignatures(&self, poll: PollId, tree_size: u64) -> Result<Vec<Cosignature>> {
        self.read(move |c| poll_log::cosignatures(c, poll, tree_size)).await
    }
    async fn bulk_insert_accounts(&self, accounts: Vec<NewAccount>) -> Result<Vec<AccountId>> {
        self.write(move |c, ids| bulk::accounts(c, ids, accounts)).await
    }
    async fn bulk_insert_tokens(&self, tokens: Vec<NewToken>) -> Result<()> {
        self.write(move |c, ids| bulk::tokens(c, ids, tokens)).await
    }
    async fn bulk_insert_follows(&self, pairs: Vec<(AccountId, AccountId)>) -> Result<()> {
        self.write(move |c, ids| bulk::follows(c, ids, pairs)).await
    }
    async fn bulk_insert_statuses(&self, statuses: Vec<NewStatus>) -> Result<Vec<StatusId>> {
        self.write(move |c, ids| bulk::statuses(c, ids, statuses)).await
    }
    async fn recount_account_counters(&self) -> Result<()> {
        self.write(|c, _| bulk::recount(c)).await
    }
    async fn signing_keys(&self) -> Result<Vec<SigningKeyRow>> {
        self.read(keys::all).await
    }
    async fn first_signing_key(&self, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>> {
        self.write(move |c, _| keys::first(c, candidate)).await
    }
    async fn rotate_signing_key(&self, candidate: Vec<u8>) -> Result<Vec<SigningKeyRow>> {
        self.write(move |c, _| keys::rotate(c, candidate)).await
    }
}
