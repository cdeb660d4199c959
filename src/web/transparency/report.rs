//! `GET /transparency?from=YYYY-MM&to=YYYY-MM`: the public report ([`crate::transparency`]),
//! with charts; `GET /transparency.csv` and `GET /transparency.pdf` (signed with the desk's key)
//! give the same figures. No login: only suppressed aggregate counts leave the server. Views
//! are not audit records (no user acts on case data); they are logged. Each client address is
//! held to `http.public_requests_per_minute` (429 with `Retry-After` beyond it), since every
//! request aggregates the period's cases and a PDF is signed per request.

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::monthly_report::Month;
use crate::platform::time::now;
use crate::transparency::{Chart, INTRO, MEASURES, SUPPRESSION, TransparencyReport};
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::transparency::limit::over_limit;

/// The longest period one report covers (months), so a public request stays cheap.
pub const MAX_MONTHS: u32 = 36;

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A period that parsed: `from <= to`, at most [`MAX_MONTHS`] long, not after this month.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub from: Month,
    pub to: Month,
}

/// Errors of the period fields, beside the field they belong to.
#[derive(Debug, Default)]
pub struct PeriodErrors {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl Period {
    /// The last twelve months, this one included.
    pub fn default_now() -> Period {
        let to = Month::of(now());
        let mut from = to;
        for _ in 0..11 {
            from = from.previous();
        }
        Period { from, to }
    }

    /// Parses the query; empty fields take the default period's value.
    pub fn parse(q: &PeriodQuery) -> Result<Period, PeriodErrors> {
        let d = Period::default_now();
        let mut e = PeriodErrors::default();
        let field = |v: &Option<String>, default: Month| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(default),
            Some(s) => Month::parse(s).map_err(|err| err.to_string()),
        };
        let from = field(&q.from, d.from).map_err(|m| e.from = Some(m)).ok();
        let to = field(&q.to, d.to).map_err(|m| e.to = Some(m)).ok();
        if let (Some(from), Some(to)) = (from, to) {
            if to > d.to {
                e.to = Some(format!("The report cannot go past this month ({}).", d.to));
            } else if from > to {
                e.from = Some("The first month must not be after the last.".into());
            } else if months_between(from, to) >= MAX_MONTHS {
                e.from = Some(format!("A report covers at most {MAX_MONTHS} months."));
            } else {
                return Ok(Period { from, to });
            }
        }
        Err(e)
    }
}

fn months_between(from: Month, to: Month) -> u32 {
    let mut n = 0;
    let mut m = to;
    while m > from && n <= MAX_MONTHS {
        m = m.previous();
        n += 1;
    }
    n
}

#[derive(Template)]
#[template(path = "transparency/report.html")]
pub struct ReportPage {
    pub service_name: String,
    pub from: String,
    pub to: String,
    pub errors: PeriodErrors,
    pub report: TransparencyReport,
    pub charts: Vec<Chart>,
    pub measures: &'static [&'static str],
    pub intro: &'static str,
    pub suppression: &'static str,
    pub query: String,
    /// The "Published records" section (`templates/transparency/published.html`).
    pub records: crate::web::transparency::published::PublicRecords,
}

async fn build(state: &AppState, p: Period) -> Result<TransparencyReport, AppError> {
    crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(TransparencyReport::build(c, p.from, p.to)?)
    })
    .await
}

/// `GET /transparency`.
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
    let report = build(&state, period).await?;
    let records = crate::web::transparency::published::PublicRecords::load(&state).await?;
    tracing::info!(from = %period.from, to = %period.to, "Transparency report viewed");
    let charts = report.charts();
    crate::web::respond::html_status(
        status,
        &ReportPage {
            service_name: state.settings.service.name.clone(),
            // The fields show what was typed, so a mistake can be corrected in place.
            from: q.from.clone().unwrap_or_else(|| period.from.to_string()),
            to: q.to.clone().unwrap_or_else(|| period.to.to_string()),
            errors,
            query: format!("from={}&to={}", period.from, period.to),
            report,
            charts,
            measures: &MEASURES,
            intro: INTRO,
            suppression: SUPPRESSION,
            records,
        },
    )
}

/// `GET /transparency.{csv|pdf}`: the same figures as a file. A bad period is a 400 with the
/// field's message.
pub async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: web::Path<String>,
    q: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = over_limit(&state, &req) {
        return Ok(refused);
    }
    let kind = kind.into_inner();
    let period = Period::parse(&q).map_err(|e| {
        AppError::BadRequest(
            e.from
                .or(e.to)
                .unwrap_or_else(|| "Give the months as YYYY-MM.".into()),
        )
    })?;
    let report = build(&state, period).await?;
    let name = format!("transparency-{}-to-{}.{kind}", period.from, period.to);
    let (bytes, content_type) = match kind.as_str() {
        "csv" => (
            report.to_csv().map_err(AppError::Internal)?,
            "text/csv; charset=utf-8",
        ),
        "pdf" => {
            let service = state.settings.service.name.clone();
            let signer = state.signer.clone();
            let bytes = web::block(move || -> anyhow::Result<Vec<u8>> {
                let unsigned =
                    crate::platform::pdf::flow::render_document(&report.to_document(&service))?;
                Ok(crate::platform::pdf::sign(
                    &unsigned,
                    &signer,
                    &format!(
                        "{service}: transparency report {} to {}",
                        period.from, period.to
                    ),
                    chrono::Utc::now(),
                )?)
            })
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("PDF task failed: {e}")))?
            .map_err(AppError::Internal)?;
            (bytes, "application/pdf")
        }
        _ => return Err(AppError::NotFound),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        // Public aggregate figures: a short shared cache is harmless.
        .insert_header(("Cache-Control", "public, max-age=300"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: &str, to: &str) -> PeriodQuery {
        PeriodQuery {
            from: Some(from.into()),
            to: Some(to.into()),
        }
    }

    #[test]
    fn periods_parse_with_errors_beside_the_field() {
        let p = Period::parse(&q("2025-01", "2025-12")).expect("a year");
        assert_eq!(p.from.to_string(), "2025-01");
        let e = Period::parse(&q("2025-13", "2025-12")).expect_err("bad month");
        assert!(e.from.is_some() && e.to.is_none());
        let e = Period::parse(&q("2025-06", "2025-01")).expect_err("reversed");
        assert!(e.from.is_some());
        let e = Period::parse(&q("2020-01", "2025-01")).expect_err("too long");
        assert!(e.from.as_deref().is_some_and(|m| m.contains("36")));
        let e = Period::parse(&q("2025-01", "2999-01")).expect_err("future");
        assert!(e.to.is_some());
        assert!(Period::parse(&PeriodQuery::default()).is_ok());
    }
}
