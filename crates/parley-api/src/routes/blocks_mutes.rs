//! The accounts one blocks and mutes: `/api/v1/blocks`
//! (https://docs.joinmastodon.org/methods/blocks/) and `/api/v1/mutes`
//! (https://docs.joinmastodon.org/methods/mutes/). Blocking and muting
//! themselves are account actions (`routes/accounts.rs`).

use axum::extract::{OriginalUri, State};

use super::accounts::account_page;
use crate::auth::Auth;
use crate::entities::{Account, MutedAccount};
use crate::pagination::{PageParams, Paged, cursors_of, link_header};
use crate::params::Query;
use crate::{ApiResult, AppState};

/// `GET /api/v1/blocks` — https://docs.joinmastodon.org/methods/blocks/
pub async fn blocks(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<Account>> {
    let me = auth.user("read:blocks")?;
    let pairs = state.services.accounts.blocks(me.id, q.request(40, 80)?).await?;
    Ok(account_page(&state, &uri, pairs))
}

/// `GET /api/v1/mutes` — https://docs.joinmastodon.org/methods/mutes/
/// Each account with `mute_expires_at`.
pub async fn mutes(
    State(state): State<AppState>,
    auth: Auth,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<PageParams>,
) -> ApiResult<Paged<MutedAccount>> {
    let me = auth.user("read:mutes")?;
    let mutes = state.services.accounts.mutes(me.id, q.request(40, 80)?).await?;
    let link = link_header(&state.settings().public_url, &uri, cursors_of(&mutes, |(c, _, _)| *c));
    let s = state.settings();
    Ok(Paged(mutes.iter().map(|(_, a, ends)| MutedAccount::from_domain(a, *ends, s)).collect(), link))
}
