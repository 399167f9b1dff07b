//! One visibility rule, checked against every SQL copy of it.
//!
//! Who may see a status is written once, in `parley_core::visibility`; the
//! store repeats it in SQL wherever a page must be filtered before its
//! `LIMIT` (timelines, search, `reblogged_by`, the home rules, counters).
//! This property test writes random small worlds through the store's real
//! write API into a real SQLite file (accounts suspended, awaiting approval
//! or locked; follows and requests; blocks and mutes both ways; statuses of
//! every visibility with mentions, replies, tags, pins; boosts; favourites;
//! deletions), then asks every SQL-backed listing as every viewer (anonymous
//! and each account, so the author, followers, strangers, mentioned, blocked,
//! blocking, muting, suspended and pending viewers all occur) and compares
//! each page with what the oracle ([`model`]) derives from the core rule.
//!
//! Runs `PROPTEST_CASES` worlds (default 32, a few seconds); raise it for a
//! long run: `PROPTEST_CASES=2000 cargo test -p parley-store --test visibility`.
//! Failing worlds proptest finds are kept in `tests/visibility/regressions.txt`
//! and replayed first; the ones that found bugs are also [`regressions`].

// Test code: a failed setup step should stop the test with a message.
#![allow(clippy::expect_used)]

mod checks;
mod model;
mod regressions;
mod world;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use parley_store::Store;
use parley_store::sqlite::{SqliteOptions, SqliteStore};
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};

/// Writes `spec` into a fresh SQLite file and checks every listing: the
/// disagreements found, none when the SQL copies follow the rule.
pub fn disagreements(rt: &tokio::runtime::Runtime, spec: &world::WorldSpec) -> Vec<String> {
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = SqliteStore::open(&dir.path().join("db.sqlite3"), SqliteOptions::default()).expect("open");
    let store: Arc<dyn Store> = Arc::new(sqlite.clone());
    rt.block_on(async {
        let model = world::write(&store, spec).await.expect("writing the world");
        checks::all(&sqlite, &store, &model).await.expect("reading the listings")
    })
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32)
}

#[test]
fn every_listing_returns_exactly_what_the_rule_admits() {
    let rt = runtime();
    let config = Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/visibility/regressions.txt"))),
        ..Config::default()
    };
    let ran = AtomicUsize::new(0);
    let result = TestRunner::new(config).run(&world::world(), |spec| {
        ran.fetch_add(1, Ordering::Relaxed);
        let wrong = disagreements(&rt, &spec);
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(TestCaseError::fail(format!("{} disagreements:\n{}", wrong.len(), wrong.join("\n"))))
        }
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let coverage = checks::coverage();
    eprintln!("{} worlds; (viewer kind, status) pairs checked: {coverage:?}", ran.load(Ordering::Relaxed));
    for (kind, n) in coverage {
        assert!(n > 0, "no world had a {kind} viewer: the generator no longer covers it");
    }
}
