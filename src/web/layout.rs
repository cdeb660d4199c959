//! What every page's frame shows: who is logged in, their roles, the navigation and the
//! CSRF token for the log-out form.

use crate::domain::Role;
use crate::web::session::CurrentUser;

/// One link of the main navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    /// The page the user is on belongs here: `aria-current="page"` and a visible mark.
    pub current: bool,
}

pub struct Layout {
    pub service_name: String,
    /// The main navigation for the user's roles, the current page's link marked.
    pub nav: Vec<NavLink>,
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

/// The links of the main navigation the user's roles give, in order, with the one the page at
/// `path` belongs to marked current: the link whose path is the longest prefix of `path` at a
/// segment boundary (`/cases/12` is under Cases, `/cases/new` is New request).
fn nav_for(l: &Layout, path: &str) -> Vec<NavLink> {
    let mut links: Vec<(&'static str, &'static str)> = vec![
        ("/dashboard", "Dashboard"),
        ("/cases", "Cases"),
        ("/search", "Search history"),
    ];
    if l.is_requester {
        links.push(("/cases/new", "New request"));
    }
    if l.is_reviewer {
        links.push(("/review", "Review queue"));
    }
    if l.is_examiner {
        links.push(("/examine", "Examiners' queue"));
    }
    if l.can_audit {
        links.push(("/audit", "Audit trail"));
        links.push(("/audits/monthly", "Monthly audit"));
    }
    if l.is_local_admin {
        links.push(("/admin/access-review", "Access review"));
        links.push(("/admin/agency", "Agency"));
    }
    if l.is_system_admin {
        links.push(("/admin/agencies", "Agencies"));
        links.push(("/admin/retained", "Logically deleted"));
        links.push(("/admin/published", "Published records"));
    }
    if l.decides_deleted_access {
        links.push(("/admin/deleted-access", "Deleted-case access"));
    }
    if l.sees_holds {
        links.push(("/holds", "Legal holds"));
    }
    if l.sees_calendar {
        links.push(("/audit/calendar", "Audit calendar"));
        links.push(("/audit/rereviews", "Re-reviews"));
    }
    let under = |href: &str| {
        path == href
            || path
                .strip_prefix(href)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    let current = links
        .iter()
        .map(|(href, _)| *href)
        .filter(|href| under(href))
        .max_by_key(|href| href.len());
    links
        .into_iter()
        .map(|(href, label)| NavLink {
            href,
            label,
            current: Some(href) == current,
        })
        .collect()
}

impl Layout {
    pub fn new(u: &CurrentUser, service_name: &str) -> Layout {
        let mut l = Layout {
            nav: Vec::new(),
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
        };
        l.nav = nav_for(&l, &u.meta.path);
        l
    }
}
