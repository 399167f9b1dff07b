//! Application, Token, Notification, Marker.

use parley_app::Settings;
use parley_app::auth::IssuedToken;
use parley_app::views::NotificationView;
use parley_core::model;
use serde::Serialize;

use super::{Account, Status, timestamp};

#[derive(Debug, Clone, Serialize)]
pub struct Application {
    pub id: String,
    pub name: String,
    pub website: Option<String>,
    pub scopes: Vec<String>,
    pub redirect_uri: String,
    pub redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    pub vapid_key: String,
}

impl Application {
    /// The app as `verify_credentials` shows it (no secrets).
    pub fn from_domain(app: &model::App) -> Application {
        Application {
            id: app.id.to_string(),
            name: app.name.clone(),
            website: app.website.clone(),
            scopes: app.scopes.split(' ').map(str::to_string).collect(),
            redirect_uri: app.redirect_uris.join("\n"),
            redirect_uris: app.redirect_uris.clone(),
            client_id: None,
            client_secret: None,
            client_secret_expires_at: None,
            vapid_key: String::new(),
        }
    }

    /// The app as registration shows it, once, with its credentials.
    pub fn with_credentials(app: &model::App, client_secret: String) -> Application {
        Application {
            client_id: Some(app.client_id.clone()),
            client_secret: Some(client_secret),
            client_secret_expires_at: Some(0),
            ..Application::from_domain(app)
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Token {
    pub access_token: String,
    pub token_type: &'static str,
    pub scope: String,
    pub created_at: i64,
}

impl Token {
    pub fn from_issued(t: IssuedToken) -> Token {
        Token {
            access_token: t.access_token,
            token_type: "Bearer",
            scope: t.scopes.to_string(),
            created_at: t.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub group_key: String,
    pub created_at: String,
    pub account: Account,
    pub status: Option<Status>,
}

impl crate::pagination::ListItem for Notification {}

impl Notification {
    pub fn from_view(v: &NotificationView, s: &Settings) -> Notification {
        let n = &v.notification;
        Notification {
            id: n.id.to_string(),
            kind: n.kind.as_str().to_string(),
            group_key: n.group_key.clone().unwrap_or_else(|| parley_core::grouping::ungrouped_key(n.id)),
            created_at: timestamp(n.created_at),
            account: Account::from_domain(&v.account, s),
            status: v.status.as_ref().map(|st| Status::from_view(st, s, Some(n.account_id))),
        }
    }
}

/// https://docs.joinmastodon.org/entities/Marker/
#[derive(Debug, Clone, Serialize)]
pub struct Marker {
    pub last_read_id: String,
    pub version: i64,
    pub updated_at: String,
}

impl Marker {
    pub fn from_domain(m: &model::Marker) -> Marker {
        Marker { last_read_id: m.last_read_id.to_string(), version: m.version, updated_at: timestamp(m.updated_at) }
    }
}

/// https://docs.joinmastodon.org/entities/List/
#[derive(Debug, Clone, Serialize)]
pub struct List {
    pub id: String,
    pub title: String,
    pub replies_policy: &'static str,
    pub exclusive: bool,
}

impl List {
    pub fn from_domain(l: &model::List) -> List {
        List {
            id: l.id.0.to_string(),
            title: l.title.clone(),
            replies_policy: l.replies_policy.as_str(),
            exclusive: l.exclusive,
        }
    }
}
