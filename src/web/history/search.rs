//! `GET /search`: case-history search over the index (free text, agency, status, dates, order).
//! Requesters search their own agency's cases only; service staff search every agency. Every
//! search is audited (`history.search`, with the criteria and the number of results).
//! `GET /search/export.csv` exports the result (`history.export`); `POST /search/saved` and
//! `POST /search/saved/delete` keep and remove the user's saved searches.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::store::Agency;
use crate::audit::{self, Entry};
use crate::cases::store::CaseScope;
use crate::domain::CaseStatus;
use crate::history::query::SearchForm;
use crate::history::saved::{self, SavedSearch, SavedSearchError};
use crate::history::{HistoryQuery, QueryProblem, Sort};
use crate::platform::csv::CsvOut;
use crate::platform::time::now;
use crate::web::csrf::CsrfForm;
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
    /// The user's saved searches.
    pub saved: Vec<SavedSearch>,
    /// The name typed in the save form (kept after a refused save).
    pub save_name: String,
    /// The CSV export of this search.
    pub export_url: String,
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

/// The page's state before rendering: the typed form, problems beside fields, results.
struct View {
    form: SearchForm,
    problems: Vec<QueryProblem>,
    /// The name typed in the "save this search" form (after a refused save).
    save_name: String,
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Query<SearchForm>,
) -> Result<HttpResponse, AppError> {
    render(
        &user,
        &state,
        View {
            form: form.into_inner(),
            problems: Vec::new(),
            save_name: String::new(),
        },
    )
    .await
}

/// The form as the user may use it: an agency-scoped user's agency filter means nothing (the
/// scope already confines the search) and is dropped with its problem.
fn parse_for(
    user: &CurrentUser,
    form: &SearchForm,
) -> (HistoryQuery, Vec<QueryProblem>, CaseScope) {
    let scope = user.case_scope();
    let (mut query, mut problems) = form.parse();
    if !matches!(scope, CaseScope::Service) {
        query.agency = None;
        problems.retain(|p| p.field != "agency");
    }
    (query, problems, scope)
}

/// The filled-in fields of `form` as `(name, value)` pairs (for links and hidden inputs).
fn kept(form: &SearchForm) -> Vec<(&'static str, String)> {
    [
        ("q", &form.q),
        ("agency", &form.agency),
        ("status", &form.status),
        ("from", &form.from),
        ("to", &form.to),
        ("sort", &form.sort),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().filter(|v| !v.trim().is_empty()).map(|v| (k, v)))
    .collect()
}

async fn render(
    user: &CurrentUser,
    state: &web::Data<AppState>,
    view: View,
) -> Result<HttpResponse, AppError> {
    let View {
        form,
        problems: extra,
        save_name,
    } = view;
    let (query, mut problems, scope) = parse_for(user, &form);
    problems.extend(extra);
    let all_agencies = matches!(scope, CaseScope::Service);
    let asked = !form.is_empty();
    let index = state.history.clone();
    // Examiners and supervisors compare candidates: no messages (blind examination).
    let messages =
        !(user.has(crate::domain::Role::Examiner) || user.has(crate::domain::Role::Supervisor));
    let actor = user.actor_as(user.primary_role());
    let me = user.id();
    let (results, agencies, saved) =
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
            let saved = SavedSearch::of_user(c, me)?;
            if !asked {
                return Ok((None, agencies, saved));
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
            Ok((Some(results), agencies, saved))
        })
        .await?;
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let keep = kept(&form);
    let export_url = format!(
        "/search/export.csv?{}",
        serde_urlencoded::to_string(&keep).unwrap_or_default()
    );
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
            layout: Layout::new(user, &state.settings.service.name),
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
            saved,
            save_name,
            export_url,
        },
    )
}

/// Most rows of one CSV export (refine the search for more).
pub const EXPORT_MAX: usize = 10_000;

/// `GET /search/export.csv?<the search form>`: every matching case (up to [`EXPORT_MAX`]) in the
/// chosen order, as CSV (case number, agency, requester, status, submitted, search reason;
/// formulas neutralised). Same scope as the page; the export is an audit record
/// (`history.export`, with the criteria and the number of rows). A form with problems is a 400
/// naming them.
pub async fn export(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: web::Query<SearchForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let (query, problems, scope) = parse_for(&user, &form);
    if let Some(p) = problems.first() {
        return Err(AppError::BadRequest(p.message.clone()));
    }
    let index = state.history.clone();
    // As on the page: examiners and supervisors never reach a case's messages.
    let messages =
        !(user.has(crate::domain::Role::Examiner) || user.has(crate::domain::Role::Supervisor));
    let actor = user.actor_as(user.primary_role());
    let body = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let (hits, total) = index.export(&query, scope, messages, EXPORT_MAX)?;
        audit::record(
            c,
            &actor,
            Entry::new("history.export", "history", 0).details(format!(
                "{}; {} row(s) exported",
                audit_details(&query, scope, total),
                hits.len()
            )),
        )?;
        let mut w = CsvOut::new();
        w.row([
            "case_number",
            "agency",
            "requester",
            "status",
            "submitted_utc",
            "search_reason",
        ])?;
        for h in &hits {
            w.row([
                h.case_number.as_str(),
                &h.agency_name,
                &h.requester_name,
                &h.status,
                &h.filed_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                &h.search_reason,
            ])?;
        }
        Ok(w.finish()?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"case-history-search.csv\"",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(body))
}

#[derive(Deserialize)]
pub struct SaveForm {
    pub csrf_token: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
}

#[derive(Deserialize)]
pub struct DeleteForm {
    pub csrf_token: String,
    pub id: i64,
}

crate::web::csrf::csrf_forms!(SaveForm, DeleteForm);

/// `POST /search/saved`: saves the search (name, words, order) for the user and reruns it; a
/// refused save shows the page again with the message beside the name.
pub async fn save(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<SaveForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let sort = Sort::parse(form.sort.trim()).unwrap_or_default();
    let actor = user.actor_as(user.primary_role());
    let me = user.id();
    let (name, text) = (form.name.clone(), form.q.clone());
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(saved::save(c, &actor, me, &name, &text, sort, now()))
    })
    .await?;
    match result {
        Ok(s) => Ok(crate::web::respond::redirect(&s.url())),
        Err(SavedSearchError::Db(e)) => Err(e.into()),
        Err(e) => {
            let field = e.field().unwrap_or("name");
            render(
                &user,
                &state,
                View {
                    form: SearchForm {
                        q: Some(form.q),
                        sort: Some(sort.as_str().to_string()),
                        ..Default::default()
                    },
                    problems: vec![QueryProblem {
                        field,
                        message: e.to_string(),
                    }],
                    save_name: form.name,
                },
            )
            .await
        }
    }
}

/// `POST /search/saved/delete`: deletes one of the user's saved searches (another user's
/// answers 404, audited as refused) and returns to the search page.
pub async fn delete(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<DeleteForm>,
) -> Result<HttpResponse, AppError> {
    let id = form.id;
    let actor = user.actor_as(user.primary_role());
    let me = user.id();
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(saved::delete(c, &actor, me, id))
    })
    .await?;
    match result {
        Ok(()) => Ok(crate::web::respond::redirect("/search")),
        Err(SavedSearchError::Db(e)) => Err(e.into()),
        Err(_) => Err(AppError::NotFound),
    }
}
