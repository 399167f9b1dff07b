//! The poll audit's rules, for every backend: a poll's stored tallies and
//! chain head against its vote rows (`parley admin polls verify`,
//! `Store::audit_polls`). Each backend reads the rows; this checks them.

use std::collections::HashMap;

use parley_core::model::Poll;
use parley_core::poll::{chain_genesis, chain_next};

/// One vote row, as stored.
pub struct VoteRow {
    pub account: i64,
    pub choice: i64,
    pub at: i64,
    pub seq: i64,
    pub hash: String,
}

/// Recounts one poll from its vote rows (in `seq` order) and its ballot
/// count, and re-walks its hash chain: what does not match, in words.
pub fn problems(poll: &Poll, votes: &[VoteRow], voters: i64) -> Vec<String> {
    let mut problems = Vec::new();
    let mut counted = vec![0i64; poll.options.len()];
    let mut per_account: HashMap<i64, i64> = HashMap::new();
    let mut head = chain_genesis(poll.id.0);
    let mut expected_seq = 0i64;
    let mut chain_broken = false;
    for VoteRow { account, choice, at, seq, hash } in votes {
        let (choice, seq) = (*choice, *seq);
        *per_account.entry(*account).or_default() += 1;
        match counted.get_mut(choice as usize) {
            Some(slot) if choice >= 0 => *slot += 1,
            _ => problems.push(format!("vote #{seq} names option {choice}, which does not exist")),
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
