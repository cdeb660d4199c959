//! The background worker that keeps the history index current: every second, or at once when
//! woken, one [`HistoryIndex::catch_up`] pass on a blocking thread. Errors are logged and retried
//! at the next pass (the database stays the truth; the index only lags).

use std::sync::Arc;
use std::time::Duration;

use crate::history::index::HistoryIndex;
use crate::platform::db::DbPool;
use crate::platform::jobs::runner::{Worker, blocking};

/// Longest wait between passes when nobody wakes the worker.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// Catches the index up with new timeline events.
pub struct HistoryWorker {
    pub index: Arc<HistoryIndex>,
    pub pool: DbPool,
}

impl Worker for HistoryWorker {
    fn name(&self) -> &'static str {
        "history index"
    }

    fn interval(&self) -> Duration {
        INTERVAL
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        let (i, p) = (self.index.clone(), self.pool.clone());
        let r = blocking(move || i.catch_up(&p)).await?;
        if r.refreshed > 0 {
            tracing::debug!(cases = r.refreshed, "History index caught up");
        }
        Ok(r.more)
    }
}
