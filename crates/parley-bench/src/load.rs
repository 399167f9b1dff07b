//! The load engine. A run is a set of groups of workers, each group with its
//! workload; a worker sends one request at a time (closed loop, as wrk does)
//! and records its latency. The workers are spread over a few OS threads,
//! each with its own current-thread tokio runtime and its own recorders, so
//! the hot path shares nothing but two relaxed atomic counters (the group's
//! ticket and the progress count).
//!
//! Connections are opened before the clock starts; every worker then starts
//! at the same instant.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use crate::client::{self, ClientKind, Prepared, Sender, Target};
use crate::recorder::ClassRecorder;
use crate::stats::human_rate;

/// What the workers of a group send.
pub trait Workload: Send + Sync {
    /// The request for ticket `ticket` (tickets count up from 0 and are shared
    /// by the group's workers), or `None` when there is no more work.
    fn next(&self, ticket: u64, worker: &mut WorkerState) -> Option<Prepared>;

    /// Each answer, with its body if the request asked for it (empty otherwise).
    fn answered(&self, _ticket: u64, _status: u16, _body: &[u8], _worker: &mut WorkerState) {}
}

/// A worker's own state, for workloads that follow up on an answer.
#[derive(Default)]
pub struct WorkerState {
    /// The worker's number within its group.
    pub id: usize,
    /// Requests this worker has sent.
    pub sent: u64,
    /// A request to send next instead of taking a new ticket (the next page of a timeline).
    /// Its answer is passed to [`Workload::answered`] with ticket `u64::MAX`.
    pub follow_up: Option<Prepared>,
    /// Free for the workload: which item the request in flight is about.
    pub slot: usize,
}

pub struct Group {
    pub workers: usize,
    pub workload: Arc<dyn Workload>,
    /// At most this many requests (tickets) for the group.
    pub requests: Option<u64>,
    /// At most this long.
    pub duration: Option<Duration>,
    /// The run ends when every primary group is done; the others run until then.
    pub primary: bool,
}

/// One run of load.
pub struct Load {
    /// Shown beside the progress bar.
    pub label: String,
    /// Names of the classes requests are recorded under ([`Prepared::class`] indexes this).
    pub classes: Vec<String>,
    pub groups: Vec<Group>,
}

/// How load is sent: the same for the baseline and every scenario of a run.
#[derive(Debug, Clone)]
pub struct Runner {
    pub target: Target,
    pub threads: usize,
    pub timeout: Duration,
    pub progress: bool,
}

pub struct Outcome {
    pub classes: Vec<ClassRecorder>,
    /// When the clock started.
    pub started: Instant,
    /// From the start until the last worker stopped.
    pub elapsed: Duration,
    /// Problems worth telling (connection failures…).
    pub notes: Vec<String>,
}

struct GroupShared {
    tickets: AtomicU64,
    active: AtomicUsize,
}

struct Shared {
    ready: AtomicUsize,
    start: watch::Sender<Option<Instant>>,
    stop: AtomicBool,
    done: AtomicU64,
    primaries_left: AtomicUsize,
    groups: Vec<GroupShared>,
    connect_errors: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl Runner {
    pub fn with_target(&self, target: Target) -> Runner {
        Runner { target, ..self.clone() }
    }

    pub async fn run(&self, load: Load) -> anyhow::Result<Outcome> {
        let threads = self.threads.max(1);
        let total_workers: usize = load.groups.iter().map(|g| g.workers).sum();
        let primaries = load.groups.iter().filter(|g| g.primary).count();
        anyhow::ensure!(primaries > 0, "a load needs at least one primary group");
        let (start_tx, _) = watch::channel(None);
        let shared = Arc::new(Shared {
            ready: AtomicUsize::new(0),
            start: start_tx,
            stop: AtomicBool::new(false),
            done: AtomicU64::new(0),
            primaries_left: AtomicUsize::new(primaries),
            groups: load
                .groups
                .iter()
                .map(|g| GroupShared { tickets: AtomicU64::new(0), active: AtomicUsize::new(g.workers) })
                .collect(),
            connect_errors: AtomicU64::new(0),
            first_error: Mutex::new(None),
        });
        // A primary group with no workers is done already.
        for (i, g) in load.groups.iter().enumerate() {
            if g.workers == 0 {
                shared.groups[i].active.store(0, Ordering::Relaxed);
                if g.primary {
                    finish_primary(&shared);
                }
            }
        }

        // Deal the workers to the threads: (group, worker id) pairs, round-robin.
        let mut plan: Vec<Vec<(usize, usize)>> = vec![Vec::new(); threads];
        let mut n = 0;
        for (g, group) in load.groups.iter().enumerate() {
            for w in 0..group.workers {
                plan[n % threads].push((g, w));
                n += 1;
            }
        }
        let groups: Arc<Vec<GroupSpec>> = Arc::new(
            load.groups
                .iter()
                .map(|g| GroupSpec {
                    workload: g.workload.clone(),
                    requests: g.requests,
                    duration: g.duration,
                    primary: g.primary,
                })
                .collect(),
        );
        let classes = load.classes.len();
        let mut handles = Vec::new();
        for (i, workers) in plan.into_iter().enumerate() {
            if workers.is_empty() {
                continue;
            }
            let shared = shared.clone();
            let groups = groups.clone();
            let target = self.target.clone();
            let timeout = self.timeout;
            let handle = std::thread::Builder::new()
                .name(format!("load-{i}"))
                .spawn(move || load_thread(target, timeout, classes, groups, workers, shared))
                .context("starting a load thread")?;
            handles.push(handle);
        }

        // Everyone connected (or gave up): start the clock.
        while shared.ready.load(Ordering::Acquire) < total_workers && !handles.iter().all(|h| h.is_finished()) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let started = Instant::now();
        shared.start.send_replace(Some(started));

        let (bar, counts_requests) = self.progress_bar(&load, &groups);
        let mut last = (Instant::now(), 0u64);
        while !handles.iter().all(|h| h.is_finished()) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let done = shared.done.load(Ordering::Relaxed);
            let now = Instant::now();
            let rate = (done - last.1) as f64 / now.duration_since(last.0).as_secs_f64().max(1e-3);
            last = (now, done);
            // Non-primary groups (readers beside the votes) count too: never past the end.
            bar.set_position(if counts_requests {
                done.min(bar.length().unwrap_or(done))
            } else {
                started.elapsed().as_secs()
            });
            bar.set_message(format!("{done} req, {} req/s", human_rate(rate)));
        }
        bar.finish_and_clear();
        let elapsed = started.elapsed();

        let mut merged: Vec<ClassRecorder> = (0..classes).map(|_| ClassRecorder::default()).collect();
        for h in handles {
            let recs = h.join().map_err(|_| anyhow::anyhow!("a load thread panicked"))??;
            for (m, r) in merged.iter_mut().zip(recs) {
                m.merge(r);
            }
        }
        let mut notes = Vec::new();
        let connect_errors = shared.connect_errors.load(Ordering::Relaxed);
        if let Some(first) = shared.first_error.lock().ok().and_then(|e| e.clone()) {
            notes.push(format!(
                "{}: requests without an answer ({connect_errors} connection failure(s)); the first: {first}",
                load.label
            ));
        }
        Ok(Outcome { classes: merged, started, elapsed, notes })
    }

    /// A bar of requests when every primary group is a count of requests, else of seconds.
    fn progress_bar(&self, load: &Load, groups: &[GroupSpec]) -> (ProgressBar, bool) {
        let counted: Option<u64> =
            groups.iter().filter(|g| g.primary).map(|g| g.requests).sum::<Option<u64>>().filter(|&n| n > 0);
        let seconds = groups.iter().filter_map(|g| g.duration).max().unwrap_or_default().as_secs();
        let (len, unit) = match counted {
            Some(n) => (n, "req"),
            None => (seconds, "s"),
        };
        if !self.progress {
            return (ProgressBar::hidden(), counted.is_some());
        }
        let bar = ProgressBar::new(len);
        let template = format!("{{prefix:>24}} [{{elapsed_precise}}] {{bar:30}} {{pos}}/{{len}} {unit}  {{msg}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.set_prefix(load.label.clone());
        (bar, counted.is_some())
    }
}

struct GroupSpec {
    workload: Arc<dyn Workload>,
    requests: Option<u64>,
    duration: Option<Duration>,
    primary: bool,
}

fn finish_primary(shared: &Shared) {
    if shared.primaries_left.fetch_sub(1, Ordering::AcqRel) == 1 {
        shared.stop.store(true, Ordering::Release);
    }
}

fn load_thread(
    target: Target,
    timeout: Duration,
    classes: usize,
    groups: Arc<Vec<GroupSpec>>,
    workers: Vec<(usize, usize)>,
    shared: Arc<Shared>,
) -> anyhow::Result<Vec<ClassRecorder>> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let local = tokio::task::LocalSet::new();
    let recorders: Rc<RefCell<Vec<ClassRecorder>>> =
        Rc::new(RefCell::new((0..classes).map(|_| ClassRecorder::default()).collect()));
    let pool = (target.kind == ClientKind::Pool).then(|| client::pool(workers.len()));
    local.block_on(&rt, async {
        let mut tasks = Vec::with_capacity(workers.len());
        for (g, id) in workers {
            let sender = Sender::new(&target, pool.as_ref());
            let job = Worker {
                group: g,
                spec: groups.clone(),
                shared: shared.clone(),
                recorders: recorders.clone(),
                sender,
                state: WorkerState { id, ..WorkerState::default() },
                timeout,
            };
            tasks.push(tokio::task::spawn_local(job.run()));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    drop(local);
    let cell = Rc::try_unwrap(recorders).map_err(|_| anyhow::anyhow!("recorders still shared"))?;
    Ok(cell.into_inner())
}

struct Worker {
    group: usize,
    spec: Arc<Vec<GroupSpec>>,
    shared: Arc<Shared>,
    recorders: Rc<RefCell<Vec<ClassRecorder>>>,
    sender: Sender,
    state: WorkerState,
    timeout: Duration,
}

impl Worker {
    async fn run(mut self) {
        let connected = tokio::time::timeout(Duration::from_secs(10), self.sender.connect()).await;
        if !matches!(connected, Ok(Ok(()))) {
            self.connect_error(match connected {
                Ok(Err(e)) => e.to_string(),
                _ => "connect timed out".to_owned(),
            });
        }
        self.shared.ready.fetch_add(1, Ordering::AcqRel);
        let mut start = self.shared.start.subscribe();
        let t0 = match start.wait_for(Option::is_some).await {
            Ok(t) => t.unwrap_or_else(Instant::now),
            Err(_) => Instant::now(),
        };
        drop(start);
        let spec = &self.spec[self.group];
        let workload = spec.workload.clone();
        let deadline = spec.duration.map(|d| t0 + d);
        let tickets = &self.shared.groups[self.group].tickets;
        let mut body = Vec::new();
        loop {
            if self.shared.stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            let (ticket, prepared) = match self.state.follow_up.take() {
                Some(p) => (u64::MAX, p),
                None => {
                    let ticket = tickets.fetch_add(1, Ordering::Relaxed);
                    if spec.requests.is_some_and(|n| ticket >= n) {
                        break;
                    }
                    match workload.next(ticket, &mut self.state) {
                        Some(p) => (ticket, p),
                        None => break,
                    }
                }
            };
            self.state.sent += 1;
            body.clear();
            let sent = Instant::now();
            let result = self.sender.send(&prepared, &mut body, self.timeout).await;
            let now = Instant::now();
            match result {
                Ok(status) => {
                    self.recorders.borrow_mut()[prepared.class].record(status, now - sent, now - t0);
                    workload.answered(ticket, status, &body, &mut self.state);
                }
                Err(e) => {
                    self.recorders.borrow_mut()[prepared.class].record_io_error(now - t0);
                    if let client::SendError::Connect(_) = e {
                        self.connect_error(e.to_string());
                        // Don't spin on a server that refuses connections.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    } else {
                        self.note_error(e.to_string());
                    }
                }
            }
            self.shared.done.fetch_add(1, Ordering::Relaxed);
        }
        if self.shared.groups[self.group].active.fetch_sub(1, Ordering::AcqRel) == 1 && spec.primary {
            finish_primary(&self.shared);
        }
    }

    fn connect_error(&self, e: String) {
        self.shared.connect_errors.fetch_add(1, Ordering::Relaxed);
        self.note_error(e);
    }

    fn note_error(&self, e: String) {
        if let Ok(mut first) = self.shared.first_error.lock() {
            first.get_or_insert(e);
        }
    }
}
