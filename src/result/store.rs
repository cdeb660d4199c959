//! Issued packets as stored: the `packets` rows, their queries, and the stored result values.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::CaseId;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::packets;

/// Value of `packets.result` for a packet that reports a possible investigative lead.
pub const POSSIBLE_LEAD: &str = "possible_lead";
/// Value of `packets.result` for a no-lead packet (including "no search possible").
pub const NO_LEAD: &str = "no_lead";

/// One issued packet (`packets` row). The file is `<data_dir>/packets/<packet_id>.pdf`.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = packets)]
pub struct PacketRecord {
    /// Row id.
    pub id: i64,
    /// The case (`cases.id`).
    pub case_id: i64,
    /// `<case number>-P<version>`, printed on every page and in the PDF's Info dictionary.
    pub packet_id: String,
    /// 1 for the first issue, then 2, 3… for re-issues.
    pub version: i32,
    /// [`POSSIBLE_LEAD`] or [`NO_LEAD`].
    pub result: String,
    /// SHA-256 (hex) of the signed file as issued.
    pub file_sha256: String,
    /// Size of the signed file, in bytes.
    pub byte_size: i64,
    /// SHA-256 of the signing certificate.
    pub signer_fingerprint: String,
    /// Why it was issued: "Examination concluded" or the reason given for a re-issue.
    pub reason: String,
    /// The supervisor who asked for a re-issue (`users.id`); `None` for the first issue.
    pub issued_by: Option<i64>,
    /// When it was issued (UTC).
    pub issued_at: NaiveDateTime,
    /// When a later packet or a withdrawal replaced it (UTC); `None` while it is current.
    pub superseded_at: Option<NaiveDateTime>,
    /// "superseded by <packet id>: <reason>" or "withdrawn: <reason>".
    pub superseded_reason: Option<String>,
}

impl PacketRecord {
    /// Every packet of the case, oldest version first. Errors: the database's.
    pub fn for_case(conn: &mut DbConnection, case: CaseId) -> QueryResult<Vec<PacketRecord>> {
        packets::table
            .filter(packets::case_id.eq(case.0))
            .order(packets::version.asc())
            .select(PacketRecord::as_select())
            .load(conn)
    }

    /// The packet with this packet id (`<case number>-P<version>`), if any. Errors: the
    /// database's.
    pub fn by_packet_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PacketRecord>> {
        packets::table
            .filter(packets::packet_id.eq(id))
            .select(PacketRecord::as_select())
            .first(conn)
            .optional()
    }

    /// The packet in force for the case, if any (not superseded, not withdrawn). Errors: the
    /// database's.
    pub fn current(conn: &mut DbConnection, case: CaseId) -> QueryResult<Option<PacketRecord>> {
        packets::table
            .filter(packets::case_id.eq(case.0))
            .filter(packets::superseded_at.is_null())
            .order(packets::version.desc())
            .select(PacketRecord::as_select())
            .first(conn)
            .optional()
    }

    /// Whether the packet is still in force (neither superseded nor withdrawn).
    pub fn is_current(&self) -> bool {
        self.superseded_at.is_none()
    }

    /// People's label of the packet's result (see [`result_label`]).
    pub fn result_label(&self) -> &'static str {
        result_label(&self.result)
    }

    /// File name of the signed PDF, `<packet_id>.pdf`.
    pub fn file_name(&self) -> String {
        format!("{}.pdf", self.packet_id)
    }

    /// Path of the file relative to `data_dir` (as stored with an email attachment).
    pub fn relative_path(&self) -> String {
        format!("packets/{}", self.file_name())
    }

    /// The issue time as shown to people.
    pub fn issued_label(&self) -> String {
        crate::platform::time::fmt_time(&self.issued_at)
    }

    /// Marks every current packet of the case superseded at `at` with `reason`; returns them.
    pub(crate) fn supersede_all(
        conn: &mut DbConnection,
        case: CaseId,
        at: NaiveDateTime,
        reason: &str,
    ) -> QueryResult<Vec<PacketRecord>> {
        let current: Vec<PacketRecord> = packets::table
            .filter(packets::case_id.eq(case.0))
            .filter(packets::superseded_at.is_null())
            .select(PacketRecord::as_select())
            .load(conn)?;
        diesel::update(
            packets::table
                .filter(packets::case_id.eq(case.0))
                .filter(packets::superseded_at.is_null()),
        )
        .set((
            packets::superseded_at.eq(Some(at)),
            packets::superseded_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
        Ok(current)
    }

    /// The version the case's next packet gets: 1 for the first, then one more than the last.
    pub(crate) fn next_version(conn: &mut DbConnection, case: CaseId) -> QueryResult<i32> {
        let max: Option<i32> = packets::table
            .filter(packets::case_id.eq(case.0))
            .select(diesel::dsl::max(packets::version))
            .first(conn)?;
        Ok(max.unwrap_or(0) + 1)
    }
}

/// People's label of a stored result value.
pub fn result_label(result: &str) -> &'static str {
    if result == POSSIBLE_LEAD {
        "Possible investigative lead"
    } else {
        "No lead"
    }
}
