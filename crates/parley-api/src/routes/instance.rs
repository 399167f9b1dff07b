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

/// `GET /api/v1/instance/rules`
pub async fn rules(State(state): State<AppState>) -> Json<Value> {
    Json(entities::rules(state.settings()))
}

/// `GET /api/v1/instance/extended_description`
pub async fn extended_description(State(state): State<AppState>) -> Json<Value> {
    let s = state.settings();
    Json(entities::instance_text(s, &s.texts.extended_description))
}

/// `GET /api/v1/instance/privacy_policy`
pub async fn privacy_policy(State(state): State<AppState>) -> Json<Value> {
    let s = state.settings();
    Json(entities::instance_text(s, &s.texts.privacy_policy))
}

/// `GET /api/v1/instance/terms_of_service`
pub async fn terms_of_service(State(state): State<AppState>) -> Json<Value> {
    Json(entities::terms_of_service(state.settings()))
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
    let links: Vec<Value> = entities::NODEINFO_VERSIONS
        .iter()
        .map(|v| {
            json!({
                "rel": format!("http://nodeinfo.diaspora.software/ns/schema/{v}"),
                "href": format!("{}/nodeinfo/{v}", state.settings().public_url)
            })
        })
        .collect();
    Json(json!({ "links": links }))
}

/// `GET /nodeinfo/2.0`
pub async fn nodeinfo_2_0(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    nodeinfo(&state, "2.0").await
}

/// `GET /nodeinfo/2.1`
pub async fn nodeinfo_2_1(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    nodeinfo(&state, "2.1").await
}

async fn nodeinfo(state: &AppState, version: &str) -> ApiResult<Json<Value>> {
    let stats = state.services.instance.stats().await?;
    Ok(Json(entities::nodeinfo(state.settings(), stats, version)))
}
