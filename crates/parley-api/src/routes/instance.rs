//! Instance metadata: `/api/v1/instance`, `/api/v2/instance`, nodeinfo.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::entities;
use crate::{ApiResult, AppState};

/// `GET /api/v1/instance`
pub async fn v1(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let stats = state.services.instance.stats().await?;
    Ok(Json(entities::instance_v1(state.settings(), stats)))
}

/// `GET /api/v2/instance`
pub async fn v2(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let stats = state.services.instance.stats().await?;
    Ok(Json(entities::instance_v2(state.settings(), stats)))
}

/// `GET /api/v1/instance/peers`: no federation yet, so no peers.
pub async fn peers() -> Json<Vec<String>> {
    Json(Vec::new())
}

/// Lists Parley does not have yet (custom emojis, filters, lists): clients
/// ask for them at start and expect a list.
pub async fn empty_list() -> Json<Vec<Value>> {
    Json(Vec::new())
}

/// `GET /.well-known/nodeinfo`
pub async fn nodeinfo_links(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
            "href": format!("{}/nodeinfo/2.0", state.settings().public_url)
        }]
    }))
}

/// `GET /nodeinfo/2.0`
pub async fn nodeinfo(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let stats = state.services.instance.stats().await?;
    Ok(Json(entities::nodeinfo(state.settings(), stats)))
}
