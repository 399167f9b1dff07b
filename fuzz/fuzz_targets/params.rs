//! Request parameters as every endpoint reads them (`Params`: the query
//! string merged with a JSON, form or multipart body, Rails' bracket keys,
//! lenient values), called directly on a built request, no server. The
//! first byte picks the content type; the query runs up to the first newline,
//! the body is the rest. Any input must give parameters or a clean error.
#![no_main]

use std::sync::OnceLock;

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use parley_api::params::Params;
use serde::Deserialize;

/// The shapes real forms have: optional scalars read leniently, lists,
/// nested hashes (`poll[options][]`), lists of hashes.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct StatusLike {
    status: Option<String>,
    in_reply_to_id: Option<String>,
    media_ids: Option<Vec<String>>,
    sensitive: Option<bool>,
    visibility: Option<String>,
    poll: Option<PollLike>,
    fields_attributes: Option<Vec<Field>>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct PollLike {
    options: Vec<String>,
    expires_in: Option<i64>,
    multiple: Option<bool>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct Field {
    name: Option<String>,
    value: Option<String>,
}

#[allow(dead_code)]
#[derive(Debug, Deserialize)]
struct VoteLike {
    choices: Vec<u32>,
}

const CONTENT_TYPES: [&str; 5] = [
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=X",
    "",
    "application/activity+json",
];

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().expect("runtime"))
}

fn request(content_type: &str, query: &[u8], body: &[u8]) -> Option<Request<Body>> {
    let query = std::str::from_utf8(query).ok()?;
    let mut builder = Request::builder().method("POST").uri(format!("/api/v1/statuses?{query}"));
    if !content_type.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    builder.body(Body::from(body.to_vec())).ok()
}

async fn read<T: serde::de::DeserializeOwned>(content_type: &str, query: &[u8], body: &[u8]) {
    if let Some(req) = request(content_type, query, body) {
        let _ = Params::<T>::from_request(req, &()).await;
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else { return };
    let content_type = CONTENT_TYPES[usize::from(kind) % CONTENT_TYPES.len()];
    let (query, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&[][..], rest),
    };
    runtime().block_on(async {
        read::<StatusLike>(content_type, query, body).await;
        read::<VoteLike>(content_type, query, body).await;
        read::<serde_json::Value>(content_type, query, body).await;
    });
});
