//! The background task that keeps the history index current: every second, or at once when
//! woken, one [`HistoryIndex::catch_up`] pass on a blocking thread.

use std::sync::Arc;
use std::time::Duration;

use crate::history::index::HistoryIndex;
use crate::platform::db::DbPool;

/// Longest wait between passes when nobody wakes the task.
pub const INTERVAL: Duration = Duration::from_secs(1);

/// Runs until the process ends. Errors are logged and retried at the next pass; they never stop
/// the task (the database stays the truth; the index only lags).
pub async fn run(index: Arc<HistoryIndex>, pool: DbPool, wake: Arc<tokio::sync::Notify>) {
    loop {
        let (i, p) = (index.clone(), pool.clone());
        let more = match tokio::task::spawn_blocking(move || i.catch_up(&p)).await {
            Ok(Ok(r)) => {
                if r.refreshed > 0 {
                    tracing::debug!(cases = r.refreshed, "History index caught up");
                }
                r.more
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "History index catch-up failed");
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "History index task failed");
                false
            }
        };
        if !more {
            tokio::select! {
                _ = wake.notified() => {},
                _ = tokio::time::sleep(INTERVAL) => {},
            }
        }
    }
}
