//! The audit trail's hash chain (tamper evidence).
//!
//! Record *n* stores `prev_hash` = the hash of record *n − 1* (64 zeros for the first) and
//! `hash` = SHA-256 over a canonical JSON array of its id, every field, and `prev_hash`. Ids are
//! consecutive. [`verify`] walks the chain and names the first record that was altered
//! (its hash no longer matches its fields), removed (a gap in the ids, or the next record's
//! `prev_hash` no longer matches) or inserted (its `prev_hash` or id does not fit).
//! Records older than the retention period are purged only as a prefix of the chain, and an
//! anchor row keeps the hash of the last one purged, so the rest still verifies.
//! Removing the newest records leaves a valid shorter chain; the daily check's own audit record
//! notes the head it saw, so a later check can see the head went backwards.
//!
//! A record about a case (object type `case`, `probe_search` or `packet`) also gets the case's
//! id and a per-case sequence number (`case_seq` 1, 2, 3…), assigned here inside the same
//! serialised append, so a disclosure package's copy of a case's records shows a removal as a
//! gap (issue 17). These two columns are not part of the hash (records written before they
//! existed were back-filled by the migration); the database's append-only triggers protect them
//! like every other column, and a package's signed manifest protects its copy.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::platform::db::schema::{audit_records, cases, packets, probe_searches};

use crate::audit::store::{AuditRecord, NewAuditRecord};
use crate::platform::db::DbConnection;

/// `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 (hex) of a record's canonical form.
pub fn hash_entry(id: i64, e: &NewAuditRecord, prev_hash: &str) -> String {
    let canonical = serde_json::json!([
        id,
        e.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        e.user_id,
        e.user_email,
        e.role,
        e.agency_id,
        e.action,
        e.object_type,
        e.object_id,
        e.outcome,
        e.source_ip,
        e.user_agent,
        e.search_reason,
        e.details,
        prev_hash,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainReport {
    pub records: u64,
    pub head_id: i64,
    pub head_hash: String,
    /// The first problem, naming the record; `None` when the chain is intact.
    pub problem: Option<ChainProblem>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainProblem {
    /// The record at which the chain breaks.
    pub record_id: i64,
    /// `altered`, `removed` or `inserted`.
    pub kind: &'static str,
    pub message: String,
}

impl ChainReport {
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// Walks the whole chain in id order.
///
/// After a retention purge of old records the walk starts at the newest anchor
/// ([`crate::audit::anchor::AuditAnchor`]): the first remaining record must have id
/// `purged_through_id + 1` and `prev_hash` = the anchor's `last_hash`.
pub fn verify(conn: &mut DbConnection) -> diesel::QueryResult<ChainReport> {
    let (mut expected_prev, mut last_id) = match crate::audit::anchor::AuditAnchor::latest(conn)? {
        Some(a) => (a.last_hash, a.purged_through_id),
        None => (GENESIS.to_string(), 0i64),
    };
    let mut records = 0u64;
    loop {
        let page = AuditRecord::chain_page(conn, last_id, 5000)?;
        if page.is_empty() {
            break;
        }
        for r in page {
            let recomputed = hash_entry(r.id, &r.entry(), &r.prev_hash);
            let problem = if r.id != last_id + 1 && r.prev_hash == expected_prev {
                // The links fit but ids are missing: ids were renumbered around a removal.
                Some((
                    "removed",
                    format!("records between {last_id} and {} are missing", r.id),
                ))
            } else if r.id != last_id + 1 {
                Some((
                    "removed",
                    format!("records between {last_id} and {} were removed", r.id),
                ))
            } else if recomputed != r.hash {
                Some((
                    "altered",
                    format!(
                        "record {} was altered: its contents no longer match its hash",
                        r.id
                    ),
                ))
            } else if r.prev_hash != expected_prev {
                Some((
                    "inserted",
                    format!(
                        "record {} does not follow record {last_id}: a record was inserted or removed before it",
                        r.id
                    ),
                ))
            } else {
                None
            };
            if let Some((kind, message)) = problem {
                return Ok(ChainReport {
                    records,
                    head_id: last_id,
                    head_hash: expected_prev,
                    problem: Some(ChainProblem {
                        record_id: r.id,
                        kind,
                        message,
                    }),
                });
            }
            expected_prev = r.hash;
            last_id = r.id;
            records += 1;
        }
    }
    Ok(ChainReport {
        records,
        head_id: last_id,
        head_hash: expected_prev,
        problem: None,
    })
}

/// A record as inserted: the entry plus its place in the hash chain.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_records)]
struct ChainedAuditRecord {
    id: i64,
    #[diesel(embed)]
    entry: NewAuditRecord,
    prev_hash: String,
    hash: String,
    case_id: Option<i64>,
    case_seq: Option<i64>,
}

/// The case a record is about: the object itself for `case` (when such a case exists), the
/// probe search's or packet's case for `probe_search` and `packet`; `None` otherwise.
///
/// Errors: the database's.
pub fn case_of(
    conn: &mut DbConnection,
    object_type: &str,
    object_id: &str,
) -> diesel::QueryResult<Option<i64>> {
    let numeric = || {
        (!object_id.is_empty()
            && object_id.len() <= 18
            && object_id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| object_id.parse::<i64>().ok())
        .flatten()
    };
    match object_type {
        "case" => match numeric() {
            Some(id) => cases::table
                .find(id)
                .select(cases::id)
                .first::<i64>(conn)
                .optional(),
            None => Ok(None),
        },
        "probe_search" => match numeric() {
            Some(id) => probe_searches::table
                .find(id)
                .select(probe_searches::case_id)
                .first::<i64>(conn)
                .optional(),
            None => Ok(None),
        },
        "packet" => packets::table
            .filter(packets::packet_id.eq(object_id))
            .select(packets::case_id)
            .first::<i64>(conn)
            .optional(),
        _ => Ok(None),
    }
}

/// Appends one record to the hash chain (see [`crate::audit::chain`]). There is no update or
/// delete function, by design; the database refuses both as well (triggers in the
/// migrations). Appends are serialised (SQLite write lock; a PostgreSQL transaction-scoped
/// advisory lock), and ids are assigned here as last id + 1, so the chain has no gaps.
pub fn append(conn: &mut DbConnection, new: &NewAuditRecord) -> diesel::QueryResult<()> {
    crate::platform::db::write_tx(conn, |conn| {
        if matches!(conn, DbConnection::Pg(_)) {
            diesel::sql_query("SELECT pg_advisory_xact_lock(7262001)").execute(conn)?;
        }
        let last: Option<(i64, String)> = audit_records::table
            .order(audit_records::id.desc())
            .select((audit_records::id, audit_records::hash))
            .first(conn)
            .optional()?;
        let (id, prev_hash) = match last {
            Some((id, hash)) => (id + 1, hash),
            // Empty table: the start, or every record was purged (retention) and the
            // chain continues from the anchor.
            None => match crate::audit::anchor::AuditAnchor::latest(conn)? {
                Some(a) => (a.purged_through_id + 1, a.last_hash),
                None => (1, GENESIS.to_string()),
            },
        };
        let hash = hash_entry(id, new, &prev_hash);
        let case_id = case_of(conn, &new.object_type, &new.object_id)?;
        let case_seq = match case_id {
            Some(c) => Some(
                audit_records::table
                    .filter(audit_records::case_id.eq(c))
                    .select(diesel::dsl::max(audit_records::case_seq))
                    .first::<Option<i64>>(conn)?
                    .unwrap_or(0)
                    + 1,
            ),
            None => None,
        };
        diesel::insert_into(audit_records::table)
            .values(&ChainedAuditRecord {
                id,
                entry: new.clone(),
                prev_hash,
                hash,
                case_id,
                case_seq,
            })
            .execute(conn)
            .map(|_| ())
    })
}
