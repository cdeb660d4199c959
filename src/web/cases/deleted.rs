//! A logically deleted case (retention) is hidden from everyone. A system administrator of the
//! service asks to open it (`POST /cases/{id}/retained`: criterion from LAPD's ALPR order,
//! reference, statement); a second person approves it on `/admin/deleted-access`; then the
//! case opens to that administrator, read-only, for 24 hours (`src/retention/deleted_access.rs`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::cases::store::Case;
use crate::domain::CaseId;
use crate::domain::deleted_access::DeletedAccessCriterion;
use crate::retention::access_requests::AccessRequest;
use crate::retention::deleted_access::{deleted_case_for, request_access};
use crate::retention::error::RetentionError;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// The page asking a system administrator for the criterion, reference and statement, with
/// their earlier requests for the case and what became of them.
#[derive(Template)]
#[template(path = "retention/reason.html")]
pub struct ReasonPage {
    pub layout: Layout,
    pub case: Case,
    pub criteria: Vec<(&'static str, &'static str)>,
    pub requests: Vec<(AccessRequest, String)>,
    pub form: RequestForm,
    /// `(field, message)` pairs, shown beside their field.
    pub errors: Vec<(&'static str, String)>,
    /// Set after a request was stored.
    pub notice: Option<String>,
}

impl ReasonPage {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct RequestForm {
    pub csrf_token: String,
    #[serde(default)]
    pub criterion: String,
    #[serde(default)]
    pub reference: String,
    #[serde(default)]
    pub statement: String,
}

crate::web::csrf::csrf_forms!(RequestForm; multi_line: ["statement"]);

/// Renders the request form (200, or 422 with errors beside their fields).
pub fn reason_page(
    user: &CurrentUser,
    state: &AppState,
    case: Case,
    requests: Vec<AccessRequest>,
    form: RequestForm,
    errors: Vec<(&'static str, String)>,
    notice: Option<String>,
) -> Result<HttpResponse, AppError> {
    let at = crate::platform::time::now();
    let failed = !errors.is_empty();
    let page = ReasonPage {
        layout: Layout::new(user, &state.settings.service.name),
        case,
        criteria: DeletedAccessCriterion::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        requests: requests
            .into_iter()
            .map(|r| {
                let s = r.status_label(at);
                (r, s)
            })
            .collect(),
        form,
        errors,
        notice,
    };
    if failed {
        crate::web::respond::html_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
    } else {
        crate::web::respond::html(&page)
    }
}

/// `POST /cases/{id}/retained`: stores the request (pending a second person's approval).
pub async fn submit(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<RequestForm>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let (u, a) = (user.user.clone(), user.agency.clone());
    let actor = user.actor_as(user.primary_role());
    let typed = RequestForm {
        csrf_token: String::new(),
        criterion: form.criterion.clone(),
        reference: form.reference.clone(),
        statement: form.statement.clone(),
    };
    let t = typed.clone();
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let outcome = request_access(
            c,
            &u,
            &a,
            &actor,
            id,
            &t.criterion,
            &t.reference,
            &t.statement,
        );
        let errors = match outcome {
            Ok(_) => Vec::new(),
            Err(RetentionError::Invalid(errs)) => errs,
            Err(RetentionError::NotAllowedToView) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        };
        let case = deleted_case_for(c, &u, &a, id)
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound)?;
        let requests = AccessRequest::for_case_by(c, id, u.id)?;
        Ok((case, requests, errors))
    })
    .await?;
    let (case, requests, errors) = result;
    if errors.is_empty() {
        reason_page(
            &user,
            &state,
            case,
            requests,
            RequestForm::default(),
            Vec::new(),
            Some(
                "Your request is stored and awaits a second person's approval (another system administrator or a service supervisor). You will be able to open the case for 24 hours once it is approved."
                    .into(),
            ),
        )
    } else {
        reason_page(&user, &state, case, requests, typed, errors, None)
    }
}
