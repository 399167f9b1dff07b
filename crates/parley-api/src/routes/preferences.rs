//! `/api/v1/preferences` — https://docs.joinmastodon.org/methods/preferences/

use axum::Json;
use axum::extract::State;

use crate::auth::Auth;
use crate::{ApiResult, AppState};

/// `GET /api/v1/preferences`:
/// The posting defaults (`source`); Parley keeps no reading preferences,
/// so those are Mastodon's defaults.
pub async fn preferences(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<serde_json::Value>> {
    let me = auth.user("read:accounts")?;
    let defaults = state.services.accounts.posting_defaults(me.id).await?;
    Ok(Json(serde_json::json!({
        "posting:default:visibility": defaults.visibility,
        "posting:default:sensitive": defaults.sensitive,
        "posting:default:language": defaults.language,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    })))
}
