//! Once a day across every instance (issue 18, "Daily tasks"): before a daily task runs, its
//! instance claims the day by inserting `(task, day)` into `daily_runs`; the primary key
//! refuses every other instance, and a restart the same day finds the day taken. A run whose
//! instance died before finishing is taken over once its lease (`LEASE_MINUTES`) has passed.
//! The day is the UTC date.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};

use crate::platform::db::DbConnection;
use crate::platform::db::schema::daily_runs;

/// How long a claimed run may take before another instance may take it over (minutes).
pub const LEASE_MINUTES: i64 = 30;

/// The day a task runs for: `YYYY-MM-DD` (UTC) of `at`.
pub fn day_of(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// This process's name in `daily_runs.instance`: host name, process id and a random tag.
pub fn instance_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        let host = std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        format!(
            "{}:{}:{:08x}",
            if host.is_empty() { "frdesk" } else { &host },
            std::process::id(),
            rand::random::<u32>()
        )
    })
}

/// Claims the run of `task` for the day of `at` for `instance`. `true`: this instance runs it
/// now (it claimed the day, or took over a run whose lease passed unfinished); `false`: the
/// day is another run's. Call outside a transaction (a refused insert is the expected answer).
///
/// Errors: the database's.
pub fn claim(
    conn: &mut DbConnection,
    task: &str,
    instance: &str,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let day = day_of(at);
    let lease_until = at + chrono::Duration::minutes(LEASE_MINUTES);
    let inserted = diesel::insert_into(daily_runs::table)
        .values((
            daily_runs::task.eq(task),
            daily_runs::day.eq(&day),
            daily_runs::instance.eq(instance),
            daily_runs::started_at.eq(at),
            daily_runs::lease_until.eq(lease_until),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => return Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {}
        Err(e) => return Err(e),
    }
    let taken = diesel::update(
        daily_runs::table
            .filter(daily_runs::task.eq(task))
            .filter(daily_runs::day.eq(&day))
            .filter(daily_runs::finished_at.is_null())
            .filter(daily_runs::lease_until.lt(at)),
    )
    .set((
        daily_runs::instance.eq(instance),
        daily_runs::started_at.eq(at),
        daily_runs::lease_until.eq(lease_until),
    ))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Marks the day's run of `task` finished (by `instance`). Errors: the database's.
pub fn finish(
    conn: &mut DbConnection,
    task: &str,
    instance: &str,
    at: NaiveDateTime,
    day: &str,
) -> QueryResult<()> {
    diesel::update(
        daily_runs::table
            .filter(daily_runs::task.eq(task))
            .filter(daily_runs::day.eq(day))
            .filter(daily_runs::instance.eq(instance)),
    )
    .set(daily_runs::finished_at.eq(Some(at)))
    .execute(conn)
    .map(|_| ())
}

/// Runs `f` if this instance claims today's run of `task`, then marks it finished (also when
/// `f` failed: the failure is logged by the caller and the next day runs again). Returns
/// `None` when the day was another run's.
///
/// Errors: the claim's; what `f` returns.
pub fn run_once_today<T>(
    conn: &mut DbConnection,
    task: &str,
    f: impl FnOnce(&mut DbConnection) -> anyhow::Result<T>,
) -> anyhow::Result<Option<T>> {
    let at = crate::platform::time::now();
    let instance = instance_name();
    if !claim(conn, task, instance, at)? {
        return Ok(None);
    }
    let out = f(conn);
    finish(
        conn,
        task,
        instance,
        crate::platform::time::now(),
        &day_of(at),
    )?;
    out.map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_instance_runs_a_day_and_a_dead_ones_run_is_taken_over_after_its_lease() {
        let dir = tempfile::tempdir().unwrap();
        let pool =
            crate::platform::db::connect(&dir.path().join("t.sqlite3").to_string_lossy()).unwrap();
        let mut c = pool.get().unwrap();
        let t0 = chrono::NaiveDate::from_ymd_opt(2026, 12, 2)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        assert!(claim(&mut c, "retention", "a", t0).unwrap());
        assert!(!claim(&mut c, "retention", "b", t0).unwrap(), "taken");
        assert!(claim(&mut c, "digest", "b", t0).unwrap(), "per task");
        // a dies; within the lease nobody takes over, after it b does.
        let within = t0 + chrono::Duration::minutes(LEASE_MINUTES - 1);
        assert!(!claim(&mut c, "retention", "b", within).unwrap());
        let after = t0 + chrono::Duration::minutes(LEASE_MINUTES + 1);
        assert!(
            claim(&mut c, "retention", "b", after).unwrap(),
            "taken over"
        );
        finish(&mut c, "retention", "b", after, &day_of(t0)).unwrap();
        // Finished: nobody runs it again that day, however late.
        let late = t0 + chrono::Duration::hours(14);
        assert!(!claim(&mut c, "retention", "c", late).unwrap());
        // The next day is a new run.
        let next = t0 + chrono::Duration::days(1);
        assert!(claim(&mut c, "retention", "c", next).unwrap());
    }
}
