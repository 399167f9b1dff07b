//! The authorization matrix, over HTTP: who sees which status, on every path
//! that can reveal one.
//!
//! An author posts one status at each visibility, every one mentioning
//! `mentioned` and `blocked`. Six viewers read them: anonymous, a stranger, a
//! follower, the mentioned account (not a follower), an account the author
//! blocks (also mentioned) and the author. What each may see is
//! `parley_core::visibility::can_view`'s table ([`TABLE`]); the store's SQL
//! twin must agree with it on the list endpoints. An invisible status is
//! answered byte for byte like a missing one, so its existence cannot be probed.
//!
//! Each test collects every disagreement before failing, so one run names
//! all the broken cells of the matrix.

// Test helpers outside `#[test]` functions are not covered by clippy's
// `allow-expect-in-tests`; here a failed expectation is a failed test.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, User, ids, unique};
use parley_core::model::Visibility;
use parley_core::visibility::{Viewer, can_view};
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    Stranger,
    Follower,
    Mentioned,
    Blocked,
    Author,
}

use Who::*;

const EVERYONE: [Who; 6] = [Anonymous, Stranger, Follower, Mentioned, Blocked, Author];
const LEVELS: [&str; 4] = ["public", "unlisted", "private", "direct"];

/// Who may see what, written out: `(visibility, [anonymous, stranger,
/// follower, mentioned, blocked, author])`.
const TABLE: [(&str, [bool; 6]); 4] = [
    ("public", [true, true, true, true, false, true]),
    ("unlisted", [true, true, true, true, false, true]),
    ("private", [false, false, true, true, false, true]),
    ("direct", [false, false, false, true, false, true]),
];

impl Who {
    /// The viewer as `can_view` knows it (every status mentions `Mentioned` and `Blocked`).
    fn relation(self) -> Viewer {
        let signed_in = self != Anonymous;
        Viewer {
            signed_in,
            is_author: self == Author,
            follows_author: self == Follower,
            mentioned: matches!(self, Mentioned | Blocked),
            blocked_by_author: self == Blocked,
            author_gone: false,
        }
    }
}

/// May `who` see the status posted at `level`? The table, checked against `can_view`.
fn visible(level: &str, who: Who) -> bool {
    let column = EVERYONE.iter().position(|w| *w == who).expect("a viewer");
    let row = TABLE.iter().find(|(l, _)| *l == level).expect("a level").1;
    let vis = Visibility::parse(level).expect("a visibility");
    assert_eq!(can_view(vis, who.relation()), row[column], "can_view disagrees with the table for {who:?} on {level}");
    row[column]
}

/// Disagreements with the matrix, reported together.
#[derive(Default)]
struct Findings(Vec<String>);

impl Findings {
    fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.0.push(what());
        }
    }

    fn assert_none(self) {
        assert!(
            self.0.is_empty(),
            "{} disagreement(s) with the visibility matrix:\n  {}",
            self.0.len(),
            self.0.join("\n  ")
        );
    }
}

struct World {
    s: TestServer,
    author: User,
    stranger: User,
    follower: User,
    mentioned: User,
    blocked: User,
    /// `(visibility, status ID)` in posting order (oldest first).
    statuses: Vec<(&'static str, String)>,
    /// A word found only in the author's four statuses.
    word: String,
    tag: String,
    /// The exact body of `GET /api/v1/statuses/:id` for an ID that names nothing.
    missing: Vec<u8>,
}

impl World {
    async fn new() -> World {
        let s = TestServer::start().await;
        let author = s.user("author").await;
        let stranger = s.user("stranger").await;
        let follower = s.user("follower").await;
        let mentioned = s.user("mentioned").await;
        let blocked = s.user("blocked").await;
        s.follow(&follower, &author).await;
        let rel =
            s.get(&format!("/api/v1/accounts/relationships?id[]={}", author.id), Some(&follower.token)).await.ok();
        assert_eq!(rel[0]["following"], true, "the follow took effect: {rel}");
        s.post(&format!("/api/v1/accounts/{}/block", blocked.id), Some(&author.token), Value::Null).await.ok();

        let word = format!("{}q", unique("wombatword"));
        let tag = format!("{}t", unique("vismatrix"));
        let mut statuses = Vec::new();
        for level in LEVELS {
            let text = format!("{word} {level} #{tag} @{} @{}", mentioned.username, blocked.username);
            let posted = s.status(&author, json!({"status": text, "visibility": level})).await;
            assert_eq!(posted["visibility"], level);
            assert_eq!(posted["mentions"].as_array().map(Vec::len), Some(2), "both mentions resolved: {posted}");
            statuses.push((level, posted["id"].as_str().expect("id").to_string()));
        }

        let (status, missing) = raw(&s, Method::GET, "/api/v1/statuses/1234567", None).await;
        assert_eq!(status, 404);
        assert_eq!(String::from_utf8_lossy(&missing), r#"{"error":"Record not found"}"#);
        World { s, author, stranger, follower, mentioned, blocked, statuses, word, tag, missing }
    }

    fn user(&self, who: Who) -> Option<&User> {
        match who {
            Anonymous => None,
            Stranger => Some(&self.stranger),
            Follower => Some(&self.follower),
            Mentioned => Some(&self.mentioned),
            Blocked => Some(&self.blocked),
            Author => Some(&self.author),
        }
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.user(who).map(|u| u.token.as_str())
    }

    /// The IDs of the statuses `who` may see, newest first, as lists order them.
    fn visible_ids(&self, who: Who) -> Vec<String> {
        self.statuses.iter().rev().filter(|(level, _)| visible(level, who)).map(|(_, id)| id.clone()).collect()
    }

    fn id_of(&self, level: &str) -> &str {
        &self.statuses.iter().find(|(l, _)| *l == level).expect("posted").1
    }

    /// Checks one read: 200 when `expect_visible`, otherwise a 404 whose body is
    /// exactly the one for a missing ID. Returns the JSON body on 200.
    async fn read(&self, f: &mut Findings, who: Who, level: &str, path: &str, expect_visible: bool) -> Option<Value> {
        let answer = raw(&self.s, Method::GET, path, self.token(who)).await;
        self.judge(f, who, level, &format!("GET {path}"), expect_visible, &answer)
    }

    fn judge(
        &self,
        f: &mut Findings,
        who: Who,
        level: &str,
        what: &str,
        expect_visible: bool,
        (status, body): &(u16, Vec<u8>),
    ) -> Option<Value> {
        let (status, body) = (*status, body.as_slice());
        let shown = short(body);
        if expect_visible {
            f.check(status == 200, || format!("{who:?} on {level}: {what} → {status} {shown}, expected 200"));
            (status == 200).then(|| serde_json::from_slice(body).unwrap_or(Value::Null))
        } else {
            f.check(status == 404 && body == self.missing.as_slice(), || {
                format!(
                    "{who:?} on {level}: {what} → {status} {shown}, expected 404 {}",
                    String::from_utf8_lossy(&self.missing)
                )
            });
            None
        }
    }
}

/// A request whose body is kept as bytes, to compare answers exactly.
async fn raw(s: &TestServer, method: Method, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    raw_json(s, method, path, token, Value::Null).await
}

async fn raw_json(s: &TestServer, method: Method, path: &str, token: Option<&str>, body: Value) -> (u16, Vec<u8>) {
    let mut req = s.http.request(method, format!("{}{}", s.url, path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if !body.is_null() {
        req = req.json(&body);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.bytes().await.expect("body").to_vec())
}

/// A body for a failure message, cut short.
fn short(body: &[u8]) -> String {
    String::from_utf8_lossy(body).chars().take(160).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn single_status_lookups_follow_the_matrix() {
    let w = World::new().await;
    let mut f = Findings::default();
    for who in EVERYONE {
        for (level, id) in &w.statuses {
            let seen = visible(level, who);
            if let Some(status) = w.read(&mut f, who, level, &format!("/api/v1/statuses/{id}"), seen).await {
                f.check(status["id"] == id.as_str() && status["visibility"] == *level, || {
                    format!("{who:?} on {level}: wrong status {status}")
                });
            }
            w.read(&mut f, who, level, &format!("/api/v1/statuses/{id}/history"), seen).await;
        }
        // Several at once: exactly the visible ones, whatever else is asked for.
        let query: Vec<String> =
            w.statuses.iter().map(|(_, id)| format!("id[]={id}")).chain(["id[]=1234567".to_string()]).collect();
        let many = w.s.get(&format!("/api/v1/statuses?{}", query.join("&")), w.token(who)).await.expect(200);
        let got = sorted(ids(&many));
        let want = sorted(w.visible_ids(who));
        f.check(got == want, || format!("{who:?}: GET /api/v1/statuses?id[]= → {got:?}, expected {want:?}"));
    }
    f.assert_none();
}

#[tokio::test]
async fn threads_show_each_status_only_to_those_who_may_see_it() {
    let w = World::new().await;
    let mut f = Findings::default();
    for who in EVERYONE {
        for (level, id) in &w.statuses {
            if let Some(ctx) =
                w.read(&mut f, who, level, &format!("/api/v1/statuses/{id}/context"), visible(level, who)).await
            {
                f.check(ctx == json!({"ancestors": [], "descendants": []}), || {
                    format!("{who:?} on {level}: lone status has context {ctx}")
                });
            }
        }
    }

    // The mentioned account, who sees everything, answers each status in public.
    let mut replies = Vec::new();
    for (level, id) in &w.statuses {
        let reply = w.s.status(&w.mentioned, json!({"status": format!("a public answer to the {level} one"), "in_reply_to_id": id, "visibility": "public"})).await;
        assert_eq!(reply["in_reply_to_id"], id.as_str());
        replies.push(reply["id"].as_str().expect("id").to_string());
    }
    for who in EVERYONE {
        for ((level, parent), reply) in w.statuses.iter().zip(&replies) {
            let seen = visible(level, who);
            // The public reply is visible to all; its parent shows among its ancestors only when visible.
            if let Some(ctx) = w.read(&mut f, who, level, &format!("/api/v1/statuses/{reply}/context"), true).await {
                let want: Vec<String> = if seen { vec![parent.clone()] } else { Vec::new() };
                let got = ids(&ctx["ancestors"]);
                f.check(got == want, || {
                    format!("{who:?} on {level}: ancestors of the public reply {got:?}, expected {want:?}")
                });
            }
            if let Some(ctx) = w.read(&mut f, who, level, &format!("/api/v1/statuses/{parent}/context"), seen).await {
                let got = ids(&ctx["descendants"]);
                f.check(got == vec![reply.clone()], || {
                    format!("{who:?} on {level}: descendants {got:?}, expected the reply {reply}")
                });
            }
        }
    }
    f.assert_none();
}

#[tokio::test]
async fn favourited_by_and_reblogged_by_are_hidden_with_their_status() {
    let w = World::new().await;
    for (_, id) in &w.statuses {
        w.s.post(&format!("/api/v1/statuses/{id}/favourite"), Some(&w.author.token), Value::Null).await.expect(200);
    }
    for level in ["public", "unlisted"] {
        w.s.post(&format!("/api/v1/statuses/{}/reblog", w.id_of(level)), Some(&w.stranger.token), Value::Null)
            .await
            .expect(200);
    }
    let mut f = Findings::default();
    for who in EVERYONE {
        for (level, id) in &w.statuses {
            let seen = visible(level, who);
            if let Some(list) = w.read(&mut f, who, level, &format!("/api/v1/statuses/{id}/favourited_by"), seen).await
            {
                f.check(ids(&list) == vec![w.author.id.clone()], || {
                    format!("{who:?} on {level}: favourited_by {list}")
                });
            }
            if let Some(list) = w.read(&mut f, who, level, &format!("/api/v1/statuses/{id}/reblogged_by"), seen).await {
                let want =
                    if matches!(*level, "public" | "unlisted") { vec![w.stranger.id.clone()] } else { Vec::new() };
                f.check(ids(&list) == want, || format!("{who:?} on {level}: reblogged_by {list}, expected {want:?}"));
            }
        }
    }
    f.assert_none();
}

#[tokio::test]
async fn an_accounts_statuses_are_exactly_the_visible_ones() {
    let w = World::new().await;
    let mut f = Findings::default();
    for who in EVERYONE {
        // A small page makes the walk cross `Link` cursors too.
        let got = w.s.walk(&format!("/api/v1/accounts/{}/statuses?limit=2", w.author.id), w.token(who)).await;
        let want = w.visible_ids(who);
        f.check(got == want, || format!("{who:?}: account statuses {got:?}, expected {want:?}"));
    }
    f.assert_none();
}

#[tokio::test]
async fn public_and_hashtag_timelines_list_only_the_public_status() {
    let w = World::new().await;
    let public = w.id_of("public").to_string();
    let mut f = Findings::default();
    for who in EVERYONE {
        let want: Vec<String> = if visible("public", who) { vec![public.clone()] } else { Vec::new() };
        for path in [
            "/api/v1/timelines/public".to_string(),
            "/api/v1/timelines/public?local=true".to_string(),
            format!("/api/v1/timelines/tag/{}", w.tag),
        ] {
            let reply = w.s.get(&path, w.token(who)).await;
            f.check(reply.status == 200, || format!("{who:?}: GET {path} → {}", reply.status));
            let got = w.s.walk(&path, w.token(who)).await;
            f.check(got == want, || format!("{who:?}: GET {path} → {got:?}, expected {want:?}"));
        }
    }
    f.assert_none();
}

#[tokio::test]
async fn home_timelines_carry_what_followers_and_the_mentioned_may_see() {
    let w = World::new().await;
    w.s.get("/api/v1/timelines/home", None).await.expect(401);
    let mut f = Findings::default();
    let followed: Vec<String> = ["private", "unlisted", "public"].iter().map(|l| w.id_of(l).to_string()).collect();
    for who in [Stranger, Follower, Mentioned, Blocked, Author] {
        let want = match who {
            Author => w.visible_ids(Author),
            Follower => followed.clone(),
            // Not following the author: nothing of theirs reaches home, mentioned or not.
            _ => Vec::new(),
        };
        let got = w.s.walk("/api/v1/timelines/home", w.token(who)).await;
        f.check(got == want, || format!("{who:?}: home {got:?}, expected {want:?}"));
    }

    // A follower who is mentioned in a direct status gets it at home; other followers do not.
    let fan = w.s.user("fan").await;
    w.s.follow(&fan, &w.author).await;
    let dm = w.s.post_text(&w.author, &format!("just for @{}", fan.username), "direct").await;
    let got = w.s.walk("/api/v1/timelines/home", Some(&fan.token)).await;
    let want: Vec<String> = std::iter::once(dm.clone()).chain(followed.iter().cloned()).collect();
    f.check(got == want, || format!("mentioned follower: home {got:?}, expected {want:?}"));
    let got = w.s.walk("/api/v1/timelines/home", Some(&w.follower.token)).await;
    f.check(got == followed, || {
        format!("Follower after a direct status to someone else: home {got:?}, expected {followed:?}")
    });
    f.assert_none();
}

#[tokio::test]
async fn search_finds_only_visible_statuses() {
    let w = World::new().await;
    let mut f = Findings::default();
    for who in EVERYONE {
        for path in [format!("/api/v2/search?q={}&type=statuses", w.word), format!("/api/v2/search?q={}", w.word)] {
            let found = w.s.get(&path, w.token(who)).await.expect(200);
            let got = ids(&found["statuses"]);
            // Searching statuses needs a signed-in viewer, as on Mastodon.
            let want = if who == Anonymous { Vec::new() } else { w.visible_ids(who) };
            f.check(got == want, || format!("{who:?}: GET {path} → {got:?}, expected {want:?}"));
        }
    }
    f.assert_none();
}

#[tokio::test]
async fn interactions_need_the_status_to_be_visible() {
    let w = World::new().await;
    let mut f = Findings::default();
    for (_, id) in &w.statuses {
        w.s.post(&format!("/api/v1/statuses/{id}/favourite"), None, Value::Null).await.expect(401);
    }
    for who in [Stranger, Follower, Mentioned, Blocked, Author] {
        let token = w.token(who);
        for (level, id) in &w.statuses {
            let seen = visible(level, who);
            for action in ["favourite", "unfavourite", "reblog", "unreblog"] {
                let what = format!("POST /api/v1/statuses/{id}/{action}");
                let answer = raw(&w.s, Method::POST, &format!("/api/v1/statuses/{id}/{action}"), token).await;
                let (status, body) = (answer.0, short(&answer.1));
                let boostable = matches!(*level, "public" | "unlisted");
                if !seen {
                    w.judge(&mut f, who, level, &what, false, &answer);
                } else if action == "reblog" && !boostable && !(who == Author && *level == "private") {
                    // As in Mastodon (`StatusPolicy#reblog?`), only the author may
                    // boost their own private status; direct ones never.
                    let json: Value = serde_json::from_slice(&answer.1).unwrap_or(Value::Null);
                    f.check(status == 403 && json["error"].is_string(), || {
                        format!("{who:?} on {level}: {what} → {status} {body}, expected 403")
                    });
                } else {
                    f.check(status == 200, || format!("{who:?} on {level}: {what} → {status} {body}"));
                }
            }
            let reply = json!({"status": format!("answering the {level} one"), "in_reply_to_id": id});
            let answer = raw_json(&w.s, Method::POST, "/api/v1/statuses", token, reply).await;
            w.judge(&mut f, who, level, "POST /api/v1/statuses with in_reply_to_id", seen, &answer);
        }
    }
    f.assert_none();
}

#[tokio::test]
async fn mentions_notify_the_mentioned_but_not_whom_the_author_blocks() {
    let w = World::new().await;
    let mut f = Findings::default();
    let from_author = |list: &Value| -> Vec<Value> {
        list.as_array().into_iter().flatten().filter(|n| n["account"]["id"] == w.author.id.as_str()).cloned().collect()
    };

    let list = w.s.get("/api/v1/notifications", Some(&w.mentioned.token)).await.expect(200);
    let notes = from_author(&list);
    let kinds: Vec<&str> = notes.iter().map(|n| n["type"].as_str().unwrap_or("?")).collect();
    f.check(kinds.iter().all(|k| *k == "mention"), || format!("Mentioned: notification types {kinds:?}"));
    let got = sorted(notes.iter().map(|n| n["status"]["id"].as_str().unwrap_or_default().to_string()).collect());
    let want = sorted(w.statuses.iter().map(|(_, id)| id.clone()).collect());
    f.check(got == want, || format!("Mentioned: mention notifications for {got:?}, expected one per status {want:?}"));

    let list = w.s.get("/api/v1/notifications", Some(&w.blocked.token)).await.expect(200);
    let notes = from_author(&list);
    f.check(notes.is_empty(), || {
        let shown: Vec<String> = notes
            .iter()
            .map(|n| format!("{} on {} ({})", n["type"], n["status"]["id"], n["status"]["visibility"]))
            .collect();
        format!("Blocked: {} notification(s) from its blocker: {}", notes.len(), shown.join(", "))
    });

    for who in [Stranger, Follower] {
        let list = w.s.get("/api/v1/notifications", w.token(who)).await.expect(200);
        f.check(from_author(&list).is_empty(), || format!("{who:?}: unexpected notifications {list}"));
    }

    // Whatever the notifications are, none may carry a status its recipient cannot see.
    for who in [Stranger, Follower, Mentioned, Blocked] {
        let list = w.s.get("/api/v1/notifications", w.token(who)).await.expect(200);
        for n in list.as_array().into_iter().flatten() {
            let Some(id) = n["status"]["id"].as_str() else {
                continue;
            };
            let Some((level, _)) = w.statuses.iter().find(|(_, s)| s == id) else {
                continue;
            };
            f.check(visible(level, who), || {
                format!("{who:?}: a {} notification shows the {level} status {id} they may not see", n["type"])
            });
        }
    }
    f.assert_none();
}
