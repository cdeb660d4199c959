//! The monthly audit (LACRIS "Audits").
//!
//! - `GET /audits/monthly?month=YYYY-MM`: a local administrator or auditor sees their agency's
//!   month; service reviewers add `&agency=ID`, or see every agency's sign-off status without it.
//! - `POST /audits/monthly/signoff`: the local administrator records findings and signs off
//!   (signed PDF + CSV stored, once per agency and month).
//! - `GET /audits/monthly/export.{pdf,csv}?month=&agency=`: the report as it stands now.
//! - `GET /audits/monthly/{id}.{pdf,csv}`: the files exactly as signed off.
//! - `POST /audits/monthly/{id}/reviewed`: service staff mark a sign-off reviewed.
//!
//! Every view, export, sign-off, download and review is an audit record.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::store::{Agency, User};
use crate::audit::monthly::{AuditReportError, REPORTS_FOLDER, SignOff};
use crate::audit::monthly_report::{AuditReportRecord, Month, MonthlyReport};
use crate::audit::{self, Entry};
use crate::domain::{AgencyId, Role, UserId};
use crate::platform::time::{fmt_time, now};
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// Who is asking, and for which agency.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Local administrator of the agency: may sign off.
    Admin,
    /// Auditor of the agency: reads.
    Auditor,
    /// Service reviewer: reads every agency, marks sign-offs reviewed.
    Service,
}

fn access(user: &CurrentUser) -> Result<Access, AppError> {
    if user.has(Role::Reviewer) && user.agency.is_service {
        Ok(Access::Service)
    } else if user.has(Role::LocalAdmin) {
        Ok(Access::Admin)
    } else if user.has(Role::Auditor) {
        Ok(Access::Auditor)
    } else {
        Err(AppError::Forbidden(
            "Monthly audits are for local administrators, auditors and service reviewers.".into(),
        ))
    }
}

fn role_of(a: Access) -> Role {
    match a {
        Access::Admin => Role::LocalAdmin,
        Access::Auditor => Role::Auditor,
        Access::Service => Role::Reviewer,
    }
}

/// The agency whose audit `user` may see: their own, or (service staff) the one asked for.
fn agency_for(user: &CurrentUser, a: Access, asked: Option<i64>) -> Option<i64> {
    match (a, asked) {
        (Access::Service, Some(id)) => Some(id),
        (Access::Service, None) => None,
        _ => Some(user.agency_id().0),
    }
}

fn month_or_previous(s: Option<&str>) -> Result<Month, AppError> {
    match s.filter(|s| !s.trim().is_empty()) {
        Some(s) => Month::parse(s).map_err(|e| AppError::BadRequest(e.to_string())),
        None => Ok(Month::of(now()).previous()),
    }
}

pub struct StatusRow {
    pub agency: Agency,
    pub signoff: Option<AuditReportRecord>,
    pub signed_by: String,
}

#[derive(Template)]
#[template(path = "audit/monthly.html")]
pub struct MonthlyPage {
    pub layout: Layout,
    pub month: String,
    pub report: Option<MonthlyReport>,
    pub signoff: Option<AuditReportRecord>,
    pub signed_by: String,
    pub can_sign: bool,
    pub is_service: bool,
    pub overview: Vec<StatusRow>,
    pub findings: String,
    pub error: Option<String>,
    pub agency_param: String,
    /// The agency's next due monthly audit and access review (the audit calendar).
    pub due: Option<crate::audit::calendar::AgencyDue>,
    /// Local administrators (and the service) may record corrective actions on a sign-off.
    pub can_correct: bool,
}

impl MonthlyPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
}

#[derive(Deserialize)]
pub struct MonthQuery {
    pub month: Option<String>,
    pub agency: Option<i64>,
}

#[allow(clippy::too_many_arguments)]
async fn render_page(
    user: &CurrentUser,
    state: &AppState,
    month: Month,
    agency: Option<i64>,
    a: Access,
    findings: String,
    error: Option<String>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let actor = user.actor(role_of(a));
    let rules = state.settings.audit.clone();
    let calendar = state.settings.audit.calendar();
    let today = now().date();
    let (report, signoff, signed_by, overview, due) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            match agency {
                Some(id) => {
                    let report = MonthlyReport::build(c, id, month, &rules)
                        .map_err(|_| AppError::NotFound)?;
                    let signoff = AuditReportRecord::for_month(c, id, month)?;
                    let signed_by = match &signoff {
                        Some(s) => User::find(c, UserId(s.signed_off_by))?.name,
                        None => String::new(),
                    };
                    audit::record(
                        c,
                        &actor,
                        Entry::new("audit_report.view", "agency", id)
                            .details(format!("month {month}")),
                    )?;
                    let ag = Agency::find(c, AgencyId(id))?;
                    let due = crate::audit::calendar::for_agency(c, &calendar, &ag, today)?;
                    Ok((Some(report), signoff, signed_by, Vec::new(), Some(due)))
                }
                None => {
                    let signoffs = AuditReportRecord::all_for_month(c, month)?;
                    let mut rows = Vec::new();
                    for ag in Agency::all(c)?.into_iter().filter(|a| !a.is_service) {
                        let s = signoffs.iter().find(|s| s.agency_id == ag.id).cloned();
                        let signed_by = match &s {
                            Some(s) => User::find(c, UserId(s.signed_off_by))?.name,
                            None => String::new(),
                        };
                        rows.push(StatusRow {
                            agency: ag,
                            signoff: s,
                            signed_by,
                        });
                    }
                    audit::record(
                        c,
                        &actor,
                        Entry::new("audit_report.overview", "audit_report", month.to_string()),
                    )?;
                    Ok((None, None, String::new(), rows, None))
                }
            }
        })
        .await?;
    let page = MonthlyPage {
        layout: Layout::new(user, &state.settings.service.name),
        month: month.to_string(),
        can_sign: a == Access::Admin && signoff.is_none(),
        is_service: a == Access::Service,
        report,
        signoff,
        signed_by,
        overview,
        findings,
        error,
        agency_param: agency.map(|a| a.to_string()).unwrap_or_default(),
        due,
        can_correct: a == Access::Admin || user.has(Role::SystemAdmin),
    };
    crate::web::respond::html_status(status, &page)
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<MonthQuery>,
) -> Result<HttpResponse, AppError> {
    let a = access(&user)?;
    let month = month_or_previous(q.month.as_deref())?;
    let agency = agency_for(&user, a, q.agency);
    render_page(
        &user,
        &state,
        month,
        agency,
        a,
        String::new(),
        None,
        actix_web::http::StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct SignOffForm {
    pub csrf_token: String,
    pub month: String,
    pub findings: String,
}

crate::web::csrf::csrf_forms!(SignOffForm; multi_line: ["findings"]);

pub async fn signoff(
    user: CurrentUser,
    state: web::Data<AppState>,
    form: CsrfForm<SignOffForm>,
) -> Result<HttpResponse, AppError> {
    if access(&user)? != Access::Admin {
        return Err(AppError::Forbidden(
            "Only the agency's local administrator signs off its monthly audit.".into(),
        ));
    }
    let month = month_or_previous(Some(&form.month))?;
    let agency = user.agency_id().0;
    let actor = user.actor(Role::LocalAdmin);
    let (uid, name) = (user.user.id, user.user.name.clone());
    let findings = form.findings.clone();
    let files = state.storage().clone();
    let service = state.settings.service.name.clone();
    let signer = state.signer.clone();
    let rules = state.settings.audit.clone();
    let result = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let s = SignOff {
            files: &files,
            service: &service,
            signer: &signer,
            rules: &rules,
        };
        Ok(s.run(c, &actor, (uid, &name), agency, month, &findings))
    })
    .await?;
    match result {
        Ok(_) => Ok(crate::web::respond::redirect(&format!(
            "/audits/monthly?month={month}"
        ))),
        Err(e @ (AuditReportError::Db(_) | AuditReportError::Internal(_))) => {
            Err(AppError::Internal(anyhow::anyhow!("{e:#}")))
        }
        Err(e) => {
            let status = match e {
                AuditReportError::AlreadySignedOff => actix_web::http::StatusCode::CONFLICT,
                _ => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            };
            render_page(
                &user,
                &state,
                month,
                Some(agency),
                Access::Admin,
                form.findings.clone(),
                Some(e.to_string()),
                status,
            )
            .await
        }
    }
}

fn file_response(bytes: Vec<u8>, content_type: &str, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes)
}

/// `GET /audits/monthly/export.{pdf|csv}`: the report as it stands, signed (PDF) or CSV.
pub async fn export(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    q: web::Query<MonthQuery>,
) -> Result<HttpResponse, AppError> {
    let a = access(&user)?;
    let kind = path.into_inner();
    if kind != "pdf" && kind != "csv" {
        return Err(AppError::NotFound);
    }
    let month = month_or_previous(q.month.as_deref())?;
    let agency = agency_for(&user, a, q.agency)
        .ok_or_else(|| AppError::BadRequest("Choose the agency whose audit you want.".into()))?;
    let actor = user.actor(role_of(a));
    let rules = state.settings.audit.clone();
    let service = state.settings.service.name.clone();
    let signer = state.signer.clone();
    let k = kind.clone();
    let (bytes, name) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let report =
            MonthlyReport::build(c, agency, month, &rules).map_err(|_| AppError::NotFound)?;
        let (pdf, csv) = crate::audit::monthly::render(&report, &service, &signer, None)?;
        audit::record(
            c,
            &actor,
            Entry::new("audit_report.generate", "agency", agency)
                .details(format!("month {month}; {k}")),
        )?;
        let name = format!("audit-{}-{month}.{k}", report.ori);
        Ok((if k == "pdf" { pdf } else { csv }, name))
    })
    .await?;
    Ok(file_response(
        bytes,
        if kind == "pdf" {
            "application/pdf"
        } else {
            "text/csv; charset=utf-8"
        },
        &name,
    ))
}

/// `GET /audits/monthly/{id}.{pdf|csv}`: a signed-off report's stored file.
pub async fn download(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let a = access(&user)?;
    let (id, kind) = path.into_inner();
    if kind != "pdf" && kind != "csv" {
        return Err(AppError::NotFound);
    }
    let actor = user.actor(role_of(a));
    let own = user.agency_id().0;
    let files = state.storage().clone();
    let k = kind.clone();
    let (bytes, name) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let r = AuditReportRecord::find(c, id)?.ok_or(AppError::NotFound)?;
        if a != Access::Service && r.agency_id != own {
            return Err(AppError::NotFound);
        }
        let (rel, sha) = if k == "pdf" {
            (&r.pdf_path, &r.pdf_sha256)
        } else {
            (&r.csv_path, &r.csv_sha256)
        };
        if !rel.starts_with(REPORTS_FOLDER) {
            return Err(AppError::NotFound);
        }
        let bytes = files.get(rel)?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("{} is missing", files.describe(rel)))
        })?;
        use sha2::Digest;
        if hex::encode(sha2::Sha256::digest(&bytes)) != *sha {
            return Err(AppError::Internal(anyhow::anyhow!(
                "audit report file {} does not match its recorded SHA-256",
                files.describe(rel)
            )));
        }
        audit::record(
            c,
            &actor,
            Entry::new("audit_report.download", "audit_report", r.id).details(k.clone()),
        )?;
        let name = rel
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| format!("audit-report-{id}.{k}"));
        Ok((bytes, name))
    })
    .await?;
    Ok(file_response(
        bytes,
        if kind == "pdf" {
            "application/pdf"
        } else {
            "text/csv; charset=utf-8"
        },
        &name,
    ))
}

#[derive(Deserialize)]
pub struct ReviewForm {
    pub csrf_token: String,
    pub note: String,
}

crate::web::csrf::csrf_forms!(ReviewForm);

/// `POST /audits/monthly/{id}/reviewed`: service staff mark a sign-off reviewed.
pub async fn reviewed(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<ReviewForm>,
) -> Result<HttpResponse, AppError> {
    if access(&user)? != Access::Service {
        return Err(AppError::Forbidden(
            "Only service reviewers review agencies' monthly audits.".into(),
        ));
    }
    let id = path.into_inner();
    let actor = user.actor(Role::Reviewer);
    let uid = user.user.id;
    let note = crate::domain::request::clean(&form.note);
    let month = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        crate::platform::db::write_tx(c, |c| -> Result<_, AppError> {
            let r = AuditReportRecord::find(c, id)?.ok_or(AppError::NotFound)?;
            if !AuditReportRecord::mark_reviewed(c, id, uid, &note)? {
                return Err(AppError::Conflict(
                    "This sign-off is already marked reviewed.".into(),
                ));
            }
            let agency = Agency::find(c, AgencyId(r.agency_id))?;
            audit::record(
                c,
                &actor,
                Entry::new("audit_report.review", "audit_report", id)
                    .details(format!("{} {}: {note}", agency.ori, r.month)),
            )?;
            Ok(r.month)
        })
    })
    .await?;
    Ok(crate::web::respond::redirect(&format!(
        "/audits/monthly?month={month}"
    )))
}
