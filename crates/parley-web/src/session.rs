//! Who is asking, and whether a form really comes from our own pages.
//!
//! - The session cookie holds an access token of the built-in web app, issued
//!   by `AuthService::sign_in_web`; it is `HttpOnly`, `SameSite=Lax`, and
//!   `Secure` (with the `__Host-` prefix) when the public URL is https.
//! - CSRF: a random token in a second cookie, echoed in every form as the
//!   hidden field `csrf` and compared on every POST ([`Post`]), plus a check
//!   that the `Origin` (or, failing that, the `Referer`) is this site. A
//!   handler that takes [`Post`] cannot forget either check.
//! - A flash message survives one redirect in a short-lived cookie.
//!
//! The session is read once per request, by the first extractor that asks,
//! and kept in a slot the web middleware also sees, so that it can set the
//! cookies the request needs and render error pages with the right header.

use std::sync::{Arc, OnceLock};

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{COOKIE, HOST, ORIGIN, REFERER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use parley_app::Services;
use parley_core::model::Account;
use rand::RngCore;

use crate::WebState;
use crate::render::WebError;

/// How long a sign-in lasts without use (the cookie's lifetime).
const SESSION_DAYS: i64 = 30;
/// Largest form body read (a status is at most a few kilobytes).
const MAX_FORM_BYTES: usize = 64 * 1024;

/// A message for the next page, after a redirect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    /// `notice` or `error`.
    pub kind: &'static str,
    pub message: String,
}

/// What the request's cookies say.
#[derive(Debug, Clone)]
pub struct Session {
    pub me: Option<Account>,
    pub token: Option<String>,
    pub csrf: String,
    /// The CSRF cookie is new and must be set on the response.
    pub new_csrf: bool,
    /// The session cookie names no valid session and should be removed.
    pub stale_session: bool,
    pub flash: Option<Flash>,
    /// The path and query of this request (for "back" links).
    pub here: String,
    /// Notifications after the signed-in account's read marker (at most
    /// `UNREAD_COUNTED`), for the header's count; 0 when signed out.
    pub unread: usize,
}

/// Unread notifications counted at most (the header then says "99+").
pub const UNREAD_COUNTED: usize = 100;

/// Where the middleware finds the session once a handler has read it.
#[derive(Clone, Default)]
pub(crate) struct SessionSlot(pub Arc<OnceLock<Arc<Session>>>);

/// A handler's view of the request: the services, and the session.
#[derive(Clone)]
pub struct Ctx {
    pub state: WebState,
    pub session: Arc<Session>,
}

impl Ctx {
    pub fn services(&self) -> &Services {
        &self.state.services
    }
    pub fn me(&self) -> Option<&Account> {
        self.session.me.as_ref()
    }
    pub fn viewer(&self) -> Option<parley_core::AccountId> {
        self.session.me.as_ref().map(|a| a.id)
    }
    /// The signed-in account, or a redirect to the sign-in page that comes back here.
    pub fn require_me(&self, back: &str) -> Result<&Account, WebError> {
        self.me().ok_or_else(|| WebError::SignInRequired(back.to_string()))
    }
}

/// Cookie names; `__Host-` pins them to this origin when served over https.
pub(crate) struct CookieNames {
    pub session: &'static str,
    pub csrf: &'static str,
    pub flash: &'static str,
}

pub(crate) fn cookie_names(secure: bool) -> CookieNames {
    if secure {
        CookieNames { session: "__Host-parley_session", csrf: "__Host-parley_csrf", flash: "__Host-parley_flash" }
    } else {
        CookieNames { session: "parley_session", csrf: "parley_csrf", flash: "parley_flash" }
    }
}

/// The value of cookie `name` in the request, if any.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

/// A `Set-Cookie` value with Parley's attributes; `max_age` 0 removes the cookie.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")).ok()
}

pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn well_formed_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares without stopping at the first difference.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Session {
    /// Reads the cookies of a request and finds who is signed in.
    pub(crate) async fn read(state: &WebState, headers: &HeaderMap, here: String) -> Session {
        let names = cookie_names(state.site.secure);
        let (mut me, mut token, mut stale_session) = (None, None, false);
        if let Some(t) = cookie(headers, names.session).filter(|t| !t.is_empty()) {
            match state.services.auth.authenticate(t).await {
                // Only an account that may act is signed in (not pending, not suspended).
                Ok(identity) => match identity.user() {
                    Ok(account) => {
                        me = Some(account.clone());
                        token = Some(t.to_string());
                    }
                    Err(_) => stale_session = true,
                },
                Err(parley_app::AppError::InvalidToken) => stale_session = true,
                Err(e) => tracing::error!(error = %e, "reading the session failed"),
            }
        }
        let (csrf, new_csrf) = match cookie(headers, names.csrf).filter(|c| well_formed_token(c)) {
            Some(c) => (c.to_string(), false),
            None => (random_token(), true),
        };
        let flash = cookie(headers, names.flash).and_then(parse_flash);
        let mut unread = 0;
        if let Some(account) = &me {
            let filter = parley_app::notification_groups::NotificationFilter::default();
            match state.services.notifications.unread_count(account.id, &filter, UNREAD_COUNTED).await {
                Ok(n) => unread = n,
                // The header's count is a courtesy: the page itself still shows.
                Err(e) => tracing::error!(error = %e, "counting unread notifications failed"),
            }
        }
        Session { me, token, csrf, new_csrf, stale_session, flash, here, unread }
    }

    /// The cookies this response must set: a new CSRF token, the removal of a
    /// stale session, and the removal of a flash that a page has now shown.
    pub(crate) fn cookies_for(&self, response: &mut Response, secure: bool) {
        let names = cookie_names(secure);
        let already: Vec<String> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split('=').next().map(str::to_string))
            .collect();
        let sets = |name: &str| already.iter().any(|n| n == name);
        let mut add = Vec::new();
        if self.new_csrf && !sets(names.csrf) {
            add.push(set_cookie(names.csrf, &self.csrf, SESSION_DAYS * 86_400, secure));
        }
        if self.stale_session && !sets(names.session) {
            add.push(set_cookie(names.session, "", 0, secure));
        }
        let shown_page = response.status() == StatusCode::OK || response.status().is_client_error();
        if self.flash.is_some() && shown_page && !sets(names.flash) {
            add.push(set_cookie(names.flash, "", 0, secure));
        }
        for value in add.into_iter().flatten() {
            response.headers_mut().append(SET_COOKIE, value);
        }
    }
}

fn parse_flash(raw: &str) -> Option<Flash> {
    let mut kind = None;
    let mut message = None;
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match k.as_ref() {
            "k" => kind = Some(if v == "error" { "error" } else { "notice" }),
            "m" => message = Some(v.chars().take(300).collect::<String>()),
            _ => {}
        }
    }
    Some(Flash { kind: kind?, message: message.filter(|m| !m.is_empty())? })
}

/// The `Set-Cookie` header carrying a flash message to the next page.
pub(crate) fn flash_cookie(kind: &str, message: &str, secure: bool) -> Option<HeaderValue> {
    let value =
        form_urlencoded::Serializer::new(String::new()).append_pair("k", kind).append_pair("m", message).finish();
    set_cookie(cookie_names(secure).flash, &value, 60, secure)
}

/// The `Set-Cookie` headers that open a session: the token, and a fresh CSRF
/// token so that one seen before signing in is worthless after.
pub(crate) fn sign_in_cookies(token: &str, secure: bool) -> Vec<HeaderValue> {
    let names = cookie_names(secure);
    [
        set_cookie(names.session, token, SESSION_DAYS * 86_400, secure),
        set_cookie(names.csrf, &random_token(), SESSION_DAYS * 86_400, secure),
    ]
    .into_iter()
    .flatten()
    .collect()
}

pub(crate) fn sign_out_cookies(secure: bool) -> Vec<HeaderValue> {
    let names = cookie_names(secure);
    [set_cookie(names.session, "", 0, secure), set_cookie(names.csrf, "", 0, secure)].into_iter().flatten().collect()
}

/// A path on this site that is safe to redirect to: absolute, not
/// protocol-relative (`//evil`), no back-slashes or control characters.
pub fn local_path(candidate: &str) -> Option<String> {
    let ok = candidate.starts_with('/')
        && !candidate.starts_with("//")
        && !candidate.starts_with("/\\")
        && candidate.len() <= 2000
        && !candidate.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| candidate.to_string())
}

/// Whether the request comes from a page of this site: `Origin` when the
/// browser sends it (every current browser does on a POST), else `Referer`.
/// The host compared is the public URL's or the one the request was sent to
/// (which a page on another site cannot choose).
pub(crate) fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let matches = |origin: &str| {
        let origin = origin.trim_end_matches('/');
        if origin == public_url {
            return true;
        }
        let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
        authority.is_some_and(|a| !host.is_empty() && a.eq_ignore_ascii_case(host))
    };
    if let Some(origin) = headers.get(ORIGIN) {
        return origin.to_str().is_ok_and(matches);
    }
    if let Some(referer) = headers.get(REFERER).and_then(|r| r.to_str().ok()) {
        let scheme_end = referer.find("://").map(|i| i + 3).unwrap_or(0);
        let origin_end = referer[scheme_end..].find('/').map(|i| i + scheme_end).unwrap_or(referer.len());
        return matches(&referer[..origin_end]);
    }
    // Neither header: some privacy tools strip both. The token still has to match.
    true
}

async fn session_of(parts: &mut Parts, state: &WebState) -> Arc<Session> {
    let slot = parts.extensions.get::<SessionSlot>().cloned().unwrap_or_default();
    if let Some(s) = slot.0.get() {
        return s.clone();
    }
    let here = parts.uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let session = Arc::new(Session::read(state, &parts.headers, here).await);
    // A concurrent extractor in the same request may have won; either is the same.
    let _ = slot.0.set(session.clone());
    slot.0.get().cloned().unwrap_or(session)
}

impl FromRequestParts<WebState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Self::Rejection> {
        let session = session_of(parts, state).await;
        Ok(Ctx { state: state.clone(), session })
    }
}

/// A form's fields, in order; repeated names (checkboxes) are kept.
#[derive(Debug, Clone, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }
    /// The first value of `name`, if sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    /// The first value of `name`, or empty.
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }
    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
    /// A checkbox: sent (with any value but "0"/"false") means on.
    pub fn checked(&self, name: &str) -> bool {
        self.get(name).is_some_and(|v| !matches!(v, "" | "0" | "false" | "off"))
    }
    /// The `back` field, if it is a path on this site.
    pub fn back(&self) -> Option<String> {
        self.get("back").and_then(local_path)
    }
}

/// A POST from one of our forms: the session, and the fields, after the CSRF
/// token and the origin were checked.
pub struct Post(pub Ctx, pub FormData);

impl FromRequest<WebState> for Post {
    type Rejection = Response;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let ctx = match Ctx::from_request_parts(&mut parts, state).await {
            Ok(ctx) => ctx,
            Err(never) => match never {},
        };
        let origin_ok = same_origin(&parts.headers, &state.site.origin);
        let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
            Ok(b) => b,
            Err(_) => return Err(WebError::BadRequest("The form is too large.".into()).into_response()),
        };
        let form = FormData::parse(&bytes);
        let token_ok = !ctx.session.new_csrf && form.get("csrf").is_some_and(|t| same_secret(t, &ctx.session.csrf));
        if !origin_ok || !token_ok {
            tracing::info!(origin_ok, token_ok, path = %parts.uri.path(), "form refused: CSRF check failed");
            return Err(WebError::Csrf.into_response());
        }
        Ok(Post(ctx, form))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap_or(HeaderValue::from_static("")));
        }
        h
    }

    #[test]
    fn cookies_are_found_among_many() {
        let h = headers(&[("cookie", "a=1; parley_session=abc ; b=2"), ("cookie", "parley_csrf=xyz")]);
        assert_eq!(cookie(&h, "parley_session"), Some("abc"));
        assert_eq!(cookie(&h, "parley_csrf"), Some("xyz"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn session_cookies_are_http_only_lax_and_secure_over_https() {
        let plain = set_cookie("parley_session", "t", 60, false).map(|v| v.to_str().unwrap_or_default().to_string());
        assert_eq!(plain.as_deref(), Some("parley_session=t; Path=/; Max-Age=60; HttpOnly; SameSite=Lax"));
        let secure = sign_in_cookies("t", true);
        let first = secure.first().and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(first.starts_with("__Host-parley_session=t;") && first.ends_with("; Secure"), "{first}");
    }

    #[test]
    fn only_local_paths_are_redirect_targets() {
        assert_eq!(local_path("/@alice/1?x=2#p").as_deref(), Some("/@alice/1?x=2#p"));
        for bad in ["//evil.example/", "/\\evil.example", "https://evil.example/", "", "javascript:alert(1)", "/a\nb"] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn origin_must_be_this_site() {
        let public = "https://parley.example";
        assert!(same_origin(&headers(&[("origin", "https://parley.example")]), public));
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")]), public));
        assert!(!same_origin(&headers(&[("host", "parley.example"), ("origin", "https://evil.example")]), public));
        assert!(!same_origin(&headers(&[("origin", "null")]), public));
        assert!(same_origin(&headers(&[("referer", "https://parley.example/@a/1")]), public));
        assert!(!same_origin(&headers(&[("referer", "https://parley.example.evil/x")]), public));
        assert!(same_origin(&headers(&[]), public));
    }

    #[test]
    fn flash_round_trips_through_its_cookie() {
        let value = flash_cookie("error", "You have already voted; this poll allows one vote.", false);
        let raw = value.as_ref().and_then(|v| v.to_str().ok()).unwrap_or_default();
        let cookie_value = raw.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v).unwrap_or_default();
        assert_eq!(
            parse_flash(cookie_value),
            Some(Flash { kind: "error", message: "You have already voted; this poll allows one vote.".into() })
        );
        assert_eq!(parse_flash("k=notice"), None);
    }

    #[test]
    fn forms_keep_repeated_fields() {
        let f = FormData::parse(b"choices=0&choices=2&text=a+b%26c&multiple=on&back=%2F%2Fevil");
        assert_eq!(f.all("choices"), vec!["0", "2"]);
        assert_eq!(f.text("text"), "a b&c");
        assert!(f.checked("multiple"));
        assert!(!f.checked("hide_totals"));
        assert_eq!(f.back(), None);
    }
}
