//! Status, StatusEdit, StatusSource.

use std::sync::{Arc, LazyLock};

use parley_app::Settings;
use parley_app::views::StatusView;
use parley_core::model;
use parley_core::{AccountId, StatusId};
use serde::Serialize;
use serde_json::value::RawValue;

use super::rendered::Rendered;
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

/// A status as Mastodon shows it. What every viewer sees alike (text, URLs,
/// counts, mentions, tags, app) is rendered once per version of the status
/// and shared (see [`Rendered`]); the viewer's marks, the boosted status,
/// the author and the poll are appended when it is written ([`Status::write_json`]).
#[derive(Debug, Clone)]
pub struct Status {
    shared: Arc<SharedJson>,
    pub favourited: Option<bool>,
    pub reblogged: Option<bool>,
    pub muted: Option<bool>,
    pub bookmarked: Option<bool>,
    pub pinned: Option<bool>,
    pub reblog: Option<Box<Status>>,
    pub account: AccountJson,
    pub poll: Option<super::Poll>,
    /// The source text; only in the answer to a delete (for delete-and-redraft).
    pub text: Option<String>,
    /// The viewer's filters that match it; for signed-in viewers only, as Mastodon.
    pub filtered: Option<Vec<super::FilterResult>>,
}

/// The viewer-independent fields of a status as JSON object members,
/// without the braces (`"id":"1",…,"card":null`), as serde_json wrote them.
#[derive(Debug)]
struct SharedJson(String);

/// The viewer-independent fields, in Mastodon's order.
#[derive(Serialize)]
struct SharedFields<'a> {
    id: String,
    created_at: String,
    in_reply_to_id: Option<String>,
    in_reply_to_account_id: Option<String>,
    sensitive: bool,
    spoiler_text: &'a str,
    visibility: model::Visibility,
    language: Option<&'a str>,
    uri: String,
    url: String,
    replies_count: i64,
    reblogs_count: i64,
    favourites_count: i64,
    edited_at: Option<String>,
    content: &'a str,
    application: Option<StatusApplication>,
    media_attachments: Vec<super::MediaAttachment>,
    mentions: Vec<Mention>,
    tags: Vec<Tag>,
    emojis: [(); 0],
    card: Option<()>,
}

/// What a status's shared fields are made from: everything but the viewer.
/// The status is the store's shared copy, checked by identity as accounts
/// are (see [`AccountJson`]); the names it shows are checked by value.
struct SharedInputs {
    status: Arc<model::Status>,
    author: String,
    /// For a boost: the boosted status and its author, whose URL it carries.
    boost_of: Option<(StatusId, String)>,
    mentions: Vec<(AccountId, String)>,
    application: Option<(String, Option<String>)>,
    public_url: String,
}

impl SharedInputs {
    fn of(v: &StatusView, s: &Settings) -> SharedInputs {
        SharedInputs {
            status: Arc::clone(&v.status),
            author: v.account.username.clone(),
            boost_of: v.reblog.as_ref().map(|r| (r.status.id, r.account.username.clone())),
            mentions: v.mentions.iter().map(|a| (a.id, a.username.clone())).collect(),
            application: v.application.clone(),
            public_url: s.public_url.clone(),
        }
    }

    /// Are these the inputs of `v` as `s` shows it?
    fn matches(&self, v: &StatusView, s: &Settings) -> bool {
        Arc::ptr_eq(&self.status, &v.status)
            && self.author == v.account.username
            && self.boost_of.as_ref().map(|(id, name)| (*id, name.as_str()))
                == v.reblog.as_ref().map(|r| (r.status.id, r.account.username.as_str()))
            && self.mentions.len() == v.mentions.len()
            && self.mentions.iter().zip(&v.mentions).all(|((id, name), a)| *id == a.id && *name == a.username)
            && self.application == v.application
            && self.public_url == s.public_url
    }

    fn render(&self, s: &Settings) -> SharedJson {
        let st = &self.status;
        let (uri, url) = match &self.boost_of {
            Some((id, name)) => (format!("{}/activity", s.status_uri(&self.author, st.id)), s.status_url(name, id)),
            None => (s.status_uri(&self.author, st.id), s.status_url(&self.author, st.id)),
        };
        let application = self
            .application
            .as_ref()
            .map(|(name, website)| StatusApplication { name: name.clone(), website: website.clone() });
        let mentions: Vec<Mention> = self
            .mentions
            .iter()
            .map(|(id, name)| Mention {
                id: id.to_string(),
                username: name.clone(),
                url: s.account_url(name),
                acct: name.clone(),
            })
            .collect();
        let tags: Vec<Tag> = st.tags.iter().map(|t| Tag { name: t.clone(), url: s.tag_url(t) }).collect();
        let fields = SharedFields {
            id: st.id.to_string(),
            created_at: timestamp(st.created_at),
            in_reply_to_id: st.in_reply_to_id.map(|i| i.to_string()),
            in_reply_to_account_id: st.in_reply_to_account_id.map(|i| i.to_string()),
            sensitive: st.sensitive,
            spoiler_text: &st.spoiler_text,
            visibility: st.visibility,
            language: st.language.as_deref(),
            uri,
            url,
            replies_count: st.replies_count,
            reblogs_count: st.reblogs_count,
            favourites_count: st.favourites_count,
            edited_at: st.edited_at.map(timestamp),
            content: &st.content_html,
            application,
            media_attachments: super::MediaAttachment::list(&st.media, s),
            mentions,
            tags,
            emojis: [],
            card: None,
        };
        // A derived struct of strings and numbers always serializes to `{…}`.
        let object = serde_json::to_string(&fields).unwrap_or_else(|_| "{}".into());
        let members = object.strip_prefix('{').and_then(|o| o.strip_suffix('}')).unwrap_or_default();
        SharedJson(members.to_string())
    }
}

/// Statuses kept rendered (under 1 KB each, plus the store's `Arc<Status>` each holds).
static RENDERED: LazyLock<Rendered<SharedInputs, Arc<SharedJson>>> = LazyLock::new(|| Rendered::new(32_768));

impl Status {
    pub fn from_view(v: &StatusView, s: &Settings, viewer: Option<parley_core::AccountId>) -> Status {
        let st = &v.status;
        let is_reblog = v.reblog.is_some();
        let shared = RENDERED.get_or_render(
            st.id.0,
            |kept| kept.matches(v, s),
            || {
                let inputs = SharedInputs::of(v, s);
                let json = Arc::new(inputs.render(s));
                (inputs, json)
            },
        );
        Status {
            shared,
            favourited: v.favourited,
            reblogged: v.reblogged,
            muted: v.favourited.map(|_| false),
            bookmarked: v.bookmarked,
            // Mastodon reports `pinned` only on the viewer's own statuses.
            pinned: v.pinned.filter(|_| viewer == Some(st.account_id) && !is_reblog),
            reblog: v.reblog.as_ref().map(|r| Box::new(Status::from_view(r, s, viewer))),
            account: AccountJson::from_shared(&v.account, s),
            poll: v.poll.as_ref().map(super::Poll::from_view),
            text: None,
            filtered: viewer.map(|_| v.filtered.iter().map(super::FilterResult::from_hit).collect()),
        }
    }

    /// Appends this status's JSON to `out`: the shared members as rendered,
    /// then what this viewer sees. The one definition of a status's JSON;
    /// lists are written with it directly, everything else through `Serialize`.
    pub fn write_json(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        out.push(b'{');
        out.extend_from_slice(self.shared.0.as_bytes());
        let marks = [
            ("favourited", self.favourited),
            ("reblogged", self.reblogged),
            ("muted", self.muted),
            ("bookmarked", self.bookmarked),
            ("pinned", self.pinned),
        ];
        for (key, mark) in marks {
            if let Some(mark) = mark {
                out.extend_from_slice(b",\"");
                out.extend_from_slice(key.as_bytes());
                out.extend_from_slice(if mark { b"\":true" } else { b"\":false" });
            }
        }
        out.extend_from_slice(b",\"reblog\":");
        match &self.reblog {
            Some(reblog) => reblog.write_json(out)?,
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"account\":");
        out.extend_from_slice(self.account.json().as_bytes());
        out.extend_from_slice(b",\"poll\":");
        serde_json::to_writer(&mut *out, &self.poll)?;
        if let Some(text) = &self.text {
            out.extend_from_slice(b",\"text\":");
            serde_json::to_writer(&mut *out, text)?;
        }
        if let Some(filtered) = &self.filtered {
            out.extend_from_slice(b",\"filtered\":");
            serde_json::to_writer(&mut *out, filtered)?;
        }
        out.push(b'}');
        Ok(())
    }
}

impl crate::pagination::ListItem for Status {
    fn write_item(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        self.write_json(out)
    }
}

impl Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error;
        let mut out = Vec::with_capacity(2048);
        self.write_json(&mut out).map_err(S::Error::custom)?;
        let json = String::from_utf8(out).map_err(S::Error::custom)?;
        RawValue::from_string(json).map_err(S::Error::custom)?.serialize(serializer)
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
    pub media_attachments: Vec<super::MediaAttachment>,
    pub emojis: Vec<serde_json::Value>,
}

impl StatusEdit {
    pub fn from_domain(e: &model::StatusEdit, account: &Account, s: &Settings) -> StatusEdit {
        StatusEdit {
            content: e.content_html.clone(),
            spoiler_text: e.spoiler_text.clone(),
            sensitive: e.sensitive,
            created_at: timestamp(e.created_at),
            account: account.clone(),
            poll: None,
            media_attachments: super::MediaAttachment::list(&e.media, s),
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

#[cfg(test)]
mod tests {
    use super::*;
    use parley_core::model::Visibility;

    fn account(id: i64, username: &str) -> Arc<model::Account> {
        Arc::new(super::super::account::tests::account(id, username))
    }

    fn status(id: i64, author: &model::Account) -> model::Status {
        model::Status {
            id: StatusId(id),
            account_id: author.id,
            in_reply_to_id: None,
            in_reply_to_account_id: None,
            reblog_of: None,
            text: "Hello @consul".into(),
            content_html: "<p>Hello \"world\"</p>".into(),
            spoiler_text: String::new(),
            sensitive: false,
            visibility: Visibility::Public,
            language: Some("en".into()),
            created_at: chrono::Utc::now(),
            edited_at: None,
            replies_count: 0,
            reblogs_count: 0,
            favourites_count: 0,
            mentions: Vec::new(),
            tags: vec!["diplomacy".into()],
            application: None,
            poll_id: None,
            media: Vec::new(),
        }
    }

    fn view(status: &Arc<model::Status>, author: &Arc<model::Account>) -> StatusView {
        StatusView {
            status: Arc::clone(status),
            account: Arc::clone(author),
            mentions: Vec::new(),
            reblog: None,
            favourited: Some(true),
            reblogged: Some(false),
            pinned: Some(false),
            bookmarked: Some(false),
            poll: None,
            application: None,
            filtered: Vec::new(),
        }
    }

    fn json(v: &StatusView, s: &Settings) -> serde_json::Value {
        serde_json::to_value(Status::from_view(v, s, None)).expect("serializes")
    }

    #[test]
    fn rendered_statuses_follow_every_version_mention_and_origin() {
        let here = Settings::for_origin("https://parley.example");
        let author = account(1_001, "embassy");
        let first = Arc::new(status(9_001, &author));
        let v = view(&first, &author);
        let shown = json(&v, &here);
        assert_eq!(shown["id"], "9001");
        assert_eq!(shown["content"], "<p>Hello \"world\"</p>");
        assert_eq!(shown["uri"], "https://parley.example/users/embassy/statuses/9001");
        assert_eq!(shown["url"], "https://parley.example/@embassy/9001");
        assert_eq!(shown["tags"][0]["url"], "https://parley.example/tags/diplomacy");
        assert_eq!(shown["favourited"], true, "the viewer's marks are added to the shared part");
        assert_eq!(shown["muted"], false);
        assert_eq!(shown["account"]["acct"], "embassy");
        assert!(shown["reblog"].is_null() && shown["poll"].is_null() && shown["card"].is_null());
        assert_eq!(shown["mentions"], serde_json::json!([]));
        assert!(
            Arc::ptr_eq(&Status::from_view(&v, &here, None).shared, &Status::from_view(&v, &here, None).shared),
            "the same version: rendered once"
        );

        // The store hands out a new `Arc` for a changed row.
        let mut edited = status(9_001, &author);
        edited.content_html = "<p>Edited</p>".into();
        edited.favourites_count = 3;
        let edited = Arc::new(edited);
        let shown = json(&view(&edited, &author), &here);
        assert_eq!(shown["content"], "<p>Edited</p>");
        assert_eq!(shown["favourites_count"], 3);

        // A mentioned account that is gone is no longer shown.
        let consul = account(1_002, "consul");
        let mut with_mention = view(&edited, &author);
        with_mention.mentions = vec![Arc::clone(&consul)];
        assert_eq!(json(&with_mention, &here)["mentions"][0]["url"], "https://parley.example/@consul");
        assert_eq!(json(&view(&edited, &author), &here)["mentions"], serde_json::json!([]));

        let elsewhere = json(&view(&edited, &author), &Settings::for_origin("https://other.example"));
        assert_eq!(elsewhere["url"], "https://other.example/@embassy/9001");

        // A boost carries the boosted status's URL and its own `/activity` URI.
        let booster = account(1_003, "booster");
        let mut boost = status(9_002, &booster);
        boost.reblog_of = Some(edited.id);
        let mut boosted = view(&Arc::new(boost), &booster);
        boosted.reblog = Some(Box::new(view(&edited, &author)));
        let shown = json(&boosted, &here);
        assert_eq!(shown["uri"], "https://parley.example/users/booster/statuses/9002/activity");
        assert_eq!(shown["url"], "https://parley.example/@embassy/9001");
        assert_eq!(shown["reblog"]["content"], "<p>Edited</p>");

        // Lists are written directly; they say exactly what `Serialize` says.
        let mut deleted = Status::from_view(&boosted, &here, Some(AccountId(1_003)));
        deleted.text = Some("the \"source\"".into());
        let listed = crate::pagination::json_list(std::slice::from_ref(&deleted)).expect("writes");
        let listed: serde_json::Value = serde_json::from_slice(&listed).expect("a list is JSON");
        assert_eq!(listed, serde_json::json!([serde_json::to_value(&deleted).expect("serializes")]));
        assert_eq!(listed[0]["text"], "the \"source\"");
        assert_eq!(listed[0]["reblog"]["favourited"], true);
    }
}
