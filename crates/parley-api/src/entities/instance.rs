//! Instance (v1 and v2) and nodeinfo documents.

use parley_app::Settings;
use parley_app::instance::InstanceStats;
use serde_json::{Value, json};

/// Mastodon's version this API matches, and Parley's own; clients gate
/// features on the first number.
pub const VERSION: &str = concat!("4.3.0 (compatible; Parley ", env!("CARGO_PKG_VERSION"), ")");

/// The poll limits this server enforces (configurable; Mastodon's by default).
fn polls_configuration(s: &Settings) -> Value {
    let l = s.poll_limits;
    json!({
        "max_options": l.max_options,
        "max_characters_per_option": l.max_characters_per_option,
        "min_expiration": l.min_expiration,
        "max_expiration": l.max_expiration
    })
}

fn statuses_configuration(s: &Settings) -> Value {
    json!({
        "max_characters": s.max_characters,
        "max_media_attachments": parley_core::media::MAX_ATTACHMENTS,
        "characters_reserved_per_url": 23
    })
}

/// Mastodon's keys; images only (no video or audio: their limits are 0).
fn media_configuration(s: &Settings) -> Value {
    json!({
        "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
        "description_limit": parley_core::media::MAX_DESCRIPTION_CHARS,
        "image_size_limit": s.media.max_image_bytes,
        "image_matrix_limit": parley_app::media::process::MAX_DECODED_PIXELS,
        "video_size_limit": 0,
        "video_frame_rate_limit": 0,
        "video_matrix_limit": 0
    })
}

fn streaming_url(s: &Settings) -> String {
    s.public_url.replacen("https://", "wss://", 1).replacen("http://", "ws://", 1)
}

fn registrations_open(s: &Settings) -> bool {
    s.registrations != parley_app::RegistrationsMode::Closed
}

fn approval_required(s: &Settings) -> bool {
    s.registrations == parley_app::RegistrationsMode::Approval
}

pub fn instance_v1(s: &Settings, stats: InstanceStats) -> Value {
    json!({
        "uri": s.domain,
        "title": s.title,
        "short_description": s.description,
        "description": s.description,
        "email": s.contact_email,
        "version": VERSION,
        "urls": { "streaming_api": streaming_url(s) },
        "stats": {
            "user_count": stats.user_count,
            "status_count": stats.status_count,
            "domain_count": stats.domain_count
        },
        "thumbnail": null,
        "languages": ["en"],
        "registrations": registrations_open(s),
        "approval_required": approval_required(s),
        "invites_enabled": false,
        "configuration": {
            "accounts": { "max_featured_tags": 10, "max_pinned_statuses": 5 },
            "statuses": statuses_configuration(s),
            "media_attachments": media_configuration(s),
            "polls": polls_configuration(s)
        },
        "contact_account": null,
        "rules": rules(s)
    })
}

pub fn instance_v2(s: &Settings, stats: InstanceStats) -> Value {
    json!({
        "domain": s.domain,
        "title": s.title,
        "version": VERSION,
        "source_url": "https://github.com/parley-social/parley",
        "description": s.description,
        "usage": { "users": { "active_month": stats.user_count } },
        "thumbnail": { "url": format!("{}/headers/original/missing.png", s.public_url) },
        "icon": [],
        "languages": ["en"],
        "configuration": {
            "urls": {
                "streaming": streaming_url(s),
                "status": null,
                "about": format!("{}/about", s.public_url),
                "privacy_policy": null,
                "terms_of_service": null
            },
            "vapid": { "public_key": "" },
            "accounts": { "max_featured_tags": 10, "max_pinned_statuses": 5, "max_profile_fields": s.max_profile_fields },
            "statuses": statuses_configuration(s),
            "media_attachments": media_configuration(s),
            "polls": polls_configuration(s),
            "translation": { "enabled": false }
        },
        "registrations": {
            "enabled": registrations_open(s),
            "approval_required": approval_required(s),
            "reason_required": false,
            "message": null,
            "url": null
        },
        "api_versions": { "mastodon": 2 },
        "contact": { "email": s.contact_email, "account": null },
        "rules": rules(s)
    })
}

/// The server rules as Mastodon's `Rule` entities, numbered from 1.
pub fn rules(s: &Settings) -> Value {
    let rules: Vec<Value> = s
        .texts
        .rules
        .iter()
        .enumerate()
        .map(|(i, text)| json!({ "id": (i + 1).to_string(), "text": text, "hint": "" }))
        .collect();
    Value::Array(rules)
}

/// `/api/v1/instance/extended_description` and `/privacy_policy`: `{updated_at, content}`.
pub fn instance_text(s: &Settings, text: &str) -> Value {
    json!({ "updated_at": super::timestamp(s.texts.updated_at), "content": paragraphs(text) })
}

/// `/api/v1/instance/terms_of_service`: the TermsOfService entity (Mastodon 4.4).
pub fn terms_of_service(s: &Settings) -> Value {
    json!({
        "effective_date": s.texts.updated_at.format("%Y-%m-%d").to_string(),
        "effective": true,
        "content": paragraphs(&s.texts.terms_of_service),
        "succeeded_by": null
    })
}

/// Plain text as HTML: escaped, a blank line between paragraphs, a line
/// break within one.
fn paragraphs(text: &str) -> String {
    let escape = |t: &str| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
        .collect()
}

/// The nodeinfo schemas served, `/nodeinfo/2.0` and `/nodeinfo/2.1`.
pub const NODEINFO_VERSIONS: [&str; 2] = ["2.0", "2.1"];

/// The nodeinfo document in schema `version` (one of [`NODEINFO_VERSIONS`]).
/// `metadata.upstream` names the API Parley speaks, as Mastodon-compatible
/// servers do: clients that detect the server kind (megalodon's `detector`)
/// read it when they do not know `software.name`.
pub fn nodeinfo(s: &Settings, stats: InstanceStats, version: &str) -> Value {
    json!({
        "version": version,
        // 2.1's optional `repository` and `homepage` are left out: Parley has none to give yet.
        "software": { "name": "parley", "version": env!("CARGO_PKG_VERSION") },
        // Federation is not built yet, so no protocol is claimed.
        "protocols": [],
        "services": { "outbound": [], "inbound": [] },
        "usage": {
            "users": {
                "total": stats.user_count,
                "activeMonth": stats.user_count,
                "activeHalfyear": stats.user_count
            },
            "localPosts": stats.status_count
        },
        "openRegistrations": registrations_open(s),
        "metadata": {
            "nodeName": s.title,
            "upstream": { "name": "mastodon", "version": VERSION }
        }
    })
}
