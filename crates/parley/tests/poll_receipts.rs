//! Ballot receipts and the poll's transparency log, through the HTTP API.
//!
//! - 1,000 voters each check their receipt against the final signed
//!   checkpoint (inclusion proof), and a checkpoint held half-way is
//!   consistent with the final one.
//! - Tampering with the database behind the server's back (raw SQL, on
//!   SQLite or PostgreSQL) — a changed
//!   choice, a deleted ballot, an inserted one (each with the whole log
//!   rewritten consistently, the strongest case), a rollback — is caught by a
//!   witness holding an earlier checkpoint (consistency), by the receipts it
//!   touches, and by `parley admin polls verify` (all but the rollback, which
//!   leaves an earlier, internally sound database: only a held checkpoint can
//!   tell).

#![allow(clippy::expect_used)]

mod common;

use std::process::Command;

use common::{TestServer, User};
use parley_app::transparency::{
    LogCheckError, Receipt, check_checkpoint, parse_hashes, verify_extends, verify_receipt,
};
use parley_core::tlog::{self, Checkpoint};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_parley");

/// The server's current key (base64), from its well-known document.
async fn server_key(s: &TestServer) -> String {
    let key = s.get("/.well-known/parley/snapshot-key", None).await.ok();
    key["public_key"].as_str().expect("key").to_string()
}

/// The poll's checkpoint now, its signature checked.
async fn checkpoint(s: &TestServer, poll: &str, key: &str) -> Checkpoint {
    let resp = s.http.get(format!("{}/api/v1/parley/polls/{poll}/log/checkpoint", s.url)).send().await.expect("GET");
    assert!(resp.status().is_success());
    let note = resp.text().await.expect("text");
    check_checkpoint(&note, key).expect("a checkpoint signed by the server's key")
}

/// Checks a receipt against a checkpoint with the proof the server gives now.
async fn check_receipt(s: &TestServer, receipt: &Receipt, cp: &Checkpoint) -> Result<(), LogCheckError> {
    let reply = s
        .get(
            &format!(
                "/api/v1/parley/polls/{}/log/inclusion?leaf_index={}&tree_size={}",
                receipt.poll_id, receipt.leaf_index, cp.size
            ),
            None,
        )
        .await;
    if !reply.status.is_success() {
        return Err(LogCheckError::NotIncluded);
    }
    let proof = parse_hashes(reply.body["proof"].as_array().expect("proof").iter().filter_map(Value::as_str))?;
    verify_receipt(receipt, cp, reply.body["leaf"].as_str().expect("leaf").as_bytes(), &proof)
}

/// What a witness holding `old` checks of `new`: a consistency proof from the server.
async fn check_extends(s: &TestServer, poll: &str, old: &Checkpoint, new: &Checkpoint) -> Result<(), LogCheckError> {
    let reply =
        s.get(&format!("/api/v1/parley/polls/{poll}/log/consistency?from={}&to={}", old.size, new.size), None).await;
    if !reply.status.is_success() {
        return Err(LogCheckError::Inconsistent);
    }
    let proof = parse_hashes(reply.body["proof"].as_array().expect("proof").iter().filter_map(Value::as_str))?;
    verify_extends(old, new, &proof)
}

async fn vote(s: &TestServer, voter: &User, poll: &str, choice: usize) -> Receipt {
    let answer = s.post(&format!("/api/v1/polls/{poll}/votes"), Some(&voter.token), json!({"choices": [choice]})).await;
    serde_json::from_value(answer.ok()["parley_receipt"].clone()).expect("a receipt in the vote's answer")
}

async fn new_poll(s: &TestServer, author: &User) -> String {
    let status = s
        .status(author, json!({"status": "Which consulate?", "poll": {"options": ["a", "b", "c"], "expires_in": 3600}}))
        .await;
    status["poll"]["id"].as_str().expect("poll id").to_string()
}

#[tokio::test]
async fn a_thousand_voters_find_their_ballots_in_the_final_checkpoint() {
    let s = TestServer::start().await;
    let key = server_key(&s).await;
    let author = s.user("author").await;
    let voters = s.bulk_users("v", 1000).await;
    let poll = new_poll(&s, &author).await;
    let mut receipts = Vec::with_capacity(voters.len());
    let mut half = None;
    for (i, chunk) in voters.chunks(50).enumerate() {
        let votes = chunk.iter().enumerate().map(|(j, v)| vote(&s, v, &poll, (i * 50 + j) % 3));
        receipts.extend(futures_util::future::join_all(votes).await);
        if i == 9 {
            half = Some(checkpoint(&s, &poll, &key).await);
        }
    }
    let half = half.expect("a checkpoint held half-way");
    assert_eq!(half.size, 500);
    let last = checkpoint(&s, &poll, &key).await;
    assert_eq!(last.size, 1000);
    assert_eq!(last.origin, receipts[0].origin);
    let mut indexes: Vec<u64> = receipts.iter().map(|r| r.leaf_index).collect();
    indexes.sort_unstable();
    assert_eq!(indexes, (0..1000).collect::<Vec<u64>>(), "one leaf per ballot");
    for r in &receipts {
        assert!(r.tree_size <= last.size);
        check_receipt(&s, r, &last).await.expect("every receipt verifies against the final checkpoint");
    }
    // The tally the leaves give is the poll's.
    let mut from_leaves = [0i64; 3];
    for r in &receipts {
        let choice: usize = r.leaf.split('\n').nth(3).expect("choices").parse().expect("one choice");
        from_leaves[choice] += 1;
    }
    let shown = s.get(&format!("/api/v1/polls/{poll}"), None).await.ok();
    let counts: Vec<i64> =
        shown["options"].as_array().expect("options").iter().map(|o| o["votes_count"].as_i64().expect("n")).collect();
    assert_eq!(counts, from_leaves);
    check_extends(&s, &poll, &half, &last).await.expect("the final checkpoint extends the one held half-way");
    // A receipt whose secret was changed does not prove anything.
    let mut forged = receipts[7].clone();
    forged.secret = "00".repeat(32);
    assert_eq!(check_receipt(&s, &forged, &last).await, Err(LogCheckError::WrongSecret));
    // The snapshot embeds a checkpoint of the same log.
    let snapshot = s.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), None).await.ok();
    let embedded = check_checkpoint(snapshot["snapshot"]["log"]["checkpoint"].as_str().expect("note"), &key)
        .expect("the snapshot's checkpoint is signed");
    assert_eq!(embedded, last);
    // Bad requests are clear 4xx, not 500s.
    s.get(&format!("/api/v1/parley/polls/{poll}/log/inclusion?leaf_index=5&tree_size=5"), None).await.expect(422);
    s.get(&format!("/api/v1/parley/polls/{poll}/log/inclusion?leaf_index=1&tree_size=1001"), None).await.expect(422);
    s.get(&format!("/api/v1/parley/polls/{poll}/log/consistency?from=10&to=5"), None).await.expect(422);
    let bad = s.get(&format!("/api/v1/parley/polls/{poll}/log/inclusion?leaf_index=x&tree_size=1"), None).await;
    assert!(bad.status.is_client_error(), "{}", bad.status);
    s.assert_in_step().await;
}

// ---- tampering ----

const BALLOTS: usize = 30;

struct Fixture {
    s: TestServer,
    key: String,
    poll: String,
    receipts: Vec<Receipt>,
    /// The checkpoint a witness took after the last vote.
    held: Checkpoint,
    /// An account that did not vote, for forgeries.
    outsider: User,
}

async fn fixture() -> Fixture {
    let s = TestServer::start().await;
    let key = server_key(&s).await;
    let author = s.user("author").await;
    let mut voters = s.bulk_users("t", BALLOTS + 1).await;
    let outsider = voters.pop().expect("outsider");
    let poll = new_poll(&s, &author).await;
    let mut receipts = Vec::new();
    for (i, v) in voters.iter().enumerate() {
        receipts.push(vote(&s, v, &poll, i % 3).await);
    }
    let held = checkpoint(&s, &poll, &key).await;
    assert_eq!(held.size, BALLOTS as u64);
    Fixture { s, key, poll, receipts, held, outsider }
}

/// A byte string as an SQL literal of the backend the tests run on.
fn blob(bytes: &[u8]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    if common::on_postgres() { format!("'\\x{hex}'::bytea") } else { format!("X'{hex}'") }
}

/// The leaves the receipts name, in log order.
fn leaves_of(receipts: &[Receipt]) -> Vec<Vec<u8>> {
    let mut by_index: Vec<&Receipt> = receipts.iter().collect();
    by_index.sort_by_key(|r| r.leaf_index);
    by_index.iter().map(|r| r.leaf.as_bytes().to_vec()).collect()
}

/// A receipt's leaf with its choice moved to the next option: the leaf and the new choice.
fn changed_choice(receipt: &Receipt) -> (String, u32) {
    let mut fields: Vec<String> = receipt.leaf.split('\n').map(str::to_string).collect();
    let new = (fields[3].parse::<u32>().expect("choice") + 1) % 3;
    fields[3] = new.to_string();
    (fields.join("\n"), new)
}

/// SQL that recomputes the poll's whole log from `leaves` (the tampered
/// leaves), as an attacker who can write the database would, and drops the
/// checkpoints it signed.
fn rewrite_log(poll: &str, leaves: &[Vec<u8>]) -> String {
    let mut hashes = std::collections::BTreeMap::new();
    for (i, data) in leaves.iter().enumerate() {
        let new = tlog::append(i as u64, tlog::leaf_hash(data), |p| Ok::<_, ()>(hashes[&p])).expect("append");
        hashes.extend(new);
    }
    let rows: Vec<String> =
        hashes.iter().map(|(p, h)| format!("({poll}, {}, {}, {})", p.level, p.index, blob(h))).collect();
    format!(
        "DELETE FROM poll_log_hashes WHERE poll_id = {poll};
         INSERT INTO poll_log_hashes (poll_id, level, idx, hash) VALUES {};
         UPDATE polls SET log_size = {} WHERE id = {poll};
         DELETE FROM poll_checkpoints WHERE poll_id = {poll};",
        rows.join(", "),
        leaves.len()
    )
}

/// SQL that keeps the stored tallies equal to the rows, so only the logs can tell.
fn recount(poll: &str) -> String {
    format!(
        "UPDATE poll_options SET votes_count = (SELECT count(*) FROM poll_votes v
            WHERE v.poll_id = {poll} AND v.round = 0 AND v.choice = poll_options.position) WHERE poll_id = {poll};
         UPDATE polls SET votes_count = (SELECT count(*) FROM poll_votes WHERE poll_id = {poll}),
                          voters_count = (SELECT count(*) FROM poll_voters WHERE poll_id = {poll}) WHERE id = {poll};"
    )
}

/// The victim ballot of the cases: mid-log, so later leaves depend on it.
const K: u64 = 10;

/// Tampers with the database in the SQL `edit` gives (the server forgets
/// its derived state, as on a restart), then checks the witness, the
/// receipts and the audit.
async fn tamper(name: &str, audit_sees_it: bool, edit: impl FnOnce(&Fixture) -> String) -> Fixture {
    let f = fixture().await;
    let (ok, out) = common::verify_polls_cli(&f.s);
    assert!(ok, "{name}: verify fails before tampering:\n{out}");
    for r in &f.receipts {
        check_receipt(&f.s, r, &f.held).await.expect("receipts verify before tampering");
    }
    f.s.running.store.execute_admin_sql(edit(&f)).await.expect("the tampering SQL runs");
    let now = checkpoint(&f.s, &f.poll, &f.key).await;
    assert!(
        check_extends(&f.s, &f.poll, &f.held, &now).await.is_err(),
        "{name}: a witness holding the checkpoint at {} does not notice (now {})",
        f.held.size,
        now.size
    );
    let (ok, out) = common::verify_polls_cli(&f.s);
    assert_eq!(!ok, audit_sees_it, "{name}: parley admin polls verify:\n{out}");
    if audit_sees_it {
        assert!(out.contains(&format!("poll {}:", f.poll)), "{name}: the CLI names the poll:\n{out}");
    }
    f
}

#[tokio::test]
async fn a_changed_choice_is_caught_even_with_the_log_rewritten() {
    let f = tamper("changed choice", true, |f| {
        let (leaf, new) = changed_choice(&f.receipts[K as usize]);
        let mut leaves = leaves_of(&f.receipts);
        leaves[K as usize] = leaf.clone().into_bytes();
        format!(
            "UPDATE poll_votes SET choice = {new} WHERE poll_id = {p} AND account_id =
                (SELECT account_id FROM poll_voters WHERE poll_id = {p} AND leaf_index = {K});
             UPDATE poll_log_leaves SET data = {data} WHERE poll_id = {p} AND leaf_index = {K};
             {recount}{rewrite}",
            p = f.poll,
            data = blob(leaf.as_bytes()),
            recount = recount(&f.poll),
            rewrite = rewrite_log(&f.poll, &leaves),
        )
    })
    .await;
    let now = checkpoint(&f.s, &f.poll, &f.key).await;
    assert_eq!(check_receipt(&f.s, &f.receipts[K as usize], &now).await, Err(LogCheckError::LeafDiffers));
    // Everyone else's receipt still checks out against the new checkpoint: only the victim's tells.
    check_receipt(&f.s, &f.receipts[K as usize + 1], &now).await.expect("an untouched receipt");
}

#[tokio::test]
async fn a_deleted_ballot_is_caught_and_its_receipt_fails() {
    let f = tamper("deleted ballot", true, |f| {
        let mut leaves = leaves_of(&f.receipts);
        leaves.remove(K as usize);
        format!(
            "DELETE FROM poll_votes WHERE poll_id = {p} AND account_id =
                (SELECT account_id FROM poll_voters WHERE poll_id = {p} AND leaf_index = {K});
             DELETE FROM poll_voters WHERE poll_id = {p} AND leaf_index = {K};
             DELETE FROM poll_log_leaves WHERE poll_id = {p} AND leaf_index = {K};
             UPDATE poll_log_leaves SET leaf_index = -leaf_index WHERE poll_id = {p} AND leaf_index > {K};
             UPDATE poll_log_leaves SET leaf_index = -leaf_index - 1 WHERE poll_id = {p} AND leaf_index < 0;
             UPDATE poll_voters SET leaf_index = leaf_index - 1 WHERE poll_id = {p} AND leaf_index > {K};
             {recount}{rewrite}",
            p = f.poll,
            recount = recount(&f.poll),
            rewrite = rewrite_log(&f.poll, &leaves),
        )
    })
    .await;
    let now = checkpoint(&f.s, &f.poll, &f.key).await;
    assert_eq!(now.size, BALLOTS as u64 - 1);
    assert!(check_receipt(&f.s, &f.receipts[K as usize], &now).await.is_err(), "the removed ballot's receipt fails");
    // Against the checkpoint a witness holds, the server cannot prove it either.
    assert!(check_receipt(&f.s, &f.receipts[K as usize], &f.held).await.is_err());
}

#[tokio::test]
async fn an_inserted_ballot_is_caught() {
    tamper("inserted ballot", true, |f| {
        let at: i64 = f.receipts[K as usize].leaf.split('\n').nth(4).expect("time").parse().expect("ms");
        let leaf = tlog::ballot_leaf(
            parley_core::PollId(f.poll.parse().expect("id")),
            0,
            &[1],
            at,
            &tlog::commitment(b"forged"),
        );
        let mut leaves = leaves_of(&f.receipts);
        leaves.insert(K as usize, leaf.clone());
        format!(
            "UPDATE poll_log_leaves SET leaf_index = -leaf_index - 1 WHERE poll_id = {p} AND leaf_index >= {K};
             UPDATE poll_log_leaves SET leaf_index = -leaf_index WHERE poll_id = {p} AND leaf_index < 0;
             UPDATE poll_voters SET leaf_index = leaf_index + 1 WHERE poll_id = {p} AND leaf_index >= {K};
             INSERT INTO poll_voters (poll_id, round, account_id, created_at, leaf_index)
               VALUES ({p}, 0, {a}, {at}, {K});
             INSERT INTO poll_votes (id, poll_id, account_id, choice, created_at, seq, hash, round)
               VALUES ((SELECT max(id) + 1 FROM poll_votes), {p}, {a}, 1, {at},
                       (SELECT max(seq) + 1 FROM poll_votes WHERE poll_id = {p}), 'forged', 0);
             INSERT INTO poll_log_leaves (poll_id, leaf_index, data, created_at) VALUES ({p}, {K}, {data}, {at});
             {recount}{rewrite}",
            p = f.poll,
            a = f.outsider.id,
            data = blob(&leaf),
            recount = recount(&f.poll),
            rewrite = rewrite_log(&f.poll, &leaves),
        )
    })
    .await;
}

#[tokio::test]
async fn a_rollback_is_caught_by_a_held_checkpoint() {
    // An earlier backup put back: the last ten ballots never happened. The
    // database is sound in itself, so only the witness's checkpoint tells.
    let f = tamper("rollback", false, |f| {
        let keep = BALLOTS as i64 - 10;
        let leaves = &leaves_of(&f.receipts)[..keep as usize];
        format!(
            "DELETE FROM poll_votes WHERE poll_id = {p} AND account_id IN
                (SELECT account_id FROM poll_voters WHERE poll_id = {p} AND leaf_index >= {keep});
             DELETE FROM poll_voters WHERE poll_id = {p} AND leaf_index >= {keep};
             DELETE FROM poll_log_leaves WHERE poll_id = {p} AND leaf_index >= {keep};
             UPDATE polls SET vote_seq = {keep},
                              chain_head = (SELECT hash FROM poll_votes WHERE poll_id = {p} AND seq = {keep})
               WHERE id = {p};
             {recount}{rewrite}",
            p = f.poll,
            recount = recount(&f.poll),
            rewrite = rewrite_log(&f.poll, leaves),
        )
    })
    .await;
    let last = f.receipts.last().expect("receipt");
    let now = checkpoint(&f.s, &f.poll, &f.key).await;
    assert!(check_receipt(&f.s, last, &now).await.is_err(), "a rolled-back ballot's receipt fails");
}

/// `parley verify-receipt`, `verify-consistency` and `verify-snapshot`,
/// offline, on files fetched from the server.
#[tokio::test]
async fn the_offline_commands_check_receipts_checkpoints_and_snapshots() {
    let s = TestServer::start().await;
    let key = server_key(&s).await;
    let author = s.user("author").await;
    let voters = s.bulk_users("c", 6).await;
    let poll = new_poll(&s, &author).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.to_str().expect("utf-8").to_string()
    };
    let fetch_text = |path: String| {
        let url = format!("{}{path}", s.url);
        let http = s.http.clone();
        async move { http.get(url).send().await.expect("GET").text().await.expect("text") }
    };
    let answer = s.post(&format!("/api/v1/polls/{poll}/votes"), Some(&voters[0].token), json!({"choices": [2]})).await;
    let receipt = file("receipt.json", &answer.ok().to_string());
    for v in &voters[1..3] {
        vote(&s, v, &poll, 0).await;
    }
    let old = file("old.txt", &fetch_text(format!("/api/v1/parley/polls/{poll}/log/checkpoint")).await);
    for v in &voters[3..] {
        vote(&s, v, &poll, 1).await;
    }
    let new = file("new.txt", &fetch_text(format!("/api/v1/parley/polls/{poll}/log/checkpoint")).await);
    let inclusion = s.get(&format!("/api/v1/parley/polls/{poll}/log/inclusion?leaf_index=0&tree_size=6"), None).await;
    let proof = file("proof.json", &inclusion.ok().to_string());
    let consistency = s.get(&format!("/api/v1/parley/polls/{poll}/log/consistency?from=3&to=6"), None).await;
    let cproof = file("cproof.json", &consistency.ok().to_string());
    let snapshot =
        file("snapshot.json", &s.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), None).await.ok().to_string());

    let run = |args: &[&str]| {
        let out = Command::new(BIN).args(args).output().expect("run parley");
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (code, out) = run(&["verify-receipt", &receipt, "--checkpoint", &new, "--proof", &proof, "--key", &key]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("valid: ballot 0") && out.contains("choices 2") && out.contains("of 6 ballots"), "{out}");
    // The proof is for the tree of 6: against the checkpoint of 3 it is refused.
    let (code, out) = run(&["verify-receipt", &receipt, "--checkpoint", &old, "--proof", &proof, "--key", &key]);
    assert_eq!(code, Some(1), "{out}");
    // A server that hands back another leaf for the receipt's index is caught.
    let forged = inclusion_with_leaf(&std::fs::read_to_string(&proof).expect("proof"), "tampered");
    let forged = file("forged.json", &forged);
    let (code, out) = run(&["verify-receipt", &receipt, "--checkpoint", &new, "--proof", &forged, "--key", &key]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("INVALID"), "{out}");
    // Another key does not sign this checkpoint.
    let other = "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=";
    let (code, _) = run(&["verify-receipt", &receipt, "--checkpoint", &new, "--proof", &proof, "--key", other]);
    assert_eq!(code, Some(1));

    let (code, out) = run(&["verify-consistency", &old, &new, "--proof", &cproof, "--key", &key]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = run(&["verify-consistency", &new, &old, "--proof", &cproof, "--key", &key]);
    assert_eq!(code, Some(1), "{out}");
    let (code, out) = run(&["verify-consistency", &new, &new, "--key", &key]);
    assert_eq!(code, Some(0), "{out}");

    let (code, out) = run(&["verify-snapshot", &snapshot]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("signed checkpoint of 6 ballots"), "{out}");
}

/// The inclusion document with its leaf replaced.
fn inclusion_with_leaf(doc: &str, leaf: &str) -> String {
    let mut v: Value = serde_json::from_str(doc).expect("JSON");
    v["leaf"] = json!(leaf);
    v.to_string()
}

/// `parley witness`: follows a poll, co-signs each consistent checkpoint
/// (the server keeps the cosignature, serves it with the checkpoint and in
/// snapshots), and exits 1 once the log was rewritten behind its back.
#[tokio::test]
async fn a_witness_cosigns_consistent_checkpoints_and_catches_a_rewrite() {
    let s = TestServer::start().await;
    let key = server_key(&s).await;
    let author = s.user("author").await;
    let voters = s.bulk_users("w", 12).await;
    let poll = new_poll(&s, &author).await;
    let state = tempfile::tempdir().expect("state dir");
    // Run on the blocking pool: the server under test shares this test's runtime.
    let witness = || {
        let mut cmd = Command::new(BIN);
        cmd.args(["witness", "--once", "--name", "witness.example", "--server", &s.url, "--poll", &poll, "--state"])
            .arg(state.path());
        async move {
            let out =
                tokio::task::spawn_blocking(move || cmd.output().expect("run parley witness")).await.expect("join");
            let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            (out.status.code(), text)
        }
    };
    let mut receipts = Vec::new();
    for (i, v) in voters[..4].iter().enumerate() {
        receipts.push(vote(&s, v, &poll, i % 3).await);
    }
    let (code, out) = witness().await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("4 ballots, first checkpoint held; cosigned"), "{out}");
    for (i, v) in voters[4..].iter().enumerate() {
        receipts.push(vote(&s, v, &poll, i % 3).await);
    }
    let (code, out) = witness().await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("12 ballots, consistent with 4; cosigned"), "{out}");

    // The server serves the cosignature with its checkpoint, and in snapshots.
    let note = s
        .http
        .get(format!("{}/api/v1/parley/polls/{poll}/log/checkpoint", s.url))
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("text");
    assert!(note.contains("\n\u{2014} witness.example "), "{note}");
    assert_eq!(check_checkpoint(&note, &key).expect("still the server's signature").size, 12);
    let snapshot = s.get(&format!("/api/v1/parley/polls/{poll}/snapshot"), None).await.ok();
    assert_eq!(snapshot["witnesses"][0]["witness"], "witness.example", "{snapshot}");
    let listed = s.get(&format!("/api/v1/parley/polls/{poll}/log/checkpoints"), None).await.ok();
    let last = listed["checkpoints"].as_array().and_then(|l| l.last()).cloned().expect("checkpoints");
    assert_eq!(last["tree_size"], 12);
    assert_eq!(last["cosignatures"].as_array().map(Vec::len), Some(1));
    // A cosignature that does not check is refused.
    let forged = json!({"tree_size": 12, "witness": "witness.example",
        "public_key": "O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik=", "cosignature": "\u{2014} witness.example AAAA"});
    s.post(&format!("/api/v1/parley/polls/{poll}/log/cosignatures"), None, forged).await.expect(422);

    // The operator rewrites a ballot and the whole log behind the witness's back.
    let victim = &receipts[2];
    let (leaf, _) = changed_choice(victim);
    let mut leaves = leaves_of(&receipts);
    leaves[victim.leaf_index as usize] = leaf.clone().into_bytes();
    let rewrite = format!(
        "UPDATE poll_log_leaves SET data = {} WHERE poll_id = {poll} AND leaf_index = {};{}",
        blob(leaf.as_bytes()),
        victim.leaf_index,
        rewrite_log(&poll, &leaves)
    );
    s.running.store.execute_admin_sql(rewrite).await.expect("rewrite the leaf and the log");
    let (code, out) = witness().await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("INCONSISTENT: poll"), "{out}");
    assert!(state.path().join(format!("poll-{poll}.conflict")).exists());
}
