//! `GET /cases/{id}`: the case with its status and what happens next, then what the reader
//! needs first — a returned or rejected request's reviewer comment, an issued result with its
//! packet download — then the request as submitted (every signed version), images with their
//! SHA-256, decisions, email status and the timeline. Every view is audited.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Entry};
use crate::cases::access::{Purpose, Viewer, Visible, case_for};
use crate::cases::store::{Case, CaseImage, RequestVersion, TimelineEvent};
use crate::compliance::store::Decision;
use crate::domain::reason::{self, ReasonAssessment};
use crate::domain::{AgencyId, AuthorizedPurpose, CaseId, ImageSource, RequestForm, Role, UserId};
use crate::platform::mail::outbox::OutboxMessage;
use crate::platform::time::fmt_time;
use crate::web::error::AppError;
use crate::web::layout::Layout;
use crate::web::session::CurrentUser;
use crate::web::state::AppState;

/// One version of the request as shown.
pub struct VersionView {
    pub version: i32,
    pub form: RequestForm,
    pub purpose_label: String,
    pub source_label: String,
    pub submitted_at: String,
    pub signed_ip: String,
    pub images: Vec<CaseImage>,
    pub reason: ReasonAssessment,
    pub is_current: bool,
}

/// The reviewer's comment that leads a returned or rejected request's page.
pub struct ReviewerNote {
    pub label: &'static str,
    pub comment: String,
    pub reviewer: String,
    pub at: String,
    pub version: i32,
}

#[derive(Template)]
#[template(path = "cases/show.html")]
pub struct CasePage {
    pub layout: Layout,
    pub case: Case,
    pub agency: Agency,
    pub requester: User,
    /// The signed versions (and a draft's only version), newest first. A correction the
    /// requester has not submitted yet (the copy made when a request is returned) is not a
    /// version of the request: it is left out.
    pub versions: Vec<VersionView>,
    /// The number of the correction saved but not yet submitted, told to the requester only.
    pub pending_correction: Option<i32>,
    /// What happens next (`CaseStatus::next_step`).
    pub next_step: &'static str,
    /// The open stages' clocks (the most urgent of each stage), overdue first.
    pub dues: Vec<crate::clocks::DueLabel>,
    /// A returned or rejected request: the reviewer's comment, shown first.
    pub reviewer_note: Option<ReviewerNote>,
    /// The current result packet of a concluded case, shown first with its download.
    pub current_packet: Option<crate::result::store::PacketRecord>,
    pub decisions: Vec<(Decision, String)>,
    pub timeline: Vec<TimelineEvent>,
    pub mail: Vec<OutboxMessage>,
    pub searches: Vec<crate::search::ProbeSearch>,
    /// Issued result packets, oldest first.
    pub packets: Vec<crate::result::store::PacketRecord>,
    /// Whether the user may re-issue or withdraw the result (supervisor of a concluded case).
    pub can_change_result: bool,
    /// Service staff see candidate counts; requesters see only the search status.
    pub is_staff: bool,
    pub is_examiner: bool,
    /// Examiners and supervisors get the link to candidate lists (the list page checks training
    /// and separation of duties); reviewers see the outcome only.
    pub sees_candidates: bool,
    /// An examiner sees the way to the probe assessment while the case awaits it.
    pub can_assess: bool,
    pub can_edit: bool,
    pub can_review: bool,
    pub notice: Option<String>,
    /// Legal holds, standing and lifted.
    pub holds: Vec<crate::retention::store::LegalHold>,
    /// Whether the user may request, review or release a legal hold (and open its page).
    pub can_hold: bool,
    /// Set when an administrator opened a logically deleted case after stating a reason.
    pub deleted_notice: Option<String>,
    /// What is left after a purge.
    pub tombstone: Option<crate::retention::store::CaseTombstone>,
    /// The dissemination log, for service staff and the agency's local administrators.
    pub disseminations: Option<Vec<crate::result::dissemination::DisseminationView>>,
    /// Whether the packet links are shown (the requester, the agency's local administrators,
    /// service staff — NY MPTC §IV.G need to know).
    pub can_download_packets: bool,
    /// The number of messages, when the user may read the thread (issue 16); hidden from
    /// examiners while the examination is open.
    pub messages: Option<i64>,
    /// The requester may withdraw the request (until a result is issued).
    pub can_withdraw: bool,
    /// A request the requester withdrew: the reason, who and when (from the timeline).
    pub withdrawal: Option<ReviewerNote>,
    /// The case's disclosure packages for court, for the service's supervisors and system
    /// administrators (who may prepare, approve and release them).
    pub disclosures: Option<Vec<crate::disclosure::store::Disclosure>>,
}

impl CasePage {
    pub fn t(&self, at: &chrono::NaiveDateTime) -> String {
        fmt_time(at)
    }
}

#[derive(Deserialize)]
pub struct Flags {
    pub submitted: Option<String>,
    pub saved: Option<String>,
    pub reissued: Option<String>,
    pub withdrawn: Option<String>,
    pub request_withdrawn: Option<String>,
}

pub async fn page(
    user: CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    flags: web::Query<Flags>,
) -> Result<HttpResponse, AppError> {
    let id = CaseId(path.into_inner());
    let actor = user.actor_as(user.primary_role());
    let (su, sa) = (user.user.clone(), user.agency.clone());
    let data = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
        let viewer = Viewer::new(&su, &sa);
        let (case, grant) = match case_for(c, &viewer, id, Purpose::Read)? {
            Some(Visible::Live(case)) => (case, None),
            // A logically deleted case: only a system administrator, only under an approved
            // access request.
            Some(Visible::Deleted(case, grant)) => (case, Some(grant)),
            Some(Visible::NeedsReason(case)) => {
                audit::record(
                    c,
                    &actor,
                    Entry::new("case.view", "case", case.id)
                        .outcome(audit::Outcome::Denied)
                        .details("logically deleted: an approved access request is required"),
                )?;
                let requests = crate::retention::access_requests::AccessRequest::for_case_by(
                    c, id, su.id,
                )?;
                return Ok(Err((case, requests)));
            }
            None => {
                audit::record(
                    c,
                    &actor,
                    Entry::new("case.view", "case", id.0).outcome(audit::Outcome::Denied),
                )?;
                return Err(AppError::NotFound);
            }
        };
        let entry = Entry::new("case.view", "case", case.id).reason(&case.search_reason);
        audit::record(
            c,
            &actor,
            match &grant {
                Some(g) => Entry::new("case.view_retained", "case", case.id)
                    .reason(g.statement.clone())
                    .details(format!(
                        "logically deleted case {} opened under approved access request {} ({}; reference {})",
                        case.display_number(),
                        g.id,
                        g.criterion,
                        g.reference
                    )),
                None => entry,
            },
        )?;
        let deleted = grant.as_ref().map(|g| {
            format!(
                "Logically deleted under the retention policy. You opened it under access request {} (reference {}), approved by a second person, until {}; every view is in the audit trail and nothing here can be changed.",
                g.id,
                g.reference,
                g.expires_at.as_ref().map(fmt_time).unwrap_or_default()
            )
        });
        let holds = crate::retention::store::LegalHold::for_case(c, id)?;
        let tombstone = crate::retention::store::CaseTombstone::for_case(c, id)?;
        let agency = Agency::find(c, AgencyId(case.agency_id))?;
        let requester = User::find(c, UserId(case.requester_id))?;
        let mut versions = Vec::new();
        for v in RequestVersion::all_for(c, id)? {
            // A purged case's image files are gone; its tombstone says what was removed.
            let images = if case.purged_at.is_some() {
                Vec::new()
            } else {
                CaseImage::for_version(c, id, v.version)?
            };
            versions.push((v, images));
        }
        let mut decisions = Vec::new();
        for d in Decision::for_case(c, id)? {
            let name = User::find(c, UserId(d.reviewer_id))
                .map(|u| u.name)
                .unwrap_or_default();
            decisions.push((d, name));
        }
        let timeline = TimelineEvent::for_case(c, id)?;
        let mail = OutboxMessage::for_case(c, id)?;
        let searches = crate::search::ProbeSearch::for_case(c, id)?;
        let packets = crate::result::store::PacketRecord::for_case(c, id)?;
        let messages = crate::cases::messages::access_of(&su, &sa, &case)
            .may_read()
            .then(|| crate::cases::messages::Message::count(c, id))
            .transpose()?;
        let sees_log = crate::domain::deleted_access::may_see_disseminations(
            &viewer.roles,
            sa.is_service,
            case.agency_id == sa.id,
        );
        let log = if sees_log {
            Some(crate::result::dissemination::Dissemination::for_case(c, id)?)
        } else {
            None
        };
        let can_download = crate::domain::deleted_access::may_receive_packet(
            &viewer.roles,
            sa.is_service,
            case.agency_id == sa.id,
            case.requester_id == su.id,
        );
        let disclosures = if crate::domain::disclosure::may_disclose(&viewer.roles, sa.is_service) && case.hidden_at.is_none()
        {
            Some(crate::disclosure::store::Disclosure::for_case(c, id.0)?)
        } else {
            None
        };
        Ok(Ok((
            case,
            agency,
            requester,
            versions,
            decisions,
            timeline,
            mail,
            searches,
            packets,
            holds,
            tombstone,
            deleted,
            (log, can_download, messages, disclosures),
        )))
    })
    .await?;
    let data = match data {
        Ok(d) => d,
        Err((hidden, requests)) => {
            return crate::web::cases::deleted::reason_page(
                &user,
                &state,
                hidden,
                requests,
                crate::web::cases::deleted::RequestForm::default(),
                Vec::new(),
                None,
            );
        }
    };
    let (
        case,
        agency,
        requester,
        versions,
        decisions,
        timeline,
        mail,
        searches,
        packets,
        holds,
        tombstone,
        deleted,
        (disseminations, can_download_packets, messages, disclosures),
    ) = data;
    let current = case.current_version;
    let is_examiner = crate::domain::examination::may_examine(
        &user.roles,
        &user.training,
        chrono::Utc::now().date_naive(),
    )
    .is_ok();
    let deleted_flag = deleted.is_some();
    let can_assess = !deleted_flag
        && case.status() == crate::domain::CaseStatus::Approved
        && searches.iter().any(|s| {
            s.version == current && s.status == crate::search::ProbeSearchState::AwaitingAssessment
        })
        && !searches.iter().any(|s| s.started_by.is_some());
    // The copy a return makes for the corrections is no version until it is submitted (signed);
    // once the requester has saved corrections into it, they are told these wait to be submitted.
    let pending_correction = versions
        .iter()
        .find(|(v, _)| is_unsubmitted_correction(v) && v.updated_at > v.created_at)
        .map(|(v, _)| v.version);
    let shown_latest = versions
        .iter()
        .filter(|(v, _)| !is_unsubmitted_correction(v))
        .map(|(v, _)| v.version)
        .max();
    let versions = versions
        .into_iter()
        .rev()
        .filter(|(v, _)| !is_unsubmitted_correction(v))
        .map(|(v, images)| {
            let form = v.form();
            VersionView {
                version: v.version,
                purpose_label: AuthorizedPurpose::parse(&form.authorized_purpose)
                    .map(|p| p.label().to_string())
                    .unwrap_or_default(),
                source_label: ImageSource::parse(&form.image_source)
                    .map(|s| s.label().to_string())
                    .unwrap_or_default(),
                submitted_at: v
                    .submitted_at
                    .as_ref()
                    .map(fmt_time)
                    .unwrap_or_else(|| "not submitted".into()),
                signed_ip: v.signed_ip.clone().unwrap_or_default(),
                reason: reason::assess(&form.search_reason),
                form,
                images,
                is_current: Some(v.version) == shown_latest,
            }
        })
        .collect();
    let status = case.status();
    let reviewer_note = match status {
        crate::domain::CaseStatus::Returned => Some("returned"),
        crate::domain::CaseStatus::Rejected => Some("rejected"),
        _ => None,
    }
    .and_then(|kind| {
        decisions
            .iter()
            .rev()
            .find(|(d, _)| d.decision == kind)
            .map(|(d, name)| ReviewerNote {
                label: if kind == "returned" {
                    "Returned for correction"
                } else {
                    "Rejected"
                },
                comment: d.comment.clone(),
                reviewer: name.clone(),
                at: d.at_label(),
                version: d.version,
            })
    });
    let current_packet = if status == crate::domain::CaseStatus::Concluded {
        packets.iter().rev().find(|p| p.is_current()).cloned()
    } else {
        None
    };
    let is_requester = case.requester_id == user.user.id && user.has(Role::Requester);
    let dues = if deleted_flag {
        Vec::new()
    } else {
        let clocks = crate::clocks::Clocks::of(&state.settings);
        let facts = vec![crate::clocks::CaseFacts::from(&case)];
        let now = crate::platform::time::now();
        let measured = crate::platform::db::run(&state.pool, move |c| -> Result<_, AppError> {
            Ok(crate::clocks::spans::measure(c, &clocks, &facts, now)?)
        })
        .await?;
        let cal = &state.settings.service.calendar;
        let mut open: Vec<&crate::domain::clock::StageClock> = measured
            .values()
            .flatten()
            .filter(|c| c.state != crate::domain::clock::DueState::Done)
            .collect();
        open.sort_by_key(|c| c.urgency());
        let mut dues: Vec<crate::clocks::DueLabel> = Vec::new();
        for c in open {
            if !dues.iter().any(|d| d.stage == c.span.stage.label()) {
                dues.push(crate::clocks::DueLabel::of(c, cal));
            }
        }
        dues
    };
    let withdrawal = (status == crate::domain::CaseStatus::Withdrawn)
        .then(|| timeline.iter().rev().find(|e| e.kind == "withdrawn"))
        .flatten()
        .map(|e| ReviewerNote {
            label: "Withdrawn by the requester",
            comment: e.comment.clone().unwrap_or_default(),
            reviewer: e.actor_name.clone(),
            at: e.at_label(),
            version: case.current_version,
        });
    let can_withdraw = !deleted_flag
        && status.may_withdraw()
        && user.has(Role::Requester)
        && case.agency_id == user.agency.id;
    let can_hold = crate::retention::access::may_hold(&user.roles, &user.agency, &case);
    let page = CasePage {
        disclosures,
        holds,
        can_hold,
        tombstone,
        deleted_notice: deleted.clone(),
        disseminations,
        can_download_packets,
        messages,
        can_withdraw,
        withdrawal,
        layout: Layout::new(&user, &state.settings.service.name),
        can_edit: !deleted_flag && status.is_editable() && is_requester,
        pending_correction: pending_correction
            .filter(|_| is_requester && status == crate::domain::CaseStatus::Returned),
        next_step: status.next_step(),
        dues,
        reviewer_note,
        current_packet,
        can_review: !deleted_flag
            && status == crate::domain::CaseStatus::Submitted
            && user.has(Role::Reviewer)
            && case.requester_id != user.user.id,
        notice: if flags.submitted.is_some() {
            Some(format!(
                "Request submitted as {}. An acknowledgement email is on its way.",
                case.display_number()
            ))
        } else if flags.saved.is_some() {
            Some("Draft saved.".into())
        } else if flags.reissued.is_some() {
            Some(
                "A corrected packet is being issued; the requester will receive it by email."
                    .into(),
            )
        } else if flags.request_withdrawn.is_some() {
            Some("The request is withdrawn: nothing more happens to it.".into())
        } else if flags.withdrawn.is_some() {
            Some("The result is withdrawn and the requester is being told.".into())
        } else {
            None
        },
        case,
        agency,
        requester,
        versions,
        decisions,
        timeline,
        mail,
        searches,
        can_change_result: !deleted_flag
            && status == crate::domain::CaseStatus::Concluded
            && user.has(Role::Supervisor),
        packets,
        is_staff: user.roles.sees_all_agencies(),
        // Only examiners whose training is current see examiner work (the examiner queue).
        is_examiner,
        sees_candidates: is_examiner || user.has(Role::Supervisor),
        can_assess: can_assess && is_examiner,
    };
    crate::web::respond::html(&page)
}

/// A version made for corrections (every version after the first is one) and not submitted:
/// until the requester signs it, it is a working copy, not a version of the request.
fn is_unsubmitted_correction(v: &RequestVersion) -> bool {
    v.version > 1 && v.submitted_at.is_none()
}
