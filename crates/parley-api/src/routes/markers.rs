//! `/api/v1/markers` — https://docs.joinmastodon.org/methods/markers/

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use parley_core::model::MarkerTimeline;
use serde::Deserialize;

use crate::auth::Auth;
use crate::entities::Marker;
use crate::error::ApiError;
use crate::params::{Params, Query};
use crate::{ApiResult, AppState};

#[derive(Deserialize)]
pub struct MarkersQuery {
    /// The timelines asked for; unknown names are ignored.
    #[serde(default)]
    timeline: Vec<String>,
}

#[derive(Deserialize)]
pub struct MarkerForm {
    last_read_id: Option<String>,
}

#[derive(Deserialize)]
pub struct SaveForm {
    home: Option<MarkerForm>,
    notifications: Option<MarkerForm>,
}

/// `{"home": Marker, "notifications": Marker}`, with the markers there are.
fn markers_json(markers: &[parley_core::model::Marker]) -> Json<BTreeMap<&'static str, Marker>> {
    Json(markers.iter().map(|m| (m.timeline.as_str(), Marker::from_domain(m))).collect())
}

/// `GET /api/v1/markers?timeline[]=home&timeline[]=notifications`: none asked, none given (as Mastodon).
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<MarkersQuery>,
) -> ApiResult<Json<BTreeMap<&'static str, Marker>>> {
    let me = auth.user("read:statuses")?;
    let timelines: Vec<MarkerTimeline> = q.timeline.iter().filter_map(|t| MarkerTimeline::parse(t)).collect();
    Ok(markers_json(&state.services.markers.get(me.id, &timelines).await?))
}

/// `POST /api/v1/markers` with `home[last_read_id]` and/or `notifications[last_read_id]`.
pub async fn save(
    State(state): State<AppState>,
    auth: Auth,
    Params(form): Params<SaveForm>,
) -> ApiResult<Json<BTreeMap<&'static str, Marker>>> {
    let me = auth.user("write:statuses")?;
    let mut positions = Vec::new();
    for (timeline, marker) in [(MarkerTimeline::Home, form.home), (MarkerTimeline::Notifications, form.notifications)] {
        let Some(marker) = marker else { continue };
        let id = match marker.last_read_id.as_deref().map(str::trim) {
            None | Some("") => {
                return Err(ApiError::InvalidParam("Validation failed: Last read can't be blank".into()));
            }
            Some(raw) => raw
                .parse::<parley_core::StatusId>()
                .map_err(|_| ApiError::InvalidParam("Validation failed: Last read is not a valid ID".into()))?,
        };
        positions.push((timeline, id.0));
    }
    Ok(markers_json(&state.services.markers.save(me.id, positions).await?))
}
