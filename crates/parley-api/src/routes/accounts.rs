//! `/api/v1/accounts` and `/api/v1/follow_requests` —
//! https://docs.joinmastodon.org/methods/accounts/

use axum::Json;
use axum::extract::{OriginalUri, State};
use parley_app::accounts::{ProfileChanges, SourceChanges};
use parley_app::auth::Registration;
use parley_app::{AccountStatusesFilter, FollowOptions};
use parley_core::AccountId;
use parley_core::model::ProfileField;
use serde::Deserialize;

use super::path_id;
use super::statuses::status_list;
use crate::auth::{Auth, MaybeAuth};
use crate::entities::{Account, CredentialAccount, Relationship, Status, Token};
use crate::pagination::{PageParams, Paged, cursors_of, link_header};
use crate::params::{Params, ParamsWithFiles, PathParam, Query};
use crate::{ApiResult, AppState};

#[derive(Deserialize)]
pub struct RegisterForm {
    username: String,
    email: String,
    password: String,
    #[serde(default)]
    agreement: bool,
    locale: Option<String>,
    reason: Option<String>,
}

/// `POST /api/v1/accounts`: registration with an app token; answers a user token.
pub async fn register(
    State(state): State<AppState>,
    auth: Auth,
    Params(form): Params<RegisterForm>,
) -> ApiResult<Json<Token>> {
    let identity = auth.app("write:accounts")?;
    let (token, _account) = state
        .services
        .auth
        .register(
            identity,
            Registration {
                username: form.username,
                email: form.email,
                password: form.password,
                agreement: form.agreement,
                locale: form.locale,
                reason: form.reason,
            },
        )
        .await?;
    Ok(Json(Token::from_issued(token)))
}

/// `GET /api/v1/accounts/verify_credentials`
pub async fn verify_credentials(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<CredentialAccount>> {
    auth.0.require_scope("read:accounts").or_else(|_| auth.0.require_scope("profile"))?;
    // The identity's account may be cached: show the account as it is now.
    let me = &state.services.accounts.get(auth.0.user()?.id).await?;
    let requests = state
        .services
        .accounts
        .follow_requests(me, parley_core::page::PageRequest::new(None, None, None, Some(80), 80, 80))
        .await?;
    let defaults = state.services.accounts.posting_defaults(me.id).await?;
    Ok(Json(CredentialAccount::from_domain(me, &defaults, state.settings(), requests.len() as i64)))
}

#[derive(Deserialize)]
pub struct FieldForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
pub struct UpdateCredentialsForm {
    display_name: Option<String>,
    note: Option<String>,
    locked: Option<bool>,
    bot: Option<bool>,
    fields_attributes: Option<Vec<FieldForm>>,
    source: Option<SourceForm>,
}

/// `source[privacy]`, `source[sensitive]`, `source[language]`: the posting defaults.
#[derive(Deserialize, Default)]
pub struct SourceForm {
    privacy: Option<String>,
    sensitive: Option<bool>,
    language: Option<String>,
}

/// `PATCH /api/v1/accounts/update_credentials`
pub async fn update_credentials(
    State(state): State<AppState>,
    auth: Auth,
    ParamsWithFiles(form, mut files): ParamsWithFiles<UpdateCredentialsForm>,
) -> ApiResult<Json<CredentialAccount>> {
    let me = auth.user("write:accounts")?;
    let updated = state
        .services
        .accounts
        .update_credentials(
            me,
            ProfileChanges {
                display_name: form.display_name,
                note: form.note,
                locked: form.locked,
                bot: form.bot,
                fields: form
                    .fields_attributes
                    .map(|fs| fs.into_iter().map(|f| ProfileField { name: f.name, value: f.value }).collect()),
                source: {
                    let source = form.source.unwrap_or_default();
                    SourceChanges { privacy: source.privacy, sensitive: source.sensitive, language: source.language }
                },
                avatar: files.take("avatar"),
                header: files.take("header"),
            },
        )
        .await?;
    let defaults = state.services.accounts.posting_defaults(me.id).await?;
    Ok(Json(CredentialAccount::from_domain(&updated, &defaults, state.settings(), 0)))
}

/// `GET /api/v1/accounts/:id`
pub async fn get(State(state): State<AppState>, auth: MaybeAuth, PathParam(id): PathParam) -> ApiResult<Json<Account>> {
    auth.viewer("read:accounts")?;
    let account = state.services.accounts.get(path_id(&id)?).await?;
    Ok(Json(Account::from_domain(&account, state.settings())))
}

#[derive(Deserialize)]
pub struct IdsQuery {
    #[serde(default)]
    id: Vec<String>,
}

/// `GET /api/v1/accounts?id[]=…`
pub async fn get_many(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Query(q): Query<IdsQuery>,
) -> ApiResult<Json<Vec<Account>>> {
    auth.viewer("read:accounts")?;
    let ids: Vec<AccountId> = q.id.iter().filter_map(|i| i.parse().ok()).take(40).collect();
    let accounts = state.services.accounts.get_many(&ids).await?;
    Ok(Json(accounts.iter().map(|a| Account::from_domain(a, state.settings())).collect()))
}

#[derive(Deserialize)]
pub struct LookupQuery {
    acct: String,
}

/// `GET /api/v1/accounts/lookup?acct=`
pub async fn lookup(
    State(state): State<AppState>,
    auth: MaybeAuth,
    Query(q): Query<LookupQuery>,
) -> ApiResult<Json<Account>> {
    auth.viewer("read:accounts")?;
    let account = state.services.accounts.lookup(&q.acct).await?;
    Ok(Json(Account::from_domain(&account, state.settings())))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: String,
    limit: Option<i64>,
}

/// `GET /api/v1/accounts/search`
pub async fn search(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Vec<Account>>> {
    auth.user("read:accounts")?;
    let limit = q.limit.unwrap_or(40).clamp(1, 80) as usize;
    let accounts = state.services.accounts.search(&q.q, limit).await?;
    Ok(Json(accounts.iter().map(|a| Account::from_domain(a, state.settings())).collect()))
}

#[derive(Deserialize)]
pub struct AccountStatusesQuery {
    #[serde(default)]
    exclude_replies: bool,
    #[serde(default)]
    exclude_reblogs: bool,
    #[serde(default)]
    only_media: bool,
    #[serde(default)]
    pinned: bool,
}

/// `GET /api/v1/accounts/:id/statuses`
pub async fn statuses(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
    OriginalUri(uri): OriginalUri,
    Query(page): Query<PageParams>,
    Query(q): Query<AccountStatusesQuery>,
) -> ApiResult<Paged<Status>> {
    let viewer = auth.viewer("read:statuses")?.map(|a| a.id);
    let page = page.request(20, 40)?;
    let views = state
        .services
        .accounts
        .statuses(
            viewer,
            path_id(&id)?,
            AccountStatusesFilter {
                exclude_replies: q.exclude_replies,
                exclude_reblogs: q.exclude_reblogs,
                only_media: q.only_media,
                pinned: q.pinned,
            },
            page,
        )
        .await?;
    Ok(status_list(&state, &uri, viewer, &views))
}

/// Accounts as a paged list; the cursors are the rows that list them (follows, favourites…).
pub(crate) fn account_page(
    state: &AppState,
    uri: &axum::http::Uri,
    pairs: Vec<(i64, parley_core::model::Account)>,
) -> Paged<Account> {
    let link = link_header(&state.settings().public_url, uri, cursors_of(&pairs, |(c, _)| *c));
    Paged(pairs.iter().map(|(_, a)| Account::from_domain(a, state.settings())).collect(), link)
}

/// `GET /api/v1/accounts/:id/followers`
pub async fn followers(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Account>> {
    auth.viewer("read:accounts")?;
    let pairs = state.services.accounts.followers(path_id(&id)?, q.request(40, 80)?).await?;
    Ok(account_page(&state, &uri, pairs))
}

/// `GET /api/v1/accounts/:id/following`
pub async fn following(
    State(state): State<AppState>,
    auth: MaybeAuth,
    PathParam(id): PathParam,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Account>> {
    auth.viewer("read:accounts")?;
    let pairs = state.services.accounts.following(path_id(&id)?, q.request(40, 80)?).await?;
    Ok(account_page(&state, &uri, pairs))
}

#[derive(Deserialize)]
pub struct RelationshipsQuery {
    #[serde(default)]
    id: Vec<String>,
}

/// `GET /api/v1/accounts/relationships?id[]=`
pub async fn relationships(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<RelationshipsQuery>,
) -> ApiResult<Json<Vec<Relationship>>> {
    let me = auth.user("read:follows")?;
    let ids: Vec<AccountId> = q.id.iter().filter_map(|i| i.parse().ok()).take(80).collect();
    let existing: Vec<AccountId> = state.services.accounts.get_many(&ids).await?.iter().map(|a| a.id).collect();
    let rels = state.services.accounts.relationships(me.id, &existing).await?;
    Ok(Json(rels.iter().map(|(id, r)| Relationship::from_domain(*id, r)).collect()))
}

#[derive(Deserialize)]
pub struct FollowForm {
    reblogs: Option<bool>,
    notify: Option<bool>,
}

/// `POST /api/v1/accounts/:id/follow`
pub async fn follow(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<FollowForm>,
) -> ApiResult<Json<Relationship>> {
    let me = auth.user("write:follows")?;
    let target = path_id(&id)?;
    let options = FollowOptions { show_reblogs: form.reblogs.unwrap_or(true), notify: form.notify.unwrap_or(false) };
    let rel = state.services.accounts.follow(me, target, options).await?;
    Ok(Json(Relationship::from_domain(target, &rel)))
}

/// `POST /api/v1/accounts/:id/unfollow`
pub async fn unfollow(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Relationship>> {
    let me = auth.user("write:follows")?;
    let target = path_id(&id)?;
    let rel = state.services.accounts.unfollow(me, target).await?;
    Ok(Json(Relationship::from_domain(target, &rel)))
}

/// `POST /api/v1/accounts/:id/block`
pub async fn block(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Relationship>> {
    let me = auth.user("write:blocks")?;
    let target = path_id(&id)?;
    let rel = state.services.accounts.block(me, target, true).await?;
    Ok(Json(Relationship::from_domain(target, &rel)))
}

/// `POST /api/v1/accounts/:id/unblock`
pub async fn unblock(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Relationship>> {
    let me = auth.user("write:blocks")?;
    let target = path_id(&id)?;
    let rel = state.services.accounts.block(me, target, false).await?;
    Ok(Json(Relationship::from_domain(target, &rel)))
}

#[derive(Deserialize)]
pub struct MuteForm {
    notifications: Option<bool>,
    /// Seconds until the mute ends by itself; 0 or absent: never.
    duration: Option<i64>,
}

/// `POST /api/v1/accounts/:id/mute`
pub async fn mute(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
    Params(form): Params<MuteForm>,
) -> ApiResult<Json<Relationship>> {
    let me = auth.user("write:mutes")?;
    let target = path_id(&id)?;
    let rel = state.services.accounts.mute(me, target, true, form.notifications.unwrap_or(true), form.duration).await?;
    Ok(Json(Relationship::from_domain(target, &rel)))
}

/// `POST /api/v1/accounts/:id/unmute`
pub async fn unmute(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Relationship>> {
    let me = auth.user("write:mutes")?;
    let target = path_id(&id)?;
    let rel = state.services.accounts.mute(me, target, false, false, None).await?;
    Ok(Json(Relationship::from_domain(target, &rel)))
}

/// `GET /api/v1/follow_requests`
pub async fn follow_requests(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Account>> {
    let me = auth.user("read:follows")?;
    let pairs = state.services.accounts.follow_requests(me, q.request(40, 80)?).await?;
    Ok(account_page(&state, &uri, pairs))
}

/// `POST /api/v1/follow_requests/:id/authorize`
pub async fn authorize_follow_request(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Relationship>> {
    let me = auth.user("write:follows")?;
    let requester = path_id(&id)?;
    let rel = state.services.accounts.answer_follow_request(me, requester, true).await?;
    Ok(Json(Relationship::from_domain(requester, &rel)))
}

/// `POST /api/v1/follow_requests/:id/reject`
pub async fn reject_follow_request(
    State(state): State<AppState>,
    auth: Auth,
    PathParam(id): PathParam,
) -> ApiResult<Json<Relationship>> {
    let me = auth.user("write:follows")?;
    let requester = path_id(&id)?;
    let rel = state.services.accounts.answer_follow_request(me, requester, false).await?;
    Ok(Json(Relationship::from_domain(requester, &rel)))
}

/// `GET /api/v1/accounts/familiar_followers?id[]=…` — accounts the caller
/// follows that follow each of these (https://docs.joinmastodon.org/methods/accounts/#familiar_followers).
pub async fn familiar_followers(
    State(state): State<AppState>,
    auth: Auth,
    Query(q): Query<IdsQuery>,
) -> ApiResult<Json<Vec<serde_json::Value>>> {
    let me = auth.user("read:follows")?;
    let ids: Vec<AccountId> = q.id.iter().filter_map(|i| i.parse().ok()).take(40).collect();
    let found = state.services.accounts.familiar_followers(me.id, &ids, 40).await?;
    let s = state.settings();
    Ok(Json(
        found
            .iter()
            .map(|(id, accounts)| {
                let accounts: Vec<Account> = accounts.iter().map(|a| Account::from_domain(a, s)).collect();
                serde_json::json!({ "id": id.to_string(), "accounts": accounts })
            })
            .collect(),
    ))
}
