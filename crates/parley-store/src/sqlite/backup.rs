//! Online backups: a consistent copy of the database file taken while a server
//! runs on it, without holding up that server's writer.
//!
//! The copy is made with `VACUUM INTO` on a read-only connection of its own.
//! In WAL mode a reader never blocks the writer: the statement reads one
//! snapshot (a single read transaction) while group commits go on appending to
//! the WAL, so the copy is exactly the database as of one commit. SQLite's
//! page-by-page backup API was the other choice, but when another connection
//! writes to the source between steps it starts the copy over; under a steady
//! stream of votes a paced backup would never finish, and an unpaced one holds
//! the same single read transaction as `VACUUM INTO` does, with more code.
//! The cost of the read transaction is that checkpoints cannot pass it, so
//! the WAL grows while a backup runs and shrinks at the next checkpoint after.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OpenFlags};

/// Why a backup was not made. The destination is never left half-written: it
/// is removed again when anything after its creation fails.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database to copy does not exist (wrong data directory?).
    #[error("there is no database at {0}")]
    NoDatabase(PathBuf),
    /// A backup never replaces a file: an older backup may be the only good one.
    #[error("{0} already exists; a backup never overwrites a file, choose a new name")]
    DestinationExists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Destination { path: PathBuf, source: std::io::Error },
    #[error("SQLite failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The copy was written but does not pass `PRAGMA integrity_check`.
    #[error("the copy fails SQLite's integrity check: {0}")]
    CopyDamaged(String),
}

/// What a finished backup holds.
#[derive(Debug, Clone)]
pub struct BackupReport {
    /// Size of the copy.
    pub bytes: u64,
    /// The last change-log record in the copy: the copy is the database as
    /// of that record's commit.
    pub change_seq: i64,
    pub elapsed: Duration,
}

/// Copies the database at `database` to a new file `destination` (created
/// with owner-only permissions: it holds password hashes, tokens and the
/// snapshot signing key), syncs it, checks it, and leaves it in rollback
/// journal mode, so the backup is that one file. Blocks for as long as the
/// copy takes; run it off async threads.
pub fn backup_blocking(database: &Path, destination: &Path) -> Result<BackupReport, BackupError> {
    let started = Instant::now();
    if !database.is_file() {
        return Err(BackupError::NoDatabase(database.to_path_buf()));
    }
    // Creating the file first claims the name atomically (no check-then-write
    // race with another backup); SQLite's VACUUM INTO accepts an empty file.
    let mut create = OpenOptions::new();
    create.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut create, 0o600);
    match create.open(destination) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::DestinationExists(destination.to_path_buf()));
        }
        Err(source) => return Err(BackupError::Destination { path: destination.to_path_buf(), source }),
    }
    match copy_and_check(database, destination) {
        Ok(change_seq) => {
            let bytes = std::fs::metadata(destination)
                .map_err(|source| BackupError::Destination { path: destination.to_path_buf(), source })?
                .len();
            Ok(BackupReport { bytes, change_seq, elapsed: started.elapsed() })
        }
        Err(e) => {
            // The half-made copy must not be mistaken for a backup; if removing
            // it fails too, the first error is the one worth reporting.
            if let Err(remove) = std::fs::remove_file(destination) {
                tracing::error!(path = %destination.display(), error = %remove, "cannot remove a failed backup");
            }
            Err(e)
        }
    }
}

fn copy_and_check(database: &Path, destination: &Path) -> Result<i64, BackupError> {
    let destination_text = destination
        .to_str()
        .ok_or_else(|| BackupError::Destination {
            path: destination.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the file name is not UTF-8"),
        })?
        .to_string();
    {
        // Read-only, and without `query_only` (which refuses VACUUM INTO
        // although it writes only the destination).
        let source = Connection::open_with_flags(
            database,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
        )?;
        source.busy_timeout(Duration::from_secs(5))?;
        source.execute("VACUUM INTO ?1", [&destination_text])?;
    }
    let copy = Connection::open(destination)?;
    // The copy keeps the source's WAL flag; one self-contained file is what an
    // operator moves around. The server turns WAL on again when it opens it.
    copy.query_row("PRAGMA journal_mode = DELETE", [], |_| Ok(()))?;
    let integrity: String = copy.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if integrity != "ok" {
        return Err(BackupError::CopyDamaged(integrity));
    }
    let change_seq: i64 = copy.query_row("SELECT coalesce(max(seq), 0) FROM change_log", [], |r| r.get(0))?;
    drop(copy);
    // SQLite does not sync what VACUUM INTO writes; a backup that a power cut
    // can lose after we said it was made is no backup.
    let sync = |path: &Path| {
        std::fs::File::open(path)
            .and_then(|f| f.sync_all())
            .map_err(|source| BackupError::Destination { path: path.to_path_buf(), source })
    };
    sync(destination)?;
    if let Some(dir) = destination.parent().filter(|d| !d.as_os_str().is_empty()) {
        sync(dir)?;
    }
    Ok(change_seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_and_leaves_the_file_alone() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("db.sqlite3");
        let conn = Connection::open(&db).expect("open");
        conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE change_log (seq INTEGER PRIMARY KEY);")
            .expect("schema");
        let existing = dir.path().join("old-backup");
        std::fs::write(&existing, b"the only good copy").expect("write");
        let err = backup_blocking(&db, &existing).expect_err("must refuse");
        assert!(matches!(err, BackupError::DestinationExists(_)), "{err}");
        assert_eq!(std::fs::read(&existing).expect("read"), b"the only good copy");
    }

    #[test]
    fn a_failed_copy_leaves_no_file() {
        let dir = tempfile::tempdir().expect("dir");
        let db = dir.path().join("db.sqlite3");
        // A database without the change log: the copy is made, then the
        // report cannot be read, so the backup fails and must clean up.
        Connection::open(&db).expect("open").execute_batch("CREATE TABLE t (x)").expect("schema");
        let out = dir.path().join("copy");
        assert!(backup_blocking(&db, &out).is_err());
        assert!(!out.exists());
        let missing = backup_blocking(&dir.path().join("nothing"), &dir.path().join("copy2")).expect_err("no db");
        assert!(matches!(missing, BackupError::NoDatabase(_)), "{missing}");
        assert!(!dir.path().join("copy2").exists());
    }
}
