//! The store's error type: what went wrong, in terms the use cases can act on.

/// A uniqueness rule the store enforces, named for the use case it protects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    UsernameTaken,
    EmailTaken,
    /// The account already has a ballot in this poll.
    AlreadyVoted,
    /// The account is already a member of the list.
    AlreadyListed,
    /// The status is already in the filter.
    AlreadyFiltered,
    /// Another unique constraint (the name is logged, never shown).
    Other(&'static str),
}

/// A rule the store checks inside the transaction, where no race can slip past it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    PollExpired,
    /// A choice beyond the poll's options.
    InvalidChoice,
    /// The status's text cannot change: its poll has votes.
    PollHasVotes,
    /// The voter may not see the poll (its author blocks them or is suspended).
    NotVisible,
    /// The account has as many scheduled statuses as it may (Mastodon: 300).
    TooManyScheduled,
    /// The account has as many statuses scheduled for that day as it may (Mastodon: 25).
    TooManyScheduledThatDay,
    /// A list member must be an account the list's owner follows.
    NotFollowed,
    /// The account has as many lists as it may have.
    ListLimit,
    /// An upload to attach is not the author's, or is another status's already.
    MediaUnavailable,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The row the operation needs does not exist (e.g. an edit of a deleted status).
    #[error("not found")]
    NotFound,
    #[error("conflict: {0:?}")]
    Conflict(Conflict),
    /// The operation breaks a rule checked inside its transaction.
    #[error("rejected: {0:?}")]
    Rejected(Rejection),
    /// The database failed; the text is for the log, not for clients.
    #[error("database error: {0}")]
    Backend(String),
}
