//! Who is calling: bearer tokens (header or `access_token` parameter) to an
//! [`Identity`], and the scope checks every handler states.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use parley_app::AppError;
use parley_app::auth::Identity;
use parley_core::model::Account;

use crate::AppState;
use crate::error::ApiError;

/// A request that must carry a valid token.
pub struct Auth(pub Arc<Identity>);

/// A request that may carry a token; a token that is sent must be valid.
pub struct MaybeAuth(pub Option<Arc<Identity>>);

pub(crate) fn bearer(parts: &Parts) -> Option<String> {
    if let Some(value) = parts.headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let value = value.trim();
        if value.len() > 7 && value[..7].eq_ignore_ascii_case("bearer ") {
            return Some(value[7..].trim().to_string());
        }
    }
    let query = parts.uri.query()?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

impl FromRequestParts<AppState> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match bearer(parts) {
            None => Ok(MaybeAuth(None)),
            Some(token) => Ok(MaybeAuth(Some(state.services.auth.authenticate(&token).await?))),
        }
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(AppError::InvalidToken)?;
        Ok(Auth(state.services.auth.authenticate(&token).await?))
    }
}

impl Auth {
    /// The signed-in user, after checking the token has `scope`.
    pub fn user(&self, scope: &str) -> Result<&Account, ApiError> {
        self.0.require_scope(scope)?;
        Ok(self.0.user()?)
    }

    /// Any token (app-only allowed) with `scope`.
    pub fn app(&self, scope: &str) -> Result<&Identity, ApiError> {
        self.0.require_scope(scope)?;
        Ok(&self.0)
    }
}

impl MaybeAuth {
    /// The viewer's account if a user token was sent; its scope must cover `scope`.
    pub fn viewer(&self, scope: &str) -> Result<Option<&Account>, ApiError> {
        match &self.0 {
            None => Ok(None),
            Some(identity) => {
                identity.require_scope(scope)?;
                match &identity.account {
                    None => Ok(None),
                    Some(_) => Ok(Some(identity.user()?)),
                }
            }
        }
    }
}
