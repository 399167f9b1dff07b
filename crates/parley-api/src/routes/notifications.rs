//! `/api/v1/notifications` — https://docs.joinmastodon.org/methods/notifications/

use axum::Json;
use axum::extract::{OriginalUri, State};
use parley_app::notification_groups::NotificationFilter;
use parley_core::model::NotificationKind;
use serde::Deserialize;
use serde_json::{Value, json};

use super::path_id;
use crate::auth::Auth;
use crate::entities::Notification;
use crate::pagination::{PageParams, Paged, cursors_of, link_header};
use crate::params::{PathParam, Query};
use crate::{ApiResult, AppState};

/// `types[]`, `exclude_types[]` and `account_id`, as both API versions read them.
#[derive(Deserialize)]
pub struct FilterQuery {
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    exclude_types: Vec<String>,
    /// Only notifications from this account.
    account_id: Option<String>,
}

impl FilterQuery {
    /// `types[]` keeps, `exclude_types[]` drops; unknown types are ignored.
    /// `None` when no kind is left, so nothing can match.
    pub fn filter(&self) -> ApiResult<Option<NotificationFilter>> {
        let mut kinds: Vec<NotificationKind> = if self.types.is_empty() {
            NotificationKind::ALL.to_vec()
        } else {
            self.types.iter().filter_map(|t| NotificationKind::parse(t)).collect()
        };
        kinds.retain(|k| !self.exclude_types.iter().any(|x| x == k.as_str()));
        if kinds.is_empty() {
            return Ok(None);
        }
        let from = match self.account_id.as_deref() {
            Some(raw) => Some(path_id(raw)?),
            None => None,
        };
        Ok(Some(NotificationFilter { kinds, from }))
    }
}

/// `GET /api/v1/notifications`
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
    Query(q): Query<FilterQuery>,
) -> ApiResult<Paged<Notification>> {
    let me = auth.user("read:notifications")?;
    let Some(filter) = q.filter()? else {
        return Ok(Paged(Vec::new(), None));
    };
    let views = state.services.notifications.list(me.id, &filter.kinds, filter.from, page.request(40, 80)?).await?;
    let link = link_header(&state.settings().public_url, &uri, cursors_of(&views, |v| v.notification.id.get()));
    Ok(Paged(views.iter().map(|v| Notification::from_view(v, state.settings())).collect(), link))
}

/// `GET /api/v1/notifications/unread_count` — notifications after the
/// notifications marker (https://docs.joinmastodon.org/methods/notifications/#unread-count).
pub async fn unread_count(
    State(state): State<AppState>,
    auth: Auth,
    Query(page): Query<PageParams>,
    Query(q): Query<FilterQuery>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("read:notifications")?;
    let limit = page.request(UNREAD_LIMIT, MAX_UNREAD_LIMIT)?.limit;
    let count = match q.filter()? {
        Some(filter) => state.services.notifications.unread_count(me.id, &filter, limit).await?,
        None => 0,
    };
    Ok(Json(json!({ "count": count })))
}

/// Mastodon's default and largest `limit` of the unread counts.
pub(crate) const UNREAD_LIMIT: usize = 100;
pub(crate) const MAX_UNREAD_LIMIT: usize = 1000;

/// `GET /api/v1/notifications/:id`
pub async fn get(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Notification>> {
    let me = auth.user("read:notifications")?;
    let view = state.services.notifications.get(me.id, path_id(&id)?).await?;
    Ok(Json(Notification::from_view(&view, state.settings())))
}

/// `POST /api/v1/notifications/:id/dismiss`
pub async fn dismiss(State(state): State<AppState>, auth: Auth, PathParam(id): PathParam) -> ApiResult<Json<Value>> {
    let me = auth.user("write:notifications")?;
    state.services.notifications.dismiss(me.id, path_id(&id)?).await?;
    Ok(Json(json!({})))
}

/// `POST /api/v1/notifications/clear`
pub async fn clear(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<Value>> {
    let me = auth.user("write:notifications")?;
    state.services.notifications.clear(me.id).await?;
    Ok(Json(json!({})))
}
