//! One visibility rule, checked against every SQL copy of it.
//!
//! Who may see a status is written once, in `parley_core::visibility`; the
//! store repeats it in SQL wherever a page must be filtered before its
//! `LIMIT` (timelines, search, `reblogged_by`, the home rules, counters).
//! This property test writes random small worlds through the store's real
//! write API into a real SQLite file, and into a fresh PostgreSQL database
//! when one answers (accounts suspended, awaiting approval
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
#[path = "../common/mod.rs"]
mod common;
mod model;
mod regressions;
mod world;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::Backend;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};

/// Writes `spec` into a fresh database of the backend (a new SQLite file,
/// or a new PostgreSQL database) and checks every listing: the
/// disagreements found, none when the SQL copies follow the rule.
pub fn disagreements(rt: &tokio::runtime::Runtime, spec: &world::WorldSpec, postgres: bool) -> Vec<String> {
    rt.block_on(async {
        let backend = if postgres {
            Backend::postgres("the visibility property test").await.expect("PostgreSQL was reachable a moment ago")
        } else {
            Backend::sqlite()
        };
        let opened = backend.open().await;
        let store = opened.store();
        let model = world::write(&store, spec).await.expect("writing the world");
        checks::all(&opened, &store, &model).await.expect("reading the listings")
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
    check_worlds(false, cases());
}

/// The same worlds on PostgreSQL (its SQL copies of the rule are its own),
/// a quarter as many: each needs a database of its own.
#[test]
fn every_listing_returns_exactly_what_the_rule_admits_on_postgres() {
    let rt = runtime();
    if rt.block_on(Backend::postgres("every_listing_returns_exactly_what_the_rule_admits_on_postgres")).is_none() {
        return;
    }
    drop(rt);
    check_worlds(true, cases().div_ceil(4));
}

fn check_worlds(postgres: bool, cases: u32) {
    let rt = runtime();
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("tests/visibility/regressions.txt"))),
        ..Config::default()
    };
    let ran = AtomicUsize::new(0);
    let result = TestRunner::new(config).run(&world::world(), |spec| {
        ran.fetch_add(1, Ordering::Relaxed);
        let wrong = disagreements(&rt, &spec, postgres);
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
