//! Compliance-review decisions: their rows and the queries on them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::CaseId;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::decisions;
use crate::platform::time::label;

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

// ---------------------------------------------------------------- decisions

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = decisions)]
pub struct Decision {
    pub id: i64,
    pub case_id: i64,
    pub version: i32,
    pub reviewer_id: i64,
    pub decision: String,
    pub comment: String,
    pub checklist_json: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = decisions)]
pub struct NewDecision {
    pub case_id: i64,
    pub version: i32,
    pub reviewer_id: i64,
    pub decision: String,
    pub comment: String,
    pub checklist_json: String,
    pub created_at: NaiveDateTime,
}

impl Decision {
    pub fn insert(conn: &mut Conn, new: &NewDecision) -> QResult<()> {
        diesel::insert_into(decisions::table)
            .values(new)
            .execute(conn)
            .map(|_| ())
    }
    pub fn for_case(conn: &mut Conn, case: CaseId) -> QResult<Vec<Decision>> {
        decisions::table
            .filter(decisions::case_id.eq(case.0))
            .order(decisions::id.asc())
            .select(Decision::as_select())
            .load(conn)
    }
}

impl Decision {
    pub fn at_label(&self) -> String {
        label(&self.created_at)
    }
}
