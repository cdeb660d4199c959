//! Where each person starts (issue 15, "Each role lands on its work"): after login and at `/`,
//! reviewers land on the compliance review queue, examiners and supervisors on the examiners'
//! queue, requesters on their cases, auditors on the audit trail, local administrators on the
//! audit calendar, the service's system administrators on the agency list. A person with
//! several roles lands on the first of that order.

use actix_web::HttpResponse;

use crate::domain::{Role, Roles};
use crate::web::session::CurrentUser;

/// The start page of a person with `roles`.
pub fn landing(roles: &Roles) -> &'static str {
    const ORDER: [(Role, &str); 7] = [
        (Role::Reviewer, "/review"),
        (Role::Examiner, "/examine"),
        (Role::Supervisor, "/examine"),
        (Role::Requester, "/cases"),
        (Role::Auditor, "/audit"),
        (Role::LocalAdmin, "/audit/calendar"),
        (Role::SystemAdmin, "/admin/agencies"),
    ];
    ORDER
        .iter()
        .find(|(r, _)| roles.has(*r))
        .map_or("/cases", |(_, to)| to)
}

/// `GET /`: the person's start page, or the login page.
pub async fn home(user: Option<CurrentUser>) -> HttpResponse {
    crate::web::respond::redirect(user.as_ref().map_or("/login", |u| landing(&u.roles)))
}
