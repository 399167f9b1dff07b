//! A micro-cache for anonymous public listings (the public and hashtag
//! timelines): the same bytes for every anonymous reader for up to a second.
//!
//! An entry is dropped as soon as anything that changes listings happens (a
//! status posted, edited or deleted, an account changed: the event hub's
//! listings generation), so a new post shows at once; only counters (favourites,
//! poll tallies) inside a page may be up to [`TTL`] old. Signed-in readers are
//! never served from here: what they see depends on their blocks and mutes.
//!
//! Keyed by the listing and its recognised, normalised parameters
//! ([`ListingKey`]), never by the raw URI: `?x=1`, `?x=2`… are one entry.
//! Bounded by bytes as well as entries, as pages vary in size.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// How long a page may be served unchanged.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries kept before the cache starts over (distinct listings and pages).
const MAX_ENTRIES: usize = 4096;
/// Bytes of pages (and keys) kept before the cache starts over: a page of 40
/// statuses is about 100 KB, so a few hundred pages, all from the last second.
const MAX_BYTES: usize = 32 * 1024 * 1024;

struct Page {
    body: Bytes,
    link: Option<HeaderValue>,
    generation: u64,
    made: Instant,
}

impl Page {
    fn weight(&self, key: &str) -> usize {
        key.len() + self.body.len() + self.link.as_ref().map_or(0, |l| l.len())
    }
}

#[derive(Default)]
pub struct PageCache {
    pages: Mutex<Pages>,
}

#[derive(Default)]
struct Pages {
    by_key: HashMap<String, Page>,
    bytes: usize,
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
        // A poisoned lock is a miss: the page is rendered afresh, nothing is lost.
        let pages = self.pages.lock().ok()?;
        let page = pages.by_key.get(key)?;
        (page.generation == generation && page.made.elapsed() < TTL)
            .then(|| respond(page.body.clone(), page.link.clone()))
    }

    /// Stores a page computed while the listings were at `generation` (read
    /// before computing, so a page that raced an event is never served as fresh).
    pub fn put(&self, key: String, generation: u64, body: Bytes, link: Option<HeaderValue>) -> Response {
        if let Ok(mut pages) = self.pages.lock() {
            let page = Page { body: body.clone(), link: link.clone(), generation, made: Instant::now() };
            let weight = page.weight(&key);
            if let Some(old) = pages.by_key.remove(&key) {
                pages.bytes -= old.weight(&key);
            }
            if pages.by_key.len() >= MAX_ENTRIES || pages.bytes + weight > MAX_BYTES {
                // Pages live a second: what is worth keeping is of this generation and young.
                pages.by_key.retain(|_, p| p.generation == generation && p.made.elapsed() < TTL);
                pages.bytes = pages.by_key.iter().map(|(k, p)| p.weight(k)).sum();
                if pages.by_key.len() >= MAX_ENTRIES || pages.bytes + weight > MAX_BYTES {
                    pages.by_key.clear();
                    pages.bytes = 0;
                }
            }
            if weight <= MAX_BYTES {
                pages.bytes += weight;
                pages.by_key.insert(key, page);
            }
        }
        respond(body, link)
    }

    /// Entries and bytes held (for tests and operators).
    pub fn size(&self) -> (usize, usize) {
        self.pages.lock().map(|p| (p.by_key.len(), p.bytes)).unwrap_or((0, 0))
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

    #[test]
    fn bytes_are_counted_and_bounded() {
        let cache = PageCache::default();
        let page = Bytes::from(vec![b'x'; 1024 * 1024]);
        for i in 0..100 {
            cache.put(format!("/p{i}"), 1, page.clone(), None);
            assert!(cache.size().1 <= MAX_BYTES);
        }
        cache.put("/p0".into(), 1, Bytes::from_static(b"[]"), None);
        let (entries, bytes) = cache.size();
        assert!(entries <= MAX_BYTES / (1024 * 1024) + 1, "{entries}");
        assert!(bytes <= MAX_BYTES);
    }
}
