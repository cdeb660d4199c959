//! The state every handler shares: the pool, settings, stores, keys and the workers' wake-ups.

use std::sync::Arc;

use crate::cases::images::ImageStore;
use crate::config::Settings;
use crate::platform::db::DbPool;

/// Shared state of the running application.
pub struct AppState {
    pub pool: DbPool,
    pub settings: Settings,
    pub images: ImageStore,
    pub mail_wake: Arc<tokio::sync::Notify>,
    pub search_wake: Arc<tokio::sync::Notify>,
    pub packet_wake: Arc<tokio::sync::Notify>,
    /// The packet signing key (generated on first run unless a PKCS#12 file is configured).
    pub signer: Arc<crate::platform::pdf::Signer>,
    /// The case-history search index and the wake-up of its catch-up task.
    pub history: Arc<crate::history::HistoryIndex>,
    pub history_wake: Arc<tokio::sync::Notify>,
    /// Login, form-post and public-report rate limits (`ratelimit.rs`).
    pub limits: Arc<crate::web::ratelimit::RateLimits>,
    /// Seals second-factor secrets (`<data_dir>/mfa.key`).
    pub mfa_key: Arc<crate::accounts::second_factor::MfaKey>,
    /// The `/ready` check (database, face engine, gallery index).
    pub readiness: Arc<crate::operations::readiness::Readiness>,
    /// Prometheus metrics, when `metrics.bind` is set.
    pub metrics: Option<Arc<crate::platform::metrics::Metrics>>,
}

impl AppState {
    /// The desk's file store (`storage.backend`): images, packets, reports, disclosures.
    pub fn storage(&self) -> &crate::platform::storage::Storage {
        self.images.storage()
    }
}

impl AppState {
    /// Wakes what a committed transaction left work for (see
    /// [`crate::platform::jobs::effects::AfterCommit`]).
    pub fn after_commit(&self, e: &crate::platform::jobs::effects::AfterCommit) {
        if e.mail {
            self.mail_queued();
        }
        if e.search {
            self.search_queued();
        }
        if e.packet {
            self.packet_queued();
        }
        for &case_id in &e.history {
            self.history_changed(case_id);
        }
    }

    /// Wakes the outbox sender (after a transaction that queued mail committed).
    fn mail_queued(&self) {
        self.mail_wake.notify_one();
    }

    /// Wakes the search worker (after a transaction that queued searches committed).
    fn search_queued(&self) {
        self.search_wake.notify_one();
    }

    /// Wakes the packet worker (after a review that may have concluded a case committed).
    fn packet_queued(&self) {
        self.packet_wake.notify_one();
    }

    /// Wakes the history index task (after a transaction that changed `case_id` committed).
    fn history_changed(&self, case_id: i64) {
        self.history.mark_dirty(case_id);
        self.history_wake.notify_one();
    }
}
