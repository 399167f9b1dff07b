//! Lists — https://docs.joinmastodon.org/methods/lists/, with
//! `GET /api/v1/accounts/:id/lists` and `GET /api/v1/timelines/list/:list_id`
//! (https://docs.joinmastodon.org/methods/timelines/#list).

use axum::Json;
use axum::extract::{OriginalUri, State};
use parley_app::lists::ListChanges;
use parley_core::page::PageRequest;
use parley_core::{AccountId, ListId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::accounts::account_page;
use super::path_id;
use super::statuses::status_list;
use crate::auth::Auth;
use crate::entities::{Account, List, Status};
use crate::pagination::{PageParams, Paged};
use crate::params::{Params, PathParam, Query};
use crate::{ApiResult, AppState};

/// Members listed when `limit=0` asks for all of them at once (Mastodon's
/// "unlimited"): more than anyone follows in practice, still a bound.
const ALL_MEMBERS: usize = 10_000;

#[derive(Deserialize, Default)]
pub struct ListForm {
    title: Option<String>,
    replies_policy: Option<String>,
    exclusive: Option<bool>,
}

impl From<ListForm> for ListChanges {
    fn from(f: ListForm) -> Self {
        ListChanges { title: f.title, replies_policy: f.replies_policy, exclusive: f.exclusive }
    }
}

#[derive(Deserialize, Default)]
pub struct MembersForm {
    #[serde(default)]
    account_ids: Vec<String>,
}

impl MembersForm {
    /// The accounts named; an ID that is not one names no account (404, as Mastodon's `Account.find`).
    fn ids(&self) -> ApiResult<Vec<AccountId>> {
        self.account_ids.iter().map(|raw| path_id::<AccountId>(raw.trim())).collect()
    }
}

/// `GET /api/v1/lists`
pub async fn all(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Vec<List>>> {
    let me = auth.user("read:lists")?;
    Ok(Json(state.services.lists.all(me.id).await?.iter().map(List::from_domain).collect()))
}

/// `GET /api/v1/lists/:id`
pub async fn get(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<List>> {
    let me = auth.user("read:lists")?;
    Ok(Json(List::from_domain(&state.services.lists.get(me.id, path_id::<ListId>(&id)?).await?)))
}

/// `POST /api/v1/lists` with `title`, `replies_policy`, `exclusive`.
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    Params(form): Params<ListForm>,
) -> ApiResult<Json<List>> {
    let me = auth.user("write:lists")?;
    Ok(Json(List::from_domain(&state.services.lists.create(me.id, form.into()).await?)))
}

/// `PUT /api/v1/lists/:id`: what is given changes.
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<ListForm>,
) -> ApiResult<Json<List>> {
    let me = auth.user("write:lists")?;
    Ok(Json(List::from_domain(&state.services.lists.update(me.id, path_id(&id)?, form.into()).await?)))
}

/// `DELETE /api/v1/lists/:id`: `{}`.
pub async fn delete(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Value>> {
    let me = auth.user("write:lists")?;
    state.services.lists.delete(me.id, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/lists/:id/accounts`: paged by when each was added (40, at
/// most 80); `limit=0` lists them all, without `Link`.
pub async fn members(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Account>> {
    let me = auth.user("read:lists")?;
    let id = path_id(&id)?;
    if q.limit == Some(0) {
        let everyone = PageRequest { max_id: None, since_id: None, min_id: None, limit: ALL_MEMBERS };
        let pairs = state.services.lists.members(me.id, id, everyone).await?;
        return Ok(Paged(pairs.iter().map(|(_, a)| Account::from_domain(a, state.settings())).collect(), None));
    }
    let pairs = state.services.lists.members(me.id, id, q.request(40, 80)?).await?;
    Ok(account_page(&state, &uri, pairs))
}

/// `POST /api/v1/lists/:id/accounts` with `account_ids[]`: `{}`.
pub async fn add_members(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<MembersForm>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("write:lists")?;
    state.services.lists.add_members(me.id, path_id(&id)?, form.ids()?).await?;
    Ok(Json(json!({})))
}

/// `DELETE /api/v1/lists/:id/accounts` with `account_ids[]`: `{}`.
pub async fn remove_members(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<MembersForm>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("write:lists")?;
    state.services.lists.remove_members(me.id, path_id(&id)?, form.ids()?).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v1/accounts/:id/lists`: the caller's lists that have the account.
pub async fn of_account(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Vec<List>>> {
    let me = auth.user("read:lists")?;
    let lists = state.services.lists.with_member(me.id, path_id(&id)?).await?;
    Ok(Json(lists.iter().map(List::from_domain).collect()))
}

/// `GET /api/v1/timelines/list/:list_id`
pub async fn timeline(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Status>> {
    let me = auth.user("read:lists")?;
    let views = state.services.lists.timeline(me.id, path_id(&id)?, q.request(20, 40)?).await?;
    Ok(status_list(&state, &uri, Some(me.id), &views))
}
