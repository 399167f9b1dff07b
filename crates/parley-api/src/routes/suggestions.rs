//! Follow suggestions — https://docs.joinmastodon.org/methods/suggestions/:
//! `GET /api/v2/suggestions` (with why), `GET /api/v1/suggestions` (accounts
//! alone), `DELETE /api/v1/suggestions/:account_id` (and v2's, as Mastodon
//! routes both). Official accounts come first (`featured`), then the most
//! followed.

use axum::Json;
use axum::extract::State;
use parley_app::SuggestionSource;
use serde::Serialize;

use super::path_id;
use crate::auth::Auth;
use crate::entities::Account;
use crate::pagination::PageParams;
use crate::params::{PathParam, Query};
use crate::{ApiResult, AppState};

/// Mastodon's `DEFAULT_ACCOUNTS_LIMIT`, and at most twice it.
const DEFAULT_LIMIT: usize = 40;
const MAX_LIMIT: usize = 80;

/// Mastodon's Suggestion entity.
#[derive(Serialize)]
pub struct Suggestion {
    /// Deprecated in Mastodon 4.3 but still sent: `staff` or `global`.
    pub source: &'static str,
    pub sources: [&'static str; 1],
    pub account: Account,
}

fn suggestion(account: Account, source: SuggestionSource) -> Suggestion {
    let (source, why) = match source {
        SuggestionSource::Featured => ("staff", "featured"),
        SuggestionSource::MostFollowed => ("global", "most_followed"),
    };
    Suggestion { source, sources: [why], account }
}

async fn found(
    state: &AppState,
    auth: &Auth,
    q: &PageParams,
) -> ApiResult<Vec<(parley_core::model::Account, SuggestionSource)>> {
    let me = auth.user("read:accounts")?;
    let limit = q.request(DEFAULT_LIMIT, MAX_LIMIT)?.limit;
    Ok(state.services.accounts.suggestions(me.id, limit).await?)
}

/// `GET /api/v2/suggestions?limit=`
pub async fn list_v2(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageParams>,
) -> ApiResult<Json<Vec<Suggestion>>> {
    let s = state.settings();
    let found = found(&state, &auth, &q).await?;
    Ok(Json(found.iter().map(|(a, source)| suggestion(Account::from_domain(a, s), *source)).collect()))
}

/// `GET /api/v1/suggestions?limit=`: the accounts alone.
pub async fn list_v1(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<PageParams>,
) -> ApiResult<Json<Vec<Account>>> {
    let s = state.settings();
    let found = found(&state, &auth, &q).await?;
    Ok(Json(found.iter().map(|(a, _)| Account::from_domain(a, s)).collect()))
}

/// `DELETE /api/v1/suggestions/:account_id`: `{}`, whether or not it was suggested.
pub async fn dismiss(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<serde_json::Value>> {
    let me = auth.user("write:accounts")?;
    state.services.accounts.dismiss_suggestion(me.id, path_id(&id)?).await?;
    Ok(Json(serde_json::json!({})))
}
