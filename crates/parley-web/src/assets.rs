//! The stylesheet, the scripts and the icon, compiled into the binary.

use std::sync::OnceLock;

use axum::extract::{Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const CSS: &str = include_str!("../assets/parley.css");
const JS: &str = include_str!("../assets/parley.js");
const EMBED_JS: &str = include_str!("../assets/embed.js");
const ICON: &str = include_str!("../assets/icon.svg");

/// A short hash of every asset: pages link `?v=` it, so a new build's
/// assets are fetched anew while unchanged ones stay cached.
pub fn version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        // FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in [CSS, JS, EMBED_JS, ICON].iter().flat_map(|a| a.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("{:08x}", hash >> 32)
    })
}

fn asset(content_type: &'static str, body: &'static str, versioned: bool) -> Response {
    // A versioned URL never changes content; an unversioned one may, soon.
    let cache = if versioned { "public, max-age=31536000, immutable" } else { "public, max-age=300" };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

#[derive(serde::Deserialize)]
pub struct AssetQuery {
    v: Option<String>,
}

/// `GET /assets/:file`
pub async fn serve(Path(file): Path<String>, Query(q): Query<AssetQuery>) -> Response {
    let versioned = q.v.as_deref() == Some(version());
    match file.as_str() {
        "parley.css" => asset("text/css; charset=utf-8", CSS, versioned),
        "parley.js" => asset("text/javascript; charset=utf-8", JS, versioned),
        "embed.js" => asset("text/javascript; charset=utf-8", EMBED_JS, versioned),
        "icon.svg" => asset("image/svg+xml", ICON, versioned),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /embed.js`: what a page that embeds our posts loads (see `oembed`).
pub async fn embed_js() -> Response {
    let mut response = asset("text/javascript; charset=utf-8", EMBED_JS, false);
    // Host pages load it from their own origin.
    response.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

#[cfg(test)]
mod tests {
    use super::CSS;

    /// The declarations of the first `{ … }` block after `selector`, one per
    /// line, trimmed.
    fn block_after(selector: &str) -> Vec<String> {
        let start = CSS.find(selector).map(|i| i + selector.len()).unwrap_or_else(|| panic!("{selector} is gone"));
        let body = &CSS[start..];
        let open = body.find('{').unwrap_or_else(|| panic!("{selector} has no block"));
        let close = body.find('}').unwrap_or_else(|| panic!("{selector} block is not closed"));
        body[open + 1..close].lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
    }

    #[test]
    fn the_dark_colours_are_the_same_for_the_system_and_for_a_dark_embed() {
        let system = block_after(":root:not(.theme-light)");
        let embed = block_after(":root.theme-dark");
        assert!(system.len() > 20, "the dark block lost its colours: {system:?}");
        assert_eq!(system, embed, "the two dark blocks of parley.css differ");
    }
}
