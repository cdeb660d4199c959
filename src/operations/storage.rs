//! `frdesk storage migrate --to database|filesystem` (issue 18, docs/DEPLOYMENT.md "Stored
//! files"): moves a deployment's files from one back-end to the other — every file of
//! [`crate::platform::storage::FOLDERS`], and, into the database, a copy of every booking photo
//! the gallery names by its path on disk — checking each copy's SHA-256. The source is left as
//! it was; the operator switches `storage.backend` afterwards (never automatically).

use anyhow::{Context, bail};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::audit::{self, Actor, Entry};
use crate::config::Settings;
use crate::gallery::Photo;
use crate::gallery::schema::gallery_photos;
use crate::platform::db::DbPool;
use crate::platform::storage::{MigrationReport, Storage, StorageKind, migrate};

/// What [`run`] did.
#[derive(Debug, Clone, Default)]
pub struct DeskMigration {
    /// The files of the desk's folders.
    pub files: MigrationReport,
    /// Booking photos copied from their enrolled files into the store (`--to database`).
    pub gallery_photos: usize,
}

/// Copies the desk's files to `to`, then (to the database) the booking photos named by their
/// path on disk, re-pointing their rows at the copy; records the audit record
/// `storage.migrate`. Can be run again after an interruption.
///
/// Errors: `to` needs PostgreSQL; a file cannot be read, written, or does not read back with
/// its SHA-256; a booking photo's file no longer matches the hash it was enrolled with.
pub fn run(settings: &Settings, pool: &DbPool, to: StorageKind) -> anyhow::Result<DeskMigration> {
    if !settings.is_postgres() {
        bail!(
            "Stored files move between the data folder and PostgreSQL; database.url is not a PostgreSQL database"
        );
    }
    let fs = Storage::filesystem(&settings.data_dir);
    let db = Storage::database(&settings.data_dir, pool.clone());
    let (from, target) = match to {
        StorageKind::Database => (&fs, &db),
        StorageKind::Filesystem => (&db, &fs),
    };
    let files = migrate(from, target)?;
    let mut gallery_photos = 0;
    let mut conn = pool.get().context("Failed to get a database connection")?;
    if to == StorageKind::Database {
        let paths: Vec<String> = gallery_photos::table
            .filter(gallery_photos::file_path.not_like(format!("{}%", Photo::STORE_PREFIX)))
            .select(gallery_photos::file_path)
            .distinct()
            .load(&mut conn)?;
        for path in paths {
            let hashes: Vec<String> = gallery_photos::table
                .filter(gallery_photos::file_path.eq(&path))
                .select(gallery_photos::sha256)
                .load(&mut conn)?;
            let bytes = std::fs::read(&path)
                .with_context(|| format!("Failed to read booking photo {path}"))?;
            let sha = hex::encode(Sha256::digest(&bytes));
            // A group photo's later faces are enrolled as `<sha256>:<n>`.
            if !hashes
                .iter()
                .all(|h| h.split(':').next() == Some(sha.as_str()))
            {
                bail!("Booking photo {path} no longer matches the SHA-256 it was enrolled with");
            }
            let ext = std::path::Path::new(&path)
                .extension()
                .map(|e| e.to_string_lossy().into_owned())
                .unwrap_or_default();
            let name = Photo::store_name(&sha, &ext);
            db.put(&name, &bytes)?;
            let back = db.get(&name)?.unwrap_or_default();
            if hex::encode(Sha256::digest(&back)) != sha {
                bail!(
                    "{} does not read back with the SHA-256 of {path}",
                    db.describe(&name)
                );
            }
            diesel::update(gallery_photos::table.filter(gallery_photos::file_path.eq(&path)))
                .set(gallery_photos::file_path.eq(&name))
                .execute(&mut conn)?;
            gallery_photos += 1;
        }
    }
    let summary = files
        .copied
        .iter()
        .map(|(f, n)| format!("{f} {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    audit::record(
        &mut conn,
        &Actor::cli("storage migrate"),
        Entry::new("storage.migrate", "storage", to.as_str()).details(format!(
            "to {}: {summary}; {} already there; {} bytes; {gallery_photos} booking photo(s) copied into the store; every copy's SHA-256 checked",
            to.as_str(),
            files.already_there,
            files.bytes
        )),
    )?;
    Ok(DeskMigration {
        files,
        gallery_photos,
    })
}
