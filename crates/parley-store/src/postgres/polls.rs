//! Polls: ballots, tallies, the hash-chained vote log, rounds and versions
//! (append-only history), expiry, audits (the twin of `sqlite/polls.rs`).
//!
//! A ballot extends its poll's hash chain, so it reads the chain's head and
//! writes the next one: on PostgreSQL that read locks the poll's row
//! (`FOR UPDATE`), and ballots of one poll commit one after another. The
//! tallies are increments in the same transaction; the uniqueness of
//! `poll_voters` makes a second ballot impossible at any timing. The same
//! lock allocates the ballot's leaf in the poll's transparency log
//! (`polls.log_size`), so two ballots never get one index. An edit that
//! starts a new round takes the lock too (`find_for_update`).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use parley_core::model::{NotificationKind, Poll, Visibility};
use parley_core::poll::{Eligibility, chain_genesis, chain_next};
use parley_core::tlog::ballot_leaf;
use parley_core::{AccountId, PollId, StatusId};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::notifications::notify_filtered;
use super::poll_log;
use super::rows::{map_rows, ms, now_ms, sql, time};
use super::write::Write;
use crate::audit::VoteRow;
use crate::changes::Change;
use crate::types::{
    HistoryBucket, NewBallot, NewPoll, PollAudit, PollSignals, PollState, PollVersion, RecordedBallot, TallyAt,
};
use crate::{Rejection, Result, StoreError};

const POLL_COLUMNS: &str = "id, status_id, account_id, multiple, hide_totals, expires_at, created_at, closed, \
     votes_count, voters_count, chain_head, vote_seq, min_account_age_days, local_only, round";

fn poll_from_row(r: &PgRow) -> Result<Poll, sqlx::Error> {
    Ok(Poll {
        id: PollId(r.try_get(0)?),
        status_id: StatusId(r.try_get(1)?),
        account_id: AccountId(r.try_get(2)?),
        options: Vec::new(),
        option_votes: Vec::new(),
        multiple: r.try_get(3)?,
        hide_totals: r.try_get(4)?,
        expires_at: time(r.try_get(5)?),
        created_at: time(r.try_get(6)?),
        closed: r.try_get(7)?,
        votes_count: r.try_get(8)?,
        voters_count: r.try_get(9)?,
        chain_head: r.try_get(10)?,
        vote_seq: r.try_get(11)?,
        eligibility: Eligibility {
            min_account_age_days: r.try_get::<Option<i64>, _>(12)?.map(|d| d as u32),
            local_only: r.try_get(13)?,
        },
        round: r.try_get(14)?,
    })
}

/// Creates a poll for a status inside the status's transaction.
pub async fn insert(
    w: &mut Write,
    status: StatusId,
    author: AccountId,
    p: &NewPoll,
    created_ms: i64,
) -> Result<PollId> {
    let id = w.next_id();
    sqlx::query(sql(format!(
        "INSERT INTO polls ({POLL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, 0, 0, $8, 0, $9, $10, 0)"
    )))
    .bind(id)
    .bind(status.0)
    .bind(author.0)
    .bind(p.multiple)
    .bind(p.hide_totals)
    .bind(ms(p.expires_at))
    .bind(created_ms)
    .bind(chain_genesis(id))
    .bind(p.eligibility.min_account_age_days.map(i64::from))
    .bind(p.eligibility.local_only)
    .execute(w.c())
    .await?;
    write_options(w.c(), id, &p.options).await?;
    let version = VersionFields { options: &p.options, multiple: p.multiple, hide_totals: p.hide_totals };
    write_version(w.c(), PollId(id), 0, version, p.expires_at, created_ms).await?;
    sqlx::query("UPDATE statuses SET poll_id = $2 WHERE id = $1").bind(status.0).bind(id).execute(w.c()).await?;
    Ok(PollId(id))
}

/// What a version of a poll shows, besides its round and end.
#[derive(Clone, Copy)]
struct VersionFields<'a> {
    options: &'a [String],
    multiple: bool,
    hide_totals: bool,
}

/// Appends a version of the poll: what it looks like from `started_ms` on
/// (its number the next one: the poll's row is locked or new).
async fn write_version(
    c: &mut PgConnection,
    poll: PollId,
    round: i64,
    v: VersionFields<'_>,
    expires_at: DateTime<Utc>,
    started_ms: i64,
) -> Result<()> {
    let options =
        serde_json::to_string(v.options).map_err(|e| StoreError::Backend(format!("poll options as JSON: {e}")))?;
    sqlx::query(
        "INSERT INTO poll_versions (poll_id, version, round, options, multiple, hide_totals, expires_at, started_at)
         VALUES ($1, (SELECT coalesce(max(version), -1) + 1 FROM poll_versions WHERE poll_id = $1),
                 $2, $3, $4, $5, $6, $7)",
    )
    .bind(poll.0)
    .bind(round)
    .bind(options)
    .bind(v.multiple)
    .bind(v.hide_totals)
    .bind(ms(expires_at))
    .bind(started_ms)
    .execute(c)
    .await?;
    Ok(())
}

async fn write_options(c: &mut PgConnection, poll: i64, options: &[String]) -> Result<()> {
    let positions: Vec<i64> = (0..options.len() as i64).collect();
    sqlx::query(
        "INSERT INTO poll_options (poll_id, position, title) SELECT $1, p, t FROM unnest($2::bigint[], $3::text[]) AS o (p, t)",
    )
    .bind(poll)
    .bind(&positions)
    .bind(options)
    .execute(c)
    .await?;
    Ok(())
}

/// Starts a new round with new options: the current round's ballots are
/// closed (kept, no longer counted; the vote log goes on across rounds).
/// Returns the voters of the round that ended. The poll's row is locked
/// here (the caller's `find_for_update` holds it already), so no ballot
/// lands in the round that ends after its voters were read.
pub async fn reset(w: &mut Write, poll: PollId, p: &NewPoll) -> Result<Vec<AccountId>> {
    let round: i64 = sqlx::query_scalar("SELECT round FROM polls WHERE id = $1 FOR UPDATE")
        .bind(poll.0)
        .fetch_optional(w.c())
        .await?
        .ok_or(StoreError::NotFound)?;
    let voters: Vec<i64> = sqlx::query_scalar("SELECT account_id FROM poll_voters WHERE poll_id = $1 AND round = $2")
        .bind(poll.0)
        .bind(round)
        .fetch_all(w.c())
        .await?;
    // The current round's options and tallies (counters, not ballots) start over.
    sqlx::query("DELETE FROM poll_options WHERE poll_id = $1").bind(poll.0).execute(w.c()).await?;
    write_options(w.c(), poll.0, &p.options).await?;
    sqlx::query(
        "UPDATE polls SET multiple = $2, hide_totals = $3, expires_at = $4, closed = FALSE, votes_count = 0,
                          voters_count = 0, round = $5, min_account_age_days = $6, local_only = $7 WHERE id = $1",
    )
    .bind(poll.0)
    .bind(p.multiple)
    .bind(p.hide_totals)
    .bind(ms(p.expires_at))
    .bind(round + 1)
    .bind(p.eligibility.min_account_age_days.map(i64::from))
    .bind(p.eligibility.local_only)
    .execute(w.c())
    .await?;
    let version = VersionFields { options: &p.options, multiple: p.multiple, hide_totals: p.hide_totals };
    write_version(w.c(), poll, round + 1, version, p.expires_at, now_ms()).await?;
    w.append(Change::PollChanged { poll });
    Ok(voters.into_iter().map(AccountId).collect())
}

pub async fn adjust(w: &mut Write, poll: PollId, hide_totals: bool, expires_at: DateTime<Utc>) -> Result<()> {
    sqlx::query(
        "UPDATE polls SET hide_totals = $2, expires_at = $3, closed = CASE WHEN $3 > $4 THEN FALSE ELSE closed END
         WHERE id = $1",
    )
    .bind(poll.0)
    .bind(hide_totals)
    .bind(ms(expires_at))
    .bind(now_ms())
    .execute(w.c())
    .await?;
    let current = find_many(w.c(), &[poll]).await?.pop().ok_or(StoreError::NotFound)?;
    let version = VersionFields { options: &current.options, multiple: current.multiple, hide_totals };
    write_version(w.c(), poll, current.round, version, expires_at, now_ms()).await?;
    w.append(Change::PollChanged { poll });
    Ok(())
}

pub async fn find_many(c: &mut PgConnection, ids: &[PollId]) -> Result<Vec<Poll>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let raw: Vec<i64> = ids.iter().map(|p| p.0).collect();
    let rows = sqlx::query(sql(format!("SELECT {POLL_COLUMNS} FROM polls WHERE id = ANY($1)")))
        .bind(&raw)
        .fetch_all(&mut *c)
        .await?;
    let mut polls: HashMap<i64, Poll> = map_rows(&rows, poll_from_row)?.into_iter().map(|p| (p.id.0, p)).collect();
    let options: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT poll_id, title, votes_count FROM poll_options WHERE poll_id = ANY($1) ORDER BY poll_id, position",
    )
    .bind(&raw)
    .fetch_all(&mut *c)
    .await?;
    for (poll, title, votes) in options {
        if let Some(p) = polls.get_mut(&poll) {
            p.options.push(title);
            p.option_votes.push(votes);
        }
    }
    Ok(ids.iter().filter_map(|id| polls.remove(&id.0)).collect())
}

/// A poll, its row locked until the transaction ends (an edit's check that
/// no vote lands between it and the change).
pub async fn find_for_update(c: &mut PgConnection, id: PollId) -> Result<Option<Poll>> {
    sqlx::query("SELECT 1 FROM polls WHERE id = $1 FOR UPDATE").bind(id.0).execute(&mut *c).await?;
    Ok(find_many(c, &[id]).await?.pop())
}

/// The poll, its status's visibility and every ballot, read in one
/// snapshot together with the change log's position, so the caller knows
/// exactly which records the state already reflects.
pub async fn state(c: &mut PgConnection, id: PollId) -> Result<Option<PollState>> {
    let mut tx = sqlx::Connection::begin_with(&mut *c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let as_of_seq = super::changelog::last_seq(&mut tx).await?;
    let Some(poll) = find_many(&mut tx, &[id]).await?.pop() else { return Ok(None) };
    let visibility: String = sqlx::query_scalar("SELECT visibility FROM statuses WHERE id = $1")
        .bind(poll.status_id.0)
        .fetch_one(&mut *tx)
        .await?;
    let visibility =
        Visibility::parse(&visibility).ok_or_else(|| StoreError::Backend(format!("bad visibility {visibility}")))?;
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT account_id, choice FROM poll_votes WHERE poll_id = $1 AND round = $2 ORDER BY account_id, choice",
    )
    .bind(id.0)
    .bind(poll.round)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut ballots: Vec<(AccountId, Vec<u32>)> = Vec::new();
    for (account, choice) in rows {
        let choice = u32::try_from(choice).map_err(|_| StoreError::Backend(format!("bad choice {choice}")))?;
        match ballots.last_mut() {
            Some((a, choices)) if a.0 == account => choices.push(choice),
            _ => ballots.push((AccountId(account), vec![choice])),
        }
    }
    Ok(Some(PollState { poll, visibility, ballots, as_of_seq }))
}

/// The ballot's transaction: the poll's row locked (the chain's head), the
/// voter row (the uniqueness that forbids a second ballot), one chained vote
/// row per choice, the ballot's leaf in the poll's log (at the index the
/// locked row holds), and the tally increments.
pub async fn record(w: &mut Write, b: NewBallot) -> Result<RecordedBallot> {
    type Locked = (i64, String, i64, i64, bool, i64, i64);
    let row: Option<Locked> = sqlx::query_as(
        "SELECT expires_at, chain_head, vote_seq, (SELECT count(*) FROM poll_options WHERE poll_id = polls.id),
                EXISTS (SELECT 1 FROM blocks WHERE account_id = polls.account_id AND target_id = $2)
                OR EXISTS (SELECT 1 FROM accounts WHERE id = polls.account_id AND suspended),
                round, log_size
         FROM polls WHERE id = $1 FOR UPDATE",
    )
    .bind(b.poll_id.0)
    .bind(b.account_id.0)
    .fetch_optional(w.c())
    .await?;
    let (expires_at, chain_head, vote_seq, options, hidden, round, log_size) = row.ok_or(StoreError::NotFound)?;
    if hidden {
        return Err(StoreError::Rejected(Rejection::NotVisible));
    }
    if b.choices.is_empty() || b.choices.iter().any(|ch| i64::from(*ch) >= options) {
        return Err(StoreError::Rejected(Rejection::InvalidChoice));
    }
    // Vote times never run backwards within a poll, so "as of" a time is a prefix of the log.
    let last_at: Option<i64> =
        sqlx::query_scalar("SELECT created_at FROM poll_votes WHERE poll_id = $1 ORDER BY seq DESC LIMIT 1")
            .bind(b.poll_id.0)
            .fetch_optional(w.c())
            .await?;
    let at = b.at.map(ms).unwrap_or_else(now_ms).max(last_at.unwrap_or(i64::MIN));
    if at >= expires_at {
        return Err(StoreError::Rejected(Rejection::PollExpired));
    }
    sqlx::query(
        "INSERT INTO poll_voters (poll_id, round, account_id, created_at, leaf_index) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(b.poll_id.0)
    .bind(round)
    .bind(b.account_id.0)
    .bind(at)
    .bind(log_size)
    .execute(w.c())
    .await?;
    // The ballot's leaf in the poll's log, at the index the locked poll row holds.
    let leaf = ballot_leaf(b.poll_id, round, &b.choices, at, &b.commitment);
    poll_log::append(w.c(), b.poll_id, log_size as u64, &leaf, at).await?;
    let mut head = chain_head;
    let mut seq = vote_seq;
    for choice in &b.choices {
        seq += 1;
        head = chain_next(&head, seq, *choice, at);
        let id = w.next_id();
        sqlx::query(
            "INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at, seq, hash, round)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(b.poll_id.0)
        .bind(b.account_id.0)
        .bind(i64::from(*choice))
        .bind(at)
        .bind(seq)
        .bind(&head)
        .bind(round)
        .execute(w.c())
        .await?;
        sqlx::query("UPDATE poll_options SET votes_count = votes_count + 1 WHERE poll_id = $1 AND position = $2")
            .bind(b.poll_id.0)
            .bind(i64::from(*choice))
            .execute(w.c())
            .await?;
    }
    sqlx::query(
        "UPDATE polls SET votes_count = votes_count + $2, voters_count = voters_count + 1, chain_head = $3, vote_seq = $4,
                          log_size = log_size + 1
         WHERE id = $1",
    )
    .bind(b.poll_id.0)
    .bind(b.choices.len() as i64)
    .bind(&head)
    .bind(seq)
    .execute(w.c())
    .await?;
    w.append(Change::BallotRecorded { poll: b.poll_id, account: b.account_id, choices: b.choices });
    Ok(RecordedBallot { at: time(at), last_seq: seq, chain_head: head, leaf_index: log_size as u64, leaf })
}

pub async fn close_expired(w: &mut Write, now: DateTime<Utc>) -> Result<Vec<Poll>> {
    let due: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM polls WHERE NOT closed AND expires_at <= $1 ORDER BY expires_at LIMIT 100")
            .bind(ms(now))
            .fetch_all(w.c())
            .await?;
    let mut closed = Vec::new();
    for id in due {
        // The false → true transition happens once (the row is locked by
        // the update), so each notification is sent once, whichever node closes.
        let changed = sqlx::query("UPDATE polls SET closed = TRUE WHERE id = $1 AND NOT closed")
            .bind(id)
            .execute(w.c())
            .await?
            .rows_affected();
        if changed == 0 {
            continue;
        }
        let Some(poll) = find_many(w.c(), &[PollId(id)]).await?.pop() else { continue };
        w.append(Change::PollClosed { poll: poll.id });
        notify_filtered(w, poll.account_id, poll.account_id, NotificationKind::Poll, Some(poll.status_id)).await?;
        let voters: Vec<i64> =
            sqlx::query_scalar("SELECT account_id FROM poll_voters WHERE poll_id = $1 AND round = $2")
                .bind(id)
                .bind(poll.round)
                .fetch_all(w.c())
                .await?;
        for v in voters {
            notify_filtered(w, AccountId(v), poll.account_id, NotificationKind::Poll, Some(poll.status_id)).await?;
        }
        closed.push(poll);
    }
    Ok(closed)
}

pub async fn next_expiry(c: &mut PgConnection) -> Result<Option<DateTime<Utc>>> {
    let at: Option<i64> = sqlx::query_scalar("SELECT min(expires_at) FROM polls WHERE NOT closed").fetch_one(c).await?;
    Ok(at.map(time))
}

async fn option_count(c: &mut PgConnection, poll: PollId) -> Result<usize> {
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM poll_options WHERE poll_id = $1").bind(poll.0).fetch_one(c).await?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(n as usize)
}

const VERSION_COLUMNS: &str = "round, options, multiple, hide_totals, expires_at, started_at";

type VersionRow = (i64, String, bool, bool, i64, i64);

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

/// The version of a poll in effect at `at_ms` (its first version, for a
/// moment before the poll existed).
async fn version_at(c: &mut PgConnection, poll: PollId, at_ms: i64) -> Result<PollVersion> {
    let row: VersionRow = sqlx::query_as(sql(format!(
        "SELECT {VERSION_COLUMNS} FROM poll_versions WHERE poll_id = $1
         ORDER BY CASE WHEN started_at <= $2 THEN version ELSE -1 - version END DESC LIMIT 1"
    )))
    .bind(poll.0)
    .bind(at_ms)
    .fetch_optional(c)
    .await?
    .ok_or(StoreError::NotFound)?;
    version_from(poll, row)
}

/// Every version of a poll, oldest first.
async fn versions(c: &mut PgConnection, poll: PollId) -> Result<Vec<PollVersion>> {
    let rows: Vec<VersionRow> =
        sqlx::query_as(sql(format!("SELECT {VERSION_COLUMNS} FROM poll_versions WHERE poll_id = $1 ORDER BY version")))
            .bind(poll.0)
            .fetch_all(c)
            .await?;
    rows.into_iter().map(|row| version_from(poll, row)).collect()
}

/// The text of the poll's status at `at_ms`, from its edit history (the
/// original, for a moment before the first edit was made).
async fn question_at(c: &mut PgConnection, poll: PollId, at_ms: i64) -> Result<String> {
    let status: i64 = sqlx::query_scalar("SELECT status_id FROM polls WHERE id = $1")
        .bind(poll.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound)?;
    let edited: Option<String> = sqlx::query_scalar(
        "SELECT text FROM status_edits WHERE status_id = $1
         ORDER BY CASE WHEN created_at <= $2 THEN id ELSE -id END DESC LIMIT 1",
    )
    .bind(status)
    .bind(at_ms)
    .fetch_optional(&mut *c)
    .await?;
    match edited {
        Some(text) => Ok(text),
        None => Ok(sqlx::query_scalar("SELECT text FROM statuses WHERE id = $1").bind(status).fetch_one(c).await?),
    }
}

/// The poll as it was at `at` (question, version) and the tally of the
/// round then in effect, from the rows. The vote log's head is the log's,
/// across rounds.
pub async fn tally_at(c: &mut PgConnection, poll: PollId, at: DateTime<Utc>) -> Result<TallyAt> {
    let at = ms(at);
    let version = version_at(c, poll, at).await?;
    let question = question_at(c, poll, at).await?;
    let mut option_votes = vec![0i64; version.options.len()];
    let counts: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT choice, count(*) FROM poll_votes WHERE poll_id = $1 AND round = $2 AND created_at <= $3
         GROUP BY choice",
    )
    .bind(poll.0)
    .bind(version.round)
    .bind(at)
    .fetch_all(&mut *c)
    .await?;
    for (choice, count) in counts {
        if let Some(slot) = usize::try_from(choice).ok().and_then(|i| option_votes.get_mut(i)) {
            *slot = count;
        }
    }
    let voters_count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM poll_voters WHERE poll_id = $1 AND round = $2 AND created_at <= $3")
            .bind(poll.0)
            .bind(version.round)
            .bind(at)
            .fetch_one(&mut *c)
            .await?;
    let head: Option<(String, i64)> = sqlx::query_as(
        "SELECT hash, seq FROM poll_votes WHERE poll_id = $1 AND created_at <= $2 ORDER BY seq DESC LIMIT 1",
    )
    .bind(poll.0)
    .bind(at)
    .fetch_optional(&mut *c)
    .await?;
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

pub async fn history(c: &mut PgConnection, poll: PollId, interval_seconds: i64) -> Result<Vec<HistoryBucket>> {
    let n = option_count(c, poll).await?;
    let (origin, round): (i64, i64) =
        sqlx::query_as("SELECT created_at, round FROM polls WHERE id = $1").bind(poll.0).fetch_one(&mut *c).await?;
    let width = interval_seconds.max(1) * 1000;
    let mut buckets: BTreeMap<i64, HistoryBucket> = BTreeMap::new();
    let new_bucket = |k: i64| HistoryBucket { start: time(origin + k * width), option_votes: vec![0; n], voters: 0 };
    // Integer division truncating toward zero, as SQLite's (votes never precede the poll).
    let votes: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT (created_at - $2) / $3 AS k, choice, count(*) FROM poll_votes WHERE poll_id = $1 AND round = $4
         GROUP BY 1, 2",
    )
    .bind(poll.0)
    .bind(origin)
    .bind(width)
    .bind(round)
    .fetch_all(&mut *c)
    .await?;
    for (k, choice, count) in votes {
        let b = buckets.entry(k).or_insert_with(|| new_bucket(k));
        if let Some(slot) = usize::try_from(choice).ok().and_then(|i| b.option_votes.get_mut(i)) {
            *slot = count;
        }
    }
    let voters: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT (created_at - $2) / $3 AS k, count(*) FROM poll_voters WHERE poll_id = $1 AND round = $4 GROUP BY 1",
    )
    .bind(poll.0)
    .bind(origin)
    .bind(width)
    .bind(round)
    .fetch_all(&mut *c)
    .await?;
    for (k, count) in voters {
        buckets.entry(k).or_insert_with(|| new_bucket(k)).voters = count;
    }
    Ok(buckets.into_values().collect())
}

pub async fn signals(c: &mut PgConnection, poll: PollId) -> Result<PollSignals> {
    let (created, round): (i64, i64) = sqlx::query_as("SELECT created_at, round FROM polls WHERE id = $1")
        .bind(poll.0)
        .fetch_optional(&mut *c)
        .await?
        .ok_or(StoreError::NotFound)?;
    let per_minute: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT created_at / 60000 AS m, count(*) FROM poll_voters WHERE poll_id = $1 AND round = $2
         GROUP BY 1 ORDER BY 1",
    )
    .bind(poll.0)
    .bind(round)
    .fetch_all(&mut *c)
    .await?;
    let ballots: i64 = sqlx::query_scalar("SELECT count(*) FROM poll_voters WHERE poll_id = $1 AND round = $2")
        .bind(poll.0)
        .bind(round)
        .fetch_one(&mut *c)
        .await?;
    let from_new: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM poll_voters v JOIN accounts a ON a.id = v.account_id
         WHERE v.poll_id = $1 AND v.round = $3 AND a.created_at > $2",
    )
    .bind(poll.0)
    .bind(created)
    .bind(round)
    .fetch_one(&mut *c)
    .await?;
    Ok(PollSignals {
        ballots_per_minute: per_minute.into_iter().map(|(m, n)| (time(m * 60_000), n)).collect(),
        ballots,
        ballots_from_new_accounts: from_new,
    })
}

/// Recounts every poll's current round from its rows, re-walks its chain
/// (every round), checks it against its recorded versions, and rebuilds its
/// transparency log from the leaves.
pub async fn audit(c: &mut PgConnection) -> Result<Vec<PollAudit>> {
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM polls ORDER BY id").fetch_all(&mut *c).await?;
    let ids: Vec<PollId> = ids.into_iter().map(PollId).collect();
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(100) {
        for poll in find_many(c, chunk).await? {
            let votes = sqlx::query(
                "SELECT account_id, choice, created_at, seq, hash, round FROM poll_votes WHERE poll_id = $1
                 ORDER BY seq",
            )
            .bind(poll.id.0)
            .fetch_all(&mut *c)
            .await?;
            let votes = map_rows(&votes, |r| {
                Ok(VoteRow {
                    account: r.try_get(0)?,
                    choice: r.try_get(1)?,
                    at: r.try_get(2)?,
                    seq: r.try_get(3)?,
                    hash: r.try_get(4)?,
                    round: r.try_get(5)?,
                })
            })?;
            let voters: i64 = sqlx::query_scalar("SELECT count(*) FROM poll_voters WHERE poll_id = $1 AND round = $2")
                .bind(poll.id.0)
                .bind(poll.round)
                .fetch_one(&mut *c)
                .await?;
            let versions = versions(c, poll.id).await?;
            let mut problems = crate::audit::problems(&poll, &versions, &votes, voters);
            let log_size: i64 = sqlx::query_scalar("SELECT log_size FROM polls WHERE id = $1")
                .bind(poll.id.0)
                .fetch_one(&mut *c)
                .await?;
            problems.extend(poll_log::audit(c, poll.id, log_size as u64).await?);
            out.push(PollAudit { poll_id: poll.id, problems });
        }
    }
    Ok(out)
}
