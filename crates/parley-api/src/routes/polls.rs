//! `/api/v1/polls` — https://docs.joinmastodon.org/methods/polls/

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use super::path_id;
use crate::auth::{Auth, MaybeAuth};
use crate::entities::Poll;
use crate::params::{Params, PathParam};
use crate::{ApiResult, AppState};

/// `GET /api/v1/polls/:id`: anyone who may see the status may read its poll.
pub async fn get(State(state): State<AppState>, auth: MaybeAuth, PathParam(id): PathParam) -> ApiResult<Json<Poll>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let view = state.services.polls.get(viewer, path_id(&id)?).await?;
    Ok(Json(Poll::from_view(&view)))
}

#[derive(Deserialize)]
pub struct VoteForm {
    /// 0-based option indices; integers or numeric strings, as clients send them.
    #[serde(default)]
    choices: Vec<i64>,
}

/// `POST /api/v1/polls/:id/votes`
pub async fn vote(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<VoteForm>,
) -> ApiResult<Json<Poll>> {
    let me = auth.user("write:statuses")?;
    let (view, receipt) = state.services.polls.vote(me.id, path_id(&id)?, &form.choices).await?;
    let mut poll = Poll::from_view(&view);
    poll.parley_receipt = Some(receipt);
    Ok(Json(poll))
}
