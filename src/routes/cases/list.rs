//! `GET /cases`: the cases the user may see (their agency's; every agency's for service staff).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::CurrentUser;
use crate::db::models::{Case, CaseListRow};
use crate::domain::CaseStatus;
use crate::errors::AppError;
use crate::routes::layout::Layout;
use crate::startup::AppState;
use crate::workflow::fmt_time;

#[derive(Template)]
#[template(path = "cases/list.html")]
pub struct CaseListPage {
    pub layout: Layout,
    pub rows: Vec<CaseListRow>,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub selected: String,
    pub all_agencies: bool,
}

impl CaseListPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
}

#[derive(Deserialize)]
pub struct Query {
    pub status: Option<String>,
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let status = q.status.as_deref().and_then(CaseStatus::parse);
    let scope = user.case_scope();
    let rows = crate::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(Case::list(c, scope, status, 500)?)
    })
    .await?;
    crate::routes::html(&CaseListPage {
        layout: Layout::new(&user, &state.settings.service.name),
        rows,
        statuses: CaseStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        selected: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        all_agencies: matches!(scope, crate::db::models::CaseScope::All),
    })
}
