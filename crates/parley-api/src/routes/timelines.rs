//! `/api/v1/timelines` — https://docs.joinmastodon.org/methods/timelines/

use axum::extract::{OriginalUri, State};
use axum::http::Uri;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::statuses::status_list;
use parley_core::page::PageRequest;

use crate::auth::{Auth, MaybeAuth};
use crate::entities::Status;
use crate::pagination::{PageParams, Paged};
use crate::params::{PathParam, Query};
use crate::{ApiError, ApiResult, AppState};

/// `GET /api/v1/timelines/home`
pub async fn home(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Status>> {
    let me = auth.user("read:statuses")?;
    let views = state.services.timelines.home(me.id, q.request(20, 40)?).await?;
    Ok(status_list(&state, &uri, Some(me.id), &views))
}

#[derive(Deserialize, Clone, Copy)]
pub struct PublicQuery {
    #[serde(default)]
    local: bool,
    #[serde(default)]
    remote: bool,
    #[serde(default)]
    only_media: bool,
}

/// Statuses on a page when the client names no `limit` (Mastodon's).
const DEFAULT_LIMIT: usize = 20;

/// The listing an anonymous request asks for, as a URI with only the
/// recognised parameters, normalised (`limit` clamped, and kept only if the
/// client sent one, as Mastodon's links do; IDs as numbers; flags only when set): the page cache's key, and the base of the `Link` header.
/// Anything else in the query (`?x=1`, `?x=2`…) changes nothing in the
/// answer, so it must not make another cache entry.
fn listing_uri(path: &str, page: &PageRequest, limit_sent: bool, q: &PublicQuery) -> ApiResult<Uri> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if limit_sent {
        query.append_pair("limit", &page.limit.to_string());
    }
    for (name, value) in [("max_id", page.max_id), ("since_id", page.since_id), ("min_id", page.min_id)] {
        if let Some(id) = value {
            query.append_pair(name, &id.to_string());
        }
    }
    for (name, set) in [("local", q.local), ("remote", q.remote), ("only_media", q.only_media)] {
        if set {
            query.append_pair(name, "true");
        }
    }
    let query = query.finish();
    let uri = if query.is_empty() { path.to_string() } else { format!("{path}?{query}") };
    uri.parse().map_err(|_| ApiError::Malformed("Error occurred while parsing request parameters".into()))
}

/// Serves an anonymous listing from the page cache, or computes and caches it.
async fn anonymous_listing<F, Fut>(state: &AppState, uri: Uri, compute: F) -> ApiResult<Response>
where
    F: FnOnce(Uri) -> Fut,
    Fut: std::future::Future<Output = ApiResult<Paged<Status>>>,
{
    let key = uri.to_string();
    let generation = state.services.ctx.events.listings_generation();
    if let Some(hit) = state.pages.get(&key, generation) {
        return Ok(hit);
    }
    let Paged(items, link) = compute(uri).await?;
    let body = crate::pagination::json_list(&items)?;
    Ok(state.pages.put(key, generation, body.into(), link))
}

/// `GET /api/v1/timelines/public`
pub async fn public(
    State(state): State<AppState>,
    auth: MaybeAuth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
    Query(q): Query<PublicQuery>,
) -> ApiResult<Response> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let limit_sent = page.limit.is_some();
    let page = page.request(DEFAULT_LIMIT, 40)?;
    let shared = &state;
    let compute = |uri: Uri| async move {
        let state = shared;
        // Every status here is local, so `remote` selects nothing.
        let views = if q.remote {
            Vec::new()
        } else {
            state.services.timelines.public(viewer, q.local, q.only_media, page).await?
        };
        Ok(status_list(state, &uri, viewer, &views))
    };
    match viewer {
        None => anonymous_listing(&state, listing_uri(uri.path(), &page, limit_sent, &q)?, compute).await,
        Some(_) => Ok(compute(uri).await?.into_response()),
    }
}

/// `GET /api/v1/timelines/tag/:hashtag`
pub async fn tag(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(hashtag): PathParam,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
    Query(q): Query<PublicQuery>,
) -> ApiResult<Response> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let limit_sent = page.limit.is_some();
    let page = page.request(DEFAULT_LIMIT, 40)?;
    let shared = &state;
    let name = hashtag.trim_start_matches('#');
    let compute = |uri: Uri| async move {
        let state = shared;
        let views =
            if q.remote { Vec::new() } else { state.services.timelines.tag(viewer, name, q.only_media, page).await? };
        Ok(status_list(state, &uri, viewer, &views))
    };
    match viewer {
        None => anonymous_listing(&state, listing_uri(uri.path(), &page, limit_sent, &q)?, compute).await,
        Some(_) => Ok(compute(uri).await?.into_response()),
    }
}
