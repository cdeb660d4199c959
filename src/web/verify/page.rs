//! `GET /verify`, `POST /verify` (no login): anyone — a prosecutor, a defence attorney, a court
//! clerk — uploads a lead packet PDF and learns whether it is genuine, issued by this desk, and
//! current, superseded or withdrawn: the answer of `frdesk packet verify`
//! ([`crate::result::verify::verify_packet`]), with the case number the packet prints and no
//! other case data.
//!
//! The upload (multipart: `csrf_token`, `packet`) is read into memory, checked and dropped:
//! nothing is written anywhere. At most [`MAX_BYTES`] is checked (a bigger file gets a message
//! beside the field; above [`HARD_LIMIT_BYTES`] the request is refused outright). Each address
//! is held to the public rate (`http.public_requests_per_minute`) besides the form-post rate.
//! The form carries the session's CSRF token, as the login form does. Each check is an audit
//! record (`packet.verify`, actor `public`, the client address).

use actix_multipart::form::{MultipartForm, MultipartFormConfig, bytes::Bytes, text::Text};
use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use askama::Template;

use crate::audit::Actor;
use crate::result::verify::{PacketReport, Standing};
use crate::web::error::AppError;
use crate::web::session::{self as auth, RequestMeta};
use crate::web::state::AppState;

/// The largest packet checked: 10 MiB (issued packets are a few hundred KiB).
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// Above this the request is refused before it is read to the end (413 page).
pub const HARD_LIMIT_BYTES: usize = 2 * MAX_BYTES;

/// The upload is held in memory up to [`HARD_LIMIT_BYTES`] (never in a temporary file).
pub fn multipart_config() -> MultipartFormConfig {
    MultipartFormConfig::default()
        .total_limit(HARD_LIMIT_BYTES + 64 * 1024)
        .memory_limit(HARD_LIMIT_BYTES + 64 * 1024)
        .error_handler(|err, _req| {
            tracing::warn!(error = %err, "Packet check refused: unreadable or oversized upload");
            AppError::BadRequest(format!(
                "The upload could not be read ({err}). A packet must be one PDF file of at most \
                 10 MiB; go back to /verify and choose the file again."
            ))
            .into()
        })
}

#[derive(MultipartForm)]
pub struct PacketUpload {
    pub csrf_token: Option<Text<String>>,
    #[multipart(limit = "20MiB")]
    pub packet: Option<Bytes>,
}

/// The page: the form, an error beside the field, or the answer.
#[derive(Template)]
#[template(path = "verify/page.html")]
pub struct VerifyPage {
    pub service_name: String,
    pub csrf_token: String,
    /// The message beside the file field (no file, not a PDF, too large).
    pub error: Option<String>,
    /// The answer for the uploaded file.
    pub report: Option<Answer>,
    /// "10 MiB".
    pub max_label: &'static str,
}

/// What the page shows of a [`PacketReport`].
pub struct Answer {
    pub standing: Standing,
    /// "current", "superseded", "withdrawn", "not-genuine", … (a CSS class).
    pub class: &'static str,
    pub report: PacketReport,
}

impl Answer {
    fn of(report: PacketReport) -> Answer {
        let class = match report.standing {
            Standing::Current => "answer-current",
            Standing::Superseded | Standing::Withdrawn => "answer-replaced",
            Standing::NotGenuine | Standing::NotThisDesk | Standing::NotOnRecord => {
                "answer-refused"
            }
        };
        Answer {
            standing: report.standing,
            class,
            report,
        }
    }

    pub fn headline(&self) -> &'static str {
        self.standing.headline()
    }

    pub fn is_superseded(&self) -> bool {
        self.standing == Standing::Superseded
    }

    pub fn is_withdrawn(&self) -> bool {
        self.standing == Standing::Withdrawn
    }

    /// "Yes" / "No" for the signature row.
    pub fn signature_label(&self) -> &'static str {
        yes(self.report.signature_valid)
    }

    /// "Yes" / "No" for the issued-here row.
    pub fn issued_label(&self) -> &'static str {
        yes(self.report.issued_by_this_server)
    }

    /// The standing row: "Current", "Superseded", "Withdrawn" or "—" when not issued here.
    pub fn standing_label(&self) -> &'static str {
        match self.standing {
            Standing::Current => "Current",
            Standing::Superseded => "Superseded by a corrected packet",
            Standing::Withdrawn => "Withdrawn",
            _ => "—",
        }
    }
}

fn yes(b: bool) -> &'static str {
    if b { "Yes" } else { "No" }
}

fn page(
    state: &AppState,
    csrf_token: String,
    error: Option<String>,
    report: Option<PacketReport>,
) -> VerifyPage {
    VerifyPage {
        service_name: state.settings.service.name.clone(),
        csrf_token,
        error,
        report: report.map(Answer::of),
        max_label: "10 MiB",
    }
}

fn over_limit(state: &AppState, req: &HttpRequest) -> Option<HttpResponse> {
    let ip = crate::web::session::client_ip(req);
    let wait = state.limits.public(&ip).err()?;
    tracing::warn!(%ip, path = req.path(), "Packet check refused: rate limit");
    Some(crate::web::respond::too_many_requests(wait))
}

/// `GET /verify`: the form.
pub async fn form(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = over_limit(&state, &req) {
        return Ok(refused);
    }
    let csrf = auth::csrf_token(&session)?;
    crate::web::respond::html(&page(&state, csrf, None, None))
}

/// Why an upload is not checked, for the message beside the field.
fn refusal(upload: Option<&Bytes>) -> Option<String> {
    let Some(f) = upload.filter(|f| !f.data.is_empty()) else {
        return Some("Choose the packet PDF to check.".into());
    };
    if f.data.len() > MAX_BYTES {
        return Some(format!(
            "The file is too large ({:.1} MiB): a packet is at most 10 MiB. Check that you chose \
             the packet PDF itself.",
            f.data.len() as f64 / (1024.0 * 1024.0)
        ));
    }
    if !f.data.starts_with(b"%PDF-") {
        return Some(
            "This file is not a PDF. Choose the packet exactly as it was received (a .pdf file), \
             not a scan or a printout."
                .into(),
        );
    }
    None
}

/// `POST /verify`: checks the uploaded packet and shows the answer (200), or the form with the
/// message beside the field (422). Errors: a wrong or missing CSRF token (403), the database.
pub async fn submit(
    req: HttpRequest,
    session: Session,
    state: web::Data<AppState>,
    meta: RequestMeta,
    MultipartForm(form): MultipartForm<PacketUpload>,
) -> Result<HttpResponse, AppError> {
    if let Some(refused) = over_limit(&state, &req) {
        return Ok(refused);
    }
    let token = form
        .csrf_token
        .as_ref()
        .map(|t| t.0.clone())
        .unwrap_or_default();
    auth::verify_csrf(&session, &token)?;
    let csrf = auth::csrf_token(&session)?;
    if let Some(message) = refusal(form.packet.as_ref()) {
        return crate::web::respond::html_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&state, csrf, Some(message), None),
        );
    }
    let Some(pdf) = form.packet.map(|f| f.data) else {
        return Err(AppError::BadRequest("No packet was uploaded.".into()));
    };
    let actor = Actor {
        user_id: None,
        email: "public".into(),
        role: "public".into(),
        agency_id: None,
        ip: meta.ip.clone(),
        user_agent: meta.user_agent.clone(),
    };
    let report = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        Ok(crate::result::verify::verify_packet(c, &actor, &pdf)?.for_public())
    })
    .await?;
    tracing::info!(ip = %meta.ip, standing = ?report.standing, packet = ?report.packet_id, "Public packet check");
    crate::web::respond::html(&page(&state, csrf, None, Some(report)))
}
