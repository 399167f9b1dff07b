//! The real `parley` binary as a child process: a server that can be killed
//! with `SIGKILL` (crash tests), and the admin CLI.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_parley");

/// A `parley` command with only the environment it needs: the binary refuses
/// `PARLEY_*` names that are no setting, and tests read knobs of their own
/// (`PARLEY_CRASH_ROUNDS`…) from the same environment.
pub fn command(args: &[&str], data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(args).arg("--data-dir").arg(data_dir).env("RUST_LOG", "warn");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("PARLEY_") {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Runs an admin command to completion.
pub fn cli(args: &[&str], data_dir: &Path) -> Output {
    command(args, data_dir).output().expect("run the parley binary")
}

/// stdout and stderr of a finished command, for assertion messages.
pub fn output_text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A `parley serve` child process, killed (SIGKILL) and reaped on drop, so no
/// server outlives a failed assertion.
pub struct ServerProcess {
    child: Child,
    pub url: String,
}

impl ServerProcess {
    /// Starts `parley serve` on a free port and waits until it answers; its
    /// stderr is appended to `log`.
    pub async fn start(data: &Path, log: &Path) -> ServerProcess {
        for _attempt in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
            let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("server log");
            let child = command(&["serve", "--listen", &format!("127.0.0.1:{port}")], data)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log_file)
                .spawn()
                .expect("start parley serve");
            let mut server = ServerProcess { child, url: format!("http://127.0.0.1:{port}") };
            let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().expect("client");
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if server.child.try_wait().expect("child status").is_some() {
                    break; // Exited: most likely the port was taken meanwhile; try another.
                }
                if let Ok(r) = http.get(format!("{}/api/v1/instance", server.url)).send().await
                    && r.status().is_success()
                {
                    return server;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            server.kill();
        }
        panic!("parley serve did not start; its log:\n{}", std::fs::read_to_string(log).unwrap_or_default());
    }

    /// SIGKILL (what `Child::kill` sends on Unix) and reap.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
