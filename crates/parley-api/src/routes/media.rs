//! `/api/v1/media`, `/api/v2/media` — https://docs.joinmastodon.org/methods/media/ —
//! and the stored files themselves, under [`FILES_PATH`].

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use parley_app::media::{ByteRange, GetError, Upload, is_file_name};
use serde::Deserialize;

use super::path_id;
use crate::auth::Auth;
use crate::entities::{FILES_PATH, MediaAttachment};
use crate::error::ApiError;
use crate::params::{Params, ParamsWithFiles, PathParam};
use crate::{ApiResult, AppState};

/// Whether a request may carry an upload, so the server's body limit for it
/// is `media.max_image_bytes` (twice: a file and its thumbnail), not `http.max_body_bytes`.
pub fn takes_uploads(method: &axum::http::Method, path: &str) -> bool {
    let path = path.trim_end_matches('/');
    (method == axum::http::Method::POST && matches!(path, "/api/v1/media" | "/api/v2/media"))
        || (method == axum::http::Method::PATCH && path == "/api/v1/accounts/update_credentials")
}

#[derive(Deserialize)]
pub struct MediaForm {
    description: Option<String>,
    focus: Option<String>,
}

/// `POST /api/v2/media` (and `/api/v1/media`): images are processed before
/// the answer, so it is always 200 with a `url`.
pub async fn create(
    State(state): State<AppState>,
    auth: Auth,
    ParamsWithFiles(form, mut files): ParamsWithFiles<MediaForm>,
) -> ApiResult<Json<MediaAttachment>> {
    let me = auth.user("write:media")?;
    let file = files.take("file").ok_or_else(|| ApiError::MissingParam("file".into()))?;
    let upload = Upload { file, thumbnail: files.take("thumbnail"), description: form.description, focus: form.focus };
    let media = state.services.media.upload(me, upload).await?;
    Ok(Json(MediaAttachment::from_domain(&media, state.settings())))
}

/// `GET /api/v1/media/:id`: the owner's upload.
pub async fn get(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<MediaAttachment>> {
    let me = auth.user("write:media")?;
    let media = state.services.media.get(me, path_id(&id)?).await?;
    Ok(Json(MediaAttachment::from_domain(&media, state.settings())))
}

/// `PUT /api/v1/media/:id`: description and focus of an unattached upload.
pub async fn update(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<MediaForm>,
) -> ApiResult<Json<MediaAttachment>> {
    let me = auth.user("write:media")?;
    let media = state.services.media.update(me, path_id(&id)?, form.description, form.focus).await?;
    Ok(Json(MediaAttachment::from_domain(&media, state.settings())))
}

/// `DELETE /api/v1/media/:id`: an unattached upload; answers `{}`.
pub async fn delete(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<serde_json::Value>> {
    let me = auth.user("write:media")?;
    state.services.media.delete(me, path_id(&id)?).await?;
    Ok(Json(serde_json::json!({})))
}

/// Reads a single `Range: bytes=…`; anything else (several ranges, another
/// unit, nonsense) is ignored and the whole file served, as RFC 9110 allows.
fn requested_range(headers: &HeaderMap) -> Option<ByteRange> {
    let raw = headers.get(header::RANGE)?.to_str().ok()?.trim();
    let spec = raw.strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (start, end) = spec.split_once('-')?;
    let number = |s: &str| s.trim().parse::<u64>().ok();
    match (start.trim().is_empty(), end.trim().is_empty()) {
        (true, false) => Some(ByteRange::Suffix(number(end)?)),
        (false, true) => Some(ByteRange::From(number(start)?)),
        (false, false) => {
            let (a, b) = (number(start)?, number(end)?);
            (a <= b).then(|| ByteRange::Bounded(a..b.saturating_add(1)))
        }
        (true, true) => None,
    }
}

fn content_type_of(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("jpg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("gif") => "image/gif",
        Some("mp4") => "video/mp4",
        _ => "application/octet-stream",
    }
}

/// `GET /system/media/:name`: a stored file with its exact type, never
/// sniffed, never run as a page (`sandbox`), cached for a year (a name is
/// the hash of its bytes, so it never changes), with byte ranges.
pub async fn file(
    State(state): State<AppState>,
    PathParam(name): PathParam,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !is_file_name(&name) {
        return Err(ApiError::App(parley_app::AppError::NotFound));
    }
    let etag = format!("\"{}\"", name.split('.').next().unwrap_or_default());
    let fixed = [
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
        (header::ACCEPT_RANGES, HeaderValue::from_static("bytes")),
    ];
    if headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return Ok((StatusCode::NOT_MODIFIED, fixed, [(header::ETAG, etag)]).into_response());
    }
    let range = requested_range(&headers);
    let partial = range.is_some();
    match state.services.media.read_file(&name, range).await {
        Ok(Some(f)) => {
            let status = if partial { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
            let mut response = (status, fixed, [(header::ETAG, etag)]).into_response();
            let h = response.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type_of(&name)));
            if partial {
                let value = format!("bytes {}-{}/{}", f.range.start, f.range.end.saturating_sub(1), f.total);
                if let Ok(v) = HeaderValue::from_str(&value) {
                    h.insert(header::CONTENT_RANGE, v);
                }
            }
            *response.body_mut() = axum::body::Body::from(f.bytes);
            Ok(response)
        }
        Ok(None) | Err(GetError::NotFound) => Err(ApiError::App(parley_app::AppError::NotFound)),
        Err(GetError::RangeNotSatisfiable(total)) => {
            Ok((StatusCode::RANGE_NOT_SATISFIABLE, fixed, [(header::CONTENT_RANGE, format!("bytes */{total}"))])
                .into_response())
        }
        Err(GetError::Store(e)) => Err(ApiError::App(e.into())),
    }
}

/// Where [`file`] is routed.
pub fn file_route() -> String {
    format!("{FILES_PATH}/{{name}}")
}
