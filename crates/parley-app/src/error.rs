//! The use cases' error type. Each variant names a situation a client can be
//! told about; the HTTP edge maps it to a status and Mastodon's wording.

use parley_store::{Conflict, Rejection, StoreError};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing does not exist, or the caller may not see it (the same answer, on purpose).
    #[error("Record not found")]
    NotFound,
    /// No token, or a token that is unknown or revoked.
    #[error("The access token is invalid")]
    InvalidToken,
    /// The endpoint needs a user token and an app-only token was sent.
    #[error("This method requires an authenticated user")]
    UserRequired,
    /// The token lacks the scope the endpoint needs.
    #[error("This action is outside the authorized scopes")]
    MissingScope,
    /// The action is not allowed for this caller.
    #[error("{0}")]
    Forbidden(String),
    /// The account exists but an admin has not approved it yet.
    #[error("Your login is currently pending approval")]
    PendingApproval,
    #[error("Your login is currently disabled")]
    Suspended,
    /// The request is well-formed but breaks a rule ("Text can't be blank").
    #[error("{0}")]
    Validation(String),
    /// Validation with per-field details, as `POST /api/v1/accounts` answers.
    #[error("{message}")]
    FieldValidation { message: String, details: Vec<(String, String, String)> },
    /// The request itself is malformed (missing parameter, bad type).
    #[error("{0}")]
    BadRequest(String),
    /// Something failed inside; details are logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn forbidden() -> Self {
        AppError::Forbidden("This action is not allowed".into())
    }
    pub fn validation(msg: impl Into<String>) -> Self {
        AppError::Validation(msg.into())
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(Conflict::UsernameTaken) => AppError::FieldValidation {
                message: "Validation failed: Username has already been taken".into(),
                details: vec![("username".into(), "ERR_TAKEN".into(), "has already been taken".into())],
            },
            StoreError::Conflict(Conflict::EmailTaken) => AppError::FieldValidation {
                message: "Validation failed: Email has already been taken".into(),
                details: vec![("email".into(), "ERR_TAKEN".into(), "has already been taken".into())],
            },
            StoreError::Conflict(Conflict::AlreadyVoted) => {
                AppError::Validation(parley_core::poll::VoteError::AlreadyVoted.to_string())
            }
            StoreError::Rejected(Rejection::PollExpired) => {
                AppError::Validation(parley_core::poll::VoteError::Expired.to_string())
            }
            StoreError::Rejected(Rejection::InvalidChoice) => {
                AppError::Validation(parley_core::poll::VoteError::InvalidChoice.to_string())
            }
            StoreError::Rejected(Rejection::NotVisible) => AppError::NotFound,
            StoreError::Rejected(Rejection::PollHasVotes) => {
                AppError::Validation("Validation failed: The text cannot change once the poll has votes".into())
            }
            StoreError::Rejected(Rejection::TooManyScheduled) => AppError::Validation(format!(
                "Validation failed: You have exceeded the limit of {} scheduled posts",
                parley_store::MAX_SCHEDULED
            )),
            StoreError::Rejected(Rejection::TooManyScheduledThatDay) => AppError::Validation(format!(
                "Validation failed: You have exceeded the limit of {} scheduled posts for today",
                parley_store::MAX_SCHEDULED_PER_DAY
            )),
            StoreError::Conflict(Conflict::AlreadyListed) => {
                AppError::Validation("Validation failed: Account has already been taken".into())
            }
            StoreError::Conflict(Conflict::AlreadyFiltered) => {
                AppError::Validation("Validation failed: Status has already been taken".into())
            }
            StoreError::Rejected(Rejection::NotFollowed) => {
                AppError::Validation("Validation failed: Follow must exist".into())
            }
            StoreError::Rejected(Rejection::ListLimit) => {
                AppError::Validation("Validation failed: You have reached the maximum number of lists".into())
            }
            StoreError::Rejected(Rejection::MediaUnavailable) => {
                AppError::Validation("Validation failed: Media not found or already attached to another post".into())
            }
            StoreError::Conflict(Conflict::Other(name)) => AppError::Internal(format!("unexpected conflict on {name}")),
            StoreError::Backend(text) => AppError::Internal(text),
        }
    }
}
