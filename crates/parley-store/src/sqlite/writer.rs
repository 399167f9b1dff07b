//! The single SQLite writer: every write runs on one thread, in groups.
//!
//! Requests queue a closure; the writer takes everything queued (up to
//! [`MAX_BATCH`]), runs each closure inside its own savepoint of one
//! `BEGIN IMMEDIATE` transaction, commits once (one fsync for the group), and
//! only then answers each request. A closure that fails rolls back to its
//! savepoint, so one bad request never undoes its neighbours. Because only this
//! thread writes, SQLite never answers `database is locked` under load.
//!
//! Between the commit and the answers, the writer hands the change records
//! the group appended to `after_commit`, which applies them to derived state
//! ([`crate::changes`]): here, on this thread, where no client can cancel it,
//! and before anyone is answered, so a request that follows its write reads it.

use std::sync::mpsc;
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::changelog;
use crate::changes::ChangeRecord;
use crate::{Result, StoreError};

/// Most closures committed together; bounds the latency a group adds.
const MAX_BATCH: usize = 512;

/// Applies a committed group's change records (and any other process's before them).
pub type AfterCommit = Box<dyn Fn(&Connection, Vec<ChangeRecord>) + Send>;

/// What runs after the group's commit: delivers the closure's result, or the commit's error.
type Completion = Box<dyn FnOnce(Option<&StoreError>) + Send>;
/// A queued write: runs on the writer's connection, says whether it succeeded.
type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// Handle to the writer thread. Dropping every handle stops the thread after
/// it has committed what was queued.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread on `conn`; `after_commit` gets each
    /// committed group's change records.
    pub fn start(conn: Connection, after_commit: AfterCommit) -> Result<Writer> {
        let (jobs, queue) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || run(conn, queue, &after_commit))
            .map_err(|e| StoreError::Backend(format!("cannot start the writer thread: {e}")))?;
        Ok(Writer { jobs })
    }

    /// Queues `f` for the next group without waiting for it (housekeeping:
    /// heartbeats, pruning). A failure is logged.
    pub fn submit(&self, what: &'static str, f: impl FnOnce(&Connection) -> Result<()> + Send + 'static) {
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            if let Err(e) = &result {
                tracing::error!(error = %e, what, "background write failed");
            }
            (result.is_ok(), Box::new(|_| {}))
        });
        // The writer has stopped only when the store is gone: nothing left to keep up.
        let _ = self.jobs.send(job);
    }

    /// Runs `f` in the next group and resolves once that group is durable.
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |conn| {
            let result = f(conn);
            let ok = result.is_ok();
            let completion: Completion = Box::new(move |commit_error| {
                let outcome = match commit_error {
                    Some(e) => Err(e.clone()),
                    None => result,
                };
                // The requester may have gone away; the write stands regardless.
                let _ = tx.send(outcome);
            });
            (ok, completion)
        });
        self.jobs.send(job).map_err(|_| StoreError::Backend("the writer thread has stopped".into()))?;
        rx.await.map_err(|_| StoreError::Backend("the writer thread dropped a write".into()))?
    }
}

fn run(conn: Connection, queue: mpsc::Receiver<Job>, after_commit: &AfterCommit) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let completions = run_batch(&conn, batch);
        let appended = changelog::take_appended();
        match completions {
            Ok(done) => {
                // Before anyone is answered: a request that follows its write reads it.
                after_commit(&conn, appended);
                done.into_iter().for_each(|c| c(None))
            }
            Err((e, done)) => {
                tracing::error!(error = %e, "write group failed to commit");
                done.into_iter().for_each(|c| c(Some(&e)));
            }
        }
    }
}

type BatchOutcome = std::result::Result<Vec<Completion>, (StoreError, Vec<Completion>)>;

fn run_batch(conn: &Connection, batch: Vec<Job>) -> BatchOutcome {
    let mut done = Vec::with_capacity(batch.len());
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Run nothing: dropping the jobs answers each requester with an error.
        drop(batch);
        return Err((StoreError::from(e), Vec::new()));
    }
    for job in batch {
        if let Err(e) = conn.execute_batch("SAVEPOINT job") {
            tracing::error!(error = %e, "cannot open a savepoint; write refused");
            drop(job);
            continue;
        }
        let appended = changelog::appended_len();
        let (ok, completion) = job(conn);
        if !ok {
            changelog::truncate_appended(appended);
        }
        let end = if ok { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
        if let Err(e) = conn.execute_batch(end) {
            let _ = conn.execute_batch("ROLLBACK");
            done.push(completion);
            return Err((StoreError::from(e), done));
        }
        done.push(completion);
    }
    match conn.execute_batch("COMMIT") {
        Ok(()) => Ok(done),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err((StoreError::from(e), done))
        }
    }
}
