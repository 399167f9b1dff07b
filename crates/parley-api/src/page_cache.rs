//! A micro-cache for anonymous public listings (the public and hashtag
//! timelines): the same bytes for every anonymous reader for up to a second.
//!
//! An entry is dropped as soon as anything that changes listings happens (a
//! status posted, edited or deleted, an account changed: the event hub's
//! listings generation), so a new post shows at once; only counters (favourites,
//! poll tallies) inside a page may be up to [`TTL`] old. Signed-in readers are
//! never served from here: what they see depends on their blocks and mutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// How long a page may be served unchanged.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries kept before the cache starts over (distinct query strings).
const MAX_ENTRIES: usize = 4096;

struct Page {
    body: Bytes,
    link: Option<HeaderValue>,
    generation: u64,
    made: Instant,
}

#[derive(Default)]
pub struct PageCache {
    pages: Mutex<HashMap<String, Page>>,
}

fn respond(body: Bytes, link: Option<HeaderValue>) -> Response {
    let mut response = ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], body).into_response();
    if let Some(link) = link {
        response.headers_mut().insert(header::LINK, link);
    }
    response
}

impl PageCache {
    /// The cached page for `key`, if it is of this generation and young enough.
    pub fn get(&self, key: &str, generation: u64) -> Option<Response> {
        let pages = self.pages.lock().ok()?;
        let page = pages.get(key)?;
        (page.generation == generation && page.made.elapsed() < TTL)
            .then(|| respond(page.body.clone(), page.link.clone()))
    }

    /// Stores a page computed while the listings were at `generation` (read
    /// before computing, so a page that raced an event is never served as fresh).
    pub fn put(&self, key: String, generation: u64, body: Bytes, link: Option<HeaderValue>) -> Response {
        if let Ok(mut pages) = self.pages.lock() {
            if pages.len() >= MAX_ENTRIES {
                pages.clear();
            }
            pages.insert(key, Page { body: body.clone(), link: link.clone(), generation, made: Instant::now() });
        }
        respond(body, link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_generation_or_age_makes_a_page_stale() {
        let cache = PageCache::default();
        cache.put("/a".into(), 1, Bytes::from_static(b"[]"), None);
        assert!(cache.get("/a", 1).is_some());
        assert!(cache.get("/a", 2).is_none(), "an event happened since");
        assert!(cache.get("/b", 1).is_none());
    }
}
