//! Parley's web interface: the pages a person uses in a browser, the embed
//! page and oEmbed for news sites.
//!
//! Pages are rendered on the server (askama templates in `templates/`) as
//! semantic HTML that works without JavaScript: every action is a form post.
//! One small script of our own (`assets/parley.js`) moves the poll bars live
//! through the streaming API's `parley:poll` stream (server-sent events from
//! `parley-api`: one live mechanism for clients, pages and embeds);
//! `embed.js` lets a host page size our iframe.
//! Everything is served from here: no CDN, web fonts or trackers.
//!
//! Handlers read the session ([`session`]), call the same `parley-app`
//! services as the API, turn the views into display models ([`models`]) and
//! render. Depends on `parley-app` and `parley-core`, never on the store.
//!
//! Security: the session cookie holds a web-app access token (HttpOnly,
//! SameSite=Lax, Secure over https); every POST checks a CSRF token and the
//! origin; every page but the embed denies framing.

mod assets;
mod chart;
pub mod format;
pub mod models;
mod pages;
mod render;
pub mod session;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use parley_app::Services;

/// Facts about this site that every page needs.
#[derive(Debug, Clone)]
pub struct Site {
    /// The public origin, without a trailing slash (`https://parley.example`).
    pub origin: String,
    /// The domain accounts are known by (`@user@domain`).
    pub domain: String,
    /// Served over https: cookies are `Secure` and `__Host-` prefixed.
    pub secure: bool,
    /// Changes when the assets change, so browsers fetch the new ones.
    pub asset_version: &'static str,
}

/// What every web handler can reach.
#[derive(Clone)]
pub struct WebState {
    pub services: Services,
    pub site: Arc<Site>,
}

impl WebState {
    pub fn new(services: Services) -> WebState {
        let settings = services.settings();
        let site = Site {
            origin: settings.public_url.clone(),
            domain: settings.domain.clone(),
            secure: settings.public_url.starts_with("https://"),
            asset_version: assets::version(),
        };
        WebState { services, site: Arc::new(site) }
    }
}

/// Every web page, the embed and oEmbed, the assets. It has no fallback: the
/// binary merges it with the API and answers unknown paths with
/// [`not_found_page`].
pub fn router(services: Services) -> Router {
    use pages::{about, account, compose, embed, history, public, social};
    let state = WebState::new(services);
    Router::new()
        .route("/", get(public::landing))
        .route("/home", get(public::home))
        .route("/about", get(about::page))
        .route("/tags/{tag}", get(public::tag))
        .route("/{handle}", get(public::profile))
        .route("/{handle}/{id}", get(public::status))
        // Static segments win over `{id}`: these are never a status.
        .route("/{handle}/followers", get(public::followers))
        .route("/{handle}/following", get(public::following))
        .route("/{handle}/{id}/embed", get(embed::page))
        .route("/{handle}/{id}/history", get(history::page))
        .route("/{handle}/{id}/cite", get(history::cite))
        .route("/{handle}/{id}/vote", get(social::vote_elsewhere))
        .route("/statuses", post(compose::create))
        .route("/statuses/{id}", get(public::status_by_id))
        .route("/statuses/{id}/{action}", post(social::status_action))
        .route("/accounts/{id}/{action}", post(social::account_action))
        .route("/follow_requests/{id}/{action}", post(social::follow_request))
        .route("/polls/{id}/votes", post(social::vote))
        .route("/compose", get(compose::page))
        .route("/notifications", get(account::notifications))
        .route("/settings", get(account::settings))
        .route("/settings/profile", post(account::save_profile))
        .route("/settings/password", post(account::change_password))
        .route("/auth/sign_in", get(account::sign_in_page).post(account::sign_in))
        .route("/auth/sign_up", get(account::sign_up_page).post(account::sign_up))
        .route("/auth/sign_out", post(account::sign_out))
        .route("/api/oembed", get(embed::oembed))
        .route("/assets/{file}", get(assets::serve))
        .route("/embed.js", get(assets::embed_js))
        .layer(axum::middleware::from_fn_with_state(state.clone(), render::web_layer))
        .with_state(state)
}

/// The answer for a path nobody serves: an HTML page for a browser, and for
/// any other client (which asked for no HTML) Mastodon's JSON 404, as the API
/// gives. The binary calls it from its fallback for every path outside the
/// API; the web's own routes call it for paths that only look like theirs
/// (`/nope` is not a profile: profiles start with `@`).
pub async fn not_found_page(services: Services, uri: Uri, headers: HeaderMap) -> Response {
    not_found_for(&WebState::new(services), &uri, &headers).await
}

pub(crate) async fn not_found_for(state: &WebState, uri: &Uri, headers: &HeaderMap) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html") || a.contains("application/xhtml"));
    if !wants_html {
        return (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            r#"{"error":"Record not found"}"#,
        )
            .into_response();
    }
    let here = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    render::not_found_response(state, headers, here).await
}
