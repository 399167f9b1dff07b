//! Test harness: a real Parley server on a free loopback port with its own
//! temporary data directory, and a small HTTP client that speaks to it.
//!
//! `PARLEY_TEST_BACKEND=postgres` runs the same tests on PostgreSQL: each
//! server gets a fresh database of its own (`PARLEY_TEST_POSTGRES_URL`
//! names the server; see `parley_store::postgres::testing`), dropped after.
#![allow(dead_code)]
// Test code: a failed setup step should stop the test with its message.
#![allow(clippy::expect_used)]

pub mod process;

use std::sync::atomic::{AtomicUsize, Ordering};

use parley::config::Config;
use parley::server::{Running, spawn};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub struct TestServer {
    pub running: Running,
    /// Where requests go (the real address).
    pub url: String,
    /// The configured public origin, which links and URLs use.
    pub public: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
    /// The PostgreSQL database, in the PostgreSQL mode.
    database: Option<SharedDatabase>,
    /// An app with every scope, for registrations.
    app: App,
}

#[derive(Clone, Debug)]
pub struct App {
    pub client_id: String,
    pub client_secret: String,
    pub app_token: String,
}

/// A signed-in user of the test server.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub username: String,
    pub token: String,
}

/// An HTTP answer: status, headers and the JSON body (or `Null`).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn ok(self) -> Value {
        assert!(self.status.is_success(), "expected success, got {}: {}", self.status, self.body);
        self.body
    }
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "body: {}", self.body);
        self.body
    }
    pub fn link(&self, rel: &str) -> Option<String> {
        let header = self.headers.get("link")?.to_str().ok()?;
        header.split(", ").find_map(|part| {
            let (url, r) = part.split_once("; ")?;
            (r == format!("rel=\"{rel}\"")).then(|| url.trim_matches(|c| c == '<' || c == '>').to_string())
        })
    }
}

/// Whether the tests run on PostgreSQL (`PARLEY_TEST_BACKEND=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("PARLEY_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

type SharedDatabase = std::sync::Arc<parley_store::postgres::testing::TestDatabase>;

/// The PostgreSQL database of a server in the PostgreSQL mode (which needs
/// the server): a fresh one, or, for a data directory a test chose itself
/// (to start a second server on the same instance), the one that directory
/// got first. Those are kept until the process ends, and dropped by the
/// next run (`TestDatabase::create` drops the databases of dead processes).
async fn test_database(data_dir: &std::path::Path, own_dir: &std::path::Path) -> Option<SharedDatabase> {
    static BY_DIR: std::sync::Mutex<Vec<(std::path::PathBuf, SharedDatabase)>> = std::sync::Mutex::new(Vec::new());
    if !on_postgres() {
        return None;
    }
    let chosen = data_dir != own_dir;
    if chosen && let Some((_, db)) = BY_DIR.lock().expect("registry").iter().find(|(d, _)| d == data_dir) {
        return Some(db.clone());
    }
    let database = parley_store::postgres::testing::TestDatabase::create("an HTTP test")
        .await
        .expect("PostgreSQL test database")
        .expect("PARLEY_TEST_BACKEND=postgres, but PostgreSQL cannot be reached");
    let database = std::sync::Arc::new(database);
    if chosen {
        BY_DIR.lock().expect("registry").push((data_dir.to_path_buf(), database.clone()));
    }
    Some(database)
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn unique(prefix: &str) -> String {
    format!("{prefix}{}", COUNTER.fetch_add(1, Ordering::Relaxed))
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after letting the test adjust the configuration.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        adjust(&mut config);
        let database = test_database(&config.data_dir, dir.path()).await;
        if config.database.url.is_none() {
            config.database.url = database.as_ref().map(|d| d.url().to_string());
        }
        let running = spawn(config).await.expect("server starts");
        let url = format!("http://{}", running.addr);
        let public = running.url.clone();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        let mut server = TestServer {
            running,
            url,
            public,
            http,
            _dir: dir,
            database,
            app: App { client_id: String::new(), client_secret: String::new(), app_token: String::new() },
        };
        server.app = server.register_app("read write follow push", "urn:ietf:wg:oauth:2.0:oob").await;
        server
    }

    /// Stops this server and serves the same data directory from a new one,
    /// with nothing in memory (on another port).
    pub async fn restart(self) -> TestServer {
        self.restart_after(std::time::Duration::ZERO).await
    }

    /// [`Self::restart`], with the server down for `pause` in between.
    pub async fn restart_after(self, pause: std::time::Duration) -> TestServer {
        let TestServer { running, http, _dir, database, app, .. } = self;
        running.stop().await;
        tokio::time::sleep(pause).await;
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            data_dir: _dir.path().to_path_buf(),
            ..Config::default()
        };
        config.database.url = database.as_ref().map(|d| d.url().to_string());
        let running = spawn(config).await.expect("server restarts");
        let url = format!("http://{}", running.addr);
        let public = running.url.clone();
        TestServer { running, url, public, http, _dir, database, app }
    }

    /// Rebuilds the server's derived state from the database and fails the
    /// test on any difference (see docs/development.md).
    pub async fn assert_in_step(&self) {
        let differences = self.running.services.check_derived_state().await.expect("check derived state");
        assert!(differences.is_empty(), "derived state differs from the database:\n{}", differences.join("\n"));
    }

    pub fn data_dir(&self) -> std::path::PathBuf {
        self._dir.path().to_path_buf()
    }

    /// The command-line arguments that point the `parley` CLI at this
    /// server's instance: its data directory, and its database on PostgreSQL.
    pub fn instance_args(&self) -> Vec<std::ffi::OsString> {
        let mut args = vec!["--data-dir".into(), self._dir.path().as_os_str().to_owned()];
        if let Some(db) = &self.database {
            args.extend(["--database-url".into(), db.url().into()]);
        }
        args
    }

    /// Sends a request; `body` goes as JSON unless it is `Null`.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Value) -> Reply {
        let mut req = self.http.request(method, format!("{}{}", self.url, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        Self::reply(resp).await
    }

    /// Sends a form-encoded body.
    pub async fn form(&self, method: Method, path: &str, token: Option<&str>, pairs: &[(&str, &str)]) -> Reply {
        let mut req = self.http.request(method, format!("{}{}", self.url, path)).form(pairs);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::reply(req.send().await.expect("request")).await
    }

    /// Sends raw bytes with a content type (malformed-input tests).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Reply {
        let mut req =
            self.http.request(method, format!("{}{}", self.url, path)).header("content-type", content_type).body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Self::reply(req.send().await.expect("request")).await
    }

    pub async fn reply(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Reply { status, headers, body }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.call(Method::GET, path, token, Value::Null).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.call(Method::POST, path, token, body).await
    }

    /// A `read` token for an existing account whose password is `password`
    /// (checked as signing in checks it).
    pub async fn token_for(&self, login: &str, password: &str) -> String {
        let services = &self.running.services;
        let account = services.auth.check_password(login, password).await.expect("the password signs in");
        let app =
            services.ctx.store.find_app_by_client_id(&self.app.client_id).await.expect("app").expect("app exists").0;
        let scopes = parley_core::scope::Scopes::parse("read").expect("scopes");
        services.auth.issue_user_token(&app, account.id, scopes).await.expect("token")
    }

    pub async fn register_app(&self, scopes: &str, redirect_uri: &str) -> App {
        let app = self
            .post(
                "/api/v1/apps",
                None,
                json!({"client_name": "tests", "redirect_uris": redirect_uri, "scopes": scopes}),
            )
            .await
            .ok();
        let client_id = app["client_id"].as_str().expect("client_id").to_string();
        let client_secret = app["client_secret"].as_str().expect("client_secret").to_string();
        let token = self
            .post(
                "/oauth/token",
                None,
                json!({"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret, "scope": scopes}),
            )
            .await
            .ok();
        App { client_id, client_secret, app_token: token["access_token"].as_str().expect("token").to_string() }
    }

    /// Registers a new account through the API and returns it signed in.
    pub async fn user(&self, prefix: &str) -> User {
        let username = unique(prefix);
        let token = self
            .post(
                "/api/v1/accounts",
                Some(&self.app.app_token),
                json!({"username": username, "email": format!("{username}@example.org"), "password": "correct horse battery", "agreement": true}),
            )
            .await
            .ok();
        let token = token["access_token"].as_str().expect("user token").to_string();
        let me = self.get("/api/v1/accounts/verify_credentials", Some(&token)).await.ok();
        User { id: me["id"].as_str().expect("id").to_string(), username, token }
    }

    /// `n` accounts made straight through the store (sharing one password
    /// hash, so no Argon2 per account), each with a user token.
    pub async fn bulk_users(&self, prefix: &str, n: usize) -> Vec<User> {
        let services = &self.running.services;
        let app =
            services.ctx.store.find_app_by_client_id(&self.app.client_id).await.expect("app").expect("app exists").0;
        let prefix = unique(prefix);
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..n {
            let services = services.clone();
            let app = app.clone();
            let username = format!("{prefix}_{i}");
            tasks.spawn(async move {
                let account = services
                    .ctx
                    .store
                    .create_account(parley_store::NewAccount {
                        username: username.clone(),
                        email: format!("{username}@bulk.example"),
                        password_hash: "unusable".into(),
                        display_name: String::new(),
                        role: parley_core::model::Role::User,
                        organisation: None,
                        approved: true,
                        created_at: None,
                    })
                    .await
                    .expect("account");
                let scopes = parley_core::scope::Scopes::parse("read write follow").expect("scopes");
                let token = services.auth.issue_user_token(&app, account.id, scopes).await.expect("token");
                (i, User { id: account.id.to_string(), username, token })
            });
        }
        let mut users: Vec<Option<User>> = vec![None; n];
        while let Some(done) = tasks.join_next().await {
            let (i, user) = done.expect("task");
            users[i] = Some(user);
        }
        users.into_iter().map(|u| u.expect("user")).collect()
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    pub async fn status(&self, user: &User, body: Value) -> Value {
        self.post("/api/v1/statuses", Some(&user.token), body).await.ok()
    }

    pub async fn post_text(&self, user: &User, text: &str, visibility: &str) -> String {
        let s = self.status(user, json!({"status": text, "visibility": visibility})).await;
        s["id"].as_str().expect("status id").to_string()
    }

    pub async fn follow(&self, user: &User, target: &User) {
        self.post(&format!("/api/v1/accounts/{}/follow", target.id), Some(&user.token), Value::Null).await.ok();
    }

    /// Walks a list through its `Link: rel="next"` headers, returning every ID.
    pub async fn walk(&self, first: &str, token: Option<&str>) -> Vec<String> {
        let mut ids = Vec::new();
        let mut reply = self.get(first, token).await;
        loop {
            let page = reply.body.as_array().cloned().unwrap_or_default();
            if page.is_empty() {
                return ids;
            }
            ids.extend(page.iter().map(|s| s["id"].as_str().unwrap_or_default().to_string()));
            let Some(next) = reply.link("next") else {
                return ids;
            };
            let path = next.strip_prefix(&self.public).expect("Link uses the public URL").to_string();
            reply = self.get(&path, token).await;
        }
    }
}

pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| a.iter().map(|s| s["id"].as_str().unwrap_or_default().to_string()).collect())
        .unwrap_or_default()
}

/// `parley admin polls verify` on the server's data directory, run while the
/// server runs (WAL lets a second process read): success and output.
pub fn verify_polls_cli(s: &TestServer) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(["admin", "polls", "verify"])
        .args(s.instance_args())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run parley admin polls verify");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}
