//! Reading: the landing page with the public timeline, the home timeline,
//! hashtags, profiles, and a status with its thread.

use askama::Template;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::{HeaderMap, Uri};
use axum::response::Response;
use chrono::Utc;
use parley_app::AccountStatusesFilter;
use parley_core::StatusId;
use parley_core::model::ProfileField;

use super::compose::ComposeModel;
use super::embed::{EmbedStyle, EmbedTheme, EmbedView, embed_code};
use super::{cards, excerpt, page_request, pager, parse_id, query};
use crate::format;
use crate::models::{self, AuthorModel, PollOptions, StatusCard};
use crate::render::{Layout, WebError, WebResult, ok, see_other};
use crate::session::Ctx;

pub struct Hero {
    pub title: String,
    pub description: String,
    pub users_text: String,
    pub posts_text: String,
}

#[derive(Template)]
#[template(path = "timeline.html")]
pub struct TimelinePage {
    pub l: Layout,
    pub heading: String,
    pub note: Option<String>,
    pub hero: Option<Hero>,
    pub compose: Option<ComposeModel>,
    pub statuses: Vec<StatusCard>,
    pub empty: String,
    /// A place to go from the empty state: (href, words).
    pub empty_link: Option<(String, String)>,
    /// People to follow, offered when an empty home timeline has nothing to show.
    pub suggestions: Vec<Suggested>,
    pub older: Option<String>,
    pub newer: Option<String>,
}

/// An account offered to follow (`AccountService::suggestions`).
pub struct Suggested {
    pub id: String,
    pub author: AuthorModel,
    pub note: String,
}

/// How many accounts an empty home timeline offers.
const SUGGESTED: usize = 6;

/// `GET /`: what this server is, and its public timeline.
pub async fn landing(ctx: Ctx, uri: Uri) -> WebResult {
    let services = ctx.services();
    let page = page_request(&query(&uri));
    let views = services.timelines.public(ctx.viewer(), true, page).await?;
    let (older, newer) = pager("/", &views, &page);
    let settings = services.settings();
    let hero = if ctx.me().is_none() && page.max_id.is_none() && page.min_id.is_none() {
        let stats = services.instance.stats().await?;
        Some(Hero {
            title: settings.title.clone(),
            description: settings.description.clone(),
            users_text: format::count(stats.user_count, "account", "accounts"),
            posts_text: format::count(stats.status_count, "post", "posts"),
        })
    } else {
        None
    };
    ok(&TimelinePage {
        l: Layout::new(&ctx, "public", "Public timeline"),
        heading: "Public timeline".into(),
        note: Some(format!("The latest public posts by people on {}.", settings.title)),
        hero,
        compose: None,
        statuses: cards(&ctx, &views),
        empty: "No public posts yet.".into(),
        empty_link: None,
        suggestions: Vec::new(),
        older,
        newer,
    })
}

/// `GET /home`: the signed-in person's home timeline, with the compose box.
pub async fn home(ctx: Ctx, uri: Uri) -> WebResult {
    let me = ctx.require_me("/home")?.clone();
    let page = page_request(&query(&uri));
    let views = ctx.services().timelines.home(me.id, page).await?;
    let (older, newer) = pager("/home", &views, &page);
    let mut compose = ComposeModel::new(&ctx);
    compose.compact = true;
    // Nothing to show yet: offer people to follow, official accounts first.
    let suggestions = if views.is_empty() && page.max_id.is_none() && page.min_id.is_none() {
        ctx.services()
            .accounts
            .suggestions(me.id, SUGGESTED)
            .await?
            .iter()
            .map(|(a, _)| Suggested {
                id: a.id.to_string(),
                author: models::author(&ctx.state.site, a),
                note: excerpt(&a.note, 140),
            })
            .collect()
    } else {
        Vec::new()
    };
    ok(&TimelinePage {
        l: Layout::new(&ctx, "home", "Home"),
        heading: "Home".into(),
        note: None,
        hero: None,
        compose: Some(compose),
        statuses: cards(&ctx, &views),
        empty: "Your home timeline shows posts by the people you follow.".into(),
        empty_link: Some(("/".into(), "Find people on the public timeline".into())),
        suggestions,
        older,
        newer,
    })
}

/// `GET /tags/:tag`
pub async fn tag(ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> WebResult {
    let Ok(Path(tag)) = path else { return Err(WebError::NotFound) };
    let tag = tag.trim_start_matches('#').to_string();
    if tag.is_empty() || tag.chars().count() > 100 {
        return Err(WebError::NotFound);
    }
    let page = page_request(&query(&uri));
    let views = ctx.services().timelines.tag(ctx.viewer(), &tag, page).await?;
    let base = format!("/tags/{}", form_urlencoded::byte_serialize(tag.as_bytes()).collect::<String>());
    let (older, newer) = pager(&base, &views, &page);
    ok(&TimelinePage {
        l: Layout::new(&ctx, "", format!("#{tag}")),
        heading: format!("#{tag}"),
        note: Some(format!("Public posts tagged #{tag}.")),
        hero: None,
        compose: None,
        statuses: cards(&ctx, &views),
        empty: format!("No public posts tagged #{tag} yet."),
        empty_link: None,
        suggestions: Vec::new(),
        older,
        newer,
    })
}

pub struct ProfileModel {
    pub author: AuthorModel,
    pub account_id: String,
    pub note_html: String,
    pub fields: Vec<ProfileField>,
    pub posts_text: String,
    pub following_text: String,
    pub followers_text: String,
    pub joined_text: String,
    pub is_me: bool,
    pub signed_in: bool,
    pub following: bool,
    pub requested: bool,
    pub followed_by: bool,
    pub with_replies: bool,
}

#[derive(Template)]
#[template(path = "profile.html")]
pub struct ProfilePage {
    pub l: Layout,
    pub canonical: String,
    pub profile: ProfileModel,
    pub pinned: Vec<StatusCard>,
    pub statuses: Vec<StatusCard>,
    pub empty: String,
    /// The feed's empty state (shared with timelines): never set here.
    pub empty_link: Option<(String, String)>,
    pub suggestions: Vec<Suggested>,
    pub older: Option<String>,
    pub newer: Option<String>,
}

/// The username in a `/@username` segment; `None` for a path that is not a profile's.
fn username_of(handle: &str) -> Option<&str> {
    handle.strip_prefix('@').filter(|u| !u.is_empty())
}

/// `GET /@username`
pub async fn profile(
    ctx: Ctx,
    uri: Uri,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
) -> WebResult<Response> {
    let handle = path.map(|Path(h)| h).unwrap_or_default();
    let Some(username) = username_of(&handle) else {
        return Ok(crate::not_found_for(&ctx.state, &uri, &headers).await);
    };
    let services = ctx.services();
    let account = services.accounts.lookup(username).await?;
    if account.username != username {
        return Ok(see_other(&format!("/@{}", account.username)));
    }
    let q = query(&uri);
    let with_replies = q.checked("with_replies");
    let page = page_request(&q);
    let filter = AccountStatusesFilter { exclude_replies: !with_replies, ..Default::default() };
    let views = services.accounts.statuses(ctx.viewer(), account.id, filter, page).await?;
    let first_page = page.max_id.is_none() && page.min_id.is_none();
    let pinned = if first_page {
        let filter = AccountStatusesFilter { pinned: true, ..Default::default() };
        services.accounts.statuses(ctx.viewer(), account.id, filter, page_request(&Default::default())).await?
    } else {
        Vec::new()
    };
    let base =
        if with_replies { format!("/@{}?with_replies=1", account.username) } else { format!("/@{}", account.username) };
    let (older, newer) = pager(&base, &views, &page);
    let rel = match ctx.me() {
        Some(me) if me.id != account.id => services.accounts.relationship(me.id, account.id).await?,
        _ => Default::default(),
    };
    let author = models::author(&ctx.state.site, &account);
    let title = format!("{} (@{})", author.display_name, author.acct);
    let profile = ProfileModel {
        account_id: account.id.to_string(),
        note_html: account.note_html.clone(),
        fields: account.fields.clone(),
        posts_text: format::count(account.statuses_count, "post", "posts"),
        following_text: format!("{} following", format::thousands(account.following_count)),
        followers_text: format::count(account.followers_count, "follower", "followers"),
        joined_text: format::date(account.created_at),
        is_me: ctx.viewer() == Some(account.id),
        signed_in: ctx.me().is_some(),
        following: rel.following,
        requested: rel.requested,
        followed_by: rel.followed_by,
        with_replies,
        author,
    };
    ok(&ProfilePage {
        l: Layout::new(&ctx, "", title),
        canonical: ctx.state.site.origin.clone() + &profile.author.path,
        empty: "No posts yet.".into(),
        empty_link: None,
        suggestions: Vec::new(),
        pinned: cards(&ctx, &pinned),
        statuses: cards(&ctx, &views),
        older,
        newer,
        profile,
    })
}

#[derive(Template)]
#[template(path = "status.html")]
pub struct StatusPage {
    pub l: Layout,
    pub canonical: String,
    pub oembed_url: String,
    pub og_title: String,
    pub og_description: String,
    pub ancestors: Vec<StatusCard>,
    pub focus: Option<StatusCard>,
    pub descendants: Vec<StatusCard>,
    pub reply: Option<ComposeModel>,
    /// The embed panel: the editor's choices, and the code they give.
    pub embed: EmbedPanel,
}

/// "Embed this post": the view and theme chosen (`?view=`, `?theme=` on the
/// status page, opening the panel), the code to paste, the iframe alone.
pub struct EmbedPanel {
    pub style: EmbedStyle,
    /// The page was asked for a style: show the panel open.
    pub open: bool,
    pub code: String,
    pub iframe: String,
    pub preview_path: String,
}

/// `GET /@username/:id`: the status, the conversation around it, a reply box.
pub async fn status(
    ctx: Ctx,
    uri: Uri,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
) -> WebResult<Response> {
    let (handle, raw_id) = path.map(|Path(p)| p).unwrap_or_default();
    let Some(username) = username_of(&handle) else {
        return Ok(crate::not_found_for(&ctx.state, &uri, &headers).await);
    };
    let id: StatusId = parse_id(&raw_id)?;
    let services = ctx.services();
    let viewer = ctx.viewer();
    let view = services.statuses.get(viewer, id).await?;
    if let Some(original) = &view.reblog {
        return Ok(see_other(&format!("/@{}/{}", original.account.username, original.status.id)));
    }
    if view.account.username != username {
        return Ok(see_other(&format!("/@{}/{}", view.account.username, id)));
    }
    let (ancestors, descendants) = services.statuses.context(viewer, id).await?;
    let q = query(&uri);
    let style = EmbedStyle::from_query(&q).map_err(WebError::BadRequest)?;
    let opts = PollOptions {
        results: q.checked("results"),
        choices: q.all("choices").iter().filter_map(|c| c.parse().ok()).collect(),
        embed: false,
    };
    let site = &ctx.state.site;
    let mut focus = models::card(site, &view, viewer, Utc::now(), &opts);
    focus.focus = true;
    let path = focus.path.clone();
    let canonical = format!("{}{}", site.origin, path);
    let mut description = excerpt(&view.status.text, 200);
    if let Some(p) = &focus.poll {
        description = format!("{description} {}", p.in_words());
    }
    let reply = ctx.me().map(|_| {
        let mut c = ComposeModel::reply_to(&ctx, &view);
        c.compact = true;
        c
    });
    // The embed is anonymous whoever looks at this page: its code comes
    // from the status as anyone sees it.
    let anonymous = models::card(site, &view, None, Utc::now(), &style.poll_options());
    let code = embed_code(&ctx.state, &view, &anonymous, &style.apply(&format!("{canonical}/embed")), (None, None))?;
    let embed = EmbedPanel {
        style,
        open: q.get("view").is_some() || q.get("theme").is_some(),
        code: code.snippet,
        iframe: code.iframe,
        preview_path: style.apply(&format!("{path}/embed")),
    };
    ok(&StatusPage {
        l: Layout::new(&ctx, "", format!("{}: “{}”", focus.author.display_name, excerpt(&view.status.text, 60))),
        oembed_url: format!(
            "{}/api/oembed?url={}",
            site.origin,
            form_urlencoded::byte_serialize(canonical.as_bytes()).collect::<String>()
        ),
        og_title: format!("{} (@{})", focus.author.display_name, focus.author.acct),
        og_description: description,
        ancestors: cards(&ctx, &ancestors),
        descendants: cards(&ctx, &descendants),
        reply,
        embed,
        focus: Some(focus),
        canonical,
    })
}

/// `GET /statuses/:id`: to the status's page (links that know only the ID).
pub async fn status_by_id(ctx: Ctx, path: Result<Path<String>, PathRejection>) -> WebResult {
    let Ok(Path(raw)) = path else { return Err(WebError::NotFound) };
    let view = ctx.services().statuses.get(ctx.viewer(), parse_id(&raw)?).await?;
    Ok(see_other(&format!("/@{}/{}", view.account.username, view.status.id)))
}

/// Whom an account follows, or who follows it.
#[derive(Template)]
#[template(path = "people.html")]
pub struct PeoplePage {
    pub l: Layout,
    pub owner: AuthorModel,
    pub heading: String,
    /// Followers (else whom the account follows).
    pub followers: bool,
    pub people: Vec<Suggested>,
    pub empty: String,
    pub older: Option<String>,
}

/// `GET /@username/followers`: newest follow first.
pub async fn followers(ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> WebResult<Response> {
    people(ctx, uri, path, true).await
}

/// `GET /@username/following`: newest follow first.
pub async fn following(ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>) -> WebResult<Response> {
    people(ctx, uri, path, false).await
}

async fn people(ctx: Ctx, uri: Uri, path: Result<Path<String>, PathRejection>, followers: bool) -> WebResult<Response> {
    let handle = path.map(|Path(h)| h).unwrap_or_default();
    let kind = if followers { "followers" } else { "following" };
    let username = username_of(&handle).ok_or(WebError::NotFound)?;
    let services = ctx.services();
    let account = services.accounts.lookup(username).await?;
    if account.username != username {
        return Ok(see_other(&format!("/@{}/{kind}", account.username)));
    }
    let page = page_request(&query(&uri));
    let found = if followers {
        services.accounts.followers(account.id, page).await?
    } else {
        services.accounts.following(account.id, page).await?
    };
    let owner = models::author(&ctx.state.site, &account);
    let older = (found.len() >= page.limit)
        .then(|| found.last())
        .flatten()
        .map(|(cursor, _)| format!("{}/{kind}?max_id={cursor}", owner.path));
    let people = found
        .iter()
        .map(|(_, a)| Suggested {
            id: a.id.to_string(),
            author: models::author(&ctx.state.site, a),
            note: excerpt(&a.note, 140),
        })
        .collect();
    let (heading, empty) = if followers {
        (format!("People following {}", owner.display_name), format!("Nobody follows {} yet.", owner.display_name))
    } else {
        (format!("People {} follows", owner.display_name), format!("{} follows nobody yet.", owner.display_name))
    };
    ok(&PeoplePage { l: Layout::new(&ctx, "", heading.clone()), owner, heading, followers, people, empty, older })
}
