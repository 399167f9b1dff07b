//! Apps, OAuth 2 flows, tokens, scopes and registration, over HTTP.

// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

mod common;

use common::{TestServer, unique};
use parley_app::RegistrationsMode;
use serde_json::{Value, json};

/// Runs the consent form for `scope` as `login`, returning the code (OOB page) or redirect.
async fn consent(
    s: &TestServer,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    login: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("scope", scope),
        ("login", login),
        ("password", "correct horse battery"),
        ("decision", "approve"),
    ];
    form.extend_from_slice(extra);
    s.http.post(format!("{}/oauth/authorize", s.url)).form(&form).send().await.expect("consent")
}

fn code_from_page(html: &str) -> String {
    let start = html.find("id=\"code\">").expect("code on the page") + "id=\"code\">".len();
    html[start..].split('<').next().expect("code").to_string()
}

#[tokio::test]
async fn app_registration_answers_credentials_once_and_verifies() {
    let s = TestServer::start().await;
    let app = s
        .post("/api/v1/apps", None, json!({"client_name": "Ivory", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read write", "website": "https://ivory.example"}))
        .await
        .ok();
    assert_eq!(app["name"], "Ivory");
    assert_eq!(app["scopes"], json!(["read", "write"]));
    assert_eq!(app["redirect_uris"], json!(["urn:ietf:wg:oauth:2.0:oob"]));
    assert!(app["client_secret"].as_str().is_some_and(|s| s.len() >= 32));
    let token = s
        .post("/oauth/token", None, json!({"grant_type": "client_credentials", "client_id": app["client_id"], "client_secret": app["client_secret"]}))
        .await
        .ok();
    assert_eq!(token["token_type"], "Bearer");
    let verified = s.get("/api/v1/apps/verify_credentials", token["access_token"].as_str()).await.ok();
    assert_eq!(verified["name"], "Ivory");
    assert!(verified.get("client_secret").is_none(), "secrets are shown only at registration");

    // Invalid registrations are refused with Mastodon's wording.
    s.post("/api/v1/apps", None, json!({"client_name": "", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"}))
        .await
        .expect(422);
    s.post("/api/v1/apps", None, json!({"client_name": "x", "redirect_uris": "javascript:alert(1)"})).await.expect(422);
    s.post(
        "/api/v1/apps",
        None,
        json!({"client_name": "x", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "read root"}),
    )
    .await
    .expect(422);
    let missing = s.post("/api/v1/apps", None, json!({"redirect_uris": "urn:ietf:wg:oauth:2.0:oob"})).await.expect(400);
    assert_eq!(missing["error"], "param is missing or the value is empty: client_name");
    s.assert_in_step().await;
}

#[tokio::test]
async fn authorization_code_flow_with_pkce_and_oob() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let app = s.register_app("read write", "urn:ietf:wg:oauth:2.0:oob").await;

    // The consent page renders for a valid request and refuses a foreign redirect.
    let page = s
        .http
        .get(format!(
            "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read",
            s.url, app.client_id
        ))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    assert!(page.text().await.expect("html").contains("Authorize"));
    let bad = s
        .http
        .get(format!(
            "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri=https://evil.example/cb",
            s.url, app.client_id
        ))
        .send()
        .await
        .expect("page");
    assert_eq!(bad.status(), 400);

    // A wrong password shows the form again and issues nothing.
    let wrong = s
        .http
        .post(format!("{}/oauth/authorize", s.url))
        .form(&[
            ("response_type", "code"),
            ("client_id", &app.client_id),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("scope", "read"),
            ("login", &alice.username),
            ("password", "nope nope"),
            ("decision", "approve"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(wrong.status(), 401);

    // PKCE S256 (RFC 7636 appendix B).
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let html = consent(
        &s,
        &app.client_id,
        "urn:ietf:wg:oauth:2.0:oob",
        "read",
        &alice.username,
        &[("code_challenge", challenge), ("code_challenge_method", "S256")],
    )
    .await
    .text()
    .await
    .expect("html");
    let code = code_from_page(&html);
    let exchange = |verifier: &'static str, code: String| {
        let s = &s;
        let app = app.clone();
        async move {
            s.post(
                "/oauth/token",
                None,
                json!({"grant_type": "authorization_code", "client_id": app.client_id, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "code": code, "code_verifier": verifier}),
            )
            .await
        }
    };
    let refused = exchange("wrong-verifier-wrong-verifier-wrong-verifier", code.clone()).await.expect(400);
    assert_eq!(refused["error"], "invalid_grant");
    // The failed attempt left the code to its client (see oauth_hardening.rs
    // for codes working once).
    exchange(verifier, code).await.ok();

    let html = consent(
        &s,
        &app.client_id,
        "urn:ietf:wg:oauth:2.0:oob",
        "read",
        &alice.username,
        &[("code_challenge", challenge)],
    )
    .await
    .text()
    .await
    .expect("html");
    let token = exchange(verifier, code_from_page(&html)).await.ok();
    assert_eq!(token["scope"], "read");
    let me = s.get("/api/v1/accounts/verify_credentials", token["access_token"].as_str()).await.ok();
    assert_eq!(me["username"], alice.username);
    s.assert_in_step().await;
}

#[tokio::test]
async fn authorization_code_redirects_with_state_and_denial() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let app = s.register_app("read write", "https://client.example/callback").await;
    let resp = consent(
        &s,
        &app.client_id,
        "https://client.example/callback",
        "read write",
        &alice.username,
        &[("state", "xyz")],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().expect("location").to_string();
    assert!(location.starts_with("https://client.example/callback?code="), "{location}");
    assert!(location.ends_with("&state=xyz"));
    let code = location.split("code=").nth(1).and_then(|r| r.split('&').next()).expect("code").to_string();
    // Without PKCE the client secret is required.
    let no_secret = s
        .post("/oauth/token", None, json!({"grant_type": "authorization_code", "client_id": app.client_id, "redirect_uri": "https://client.example/callback", "code": code}))
        .await
        .expect(401);
    assert_eq!(no_secret["error"], "invalid_client");

    let resp = consent(&s, &app.client_id, "https://client.example/callback", "read", &alice.username, &[]).await;
    let location = resp.headers()["location"].to_str().expect("location").to_string();
    let code = location.split("code=").nth(1).expect("code").to_string();
    let token = s
        .form(
            reqwest::Method::POST,
            "/oauth/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &app.client_id),
                ("client_secret", &app.client_secret),
                ("redirect_uri", "https://client.example/callback"),
                ("code", &code),
            ],
        )
        .await
        .ok();
    assert_eq!(token["scope"], "read");

    let denied = consent(
        &s,
        &app.client_id,
        "https://client.example/callback",
        "read",
        &alice.username,
        &[("decision", "deny"), ("state", "s1")],
    )
    .await;
    let location = denied.headers()["location"].to_str().expect("location");
    assert_eq!(location, "https://client.example/callback?error=access_denied&state=s1");
    s.assert_in_step().await;
}

#[tokio::test]
async fn password_grant_is_off_by_default_and_listed_only_when_enabled() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let app = s.app().clone();
    let grant = json!({"grant_type": "password", "client_id": app.client_id, "client_secret": app.client_secret, "username": format!("{}@example.org", alice.username), "password": "correct horse battery", "scope": "read"});
    assert_eq!(s.post("/oauth/token", None, grant.clone()).await.expect(400)["error"], "unsupported_grant_type");
    let meta = s.get("/.well-known/oauth-authorization-server", None).await.ok();
    assert_eq!(meta["grant_types_supported"], json!(["authorization_code", "client_credentials"]));
    assert_eq!(meta["token_endpoint"], format!("{}/oauth/token", s.url));

    let s2 = TestServer::start_with(|c| c.oauth.password_grant = true).await;
    let bob = s2.user("bob").await;
    let app2 = s2.app().clone();
    let token = s2
        .post("/oauth/token", None, json!({"grant_type": "password", "client_id": app2.client_id, "client_secret": app2.client_secret, "username": format!("{}@example.org", bob.username), "password": "correct horse battery", "scope": "read"}))
        .await
        .ok();
    assert_eq!(token["scope"], "read");
    let bad = s2
        .post("/oauth/token", None, json!({"grant_type": "password", "client_id": app2.client_id, "client_secret": app2.client_secret, "username": bob.username, "password": "wrong password"}))
        .await
        .expect(400);
    assert_eq!(bad["error"], "invalid_grant");
    let meta = s2.get("/.well-known/oauth-authorization-server", None).await.ok();
    assert!(meta["grant_types_supported"].as_array().expect("list").contains(&json!("password")));
    s.assert_in_step().await;
}

#[tokio::test]
async fn revoked_tokens_stop_working() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let app = s.app().clone();
    s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.ok();
    // Another app's credentials cannot revoke it.
    let other = s.register_app("read", "urn:ietf:wg:oauth:2.0:oob").await;
    s.post(
        "/oauth/revoke",
        None,
        json!({"client_id": other.client_id, "client_secret": "wrong", "token": alice.token}),
    )
    .await
    .expect(403);
    s.post(
        "/oauth/revoke",
        None,
        json!({"client_id": app.client_id, "client_secret": app.client_secret, "token": alice.token}),
    )
    .await
    .ok();
    let gone = s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.expect(401);
    assert_eq!(gone["error"], "The access token is invalid");
    s.assert_in_step().await;
}

#[tokio::test]
async fn scopes_are_enforced_per_endpoint() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let app = s.register_app("read write follow", "urn:ietf:wg:oauth:2.0:oob").await;
    let html = consent(
        &s,
        &app.client_id,
        "urn:ietf:wg:oauth:2.0:oob",
        "read:statuses write:favourites",
        &alice.username,
        &[],
    )
    .await
    .text()
    .await
    .expect("html");
    let token = s
        .post(
            "/oauth/token",
            None,
            json!({"grant_type": "authorization_code", "client_id": app.client_id, "client_secret": app.client_secret, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "code": code_from_page(&html)}),
        )
        .await
        .ok();
    let narrow = token["access_token"].as_str().expect("token").to_string();
    let status = s.post_text(&alice, "hello", "public").await;
    // read:statuses allows the home timeline; write:favourites allows favouriting.
    s.get("/api/v1/timelines/home", Some(&narrow)).await.ok();
    s.post(&format!("/api/v1/statuses/{status}/favourite"), Some(&narrow), Value::Null).await.ok();
    // Nothing else.
    let refused = s.post("/api/v1/statuses", Some(&narrow), json!({"status": "x"})).await.expect(403);
    assert_eq!(refused["error"], "This action is outside the authorized scopes");
    s.get("/api/v1/notifications", Some(&narrow)).await.expect(403);
    s.get("/api/v1/accounts/verify_credentials", Some(&narrow)).await.expect(403);
    s.post(&format!("/api/v1/accounts/{}/follow", alice.id), Some(&narrow), Value::Null).await.expect(403);
    // A scope the app was not registered for cannot be granted.
    let page = s
        .http
        .get(format!(
            "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=push",
            s.url, app.client_id
        ))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 400);
    // An app token is not a user.
    let app_only = s.get("/api/v1/timelines/home", Some(&app.app_token)).await.expect(422);
    assert_eq!(app_only["error"], "This method requires an authenticated user");
    s.assert_in_step().await;
}

#[tokio::test]
async fn registration_validates_and_follows_the_mode() {
    let s = TestServer::start().await;
    let app = s.app().clone();
    let register = |body: Value| {
        let s = &s;
        let token = app.app_token.clone();
        async move { s.post("/api/v1/accounts", Some(&token), body).await }
    };
    let name = unique("carol");
    let ok = register(json!({"username": name, "email": format!("{name}@example.org"), "password": "long enough pw", "agreement": "1"})).await.ok();
    assert_eq!(ok["token_type"], "Bearer");
    let taken = register(
        json!({"username": name, "email": "other@example.org", "password": "long enough pw", "agreement": true}),
    )
    .await
    .expect(422);
    assert_eq!(taken["details"]["username"][0]["error"], "ERR_TAKEN");
    let short =
        register(json!({"username": unique("d"), "email": "d@example.org", "password": "short", "agreement": true}))
            .await
            .expect(422);
    assert_eq!(short["details"]["password"][0]["error"], "ERR_TOO_SHORT");
    register(
        json!({"username": "bad name!", "email": "e@example.org", "password": "long enough pw", "agreement": true}),
    )
    .await
    .expect(422);
    register(
        json!({"username": unique("f"), "email": "not-an-email", "password": "long enough pw", "agreement": true}),
    )
    .await
    .expect(422);
    register(json!({"username": unique("g"), "email": "g@example.org", "password": "long enough pw"}))
        .await
        .expect(422);
    // Without a token there is no registration.
    s.post(
        "/api/v1/accounts",
        None,
        json!({"username": "h", "email": "h@example.org", "password": "long enough pw", "agreement": true}),
    )
    .await
    .expect(401);

    // Approval mode: the account exists but gets a clear 403 until approved.
    let s = TestServer::start_with(|c| c.registrations.mode = Some(RegistrationsMode::Approval)).await;
    let instance = s.get("/api/v2/instance", None).await.ok();
    assert_eq!(instance["registrations"]["approval_required"], true);
    let pending = s
        .post(
            "/api/v1/accounts",
            Some(&s.app().app_token),
            json!({"username": "pending", "email": "p@example.org", "password": "long enough pw", "agreement": true}),
        )
        .await
        .ok();
    let token = pending["access_token"].as_str().expect("token").to_string();
    let refused = s.get("/api/v1/accounts/verify_credentials", Some(&token)).await.expect(403);
    assert_eq!(refused["error"], "Your login is currently pending approval");
    let services = &s.running.services;
    let account = services.accounts.find_by_username("pending").await.expect("account");
    services
        .accounts
        .admin_update(account.id, parley_app::AdminUpdate { approved: Some(true), ..Default::default() })
        .await
        .expect("approve");
    s.get("/api/v1/accounts/verify_credentials", Some(&token)).await.ok();

    // Closed: nobody.
    let s = TestServer::start_with(|c| c.registrations.mode = Some(RegistrationsMode::Closed)).await;
    s.post(
        "/api/v1/accounts",
        Some(&s.app().app_token),
        json!({"username": "x", "email": "x@example.org", "password": "long enough pw", "agreement": true}),
    )
    .await
    .expect(403);
    s.assert_in_step().await;
}

#[tokio::test]
async fn password_reset_and_suspension_revoke_every_token() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let services = &s.running.services;
    let account = services.accounts.find_by_username(&alice.username).await.expect("account");
    services.accounts.reset_password(account.id, "a brand new password".into()).await.expect("reset");
    s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.expect(401);

    let bob = s.user("bob").await;
    let account = services.accounts.find_by_username(&bob.username).await.expect("account");
    services
        .accounts
        .admin_update(account.id, parley_app::AdminUpdate { suspended: Some(true), ..Default::default() })
        .await
        .expect("suspend");
    s.get("/api/v1/accounts/verify_credentials", Some(&bob.token)).await.expect(401);
    s.get(&format!("/api/v1/accounts/{}", bob.id), None).await.expect(404);
    s.assert_in_step().await;
}

#[tokio::test]
async fn tokens_are_stored_hashed() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    if common::on_postgres() {
        eprintln!("tokens_are_stored_hashed reads the SQLite file: not run on PostgreSQL");
        return;
    }
    let db = std::fs::read(s.data_dir().join("parley.sqlite3")).expect("db");
    let wal = std::fs::read(s.data_dir().join("parley.sqlite3-wal")).unwrap_or_default();
    for bytes in [db, wal] {
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(&alice.token), "the plain token is on disk");
        assert!(!text.contains("correct horse battery"), "the plain password is on disk");
    }
    s.assert_in_step().await;
}

#[tokio::test]
async fn a_password_reset_from_the_cli_ends_sessions_of_a_running_server_within_moments() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    // The identity is now cached by the server.
    s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.ok();
    s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.ok();
    run_cli(&s, &["admin", "account", "reset-password", &alice.username, "--password", "another long password"]);
    // Another process's revocation is seen within the store's re-check
    // interval (20 ms); allow far more for a loaded machine, never forever.
    let started = std::time::Instant::now();
    loop {
        let status = s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.status.as_u16();
        if status == 401 {
            break;
        }
        assert_eq!(status, 200);
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "the reset token still works after 2 s");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let gone = s.get("/api/v1/accounts/verify_credentials", Some(&alice.token)).await.expect(401);
    assert_eq!(gone["error"], "The access token is invalid");
    s.assert_in_step().await;
}

#[tokio::test]
async fn an_organisation_set_from_the_cli_shows_on_a_running_server_within_moments() {
    let s = TestServer::start().await;
    let alice = s.user("alice").await;
    let path = format!("/api/v1/accounts/{}", alice.id);
    // The account is now in the server's entity cache.
    let before = s.get(&path, None).await.expect(200);
    assert_eq!(before["organisation"], serde_json::Value::Null);
    run_cli(&s, &["admin", "account", "organisation", &alice.username, "Embassy of Testland"]);
    // Another process's account change moves the authentication generation,
    // which the server re-reads at least every 20 ms.
    let started = std::time::Instant::now();
    loop {
        let now = s.get(&path, None).await.expect(200);
        if now["organisation"] == "Embassy of Testland" {
            break;
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "still {now} after 2 s");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    s.assert_in_step().await;
}

/// Runs the `parley` CLI on the test server's data directory, as another process.
fn run_cli(s: &TestServer, args: &[&str]) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(args)
        .args(s.instance_args())
        .env("RUST_LOG", "warn")
        .output()
        .expect("cli runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
