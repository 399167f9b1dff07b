//! Parley's HTTP edge: the Mastodon client API (`/api/v1`, `/api/v2`),
//! OAuth 2 (`/oauth`), instance discovery (`/.well-known`, nodeinfo).
//!
//! Handlers read parameters ([`params`]), find the caller ([`auth`]), call
//! one `parley-app` service and convert its answer to Mastodon entities
//! ([`entities`]). Errors become Mastodon's JSON in one place ([`error`]).
//! Depends on `parley-app` and `parley-core`, never on the store.

pub mod auth;
pub mod entities;
pub mod error;
pub mod page_cache;
pub mod pagination;
pub mod params;
pub mod rate_limit;
pub use routes::media::takes_uploads;
mod routes;

use axum::Router;
use parley_app::Services;

pub use error::{ApiError, ApiResult};

/// What every handler can reach. One `Arc` around it all: axum clones the
/// state for every extractor of every request, and cloning `Services` field
/// by field bounced one reference count between the cores nine times over.
#[derive(Clone)]
pub struct AppState(std::sync::Arc<SharedState>);

pub struct SharedState {
    pub services: Services,
    /// Anonymous public listings, shared for up to a second.
    pub pages: std::sync::Arc<page_cache::PageCache>,
    /// Statuses' streaming frames, rendered once for every connection.
    pub streaming_frames: std::sync::Arc<routes::streaming::RenderedFrames>,
}

impl std::ops::Deref for AppState {
    type Target = SharedState;
    fn deref(&self) -> &SharedState {
        &self.0
    }
}

impl AppState {
    pub fn settings(&self) -> &parley_app::Settings {
        self.services.settings()
    }
}

/// The whole API as one router, ready to be served, with the page cache it
/// fills (the binary keeps a handle to report its size). It has no fallback:
/// the binary merges it with the web pages and answers unknown paths (see
/// [`not_found`] for API paths).
pub fn router(services: Services, pages: std::sync::Arc<page_cache::PageCache>) -> Router {
    routes::router().with_state(AppState(std::sync::Arc::new(SharedState {
        services,
        pages,
        streaming_frames: Default::default(),
    })))
}

/// The prefixes of the paths that belong to the API.
pub(crate) const API_PREFIXES: [&str; 4] = ["/api/", "/oauth/", "/.well-known/", "/nodeinfo/"];

/// Paths that belong to the API: unknown ones get a JSON 404, not a page.
pub fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().any(|p| path.starts_with(p))
}

pub use routes::not_found;
