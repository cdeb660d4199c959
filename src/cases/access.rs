//! Who may see a case: the one place a case is loaded for a person.
//!
//! Every page, image, packet and workflow action that a person starts loads its case through
//! [`case_for`], which applies, in order: the user's agency and roles (service staff see every
//! agency's cases, everyone else their own agency's — [`scope_of`]) and logical deletion (a
//! logically deleted case is invisible except to a service system administrator whose request
//! to open it a second person approved, for 24 hours — `src/retention/deleted_access.rs` — and
//! a purged case has no files left to read). A case the user may
//! not see answers exactly as one that does not exist, so ids of other agencies' cases are not
//! disclosed. Background jobs and the retention pass, which act for nobody, use
//! [`Case::find`]/[`Case::find_any`] directly.

use crate::accounts::store::{Agency, User};
use crate::cases::store::{Case, CaseScope};
use crate::domain::{CaseId, Roles};
use crate::platform::db::DbConnection;
use crate::retention::access::may_view_deleted;
use crate::retention::access_requests::AccessRequest;

/// The person asking, as far as access to cases goes.
#[derive(Debug, Clone)]
pub struct Viewer<'a> {
    pub user: &'a User,
    pub agency: &'a Agency,
    pub roles: Roles,
}

/// What the person wants to do with the case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// See the case page, or act on a live case.
    Read,
    /// Read its stored files (probe images, packets): a purged case has none.
    ReadFiles,
}

/// A case the viewer may see, and how.
#[derive(Debug, Clone)]
pub enum Visible {
    /// A live case in the viewer's scope.
    Live(Case),
    /// A logically deleted case the viewer may open under this approved, unexpired request.
    Deleted(Case, Box<AccessRequest>),
    /// A logically deleted case the viewer could ask to open (no approved request in force).
    NeedsReason(Case),
}

impl Visible {
    /// The case, however it is visible.
    pub fn case(&self) -> &Case {
        match self {
            Visible::Live(c) | Visible::Deleted(c, _) | Visible::NeedsReason(c) => c,
        }
    }
}

/// Which agencies' cases a user sees: service staff (a service role held in the service agency)
/// see every agency's submitted cases, everyone else their own agency's. Both the role and the
/// agency are checked, so a service role stored on an ordinary agency's account grants nothing.
pub fn scope_of(roles: &Roles, agency: &Agency) -> CaseScope {
    if agency.is_service && roles.effective(true).sees_all_agencies() {
        CaseScope::Service
    } else {
        CaseScope::Agency(agency.agency_id())
    }
}

/// Loads case `id` for `viewer`; `None` when it does not exist or the viewer may not see it.
///
/// Errors: the database query failed.
pub fn case_for(
    conn: &mut DbConnection,
    viewer: &Viewer<'_>,
    id: CaseId,
    purpose: Purpose,
) -> diesel::QueryResult<Option<Visible>> {
    if let Some(c) = Case::find_in_scope(conn, id, scope_of(&viewer.roles, viewer.agency))? {
        return Ok(Some(Visible::Live(c)));
    }
    let Some(case) = Case::find_any(conn, id)? else {
        return Ok(None);
    };
    if case.hidden_at.is_none() || !may_view_deleted(&viewer.roles, viewer.agency) {
        return Ok(None);
    }
    if purpose == Purpose::ReadFiles && case.purged_at.is_some() {
        return Ok(None);
    }
    match AccessRequest::active_grant(conn, viewer.user.id, id, crate::platform::time::now())? {
        Some(grant) => Ok(Some(Visible::Deleted(case, Box::new(grant)))),
        None => Ok(Some(Visible::NeedsReason(case))),
    }
}

/// A live case in the viewer's scope, for workflow actions (never a logically deleted one).
///
/// Errors: the database query failed.
pub fn live_case_for(
    conn: &mut DbConnection,
    viewer: &Viewer<'_>,
    id: CaseId,
) -> diesel::QueryResult<Option<Case>> {
    Ok(match case_for(conn, viewer, id, Purpose::Read)? {
        Some(Visible::Live(c)) => Some(c),
        _ => None,
    })
}

/// A case whose stored files (probe images, packets) the viewer may read: a live case in scope,
/// or a logically deleted, not purged one the viewer holds an approved access request for.
///
/// Errors: the database query failed.
pub fn case_with_files_for(
    conn: &mut DbConnection,
    viewer: &Viewer<'_>,
    id: CaseId,
) -> diesel::QueryResult<Option<Case>> {
    Ok(match case_for(conn, viewer, id, Purpose::ReadFiles)? {
        Some(Visible::Live(c) | Visible::Deleted(c, _)) => Some(c),
        _ => None,
    })
}

impl<'a> Viewer<'a> {
    /// `user` of `agency`, with the roles that work in that agency.
    pub fn new(user: &'a User, agency: &'a Agency) -> Self {
        Viewer {
            user,
            agency,
            roles: user.roles_in(agency),
        }
    }
}

/// A probe image of `case` (already loaded through [`case_for`]) that the viewer may open:
/// the case's own agency sees every image, drafts included; service staff of another agency
/// see only images of request versions that were submitted — an image added while a returned
/// request is being corrected stays with its agency until it is resubmitted.
///
/// Errors: the database query failed.
pub fn image_for(
    conn: &mut DbConnection,
    viewer: &Viewer<'_>,
    case: &Case,
    sha256: &str,
) -> diesel::QueryResult<Option<crate::cases::store::CaseImage>> {
    use crate::platform::db::schema::{case_images, request_versions};
    use diesel::prelude::*;
    let mut q = case_images::table
        .filter(case_images::case_id.eq(case.id))
        .filter(case_images::sha256.eq(sha256))
        .into_boxed();
    if case.agency_id != viewer.agency.id {
        let submitted = request_versions::table
            .filter(request_versions::case_id.eq(case.id))
            .filter(request_versions::submitted_at.is_not_null())
            .select(request_versions::version);
        q = q.filter(case_images::version.eq_any(submitted));
    }
    q.select(crate::cases::store::CaseImage::as_select())
        .first(conn)
        .optional()
}
