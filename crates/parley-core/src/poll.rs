//! Poll rules: what a valid poll and a valid ballot are, when totals may be
//! shown, and the hash chain that makes the vote log tamper-evident.
//!
//! Wording of refusals follows Mastodon (`config/locales/en.yml`, `polls.errors`).

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

use crate::AccountId;

/// The limits a server publishes under `configuration.polls`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollLimits {
    pub max_options: usize,
    pub max_characters_per_option: usize,
    pub min_expiration: i64,
    pub max_expiration: i64,
}

impl Default for PollLimits {
    /// Mastodon's defaults.
    fn default() -> Self {
        PollLimits { max_options: 4, max_characters_per_option: 50, min_expiration: 300, max_expiration: 2_629_746 }
    }
}

/// Why a poll cannot be created.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PollError {
    #[error("Validation failed: Poll options must have more than one item")]
    TooFewOptions,
    #[error("Validation failed: Poll options can't contain more than {0} items")]
    TooManyOptions(usize),
    #[error("Validation failed: Poll options cannot be longer than {0} characters each")]
    OptionTooLong(usize),
    #[error("Validation failed: Poll options can't be blank")]
    BlankOption,
    #[error("Validation failed: Poll options contain duplicate items")]
    DuplicateOptions,
    #[error("Validation failed: Poll expires at is too soon")]
    TooSoon,
    #[error("Validation failed: Poll expires at is too far into the future")]
    TooLate,
    #[error(
        "Validation failed: Poll minimum account age must be a whole number of days from 0 to {MAX_MIN_ACCOUNT_AGE_DAYS}"
    )]
    MinAccountAge,
}

/// A poll that passed [`validate_new_poll`]: trimmed options and its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPoll {
    pub options: Vec<String>,
    pub expires_at: DateTime<Utc>,
    pub multiple: bool,
    pub hide_totals: bool,
}

pub fn validate_new_poll(
    options: &[String],
    expires_in: i64,
    multiple: bool,
    hide_totals: bool,
    limits: PollLimits,
    now: DateTime<Utc>,
) -> Result<ValidPoll, PollError> {
    let options: Vec<String> = options.iter().map(|o| o.trim().to_string()).collect();
    if options.len() < 2 {
        return Err(PollError::TooFewOptions);
    }
    if options.len() > limits.max_options {
        return Err(PollError::TooManyOptions(limits.max_options));
    }
    if options.iter().any(String::is_empty) {
        return Err(PollError::BlankOption);
    }
    if options.iter().any(|o| o.chars().count() > limits.max_characters_per_option) {
        return Err(PollError::OptionTooLong(limits.max_characters_per_option));
    }
    let mut seen: Vec<&str> = Vec::with_capacity(options.len());
    for o in &options {
        if seen.contains(&o.as_str()) {
            return Err(PollError::DuplicateOptions);
        }
        seen.push(o);
    }
    if expires_in < limits.min_expiration {
        return Err(PollError::TooSoon);
    }
    if expires_in > limits.max_expiration {
        return Err(PollError::TooLate);
    }
    Ok(ValidPoll { options, expires_at: now + Duration::seconds(expires_in), multiple, hide_totals })
}

/// Why a ballot is refused (each a 422 in Mastodon's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VoteError {
    #[error("Validation failed: The poll has already ended")]
    Expired,
    #[error("Validation failed: The chosen vote option does not exist")]
    InvalidChoice,
    #[error("Validation failed: Choices can't be blank")]
    NoChoice,
    #[error("Validation failed: You cannot vote in your own polls")]
    SelfVote,
    #[error("Validation failed: You have already voted on this poll")]
    AlreadyVoted,
    /// Parley's own: the poll's author asked for older accounts.
    #[error(
        "Validation failed: Your account is too new to vote in this poll (accounts must be at least {} old)",
        days(*.0)
    )]
    AccountTooNew(u32),
    /// Parley's own: the poll's author asked for accounts of this server.
    #[error("Validation failed: Only accounts on this server may vote in this poll")]
    NotLocal,
}

/// "1 day", "7 days".
fn days(n: u32) -> String {
    if n == 1 { "1 day".to_string() } else { format!("{n} days") }
}

/// The longest minimum account age a poll may ask for (ten years).
pub const MAX_MIN_ACCOUNT_AGE_DAYS: i64 = 3650;

/// Who may vote in a poll (Parley's own, chosen by its author; open to every
/// account by default). The answer to polls voted by fresh or far-away
/// accounts: a minimum account age, and accounts of this server only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Eligibility {
    /// Voters' accounts must be at least this many days old (`None`: any age).
    pub min_account_age_days: Option<u32>,
    /// Only accounts of this server may vote.
    pub local_only: bool,
}

impl Eligibility {
    /// The rules as a client asked for them: no age or 0 is no minimum.
    pub fn new(min_account_age_days: Option<i64>, local_only: bool) -> Result<Eligibility, PollError> {
        let min_account_age_days = match min_account_age_days {
            None | Some(0) => None,
            Some(d) => Some(
                u32::try_from(d)
                    .ok()
                    .filter(|d| i64::from(*d) <= MAX_MIN_ACCOUNT_AGE_DAYS)
                    .ok_or(PollError::MinAccountAge)?,
            ),
        };
        Ok(Eligibility { min_account_age_days, local_only })
    }

    /// Every account may vote (nothing to check, nothing to load).
    pub fn is_open(&self) -> bool {
        self.min_account_age_days.is_none() && !self.local_only
    }
}

/// What eligibility looks at in a voter's account.
#[derive(Debug, Clone, Copy)]
pub struct VoterStanding {
    pub created_at: DateTime<Utc>,
    /// The account is of this server.
    pub local: bool,
}

/// May this voter vote in a poll with these rules? Checked after
/// [`validate_vote`], so Mastodon's own refusals come first.
pub fn check_eligibility(rules: Eligibility, voter: VoterStanding, now: DateTime<Utc>) -> Result<(), VoteError> {
    if rules.local_only && !voter.local {
        return Err(VoteError::NotLocal);
    }
    if let Some(min) = rules.min_account_age_days
        && now - voter.created_at < Duration::days(i64::from(min))
    {
        return Err(VoteError::AccountTooNew(min));
    }
    Ok(())
}

/// What a ballot is checked against.
#[derive(Debug, Clone, Copy)]
pub struct BallotBox {
    pub author: AccountId,
    pub options: usize,
    pub multiple: bool,
    pub expires_at: DateTime<Utc>,
}

impl BallotBox {
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        now >= self.expires_at
    }
}

/// Checks a ballot; returns its choices sorted and deduplicated.
/// A single-choice poll takes exactly one choice; sending several is, as in
/// Mastodon, a second vote.
pub fn validate_vote(
    ballot_box: BallotBox,
    voter: AccountId,
    choices: &[i64],
    already_voted: bool,
    now: DateTime<Utc>,
) -> Result<Vec<u32>, VoteError> {
    if ballot_box.expired(now) {
        return Err(VoteError::Expired);
    }
    if choices.is_empty() {
        return Err(VoteError::NoChoice);
    }
    if choices.iter().any(|c| *c < 0 || *c >= ballot_box.options as i64) {
        return Err(VoteError::InvalidChoice);
    }
    if voter == ballot_box.author {
        return Err(VoteError::SelfVote);
    }
    // On a single-choice poll every choice beyond the first is a second vote,
    // even a repeat of the same option (Mastodon's VoteValidator).
    if already_voted || (!ballot_box.multiple && choices.len() > 1) {
        return Err(VoteError::AlreadyVoted);
    }
    let mut chosen: Vec<u32> = choices.iter().map(|c| *c as u32).collect();
    chosen.sort_unstable();
    chosen.dedup();
    if already_voted {
        return Err(VoteError::AlreadyVoted);
    }
    Ok(chosen)
}

/// With `hide_totals`, per-option counts are hidden from everyone, the author
/// included, until the poll has ended.
pub fn show_totals(hide_totals: bool, expired: bool) -> bool {
    !hide_totals || expired
}

/// A link of the vote log's hash chain, as lower-case hex.
pub type ChainHash = String;

fn hex(bytes: &[u8]) -> String {
    ::hex::encode(bytes)
}

/// The chain's start for a poll: `SHA-256("parley-poll-v1:" || poll_id)`.
pub fn chain_genesis(poll_id: i64) -> ChainHash {
    hex(&Sha256::digest(format!("parley-poll-v1:{poll_id}").as_bytes()))
}

/// The next link: `SHA-256(prev_hex || ":" || seq || ":" || choice || ":" || time_ms)`.
/// It covers the order, the choice and the time of each vote, never the voter.
pub fn chain_next(prev: &str, seq: i64, choice: u32, at_ms: i64) -> ChainHash {
    hex(&Sha256::digest(format!("{prev}:{seq}:{choice}:{at_ms}").as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    fn opts(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn poll_creation_rules() {
        let l = PollLimits::default();
        let ok = validate_new_poll(
            &opts(&[" Vladivostok ", "Yekaterinburg", "St. Petersburg"]),
            86_400,
            false,
            false,
            l,
            now(),
        );
        assert_eq!(ok.map(|p| p.options[0].clone()), Ok("Vladivostok".into()));
        assert_eq!(validate_new_poll(&opts(&["a"]), 300, false, false, l, now()), Err(PollError::TooFewOptions));
        assert_eq!(
            validate_new_poll(&opts(&["a", "b", "c", "d", "e"]), 300, false, false, l, now()),
            Err(PollError::TooManyOptions(4))
        );
        assert_eq!(
            validate_new_poll(&opts(&["a", "a "]), 300, false, false, l, now()),
            Err(PollError::DuplicateOptions)
        );
        assert_eq!(validate_new_poll(&opts(&["a", " "]), 300, false, false, l, now()), Err(PollError::BlankOption));
        assert_eq!(
            validate_new_poll(&opts(&["a", &"x".repeat(51)]), 300, false, false, l, now()),
            Err(PollError::OptionTooLong(50))
        );
        assert!(validate_new_poll(&opts(&["a", &"é".repeat(50)]), 300, false, false, l, now()).is_ok());
        assert_eq!(validate_new_poll(&opts(&["a", "b"]), 299, false, false, l, now()), Err(PollError::TooSoon));
        assert_eq!(validate_new_poll(&opts(&["a", "b"]), 2_629_747, false, false, l, now()), Err(PollError::TooLate));
    }

    fn ballot_box(multiple: bool) -> BallotBox {
        BallotBox { author: AccountId(1), options: 3, multiple, expires_at: now() + Duration::seconds(60) }
    }

    #[test]
    fn ballot_rules() {
        let v = AccountId(2);
        assert_eq!(validate_vote(ballot_box(false), v, &[2], false, now()), Ok(vec![2]));
        assert_eq!(validate_vote(ballot_box(false), v, &[3], false, now()), Err(VoteError::InvalidChoice));
        assert_eq!(validate_vote(ballot_box(false), v, &[-1], false, now()), Err(VoteError::InvalidChoice));
        assert_eq!(validate_vote(ballot_box(false), v, &[], false, now()), Err(VoteError::NoChoice));
        assert_eq!(validate_vote(ballot_box(false), v, &[0, 1], false, now()), Err(VoteError::AlreadyVoted));
        assert_eq!(validate_vote(ballot_box(false), v, &[1, 1], false, now()), Err(VoteError::AlreadyVoted));
        assert_eq!(validate_vote(ballot_box(true), v, &[2, 0, 2], false, now()), Ok(vec![0, 2]));
        assert_eq!(validate_vote(ballot_box(false), v, &[0], true, now()), Err(VoteError::AlreadyVoted));
        assert_eq!(validate_vote(ballot_box(false), AccountId(1), &[0], false, now()), Err(VoteError::SelfVote));
        let late = now() + Duration::seconds(60);
        assert_eq!(validate_vote(ballot_box(false), v, &[0], false, late), Err(VoteError::Expired));
    }

    #[test]
    fn eligibility_is_read_within_bounds() {
        assert_eq!(Eligibility::new(None, false), Ok(Eligibility::default()));
        assert!(Eligibility::new(Some(0), false).is_ok_and(|e| e.is_open()));
        assert_eq!(
            Eligibility::new(Some(7), true),
            Ok(Eligibility { min_account_age_days: Some(7), local_only: true })
        );
        assert!(Eligibility::new(Some(3650), false).is_ok());
        assert_eq!(Eligibility::new(Some(3651), false), Err(PollError::MinAccountAge));
        assert_eq!(Eligibility::new(Some(-1), false), Err(PollError::MinAccountAge));
        assert!(!Eligibility::new(None, true).is_ok_and(|e| e.is_open()));
    }

    #[test]
    fn eligibility_rules() {
        let week = Eligibility { min_account_age_days: Some(7), local_only: false };
        let local = Eligibility { min_account_age_days: None, local_only: true };
        let voter =
            |age_seconds: i64, local: bool| VoterStanding { created_at: now() - Duration::seconds(age_seconds), local };
        let day = 86_400;
        assert_eq!(check_eligibility(Eligibility::default(), voter(0, false), now()), Ok(()));
        assert_eq!(check_eligibility(week, voter(7 * day, true), now()), Ok(()));
        assert_eq!(check_eligibility(week, voter(7 * day - 1, true), now()), Err(VoteError::AccountTooNew(7)));
        assert_eq!(check_eligibility(local, voter(0, true), now()), Ok(()));
        assert_eq!(check_eligibility(local, voter(100 * day, false), now()), Err(VoteError::NotLocal));
        assert_eq!(
            VoteError::AccountTooNew(7).to_string(),
            "Validation failed: Your account is too new to vote in this poll (accounts must be at least 7 days old)"
        );
        assert!(VoteError::AccountTooNew(1).to_string().contains("at least 1 day old"));
    }

    #[test]
    fn hidden_totals_appear_when_the_poll_ends() {
        assert!(show_totals(false, false));
        assert!(!show_totals(true, false));
        assert!(show_totals(true, true));
    }

    #[test]
    fn the_chain_depends_on_order_choice_and_time() {
        let g = chain_genesis(7);
        assert_eq!(g.len(), 64);
        assert_ne!(g, chain_genesis(8));
        let a = chain_next(&g, 1, 0, 1000);
        assert_ne!(a, chain_next(&g, 1, 1, 1000));
        assert_ne!(a, chain_next(&g, 1, 0, 1001));
        assert_ne!(a, chain_next(&g, 2, 0, 1000));
        assert_eq!(a, chain_next(&g, 1, 0, 1000));
    }
}
