//! The pages, one module per area: public reading, composing, acting on
//! statuses and accounts, the account's own pages, poll history and
//! citations, embeds.

pub mod about;
pub mod account;
pub mod compose;
pub mod embed;
pub mod history;
pub mod public;
pub mod social;

use axum::http::Uri;
use chrono::Utc;
use parley_app::views::StatusView;
use parley_core::page::PageRequest;

use crate::models::{self, PollOptions, StatusCard};
use crate::render::WebError;
use crate::session::{Ctx, FormData};

/// Statuses per page of a timeline.
pub const PAGE_SIZE: usize = 20;

/// An ID from the path; anything that is not one names nothing.
pub fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, WebError> {
    raw.parse::<T>().map_err(|_| WebError::NotFound)
}

/// The query string's fields.
pub fn query(uri: &Uri) -> FormData {
    FormData::parse(uri.query().unwrap_or_default().as_bytes())
}

fn cursor(q: &FormData, name: &str) -> Option<i64> {
    q.get(name).and_then(|v| v.parse::<i64>().ok()).filter(|v| *v > 0)
}

/// `?max_id=` (older) or `?min_id=` (newer); a malformed cursor is ignored.
pub fn page_request(q: &FormData) -> PageRequest {
    PageRequest::new(cursor(q, "max_id"), None, cursor(q, "min_id"), Some(PAGE_SIZE as i64), PAGE_SIZE, PAGE_SIZE)
}

/// Links to the older and newer pages around `views` (newest first) at `base`.
/// `base` is a path; the cursor is added with `?` or `&`.
pub fn pager(base: &str, views: &[StatusView], page: &PageRequest) -> (Option<String>, Option<String>) {
    let sep = if base.contains('?') { '&' } else { '?' };
    let older = (views.len() >= page.limit)
        .then(|| views.last())
        .flatten()
        .map(|v| format!("{base}{sep}max_id={}", v.status.id));
    let newer = (page.max_id.is_some() || page.min_id.is_some())
        .then(|| views.first())
        .flatten()
        .map(|v| format!("{base}{sep}min_id={}", v.status.id));
    (older, newer)
}

/// Cards for a list of views, as the signed-in viewer sees them.
pub fn cards(ctx: &Ctx, views: &[StatusView]) -> Vec<StatusCard> {
    let now = Utc::now();
    views.iter().map(|v| models::card(&ctx.state.site, v, ctx.viewer(), now, &PollOptions::default())).collect()
}

/// A plain-text excerpt of a status for titles and descriptions.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_at_words() {
        assert_eq!(excerpt("short  text\nhere", 50), "short text here");
        assert_eq!(excerpt("What US Consulate General would you close in Russia", 30), "What US Consulate General…");
    }

    #[test]
    fn cursors_are_read_leniently() {
        let q = FormData::parse(b"max_id=abc&min_id=12");
        let p = page_request(&q);
        assert_eq!((p.max_id, p.min_id, p.limit), (None, Some(12), PAGE_SIZE));
    }
}
