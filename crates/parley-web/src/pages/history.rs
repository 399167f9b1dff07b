//! A poll's history (the tally over time, as a chart and a table, with the
//! CSV beside it) and its citation page (a signed snapshot of the tally now).

use askama::Template;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::Uri;
use chrono::{DateTime, SubsecRound, Utc};
use parley_app::views::StatusView;
use parley_core::{PollId, StatusId};

use super::embed::EmbedStyle;
use super::{excerpt, parse_id, query};
use crate::chart::{self, Chart, Row};
use crate::format;
use crate::models::{self, AuthorModel, PollModel};
use crate::render::{Layout, WebError, WebResult, ok};
use crate::session::Ctx;

/// Points on the chart at most (the bucket width follows from it).
const CHART_POINTS: i64 = 120;

/// The status at `/@username/:id/...` and its poll, as the viewer may see them.
async fn poll_status(
    ctx: &Ctx,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(StatusView, PollId), WebError> {
    let Ok(Path((handle, raw_id))) = path else { return Err(WebError::NotFound) };
    let username = handle.strip_prefix('@').ok_or(WebError::NotFound)?;
    let id: StatusId = parse_id(&raw_id)?;
    let view = ctx.services().statuses.get(ctx.viewer(), id).await?;
    if view.reblog.is_some() || !view.account.username.eq_ignore_ascii_case(username) {
        return Err(WebError::NotFound);
    }
    let poll_id = view.status.poll_id.ok_or(WebError::NotFound)?;
    Ok((view, poll_id))
}

const HIDDEN: &str = "The author chose to hide the results of this poll until it ends.";

#[derive(Template)]
#[template(path = "history.html")]
pub struct HistoryPage {
    pub l: Layout,
    pub author: AuthorModel,
    pub question: String,
    pub status_path: String,
    pub history_path: String,
    pub opened: String,
    pub closing: String,
    pub share: bool,
    /// `Votes over time` or `Share of the votes over time`.
    pub title: &'static str,
    /// The same chart for a desktop column and for a phone (see `chart::Frame`).
    pub charts: [(&'static str, Chart); 2],
    pub titles: Vec<String>,
    pub rows: Vec<Row>,
    pub interval_text: String,
    pub csv_url: String,
    pub json_url: String,
}

/// `GET /@username/:id/history[?view=share]`
pub async fn page(ctx: Ctx, uri: Uri, path: Result<Path<(String, String)>, PathRejection>) -> WebResult {
    let (view, poll_id) = poll_status(&ctx, path).await?;
    let services = ctx.services();
    let live = services.polls.get(ctx.viewer(), poll_id).await?;
    if live.option_votes.is_none() {
        return Err(WebError::Forbidden(HIDDEN.into()));
    }
    let poll = &live.poll;
    let now = Utc::now();
    let end = poll.expires_at.min(now);
    let interval = chart::interval_for((end - poll.created_at).num_seconds(), CHART_POINTS);
    let history = services.polls.history(ctx.viewer(), poll_id, interval).await?;
    let share = query(&uri).get("view") == Some("share");
    let status_path = format!("/@{}/{}", view.account.username, view.status.id);
    let api = format!("/api/v1/parley/polls/{poll_id}/history?interval={interval}");
    let closing = if live.expired {
        format!("Ended {}", format::long_datetime(poll.expires_at))
    } else {
        format!(
            "Ends {} ({})",
            format::long_datetime(poll.expires_at),
            format::time_left(poll.expires_at, now).to_lowercase()
        )
    };
    ok(&HistoryPage {
        l: Layout::new(&ctx, "", chart::title(share)),
        author: models::author(&ctx.state.site, &view.account),
        // The whole question: a history is read and quoted for what was asked.
        question: view.status.text.split_whitespace().collect::<Vec<_>>().join(" "),
        history_path: format!("{status_path}/history"),
        status_path,
        opened: format::long_datetime(poll.created_at),
        closing,
        share,
        title: chart::title(share),
        charts: [
            ("chart-wide", chart::draw(&history, end, share, chart::WIDE)),
            ("chart-narrow", chart::draw(&history, end, share, chart::NARROW)),
        ],
        titles: poll.options.clone(),
        rows: chart::rows(&history, end),
        interval_text: chart::interval_words(interval).replace('-', " "),
        csv_url: format!("{api}&format=csv"),
        json_url: api,
    })
}

#[derive(Template)]
#[template(path = "cite.html")]
pub struct CitePage {
    pub l: Layout,
    pub author: AuthorModel,
    /// The status's text in full: the question being cited.
    pub question: String,
    pub posted: String,
    /// When the poll ended, once it has.
    pub ended: Option<String>,
    pub p: PollModel,
    pub status_path: String,
    pub as_of_long: String,
    pub snapshot_url: String,
    pub citation: String,
    pub embed_code: String,
    pub embed_path: String,
    pub public_key: String,
    pub key_url: String,
}

/// `GET /@username/:id/cite[?at=RFC3339]`: the tally now (or at `at`),
/// signed, with the question, who asked it, the link to quote and the frozen
/// embed. Once the poll has ended nothing changes any more: the citation is
/// of the final results at the poll's end, whatever later moment was asked.
pub async fn cite(ctx: Ctx, uri: Uri, path: Result<Path<(String, String)>, PathRejection>) -> WebResult {
    let (view, poll_id) = poll_status(&ctx, path).await?;
    let poll = ctx.services().polls.get(ctx.viewer(), poll_id).await?;
    let requested = match query(&uri).get("at") {
        Some(raw) => DateTime::parse_from_rfc3339(raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| WebError::BadRequest("The time to cite is not a valid date and time.".into()))?,
        // Milliseconds, as snapshot links carry them: a vote cast a moment
        // ago, in the same second, is in.
        None => Utc::now().trunc_subsecs(3),
    };
    let at = if poll.expired { requested.min(end_millis(poll.poll.expires_at)) } else { requested };
    let site = &ctx.state.site;
    let snapshot = match ctx.services().snapshots.snapshot(ctx.viewer(), poll_id, at).await {
        Ok(s) => s,
        Err(parley_app::AppError::Forbidden(_)) => return Err(WebError::Forbidden(HIDDEN.into())),
        Err(e) => return Err(e.into()),
    };
    let p = models::frozen(site, &snapshot, &view.account.username, false)
        .ok_or_else(|| WebError::Internal("the snapshot has an unexpected shape".into()))?;
    let status_path = p.status_path.clone();
    let at_text = format::iso_millis(at);
    let snapshot_url = p.frozen.as_ref().map(|f| f.snapshot_url.clone()).unwrap_or_default();
    let embed_path = format!("{status_path}/embed?as_of={at_text}");
    // The frozen embed's code: the status as anyone sees it, with this poll.
    let mut card = models::card(site, &view, None, Utc::now(), &EmbedStyle::default().poll_options());
    card.poll = Some(p.clone());
    let embed_code =
        super::embed::embed_code(&ctx.state, &view, &card, &format!("{}{embed_path}", site.origin), (None, None))?
            .snippet;
    let author = models::author(site, &view.account);
    let citation = format!(
        "{} (@{}), poll on {}, {}: \u{201c}{}\u{201d} {} Signed snapshot: {}",
        author.display_name,
        author.acct,
        ctx.services().settings().title,
        format::long_datetime(view.status.created_at),
        excerpt(&view.status.text, 280),
        p.in_words(),
        snapshot_url
    );
    // Our own document: a citation without the key that checks it is a bug, not a blank.
    let public_key = snapshot
        .get("signature")
        .and_then(|s| s.get("public_key"))
        .and_then(|k| k.as_str())
        .ok_or_else(|| WebError::Internal("the snapshot has no public key".into()))?
        .to_string();
    ok(&CitePage {
        l: Layout::new(&ctx, "", "Cite this result"),
        author,
        question: view.status.text.split_whitespace().collect::<Vec<_>>().join(" "),
        posted: format::long_datetime(view.status.created_at),
        ended: poll.expired.then(|| format::long_datetime(poll.poll.expires_at)),
        as_of_long: p.as_of_long.clone(),
        embed_code,
        embed_path,
        key_url: format!("{}/.well-known/parley/snapshot-keys", site.origin),
        status_path,
        snapshot_url,
        citation,
        public_key,
        p,
    })
}

/// A poll's end in whole milliseconds (as snapshot times are written),
/// rounded up so that the moment is not before the end.
fn end_millis(expires_at: DateTime<Utc>) -> DateTime<Utc> {
    let cut = expires_at.trunc_subsecs(3);
    if cut < expires_at { cut + chrono::Duration::milliseconds(1) } else { cut }
}
