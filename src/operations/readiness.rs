//! Readiness of one instance (`GET /ready`): the database answers, the face engine and the
//! gallery index are loaded, and the index holds what the database holds. A load balancer
//! sends searches' users only to a ready instance; liveness (`GET /health`) asks nothing.
//!
//! The face engine and the gallery load on the first search job; a readiness check that finds
//! them not loaded starts that load (once) and answers "loading" until it is done, so an
//! instance behind a load balancer is warm before it takes traffic.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;

use crate::search::job::SearchContext;

/// How long one answer is reused, so a flood of `/ready` requests costs one check a second.
const CACHE: Duration = Duration::from_secs(1);
/// A failed load of the face models is tried again after this long.
const RETRY: Duration = Duration::from_secs(10);

/// Why an instance is not ready. `Display` is the short public reason: no host names, paths
/// or error texts (those go to the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotReady {
    #[error("database unreachable")]
    Database,
    #[error("face models and gallery loading")]
    Loading,
    #[error("face models unavailable")]
    ModelsUnavailable,
    #[error(
        "gallery index not current: {memory_templates} template(s) in memory, {database_templates} in the database"
    )]
    GalleryBehind {
        memory_templates: u64,
        database_templates: u64,
    },
    #[error("gallery unreadable")]
    Gallery,
}

/// The readiness check of one instance (shared by every request).
pub struct Readiness {
    search: SearchContext,
    /// A load started by a check is running.
    loading: Arc<AtomicBool>,
    /// When the last load started by a check failed (models missing or unreadable).
    failed: Arc<Mutex<Option<Instant>>>,
    /// The last answer and when it was made.
    last: Mutex<Option<(Instant, Result<(), NotReady>)>>,
}

impl Readiness {
    /// The check over the search worker's engines (`search` shares them with the worker).
    pub fn new(search: SearchContext) -> Readiness {
        Readiness {
            search,
            loading: Arc::new(AtomicBool::new(false)),
            failed: Arc::new(Mutex::new(None)),
            last: Mutex::new(None),
        }
    }

    /// Checks (blocking: database queries), or returns the answer of the last second.
    ///
    /// Errors: why the instance is not ready.
    pub fn check(&self) -> Result<(), NotReady> {
        if let Ok(last) = self.last.lock()
            && let Some((at, answer)) = last.as_ref()
            && at.elapsed() < CACHE
        {
            return answer.clone();
        }
        let answer = self.check_now();
        if let Ok(mut last) = self.last.lock() {
            *last = Some((Instant::now(), answer.clone()));
        }
        answer
    }

    fn check_now(&self) -> Result<(), NotReady> {
        let mut conn = self.search.pool.get().map_err(|e| {
            tracing::warn!(error = %e, "Not ready: no database connection");
            NotReady::Database
        })?;
        diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .map_err(|e| {
                tracing::warn!(error = %e, "Not ready: the database does not answer");
                NotReady::Database
            })?;
        drop(conn);
        let Some(engines) = self.search.loaded() else {
            return Err(self.start_loading());
        };
        let currency = engines.gallery.currency().map_err(|e| {
            tracing::warn!(error = %e, "Not ready: the gallery cannot be compared with the database");
            NotReady::Gallery
        })?;
        if !currency.is_current() {
            return Err(NotReady::GalleryBehind {
                memory_templates: currency.memory.0,
                database_templates: currency.database.0,
            });
        }
        Ok(())
    }

    /// Starts loading the engines on a thread of its own unless a load started here is
    /// running (or failed less than [`RETRY`] ago); returns the reason to report meanwhile.
    fn start_loading(&self) -> NotReady {
        let failed_at = self.failed.lock().ok().and_then(|f| *f);
        let reason = match failed_at {
            Some(at) if at.elapsed() < RETRY => return NotReady::ModelsUnavailable,
            Some(_) => NotReady::ModelsUnavailable,
            None => NotReady::Loading,
        };
        if self.loading.swap(true, Ordering::SeqCst) {
            return reason;
        }
        let (search, loading, failed) = (
            self.search.clone(),
            self.loading.clone(),
            self.failed.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("frdesk-warm-up".into())
            .spawn(move || {
                let result = search.engines();
                if let Ok(mut f) = failed.lock() {
                    *f = result.as_ref().err().map(|_| Instant::now());
                }
                if let Err(e) = result {
                    tracing::error!(error = %format!("{e:#}"), "Face engine and gallery failed to load");
                }
                loading.store(false, Ordering::SeqCst);
            });
        if let Err(e) = spawned {
            self.loading.store(false, Ordering::SeqCst);
            tracing::error!(error = %e, "Could not start loading the face engine");
            return NotReady::ModelsUnavailable;
        }
        reason
    }
}
