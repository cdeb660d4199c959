//! Audit records: their rows and the queries on them (appending goes through the chain).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::{AgencyId, UserId};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::audit_records;

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

// ---------------------------------------------------------------- audit

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = audit_records)]
pub struct AuditRecord {
    pub id: i64,
    pub at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub user_email: String,
    pub role: String,
    pub agency_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub outcome: String,
    pub source_ip: String,
    pub user_agent: String,
    pub search_reason: Option<String>,
    pub details: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// The case the record is about (object type `case`, `probe_search` or `packet`), if any.
    /// Not covered by `hash` (see [`crate::audit::chain`]).
    pub case_id: Option<i64>,
    /// The record's place among its case's records: 1, 2, 3… in chain order, so a gap shows a
    /// removal (issue 17). `None` when `case_id` is.
    pub case_seq: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_records)]
pub struct NewAuditRecord {
    pub at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub user_email: String,
    pub role: String,
    pub agency_id: Option<i64>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub outcome: String,
    pub source_ip: String,
    pub user_agent: String,
    pub search_reason: Option<String>,
    pub details: Option<String>,
}

/// Filters for reading the audit trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub agency: Option<AgencyId>,
    pub action: Option<String>,
    pub object_id: Option<String>,
    pub user_id: Option<UserId>,
    pub limit: i64,
}

impl AuditRecord {
    /// The stored hash of record `id`.
    pub fn hash_of(conn: &mut Conn, id: i64) -> QResult<String> {
        audit_records::table
            .find(id)
            .select(audit_records::hash)
            .first(conn)
    }
    /// Failed logons of an account since `since` (for the lockout rule).
    pub fn failed_logins_since(
        conn: &mut Conn,
        user: UserId,
        since: NaiveDateTime,
    ) -> QResult<i64> {
        audit_records::table
            .filter(audit_records::user_id.eq(user.0))
            .filter(audit_records::action.eq("auth.login"))
            .filter(audit_records::outcome.eq("failed"))
            .filter(audit_records::at.ge(since))
            .count()
            .get_result(conn)
    }
    /// Records with id > `after`, oldest first, at most `limit` (for walking the chain).
    pub fn chain_page(conn: &mut Conn, after: i64, limit: i64) -> QResult<Vec<AuditRecord>> {
        audit_records::table
            .filter(audit_records::id.gt(after))
            .order(audit_records::id.asc())
            .limit(limit)
            .select(AuditRecord::as_select())
            .load(conn)
    }
    /// The fields that the hash covers, as an entry.
    pub fn entry(&self) -> NewAuditRecord {
        NewAuditRecord {
            at: self.at,
            user_id: self.user_id,
            user_email: self.user_email.clone(),
            role: self.role.clone(),
            agency_id: self.agency_id,
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            outcome: self.outcome.clone(),
            source_ip: self.source_ip.clone(),
            user_agent: self.user_agent.clone(),
            search_reason: self.search_reason.clone(),
            details: self.details.clone(),
        }
    }
    /// The details of `user_id`'s successful `subject.view` records whose details match the SQL
    /// LIKE pattern `details_like` (the examiner's workbench: which candidates were shown).
    pub fn subject_views(
        conn: &mut Conn,
        user_id: i64,
        details_like: &str,
    ) -> QResult<Vec<String>> {
        Ok(audit_records::table
            .filter(audit_records::user_id.eq(user_id))
            .filter(audit_records::action.eq("subject.view"))
            .filter(audit_records::outcome.eq("success"))
            .filter(audit_records::details.like(details_like))
            .select(audit_records::details)
            .load::<Option<String>>(conn)?
            .into_iter()
            .flatten()
            .collect())
    }

    /// Records matching the filter, newest first.
    pub fn list(conn: &mut Conn, f: &AuditFilter) -> QResult<Vec<AuditRecord>> {
        let mut q = audit_records::table.into_boxed();
        if let Some(a) = f.agency {
            q = q.filter(audit_records::agency_id.eq(a.0));
        }
        if let Some(a) = &f.action {
            q = q.filter(audit_records::action.eq(a.clone()));
        }
        if let Some(o) = &f.object_id {
            q = q.filter(audit_records::object_id.eq(o.clone()));
        }
        if let Some(u) = f.user_id {
            q = q.filter(audit_records::user_id.eq(u.0));
        }
        q.order(audit_records::id.desc())
            .limit(if f.limit > 0 { f.limit } else { 500 })
            .select(AuditRecord::as_select())
            .load(conn)
    }
}

/// The audit trail page's filters (issue 16): every field optional; `agency` is the reader's
/// scope (local administrators and auditors: their agency), not a user's choice.
#[derive(Debug, Clone, Default)]
pub struct TrailFilter {
    pub agency: Option<AgencyId>,
    /// The acting user's e-mail address, exactly (addresses are stored in lower case).
    pub user_email: Option<String>,
    /// The action, exactly (e.g. `case.view`).
    pub action: Option<String>,
    /// The case: records whose object is the case itself, one of its probe searches or one
    /// of its packets.
    pub case: Option<TrailCase>,
    /// `success`, `denied` or `failed`.
    pub outcome: Option<String>,
    /// First instant included.
    pub from: Option<NaiveDateTime>,
    /// First instant no longer included.
    pub to: Option<NaiveDateTime>,
}

/// A case's objects in the audit trail (see [`TrailFilter::case`]).
#[derive(Debug, Clone, Default)]
pub struct TrailCase {
    pub case_id: String,
    pub probe_searches: Vec<String>,
    pub packets: Vec<String>,
}

/// Which page of the trail: the newest, the records older than an id, or newer than one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrailPage {
    Newest,
    /// Records with a lower id (the next, older page).
    Before(i64),
    /// Records with a higher id (the previous, newer page).
    After(i64),
}

type Backend = <DbConnection as diesel::Connection>::Backend;

fn filtered<'a>(f: &'a TrailFilter) -> audit_records::BoxedQuery<'a, Backend> {
    let mut q = audit_records::table.into_boxed();
    if let Some(a) = f.agency {
        q = q.filter(audit_records::agency_id.eq(a.0));
    }
    if let Some(e) = &f.user_email {
        q = q.filter(audit_records::user_email.eq(e));
    }
    if let Some(a) = &f.action {
        q = q.filter(audit_records::action.eq(a));
    }
    if let Some(c) = &f.case {
        q = q.filter(
            audit_records::object_type
                .eq("case")
                .and(audit_records::object_id.eq(&c.case_id))
                .or(audit_records::object_type
                    .eq("probe_search")
                    .and(audit_records::object_id.eq_any(&c.probe_searches)))
                .or(audit_records::object_type
                    .eq("packet")
                    .and(audit_records::object_id.eq_any(&c.packets))),
        );
    }
    if let Some(o) = &f.outcome {
        q = q.filter(audit_records::outcome.eq(o));
    }
    if let Some(t) = f.from {
        q = q.filter(audit_records::at.ge(t));
    }
    if let Some(t) = f.to {
        q = q.filter(audit_records::at.lt(t));
    }
    q
}

impl AuditRecord {
    /// One page of at most `n` records matching `f`, newest first, by keyset on the id (no
    /// offset, so every page costs the same however deep).
    ///
    /// Errors: database errors.
    pub fn trail_page(
        conn: &mut Conn,
        f: &TrailFilter,
        page: TrailPage,
        n: i64,
    ) -> QResult<Vec<AuditRecord>> {
        let q = filtered(f).select(AuditRecord::as_select());
        match page {
            TrailPage::Newest => q.order(audit_records::id.desc()).limit(n).load(conn),
            TrailPage::Before(id) => q
                .filter(audit_records::id.lt(id))
                .order(audit_records::id.desc())
                .limit(n)
                .load(conn),
            TrailPage::After(id) => {
                let mut rows: Vec<AuditRecord> = q
                    .filter(audit_records::id.gt(id))
                    .order(audit_records::id.asc())
                    .limit(n)
                    .load(conn)?;
                rows.reverse();
                Ok(rows)
            }
        }
    }

    /// Whether any record matching `f` has an id in the direction of `page` from `id`
    /// (`Before`: lower, `After`: higher).
    ///
    /// Errors: database errors.
    pub fn trail_has(conn: &mut Conn, f: &TrailFilter, page: TrailPage) -> QResult<bool> {
        let q = filtered(f).select(audit_records::id);
        let found: Option<i64> = match page {
            TrailPage::Newest => q.first(conn).optional()?,
            TrailPage::Before(id) => q.filter(audit_records::id.lt(id)).first(conn).optional()?,
            TrailPage::After(id) => q.filter(audit_records::id.gt(id)).first(conn).optional()?,
        };
        Ok(found.is_some())
    }

    /// Number of records matching `f` with id ≤ `up_to`.
    ///
    /// Errors: database errors.
    pub fn trail_count(conn: &mut Conn, f: &TrailFilter, up_to: i64) -> QResult<i64> {
        filtered(f)
            .filter(audit_records::id.le(up_to))
            .count()
            .get_result(conn)
    }

    /// Every record of a case (`case_id`), in chain order. Errors: the database's.
    pub fn for_case(conn: &mut Conn, case_id: i64) -> QResult<Vec<AuditRecord>> {
        audit_records::table
            .filter(audit_records::case_id.eq(case_id))
            .order(audit_records::id.asc())
            .select(AuditRecord::as_select())
            .load(conn)
    }

    /// The record with this id, if any. Errors: the database's.
    pub fn by_id(conn: &mut Conn, id: i64) -> QResult<Option<AuditRecord>> {
        audit_records::table
            .find(id)
            .select(AuditRecord::as_select())
            .first(conn)
            .optional()
    }

    /// The highest record id (0 for an empty trail).
    ///
    /// Errors: database errors.
    pub fn max_id(conn: &mut Conn) -> QResult<i64> {
        Ok(audit_records::table
            .select(diesel::dsl::max(audit_records::id))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0))
    }
}

impl AuditRecord {
    pub fn at_label(&self) -> String {
        self.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
    pub fn reason_text(&self) -> String {
        self.search_reason.clone().unwrap_or_default()
    }
    pub fn details_text(&self) -> String {
        self.details.clone().unwrap_or_default()
    }
}
