//! Who may see a logically deleted case and who may request, approve, review and release a
//! legal hold (LAPD ALPR order, "Retaining ALPR Data Beyond the Two-Year Logical Deletion
//! Period": a hold is requested by one person and approved by another).

use crate::accounts::store::Agency;
use crate::cases::store::Case;
use crate::domain::Role;

/// Whether a user may ask to open a logically deleted case: the service's system
/// administrators only (LAPD ALPR order: logically deleted data "can only be queried by an ALPR
/// System Administrator"). Opening it also needs an approved, unexpired request
/// ([`crate::retention::access_requests::AccessRequest::active_grant`]).
pub fn may_view_deleted(roles: &crate::domain::Roles, agency: &Agency) -> bool {
    crate::domain::deleted_access::may_request_deleted_access(roles, agency.is_service)
}

/// Whether a user may request a legal hold on `case`, request its release or record its
/// two-yearly review: a local administrator of the case's agency, or service staff (the
/// service's local administrators, reviewers, supervisors and system administrators).
pub fn may_hold(roles: &crate::domain::Roles, agency: &Agency, case: &Case) -> bool {
    (roles.has(Role::LocalAdmin) && (agency.is_service || case.agency_id == agency.id))
        || (agency.is_service
            && (roles.has(Role::Reviewer)
                || roles.has(Role::Supervisor)
                || roles.has(Role::SystemAdmin)))
}

/// Whether a user may approve or reject a hold request (or approve a release) on `case`: a
/// local administrator of the case's agency, or the service's supervisors and system
/// administrators. The workflow also refuses the person who made the request.
pub fn may_approve_hold(roles: &crate::domain::Roles, agency: &Agency, case: &Case) -> bool {
    (roles.has(Role::LocalAdmin) && case.agency_id == agency.id)
        || (agency.is_service && (roles.has(Role::Supervisor) || roles.has(Role::SystemAdmin)))
}

/// Whether a user sees the list of legal holds (`/holds`): the service's system
/// administrators, supervisors and reviewers (every agency), and local administrators (their
/// own agency's cases; the service's local administrators every agency).
pub fn may_list_holds(roles: &crate::domain::Roles, agency: &Agency) -> bool {
    roles.has(Role::LocalAdmin)
        || (agency.is_service
            && (roles.has(Role::Reviewer)
                || roles.has(Role::Supervisor)
                || roles.has(Role::SystemAdmin)))
}
