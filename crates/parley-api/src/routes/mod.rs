//! The route table: every path Parley answers, in one screen.

mod accounts;
mod apps;
mod assets;
mod blocks_mutes;
mod bookmarks;
mod conversations;
mod filters;
mod filters_v1;
mod grouped_notifications;
mod instance;
mod lists;
mod markers;
pub mod media;
mod notifications;
mod oauth;
mod parley;
mod poll_log;
mod polls;
mod preferences;
mod scheduled_statuses;
mod search;
mod statuses;
pub(crate) mod streaming;
mod suggestions;
mod timelines;
mod webfinger;

use axum::Router;
use axum::http::{Method, Uri};
use axum::routing::{any, delete, get, post};
use tower_http::cors::{Any, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::{API_PREFIXES, AppState};

pub fn router() -> Router<AppState> {
    let api = Router::new()
        .route("/api/v1/apps", post(apps::create))
        .route("/api/v1/apps/verify_credentials", get(apps::verify_credentials))
        .route("/api/v1/accounts", post(accounts::register).get(accounts::get_many))
        .route("/api/v1/accounts/verify_credentials", get(accounts::verify_credentials))
        .route(
            "/api/v1/accounts/update_credentials",
            axum::routing::patch(accounts::update_credentials).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/api/v1/accounts/relationships", get(accounts::relationships))
        .route("/api/v1/accounts/lookup", get(accounts::lookup))
        .route("/api/v1/accounts/familiar_followers", get(accounts::familiar_followers))
        .route("/api/v1/accounts/search", get(accounts::search))
        .route("/api/v1/accounts/{id}", get(accounts::get))
        .route("/api/v1/accounts/{id}/statuses", get(accounts::statuses))
        .route("/api/v1/accounts/{id}/followers", get(accounts::followers))
        .route("/api/v1/accounts/{id}/following", get(accounts::following))
        .route("/api/v1/accounts/{id}/follow", post(accounts::follow))
        .route("/api/v1/accounts/{id}/unfollow", post(accounts::unfollow))
        .route("/api/v1/accounts/{id}/block", post(accounts::block))
        .route("/api/v1/accounts/{id}/unblock", post(accounts::unblock))
        .route("/api/v1/accounts/{id}/mute", post(accounts::mute))
        .route("/api/v1/accounts/{id}/unmute", post(accounts::unmute))
        .route("/api/v1/blocks", get(blocks_mutes::blocks))
        .route("/api/v1/mutes", get(blocks_mutes::mutes))
        .route("/api/v1/follow_requests", get(accounts::follow_requests))
        .route("/api/v1/follow_requests/{id}/authorize", post(accounts::authorize_follow_request))
        .route("/api/v1/follow_requests/{id}/reject", post(accounts::reject_follow_request))
        .route("/api/v1/statuses", post(statuses::create).get(statuses::get_many))
        .route("/api/v1/statuses/{id}", get(statuses::get).delete(statuses::delete).put(statuses::edit))
        .route("/api/v1/statuses/{id}/context", get(statuses::context))
        .route("/api/v1/statuses/{id}/history", get(statuses::history))
        .route("/api/v1/statuses/{id}/source", get(statuses::source))
        .route("/api/v1/statuses/{id}/favourited_by", get(statuses::favourited_by))
        .route("/api/v1/statuses/{id}/reblogged_by", get(statuses::reblogged_by))
        .route("/api/v1/statuses/{id}/favourite", post(statuses::favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(statuses::unfavourite))
        .route("/api/v1/statuses/{id}/reblog", post(statuses::reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(statuses::unreblog))
        .route("/api/v1/statuses/{id}/bookmark", post(bookmarks::bookmark))
        .route("/api/v1/statuses/{id}/unbookmark", post(bookmarks::unbookmark))
        .route("/api/v1/statuses/{id}/pin", post(statuses::pin))
        .route("/api/v1/statuses/{id}/unpin", post(statuses::unpin))
        .route("/api/v1/polls/{id}", get(polls::get))
        .route("/api/v1/polls/{id}/votes", post(polls::vote))
        .route("/api/v1/parley/polls/{id}/history", get(parley::history))
        .route("/api/v1/parley/polls/{id}/snapshot", get(parley::snapshot))
        .route("/api/v1/parley/polls/{id}/signals", get(parley::signals))
        .route("/api/v1/parley/polls/{id}/log/checkpoint", get(poll_log::checkpoint))
        .route("/api/v1/parley/polls/{id}/log/checkpoints", get(poll_log::checkpoints))
        .route("/api/v1/parley/polls/{id}/log/inclusion", get(poll_log::inclusion))
        .route("/api/v1/parley/polls/{id}/log/consistency", get(poll_log::consistency))
        .route("/api/v1/parley/polls/{id}/log/cosignatures", post(poll_log::add_cosignature))
        .route("/.well-known/parley/snapshot-key", get(parley::snapshot_key))
        .route("/.well-known/parley/snapshot-keys", get(parley::snapshot_keys))
        .route("/api/v1/parley/admin/derived_state", get(parley::derived_state))
        .route("/api/v1/streaming", get(streaming::websocket))
        .route("/api/v1/streaming/health", get(streaming::health))
        .route("/api/v1/streaming/{*stream}", get(streaming::server_sent))
        .route("/api/v1/favourites", get(statuses::favourites))
        .route("/api/v1/bookmarks", get(bookmarks::list))
        .route("/api/v1/suggestions", get(suggestions::list_v1))
        .route("/api/v1/suggestions/{id}", delete(suggestions::dismiss))
        .route("/api/v2/suggestions", get(suggestions::list_v2))
        .route("/api/v2/suggestions/{id}", delete(suggestions::dismiss))
        .route("/api/v1/conversations", get(conversations::list))
        .route("/api/v1/conversations/{id}", axum::routing::delete(conversations::remove))
        .route("/api/v1/conversations/{id}/read", post(conversations::read))
        .route("/api/v1/scheduled_statuses", get(scheduled_statuses::list))
        .route(
            "/api/v1/scheduled_statuses/{id}",
            get(scheduled_statuses::get).put(scheduled_statuses::update).delete(scheduled_statuses::cancel),
        )
        .route("/api/v1/timelines/home", get(timelines::home))
        .route("/api/v1/timelines/public", get(timelines::public))
        .route("/api/v1/timelines/tag/{hashtag}", get(timelines::tag))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/notifications/clear", post(notifications::clear))
        .route("/api/v1/notifications/unread_count", get(notifications::unread_count))
        .route("/api/v2/notifications", get(grouped_notifications::list))
        .route("/api/v2/notifications/unread_count", get(grouped_notifications::unread_count))
        .route("/api/v2/notifications/{group_key}", get(grouped_notifications::get))
        .route("/api/v2/notifications/{group_key}/dismiss", post(grouped_notifications::dismiss))
        .route("/api/v2/notifications/{group_key}/accounts", get(grouped_notifications::accounts))
        .route("/api/v1/notifications/{id}", get(notifications::get))
        .route("/api/v1/notifications/{id}/dismiss", post(notifications::dismiss))
        .route("/api/v1/preferences", get(preferences::preferences))
        .route("/api/v1/markers", get(markers::get).post(markers::save))
        .route("/api/v2/search", get(search::search))
        .route("/api/v1/instance", get(instance::v1))
        .route("/api/v2/instance", get(instance::v2))
        .route("/api/v1/instance/peers", get(instance::peers))
        .route("/api/v1/instance/rules", get(instance::rules))
        .route("/api/v1/instance/extended_description", get(instance::extended_description))
        .route("/api/v1/instance/privacy_policy", get(instance::privacy_policy))
        .route("/api/v1/instance/terms_of_service", get(instance::terms_of_service))
        .route("/api/v1/custom_emojis", get(instance::empty_list))
        .route("/api/v1/filters", get(filters_v1::all).post(filters_v1::create))
        .route("/api/v1/filters/{id}", get(filters_v1::get).put(filters_v1::update).delete(filters_v1::delete))
        .route("/api/v2/filters", get(filters::all).post(filters::create))
        .route(
            "/api/v2/filters/keywords/{id}",
            get(filters::get_keyword).put(filters::update_keyword).delete(filters::delete_keyword),
        )
        .route("/api/v2/filters/statuses/{id}", get(filters::get_status).delete(filters::delete_status))
        .route("/api/v2/filters/{id}", get(filters::get).put(filters::update).delete(filters::delete))
        .route("/api/v2/filters/{id}/keywords", get(filters::keywords).post(filters::add_keyword))
        .route("/api/v2/filters/{id}/statuses", get(filters::statuses).post(filters::add_status))
        .route("/api/v1/lists", get(lists::all).post(lists::create))
        .route("/api/v1/lists/{id}", get(lists::get).put(lists::update).delete(lists::delete))
        .route(
            "/api/v1/lists/{id}/accounts",
            get(lists::members).post(lists::add_members).delete(lists::remove_members),
        )
        .route("/api/v1/accounts/{id}/lists", get(lists::of_account))
        .route("/api/v1/timelines/list/{id}", get(lists::timeline))
        .route("/.well-known/webfinger", get(webfinger::webfinger))
        .route("/.well-known/host-meta", get(webfinger::host_meta))
        .route("/.well-known/nodeinfo", get(instance::nodeinfo_links))
        .route("/nodeinfo/2.0", get(instance::nodeinfo_2_0))
        .route("/nodeinfo/2.1", get(instance::nodeinfo_2_1))
        .route("/.well-known/oauth-authorization-server", get(oauth::metadata))
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/api/v1/media", post(media::create).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/api/v2/media", post(media::create).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/api/v1/media/{id}", get(media::get).put(media::update).delete(media::delete))
        .route(&media::file_route(), get(media::file))
        .route("/avatars/original/missing.png", get(assets::missing_avatar))
        .route("/headers/original/missing.png", get(assets::missing_header))
        .method_not_allowed_fallback(not_found);
    // Unknown paths under the API's prefixes get the JSON 404 here, inside the
    // CORS layer: a browser client must be able to read it (without CORS
    // headers it sees a network error). Routes win over these catch-alls,
    // the web's `/api/oembed` and `/oauth/authorize` included.
    let api = API_PREFIXES.iter().fold(api, |api, prefix| api.route(&format!("{prefix}{{*rest}}"), any(not_found)));
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
        .allow_headers(Any)
        .expose_headers([axum::http::header::LINK]);
    // The sign-in and consent page is for the browser's own window: no other
    // site's script may read it (it shows the code), so it is outside CORS.
    let pages = Router::new()
        .route("/oauth/authorize", get(oauth::authorize_page).post(oauth::authorize_submit))
        .method_not_allowed_fallback(not_found);
    // The body size limit is the server's, for every route (`http.max_body_bytes`;
    // `media.max_image_bytes` for uploads: `media::takes_uploads`). The upload
    // routes turn axum's own default limit off: the server's applies.
    api.layer(cors).merge(pages).layer(TraceLayer::new_for_http())
}

/// The JSON 404 for paths under the API's prefixes that match no route.
pub async fn not_found(_uri: Uri) -> ApiError {
    ApiError::RouteNotFound
}

/// An ID from the path; anything that is not one names nothing (404).
pub(crate) fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, ApiError> {
    raw.parse::<T>().map_err(|_| ApiError::App(parley_app::AppError::NotFound))
}
