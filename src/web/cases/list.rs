//! `GET /cases?status=&page=`: the cases the user may see (their agency's; every agency's for
//! service staff), most recently changed first, [`PAGE_SIZE`] to a page.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::cases::store::{Case, CaseListRow};
use crate::domain::CaseStatus;
use crate::platform::time::fmt_time;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;
/// Deepest page served (beyond it, narrow the list with the status filter or search history).
pub const MAX_PAGE: i64 = 2_000;

#[derive(Template)]
#[template(path = "cases/list.html")]
pub struct CaseListPage {
    pub layout: Layout,
    pub rows: Vec<CaseListRow>,
    /// Open cases' most urgent stage clock, by case id.
    pub dues: std::collections::HashMap<i64, crate::clocks::DueLabel>,
    /// 1-based page number, and links to the neighbours ("" when there is none).
    pub page: i64,
    pub prev_href: String,
    pub next_href: String,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub selected: String,
    pub all_agencies: bool,
}

impl CaseListPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
    pub fn due_of(&self, case_id: &i64) -> Option<crate::clocks::DueLabel> {
        self.dues.get(case_id).cloned()
    }
}

#[derive(Deserialize)]
pub struct Query {
    pub status: Option<String>,
    pub page: Option<String>,
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<Query>,
) -> Result<HttpResponse, AppError> {
    let status = q.status.as_deref().and_then(|s| CaseStatus::parse(s).ok());
    // A missing or unreadable page number is page 1; beyond the last page the list is empty.
    let page = q
        .page
        .as_deref()
        .and_then(|p| p.trim().parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, MAX_PAGE);
    let scope = user.case_scope();
    let clocks = crate::clocks::Clocks::of(&state.settings);
    let (mut rows, dues) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        // One row more than a page tells whether there is a next page.
        let rows = Case::list_page(c, scope, status, (page - 1) * PAGE_SIZE, PAGE_SIZE + 1)?;
        let facts: Vec<crate::clocks::CaseFacts> = rows
            .iter()
            .take(PAGE_SIZE as usize)
            .map(|r| (&r.case).into())
            .collect();
        let now = crate::platform::time::now();
        let dues: std::collections::HashMap<i64, crate::clocks::DueLabel> =
            crate::clocks::spans::measure(c, &clocks, &facts, now)?
                .into_iter()
                .filter_map(|(id, m)| {
                    crate::clocks::due::most_urgent(&m, &clocks.calendar).map(|d| (id, d))
                })
                .collect();
        Ok((rows, dues))
    })
    .await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    // Within the page, overdue cases first (then the most recently changed, as listed).
    rows.sort_by_key(|r| !dues.get(&r.case.id).is_some_and(|d| d.is_overdue()));
    let href = |p: i64| {
        let status = status
            .map(|s| format!("status={}&", s.as_str()))
            .unwrap_or_default();
        format!("/cases?{status}page={p}")
    };
    crate::web::respond::html(&CaseListPage {
        layout: Layout::new(&user, &state.settings.service.name),
        rows,
        dues,
        page,
        prev_href: if page > 1 {
            href(page - 1)
        } else {
            String::new()
        },
        next_href: if more && page < MAX_PAGE {
            href(page + 1)
        } else {
            String::new()
        },
        statuses: CaseStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        selected: status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        all_agencies: matches!(scope, crate::cases::store::CaseScope::Service),
    })
}
