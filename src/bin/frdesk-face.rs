//! Stand-alone entry point for the face engine's commands (`frdesk-face gallery …`,
//! `frdesk-face bench …`), the same subcommands `frdesk` wires at the top level.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "frdesk-face",
    about = "frdesk face engine: gallery and benchmarks"
)]
struct Cli {
    /// SQLite file or postgres:// URL.
    #[arg(
        long,
        env = "FRDESK_DATABASE_URL",
        default_value = "data/frdesk.sqlite",
        global = true
    )]
    database: String,
    /// Directory with manifest.toml, the ONNX models and lib/.
    #[arg(
        long,
        env = "FRDESK_MODELS_DIR",
        default_value = "models",
        global = true
    )]
    models: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    #[command(subcommand)]
    Gallery(frdesk::cli::gallery::GalleryCommand),
    #[command(subcommand)]
    Bench(frdesk::cli::bench::BenchCommand),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Gallery(cmd) => {
            if let Some(parent) = std::path::Path::new(&cli.database).parent()
                && !cli.database.contains("://")
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)?;
            }
            frdesk::cli::gallery::run(cmd, &cli.database, &cli.models)
        }
        Command::Bench(cmd) => frdesk::cli::bench::run(cmd, &cli.models),
    }
}
