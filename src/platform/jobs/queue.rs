//! Persisted background jobs.
//!
//! A job is a row in `jobs`: queued in the same transaction as the action that needs it (e.g. a
//! search run queued by the approval), claimed by one worker of one instance ([`claim`]), and
//! completed by a conditional update in the transaction that stores its output ([`complete`]).
//! `dedupe_key` is unique, so queuing the same work twice is a no-op.
//!
//! Several instances may share the database (docs/OPERATIONS.md, "Jobs and the outbox across
//! instances"). A claim is a lease ([`super::lease`]): it sets `lease_until` = now + the lease
//! (`jobs.lease_seconds`, default 30 s) and adds 1 to `lease_epoch`; the worker renews it while
//! it works ([`keep_lease`]). A queued job, or a running one whose lease lapsed (its instance
//! was killed, or stalled), is claimable — by any instance, at any time, not only at start-up.
//! On PostgreSQL the claim reads with `FOR UPDATE SKIP LOCKED`, so concurrent claimers take
//! different jobs without waiting for each other; on SQLite the write transaction serialises
//! them. [`complete`] and [`fail`] succeed only under the epoch of the caller's claim (and while
//! the job runs), so a job completes at most once even when a slow holder wakes up after
//! another instance took its job over.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::platform::db::schema::jobs;
use crate::platform::db::{DbConnection, DbPool};
use crate::platform::jobs::lease::{LeaseKeeper, lease_clock, lease_end};
use crate::platform::time::now;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for a worker (new, or retried after a failure).
    Queued,
    /// Claimed by a worker.
    Running,
    /// Completed.
    Done,
    /// Failed [`MAX_ATTEMPTS`] times; given up.
    Failed,
    /// Cancelled before it completed (its case was withdrawn): never claimed again, and a
    /// worker still running it cannot complete it ([`complete`] needs `running`).
    Cancelled,
}

crate::text_state!(JobState, "job", {
    Queued => "queued",
    Running => "running",
    Done => "done",
    Failed => "failed",
    Cancelled => "cancelled",
});

/// Attempts before a job is marked failed for good.
pub const MAX_ATTEMPTS: i32 = 3;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = jobs)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub case_id: Option<i64>,
    pub dedupe_key: String,
    pub payload: String,
    /// An unknown stored state fails the load.
    #[diesel(deserialize_as = String)]
    pub status: JobState,
    pub attempts: i32,
    pub claimed_by: Option<String>,
    pub claimed_at: Option<NaiveDateTime>,
    pub result: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
    /// When the current claim's lease lapses (UTC; `None` when never claimed, or released).
    pub lease_until: Option<NaiveDateTime>,
    /// How many times the job was claimed; the claim that returned this `Job` is the only
    /// one that may complete it while the epoch stands.
    pub lease_epoch: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = jobs)]
struct NewJob<'a> {
    kind: &'a str,
    case_id: Option<i64>,
    dedupe_key: &'a str,
    payload: &'a str,
    status: &'a str,
    attempts: i32,
    created_at: NaiveDateTime,
}

/// Queues a job unless one with the same `dedupe_key` exists; returns whether it was queued.
/// Call inside the transaction of the action that needs it.
pub fn enqueue(
    conn: &mut DbConnection,
    kind: &str,
    case_id: Option<i64>,
    dedupe_key: &str,
    payload: &str,
) -> QueryResult<bool> {
    let exists = jobs::table
        .filter(jobs::dedupe_key.eq(dedupe_key))
        .count()
        .get_result::<i64>(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(jobs::table)
        .values(&NewJob {
            kind,
            case_id,
            dedupe_key,
            payload,
            status: JobState::Queued.as_str(),
            attempts: 0,
            created_at: now(),
        })
        .execute(conn)?;
    Ok(true)
}

/// Claims the oldest claimable job of one of `kinds` for `worker` (a name for the logs and the
/// `claimed_by` column) under a lease of `lease`; `None` when there is none.
///
/// Claimable: queued, or running with a lapsed lease (`lease_until` before now, or none — a
/// job claimed before leases existed). The claim sets the job running, adds 1 to `attempts`
/// and `lease_epoch`, and sets `lease_until` = now + `lease` (the lease clock,
/// [`super::lease::lease_clock`]). The returned job carries its epoch: pass it to [`complete`]
/// or [`fail`], and keep the lease alive with [`keep_lease`] while working.
///
/// Errors: the database's.
pub fn claim(
    conn: &mut DbConnection,
    kinds: &[&str],
    worker: &str,
    lease: Duration,
) -> QueryResult<Option<Job>> {
    crate::platform::db::write_tx(conn, |conn| {
        let at = lease_clock(conn)?;
        let until = at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
        let claimable = jobs::status.eq(JobState::Queued.as_str()).or(jobs::status
            .eq(JobState::Running.as_str())
            .and(jobs::lease_until.is_null().or(jobs::lease_until.lt(at))));
        // (id, status, holder) of the oldest claimable job.
        let next: Option<(i64, String, Option<String>)> = match conn {
            // SKIP LOCKED: a job another claimer is taking right now is passed over, not
            // waited for.
            DbConnection::Pg(pg) => jobs::table
                .filter(claimable)
                .filter(jobs::kind.eq_any(kinds))
                .order(jobs::id.asc())
                .select((jobs::id, jobs::status, jobs::claimed_by))
                .for_update()
                .skip_locked()
                .first(pg)
                .optional()?,
            DbConnection::Sqlite(sq) => jobs::table
                .filter(claimable)
                .filter(jobs::kind.eq_any(kinds))
                .order(jobs::id.asc())
                .select((jobs::id, jobs::status, jobs::claimed_by))
                .first(sq)
                .optional()?,
        };
        let Some((id, previous, holder)) = next else {
            return Ok(None);
        };
        let n = diesel::update(jobs::table.filter(jobs::id.eq(id)).filter(claimable))
            .set((
                jobs::status.eq(JobState::Running.as_str()),
                jobs::claimed_by.eq(Some(worker)),
                jobs::claimed_at.eq(Some(now())),
                jobs::attempts.eq(jobs::attempts + 1),
                jobs::lease_epoch.eq(jobs::lease_epoch + 1),
                jobs::lease_until.eq(Some(until)),
            ))
            .execute(conn)?;
        if n == 0 {
            return Ok(None);
        }
        let job = jobs::table.find(id).select(Job::as_select()).first(conn)?;
        if previous == JobState::Running.as_str() {
            tracing::warn!(
                job_id = job.id,
                kind = %job.kind,
                previous_holder = holder.as_deref().unwrap_or(""),
                worker,
                lease_epoch = job.lease_epoch,
                "Took over a job whose lease lapsed (its instance stopped or stalled)"
            );
        }
        Ok(Some(job))
    })
}

/// Extends the lease of `job`'s claim to now + `lease`, only while that claim stands (same
/// epoch, still running). Returns whether it did: `false` when the job was finished,
/// cancelled, or taken over by another claim.
///
/// Errors: the database's.
pub fn renew(
    conn: &mut DbConnection,
    job_id: i64,
    epoch: i64,
    lease: Duration,
) -> QueryResult<bool> {
    let until = lease_end(conn, lease)?;
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(job_id))
            .filter(jobs::lease_epoch.eq(epoch))
            .filter(jobs::status.eq(JobState::Running.as_str())),
    )
    .set(jobs::lease_until.eq(Some(until)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Renews `job`'s lease in the background (every `lease / 3`) until the returned keeper is
/// dropped: hold it for as long as the job is being worked on.
pub fn keep_lease(pool: &DbPool, job: &Job, lease: Duration) -> LeaseKeeper {
    let (id, epoch) = (job.id, job.lease_epoch);
    LeaseKeeper::start(pool.clone(), lease, "job", id, move |c| {
        renew(c, id, epoch, lease)
    })
}

/// Marks the job done with its result, only under the claim `job` came from (same
/// `lease_epoch`, still running). Returns whether it did; call inside the transaction that
/// stores the job's output, so output and completion commit together — and roll the
/// transaction back when this returns `false` (the job was cancelled, or another instance took
/// it over after this claim's lease lapsed).
///
/// Errors: the database's.
pub fn complete(conn: &mut DbConnection, job: &Job, result: &str) -> QueryResult<bool> {
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(job.id))
            .filter(jobs::status.eq(JobState::Running.as_str()))
            .filter(jobs::lease_epoch.eq(job.lease_epoch)),
    )
    .set((
        jobs::status.eq(JobState::Done.as_str()),
        jobs::result.eq(Some(result)),
        jobs::finished_at.eq(Some(now())),
        jobs::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a failed attempt under the claim `job` came from: queued again, or failed for good
/// after [`MAX_ATTEMPTS`]. Returns `true` only when this call gave the job up (the caller then
/// records the failure); `false` when it was queued again or the claim no longer stands.
///
/// Errors: the database's.
pub fn fail(conn: &mut DbConnection, job: &Job, error: &str) -> QueryResult<bool> {
    let give_up = job.attempts >= MAX_ATTEMPTS;
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(job.id))
            .filter(jobs::status.eq(JobState::Running.as_str()))
            .filter(jobs::lease_epoch.eq(job.lease_epoch)),
    )
    .set((
        jobs::status.eq(if give_up {
            JobState::Failed.as_str()
        } else {
            JobState::Queued.as_str()
        }),
        jobs::last_error.eq(Some(error)),
        jobs::claimed_by.eq(None::<String>),
        jobs::lease_until.eq(None::<NaiveDateTime>),
        jobs::finished_at.eq(if give_up { Some(now()) } else { None }),
    ))
    .execute(conn)?;
    Ok(give_up && n == 1)
}

/// Cancels every queued or running job of `kinds` for case `case_id`; returns how many. Call
/// inside the transaction that makes the jobs pointless (e.g. the case is withdrawn). A worker
/// running one of them finds at its finishing update that it no longer holds a running job, so
/// its transaction — with whatever result it meant to record — rolls back.
///
/// Errors: database errors.
pub fn cancel_for_case(
    conn: &mut DbConnection,
    case_id: i64,
    kinds: &[&str],
    why: &str,
) -> QueryResult<usize> {
    diesel::update(
        jobs::table
            .filter(jobs::case_id.eq(case_id))
            .filter(jobs::kind.eq_any(kinds))
            .filter(jobs::status.eq_any([JobState::Queued.as_str(), JobState::Running.as_str()])),
    )
    .set((
        jobs::status.eq(JobState::Cancelled.as_str()),
        jobs::claimed_by.eq(None::<String>),
        jobs::lease_until.eq(None::<NaiveDateTime>),
        jobs::last_error.eq(Some(why)),
        jobs::finished_at.eq(Some(now())),
    ))
    .execute(conn)
}

/// Jobs of a case, oldest first (for the case timeline).
pub fn for_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<Job>> {
    jobs::table
        .filter(jobs::case_id.eq(case_id))
        .order(jobs::id.asc())
        .select(Job::as_select())
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> (tempfile::TempDir, crate::platform::db::DbPool) {
        let dir = tempfile::tempdir().unwrap();
        let pool =
            crate::platform::db::connect(&dir.path().join("t.sqlite3").to_string_lossy()).unwrap();
        (dir, pool)
    }

    const LONG: Duration = Duration::from_secs(600);

    /// Claims for `worker` until a job is returned (a lease lapsing), at most ~5 s.
    fn claim_when_lapsed(c: &mut DbConnection, worker: &str) -> Job {
        for _ in 0..250 {
            if let Some(j) = claim(c, &["search"], worker, LONG).unwrap() {
                return j;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("no lease lapsed");
    }

    fn row(c: &mut DbConnection, id: i64) -> Job {
        jobs::table
            .find(id)
            .select(Job::as_select())
            .first(c)
            .unwrap()
    }

    #[test]
    fn a_live_lease_keeps_the_job_and_a_lapsed_one_passes_it_on_once() {
        let (_d, pool) = conn();
        let mut c = pool.get().unwrap();
        assert!(enqueue(&mut c, "search", None, "search:1:abc", "{}").unwrap());
        assert!(
            !enqueue(&mut c, "search", None, "search:1:abc", "{}").unwrap(),
            "deduplicated"
        );
        let first = claim(&mut c, &["search"], "w1", Duration::from_millis(300))
            .unwrap()
            .unwrap();
        assert_eq!((first.lease_epoch, first.attempts), (1, 1));
        assert!(first.lease_until.is_some());
        assert!(
            claim(&mut c, &["search"], "w2", LONG).unwrap().is_none(),
            "the lease is live: not claimable"
        );
        // w1 stops renewing (its instance died): once the lease lapses, w2 takes the job over.
        let second = claim_when_lapsed(&mut c, "w2");
        assert_eq!(second.id, first.id);
        assert_eq!((second.lease_epoch, second.attempts), (2, 2));
        assert_eq!(second.claimed_by.as_deref(), Some("w2"));
        // The first holder, revived, can neither complete, fail nor renew; nothing changes.
        assert!(!complete(&mut c, &first, "stale").unwrap());
        assert!(!fail(&mut c, &first, "stale").unwrap());
        assert!(!renew(&mut c, first.id, first.lease_epoch, LONG).unwrap());
        let now_row = row(&mut c, first.id);
        assert_eq!(now_row.status, JobState::Running);
        assert_eq!(now_row.lease_epoch, 2);
        assert_eq!(now_row.claimed_by.as_deref(), Some("w2"));
        assert_eq!(now_row.result, None);
        // The current holder completes it, once.
        assert!(renew(&mut c, second.id, second.lease_epoch, LONG).unwrap());
        assert!(complete(&mut c, &second, "ok").unwrap());
        assert!(!complete(&mut c, &second, "twice").unwrap());
        let done = row(&mut c, first.id);
        assert_eq!(done.status, JobState::Done);
        assert_eq!(done.result.as_deref(), Some("ok"));
        assert!(claim(&mut c, &["search"], "w3", LONG).unwrap().is_none());
    }

    #[test]
    fn a_kept_lease_outlives_its_length_and_lapses_when_dropped() {
        let (_d, pool) = conn();
        let mut c = pool.get().unwrap();
        enqueue(&mut c, "search", None, "k", "{}").unwrap();
        let lease = Duration::from_millis(600);
        let job = claim(&mut c, &["search"], "w1", lease).unwrap().unwrap();
        let first_end = job.lease_until.unwrap();
        let keeper = keep_lease(&pool, &job, lease);
        // Past the first lease's end, the job is still held: the keeper renewed it.
        for _ in 0..250 {
            if lease_clock(&mut c).unwrap() > first_end + chrono::Duration::milliseconds(100) {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(lease_clock(&mut c).unwrap() > first_end);
        assert!(row(&mut c, job.id).lease_until.unwrap() > first_end);
        assert!(claim(&mut c, &["search"], "w2", LONG).unwrap().is_none());
        assert!(!keeper.lost());
        // The holder stops (its keeper is dropped without completing): the lease lapses.
        drop(keeper);
        let taken = claim_when_lapsed(&mut c, "w2");
        assert_eq!((taken.id, taken.lease_epoch), (job.id, 2));
    }

    #[test]
    fn a_job_running_without_a_lease_is_claimable() {
        // A job claimed before leases existed (the migration leaves `lease_until` empty).
        let (_d, pool) = conn();
        let mut c = pool.get().unwrap();
        enqueue(&mut c, "search", None, "k", "{}").unwrap();
        diesel::update(jobs::table)
            .set((jobs::status.eq("running"), jobs::claimed_by.eq(Some("old"))))
            .execute(&mut c)
            .unwrap();
        let j = claim(&mut c, &["search"], "w", LONG).unwrap().unwrap();
        assert_eq!(j.lease_epoch, 1);
        assert_eq!(j.claimed_by.as_deref(), Some("w"));
    }

    #[test]
    fn a_cancelled_job_is_never_claimed_nor_completed() {
        let (_d, pool) = conn();
        let mut c = pool.get().unwrap();
        // The queue alone is under test: case 7 has no row, so this connection does not check
        // the jobs → cases foreign key (every pooled connection turns it on).
        diesel::sql_query("PRAGMA foreign_keys = OFF")
            .execute(&mut *c)
            .unwrap();
        enqueue(&mut c, "search", Some(7), "a", "{}").unwrap();
        enqueue(&mut c, "search", Some(7), "b", "{}").unwrap();
        let running = claim(&mut c, &["search"], "w", LONG).unwrap().unwrap();
        assert_eq!(
            cancel_for_case(&mut c, 7, &["search"], "withdrawn").unwrap(),
            2
        );
        assert!(!complete(&mut c, &running, "late").unwrap());
        assert!(!fail(&mut c, &running, "late").unwrap());
        assert!(!renew(&mut c, running.id, running.lease_epoch, LONG).unwrap());
        assert!(claim(&mut c, &["search"], "w", LONG).unwrap().is_none());
        assert!(
            for_case(&mut c, 7)
                .unwrap()
                .iter()
                .all(|j| j.status == JobState::Cancelled)
        );
    }

    #[test]
    fn failures_retry_then_give_up() {
        let (_d, pool) = conn();
        let mut c = pool.get().unwrap();
        enqueue(&mut c, "search", None, "k", "{}").unwrap();
        for attempt in 1..=MAX_ATTEMPTS {
            let j = claim(&mut c, &["search"], "w", LONG).unwrap().unwrap();
            let gave_up = fail(&mut c, &j, "boom").unwrap();
            assert_eq!(gave_up, attempt == MAX_ATTEMPTS);
        }
        assert!(claim(&mut c, &["search"], "w", LONG).unwrap().is_none());
    }
}
