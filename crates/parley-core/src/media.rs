//! Media attachments: the domain type and the pure rules about them (sizes
//! kept, the focal point, how many a status carries, description length).
//! Decoding and storing files is `parley-app`'s and `parley-store`'s.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::{AccountId, MediaId, StatusId};

/// Attachments one status may carry (Mastodon's `max_media_attachments`).
pub const MAX_ATTACHMENTS: usize = 4;
/// Longest description (alt text), in characters (Mastodon's).
pub const MAX_DESCRIPTION_CHARS: usize = 1_500;
/// The largest original kept, as an area: Mastodon's 3840×2160.
pub const MAX_IMAGE_PIXELS: u64 = 3840 * 2160;
/// The `small` preview's area: Mastodon's 640×360.
pub const PREVIEW_PIXELS: u64 = 640 * 360;

/// What kind of file an attachment is (Mastodon's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Image,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "image" => Some(MediaKind::Image),
            _ => None,
        }
    }
}

/// One stored file of an attachment: its name in the file store (a content
/// hash with the extension of its type) and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaFile {
    pub name: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size: u64,
}

/// An uploaded file, attached to a status or not yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaAttachment {
    pub id: MediaId,
    pub account_id: AccountId,
    /// `None` until a status is posted with it.
    pub status_id: Option<StatusId>,
    pub kind: MediaKind,
    pub original: MediaFile,
    pub small: MediaFile,
    pub description: Option<String>,
    /// The focal point, each in -1…1 (Mastodon's `meta.focus`).
    pub focus: Option<(f64, f64)>,
    pub blurhash: String,
    pub created_at: DateTime<Utc>,
}

/// Why a focal point or description is refused (each a 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MediaRuleError {
    #[error("Validation failed: Focus must be two numbers between -1.0 and 1.0, as \"x,y\"")]
    BadFocus,
    #[error("Validation failed: Description is too long (maximum is 1500 characters)")]
    DescriptionTooLong,
}

/// Reads a focal point "x,y" with each in -1…1; an empty string is none.
pub fn parse_focus(raw: &str) -> Result<Option<(f64, f64)>, MediaRuleError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let (x, y) = raw.split_once(',').ok_or(MediaRuleError::BadFocus)?;
    let read = |v: &str| {
        v.trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite() && (-1.0..=1.0).contains(n))
            .ok_or(MediaRuleError::BadFocus)
    };
    Ok(Some((read(x)?, read(y)?)))
}

/// A description as stored: trimmed, empty is none, at most [`MAX_DESCRIPTION_CHARS`].
pub fn check_description(raw: Option<&str>) -> Result<Option<String>, MediaRuleError> {
    match raw.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(None),
        Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => Err(MediaRuleError::DescriptionTooLong),
        Some(d) => Ok(Some(d.to_string())),
    }
}

/// The size an image of `width`×`height` is scaled down to so its area is at
/// most `max_pixels`, keeping its aspect (never scaled up), as Mastodon's
/// Paperclip `"#{pixels}@"` geometry does.
pub fn fit_area(width: u32, height: u32, max_pixels: u64) -> (u32, u32) {
    let area = u64::from(width) * u64::from(height);
    if area <= max_pixels || area == 0 {
        return (width, height);
    }
    let scale = (max_pixels as f64 / area as f64).sqrt();
    let w = ((f64::from(width) * scale).floor() as u32).max(1);
    let h = ((f64::from(height) * scale).floor() as u32).max(1);
    (w, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focus_is_two_numbers_in_range() {
        assert_eq!(parse_focus("0.5,-0.25"), Ok(Some((0.5, -0.25))));
        assert_eq!(parse_focus(" -1 , 1 "), Ok(Some((-1.0, 1.0))));
        assert_eq!(parse_focus(""), Ok(None));
        for bad in ["1.5,0", "0", "a,b", "0,NaN", "0,0,0", "inf,0"] {
            assert_eq!(parse_focus(bad), Err(MediaRuleError::BadFocus), "{bad}");
        }
    }

    #[test]
    fn descriptions_are_trimmed_and_bounded() {
        assert_eq!(check_description(Some("  ")), Ok(None));
        assert_eq!(check_description(Some(" a map ")), Ok(Some("a map".into())));
        let long = "é".repeat(MAX_DESCRIPTION_CHARS);
        assert!(check_description(Some(&long)).is_ok());
        assert_eq!(check_description(Some(&format!("{long}x"))), Err(MediaRuleError::DescriptionTooLong));
    }

    #[test]
    fn images_shrink_to_an_area_keeping_their_aspect() {
        assert_eq!(fit_area(640, 360, PREVIEW_PIXELS), (640, 360));
        assert_eq!(fit_area(1280, 720, PREVIEW_PIXELS), (640, 360));
        assert_eq!(fit_area(4000, 3000, MAX_IMAGE_PIXELS), (3325, 2494));
        let (w, h) = fit_area(100_000, 1, PREVIEW_PIXELS);
        assert!(u64::from(w) * u64::from(h) <= PREVIEW_PIXELS && h == 1);
    }
}
