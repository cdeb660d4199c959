//! What the packet worker and the re-issue/withdraw actions need from the settings.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cases::images::ImageStore;
use crate::platform::db::DbPool;
use crate::platform::pdf::Signer;
use crate::platform::storage::Storage;

/// Service name and base URL, for emails.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    /// The service's name, e.g. "LACRIS"; printed as the packet's issuer.
    pub name: String,
    /// Base URL of the desk, for links in emails (no trailing slash).
    pub base_url: String,
}

/// What the packet worker needs.
#[derive(Clone)]
pub struct ResultContext {
    /// Database connections.
    pub pool: DbPool,
    /// Where the probe images are kept.
    pub images: ImageStore,
    /// The desk's data folder; packets go to `<data_dir>/packets/`.
    pub data_dir: PathBuf,
    /// Service name and base URL, for the packet and its email.
    pub service: ServiceInfo,
    /// Whether one examiner's review may conclude a probe (`face.single_examiner_allowed`).
    pub single_examiner_allowed: bool,
    /// The packet signing key.
    pub signer: Arc<Signer>,
    /// Woken after a packet email is queued.
    pub mail_wake: Option<Arc<tokio::sync::Notify>>,
    /// Lease under which a claimed packet job is held (`jobs.lease_seconds`).
    pub job_lease: std::time::Duration,
}

impl ResultContext {
    /// The context for `settings`, signing with `signer`; no mail worker to wake.
    ///
    /// Errors: `storage.backend` cannot be used with this database ([`crate::config::Settings::file_store`]).
    pub fn from_settings(
        pool: DbPool,
        settings: &crate::config::Settings,
        signer: Arc<Signer>,
    ) -> anyhow::Result<ResultContext> {
        Ok(ResultContext {
            images: ImageStore::new(settings.file_store(&pool)?),
            pool,
            data_dir: settings.data_dir.clone(),
            service: ServiceInfo {
                name: settings.service.name.clone(),
                base_url: settings.service.base_url.clone(),
            },
            single_examiner_allowed: settings.face.single_examiner_allowed,
            signer,
            mail_wake: None,
            job_lease: settings.jobs.lease(),
        })
    }

    /// The store packets are written to (`packets/<packet id>.pdf`), beside the images.
    pub fn storage(&self) -> &Storage {
        self.images.storage()
    }
}
