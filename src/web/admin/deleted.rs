//! `GET /admin/retained`: logically deleted cases of every agency, for the service's system
//! administrators (LAPD ALPR order: only system administrators query logically deleted data) —
//! case number, dates, purge and hold status only. Opening one needs an approved access request
//! (`src/web/cases/deleted.rs`). Listing is itself an audit record (`retention.list_deleted`).

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::audit::{self, Entry};
use crate::cases::store::Case;
use crate::domain::Role;
use crate::platform::time::fmt_time;
use crate::retention::error::RetentionError;
use crate::retention::store::LegalHold;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// One logically deleted case as listed.
pub struct Row {
    pub case: Case,
    pub held: bool,
}

#[derive(Template)]
#[template(path = "admin/deleted.html")]
pub struct DeletedCasesPage {
    pub layout: Layout,
    pub rows: Vec<Row>,
    pub all_agencies: bool,
}

impl DeletedCasesPage {
    pub fn t(&self, at: &Option<chrono::NaiveDateTime>) -> String {
        at.as_ref().map(fmt_time).unwrap_or_else(|| "—".into())
    }
}

pub async fn page(user: CurrentUser, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    if !crate::retention::access::may_view_deleted(&user.roles, &user.agency) {
        return Err(AppError::Forbidden(
            RetentionError::NotAllowedToView.to_string(),
        ));
    }
    let all_agencies = true;
    let agency = None;
    let actor = user.actor(Role::SystemAdmin);
    let rows = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let cases = Case::deleted_in_scope(c, agency, 500)?;
        let mut rows = Vec::new();
        for case in cases {
            let held = LegalHold::is_held(c, case.case_id())?;
            rows.push(Row { case, held });
        }
        audit::record(
            c,
            &actor,
            Entry::new("retention.list_deleted", "case", "list")
                .details(format!("{} logically deleted case(s) listed", rows.len())),
        )?;
        Ok(rows)
    })
    .await?;
    crate::web::respond::html(&DeletedCasesPage {
        layout: Layout::new(&user, &state.settings.service.name),
        rows,
        all_agencies,
    })
}
