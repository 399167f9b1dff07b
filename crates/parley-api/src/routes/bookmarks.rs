//! Bookmarks — https://docs.joinmastodon.org/methods/bookmarks/ and
//! `POST /api/v1/statuses/:id/bookmark`, `/unbookmark`
//! (https://docs.joinmastodon.org/methods/statuses/#bookmark).

use axum::Json;
use axum::extract::{OriginalUri, State};

use super::path_id;
use crate::auth::Auth;
use crate::entities::Status;
use crate::pagination::{PageParams, Paged, cursors_of, link_header};
use crate::params::{PathParam, Query};
use crate::{ApiResult, AppState};

/// `POST /api/v1/statuses/:id/bookmark`
pub async fn bookmark(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Status>> {
    let me = auth.user("write:bookmarks")?;
    let view = state.services.statuses.bookmark(me, path_id(&id)?).await?;
    Ok(Json(Status::from_view(&view, state.settings(), Some(me.id))))
}

/// `POST /api/v1/statuses/:id/unbookmark`
pub async fn unbookmark(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Status>> {
    let me = auth.user("write:bookmarks")?;
    let view = state.services.statuses.unbookmark(me, path_id(&id)?).await?;
    Ok(Json(Status::from_view(&view, state.settings(), Some(me.id))))
}

/// `GET /api/v1/bookmarks`: paged by bookmark, newest first.
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Status>> {
    let me = auth.user("read:bookmarks")?;
    let pairs = state.services.statuses.bookmarks(me.id, q.request(20, 40)?).await?;
    let link = link_header(&state.settings().public_url, &uri, cursors_of(&pairs, |(c, _)| *c));
    Ok(Paged(pairs.iter().map(|(_, v)| Status::from_view(v, state.settings(), Some(me.id))).collect(), link))
}
