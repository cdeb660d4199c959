//! Result packets of a case: `GET /cases/{id}/packets/{packet_id}.pdf` (download: only the
//! requester, the agency's local administrators and service staff; audited and written to the
//! dissemination log), `GET /cases/{id}/disseminations.csv` (the log as CSV) and
//! the supervisor's `POST /cases/{id}/result/reissue` and `POST /cases/{id}/result/withdraw`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::audit::{self, Entry, Outcome};
use crate::domain::deleted_access::may_receive_packet;
use crate::domain::{CaseId, Role};
use crate::result::context::ServiceInfo;
use crate::result::dissemination::{DOWNLOAD, Dissemination, NewDissemination};
use crate::result::reissue as change;
use crate::result::store::PacketRecord;
use crate::web::csrf::CsrfForm;
use crate::web::error::AppError;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// The signed PDF as issued, to users who may see the case.
pub async fn download(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, file) = path.into_inner();
    let id = CaseId(id);
    let packet_id = file.strip_suffix(".pdf").unwrap_or(&file).to_string();
    let actor = user.actor_as(user.primary_role());
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let storage = state.storage().clone();
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
        let viewer = crate::cases::access::Viewer::new(&su, &sa);
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
        // Need to know (NY MPTC §IV.G): the requester, the agency's local administrators and
        // the service's staff; other users of the agency see the case, not the packet.
        if !may_receive_packet(
            &viewer.roles,
            sa.is_service,
            case.agency_id == sa.id,
            case.requester_id == su.id,
        ) {
            audit::record(
                c,
                &actor,
                Entry::new("packet.download", "packet", &packet.packet_id)
                    .outcome(Outcome::Denied)
                    .details(format!(
                        "case {}; not the requester, a local administrator of the agency or service staff",
                        case.display_number()
                    )),
            )?;
            return Err(AppError::Forbidden(
                "Only the requester, the agency's local administrators and the service's staff may download the result packet."
                    .into(),
            ));
        }
        let rel = packet.relative_path();
        let bytes = storage.get(&rel)?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("{} is missing", storage.describe(&rel)))
        })?;
        use sha2::Digest;
        if hex::encode(sha2::Sha256::digest(&bytes)) != packet.file_sha256 {
            return Err(AppError::Internal(anyhow::anyhow!(
                "packet file {} does not match its recorded SHA-256",
                storage.describe(&rel)
            )));
        }
        crate::platform::db::write_tx(c, |c| -> Result<(), AppError> {
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
            Dissemination::insert(
                c,
                &NewDissemination {
                    case_id: case.id,
                    packet_id: packet.packet_id.clone(),
                    packet_sha256: packet.file_sha256.clone(),
                    channel: DOWNLOAD.into(),
                    recipient_user_id: Some(su.id),
                    recipient_address: Some(su.email.clone()),
                    purpose: case.search_reason.clone(),
                    released_by: su.email.clone(),
                    outbox_id: None,
                    at: crate::platform::time::now(),
                },
            )?;
            Ok(())
        })?;
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

/// `GET /cases/{id}/disseminations.csv`: the case's dissemination log, for service staff and
/// the agency's local administrators; audited (`dissemination.export`).
pub async fn disseminations_csv(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let actor = user.actor_as(user.primary_role());
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let (number, bytes) = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let viewer = crate::cases::access::Viewer::new(&su, &sa);
        let case = match crate::cases::access::case_for(
            c,
            &viewer,
            id,
            crate::cases::access::Purpose::Read,
        )? {
            Some(
                crate::cases::access::Visible::Live(k)
                | crate::cases::access::Visible::Deleted(k, _),
            ) if crate::domain::deleted_access::may_see_disseminations(
                &viewer.roles,
                sa.is_service,
                k.agency_id == sa.id,
            ) =>
            {
                k
            }
            _ => {
                audit::record(
                    c,
                    &actor,
                    Entry::new("dissemination.export", "case", id.0).outcome(Outcome::Denied),
                )?;
                return Err(AppError::NotFound);
            }
        };
        let rows = Dissemination::for_case(c, id)?;
        let bytes = crate::result::dissemination::to_csv(&case.display_number(), &rows)
            .map_err(AppError::Internal)?;
        audit::record(
            c,
            &actor,
            Entry::new("dissemination.export", "case", case.id).details(format!(
                "dissemination log of case {} ({} row(s)) exported as CSV",
                case.display_number(),
                rows.len()
            )),
        )?;
        Ok((case.display_number(), bytes))
    })
    .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{number}-disseminations.csv\""),
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
