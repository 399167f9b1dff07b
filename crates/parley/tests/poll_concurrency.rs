//! Polls under concurrent and hostile voting: a thousand voters at once with
//! identical ballots racing each other, single and multiple choice, and
//! malformed ballots against every kind of poll. The tallies must equal the
//! accepted ballots exactly and the recount must find nothing.

// Test helpers outside `#[test]` functions are not covered by clippy's
// `allow-expect-in-tests`; here a failed expectation is a failed test.
#![allow(clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{TestServer, User};
use parley_core::PollId;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

const ALREADY_VOTED: &str = "Validation failed: You have already voted on this poll";
/// Requests in flight at once: enough to race, few enough for the fd limit.
const IN_FLIGHT: usize = 96;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

fn rng() -> StdRng {
    let seed: u64 = std::env::var("PARLEY_TEST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(rand::random);
    eprintln!("seed {seed} (set PARLEY_TEST_SEED to repeat)");
    StdRng::seed_from_u64(seed)
}

/// Posts a status with a poll; returns the poll's ID.
async fn poll(s: &TestServer, author: &User, options: usize, multiple: bool, extra: Value) -> String {
    let mut body = json!({
        "status": "Which consulate?",
        "poll": {"options": (0..options).map(|i| format!("option {i}")).collect::<Vec<_>>(), "expires_in": 3600, "multiple": multiple},
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    let status = s.status(author, body).await;
    status["poll"]["id"].as_str().expect("poll id").to_string()
}

/// One HTTP answer to one ballot.
struct Answer {
    voter: usize,
    status: u16,
    body: Value,
}

async fn send_vote(http: &reqwest::Client, url: &str, token: &str, choices: &[u32], voter: usize) -> Answer {
    let resp = http.post(url).bearer_auth(token).json(&json!({ "choices": choices })).send().await;
    match resp {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let body = resp.json::<Value>().await.unwrap_or(Value::Null);
            Answer { voter, status, body }
        }
        // A transport failure is a failure of the server here: record it as such.
        Err(e) => Answer { voter, status: 0, body: json!({ "transport": e.to_string() }) },
    }
}

/// Every voter sends its ballot once, except the first `racing` voters, which
/// send the same ballot `repeats` times at once. The voters' units start in a
/// shuffled order with at most [`IN_FLIGHT`] requests outstanding.
async fn storm(
    s: &TestServer,
    poll_id: &str,
    voters: &[User],
    ballots: &[Vec<u32>],
    racing: usize,
    repeats: usize,
    rng: &mut StdRng,
) -> Vec<Answer> {
    let http = client();
    let url = Arc::new(format!("{}/api/v1/polls/{poll_id}/votes", s.url));
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut order: Vec<usize> = (0..voters.len()).collect();
    order.shuffle(rng);
    let done = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch(
        http.clone(),
        format!("{}/api/v1/polls/{poll_id}", s.url),
        voters[0].token.clone(),
        done.clone(),
    ));
    let mut units = tokio::task::JoinSet::new();
    for i in order {
        let copies = if i < racing { repeats } else { 1 };
        // Take the unit's permits before spawning, so units start in the shuffled order.
        let permits = gate.clone().acquire_many_owned(copies as u32).await.expect("gate");
        let (http, url, token, choices) = (http.clone(), url.clone(), voters[i].token.clone(), ballots[i].clone());
        units.spawn(async move {
            // The copies of one ballot run on separate tasks so they truly race.
            let mut copies_set = tokio::task::JoinSet::new();
            for _ in 0..copies {
                let (http, url, token, choices) = (http.clone(), url.clone(), token.clone(), choices.clone());
                copies_set.spawn(async move { send_vote(&http, &url, &token, &choices, i).await });
            }
            let mut answers = Vec::with_capacity(copies);
            while let Some(a) = copies_set.join_next().await {
                answers.push(a.expect("vote task"));
            }
            drop(permits);
            answers
        });
    }
    let mut answers = Vec::new();
    while let Some(unit) = units.join_next().await {
        answers.extend(unit.expect("unit task"));
    }
    done.store(true, Ordering::SeqCst);
    let (reads, torn) = watcher.await.expect("watcher");
    assert!(torn.is_empty(), "reads during the storm were inconsistent:\n{}", torn.join("\n"));
    assert!(reads > 0, "the watcher never read the poll");
    answers
}

/// Reads the poll over and over while the storm runs: every read must be
/// whole (options sum to votes_count; single choice: votes == voters) and
/// the figures must never go backwards. Returns the reads and what was wrong.
async fn watch(http: reqwest::Client, url: String, token: String, done: Arc<AtomicBool>) -> (usize, Vec<String>) {
    let (mut reads, mut torn, mut last) = (0, Vec::new(), (0i64, 0i64));
    // At least one read, however quick the storm.
    while reads == 0 || !done.load(Ordering::SeqCst) {
        let Ok(resp) = http.get(&url).bearer_auth(&token).send().await else {
            torn.push("a read failed".into());
            break;
        };
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        reads += 1;
        let votes = body["votes_count"].as_i64().unwrap_or(-1);
        let voters = body["voters_count"].as_i64().unwrap_or(-1);
        let sum: i64 =
            body["options"].as_array().map(|o| o.iter().filter_map(|o| o["votes_count"].as_i64()).sum()).unwrap_or(-2);
        if sum != votes || (body["multiple"] == false && votes != voters) || votes < last.0 || voters < last.1 {
            torn.push(format!("after {last:?}: {body}"));
        }
        last = (votes, voters);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    (reads, torn)
}

/// Checks the answers of a storm: exactly one 200 per voter, carrying that
/// voter's ballot; every other answer "already voted"; never a 5xx.
fn check_answers(answers: &[Answer], ballots: &[Vec<u32>]) {
    let mut problems = Vec::new();
    let mut accepted: HashMap<usize, usize> = HashMap::new();
    for a in answers {
        match a.status {
            200 => {
                *accepted.entry(a.voter).or_default() += 1;
                let own: Vec<u32> = serde_json::from_value(a.body["own_votes"].clone()).unwrap_or_default();
                if a.body["voted"] != true || own != ballots[a.voter] {
                    problems.push(format!(
                        "voter {}: 200 does not show the ballot {:?}: {}",
                        a.voter, ballots[a.voter], a.body
                    ));
                }
            }
            422 if a.body["error"] == ALREADY_VOTED => {}
            other => problems.push(format!("voter {}: unexpected answer {other}: {}", a.voter, a.body)),
        }
    }
    for voter in 0..ballots.len() {
        let n = accepted.get(&voter).copied().unwrap_or(0);
        if n != 1 {
            problems.push(format!("voter {voter}: {n} ballots accepted, want exactly 1"));
        }
    }
    assert!(
        problems.is_empty(),
        "{} problems, first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(20)].join("\n")
    );
}

/// The poll's figures as the API and the store see them, and the store's ballots.
#[derive(Debug, PartialEq)]
struct PollState {
    api_options: Vec<i64>,
    api_votes: i64,
    api_voters: i64,
    store_options: Vec<i64>,
    store_votes: i64,
    store_voters: i64,
    chain_head: String,
    vote_seq: i64,
    ballots: BTreeMap<i64, Vec<u32>>,
}

async fn state(s: &TestServer, viewer: &User, poll_id: &str) -> PollState {
    let api = s.get(&format!("/api/v1/polls/{poll_id}"), Some(&viewer.token)).await.ok();
    let api_options = api["options"]
        .as_array()
        .expect("options")
        .iter()
        .map(|o| o["votes_count"].as_i64().expect("visible totals"))
        .collect();
    let id = PollId(poll_id.parse().expect("numeric poll id"));
    let store = &s.running.services.ctx.store;
    let p = store.find_poll(id).await.expect("find poll").expect("poll exists");
    let ballots = store
        .poll_state(id)
        .await
        .expect("ballots")
        .expect("poll")
        .ballots
        .into_iter()
        .map(|(a, c)| (a.0, c))
        .collect();
    PollState {
        api_options,
        api_votes: api["votes_count"].as_i64().expect("votes_count"),
        api_voters: api["voters_count"].as_i64().expect("voters_count"),
        store_options: p.option_votes,
        store_votes: p.votes_count,
        store_voters: p.voters_count,
        chain_head: p.chain_head,
        vote_seq: p.vote_seq,
        ballots,
    }
}

/// The recount of every poll finds nothing.
async fn assert_audit_clean(s: &TestServer) {
    let audits = s.running.services.polls.audit().await.expect("audit");
    let bad: Vec<_> = audits.iter().filter(|a| !a.problems.is_empty()).collect();
    assert!(bad.is_empty(), "the recount found problems: {bad:?}");
}

/// The final figures equal the accepted ballots exactly, in the API and the store.
async fn assert_tallies(
    s: &TestServer,
    author: &User,
    poll_id: &str,
    voters: &[User],
    ballots: &[Vec<u32>],
    options: usize,
) {
    let mut want = vec![0i64; options];
    for b in ballots {
        for c in b {
            want[*c as usize] += 1;
        }
    }
    let votes: i64 = want.iter().sum();
    let st = state(s, author, poll_id).await;
    assert_eq!(st.api_options, want, "per-option counts in the API");
    assert_eq!(st.store_options, want, "per-option counts in the store");
    assert_eq!((st.api_votes, st.api_voters), (votes, voters.len() as i64), "API votes_count, voters_count");
    assert_eq!((st.store_votes, st.store_voters), (votes, voters.len() as i64), "store votes_count, voters_count");
    assert_eq!(st.vote_seq, votes, "one chained vote row per chosen option");
    let expected: BTreeMap<i64, Vec<u32>> =
        voters.iter().zip(ballots).map(|(u, b)| (u.id.parse::<i64>().expect("account id"), b.clone())).collect();
    assert_eq!(st.ballots, expected, "the stored ballots are exactly the accepted ones");
    assert_audit_clean(s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_voters_with_racing_duplicates_on_a_single_choice_poll() {
    const VOTERS: usize = 1000;
    const RACING: usize = 200;
    const REPEATS: usize = 20;
    const OPTIONS: usize = 4;
    let s = TestServer::start().await;
    let mut rng = rng();
    let author = s.user("author").await;
    let poll_id = poll(&s, &author, OPTIONS, false, json!({})).await;
    let voters = s.bulk_users("v", VOTERS).await;
    let ballots: Vec<Vec<u32>> = (0..VOTERS).map(|_| vec![rng.gen_range(0..OPTIONS as u32)]).collect();

    let answers = storm(&s, &poll_id, &voters, &ballots, RACING, REPEATS, &mut rng).await;
    assert_eq!(answers.len(), VOTERS - RACING + RACING * REPEATS);
    check_answers(&answers, &ballots);
    assert_tallies(&s, &author, &poll_id, &voters, &ballots, OPTIONS).await;
    let st = state(&s, &author, &poll_id).await;
    assert_eq!((st.api_votes, st.api_voters), (VOTERS as i64, VOTERS as i64));
    s.assert_in_step().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_ballots_with_random_subsets_on_a_multiple_choice_poll() {
    const VOTERS: usize = 600;
    const RACING: usize = 120;
    const REPEATS: usize = 10;
    const OPTIONS: usize = 6;
    let s = TestServer::start_with(|c| c.polls.max_options = OPTIONS).await;
    let mut rng = rng();
    let author = s.user("author").await;
    let poll_id = poll(&s, &author, OPTIONS, true, json!({})).await;
    let voters = s.bulk_users("m", VOTERS).await;
    // Every non-empty subset, as a sorted list (what `own_votes` shows).
    let ballots: Vec<Vec<u32>> = (0..VOTERS)
        .map(|_| {
            let mask: u32 = rng.gen_range(1..(1 << OPTIONS));
            (0..OPTIONS as u32).filter(|i| mask & (1 << i) != 0).collect()
        })
        .collect();

    let answers = storm(&s, &poll_id, &voters, &ballots, RACING, REPEATS, &mut rng).await;
    check_answers(&answers, &ballots);
    assert_tallies(&s, &author, &poll_id, &voters, &ballots, OPTIONS).await;
    let st = state(&s, &author, &poll_id).await;
    let chosen: usize = ballots.iter().map(Vec::len).sum();
    assert_eq!(st.api_votes, chosen as i64, "votes_count is the sum of chosen options");
    assert_eq!(st.api_voters, VOTERS as i64, "voters_count is the number of accepted ballots");
    s.assert_in_step().await;
}

/// How a malformed ballot is sent.
#[derive(Clone)]
enum Body {
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

/// Where a refusal comes from: reading the parameters (400, 413 or 422, the
/// same for every poll, even one the voter may not see) or judging the ballot
/// (422, after the visibility check, so 404 on an invisible poll).
#[derive(Clone, Copy, PartialEq)]
enum Stage {
    Params,
    Ballot,
}

fn malformed_ballots() -> Vec<(String, Stage, Body)> {
    let json = |label: &str, stage: Stage, v: Value| (label.to_string(), stage, Body::Json(v));
    let raw = |label: &str, stage: Stage, ct: &'static str, b: &str| {
        (label.to_string(), stage, Body::Raw(ct, b.as_bytes().to_vec()))
    };
    let two_pow_63 = serde_json::Number::from(1u64 << 63);
    vec![
        json("empty list", Stage::Ballot, json!({"choices": []})),
        json("missing field", Stage::Ballot, json!({})),
        json("other field only", Stage::Ballot, json!({"choice": 0})),
        json("negative", Stage::Ballot, json!({"choices": [-1]})),
        json("i64::MIN", Stage::Ballot, json!({"choices": [i64::MIN]})),
        json("== option count", Stage::Ballot, json!({"choices": [3]})),
        json("> option count", Stage::Ballot, json!({"choices": [4]})),
        json("2^31", Stage::Ballot, json!({"choices": [1i64 << 31]})),
        json("2^32", Stage::Ballot, json!({"choices": [1i64 << 32]})),
        json("i64::MAX", Stage::Ballot, json!({"choices": [i64::MAX]})),
        json("valid and out of range", Stage::Ballot, json!({"choices": [0, 3]})),
        json("duplicate in single choice", Stage::Ballot, json!({"choices": [0, 0]})),
        json("duplicate as strings", Stage::Ballot, json!({"choices": ["1", "1"]})),
        json("two choices in single choice", Stage::Ballot, json!({"choices": [0, 1]})),
        json("every choice in single choice", Stage::Ballot, json!({"choices": [0, 1, 2]})),
        json("two choices as an indexed hash", Stage::Ballot, json!({"choices": {"0": 0, "1": 1}})),
        json("null", Stage::Ballot, json!({"choices": null})),
        json("huge array out of range", Stage::Ballot, json!({"choices": (0..100_000).collect::<Vec<i64>>()})),
        json("huge array of one choice", Stage::Ballot, json!({"choices": vec![0; 100_000]})),
        json("huge array of negatives", Stage::Ballot, json!({"choices": vec![-1; 100_000]})),
        json("over the body limit", Stage::Params, json!({"choices": vec![-1; 1_000_000]})),
        json("letter", Stage::Params, json!({"choices": ["a"]})),
        json("bare letter", Stage::Params, json!({"choices": "a"})),
        json("empty string", Stage::Params, json!({"choices": [""]})),
        json("float", Stage::Params, json!({"choices": [1.5]})),
        json("float string", Stage::Params, json!({"choices": ["1.5"]})),
        json("whole float", Stage::Params, json!({"choices": [1.0]})),
        json("2^63", Stage::Params, json!({"choices": [Value::Number(two_pow_63)]})),
        json("2^63 string", Stage::Params, json!({"choices": ["9223372036854775808"]})),
        json("1e300", Stage::Params, json!({"choices": [1e300]})),
        json("boolean", Stage::Params, json!({"choices": [true]})),
        json("null element", Stage::Params, json!({"choices": [null]})),
        json("nested list", Stage::Params, json!({"choices": [[0]]})),
        json("nested object", Stage::Params, json!({"choices": [{"choice": 0}]})),
        json("object", Stage::Params, json!({"choices": {"a": 0}})),
        json("deep nesting", Stage::Params, json!({"choices": [[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]})),
        raw("form letter", Stage::Params, "application/x-www-form-urlencoded", "choices[]=x"),
        raw("form empty value", Stage::Params, "application/x-www-form-urlencoded", "choices[]="),
        raw("form negative", Stage::Ballot, "application/x-www-form-urlencoded", "choices[]=-1"),
        raw("form duplicate", Stage::Ballot, "application/x-www-form-urlencoded", "choices[]=0&choices[]=0"),
        raw("form two choices", Stage::Ballot, "application/x-www-form-urlencoded", "choices[]=0&choices[]=1"),
        raw("form nested", Stage::Params, "application/x-www-form-urlencoded", "choices[][x]=0"),
        raw("JSON null document", Stage::Params, "application/json", "null"),
        raw("JSON list document", Stage::Params, "application/json", "[0]"),
        raw("broken JSON", Stage::Params, "application/json", "{\"choices\": [0"),
        raw("JSON with trailing garbage", Stage::Params, "application/json", "{\"choices\": [0]} x"),
        (
            "not UTF-8".to_string(),
            Stage::Params,
            Body::Raw("application/json", b"{\"choices\": [\"\xff\xfe\"]}".to_vec()),
        ),
        (
            "form not UTF-8".to_string(),
            Stage::Params,
            Body::Raw("application/x-www-form-urlencoded", b"choices[]=\xff".to_vec()),
        ),
    ]
}

/// Sends a ballot. `None` when the server closed the connection before the
/// client finished sending: allowed only for a body over the size limit, which
/// the server may refuse (413) without reading it all.
async fn send(s: &TestServer, poll_id: &str, token: &str, body: &Body) -> Option<common::Reply> {
    let url = format!("{}/api/v1/polls/{poll_id}/votes", s.url);
    // A fresh connection per ballot: a refused oversize body leaves its
    // connection closing, and a pooled client would send the next ballot on it.
    let http = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    let request = match body {
        Body::Json(v) => http.post(url).bearer_auth(token).json(v),
        Body::Raw(ct, bytes) => http.post(url).bearer_auth(token).header("content-type", *ct).body(bytes.clone()),
    };
    match request.send().await {
        Ok(resp) => Some(TestServer::reply(resp).await),
        Err(e) if e.is_request() => None,
        Err(e) => panic!("request: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_ballots_change_nothing() {
    let s = TestServer::start_with(|c| c.polls.min_expiration = 1).await;
    let author = s.user("author").await;
    let bodies = malformed_ballots();
    let mut people = s.bulk_users("p", 4 * bodies.len() + 10).await.into_iter();
    let mut next = || people.next().expect("enough accounts");

    // An open poll with a few ballots.
    let open = poll(&s, &author, 3, false, json!({})).await;
    let voted: Vec<User> = (0..4).map(|_| next()).collect();
    for (i, v) in voted.iter().enumerate() {
        s.post(&format!("/api/v1/polls/{open}/votes"), Some(&v.token), json!({"choices": [i % 3]})).await.ok();
    }
    // The author's own poll, also with a ballot.
    let own = poll(&s, &author, 3, false, json!({})).await;
    let own_voter = next();
    s.post(&format!("/api/v1/polls/{own}/votes"), Some(&own_voter.token), json!({"choices": [1]})).await.ok();
    // A poll that ends within a second; ballots cast at once may or may not make it.
    let expired = {
        let status =
            s.status(&author, json!({"status": "Quick", "poll": {"options": ["a", "b", "c"], "expires_in": 1}})).await;
        status["poll"]["id"].as_str().expect("poll id").to_string()
    };
    let early = next();
    let _ = s.post(&format!("/api/v1/polls/{expired}/votes"), Some(&early.token), json!({"choices": [1]})).await;
    // A private poll, with one ballot from a follower; strangers cannot see it.
    let invisible = poll(&s, &author, 3, false, json!({"visibility": "private"})).await;
    let follower = next();
    s.follow(&follower, &author).await;
    s.post(&format!("/api/v1/polls/{invisible}/votes"), Some(&follower.token), json!({"choices": [2]})).await.ok();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let expired_view = s.get(&format!("/api/v1/polls/{expired}"), Some(&author.token)).await.ok();
    assert_eq!(expired_view["expired"], true, "the quick poll has ended");

    let polls = [("open", &open), ("expired", &expired), ("own", &own), ("invisible", &invisible)];
    let mut before = Vec::new();
    for (_, id) in &polls {
        before.push(state(&s, &author, id).await);
    }

    let mut problems = Vec::new();
    for (kind, poll_id) in polls {
        for (label, stage, body) in &bodies {
            // A fresh voter each time (the author on its own poll), and on the
            // open poll also a voter who already voted.
            let mut senders = vec![if kind == "own" { author.clone() } else { next() }];
            if kind == "open" {
                senders.push(voted[0].clone());
            }
            for sender in senders {
                let Some(r) = send(&s, poll_id, &sender.token, body).await else {
                    if label.as_str() != "over the body limit" {
                        problems.push(format!("{kind} poll, {label}: the connection broke"));
                    }
                    continue;
                };
                let code = r.status.as_u16();
                let fine = match (kind, *stage) {
                    ("invisible", Stage::Ballot) => code == 404,
                    ("invisible", Stage::Params) => matches!(code, 400 | 404 | 413 | 422),
                    (_, Stage::Ballot) => code == 422,
                    (_, Stage::Params) => matches!(code, 400 | 413 | 422),
                };
                if !fine || r.body["error"].as_str().is_none() {
                    problems.push(format!("{kind} poll, {label}: {code} {}", r.body));
                }
            }
        }
    }
    for ((kind, id), was) in polls.iter().zip(&before) {
        let now = state(&s, &author, id).await;
        if &now != was {
            problems.push(format!("{kind} poll changed:\n  before {was:?}\n  after  {now:?}"));
        }
    }
    assert!(problems.is_empty(), "malformed ballots were not refused cleanly:\n{}", problems.join("\n"));
    assert_audit_clean(&s).await;
    // Nobody who only sent malformed ballots counts as having voted.
    let stranger = next();
    let view = s.get(&format!("/api/v1/polls/{open}"), Some(&stranger.token)).await.ok();
    assert_eq!((view["voted"].clone(), view["own_votes"].clone()), (json!(false), json!([])));
    s.assert_in_step().await;
}
