//! `/api/v1/timelines` — https://docs.joinmastodon.org/methods/timelines/

use axum::extract::{OriginalUri, State};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::statuses::status_list;
use crate::auth::{Auth, MaybeAuth};
use crate::entities::Status;
use crate::pagination::{PageParams, Paged};
use crate::params::{PathParam, Query};
use crate::{ApiResult, AppState};

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

#[derive(Deserialize)]
pub struct PublicQuery {
    #[serde(default)]
    local: bool,
    #[serde(default)]
    remote: bool,
    #[serde(default)]
    only_media: bool,
}

/// Serves an anonymous listing from the page cache, or computes and caches it.
async fn anonymous_listing<F, Fut>(state: &AppState, uri: &axum::http::Uri, compute: F) -> ApiResult<Response>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ApiResult<Paged<Status>>>,
{
    let key = uri.to_string();
    let generation = state.services.ctx.events.listings_generation();
    if let Some(hit) = state.pages.get(&key, generation) {
        return Ok(hit);
    }
    let Paged(items, link) = compute().await?;
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
    let page = page.request(20, 40)?;
    let compute = || async {
        // Every status here is local, so `remote` and `only_media` (no media yet) select nothing.
        let views = if q.remote || q.only_media {
            Vec::new()
        } else {
            state.services.timelines.public(viewer, q.local, page).await?
        };
        Ok(status_list(&state, &uri, viewer, &views))
    };
    match viewer {
        None => anonymous_listing(&state, &uri, compute).await,
        Some(_) => Ok(compute().await?.into_response()),
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
    let page = page.request(20, 40)?;
    let compute = || async {
        let views = if q.remote || q.only_media {
            Vec::new()
        } else {
            state.services.timelines.tag(viewer, hashtag.trim_start_matches('#'), page).await?
        };
        Ok(status_list(&state, &uri, viewer, &views))
    };
    match viewer {
        None => anonymous_listing(&state, &uri, compute).await,
        Some(_) => Ok(compute().await?.into_response()),
    }
}
