//! Who may see a logically deleted case and who may place or lift a legal hold.

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

/// Whether a user may place or lift a legal hold on `case`: a local administrator of the
/// case's agency or of the service, or a service reviewer.
pub fn may_hold(roles: &crate::domain::Roles, agency: &Agency, case: &Case) -> bool {
    (roles.has(Role::LocalAdmin) && (agency.is_service || case.agency_id == agency.id))
        || (roles.has(Role::Reviewer) && agency.is_service)
}
