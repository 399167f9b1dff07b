//! `/api/v1/scheduled_statuses` — https://docs.joinmastodon.org/methods/scheduled_statuses/
//! (scheduling itself is `scheduled_at` on `POST /api/v1/statuses`).

use axum::Json;
use axum::extract::{OriginalUri, State};
use parley_app::scheduled::parse_scheduled_at;
use serde::Deserialize;
use serde_json::json;

use super::path_id;
use crate::auth::Auth;
use crate::entities::ScheduledStatus;
use crate::error::ApiError;
use crate::pagination::{PageParams, Paged, cursors_of, link_header};
use crate::params::{Params, PathParam, Query};
use crate::{ApiResult, AppState};

/// `GET /api/v1/scheduled_statuses`
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<ScheduledStatus>> {
    let me = auth.user("read:statuses")?;
    let rows = state.services.scheduled.list(me, q.request(20, 40)?).await?;
    let link = link_header(&state.settings().public_url, &uri, cursors_of(&rows, |r| r.id.get()));
    Ok(Paged(rows.iter().map(ScheduledStatus::from_domain).collect(), link))
}

/// `GET /api/v1/scheduled_statuses/:id`
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<ScheduledStatus>> {
    let me = auth.user("read:statuses")?;
    let row = state.services.scheduled.get(me, path_id(&id)?).await?;
    Ok(Json(ScheduledStatus::from_domain(&row)))
}

#[derive(Deserialize)]
pub struct RescheduleForm {
    scheduled_at: Option<String>,
}

/// `PUT /api/v1/scheduled_statuses/:id`: a new `scheduled_at`.
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<RescheduleForm>,
) -> ApiResult<Json<ScheduledStatus>> {
    let me = auth.user("write:statuses")?;
    let id = path_id(&id)?;
    let raw = form
        .scheduled_at
        .ok_or_else(|| ApiError::InvalidParam("Validation failed: Scheduled at can't be blank".into()))?;
    let row = state.services.scheduled.reschedule(me, id, parse_scheduled_at(&raw)?).await?;
    Ok(Json(ScheduledStatus::from_domain(&row)))
}

/// `DELETE /api/v1/scheduled_statuses/:id`
pub async fn cancel(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<serde_json::Value>> {
    let me = auth.user("write:statuses")?;
    state.services.scheduled.cancel(me, path_id(&id)?).await?;
    Ok(Json(json!({})))
}
