//! OAuth 2: the consent page, the token and revocation endpoints, and the
//! authorization server metadata. https://docs.joinmastodon.org/methods/oauth/

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use parley_app::AppError;
use parley_app::auth::{AuthorizeRequest, OAuthError, OOB_REDIRECT, TokenRequest};
use parley_core::scope::KNOWN_SCOPES;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::entities::Token;
use crate::params::{OAuthParams, Params, Query};
use crate::{ApiResult, AppState};

#[derive(Debug, Default, Deserialize)]
pub struct AuthorizeParams {
    #[serde(default)]
    response_type: String,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    redirect_uri: String,
    scope: Option<String>,
    state: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct AuthorizeForm {
    #[serde(flatten)]
    params: AuthorizeParams,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    decision: String,
}

#[derive(Template)]
#[template(path = "oauth_authorize.html")]
struct AuthorizePage<'a> {
    site: &'a str,
    app_name: &'a str,
    scopes: Vec<String>,
    client_id: &'a str,
    redirect_uri: &'a str,
    scope: String,
    state: &'a str,
    code_challenge: &'a str,
    code_challenge_method: &'a str,
    login: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "oauth_code.html")]
struct CodePage<'a> {
    site: &'a str,
    app_name: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "oauth_error.html")]
struct ErrorPage<'a> {
    site: &'a str,
    message: &'a str,
}

/// The consent page takes a password: it runs no script, loads only the
/// site's own stylesheet and icon, may not be framed (clickjacking of the
/// consent button), and is kept by no cache. No `form-action`: browsers apply
/// it to the redirect to the client's `redirect_uri` after the form.
const OAUTH_PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'";

fn render(status: StatusCode, page: impl Template) -> Response {
    match page.render() {
        Ok(html) => (
            status,
            [
                (header::X_FRAME_OPTIONS, "DENY"),
                (header::CONTENT_SECURITY_POLICY, OAUTH_PAGE_CSP),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::CACHE_CONTROL, "no-store"),
                (header::REFERRER_POLICY, "no-referrer"),
            ],
            Html(html),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn error_page(state: &AppState, e: &OAuthError) -> Response {
    if e.kind == parley_app::auth::OAuthErrorKind::ServerError {
        tracing::error!(detail = %e.description, "authorization page failed");
        return render(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorPage {
                site: &state.settings().title,
                message: "Something went wrong on this server. Please try again.",
            },
        );
    }
    render(StatusCode::BAD_REQUEST, ErrorPage { site: &state.settings().title, message: &e.description })
}

fn consent_page(
    state: &AppState,
    req: &AuthorizeRequest,
    p: &AuthorizeParams,
    login: &str,
    error: Option<&str>,
) -> Response {
    let status = if error.is_some() { StatusCode::UNAUTHORIZED } else { StatusCode::OK };
    render(
        status,
        AuthorizePage {
            site: &state.settings().title,
            app_name: &req.app.name,
            scopes: req.scopes.iter().map(str::to_string).collect(),
            client_id: &p.client_id,
            redirect_uri: &p.redirect_uri,
            scope: req.scopes.to_string(),
            state: p.state.as_deref().unwrap_or(""),
            code_challenge: p.code_challenge.as_deref().unwrap_or(""),
            code_challenge_method: p.code_challenge_method.as_deref().unwrap_or(""),
            login,
            error,
        },
    )
}

async fn check(state: &AppState, p: &AuthorizeParams) -> Result<AuthorizeRequest, OAuthError> {
    state
        .services
        .auth
        .check_authorize(
            &p.response_type,
            &p.client_id,
            &p.redirect_uri,
            p.scope.as_deref(),
            p.code_challenge.clone().filter(|c| !c.is_empty()),
            p.code_challenge_method.clone().filter(|c| !c.is_empty()),
        )
        .await
}

/// Appends `code`/`error` and `state` to a registered redirect URI.
fn redirect_with(uri: &str, pairs: &[(&str, &str)]) -> Response {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        q.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    // The location carries the code: no cache may keep it.
    ([(header::CACHE_CONTROL, "no-store")], Redirect::to(&format!("{uri}{sep}{}", q.finish()))).into_response()
}

/// `GET /oauth/authorize`: the sign-in and consent page.
pub async fn authorize_page(State(state): State<AppState>, Query(p): Query<AuthorizeParams>) -> Response {
    match check(&state, &p).await {
        Ok(req) => consent_page(&state, &req, &p, "", None),
        Err(e) => error_page(&state, &e),
    }
}

/// `POST /oauth/authorize`: sign in and approve (or deny) the request.
pub async fn authorize_submit(State(state): State<AppState>, Params(form): Params<AuthorizeForm>) -> Response {
    let p = &form.params;
    let req = match check(&state, p).await {
        Ok(req) => req,
        Err(e) => return error_page(&state, &e),
    };
    let client_state = p.state.as_deref().unwrap_or("");
    if form.decision == "deny" {
        if req.redirect_uri == OOB_REDIRECT {
            return render(
                StatusCode::OK,
                ErrorPage { site: &state.settings().title, message: "You denied the request." },
            );
        }
        return redirect_with(&req.redirect_uri, &[("error", "access_denied"), ("state", client_state)]);
    }
    let code = match state.services.auth.approve(&req, &form.login, &form.password).await {
        Ok(code) => code,
        Err(AppError::Internal(detail)) => {
            tracing::error!(%detail, "authorization failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Err(e) => return consent_page(&state, &req, p, &form.login, Some(&e.to_string())),
    };
    if req.redirect_uri == OOB_REDIRECT {
        return render(
            StatusCode::OK,
            CodePage { site: &state.settings().title, app_name: &req.app.name, code: &code },
        );
    }
    redirect_with(&req.redirect_uri, &[("code", &code), ("state", client_state)])
}

#[derive(Debug, Default, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    grant_type: String,
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    scope: Option<String>,
    username: Option<String>,
    password: Option<String>,
}

/// Client credentials from HTTP Basic auth (RFC 6749 §2.3.1), if sent.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// `POST /oauth/token`
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthParams(form): OAuthParams<TokenForm>,
) -> ApiResult<Json<Token>> {
    let (basic_id, basic_secret) = basic_credentials(&headers).unzip();
    let issued = state
        .services
        .auth
        .token(TokenRequest {
            grant_type: form.grant_type,
            client_id: form.client_id.or(basic_id).unwrap_or_default(),
            client_secret: form.client_secret.or(basic_secret),
            code: form.code,
            redirect_uri: form.redirect_uri,
            code_verifier: form.code_verifier,
            scope: form.scope,
            username: form.username,
            password: form.password,
        })
        .await?;
    Ok(Json(Token::from_issued(issued)))
}

#[derive(Debug, Default, Deserialize)]
pub struct RevokeForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    #[serde(default)]
    token: String,
}

/// `POST /oauth/revoke`
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    OAuthParams(form): OAuthParams<RevokeForm>,
) -> ApiResult<Json<Value>> {
    let (basic_id, basic_secret) = basic_credentials(&headers).unzip();
    let client_id = form.client_id.or(basic_id).unwrap_or_default();
    let secret = form.client_secret.or(basic_secret);
    state.services.auth.revoke(&client_id, secret.as_deref(), &form.token).await?;
    Ok(Json(json!({})))
}

/// `GET /.well-known/oauth-authorization-server` (RFC 8414), listing only the grants enabled.
pub async fn metadata(State(state): State<AppState>) -> Json<Value> {
    let base = &state.settings().public_url;
    let mut grants = vec!["authorization_code", "client_credentials"];
    if state.settings().password_grant {
        grants.push("password");
    }
    Json(json!({
        "issuer": format!("{base}/"),
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "app_registration_endpoint": format!("{base}/api/v1/apps"),
        "scopes_supported": KNOWN_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": grants,
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"]
    }))
}
