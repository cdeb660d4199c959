//! `GET /audit`: the audit trail. Local administrators and auditors see their agency's records;
//! reviewers (service staff) see all. Reading the trail is itself audited.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::store::{AuditFilter, AuditRecord};
use crate::audit::{self, Entry};
use crate::domain::Role;
use crate::platform::time::fmt_time;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub records: Vec<AuditRecord>,
    pub action: String,
    pub object: String,
    pub scope_label: String,
}

impl AuditPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
}

#[derive(Deserialize)]
pub struct Query {
    pub action: Option<String>,
    pub object: Option<String>,
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let role = if user.has(Role::Reviewer) {
        Role::Reviewer
    } else if user.has(Role::LocalAdmin) {
        Role::LocalAdmin
    } else if user.has(Role::Auditor) {
        Role::Auditor
    } else {
        return Err(AppError::Forbidden(
            "The audit trail is for local administrators, auditors and reviewers.".into(),
        ));
    };
    let agency = (role != Role::Reviewer).then(|| user.agency_id());
    let filter = AuditFilter {
        agency,
        action: q.action.clone().filter(|s| !s.is_empty()),
        object_id: q.object.clone().filter(|s| !s.is_empty()),
        user_id: None,
        limit: 500,
    };
    let actor = user.actor(role);
    let records = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        audit::record(c, &actor, Entry::new("audit.view", "audit", "trail"))?;
        Ok(AuditRecord::list(c, &filter)?)
    })
    .await?;
    crate::web::respond::html(&AuditPage {
        layout: Layout::new(&user, &state.settings.service.name),
        records,
        action: q.action.clone().unwrap_or_default(),
        object: q.object.clone().unwrap_or_default(),
        scope_label: match agency {
            Some(_) => user.agency.name.clone(),
            None => "all agencies".into(),
        },
    })
}
