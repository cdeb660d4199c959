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
