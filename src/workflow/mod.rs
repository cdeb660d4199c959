//! The request workflow: each transition checks who may do it and whether it is legal now, then
//! writes the new state, a timeline event and an audit record — and queues any email — in one
//! transaction.

pub mod account;
pub mod audit_report;
pub mod checklist;
pub mod examine;
pub mod requests;
pub mod result;
pub mod retention;
pub mod review;

use crate::db::DbConnection;
use crate::db::models::{NewTimelineEvent, TimelineEvent, now};

/// Starts a write transaction. On SQLite the first statement is a write, so the transaction
/// takes the write lock at once (waiting up to the busy timeout) instead of failing later with
/// `SQLITE_BUSY` when a read snapshot is upgraded.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    conn.transaction(|conn| {
        if matches!(conn, DbConnection::Sqlite(_)) {
            use diesel::RunQueryDsl;
            diesel::sql_query("UPDATE agencies SET active = active WHERE 1 = 0").execute(conn)?;
        }
        f(conn)
    })
}

/// Adds an event to a case's timeline.
pub fn timeline(
    conn: &mut DbConnection,
    case_id: i64,
    actor: Option<(&crate::db::models::User, &str)>,
    kind: &str,
    summary: impl Into<String>,
    comment: Option<String>,
) -> diesel::QueryResult<()> {
    let (actor_id, actor_name, actor_role) = match actor {
        Some((u, role)) => (Some(u.id), u.name.clone(), role.to_string()),
        None => (None, "System".to_string(), "system".to_string()),
    };
    TimelineEvent::insert(
        conn,
        &NewTimelineEvent {
            case_id,
            at: now(),
            actor_id,
            actor_name,
            actor_role,
            kind: kind.to_string(),
            summary: summary.into(),
            comment,
        },
    )
}

/// A date-time as shown to users: UTC, to the second.
pub fn fmt_time(t: &chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}
