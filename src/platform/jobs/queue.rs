//! Persisted background jobs.
//!
//! A job is a row in `jobs`: queued in the same transaction as the action that needs it (e.g. a
//! search run queued by the approval), claimed by one worker in a transaction, and completed by a
//! conditional update that succeeds only for the worker holding the claim — so a job completes at
//! most once even if two workers race. A job left `running` by a process that died (`kill -9`)
//! is queued again when the next process starts ([`requeue_interrupted`]). `dedupe_key` is
//! unique, so queuing the same work twice is a no-op.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::platform::db::DbConnection;
use crate::platform::db::schema::jobs;
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

/// Claims the oldest queued job of one of `kinds` for `worker`; `None` when there is none.
pub fn claim(conn: &mut DbConnection, kinds: &[&str], worker: &str) -> QueryResult<Option<Job>> {
    crate::platform::db::write_tx(conn, |conn| {
        let next: Option<i64> = jobs::table
            .filter(jobs::status.eq(JobState::Queued.as_str()))
            .filter(jobs::kind.eq_any(kinds))
            .order(jobs::id.asc())
            .select(jobs::id)
            .first(conn)
            .optional()?;
        let Some(id) = next else { return Ok(None) };
        let n = diesel::update(
            jobs::table
                .filter(jobs::id.eq(id))
                .filter(jobs::status.eq(JobState::Queued.as_str())),
        )
        .set((
            jobs::status.eq(JobState::Running.as_str()),
            jobs::claimed_by.eq(Some(worker)),
            jobs::claimed_at.eq(Some(now())),
            jobs::attempts.eq(jobs::attempts + 1),
        ))
        .execute(conn)?;
        if n == 0 {
            return Ok(None);
        }
        jobs::table
            .find(id)
            .select(Job::as_select())
            .first(conn)
            .map(Some)
    })
}

/// Marks the job done with its result, only if `worker` still holds the claim. Returns whether
/// it did; call inside the transaction that stores the job's output, so output and completion
/// commit together.
pub fn complete(
    conn: &mut DbConnection,
    job_id: i64,
    worker: &str,
    result: &str,
) -> QueryResult<bool> {
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(job_id))
            .filter(jobs::status.eq(JobState::Running.as_str()))
            .filter(jobs::claimed_by.eq(worker)),
    )
    .set((
        jobs::status.eq(JobState::Done.as_str()),
        jobs::result.eq(Some(result)),
        jobs::finished_at.eq(Some(now())),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Records a failed attempt: queued again, or failed for good after [`MAX_ATTEMPTS`].
pub fn fail(conn: &mut DbConnection, job: &Job, worker: &str, error: &str) -> QueryResult<bool> {
    let give_up = job.attempts >= MAX_ATTEMPTS;
    let n = diesel::update(
        jobs::table
            .filter(jobs::id.eq(job.id))
            .filter(jobs::status.eq(JobState::Running.as_str()))
            .filter(jobs::claimed_by.eq(worker)),
    )
    .set((
        jobs::status.eq(if give_up {
            JobState::Failed.as_str()
        } else {
            JobState::Queued.as_str()
        }),
        jobs::last_error.eq(Some(error)),
        jobs::claimed_by.eq(None::<String>),
        jobs::finished_at.eq(if give_up { Some(now()) } else { None }),
    ))
    .execute(conn)?;
    Ok(give_up && n == 1)
}

/// Queues again every job left `running` by a process that is gone. Call once at start-up,
/// before any worker of this process claims jobs. Returns how many were re-queued.
pub fn requeue_interrupted(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::update(jobs::table.filter(jobs::status.eq(JobState::Running.as_str())))
        .set((
            jobs::status.eq(JobState::Queued.as_str()),
            jobs::claimed_by.eq(None::<String>),
            jobs::last_error.eq(Some("interrupted: the process stopped while the job ran")),
        ))
        .execute(conn)
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

    #[test]
    fn a_job_completes_once_and_survives_a_crash() {
        let (_d, pool) = conn();
        let mut c = pool.get().unwrap();
        assert!(enqueue(&mut c, "search", None, "search:1:abc", "{}").unwrap());
        assert!(
            !enqueue(&mut c, "search", None, "search:1:abc", "{}").unwrap(),
            "deduplicated"
        );
        let job = claim(&mut c, &["search"], "w1").unwrap().unwrap();
        assert!(
            claim(&mut c, &["search"], "w2").unwrap().is_none(),
            "claimed once"
        );
        // The process dies; the next one re-queues and another worker completes it.
        assert_eq!(requeue_interrupted(&mut c).unwrap(), 1);
        let again = claim(&mut c, &["search"], "w2").unwrap().unwrap();
        assert_eq!(again.id, job.id);
        assert_eq!(again.attempts, 2);
        // The stale worker cannot complete it; the claimant can, once.
        assert!(!complete(&mut c, job.id, "w1", "stale").unwrap());
        assert!(complete(&mut c, job.id, "w2", "ok").unwrap());
        assert!(!complete(&mut c, job.id, "w2", "twice").unwrap());
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
        let running = claim(&mut c, &["search"], "w").unwrap().unwrap();
        assert_eq!(
            cancel_for_case(&mut c, 7, &["search"], "withdrawn").unwrap(),
            2
        );
        assert!(!complete(&mut c, running.id, "w", "late").unwrap());
        assert!(!fail(&mut c, &running, "w", "late").unwrap());
        assert!(claim(&mut c, &["search"], "w").unwrap().is_none());
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
            let j = claim(&mut c, &["search"], "w").unwrap().unwrap();
            let gave_up = fail(&mut c, &j, "w", "boom").unwrap();
            assert_eq!(gave_up, attempt == MAX_ATTEMPTS);
        }
        assert!(claim(&mut c, &["search"], "w").unwrap().is_none());
    }
}
