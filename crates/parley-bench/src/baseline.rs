//! The baseline: what this machine can serve at all, measured in the same
//! run. A tiny server on the same stack as Parley (axum 0.8 on a multi-thread
//! tokio runtime with one worker per core), on 127.0.0.1 and a free port,
//! with `/hello` (plain text) and `/json` (about 1 KB of JSON serialised per
//! request, as an API handler does). It runs on its own threads, so from the
//! OS's point of view it competes with the load generator as a server
//! process would.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Json;
use axum::Router;
use axum::routing::get;
use serde::Serialize;
use tokio::sync::oneshot;

use crate::client::{Prepared, Target};
use crate::load::{Group, Load, Runner};
use crate::report::Measurement;
use crate::scenarios::Repeat;

pub struct BaselineServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BaselineServer {
    /// Starts the server with `threads` runtime workers (0: one per core, as `#[tokio::main]`).
    pub fn start(threads: usize) -> anyhow::Result<BaselineServer> {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if threads > 0 {
            builder.worker_threads(threads);
        }
        let rt = builder.thread_name("baseline").enable_all().build()?;
        // tokio's backlog (1024), as Parley's listener has: std's 128 drops SYNs
        // when hundreds of workers connect at once, and each costs a 1 s retry.
        let listener = {
            let _runtime = rt.enter();
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(SocketAddr::from(([127, 0, 0, 1], 0))).context("binding the baseline server")?;
            socket.listen(1024)?
        };
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("baseline".into()).spawn(move || {
            rt.block_on(async move {
                let _ = axum::serve(listener, router())
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await;
            });
        })?;
        Ok(BaselineServer { addr, shutdown: Some(tx), thread: Some(thread) })
    }
}

impl Drop for BaselineServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Graceful shutdown waits for open connections; the load has closed them.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub fn router() -> Router {
    Router::new().route("/hello", get(hello)).route("/json", get(json))
}

async fn hello() -> &'static str {
    "Hello, World!"
}

/// Shaped like a small Mastodon entity, so its serialisation costs what an API answer's does.
#[derive(Serialize)]
struct Sample {
    id: &'static str,
    created_at: &'static str,
    visibility: &'static str,
    language: &'static str,
    uri: &'static str,
    content: &'static str,
    replies_count: u64,
    reblogs_count: u64,
    favourites_count: u64,
    account: SampleAccount,
    poll: SamplePoll,
}

#[derive(Serialize)]
struct SampleAccount {
    id: &'static str,
    username: &'static str,
    acct: &'static str,
    display_name: &'static str,
    url: &'static str,
    avatar: &'static str,
    note: &'static str,
    created_at: &'static str,
    followers_count: u64,
    following_count: u64,
    statuses_count: u64,
}

#[derive(Serialize)]
struct SamplePoll {
    id: &'static str,
    expires_at: &'static str,
    expired: bool,
    multiple: bool,
    votes_count: u64,
    voters_count: u64,
    options: [SampleOption; 3],
}

#[derive(Serialize)]
struct SampleOption {
    title: &'static str,
    votes_count: u64,
}

fn sample() -> Sample {
    Sample {
        id: "113942018237464576",
        created_at: "2018-03-29T14:02:11.000Z",
        visibility: "public",
        language: "en",
        uri: "http://127.0.0.1/users/embassy/statuses/113942018237464576",
        content: "<p>What US Consulate General would you close? Vote in our poll and tell your friends.</p>",
        replies_count: 1208,
        reblogs_count: 2311,
        favourites_count: 5012,
        account: SampleAccount {
            id: "113942018237400001",
            username: "embassy",
            acct: "embassy",
            display_name: "Embassy in the USA",
            url: "http://127.0.0.1/@embassy",
            avatar: "http://127.0.0.1/avatars/original/missing.png",
            note: "<p>Official account of the Embassy.</p>",
            created_at: "2009-01-01T00:00:00.000Z",
            followers_count: 100_000,
            following_count: 212,
            statuses_count: 18_432,
        },
        poll: SamplePoll {
            id: "113942018237464577",
            expires_at: "2018-03-30T14:02:11.000Z",
            expired: false,
            multiple: false,
            votes_count: 11_600,
            voters_count: 11_600,
            options: [
                SampleOption { title: "Vladivostok", votes_count: 3_600 },
                SampleOption { title: "Yekaterinburg", votes_count: 2_780 },
                SampleOption { title: "St. Petersburg", votes_count: 5_220 },
            ],
        },
    }
}

async fn json() -> Json<Sample> {
    Json(sample())
}

/// Measures `/hello` then `/json` under the runner's client and `concurrency`
/// workers for `duration` each. `run_start` dates the measurements for the chart.
pub async fn measure(
    runner: &Runner,
    concurrency: usize,
    duration: Duration,
    server_threads: usize,
    run_start: Instant,
) -> anyhow::Result<(Vec<Measurement>, Vec<String>)> {
    let server = BaselineServer::start(server_threads)?;
    let target = Target::resolve(&format!("http://{}", server.addr), runner.target.kind).await?;
    let runner = runner.with_target(target.clone());
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for path in ["hello", "json"] {
        let name = format!("baseline-{path}");
        let request = Prepared::get(0, target.uri(&format!("/{path}")), None);
        let load = Load {
            label: name.clone(),
            classes: vec![name.clone()],
            groups: vec![Group {
                workers: concurrency,
                workload: std::sync::Arc::new(Repeat(request)),
                requests: None,
                duration: Some(duration),
                primary: true,
            }],
        };
        let outcome = runner.run(load).await?;
        let offset = outcome.started.duration_since(run_start).as_secs_f64();
        out.push(outcome.classes[0].measurement(&name, None, offset));
        notes.extend(outcome.notes);
    }
    drop(server);
    Ok((out, notes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::ClientKind;

    #[test]
    fn the_json_answer_is_about_one_kilobyte() {
        let len = serde_json::to_vec(&sample()).unwrap().len();
        assert!((900..=1100).contains(&len), "{len} bytes");
    }

    /// The engine against the baseline server: exactly the requests asked
    /// for, all answered, with either client.
    #[tokio::test]
    async fn a_counted_load_sends_exactly_that_many_requests() {
        let server = BaselineServer::start(1).unwrap();
        for kind in [ClientKind::Conn, ClientKind::Pool] {
            let target = Target::resolve(&format!("http://{}", server.addr), kind).await.unwrap();
            let runner =
                Runner { target: target.clone(), threads: 2, timeout: Duration::from_secs(10), progress: false };
            let load = Load {
                label: "test".into(),
                classes: vec!["json".into()],
                groups: vec![Group {
                    workers: 8,
                    workload: std::sync::Arc::new(Repeat(Prepared::get(0, target.uri("/json"), None))),
                    requests: Some(500),
                    duration: None,
                    primary: true,
                }],
            };
            let outcome = runner.run(load).await.unwrap();
            let m = outcome.classes[0].measurement("json", None, 0.0);
            assert_eq!((m.requests, m.ok), (500, 500), "{kind:?}: {:?}", m.errors);
            assert!(m.latency.is_some());
        }
    }
}
