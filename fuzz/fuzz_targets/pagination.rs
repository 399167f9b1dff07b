//! Pagination parameters from a query string (`max_id`, `since_id`,
//! `min_id`, `limit`, read as every list endpoint reads them), the page they
//! select from a list of IDs, and the `Link` header built from that page: the
//! limit is clamped, the page holds only IDs within the bounds, newest first,
//! and the header's `next` link asks for exactly the page after it.
#![no_main]

use std::sync::OnceLock;

use axum::extract::FromRequestParts;
use axum::http::{Request, Uri};
use libfuzzer_sys::fuzz_target;
use parley_api::pagination::{PageParams, link_header};
use parley_api::params::Query;
use parley_core::page::link_cursors;

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("runtime"))
}

fn page_params(uri: &Uri) -> Option<PageParams> {
    let (mut parts, ()) = Request::builder().uri(uri.clone()).body(()).ok()?.into_parts();
    runtime().block_on(Query::<PageParams>::from_request_parts(&mut parts, &())).ok().map(|Query(p)| p)
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else { return };
    let Ok(uri) = format!("/api/v1/timelines/public?{query}").parse::<Uri>() else { return };
    let Some(params) = page_params(&uri) else { return };
    let Ok(page) = params.request(20, 40) else { return };
    assert!((1..=40).contains(&page.limit), "{page:?}");
    // IDs newest first, around the interesting edges (negative, zero, i64 limits).
    let ids: Vec<i64> = [i64::MAX, 1 << 40, 1000, 999, 500, 42, 1, 0, -1, -1000, i64::MIN].to_vec();
    let selected = page.select(&ids);
    assert!(selected.len() <= page.limit);
    assert!(selected.windows(2).all(|w| w[0] > w[1]), "not newest first: {selected:?}");
    for id in &selected {
        assert!(
            page.max_id.is_none_or(|m| *id < m) && page.lower_bound().is_none_or(|l| *id > l),
            "{id} outside {page:?}"
        );
    }
    let Some(header) = link_header("https://example.org", &uri, link_cursors(&selected)) else {
        assert!(selected.is_empty(), "no Link header for {selected:?}");
        return;
    };
    let header = header.to_str().expect("ASCII header");
    let next = header.split(">; rel=\"next\"").next().and_then(|s| s.strip_prefix('<')).expect("next link");
    let next: Uri = next.strip_prefix("https://example.org").expect("same origin").parse().expect("next is a URI");
    let next_params = page_params(&next).expect("next link reads back");
    let next_page = next_params.request(20, 40).expect("next link is valid");
    assert_eq!(next_page.max_id, selected.last().copied(), "{header}");
    assert_eq!((next_page.min_id, next_page.since_id), (None, None), "{header}");
    assert_eq!(next_page.limit, page.limit, "{header}");
});
