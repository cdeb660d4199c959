//! The `disclosures` table: one row per disclosure package made for a case (issue 17).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::platform::db::DbConnection;
use crate::platform::db::schema::disclosures;

/// `disclosures.status` while the package is being made (prepared and approved, not written).
pub const PREPARED: &str = "prepared";
/// `disclosures.status` once the files are written and released.
pub const RELEASED: &str = "released";

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
    /// [`PREPARED`] or [`RELEASED`].
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

    /// Records the written files and the release. Errors: the database's.
    pub fn mark_released(
        conn: &mut DbConnection,
        id: i64,
        at: NaiveDateTime,
        pdf_sha256: &str,
        zip_sha256: &str,
        manifest_sha256: &str,
    ) -> QueryResult<()> {
        diesel::update(disclosures::table.find(id))
            .set((
                disclosures::status.eq(RELEASED),
                disclosures::released_at.eq(Some(at)),
                disclosures::pdf_sha256.eq(Some(pdf_sha256)),
                disclosures::zip_sha256.eq(Some(zip_sha256)),
                disclosures::manifest_sha256.eq(Some(manifest_sha256)),
            ))
            .execute(conn)
            .map(|_| ())
    }
}
