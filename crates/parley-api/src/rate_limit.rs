//! Rate limits with Mastodon's numbers and headers, for the API, OAuth and
//! the web's sign-in and sign-up forms (one middleware over the whole app).
//!
//! | what | key | limit (Mastodon's) |
//! |---|---|---|
//! | API requests with a token | the token | 300 / 5 min |
//! | API requests without one | the client's IP (IPv6 by /64) | 300 / 5 min |
//! | sign-ups (`POST /api/v1/accounts`, `/auth/sign_up`) | IP | 5 / 30 min |
//! | sign-in attempts (`POST /oauth/token`, `/oauth/authorize`, `/auth/sign_in`) | IP | 25 / 5 min |
//! | the same, for one login (the `login`, or the password grant's `username`) | the login, case-folded | 25 / 5 min (`sign_in_attempts_per_account`) |
//! | deleting statuses | the token | 30 / 30 min |
//!
//! Limits are cells that refill steadily (governor's GCRA), so a burst of
//! the whole allowance is accepted at once and then one request per
//! period/limit. Answers to limited API requests carry `X-RateLimit-Limit`,
//! `-Remaining` and `-Reset`; a refusal is 429 with Mastodon's body.
//!
//! As Mastodon does, requests from loopback are not limited (a local proxy,
//! the CLI's tools, tests) unless `exempt_loopback` is off. Behind a reverse
//! proxy, the client's IP is read from `X-Forwarded-For` only when the
//! connection comes from one of `trusted_proxies`.
//!
//! The per-account limit stops guessing one account's password from many
//! addresses. It counts attempts per login as typed (case-folded, so `Alice`
//! and `alice` are one), every attempt whatever its outcome, as Mastodon's
//! throttle does; a username and an e-mail address of one account are two
//! logins. It reads the (small) sign-in body here, before any handler, so it
//! is checked before a password is hashed.

use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// A limiter per key that tells how much allowance is left.
type Keyed = RateLimiter<Key, DefaultKeyedStateStore<Key>, DefaultClock, StateInformationMiddleware>;

/// How often keys that are full again are dropped from memory.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// What the operator sets (see `[rate_limits]` in the configuration).
#[derive(Debug, Clone)]
pub struct RateLimitSettings {
    pub enabled: bool,
    pub exempt_loopback: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Sign-in attempts per login in 5 minutes, from any number of addresses.
    pub sign_in_attempts_per_account: u32,
}

/// Who a limit counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    /// A token, by a hash of it (the token itself is never kept).
    Token(u64),
    Ip(IpAddr),
    /// A login, by a hash of it case-folded.
    Login(u64),
}

struct Limit {
    per: Keyed,
    allowance: u32,
    /// The time for one request's worth of allowance to come back.
    refill: Duration,
}

impl Limit {
    fn new(allowance: u32, window: Duration) -> Limit {
        let burst = NonZeroU32::new(allowance).unwrap_or(NonZeroU32::MIN);
        let refill = window / burst.get();
        let quota = Quota::with_period(refill).unwrap_or_else(|| Quota::per_second(burst)).allow_burst(burst);
        Limit { per: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(), allowance, refill }
    }

    /// Counts one request; the headers to send, or the refusal.
    fn check(&self, key: &Key) -> Result<Headers, Refused> {
        let now = DefaultClock::default().now();
        match self.per.check_key(key) {
            Ok(state) => {
                let remaining = state.remaining_burst_capacity();
                let full_in = self.refill * (self.allowance - remaining.min(self.allowance));
                Ok(Headers { limit: self.allowance, remaining, reset_in: full_in })
            }
            Err(not_until) => Err(Refused { limit: self.allowance, wait: not_until.wait_time_from(now) }),
        }
    }
}

/// A request over its limit: 429 with the headers and Mastodon's body.
struct Refused {
    limit: u32,
    wait: Duration,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let headers = Headers { limit: self.limit, remaining: 0, reset_in: self.wait };
        let body = axum::Json(serde_json::json!({"error": "Too many requests"}));
        let mut refusal = (StatusCode::TOO_MANY_REQUESTS, body).into_response();
        headers.write(refusal.headers_mut());
        refusal.headers_mut().insert("retry-after", HeaderValue::from(self.wait.as_secs().max(1)));
        refusal
    }
}

/// `X-RateLimit-*`, as Mastodon sends them.
struct Headers {
    limit: u32,
    remaining: u32,
    reset_in: Duration,
}

impl Headers {
    fn write(&self, headers: &mut HeaderMap) {
        let reset = chrono::Utc::now() + chrono::Duration::from_std(self.reset_in).unwrap_or_default();
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        if let Ok(v) = HeaderValue::from_str(&reset.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)) {
            headers.insert("x-ratelimit-reset", v);
        }
    }
}

/// The limits of one server.
pub struct RateLimits {
    settings: RateLimitSettings,
    requests: Limit,
    sign_ups: Limit,
    sign_ins: Limit,
    sign_ins_per_account: Limit,
    deletes: Limit,
}

impl RateLimits {
    pub fn new(settings: RateLimitSettings) -> Arc<RateLimits> {
        let per_account = settings.sign_in_attempts_per_account;
        let limits = Arc::new(RateLimits {
            settings,
            requests: Limit::new(300, Duration::from_secs(5 * 60)),
            sign_ups: Limit::new(5, Duration::from_secs(30 * 60)),
            sign_ins: Limit::new(25, Duration::from_secs(5 * 60)),
            sign_ins_per_account: Limit::new(per_account, Duration::from_secs(5 * 60)),
            deletes: Limit::new(30, Duration::from_secs(30 * 60)),
        });
        // Keys whose allowance is whole again need no memory: drop them now and then.
        let weak = Arc::downgrade(&limits);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let mut every = tokio::time::interval(SWEEP_EVERY);
                loop {
                    every.tick().await;
                    let Some(limits) = weak.upgrade() else { return };
                    let all = [
                        &limits.requests,
                        &limits.sign_ups,
                        &limits.sign_ins,
                        &limits.sign_ins_per_account,
                        &limits.deletes,
                    ];
                    for limit in all {
                        limit.per.retain_recent();
                        limit.per.shrink_to_fit();
                    }
                }
            });
        }
        limits
    }

    /// The client's address: the connection's, or the nearest untrusted hop
    /// of `X-Forwarded-For` when the connection comes from a trusted proxy.
    fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let trusted = |ip: &IpAddr| self.settings.trusted_proxies.iter().any(|net| net.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|hop| hop.trim().parse().ok())
            .collect();
        hops.into_iter().rev().find(|hop| !trusted(hop)).unwrap_or(peer)
    }
}

/// IPv6 clients are counted by their /64 (one host usually holds a whole one).
fn ip_key(ip: IpAddr) -> Key {
    match ip {
        IpAddr::V4(v4) => Key::Ip(IpAddr::V4(v4)),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Key::Ip(IpAddr::V4(v4)),
            None => {
                let s = v6.segments();
                Key::Ip(IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0)))
            }
        },
    }
}

fn token_key(headers: &HeaderMap, query: Option<&str>) -> Option<Key> {
    let from_header = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("Bearer ").or_else(|| v.trim().strip_prefix("bearer ")))
        .map(str::trim)
        .map(str::to_string);
    let token = from_header.or_else(|| {
        form_urlencoded::parse(query?.as_bytes()).find(|(k, _)| k == "access_token").map(|(_, v)| v.into_owned())
    })?;
    let mut hasher = rustc_hash::FxHasher::default();
    token.hash(&mut hasher);
    Some(Key::Token(hasher.finish()))
}

/// Largest sign-in body read to find its login (a sign-in form is a few
/// hundred bytes); the rate limit runs before the body limit layer.
const MAX_SIGN_IN_BODY: usize = 16 * 1024;

/// The fields of a sign-in request that name the account.
#[derive(serde::Deserialize)]
struct SignInFields {
    /// `/oauth/authorize`, `/auth/sign_in`: username or e-mail address.
    login: Option<String>,
    /// `/oauth/token` with `grant_type=password`.
    username: Option<String>,
}

fn login_key(login: &str) -> Key {
    let mut hasher = rustc_hash::FxHasher::default();
    login.trim().to_lowercase().hash(&mut hasher);
    Key::Login(hasher.finish())
}

/// Reads the sign-in body (however it is encoded, as the handlers read it)
/// for its login, and gives back the request whole.
async fn with_login(request: Request) -> Result<(Request, Option<String>), Response> {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_SIGN_IN_BODY).await else {
        return Err(crate::error::ApiError::PayloadTooLarge.into_response());
    };
    let mut probe = Request::new(axum::body::Body::from(bytes.clone()));
    *probe.method_mut() = parts.method.clone();
    *probe.uri_mut() = parts.uri.clone();
    *probe.headers_mut() = parts.headers.clone();
    // A body that cannot be read names no account; its handler refuses it.
    let fields = crate::params::Params::<SignInFields>::from_request(probe, &()).await;
    let login =
        fields.ok().and_then(|crate::params::Params(f)| f.login.or(f.username)).filter(|l| !l.trim().is_empty());
    Ok((Request::from_parts(parts, axum::body::Body::from(bytes)), login))
}

/// The middleware: counts the request against the limits that apply to it.
pub async fn limit(State(limits): State<Arc<RateLimits>>, request: Request, next: Next) -> Response {
    if !limits.settings.enabled {
        return next.run(request).await;
    }
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let Some(peer) = peer else { return next.run(request).await };
    let ip = limits.client_ip(peer, request.headers());
    if limits.settings.exempt_loopback && ip.is_loopback() {
        return next.run(request).await;
    }
    let path = request.uri().path();
    let post = request.method() == Method::POST;
    if post
        && matches!(path, "/api/v1/accounts" | "/auth/sign_up")
        && let Err(refused) = limits.sign_ups.check(&ip_key(ip))
    {
        return refused.into_response();
    }
    if post && matches!(path, "/oauth/token" | "/oauth/authorize" | "/auth/sign_in") {
        if let Err(refused) = limits.sign_ins.check(&ip_key(ip)) {
            return refused.into_response();
        }
        let (whole, login) = match with_login(request).await {
            Ok(read) => read,
            Err(refusal) => return refusal,
        };
        if let Some(login) = login
            && let Err(refused) = limits.sign_ins_per_account.check(&login_key(&login))
        {
            return refused.into_response();
        }
        return next.run(whole).await;
    }
    // The streaming API's connections are long-lived: counted when they open, like any request.
    if !path.starts_with("/api/") {
        return next.run(request).await;
    }
    let key = token_key(request.headers(), request.uri().query()).unwrap_or_else(|| ip_key(ip));
    if request.method() == Method::DELETE
        && path.starts_with("/api/v1/statuses/")
        && let Err(refused) = limits.deletes.check(&key)
    {
        return refused.into_response();
    }
    let headers = match limits.requests.check(&key) {
        Ok(headers) => headers,
        Err(refused) => return refused.into_response(),
    };
    let mut response = next.run(request).await;
    headers.write(response.headers_mut());
    response
}
