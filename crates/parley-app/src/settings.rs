//! The settings the use cases read, built by the binary from its configuration.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::{Deserialize, Serialize};

/// What a path segment may hold as is: RFC 3986's unreserved characters.
/// Everything else (non-ASCII letters of `#café`, `#日本`) is percent-encoded
/// as UTF-8, as Mastodon's Rails routes encode `/tags/:id`.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Who may sign up through the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationsMode {
    /// Anyone; the account works at once.
    Open,
    /// Anyone, but an admin must approve the account before it works.
    Approval,
    /// Nobody.
    Closed,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// The public origin every emitted URL starts with, without a trailing slash.
    pub public_url: String,
    /// The host name users are known by (`@user@domain`).
    pub domain: String,
    pub title: String,
    pub description: String,
    pub contact_email: String,
    pub registrations: RegistrationsMode,
    pub password_grant: bool,
    pub max_characters: usize,
    /// Longest status text plus content warning in bytes, however many
    /// characters it counts as (URLs count 23 each, remote domains nothing).
    pub max_status_bytes: usize,
    pub max_profile_fields: usize,
    /// How far ahead `scheduled_at` must be (Mastodon: 5 minutes).
    pub min_schedule_lead: std::time::Duration,
    pub poll_limits: parley_core::poll::PollLimits,
    pub texts: InstanceTexts,
    pub media: MediaSettings,
}

/// Media uploads (config `[media]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaSettings {
    /// Largest image upload in bytes (Mastodon's 16 MB); refused while it streams in.
    pub max_image_bytes: usize,
    /// Images processed at once (the media pool's size).
    pub workers: usize,
}

impl Default for MediaSettings {
    fn default() -> Self {
        MediaSettings {
            max_image_bytes: 16 * 1024 * 1024,
            workers: std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
        }
    }
}

/// What the administrator tells users about the server (config
/// `[instance]`): plain text, shown as paragraphs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceTexts {
    /// The server rules, in order (`/api/v1/instance/rules`).
    pub rules: Vec<String>,
    pub extended_description: String,
    pub privacy_policy: String,
    pub terms_of_service: String,
    /// When these texts took effect: when the server loaded them.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl InstanceTexts {
    /// The texts of a server whose administrator has written none, saying so.
    pub const DEFAULT_EXTENDED_DESCRIPTION: &str =
        "The administrator of this server has not written a longer description yet.";
    pub const DEFAULT_PRIVACY_POLICY: &str = "The administrator of this server has not published a privacy policy yet.";
    pub const DEFAULT_TERMS_OF_SERVICE: &str =
        "The administrator of this server has not published terms of service yet.";
}

impl Default for InstanceTexts {
    fn default() -> Self {
        InstanceTexts {
            rules: Vec::new(),
            extended_description: Self::DEFAULT_EXTENDED_DESCRIPTION.into(),
            privacy_policy: Self::DEFAULT_PRIVACY_POLICY.into(),
            terms_of_service: Self::DEFAULT_TERMS_OF_SERVICE.into(),
            updated_at: chrono::Utc::now(),
        }
    }
}

impl Settings {
    /// Settings for tests and examples: a loopback origin, open registrations.
    pub fn for_origin(public_url: &str) -> Settings {
        let domain =
            public_url.trim_start_matches("https://").trim_start_matches("http://").trim_end_matches('/').to_string();
        Settings {
            public_url: public_url.trim_end_matches('/').to_string(),
            domain,
            title: "Parley".into(),
            description: "A Parley server".into(),
            contact_email: String::new(),
            registrations: RegistrationsMode::Open,
            password_grant: false,
            max_characters: 500,
            max_status_bytes: 16 * 1024,
            max_profile_fields: 4,
            min_schedule_lead: std::time::Duration::from_secs(300),
            poll_limits: parley_core::poll::PollLimits::default(),
            texts: InstanceTexts::default(),
            media: MediaSettings::default(),
        }
    }

    pub fn account_url(&self, username: &str) -> String {
        format!("{}/@{}", self.public_url, username)
    }

    pub fn status_url(&self, username: &str, id: impl std::fmt::Display) -> String {
        format!("{}/@{}/{}", self.public_url, username, id)
    }

    pub fn status_uri(&self, username: &str, id: impl std::fmt::Display) -> String {
        format!("{}/users/{}/statuses/{}", self.public_url, username, id)
    }

    /// The hashtag's page; the name is percent-encoded, so the URL is valid
    /// for any name (clients parse it, and some match it against `/tags/`).
    pub fn tag_url(&self, tag: &str) -> String {
        format!("{}/tags/{}", self.public_url, utf8_percent_encode(tag, PATH_SEGMENT))
    }
}
