//! The audit anchor: where the chain starts again after the five-year purge.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::platform::db::DbConnection;
use crate::platform::db::schema::{audit_anchors, audit_purge_permits, audit_records};

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

// ---------------------------------------------------------------- audit anchor

/// Where the hash chain starts after a purge of old audit records.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable, serde::Serialize)]
#[diesel(table_name = audit_anchors)]
pub struct AuditAnchor {
    pub id: i64,
    /// The last purged record; the first remaining record is this id + 1.
    pub purged_through_id: i64,
    /// Hash of the last purged record: the `prev_hash` of the first remaining one.
    pub last_hash: String,
    pub cutoff: NaiveDateTime,
    pub records_purged: i64,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_anchors)]
pub struct NewAuditAnchor {
    pub purged_through_id: i64,
    pub last_hash: String,
    pub cutoff: NaiveDateTime,
    pub records_purged: i64,
    pub created_at: NaiveDateTime,
}

impl AuditAnchor {
    /// The newest anchor, if any purge ran.
    pub fn latest(conn: &mut Conn) -> QResult<Option<AuditAnchor>> {
        audit_anchors::table
            .order(audit_anchors::id.desc())
            .select(AuditAnchor::as_select())
            .first(conn)
            .optional()
    }
    pub fn insert(conn: &mut Conn, new: &NewAuditAnchor) -> QResult<()> {
        diesel::insert_into(audit_anchors::table)
            .values(new)
            .execute(conn)
            .map(|_| ())
    }
    /// The last id of the prefix of the chain written before `cutoff` (every record up to it
    /// is older), with its hash; `None` if the oldest record is not older.
    pub fn purgeable_prefix(
        conn: &mut Conn,
        cutoff: NaiveDateTime,
    ) -> QResult<Option<(i64, String, i64)>> {
        let first_kept: Option<i64> = audit_records::table
            .filter(audit_records::at.ge(cutoff))
            .select(diesel::dsl::min(audit_records::id))
            .first(conn)?;
        let mut q = audit_records::table
            .filter(audit_records::at.lt(cutoff))
            .into_boxed();
        if let Some(k) = first_kept {
            q = q.filter(audit_records::id.lt(k));
        }
        let rows: Vec<(i64, String)> = q
            .order(audit_records::id.desc())
            .limit(1)
            .select((audit_records::id, audit_records::hash))
            .load(conn)?;
        let Some((through, hash)) = rows.into_iter().next() else {
            return Ok(None);
        };
        let count: i64 = audit_records::table
            .filter(audit_records::id.le(through))
            .count()
            .get_result(conn)?;
        Ok(Some((through, hash, count)))
    }
    /// Deletes audit records with id ≤ `through`, all older than `cutoff`. Only this function
    /// deletes audit records, inside the retention transaction: on PostgreSQL it sets the
    /// transaction-local `frdesk.retention_purge` / `frdesk.retention_cutoff` the trigger checks;
    /// on SQLite it inserts a permit row the trigger checks and removes it again.
    ///
    /// Runs in its own (nested) transaction, so a refused delete also rolls back the permit.
    pub fn delete_prefix(conn: &mut Conn, through: i64, cutoff: NaiveDateTime) -> QResult<usize> {
        conn.transaction(|conn| Self::delete_prefix_tx(conn, through, cutoff))
    }

    fn delete_prefix_tx(conn: &mut Conn, through: i64, cutoff: NaiveDateTime) -> QResult<usize> {
        let cutoff_s = cutoff.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
        match conn {
            DbConnection::Pg(_) => {
                diesel::sql_query("SELECT set_config('frdesk.retention_purge', 'on', true)")
                    .execute(conn)?;
                diesel::sql_query("SELECT set_config('frdesk.retention_cutoff', $1, true)")
                    .bind::<diesel::sql_types::Text, _>(&cutoff_s)
                    .execute(conn)?;
                let n = diesel::delete(audit_records::table.filter(audit_records::id.le(through)))
                    .execute(conn)?;
                diesel::sql_query("SELECT set_config('frdesk.retention_purge', 'off', true)")
                    .execute(conn)?;
                Ok(n)
            }
            DbConnection::Sqlite(_) => {
                diesel::insert_into(audit_purge_permits::table)
                    .values(audit_purge_permits::cutoff.eq(cutoff))
                    .execute(conn)?;
                let n = diesel::delete(audit_records::table.filter(audit_records::id.le(through)))
                    .execute(conn)?;
                diesel::delete(audit_purge_permits::table).execute(conn)?;
                Ok(n)
            }
        }
    }
}
