//! The result of a case: when every probe's examination has concluded, a signed PDF lead packet
//! is issued to the requester by email; a changed result is re-issued (never edited) or
//! withdrawn, and earlier packets stop being current.
//!
//! Issuing is a persisted job (kind [`JOB_KIND`]), queued in the transaction that concluded the
//! examination, so a crash between the conclusion and the packet loses nothing: the job runs
//! again on start-up. The worker renders and signs the PDF, writes it to
//! `<data_dir>/packets/<packet_id>.pdf` (atomic rename; the name is fixed by case and version,
//! so a re-run overwrites its own unpublished file), then in **one** transaction records the
//! packet, supersedes the previous one, moves the case to `concluded`, adds the timeline event
//! and audit record, queues the email with the packet attached and completes the job.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry};
use crate::cases::images::ImageStore;
use crate::cases::store::{Case, CaseImage};
use crate::compliance::store::Decision;
use crate::domain::examination::{Consensus, Disposition};
use crate::domain::{AgencyId, CaseAction, CaseId, CaseStatus, UserId};
use crate::examination::standing::{Examination, ExaminationRound, Standing, standing};
use crate::platform::db::schema::packets;
use crate::platform::db::{DbConnection, DbPool};
use crate::platform::jobs::{self, Job};
use crate::platform::pdf::Signer;
use crate::platform::time::now;
use crate::result::packet::{CandidateInfo, ExaminerView, LeadPacket, PacketResult, ProbeInfo};
use crate::search::{ProbeFace, ProbeSearch, ProbeSearchState};

/// Job kind of packet issuing.
pub const JOB_KIND: &str = "packet";

/// Result values stored in `packets.result`.
pub const POSSIBLE_LEAD: &str = "possible_lead";
pub const NO_LEAD: &str = "no_lead";

/// One issued packet (`packets` row). The file is `<data_dir>/packets/<packet_id>.pdf`.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = packets)]
pub struct PacketRecord {
    pub id: i64,
    pub case_id: i64,
    /// `<case number>-P<version>`, printed on every page and in the PDF's Info dictionary.
    pub packet_id: String,
    /// 1 for the first issue, then 2, 3… for re-issues.
    pub version: i32,
    /// [`POSSIBLE_LEAD`] or [`NO_LEAD`].
    pub result: String,
    /// SHA-256 (hex) of the signed file as issued.
    pub file_sha256: String,
    pub byte_size: i64,
    /// SHA-256 of the signing certificate.
    pub signer_fingerprint: String,
    pub reason: String,
    pub issued_by: Option<i64>,
    pub issued_at: NaiveDateTime,
    pub superseded_at: Option<NaiveDateTime>,
    pub superseded_reason: Option<String>,
}

impl PacketRecord {
    pub fn for_case(conn: &mut DbConnection, case: CaseId) -> QueryResult<Vec<PacketRecord>> {
        packets::table
            .filter(packets::case_id.eq(case.0))
            .order(packets::version.asc())
            .select(PacketRecord::as_select())
            .load(conn)
    }

    pub fn by_packet_id(conn: &mut DbConnection, id: &str) -> QueryResult<Option<PacketRecord>> {
        packets::table
            .filter(packets::packet_id.eq(id))
            .select(PacketRecord::as_select())
            .first(conn)
            .optional()
    }

    /// The packet in force for the case, if any (not superseded, not withdrawn).
    pub fn current(conn: &mut DbConnection, case: CaseId) -> QueryResult<Option<PacketRecord>> {
        packets::table
            .filter(packets::case_id.eq(case.0))
            .filter(packets::superseded_at.is_null())
            .order(packets::version.desc())
            .select(PacketRecord::as_select())
            .first(conn)
            .optional()
    }

    pub fn is_current(&self) -> bool {
        self.superseded_at.is_none()
    }

    pub fn result_label(&self) -> &'static str {
        result_label(&self.result)
    }

    pub fn file_name(&self) -> String {
        format!("{}.pdf", self.packet_id)
    }

    /// Path of the file relative to `data_dir` (as stored with an email attachment).
    pub fn relative_path(&self) -> String {
        format!("packets/{}", self.file_name())
    }

    pub fn issued_label(&self) -> String {
        crate::platform::time::fmt_time(&self.issued_at)
    }

    /// Marks every current packet of the case superseded; returns them.
    fn supersede_all(
        conn: &mut DbConnection,
        case: CaseId,
        at: NaiveDateTime,
        reason: &str,
    ) -> QueryResult<Vec<PacketRecord>> {
        let current: Vec<PacketRecord> = packets::table
            .filter(packets::case_id.eq(case.0))
            .filter(packets::superseded_at.is_null())
            .select(PacketRecord::as_select())
            .load(conn)?;
        diesel::update(
            packets::table
                .filter(packets::case_id.eq(case.0))
                .filter(packets::superseded_at.is_null()),
        )
        .set((
            packets::superseded_at.eq(Some(at)),
            packets::superseded_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
        Ok(current)
    }

    fn next_version(conn: &mut DbConnection, case: CaseId) -> QueryResult<i32> {
        let max: Option<i32> = packets::table
            .filter(packets::case_id.eq(case.0))
            .select(diesel::dsl::max(packets::version))
            .first(conn)?;
        Ok(max.unwrap_or(0) + 1)
    }
}

/// People's label of a stored result value.
pub fn result_label(result: &str) -> &'static str {
    if result == POSSIBLE_LEAD {
        "Possible investigative lead"
    } else {
        "No lead"
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct JobPayload {
    case_id: i64,
    /// Why the packet is issued ("Examination concluded" or the reason for a re-issue).
    reason: String,
    /// Who asked for a re-issue; `None` when the examination's conclusion issued it.
    issued_by: Option<i64>,
}

/// Where a case's examinations stand, over every probe of the approved version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseOutcome {
    /// Some probe still needs a search, a face choice, a review or an adjudication.
    Pending,
    /// A search failed: staff must look at it before any result can be issued.
    Blocked,
    /// Every probe is finished and at least one candidate list was examined.
    Concluded {
        /// (probe search id, ranks) of every possible lead.
        leads: Vec<(i64, Vec<u32>)>,
        single_examiner: bool,
    },
    /// Every probe is finished and none held a face: nothing was searched or examined. The
    /// result is a no-lead packet that says no search was possible.
    NothingExamined,
}

/// Combines the standings of every probe of the case's current version.
pub fn case_outcome(
    conn: &mut DbConnection,
    case: &Case,
    single_examiner_allowed: bool,
) -> QueryResult<CaseOutcome> {
    let probes: Vec<ProbeSearch> = ProbeSearch::for_case(conn, case.case_id())?
        .into_iter()
        .filter(|p| p.version == case.current_version)
        .collect();
    if probes.is_empty() {
        return Ok(CaseOutcome::Pending);
    }
    let mut leads = Vec::new();
    let mut single = false;
    let mut examined = 0;
    for p in &probes {
        match p.status {
            ProbeSearchState::NoFace => continue,
            ProbeSearchState::Failed => return Ok(CaseOutcome::Blocked),
            ProbeSearchState::Searched => {}
            _ => return Ok(CaseOutcome::Pending),
        }
        let exams = Examination::for_probe(conn, p.id)?;
        match standing(&exams, single_examiner_allowed) {
            Standing::Concluded(Consensus::PossibleLead {
                ranks,
                single_examiner,
            }) => {
                leads.push((p.id, ranks));
                single |= single_examiner;
            }
            Standing::Concluded(Consensus::NoLead { single_examiner }) => {
                single |= single_examiner;
            }
            _ => return Ok(CaseOutcome::Pending),
        }
        examined += 1;
    }
    Ok(if examined == 0 {
        CaseOutcome::NothingExamined
    } else {
        CaseOutcome::Concluded {
            leads,
            single_examiner: single,
        }
    })
}

/// Queues the first packet of the case when its examination has just concluded. Call inside the
/// transaction that recorded the last review; returns whether a packet job was queued (at most
/// once per case: the job's dedupe key is the case and version 1).
pub fn queue_if_concluded(
    conn: &mut DbConnection,
    case_id: i64,
    single_examiner_allowed: bool,
) -> anyhow::Result<bool> {
    let case = Case::find(conn, CaseId(case_id))?.context("Case not found")?;
    if case.status() != CaseStatus::Searched {
        return Ok(false);
    }
    if !matches!(
        case_outcome(conn, &case, single_examiner_allowed)?,
        CaseOutcome::Concluded { .. } | CaseOutcome::NothingExamined
    ) {
        return Ok(false);
    }
    let payload = serde_json::to_string(&JobPayload {
        case_id,
        reason: "Examination concluded".into(),
        issued_by: None,
    })?;
    Ok(jobs::enqueue(
        conn,
        JOB_KIND,
        Some(case_id),
        &format!("packet:{case_id}:1"),
        &payload,
    )?)
}

/// Why a re-issue or withdrawal was refused; `Display` is the user's message.
#[derive(Debug, thiserror::Error)]
pub enum ResultError {
    #[error("Only a supervisor (reviewer) or local administrator may change an issued result.")]
    NotSupervisor,
    #[error("This case has no issued result.")]
    NoResult,
    #[error("Give the reason (at least 10 characters); it is sent to the requester.")]
    NoReason,
    #[error("A re-issue of this result is already queued.")]
    AlreadyQueued,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Service supervisors only: a reviewer (or a local administrator who is also service staff).
/// A requesting agency's local administrator may not change the service's result — not even for
/// the agency's own cases, and never for another agency's.
fn may_change_result(user: &User) -> Result<(), ResultError> {
    let roles = user.roles();
    if (roles.has(crate::domain::Role::Reviewer) || roles.has(crate::domain::Role::LocalAdmin))
        && roles.sees_all_agencies()
    {
        Ok(())
    } else {
        Err(ResultError::NotSupervisor)
    }
}

fn clean_reason(reason: &str) -> Result<String, ResultError> {
    let r = crate::domain::request::clean(reason);
    if r.chars().count() < 10 {
        return Err(ResultError::NoReason);
    }
    Ok(r)
}

/// Queues a corrected packet for a concluded case (e.g. a wrong name or date in the packet, or a
/// result amended after a further review). The earlier packet stays on record and is marked
/// superseded when the new one is issued. Audited.
pub fn request_reissue(
    conn: &mut DbConnection,
    user: &User,
    actor: &Actor,
    case: CaseId,
    reason: &str,
) -> Result<i32, ResultError> {
    may_change_result(user)?;
    let reason = clean_reason(reason)?;
    crate::platform::db::write_tx(conn, |conn| -> Result<i32, ResultError> {
        let c = Case::find(conn, case)?.ok_or(ResultError::NoResult)?;
        if c.status() != CaseStatus::Concluded || PacketRecord::current(conn, case)?.is_none() {
            return Err(ResultError::NoResult);
        }
        let version = PacketRecord::next_version(conn, case)?;
        let payload = serde_json::to_string(&JobPayload {
            case_id: c.id,
            reason: reason.clone(),
            issued_by: Some(user.id),
        })
        .map_err(anyhow::Error::from)?;
        if !jobs::enqueue(
            conn,
            JOB_KIND,
            Some(c.id),
            &format!("packet:{}:{version}", c.id),
            &payload,
        )? {
            return Err(ResultError::AlreadyQueued);
        }
        crate::cases::timeline::timeline(
            conn,
            c.id,
            Some((user, "supervisor")),
            "result_reissue",
            format!("Re-issue of the result packet requested (version {version})"),
            Some(reason.clone()),
        )?;
        audit::record(
            conn,
            actor,
            Entry::new("packet.reissue", "case", c.id)
                .reason(&c.search_reason)
                .details(format!(
                    "case {}; version {version}; {reason}",
                    c.display_number()
                )),
        )?;
        Ok(version)
    })
}

/// Withdraws a concluded case's result: every packet stops being current, the case becomes
/// `withdrawn`, and the requester is told (without attachment). Audited.
pub fn withdraw(
    conn: &mut DbConnection,
    user: &User,
    actor: &Actor,
    service: &ServiceInfo,
    case: CaseId,
    reason: &str,
) -> Result<(), ResultError> {
    may_change_result(user)?;
    let reason = clean_reason(reason)?;
    crate::platform::db::write_tx(conn, |conn| -> Result<(), ResultError> {
        let c = Case::find(conn, case)?.ok_or(ResultError::NoResult)?;
        let to = c
            .status()
            .apply(CaseAction::WithdrawResult)
            .map_err(|_| ResultError::NoResult)?;
        let at = now();
        let withdrawn =
            PacketRecord::supersede_all(conn, case, at, &format!("withdrawn: {reason}"))?;
        let Some(last) = withdrawn.iter().max_by_key(|p| p.version) else {
            return Err(ResultError::NoResult);
        };
        if !Case::transition(conn, case, c.status(), to, at)? {
            return Err(ResultError::NoResult);
        }
        crate::cases::timeline::timeline(
            conn,
            c.id,
            Some((user, "supervisor")),
            "result_withdrawn",
            format!(
                "Result withdrawn; packet {} is no longer current",
                last.packet_id
            ),
            Some(reason.clone()),
        )?;
        audit::record(
            conn,
            actor,
            Entry::new("packet.withdraw", "case", c.id)
                .reason(&c.search_reason)
                .details(format!(
                    "case {}; packet {}; {reason}",
                    c.display_number(),
                    last.packet_id
                )),
        )?;
        let requester = User::find(conn, UserId(c.requester_id))?;
        let email = crate::platform::mail::templates::ResultNotice {
            service_name: service.name.clone(),
            base_url: service.base_url.clone(),
            case_id: c.id,
            case_number: c.display_number(),
            requester_name: requester.name.clone(),
            event: "withdrawn".into(),
            result_label: last.result_label().into(),
            packet_id: last.packet_id.clone(),
            previous_packet_id: last.packet_id.clone(),
            reason: reason.clone(),
            issued_at: crate::platform::time::fmt_time(&at),
            signer_fingerprint: last.signer_fingerprint.clone(),
        }
        .render(&requester.email, None)
        .context("Failed to render the withdrawal email")?;
        crate::platform::mail::enqueue(conn, &email)?;
        Ok(())
    })
}

/// Service name and base URL, for emails.
#[derive(Debug, Clone)]
pub struct ServiceInfo {
    pub name: String,
    pub base_url: String,
}

/// What the packet worker needs.
#[derive(Clone)]
pub struct ResultContext {
    pub pool: DbPool,
    pub images: ImageStore,
    pub data_dir: PathBuf,
    pub service: ServiceInfo,
    pub single_examiner_allowed: bool,
    pub signer: Arc<Signer>,
    /// Woken after a packet email is queued.
    pub mail_wake: Option<Arc<tokio::sync::Notify>>,
}

impl ResultContext {
    pub fn from_settings(
        pool: DbPool,
        settings: &crate::config::Settings,
        signer: Arc<Signer>,
    ) -> ResultContext {
        ResultContext {
            pool,
            images: ImageStore::new(settings.images_dir()),
            data_dir: settings.data_dir.clone(),
            service: ServiceInfo {
                name: settings.service.name.clone(),
                base_url: settings.service.base_url.clone(),
            },
            single_examiner_allowed: settings.face.single_examiner_allowed,
            signer,
            mail_wake: None,
        }
    }

    pub fn packets_dir(&self) -> PathBuf {
        self.data_dir.join("packets")
    }
}

/// Runs until the process ends: issues queued packets one at a time.
pub async fn run(ctx: ResultContext, wake: Arc<tokio::sync::Notify>) {
    let worker_id = format!("packet-{}", uuid::Uuid::new_v4().simple());
    loop {
        let c = ctx.clone();
        let w = worker_id.clone();
        let worked = match tokio::task::spawn_blocking(move || run_one(&c, &w)).await {
            Ok(Ok(worked)) => worked,
            Ok(Err(e)) => {
                tracing::error!(error = %format!("{e:#}"), "Packet worker pass failed");
                false
            }
            Err(e) => {
                tracing::error!(error = %e, "Packet worker task failed");
                false
            }
        };
        if worked {
            if let Some(m) = &ctx.mail_wake {
                m.notify_one();
            }
        } else {
            tokio::select! {
                _ = wake.notified() => {},
                _ = tokio::time::sleep(Duration::from_secs(2)) => {},
            }
        }
    }
}

/// Claims and issues one packet job; returns whether there was one.
pub fn run_one(ctx: &ResultContext, worker_id: &str) -> anyhow::Result<bool> {
    let mut conn = ctx
        .pool
        .get()
        .context("Failed to get a database connection")?;
    let Some(job) = jobs::claim(&mut conn, &[JOB_KIND], worker_id)? else {
        return Ok(false);
    };
    if let Err(e) = issue(ctx, &mut conn, &job, worker_id) {
        let msg = format!("{e:#}");
        tracing::warn!(job_id = job.id, error = %msg, "Packet job failed");
        if jobs::fail(&mut conn, &job, worker_id, &msg)?
            && let Some(case_id) = job.case_id
        {
            crate::platform::db::write_tx(&mut conn, |conn| -> anyhow::Result<()> {
                crate::cases::timeline::timeline(
                    conn,
                    case_id,
                    None,
                    "packet_failed",
                    format!("The result packet could not be issued: {msg}"),
                    None,
                )?;
                audit::record(
                    conn,
                    &Actor::system("packet worker"),
                    Entry::new("packet.issue", "case", case_id)
                        .outcome(audit::Outcome::Failed)
                        .details(msg.clone()),
                )?;
                Ok(())
            })?;
        }
    }
    Ok(true)
}

/// Renders, signs, stores and records one packet, and queues its email.
fn issue(
    ctx: &ResultContext,
    conn: &mut DbConnection,
    job: &Job,
    worker_id: &str,
) -> anyhow::Result<()> {
    let payload: JobPayload =
        serde_json::from_str(&job.payload).context("Bad packet job payload")?;
    let case_id = CaseId(payload.case_id);
    let case = Case::find(conn, case_id)?.context("Case not found")?;
    let (leads, single_examiner, searched) =
        match case_outcome(conn, &case, ctx.single_examiner_allowed)? {
            CaseOutcome::Concluded {
                leads,
                single_examiner,
            } => (leads, single_examiner, true),
            CaseOutcome::NothingExamined => (Vec::new(), false, false),
            CaseOutcome::Pending | CaseOutcome::Blocked => anyhow::bail!(
                "the examination of case {} has not concluded",
                case.display_number()
            ),
        };
    let version = PacketRecord::next_version(conn, case_id)?;
    let packet_id = format!("{}-P{version}", case.display_number());
    let issued_at = now();
    let mut content = gather(
        ctx,
        conn,
        &case,
        &leads,
        single_examiner,
        &packet_id,
        issued_at,
    )?;
    if !searched {
        content.result = PacketResult::NoSearchableFace;
    }
    let result = if leads.is_empty() {
        NO_LEAD
    } else {
        POSSIBLE_LEAD
    };
    let unsigned =
        crate::result::layout::render(&content).context("Failed to render the packet")?;
    let signed = crate::platform::pdf::sign(
        &unsigned,
        &ctx.signer,
        &format!(
            "{} result packet {packet_id}: investigative lead only",
            ctx.service.name
        ),
        issued_at.and_utc(),
    )
    .context("Failed to sign the packet")?;
    let file_sha256 = hex::encode(Sha256::digest(&signed));
    let path = write_packet(&ctx.packets_dir(), &packet_id, &signed)?;
    tracing::info!(case = %case.display_number(), packet_id, path = %path.display(), "Packet written");
    // Crash tests hold the job here (file written, nothing recorded) and `kill -9` the process.
    fail::fail_point!("packet.after_write");

    crate::platform::db::write_tx(conn, |conn| -> anyhow::Result<()> {
        let now_case = Case::find(conn, case_id)?.context("Case not found")?;
        let to = now_case.status().apply(CaseAction::IssueResult)?;
        let superseded = PacketRecord::supersede_all(
            conn,
            case_id,
            issued_at,
            &format!("superseded by {packet_id}: {}", payload.reason),
        )?;
        diesel::insert_into(packets::table)
            .values((
                packets::case_id.eq(case.id),
                packets::packet_id.eq(&packet_id),
                packets::version.eq(version),
                packets::result.eq(result),
                packets::file_sha256.eq(&file_sha256),
                packets::byte_size.eq(i64::try_from(signed.len()).unwrap_or(i64::MAX)),
                packets::signer_fingerprint.eq(ctx.signer.fingerprint_sha256()),
                packets::reason.eq(&payload.reason),
                packets::issued_by.eq(payload.issued_by),
                packets::issued_at.eq(issued_at),
            ))
            .execute(conn)?;
        if !Case::transition(conn, case_id, now_case.status(), to, issued_at)? {
            anyhow::bail!(
                "case {} changed while its packet was issued",
                case.display_number()
            );
        }
        if !jobs::complete(conn, job.id, worker_id, &packet_id)? {
            anyhow::bail!("job {} was completed or re-claimed elsewhere", job.id);
        }
        let previous = superseded.iter().max_by_key(|p| p.version);
        crate::cases::timeline::timeline(
            conn,
            case.id,
            None,
            "result",
            format!(
                "Result packet {packet_id} issued: {}{}",
                result_label(result),
                previous
                    .map(|p| format!(" (replaces {})", p.packet_id))
                    .unwrap_or_default()
            ),
            None,
        )?;
        audit::record(
            conn,
            &Actor::system("packet worker"),
            Entry::new("packet.issue", "case", case.id)
                .reason(&case.search_reason)
                .details(format!(
                    "case {}; packet {packet_id}; {result}; sha256 {file_sha256}; {}",
                    case.display_number(),
                    payload.reason
                )),
        )?;
        let requester = User::find(conn, UserId(case.requester_id))?;
        let email = crate::platform::mail::templates::ResultNotice {
            service_name: ctx.service.name.clone(),
            base_url: ctx.service.base_url.clone(),
            case_id: case.id,
            case_number: case.display_number(),
            requester_name: requester.name.clone(),
            event: if previous.is_some() {
                "reissued"
            } else {
                "issued"
            }
            .into(),
            result_label: result_label(result).into(),
            packet_id: packet_id.clone(),
            previous_packet_id: previous.map(|p| p.packet_id.clone()).unwrap_or_default(),
            reason: if previous.is_some() {
                payload.reason.clone()
            } else {
                String::new()
            },
            issued_at: crate::platform::time::fmt_time(&issued_at),
            signer_fingerprint: ctx.signer.fingerprint_sha256(),
        }
        .render(
            &requester.email,
            Some(crate::platform::mail::Attachment {
                name: format!("{packet_id}.pdf"),
                content_type: "application/pdf".into(),
                path: format!("packets/{packet_id}.pdf"),
            }),
        )
        .context("Failed to render the result email")?;
        crate::platform::mail::enqueue(conn, &email)?;
        Ok(())
    })
}

/// Writes the signed file atomically (temporary file, fsync, rename).
fn write_packet(dir: &Path, packet_id: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    use std::io::Write;
    if packet_id.contains(['/', '\\']) || packet_id.starts_with('.') {
        anyhow::bail!("packet id {packet_id:?} is not a file name");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    let path = dir.join(format!("{packet_id}.pdf"));
    let mut tmp =
        tempfile::NamedTempFile::new_in(dir).context("Failed to create a temporary packet file")?;
    tmp.write_all(bytes).context("Failed to write the packet")?;
    tmp.as_file()
        .sync_all()
        .context("Failed to sync the packet")?;
    tmp.persist(&path)
        .context("Failed to move the packet into place")?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(path)
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

/// Collects everything printed in the packet from the database and the stores.
fn gather(
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
                let photo_bytes = std::fs::read(&photo.file_path)
                    .with_context(|| format!("Failed to read booking photo {}", photo.file_path))?;
                if hex::encode(Sha256::digest(&photo_bytes)) != c.photo_sha256 {
                    anyhow::bail!("booking photo {} changed on disk", photo.file_path);
                }
                candidates.push(CandidateInfo {
                    probe_label: label.clone(),
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
                    let disposition = format!(
                        "{}; {} candidate(s) reviewed: {} excluded, {} inconclusive, {} possible lead",
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
