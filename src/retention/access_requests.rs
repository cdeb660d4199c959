//! Requests to open a logically deleted case, as stored (`deleted_access_requests`): pending,
//! approved (with the time the access ends) or refused.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::CaseId;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::deleted_access_requests as dar;

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

/// Awaiting a second person's decision.
pub const PENDING: &str = "pending";
/// Approved: the requester may open the case until `expires_at`.
pub const APPROVED: &str = "approved";
/// Refused by the second person.
pub const REFUSED: &str = "refused";

/// One request by a system administrator to open one logically deleted case.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = dar)]
pub struct AccessRequest {
    pub id: i64,
    pub case_id: i64,
    pub requester_id: i64,
    /// [`crate::domain::deleted_access::DeletedAccessCriterion::as_str`].
    pub criterion: String,
    pub reference: String,
    pub statement: String,
    pub requested_at: NaiveDateTime,
    /// [`PENDING`], [`APPROVED`] or [`REFUSED`].
    pub status: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub decision_note: Option<String>,
    pub expires_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = dar)]
pub struct NewAccessRequest {
    pub case_id: i64,
    pub requester_id: i64,
    pub criterion: String,
    pub reference: String,
    pub statement: String,
    pub requested_at: NaiveDateTime,
    pub status: String,
}

impl AccessRequest {
    /// Stores a new pending request; returns its id.
    pub fn insert(conn: &mut Conn, new: &NewAccessRequest) -> QResult<i64> {
        diesel::insert_into(dar::table)
            .values(new)
            .returning(dar::id)
            .get_result(conn)
    }
    pub fn find(conn: &mut Conn, id: i64) -> QResult<Option<AccessRequest>> {
        dar::table
            .find(id)
            .select(AccessRequest::as_select())
            .first(conn)
            .optional()
    }
    /// The approved request that lets `user` open `case` at `now`, if any (newest first).
    pub fn active_grant(
        conn: &mut Conn,
        user: i64,
        case: CaseId,
        now: NaiveDateTime,
    ) -> QResult<Option<AccessRequest>> {
        dar::table
            .filter(dar::case_id.eq(case.0))
            .filter(dar::requester_id.eq(user))
            .filter(dar::status.eq(APPROVED))
            .filter(dar::expires_at.gt(now))
            .order(dar::id.desc())
            .select(AccessRequest::as_select())
            .first(conn)
            .optional()
    }
    /// `user`'s requests for `case`, newest first.
    pub fn for_case_by(conn: &mut Conn, case: CaseId, user: i64) -> QResult<Vec<AccessRequest>> {
        dar::table
            .filter(dar::case_id.eq(case.0))
            .filter(dar::requester_id.eq(user))
            .order(dar::id.desc())
            .select(AccessRequest::as_select())
            .load(conn)
    }
    /// Every request awaiting a decision, oldest first.
    pub fn pending(conn: &mut Conn) -> QResult<Vec<AccessRequest>> {
        dar::table
            .filter(dar::status.eq(PENDING))
            .order(dar::id.asc())
            .select(AccessRequest::as_select())
            .load(conn)
    }
    /// Records the decision on a pending request; `false` if it was no longer pending.
    pub fn decide(
        conn: &mut Conn,
        id: i64,
        status: &str,
        by: i64,
        at: NaiveDateTime,
        note: Option<&str>,
        expires_at: Option<NaiveDateTime>,
    ) -> QResult<bool> {
        let n = diesel::update(dar::table.find(id).filter(dar::status.eq(PENDING)))
            .set((
                dar::status.eq(status),
                dar::decided_by.eq(Some(by)),
                dar::decided_at.eq(Some(at)),
                dar::decision_note.eq(note),
                dar::expires_at.eq(expires_at),
            ))
            .execute(conn)?;
        Ok(n == 1)
    }
    /// The criterion in the seed's words (the stored value if the code does not know it).
    pub fn criterion_label(&self) -> String {
        crate::domain::deleted_access::DeletedAccessCriterion::parse(&self.criterion)
            .map(|c| c.label().to_string())
            .unwrap_or_else(|| format!("unknown criterion {}", self.criterion))
    }
    /// `pending`, `approved until …`, `expired`, `refused`, as shown.
    pub fn status_label(&self, now: NaiveDateTime) -> String {
        match (self.status.as_str(), self.expires_at) {
            (APPROVED, Some(e)) if e > now => {
                format!(
                    "approved, open until {}",
                    crate::platform::time::fmt_time(&e)
                )
            }
            (APPROVED, _) => "approved, expired".into(),
            (REFUSED, _) => "refused".into(),
            (PENDING, _) => "awaiting a second person's approval".into(),
            (other, _) => format!("unknown status {other}"),
        }
    }
}
