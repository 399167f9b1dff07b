//! `/api/v2/search` — https://docs.joinmastodon.org/methods/search/

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

use crate::auth::MaybeAuth;
use crate::entities::{Account, Status};
use crate::params::Query;
use crate::{ApiResult, AppState};

#[derive(Deserialize)]
pub struct SearchQuery {
    q: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize)]
pub struct Tag {
    name: String,
    url: String,
    history: Vec<serde_json::Value>,
    following: bool,
}

#[derive(Serialize)]
pub struct Results {
    accounts: Vec<Account>,
    statuses: Vec<Status>,
    hashtags: Vec<Tag>,
}

/// `GET /api/v2/search`: accounts and hashtags for anyone; statuses only for a
/// signed-in viewer, and only those the viewer may see.
pub async fn search(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Results>> {
    let viewer = auth.viewer("read:search")?;
    let limit = q.limit.unwrap_or(20).clamp(1, 40) as usize;
    let wants = |kind: &str| q.kind.as_deref().is_none_or(|k| k == kind);
    let s = state.settings();
    let mut results = Results { accounts: Vec::new(), statuses: Vec::new(), hashtags: Vec::new() };
    if wants("accounts") {
        results.accounts =
            state.services.accounts.search(&q.q, limit).await?.iter().map(|a| Account::from_domain(a, s)).collect();
    }
    if wants("hashtags") {
        results.hashtags = state
            .services
            .timelines
            .search_tags(&q.q, limit)
            .await?
            .into_iter()
            .map(|name| Tag { url: s.tag_url(&name), name, history: Vec::new(), following: false })
            .collect();
    }
    if wants("statuses")
        && let Some(me) = viewer
    {
        let views = state.services.timelines.search_statuses(me.id, &q.q, limit).await?;
        results.statuses = views.iter().map(|v| Status::from_view(v, s, Some(me.id))).collect();
    }
    Ok(Json(results))
}
