//! Configuration is strict: a key Parley does not have, in the file or in the
//! environment, stops it at start with an error naming the key.
#![allow(clippy::expect_used)]

use std::time::{Duration, Instant};

use parley::config::{Config, Overrides};

fn load_toml(text: &str) -> anyhow::Result<Config> {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("parley.toml");
    std::fs::write(&path, text).expect("write");
    Config::load(Some(&path), Overrides::default())
}

#[test]
fn unknown_keys_in_the_file_are_refused_by_name() {
    let e = load_toml("[statuses]\nmax_charcters = 5\n").expect_err("a misspelt key");
    assert!(format!("{e:#}").contains("max_charcters"), "{e:#}");
    let e = load_toml("[rate_limit]\nenabled = true\n").expect_err("a section Parley does not have");
    assert!(format!("{e:#}").contains("rate_limit"), "{e:#}");
    let e = load_toml("[rate_limits]\ntrusted_proxies = [\"not an address\"]\n").expect_err("a bad proxy");
    assert!(format!("{e:#}").contains("not an address"), "{e:#}");
    let e = load_toml("databse = \"x\"\n").expect_err("a top-level key");
    assert!(format!("{e:#}").contains("databse"), "{e:#}");
    let ok = load_toml(
        "[statuses]\nmax_characters = 600\nmax_bytes = 20000\n[http]\nmax_connections = 10\n\
         [rate_limits]\nenabled = false\ntrusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\"]\n",
    )
    .expect("known keys");
    assert!(!ok.rate_limits.enabled);
    assert_eq!(ok.statuses.max_characters, 600);
    assert_eq!(ok.http.max_connections, 10);
}

/// Runs `parley serve` with one extra variable; its exit status and stderr
/// (or `None` if it was still running after a while, i.e. it started).
fn serve_with(variable: &str, value: &str, patience: Duration) -> Option<(i32, String)> {
    let dir = tempfile::tempdir().expect("dir");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .arg("serve")
        .env("PARLEY_DATA_DIR", dir.path())
        .env("PARLEY_LISTEN", "127.0.0.1:0")
        .env(variable, value)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run parley");
    let started = Instant::now();
    while started.elapsed() < patience {
        if let Some(status) = child.try_wait().expect("wait") {
            let mut stderr = String::new();
            if let Some(mut pipe) = child.stderr.take() {
                use std::io::Read;
                let _ = pipe.read_to_string(&mut stderr);
            }
            return Some((status.code().unwrap_or(-1), stderr));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn an_environment_variable_that_names_no_setting_stops_the_binary() {
    for variable in [
        "PARLEY_RATE_LIMITS__ENABLE",
        "PARLEY_RATE_LIMIT__ENABLED",
        "PARLEY_DATABASE__URI",
        "PARLEY_STATUSES__MAX_CHARCTERS",
    ] {
        let (code, stderr) = serve_with(variable, "1", Duration::from_secs(15))
            .unwrap_or_else(|| panic!("parley started despite {variable}"));
        assert_ne!(code, 0, "{variable}: {stderr}");
        assert!(stderr.contains(variable), "{variable} is named: {stderr}");
    }
    // A real setting still works (the server starts and keeps running).
    assert!(
        serve_with("PARLEY_STATUSES__MAX_CHARACTERS", "600", Duration::from_secs(3)).is_none(),
        "a known variable is accepted"
    );
}
