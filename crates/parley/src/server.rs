//! Wiring and life cycle: open the store, build the services and the router,
//! listen, and shut down gracefully (in-flight requests finish; queued writes
//! are committed before the process exits).

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use parley_app::Services;
use parley_store::sqlite::SqliteStore;
use tokio::net::{TcpListener, TcpSocket};
use tower_http::normalize_path::NormalizePathLayer;

use crate::config::Config;

/// Opens the data directory's database (creating both if needed) and builds the services.
pub fn open(config: &Config) -> anyhow::Result<(SqliteStore, Services)> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("cannot create the data directory {}", config.data_dir.display()))?;
    let store = SqliteStore::open(&config.database_path(), config.sqlite_options())
        .with_context(|| format!("cannot open the database {}", config.database_path().display()))?;
    let services = Services::new(Arc::new(store.clone()), config.settings());
    Ok((store, services))
}

/// Everything Parley serves: the API and the web pages; an unknown path gets
/// the API's JSON 404 under the API's prefixes, and the web's 404 elsewhere
/// (a page for a browser, JSON for any other client).
pub fn app_router(services: parley_app::Services) -> axum::Router {
    let web = services.clone();
    parley_api::router(services.clone()).merge(parley_web::router(services)).fallback(
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
    pub store: SqliteStore,
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
    let (store, services) = open(&config)?;
    let jobs = services.start_jobs();
    // Mastodon answers `/api/v1/instance/` like `/api/v1/instance`, and clients
    // (Mastodon.py, toot) depend on it: trim one trailing slash before routing.
    let app = tower::Layer::layer(&NormalizePathLayer::trim_trailing_slash(), app_router(services.clone()));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let events = services.ctx.events.clone();
    let task = tokio::spawn(async move {
        let result = axum::serve(listener, axum::ServiceExt::<axum::extract::Request>::into_make_service(app))
            .with_graceful_shutdown(async move {
                let _ = rx.await;
                // Open event streams end, or they would hold the shutdown up forever.
                events.stop();
            })
            .await;
        if let Err(e) = result {
            tracing::error!(error = %e, "server stopped with an error");
        }
        jobs.abort();
    });
    Ok(Running { addr, url: config.public_url(), services, store, shutdown: Some(tx), task })
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
