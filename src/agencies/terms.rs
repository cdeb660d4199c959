//! The service's terms of use (`docs/TERMS_OF_USE.md`, compiled in, with a `Version:` line) and
//! each agency's acceptance of them. A requester can submit only when their agency accepted the
//! current version.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::store::Agency;
use crate::audit::{self, Actor, Entry};
use crate::domain::AgencyId;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::terms_acceptances;

/// The terms of use as shipped (Markdown).
pub const TEXT: &str = include_str!("../../docs/TERMS_OF_USE.md");

/// The current version: the value of the first `Version:` line of [`TEXT`] (e.g.
/// `2026-12-01`); `"1"` if the file has none.
pub fn current_version() -> &'static str {
    TEXT.lines()
        .find_map(|l| l.trim().strip_prefix("Version:"))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("1")
}

/// The paragraphs of [`TEXT`] after the title and version line, for the terms page (plain
/// text; blank lines separate paragraphs, lines of one paragraph are joined).
pub fn paragraphs() -> Vec<String> {
    TEXT.split("\n\n")
        .map(|p| p.lines().map(str::trim).collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty() && !p.starts_with('#') && !p.starts_with("Version:"))
        .collect()
}

/// One acceptance: agency, version, who (email or `cli:<user>`), when (UTC).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = terms_acceptances)]
pub struct Acceptance {
    pub id: i64,
    pub agency_id: i64,
    pub version: String,
    pub accepted_by: String,
    pub accepted_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = terms_acceptances)]
struct NewAcceptance<'a> {
    agency_id: i64,
    version: &'a str,
    accepted_by: &'a str,
    accepted_at: NaiveDateTime,
}

/// The agency's acceptance of the current version, if any (the first one).
///
/// Errors: database errors.
pub fn accepted_current(
    conn: &mut DbConnection,
    agency: AgencyId,
) -> diesel::QueryResult<Option<Acceptance>> {
    terms_acceptances::table
        .filter(terms_acceptances::agency_id.eq(agency.0))
        .filter(terms_acceptances::version.eq(current_version()))
        .order(terms_acceptances::id.asc())
        .select(Acceptance::as_select())
        .first(conn)
        .optional()
}

/// Every acceptance of the agency, newest first.
///
/// Errors: database errors.
pub fn history(conn: &mut DbConnection, agency: AgencyId) -> diesel::QueryResult<Vec<Acceptance>> {
    terms_acceptances::table
        .filter(terms_acceptances::agency_id.eq(agency.0))
        .order(terms_acceptances::id.desc())
        .select(Acceptance::as_select())
        .load(conn)
}

/// Records that `actor` accepted the current version for `agency` at `at`, with the audit
/// record `agency.accept_terms`, in one transaction. Idempotent: if the current version is
/// already accepted, returns that acceptance and records nothing. Returns (acceptance, new?).
///
/// Errors: database errors.
pub fn accept(
    conn: &mut DbConnection,
    actor: &Actor,
    agency: &Agency,
    at: NaiveDateTime,
) -> diesel::QueryResult<(Acceptance, bool)> {
    crate::platform::db::write_tx(conn, |c| {
        if let Some(a) = accepted_current(c, agency.agency_id())? {
            return Ok((a, false));
        }
        diesel::insert_into(terms_acceptances::table)
            .values(NewAcceptance {
                agency_id: agency.id,
                version: current_version(),
                accepted_by: &actor.email,
                accepted_at: at,
            })
            .execute(c)?;
        audit::record(
            c,
            actor,
            Entry::new("agency.accept_terms", "agency", agency.id)
                .details(format!("terms of use version {}", current_version())),
        )?;
        let a = accepted_current(c, agency.agency_id())?.ok_or(diesel::NotFound)?;
        Ok((a, true))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_is_read_from_the_file() {
        assert_eq!(super::current_version(), "2026-12-01");
        assert!(
            super::paragraphs()
                .iter()
                .all(|p| !p.starts_with("Version"))
        );
    }
}
