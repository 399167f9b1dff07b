//! The web interface over HTTP, as a browser without JavaScript uses it:
//! pages, forms with their CSRF tokens, sessions in cookies, polls voted by
//! form post, embeds and oEmbed, and the headers that keep pages from being framed.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{TestServer, User};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

/// A browser without JavaScript: keeps cookies, follows no redirects by
/// itself, sends forms with the page's CSRF token and its own origin.
struct Browser<'a> {
    s: &'a TestServer,
    cookies: HashMap<String, String>,
}

struct Page {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }
    fn location(&self) -> &str {
        self.header("location")
    }
    fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
    }
    #[track_caller]
    fn has(&self, text: &str) -> &Self {
        assert!(self.body.contains(text), "page lacks {text:?}:\n{}", self.body);
        self
    }
    #[track_caller]
    fn lacks(&self, text: &str) -> &Self {
        assert!(!self.body.contains(text), "page has {text:?}:\n{}", self.body);
        self
    }
}

fn between(haystack: &str, start: &str, end: &str) -> Option<String> {
    let from = haystack.find(start)? + start.len();
    let to = haystack[from..].find(end)? + from;
    Some(haystack[from..to].to_string())
}

impl<'a> Browser<'a> {
    fn new(s: &'a TestServer) -> Self {
        Browser { s, cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Page {
        let req = req.header("accept", "text/html,application/xhtml+xml").header("cookie", self.cookie_header());
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.expect("body");
        let page = Page { status, headers, body };
        for c in page.set_cookies() {
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        page
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.s.http.get(format!("{}{}", self.s.url, path));
        self.send(req).await
    }

    /// Posts a form as a page of this site would, with the CSRF token in the jar.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let csrf = self.cookies.get("parley_csrf").cloned().unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, Some(&self.s.url.clone())).await
    }

    async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)], origin: Option<&str>) -> Page {
        let mut req = self.s.http.post(format!("{}{}", self.s.url, path)).form(fields);
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        self.send(req).await
    }

    /// Follows a redirect answer once.
    async fn follow(&mut self, page: &Page) -> Page {
        assert!(matches!(page.status, 302 | 303), "not a redirect: {} {}", page.status, page.body);
        let to = page.location().split('#').next().unwrap_or_default().to_string();
        self.get(&to).await
    }

    async fn sign_up(&mut self, username: &str) {
        self.get("/auth/sign_up").await;
        let email = format!("{username}@example.org");
        let r = self
            .post(
                "/auth/sign_up",
                &[
                    ("username", username),
                    ("email", &email),
                    ("password", "correct horse battery"),
                    ("password_confirmation", "correct horse battery"),
                    ("agreement", "1"),
                ],
            )
            .await;
        assert_eq!((r.status, r.location()), (303, "/home"), "{}", r.body);
    }

    async fn sign_in(&mut self, login: &str, password: &str) -> Page {
        self.get("/auth/sign_in").await;
        self.post("/auth/sign_in", &[("login", login), ("password", password)]).await
    }
}

async fn poll_status(s: &TestServer, author: &User, options: &[&str], extra: Value) -> (String, String) {
    let mut body =
        json!({"status": "Which consulate would you close?", "poll": {"options": options, "expires_in": 3600}});
    if let (Some(b), Some(e)) = (body["poll"].as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let status = s.status(author, body).await;
    (status["id"].as_str().expect("id").to_string(), status["poll"]["id"].as_str().expect("poll id").to_string())
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_csrf_cookie() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    s.post_text(&alice, "Hello from the embassy #diplomacy", "public").await;
    let mut b = Browser::new(&s);
    let page = b.get("/").await;
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").starts_with("text/html"));
    page.has("Hello from the embassy").has("Public timeline").has("Create an account");
    assert_eq!(page.header("x-frame-options"), "DENY");
    let csp = page.header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"), "{csp}");
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    let cookie = page.set_cookies().into_iter().find(|c| c.starts_with("parley_csrf=")).expect("csrf cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");
    // Nothing but our own assets: no CDN, fonts or trackers.
    for tag in ["<script src=\"http", "<link rel=\"stylesheet\" href=\"http", "@import", "fonts.googleapis"] {
        page.lacks(tag);
    }
    let css = b
        .get(&format!("/assets/parley.css?v={}", between(&page.body, "parley.css?v=", "\"").unwrap_or_default()))
        .await;
    assert_eq!(css.status, 200);
    assert!(css.header("cache-control").contains("immutable"));
    assert!(css.body.contains("prefers-color-scheme: dark"));
    b.get("/tags/diplomacy").await.has("#diplomacy").has("Hello from the embassy");
}

#[tokio::test]
async fn unknown_pages_are_html_for_browsers_and_json_for_clients() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    for path in ["/nope", "/nope/123", "/@nobody", "/@nobody/123", "/tags/"] {
        let page = b.get(path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.header("content-type").starts_with("text/html"), "{path}");
        assert_eq!(page.header("x-frame-options"), "DENY", "{path}");
        page.has("Page not found");
    }
    // API paths stay JSON, even for a browser.
    let api = b.get("/api/v1/nothing").await;
    assert_eq!((api.status, api.body.as_str()), (404, r#"{"error":"Record not found"}"#));
    let api = b.get("/api/v1/nothing").await;
    assert!(api.header("content-type").starts_with("application/json"));
    // A client that asks for no HTML gets JSON everywhere.
    let r = s.http.get(format!("{}/nope", s.url)).send().await.expect("request");
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(r.text().await.expect("body"), r#"{"error":"Record not found"}"#);
}

#[tokio::test]
async fn sign_up_sign_in_and_sign_out_with_a_session_cookie() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    b.sign_up("webuser").await;
    let session = b.cookies.get("parley_session").cloned().expect("session cookie");
    let home = b.get("/home").await;
    assert_eq!(home.status, 200);
    home.has("@webuser").has("New post").has("Sign out");
    // The session is a web-app token of the same account.
    let me = s.get("/api/v1/accounts/verify_credentials", Some(&session)).await.ok();
    assert_eq!(me["username"], "webuser");

    let out = b.post("/auth/sign_out", &[]).await;
    assert_eq!((out.status, out.location()), (303, "/"));
    assert!(!b.cookies.contains_key("parley_session"));
    assert_eq!(s.get("/api/v1/accounts/verify_credentials", Some(&session)).await.status, 401, "token revoked");
    let home = b.get("/home").await;
    assert_eq!(home.status, 303);
    assert!(home.location().starts_with("/auth/sign_in?next=%2Fhome"), "{}", home.location());

    let wrong = b.sign_in("webuser", "not the password").await;
    assert_eq!(wrong.status, 401);
    wrong.has("Invalid e-mail address, username or password.").has("value=\"webuser\"");
    let right = b.sign_in("webuser@example.org", "correct horse battery").await;
    assert_eq!((right.status, right.location()), (303, "/home"));
    let cookie = right.set_cookies().into_iter().find(|c| c.starts_with("parley_session=")).expect("session");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    // Signing in goes back where the visitor was headed, never off-site.
    let mut b2 = Browser::new(&s);
    b2.get("/auth/sign_in").await;
    let r = b2
        .post(
            "/auth/sign_in",
            &[("login", "webuser"), ("password", "correct horse battery"), ("next", "//evil.example/")],
        )
        .await;
    assert_eq!(r.location(), "/home");
}

#[tokio::test]
async fn sign_up_explains_what_is_wrong() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    b.get("/auth/sign_up").await.has("name=\"agreement\"");
    let r = b
        .post(
            "/auth/sign_up",
            &[
                ("username", "bad name!"),
                ("email", "x@example.org"),
                ("password", "correct horse battery"),
                ("password_confirmation", "correct horse battery"),
                ("agreement", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    r.has("must contain only letters, numbers and underscores").has("value=\"x@example.org\"");
    // Said once, under its field; above the form only how many need attention.
    assert_eq!(r.body.matches("must contain only letters").count(), 1, "{}", r.body);
    r.has("Please correct the field marked below.");
    // The agreement stays ticked, and the rules it agrees to are a link.
    r.has("name=\"agreement\" value=\"1\" required checked").has("<a href=\"/about#rules\"");
    let r = b
        .post(
            "/auth/sign_up",
            &[
                ("username", "ok"),
                ("email", "ok@example.org"),
                ("password", "abcdefgh1"),
                ("password_confirmation", "different1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    // The mismatch is said under the repetition, not under the password.
    let under_repeat = between(&r.body, "id=\"password_confirmation\"", "name=\"agreement\"").expect("repeat field");
    assert!(under_repeat.contains("This is not the same as the password above."), "{under_repeat}");
    assert!(!r.body.contains("id=\"password-error\""), "{}", r.body);
    // Not agreeing is said under the box.
    let r = b
        .post(
            "/auth/sign_up",
            &[
                ("username", "ok"),
                ("email", "ok@example.org"),
                ("password", "abcdefgh1"),
                ("password_confirmation", "abcdefgh1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    r.has("id=\"agreement-error\"").has("Please agree to the rules");
    // The rules are on the about page, where the link points.
    b.get("/about").await.has("id=\"rules\"");
}

#[tokio::test]
async fn sign_in_says_what_it_accepts_and_whom_to_ask_for_a_new_password() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    let page = b.get("/auth/sign_in").await;
    page.has("Forgot your password?").has("href=\"/about#contact\"");
    let r = b.post("/auth/sign_in", &[("login", "nobody"), ("password", "wrong password")]).await;
    assert_eq!(r.status, 401);
    r.has("Invalid e-mail address, username or password.");
}

#[tokio::test]
async fn forms_without_the_token_or_from_another_site_are_refused() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    b.sign_up("carol").await;
    let csrf = b.cookies.get("parley_csrf").cloned().expect("csrf");
    let url = s.url.clone();
    // No token.
    let r = b.post_raw("/statuses", &[("text", "no token")], Some(&url)).await;
    assert_eq!(r.status, 403);
    r.has("This form has expired");
    // A wrong token.
    let r = b.post_raw("/statuses", &[("csrf", "0".repeat(64).as_str()), ("text", "bad token")], Some(&url)).await;
    assert_eq!(r.status, 403);
    // The right token, from another site.
    let r =
        b.post_raw("/statuses", &[("csrf", csrf.as_str()), ("text", "cross-site")], Some("https://evil.example")).await;
    assert_eq!(r.status, 403);
    // The right token from this site works.
    let r = b.post_raw("/statuses", &[("csrf", csrf.as_str()), ("text", "from our own form")], Some(&url)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let statuses = s.get("/api/v1/timelines/public", None).await.ok();
    let texts: Vec<&str> = statuses.as_array().into_iter().flatten().filter_map(|s| s["content"].as_str()).collect();
    assert_eq!(texts, vec!["<p>from our own form</p>"]);
    // Signing in rotates the CSRF token: one learnt before is worthless after.
    let before = b.cookies.get("parley_csrf").cloned();
    b.post("/auth/sign_out", &[]).await;
    b.sign_in("carol", "correct horse battery").await;
    assert_ne!(b.cookies.get("parley_csrf").cloned(), before);
}

#[tokio::test]
async fn compose_a_status_with_a_poll_then_others_vote_by_form() {
    let s = TestServer::start().await;
    let mut author = Browser::new(&s);
    author.sign_up("embassy").await;
    let compose = author.get("/compose").await;
    compose.has("Add a poll").has("name=\"poll_options\"").has("Allow several choices").has("1 day");
    // The builder offers exactly max_options inputs (4 by default).
    assert_eq!(compose.body.matches("name=\"poll_options\"").count(), 4);
    let r = author
        .post(
            "/statuses",
            &[
                ("text", "What US Consulate General would you close?"),
                ("visibility", "public"),
                ("poll_options", "Vladivostok"),
                ("poll_options", "Yekaterinburg"),
                ("poll_options", "St. Petersburg"),
                ("poll_options", ""),
                ("poll_expires_in", "86400"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let status_path = r.location().to_string();
    assert!(status_path.starts_with("/@embassy/"), "{status_path}");
    let page = author.follow(&r).await;
    page.has("Your post is published.").has("Vladivostok").has("St. Petersburg").has("0 votes").has("Results as of");
    page.lacks("name=\"choices\""); // the author cannot vote
    let status_id = status_path.rsplit('/').next().unwrap_or_default().to_string();
    let api = s.get(&format!("/api/v1/statuses/{status_id}"), None).await.ok();
    let poll_id = api["poll"]["id"].as_str().expect("poll").to_string();
    assert_eq!(api["poll"]["options"].as_array().map(Vec::len), Some(3));

    // A reader without an account sees the vote form, which leads to sign-in.
    let mut reader = Browser::new(&s);
    let page = reader.get(&status_path).await;
    page.has("name=\"choices\"").has(&format!("action=\"{status_path}/vote\"")).has("See results");
    let r = reader.get(&format!("{status_path}/vote?choices=2")).await;
    assert_eq!(r.status, 303);
    assert!(r.location().starts_with("/auth/sign_in?next="), "{}", r.location());

    let mut voter = Browser::new(&s);
    voter.sign_up("reader").await;
    let page = voter.get(&status_path).await;
    page.has(&format!("action=\"/polls/{poll_id}/votes\"")).has("type=\"radio\" name=\"choices\" value=\"2\"");
    let r = voter.post(&format!("/polls/{poll_id}/votes"), &[("choices", "2"), ("back", &status_path)]).await;
    assert_eq!((r.status, r.location()), (303, format!("{status_path}#poll-{poll_id}").as_str()));
    let page = voter.follow(&r).await;
    page.has("Your vote was counted.").has("100%").has("1 vote").has("1 person").has("Your choice");
    page.lacks("name=\"choices\"");
    // Voting twice is refused with Mastodon's reason, shown on the page.
    let r = voter.post(&format!("/polls/{poll_id}/votes"), &[("choices", "0"), ("back", &status_path)]).await;
    voter.follow(&r).await.has("You have already voted on this poll.");
    // The author's page now shows the vote too: bars with percentages and counts.
    let page = author.get(&status_path).await;
    page.has("<strong class=\"poll-pct\">100%</strong>").has("<span class=\"poll-count\">1 vote</span>");
    page.has("class=\"poll-fill\" width=\"100\"").has("class=\"poll-fill\" width=\"0\"");

    // Too many options: the form comes back with the reason and what was typed.
    let r = author
        .post(
            "/statuses",
            &[
                ("text", "Five?"),
                ("poll_options", "a"),
                ("poll_options", "b"),
                ("poll_options", "c"),
                ("poll_options", "d"),
                ("poll_options", "e"),
                ("poll_expires_in", "86400"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    r.has("Poll options can&#39;t contain more than 4 items.").has(">Five?</textarea>");
}

/// The composer's "who may vote" fields make a poll with eligibility; its
/// page says who may vote, and a vote from a new account is refused with why.
#[tokio::test]
async fn the_composer_limits_who_may_vote() {
    let s = TestServer::start().await;
    let mut author = Browser::new(&s);
    author.sign_up("consulate").await;
    author.get("/compose").await.has("name=\"poll_min_account_age_days\"").has("name=\"poll_local_only\"");
    let r = author
        .post(
            "/statuses",
            &[
                ("text", "Residents only: which consulate?"),
                ("visibility", "public"),
                ("poll_options", "Vladivostok"),
                ("poll_options", "Yekaterinburg"),
                ("poll_expires_in", "86400"),
                ("poll_min_account_age_days", "7"),
                ("poll_local_only", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let status_path = r.location().to_string();
    let page = author.follow(&r).await;
    page.has("Only accounts on this server that are at least 7 days old may vote.");
    let status_id = status_path.rsplit('/').next().unwrap_or_default().to_string();
    let api = s.get(&format!("/api/v1/statuses/{status_id}"), None).await.ok();
    assert_eq!(api["poll"]["parley_eligibility"], json!({"min_account_age_days": 7, "local_only": true}));
    let poll_id = api["poll"]["id"].as_str().expect("poll").to_string();

    let mut voter = Browser::new(&s);
    voter.sign_up("newcomer").await;
    voter.get(&status_path).await;
    let r = voter.post(&format!("/polls/{poll_id}/votes"), &[("choices", "0"), ("back", &status_path)]).await;
    voter.follow(&r).await.has("Your account is too new to vote in this poll (accounts must be at least 7 days old)");
    assert_eq!(s.get(&format!("/api/v1/polls/{poll_id}"), None).await.ok()["votes_count"], 0);

    // A minimum age that is no number comes back with the form.
    let r = author
        .post(
            "/statuses",
            &[
                ("text", "Again?"),
                ("poll_options", "a"),
                ("poll_options", "b"),
                ("poll_min_account_age_days", "a week"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    r.has("Poll minimum account age must be a whole number of days").has("value=\"a week\"");
}

/// The composer refuses a visibility it does not know, as the API does,
/// instead of posting publicly.
#[tokio::test]
async fn the_composer_refuses_an_unknown_visibility() {
    let s = TestServer::start().await;
    let mut author = Browser::new(&s);
    author.sign_up("careful").await;
    author.get("/compose").await;
    let r = author.post("/statuses", &[("text", "for my followers only"), ("visibility", "followers")]).await;
    assert_eq!(r.status, 422, "{}", r.body);
    r.has("Visibility is not included in the list").has(">for my followers only</textarea>");
    let me = s.get("/api/v1/accounts/lookup?acct=careful", None).await.ok();
    let id = me["id"].as_str().expect("id");
    assert_eq!(s.get(&format!("/api/v1/accounts/{id}/statuses"), None).await.ok(), json!([]), "nothing was posted");
}

#[tokio::test]
async fn the_composer_refuses_a_poll_duration_that_is_not_a_number() {
    let s = TestServer::start().await;
    let mut author = Browser::new(&s);
    author.sign_up("durations").await;
    author.get("/compose").await;
    let form = [("text", "Which city?"), ("visibility", "public"), ("poll_options", "A"), ("poll_options", "B")];
    let r = author.post("/statuses", &[&form[..], &[("poll_expires_in", "soon")]].concat()).await;
    assert_eq!(r.status, 422, "{}", r.body);
    r.has("Poll duration is invalid").has(">Which city?</textarea>");
    let me = s.get("/api/v1/accounts/lookup?acct=durations", None).await.ok();
    let id = me["id"].as_str().expect("id");
    assert_eq!(s.get(&format!("/api/v1/accounts/{id}/statuses"), None).await.ok(), json!([]), "nothing was posted");
}

#[tokio::test]
async fn a_vote_from_an_embed_is_confirmed_on_the_site() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let (status_id, poll_id) = poll_status(&s, &author, &["yes", "no"], json!({})).await;
    let mut b = Browser::new(&s);
    b.sign_up("fromembed").await;
    let path = format!("/@{}/{}/vote?choices=1", author.username, status_id);
    let r = b.get(&path).await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), format!("/@{}/{}?choices=1#poll-{poll_id}", author.username, status_id));
    let page = b.follow(&r).await;
    page.has("Confirm your choice and vote.").has("name=\"choices\" value=\"1\" checked");
    // Nothing was recorded by following the link.
    let poll = s.get(&format!("/api/v1/polls/{poll_id}"), None).await.ok();
    assert_eq!(poll["votes_count"], 0);
}

#[tokio::test]
async fn hidden_totals_stay_hidden_until_the_end() {
    let s = TestServer::start().await;
    let author = s.user("author").await;
    let voter = s.user("voter").await;
    let (status_id, poll_id) = poll_status(&s, &author, &["a", "b"], json!({"hide_totals": true})).await;
    s.post(&format!("/api/v1/polls/{poll_id}/votes"), Some(&voter.token), json!({"choices": [0]})).await.ok();
    let mut b = Browser::new(&s);
    let path = format!("/@{}/{}", author.username, status_id);
    let page = b.get(&format!("{path}?results=1")).await;
    // Nothing that looks like a choice or like results: a plain list, a note
    // saying when they will show, no "Results as of … · Live".
    page.has("hides the results until the poll ends").has("1 vote").lacks("poll-pct").lacks("See results");
    page.has("class=\"poll-results-hidden\"").lacks("class=\"poll-option").lacks("Results as of").lacks("live-label");
    assert_eq!(b.get(&format!("{path}/history")).await.status, 403);
    assert_eq!(b.get(&format!("{path}/cite")).await.status, 403);
    let embed = b.get(&format!("{path}/embed")).await;
    embed.lacks("poll-pct");
}

#[tokio::test]
async fn profiles_show_the_organisation_and_follow_by_form() {
    let s = TestServer::start().await;
    let services = &s.running.services;
    services
        .accounts
        .create(parley_app::accounts::AccountSpec {
            username: "RusEmbUSA".into(),
            email: "embassy@example.org".into(),
            password: "correct horse battery".into(),
            role: parley_core::model::Role::User,
            organisation: Some("Embassy of the Russian Federation in the USA".into()),
            approved: true,
            display_name: Some("Russia in USA <b>".into()),
            joined: None,
        })
        .await
        .expect("account");
    let mut b = Browser::new(&s);
    let page = b.get("/@RusEmbUSA").await;
    assert_eq!(page.status, 200);
    page.has("Official account: </span><span class=\"badge-org\">Embassy of the Russian Federation in the USA</span>");
    page.has("Russia in USA &#60;b&#62;");
    // The seal explains itself on a click (a <details>, no script needed).
    page.has("<details class=\"badge\">").has("This server's administrators set it");
    // The profile gives the whole address, breakable at its @; a post's byline gives @user.
    page.has(&format!("@RusEmbUSA<wbr>@{}", s.public.trim_start_matches("http://")));
    let plain = s.user("plain").await;
    let status = s.post_text(&plain, "A statement.", "public").await;
    let byline = b.get(&format!("/@{}/{status}", plain.username)).await;
    byline
        .has(&format!("<span class=\"acct\" title=\"@{}@", plain.username))
        .has(&format!(">@{}</span>", plain.username));
    page.has("Sign in to follow");
    b.sign_up("follower").await;
    let page = b.get("/@RusEmbUSA").await;
    let action = between(&page.body, "<form method=\"post\" action=\"/accounts/", "\"").expect("follow form");
    assert!(action.ends_with("/follow"), "{action}");
    let r = b.post(&format!("/accounts/{action}"), &[("back", "/@RusEmbUSA")]).await;
    assert_eq!(r.status, 303);
    b.follow(&r).await.has("You follow RusEmbUSA now.").has("Unfollow").has("1 follower");
    let unfollow = action.replace("/follow", "/unfollow");
    let r = b.post(&format!("/accounts/{unfollow}"), &[("back", "/@RusEmbUSA")]).await;
    b.follow(&r).await.has("0 followers").has(">Follow</button>");
}

#[tokio::test]
async fn user_text_is_escaped_everywhere() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let id = s
        .status(&alice, json!({"status": "<script>alert(1)</script> & \"quotes\"", "spoiler_text": "<img src=x>", "poll": {"options": ["<b>bold</b>", "it's"], "expires_in": 3600}}))
        .await["id"]
        .as_str()
        .expect("id")
        .to_string();
    let mut b = Browser::new(&s);
    for path in [format!("/@{}/{id}", alice.username), format!("/@{}/{id}/embed", alice.username), "/".to_string()] {
        let page = b.get(&path).await;
        page.lacks("<script>alert").lacks("<img src=x>").lacks("<b>bold</b>");
        page.has("&#60;b&#62;bold&#60;/b&#62;");
    }
    let oembed = s.get(&format!("/api/oembed?url={}/@{}/{id}", s.public, alice.username), None).await.ok();
    let html = oembed["html"].as_str().unwrap_or_default();
    assert!(!html.contains("<script>alert") && html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"), "{html}");
}

#[tokio::test]
async fn the_status_page_has_its_thread_a_reply_box_and_oembed_discovery() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let bob = s.user("bob").await;
    let first = s.post_text(&alice, "The first post", "public").await;
    let reply =
        s.status(&bob, json!({"status": format!("@{} A reply", alice.username), "in_reply_to_id": first})).await;
    let reply_id = reply["id"].as_str().expect("id");
    let mut b = Browser::new(&s);
    let page = b.get(&format!("/@{}/{}", bob.username, reply_id)).await;
    page.has("The first post").has("A reply").has("Earlier in the conversation");
    let oembed_link = format!(
        "<link rel=\"alternate\" type=\"application/json+oembed\" href=\"{}/api/oembed?url={}%2F%40{}%2F{}\"",
        s.public,
        s.public.replace(':', "%3A").replace('/', "%2F"),
        bob.username,
        reply_id
    );
    page.has(&oembed_link);
    page.has("Embed this post on your site").has("/embed.js");
    // The wrong author in the path redirects to the right one; a bad ID is a 404.
    let r = b.get(&format!("/@{}/{}", alice.username, reply_id)).await;
    assert_eq!((r.status, r.location()), (303, format!("/@{}/{}", bob.username, reply_id).as_str()));
    assert_eq!(b.get(&format!("/@{}/abc", bob.username)).await.status, 404);
    // Signed in: a reply box that mentions the author.
    b.sign_up("carol").await;
    let page = b.get(&format!("/@{}/{}", bob.username, reply_id)).await;
    page.has(&format!("name=\"in_reply_to_id\" value=\"{reply_id}\""));
    page.has(&format!(">@{} @{} </textarea>", bob.username, alice.username));
    let r = b.post("/statuses", &[("text", "@bob a second reply"), ("in_reply_to_id", reply_id)]).await;
    assert_eq!(r.status, 303);
    let ctx = s.get(&format!("/api/v1/statuses/{reply_id}/context"), None).await.ok();
    assert_eq!(ctx["descendants"].as_array().map(Vec::len), Some(1));
    // A private status is not there for others.
    let private = s.post_text(&alice, "Followers only", "private").await;
    assert_eq!(b.get(&format!("/@{}/{}", alice.username, private)).await.status, 404);
}

#[tokio::test]
async fn favourite_boost_and_delete_by_form() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let id = s.post_text(&alice, "Worth a boost", "public").await;
    let mut b = Browser::new(&s);
    b.sign_up("dave").await;
    let path = format!("/@{}/{id}", alice.username);
    for action in ["favourite", "reblog"] {
        let r = b.post(&format!("/statuses/{id}/{action}"), &[("back", &path)]).await;
        assert_eq!((r.status, r.location()), (303, format!("{path}#s-{id}").as_str()), "{action}");
    }
    let api = s.get(&format!("/api/v1/statuses/{id}"), None).await.ok();
    assert_eq!((api["favourites_count"].as_i64(), api["reblogs_count"].as_i64()), (Some(1), Some(1)));
    let page = b.get(&path).await;
    page.has("action=\"/statuses/")
        .has(&format!("/statuses/{id}/unfavourite"))
        .has(&format!("/statuses/{id}/unreblog"));
    // The page's script asks for JSON and gets the marks as they are now.
    let csrf = b.cookies.get("parley_csrf").cloned().unwrap_or_default();
    let req = s
        .http
        .post(format!("{}/statuses/{id}/unfavourite", s.url))
        .form(&[("csrf", csrf.as_str()), ("back", path.as_str())])
        .header("origin", s.url.clone())
        .header("accept", "application/json");
    let r = b.send(req).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let marks: Value = serde_json::from_str(&r.body).expect("json");
    assert_eq!(marks, json!({"favourited": false, "favourites_count": 0, "reblogged": true, "reblogs_count": 1}));
    // Someone else's post cannot be deleted.
    let r = b.post(&format!("/statuses/{id}/delete"), &[("back", &path)]).await;
    assert_eq!(r.status, 403);
    // One's own can.
    let r = b.post("/statuses", &[("text", "Mine to delete")]).await;
    let own = r.location().to_string();
    let own_id = own.rsplit('/').next().unwrap_or_default().to_string();
    b.get(&own).await.has("Delete this post");
    let r = b.post(&format!("/statuses/{own_id}/delete"), &[("back", &own)]).await;
    assert_eq!((r.status, r.location()), (303, "/@dave"));
    assert_eq!(s.get(&format!("/api/v1/statuses/{own_id}"), None).await.status, 404);
}

#[tokio::test]
async fn notifications_and_settings() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    b.sign_up("erin").await;
    let erin_id = s.get("/api/v1/accounts/lookup?acct=erin", None).await.ok()["id"].as_str().expect("id").to_string();
    let frank = s.user("frank").await;
    s.post(&format!("/api/v1/accounts/{erin_id}/follow"), Some(&frank.token), Value::Null).await.ok();
    // Before looking: the header counts the follow as unread.
    b.get("/settings").await.has("<span class=\"nav-count\">1<span class=\"visually-hidden\"> unread</span>");
    let page = b.get("/notifications").await;
    page.has(&format!(">{}</a> followed you", frank.username));
    // Its kind is named beside its icon, it is marked new, and Erin may follow back.
    page.has("notification-follow notification-unread").has("New follower, new: </span>");
    page.has(&format!("action=\"/accounts/{}/follow\"", frank.id)).has("Follow back");
    // Seen now: the marker moved, the header counts nothing, the mark is gone.
    // (The session cookie is an access token of the web app.)
    let session = b.cookies.get("parley_session").cloned().expect("session");
    let unread = s.get("/api/v1/notifications/unread_count", Some(&session)).await.ok();
    assert_eq!(unread["count"], 0);
    let again = b.get("/notifications").await;
    again.lacks("nav-count").lacks("notification-unread");
    // Following back takes the button away.
    let r = b.post(&format!("/accounts/{}/follow", frank.id), &[("back", "/notifications")]).await;
    assert_eq!(r.status, 303);
    b.get("/notifications").await.lacks("Follow back");

    let settings = b.get("/settings").await;
    settings.has("Display name").has("name=\"field_name\"").has("Current password");
    let r = b
        .post(
            "/settings/profile",
            &[
                ("display_name", "Erin, Press Office"),
                ("note", "Official statements. #press"),
                ("field_name", "Website"),
                ("field_value", "https://press.example"),
                ("field_name", ""),
                ("field_value", ""),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, "/settings"));
    let profile = b.get("/@erin").await;
    profile.has("Erin, Press Office").has("Official statements.").has("<dt>Website</dt><dd>https://press.example</dd>");

    let r = b
        .post(
            "/settings/password",
            &[
                ("current_password", "wrong password"),
                ("new_password", "new password 1"),
                ("new_password_confirmation", "new password 1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    r.has("Current password is invalid.");
    let r = b
        .post(
            "/settings/password",
            &[
                ("current_password", "correct horse battery"),
                ("new_password", "new password 1"),
                ("new_password_confirmation", "new password 1"),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, "/auth/sign_in"));
    assert_eq!(b.get("/settings").await.status, 303, "signed out everywhere");
    assert_eq!(b.sign_in("erin", "new password 1").await.status, 303);
}

#[tokio::test]
async fn a_locked_account_answers_follow_requests_from_its_notifications() {
    let s = TestServer::start().await;
    let mut b = Browser::new(&s);
    b.sign_up("gina").await;
    let r = b.post("/settings/profile", &[("display_name", "Gina"), ("note", ""), ("locked", "1")]).await;
    assert_eq!(r.status, 303);
    b.get("/settings").await.has("name=\"locked\" value=\"1\" checked");
    let gina = s.get("/api/v1/accounts/lookup?acct=gina", None).await.ok();
    assert_eq!(gina["locked"], true);
    let gina_id = gina["id"].as_str().expect("id").to_string();
    let hank = s.user("hank").await;
    s.post(&format!("/api/v1/accounts/{gina_id}/follow"), Some(&hank.token), Value::Null).await.ok();
    let page = b.get("/notifications").await;
    page.has("asked to follow you").has(&format!("action=\"/follow_requests/{}/authorize\"", hank.id));
    let r = b.post(&format!("/follow_requests/{}/authorize", hank.id), &[("back", "/notifications")]).await;
    assert_eq!((r.status, r.location()), (303, "/notifications"));
    b.follow(&r).await.has(&format!("{} follows you now.", hank.username)).lacks("/authorize\"");
    let rel = s.get(&format!("/api/v1/accounts/relationships?id[]={gina_id}"), Some(&hank.token)).await.ok();
    assert_eq!(rel[0]["following"], true);
}

#[tokio::test]
async fn the_embed_page_may_be_framed_and_shows_live_or_frozen_polls() {
    let s = TestServer::start().await;
    let author = s.user("embassy").await;
    let voters = s.bulk_users("v", 3).await;
    let (status_id, poll_id) =
        poll_status(&s, &author, &["Vladivostok", "Yekaterinburg", "St. Petersburg"], json!({})).await;
    for (v, choice) in voters.iter().zip([2, 2, 0]) {
        s.post(&format!("/api/v1/polls/{poll_id}/votes"), Some(&v.token), json!({"choices": [choice]})).await.ok();
    }
    let path = format!("/@{}/{}", author.username, status_id);
    let mut b = Browser::new(&s);
    let embed = b.get(&format!("{path}/embed")).await;
    assert_eq!(embed.status, 200);
    assert_eq!(embed.header("content-security-policy").matches("frame-ancestors *").count(), 1);
    assert!(!embed.header("content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(embed.header("x-frame-options"), "");
    assert!(embed.set_cookies().is_empty(), "an embed sets no cookie");
    // By default an embed shows the standings (what an article embeds a poll
    // for), light, with a link to vote on this site in a new window.
    embed.has("class=\"embed theme-light\"").has("<meta name=\"color-scheme\" content=\"light\">");
    embed.has("data-live=\"embed\"").has("67%").lacks("method=\"get\"");
    embed.has(&format!("href=\"{}{path}#poll-{poll_id}\" target=\"_blank\" rel=\"noopener\">Vote on", s.public));
    // The vote view is the form, voting on this site in a new window.
    let vote = b.get(&format!("{path}/embed?view=vote&theme=dark")).await;
    vote.has("class=\"embed theme-dark\"").has("content=\"dark\"").has("target=\"_blank\"").has("method=\"get\"");
    vote.has(&format!("action=\"{}{path}/vote\"", s.public)).lacks("Vote on");
    b.get(&format!("{path}/embed?theme=auto")).await.has("class=\"embed theme-auto\"").has("content=\"light dark\"");
    let bad_style = b.get(&format!("{path}/embed?theme=purple")).await;
    assert_eq!(bad_style.status, 422);
    bad_style.has("theme must be light, dark or auto");
    assert_eq!(b.get(&format!("{path}/embed?view=chart")).await.status, 422);
    // Frozen at a moment after the three votes: a signed snapshot's numbers.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    s.post(&format!("/api/v1/polls/{poll_id}/votes"), Some(&s.user("late").await.token), json!({"choices": [1]}))
        .await
        .ok();
    let frozen = b.get(&format!("{path}/embed?as_of={at}")).await;
    frozen.has("Signed snapshot as of").has("67%").has("2 votes").has("3 votes").lacks("4 votes").lacks("data-live");
    // Unmistakably a snapshot: its own frame and a banner saying it does not change.
    frozen.has("embed-card embed-frozen").has("<strong>Snapshot</strong>").has("It does not change.").lacks("Vote on");
    // "How to verify" leads to the cite page's explanation (which links the JSON).
    frozen.has(&format!("{path}/cite?at=")).has("#verify");
    assert!(frozen.header("cache-control").contains("max-age=86400"));
    let bad = b.get(&format!("{path}/embed?as_of=yesterday")).await;
    bad.has("not a valid date and time");
    // Every other page still refuses to be framed.
    assert_eq!(b.get(&path).await.header("x-frame-options"), "DENY");
}

#[tokio::test]
async fn oembed_answers_rich_html_with_a_fallback() {
    let s = TestServer::start().await;
    let author = s.user("embassy").await;
    let voter = s.user("voter").await;
    let (status_id, poll_id) = poll_status(&s, &author, &["Vladivostok", "St. Petersburg"], json!({})).await;
    s.post(&format!("/api/v1/polls/{poll_id}/votes"), Some(&voter.token), json!({"choices": [1]})).await.ok();
    let url = format!("{}/@{}/{}", s.public, author.username, status_id);
    let r = s.get(&format!("/api/oembed?url={url}&maxwidth=400&maxheight=2000"), None).await;
    assert_eq!(r.headers.get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some("*"));
    let o = r.ok();
    assert_eq!((o["type"].as_str(), o["version"].as_str()), (Some("rich"), Some("1.0")));
    assert_eq!(o["width"], 400);
    assert!(o["height"].as_u64().unwrap_or(0) > 200);
    assert_eq!(o["author_url"], format!("{}/@{}", s.public, author.username));
    let html = o["html"].as_str().unwrap_or_default();
    // A quotation that embed.js turns into the iframe: without the script the
    // post shows once, as the quotation, never twice.
    assert!(!html.contains("<iframe"), "{html}");
    assert!(html.contains("<blockquote class=\"parley-embed\""), "{html}");
    assert!(html.contains(&format!("data-parley-embed=\"{url}/embed\"")), "{html}");
    assert!(html.contains("data-parley-width=\"400\""), "{html}");
    assert!(html.contains("St. Petersburg 100% (1 vote)") && html.contains("1 vote from 1 person"), "{html}");
    assert!(html.contains(&format!("{}/embed.js", s.public)), "{html}");
    // A frozen embed through oEmbed.
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let o = s.get(&format!("/api/oembed?url={url}%3Fas_of%3D{}", at.replace(':', "%253A")), None).await.ok();
    assert!(o["html"].as_str().unwrap_or_default().contains("/embed?as_of="), "{o}");
    // The editor's view and theme reach the embed's address.
    let o = s.get(&format!("/api/oembed?url={url}&view=vote&theme=dark"), None).await.ok();
    let html = o["html"].as_str().unwrap_or_default();
    assert!(html.contains(&format!("data-parley-embed=\"{url}/embed?view=vote&#38;theme=dark\"")), "{html}");
    // Refusals.
    let r = s.get(&format!("/api/oembed?url={url}&theme=purple"), None).await;
    assert_eq!(r.status, 400);
    assert_eq!(s.get(&format!("/api/oembed?url={url}&format=xml"), None).await.status, 501);
    assert_eq!(s.get("/api/oembed?url=https://elsewhere.example/@a/1", None).await.status, 404);
    assert_eq!(s.get("/api/oembed", None).await.status, 400);
    let private = s.post_text(&author, "Followers only", "private").await;
    assert_eq!(s.get(&format!("/api/oembed?url={}/@{}/{private}", s.public, author.username), None).await.status, 404);
    // The embed script is there, for any site.
    let js = s.http.get(format!("{}/embed.js", s.url)).send().await.expect("embed.js");
    assert_eq!(js.status().as_u16(), 200);
    assert!(js.text().await.unwrap_or_default().contains("parley:embed-size"));
}

/// oEmbed for a moment whose snapshot cannot be taken says why, instead of
/// handing the site the live tally (and its fallback text) as if frozen.
#[tokio::test]
async fn oembed_refuses_a_snapshot_it_cannot_take() {
    let s = TestServer::start().await;
    let author = s.user("embassy").await;
    let (status_id, _) = poll_status(&s, &author, &["Vladivostok", "St. Petersburg"], json!({})).await;
    let (hidden_id, _) = poll_status(&s, &author, &["a", "b"], json!({"hide_totals": true})).await;
    let oembed = |status: &str, as_of: &str| {
        let url = format!("{}/@{}/{status}?as_of={as_of}", s.public, author.username);
        let url = form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>();
        s.http.get(format!("{}/api/oembed?url={url}", s.url)).send()
    };
    let z = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let future = z(chrono::Utc::now() + chrono::Duration::hours(1));
    for (status, as_of, reason) in [
        (&status_id, future.as_str(), "in the future"),
        (&status_id, "yesterday", "not a valid date and time"),
        (&hidden_id, &z(chrono::Utc::now()), "hidden"),
    ] {
        let r = oembed(status, as_of).await.expect("oembed");
        assert_eq!(r.status().as_u16(), 422, "{as_of}");
        let body = r.text().await.expect("body");
        assert!(body.contains(reason), "{as_of}: {body}");
    }
}

#[tokio::test]
async fn history_chart_and_citation() {
    let s = TestServer::start().await;
    let author = s.user("embassy").await;
    let voters = s.bulk_users("h", 4).await;
    let (status_id, poll_id) = poll_status(&s, &author, &["Vladivostok", "St. Petersburg"], json!({})).await;
    for (v, c) in voters.iter().zip([1, 1, 0, 1]) {
        s.post(&format!("/api/v1/polls/{poll_id}/votes"), Some(&v.token), json!({"choices": [c]})).await.ok();
    }
    let path = format!("/@{}/{}", author.username, status_id);
    let mut b = Browser::new(&s);
    let page = b.get(&format!("{path}/history")).await;
    assert_eq!(page.status, 200);
    page.has("<svg class=\"chart chart-wide\"")
        .has("<svg class=\"chart chart-narrow\"")
        .has("<polyline class=\"chart-line s0\"")
        .has("<polyline class=\"chart-line s1\"");
    page.has("St. Petersburg</span> <strong>3 votes (75%)</strong>").has("Download CSV");
    page.has(&format!("/api/v1/parley/polls/{poll_id}/history?interval=")).has("&#38;format=csv");
    b.get(&format!("{path}/history?view=share")).await.has("Share of the votes over time").has("100%");
    let csv_path =
        between(&page.body, "href=\"/api/v1/parley/polls/", "\" download").expect("csv link").replace("&#38;", "&");
    let csv = s.http.get(format!("{}/api/v1/parley/polls/{csv_path}", s.url)).send().await.expect("csv");
    assert!(csv.text().await.unwrap_or_default().starts_with("bucket_start,votes: Vladivostok"));

    let cite = b.get(&format!("{path}/cite")).await;
    assert_eq!(cite.status, 200);
    cite.has("Signed snapshot as of").has("Suggested citation").has("75%").has("3 votes");
    let link = between(&cite.body, "id=\"snapshot-url\" class=\"code-box\" type=\"text\" readonly value=\"", "\"")
        .expect("link");
    let path_and_query = link.strip_prefix(&s.public).expect("public URL").replace("&#38;", "&");
    let snapshot = s.get(&path_and_query, None).await.ok();
    assert_eq!(parley_app::snapshots::verify_snapshot(&snapshot, None), Ok(()));
    assert_eq!(snapshot["snapshot"]["votes_count"], 4);
    cite.has(&format!("{path}/embed?as_of="));
}

#[tokio::test]
async fn the_oauth_pages_share_the_design() {
    let s = TestServer::start().await;
    let app = s.register_app("read", "urn:ietf:wg:oauth:2.0:oob").await;
    let r = s
        .http
        .get(format!(
            "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read",
            s.url, app.client_id
        ))
        .send()
        .await
        .expect("authorize");
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap_or_default();
    assert!(body.contains("/assets/parley.css") && body.contains("name=\"login\""), "{body}");
    // The stylesheet it links is served.
    let css = s.http.get(format!("{}/assets/parley.css", s.url)).send().await.expect("css");
    assert_eq!(css.status().as_u16(), 200);
}

/// The status page's embed panel hands out the same code as oEmbed (a
/// quotation embed.js turns into the frame), the iframe alone for sites that
/// strip scripts, and the editor's choice of view and theme.
#[tokio::test]
async fn the_embed_panel_offers_the_editors_choices() {
    let s = TestServer::start().await;
    let author = s.user("embassy").await;
    let (status_id, _) = poll_status(&s, &author, &["Vladivostok", "St. Petersburg"], json!({})).await;
    let path = format!("/@{}/{}", author.username, status_id);
    let mut b = Browser::new(&s);
    let page = b.get(&path).await;
    page.has("<details class=\"panel embed-panel\" id=\"embed\">").has("name=\"view\" value=\"results\" checked");
    page.has(&format!("data-parley-embed=&#34;{}{path}/embed&#34;", s.public));
    page.has(&format!("&#60;iframe src=&#34;{}{path}/embed&#34;", s.public)).has("loading=&#34;lazy&#34;");
    let chosen = b.get(&format!("{path}?view=vote&theme=auto")).await;
    chosen
        .has("id=\"embed\" open")
        .has("name=\"view\" value=\"vote\" checked")
        .has("name=\"theme\" value=\"auto\" checked");
    chosen.has(&format!("{path}/embed?view=vote&#38;theme=auto"));
    assert_eq!(b.get(&format!("{path}?theme=sepia")).await.status, 422);
    // The cite page's frozen code is the same kind of quotation, of the snapshot.
    b.get(&format!("{path}/cite")).await.has("&#60;blockquote class=&#34;parley-embed&#34;").has("/embed?as_of=");
}

/// A new account's empty home timeline offers people to follow, official
/// accounts first, and links to the public timeline.
#[tokio::test]
async fn an_empty_home_offers_people_to_follow() {
    let s = TestServer::start().await;
    let reporter = s.user("reporter").await;
    let embassy = s.user("embassy").await;
    s.running
        .services
        .accounts
        .admin_update(
            embassy.id.parse().expect("id"),
            parley_app::AdminUpdate { organisation: Some(Some("Embassy of Somewhere".into())), ..Default::default() },
        )
        .await
        .expect("organisation");
    s.post_text(&embassy, "A statement from the embassy.", "public").await;
    let mut b = Browser::new(&s);
    b.sign_up("newcomer").await;
    let home = b.get("/home").await;
    home.has("<a href=\"/\">Find people on the public timeline</a>").has("People to follow");
    let list = between(&home.body, "class=\"suggestion-list\"", "</ul>").expect("suggestions");
    let first = list.find(&format!("/accounts/{}/follow", embassy.id)).expect("embassy offered");
    let second = list.find(&format!("/accounts/{}/follow", reporter.id)).expect("reporter offered");
    assert!(first < second, "the official account comes first: {list}");
    // Following from the list fills the home timeline and takes them off it.
    let r = b.post(&format!("/accounts/{}/follow", embassy.id), &[("back", "/home")]).await;
    assert_eq!(r.status, 303);
    let home = b.get("/home").await;
    home.has("A statement from the embassy.").lacks("People to follow");
}

/// A profile's counts lead to the people they count.
#[tokio::test]
async fn profile_counts_link_to_followers_and_following() {
    let s = TestServer::start().await;
    let (ann, ben, cat) = (s.user("ann").await, s.user("ben").await, s.user("cat").await);
    s.follow(&ben, &ann).await;
    s.follow(&cat, &ann).await;
    s.follow(&ann, &cat).await;
    let mut b = Browser::new(&s);
    let profile = b.get(&format!("/@{}", ann.username)).await;
    profile.has(&format!("<a href=\"/@{}/followers\"><strong>2 followers</strong></a>", ann.username));
    profile.has(&format!("<a href=\"/@{}/following\"><strong>1 following</strong></a>", ann.username));
    let followers = b.get(&format!("/@{}/followers", ann.username)).await;
    assert_eq!(followers.status, 200);
    followers.has(&format!("People following {}", ann.username));
    let list = between(&followers.body, "people-list", "</ul>").expect("list");
    // Newest follow first.
    let (c, n) = (list.find(&format!("/@{}\"", cat.username)), list.find(&format!("/@{}\"", ben.username)));
    assert!(c.expect("cat") < n.expect("ben"), "{list}");
    let following = b.get(&format!("/@{}/following", ann.username)).await;
    following.has(&format!("/@{}\"", cat.username)).lacks(&format!("/@{}\"", ben.username));
    let dan = s.user("dan").await;
    b.get(&format!("/@{}/following", dan.username)).await.has("follows nobody yet").lacks("people-list");
    assert_eq!(b.get("/@nobody_at_all/followers").await.status, 404);
}
