//! Wiring and life cycle: open the store, build the services and the router,
//! listen, and shut down gracefully (in-flight requests finish; queued writes
//! are committed before the process exits).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use parley_api::page_cache::PageCache;
use parley_app::Services;
use parley_store::sqlite::SqliteStore;
use parley_store::{Store, StoreError};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::timeout::TimeoutLayer;

use crate::config::{Config, HttpConfig};

/// The database an instance lives in, as opened: SQLite in the data
/// directory (the default), or PostgreSQL when `database.url` is set.
#[derive(Clone)]
pub enum Database {
    Sqlite(SqliteStore),
    #[cfg(feature = "postgres")]
    Postgres(parley_store::postgres::PgStore),
}

impl Database {
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Database::Sqlite(s) => Arc::new(s.clone()),
            #[cfg(feature = "postgres")]
            Database::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// Runs SQL behind the services' back (tests and admin tools); every
    /// process forgets what it derived.
    pub async fn execute_admin_sql(&self, sql: String) -> Result<(), StoreError> {
        match self {
            Database::Sqlite(s) => s.execute_admin_sql(sql).await,
            #[cfg(feature = "postgres")]
            Database::Postgres(s) => s.execute_admin_sql(sql).await,
        }
    }

    /// SQLite's `PRAGMA integrity_check` ("ok" when sound); PostgreSQL checks
    /// its own pages and has no such statement.
    pub async fn integrity_check(&self) -> anyhow::Result<String> {
        match self {
            Database::Sqlite(s) => Ok(s.integrity_check().await?),
            #[cfg(feature = "postgres")]
            Database::Postgres(_) => anyhow::bail!("integrity_check is SQLite's; PostgreSQL has none"),
        }
    }
}

/// Opens the instance's database (creating the data directory and the
/// SQLite file if needed; migrating either) and builds the services.
pub async fn open(config: &Config) -> anyhow::Result<(Database, Services)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    let database = match config.database.postgres_url() {
        None => Database::Sqlite(
            SqliteStore::open(&config.database_path(), config.sqlite_options())
                .with_context(|| format!("cannot open the database {}", config.database_path().display()))?,
        ),
        Some(url) => open_postgres(config, url).await?,
    };
    let services = Services::new(database.store(), config.settings());
    Ok((database, services))
}

#[cfg(feature = "postgres")]
async fn open_postgres(config: &Config, url: &str) -> anyhow::Result<Database> {
    let options = parley_store::postgres::PgOptions {
        max_connections: config.database.max_connections,
        change_retention: std::time::Duration::from_secs(config.storage.change_retention_hours * 3600),
        ..Default::default()
    };
    // The URL may hold a password: never in a message.
    let store =
        parley_store::postgres::PgStore::open(url, options).await.context("cannot open the PostgreSQL database")?;
    Ok(Database::Postgres(store))
}

#[cfg(not(feature = "postgres"))]
async fn open_postgres(_config: &Config, _url: &str) -> anyhow::Result<Database> {
    anyhow::bail!("database.url names PostgreSQL, but this parley was built without the `postgres` feature")
}

/// Everything Parley serves: the API and the web pages; an unknown path gets
/// the API's JSON 404 under the API's prefixes, and the web's 404 elsewhere
/// (a page for a browser, JSON for any other client).
pub fn app_router(services: parley_app::Services, pages: Arc<PageCache>) -> axum::Router {
    let web = services.clone();
    parley_api::router(services.clone(), pages).merge(parley_web::router(services)).fallback(
        move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
            let web = web.clone();
            async move {
                use axum::response::IntoResponse;
                if parley_api::is_api_path(uri.path()) {
                    parley_api::not_found(uri).await.into_response()
                } else {
                    parley_web::not_found_page(web, uri, headers).await
                }
            }
        },
    )
}

/// A server running in this process (tests, `demo`).
pub struct Running {
    pub addr: SocketAddr,
    pub url: String,
    pub services: Services,
    pub store: Database,
    /// The API's anonymous page cache (its size, for tests).
    pub pages: Arc<PageCache>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish, and waits.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Binds `config.listen` (port 0 picks a free one) and serves in the background.
/// When the port was 0 and no public URL is configured, the URL uses the real port.
pub async fn spawn(mut config: Config) -> anyhow::Result<Running> {
    let listener = listen(config.listen).with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    config.listen = addr;
    let (store, services) = open(&config).await?;
    let jobs = services.start_jobs();
    let limits = ConnectionLimits::from(&config.http);
    let pages = Arc::new(PageCache::default());
    let router = app_router(services.clone(), pages.clone());
    // The server's own limits wrap the router as one stack, outside routing:
    // layered with `Router::layer` they would be part of every route's
    // service, cloned for each request (about 15,000 instructions a vote).
    // Trailing slashes go first: Mastodon answers `/api/v1/instance/` like
    // `/api/v1/instance`, and clients (Mastodon.py, toot) depend on it.
    // Text answers (pages, CSS, API JSON) go out gzip- or brotli-compressed
    // when the client accepts it; see [`compressible`] for what never is.
    let app = tower::ServiceBuilder::new()
        .map_response(axum::response::IntoResponse::into_response)
        .layer(CompressionLayer::new().gzip(true).br(true).compress_when(SizeAbove::new(256).and(compressible)))
        .layer(NormalizePathLayer::trim_trailing_slash())
        .layer(axum::middleware::from_fn_with_state(
            parley_api::rate_limit::RateLimits::new(config.rate_limit_settings()?),
            parley_api::rate_limit::limit,
        ))
        .map_response(json_payload_too_large)
        .layer(RequestBodyLimitLayer::new(config.http.max_body_bytes))
        .layer(DefaultBodyLimit::max(config.http.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::SERVICE_UNAVAILABLE, limits.request_timeout))
        .service(router);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let events = services.ctx.events.clone();
    let task = tokio::spawn(async move {
        serve_connections(listener, app, limits, async move {
            let _ = rx.await;
            // Open event streams end, or they would hold the shutdown up forever.
            events.stop();
        })
        .await;
        jobs.abort();
    });
    Ok(Running { addr, url: config.public_url(), services, store, pages, shutdown: Some(tx), task })
}

/// Only text is worth compressing: images, video and archives are already
/// compressed. Never an event stream (a compressor would hold events back
/// until its buffer fills) nor a WebSocket upgrade (no body of its own).
fn compressible(status: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return false;
    }
    let Some(media) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let media = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if media == "text/event-stream" {
        return false;
    }
    let (kind, sub) = media.split_once('/').unwrap_or_default();
    kind == "text"
        || matches!(sub, "json" | "javascript" | "xml" | "svg+xml" | "csv")
        || sub.ends_with("+json")
        || sub.ends_with("+xml")
}

/// The limit layer refuses a declared length in plain text: every error is Mastodon's JSON.
fn json_payload_too_large<B>(response: axum::http::Response<B>) -> axum::response::Response
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    use axum::response::IntoResponse;
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if response.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE && !is_json {
        return parley_api::ApiError::PayloadTooLarge.into_response();
    }
    response.map(axum::body::Body::new)
}

/// What bounds a connection (see `HttpConfig`).
#[derive(Debug, Clone, Copy)]
struct ConnectionLimits {
    header_read_timeout: Duration,
    request_timeout: Duration,
    max_connections: usize,
}

impl From<&HttpConfig> for ConnectionLimits {
    fn from(h: &HttpConfig) -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(h.header_read_timeout_secs),
            request_timeout: Duration::from_secs(h.request_timeout_secs),
            max_connections: h.max_connections,
        }
    }
}

/// Accepts connections and serves HTTP/1.1 on each until `shutdown`, then
/// lets the open ones finish their requests. Written on hyper's builder
/// because `axum::serve` cannot set a header-read timeout or a connection limit.
///
/// hyper's header-read timer runs whenever a connection waits for a request
/// head, so it closes a connection that trickles its headers and an idle
/// keep-alive connection alike. A connection holds a permit of the semaphore
/// until it closes; when none is left the loop stops accepting, and new
/// connections wait in the listen backlog rather than consume memory.
async fn serve_connections<S>(
    listener: TcpListener,
    app: S,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()>,
) where
    S: tower::Service<axum::extract::Request, Response = axum::response::Response, Error = std::convert::Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop) = tokio::sync::watch::channel(false);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &permits) => accepted,
        };
        let Some((stream, permit)) = accepted else { continue };
        // Who is at the other end, for the rate limits (and nothing else).
        let peer = stream.peer_addr().ok();
        let service = TowerToHyperService::new(
            tower::ServiceBuilder::new()
                .map_request(move |req: hyper::Request<hyper::body::Incoming>| {
                    let mut req = req.map(axum::body::Body::new);
                    if let Some(peer) = peer {
                        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                    }
                    req
                })
                .service(app.clone()),
        );
        // With upgrades: the streaming API's WebSockets take the connection over.
        let connection = builder.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = async { stop.wait_for(|stopping| *stopping).await.map(|_| ()) } => {
                    // Finish the request in flight, take no new one.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            // Timeouts and resets end connections all the time: not worth an error.
            if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    stopping.send_replace(true);
    // Every connection has ended once every permit is back.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = permits.acquire_many(all).await;
}

/// The next connection, once a permit is free. `None` when accepting failed
/// (out of file descriptors, a connection reset while queued): the loop goes on.
async fn accept(listener: &TcpListener, permits: &Arc<Semaphore>) -> Option<(TcpStream, OwnedSemaphorePermit)> {
    // The semaphore is never closed.
    let permit = permits.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, _)) => {
            // Small answers go out at once rather than wait for more (as axum::serve does).
            let _ = stream.set_nodelay(true);
            Some((stream, permit))
        }
        Err(e) => {
            tracing::warn!(error = %e, "accepting a connection failed");
            // Out of file descriptors, typically: give the others time to close.
            tokio::time::sleep(Duration::from_millis(50)).await;
            None
        }
    }
}

/// Connections waiting to be accepted: the default of 128 drops connections
/// when a crowd arrives at once (a viral post), each then waiting a second to retry.
const LISTEN_BACKLOG: u32 = 1024;

fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() { TcpSocket::new_v4()? } else { TcpSocket::new_v6()? };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// `parley serve`: runs until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let running = spawn(config).await?;
    println!("Parley is listening on {} (open it in a browser, or point a Mastodon app at it)", running.url);
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
