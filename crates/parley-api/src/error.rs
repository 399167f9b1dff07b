//! The one place errors become HTTP responses, in Mastodon's JSON shape:
//! `{"error": "..."}` (plus `details` for field validation), and OAuth's
//! `{"error": code, "error_description": text}` on `/oauth` endpoints.
//! Internal causes are logged here, once, and never sent.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use parley_app::AppError;
use parley_app::auth::{OAuthError, OAuthErrorKind};
use serde_json::{Map, Value, json};

#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    OAuth(OAuthError),
    /// A request that cannot be read (body not JSON, form not a form).
    Malformed(String),
    /// A required parameter is absent (Rails' `ParameterMissing`).
    MissingParam(String),
    /// A parameter of the wrong type or shape.
    InvalidParam(String),
    /// Path or method that does not exist.
    RouteNotFound,
    /// The body is larger than the configured limit (413).
    PayloadTooLarge,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

impl From<OAuthError> for ApiError {
    fn from(e: OAuthError) -> Self {
        ApiError::OAuth(e)
    }
}

fn error_body(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::App(e) => app_error_response(e),
            ApiError::OAuth(e) if e.kind == OAuthErrorKind::ServerError => {
                tracing::error!(detail = %e.description, "internal error on an OAuth endpoint");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({
                        "error": e.kind.code(),
                        "error_description": "The authorization server encountered an unexpected condition which prevented it from fulfilling the request."
                    })),
                )
                    .into_response()
            }
            ApiError::OAuth(e) => {
                // RFC 6749 §5.2: an unauthenticated client is 401, every other refusal 400.
                let status = match e.kind {
                    OAuthErrorKind::InvalidClient => StatusCode::UNAUTHORIZED,
                    OAuthErrorKind::UnauthorizedClient | OAuthErrorKind::AccessDenied => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_REQUEST,
                };
                (status, Json(json!({ "error": e.kind.code(), "error_description": e.description }))).into_response()
            }
            ApiError::Malformed(msg) => error_body(StatusCode::BAD_REQUEST, &msg),
            ApiError::MissingParam(name) => {
                error_body(StatusCode::BAD_REQUEST, &format!("param is missing or the value is empty: {name}"))
            }
            ApiError::InvalidParam(msg) => error_body(StatusCode::UNPROCESSABLE_ENTITY, &msg),
            ApiError::RouteNotFound => error_body(StatusCode::NOT_FOUND, "Record not found"),
            ApiError::PayloadTooLarge => error_body(StatusCode::PAYLOAD_TOO_LARGE, "Request body is too large"),
        }
    }
}

fn app_error_response(e: AppError) -> Response {
    let status = match &e {
        AppError::NotFound => StatusCode::NOT_FOUND,
        AppError::InvalidToken => StatusCode::UNAUTHORIZED,
        AppError::UserRequired => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::MissingScope | AppError::Forbidden(_) | AppError::PendingApproval | AppError::Suspended => {
            StatusCode::FORBIDDEN
        }
        AppError::Validation(_) | AppError::FieldValidation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
        AppError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            return error_body(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
        }
    };
    if let AppError::FieldValidation { message, details } = &e {
        let mut fields = Map::new();
        for (field, code, description) in details {
            fields.insert(field.clone(), json!([{ "error": code, "description": description }]));
        }
        return (status, Json(json!({ "error": message, "details": Value::Object(fields) }))).into_response();
    }
    error_body(status, &e.to_string())
}
