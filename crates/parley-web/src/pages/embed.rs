//! Embeds for other sites: the compact embed page (live, or frozen at a
//! signed snapshot), and oEmbed (`GET /api/oembed`) that hands a site the
//! iframe with a plain-text fallback.
//!
//! Embeds are always anonymous: the reader's session cookie (SameSite=Lax)
//! does not reach a page framed by another site, so the embed never reads
//! it, sets no cookie, and can be cached. Voting opens this site in a new
//! window (see `social::vote_elsewhere`).

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::header::{ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_SECURITY_POLICY};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Utc};
use parley_app::AppError;
use parley_app::views::StatusView;
use parley_core::{PollId, StatusId};
use serde::Serialize;

use super::{excerpt, parse_id, query};
use crate::models::{self, PollModel, PollOptions, StatusCard};
use crate::render::{EMBED_CSP, Layout, WebError, WebResult};
use crate::session::FormData;
use crate::{WebState, format};

/// The width an embed is drawn at unless the site asks for less.
const EMBED_WIDTH: u32 = 550;

/// A first guess at a poll's height in an embed (the script then measures).
pub fn poll_height(p: &PollModel) -> u32 {
    let rows = if p.form.is_some() { 48 } else { 52 };
    120 + rows * p.options.len() as u32
}

/// A first guess at an embed's height, before `embed.js` measures it.
pub fn estimated_height(card: &StatusCard) -> u32 {
    let text_len = card.content_html.len() as u32;
    let lines = text_len / 70 + 1;
    150 + lines * 24 + card.poll.as_ref().map(poll_height).unwrap_or(0)
}

/// What an editor chose for an embed (`?view=` and `?theme=` on the embed
/// page and on oEmbed): the standings or the vote form, and its colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EmbedStyle {
    pub view: EmbedView,
    pub theme: EmbedTheme,
}

/// An embedded live poll shows its standings unless the editor asks for the
/// form: an article embeds a poll to show where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmbedView {
    #[default]
    Results,
    Vote,
}

/// Light by default: most articles are white whatever the reader's system
/// says, and a frame whose colour scheme differs from its page's is painted
/// opaque by browsers. `auto` follows the reader's system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmbedTheme {
    #[default]
    Light,
    Dark,
    Auto,
}

impl EmbedStyle {
    /// Reads `view` and `theme`; an unknown value is an error naming the
    /// accepted ones, never quietly the default.
    pub fn from_query(q: &FormData) -> Result<EmbedStyle, String> {
        let view = match q.get("view") {
            None | Some("results") => EmbedView::Results,
            Some("vote") => EmbedView::Vote,
            Some(_) => return Err("view must be results or vote.".into()),
        };
        let theme = match q.get("theme") {
            None | Some("light") => EmbedTheme::Light,
            Some("dark") => EmbedTheme::Dark,
            Some("auto") => EmbedTheme::Auto,
            Some(_) => return Err("theme must be light, dark or auto.".into()),
        };
        Ok(EmbedStyle { view, theme })
    }

    /// The class on the embed's `<html>`, which picks the colours (parley.css).
    pub fn theme_class(&self) -> &'static str {
        match self.theme {
            EmbedTheme::Light => "theme-light",
            EmbedTheme::Dark => "theme-dark",
            EmbedTheme::Auto => "theme-auto",
        }
    }

    /// The `color-scheme` the embed declares: the same as its colours, so a
    /// light frame on a light article stays transparent.
    pub fn color_scheme(&self) -> &'static str {
        match self.theme {
            EmbedTheme::Light => "light",
            EmbedTheme::Dark => "dark",
            EmbedTheme::Auto => "light dark",
        }
    }

    /// How the embed's poll is drawn: the form only in the vote view.
    pub fn poll_options(&self) -> PollOptions {
        PollOptions { embed: true, results: self.view == EmbedView::Results, ..Default::default() }
    }

    /// The query parameters that say this style, defaults left out.
    fn params(&self) -> Vec<(&'static str, &'static str)> {
        let mut params = Vec::new();
        if self.view == EmbedView::Vote {
            params.push(("view", "vote"));
        }
        match self.theme {
            EmbedTheme::Light => {}
            EmbedTheme::Dark => params.push(("theme", "dark")),
            EmbedTheme::Auto => params.push(("theme", "auto")),
        }
        params
    }

    /// `url` (which may have a query already) with this style's parameters.
    pub fn apply(&self, url: &str) -> String {
        let mut out = url.to_string();
        for (name, value) in self.params() {
            out.push(if out.contains('?') { '&' } else { '?' });
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
        out
    }
}

#[derive(Template)]
#[template(path = "embed.html")]
pub struct EmbedPage {
    pub l: Layout,
    pub style: EmbedStyle,
    /// Showing a signed snapshot: drawn unmistakably unlike the live embed.
    pub frozen: bool,
    pub origin: String,
    pub canonical: String,
    pub card: Option<StatusCard>,
    pub snapshot_error: Option<String>,
    pub history_url: Option<String>,
}

/// The status an embed shows, for anonymous readers.
async fn embedded(state: &WebState, username: &str, id: StatusId) -> Result<StatusView, WebError> {
    let view = state.services.statuses.get(None, id).await?;
    let original = match view.reblog {
        Some(original) => *original,
        None => view,
    };
    if !original.account.username.eq_ignore_ascii_case(username) {
        return Err(WebError::NotFound);
    }
    Ok(original)
}

fn parse_time(raw: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(raw).ok().map(|t| t.with_timezone(&Utc))
}

/// The poll as the signed snapshot at `raw` (an `as_of` time) shows it, and
/// that time. A snapshot that cannot be taken for a reason a reader can be
/// told (no valid time, totals hidden then, a time to come) is the inner
/// `Err` with that reason: a frozen embed is never quietly the live tally.
/// A failure inside is the outer error.
async fn frozen_poll(
    state: &WebState,
    view: &StatusView,
    poll_id: PollId,
    raw: &str,
) -> WebResult<Result<(PollModel, DateTime<Utc>), String>> {
    let Some(at) = parse_time(raw) else {
        return Ok(Err("The time of this snapshot is not a valid date and time.".to_string()));
    };
    match state.services.snapshots.snapshot(None, poll_id, at).await {
        Ok(doc) => Ok(models::frozen(&state.site, &doc, &view.account.username, true)
            .map(|p| (p, at))
            .ok_or_else(|| "The snapshot could not be read.".to_string())),
        Err(e @ (AppError::Forbidden(_) | AppError::Validation(_))) => Ok(Err(crate::render::readable(&e))),
        Err(e) => Err(e.into()),
    }
}

/// `GET /@username/:id/embed[?as_of=RFC3339]`: the compact page for an iframe.
/// With `as_of`, the poll shows the signed snapshot of that moment.
pub async fn page(
    State(state): State<WebState>,
    uri: Uri,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> WebResult<Response> {
    let (handle, raw_id) = path.map(|Path(p)| p).unwrap_or_default();
    let Some(username) = handle.strip_prefix('@') else {
        return Ok(crate::not_found_for(&state, &uri, &headers).await);
    };
    let id: StatusId = parse_id(&raw_id)?;
    let q = query(&uri);
    let style = EmbedStyle::from_query(&q).map_err(WebError::BadRequest)?;
    let view = embedded(&state, username, id).await?;
    let site = &state.site;
    let mut card = models::card(site, &view, None, Utc::now(), &style.poll_options());
    let mut snapshot_error = None;
    let frozen = q.get("as_of").is_some();
    if let (Some(raw), Some(poll_id)) = (q.get("as_of"), view.status.poll_id) {
        match frozen_poll(&state, &view, poll_id, raw).await? {
            Ok((p, _)) => card.poll = Some(p),
            Err(message) => {
                card.poll = None;
                snapshot_error = Some(message);
            }
        }
    }
    let canonical = format!("{}{}", site.origin, card.path);
    let history_url = card.poll.as_ref().filter(|p| !p.hidden).map(|p| format!("{}{}", site.origin, p.history_path));
    let page = EmbedPage {
        l: Layout::anonymous(&state, format!("{} on {}", card.author.display_name, state.services.settings().title)),
        style,
        frozen: card.poll.as_ref().is_some_and(|p| p.frozen.is_some()),
        origin: site.origin.clone(),
        canonical,
        card: Some(card),
        snapshot_error,
        history_url,
    };
    let mut response = Html(page.render()?).into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(EMBED_CSP));
    // A frozen embed never changes; a live one updates itself once loaded.
    let cache = if frozen { "public, max-age=86400" } else { "public, max-age=60" };
    h.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

/// oEmbed's `rich` answer (https://oembed.com/ §2.3.4).
#[derive(Serialize)]
pub struct OEmbed {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub version: &'static str,
    pub title: String,
    pub author_name: String,
    pub author_url: String,
    pub provider_name: String,
    pub provider_url: String,
    pub cache_age: u32,
    pub html: String,
    pub width: u32,
    pub height: u32,
}

/// The code a site pastes to embed a status: a quotation of it (its text,
/// the tally in words, who said it and when) that `embed.js` replaces with
/// the live iframe. Where the script is stripped or readers have JavaScript
/// off, the quotation is what shows, once.
#[derive(Template)]
#[template(path = "embed_code.html")]
struct EmbedCodeHtml<'a> {
    embed_url: &'a str,
    status_url: &'a str,
    script_url: &'a str,
    title: &'a str,
    width: u32,
    height: u32,
    text: &'a str,
    tally: Option<String>,
    author_name: &'a str,
    acct: &'a str,
    organisation: Option<&'a str>,
    date: String,
}

/// The iframe alone, for sites that accept an iframe but strip scripts: it
/// keeps the height given here.
#[derive(Template)]
#[template(path = "embed_iframe.html")]
struct EmbedIframeHtml<'a> {
    embed_url: &'a str,
    title: &'a str,
    width: u32,
    height: u32,
}

/// Both forms of a status's embed code, and what they were made from.
pub struct EmbedCode {
    /// The quotation and the script (oEmbed's `html`).
    pub snippet: String,
    /// The iframe alone.
    pub iframe: String,
    pub title: String,
    pub width: u32,
    pub height: u32,
}

/// The embed code of `card` (whose poll may be a frozen one) at `embed_url`.
/// `size` is a site's `(maxwidth, maxheight)`, when it gave them.
pub fn embed_code(
    state: &WebState,
    view: &StatusView,
    card: &StatusCard,
    embed_url: &str,
    size: (Option<u32>, Option<u32>),
) -> Result<EmbedCode, askama::Error> {
    let site = &state.site;
    let width = size.0.map_or(EMBED_WIDTH, |w| w.min(EMBED_WIDTH));
    let height = size.1.map_or(estimated_height(card), |h| h.min(estimated_height(card)));
    let title = format!(
        "{} on {}: “{}”",
        card.author.display_name,
        state.services.settings().title,
        excerpt(&view.status.text, 80)
    );
    let status_url = format!("{}{}", site.origin, card.path);
    let snippet = EmbedCodeHtml {
        embed_url,
        status_url: &status_url,
        script_url: &format!("{}/embed.js", site.origin),
        title: &title,
        width,
        height,
        text: &view.status.text,
        tally: card.poll.as_ref().map(PollModel::in_words),
        author_name: &card.author.display_name,
        acct: &card.author.acct,
        organisation: card.author.organisation.as_deref(),
        date: format::long_datetime(view.status.created_at),
    }
    .render()?;
    let iframe = EmbedIframeHtml { embed_url, title: &title, width, height }.render()?;
    Ok(EmbedCode { snippet, iframe, title, width, height })
}

/// What an oEmbed `url` names: a status, and perhaps a snapshot time.
#[derive(Debug, PartialEq, Eq)]
pub struct EmbedTarget {
    pub username: String,
    pub id: StatusId,
    pub as_of: Option<String>,
}

/// Reads a status URL of this site: `{origin}/@user/ID`, optionally with
/// `/embed` and `?as_of=`.
pub fn parse_target(origin: &str, url: &str) -> Option<EmbedTarget> {
    let rest = url.strip_prefix(origin)?;
    let (path, query_string) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.split('#').next()?.trim_end_matches('/');
    let mut parts = path.strip_prefix("/@")?.split('/');
    let username = parts.next().filter(|u| !u.is_empty())?.to_string();
    let id = parts.next()?.parse().ok()?;
    match parts.next() {
        None | Some("embed") => {}
        Some(_) => return None,
    }
    if parts.next().is_some() {
        return None;
    }
    let as_of =
        form_urlencoded::parse(query_string.as_bytes()).find(|(k, _)| k == "as_of").map(|(_, v)| v.into_owned());
    Some(EmbedTarget { username, id, as_of })
}

fn plain_status(status: StatusCode, message: &str) -> Response {
    (status, [(ACCESS_CONTROL_ALLOW_ORIGIN, "*")], message.to_string()).into_response()
}

/// `GET /api/oembed?url=…[&maxwidth=][&maxheight=][&format=json]`
pub async fn oembed(State(state): State<WebState>, uri: Uri) -> WebResult<Response> {
    let q = query(&uri);
    if q.get("format").is_some_and(|f| f != "json") {
        return Ok(plain_status(StatusCode::NOT_IMPLEMENTED, "Only format=json is supported"));
    }
    let Some(url) = q.get("url") else {
        return Ok(plain_status(StatusCode::BAD_REQUEST, "The url parameter is required"));
    };
    let site = &state.site;
    let style = match EmbedStyle::from_query(&q) {
        Ok(style) => style,
        Err(message) => return Ok(plain_status(StatusCode::BAD_REQUEST, &message)),
    };
    let Some(target) = parse_target(&site.origin, url) else {
        return Ok(plain_status(StatusCode::NOT_FOUND, "Not a post on this server"));
    };
    let view = match embedded(&state, &target.username, target.id).await {
        Ok(v) => v,
        Err(WebError::NotFound) => return Ok(plain_status(StatusCode::NOT_FOUND, "Not a public post on this server")),
        Err(e) => return Err(e),
    };
    let mut card = models::card(site, &view, None, Utc::now(), &style.poll_options());
    let mut embed_url = format!("{}{}/embed", site.origin, card.path);
    if let (Some(raw), Some(poll_id)) = (target.as_of.as_deref(), view.status.poll_id) {
        // A site that asked for the tally of a moment must not be handed the
        // live one (nor its fallback text) in its place.
        match frozen_poll(&state, &view, poll_id, raw).await? {
            Ok((frozen, at)) => {
                card.poll = Some(frozen);
                let at = form_urlencoded::byte_serialize(format::iso_millis(at).as_bytes()).collect::<String>();
                embed_url = format!("{embed_url}?as_of={at}");
            }
            Err(reason) => return Ok(plain_status(StatusCode::UNPROCESSABLE_ENTITY, &reason)),
        }
    }
    let embed_url = style.apply(&embed_url);
    let dimension = |name: &str| q.get(name).and_then(|v| v.parse::<u32>().ok()).filter(|v| *v > 0);
    let code = embed_code(&state, &view, &card, &embed_url, (dimension("maxwidth"), dimension("maxheight")))?;
    let provider_name = state.services.settings().title.clone();
    let body = OEmbed {
        kind: "rich",
        version: "1.0",
        title: code.title,
        author_name: card.author.display_name.clone(),
        author_url: format!("{}{}", site.origin, card.author.path),
        provider_name,
        provider_url: format!("{}/", site.origin),
        cache_age: 300,
        html: code.snippet,
        width: code.width,
        height: code.height,
    };
    let mut response = axum::Json(body).into_response();
    let h = response.headers_mut();
    h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oembed_urls_name_statuses_of_this_site_only() {
        let o = "https://parley.example";
        let t = |u: &str| parse_target(o, u);
        assert_eq!(
            t("https://parley.example/@RusEmbUSA/123"),
            Some(EmbedTarget { username: "RusEmbUSA".into(), id: StatusId(123), as_of: None })
        );
        assert_eq!(
            t("https://parley.example/@a/123/embed?as_of=2018-03-27T18%3A00%3A00Z").and_then(|t| t.as_of),
            Some("2018-03-27T18:00:00Z".into())
        );
        assert!(t("https://parley.example/@a/123/").is_some());
        for bad in [
            "https://evil.example/@a/123",
            "https://parley.example.evil/@a/123",
            "https://parley.example/a/123",
            "https://parley.example/@a/abc",
            "https://parley.example/@a/123/history",
            "https://parley.example/@a",
            "https://parley.example/@/1",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }
}
