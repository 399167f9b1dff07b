//! Apps, OAuth 2 grants, access tokens, registration, and who a request is.
//!
//! Secrets (client secrets, codes, tokens) are random and stored only as
//! SHA-256 hashes; passwords as Argon2id.

use std::sync::Arc;

use chrono::{Duration, Utc};
use parley_core::model::{Account, App, Role};
use parley_core::scope::Scopes;
use parley_store::{NewApp, NewGrant, NewToken};

use crate::accounts::{AccountSpec, validate_new_account};
use crate::password::{self, pkce_s256_matches, random_secret, secret_hash};
use crate::{AppError, Context, RegistrationsMode, Result};

/// The redirect URI that shows the code on a page instead of redirecting.
pub const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";

/// How long an authorization code may wait to be exchanged.
const CODE_LIFETIME_MINUTES: i64 = 10;

/// Identities of recently seen tokens, so a request needs no token lookup.
///
/// Derived state (see `parley_store::changes`): a revoked token is forgotten
/// when its record is applied, and an account's identities when its standing,
/// profile or tokens change, whichever process made the change (the CLI
/// included). A load that raced with such a change is not kept (the epoch).
/// The cached account is for identification and standing (ID, username,
/// approval, suspension); endpoints that show the account read it afresh.
#[derive(Default)]
pub struct IdentityCache {
    inner: std::sync::Mutex<Identities>,
}

#[derive(Default)]
struct Identities {
    /// Shared, not copied: a request takes a reference count, not a deep copy
    /// of the app and the account, and a growing map moves pointers only.
    by_token: std::collections::HashMap<String, Arc<Identity>>,
    /// Each account's cached token hashes, to forget them together.
    by_account: std::collections::HashMap<parley_core::AccountId, Vec<String>>,
    /// Forgets so far: a load is kept only if none happened while it ran.
    epoch: u64,
}

/// Identities kept before the cache starts over (about 1 KB each).
const MAX_CACHED_IDENTITIES: usize = 200_000;

impl IdentityCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, Identities> {
        // Every critical section leaves the maps consistent.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The cached identity, or the epoch to [`Self::put`] a loaded one with.
    fn get(&self, token_hash: &str) -> std::result::Result<Arc<Identity>, u64> {
        let guard = self.lock();
        guard.by_token.get(token_hash).cloned().ok_or(guard.epoch)
    }

    fn put(&self, token_hash: String, epoch: u64, identity: Arc<Identity>) {
        let mut guard = self.lock();
        if guard.epoch != epoch {
            return;
        }
        if guard.by_token.len() >= MAX_CACHED_IDENTITIES {
            guard.by_token.clear();
            guard.by_account.clear();
        }
        if let Some(account) = &identity.account {
            guard.by_account.entry(account.id).or_default().push(token_hash.clone());
        }
        guard.by_token.insert(token_hash, identity);
    }

    fn forget_token(&self, token_hash: &str) {
        let mut guard = self.lock();
        guard.epoch += 1;
        if let Some(identity) = guard.by_token.remove(token_hash)
            && let Some(account) = &identity.account
            && let Some(hashes) = guard.by_account.get_mut(&account.id)
        {
            hashes.retain(|h| h != token_hash);
        }
    }

    fn forget_account(&self, account: parley_core::AccountId) {
        let mut guard = self.lock();
        guard.epoch += 1;
        for hash in guard.by_account.remove(&account).unwrap_or_default() {
            guard.by_token.remove(&hash);
        }
    }

    /// Every cached identity, for the rebuild-and-compare check.
    fn cached(&self) -> Vec<(String, Arc<Identity>)> {
        self.lock().by_token.iter().map(|(h, i)| (h.clone(), i.clone())).collect()
    }

    /// Reads every cached identity again from the store: the differences.
    pub(crate) async fn differences(&self, ctx: &Context) -> Result<Vec<String>> {
        let mut found = Vec::new();
        for (hash, kept) in self.cached() {
            let fresh = ctx.store.find_token_identity(&hash).await?;
            let same = match &fresh {
                Some((info, app, account)) => {
                    *app == kept.app
                        && account.as_ref().map(standing) == kept.account.as_ref().map(standing)
                        && Scopes::parse(&info.scopes).ok() == Some(kept.scopes.clone())
                }
                None => false,
            };
            if !same {
                let who = kept.account.as_ref().map(|a| a.username.clone()).unwrap_or_default();
                found.push(format!("identity of a token of {who:?}: kept {kept:?}, database {fresh:?}"));
            }
        }
        Ok(found)
    }
}

/// What an identity's account is kept for: the account without its counters
/// (which move with every post and follow and are never read from here).
fn standing(account: &Account) -> Account {
    Account { followers_count: 0, following_count: 0, statuses_count: 0, last_status_at: None, ..account.clone() }
}

impl parley_store::changes::ChangeListener for IdentityCache {
    fn apply(&self, record: &parley_store::changes::ChangeRecord) {
        use parley_store::changes::Change;
        match &record.change {
            Change::TokenRevoked { token_hash } => self.forget_token(token_hash),
            Change::TokensRevoked { account }
            | Change::StandingChanged { account, .. }
            | Change::ProfileUpdated { account } => self.forget_account(*account),
            Change::Everything => self.reset(),
            _ => {}
        }
    }

    fn reset(&self) {
        let mut guard = self.lock();
        guard.epoch += 1;
        guard.by_token.clear();
        guard.by_account.clear();
    }
}

/// Who is making a request: the app, the account (unless app-only), the scopes.
#[derive(Debug, Clone)]
pub struct Identity {
    pub app: App,
    pub account: Option<Account>,
    pub scopes: Scopes,
}

impl Identity {
    /// 403 unless the token was granted `scope` (or a scope covering it).
    pub fn require_scope(&self, scope: &str) -> Result<()> {
        if self.scopes.allows(scope) { Ok(()) } else { Err(AppError::MissingScope) }
    }

    /// The signed-in account, if it may act: approved and not suspended.
    pub fn user(&self) -> Result<&Account> {
        let account = self.account.as_ref().ok_or(AppError::UserRequired)?;
        if account.suspended {
            return Err(AppError::Suspended);
        }
        if !account.approved {
            return Err(AppError::PendingApproval);
        }
        Ok(account)
    }
}

/// The kinds of OAuth error (RFC 6749 §5.2); the HTTP edge picks the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthErrorKind {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    AccessDenied,
    /// Something failed inside (RFC 6749 §4.1.2.1 `server_error`): the
    /// description is the internal cause, logged at the edge and never sent.
    ServerError,
}

impl OAuthErrorKind {
    pub fn code(self) -> &'static str {
        match self {
            OAuthErrorKind::InvalidRequest => "invalid_request",
            OAuthErrorKind::InvalidClient => "invalid_client",
            OAuthErrorKind::InvalidGrant => "invalid_grant",
            OAuthErrorKind::UnauthorizedClient => "unauthorized_client",
            OAuthErrorKind::UnsupportedGrantType => "unsupported_grant_type",
            OAuthErrorKind::InvalidScope => "invalid_scope",
            OAuthErrorKind::AccessDenied => "access_denied",
            OAuthErrorKind::ServerError => "server_error",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{description}")]
pub struct OAuthError {
    pub kind: OAuthErrorKind,
    pub description: String,
}

fn oauth(kind: OAuthErrorKind, description: &str) -> OAuthError {
    OAuthError { kind, description: description.to_string() }
}

/// A token request (`POST /oauth/token`), fields as sent.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub scope: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
}

/// An issued access token (the plain value exists only in this answer).
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub access_token: String,
    pub scopes: Scopes,
    pub created_at: i64,
}

/// A validated `GET /oauth/authorize` request, ready to show the consent page.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub app: App,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

#[derive(Clone)]
pub struct AuthService {
    ctx: Arc<Context>,
}

impl AuthService {
    pub fn new(ctx: Arc<Context>) -> Self {
        AuthService { ctx }
    }

    /// `POST /api/v1/apps`: returns the app and its client secret (shown once).
    pub async fn register_app(
        &self,
        name: &str,
        redirect_uris: Vec<String>,
        scopes: Option<&str>,
        website: Option<String>,
    ) -> Result<(App, String)> {
        let name = name.trim();
        if name.is_empty() {
            return Err(AppError::validation("Validation failed: Application name can't be blank"));
        }
        if name.chars().count() > 60 {
            return Err(AppError::validation(
                "Validation failed: Application name is too long (maximum is 60 characters)",
            ));
        }
        let redirect_uris: Vec<String> = redirect_uris
            .iter()
            .flat_map(|u| u.split('\n'))
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect();
        if redirect_uris.is_empty() {
            return Err(AppError::validation("Validation failed: Redirect URI can't be blank"));
        }
        for uri in &redirect_uris {
            if !valid_redirect_uri(uri) {
                return Err(AppError::validation("Validation failed: Redirect URI must be an absolute URI."));
            }
        }
        let scopes = Scopes::parse(scopes.unwrap_or("read"))
            .map_err(|e| AppError::validation(format!("Validation failed: Scopes {e}")))?;
        let website = website.map(|w| w.trim().to_string()).filter(|w| !w.is_empty());
        if let Some(w) = &website {
            // Shown as `application.website`, a link on statuses: only the web.
            if w.chars().count() > MAX_WEBSITE_CHARACTERS {
                return Err(AppError::validation(format!(
                    "Validation failed: Website is too long (maximum is {MAX_WEBSITE_CHARACTERS} characters)"
                )));
            }
            if !valid_website(w) {
                return Err(AppError::validation("Validation failed: Website is invalid"));
            }
        }
        let client_id = random_secret();
        let client_secret = random_secret();
        let app = self
            .ctx
            .store
            .create_app(NewApp {
                name: name.to_string(),
                website,
                redirect_uris,
                scopes: scopes.to_string(),
                client_id,
                client_secret_hash: secret_hash(&client_secret),
            })
            .await?;
        Ok((app, client_secret))
    }

    /// Who a bearer token stands for; `InvalidToken` for unknown or revoked ones.
    pub async fn authenticate(&self, token: &str) -> Result<Arc<Identity>> {
        let hash = secret_hash(token);
        let epoch = match self.ctx.identities.get(&hash) {
            Ok(identity) => return Ok(identity),
            Err(epoch) => epoch,
        };
        let (info, app, account) = self.ctx.store.find_token_identity(&hash).await?.ok_or(AppError::InvalidToken)?;
        let scopes = Scopes::parse(&info.scopes).map_err(|_| AppError::InvalidToken)?;
        let identity = Arc::new(Identity { app, account, scopes });
        self.ctx.identities.put(hash, epoch, identity.clone());
        Ok(identity)
    }

    /// Checks a `GET /oauth/authorize` request before the consent page is shown.
    pub async fn check_authorize(
        &self,
        response_type: &str,
        client_id: &str,
        redirect_uri: &str,
        scope: Option<&str>,
        code_challenge: Option<String>,
        code_challenge_method: Option<String>,
    ) -> Result<AuthorizeRequest, OAuthError> {
        let (app, _) = self
            .ctx
            .store
            .find_app_by_client_id(client_id)
            .await
            .map_err(server_error)?
            .ok_or_else(|| oauth(OAuthErrorKind::InvalidClient, "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."))?;
        if !app.redirect_uris.iter().any(|u| u == redirect_uri) {
            return Err(oauth(
                OAuthErrorKind::InvalidRequest,
                "The requested redirect uri is malformed or doesn't match client redirect URI.",
            ));
        }
        if response_type != "code" {
            return Err(oauth(
                OAuthErrorKind::InvalidRequest,
                "The authorization server does not support this response type.",
            ));
        }
        let scopes = self.requested_scopes(&app, scope)?;
        let method = match (&code_challenge, code_challenge_method.as_deref()) {
            (None, _) => None,
            // Only S256, as the metadata says: `plain` protects nothing once
            // the authorization request is seen. A challenge without a method
            // is taken as S256, as clients that send one mean.
            (Some(_), None | Some("S256")) => Some("S256".to_string()),
            (Some(_), Some(_)) => {
                return Err(oauth(OAuthErrorKind::InvalidRequest, "Code challenge method must be S256."));
            }
        };
        Ok(AuthorizeRequest {
            app,
            redirect_uri: redirect_uri.to_string(),
            scopes,
            code_challenge,
            code_challenge_method: method,
        })
    }

    /// The user signed in on the consent page and approved: issue a code.
    pub async fn approve(&self, req: &AuthorizeRequest, login: &str, password: &str) -> Result<String> {
        let account = self.check_password(login, password).await?;
        let code = random_secret();
        self.ctx
            .store
            .create_grant(NewGrant {
                code_hash: secret_hash(&code),
                app_id: req.app.id,
                account_id: account.id,
                scopes: req.scopes.to_string(),
                redirect_uri: req.redirect_uri.clone(),
                code_challenge: req.code_challenge.clone(),
                code_challenge_method: req.code_challenge_method.clone(),
                expires_at: Utc::now() + Duration::minutes(CODE_LIFETIME_MINUTES),
            })
            .await?;
        Ok(code)
    }

    /// Signs in with e-mail (or username) and password. Unknown login and wrong
    /// password take the same time and give the same answer.
    pub async fn check_password(&self, login: &str, password: &str) -> Result<Account> {
        let Some(creds) = self.ctx.store.find_credentials(login.trim()).await? else {
            password::burn_time(password.to_string()).await?;
            return Err(AppError::Forbidden("Invalid e-mail address, username or password.".into()));
        };
        if !password::verify(password.to_string(), creds.password_hash).await? {
            return Err(AppError::Forbidden("Invalid e-mail address, username or password.".into()));
        }
        let account = self.ctx.store.find_account(creds.account_id).await?.ok_or(AppError::NotFound)?;
        if account.suspended {
            return Err(AppError::Suspended);
        }
        Ok(account)
    }

    /// `POST /oauth/token`
    pub async fn token(&self, req: TokenRequest) -> Result<IssuedToken, OAuthError> {
        let (app, secret_hash_stored) = self
            .ctx
            .store
            .find_app_by_client_id(&req.client_id)
            .await
            .map_err(server_error)?
            .ok_or_else(invalid_client)?;
        let secret_ok = req.client_secret.as_deref().is_some_and(|s| secret_hash(s) == secret_hash_stored);
        match req.grant_type.as_str() {
            "authorization_code" => {
                let code = req.code.as_deref().filter(|c| !c.is_empty()).ok_or_else(|| {
                    oauth(OAuthErrorKind::InvalidRequest, "The request is missing a required parameter: code.")
                })?;
                let code_hash = secret_hash(code);
                let grant =
                    self.ctx.store.find_grant(&code_hash).await.map_err(server_error)?.ok_or_else(invalid_grant)?;
                if grant.app_id != app.id {
                    return Err(invalid_grant());
                }
                if grant.redeemed {
                    // A replay: the code may have been stolen, so what it gave
                    // goes too. Redeeming a redeemed code revokes that token
                    // (the new token offered is never stored).
                    let (_, unused) = self.new_token(&app, None, &Scopes::default());
                    self.ctx.store.redeem_grant(&code_hash, unused).await.map_err(server_error)?;
                    return Err(invalid_grant());
                }
                // Refusals below leave the code as it was: a wrong guess by
                // someone else must not spoil it for the client it was given to.
                if grant.expires_at < Utc::now() || req.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
                    return Err(invalid_grant());
                }
                match (&grant.code_challenge, req.code_verifier.as_deref()) {
                    // Only S256 is offered (the metadata lists it alone); a code
                    // stored with `plain` by an older version matches nothing.
                    (Some(challenge), Some(verifier)) => {
                        let s256 = grant.code_challenge_method.as_deref().is_none_or(|m| m == "S256");
                        if !s256 || !pkce_s256_matches(verifier, challenge) {
                            return Err(invalid_grant());
                        }
                    }
                    (Some(_), None) => return Err(invalid_grant()),
                    (None, _) if !secret_ok => return Err(invalid_client()),
                    (None, _) => {}
                }
                if req.client_secret.is_some() && !secret_ok {
                    return Err(invalid_client());
                }
                let scopes = Scopes::parse(&grant.scopes).map_err(|_| invalid_grant())?;
                let (access_token, new) = self.new_token(&app, Some(grant.account_id), &scopes);
                if !self.ctx.store.redeem_grant(&code_hash, new).await.map_err(server_error)? {
                    // Redeemed meanwhile by another request: a replay too.
                    return Err(invalid_grant());
                }
                Ok(IssuedToken { access_token, scopes, created_at: Utc::now().timestamp() })
            }
            "client_credentials" => {
                if !secret_ok {
                    return Err(invalid_client());
                }
                let scopes = self.requested_scopes(&app, req.scope.as_deref())?;
                self.issue(&app, None, scopes).await
            }
            "password" if self.ctx.settings.password_grant => {
                if !secret_ok {
                    return Err(invalid_client());
                }
                let scopes = self.requested_scopes(&app, req.scope.as_deref())?;
                let account = self
                    .check_password(req.username.as_deref().unwrap_or(""), req.password.as_deref().unwrap_or(""))
                    .await
                    .map_err(|e| match e {
                        AppError::Internal(detail) => server_error(detail),
                        _ => invalid_grant(),
                    })?;
                self.issue(&app, Some(account.id), scopes).await
            }
            "" => {
                Err(oauth(OAuthErrorKind::InvalidRequest, "The request is missing a required parameter: grant_type."))
            }
            _ => Err(oauth(
                OAuthErrorKind::UnsupportedGrantType,
                "The authorization grant type is not supported by the authorization server.",
            )),
        }
    }

    /// `POST /oauth/revoke`: revoking an unknown token succeeds (RFC 7009).
    pub async fn revoke(&self, client_id: &str, client_secret: Option<&str>, token: &str) -> Result<(), OAuthError> {
        let (app, stored) =
            self.ctx.store.find_app_by_client_id(client_id).await.map_err(server_error)?.ok_or_else(invalid_client)?;
        if client_secret.map(secret_hash).as_deref() != Some(stored.as_str()) {
            return Err(oauth(OAuthErrorKind::UnauthorizedClient, "You are not authorized to revoke this token"));
        }
        self.ctx.store.revoke_token(&secret_hash(token), app.id).await.map_err(server_error)?;
        Ok(())
    }

    /// `POST /api/v1/accounts` with an app token: creates the account and a user token.
    pub async fn register(&self, identity: &Identity, form: Registration) -> Result<(IssuedToken, Account)> {
        match self.ctx.settings.registrations {
            RegistrationsMode::Closed => return Err(AppError::forbidden()),
            RegistrationsMode::Open | RegistrationsMode::Approval => {}
        }
        if !form.agreement {
            return Err(AppError::FieldValidation {
                message: "Validation failed: Agreement must be accepted".into(),
                details: vec![("agreement".into(), "ERR_ACCEPTED".into(), "must be accepted".into())],
            });
        }
        validate_new_account(&form.username, &form.email, &form.password)?;
        let approved = self.ctx.settings.registrations == RegistrationsMode::Open;
        let account = crate::accounts::AccountService::new(self.ctx.clone())
            .create(AccountSpec {
                username: form.username,
                email: form.email,
                password: form.password,
                role: Role::User,
                organisation: None,
                approved,
                display_name: None,
                joined: None,
            })
            .await?;
        let token = self
            .issue(&identity.app, Some(account.id), identity.scopes.clone())
            .await
            .map_err(|e| AppError::Internal(e.description))?;
        Ok((token, account))
    }

    /// The built-in application the web interface signs people in through.
    pub async fn web_app(&self) -> Result<App> {
        const WEB_CLIENT_ID: &str = "parley-web";
        if let Some((app, _)) = self.ctx.store.find_app_by_client_id(WEB_CLIENT_ID).await? {
            return Ok(app);
        }
        let created = self
            .ctx
            .store
            .create_app(NewApp {
                name: "Parley Web".into(),
                website: Some(self.ctx.settings.public_url.clone()),
                redirect_uris: vec![OOB_REDIRECT.into()],
                scopes: "read write follow push".into(),
                client_id: WEB_CLIENT_ID.into(),
                // Nobody knows this secret: the web app never uses the token endpoint.
                client_secret_hash: secret_hash(&random_secret()),
            })
            .await;
        match created {
            Ok(app) => Ok(app),
            // Another node created it first.
            Err(_) => Ok(self.ctx.store.find_app_by_client_id(WEB_CLIENT_ID).await?.ok_or(AppError::NotFound)?.0),
        }
    }

    /// Web sign-in: checks the password and opens a session (a token of the web app).
    pub async fn sign_in_web(&self, login: &str, password: &str) -> Result<(String, Account)> {
        let account = self.check_password(login, password).await?;
        let app = self.web_app().await?;
        let token = self
            .issue_user_token(&app, account.id, Scopes::parse("read write follow push").unwrap_or_default())
            .await?;
        Ok((token, account))
    }

    /// Web sign-up: registration as through the API, opening a session.
    pub async fn sign_up_web(&self, form: Registration) -> Result<(String, Account)> {
        let app = self.web_app().await?;
        let identity =
            Identity { app, account: None, scopes: Scopes::parse("read write follow push").unwrap_or_default() };
        let (token, account) = self.register(&identity, form).await?;
        Ok((token.access_token, account))
    }

    /// Ends a web session.
    pub async fn sign_out_web(&self, token: &str) -> Result<()> {
        let app = self.web_app().await?;
        self.ctx.store.revoke_token(&secret_hash(token), app.id).await?;
        Ok(())
    }

    /// Issues a user token for an existing account without a sign-in (bulk
    /// seeding and load tests, run by an operator with access to the server).
    pub async fn issue_user_token(&self, app: &App, account: parley_core::AccountId, scopes: Scopes) -> Result<String> {
        let issued = self.issue(app, Some(account), scopes).await.map_err(|e| AppError::Internal(e.description))?;
        Ok(issued.access_token)
    }

    fn requested_scopes(&self, app: &App, scope: Option<&str>) -> Result<Scopes, OAuthError> {
        // Stored scopes were checked when the app registered; unreadable ones
        // grant nothing (fails closed), so every request is then refused.
        let app_scopes = Scopes::parse(&app.scopes).unwrap_or_default();
        let requested = match scope.map(str::trim).filter(|s| !s.is_empty()) {
            None => return Ok(app_scopes),
            Some(s) => Scopes::parse(s).map_err(|_| invalid_scope())?,
        };
        if !app_scopes.contains_all(&requested) {
            return Err(invalid_scope());
        }
        Ok(requested)
    }

    async fn issue(
        &self,
        app: &App,
        account: Option<parley_core::AccountId>,
        scopes: Scopes,
    ) -> Result<IssuedToken, OAuthError> {
        let (token, new) = self.new_token(app, account, &scopes);
        self.ctx.store.create_token(new).await.map_err(server_error)?;
        Ok(IssuedToken { access_token: token, scopes, created_at: Utc::now().timestamp() })
    }

    /// A new random token and the row that stores it (hashed).
    fn new_token(&self, app: &App, account: Option<parley_core::AccountId>, scopes: &Scopes) -> (String, NewToken) {
        let token = random_secret();
        let new = NewToken {
            token_hash: secret_hash(&token),
            app_id: app.id,
            account_id: account,
            scopes: scopes.to_string(),
        };
        (token, new)
    }
}

/// A new random access token and the hash it is stored under (bulk seeding).
pub fn new_token() -> (String, String) {
    let token = random_secret();
    let hash = secret_hash(&token);
    (token, hash)
}

/// The fields of `POST /api/v1/accounts`.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub username: String,
    pub email: String,
    pub password: String,
    pub agreement: bool,
    pub locale: Option<String>,
    pub reason: Option<String>,
}

/// A failure inside (the database): a 500 at the edge, logged there once.
fn server_error(e: impl std::fmt::Display) -> OAuthError {
    OAuthError { kind: OAuthErrorKind::ServerError, description: e.to_string() }
}

fn invalid_client() -> OAuthError {
    oauth(
        OAuthErrorKind::InvalidClient,
        "Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.",
    )
}

fn invalid_grant() -> OAuthError {
    oauth(
        OAuthErrorKind::InvalidGrant,
        "The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.",
    )
}

fn invalid_scope() -> OAuthError {
    oauth(OAuthErrorKind::InvalidScope, "The requested scope is invalid, unknown, or malformed.")
}

/// Longest app website, as Mastodon's `validates :website, length: { maximum: 2_000 }`.
const MAX_WEBSITE_CHARACTERS: usize = 2000;

/// An http(s) URL with a host and nothing a browser would treat differently
/// from how it reads (whitespace, control characters, credentials).
fn valid_website(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    let Some(rest) = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")) else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority
        .rsplit_once(':')
        .map_or(authority, |(h, port)| if port.chars().all(|c| c.is_ascii_digit()) { h } else { authority });
    !host.is_empty()
        && !authority.contains('@')
        && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'))
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// An absolute URI with a scheme that cannot run code in a browser, or the OOB marker.
fn valid_redirect_uri(uri: &str) -> bool {
    if uri == OOB_REDIRECT {
        return true;
    }
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let scheme = scheme.to_ascii_lowercase();
    let scheme_ok = !scheme.is_empty()
        && scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    scheme_ok
        && !matches!(scheme.as_str(), "javascript" | "data" | "vbscript")
        && !rest.is_empty()
        && !uri.contains('#')
        && !uri.chars().any(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websites_are_http_urls_with_a_host() {
        for good in ["https://ivory.example", "http://app.example:8080/about?x=1", "HTTPS://A.EXAMPLE/"] {
            assert!(valid_website(good), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "JavaScript://%0aalert(1)",
            "data:text/html,x",
            "https://",
            "https:///path",
            "https://user@evil.example",
            "https://a b.example",
            "ftp://files.example",
            "//app.example",
        ] {
            assert!(!valid_website(bad), "{bad}");
        }
    }

    #[test]
    fn redirect_uris_must_be_absolute_and_harmless() {
        assert!(valid_redirect_uri("https://app.example/callback"));
        assert!(valid_redirect_uri("com.tapbots.ivory:/request_token"));
        assert!(valid_redirect_uri(OOB_REDIRECT));
        for bad in
            ["/relative", "javascript:alert(1)", "data:text/html,x", "VBScript:x", "https://a/b#frag", "no scheme"]
        {
            assert!(!valid_redirect_uri(bad), "{bad}");
        }
    }
}
