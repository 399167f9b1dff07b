//! Discovery of local accounts: `/.well-known/webfinger` (RFC 7033, as
//! Mastodon answers it) and `/.well-known/host-meta` (RFC 6415), which
//! points to it.

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::params::Query;
use crate::{ApiResult, AppState};

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

/// `GET /.well-known/webfinger?resource=acct:user@domain`: the account's
/// JRD; 400 without a resource, 404 for one that names no local account.
pub async fn webfinger(State(state): State<AppState>, Query(q): Query<WebfingerQuery>) -> ApiResult<Response> {
    let resource = q.resource.filter(|r| !r.trim().is_empty()).ok_or(ApiError::MissingParam("resource".into()))?;
    let account = state.services.accounts.webfinger(&resource).await?;
    let s = state.settings();
    let profile = s.account_url(&account.username);
    let actor = format!("{}/users/{}", s.public_url, account.username);
    let body = json!({
        "subject": format!("acct:{}@{}", account.username, s.domain),
        "aliases": [profile, actor],
        "links": [
            { "rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": profile },
            { "rel": "self", "type": "application/activity+json", "href": actor }
        ]
    });
    Ok(([(CONTENT_TYPE, "application/jrd+json; charset=utf-8")], body.to_string()).into_response())
}

/// `GET /.well-known/host-meta`: where WebFinger is, as XRD.
pub async fn host_meta(State(state): State<AppState>) -> Response {
    let base = state
        .settings()
        .public_url
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{base}/.well-known/webfinger?resource={{uri}}\"/>\n\
         </XRD>\n"
    );
    ([(CONTENT_TYPE, "application/xrd+xml; charset=utf-8")], xml).into_response()
}
