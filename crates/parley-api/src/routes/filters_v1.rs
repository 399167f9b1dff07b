//! Filters, v1 — https://docs.joinmastodon.org/methods/filters/#v1, as
//! Mastodon maps them onto v2 filters: each v1 filter is a keyword.

use axum::Json;
use axum::extract::State;
use parley_app::filters::V1FilterInput;
use serde::Deserialize;
use serde_json::{Value, json};

use super::path_id;
use crate::auth::Auth;
use crate::entities::V1Filter;
use crate::params::{Params, PathParam};
use crate::{ApiResult, AppState};

#[derive(Deserialize, Default)]
pub struct V1FilterForm {
    phrase: Option<String>,
    context: Option<Vec<String>>,
    irreversible: Option<bool>,
    whole_word: Option<bool>,
    expires_in: Option<i64>,
}

impl From<V1FilterForm> for V1FilterInput {
    fn from(f: V1FilterForm) -> Self {
        V1FilterInput {
            phrase: f.phrase,
            contexts: f.context,
            irreversible: f.irreversible,
            whole_word: f.whole_word,
            expires_in: f.expires_in,
        }
    }
}

/// `GET /api/v1/filters`: every keyword of the caller's filters.
pub async fn all(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<V1Filter>>> {
    let me = auth.user("read:filters")?;
    let pairs = state.services.filters.v1_all(me.id).await?;
    Ok(Json(pairs.iter().map(|(f, k)| V1Filter::from_domain(f, k)).collect()))
}

/// `GET /api/v1/filters/:id`
pub async fn get(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<V1Filter>> {
    let me = auth.user("read:filters")?;
    let (filter, keyword) = state.services.filters.keyword(me.id, path_id(&id)?).await?;
    Ok(Json(V1Filter::from_domain(&filter, &keyword)))
}

/// `POST /api/v1/filters` with `phrase`, `context[]`, `irreversible`, `whole_word`, `expires_in`.
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Params(form): Params<V1FilterForm>,
) -> ApiResult<Json<V1Filter>> {
    let me = auth.user("write:filters")?;
    let (filter, keyword) = state.services.filters.v1_create(me.id, form.into()).await?;
    Ok(Json(V1Filter::from_domain(&filter, &keyword)))
}

/// `PUT /api/v1/filters/:id`
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<V1FilterForm>,
) -> ApiResult<Json<V1Filter>> {
    let me = auth.user("write:filters")?;
    let (filter, keyword) = state.services.filters.v1_update(me.id, path_id(&id)?, form.into()).await?;
    Ok(Json(V1Filter::from_domain(&filter, &keyword)))
}

/// `DELETE /api/v1/filters/:id`: the keyword goes (its filter stays, as Mastodon); `{}`.
pub async fn delete(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Value>> {
    let me = auth.user("write:filters")?;
    state.services.filters.delete_keyword(me.id, path_id(&id)?).await?;
    Ok(Json(json!({})))
}
