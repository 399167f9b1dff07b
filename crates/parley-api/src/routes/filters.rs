//! Filters, v2 — https://docs.joinmastodon.org/methods/filters/: the
//! filters, their keywords and their statuses.

use axum::Json;
use axum::extract::State;
use parley_app::filters::{FilterInput, KeywordInput};
use parley_core::StatusId;
use serde::Deserialize;
use serde_json::{Value, json};

use super::path_id;
use crate::auth::Auth;
use crate::entities::{Filter, FilterKeyword, FilterStatus};
use crate::error::ApiError;
use crate::params::{Params, PathParam};
use crate::{ApiResult, AppState};

#[derive(Deserialize, Default)]
pub struct KeywordForm {
    id: Option<String>,
    keyword: Option<String>,
    whole_word: Option<bool>,
    #[serde(rename = "_destroy", default)]
    destroy: bool,
}

impl KeywordForm {
    fn input(self) -> ApiResult<KeywordInput> {
        let id = self.id.as_deref().map(path_id::<i64>).transpose()?;
        Ok(KeywordInput { id, keyword: self.keyword, whole_word: self.whole_word, destroy: self.destroy })
    }
}

#[derive(Deserialize, Default)]
pub struct FilterForm {
    title: Option<String>,
    context: Option<Vec<String>>,
    filter_action: Option<String>,
    expires_in: Option<i64>,
    #[serde(default)]
    keywords_attributes: Vec<KeywordForm>,
}

impl FilterForm {
    fn input(self) -> ApiResult<FilterInput> {
        Ok(FilterInput {
            title: self.title,
            contexts: self.context,
            action: self.filter_action,
            expires_in: self.expires_in.map(Some),
            keywords: self.keywords_attributes.into_iter().map(KeywordForm::input).collect::<ApiResult<_>>()?,
        })
    }
}

#[derive(Deserialize, Default)]
pub struct StatusForm {
    status_id: Option<String>,
}

/// `GET /api/v2/filters`
pub async fn all(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<Filter>>> {
    let me = auth.user("read:filters")?;
    Ok(Json(state.services.filters.all(me.id).await?.iter().map(Filter::from_domain).collect()))
}

/// `GET /api/v2/filters/:id`
pub async fn get(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Filter>> {
    let me = auth.user("read:filters")?;
    Ok(Json(Filter::from_domain(&state.services.filters.get(me.id, path_id(&id)?).await?)))
}

/// `POST /api/v2/filters` with `title`, `context[]`, `filter_action`,
/// `expires_in`, `keywords_attributes[][keyword]`, `[whole_word]`.
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Params(form): Params<FilterForm>,
) -> ApiResult<Json<Filter>> {
    let me = auth.user("write:filters")?;
    Ok(Json(Filter::from_domain(&state.services.filters.create(me.id, form.input()?).await?)))
}

/// `PUT /api/v2/filters/:id`: what is given changes; `keywords_attributes[]`
/// with an `id` changes that keyword, with `_destroy` removes it.
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<FilterForm>,
) -> ApiResult<Json<Filter>> {
    let me = auth.user("write:filters")?;
    Ok(Json(Filter::from_domain(&state.services.filters.update(me.id, path_id(&id)?, form.input()?).await?)))
}

/// `DELETE /api/v2/filters/:id`: `{}`.
pub async fn delete(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Value>> {
    let me = auth.user("write:filters")?;
    state.services.filters.delete(me.id, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v2/filters/:id/keywords`
pub async fn keywords(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Vec<FilterKeyword>>> {
    let me = auth.user("read:filters")?;
    let filter = state.services.filters.get(me.id, path_id(&id)?).await?;
    Ok(Json(filter.keywords.iter().map(FilterKeyword::from_domain).collect()))
}

/// `POST /api/v2/filters/:id/keywords` with `keyword`, `whole_word`.
pub async fn add_keyword(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<KeywordForm>,
) -> ApiResult<Json<FilterKeyword>> {
    let me = auth.user("write:filters")?;
    let keyword = state.services.filters.add_keyword(me.id, path_id(&id)?, form.input()?).await?;
    Ok(Json(FilterKeyword::from_domain(&keyword)))
}

/// `GET /api/v2/filters/keywords/:id`
pub async fn get_keyword(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<FilterKeyword>> {
    let me = auth.user("read:filters")?;
    let (_, keyword) = state.services.filters.keyword(me.id, path_id(&id)?).await?;
    Ok(Json(FilterKeyword::from_domain(&keyword)))
}

/// `PUT /api/v2/filters/keywords/:id` with `keyword`, `whole_word`.
pub async fn update_keyword(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<KeywordForm>,
) -> ApiResult<Json<FilterKeyword>> {
    let me = auth.user("write:filters")?;
    let keyword = state.services.filters.update_keyword(me.id, path_id(&id)?, form.input()?).await?;
    Ok(Json(FilterKeyword::from_domain(&keyword)))
}

/// `DELETE /api/v2/filters/keywords/:id`: `{}`.
pub async fn delete_keyword(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let me = auth.user("write:filters")?;
    state.services.filters.delete_keyword(me.id, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v2/filters/:id/statuses`
pub async fn statuses(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Vec<FilterStatus>>> {
    let me = auth.user("read:filters")?;
    let filter = state.services.filters.get(me.id, path_id(&id)?).await?;
    Ok(Json(filter.statuses.iter().map(FilterStatus::from_domain).collect()))
}

/// `POST /api/v2/filters/:id/statuses` with `status_id`.
pub async fn add_status(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<StatusForm>,
) -> ApiResult<Json<FilterStatus>> {
    let me = auth.user("write:filters")?;
    let filter = path_id(&id)?;
    let status: StatusId = match form.status_id.as_deref().map(str::trim) {
        None | Some("") => return Err(ApiError::InvalidParam("Validation failed: Status can't be blank".into())),
        Some(raw) => path_id(raw)?,
    };
    let entry = state.services.filters.add_status(me.id, filter, status).await?;
    Ok(Json(FilterStatus::from_domain(&entry)))
}

/// `GET /api/v2/filters/statuses/:id`
pub async fn get_status(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<FilterStatus>> {
    let me = auth.user("read:filters")?;
    let (_, entry) = state.services.filters.status_entry(me.id, path_id(&id)?).await?;
    Ok(Json(FilterStatus::from_domain(&entry)))
}

/// `DELETE /api/v2/filters/statuses/:id`: `{}`.
pub async fn delete_status(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Value>> {
    let me = auth.user("write:filters")?;
    state.services.filters.delete_status(me.id, path_id(&id)?).await?;
    Ok(Json(json!({})))
}
