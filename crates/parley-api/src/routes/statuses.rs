//! `/api/v1/statuses` — https://docs.joinmastodon.org/methods/statuses/

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Uri};
use parley_app::scheduled::{Posted, parse_scheduled_at};
use parley_app::statuses::{CreateStatus, MediaEdit, PollRequest, UpdateStatus, requested_visibility};
use parley_app::views::StatusView;
use parley_core::{AccountId, MediaId, StatusId};
use serde::Deserialize;

use super::accounts::account_page;
use super::path_id;
use crate::auth::{Auth, MaybeAuth};
use crate::entities::{Account, ScheduledStatus, Status, StatusEdit, StatusSource};
use crate::error::ApiError;
use crate::pagination::{PageParams, Paged, cursors_of, link_header};
use crate::params::{Params, PathParam, Query};
use crate::{ApiResult, AppState};

/// Statuses as a paged list, with `Link` cursors from their IDs.
pub(crate) fn status_list(
    state: &AppState,
    uri: &Uri,
    viewer: Option<AccountId>,
    views: &[StatusView],
) -> Paged<Status> {
    let link = link_header(&state.settings().public_url, uri, cursors_of(views, |v| v.status.id.get()));
    Paged(views.iter().map(|v| Status::from_view(v, state.settings(), viewer)).collect(), link)
}

#[derive(Deserialize)]
pub struct PollForm {
    #[serde(default)]
    options: Vec<String>,
    expires_in: Option<i64>,
    #[serde(default)]
    multiple: bool,
    #[serde(default)]
    hide_totals: bool,
    /// Parley's own: who may vote (`poll[parley_eligibility][min_account_age_days]`,
    /// `poll[parley_eligibility][local_only]`).
    parley_eligibility: Option<EligibilityForm>,
}

#[derive(Deserialize, Default)]
pub struct EligibilityForm {
    min_account_age_days: Option<i64>,
    #[serde(default)]
    local_only: bool,
}

impl PollForm {
    /// A `poll` hash with none of the poll's fields is no poll (Rails' `present?`).
    fn given(self) -> Option<PollRequest> {
        (!self.options.is_empty() || self.expires_in.is_some()).then(|| self.into())
    }
}

impl From<PollForm> for PollRequest {
    fn from(p: PollForm) -> Self {
        let eligibility = p.parley_eligibility.unwrap_or_default();
        PollRequest {
            options: p.options,
            expires_in: p.expires_in,
            multiple: p.multiple,
            hide_totals: p.hide_totals,
            min_account_age_days: eligibility.min_account_age_days,
            local_only: eligibility.local_only,
        }
    }
}

#[derive(Deserialize)]
pub struct CreateStatusForm {
    poll: Option<PollForm>,
    status: Option<String>,
    in_reply_to_id: Option<String>,
    sensitive: Option<bool>,
    spoiler_text: Option<String>,
    visibility: Option<String>,
    language: Option<String>,
    #[serde(default)]
    media_ids: Vec<String>,
    /// ISO 8601: publish then instead (at least the minimum lead ahead).
    scheduled_at: Option<String>,
}

/// What `POST /api/v1/statuses` answers: the status, or with `scheduled_at`
/// the ScheduledStatus.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum Created {
    Status(Box<Status>),
    Scheduled(Box<ScheduledStatus>),
}

/// `POST /api/v1/statuses`
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Params(form): Params<CreateStatusForm>,
) -> ApiResult<Json<Created>> {
    let me = auth.user("write:statuses")?;
    let media_ids = media_ids(&form.media_ids)?;
    let in_reply_to_id = match form.in_reply_to_id.as_deref() {
        Some(raw) => Some(path_id::<StatusId>(raw)?),
        None => None,
    };
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(|k| k.chars().take(128).collect::<String>())
        .filter(|k| !k.is_empty());
    let scheduled_at = match form.scheduled_at.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => Some(parse_scheduled_at(raw)?),
        None => None,
    };
    let posted = state
        .services
        .scheduled
        .post(
            me,
            CreateStatus {
                text: form.status.unwrap_or_default(),
                in_reply_to_id,
                visibility: requested_visibility(form.visibility.as_deref())?,
                spoiler_text: form.spoiler_text.unwrap_or_default(),
                sensitive: form.sensitive,
                language: form.language,
                idempotency_key,
                app: Some(auth.0.app.id),
                created_at: None,
                poll: form.poll.and_then(PollForm::given),
                media_ids,
            },
            scheduled_at,
        )
        .await?;
    Ok(Json(match posted {
        Posted::Now(view) => Created::Status(Box::new(Status::from_view(&view, state.settings(), Some(me.id)))),
        Posted::Scheduled(row) => Created::Scheduled(Box::new(ScheduledStatus::from_domain(&row))),
    }))
}

/// `GET /api/v1/statuses/:id`
pub async fn get(State(state): State<AppState>, auth: MaybeAuth, PathParam(id): PathParam) -> ApiResult<Json<Status>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let view = state.services.statuses.get(viewer, path_id(&id)?).await?;
    Ok(Json(Status::from_view(&view, state.settings(), viewer)))
}

#[derive(Deserialize)]
pub struct IdsQuery {
    #[serde(default)]
    id: Vec<String>,
}

/// `GET /api/v1/statuses?id[]=`
pub async fn get_many(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Query(q): Query<IdsQuery>,
) -> ApiResult<Json<Vec<Status>>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let ids: Vec<StatusId> = q.id.iter().filter_map(|i| i.parse().ok()).take(20).collect();
    let views = state.services.statuses.get_many(viewer, &ids).await?;
    Ok(Json(views.iter().map(|v| Status::from_view(v, state.settings(), viewer)).collect()))
}

/// `DELETE /api/v1/statuses/:id`: the deleted status, with `text` for redrafting.
pub async fn delete(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Status>> {
    let me = auth.user("write:statuses")?;
    let view = state.services.statuses.delete(me, path_id(&id)?).await?;
    let mut status = Status::from_view(&view, state.settings(), Some(me.id));
    status.text = Some(view.status.text.clone());
    Ok(Json(status))
}

#[derive(Deserialize)]
pub struct EditStatusForm {
    poll: Option<PollForm>,
    status: Option<String>,
    #[serde(default)]
    sensitive: bool,
    spoiler_text: Option<String>,
    language: Option<String>,
    /// Absent keeps the attachments; `[]` removes them all.
    media_ids: Option<Vec<String>>,
    media_attributes: Option<Vec<MediaAttributesForm>>,
}

/// One of `media_attributes[]`: an attachment's new description or focus.
#[derive(Deserialize)]
pub struct MediaAttributesForm {
    id: String,
    description: Option<String>,
    focus: Option<String>,
}

/// A media ID; one that is not an ID names no upload (Mastodon's wording).
fn media_id(raw: &str) -> ApiResult<MediaId> {
    raw.parse::<MediaId>().map_err(|_| {
        ApiError::App(parley_app::AppError::Validation(format!(
            "Media {raw} not found or already attached to another post"
        )))
    })
}

fn media_ids(raw: &[String]) -> ApiResult<Vec<MediaId>> {
    raw.iter().map(|r| media_id(r)).collect()
}

/// `PUT /api/v1/statuses/:id`
pub async fn edit(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<EditStatusForm>,
) -> ApiResult<Json<Status>> {
    let me = auth.user("write:statuses")?;
    let media_ids = form.media_ids.as_deref().map(media_ids).transpose()?;
    let media_attributes = form
        .media_attributes
        .unwrap_or_default()
        .into_iter()
        .map(|a| Ok(MediaEdit { id: media_id(&a.id)?, description: a.description, focus: a.focus }))
        .collect::<ApiResult<Vec<_>>>()?;
    let view = state
        .services
        .statuses
        .edit(
            me,
            path_id(&id)?,
            UpdateStatus {
                text: form.status.unwrap_or_default(),
                spoiler_text: form.spoiler_text.unwrap_or_default(),
                sensitive: form.sensitive,
                language: form.language,
                poll: form.poll.and_then(PollForm::given),
                media_ids,
                media_attributes,
            },
        )
        .await?;
    Ok(Json(Status::from_view(&view, state.settings(), Some(me.id))))
}

/// `GET /api/v1/statuses/:id/history`
pub async fn history(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Vec<StatusEdit>>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let (view, edits) = state.services.statuses.history(viewer, path_id(&id)?).await?;
    let account = Account::from_domain(&view.account, state.settings());
    Ok(Json(edits.iter().map(|e| StatusEdit::from_domain(e, &account, state.settings())).collect()))
}

/// `GET /api/v1/statuses/:id/source`: only for the author.
pub async fn source(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<StatusSource>> {
    let me = auth.user("read:statuses")?;
    let view = state.services.statuses.get(Some(me.id), path_id(&id)?).await?;
    if view.status.account_id != me.id {
        return Err(parley_app::AppError::NotFound.into());
    }
    Ok(Json(StatusSource {
        id: view.status.id.to_string(),
        text: view.status.text.clone(),
        spoiler_text: view.status.spoiler_text.clone(),
    }))
}

#[derive(serde::Serialize)]
pub struct Context {
    ancestors: Vec<Status>,
    descendants: Vec<Status>,
}

/// `GET /api/v1/statuses/:id/context`
pub async fn context(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Context>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let (ancestors, descendants) = state.services.statuses.context(viewer, path_id(&id)?).await?;
    let s = state.settings();
    Ok(Json(Context {
        ancestors: ancestors.iter().map(|v| Status::from_view(v, s, viewer)).collect(),
        descendants: descendants.iter().map(|v| Status::from_view(v, s, viewer)).collect(),
    }))
}

/// `GET /api/v1/statuses/:id/favourited_by`
pub async fn favourited_by(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Account>> {
    let viewer = auth.viewer("read:accounts")?.map(|a| a.id);
    let pairs = state.services.statuses.favourited_by(viewer, path_id(&id)?, q.request(40, 80)?).await?;
    Ok(account_page(&state, &uri, pairs))
}

/// `GET /api/v1/statuses/:id/reblogged_by`
pub async fn reblogged_by(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Account>> {
    let viewer = auth.viewer("read:accounts")?.map(|a| a.id);
    let pairs = state.services.statuses.reblogged_by(viewer, path_id(&id)?, q.request(40, 80)?).await?;
    Ok(account_page(&state, &uri, pairs))
}

/// `POST /api/v1/statuses/:id/favourite`
pub async fn favourite(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Status>> {
    let me = auth.user("write:favourites")?;
    let view = state.services.statuses.favourite(me, path_id(&id)?).await?;
    Ok(Json(Status::from_view(&view, state.settings(), Some(me.id))))
}

/// `POST /api/v1/statuses/:id/unfavourite`
pub async fn unfavourite(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Status>> {
    let me = auth.user("write:favourites")?;
    let view = state.services.statuses.unfavourite(me, path_id(&id)?).await?;
    Ok(Json(Status::from_view(&view, state.settings(), Some(me.id))))
}

#[derive(Deserialize)]
pub struct ReblogForm {
    visibility: Option<String>,
}

/// `POST /api/v1/statuses/:id/reblog`
pub async fn reblog(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<ReblogForm>,
) -> ApiResult<Json<Status>> {
    let me = auth.user("write:statuses")?;
    let view = state
        .services
        .statuses
        .reblog(me, path_id(&id)?, requested_visibility(form.visibility.as_deref())?, Some(auth.0.app.id))
        .await?;
    Ok(Json(Status::from_view(&view, state.settings(), Some(me.id))))
}

/// `POST /api/v1/statuses/:id/unreblog`
pub async fn unreblog(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Status>> {
    let me = auth.user("write:statuses")?;
    let view = state.services.statuses.unreblog(me, path_id(&id)?).await?;
    Ok(Json(Status::from_view(&view, state.settings(), Some(me.id))))
}

/// `POST /api/v1/statuses/:id/pin`
pub async fn pin(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Status>> {
    let me = auth.user("write:accounts")?;
    let view = state.services.statuses.pin(me, path_id(&id)?, true).await?;
    Ok(Json(Status::from_view(&view, state.settings(), Some(me.id))))
}

/// `POST /api/v1/statuses/:id/unpin`
pub async fn unpin(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Status>> {
    let me = auth.user("write:accounts")?;
    let view = state.services.statuses.pin(me, path_id(&id)?, false).await?;
    Ok(Json(Status::from_view(&view, state.settings(), Some(me.id))))
}

/// `GET /api/v1/favourites`: paged by favourite, newest first.
pub async fn favourites(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Status>> {
    let me = auth.user("read:favourites")?;
    let pairs = state.services.statuses.favourites(me.id, q.request(20, 40)?).await?;
    let link = link_header(&state.settings().public_url, &uri, cursors_of(&pairs, |(c, _)| *c));
    Ok(Paged(pairs.iter().map(|(_, v)| Status::from_view(v, state.settings(), Some(me.id))).collect(), link))
}
