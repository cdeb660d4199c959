//! Result packets of a case: `GET /cases/{id}/packets/{packet_id}.pdf` (download, audited) and
//! the supervisor's `POST /cases/{id}/result/reissue` and `POST /cases/{id}/result/withdraw`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::audit::{self, Entry, Outcome};
use crate::domain::{CaseId, Role};
use crate::result::context::ServiceInfo;
use crate::result::reissue as change;
use crate::result::store::PacketRecord;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// The signed PDF as issued, to users who may see the case.
pub async fn download(
    session: actix_session::Session,
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, file) = path.into_inner();
    let id = CaseId(id);
    let packet_id = file.strip_suffix(".pdf").unwrap_or(&file).to_string();
    let actor = user.actor_as(user.primary_role());
    let granted = crate::web::cases::deleted::has_grant(&session, id.0);
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let packets_dir = state.settings.packets_dir();
    let (name, bytes) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        // A restricted account may not download packets (docs/POLICIES.md, issue 14).
        if let Err(r) = crate::accounts::restriction::check(c, su.id)? {
            audit::record(
                c,
                &actor,
                Entry::new("packet.download", "packet", &packet_id)
                    .outcome(Outcome::Denied)
                    .details(format!("case {}: {r}", id.0)),
            )?;
            return Err(AppError::Forbidden(r.to_string()));
        }
        let viewer = crate::cases::access::Viewer::new(&su, &sa, granted.then_some(id));
        let case = crate::cases::access::case_with_files_for(c, &viewer, id)?;
        let packet = match &case {
            Some(_) => PacketRecord::by_packet_id(c, &packet_id)?.filter(|p| p.case_id == id.0),
            None => None,
        };
        let (Some(case), Some(packet)) = (case, packet) else {
            audit::record(
                c,
                &actor,
                Entry::new("packet.download", "packet", &packet_id)
                    .outcome(Outcome::Denied)
                    .details(format!("case {}", id.0)),
            )?;
            return Err(AppError::NotFound);
        };
        let path = packets_dir.join(packet.file_name());
        let bytes = std::fs::read(&path).map_err(|e| {
            AppError::Internal(anyhow::anyhow!("Failed to read {}: {e}", path.display()))
        })?;
        use sha2::Digest;
        if hex::encode(sha2::Sha256::digest(&bytes)) != packet.file_sha256 {
            return Err(AppError::Internal(anyhow::anyhow!(
                "packet file {} does not match its recorded SHA-256",
                path.display()
            )));
        }
        audit::record(
            c,
            &actor,
            Entry::new("packet.download", "packet", &packet.packet_id)
                .reason(&case.search_reason)
                .details(format!(
                    "case {}; {}",
                    case.display_number(),
                    if packet.is_current() {
                        "current"
                    } else {
                        "superseded"
                    }
                )),
        )?;
        Ok((packet.file_name(), bytes))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(bytes))
}

#[derive(Deserialize)]
pub struct ChangeForm {
    pub csrf_token: String,
    pub reason: String,
}

crate::web::csrf::csrf_forms!(ChangeForm; multi_line: ["reason"]);

/// A supervisor asks for a corrected packet; the earlier one is superseded when it is issued.
pub async fn reissue(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<ChangeForm>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let u = user.clone();
    let reason = form.reason.clone();
    let effects = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let actor = u.actor(Role::Supervisor);
        let (_, effects) = change::request_reissue(c, &u.user, &u.roles, &actor, id, &reason)?;
        Ok(effects)
    })
    .await?;
    state.after_commit(&effects);
    Ok(crate::web::respond::redirect(&format!(
        "/cases/{}?reissued=1",
        id.0
    )))
}

/// A supervisor withdraws the result; the requester is told by email.
pub async fn withdraw(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: CsrfForm<ChangeForm>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let u = user.clone();
    let reason = form.reason.clone();
    let service = ServiceInfo {
        name: state.settings.service.name.clone(),
        base_url: state.settings.service.base_url.clone(),
    };
    let effects = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let actor = u.actor(Role::Supervisor);
        Ok(change::withdraw(
            c, &u.user, &u.roles, &actor, &service, id, &reason,
        )?)
    })
    .await?;
    state.after_commit(&effects);
    Ok(crate::web::respond::redirect(&format!(
        "/cases/{}?withdrawn=1",
        id.0
    )))
}
