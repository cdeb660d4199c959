//! Who may see a logically deleted case and who may place or lift a legal hold.

use crate::accounts::store::Agency;
use crate::cases::store::Case;
use crate::domain::Role;

/// Whether a user may see a logically deleted `case` after stating a reason: a local
/// administrator of the case's agency, or a local administrator of the service (service
/// administrator) for every agency.
pub fn may_view_deleted(roles: &crate::domain::Roles, agency: &Agency, case: &Case) -> bool {
    roles.has(Role::LocalAdmin) && (agency.is_service || case.agency_id == agency.id)
}

/// Whether a user may place or lift a legal hold on `case`: a local administrator of the
/// case's agency or of the service, or a service reviewer.
pub fn may_hold(roles: &crate::domain::Roles, agency: &Agency, case: &Case) -> bool {
    may_view_deleted(roles, agency, case) || (roles.has(Role::Reviewer) && agency.is_service)
}
