//! A case's timeline: the events users see on the case page (every workflow change writes one).

use crate::cases::store::{NewTimelineEvent, TimelineEvent};
use crate::platform::db::DbConnection;
use crate::platform::time::now;

/// Adds an event to a case's timeline.
pub fn timeline(
    conn: &mut DbConnection,
    case_id: i64,
    actor: Option<(&crate::accounts::store::User, &str)>,
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
