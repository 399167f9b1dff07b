//! Parley's domain: identifiers, domain types and the pure rules every layer
//! shares (visibility, pagination windows, content limits, text → HTML).
//!
//! This crate does no I/O and depends on no other Parley crate. Storage rows
//! and Mastodon entities are converted to and from the types here at the
//! edges of `parley-store` and `parley-api`.

pub mod filters;
pub mod grouping;
pub mod id;
pub mod media;
pub mod model;
pub mod page;
pub mod poll;
pub mod scope;
pub mod text;
pub mod tlog;
pub mod visibility;

pub use id::{
    AccountId, AppId, ConversationId, IdGenerator, ListId, MediaId, NotificationId, PollId, ScheduledStatusId, StatusId,
};
