//! Polls: ballots, tallies, the hash-chained vote log, rounds and versions
//! (append-only history), expiry, audits.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use parley_core::model::{NotificationKind, Poll, Visibility};
use parley_core::poll::{Eligibility, chain_genesis, chain_next};
use parley_core::tlog::ballot_leaf;
use parley_core::{AccountId, IdGenerator, PollId, StatusId};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::changelog::{self, append};
use super::notifications::notify_filtered;
use super::poll_log;
use super::rows::{json_ids, ms, now_ms, time};
use crate::audit::VoteRow;
use crate::changes::Change;
use crate::types::{
    HistoryBucket, NewBallot, NewPoll, PollAudit, PollSignals, PollState, PollVersion, RecordedBallot, TallyAt,
};
use crate::{Rejection, Result, StoreError};

const POLL_COLUMNS: &str = "id, status_id, account_id, multiple, hide_totals, expires_at, created_at, closed, \
     votes_count, voters_count, chain_head, vote_seq, min_account_age_days, local_only, round";

fn poll_from_row(r: &Row<'_>) -> rusqlite::Result<Poll> {
    Ok(Poll {
        id: PollId(r.get(0)?),
        status_id: StatusId(r.get(1)?),
        account_id: AccountId(r.get(2)?),
        options: Vec::new(),
        option_votes: Vec::new(),
        multiple: r.get(3)?,
        hide_totals: r.get(4)?,
        expires_at: time(r.get(5)?),
        created_at: time(r.get(6)?),
        closed: r.get(7)?,
        votes_count: r.get(8)?,
        voters_count: r.get(9)?,
        chain_head: r.get(10)?,
        vote_seq: r.get(11)?,
        eligibility: Eligibility { min_account_age_days: r.get(12)?, local_only: r.get(13)? },
        round: r.get(14)?,
    })
}

/// Creates a poll for a status inside the status's transaction.
pub fn insert(
    c: &Connection,
    ids: &IdGenerator,
    status: StatusId,
    author: AccountId,
    p: &NewPoll,
    created_ms: i64,
) -> Result<PollId> {
    let id = ids.next_raw();
    c.execute(
        &format!("INSERT INTO polls ({POLL_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, 0, ?8, 0, ?9, ?10, 0)"),
        params![
            id,
            status.0,
            author.0,
            p.multiple,
            p.hide_totals,
            ms(p.expires_at),
            created_ms,
            chain_genesis(id),
            p.eligibility.min_account_age_days,
            p.eligibility.local_only
        ],
    )?;
    write_options(c, id, &p.options)?;
    write_version(c, PollId(id), 0, &p.options, p.multiple, p.hide_totals, p.expires_at, created_ms)?;
    c.execute("UPDATE statuses SET poll_id = ?2 WHERE id = ?1", params![status.0, id])?;
    Ok(PollId(id))
}

/// Appends a version of the poll: what it looks like from `started_ms` on.
#[allow(clippy::too_many_arguments)]
fn write_version(
    c: &Connection,
    poll: PollId,
    round: i64,
    options: &[String],
    multiple: bool,
    hide_totals: bool,
    expires_at: DateTime<Utc>,
    started_ms: i64,
) -> Result<()> {
    let options =
        serde_json::to_string(options).map_err(|e| StoreError::Backend(format!("poll options as JSON: {e}")))?;
    c.prepare_cached(
        "INSERT INTO poll_versions (poll_id, version, round, options, multiple, hide_totals, expires_at, started_at)
         VALUES (?1, (SELECT coalesce(max(version), -1) + 1 FROM poll_versions WHERE poll_id = ?1),
                 ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![poll.0, round, options, multiple, hide_totals, ms(expires_at), started_ms])?;
    Ok(())
}

fn write_options(c: &Connection, poll: i64, options: &[String]) -> Result<()> {
    let mut stmt = c.prepare_cached("INSERT INTO poll_options (poll_id, position, title) VALUES (?1, ?2, ?3)")?;
    for (i, title) in options.iter().enumerate() {
        stmt.execute(params![poll, i as i64, title])?;
    }
    Ok(())
}

/// The poll's current round.
fn current_round(c: &Connection, poll: PollId) -> Result<i64> {
    c.prepare_cached("SELECT round FROM polls WHERE id = ?1")?
        .query_row([poll.0], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)
}

/// Starts a new round with new options: the current round's ballots are
/// closed (kept, no longer counted; the vote log goes on across rounds).
/// Returns the voters of the round that ended.
pub fn reset(c: &Connection, poll: PollId, p: &NewPoll) -> Result<Vec<AccountId>> {
    let round = current_round(c, poll)?;
    let voters: Vec<AccountId> = {
        let mut stmt = c.prepare_cached("SELECT account_id FROM poll_voters WHERE poll_id = ?1 AND round = ?2")?;
        stmt.query_map(params![poll.0, round], |r| r.get::<_, i64>(0))?
            .map(|r| r.map(AccountId))
            .collect::<rusqlite::Result<_>>()?
    };
    // The current round's options and tallies (counters, not ballots) start over.
    c.execute("DELETE FROM poll_options WHERE poll_id = ?1", [poll.0])?;
    write_options(c, poll.0, &p.options)?;
    c.execute(
        "UPDATE polls SET multiple = ?2, hide_totals = ?3, expires_at = ?4, closed = 0, votes_count = 0,
                          voters_count = 0, round = ?5, min_account_age_days = ?6, local_only = ?7 WHERE id = ?1",
        params![
            poll.0,
            p.multiple,
            p.hide_totals,
            ms(p.expires_at),
            round + 1,
            p.eligibility.min_account_age_days,
            p.eligibility.local_only
        ],
    )?;
    write_version(c, poll, round + 1, &p.options, p.multiple, p.hide_totals, p.expires_at, now_ms())?;
    append(c, Change::PollChanged { poll })?;
    Ok(voters)
}

pub fn adjust(c: &Connection, poll: PollId, hide_totals: bool, expires_at: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE polls SET hide_totals = ?2, expires_at = ?3, closed = CASE WHEN ?3 > ?4 THEN 0 ELSE closed END
         WHERE id = ?1",
        params![poll.0, hide_totals, ms(expires_at), now_ms()],
    )?;
    let current = find_many(c, &[poll])?.pop().ok_or(StoreError::NotFound)?;
    write_version(c, poll, current.round, &current.options, current.multiple, hide_totals, expires_at, now_ms())?;
    append(c, Change::PollChanged { poll })?;
    Ok(())
}

pub fn find_many(c: &Connection, ids: &[PollId]) -> Result<Vec<Poll>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let list = json_ids(ids.iter().map(|p| p.0));
    let mut polls: HashMap<i64, Poll> = {
        let mut stmt = c.prepare_cached(&format!(
            "SELECT {POLL_COLUMNS} FROM polls WHERE id IN (SELECT value FROM json_each(?1))"
        ))?;
        stmt.query_map([&list], poll_from_row)?.map(|r| r.map(|p| (p.id.0, p))).collect::<rusqlite::Result<_>>()?
    };
    let mut stmt = c.prepare_cached(
        "SELECT poll_id, title, votes_count FROM poll_options
         WHERE poll_id IN (SELECT value FROM json_each(?1)) ORDER BY poll_id, position",
    )?;
    let rows = stmt.query_map([&list], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)))?;
    for row in rows {
        let (poll, title, votes) = row?;
        if let Some(p) = polls.get_mut(&poll) {
            p.options.push(title);
            p.option_votes.push(votes);
        }
    }
    Ok(ids.iter().filter_map(|id| polls.remove(&id.0)).collect())
}

/// The poll, its status's visibility and every ballot, read in one
/// transaction together with the change log's position, so the caller knows
/// exactly which records the state already reflects.
pub fn state(c: &Connection, id: PollId) -> Result<Option<PollState>> {
    let tx = c.unchecked_transaction()?;
    let as_of_seq = changelog::last_seq(&tx)?;
    let Some(poll) = find_many(&tx, &[id])?.pop() else { return Ok(None) };
    let visibility: String = tx
        .prepare_cached("SELECT visibility FROM statuses WHERE id = ?1")?
        .query_row([poll.status_id.0], |r| r.get(0))?;
    let visibility =
        Visibility::parse(&visibility).ok_or_else(|| StoreError::Backend(format!("bad visibility {visibility}")))?;
    let ballots = ballots(&tx, id, poll.round)?;
    tx.commit()?;
    Ok(Some(PollState { poll, visibility, ballots, as_of_seq }))
}

fn ballots(c: &Connection, poll: PollId, round: i64) -> Result<Vec<(AccountId, Vec<u32>)>> {
    let mut stmt = c.prepare_cached(
        "SELECT account_id, choice FROM poll_votes WHERE poll_id = ?1 AND round = ?2 ORDER BY account_id, choice",
    )?;
    let mut out: Vec<(AccountId, Vec<u32>)> = Vec::new();
    let rows = stmt.query_map(params![poll.0, round], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, u32>(1)?)))?;
    for row in rows {
        let (account, choice) = row?;
        match out.last_mut() {
            Some((a, choices)) if a.0 == account => choices.push(choice),
            _ => out.push((AccountId(account), vec![choice])),
        }
    }
    Ok(out)
}

/// The ballot's transaction: voter row (the uniqueness that forbids a second
/// ballot), one chained vote row per choice, and the atomic tally increments.
pub fn record(c: &Connection, ids: &IdGenerator, b: NewBallot) -> Result<RecordedBallot> {
    let (expires_at, chain_head, vote_seq, options, hidden, round, log_size): (i64, String, i64, i64, bool, i64, i64) =
        c.prepare_cached(
            "SELECT expires_at, chain_head, vote_seq, (SELECT count(*) FROM poll_options WHERE poll_id = polls.id),
                    EXISTS (SELECT 1 FROM blocks WHERE account_id = polls.account_id AND target_id = ?2)
                    OR EXISTS (SELECT 1 FROM accounts WHERE id = polls.account_id AND suspended = 1),
                    round, log_size
             FROM polls WHERE id = ?1",
        )?
        .query_row(params![b.poll_id.0, b.account_id.0], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?))
        })
        .optional()?
        .ok_or(StoreError::NotFound)?;
    if hidden {
        return Err(StoreError::Rejected(Rejection::NotVisible));
    }
    if b.choices.is_empty() || b.choices.iter().any(|ch| i64::from(*ch) >= options) {
        return Err(StoreError::Rejected(Rejection::InvalidChoice));
    }
    // Vote times never run backwards within a poll, so "as of" a time is a prefix of the log.
    let last_at: Option<i64> = c
        .prepare_cached("SELECT created_at FROM poll_votes WHERE poll_id = ?1 ORDER BY seq DESC LIMIT 1")?
        .query_row([b.poll_id.0], |r| r.get(0))
        .optional()?;
    let at = b.at.map(ms).unwrap_or_else(now_ms).max(last_at.unwrap_or(i64::MIN));
    if at >= expires_at {
        return Err(StoreError::Rejected(Rejection::PollExpired));
    }
    c.prepare_cached(
        "INSERT INTO poll_voters (poll_id, round, account_id, created_at, leaf_index) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![b.poll_id.0, round, b.account_id.0, at, log_size])?;
    // The ballot's leaf in the poll's log, at the index the poll row holds (the writer is single).
    let leaf = ballot_leaf(b.poll_id, round, &b.choices, at, &b.commitment);
    poll_log::append(c, b.poll_id, log_size as u64, &leaf, at)?;
    let mut head = chain_head;
    let mut seq = vote_seq;
    let mut insert_vote = c.prepare_cached(
        "INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at, seq, hash, round)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    let mut bump =
        c.prepare_cached("UPDATE poll_options SET votes_count = votes_count + 1 WHERE poll_id = ?1 AND position = ?2")?;
    for choice in &b.choices {
        seq += 1;
        head = chain_next(&head, seq, *choice, at);
        insert_vote.execute(params![ids.next_raw(), b.poll_id.0, b.account_id.0, choice, at, seq, head, round])?;
        bump.execute(params![b.poll_id.0, choice])?;
    }
    c.prepare_cached(
        "UPDATE polls SET votes_count = votes_count + ?2, voters_count = voters_count + 1, chain_head = ?3, vote_seq = ?4,
                          log_size = log_size + 1
         WHERE id = ?1",
    )?
    .execute(params![b.poll_id.0, b.choices.len() as i64, head, seq])?;
    append(c, Change::BallotRecorded { poll: b.poll_id, account: b.account_id, choices: b.choices })?;
    Ok(RecordedBallot { at: time(at), last_seq: seq, chain_head: head, leaf_index: log_size as u64, leaf })
}

pub fn close_expired(c: &Connection, ids: &IdGenerator, now: DateTime<Utc>) -> Result<Vec<Poll>> {
    let due: Vec<i64> = {
        let mut stmt = c.prepare_cached(
            "SELECT id FROM polls WHERE closed = 0 AND expires_at <= ?1 ORDER BY expires_at LIMIT 100",
        )?;
        stmt.query_map([ms(now)], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
    };
    let mut closed = Vec::new();
    for id in due {
        // The 0 → 1 transition happens once, so each notification is sent once.
        let changed = c.execute("UPDATE polls SET closed = 1 WHERE id = ?1 AND closed = 0", [id])?;
        if changed == 0 {
            continue;
        }
        let Some(poll) = find_many(c, &[PollId(id)])?.pop() else { continue };
        append(c, Change::PollClosed { poll: poll.id })?;
        notify_filtered(c, ids, poll.account_id, poll.account_id, NotificationKind::Poll, Some(poll.status_id))?;
        let voters: Vec<i64> = {
            let mut stmt = c.prepare_cached("SELECT account_id FROM poll_voters WHERE poll_id = ?1 AND round = ?2")?;
            stmt.query_map(params![id, poll.round], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        for v in voters {
            notify_filtered(c, ids, AccountId(v), poll.account_id, NotificationKind::Poll, Some(poll.status_id))?;
        }
        closed.push(poll);
    }
    Ok(closed)
}

pub fn next_expiry(c: &Connection) -> Result<Option<DateTime<Utc>>> {
    Ok(c.prepare_cached("SELECT min(expires_at) FROM polls WHERE closed = 0")?
        .query_row([], |r| r.get::<_, Option<i64>>(0))?
        .map(time))
}

fn option_count(c: &Connection, poll: PollId) -> Result<usize> {
    let n: i64 = c.query_row("SELECT count(*) FROM poll_options WHERE poll_id = ?1", [poll.0], |r| r.get(0))?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(n as usize)
}

/// The version of a poll in effect at `at_ms` (its first version, for a
/// moment before the poll existed).
fn version_at(c: &Connection, poll: PollId, at_ms: i64) -> Result<PollVersion> {
    let row = c
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM poll_versions WHERE poll_id = ?1
             ORDER BY CASE WHEN started_at <= ?2 THEN version ELSE -1 - version END DESC LIMIT 1"
        ))?
        .query_row(params![poll.0, at_ms], version_row)
        .optional()?
        .ok_or(StoreError::NotFound)?;
    version_from(poll, row)
}

const VERSION_COLUMNS: &str = "round, options, multiple, hide_totals, expires_at, started_at";

type VersionRow = (i64, String, bool, bool, i64, i64);

fn version_row(r: &Row<'_>) -> rusqlite::Result<VersionRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
}

fn version_from(poll: PollId, row: VersionRow) -> Result<PollVersion> {
    let (round, options, multiple, hide_totals, expires_at, started_at) = row;
    let options: Vec<String> =
        serde_json::from_str(&options).map_err(|e| StoreError::Backend(format!("poll {poll} options: {e}")))?;
    Ok(PollVersion {
        round,
        options,
        multiple,
        hide_totals,
        expires_at: time(expires_at),
        started_at: time(started_at),
    })
}

/// The text of the poll's status at `at_ms`, from its edit history (the
/// original, for a moment before the first edit was made).
fn question_at(c: &Connection, poll: PollId, at_ms: i64) -> Result<String> {
    let status: i64 = c
        .prepare_cached("SELECT status_id FROM polls WHERE id = ?1")?
        .query_row([poll.0], |r| r.get(0))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let edited: Option<String> = c
        .prepare_cached(
            "SELECT text FROM status_edits WHERE status_id = ?1
             ORDER BY CASE WHEN created_at <= ?2 THEN id ELSE -id END DESC LIMIT 1",
        )?
        .query_row(params![status, at_ms], |r| r.get(0))
        .optional()?;
    match edited {
        Some(text) => Ok(text),
        None => Ok(c.query_row("SELECT text FROM statuses WHERE id = ?1", [status], |r| r.get(0))?),
    }
}

/// The poll as it was at `at` (question, version) and the tally of the
/// round then in effect, from the rows. The vote log's head is the log's, across rounds.
pub fn tally_at(c: &Connection, poll: PollId, at: DateTime<Utc>) -> Result<TallyAt> {
    let at = ms(at);
    let version = version_at(c, poll, at)?;
    let question = question_at(c, poll, at)?;
    let mut option_votes = vec![0i64; version.options.len()];
    {
        let mut stmt = c.prepare_cached(
            "SELECT choice, count(*) FROM poll_votes WHERE poll_id = ?1 AND round = ?2 AND created_at <= ?3
             GROUP BY choice",
        )?;
        let rows =
            stmt.query_map(params![poll.0, version.round, at], |r| Ok((r.get::<_, usize>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (choice, count) = row?;
            if let Some(slot) = option_votes.get_mut(choice) {
                *slot = count;
            }
        }
    }
    let voters_count: i64 = c.query_row(
        "SELECT count(*) FROM poll_voters WHERE poll_id = ?1 AND round = ?2 AND created_at <= ?3",
        params![poll.0, version.round, at],
        |r| r.get(0),
    )?;
    let head: Option<(String, i64)> = c
        .query_row(
            "SELECT hash, seq FROM poll_votes WHERE poll_id = ?1 AND created_at <= ?2 ORDER BY seq DESC LIMIT 1",
            params![poll.0, at],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (chain_head, last_seq) = head.unwrap_or_else(|| (chain_genesis(poll.0), 0));
    Ok(TallyAt {
        votes_count: option_votes.iter().sum(),
        option_votes,
        voters_count,
        chain_head,
        last_seq,
        question,
        version,
    })
}

pub fn history(c: &Connection, poll: PollId, interval_seconds: i64) -> Result<Vec<HistoryBucket>> {
    let n = option_count(c, poll)?;
    let (origin, round): (i64, i64) =
        c.query_row("SELECT created_at, round FROM polls WHERE id = ?1", [poll.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let width = interval_seconds.max(1) * 1000;
    let mut buckets: BTreeMap<i64, HistoryBucket> = BTreeMap::new();
    let new_bucket = |k: i64| HistoryBucket { start: time(origin + k * width), option_votes: vec![0; n], voters: 0 };
    {
        let mut stmt = c.prepare_cached(
            "SELECT (created_at - ?2) / ?3, choice, count(*) FROM poll_votes WHERE poll_id = ?1 AND round = ?4
             GROUP BY 1, 2",
        )?;
        let rows = stmt.query_map(params![poll.0, origin, width, round], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, usize>(1)?, r.get::<_, i64>(2)?))
        })?;
        for row in rows {
            let (k, choice, count) = row?;
            let b = buckets.entry(k).or_insert_with(|| new_bucket(k));
            if let Some(slot) = b.option_votes.get_mut(choice) {
                *slot = count;
            }
        }
    }
    {
        let mut stmt = c.prepare_cached(
            "SELECT (created_at - ?2) / ?3, count(*) FROM poll_voters WHERE poll_id = ?1 AND round = ?4 GROUP BY 1",
        )?;
        let rows =
            stmt.query_map(params![poll.0, origin, width, round], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (k, count) = row?;
            buckets.entry(k).or_insert_with(|| new_bucket(k)).voters = count;
        }
    }
    Ok(buckets.into_values().collect())
}

pub fn signals(c: &Connection, poll: PollId) -> Result<PollSignals> {
    let (created, round): (i64, i64) = c
        .query_row("SELECT created_at, round FROM polls WHERE id = ?1", [poll.0], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or(StoreError::NotFound)?;
    let per_minute: Vec<(DateTime<Utc>, i64)> = {
        let mut stmt = c.prepare_cached(
            "SELECT created_at / 60000, count(*) FROM poll_voters WHERE poll_id = ?1 AND round = ?2
             GROUP BY 1 ORDER BY 1",
        )?;
        stmt.query_map(params![poll.0, round], |r| Ok((time(r.get::<_, i64>(0)? * 60_000), r.get::<_, i64>(1)?)))?
            .collect::<rusqlite::Result<_>>()?
    };
    let ballots: i64 = c.query_row(
        "SELECT count(*) FROM poll_voters WHERE poll_id = ?1 AND round = ?2",
        params![poll.0, round],
        |r| r.get(0),
    )?;
    let from_new: i64 = c.query_row(
        "SELECT count(*) FROM poll_voters v JOIN accounts a ON a.id = v.account_id
         WHERE v.poll_id = ?1 AND v.round = ?3 AND a.created_at > ?2",
        params![poll.0, created, round],
        |r| r.get(0),
    )?;
    Ok(PollSignals { ballots_per_minute: per_minute, ballots, ballots_from_new_accounts: from_new })
}

/// Every version of a poll, oldest first.
fn versions(c: &Connection, poll: PollId) -> Result<Vec<PollVersion>> {
    let mut stmt =
        c.prepare_cached(&format!("SELECT {VERSION_COLUMNS} FROM poll_versions WHERE poll_id = ?1 ORDER BY version"))?;
    let rows = stmt.query_map([poll.0], version_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter().map(|row| version_from(poll, row)).collect()
}

/// Recounts one poll's current round from its rows, re-walks its chain
/// (every round), and checks the poll against its recorded versions.
fn audit_one(c: &Connection, poll: &Poll) -> Result<Vec<String>> {
    let mut stmt = c.prepare_cached(
        "SELECT account_id, choice, created_at, seq, hash, round FROM poll_votes WHERE poll_id = ?1 ORDER BY seq",
    )?;
    let votes = stmt
        .query_map([poll.id.0], |r| {
            Ok(VoteRow {
                account: r.get(0)?,
                choice: r.get(1)?,
                at: r.get(2)?,
                seq: r.get(3)?,
                hash: r.get(4)?,
                round: r.get(5)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let voters: i64 = c.query_row(
        "SELECT count(*) FROM poll_voters WHERE poll_id = ?1 AND round = ?2",
        params![poll.id.0, poll.round],
        |r| r.get(0),
    )?;
    Ok(crate::audit::problems(poll, &versions(c, poll.id)?, &votes, voters))
}

pub fn audit(c: &Connection) -> Result<Vec<PollAudit>> {
    let ids: Vec<PollId> = {
        let mut stmt = c.prepare("SELECT id FROM polls ORDER BY id")?;
        stmt.query_map([], |r| r.get::<_, i64>(0))?.map(|r| r.map(PollId)).collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        for poll in find_many(c, chunk)? {
            let mut problems = audit_one(c, &poll)?;
            let log_size: i64 = c.query_row("SELECT log_size FROM polls WHERE id = ?1", [poll.id.0], |r| r.get(0))?;
            problems.extend(poll_log::audit(c, poll.id, log_size as u64)?);
            out.push(PollAudit { poll_id: poll.id, problems });
        }
    }
    Ok(out)
}
