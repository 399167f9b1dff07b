//! `parley-bench`: the command line. Exit codes: 0 when every check passed,
//! 1 when a check failed (a tally that does not match, a post that never
//! arrived), 2 on an error that stopped the run.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use parley_bench::client::{ClientKind, Target};
use parley_bench::compare::{self, CompareArgs};
use parley_bench::register::{self, RegisterArgs};
use parley_bench::report::{Report, render_measurement};
use parley_bench::scenarios::{self, Scenario, parse_duration};
use parley_bench::{baseline, chart, load};

#[derive(Parser)]
#[command(
    name = "parley-bench",
    version,
    about = "Load generator for Mastodon-API servers, measured against a same-run baseline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(flatten)]
    Scenario(Scenario),
    /// Run one scenario against two servers alternately and report A/B pair by pair.
    Compare(CompareArgs),
    /// Register accounts through the API and write a tokens file.
    Register(RegisterArgs),
    /// Measure only the baseline server (to size the client: --threads, --client).
    Baseline(BaselineArgs),
    /// Wait until a server answers GET /api/v1/instance with 200 (for scripts).
    Wait {
        #[arg(long)]
        url: String,
        #[arg(long, value_parser = parse_duration, default_value = "30s")]
        timeout: Duration,
    },
    /// Print a free TCP port on 127.0.0.1 (for scripts).
    FreePort,
}

#[derive(Args)]
struct BaselineArgs {
    #[arg(long, short = 'c', default_value_t = 64)]
    concurrency: usize,
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    duration: Duration,
    #[arg(long, default_value_t = scenarios::default_threads())]
    threads: usize,
    #[arg(long, value_enum, default_value = "conn")]
    client: ClientKind,
    /// Runtime workers of the baseline server (0: one per core).
    #[arg(long, default_value_t = 0)]
    server_threads: usize,
    #[arg(long, short = 'q')]
    quiet: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("parley-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("parley-bench: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Returns whether every check passed.
async fn run(command: Command) -> anyhow::Result<bool> {
    match command {
        Command::Scenario(scenario) => {
            let report = scenarios::execute(&scenario).await?;
            output(&scenario, &report)?;
            Ok(report.ok)
        }
        Command::Compare(args) => compare::run(&args).await,
        Command::Register(args) => register::run(&args).await,
        Command::Baseline(args) => {
            // The runner's target is replaced by the baseline server's.
            let placeholder = Target::resolve("http://127.0.0.1:9", args.client).await?;
            let runner = load::Runner {
                target: placeholder,
                threads: args.threads.max(1),
                timeout: Duration::from_secs(30),
                progress: !args.quiet,
            };
            let (ms, notes) = baseline::measure(
                &runner,
                args.concurrency.max(1),
                args.duration,
                args.server_threads,
                std::time::Instant::now(),
            )
            .await?;
            println!(
                "baseline · concurrency {} · {} client thread(s) · {} client",
                args.concurrency,
                runner.threads,
                args.client.name()
            );
            for m in &ms {
                print!("{}", render_measurement(m));
            }
            for n in notes {
                println!("  note: {n}");
            }
            Ok(true)
        }
        Command::Wait { url, timeout } => wait(&url, timeout).await,
        Command::FreePort => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
            println!("{}", listener.local_addr()?.port());
            Ok(true)
        }
    }
}

fn output(scenario: &Scenario, report: &Report) -> anyhow::Result<()> {
    print!("{}", report.render());
    let args = scenario.run_args();
    if let Some(path) = &args.json {
        report.write_json(path)?;
    }
    if let Some(path) = &args.chart {
        chart::draw(report, path)?;
    }
    Ok(())
}

async fn wait(url: &str, timeout: Duration) -> anyhow::Result<bool> {
    let target = Target::resolve(url, ClientKind::Conn).await?;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        let answered = match parley_bench::api::Api::connect(&target).await {
            Ok(mut api) => api.call(http::Method::GET, "/api/v1/instance", None, None).await.ok(),
            Err(_) => None,
        };
        if matches!(answered, Some((200, _))) {
            return Ok(true);
        }
        if std::time::Instant::now() >= deadline {
            anyhow::bail!("{url} did not answer /api/v1/instance within {timeout:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
