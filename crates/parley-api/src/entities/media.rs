//! `MediaAttachment` — https://docs.joinmastodon.org/entities/MediaAttachment/
//! — and the URLs of stored files (attachments, avatars, headers).

use parley_app::Settings;
use parley_core::media::{MediaAttachment as Domain, MediaFile};
use parley_core::model;
use serde::Serialize;

/// Where stored files are served (see `routes::media::file`).
pub const FILES_PATH: &str = "/system/media";

/// The URL of a stored file.
pub fn file_url(s: &Settings, name: &str) -> String {
    format!("{}{FILES_PATH}/{name}", s.public_url)
}

/// The account's avatar, or the default image when it has none (Mastodon's `missing.png`).
pub fn avatar_url(a: &model::Account, s: &Settings) -> String {
    match &a.avatar {
        Some(name) => file_url(s, name),
        None => format!("{}/avatars/original/missing.png", s.public_url),
    }
}

/// The account's header, or the default image.
pub fn header_url(a: &model::Account, s: &Settings) -> String {
    match &a.header {
        Some(name) => file_url(s, name),
        None => format!("{}/headers/original/missing.png", s.public_url),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct MediaAttachment {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub url: String,
    pub preview_url: String,
    pub remote_url: Option<String>,
    pub preview_remote_url: Option<String>,
    pub text_url: Option<String>,
    pub meta: Meta,
    pub description: Option<String>,
    pub blurhash: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub original: Dimensions,
    pub small: Dimensions,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<Focus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
    /// "640x480", as Mastodon writes it.
    pub size: String,
    pub aspect: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Focus {
    pub x: f64,
    pub y: f64,
}

impl Dimensions {
    fn of(f: &MediaFile) -> Dimensions {
        Dimensions {
            width: f.width,
            height: f.height,
            size: format!("{}x{}", f.width, f.height),
            aspect: f64::from(f.width) / f64::from(f.height.max(1)),
        }
    }
}

impl MediaAttachment {
    pub fn from_domain(m: &Domain, s: &Settings) -> MediaAttachment {
        MediaAttachment {
            id: m.id.to_string(),
            kind: m.kind.as_str(),
            url: file_url(s, &m.original.name),
            preview_url: file_url(s, &m.small.name),
            remote_url: None,
            preview_remote_url: None,
            text_url: None,
            meta: Meta {
                original: Dimensions::of(&m.original),
                small: Dimensions::of(&m.small),
                focus: m.focus.map(|(x, y)| Focus { x, y }),
            },
            description: m.description.clone(),
            blurhash: m.blurhash.clone(),
        }
    }

    pub fn list(media: &[Domain], s: &Settings) -> Vec<MediaAttachment> {
        media.iter().map(|m| MediaAttachment::from_domain(m, s)).collect()
    }
}
