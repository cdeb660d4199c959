//! The `disclosures` table: one row per disclosure package made for a case (issue 17).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::platform::db::DbConnection;
use crate::platform::db::schema::disclosures;

/// `disclosures.status` once prepared, awaiting a second person's approval.
pub const PREPARED: &str = "prepared";
/// `disclosures.status` once a second person approved the release (files not yet written).
pub const APPROVED: &str = "approved";
/// `disclosures.status` once the second person refused the release (ends the package).
pub const REJECTED: &str = "rejected";
/// `disclosures.status` once the files are written and released.
pub const RELEASED: &str = "released";

/// Where a package stands: prepared → approved → released, or prepared → rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclosureState {
    Prepared,
    Approved,
    Rejected,
    Released,
}

impl DisclosureState {
    /// The words the case page shows.
    pub fn label(self) -> &'static str {
        match self {
            DisclosureState::Prepared => "prepared — awaiting a second person's approval",
            DisclosureState::Approved => "approved — ready to release",
            DisclosureState::Rejected => "rejected",
            DisclosureState::Released => "released",
        }
    }
}

/// One disclosure package as recorded by the desk.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = disclosures)]
pub struct Disclosure {
    pub id: i64,
    /// `<case number>-D<n>`, printed on every page and named in the ZIP's manifest.
    pub disclosure_id: String,
    pub case_id: i64,
    /// The legal basis as stated (discovery order, subpoena, prosecutor's request: court,
    /// docket/number, date, requesting party).
    pub basis: String,
    /// Non-lead candidates replaced by rank, score and a salted hash.
    pub redacted: bool,
    /// The order that allowed an unredacted package (reference and date), if unredacted.
    pub order_reference: Option<String>,
    /// Hex salt of the redaction hashes; kept here only, never in the package.
    pub salt: String,
    /// [`PREPARED`], [`APPROVED`], [`REJECTED`] or [`RELEASED`] (see [`Disclosure::state`]).
    pub status: String,
    pub prepared_by: String,
    pub prepared_at: NaiveDateTime,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub released_at: Option<NaiveDateTime>,
    /// SHA-256 of the signed PDF report, of the ZIP, and of the ZIP's `manifest.json`.
    pub pdf_sha256: Option<String>,
    pub zip_sha256: Option<String>,
    pub manifest_sha256: Option<String>,
    /// The preparer's and approver's accounts (`None` from the command line).
    pub prepared_by_id: Option<i64>,
    pub approved_by_id: Option<i64>,
    /// Every page marked LAW ENFORCEMENT SENSITIVE — DISCLOSURE UNDER PROTECTIVE ORDER.
    pub protective_order: bool,
    pub rejected_by: Option<String>,
    pub rejected_at: Option<NaiveDateTime>,
    pub reject_reason: Option<String>,
    pub released_by: Option<String>,
}

impl Disclosure {
    /// Where the package stands, from its times (the status column follows them).
    pub fn state(&self) -> DisclosureState {
        if self.released_at.is_some() {
            DisclosureState::Released
        } else if self.rejected_at.is_some() {
            DisclosureState::Rejected
        } else if self.approved_at.is_some() {
            DisclosureState::Approved
        } else {
            DisclosureState::Prepared
        }
    }

    /// The file name of the signed PDF report (`<disclosure id>.pdf`).
    pub fn pdf_name(&self) -> String {
        format!("{}.pdf", self.disclosure_id)
    }

    /// The file name of the ZIP (`<disclosure id>.zip`).
    pub fn zip_name(&self) -> String {
        format!("{}.zip", self.disclosure_id)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = disclosures)]
pub struct NewDisclosure {
    pub disclosure_id: String,
    pub case_id: i64,
    pub basis: String,
    pub redacted: bool,
    pub order_reference: Option<String>,
    pub salt: String,
    pub status: String,
    pub prepared_by: String,
    pub prepared_at: NaiveDateTime,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub prepared_by_id: Option<i64>,
    pub approved_by_id: Option<i64>,
    pub protective_order: bool,
}

impl Disclosure {
    /// Inserts a prepared package; returns the row. Errors: the database's.
    pub fn insert(conn: &mut DbConnection, new: &NewDisclosure) -> QueryResult<Disclosure> {
        let id: i64 = diesel::insert_into(disclosures::table)
            .values(new)
            .returning(disclosures::id)
            .get_result(conn)?;
        disclosures::table
            .find(id)
            .select(Disclosure::as_select())
            .first(conn)
    }

    /// How many packages the case has (for the next `-D<n>`). Errors: the database's.
    pub fn count_for_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<i64> {
        disclosures::table
            .filter(disclosures::case_id.eq(case_id))
            .count()
            .get_result(conn)
    }

    /// The package with this id (`<case number>-D<n>`). Errors: the database's.
    pub fn by_disclosure_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<Disclosure>> {
        disclosures::table
            .filter(disclosures::disclosure_id.eq(id))
            .select(Disclosure::as_select())
            .first(conn)
            .optional()
    }

    /// The packages of a case, oldest first. Errors: the database's.
    pub fn for_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<Disclosure>> {
        disclosures::table
            .filter(disclosures::case_id.eq(case_id))
            .order(disclosures::id.asc())
            .select(Disclosure::as_select())
            .load(conn)
    }

    /// Records the approval of a prepared package; `false` when it was no longer awaiting
    /// approval (a double submit or a second approver first). Errors: the database's.
    pub fn mark_approved(
        conn: &mut DbConnection,
        id: i64,
        at: NaiveDateTime,
        by: &str,
        by_id: Option<i64>,
    ) -> QueryResult<bool> {
        diesel::update(
            disclosures::table
                .find(id)
                .filter(disclosures::approved_at.is_null())
                .filter(disclosures::rejected_at.is_null()),
        )
        .set((
            disclosures::status.eq(APPROVED),
            disclosures::approved_at.eq(Some(at)),
            disclosures::approved_by.eq(Some(by)),
            disclosures::approved_by_id.eq(by_id),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Records the refusal of a prepared package; `false` when it was no longer awaiting
    /// approval. Errors: the database's.
    pub fn mark_rejected(
        conn: &mut DbConnection,
        id: i64,
        at: NaiveDateTime,
        by: &str,
        reason: &str,
    ) -> QueryResult<bool> {
        diesel::update(
            disclosures::table
                .find(id)
                .filter(disclosures::approved_at.is_null())
                .filter(disclosures::rejected_at.is_null()),
        )
        .set((
            disclosures::status.eq(REJECTED),
            disclosures::rejected_at.eq(Some(at)),
            disclosures::rejected_by.eq(Some(by)),
            disclosures::reject_reason.eq(Some(reason)),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Records the written files and the release of an approved package; `false` when it was
    /// not approved or already released (so a double submit releases once). Errors: the
    /// database's.
    pub fn mark_released(
        conn: &mut DbConnection,
        id: i64,
        at: NaiveDateTime,
        by: &str,
        hashes: (&str, &str, &str),
    ) -> QueryResult<bool> {
        let (pdf_sha256, zip_sha256, manifest_sha256) = hashes;
        diesel::update(
            disclosures::table
                .find(id)
                .filter(disclosures::approved_at.is_not_null())
                .filter(disclosures::released_at.is_null()),
        )
        .set((
            disclosures::status.eq(RELEASED),
            disclosures::released_at.eq(Some(at)),
            disclosures::released_by.eq(Some(by)),
            disclosures::pdf_sha256.eq(Some(pdf_sha256)),
            disclosures::zip_sha256.eq(Some(zip_sha256)),
            disclosures::manifest_sha256.eq(Some(manifest_sha256)),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }
}
