//! Restricted access, an account state (LACRIS FR Policy "Accountability and Enforcement"):
//! an account is restricted while a corrective action of kind `restricted_access` against it
//! is open (see `crate::audit::corrective`). The workflow functions that a restriction refuses
//! ([`crate::domain::corrective::RESTRICTED_ACTIONS`]) call [`check`]; every page shows
//! [`Restriction::notice`].

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::corrective::{CorrectiveKind, Restricted};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::corrective_actions;
use crate::platform::time::fmt_time;

/// The open restriction of an account.
#[derive(Debug, Clone)]
pub struct Restriction {
    /// The corrective action's id.
    pub action_id: i64,
    pub since: NaiveDateTime,
    /// The audited month (`YYYY-MM`) whose finding led to it.
    pub month: String,
    pub description: String,
}

impl Restriction {
    /// The banner every page shows while the account is restricted.
    pub fn notice(&self) -> String {
        format!(
            "Your access is restricted since {} after a finding of the {} monthly audit: {} You may read, but not submit requests, start or review searches, adjudicate or download packets until a local administrator lifts the restriction (corrective action {}).",
            fmt_time(&self.since),
            self.month,
            self.description,
            self.action_id
        )
    }
}

/// The user's open restriction, if any (the oldest open `restricted_access` action).
///
/// Errors: database errors.
pub fn active(conn: &mut DbConnection, user_id: i64) -> QueryResult<Option<Restriction>> {
    let row: Option<(i64, NaiveDateTime, String, String)> = corrective_actions::table
        .filter(corrective_actions::user_id.eq(user_id))
        .filter(corrective_actions::kind.eq(CorrectiveKind::RestrictedAccess.as_str()))
        .filter(corrective_actions::completed_at.is_null())
        .order(corrective_actions::id.asc())
        .select((
            corrective_actions::id,
            corrective_actions::recorded_at,
            corrective_actions::month,
            corrective_actions::description,
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|(action_id, since, month, description)| Restriction {
            action_id,
            since,
            month,
            description,
        }),
    )
}

/// Refuses (inner `Err`) when the user's access is restricted. The caller audits the refusal.
///
/// Errors: the outer `Result` is a failed database query.
pub fn check(conn: &mut DbConnection, user_id: i64) -> QueryResult<Result<(), Restricted>> {
    Ok(match active(conn, user_id)? {
        Some(r) => Err(Restricted {
            action_id: r.action_id,
        }),
        None => Ok(()),
    })
}
