//! The poll audit's rules, for every backend: a poll's stored tallies and
//! chain head against its vote rows, and the poll against its recorded
//! versions, and its transparency log against its leaves and ballots
//! (`parley admin polls verify`, `Store::audit_polls`). Each backend reads
//! the rows; this checks them.

use std::collections::{BTreeMap, HashMap};

use parley_core::model::Poll;
use parley_core::poll::{chain_genesis, chain_next};
use parley_core::tlog::{self, Hash, Place};

use crate::StoreError;
use crate::types::{PollVersion, StoredCheckpoint};

/// One vote row, as stored.
pub struct VoteRow {
    pub account: i64,
    pub choice: i64,
    pub at: i64,
    pub seq: i64,
    pub hash: String,
    /// The round the vote was cast in.
    pub round: i64,
}

/// Recounts one poll's current round from its vote rows (in `seq` order)
/// and its current round's ballot count (`voters`), re-walks its hash chain
/// (every round), and checks the poll against its recorded versions (oldest
/// first): what does not match, in words.
pub fn problems(poll: &Poll, versions: &[PollVersion], votes: &[VoteRow], voters: i64) -> Vec<String> {
    let mut problems = Vec::new();
    // Each round's option count, by its last version.
    let rounds: BTreeMap<i64, usize> = versions.iter().map(|v| (v.round, v.options.len())).collect();
    match versions.last() {
        Some(v) if v.round == poll.round && v.options == poll.options && v.multiple == poll.multiple => {}
        Some(_) => problems.push("the poll's options differ from its recorded history".to_string()),
        None => problems.push("the poll has no recorded history".to_string()),
    }
    let mut counted = vec![0i64; poll.options.len()];
    let mut per_account: HashMap<i64, i64> = HashMap::new();
    let mut head = chain_genesis(poll.id.0);
    let mut expected_seq = 0i64;
    let mut chain_broken = false;
    for VoteRow { account, choice, at, seq, hash, round } in votes {
        let (choice, seq, round) = (*choice, *seq, *round);
        match rounds.get(&round) {
            Some(n) if choice >= 0 && (choice as usize) < *n => {}
            Some(_) => problems.push(format!("vote #{seq} names option {choice}, which did not exist in its round")),
            None => problems.push(format!("vote #{seq} is in round {round}, which the poll never had")),
        }
        if round == poll.round {
            *per_account.entry(*account).or_default() += 1;
            if let Some(slot) = usize::try_from(choice).ok().and_then(|i| counted.get_mut(i)) {
                *slot += 1;
            }
        }
        expected_seq += 1;
        if chain_broken {
            continue;
        }
        if seq != expected_seq {
            problems
                .push(format!("vote log skips from #{} to #{seq}: a vote was removed or inserted", expected_seq - 1));
            chain_broken = true;
            continue;
        }
        let want = chain_next(&head, seq, choice.max(0) as u32, *at);
        if want != *hash {
            problems.push(format!("vote #{seq} does not match the hash chain: it was altered"));
            chain_broken = true;
            continue;
        }
        head = hash.clone();
    }
    for (i, (stored, recount)) in poll.option_votes.iter().zip(&counted).enumerate() {
        if stored != recount {
            problems.push(format!("option {i} tally is {stored} but {recount} vote rows exist"));
        }
    }
    let rows_total: i64 = counted.iter().sum();
    if poll.votes_count != rows_total {
        problems.push(format!("votes_count is {} but {rows_total} vote rows exist", poll.votes_count));
    }
    if poll.voters_count != voters {
        problems.push(format!("voters_count is {} but {voters} ballots exist", poll.voters_count));
    }
    if per_account.len() as i64 != voters {
        problems.push(format!("{} accounts have vote rows but {voters} ballots exist", per_account.len()));
    }
    if !poll.multiple && per_account.values().any(|n| *n > 1) {
        problems.push("an account has more than one vote in a single-choice poll".to_string());
    }
    if !chain_broken && (poll.vote_seq != expected_seq || poll.chain_head != head) {
        problems.push(format!(
            "chain head does not match the vote log (log ends at #{expected_seq}, poll records #{})",
            poll.vote_seq
        ));
    }
    problems
}

/// A ballot recorded with a log leaf: its leaf's index and what the leaf
/// must say of it (round, its choices joined by `,` in order, time).
pub struct LoggedBallot {
    pub leaf_index: u64,
    pub round: i64,
    pub choices: String,
    pub at: i64,
}

/// What a poll's transparency log holds, as stored, for [`log_problems`].
pub struct StoredLog {
    /// `polls.log_size`.
    pub log_size: u64,
    /// Every leaf, by index.
    pub leaves: Vec<(u64, Vec<u8>)>,
    /// Every stored subtree hash.
    pub hashes: Vec<(Place, Vec<u8>)>,
    pub checkpoints: Vec<StoredCheckpoint>,
    pub ballots: Vec<LoggedBallot>,
    /// Ballots without a leaf cast since the log's first leaf.
    pub unlogged: i64,
}

/// Rebuilds the poll's tree from its leaves and checks the stored hashes and
/// every checkpoint against it, and every leaf against its ballot.
pub fn log_problems(log: &StoredLog) -> crate::Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut rebuilt: HashMap<Place, Hash> = HashMap::new();
    let rebuilt_hash = |rebuilt: &HashMap<Place, Hash>, p: Place| {
        rebuilt.get(&p).copied().ok_or_else(|| StoreError::Backend("rebuild".into()))
    };
    for (expected, (index, data)) in log.leaves.iter().enumerate() {
        if *index != expected as u64 {
            problems.push(format!("log leaf {expected} is missing: a ballot was removed from the log"));
            return Ok(problems);
        }
        let new = tlog::append(*index, tlog::leaf_hash(data), |p| rebuilt_hash(&rebuilt, p))?;
        rebuilt.extend(new);
    }
    let n = log.leaves.len() as u64;
    if n != log.log_size {
        problems.push(format!("the log has {n} leaves but the poll records {}", log.log_size));
    }
    let altered = log.hashes.iter().filter(|(p, h)| rebuilt.get(p).map(|r| &r[..]) != Some(&h[..])).count();
    if altered > 0 || log.hashes.len() != rebuilt.len() {
        problems.push(format!("{altered} stored log hashes do not match the leaves"));
    }
    for cp in &log.checkpoints {
        if cp.tree_size > n {
            problems.push(format!("checkpoint at {} leaves is beyond the log's {n}: the log was cut", cp.tree_size));
            continue;
        }
        let root = tlog::tree_hash(cp.tree_size, |p| rebuilt_hash(&rebuilt, p))?;
        if root != cp.root {
            problems.push(format!("the log's first {} leaves no longer match their signed checkpoint", cp.tree_size));
        }
    }
    problems.extend(ballots_match_leaves(log));
    Ok(problems)
}

/// Every ballot recorded with a leaf matches it (round, choices, time), and
/// every leaf has its ballot.
fn ballots_match_leaves(log: &StoredLog) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = vec![false; log.leaves.len()];
    for LoggedBallot { leaf_index: index, round, choices, at } in &log.ballots {
        let Some((_, data)) = log.leaves.get(*index as usize) else {
            problems.push(format!("a ballot names log leaf {index}, which does not exist"));
            continue;
        };
        if let Some(s) = seen.get_mut(*index as usize) {
            if *s {
                problems.push(format!("two ballots name log leaf {index}"));
            }
            *s = true;
        }
        let text = String::from_utf8_lossy(data);
        let fields: Vec<&str> = text.split('\n').collect();
        let expected = [round.to_string(), choices.clone(), at.to_string()];
        if fields.get(2..5).map(|f| f.iter().map(|s| s.to_string()).collect::<Vec<_>>()) != Some(expected.to_vec()) {
            problems.push(format!("the ballot of log leaf {index} no longer matches its leaf: it was altered"));
        }
    }
    if let Some(orphan) = seen.iter().position(|s| !s) {
        problems.push(format!("log leaf {orphan} has no ballot: a ballot was removed"));
    }
    if log.unlogged > 0 {
        problems.push(format!("{} ballots are not in the log: they were inserted behind its back", log.unlogged));
    }
    problems
}
