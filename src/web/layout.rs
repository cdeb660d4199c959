//! What every page's frame shows: who is logged in, their roles, the navigation and the
//! CSRF token for the log-out form.

use crate::domain::Role;
use crate::web::session::CurrentUser;

pub struct Layout {
    pub service_name: String,
    pub user_name: String,
    pub agency_name: String,
    pub roles: String,
    pub csrf_token: String,
    pub is_requester: bool,
    pub is_reviewer: bool,
    /// Examiners and supervisors: the examiners' queue.
    pub is_examiner: bool,
    pub can_audit: bool,
    /// Local administrators see the access review.
    pub is_local_admin: bool,
    /// The service's system administrators see the agency list (suspend, reinstate).
    pub is_system_admin: bool,
    /// The legal holds list (`/holds`): administrators and the service's reviewers,
    /// supervisors and system administrators.
    pub sees_holds: bool,
    /// Service system administrators and supervisors decide requests to open logically
    /// deleted cases (`/admin/deleted-access`).
    pub decides_deleted_access: bool,
    /// Shown on every page while the user's agency is suspended (who, since when, why).
    pub agency_notice: Option<String>,
    /// Shown on every page while the user's access is restricted after an audit finding.
    pub restriction_notice: Option<String>,
    /// Supervisors, reviewers and system administrators of the service see the audit calendar.
    pub sees_calendar: bool,
}

/// Whether the user sees the whole audit calendar and the random re-reviews: service staff who
/// oversee agencies (system administrators, supervisors, reviewers).
pub fn sees_calendar(u: &CurrentUser) -> bool {
    u.agency.is_service
        && (u.has(Role::SystemAdmin) || u.has(Role::Supervisor) || u.has(Role::Reviewer))
}

impl Layout {
    pub fn new(u: &CurrentUser, service_name: &str) -> Layout {
        Layout {
            service_name: service_name.to_string(),
            user_name: u.user.name.clone(),
            agency_name: u.agency.name.clone(),
            roles: u.roles.labels(),
            csrf_token: u.csrf_token.clone(),
            is_requester: u.has(Role::Requester),
            is_reviewer: u.has(Role::Reviewer),
            is_examiner: u.has(Role::Examiner) || u.has(Role::Supervisor),
            can_audit: u.has(Role::Auditor) || u.has(Role::LocalAdmin) || u.has(Role::Reviewer),
            is_local_admin: u.has(Role::LocalAdmin),
            is_system_admin: u.has(Role::SystemAdmin),
            sees_holds: crate::retention::access::may_list_holds(&u.roles, &u.agency),
            decides_deleted_access: crate::domain::deleted_access::may_decide_deleted_access(
                &u.roles,
                u.agency.is_service,
            ),
            agency_notice: u.agency.suspension_notice(service_name),
            restriction_notice: u.restriction.clone(),
            sees_calendar: sees_calendar(u),
        }
    }
}
