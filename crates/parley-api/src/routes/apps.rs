//! `/api/v1/apps` — https://docs.joinmastodon.org/methods/apps/

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use crate::auth::Auth;
use crate::entities::Application;
use crate::params::Params;
use crate::{ApiResult, AppState};

#[derive(Deserialize)]
pub struct CreateAppForm {
    client_name: String,
    #[serde(default)]
    redirect_uris: RedirectUris,
    scopes: Option<String>,
    website: Option<String>,
}

/// `redirect_uris` is a string (newline-separated) or, since 4.3, an array.
#[derive(Deserialize, Default)]
#[serde(from = "Vec<String>")]
struct RedirectUris(Vec<String>);

impl From<Vec<String>> for RedirectUris {
    fn from(v: Vec<String>) -> Self {
        RedirectUris(v)
    }
}

/// `POST /api/v1/apps`
pub async fn create(
    State(state): State<AppState>,
    Params(form): Params<CreateAppForm>,
) -> ApiResult<Json<Application>> {
    let (app, secret) = state
        .services
        .auth
        .register_app(&form.client_name, form.redirect_uris.0, form.scopes.as_deref(), form.website)
        .await?;
    Ok(Json(Application::with_credentials(&app, secret)))
}

/// `GET /api/v1/apps/verify_credentials`
pub async fn verify_credentials(auth: Auth) -> ApiResult<Json<Application>> {
    Ok(Json(Application::from_domain(&auth.0.app)))
}
