//! The packet job: issuing is a persisted job (kind [`JOB_KIND`]), queued in the transaction
//! that concluded the examination ([`queue_if_concluded`]) or by a re-issue, so a crash between
//! the conclusion and the packet loses nothing: once the dead instance's lease on the job lapses
//! (`jobs.lease_seconds`), any instance takes it over and runs it again. The worker
//! ([`PacketWorker`]) renders and signs the PDF, writes it to `<data_dir>/packets/<packet_id>.pdf`
//! (atomic rename; the name is fixed by case and version, so a re-run overwrites its own
//! unpublished file), then in **one** transaction records the packet, supersedes the previous
//! one, moves the case to `concluded`, adds the timeline event and audit record, queues the
//! email with the packet attached and completes the job — only under its own claim's lease
//! epoch, so an instance that stalled past its lease records nothing (its transaction rolls
//! back) once another took the job over.

use std::time::Duration;

use anyhow::Context;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::accounts::store::User;
use crate::audit::{self, Actor, Entry};
use crate::cases::store::Case;
use crate::domain::{CaseAction, CaseId, CaseStatus, UserId};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::packets;
use crate::platform::jobs::runner::{Worker, blocking};
use crate::platform::jobs::{self, Job};
use crate::platform::time::now;
use crate::result::assemble::{gather, render_and_sign};
use crate::result::context::ResultContext;
use crate::result::outcome::{CaseOutcome, case_outcome};
use crate::result::packet::PacketResult;
use crate::result::store::{NO_LEAD, POSSIBLE_LEAD, PacketRecord, result_label};

/// Job kind of packet issuing.
pub const JOB_KIND: &str = "packet";

/// The payload of a packet job (JSON in `jobs.payload`).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct JobPayload {
    /// The case (`cases.id`).
    pub(crate) case_id: i64,
    /// Why the packet is issued ("Examination concluded" or the reason for a re-issue).
    pub(crate) reason: String,
    /// Who asked for a re-issue; `None` when the examination's conclusion issued it.
    pub(crate) issued_by: Option<i64>,
}

/// Queues the first packet of the case when its examination has just concluded. Call inside the
/// transaction that recorded the last review; returns whether a packet job was queued (at most
/// once per case: the job's dedupe key is the case and version 1). Errors: the case is missing,
/// or the database's.
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

/// The packet worker: issues queued packets one at a time. Run it with
/// [`crate::platform::jobs::runner::run`] and wake it when a packet job is queued; after each
/// packet it wakes the mail sender ([`ResultContext::mail_wake`]).
pub struct PacketWorker {
    ctx: ResultContext,
    worker_id: String,
}

impl PacketWorker {
    /// A worker with a fresh worker id (`packet-<uuid>`), as recorded on the jobs it claims.
    pub fn new(ctx: ResultContext) -> PacketWorker {
        PacketWorker {
            ctx,
            worker_id: format!("packet-{}", uuid::Uuid::new_v4().simple()),
        }
    }
}

impl Worker for PacketWorker {
    fn name(&self) -> &'static str {
        "packet"
    }

    fn interval(&self) -> Duration {
        Duration::from_secs(2)
    }

    async fn pass(&mut self) -> anyhow::Result<bool> {
        let (c, w) = (self.ctx.clone(), self.worker_id.clone());
        let worked = blocking(move || run_one(&c, &w)).await?;
        if worked && let Some(m) = &self.ctx.mail_wake {
            m.notify_one();
        }
        Ok(worked)
    }
}

/// Claims and issues one packet job; returns whether there was one. A failed job is recorded
/// (job failure, timeline, audit) and still counts as one. Errors: the database's.
pub fn run_one(ctx: &ResultContext, worker_id: &str) -> anyhow::Result<bool> {
    let mut conn = ctx
        .pool
        .get()
        .context("Failed to get a database connection")?;
    let Some(job) = jobs::claim(&mut conn, &[JOB_KIND], worker_id, ctx.job_lease)? else {
        return Ok(false);
    };
    // Renewed until dropped at the end of this function, after the job's outcome committed.
    let _lease = jobs::keep_lease(&ctx.pool, &job, ctx.job_lease);
    if let Err(e) = issue(ctx, &mut conn, &job) {
        let msg = format!("{e:#}");
        tracing::warn!(job_id = job.id, lease_epoch = job.lease_epoch, error = %msg, "Packet job failed");
        if jobs::fail(&mut conn, &job, &msg)?
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
fn issue(ctx: &ResultContext, conn: &mut DbConnection, job: &Job) -> anyhow::Result<()> {
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
    let signed = render_and_sign(ctx, &content, issued_at)?;
    let file_sha256 = hex::encode(Sha256::digest(&signed));
    // Atomic (temporary file, fsync, rename; or one transaction); the packet id is checked
    // to be a plain file name.
    let rel = format!("packets/{packet_id}.pdf");
    ctx.storage().put(&rel, &signed)?;
    tracing::info!(case = %case.display_number(), packet_id, file = %ctx.storage().describe(&rel), "Packet written");
    // Crash tests hold the job here (file written, nothing recorded) and `kill -9` the process.
    fail::fail_point!("packet.after_write");

    crate::platform::db::write_tx(conn, |conn| -> anyhow::Result<()> {
        let now_case = Case::find(conn, case_id)?.context("Case not found")?;
        let to = now_case.status().apply(CaseAction::IssueResult)?;
        // The certificate is kept for verifying this packet after any later rotation.
        crate::result::certificates::SigningCertificate::record_in_use(
            conn,
            &ctx.signer,
            issued_at,
        )?;
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
        if !jobs::complete(conn, job, &packet_id)? {
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
        // Only to the requester's account address (NY MPTC §IV.G need to know); the
        // dissemination log points at the outbox row, whose `sent_at` confirms delivery.
        let outbox_id = crate::platform::mail::enqueue_with_id(conn, &email)?;
        crate::result::dissemination::Dissemination::insert(
            conn,
            &crate::result::dissemination::NewDissemination {
                case_id: case.id,
                packet_id: packet_id.clone(),
                packet_sha256: file_sha256.clone(),
                channel: crate::result::dissemination::EMAIL.into(),
                recipient_user_id: Some(requester.id),
                recipient_address: Some(requester.email.clone()),
                purpose: case.search_reason.clone(),
                released_by: "packet worker".into(),
                outbox_id: Some(outbox_id),
                at: now(),
            },
        )?;
        Ok(())
    })
}
