//! Poll.

use parley_app::polls::PollView;
use serde::Serialize;

use super::timestamp;

#[derive(Debug, Clone, Serialize)]
pub struct PollOption {
    pub title: String,
    /// `null` while totals are hidden.
    pub votes_count: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Poll {
    pub id: String,
    pub expires_at: Option<String>,
    pub expired: bool,
    pub multiple: bool,
    pub votes_count: i64,
    pub voters_count: Option<i64>,
    pub options: Vec<PollOption>,
    pub emojis: Vec<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voted: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_votes: Option<Vec<u32>>,
    /// Parley's own: when these figures were read, so a quoted tally has a time.
    pub as_of: String,
    /// Parley's own: who may vote, as the author chose, so a client can say
    /// why a vote would be refused.
    pub parley_eligibility: Eligibility,
    /// Parley's own, on the answer to a vote only: the ballot's receipt
    /// (docs/snapshots.md), which checks it is in any later checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parley_receipt: Option<parley_app::transparency::Receipt>,
}

/// Who may vote in a poll (Parley's own).
#[derive(Debug, Clone, Serialize)]
pub struct Eligibility {
    /// Voters' accounts must be at least this many days old; `null` for any age.
    pub min_account_age_days: Option<u32>,
    /// Only accounts of this server may vote.
    pub local_only: bool,
}

impl Poll {
    pub fn from_view(v: &PollView) -> Poll {
        let p = &v.poll;
        Poll {
            id: p.id.to_string(),
            expires_at: Some(timestamp(p.expires_at)),
            expired: v.expired,
            multiple: p.multiple,
            votes_count: p.votes_count,
            voters_count: Some(p.voters_count),
            options: p
                .options
                .iter()
                .enumerate()
                .map(|(i, title)| PollOption {
                    title: title.clone(),
                    votes_count: v.option_votes.as_ref().and_then(|votes| votes.get(i).copied()),
                })
                .collect(),
            emojis: Vec::new(),
            voted: v.voted,
            own_votes: v.own_votes.clone(),
            as_of: timestamp(v.as_of),
            parley_eligibility: Eligibility {
                min_account_age_days: p.eligibility.min_account_age_days,
                local_only: p.eligibility.local_only,
            },
            parley_receipt: None,
        }
    }
}
