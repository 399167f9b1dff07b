//! `parley`: the command line. Each subcommand builds only what it needs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use parley::config::{Config, EXAMPLE, Overrides};
use parley::{admin, demo, server};
use parley_app::AdminUpdate;
use tracing_subscriber::EnvFilter;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "parley", version, about = "A Mastodon-compatible microblogging server with exact, citable polls")]
struct Cli {
    /// A TOML configuration file (see `parley config example`).
    #[arg(long, global = true, env = "PARLEY_CONFIG")]
    config: Option<PathBuf>,
    /// The data directory (overrides PARLEY_DATA_DIR and the file).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// A postgres:// URL: PostgreSQL instead of SQLite in the data directory
    /// (overrides PARLEY_DATABASE__URL and the file).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Mastodon API (and, later, the web interface).
    Serve(ServeArgs),
    /// Administer accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Configuration helpers.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Check a saved poll snapshot offline (exit 0 if valid, 1 if not).
    VerifySnapshot {
        file: PathBuf,
        /// The server's published key (base64), to pin; default: the key in the file.
        #[arg(long)]
        key: Option<String>,
    },
    /// Check a ballot receipt offline against a signed checkpoint and the
    /// inclusion proof for it (exit 0 if the ballot is in the log, 1 if not).
    VerifyReceipt {
        /// The receipt: the vote's answer, or its `parley_receipt`.
        receipt: PathBuf,
        /// The signed checkpoint (`…/log/checkpoint`), as text.
        #[arg(long)]
        checkpoint: PathBuf,
        /// The proof (`…/log/inclusion?leaf_index=&tree_size=`), JSON.
        #[arg(long)]
        proof: PathBuf,
        /// The server's published key (base64).
        #[arg(long)]
        key: String,
    },
    /// Check offline that a newer checkpoint extends an older one of the
    /// same poll's log (exit 0 if so, 1 if history was rewritten).
    VerifyConsistency {
        old: PathBuf,
        new: PathBuf,
        /// The proof (`…/log/consistency?from=&to=`), JSON; not needed for equal sizes.
        #[arg(long)]
        proof: Option<PathBuf>,
        /// The server's published key (base64).
        #[arg(long)]
        key: String,
    },
    /// Follow polls' transparency logs on a server: check each checkpoint is
    /// consistent with the last one seen, keep it, co-sign it and hand the
    /// cosignature back (exit 1 as soon as a log was rewritten).
    Witness {
        /// The server's URL (http://…).
        #[arg(long)]
        server: String,
        /// A poll to follow (repeat for several).
        #[arg(long = "poll", required = true)]
        polls: Vec<String>,
        /// Where the witness keeps its key and the checkpoints it saw.
        #[arg(long)]
        state: PathBuf,
        /// The witness's name in its cosignatures (e.g. its outlet's host).
        #[arg(long)]
        name: String,
        /// Seconds between looks.
        #[arg(long, default_value_t = 10)]
        interval: u64,
        /// Look once and exit.
        #[arg(long)]
        once: bool,
    },
    /// Fill the data directory with the demo story, then serve it.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// How many ordinary accounts to create.
        #[arg(long, default_value_t = 13_000)]
        voters: usize,
        /// Seed only; do not start the server.
        #[arg(long)]
        no_serve: bool,
    },
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on (overrides PARLEY_LISTEN).
    #[arg(long)]
    listen: Option<std::net::SocketAddr>,
    /// Public origin of this server (overrides PARLEY_PUBLIC_URL).
    #[arg(long)]
    public_url: Option<String>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Local accounts.
    Account {
        #[command(subcommand)]
        command: AccountCommand,
    },
    /// Polls.
    Polls {
        #[command(subcommand)]
        command: PollsCommand,
    },
    /// The keys snapshots and checkpoints are signed with.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Copy the database to a new FILE while the server runs (a consistent
    /// snapshot; never overwrites FILE). Restore by putting the copy in an
    /// empty data directory as `parley.sqlite3`.
    Backup { file: PathBuf },
    /// Fill the database with accounts, follows, statuses and tokens for load tests.
    Seed {
        #[arg(long, default_value_t = 100_000)]
        accounts: usize,
        /// Accounts each one follows besides the official one (power-law choice).
        #[arg(long, default_value_t = 50)]
        follows_per_account: usize,
        #[arg(long, default_value_t = 0)]
        statuses: usize,
        /// Username prefix (the accounts are PREFIX1, PREFIX2…, and PREFIX_official).
        #[arg(long, default_value = "seed")]
        prefix: String,
        /// Where to write the tokens (one per line, the official account first).
        #[arg(long, default_value = "tokens.txt")]
        tokens_out: PathBuf,
        /// Random seed, for repeatable follow graphs.
        #[arg(long, default_value_t = 2018)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum PollsCommand {
    /// Recount every poll from its vote rows and check every vote log's chain
    /// (exit 1 if anything drifted).
    Verify,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// List every signing key (the last one signs now).
    List,
    /// Start signing with a new key; the old ones stay published, so what
    /// they signed still verifies.
    Rotate,
}

#[derive(Subcommand)]
enum AccountCommand {
    /// Create an account (approved at once).
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        /// `admin` or `user`.
        #[arg(long, default_value = "user")]
        role: String,
        /// Mark the account as an official organisation with this label.
        #[arg(long)]
        organisation: Option<String>,
    },
    /// List every account.
    List,
    /// Approve an account waiting for approval.
    Approve { username: String },
    /// Suspend an account (its tokens are revoked); `--undo` lifts it.
    Suspend {
        username: String,
        #[arg(long)]
        undo: bool,
    },
    /// Set (or with no label, clear) the organisation an account speaks for.
    Organisation { username: String, label: Option<String> },
    /// Set a new password (generated if not given) and revoke every token.
    ResetPassword {
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print a commented example configuration.
    Example,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Command::Config { command: ConfigCommand::Example } = cli.command {
        print!("{EXAMPLE}");
        return std::process::ExitCode::SUCCESS;
    }
    if let Command::VerifySnapshot { file, key } = &cli.command {
        return match admin::verify_snapshot_file(file, key.as_deref()) {
            Ok(true) => std::process::ExitCode::SUCCESS,
            Ok(false) => std::process::ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::from(2)
            }
        };
    }
    let offline = match &cli.command {
        Command::VerifyReceipt { receipt, checkpoint, proof, key } => {
            Some(parley::verify::receipt(receipt, checkpoint, proof, key))
        }
        Command::VerifyConsistency { old, new, proof, key } => {
            Some(parley::verify::consistency(old, new, proof.as_deref(), key))
        }
        _ => None,
    };
    if let Some(result) = offline {
        return match result {
            Ok(true) => std::process::ExitCode::SUCCESS,
            Ok(false) => std::process::ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::from(2)
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Command::Witness { server, polls, state, name, interval, once } = cli.command {
        let args = parley::witness::WitnessArgs {
            server,
            polls,
            state,
            name,
            interval: std::time::Duration::from_secs(interval.max(1)),
            once,
        };
        return match runtime.block_on(parley::witness::run(args)) {
            Ok(true) => std::process::ExitCode::SUCCESS,
            Ok(false) => std::process::ExitCode::FAILURE,
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::from(2)
            }
        };
    }
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn overrides(cli: &Cli, serve: Option<&ServeArgs>) -> Overrides {
    Overrides {
        listen: serve.and_then(|s| s.listen),
        data_dir: cli.data_dir.clone(),
        public_url: serve.and_then(|s| s.public_url.clone()),
        database: cli.database_url.clone().map(|url| parley::config::DatabaseOverride { url }),
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let serve_args = match &cli.command {
        Command::Serve(s) | Command::Demo { serve: s, .. } => Some(s.clone()),
        _ => None,
    };
    let config = Config::load(cli.config.as_ref(), overrides(&cli, serve_args.as_ref()))?;
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(&config.log));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).init();
    match cli.command {
        Command::Serve(_) => server::serve(config).await,
        Command::Demo { voters, no_serve, .. } => {
            let (store, services) = server::open(&config).await?;
            let started = std::time::Instant::now();
            demo::seed(&services, store.store().as_ref(), voters).await?;
            println!(
                "demo ready in {:.1}s: official accounts @RusEmbUSA, @GK_Seattle, @StateDept, @PressSec, @MFA_Russia; sign in as \"demo\" with password {}",
                started.elapsed().as_secs_f64(),
                demo::DEMO_PASSWORD
            );
            drop(services);
            drop(store);
            if no_serve { Ok(()) } else { server::serve(config).await }
        }
        Command::Admin { command: AdminCommand::Account { command } } => {
            let (_store, services) = server::open(&config).await?;
            match command {
                AccountCommand::Create { username, email, password, role, organisation } => {
                    let admin = match role.as_str() {
                        "admin" => true,
                        "user" => false,
                        other => anyhow::bail!("--role must be admin or user (got {other:?})"),
                    };
                    admin::create(&services, admin::CreateArgs { username, email, password, admin, organisation }).await
                }
                AccountCommand::List => admin::list(&services).await,
                AccountCommand::Approve { username } => {
                    admin::update(&services, &username, AdminUpdate { approved: Some(true), ..Default::default() })
                        .await
                }
                AccountCommand::Suspend { username, undo } => {
                    admin::update(&services, &username, AdminUpdate { suspended: Some(!undo), ..Default::default() })
                        .await
                }
                AccountCommand::Organisation { username, label } => {
                    let label = label.map(|l| l.trim().to_string()).filter(|l| !l.is_empty());
                    admin::update(&services, &username, AdminUpdate { organisation: Some(label), ..Default::default() })
                        .await
                }
                AccountCommand::ResetPassword { username, password } => {
                    admin::reset_password(&services, &username, password).await
                }
            }
        }
        Command::Admin {
            command: AdminCommand::Seed { accounts, follows_per_account, statuses, prefix, tokens_out, seed },
        } => {
            let (_store, services) = server::open(&config).await?;
            parley::seed::seed(
                &services,
                parley::seed::SeedArgs { accounts, follows_per_account, statuses, prefix, tokens_out, seed },
            )
            .await
        }
        Command::Admin { command: AdminCommand::Keys { command } } => {
            let (_store, services) = server::open(&config).await?;
            match command {
                KeysCommand::List => admin::list_keys(&services).await,
                KeysCommand::Rotate => admin::rotate_key(&services).await,
            }
        }
        Command::Admin { command: AdminCommand::Backup { file } } => admin::backup(&config, file).await,
        Command::Admin { command: AdminCommand::Polls { command: PollsCommand::Verify } } => {
            let (_store, services) = server::open(&config).await?;
            if admin::verify_polls(&services).await? {
                Ok(())
            } else {
                anyhow::bail!("poll verification found problems")
            }
        }
        Command::Config { .. }
        | Command::VerifySnapshot { .. }
        | Command::VerifyReceipt { .. }
        | Command::VerifyConsistency { .. }
        | Command::Witness { .. } => Ok(()),
    }
}
