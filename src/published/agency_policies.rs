//! The public listing of each participating agency's FR policy (LACRIS FR Policy, preface: an
//! agency needs its own FR policy to use the service; seed 002: the requester asked which
//! agencies have one): from the agency policy records ([`crate::agencies::policy`]), with the
//! service's suspension (since when) and agencies with no policy on file shown so. Only the
//! agencies' own policy documents are served publicly, by their row, never by a path.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::accounts::store::Agency;
use crate::agencies::policy::{self, PolicyDocument, PolicyOnFile};
use crate::domain::AgencyId;
use crate::platform::db::DbConnection;

/// One participating agency as published.
#[derive(Debug, Clone)]
pub struct AgencyPolicyListing {
    pub agency_id: i64,
    pub name: String,
    pub ori: String,
    /// When the service suspended the agency (UTC), if it is suspended.
    pub suspended_at: Option<NaiveDateTime>,
    /// Effective date of the policy on file (document or date-only record); `None`: no policy
    /// on file.
    pub effective: Option<NaiveDate>,
    /// The current document, if the policy on file is a document.
    pub current: Option<PolicyDocument>,
    /// Every other document the agency filed (replaced or cleared), newest first.
    pub earlier: Vec<PolicyDocument>,
}

/// Every active agency other than the service itself, by name.
///
/// Errors: database errors.
pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<AgencyPolicyListing>> {
    let mut out = Vec::new();
    for a in Agency::all(conn)?
        .into_iter()
        .filter(|a| !a.is_service && a.active)
    {
        let on_file = policy::current(conn, &a)?;
        let current = on_file.document().cloned();
        let earlier = policy::history(conn, a.agency_id())?
            .into_iter()
            .filter(|d| current.as_ref().is_none_or(|c| c.id != d.id))
            .collect();
        out.push(AgencyPolicyListing {
            agency_id: a.id,
            name: a.name.clone(),
            ori: a.ori.clone(),
            suspended_at: a.suspended_at,
            effective: match &on_file {
                PolicyOnFile::None => None,
                other => other.effective_date(),
            },
            current,
            earlier,
        });
    }
    Ok(out)
}

/// The policy document `id` of agency `agency`, if it is one of that participating agency's
/// filed documents (current or earlier); `None` otherwise (another agency's, the service's own
/// agency, an inactive agency, or no such row).
///
/// Errors: database errors.
pub fn public_document(
    conn: &mut DbConnection,
    agency: AgencyId,
    id: i64,
) -> QueryResult<Option<PolicyDocument>> {
    let Some(a) = Agency::find(conn, agency).optional()? else {
        return Ok(None);
    };
    if a.is_service || !a.active {
        return Ok(None);
    }
    policy::find(conn, agency, id)
}
