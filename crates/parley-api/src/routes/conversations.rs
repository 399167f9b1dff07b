//! `/api/v1/conversations` — https://docs.joinmastodon.org/methods/conversations/

use axum::Json;
use axum::extract::{OriginalUri, State};
use serde_json::json;

use super::path_id;
use crate::auth::Auth;
use crate::entities::Conversation;
use crate::pagination::{PageParams, Paged, cursors_of, link_header};
use crate::params::{PathParam, Query};
use crate::{ApiResult, AppState};

/// `GET /api/v1/conversations`: newest last status first, paged by it.
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Conversation>> {
    let me = auth.user("read:statuses")?;
    let views = state.services.conversations.list(me.id, q.request(20, 40)?).await?;
    let link = link_header(&state.settings().public_url, &uri, cursors_of(&views, |v| v.cursor));
    Ok(Paged(views.iter().map(|v| Conversation::from_view(v, state.settings(), me.id)).collect(), link))
}

/// `POST /api/v1/conversations/:id/read`
pub async fn read(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Conversation>> {
    let me = auth.user("write:conversations")?;
    let view = state.services.conversations.read(me.id, path_id(&id)?).await?;
    Ok(Json(Conversation::from_view(&view, state.settings(), me.id)))
}

/// `DELETE /api/v1/conversations/:id`: removed for the caller only.
pub async fn remove(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<serde_json::Value>> {
    let me = auth.user("write:conversations")?;
    state.services.conversations.remove(me.id, path_id(&id)?).await?;
    Ok(Json(json!({})))
}
