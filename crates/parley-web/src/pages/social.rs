//! Acting: favourite, boost, delete, follow, and voting in a poll. Each is a
//! form post that redirects back to where it came from (to the status on
//! that page), with a message saying what happened. Favourite and boost also
//! answer JSON to the page's script (`Accept: application/json`), which
//! toggles them in place; the form and its redirect stay for no-script use.

use axum::Json;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::header::ACCEPT;
use axum::http::{HeaderMap, Uri};
use axum::response::IntoResponse;
use parley_app::{AppError, FollowOptions};
use parley_core::{AccountId, PollId, StatusId};
use serde::Serialize;

use super::{parse_id, query};
use crate::render::{WebError, WebResult, readable, see_other, see_other_with};
use crate::session::{Ctx, Post};

/// Where to go after a form: its `back` field, at `anchor`.
fn back_to(back: Option<String>, default: &str, anchor: &str) -> String {
    let base = back.unwrap_or_else(|| default.to_string());
    let base = base.split('#').next().unwrap_or_default().to_string();
    if anchor.is_empty() { base } else { format!("{base}#{anchor}") }
}

/// A status's marks after a favourite or boost, for the script to show.
#[derive(Serialize)]
struct Marks {
    favourited: bool,
    favourites_count: i64,
    reblogged: bool,
    reblogs_count: i64,
}

/// `POST /statuses/:id/{favourite,unfavourite,reblog,unreblog,delete}`
pub async fn status_action(
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    Post(ctx, form): Post,
) -> WebResult {
    let Ok(Path((raw_id, action))) = path else { return Err(WebError::NotFound) };
    let back = form.back();
    let me = ctx.require_me(back.as_deref().unwrap_or("/home"))?.clone();
    let id: StatusId = parse_id(&raw_id)?;
    let statuses = &ctx.services().statuses;
    let anchor = format!("s-{id}");
    match action.as_str() {
        "favourite" => statuses.favourite(&me, id).await.map(drop),
        "unfavourite" => statuses.unfavourite(&me, id).await.map(drop),
        "reblog" => {
            let app = ctx.services().auth.web_app().await?;
            statuses.reblog(&me, id, None, Some(app.id)).await.map(drop)
        }
        "unreblog" => statuses.unreblog(&me, id).await.map(drop),
        "delete" => {
            let deleted = statuses.delete(&me, id).await?;
            // The deleted status's own page is gone: go to the profile instead.
            let own_page = format!("/@{}/{}", deleted.account.username, id);
            let to = match back {
                Some(b) if !b.starts_with(&own_page) => back_to(Some(b), "/", ""),
                _ => format!("/@{}", me.username),
            };
            return Ok(see_other_with(&ctx.state.site, &to, "notice", "Your post was deleted."));
        }
        _ => return Err(WebError::NotFound),
    }
    .map_err(WebError::from)?;
    let wants_json = headers.get(ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"));
    if wants_json {
        // Read back as the viewer now sees it: a boost's answer is the boost,
        // the marks the page shows are the original's.
        let view = statuses.get(Some(me.id), id).await?;
        let shown = view.reblog.as_deref().unwrap_or(&view);
        let marks = Marks {
            favourited: shown.favourited == Some(true),
            favourites_count: shown.status.favourites_count,
            reblogged: shown.reblogged == Some(true),
            reblogs_count: shown.status.reblogs_count,
        };
        return Ok(Json(marks).into_response());
    }
    Ok(see_other(&back_to(back, "/home", &anchor)))
}

/// `POST /accounts/:id/{follow,unfollow}`
pub async fn account_action(path: Result<Path<(String, String)>, PathRejection>, Post(ctx, form): Post) -> WebResult {
    let Ok(Path((raw_id, action))) = path else { return Err(WebError::NotFound) };
    let back = form.back();
    let me = ctx.require_me(back.as_deref().unwrap_or("/"))?.clone();
    let id: AccountId = parse_id(&raw_id)?;
    let accounts = &ctx.services().accounts;
    let target = accounts.get(id).await?;
    let (result, message) = match action.as_str() {
        "follow" => {
            let rel = accounts.follow(&me, id, FollowOptions::default()).await;
            let message = match &rel {
                Ok(r) if r.requested => format!("You asked to follow {}.", target.username),
                _ => format!("You follow {} now.", target.username),
            };
            (rel, message)
        }
        "unfollow" => (accounts.unfollow(&me, id).await, format!("You no longer follow {}.", target.username)),
        _ => return Err(WebError::NotFound),
    };
    result?;
    let to = back_to(back, &format!("/@{}", target.username), "");
    Ok(see_other_with(&ctx.state.site, &to, "notice", &message))
}

/// `POST /follow_requests/:id/{authorize,reject}`: answers a request to follow
/// a locked account (from the notifications page).
pub async fn follow_request(path: Result<Path<(String, String)>, PathRejection>, Post(ctx, form): Post) -> WebResult {
    let Ok(Path((raw_id, action))) = path else { return Err(WebError::NotFound) };
    let back = form.back();
    let me = ctx.require_me(back.as_deref().unwrap_or("/notifications"))?.clone();
    let id: AccountId = parse_id(&raw_id)?;
    let accept = match action.as_str() {
        "authorize" => true,
        "reject" => false,
        _ => return Err(WebError::NotFound),
    };
    let requester = ctx.services().accounts.get(id).await?;
    ctx.services().accounts.answer_follow_request(&me, id, accept).await?;
    let message = if accept {
        format!("{} follows you now.", requester.username)
    } else {
        format!("You declined {}'s request.", requester.username)
    };
    Ok(see_other_with(&ctx.state.site, &back_to(back, "/notifications", ""), "notice", &message))
}

/// `POST /polls/:id/votes` with `choices` (one, or several for a
/// multiple-choice poll): votes, then back to the poll, now with its results.
pub async fn vote(path: Result<Path<String>, PathRejection>, Post(ctx, form): Post) -> WebResult {
    let Ok(Path(raw_id)) = path else { return Err(WebError::NotFound) };
    let id: PollId = parse_id(&raw_id)?;
    let back = form.back();
    let anchor = format!("poll-{id}");
    let to = back_to(back.clone(), "/", &anchor);
    let me = ctx.require_me(back.as_deref().unwrap_or("/"))?.clone();
    let Ok(choices) = form.all("choices").iter().map(|c| c.parse::<i64>()).collect::<Result<Vec<_>, _>>() else {
        return Err(WebError::BadRequest("The chosen vote option does not exist.".into()));
    };
    if choices.is_empty() {
        return Ok(see_other_with(&ctx.state.site, &to, "error", "Choose an option, then vote."));
    }
    match ctx.services().polls.vote(me.id, id, &choices).await {
        Ok(_) => Ok(see_other_with(&ctx.state.site, &to, "notice", "Your vote was counted.")),
        Err(e @ AppError::Validation(_)) => Ok(see_other_with(&ctx.state.site, &to, "error", &readable(&e))),
        Err(e) => Err(e.into()),
    }
}

/// `GET /@username/:id/vote?choices=N`: a vote begun in an embed (which
/// cannot post: the reader's session cookie does not reach a framed page).
/// Signs in first if needed, then shows the poll with the choice ticked, to
/// be confirmed with the page's own form. Nothing is recorded by a GET.
pub async fn vote_elsewhere(ctx: Ctx, uri: Uri, path: Result<Path<(String, String)>, PathRejection>) -> WebResult {
    let Ok(Path((handle, raw_id))) = path else { return Err(WebError::NotFound) };
    let username = handle.strip_prefix('@').ok_or(WebError::NotFound)?;
    let id: StatusId = parse_id(&raw_id)?;
    let here = uri.path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let view = ctx.services().statuses.get(ctx.viewer(), id).await?;
    let Some(poll_id) = view.status.poll_id else { return Err(WebError::NotFound) };
    if ctx.me().is_none() {
        let next = form_urlencoded::byte_serialize(here.as_bytes()).collect::<String>();
        return Ok(see_other_with(
            &ctx.state.site,
            &format!("/auth/sign_in?next={next}"),
            "notice",
            "Sign in to vote.",
        ));
    }
    let mut target = form_urlencoded::Serializer::new(String::new());
    for c in query(&uri).all("choices") {
        if c.parse::<u32>().is_ok() {
            target.append_pair("choices", c);
        }
    }
    let choices = target.finish();
    let sep = if choices.is_empty() { "" } else { "?" };
    let to = format!("/@{username}/{id}{sep}{choices}#poll-{poll_id}");
    Ok(see_other_with(&ctx.state.site, &to, "notice", "Confirm your choice and vote."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_keeps_the_page_and_replaces_the_anchor() {
        assert_eq!(back_to(Some("/home?max_id=5#x".into()), "/", "s-1"), "/home?max_id=5#s-1");
        assert_eq!(back_to(None, "/home", "s-1"), "/home#s-1");
        assert_eq!(back_to(None, "/@a", ""), "/@a");
    }
}
