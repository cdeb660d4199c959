//! Assembling a packet: everything it prints, collected from the database and the stores into
//! a [`LeadPacket`], then rendered ([`crate::result::layout::render`]) and signed.

use anyhow::Context;
use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::accounts::store::Agency;
use crate::accounts::store::User;
use crate::cases::store::Case;
use crate::cases::store::CaseImage;
use crate::compliance::store::Decision;
use crate::domain::examination::Disposition;
use crate::domain::{AgencyId, UserId};
use crate::examination::standing::{Examination, ExaminationRound};
use crate::platform::db::DbConnection;
use crate::platform::pdf;
use crate::result::context::ResultContext;
use crate::result::layout;
use crate::result::packet::CandidateInfo;
use crate::result::packet::ExaminerView;
use crate::result::packet::FaceRegion;
use crate::result::packet::LeadPacket;
use crate::result::packet::PacketResult;
use crate::result::packet::ProbeInfo;
use crate::search::{ProbeFace, ProbeSearch, ProbeSearchState};

/// Renders `content` and signs it with the context's key, signing time `issued_at` (UTC).
/// Returns the signed file. Errors: the packet breaks a layout rule, an image does not decode,
/// or signing fails.
pub fn render_and_sign(
    ctx: &ResultContext,
    content: &LeadPacket,
    issued_at: NaiveDateTime,
) -> anyhow::Result<Vec<u8>> {
    let unsigned = layout::render(content).context("Failed to render the packet")?;
    pdf::sign(
        &unsigned,
        &ctx.signer,
        &format!(
            "{} result packet {}: investigative lead only",
            ctx.service.name, content.packet_id
        ),
        issued_at.and_utc(),
    )
    .context("Failed to sign the packet")
}

fn date(t: Option<NaiveDateTime>) -> String {
    t.map(|t| crate::platform::time::fmt_time(&t))
        .unwrap_or_else(|| "(not recorded)".into())
}

fn quality_summary(face: Option<&ProbeFace>) -> String {
    let Some(f) = face else {
        return "No face found: not searched".into();
    };
    let mut s = format!(
        "Detector score {:.2}; inter-eye distance {:.0} px; sharpness {:.0}; estimated yaw {:.0}°",
        f.detector_score, f.inter_eye_px, f.sharpness, f.yaw_deg
    );
    if f.warnings.is_empty() {
        s.push_str("; no quality warning.");
    } else {
        s.push_str(&format!("; low quality: {}.", f.warnings.join("; ")));
    }
    s
}

/// The SHA-256 of a gallery photo's file. The gallery stores the faces after the first of a
/// group photo under `<sha256>:<n>` (one photo row per face); the file's hash is the part
/// before the colon.
fn file_sha256(stored: &str) -> &str {
    stored.split_once(':').map_or(stored, |(sha, _)| sha)
}

/// The candidate's face in its booking photo, from its gallery template (the row of the
/// candidate's photo, subject and model): face box and five landmarks. `None` when no such
/// template is stored or its JSON does not parse (the packet then crops around the photo).
fn candidate_face(
    conn: &mut DbConnection,
    c: &crate::search::StoredCandidate,
) -> anyhow::Result<Option<FaceRegion>> {
    use crate::gallery::schema::gallery_templates as t;
    use diesel::prelude::*;
    let row: Option<(String, String)> = t::table
        .filter(t::photo_id.eq(c.photo_id))
        .filter(t::subject_id.eq(c.subject_id))
        .filter(t::model_id.eq(&c.model_id))
        .filter(t::model_version.eq(&c.model_version))
        .order(t::id.asc())
        .select((t::face_box, t::landmarks))
        .first(conn)
        .optional()?;
    let Some((face_box, landmarks)) = row else {
        tracing::warn!(
            photo_id = c.photo_id,
            rank = c.rank,
            "No gallery template for a lead's photo"
        );
        return Ok(None);
    };
    let Ok(bbox) = serde_json::from_str::<[f32; 4]>(&face_box) else {
        tracing::warn!(
            photo_id = c.photo_id,
            "Unreadable face box of a gallery template"
        );
        return Ok(None);
    };
    Ok(Some(FaceRegion {
        bbox,
        landmarks: serde_json::from_str::<[[f32; 2]; 5]>(&landmarks).ok(),
    }))
}

/// Collects everything printed in the packet from the database and the stores: the case's
/// current version, its probes, the candidates at the ranks in `leads` ((probe search id,
/// ranks)) and every examiner's review. The result is [`PacketResult::PossibleLead`] when a
/// candidate is named, otherwise [`PacketResult::NoLead`]. Errors: a row or file is missing or
/// unreadable, or a booking photo changed on disk.
pub fn gather(
    ctx: &ResultContext,
    conn: &mut DbConnection,
    case: &Case,
    leads: &[(i64, Vec<u32>)],
    single_examiner: bool,
    packet_id: &str,
    issued_at: NaiveDateTime,
) -> anyhow::Result<LeadPacket> {
    let agency = Agency::find(conn, AgencyId(case.agency_id))?;
    let requester = User::find(conn, UserId(case.requester_id))?;
    let approval = Decision::for_case(conn, case.case_id())?
        .into_iter()
        .rev()
        .find(|d| d.decision == "approved" && d.version == case.current_version);
    let approver = match &approval {
        Some(d) => User::find(conn, UserId(d.reviewer_id))?.name,
        None => String::new(),
    };
    let probes: Vec<ProbeSearch> = ProbeSearch::for_case(conn, case.case_id())?
        .into_iter()
        .filter(|p| p.version == case.current_version)
        .collect();
    let mut probe_infos = Vec::new();
    let mut candidates = Vec::new();
    let mut examiners = Vec::new();
    let mut result_at: Option<NaiveDateTime> = None;
    let mut searched_at: Option<NaiveDateTime> = None;
    let many = probes.len() > 1;
    for (i, p) in probes.iter().enumerate() {
        let label = format!("Probe {}", i + 1);
        let img = CaseImage::in_case(conn, case.case_id(), &p.image_sha256)?
            .context("Probe image row not found")?;
        let bytes = ctx
            .images
            .get(&img.sha256, &img.content_type)
            .context("Failed to read a probe image")?;
        let faces = p.faces();
        let chosen = p
            .chosen_face
            .and_then(|c| usize::try_from(c).ok())
            .unwrap_or(0);
        probe_infos.push(ProbeInfo {
            label: format!("{label} ({})", img.original_name),
            image: bytes,
            sha256: img.sha256.clone(),
            quality: quality_summary(faces.get(chosen)),
            face: faces.get(chosen).map(|f| FaceRegion {
                bbox: f.bbox,
                landmarks: f.landmarks,
            }),
        });
        searched_at = searched_at.max(p.searched_at);
        if p.status != ProbeSearchState::Searched {
            continue;
        }
        let stored = p.candidates();
        if let Some((_, ranks)) = leads.iter().find(|(id, _)| *id == p.id) {
            for r in ranks {
                let c = stored
                    .iter()
                    .find(|c| c.rank == *r)
                    .with_context(|| format!("rank {r} is not in the stored candidate list"))?;
                let photo = crate::gallery::Photo::by_sha256(conn, &c.photo_sha256)?
                    .context("Booking photo not found")?;
                let photo_bytes = photo.read(ctx.storage())?;
                if hex::encode(Sha256::digest(&photo_bytes)) != file_sha256(&c.photo_sha256) {
                    anyhow::bail!("booking photo {} changed on disk", photo.file_path);
                }
                candidates.push(CandidateInfo {
                    probe_label: label.clone(),
                    probe_index: i,
                    face: candidate_face(conn, c)?,
                    booking_photo: photo_bytes,
                    booking_number: c.booking_number.clone(),
                    subject_id: c.subject_key.clone(),
                    rank: c.rank,
                    similarity: c.score,
                    false_match_rate: c.fmr_rate,
                    model: format!("{} {}", c.model_id, c.model_version),
                });
            }
        }
        for e in Examination::for_probe(conn, p.id)? {
            result_at = result_at.max(Some(e.created_at));
            let when = date(Some(e.created_at));
            let who = User::find(conn, UserId(e.examiner_id))?;
            let suffix = if many {
                format!(" ({label})")
            } else {
                String::new()
            };
            let view = match e.round {
                ExaminationRound::First | ExaminationRound::Second => {
                    let review = e.review().context("Unreadable examiner review")?;
                    let count = |d: Disposition| {
                        review
                            .assessments
                            .iter()
                            .filter(|a| a.disposition == d)
                            .count()
                    };
                    let leads = review.possible_leads();
                    let removed = match count(Disposition::NotAvailable) {
                        0 => String::new(),
                        n => format!(
                            "; {n} not available (removed from the gallery after the search)"
                        ),
                    };
                    let disposition = format!(
                        "{}; {} candidate(s) reviewed: {} excluded, {} inconclusive, {} possible lead{removed}",
                        if leads.is_empty() {
                            "No lead".to_string()
                        } else {
                            format!(
                                "Possible lead: candidate(s) at rank {}",
                                leads
                                    .iter()
                                    .map(u32::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        },
                        review.assessments.len(),
                        count(Disposition::Excluded),
                        count(Disposition::Inconclusive),
                        count(Disposition::PossibleLead),
                    );
                    let notes = review
                        .assessments
                        .iter()
                        .filter(|a| a.disposition == Disposition::PossibleLead)
                        .map(|a| {
                            format!(
                                "Rank {}: features compared: {}. {}",
                                a.rank,
                                a.features
                                    .iter()
                                    .map(|f| f.label())
                                    .collect::<Vec<_>>()
                                    .join(", "),
                                a.notes
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" ");
                    ExaminerView {
                        name: who.name.clone(),
                        role: if e.round == ExaminationRound::First {
                            format!("first examiner{suffix}")
                        } else {
                            format!("second examiner, blind review{suffix}")
                        },
                        disposition,
                        notes,
                        date: when,
                    }
                }
                ExaminationRound::Adjudication => {
                    let a = e.adjudication().context("Unreadable adjudication")?;
                    ExaminerView {
                        name: who.name.clone(),
                        role: format!("supervisor, adjudication{suffix}"),
                        disposition: match a.lead_rank {
                            Some(r) => format!("Possible lead: candidate at rank {r}"),
                            None => "No lead".into(),
                        },
                        notes: e.comment.clone(),
                        date: when,
                    }
                }
            };
            examiners.push(view);
        }
    }
    Ok(LeadPacket {
        case_number: case.display_number(),
        requesting_agency: format!("{} ({})", agency.name, agency.ori),
        requester: format!("{} <{}>", requester.name, requester.email),
        search_reason: case.search_reason.clone(),
        case_file_number: case.case_file_number.clone(),
        request_date: date(case.submitted_at),
        approval_date: date(approval.map(|d| d.created_at)),
        search_date: date(searched_at),
        result_date: date(result_at),
        approved_by: approver,
        probes: probe_infos,
        result: if candidates.is_empty() {
            PacketResult::NoLead
        } else {
            PacketResult::PossibleLead(candidates)
        },
        examiners,
        single_examiner_note: single_examiner.then(|| {
            "A second examiner was not practicable; the desk's policy setting \
             face.single_examiner_allowed permitted a result from one trained examiner \
             (NY MPTC model policy, Section IV.E.2)."
                .to_string()
        }),
        issued_at: crate::platform::time::fmt_time(&issued_at),
        issuer: ctx.service.name.clone(),
        packet_id: packet_id.to_string(),
    })
}
