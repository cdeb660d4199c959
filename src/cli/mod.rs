//! The `frdesk` command line (clap): `serve`, `migrate`, `agency`, `user`, `reason`, `demo`,
//! `reindex`, `retention`, `disclosure`, `backup`, `restore`, `keys`.

pub mod admin;
pub mod agency;
pub mod args;
pub mod audit;
pub mod backup;
pub mod bench;
pub mod demo;
pub mod disclosure;
pub mod gallery;
pub mod keys;
pub mod packet;
pub mod reason;
pub mod reindex;
pub mod retention;
pub mod storage;
pub mod walkthrough;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Settings;

#[derive(Parser)]
#[command(
    name = "frdesk",
    version,
    about = "Face-search request desk of a regional identification service"
)]
pub struct Cli {
    /// Config file (TOML). Default: ./frdesk.toml if it exists. FRDESK_* variables override it.
    #[arg(long, global = true, env = "FRDESK_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web server (migrations run first).
    Serve,
    /// Run pending database migrations, or revert them all.
    Migrate {
        /// Revert every migration (drops all frdesk tables and their data).
        #[arg(long)]
        revert_all: bool,
    },
    /// Manage agencies.
    #[command(subcommand)]
    Agency(admin::AgencyCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Search-reason compliance rules.
    #[command(subcommand)]
    Reason(reason::ReasonCommand),
    /// The booking-photo gallery: enroll, remove, stats, demo.
    #[command(subcommand)]
    Gallery(gallery::GalleryCommand),
    /// Accuracy and speed benchmarks of the face engine.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Demo data for a first look (`demo seed`), or the whole flow as a self-test
    /// (`demo --walkthrough`).
    Demo(demo::DemoArgs),
    /// Rebuild the case-history search index from the database.
    Reindex,
    /// Signed result packets: verify one that comes back.
    #[command(subcommand)]
    Packet(packet::PacketCommand),
    /// Disclosure packages for court: export one for a case, or verify one.
    #[command(subcommand)]
    Disclosure(disclosure::DisclosureCommand),
    /// Retention: logical deletion and purge of cases, audit-trail purge after five years,
    /// idle accounts.
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// A consistent backup of the database and the data folder while the server runs.
    Backup {
        /// A new or empty folder for the backup.
        #[arg(long)]
        out: PathBuf,
    },
    /// Restore a backup into the configured, empty data folder and database.
    Restore {
        /// The backup folder (with its manifest.json).
        #[arg(long)]
        from: PathBuf,
    },
    /// The desk's key fingerprints (one key set for every instance).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Where the desk keeps its files (`storage.backend`): move them to the other back-end.
    #[command(subcommand)]
    Storage(storage::StorageCommand),
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("FRDESK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // `reason check` needs no configuration or database.
    if let Command::Reason(cmd) = &cli.command {
        return reason::run(cmd);
    }
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve => serve(settings),
        Command::Migrate { revert_all } => {
            let pool = crate::platform::db::connect(&settings.database.url)?;
            let mut conn = pool.get()?;
            if revert_all {
                let n = crate::platform::db::revert_all_migrations(&mut conn)?;
                println!("Reverted {n} migration(s).");
            } else {
                let state = crate::platform::db::schema_state(&mut conn)?;
                println!(
                    "Database is up to date: {} migration(s), the newest {}.",
                    state.applied.len(),
                    state.known_latest.as_deref().unwrap_or("none")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Agency(cmd) => admin::run_agency(&settings, cmd),
        Command::User(cmd) => admin::run_user(&settings, cmd),
        Command::Demo(args) => match (args.walkthrough, args.command) {
            (true, None) => walkthrough::run(&settings),
            (false, Some(cmd)) => demo::run(&settings, cmd),
            _ => anyhow::bail!("Use either `frdesk demo seed` or `frdesk demo --walkthrough`"),
        },
        Command::Audit(cmd) => audit::run(&settings, cmd),
        Command::Gallery(cmd) => {
            gallery::run(cmd, &settings)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench(cmd) => {
            bench::run(cmd, &settings.face.models_dir)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reason(_) => Ok(ExitCode::SUCCESS),
        Command::Reindex => reindex::run(&settings),
        Command::Packet(cmd) => packet::run(&settings, cmd),
        Command::Retention(cmd) => retention::run(&settings, cmd),
        Command::Disclosure(cmd) => disclosure::run(&settings, cmd),
        Command::Backup { out } => backup::run_backup(&settings, &out),
        Command::Restore { from } => backup::run_restore(&settings, &from),
        Command::Keys(cmd) => keys::run(&settings, cmd),
        Command::Storage(cmd) => storage::run(&settings, cmd),
    }
}

fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let bind = settings.http.bind.clone();
        let data_dir = settings.data_dir.display().to_string();
        let backend = if settings.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        };
        let app = crate::Application::build(settings).await?;
        let metrics_port = app.metrics_port();
        tracing::info!(%bind, port = app.port(), ?metrics_port, %data_dir, backend, "frdesk is serving");
        app.run_until_stopped().await?;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
