//! Writing: the compose form (text, visibility, content warning, reply, and a
//! poll builder within this server's limits), and posting it.

use askama::Template;
use axum::http::{StatusCode, Uri};
use parley_app::statuses::{CreateStatus, PollRequest, requested_visibility};
use parley_app::views::StatusView;
use parley_app::{AppError, Services};
use parley_core::StatusId;
use parley_core::model::Visibility;
use parley_core::poll::{MAX_MIN_ACCOUNT_AGE_DAYS, PollError};

use super::query;
use crate::format;
use crate::models::{self, PollOptions, StatusCard};
use crate::render::{self, Layout, WebResult, ok, readable, see_other_with};
use crate::session::{Ctx, FormData, Post, random_token};

/// Poll durations offered, in seconds; those outside the server's limits are left out.
const DURATIONS: [i64; 9] = [60, 300, 1800, 3600, 21_600, 86_400, 259_200, 604_800, 2_592_000];
const DEFAULT_DURATION: i64 = 86_400;

pub struct VisibilityChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

pub struct PollInput {
    /// 1-based, for labels.
    pub n: usize,
    pub value: String,
}

pub struct DurationChoice {
    pub secs: i64,
    pub label: String,
    pub selected: bool,
}

/// The compose form's contents (empty, a reply, or what was sent back with an error).
pub struct ComposeModel {
    pub text: String,
    pub spoiler_text: String,
    pub visibilities: Vec<VisibilityChoice>,
    pub in_reply_to: Option<String>,
    pub max_characters: usize,
    pub poll_open: bool,
    pub options: Vec<PollInput>,
    pub durations: Vec<DurationChoice>,
    pub multiple: bool,
    pub hide_totals: bool,
    /// Who may vote: the minimum account age in days as typed (empty: any).
    pub min_account_age_days: String,
    pub local_only: bool,
    pub max_min_account_age_days: i64,
    pub max_option_chars: usize,
    /// Posting the same form twice makes one status.
    pub idempotency: String,
    pub error: Option<String>,
    /// A smaller box, on the home timeline.
    pub compact: bool,
}

fn visibilities(selected: Visibility) -> Vec<VisibilityChoice> {
    [
        (Visibility::Public, "Public"),
        (Visibility::Unlisted, "Unlisted (not on public timelines)"),
        (Visibility::Private, "Followers only"),
        (Visibility::Direct, "Mentioned people only"),
    ]
    .into_iter()
    .map(|(v, label)| VisibilityChoice { value: v.as_str(), label, selected: v == selected })
    .collect()
}

fn durations(services: &Services, selected: i64) -> Vec<DurationChoice> {
    let limits = services.settings().poll_limits;
    let mut offered: Vec<i64> =
        DURATIONS.iter().copied().filter(|d| (limits.min_expiration..=limits.max_expiration).contains(d)).collect();
    if offered.is_empty() {
        offered.push(limits.min_expiration);
    }
    let selected = if offered.contains(&selected) {
        selected
    } else if offered.contains(&DEFAULT_DURATION) {
        DEFAULT_DURATION
    } else {
        offered[0]
    };
    offered
        .into_iter()
        .map(|secs| DurationChoice { secs, label: format::duration_words(secs), selected: secs == selected })
        .collect()
}

impl ComposeModel {
    pub fn new(ctx: &Ctx) -> ComposeModel {
        let settings = ctx.services().settings();
        let limits = settings.poll_limits;
        ComposeModel {
            text: String::new(),
            spoiler_text: String::new(),
            visibilities: visibilities(Visibility::Public),
            in_reply_to: None,
            max_characters: settings.max_characters,
            poll_open: false,
            options: (1..=limits.max_options).map(|n| PollInput { n, value: String::new() }).collect(),
            durations: durations(ctx.services(), DEFAULT_DURATION),
            multiple: false,
            hide_totals: false,
            min_account_age_days: String::new(),
            local_only: false,
            max_min_account_age_days: MAX_MIN_ACCOUNT_AGE_DAYS,
            max_option_chars: limits.max_characters_per_option,
            idempotency: random_token(),
            error: None,
            compact: false,
        }
    }

    /// A reply: mentions the author and the others mentioned, and is no more
    /// visible than what it answers.
    pub fn reply_to(ctx: &Ctx, parent: &StatusView) -> ComposeModel {
        let mut c = ComposeModel::new(ctx);
        let me = ctx.me().map(|a| a.username.as_str()).unwrap_or_default();
        let mut mentions = vec![parent.account.username.clone()];
        mentions.extend(parent.mentions.iter().map(|a| a.username.clone()));
        mentions.dedup();
        c.text = mentions.iter().filter(|u| u.as_str() != me).map(|u| format!("@{u} ")).collect();
        c.visibilities = visibilities(parent.status.visibility);
        c.in_reply_to = Some(parent.status.id.to_string());
        c.spoiler_text = parent.status.spoiler_text.clone();
        c
    }

    /// The form as it was sent, to show again with `error`.
    fn from_form(ctx: &Ctx, form: &FormData, error: String) -> ComposeModel {
        let mut c = ComposeModel::new(ctx);
        c.text = form.text("text");
        c.spoiler_text = form.text("spoiler_text");
        c.visibilities = visibilities(Visibility::parse(&form.text("visibility")).unwrap_or(Visibility::Public));
        c.in_reply_to = form.get("in_reply_to_id").filter(|r| r.parse::<i64>().is_ok()).map(str::to_string);
        let sent = form.all("poll_options");
        for (input, value) in c.options.iter_mut().zip(sent.iter()) {
            input.value = (*value).to_string();
        }
        c.poll_open = sent.iter().any(|v| !v.trim().is_empty());
        c.durations = durations(
            ctx.services(),
            form.get("poll_expires_in").and_then(|d| d.parse().ok()).unwrap_or(DEFAULT_DURATION),
        );
        c.multiple = form.checked("poll_multiple");
        c.hide_totals = form.checked("poll_hide_totals");
        c.min_account_age_days = form.text("poll_min_account_age_days").trim().to_string();
        c.local_only = form.checked("poll_local_only");
        c.idempotency = form.get("idempotency").map(str::to_string).unwrap_or_else(random_token);
        c.error = Some(error);
        c
    }
}

#[derive(Template)]
#[template(path = "compose.html")]
pub struct ComposePage {
    pub l: Layout,
    pub c: ComposeModel,
    pub replying_to: Option<StatusCard>,
}

/// `GET /compose[?in_reply_to=ID]`
pub async fn page(ctx: Ctx, uri: Uri) -> WebResult {
    ctx.require_me(uri.path_and_query().map(|p| p.as_str()).unwrap_or("/compose"))?;
    let q = query(&uri);
    let (c, replying_to) = match q.get("in_reply_to").and_then(|r| r.parse::<StatusId>().ok()) {
        Some(id) => {
            let parent = ctx.services().statuses.get(ctx.viewer(), id).await?;
            let card =
                models::card(&ctx.state.site, &parent, ctx.viewer(), chrono::Utc::now(), &PollOptions::default());
            (ComposeModel::reply_to(&ctx, &parent), Some(card))
        }
        None => (ComposeModel::new(&ctx), None),
    };
    ok(&ComposePage { l: Layout::new(&ctx, "compose", "New post"), c, replying_to })
}

/// `POST /statuses`: posts, then shows the new status.
pub async fn create(Post(ctx, form): Post) -> WebResult {
    let me = ctx.require_me("/compose")?.clone();
    let services = ctx.services();
    let in_reply_to_id = match form.get("in_reply_to_id").filter(|r| !r.is_empty()) {
        Some(raw) => Some(super::parse_id::<StatusId>(raw)?),
        None => None,
    };
    let app = services.auth.web_app().await?;
    // What the form cannot say is refused with the form shown again, as the
    // API refuses it: an unknown visibility is not quietly made public.
    let created = match (requested_visibility(form.get("visibility")), poll_request(&form)) {
        (Ok(visibility), Ok(poll)) => {
            let request = CreateStatus {
                text: form.text("text"),
                in_reply_to_id,
                visibility,
                spoiler_text: form.text("spoiler_text"),
                idempotency_key: form.get("idempotency").filter(|k| !k.is_empty()).map(|k| format!("web:{k}")),
                app: Some(app.id),
                poll,
                ..Default::default()
            };
            services.statuses.create(&me, request).await
        }
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match created {
        Ok(view) => Ok(see_other_with(
            &ctx.state.site,
            &format!("/@{}/{}", me.username, view.status.id),
            "notice",
            "Your post is published.",
        )),
        Err(e @ (AppError::Validation(_) | AppError::FieldValidation { .. } | AppError::BadRequest(_))) => {
            let c = ComposeModel::from_form(&ctx, &form, readable(&e));
            render::page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ComposePage { l: Layout::new(&ctx, "compose", "New post"), c, replying_to: None },
            )
        }
        Err(e) => Err(e.into()),
    }
}

/// The poll builder's fields, when any option was filled in.
fn poll_request(form: &FormData) -> Result<Option<PollRequest>, AppError> {
    let options: Vec<String> =
        form.all("poll_options").into_iter().map(str::trim).filter(|o| !o.is_empty()).map(str::to_string).collect();
    if options.is_empty() {
        return Ok(None);
    }
    let min_account_age_days = match form.get("poll_min_account_age_days").map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(days) => {
            Some(days.parse::<i64>().map_err(|_| AppError::Validation(PollError::MinAccountAge.to_string()))?)
        }
    };
    // The form offers a list of durations; anything else sent is refused, never
    // quietly turned into the default.
    let expires_in = match form.get("poll_expires_in").map(str::trim).filter(|d| !d.is_empty()) {
        None => DEFAULT_DURATION,
        Some(secs) => secs
            .parse::<i64>()
            .map_err(|_| AppError::Validation("Validation failed: Poll duration is invalid".into()))?,
    };
    Ok(Some(PollRequest {
        options,
        expires_in: Some(expires_in),
        multiple: form.checked("poll_multiple"),
        hide_totals: form.checked("poll_hide_totals"),
        min_account_age_days,
        local_only: form.checked("poll_local_only"),
    }))
}
