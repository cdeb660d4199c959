//! The one loop every background worker runs in.
//!
//! A [`Worker`] does its work in passes. [`run`] calls [`Worker::pass`] until the process ends:
//! at once again while a pass reports more work, otherwise after [`Worker::interval`] or as soon
//! as the worker's wake-up is notified (a transaction that queued work for it committed). A
//! failed pass is logged with the worker's name and retried at the next pass; it never stops the
//! loop — the database is the truth and the work is still there.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

/// A background worker: what one pass does and how often it runs.
pub trait Worker: Send + 'static {
    /// Name in the logs, e.g. `search` or `outbox`.
    fn name(&self) -> &'static str;

    /// Longest wait between passes that found no more work.
    fn interval(&self) -> Duration;

    /// Wait before the first pass (e.g. the daily tasks let the server settle first).
    fn first_delay(&self) -> Duration {
        Duration::ZERO
    }

    /// One pass. `Ok(true)` when there may be more work right away (run again at once).
    ///
    /// Errors: anything that failed this pass; it is logged and the pass runs again later.
    fn pass(&mut self) -> impl Future<Output = anyhow::Result<bool>> + Send;
}

/// Runs `worker` until the process ends; `wake` cuts the wait between passes short.
pub async fn run<W: Worker>(worker: W, wake: Arc<Notify>) {
    run_measured(worker, wake, None).await;
}

/// [`run`], timing every pass (and counting failed ones) into `metrics` when given.
pub async fn run_measured<W: Worker>(
    mut worker: W,
    wake: Arc<Notify>,
    metrics: Option<Arc<crate::platform::metrics::Metrics>>,
) {
    let first = worker.first_delay();
    if !first.is_zero() {
        tokio::time::sleep(first).await;
    }
    loop {
        let start = std::time::Instant::now();
        let result = worker.pass().await;
        if let Some(m) = &metrics {
            let outcome = result.as_ref().map(|more| *more).map_err(|_| ());
            m.observe_pass(worker.name(), outcome, start.elapsed().as_secs_f64());
        }
        let more = match result {
            Ok(more) => more,
            Err(e) => {
                tracing::error!(worker = worker.name(), error = %format!("{e:#}"), "Background pass failed");
                false
            }
        };
        if !more {
            tokio::select! {
                _ = wake.notified() => {},
                _ = tokio::time::sleep(worker.interval()) => {},
            }
        }
    }
}

/// Runs blocking work (database, files, the face engine) on tokio's blocking pool.
///
/// Errors: what `f` returns, or the task's panic as an error.
pub async fn blocking<T, F>(f: F) -> anyhow::Result<T>
where
    F: FnOnce() -> anyhow::Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| anyhow::anyhow!("Background task failed: {e}"))?
}
