//! `GET /transparency/audits?from=YYYY-MM&to=YYYY-MM` and `GET /transparency/audits.csv`: the
//! published monthly audit outcomes ([`crate::audit::outcomes`]) — counts only, small cells
//! suppressed as in the transparency report. No login; held to the same public rate limit.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::audit::outcomes::{AuditOutcomes, MEASURES};
use crate::platform::time::now;
use crate::transparency::SUPPRESSION;
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::transparency::report::{Period, PeriodErrors, PeriodQuery};

#[derive(Template)]
#[template(path = "transparency/audits.html")]
pub struct AuditsPage {
    pub service_name: String,
    pub from: String,
    pub to: String,
    pub errors: PeriodErrors,
    pub outcomes: AuditOutcomes,
    pub measures: &'static [&'static str],
    pub suppression: &'static str,
    pub query: String,
    /// `audit.monthly_due_day`.
    pub due_day: u32,
}

fn over_limit(state: &AppState, req: &HttpRequest) -> Option<HttpResponse> {
    let ip = crate::web::session::client_ip(req);
    let wait = state.limits.public(&ip).err()?;
    tracing::warn!(%ip, path = req.path(), "Audit outcomes refused: rate limit");
    Some(crate::web::respond::too_many_requests(wait))
}

async fn build(state: &AppState, p: Period) -> Result<AuditOutcomes, AppError> {
    let rules = state.settings.audit.calendar();
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(crate::audit::outcomes::build(
            c,
            &rules,
            p.from,
            p.to,
            now().date(),
        )?)
    })
    .await
}

/// `GET /transparency/audits`.
pub async fn page(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = over_limit(&state, &req) {
        return Ok(refused);
    }
    let q = q.into_inner();
    let (period, errors, status) = match Period::parse(&q) {
        Ok(p) => (p, PeriodErrors::default(), actix_web::http::StatusCode::OK),
        Err(e) => (
            Period::default_now(),
            e,
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        ),
    };
    let outcomes = build(&state, period).await?;
    crate::web::respond::html_status(
        status,
        &AuditsPage {
            service_name: state.settings.service.name.clone(),
            from: q.from.clone().unwrap_or_else(|| period.from.to_string()),
            to: q.to.clone().unwrap_or_else(|| period.to.to_string()),
            errors,
            query: format!("from={}&to={}", period.from, period.to),
            outcomes,
            measures: &MEASURES,
            suppression: SUPPRESSION,
            due_day: state.settings.audit.monthly_due_day,
        },
    )
}

/// `GET /transparency/audits.csv`: a bad period is a 400 with the field's message.
pub async fn csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    q: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = over_limit(&state, &req) {
        return Ok(refused);
    }
    let period = Period::parse(&q).map_err(|e| {
        AppError::BadRequest(
            e.from
                .or(e.to)
                .unwrap_or_else(|| "Give the months as YYYY-MM.".into()),
        )
    })?;
    let outcomes = build(&state, period).await?;
    let name = format!("audit-outcomes-{}-to-{}.csv", period.from, period.to);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(outcomes.to_csv().map_err(AppError::Internal)?))
}
