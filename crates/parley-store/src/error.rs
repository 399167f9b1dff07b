//! The store's error type: what went wrong, in terms the use cases can act on.

/// A uniqueness rule the store enforces, named for the use case it protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    UsernameTaken,
    EmailTaken,
    /// Another unique constraint (the name is logged, never shown).
    Other(&'static str),
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The row the operation needs does not exist (e.g. an edit of a deleted status).
    #[error("not found")]
    NotFound,
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The database failed; the text is for the log, not for clients.
    #[error("database error: {0}")]
    Backend(String),
}
