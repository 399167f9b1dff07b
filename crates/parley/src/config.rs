//! Parley's configuration: defaults, then a TOML file, then `PARLEY_*`
//! environment variables (nested keys joined by `__`), then command-line
//! flags. Validated once at start; passed down as plain values, never global.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use parley_app::{InstanceTexts, RegistrationsMode, Settings};
use serde::{Deserialize, Serialize};

/// Every setting, with its default. `parley config example` prints [`EXAMPLE`].
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Where the database and keys live.
    pub data_dir: PathBuf,
    /// The public origin (scheme, host, port) every emitted URL starts with.
    /// Default: `http://` plus the listen address.
    pub public_url: Option<String>,
    /// Log filter (`info`, `parley=debug,tower_http=info`, …).
    pub log: String,
    pub instance: InstanceConfig,
    pub registrations: RegistrationsConfig,
    pub oauth: OAuthConfig,
    pub statuses: StatusesConfig,
    pub polls: PollsConfig,
    pub database: DatabaseConfig,
    pub storage: StorageConfig,
    pub http: HttpConfig,
    pub rate_limits: RateLimitsConfig,
}

/// Which database holds the instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `postgres://user@host/db` to use PostgreSQL (several nodes may share
    /// it); unset: SQLite in the data directory (the default).
    pub url: Option<String>,
    /// Connections each node keeps to PostgreSQL.
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig { url: None, max_connections: 16 }
    }
}

impl DatabaseConfig {
    /// The PostgreSQL URL, when one is set.
    pub fn postgres_url(&self) -> Option<&str> {
        self.url.as_deref().filter(|u| !u.is_empty())
    }
}

/// Rate limits (Mastodon's numbers: see `parley_api::rate_limit`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitsConfig {
    /// Off only for load tests.
    pub enabled: bool,
    /// Requests from loopback are not limited (as Mastodon: a local proxy, tools).
    /// Behind a local reverse proxy, list it in `trusted_proxies`, or every
    /// client looks like loopback.
    pub exempt_loopback: bool,
    /// Reverse proxies (addresses or networks, `10.0.0.0/8`) whose
    /// `X-Forwarded-For` names the client. Nobody else's is believed.
    pub trusted_proxies: Vec<String>,
    /// Sign-in attempts for one login in 5 minutes, from any addresses
    /// (Mastodon: 25), besides the 25 per address.
    pub sign_in_attempts_per_account: u32,
}

impl Default for RateLimitsConfig {
    fn default() -> Self {
        RateLimitsConfig {
            enabled: true,
            exempt_loopback: true,
            trusted_proxies: Vec::new(),
            sign_in_attempts_per_account: 25,
        }
    }
}

/// Limits on connections and requests, so a client that sends slowly, or
/// holds connections open, or sends a huge body, cannot exhaust the server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Seconds a connection may wait for a complete request head: from the
    /// moment it opens, or from the end of the previous response on a
    /// keep-alive connection, to the last header line. So it is also the
    /// keep-alive idle timeout (hyper starts the timer when a connection
    /// waits for a request); Apache's default idle keep-alive is 5 s.
    pub header_read_timeout_secs: u64,
    /// Seconds a request may take, from its head to the start of the answer
    /// (reading the body included; a stream already answering is not cut).
    pub request_timeout_secs: u64,
    /// Connections served at once (open streams included: each client holds one);
    /// further ones wait in the listen backlog. The process's open-file limit
    /// (`ulimit -n`) must allow as many, plus a few dozen.
    pub max_connections: usize,
    /// Largest request body, in bytes, on every endpoint (413 beyond it).
    pub max_body_bytes: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            header_read_timeout_secs: 10,
            request_timeout_secs: 30,
            max_connections: 16_384,
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// Poll limits, published under `configuration.polls` in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PollsConfig {
    /// Most options a poll may have (2 to 20).
    pub max_options: usize,
    /// Longest option, in characters.
    pub max_characters_per_option: usize,
    /// Shortest poll, in seconds (at least 1).
    pub min_expiration: i64,
    /// Longest poll, in seconds.
    pub max_expiration: i64,
}

impl Default for PollsConfig {
    fn default() -> Self {
        let l = parley_core::poll::PollLimits::default();
        PollsConfig {
            max_options: l.max_options,
            max_characters_per_option: l.max_characters_per_option,
            min_expiration: l.min_expiration,
            max_expiration: l.max_expiration,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InstanceConfig {
    pub title: String,
    pub description: String,
    pub contact_email: String,
    /// The server rules, in order (plain text each).
    pub rules: Vec<String>,
    /// The about page's longer description (plain text; blank lines part paragraphs).
    pub extended_description: String,
    pub privacy_policy: String,
    pub terms_of_service: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrationsConfig {
    /// `open`, `approval` or `closed`. Default: `open` while listening only on
    /// a loopback address (a local trial), `approval` otherwise.
    pub mode: Option<RegistrationsMode>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OAuthConfig {
    /// Allow the OAuth password grant (off by default, as in Mastodon 4.4).
    pub password_grant: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StatusesConfig {
    /// Longest status, in characters (URLs count 23).
    pub max_characters: usize,
    /// Longest status text (with its content warning), in bytes, whatever it
    /// counts as in characters: a URL counts 23 and a remote mention's
    /// domain nothing, so without this cap one status could store megabytes.
    pub max_bytes: usize,
    /// How far ahead `scheduled_at` must be, in seconds (Mastodon: 5 minutes).
    /// Lower only for tests.
    pub min_schedule_lead_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageConfig {
    /// Read-only SQLite connections in the pool.
    pub readers: usize,
    /// Hours of change records kept (a process that falls further behind
    /// forgets what it derived and starts over).
    pub change_retention_hours: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("parley-data"),
            public_url: None,
            log: "info".into(),
            instance: InstanceConfig::default(),
            registrations: RegistrationsConfig::default(),
            oauth: OAuthConfig::default(),
            statuses: StatusesConfig::default(),
            polls: PollsConfig::default(),
            database: DatabaseConfig::default(),
            storage: StorageConfig::default(),
            http: HttpConfig::default(),
            rate_limits: RateLimitsConfig::default(),
        }
    }
}

impl Default for InstanceConfig {
    fn default() -> Self {
        InstanceConfig {
            title: "Parley".into(),
            description: "Official voices, public questions, verifiable answers.".into(),
            contact_email: String::new(),
            rules: Vec::new(),
            extended_description: InstanceTexts::DEFAULT_EXTENDED_DESCRIPTION.into(),
            privacy_policy: InstanceTexts::DEFAULT_PRIVACY_POLICY.into(),
            terms_of_service: InstanceTexts::DEFAULT_TERMS_OF_SERVICE.into(),
        }
    }
}

impl Default for StatusesConfig {
    fn default() -> Self {
        // 500 characters of 4 bytes each take 2,000 bytes; 16 KiB leaves room
        // for several long URLs (a URL counts 23 characters however long).
        StatusesConfig { max_characters: 500, max_bytes: 16 * 1024, min_schedule_lead_secs: 300 }
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig { readers: 4, change_retention_hours: 168 }
    }
}

/// `PARLEY_*` variables that are not settings: read by the command line
/// itself, or by the test suites (which CI sets for every step, the
/// real-client runs that start this binary included).
const NON_SETTING_VARIABLES: &[&str] =
    &["PARLEY_CONFIG", "PARLEY_TEST_BACKEND", "PARLEY_TEST_POSTGRES_URL", "PARLEY_REQUIRE_POSTGRES"];

/// Values given on the command line, which win over everything else.
#[derive(Debug, Default, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<DatabaseOverride>,
}

/// `--database-url`.
#[derive(Debug, Default, Serialize)]
pub struct DatabaseOverride {
    pub url: String,
}

impl Config {
    /// Loads and validates the configuration.
    pub fn load(file: Option<&PathBuf>, overrides: Overrides) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                bail!("configuration file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file(path));
        }
        check_environment(std::env::vars_os().map(|(name, _)| name.to_string_lossy().into_owned()))?;
        let config: Config = figment
            .merge(Env::prefixed("PARLEY_").split("__").filter(|key| {
                !NON_SETTING_VARIABLES.iter().any(|name| name.strip_prefix("PARLEY_") == Some(key.as_str()))
            }))
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        config.validate()?;
        Ok(config)
    }

    /// The rate limits as the server applies them.
    pub fn rate_limit_settings(&self) -> anyhow::Result<parley_api::rate_limit::RateLimitSettings> {
        let trusted_proxies = self
            .rate_limits
            .trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| anyhow::anyhow!("rate_limits.trusted_proxies: {p:?} is not an address or a network"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if self.rate_limits.sign_in_attempts_per_account == 0 {
            anyhow::bail!("rate_limits.sign_in_attempts_per_account must be at least 1 (turn limits off with enabled)");
        }
        Ok(parley_api::rate_limit::RateLimitSettings {
            enabled: self.rate_limits.enabled,
            exempt_loopback: self.rate_limits.exempt_loopback,
            trusted_proxies,
            sign_in_attempts_per_account: self.rate_limits.sign_in_attempts_per_account,
        })
    }

    fn validate(&self) -> anyhow::Result<()> {
        self.rate_limit_settings()?;
        if let Some(url) = &self.public_url {
            let rest = url
                .strip_prefix("https://")
                .or_else(|| url.strip_prefix("http://"))
                .context("public_url must start with http:// or https://")?;
            let host = rest.trim_end_matches('/');
            if host.is_empty() || host.contains('/') || host.contains(char::is_whitespace) {
                bail!("public_url must be an origin like https://parley.example, without a path (got {url:?})");
            }
        }
        if !(1..=100_000).contains(&self.statuses.max_characters) {
            bail!("statuses.max_characters must be between 1 and 100000 (got {})", self.statuses.max_characters);
        }
        if self.statuses.min_schedule_lead_secs > 31_536_000 {
            bail!(
                "statuses.min_schedule_lead_secs must be at most 31536000 (a year; got {})",
                self.statuses.min_schedule_lead_secs
            );
        }
        let p = &self.polls;
        if !(2..=20).contains(&p.max_options) {
            bail!("polls.max_options must be between 2 and 20 (got {})", p.max_options);
        }
        if !(1..=1000).contains(&p.max_characters_per_option) {
            bail!("polls.max_characters_per_option must be between 1 and 1000 (got {})", p.max_characters_per_option);
        }
        if p.min_expiration < 1 || p.min_expiration > p.max_expiration || p.max_expiration > 315_576_000 {
            bail!(
                "polls.min_expiration must be at least 1 and at most polls.max_expiration, which is at most ten years (got {} and {})",
                p.min_expiration,
                p.max_expiration
            );
        }
        if self.statuses.max_bytes < 4 * self.statuses.max_characters || self.statuses.max_bytes > 1024 * 1024 {
            bail!(
                "statuses.max_bytes must be at least 4 × statuses.max_characters (room for any {} characters) and at most 1048576 (got {})",
                self.statuses.max_characters,
                self.statuses.max_bytes
            );
        }
        let h = &self.http;
        if !(1..=3600).contains(&h.header_read_timeout_secs) || !(1..=3600).contains(&h.request_timeout_secs) {
            bail!(
                "http.header_read_timeout_secs and http.request_timeout_secs must be between 1 and 3600 (got {} and {})",
                h.header_read_timeout_secs,
                h.request_timeout_secs
            );
        }
        if !(1..=1_000_000).contains(&h.max_connections) {
            bail!("http.max_connections must be between 1 and 1000000 (got {})", h.max_connections);
        }
        if h.max_body_bytes < 4 * self.statuses.max_bytes || h.max_body_bytes > 1024 * 1024 * 1024 {
            bail!(
                "http.max_body_bytes must be at least 4 × statuses.max_bytes and at most 1 GiB (got {})",
                h.max_body_bytes
            );
        }
        if let Some(url) = self.database.postgres_url()
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            bail!("database.url must be a postgres:// URL (unset for SQLite in the data directory)");
        }
        if !(2..=1000).contains(&self.database.max_connections) {
            bail!("database.max_connections must be between 2 and 1000 (got {})", self.database.max_connections);
        }
        if !(1..=64).contains(&self.storage.readers) {
            bail!("storage.readers must be between 1 and 64 (got {})", self.storage.readers);
        }
        if !(1..=87_600).contains(&self.storage.change_retention_hours) {
            bail!(
                "storage.change_retention_hours must be between 1 and 87600 (got {})",
                self.storage.change_retention_hours
            );
        }
        Ok(())
    }

    pub fn public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_string(),
            None => format!("http://{}", self.listen),
        }
    }

    /// Open for a local trial (loopback only), approval for anything reachable.
    pub fn registrations_mode(&self) -> RegistrationsMode {
        self.registrations.mode.unwrap_or(if self.listen.ip().is_loopback() {
            RegistrationsMode::Open
        } else {
            RegistrationsMode::Approval
        })
    }

    /// How the store opens the database.
    pub fn sqlite_options(&self) -> parley_store::sqlite::SqliteOptions {
        parley_store::sqlite::SqliteOptions {
            readers: self.storage.readers,
            change_retention: std::time::Duration::from_secs(self.storage.change_retention_hours * 3600),
            ..Default::default()
        }
    }

    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("parley.sqlite3")
    }

    pub fn settings(&self) -> Settings {
        let mut s = Settings::for_origin(&self.public_url());
        s.title = self.instance.title.clone();
        s.description = self.instance.description.clone();
        s.contact_email = self.instance.contact_email.clone();
        s.texts = InstanceTexts {
            rules: self.instance.rules.clone(),
            extended_description: self.instance.extended_description.clone(),
            privacy_policy: self.instance.privacy_policy.clone(),
            terms_of_service: self.instance.terms_of_service.clone(),
            updated_at: chrono::Utc::now(),
        };
        s.registrations = self.registrations_mode();
        s.password_grant = self.oauth.password_grant;
        s.max_characters = self.statuses.max_characters;
        s.max_status_bytes = self.statuses.max_bytes;
        s.min_schedule_lead = std::time::Duration::from_secs(self.statuses.min_schedule_lead_secs);
        s.poll_limits = parley_core::poll::PollLimits {
            max_options: self.polls.max_options,
            max_characters_per_option: self.polls.max_characters_per_option,
            min_expiration: self.polls.min_expiration,
            max_expiration: self.polls.max_expiration,
        };
        s
    }
}

/// Refuses any `PARLEY_*` variable that names no setting (a misspelling, or a
/// setting this version does not have), so it is not silently ignored.
fn check_environment(names: impl Iterator<Item = String>) -> anyhow::Result<()> {
    let known = known_keys();
    let mut unknown: Vec<String> = names
        .filter(|name| name.starts_with("PARLEY_") && !NON_SETTING_VARIABLES.contains(&name.as_str()))
        .filter(|name| {
            let key = name["PARLEY_".len()..].to_ascii_lowercase().replace("__", ".");
            !known.contains(&key)
        })
        .collect();
    unknown.sort();
    if !unknown.is_empty() {
        bail!(
            "unknown setting in the environment: {} (settings are PARLEY_ followed by a key, nested keys joined with __, e.g. PARLEY_POLLS__MAX_OPTIONS; `parley config example` lists them)",
            unknown.join(", ")
        );
    }
    Ok(())
}

/// Every key of [`Config`], tables and leaves, dotted (`polls`, `polls.max_options`).
fn known_keys() -> std::collections::HashSet<String> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut std::collections::HashSet<String>) {
        if let serde_json::Value::Object(map) = value {
            for (k, v) in map {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                walk(&key, v, out);
                out.insert(key);
            }
        }
    }
    let mut out = std::collections::HashSet::new();
    // Serialising plain data with string keys cannot fail; an empty set would refuse every variable.
    if let Ok(tree) = serde_json::to_value(Config::default()) {
        walk("", &tree, &mut out);
    }
    out
}

/// `parley config example`: every setting with its default, commented.
pub const EXAMPLE: &str = r#"# Parley configuration. Every key may also be set in the environment:
# PARLEY_LISTEN, PARLEY_DATA_DIR, PARLEY_PUBLIC_URL, and nested keys with "__",
# e.g. PARLEY_REGISTRATIONS__MODE=approval. Command-line flags win over both.

# Address and port to listen on.
listen = "127.0.0.1:8080"
# Where the SQLite database lives.
data_dir = "parley-data"
# The public origin every URL Parley emits starts with (statuses' url and uri,
# accounts' url, Link headers, OAuth metadata). Default: http:// + listen.
# public_url = "https://parley.example"
# Log filter: error, warn, info, debug, or per module (parley=debug,tower_http=info).
log = "info"

[instance]
title = "Parley"
description = "Official voices, public questions, verifiable answers."
contact_email = ""
# The server rules (/api/v1/instance/rules), in order.
rules = []
# Texts for /api/v1/instance/extended_description, /privacy_policy and
# /terms_of_service: plain text, a blank line between paragraphs. The
# defaults say that none has been written.
extended_description = "The administrator of this server has not written a longer description yet."
privacy_policy = "The administrator of this server has not published a privacy policy yet."
terms_of_service = "The administrator of this server has not published terms of service yet."

[registrations]
# open: anyone may sign up; approval: an admin approves each account
# (`parley admin account approve NAME`); closed: nobody.
# Default: open while listening only on loopback, approval otherwise.
# mode = "approval"

[oauth]
# The OAuth password grant (off by default, as in Mastodon 4.4).
password_grant = false

[statuses]
# Longest status in characters (each URL counts 23, as in Mastodon).
max_characters = 500

# Longest status text with its content warning, in bytes, however it counts
# in characters (a URL counts 23 characters whatever its length). At least
# 4 × max_characters.
max_bytes = 16384

# How far ahead a scheduled status (`scheduled_at`) must be, in seconds, as
# Mastodon's 5 minutes. Lower only for tests.
min_schedule_lead_secs = 300

[polls]
# Published under configuration.polls in /api/v2/instance. Up to 20 options;
# the shortest duration may be as low as 1 second (useful in tests).
max_options = 4
max_characters_per_option = 50
# Seconds.
min_expiration = 300
max_expiration = 2629746

[database]
# PostgreSQL instead of SQLite in the data directory: for several Parley nodes
# on one database (docs/scaling.md). Also PARLEY_DATABASE__URL or --database-url.
# url = "postgres://parley@127.0.0.1/parley"
# Connections each node keeps to PostgreSQL.
max_connections = 16

[storage]
# Read-only SQLite connections.
readers = 4
# Hours of change records kept in the change log.
change_retention_hours = 168

[http]
# Seconds a connection may wait for a complete request head, from opening or
# from the previous answer (so also the idle keep-alive timeout).
header_read_timeout_secs = 10
# Seconds a request may take until its answer starts (503 beyond).
request_timeout_secs = 30
# Connections served at once; more wait to be accepted.
max_connections = 16384
# Largest request body in bytes, on every endpoint (413 beyond).
max_body_bytes = 1048576

[rate_limits]
# Mastodon's limits (300 requests / 5 min per token or IP, 5 sign-ups / 30 min,
# 25 sign-in attempts / 5 min, 30 deletes / 30 min). Off only for load tests.
enabled = true
# Requests from loopback are not limited, as in Mastodon.
exempt_loopback = true
# Reverse proxies whose X-Forwarded-For is believed, e.g. ["127.0.0.1", "10.0.0.0/8"].
trusted_proxies = []
# Sign-in attempts for one login (username or e-mail) in 5 minutes, from any
# number of addresses, besides the 25 per address.
sign_in_attempts_per_account = 25
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_valid_and_matches_the_defaults() {
        let example: Config = Figment::from(Toml::string(EXAMPLE)).extract().unwrap_or_else(|e| panic!("{e}"));
        let defaults = Config::default();
        assert_eq!(example.listen, defaults.listen);
        assert_eq!(example.data_dir, defaults.data_dir);
        assert_eq!(example.statuses.max_characters, defaults.statuses.max_characters);
        assert_eq!(example.storage.readers, defaults.storage.readers);
        assert_eq!(example.database.url, defaults.database.url);
        assert_eq!(example.database.max_connections, defaults.database.max_connections);
        assert_eq!(example.storage.change_retention_hours, defaults.storage.change_retention_hours);
        assert_eq!(example.oauth.password_grant, defaults.oauth.password_grant);
        assert_eq!(example.polls.max_options, defaults.polls.max_options);
        assert_eq!(example.polls.max_expiration, defaults.polls.max_expiration);
    }

    #[test]
    fn registrations_default_to_open_only_on_loopback() {
        let mut c = Config::default();
        assert_eq!(c.registrations_mode(), RegistrationsMode::Open);
        c.listen = SocketAddr::from(([0, 0, 0, 0], 8080));
        assert_eq!(c.registrations_mode(), RegistrationsMode::Approval);
    }

    #[test]
    fn environment_variables_must_name_a_setting() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>().into_iter();
        let known = ["PARLEY_LISTEN", "PARLEY_POLLS__MAX_OPTIONS", "PARLEY_PUBLIC_URL", "PARLEY_REGISTRATIONS__MODE"];
        assert!(check_environment(names(&known)).is_ok());
        assert!(check_environment(names(&["PARLEY_CONFIG", "HOME", "PARLEYX"])).is_ok(), "not settings, not ours");
        let e = check_environment(names(&["PARLEY_RATE_LIMIT__ENABLED", "PARLEY_LISTEN"])).expect_err("unknown");
        assert!(e.to_string().contains("PARLEY_RATE_LIMIT__ENABLED"), "{e}");
        assert!(check_environment(names(&["PARLEY_DATABASE__URL"])).is_ok());
        assert!(check_environment(names(&["PARLEY_DATABASE__URI"])).is_err());
        assert!(check_environment(names(&["PARLEY_POLLS__MAX_OPTONS"])).is_err());
    }

    #[test]
    fn bad_values_are_refused_with_a_clear_message() {
        let mut c = Config { public_url: Some("ftp://x".into()), ..Config::default() };
        assert!(c.validate().is_err());
        c.public_url = Some("https://x.example/path".into());
        assert!(c.validate().is_err());
        c.public_url = Some("https://x.example".into());
        assert!(c.validate().is_ok());
        c.statuses.max_characters = 0;
        assert!(c.validate().is_err());
    }
}
