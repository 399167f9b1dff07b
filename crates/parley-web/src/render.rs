//! Rendering pages, the errors handlers return, and the headers every web
//! response carries (framing denied everywhere but the embed page).

use askama::Template;
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, LOCATION, REFERRER_POLICY, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use parley_app::AppError;

use crate::models::{AuthorModel, author};
use crate::session::{Ctx, Flash, Session, SessionSlot, flash_cookie};
use crate::{Site, WebState};

/// The policy of every page: only this site's own styles, scripts and
/// images; forms post only here; never framed.
pub const PAGE_CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; \
                            form-action 'self'; frame-ancestors 'none'";
/// The embed page's policy: the same, but any site may frame it.
pub const EMBED_CSP: &str = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; \
                             form-action 'self'; frame-ancestors *";

/// What every page's frame shows: the site, who is signed in, the CSRF
/// token for its forms, a message from the previous request.
pub struct Layout {
    pub site: String,
    pub me: Option<AuthorModel>,
    pub csrf: String,
    pub flash: Option<Flash>,
    /// This page's path and query, for "back" after a form.
    pub here: String,
    /// Which navigation entry is current.
    pub nav: &'static str,
    pub title: String,
    /// Appended to asset URLs so that a new build is fetched anew.
    pub v: &'static str,
    pub registrations_open: bool,
    /// Unread notifications, for the header: "", "3", "99+".
    pub unread: String,
}

impl Layout {
    pub fn new(ctx: &Ctx, nav: &'static str, title: impl Into<String>) -> Layout {
        layout_for(&ctx.state, &ctx.session, nav, title.into())
    }

    /// A frame for a page that never reads the session (the embed).
    pub fn anonymous(state: &WebState, title: impl Into<String>) -> Layout {
        let settings = state.services.settings();
        Layout {
            site: settings.title.clone(),
            me: None,
            csrf: String::new(),
            flash: None,
            here: String::new(),
            nav: "",
            title: title.into(),
            v: state.site.asset_version,
            registrations_open: settings.registrations != parley_app::RegistrationsMode::Closed,
            unread: String::new(),
        }
    }
}

fn layout_for(state: &WebState, session: &Session, nav: &'static str, title: String) -> Layout {
    let settings = state.services.settings();
    Layout {
        site: settings.title.clone(),
        me: session.me.as_ref().map(|a| author(&state.site, a)),
        csrf: session.csrf.clone(),
        flash: session.flash.clone(),
        here: session.here.clone(),
        nav,
        title,
        v: state.site.asset_version,
        registrations_open: settings.registrations != parley_app::RegistrationsMode::Closed,
        unread: unread_text(session.unread),
    }
}

/// The header's unread count: nothing for none, "99+" past what is counted.
pub fn unread_text(n: usize) -> String {
    match n {
        0 => String::new(),
        n if n >= crate::session::UNREAD_COUNTED => format!("{}+", crate::session::UNREAD_COUNTED - 1),
        n => n.to_string(),
    }
}

/// Why a page cannot be shown. The web middleware turns each into a page
/// (or a redirect), with the signed-in header when there is one.
#[derive(Debug, Clone)]
pub enum WebError {
    /// 404: missing, or not visible to this viewer (the same answer).
    NotFound,
    /// 403 with a sentence saying why.
    Forbidden(String),
    /// 400 or 422: the request broke a rule; the sentence says which.
    BadRequest(String),
    /// 403: the form did not come from our page, or its token expired.
    Csrf,
    /// Not signed in: to the sign-in page, then back to this path.
    SignInRequired(String),
    /// 500; the detail is logged, never shown.
    Internal(String),
}

impl From<AppError> for WebError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => WebError::NotFound,
            AppError::InvalidToken | AppError::UserRequired => WebError::SignInRequired("/".into()),
            AppError::Internal(detail) => WebError::Internal(detail),
            AppError::Validation(_) | AppError::FieldValidation { .. } | AppError::BadRequest(_) => {
                WebError::BadRequest(readable(&e))
            }
            other => WebError::Forbidden(readable(&other)),
        }
    }
}

impl From<askama::Error> for WebError {
    fn from(e: askama::Error) -> Self {
        WebError::Internal(format!("template: {e}"))
    }
}

/// An error's message without Mastodon's "Validation failed: " prefix, which
/// reads oddly on a page.
pub fn readable(e: &AppError) -> String {
    let text = e.to_string();
    let text = text.strip_prefix("Validation failed: ").unwrap_or(&text);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>().trim_end_matches('.').to_string() + ".",
        None => String::new(),
    }
}

/// Carried by an error response until the middleware renders it.
#[derive(Clone)]
struct ErrorPage(WebError);

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
        response.extensions_mut().insert(ErrorPage(self));
        response
    }
}

pub type WebResult<T = Response> = Result<T, WebError>;

/// A rendered page with a status.
pub fn page(status: StatusCode, template: &impl Template) -> WebResult {
    Ok((status, Html(template.render()?)).into_response())
}

pub fn ok(template: &impl Template) -> WebResult {
    page(StatusCode::OK, template)
}

/// 303 to a path on this site.
pub fn see_other(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// 303 with a message for the next page.
pub fn see_other_with(site: &Site, to: &str, kind: &str, message: &str) -> Response {
    let mut r = see_other(to);
    if let Some(c) = flash_cookie(kind, message, site.secure) {
        r.headers_mut().append(SET_COOKIE, c);
    }
    r
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorTemplate {
    l: Layout,
    heading: String,
    message: String,
    status: u16,
}

fn error_response(state: &WebState, session: &Session, error: WebError) -> Response {
    let (status, heading, message) = match error {
        WebError::NotFound => (
            StatusCode::NOT_FOUND,
            "Page not found",
            "This page does not exist, or it is not public. If someone gave you this link, they may need to share it again.".to_string(),
        ),
        WebError::Forbidden(m) => (StatusCode::FORBIDDEN, "Not allowed", m),
        WebError::BadRequest(m) => (StatusCode::UNPROCESSABLE_ENTITY, "That did not work", m),
        WebError::Csrf => (
            StatusCode::FORBIDDEN,
            "This form has expired",
            "For your safety, the form could not be accepted. Go back, reload the page and try again.".to_string(),
        ),
        WebError::SignInRequired(back) => {
            let next = form_urlencoded::byte_serialize(back.as_bytes()).collect::<String>();
            return see_other_with(
                &state.site,
                &format!("/auth/sign_in?next={next}"),
                "notice",
                "Sign in to continue.",
            );
        }
        WebError::Internal(detail) => {
            tracing::error!(%detail, "web page failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The server could not show this page. Please try again in a moment.".to_string(),
            )
        }
    };
    let page = ErrorTemplate {
        l: layout_for(state, session, "", heading.to_string()),
        heading: heading.to_string(),
        message,
        status: status.as_u16(),
    };
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "error page failed");
            (status, heading.to_string()).into_response()
        }
    }
}

/// Sets the headers every web response carries; leaves a policy that a
/// handler chose (the embed page's) alone.
pub fn security_headers(response: &mut Response) {
    let h = response.headers_mut();
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP));
        h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !h.contains_key(CACHE_CONTROL) {
        // Pages carry a CSRF token and the viewer's own view.
        h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    }
}

/// The web middleware: gives handlers a session slot, renders the errors
/// they return, sets the cookies the session needs and the security headers.
pub async fn web_layer(State(state): State<WebState>, mut request: Request, next: Next) -> Response {
    let slot = SessionSlot::default();
    request.extensions_mut().insert(slot.clone());
    let headers = request.headers().clone();
    let here = request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_else(|| "/".into());
    let mut response = next.run(request).await;
    if let Some(ErrorPage(error)) = response.extensions_mut().remove::<ErrorPage>() {
        let session = match slot.0.get() {
            Some(s) => s.clone(),
            None => std::sync::Arc::new(Session::read(&state, &headers, here).await),
        };
        response = error_response(&state, &session, error);
        session.cookies_for(&mut response, state.site.secure);
    } else if let Some(session) = slot.0.get() {
        session.cookies_for(&mut response, state.site.secure);
    }
    security_headers(&mut response);
    response
}

/// The HTML 404 for a path nobody serves (see [`crate::not_found_page`]).
pub(crate) async fn not_found_response(state: &WebState, headers: &axum::http::HeaderMap, here: String) -> Response {
    let session = Session::read(state, headers, here).await;
    let mut response = error_response(state, &session, WebError::NotFound);
    session.cookies_for(&mut response, state.site.secure);
    security_headers(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_sentences() {
        assert_eq!(
            readable(&AppError::validation("Validation failed: You have already voted on this poll")),
            "You have already voted on this poll."
        );
        assert_eq!(
            readable(&AppError::Forbidden("Invalid e-mail address, username or password.".into())),
            "Invalid e-mail address, username or password."
        );
    }
}
