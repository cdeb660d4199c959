//! `GET /audit`: the audit trail. Local administrators and auditors see their agency's records;
//! reviewers (service staff) see all. Filters by user, action, case, outcome and date range
//! (each with its message beside the field), pages through every record newest first by keyset
//! on the id (page links keep the filters), and `GET /audit/export.csv` streams the filtered set
//! as CSV in chunks. Reading the trail (`audit.view`) and exporting it (`audit.export`) are
//! audit records themselves.

use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::{BodySize, MessageBody};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::audit::store::{AuditRecord, TrailPage};
use crate::audit::trail::{self, FieldProblem, TrailForm};
use crate::audit::{self, Entry, Outcome};
use crate::domain::Role;
use crate::platform::csv::CsvOut;
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
    pub form: TrailForm,
    pub problems: Vec<FieldProblem>,
    pub outcomes: Vec<(&'static str, &'static str)>,
    pub scope_label: String,
    /// Query string of the newer / older page (filters kept), if there is one.
    pub newer: Option<String>,
    pub older: Option<String>,
    /// Query string of the CSV export of the filtered set.
    pub export_query: String,
    /// The service's time zone (`service.time_zone`), in which the date filter's days are read.
    pub time_zone: String,
}

impl AuditPage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
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
    pub fn value(&self, name: &str) -> &str {
        self.form.value(name)
    }
}

/// The role the user reads the trail under, and the agency they are confined to.
fn reader(user: &CurrentUser) -> Result<(Role, Option<crate::domain::AgencyId>), AppError> {
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
    Ok((role, (role != Role::Reviewer).then(|| user.agency_id())))
}

fn query_string(pairs: &[(&'static str, String)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<TrailForm>,
) -> Result<HttpResponse, AppError> {
    let (role, agency) = reader(&user)?;
    let form = q.into_inner();
    let actor = user.actor(role);
    let f2 = form.clone();
    let cal = state.settings.service.calendar.clone();
    let (records, problems, newer, older) =
        crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            let (filter, problems) = f2.filter(c, agency, &cal)?;
            audit::record(
                c,
                &actor,
                Entry::new("audit.view", "audit", "trail").details(trail::describe(&filter)),
            )?;
            let records = AuditRecord::trail_page(c, &filter, f2.page(), trail::PAGE_SIZE)?;
            let (newer, older) = match (records.first(), records.last()) {
                (Some(first), Some(last)) => (
                    AuditRecord::trail_has(c, &filter, TrailPage::After(first.id))?
                        .then_some(first.id),
                    AuditRecord::trail_has(c, &filter, TrailPage::Before(last.id))?
                        .then_some(last.id),
                ),
                _ => (None, None),
            };
            Ok((records, problems, newer, older))
        })
        .await?;
    let kept = form.kept();
    let link = |key: &'static str, id: i64| {
        let mut pairs = kept.clone();
        pairs.push((key, id.to_string()));
        query_string(&pairs)
    };
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    crate::web::respond::html_status(
        status,
        &AuditPage {
            layout: Layout::new(&user, &state.settings.service.name),
            records,
            newer: newer.map(|id| link("after", id)),
            older: older.map(|id| link("before", id)),
            export_query: query_string(&kept),
            time_zone: state.settings.service.time_zone.clone(),
            form,
            problems,
            outcomes: Outcome::ALL
                .iter()
                .map(|o| (o.as_str(), o.label()))
                .collect(),
            scope_label: match agency {
                Some(_) => user.agency.name.clone(),
                None => "all agencies".into(),
            },
        },
    )
}

/// `GET /audit/export.csv?<filters>`: every record matching the filters (as of the moment the
/// export starts), newest first, as CSV, streamed [`trail::EXPORT_CHUNK`] records at a time so
/// a trail of millions of records never sits in memory. The export is itself an audit record
/// (`audit.export`, with the filters and the number of records); a filter with a problem is a
/// 400 naming it.
pub async fn export(
    user: CurrentUser,
    state: web::Data<AppState>,
    q: web::Query<TrailForm>,
) -> Result<HttpResponse, AppError> {
    let (role, agency) = reader(&user)?;
    let form = q.into_inner();
    let actor = user.actor(role);
    let cal = state.settings.service.calendar.clone();
    let (filter, up_to) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let (filter, problems) = form.filter(c, agency, &cal)?;
        if let Some(p) = problems.first() {
            return Err(AppError::BadRequest(p.message.clone()));
        }
        let up_to = AuditRecord::max_id(c)?;
        let n = AuditRecord::trail_count(c, &filter, up_to)?;
        audit::record(
            c,
            &actor,
            Entry::new("audit.export", "audit", "trail").details(format!(
                "{}; {n} record(s) up to #{up_to}",
                trail::describe(&filter)
            )),
        )?;
        Ok((filter, up_to))
    })
    .await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let pool = state.pool.clone();
    tokio::task::spawn_blocking(move || {
        let fail = |e: String| {
            tracing::error!(error = %e, "Audit trail export failed part-way");
            std::io::Error::other("the export failed part-way; see the server log")
        };
        let mut conn = match pool.get() {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.blocking_send(Err(fail(e.to_string())));
                return;
            }
        };
        let mut w = CsvOut::new();
        if let Err(e) = w.row(trail::CSV_HEADER) {
            let _ = tx.blocking_send(Err(fail(e.to_string())));
            return;
        }
        let mut cursor = up_to.saturating_add(1);
        loop {
            let chunk = AuditRecord::trail_page(
                &mut conn,
                &filter,
                TrailPage::Before(cursor),
                trail::EXPORT_CHUNK,
            );
            let rows = match chunk {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.blocking_send(Err(fail(e.to_string())));
                    return;
                }
            };
            let done = rows.len() < usize::try_from(trail::EXPORT_CHUNK).unwrap_or(usize::MAX);
            if let Some(last) = rows.last() {
                cursor = last.id;
            }
            let bytes =
                trail::write_rows(&mut w, &rows).and_then(|()| std::mem::take(&mut w).finish());
            match bytes {
                Ok(b) => {
                    if tx.blocking_send(Ok(Bytes::from(b))).is_err() {
                        return; // the client went away
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(fail(e.to_string())));
                    return;
                }
            }
            if done {
                return;
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            "attachment; filename=\"audit-trail.csv\"",
        ))
        .insert_header(("Cache-Control", "no-store"))
        .body(ChunkedBody(rx)))
}

/// A response body fed chunk by chunk from a bounded channel (the export's producer waits while
/// the client is slow, so memory stays at a couple of chunks).
struct ChunkedBody(tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl MessageBody for ChunkedBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, Self::Error>>> {
        self.get_mut().0.poll_recv(cx)
    }
}
