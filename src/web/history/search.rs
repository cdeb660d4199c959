//! `GET /search`: case-history search over the index (free text, agency, status, dates, order).
//! Requesters search their own agency's cases only; service staff search every agency. Every
//! search is audited (`history.search`, with the criteria and the number of results).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::accounts::store::Agency;
use crate::audit::{self, Entry};
use crate::cases::store::CaseScope;
use crate::domain::CaseStatus;
use crate::history::query::SearchForm;
use crate::history::{HistoryQuery, QueryProblem, Sort};
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

#[derive(Template)]
#[template(path = "history/search.html")]
pub struct SearchPage {
    pub layout: Layout,
    /// The form as typed, to fill the inputs again.
    pub form: SearchForm,
    /// Agencies for the filter (staff only; empty for requesters).
    pub agencies: Vec<(i64, String)>,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub sorts: Vec<(&'static str, &'static str)>,
    pub all_agencies: bool,
    pub problems: Vec<QueryProblem>,
    pub results: Option<crate::history::HistoryResults>,
    /// Hidden inputs that repeat the search on the paging buttons.
    pub keep: Vec<(&'static str, String)>,
    pub prev_page: Option<usize>,
    pub next_page: Option<usize>,
}

impl SearchPage {
    /// The message for input `name`, if it has a problem.
    pub fn err(&self, name: &str) -> Option<&str> {
        self.problems
            .iter()
            .find(|p| p.field == name)
            .map(|p| p.message.as_str())
    }
    pub fn has_err(&self, name: &str) -> bool {
        self.err(name).is_some()
    }
    /// The typed value of input `name` (empty if none).
    pub fn value(&self, name: &str) -> &str {
        let v = match name {
            "q" => &self.form.q,
            "agency" => &self.form.agency,
            "status" => &self.form.status,
            "from" => &self.form.from,
            "to" => &self.form.to,
            "sort" => &self.form.sort,
            _ => &None,
        };
        v.as_deref().unwrap_or("")
    }
    /// Whether `<option value>` of input `name` is the chosen one.
    pub fn chosen(&self, name: &str, value: &str) -> bool {
        self.value(name).trim() == value
    }
    pub fn agency_chosen(&self, id: &i64) -> bool {
        self.value("agency").trim() == id.to_string()
    }
}

/// What the audit record says about a search (never the results themselves).
fn audit_details(q: &HistoryQuery, scope: CaseScope, total: usize) -> String {
    let scope = match scope {
        CaseScope::Service => "all agencies".to_string(),
        CaseScope::Agency(a) => format!("agency {}", a.0),
    };
    let opt = |v: Option<String>| v.unwrap_or_else(|| "any".into());
    format!(
        "text \"{}\"; scope {scope}; agency {}; status {}; from {}; to {}; sort {}; page {}; {total} result(s)",
        q.text,
        opt(q.agency.map(|a| a.to_string())),
        opt(q.status.map(|s| s.as_str().to_string())),
        opt(q.from.map(|d| d.to_string())),
        opt(q.to.map(|d| d.to_string())),
        q.sort.as_str(),
        q.page,
    )
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Query<SearchForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let scope = user.case_scope();
    let all_agencies = matches!(scope, CaseScope::Service);
    let (mut query, mut problems) = form.parse();
    if !all_agencies {
        // The scope already confines the search; an agency filter means nothing here.
        query.agency = None;
        problems.retain(|p| p.field != "agency");
    }
    let asked = !form.is_empty();
    let index = state.history.clone();
    // Examiners and supervisors compare candidates: no messages (blind examination).
    let messages =
        !(user.has(crate::domain::Role::Examiner) || user.has(crate::domain::Role::Supervisor));
    let actor = user.actor_as(user.primary_role());
    let (results, agencies) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let agencies = if all_agencies {
                Agency::all(c)?
                    .into_iter()
                    .filter(|a| !a.is_service)
                    .map(|a| (a.id, a.name))
                    .collect()
            } else {
                Vec::new()
            };
            if !asked {
                return Ok((None, agencies));
            }
            let results = index.search_with(&query, scope, messages)?;
            audit::record(
                c,
                &actor,
                Entry::new("history.search", "history", 0).details(audit_details(
                    &query,
                    scope,
                    results.total,
                )),
            )?;
            Ok((Some(results), agencies))
        })
        .await?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let keep = [
        ("q", &form.q),
        ("agency", &form.agency),
        ("status", &form.status),
        ("from", &form.from),
        ("to", &form.to),
        ("sort", &form.sort),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().filter(|v| !v.trim().is_empty()).map(|v| (k, v)))
    .collect();
    let (prev_page, next_page) = match &results {
        Some(r) => (
            (r.page > 1).then(|| r.page - 1),
            (r.page < r.pages()).then(|| r.page + 1),
        ),
        None => (None, None),
    };
    crate::web::respond::html_status(
        status,
        &SearchPage {
            layout: Layout::new(&user, &state.settings.service.name),
            form,
            agencies,
            statuses: CaseStatus::ALL
                .iter()
                .map(|s| (s.as_str(), s.label()))
                .collect(),
            sorts: Sort::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
            all_agencies,
            problems,
            results,
            keep,
            prev_page,
            next_page,
        },
    )
}
