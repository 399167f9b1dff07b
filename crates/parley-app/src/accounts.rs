//! Accounts: profiles, their statuses and relationships, and administration.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use parley_core::AccountId;
use parley_core::filters::FilterContext;
use parley_core::model::{Account, PostingDefaults, ProfileField, Relationship, Role, Visibility};
use parley_core::page::PageRequest;
use parley_core::visibility::account_shown;
use parley_store::{AccountStatusesFilter, AdminUpdate, FollowOptions, NewAccount, ProfileUpdate, SuggestionSource};

use crate::password;
use crate::statuses::{accounts_for, render_text};
use crate::views::{StatusView, relationships_to, status_views};
use crate::{AppError, Context, Result};

pub const MAX_USERNAME: usize = 30;
pub const MAX_DISPLAY_NAME: usize = 30;
pub const MAX_NOTE: usize = 500;
pub const MAX_FIELD_NAME: usize = 255;
pub const MAX_FIELD_VALUE: usize = 255;
pub const PASSWORD_LENGTH: std::ops::RangeInclusive<usize> = 8..=72;

/// A profile change from `PATCH /api/v1/accounts/update_credentials`.
#[derive(Debug, Clone, Default)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub note: Option<String>,
    pub fields: Option<Vec<ProfileField>>,
    pub locked: Option<bool>,
    pub bot: Option<bool>,
    /// `source[privacy]`, `source[sensitive]`, `source[language]`.
    pub source: SourceChanges,
}

/// Changes to the posting defaults; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct SourceChanges {
    pub privacy: Option<String>,
    pub sensitive: Option<bool>,
    pub language: Option<String>,
}

/// An account made by an administrator (CLI) or by registration.
#[derive(Debug, Clone)]
pub struct AccountSpec {
    pub username: String,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub organisation: Option<String>,
    pub approved: bool,
    pub display_name: Option<String>,
    /// When the account joined; now unless given (the demo's story accounts
    /// joined before the 2018 posts they make).
    pub joined: Option<DateTime<Utc>>,
}

#[derive(Clone)]
pub struct AccountService {
    ctx: Arc<Context>,
}

impl AccountService {
    pub fn new(ctx: Arc<Context>) -> Self {
        AccountService { ctx }
    }

    /// An account anyone may look at: suspended ones and those awaiting
    /// approval are gone (`account_shown`; neither can sign in, so nobody
    /// asking here is the account itself).
    pub async fn get(&self, id: AccountId) -> Result<Account> {
        match self.ctx.store.find_account(id).await? {
            Some(a) if account_shown(&a, None) => Ok(a),
            _ => Err(AppError::NotFound),
        }
    }

    pub async fn get_many(&self, ids: &[AccountId]) -> Result<Vec<Account>> {
        let found = self.ctx.store.find_accounts(ids).await?;
        Ok(found.into_iter().filter(|a| account_shown(a, None)).map(Arc::unwrap_or_clone).collect())
    }

    /// `GET /api/v1/accounts/lookup?acct=` — `user`, `@user` or `user@this.domain`.
    pub async fn lookup(&self, acct: &str) -> Result<Account> {
        let acct = acct.trim().trim_start_matches('@');
        let (username, domain) = match acct.split_once('@') {
            Some((u, d)) => (u, Some(d)),
            None => (acct, None),
        };
        if domain.is_some_and(|d| !d.eq_ignore_ascii_case(&self.ctx.settings.domain)) {
            return Err(AppError::NotFound);
        }
        match self.ctx.store.find_account_by_username(username).await? {
            Some(a) if account_shown(&a, None) => Ok(a),
            _ => Err(AppError::NotFound),
        }
    }

    /// The local account a WebFinger `resource` names: `acct:user@domain`
    /// (or without `acct:`), the profile URL or the actor URI.
    pub async fn webfinger(&self, resource: &str) -> Result<Account> {
        let resource = resource.trim();
        let url = &self.ctx.settings.public_url;
        let username = [format!("{url}/@"), format!("{url}/users/")]
            .iter()
            .find_map(|prefix| resource.strip_prefix(prefix.as_str()))
            .filter(|name| !name.contains('/'));
        match username {
            Some(name) => self.lookup(name).await,
            None => self.lookup(resource.strip_prefix("acct:").unwrap_or(resource)).await,
        }
    }

    pub async fn update_credentials(&self, me: &Account, changes: ProfileChanges) -> Result<Account> {
        let mut update = ProfileUpdate { locked: changes.locked, bot: changes.bot, ..ProfileUpdate::default() };
        if let Some(name) = changes.display_name {
            if name.chars().count() > MAX_DISPLAY_NAME {
                return Err(AppError::validation(format!(
                    "Validation failed: Display name is too long (maximum is {MAX_DISPLAY_NAME} characters)"
                )));
            }
            update.display_name = Some(name.trim().to_string());
        }
        if let Some(note) = changes.note {
            if note.chars().count() > MAX_NOTE {
                return Err(AppError::validation(format!(
                    "Validation failed: Note is too long (maximum is {MAX_NOTE} characters)"
                )));
            }
            let rendered = render_text(&self.ctx, &note).await?;
            update.note = Some((note, rendered.html));
        }
        if let Some(fields) = changes.fields {
            let max = self.ctx.settings.max_profile_fields;
            let fields: Vec<ProfileField> =
                fields.into_iter().filter(|f| !(f.name.trim().is_empty() && f.value.trim().is_empty())).collect();
            if fields.len() > max {
                return Err(AppError::validation(format!(
                    "Validation failed: Fields is too long (maximum is {max} fields)"
                )));
            }
            if fields
                .iter()
                .any(|f| f.name.chars().count() > MAX_FIELD_NAME || f.value.chars().count() > MAX_FIELD_VALUE)
            {
                return Err(AppError::validation("Validation failed: Fields are too long"));
            }
            update.fields = Some(fields);
        }
        let source = changes.source;
        if let Some(privacy) = source.privacy {
            // Mastodon's default privacy is one of these three (never direct).
            update.posting_defaults.visibility = match Visibility::parse(&privacy) {
                Some(v @ (Visibility::Public | Visibility::Unlisted | Visibility::Private)) => Some(v),
                _ => return Err(AppError::validation("Validation failed: Privacy is not included in the list")),
            };
        }
        update.posting_defaults.sensitive = source.sensitive;
        if let Some(language) = source.language {
            update.posting_defaults.language = Some(crate::statuses::check_language(Some(language))?);
        }
        Ok(self.ctx.store.update_profile(me.id, update).await?)
    }

    /// The account's posting defaults (`source`, `/api/v1/preferences`).
    pub async fn posting_defaults(&self, me: AccountId) -> Result<PostingDefaults> {
        Ok(self.ctx.store.posting_defaults(me).await?)
    }

    /// `GET /api/v1/accounts/:id/statuses`
    pub async fn statuses(
        &self,
        viewer: Option<AccountId>,
        id: AccountId,
        filter: AccountStatusesFilter,
        page: PageRequest,
    ) -> Result<Vec<StatusView>> {
        let account = self.get(id).await?;
        if let Some(me) = viewer
            && me != account.id
        {
            let rel = self.relationship(me, account.id).await?;
            if rel.blocked_by {
                // Mastodon shows a blocked viewer nothing of the blocker's posts.
                return Ok(Vec::new());
            }
        }
        let statuses = self.ctx.store.account_statuses(viewer, account.id, filter, page).await?;
        let views = status_views(&self.ctx, viewer, statuses).await?;
        crate::filters::apply(&self.ctx, viewer, FilterContext::Account, views).await
    }

    pub async fn followers(&self, id: AccountId, page: PageRequest) -> Result<Vec<(i64, Account)>> {
        self.get(id).await?;
        let pairs = self.ctx.store.followers(id, page).await?;
        accounts_for(&self.ctx, pairs).await
    }

    pub async fn following(&self, id: AccountId, page: PageRequest) -> Result<Vec<(i64, Account)>> {
        self.get(id).await?;
        let pairs = self.ctx.store.following(id, page).await?;
        accounts_for(&self.ctx, pairs).await
    }

    pub async fn relationships(&self, me: AccountId, ids: &[AccountId]) -> Result<Vec<(AccountId, Relationship)>> {
        relationships_to(&self.ctx, me, ids).await
    }

    /// How `me` stands towards `other`; never a default standing (a block
    /// decides what may be seen and done).
    pub async fn relationship(&self, me: AccountId, other: AccountId) -> Result<Relationship> {
        let (_, rel) = relationships_to(&self.ctx, me, &[other])
            .await?
            .pop()
            .ok_or_else(|| AppError::Internal("no relationship for one account".into()))?;
        Ok(rel)
    }

    /// `POST /api/v1/accounts/:id/follow`: a request when the target is locked.
    pub async fn follow(&self, me: &Account, id: AccountId, options: FollowOptions) -> Result<Relationship> {
        let target = self.get(id).await?;
        if target.id == me.id {
            return Err(AppError::forbidden());
        }
        let rel = self.relationship(me.id, target.id).await?;
        if rel.blocking || rel.blocked_by {
            return Err(AppError::forbidden());
        }
        self.ctx.store.follow(me.id, target.id, target.locked, options).await?;
        self.relationship(me.id, target.id).await
    }

    pub async fn unfollow(&self, me: &Account, id: AccountId) -> Result<Relationship> {
        let target = self.get(id).await?;
        self.ctx.store.unfollow(me.id, target.id).await?;
        self.relationship(me.id, target.id).await
    }

    pub async fn block(&self, me: &Account, id: AccountId, on: bool) -> Result<Relationship> {
        let target = self.get(id).await?;
        if target.id == me.id {
            return Err(AppError::forbidden());
        }
        if on {
            self.ctx.store.block(me.id, target.id).await?;
        } else {
            self.ctx.store.unblock(me.id, target.id).await?;
        }
        self.relationship(me.id, target.id).await
    }

    /// Mutes (or unmutes) an account; `duration` seconds, `None` or 0 for ever (as Mastodon).
    pub async fn mute(
        &self,
        me: &Account,
        id: AccountId,
        on: bool,
        notifications: bool,
        duration: Option<i64>,
    ) -> Result<Relationship> {
        let expires_at = match duration {
            None | Some(0) => None,
            Some(seconds) => Some(
                chrono::TimeDelta::try_seconds(seconds)
                    .filter(|d| *d > chrono::TimeDelta::zero())
                    .and_then(|d| chrono::Utc::now().checked_add_signed(d))
                    .ok_or_else(|| {
                        AppError::validation("Validation failed: Duration is not a valid number of seconds")
                    })?,
            ),
        };
        let target = self.get(id).await?;
        if target.id == me.id {
            return Err(AppError::forbidden());
        }
        if on {
            self.ctx.store.mute(me.id, target.id, notifications, expires_at).await?;
        } else {
            self.ctx.store.unmute(me.id, target.id).await?;
        }
        self.relationship(me.id, target.id).await
    }

    /// `GET /api/v1/accounts/familiar_followers`: for each existing account
    /// of `ids`, those `me` follows who follow it (none for `me` itself, as
    /// Mastodon), at most `limit` each.
    pub async fn familiar_followers(
        &self,
        me: AccountId,
        ids: &[AccountId],
        limit: usize,
    ) -> Result<Vec<(AccountId, Vec<Account>)>> {
        let shown: Vec<AccountId> = self
            .ctx
            .store
            .find_accounts(ids)
            .await?
            .iter()
            .filter(|a| account_shown(a, Some(me)))
            .map(|a| a.id)
            .collect();
        let found = self.ctx.store.familiar_followers(me, &shown, limit).await?;
        let mut out = Vec::with_capacity(found.len());
        for (target, followers) in found {
            let followers = if target == me { Vec::new() } else { followers };
            let accounts = accounts_for(&self.ctx, followers.into_iter().map(|a| (0, a)).collect()).await?;
            out.push((target, accounts.into_iter().map(|(_, a)| a).collect()));
        }
        Ok(out)
    }

    /// `GET /api/v2/suggestions`: accounts `me` might follow, official ones
    /// first, then the most followed (see `Store::suggest_accounts`).
    pub async fn suggestions(&self, me: AccountId, limit: usize) -> Result<Vec<(Account, SuggestionSource)>> {
        let found = self.ctx.store.suggest_accounts(me, limit).await?;
        let ids: Vec<AccountId> = found.iter().map(|(id, _)| *id).collect();
        let accounts = self.ctx.store.find_accounts(&ids).await?;
        Ok(found
            .into_iter()
            .filter_map(|(id, source)| {
                accounts
                    .iter()
                    .find(|a| a.id == id)
                    .filter(|a| account_shown(a, Some(me)))
                    .map(|a| ((**a).clone(), source))
            })
            .collect())
    }

    /// `DELETE /api/v1/suggestions/:id`: stop suggesting `target` to `me`.
    pub async fn dismiss_suggestion(&self, me: AccountId, target: AccountId) -> Result<()> {
        Ok(self.ctx.store.dismiss_suggestion(me, target).await?)
    }

    /// `GET /api/v1/blocks`: (cursor, account), newest block first.
    pub async fn blocks(&self, me: AccountId, page: PageRequest) -> Result<Vec<(i64, Account)>> {
        let pairs = self.ctx.store.blocks_of(me, page).await?;
        accounts_for(&self.ctx, pairs).await
    }

    /// `GET /api/v1/mutes`: (cursor, account, when the mute ends), newest mute first.
    pub async fn mutes(&self, me: AccountId, page: PageRequest) -> Result<Vec<(i64, Account, Option<DateTime<Utc>>)>> {
        let mutes = self.ctx.store.mutes_of(me, page).await?;
        let ends: std::collections::HashMap<i64, Option<DateTime<Utc>>> =
            mutes.iter().map(|m| (m.cursor, m.expires_at)).collect();
        let pairs = mutes.into_iter().map(|m| (m.cursor, m.account)).collect();
        Ok(accounts_for(&self.ctx, pairs)
            .await?
            .into_iter()
            .map(|(cursor, account)| (cursor, account, ends.get(&cursor).copied().flatten()))
            .collect())
    }

    pub async fn follow_requests(&self, me: &Account, page: PageRequest) -> Result<Vec<(i64, Account)>> {
        let pairs = self.ctx.store.follow_requests(me.id, page).await?;
        accounts_for(&self.ctx, pairs).await
    }

    /// Authorizes (or rejects) a pending follow request; 404 when there is none.
    pub async fn answer_follow_request(
        &self,
        me: &Account,
        requester: AccountId,
        accept: bool,
    ) -> Result<Relationship> {
        let requester = self.get(requester).await?;
        let answered = if accept {
            self.ctx.store.authorize_follow_request(me.id, requester.id).await?
        } else {
            self.ctx.store.reject_follow_request(me.id, requester.id).await?
        };
        if !answered {
            return Err(AppError::NotFound);
        }
        self.relationship(me.id, requester.id).await
    }

    pub async fn search(&self, query: &str, limit: usize) -> Result<Vec<Account>> {
        Ok(self.ctx.store.search_accounts(query, limit).await?)
    }

    // ---- administration (CLI) ----

    /// Creates a local account after checking every field as registration does.
    pub async fn create(&self, spec: AccountSpec) -> Result<Account> {
        validate_new_account(&spec.username, &spec.email, &spec.password)?;
        let password_hash = password::hash(spec.password).await?;
        Ok(self
            .ctx
            .store
            .create_account(NewAccount {
                display_name: spec.display_name.unwrap_or_default(),
                username: spec.username,
                email: spec.email,
                password_hash,
                role: spec.role,
                organisation: spec.organisation,
                approved: spec.approved,
                created_at: spec.joined,
            })
            .await?)
    }

    pub async fn find_by_username(&self, username: &str) -> Result<Account> {
        self.ctx.store.find_account_by_username(username).await?.ok_or(AppError::NotFound)
    }

    pub async fn admin_update(&self, id: AccountId, update: AdminUpdate) -> Result<Account> {
        Ok(self.ctx.store.update_account_admin(id, update).await?)
    }

    /// The user changes their own password (current one required). Every
    /// session ends, as after a reset; the caller signs in again.
    pub async fn change_password(&self, me: &Account, current: &str, new_password: String) -> Result<()> {
        let creds = self.ctx.store.find_credentials(&me.username).await?.ok_or(AppError::NotFound)?;
        if !password::verify(current.to_string(), creds.password_hash).await? {
            return Err(AppError::validation("Validation failed: Current password is invalid"));
        }
        self.reset_password(me.id, new_password).await
    }

    /// Sets a new password and ends every session of the account.
    pub async fn reset_password(&self, id: AccountId, new_password: String) -> Result<()> {
        check_password(&new_password)?;
        let hash = password::hash(new_password).await?;
        Ok(self.ctx.store.reset_password(id, hash).await?)
    }

    pub async fn list(&self, page: PageRequest) -> Result<Vec<Account>> {
        Ok(self.ctx.store.list_accounts(page).await?)
    }
}

fn field_error(field: &str, code: &str, description: &str, message: &str) -> AppError {
    AppError::FieldValidation {
        message: format!("Validation failed: {message}"),
        details: vec![(field.into(), code.into(), description.into())],
    }
}

/// Mastodon's rules for a local account: username `[a-z0-9_]{1,30}`, an e-mail
/// address with an `@`, a password of 8 to 72 bytes.
pub fn validate_new_account(username: &str, email: &str, password: &str) -> Result<()> {
    if username.is_empty() {
        return Err(field_error("username", "ERR_BLANK", "can't be blank", "Username can't be blank"));
    }
    if !username.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(field_error(
            "username",
            "ERR_INVALID",
            "must contain only letters, numbers and underscores",
            "Username must contain only letters, numbers and underscores",
        ));
    }
    if username.len() > MAX_USERNAME {
        return Err(field_error(
            "username",
            "ERR_TOO_LONG",
            "is too long (maximum is 30 characters)",
            "Username is too long (maximum is 30 characters)",
        ));
    }
    let valid_email = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(char::is_whitespace);
    if !valid_email {
        return Err(field_error("email", "ERR_INVALID", "is invalid", "Email is invalid"));
    }
    check_password(password)
}

fn check_password(password: &str) -> Result<()> {
    if password.len() < *PASSWORD_LENGTH.start() {
        return Err(field_error(
            "password",
            "ERR_TOO_SHORT",
            "is too short (minimum is 8 characters)",
            "Password is too short (minimum is 8 characters)",
        ));
    }
    if password.len() > *PASSWORD_LENGTH.end() {
        return Err(field_error(
            "password",
            "ERR_TOO_LONG",
            "is too long (maximum is 72 characters)",
            "Password is too long (maximum is 72 characters)",
        ));
    }
    Ok(())
}

/// Runs until the process ends: ends mutes when their time is up (and, at
/// start, those that ended while the server was down).
pub async fn run_mute_expirer(ctx: Arc<Context>) {
    loop {
        if let Err(e) = ctx.store.unmute_expired(Utc::now()).await {
            tracing::error!(error = %e, "ending expired mutes failed");
        }
        let wait = match ctx.store.next_mute_expiry().await {
            Ok(Some(next)) => (next - Utc::now()).to_std().unwrap_or_default(),
            Ok(None) => std::time::Duration::from_secs(1),
            Err(e) => {
                tracing::error!(error = %e, "reading the next mute expiry failed");
                std::time::Duration::from_secs(1)
            }
        };
        // New mutes may end sooner than the next known one: look again at least every second.
        tokio::time::sleep(wait.clamp(std::time::Duration::from_millis(20), std::time::Duration::from_secs(1))).await;
    }
}
