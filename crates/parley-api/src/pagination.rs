//! Page parameters and the `Link` header, exactly as Mastodon pages lists:
//! `rel="next"` carries `max_id` of the oldest item, `rel="prev"` carries
//! `min_id` of the newest, other query parameters are kept.

use axum::http::{HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use parley_core::page::PageRequest;
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// `max_id`, `since_id`, `min_id`, `limit` as a client sends them.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    pub max_id: Option<String>,
    pub since_id: Option<String>,
    pub min_id: Option<String>,
    pub limit: Option<i64>,
}

fn cursor(name: &str, raw: &Option<String>) -> Result<Option<i64>, ApiError> {
    match raw.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .map(Some)
            .map_err(|_| ApiError::InvalidParam(format!("Validation failed: {name} is not a valid ID"))),
    }
}

impl PageParams {
    /// The request, with `limit` defaulting to `default` and capped at `max`.
    pub fn request(&self, default: usize, max: usize) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::new(
            cursor("max_id", &self.max_id)?,
            cursor("since_id", &self.since_id)?,
            cursor("min_id", &self.min_id)?,
            self.limit,
            default,
            max,
        ))
    }
}

/// A JSON list with its `Link` header.
pub struct Paged<T>(pub Vec<T>, pub Option<HeaderValue>);

/// An item of a JSON list answer.
pub trait ListItem: Serialize {
    /// Appends the item's JSON to `out`; by default through `Serialize`.
    fn write_item(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        serde_json::to_writer(out, self)
    }
}

/// Room for one item of a list, sized for a status with its author (about
/// 1.5 KB), so a page's body is written once instead of grown from axum's
/// 128 bytes by doubling and copying.
const ITEM_BYTES: usize = 2048;

/// A list's JSON body.
pub fn json_list<T: ListItem>(items: &[T]) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::with_capacity(2 + items.len() * ITEM_BYTES);
    body.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        item.write_item(&mut body).map_err(|e| ApiError::App(parley_app::AppError::Internal(e.to_string())))?;
    }
    body.push(b']');
    Ok(body)
}

impl<T: ListItem> IntoResponse for Paged<T> {
    fn into_response(self) -> Response {
        let body = match json_list(&self.0) {
            Ok(body) => body,
            Err(e) => return e.into_response(),
        };
        let mut response =
            ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response();
        if let Some(link) = self.1 {
            response.headers_mut().insert(header::LINK, link);
        }
        response
    }
}

/// Builds the `Link` header for a page whose cursors run from `newest` to `oldest`.
pub fn link_header(public_url: &str, uri: &Uri, cursors: Option<(i64, i64)>) -> Option<HeaderValue> {
    let (oldest, newest) = cursors?;
    let kept: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            form_urlencoded::parse(q.as_bytes())
                // Every form of the cursors and the token: `min_id[x]` is a
                // hash under `min_id` (Rails' brackets), so carried alone it
                // would make the next page unreadable.
                .filter(|(k, _)| {
                    let name = k.split('[').next().unwrap_or(k);
                    !matches!(name, "max_id" | "min_id" | "since_id" | "access_token")
                })
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let url = |key: &str, id: i64| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &kept {
            q.append_pair(k, v);
        }
        q.append_pair(key, &id.to_string());
        format!("{}{}?{}", public_url, uri.path(), q.finish())
    };
    let value = format!("<{}>; rel=\"next\", <{}>; rel=\"prev\"", url("max_id", oldest), url("min_id", newest));
    HeaderValue::from_str(&value).ok()
}

/// Cursors of a list whose items carry their own cursor, newest first.
pub fn cursors_of<T>(items: &[T], cursor: impl Fn(&T) -> i64) -> Option<(i64, i64)> {
    Some((cursor(items.last()?), cursor(items.first()?)))
}

#[cfg(test)]
mod link_tests {
    use axum::extract::FromRequestParts;
    use axum::http::{Request, StatusCode, Uri};

    use super::*;
    use crate::params::Query;

    fn page_params(uri: &Uri) -> Result<PageParams, StatusCode> {
        let (mut parts, ()) =
            Request::builder().uri(uri.clone()).body(()).map_err(|_| StatusCode::BAD_REQUEST)?.into_parts();
        let rt =
            tokio::runtime::Builder::new_current_thread().build().map_err(|_| StatusCode::INTERNAL_SERVER_ERROR)?;
        rt.block_on(Query::<PageParams>::from_request_parts(&mut parts, &()))
            .map(|Query(p)| p)
            .map_err(|e| axum::response::IntoResponse::into_response(e).status())
    }

    /// Found by the `pagination` fuzz target: `min_id[` is a hash under
    /// `min_id` (Rack 3), overridden here by a later plain `min_id`; a next
    /// link that dropped only the plain name carried the hash alone, and
    /// reading it back failed (422).
    #[test]
    fn the_next_link_drops_every_form_of_the_cursor_parameters() {
        let uri: Uri = "/api/v1/timelines/public?min_id%5B=1&limit=5&min_id=&access_token%5Bx%5D=secret&x=1"
            .parse()
            .expect("a URI");
        assert!(page_params(&uri).is_ok(), "the request itself reads");
        let header = link_header("https://example.org", &uri, Some((10, 20))).expect("a Link header");
        let header = header.to_str().expect("ASCII");
        for link in header.split(", ") {
            let url = link.split('>').next().and_then(|s| s.strip_prefix("<https://example.org")).expect("a link");
            assert!(!url.contains("min_id%5B") && !url.contains("access_token"), "{url}");
            let next: Uri = url.parse().expect("a URI");
            let page = page_params(&next).expect("reads back").request(20, 40).expect("valid");
            assert_eq!(page.limit, 5, "{url}");
            assert!(url.contains("x=1"), "other parameters are kept: {url}");
        }
    }
}
