//! Leases: how a claimed row (a job, an outbox message) stays with the one instance working on
//! it, and passes to another when that instance stops.
//!
//! A claim writes `lease_until` (UTC, when the claim lapses) and adds 1 to `lease_epoch`. The
//! holder keeps the lease alive with a [`LeaseKeeper`], which renews it every third of the lease
//! (a conditional update on the claim's epoch) until the keeper is dropped. A row whose lease
//! lapsed may be claimed again by any instance, at any time: that is how the work of an instance
//! killed mid-job is taken over. Results are recorded only under the epoch of the claim that
//! produced them, so a holder that stalled past its lease cannot record anything once another
//! instance took the row over.
//!
//! Lease times are read from one clock for every instance: the database server's on PostgreSQL
//! ([`lease_clock`]), so clock skew between application hosts does not shorten or stretch a
//! lease; on SQLite (one host) the process's clock.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::platform::db::{DbConnection, DbPool};

/// Lease length when none is configured (`jobs.lease_seconds`, default 30).
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

#[derive(QueryableByName)]
struct ServerNow {
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    t: NaiveDateTime,
}

/// The time leases are measured against (UTC, microseconds): the PostgreSQL server's clock, or
/// this process's on SQLite.
///
/// Errors: the database's.
pub fn lease_clock(conn: &mut DbConnection) -> QueryResult<NaiveDateTime> {
    match conn {
        DbConnection::Pg(pg) => {
            diesel::sql_query("SELECT CAST(timezone('UTC', clock_timestamp()) AS TIMESTAMP) AS t")
                .get_result::<ServerNow>(pg)
                .map(|r| r.t)
        }
        DbConnection::Sqlite(_) => Ok(crate::platform::time::now()),
    }
}

/// When a lease of `lease` taken now ends: [`lease_clock`] + `lease`.
///
/// Errors: the database's.
pub fn lease_end(conn: &mut DbConnection, lease: Duration) -> QueryResult<NaiveDateTime> {
    let length = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
    Ok(lease_clock(conn)? + length)
}

/// Renews a lease in the background until dropped.
///
/// A thread of its own wakes every third of the lease and runs the renewal it was given (a
/// conditional update that returns whether the row is still this claim's). It stops when the
/// keeper is dropped, or when the renewal says the claim is gone (the work was cancelled or
/// taken over: [`LeaseKeeper::lost`] then turns true). A failed renewal (database unreachable)
/// is logged and retried at the next tick; if none succeeds within the lease, the lease lapses
/// and the conditional update that records the work fails — nothing is recorded twice.
///
/// Dropping does not wait for the thread: a renewal running at that moment finds the row
/// finished and changes nothing.
pub struct LeaseKeeper {
    stop: Option<mpsc::Sender<()>>,
    lost: Arc<AtomicBool>,
}

impl LeaseKeeper {
    /// Starts renewing the lease of `what` (e.g. `job`, `outbox`) row `id` every `lease / 3`
    /// (at least every 100 ms) with `renew`, on a connection of `pool`.
    pub fn start<F>(pool: DbPool, lease: Duration, what: &'static str, id: i64, renew: F) -> Self
    where
        F: Fn(&mut DbConnection) -> QueryResult<bool> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<()>();
        let lost = Arc::new(AtomicBool::new(false));
        let flag = lost.clone();
        let period = (lease / 3).max(Duration::from_millis(100));
        let spawned = std::thread::Builder::new()
            .name(format!("lease-{what}-{id}"))
            .spawn(move || {
                loop {
                    match rx.recv_timeout(period) {
                        Err(mpsc::RecvTimeoutError::Timeout) => {}
                        // Dropped (or told to stop): the work is over.
                        _ => return,
                    }
                    let renewed = pool
                        .get()
                        .map_err(|e| e.to_string())
                        .and_then(|mut c| renew(&mut c).map_err(|e| e.to_string()));
                    match renewed {
                        Ok(true) => {
                            tracing::debug!(what, id, "Lease renewed");
                        }
                        Ok(false) => {
                            if matches!(rx.try_recv(), Err(mpsc::TryRecvError::Disconnected)) {
                                return; // finished meanwhile
                            }
                            flag.store(true, Ordering::SeqCst);
                            tracing::info!(
                                what,
                                id,
                                "Lease no longer held (cancelled, or taken over after it lapsed): renewal stops"
                            );
                            return;
                        }
                        Err(error) => {
                            tracing::warn!(what, id, error = %error, "Failed to renew a lease; retrying at the next tick");
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            // Without renewal the lease lapses and the work may be taken over; this holder's
            // result is then refused. Safe, only slower.
            tracing::error!(what, id, error = %e, "Failed to start the lease renewal thread");
        }
        LeaseKeeper {
            stop: Some(tx),
            lost,
        }
    }

    /// Whether a renewal found the claim gone (cancelled, or taken over by another instance).
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread, which then ends.
        self.stop.take();
    }
}
