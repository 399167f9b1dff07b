//! Fresh PostgreSQL databases for tests: each test creates its own
//! (`parley_test_<unique>`) on the server named by `PARLEY_TEST_POSTGRES_URL`
//! (default: the local one, trust auth) and drops it when done, so tests run
//! in parallel. When the server cannot be reached the PostgreSQL half of a
//! test says so and does not run, unless `PARLEY_REQUIRE_POSTGRES=1` (CI),
//! which makes that a failure.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use crate::{Result, StoreError};

/// The server tests use when `PARLEY_TEST_POSTGRES_URL` is not set.
pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Whether a missing PostgreSQL is a failure (`PARLEY_REQUIRE_POSTGRES=1`).
pub fn required() -> bool {
    std::env::var("PARLEY_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

/// The URL of the server's maintenance database.
pub fn server_url() -> String {
    std::env::var("PARLEY_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// A database of its own for one test, dropped with this value.
pub struct TestDatabase {
    server: String,
    name: String,
    url: String,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

impl TestDatabase {
    /// A new empty database; `Ok(None)` (with a line on stderr saying the
    /// PostgreSQL half did not run) when the server cannot be reached and
    /// PostgreSQL is not required.
    pub async fn create(test: &str) -> Result<Option<TestDatabase>> {
        let server = server_url();
        let connect = tokio::time::timeout(Duration::from_secs(3), PgConnection::connect(&server)).await;
        let mut c = match connect {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => return unreachable(test, &server, &e.to_string()),
            Err(_) => return unreachable(test, &server, "timed out"),
        };
        drop_abandoned(&mut c).await?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let name = format!(
            "parley_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            nanos % 1_000_000_000
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut c).await?;
        let url = with_database(&server, &name);
        Ok(Some(TestDatabase { server, name, url }))
    }

    /// The database's URL (`postgres://…/parley_test_…`).
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// Drops the test databases of processes that are gone (killed, or that
/// kept a database to the end): names carry the creating process's ID.
async fn drop_abandoned(c: &mut PgConnection) -> Result<()> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 'parley\\_test\\_%'")
            .fetch_all(&mut *c)
            .await?;
    for name in names {
        let pid = name.strip_prefix("parley_test_").and_then(|rest| rest.split('_').next());
        let alive = pid.is_some_and(|pid| std::path::Path::new("/proc").join(pid).exists());
        // Only names this module makes (digits and underscores) reach the SQL.
        if !alive && pid.is_some() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            // Another test may be dropping it at the same moment: say so, go on.
            let dropped = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&mut *c)
                .await;
            if let Err(e) = dropped {
                eprintln!("cannot drop the abandoned test database {name}: {e}");
            }
        }
    }
    Ok(())
}

fn unreachable<T>(test: &str, server: &str, why: &str) -> Result<Option<T>> {
    if required() {
        return Err(StoreError::Backend(format!(
            "PARLEY_REQUIRE_POSTGRES=1 but PostgreSQL at {server} cannot be reached: {why}"
        )));
    }
    eprintln!("PostgreSQL half of {test} NOT RUN: {server} cannot be reached ({why})");
    Ok(None)
}

/// `url` with its database (the last path segment) replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..].find('/').map_or(base.len(), |i| after_scheme + i);
    let mut out = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Dropped from async tests too: a thread with a runtime of its own.
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut c = PgConnection::connect(&server).await.map_err(std::io::Error::other)?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                    .execute(&mut c)
                    .await
                    .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("cannot drop test database {}: {e}", self.name),
            Err(_) => eprintln!("cannot drop test database {}: the dropping thread panicked", self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_is_the_last_path_segment() {
        assert_eq!(with_database("postgres://u@h:5432/postgres", "x"), "postgres://u@h:5432/x");
        assert_eq!(with_database("postgres://u@h/postgres?sslmode=disable", "x"), "postgres://u@h/x?sslmode=disable");
        assert_eq!(with_database("postgres://h:5432", "x"), "postgres://h:5432/x");
    }
}
