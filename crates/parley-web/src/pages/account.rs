//! The account's own pages: sign in, sign up, sign out, notifications,
//! settings (profile and password).

use askama::Template;
use axum::http::header::SET_COOKIE;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use parley_app::AppError;
use parley_app::accounts::{MAX_DISPLAY_NAME, MAX_NOTE, ProfileChanges};
use parley_app::auth::Registration;
use parley_core::AccountId;
use parley_core::model::{Account, MarkerTimeline, NotificationKind, ProfileField};

use super::{cards, query};
use crate::format;
use crate::models::{self, AuthorModel, StatusCard};
use crate::render::{Layout, WebError, WebResult, ok, page, readable, see_other, see_other_with};
use crate::session::{Ctx, FormData, Post, local_path, sign_in_cookies, sign_out_cookies};

#[derive(Template)]
#[template(path = "sign_in.html")]
pub struct SignInPage {
    pub l: Layout,
    pub login: String,
    pub next: String,
    pub error: Option<String>,
    /// Whom to ask for a new password (the operator's published address;
    /// empty when none): only administrators reset passwords here.
    pub contact_email: String,
}

#[derive(Template)]
#[template(path = "notice.html")]
pub struct NoticePage {
    pub l: Layout,
    pub heading: String,
    pub message: String,
}

fn next_of(raw: Option<&str>) -> String {
    raw.and_then(local_path).filter(|p| !p.starts_with("/auth/")).unwrap_or_default()
}

/// A redirect that opens a session.
fn signed_in(site: &crate::Site, token: &str, next: &str) -> Response {
    let to = if next.is_empty() { "/home" } else { next };
    let mut response = see_other(to);
    for cookie in sign_in_cookies(token, site.secure) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

fn awaiting_approval(ctx: &Ctx) -> WebResult {
    ok(&NoticePage {
        l: Layout::new(ctx, "", "Awaiting approval"),
        heading: "Your account is waiting for approval".into(),
        message: "An administrator reviews new accounts on this server. You can sign in once yours is approved.".into(),
    })
}

/// `GET /auth/sign_in[?next=/path]`
pub async fn sign_in_page(ctx: Ctx, uri: Uri) -> WebResult {
    let next = next_of(query(&uri).get("next"));
    if ctx.me().is_some() {
        return Ok(see_other(if next.is_empty() { "/home" } else { &next }));
    }
    ok(&SignInPage {
        l: Layout::new(&ctx, "sign_in", "Sign in"),
        login: String::new(),
        next,
        error: None,
        contact_email: ctx.services().settings().contact_email.clone(),
    })
}

/// `POST /auth/sign_in`
pub async fn sign_in(Post(ctx, form): Post) -> WebResult {
    let login = form.text("login");
    let next = next_of(form.get("next"));
    let services = ctx.services();
    let refused = |message: String| {
        page(
            StatusCode::UNAUTHORIZED,
            &SignInPage {
                l: Layout::new(&ctx, "sign_in", "Sign in"),
                login: login.clone(),
                next: next.clone(),
                error: Some(message),
                contact_email: services.settings().contact_email.clone(),
            },
        )
    };
    match services.auth.sign_in_web(&login, &form.text("password")).await {
        Ok((token, account)) if !account.approved => {
            services.auth.sign_out_web(&token).await?;
            awaiting_approval(&ctx)
        }
        Ok((token, _)) => Ok(signed_in(&ctx.state.site, &token, &next)),
        Err(AppError::Internal(detail)) => Err(WebError::Internal(detail)),
        Err(e) => refused(readable(&e)),
    }
}

#[derive(Template)]
#[template(path = "sign_up.html")]
pub struct SignUpPage {
    pub l: Layout,
    pub domain: String,
    pub closed: bool,
    pub approval: bool,
    pub username: String,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    pub username_error: Option<String>,
    pub email_error: Option<String>,
    pub password_error: Option<String>,
    /// Under "Repeat the password", where the mismatch is.
    pub confirmation_error: Option<String>,
    /// The agreement was ticked: it stays ticked when the form comes back.
    pub agreed: bool,
    pub agreement_error: Option<String>,
}

impl SignUpPage {
    /// The message above the form: the fields' own errors are under each
    /// field, so above it only says how many need attention (never the same
    /// words twice); an error of no field is said in full.
    fn summarise(&mut self, whole_form: Option<String>) {
        let marked = [
            &self.username_error,
            &self.email_error,
            &self.password_error,
            &self.confirmation_error,
            &self.agreement_error,
        ]
        .iter()
        .filter(|e| e.is_some())
        .count();
        self.error = match marked {
            0 => whole_form,
            1 => Some("Please correct the field marked below.".into()),
            n => Some(format!("Please correct the {n} fields marked below.")),
        };
    }
}

fn sign_up_page_for(ctx: &Ctx, form: &FormData) -> SignUpPage {
    let mode = ctx.services().settings().registrations;
    SignUpPage {
        l: Layout::new(ctx, "sign_up", "Create an account"),
        domain: ctx.state.site.domain.clone(),
        closed: mode == parley_app::RegistrationsMode::Closed,
        approval: mode == parley_app::RegistrationsMode::Approval,
        username: form.text("username"),
        email: form.text("email"),
        next: next_of(form.get("next")),
        error: None,
        username_error: None,
        email_error: None,
        password_error: None,
        confirmation_error: None,
        agreed: form.checked("agreement"),
        agreement_error: None,
    }
}

/// `GET /auth/sign_up`
pub async fn sign_up_page(ctx: Ctx, uri: Uri) -> WebResult {
    if ctx.me().is_some() {
        return Ok(see_other("/home"));
    }
    ok(&sign_up_page_for(&ctx, &query(&uri)))
}

/// `POST /auth/sign_up`: registration as through the API, then signed in
/// (or told to wait for approval).
pub async fn sign_up(Post(ctx, form): Post) -> WebResult {
    let mut p = sign_up_page_for(&ctx, &form);
    let password = form.text("password");
    if password != form.text("password_confirmation") {
        p.confirmation_error = Some("This is not the same as the password above.".into());
        p.summarise(None);
        return page(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    let registration = Registration {
        username: form.text("username").trim().to_string(),
        email: form.text("email").trim().to_string(),
        password,
        agreement: form.checked("agreement"),
        locale: None,
        reason: None,
    };
    let services = ctx.services();
    match services.auth.sign_up_web(registration).await {
        Ok((token, account)) if !account.approved => {
            services.auth.sign_out_web(&token).await?;
            awaiting_approval(&ctx)
        }
        Ok((token, _)) => {
            let next = if p.next.is_empty() { "/home".to_string() } else { p.next.clone() };
            Ok(signed_in(&ctx.state.site, &token, &next))
        }
        Err(AppError::FieldValidation { message, details }) => {
            let mut unplaced = false;
            for (field, _, description) in details {
                match field.as_str() {
                    "username" => p.username_error = Some(format!("Username {description}")),
                    "email" => p.email_error = Some(format!("E-mail {description}")),
                    "password" => p.password_error = Some(format!("Password {description}")),
                    "agreement" => p.agreement_error = Some("Please agree to the rules to create an account.".into()),
                    _ => unplaced = true,
                }
            }
            // A detail of no field shown here: the whole message says it.
            let whole = readable(&AppError::Validation(message));
            p.summarise(Some(whole.clone()));
            if unplaced {
                p.error = Some(whole);
            }
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(AppError::Internal(detail)) => Err(WebError::Internal(detail)),
        Err(e) => {
            p.error = Some(readable(&e));
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
    }
}

/// `POST /auth/sign_out`: ends this session (its token is revoked).
pub async fn sign_out(Post(ctx, _form): Post) -> WebResult {
    if let Some(token) = &ctx.session.token {
        ctx.services().auth.sign_out_web(token).await?;
    }
    let mut response = see_other_with(&ctx.state.site, "/", "notice", "You are signed out.");
    for cookie in sign_out_cookies(ctx.state.site.secure) {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

pub struct NotificationItem {
    pub kind: &'static str,
    /// The kind in words, for the icon's text alternative.
    pub kind_label: &'static str,
    /// Newer than the read marker was when the page was asked for.
    pub unread: bool,
    /// A follow by someone the viewer does not follow (nor asked to).
    pub follow_back: bool,
    pub from: AuthorModel,
    pub from_id: String,
    /// A follow request still waiting for an answer.
    pub pending_request: bool,
    pub text: String,
    pub when_iso: String,
    pub when_short: String,
    pub when_long: String,
    pub status: Option<StatusCard>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
pub struct NotificationsPage {
    pub l: Layout,
    pub items: Vec<NotificationItem>,
    pub older: Option<String>,
}

fn notification_text(kind: NotificationKind, status_is_mine: bool) -> &'static str {
    match kind {
        NotificationKind::Mention => "mentioned you",
        NotificationKind::Status => "posted",
        NotificationKind::Reblog => "boosted your post",
        NotificationKind::Follow => "followed you",
        NotificationKind::FollowRequest => "asked to follow you",
        NotificationKind::Favourite => "favourited your post",
        NotificationKind::Poll if status_is_mine => "Your poll has ended.",
        NotificationKind::Poll => "A poll you voted in has ended.",
        NotificationKind::Update => "edited a post",
    }
}

/// `GET /notifications`
pub async fn notifications(ctx: Ctx, uri: Uri) -> WebResult {
    let me = ctx.require_me("/notifications")?.clone();
    let page_req = super::page_request(&query(&uri));
    let views = ctx.services().notifications.list(me.id, &[], None, page_req).await?;
    let waiting: Vec<parley_core::AccountId> = ctx
        .services()
        .accounts
        .follow_requests(&me, parley_core::page::PageRequest { limit: 80, ..Default::default() })
        .await?
        .into_iter()
        .map(|(_, a)| a.id)
        .collect();
    // What was unread until now is marked on the page; the page's newest
    // becomes read (as Mastodon's web app does when it shows them).
    let markers = &ctx.services().markers;
    let read_until = markers.get(me.id, &[MarkerTimeline::Notifications]).await?.pop().map_or(0, |m| m.last_read_id);
    let newest = views.first().map(|n| n.notification.id.0).filter(|id| *id > read_until);
    if let (Some(newest), None) = (newest, page_req.max_id) {
        markers.save(me.id, vec![(MarkerTimeline::Notifications, newest)]).await?;
    }
    let followers: Vec<AccountId> =
        views.iter().filter(|n| n.notification.kind == NotificationKind::Follow).map(|n| n.account.id).collect();
    let not_followed: Vec<AccountId> = ctx
        .services()
        .accounts
        .relationships(me.id, &followers)
        .await?
        .into_iter()
        .filter(|(_, r)| !r.following && !r.requested)
        .map(|(id, _)| id)
        .collect();
    let now = Utc::now();
    let older = (views.len() >= page_req.limit)
        .then(|| views.last())
        .flatten()
        .map(|n| format!("/notifications?max_id={}", n.notification.id));
    let items = views
        .iter()
        .map(|n| {
            let status = n.status.as_ref().and_then(|s| cards(&ctx, std::slice::from_ref(s)).into_iter().next());
            let mine = status.as_ref().is_some_and(|s| s.mine);
            let t = n.notification.created_at;
            NotificationItem {
                kind: n.notification.kind.as_str(),
                kind_label: kind_label(n.notification.kind),
                unread: n.notification.id.0 > read_until,
                follow_back: n.notification.kind == NotificationKind::Follow
                    && not_followed.contains(&n.account.id)
                    && n.account.id != me.id,
                from: models::author(&ctx.state.site, &n.account),
                from_id: n.account.id.to_string(),
                pending_request: n.notification.kind == NotificationKind::FollowRequest
                    && waiting.contains(&n.account.id),
                text: notification_text(n.notification.kind, mine).to_string(),
                when_iso: format::iso(t),
                when_short: format::short_ago(t, now),
                when_long: format::long_datetime(t),
                status,
            }
        })
        .collect();
    let mut l = Layout::new(&ctx, "notifications", "Notifications");
    // Read now: the header no longer counts them.
    if page_req.max_id.is_none() {
        l.unread = String::new();
    }
    ok(&NotificationsPage { l, items, older })
}

/// A notification's kind in words.
fn kind_label(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Mention => "Mention",
        NotificationKind::Status => "New post",
        NotificationKind::Reblog => "Boost",
        NotificationKind::Follow => "New follower",
        NotificationKind::FollowRequest => "Follow request",
        NotificationKind::Favourite => "Favourite",
        NotificationKind::Poll => "Poll ended",
        NotificationKind::Update => "Edited post",
    }
}

#[derive(Template)]
#[template(path = "settings.html")]
pub struct SettingsPage {
    pub l: Layout,
    pub username: String,
    pub display_name: String,
    pub note: String,
    pub fields: Vec<ProfileField>,
    pub locked: bool,
    pub bot: bool,
    pub max_display_name: usize,
    pub max_note: usize,
    pub profile_error: Option<String>,
    pub password_error: Option<String>,
}

fn settings_page(ctx: &Ctx, me: &Account) -> SettingsPage {
    let max = ctx.services().settings().max_profile_fields;
    let mut fields = me.fields.clone();
    fields.truncate(max);
    while fields.len() < max {
        fields.push(ProfileField { name: String::new(), value: String::new() });
    }
    SettingsPage {
        l: Layout::new(ctx, "settings", "Settings"),
        username: me.username.clone(),
        display_name: me.display_name.clone(),
        note: me.note.clone(),
        fields,
        locked: me.locked,
        bot: me.bot,
        max_display_name: MAX_DISPLAY_NAME,
        max_note: MAX_NOTE,
        profile_error: None,
        password_error: None,
    }
}

/// `GET /settings`
pub async fn settings(ctx: Ctx) -> WebResult {
    let me = ctx.require_me("/settings")?.clone();
    ok(&settings_page(&ctx, &me))
}

/// `POST /settings/profile`: display name, bio, profile fields.
pub async fn save_profile(Post(ctx, form): Post) -> WebResult {
    let me = ctx.require_me("/settings")?.clone();
    let fields: Vec<ProfileField> = form
        .all("field_name")
        .into_iter()
        .zip(form.all("field_value"))
        .map(|(name, value)| ProfileField { name: name.trim().to_string(), value: value.trim().to_string() })
        .collect();
    let changes = ProfileChanges {
        display_name: Some(form.text("display_name")),
        note: Some(form.text("note")),
        fields: Some(fields.clone()),
        locked: Some(form.checked("locked")),
        bot: Some(form.checked("bot")),
        // The settings page has no posting defaults (yet): they stay as they are.
        source: Default::default(),
    };
    match ctx.services().accounts.update_credentials(&me, changes).await {
        Ok(_) => Ok(see_other_with(&ctx.state.site, "/settings", "notice", "Your profile is saved.")),
        Err(e @ (AppError::Validation(_) | AppError::FieldValidation { .. })) => {
            let mut p = settings_page(&ctx, &me);
            p.display_name = form.text("display_name");
            p.note = form.text("note");
            for (slot, sent) in p.fields.iter_mut().zip(fields) {
                *slot = sent;
            }
            p.profile_error = Some(readable(&e));
            page(StatusCode::UNPROCESSABLE_ENTITY, &p)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /settings/password`: every session ends (this one too); sign in again.
pub async fn change_password(Post(ctx, form): Post) -> WebResult {
    let me = ctx.require_me("/settings")?.clone();
    let new_password = form.text("new_password");
    let refused = |message: String| {
        let mut p = settings_page(&ctx, &me);
        p.password_error = Some(message);
        page(StatusCode::UNPROCESSABLE_ENTITY, &p)
    };
    if new_password != form.text("new_password_confirmation") {
        return refused("The two new passwords differ.".into());
    }
    match ctx.services().accounts.change_password(&me, &form.text("current_password"), new_password).await {
        Ok(()) => {
            let mut response = see_other_with(
                &ctx.state.site,
                "/auth/sign_in",
                "notice",
                "Your password is changed. Sign in with the new one.",
            );
            for cookie in sign_out_cookies(ctx.state.site.secure) {
                response.headers_mut().append(SET_COOKIE, cookie);
            }
            Ok(response.into_response())
        }
        Err(e @ (AppError::Validation(_) | AppError::FieldValidation { .. })) => refused(readable(&e)),
        Err(e) => Err(e.into()),
    }
}
