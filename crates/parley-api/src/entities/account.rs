//! Account, CredentialAccount, Relationship; and [`AccountJson`], an
//! account serialized once for the many statuses that embed it.

use std::sync::{Arc, LazyLock};

use parley_app::Settings;
use parley_core::AccountId;
use parley_core::model::{self, Role as DomainRole};
use serde::Serialize;
use serde_json::value::RawValue;

use super::rendered::{Rendered, raw};

#[derive(Debug, Clone, Serialize)]
pub struct Field {
    pub name: String,
    pub value: String,
    pub verified_at: Option<String>,
}

/// A highlighted role (Mastodon 4.x `AccountRole`). Parley shows official
/// accounts' organisation label here, so every client displays it as a badge.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    pub color: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub acct: String,
    pub display_name: String,
    pub locked: bool,
    pub bot: bool,
    pub discoverable: bool,
    pub indexable: bool,
    pub group: bool,
    pub hide_collections: bool,
    pub noindex: bool,
    pub created_at: String,
    pub note: String,
    pub url: String,
    pub uri: String,
    pub avatar: String,
    pub avatar_static: String,
    pub header: String,
    pub header_static: String,
    pub followers_count: i64,
    pub following_count: i64,
    pub statuses_count: i64,
    pub last_status_at: Option<String>,
    pub emojis: Vec<serde_json::Value>,
    pub fields: Vec<Field>,
    pub roles: Vec<Role>,
    /// Parley's own: the organisation an official account speaks for.
    pub organisation: Option<String>,
}

/// The organisation badge's colour: a deep blue that reads on light and dark themes.
const ORGANISATION_COLOR: &str = "#1d4ed8";

impl Account {
    pub fn from_domain(a: &model::Account, s: &Settings) -> Account {
        let mut roles = Vec::new();
        if let Some(label) = &a.organisation {
            roles.push(Role { id: "organisation".into(), name: label.clone(), color: ORGANISATION_COLOR.into() });
        }
        if a.role == DomainRole::Admin {
            roles.push(Role { id: "admin".into(), name: "Admin".into(), color: String::new() });
        }
        let avatar = super::avatar_url(a, s);
        let header = super::header_url(a, s);
        Account {
            id: a.id.to_string(),
            username: a.username.clone(),
            acct: a.username.clone(),
            display_name: a.display_name.clone(),
            locked: a.locked,
            bot: a.bot,
            discoverable: true,
            indexable: true,
            group: false,
            hide_collections: false,
            noindex: false,
            // Mastodon rounds account creation to the day.
            created_at: format!("{}T00:00:00.000Z", a.created_at.format("%Y-%m-%d")),
            note: a.note_html.clone(),
            url: s.account_url(&a.username),
            uri: format!("{}/users/{}", s.public_url, a.username),
            avatar_static: avatar.clone(),
            avatar,
            header_static: header.clone(),
            header,
            followers_count: a.followers_count,
            following_count: a.following_count,
            statuses_count: a.statuses_count,
            last_status_at: a.last_status_at.map(|t| t.format("%Y-%m-%d").to_string()),
            emojis: Vec::new(),
            fields: a
                .fields
                .iter()
                .map(|f| Field {
                    name: f.name.clone(),
                    value: parley_core::text::sanitize_html(&escape(&f.value)),
                    verified_at: None,
                })
                .collect(),
            roles,
            organisation: a.organisation.clone(),
        }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub privacy: String,
    pub sensitive: bool,
    pub language: Option<String>,
    pub note: String,
    pub fields: Vec<Field>,
    pub follow_requests_count: i64,
}

/// The signed-in user's own role (Mastodon's `Role`, which the `roles` of
/// [`Account`] abbreviate): what the user may do.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialRole {
    pub id: String,
    pub name: String,
    /// A bitmask as a decimal string, as Mastodon sends it.
    pub permissions: String,
    pub color: String,
    /// Shown as a badge on the profile.
    pub highlighted: bool,
}

/// Mastodon's `UserRole::FLAGS[:administrator]`: every permission.
const ADMINISTRATOR_PERMISSIONS: &str = "1";

impl CredentialRole {
    /// Mastodon's built-in roles: the "everyone" role (`-99`, no name, not
    /// highlighted) for users, and its "Admin" role (`3`) for admins.
    fn from_domain(role: DomainRole) -> CredentialRole {
        match role {
            DomainRole::Admin => CredentialRole {
                id: "3".into(),
                name: "Admin".into(),
                permissions: ADMINISTRATOR_PERMISSIONS.into(),
                color: String::new(),
                highlighted: true,
            },
            DomainRole::User => CredentialRole {
                id: "-99".into(),
                name: String::new(),
                permissions: "0".into(),
                color: String::new(),
                highlighted: false,
            },
        }
    }
}

/// The signed-in user's own account, with `source` and `role`.
#[derive(Debug, Clone, Serialize)]
pub struct CredentialAccount {
    #[serde(flatten)]
    pub account: Account,
    pub source: Source,
    pub role: CredentialRole,
}

impl CredentialAccount {
    pub fn from_domain(
        a: &model::Account,
        defaults: &model::PostingDefaults,
        s: &Settings,
        follow_requests_count: i64,
    ) -> CredentialAccount {
        CredentialAccount {
            account: Account::from_domain(a, s),
            source: Source {
                privacy: defaults.visibility.as_str().into(),
                sensitive: defaults.sensitive,
                language: defaults.language.clone(),
                note: a.note.clone(),
                fields: a
                    .fields
                    .iter()
                    .map(|f| Field { name: f.name.clone(), value: f.value.clone(), verified_at: None })
                    .collect(),
                follow_requests_count,
            },
            role: CredentialRole::from_domain(a.role),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Relationship {
    pub id: String,
    pub following: bool,
    pub showing_reblogs: bool,
    pub notifying: bool,
    pub languages: Option<Vec<String>>,
    pub followed_by: bool,
    pub blocking: bool,
    pub blocked_by: bool,
    pub muting: bool,
    pub muting_notifications: bool,
    pub requested: bool,
    pub requested_by: bool,
    pub domain_blocking: bool,
    pub endorsed: bool,
    pub note: String,
}

impl Relationship {
    pub fn from_domain(id: AccountId, r: &model::Relationship) -> Relationship {
        Relationship {
            id: id.to_string(),
            following: r.following,
            showing_reblogs: r.following && r.showing_reblogs,
            notifying: r.notifying,
            languages: None,
            followed_by: r.followed_by,
            blocking: r.blocking,
            blocked_by: r.blocked_by,
            muting: r.muting,
            muting_notifications: r.muting_notifications,
            requested: r.requested,
            requested_by: r.requested_by,
            domain_blocking: false,
            endorsed: false,
            note: String::new(),
        }
    }
}

impl crate::pagination::ListItem for Account {}

/// An account as `GET /api/v1/mutes` lists it: with when the mute ends.
#[derive(Debug, Clone, Serialize)]
pub struct MutedAccount {
    #[serde(flatten)]
    pub account: Account,
    pub mute_expires_at: Option<String>,
}

impl MutedAccount {
    pub fn from_domain(a: &model::Account, ends: Option<chrono::DateTime<chrono::Utc>>, s: &Settings) -> Self {
        MutedAccount { account: Account::from_domain(a, s), mute_expires_at: ends.map(super::timestamp) }
    }
}

impl crate::pagination::ListItem for MutedAccount {}

/// An account entity as JSON, ready to embed. Every status carries its
/// author's full account, and a page of 20 statuses names the same few
/// authors again and again: building and escaping the account (about 800
/// bytes) was a fifth of a home-timeline request. Rendered once per
/// version of the account (see [`Rendered`]).
#[derive(Debug, Clone)]
pub struct AccountJson(Arc<RawValue>);

/// What an account's JSON is made from. The account is the store's shared
/// copy: while the memo holds it, no other account can take its address, so
/// the same `Arc` means the same, unchanged account (the store hands out a
/// new one when the row changes), and checking costs no memory reads.
struct AccountInputs {
    account: Arc<model::Account>,
    public_url: String,
}

/// Accounts kept rendered (about 1 KB each, plus the store's `Arc<Account>` each holds).
static RENDERED: LazyLock<Rendered<AccountInputs, Arc<RawValue>>> = LazyLock::new(|| Rendered::new(32_768));

impl AccountJson {
    pub fn from_shared(a: &Arc<model::Account>, s: &Settings) -> AccountJson {
        AccountJson(RENDERED.get_or_render(
            a.id.0,
            |kept| Arc::ptr_eq(&kept.account, a) && kept.public_url == s.public_url,
            || {
                let json = raw(&Account::from_domain(a, s)).into();
                (AccountInputs { account: Arc::clone(a), public_url: s.public_url.clone() }, json)
            },
        ))
    }

    /// The account's JSON text.
    pub fn json(&self) -> &str {
        self.0.get()
    }
}

impl Serialize for AccountJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A plain account for entity tests.
    pub(crate) fn account(id: i64, username: &str) -> model::Account {
        model::Account {
            id: AccountId(id),
            username: username.into(),
            display_name: "Embassy".into(),
            note: String::new(),
            note_html: String::new(),
            fields: Vec::new(),
            locked: false,
            bot: false,
            created_at: chrono::Utc::now(),
            role: DomainRole::User,
            organisation: None,
            approved: true,
            suspended: false,
            followers_count: 1,
            following_count: 2,
            statuses_count: 3,
            last_status_at: None,
            domain: None,
            avatar: None,
            header: None,
        }
    }

    fn json(a: &Arc<model::Account>, s: &Settings) -> serde_json::Value {
        serde_json::to_value(AccountJson::from_shared(a, s)).expect("serializes")
    }

    #[test]
    fn rendered_accounts_follow_every_change_and_origin() {
        let here = Settings::for_origin("https://parley.example");
        let a = Arc::new(account(7, "embassy"));
        let first = json(&a, &here);
        assert_eq!(first, serde_json::to_value(Account::from_domain(&a, &here)).expect("serializes"));
        assert!(
            Arc::ptr_eq(&AccountJson::from_shared(&a, &here).0, &AccountJson::from_shared(&a, &here).0),
            "the same account: rendered once"
        );
        // The store hands out a new `Arc` for a changed row.
        let mut changed = account(7, "embassy");
        changed.statuses_count += 1;
        changed.organisation = Some("Embassy of Testland".into());
        let changed = json(&Arc::new(changed), &here);
        assert_eq!(changed["statuses_count"], 4);
        assert_eq!(changed["roles"][0]["name"], "Embassy of Testland");
        let elsewhere = json(&a, &Settings::for_origin("https://other.example"));
        assert_eq!(elsewhere["url"], "https://other.example/@embassy");
    }
}
