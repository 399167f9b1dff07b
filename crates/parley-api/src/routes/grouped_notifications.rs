//! `/api/v2/notifications` — grouped notifications,
//! https://docs.joinmastodon.org/methods/grouped_notifications/

use axum::Json;
use axum::extract::{OriginalUri, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use parley_core::grouping::GROUPABLE;
use parley_core::model::NotificationKind;
use serde::Deserialize;
use serde_json::{Value, json};

use super::notifications::{FilterQuery, MAX_UNREAD_LIMIT, UNREAD_LIMIT};
use crate::auth::Auth;
use crate::entities::{Account, GroupedNotificationsResults};
use crate::error::ApiError;
use crate::pagination::{PageParams, Paged, cursors_of, link_header};
use crate::params::{PathParam, Query};
use crate::{ApiResult, AppState};

#[derive(Deserialize)]
pub struct GroupQuery {
    /// The kinds grouped (of those Mastodon groups); all of them when absent.
    grouped_types: Option<Vec<String>>,
    /// `full` (the default) or `partial_avatars`.
    expand_accounts: Option<String>,
    /// Parley filters no notifications, so there are none to include.
    #[serde(default)]
    #[allow(dead_code)] // read so it is accepted; nothing to do with it
    include_filtered: bool,
}

impl GroupQuery {
    fn grouped(&self) -> Vec<NotificationKind> {
        match &self.grouped_types {
            None => GROUPABLE.to_vec(),
            Some(names) => GROUPABLE.into_iter().filter(|k| names.iter().any(|n| n == k.as_str())).collect(),
        }
    }

    /// Whether only the most recent sender of each group is expanded.
    fn partial_avatars(&self) -> ApiResult<bool> {
        match self.expand_accounts.as_deref() {
            None | Some("full") => Ok(false),
            Some("partial_avatars") => Ok(true),
            Some(other) => Err(ApiError::Malformed(format!(
                "Invalid value for 'expand_accounts': '{other}', allowed values are 'full' and 'partial_avatars'"
            ))),
        }
    }
}

/// `GET /api/v2/notifications`
pub async fn list(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
    Query(filter): Query<FilterQuery>,
    Query(q): Query<GroupQuery>,
) -> ApiResult<Response> {
    let me = auth.user("read:notifications")?;
    let partial = q.partial_avatars()?;
    let page = page.request(40, 80)?;
    let found = match filter.filter()? {
        Some(filter) => state.services.notifications.grouped(me.id, &filter, &q.grouped(), page).await?,
        None => Default::default(),
    };
    let body = GroupedNotificationsResults::from_views(&found.groups, state.settings(), me.id, partial);
    let mut response = Json(body).into_response();
    if let Some(link) = link_header(&state.settings().public_url, &uri, found.cursors) {
        response.headers_mut().insert(header::LINK, link);
    }
    Ok(response)
}

/// `GET /api/v2/notifications/:group_key`
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(key): PathParam,
) -> ApiResult<Json<GroupedNotificationsResults>> {
    let me = auth.user("read:notifications")?;
    let group = state.services.notifications.group(me.id, &key).await?;
    Ok(Json(GroupedNotificationsResults::from_views(&[group], state.settings(), me.id, false)))
}

/// `POST /api/v2/notifications/:group_key/dismiss`
pub async fn dismiss(State(state): State<AppState>, auth: Auth, PathParam(key): PathParam) -> ApiResult<Json<Value>> {
    let me = auth.user("write:notifications")?;
    state.services.notifications.dismiss_group(me.id, &key).await?;
    Ok(Json(json!({})))
}

/// `GET /api/v2/notifications/:group_key/accounts`
pub async fn accounts(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(key): PathParam,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
) -> ApiResult<Paged<Account>> {
    let me = auth.user("read:notifications")?;
    let pairs = state.services.notifications.group_accounts(me.id, &key, page.request(40, 80)?).await?;
    let link = link_header(&state.settings().public_url, &uri, cursors_of(&pairs, |(c, _)| *c));
    Ok(Paged(pairs.iter().map(|(_, a)| Account::from_domain(a, state.settings())).collect(), link))
}

/// `GET /api/v2/notifications/unread_count`: groups after the notifications marker.
pub async fn unread_count(
    State(state): State<AppState>,
    auth: Auth,
    Query(page): Query<PageParams>,
    Query(filter): Query<FilterQuery>,
    Query(q): Query<GroupQuery>,
) -> ApiResult<Json<Value>> {
    let me = auth.user("read:notifications")?;
    let limit = page.request(UNREAD_LIMIT, MAX_UNREAD_LIMIT)?.limit;
    let count = match filter.filter()? {
        Some(filter) => state.services.notifications.unread_group_count(me.id, &filter, &q.grouped(), limit).await?,
        None => 0,
    };
    Ok(Json(json!({ "count": count })))
}
