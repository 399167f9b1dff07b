//! Status, StatusEdit, StatusSource.

use parley_app::Settings;
use parley_app::views::StatusView;
use parley_core::model::{self, Visibility};
use serde::Serialize;

use super::{Account, AccountJson, timestamp};

#[derive(Debug, Clone, Serialize)]
pub struct Mention {
    pub id: String,
    pub username: String,
    pub url: String,
    pub acct: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub name: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusApplication {
    pub name: String,
    pub website: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub id: String,
    pub created_at: String,
    pub in_reply_to_id: Option<String>,
    pub in_reply_to_account_id: Option<String>,
    pub sensitive: bool,
    pub spoiler_text: String,
    pub visibility: Visibility,
    pub language: Option<String>,
    pub uri: String,
    pub url: Option<String>,
    pub replies_count: i64,
    pub reblogs_count: i64,
    pub favourites_count: i64,
    pub edited_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub favourited: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reblogged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bookmarked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    pub content: String,
    pub reblog: Option<Box<Status>>,
    pub application: Option<StatusApplication>,
    pub account: AccountJson,
    pub media_attachments: Vec<serde_json::Value>,
    pub mentions: Vec<Mention>,
    pub tags: Vec<Tag>,
    pub emojis: Vec<serde_json::Value>,
    pub card: Option<serde_json::Value>,
    pub poll: Option<super::Poll>,
    /// The source text; only in the answer to a delete (for delete-and-redraft).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Status {
    pub fn from_view(v: &StatusView, s: &Settings, viewer: Option<parley_core::AccountId>) -> Status {
        let st = &v.status;
        let username = &v.account.username;
        let is_reblog = v.reblog.is_some();
        let reblog = v.reblog.as_ref().map(|r| Box::new(Status::from_view(r, s, viewer)));
        Status {
            id: st.id.to_string(),
            created_at: timestamp(st.created_at),
            in_reply_to_id: st.in_reply_to_id.map(|i| i.to_string()),
            in_reply_to_account_id: st.in_reply_to_account_id.map(|i| i.to_string()),
            sensitive: st.sensitive,
            spoiler_text: st.spoiler_text.clone(),
            visibility: st.visibility,
            language: st.language.clone(),
            uri: if is_reblog {
                format!("{}/activity", s.status_uri(username, st.id))
            } else {
                s.status_uri(username, st.id)
            },
            url: if is_reblog {
                reblog.as_ref().and_then(|r| r.url.clone())
            } else {
                Some(s.status_url(username, st.id))
            },
            replies_count: st.replies_count,
            reblogs_count: st.reblogs_count,
            favourites_count: st.favourites_count,
            edited_at: st.edited_at.map(timestamp),
            favourited: v.favourited,
            reblogged: v.reblogged,
            muted: v.favourited.map(|_| false),
            bookmarked: v.favourited.map(|_| false),
            // Mastodon reports `pinned` only on the viewer's own statuses.
            pinned: v.pinned.filter(|_| viewer == Some(st.account_id) && !is_reblog),
            content: st.content_html.clone(),
            reblog,
            application: v
                .application
                .as_ref()
                .map(|(name, website)| StatusApplication { name: name.clone(), website: website.clone() }),
            account: AccountJson::from_domain(&v.account, s),
            media_attachments: Vec::new(),
            mentions: v
                .mentions
                .iter()
                .map(|a| Mention {
                    id: a.id.to_string(),
                    username: a.username.clone(),
                    url: s.account_url(&a.username),
                    acct: a.username.clone(),
                })
                .collect(),
            tags: st.tags.iter().map(|t| Tag { name: t.clone(), url: s.tag_url(t) }).collect(),
            emojis: Vec::new(),
            card: None,
            poll: v.poll.as_ref().map(super::Poll::from_view),
            text: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusEdit {
    pub content: String,
    pub spoiler_text: String,
    pub sensitive: bool,
    pub created_at: String,
    pub account: Account,
    pub poll: Option<serde_json::Value>,
    pub media_attachments: Vec<serde_json::Value>,
    pub emojis: Vec<serde_json::Value>,
}

impl StatusEdit {
    pub fn from_domain(e: &model::StatusEdit, account: &Account) -> StatusEdit {
        StatusEdit {
            content: e.content_html.clone(),
            spoiler_text: e.spoiler_text.clone(),
            sensitive: e.sensitive,
            created_at: timestamp(e.created_at),
            account: account.clone(),
            poll: None,
            media_attachments: Vec::new(),
            emojis: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StatusSource {
    pub id: String,
    pub text: String,
    pub spoiler_text: String,
}
