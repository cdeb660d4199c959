//! `frdesk storage migrate --to database|filesystem` (issue 18, docs/DEPLOYMENT.md "Stored
//! files"): moves the desk's files between the data folder and PostgreSQL.

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Settings;
use crate::platform::storage::StorageKind;

#[derive(Subcommand)]
pub enum StorageCommand {
    /// Copy every stored file (images, gallery photos, packets, audit reports, disclosure
    /// files, policy documents) to the other back-end, checking each copy's SHA-256; then set
    /// `storage.backend` yourself. The source is left as it was; safe to run again.
    Migrate {
        /// The back-end to copy to: `database` or `filesystem`.
        #[arg(long)]
        to: String,
    },
}

pub fn run(settings: &Settings, cmd: StorageCommand) -> anyhow::Result<ExitCode> {
    let StorageCommand::Migrate { to } = cmd;
    let to = StorageKind::parse(&to).map_err(anyhow::Error::msg)?;
    let pool = settings.database.connect()?;
    let done = crate::operations::storage::run(settings, &pool, to)?;
    for (folder, n) in &done.files.copied {
        println!("{folder:<14} {n} file(s) copied and verified");
    }
    println!(
        "{} file(s) were already there; {} byte(s) copied; {} booking photo(s) copied into the store.",
        done.files.already_there, done.files.bytes, done.gallery_photos
    );
    if settings.storage.kind()? == to {
        println!("storage.backend is already \"{}\".", to.as_str());
    } else {
        println!(
            "Now set storage.backend = \"{}\" (env FRDESK_STORAGE__BACKEND) on every instance and restart them; the old copies can then be removed.",
            to.as_str()
        );
    }
    Ok(ExitCode::SUCCESS)
}
