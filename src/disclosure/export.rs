//! Making a disclosure package (issue 17): prepare (with the legal basis), approve, assemble
//! the facts, write the signed PDF report and the signed ZIP, release. Preparing, approving
//! and releasing are audit records and timeline events of the case; the release enters the
//! dissemination log (channel `disclosure`) and the requesting agency is told by email.
//!
//! From the command line ([`export`]) the operator stands in for both the preparer and the
//! approver, and the records say so.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry};
use crate::cases::store::{Case, NewTimelineEvent, TimelineEvent};
use crate::disclosure::facts::{Facts, FactsContext, gather};
use crate::disclosure::package::{
    CERTIFICATE, Manifest, ManifestAudit, REPORT, build_zip, sha256_hex,
};
use crate::disclosure::redact::new_salt;
use crate::disclosure::report;
use crate::disclosure::store::{Disclosure, NewDisclosure, PREPARED};
use crate::domain::{AgencyId, UserId};
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::pdf::Signer;
use crate::platform::time::{fmt_time, now};
use crate::result::dissemination::{Dissemination, NewDissemination};

/// The dissemination log's channel for a disclosure package.
pub const CHANNEL: &str = "disclosure";

/// Why a package was not made.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    #[error("No case {0} (or it has been logically deleted).")]
    NoCase(String),
    #[error(
        "State the legal basis (discovery order, subpoena or prosecutor's request: court, docket/number, date, requesting party)."
    )]
    NoBasis,
    #[error("An unredacted package needs the order that allows it (--order: reference and date).")]
    NoOrder,
    #[error("--order is only for an unredacted package (--unredacted).")]
    OrderWithoutUnredacted,
    #[error("Case {0} has been purged: its evidence no longer exists.")]
    Purged(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// What making a package needs.
pub struct ExportContext {
    pub facts: FactsContext,
    pub signer: Arc<Signer>,
    /// Base URL of the desk, for the agency's email.
    pub base_url: String,
}

/// What the operator asked for.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    pub case_number: String,
    pub basis: String,
    /// `Some(order)` for an unredacted package.
    pub unredacted_order: Option<String>,
    /// Whether `--unredacted` was given (with or without an order).
    pub unredacted: bool,
    /// Mark every page LAW ENFORCEMENT SENSITIVE — DISCLOSURE UNDER PROTECTIVE ORDER.
    pub protective_order: bool,
    pub out_dir: PathBuf,
}

/// The files made.
#[derive(Debug, Clone)]
pub struct Exported {
    pub disclosure_id: String,
    pub pdf: PathBuf,
    pub zip: PathBuf,
}

fn event(case_id: i64, actor: &Actor, kind: &str, summary: String) -> NewTimelineEvent {
    NewTimelineEvent {
        case_id,
        at: now(),
        actor_id: actor.user_id,
        actor_name: format!("{} (command line)", actor.email),
        actor_role: actor.role.clone(),
        kind: kind.to_string(),
        summary,
        comment: None,
    }
}

/// Makes a package from the command line: `actor` prepares and approves it (and the records
/// say that one person stood in for both), the files are written to `req.out_dir` as
/// `<disclosure id>.pdf` and `<disclosure id>.zip`, and the release is logged.
///
/// Errors: [`DisclosureError`] for a refused request; database, file and signing failures.
pub fn export(
    ctx: &ExportContext,
    conn: &mut DbConnection,
    actor: &Actor,
    req: &ExportRequest,
) -> Result<Exported, DisclosureError> {
    let basis = crate::domain::text::single_line(&req.basis);
    if basis.trim().is_empty() {
        return Err(DisclosureError::NoBasis);
    }
    let order = req
        .unredacted_order
        .as_deref()
        .map(crate::domain::text::single_line)
        .filter(|o| !o.trim().is_empty());
    match (req.unredacted, &order) {
        (true, None) => return Err(DisclosureError::NoOrder),
        (false, Some(_)) => return Err(DisclosureError::OrderWithoutUnredacted),
        _ => {}
    }
    let case = Case::by_number(conn, &req.case_number)?
        .ok_or_else(|| DisclosureError::NoCase(req.case_number.clone()))?;
    let number = case.display_number();
    if case.purged_at.is_some() {
        return Err(DisclosureError::Purged(number));
    }
    let redaction = match &order {
        Some(o) => format!("UNREDACTED under order {o}"),
        None => "non-lead candidates redacted".to_string(),
    };

    // Prepare and approve: one person from the command line, and the records say so.
    let disclosure = write_tx(conn, |conn| -> Result<Disclosure, DisclosureError> {
        let n = Disclosure::count_for_case(conn, case.id)? + 1;
        let at = now();
        let d = Disclosure::insert(
            conn,
            &NewDisclosure {
                disclosure_id: format!("{number}-D{n}"),
                case_id: case.id,
                basis: basis.clone(),
                redacted: order.is_none(),
                order_reference: order.clone(),
                salt: new_salt(),
                status: PREPARED.into(),
                prepared_by: actor.email.clone(),
                prepared_at: at,
                approved_by: Some(actor.email.clone()),
                approved_at: Some(at),
            },
        )?;
        audit::record(
            conn,
            actor,
            Entry::new("disclosure.prepare", "case", case.id).details(format!(
                "package {}; basis: {basis}; {redaction}",
                d.disclosure_id
            )),
        )?;
        audit::record(
            conn,
            actor,
            Entry::new("disclosure.approve", "case", case.id).details(format!(
                "package {}; approved from the command line: the operator stands in for both the preparer and the approver",
                d.disclosure_id
            )),
        )?;
        TimelineEvent::insert(
            conn,
            &event(
                case.id,
                actor,
                "disclosure_prepared",
                format!(
                    "Disclosure package {} prepared ({redaction}); basis: {basis}",
                    d.disclosure_id
                ),
            ),
        )?;
        TimelineEvent::insert(
            conn,
            &event(
                case.id,
                actor,
                "disclosure_approved",
                format!(
                    "Disclosure package {} approved (command line: the operator stands in for both people)",
                    d.disclosure_id
                ),
            ),
        )?;
        Ok(d)
    })?;

    // Assemble, render, sign, write.
    // The chain's head, with the records just written, signed for this package.
    crate::audit::signed_head::sign_current(
        conn,
        &ctx.signer,
        &ctx.facts.service_name,
        crate::audit::signed_head::DISCLOSURE,
    )?;
    let facts = gather(&ctx.facts, conn, &case, &disclosure)?;
    let (pdf, zip, manifest_sha) = render_files(ctx, &facts, &disclosure, req.protective_order)?;
    std::fs::create_dir_all(&req.out_dir)
        .with_context(|| format!("Failed to create {}", req.out_dir.display()))?;
    let pdf_path = write(
        &req.out_dir,
        &format!("{}.pdf", disclosure.disclosure_id),
        &pdf,
    )?;
    let zip_path = write(
        &req.out_dir,
        &format!("{}.zip", disclosure.disclosure_id),
        &zip,
    )?;

    // Release: the log, the audit record, the timeline, the agency's email.
    let agency = Agency::find(conn, AgencyId(case.agency_id))?;
    let requester = User::find(conn, UserId(case.requester_id))?;
    let (pdf_sha, zip_sha) = (sha256_hex(&pdf), sha256_hex(&zip));
    write_tx(conn, |conn| -> Result<(), DisclosureError> {
        let at = now();
        Disclosure::mark_released(conn, disclosure.id, at, &pdf_sha, &zip_sha, &manifest_sha)?;
        let to = if agency.contact_email.contains('@') {
            agency.contact_email.clone()
        } else {
            requester.email.clone()
        };
        let email = crate::platform::mail::templates::DisclosureNotice {
            service_name: ctx.facts.service_name.clone(),
            base_url: ctx.base_url.clone(),
            case_id: case.id,
            case_number: number.clone(),
            agency_name: agency.name.clone(),
            disclosure_id: disclosure.disclosure_id.clone(),
            basis: basis.clone(),
            redaction: redaction.clone(),
            released_at: fmt_time(&at),
        }
        .render(&to)
        .context("Failed to render the disclosure email")?;
        let outbox_id = crate::platform::mail::enqueue_with_id(conn, &email)?;
        Dissemination::insert(
            conn,
            &NewDissemination {
                case_id: case.id,
                packet_id: disclosure.disclosure_id.clone(),
                packet_sha256: zip_sha.clone(),
                channel: CHANNEL.into(),
                recipient_user_id: None,
                recipient_address: Some(format!("per legal basis: {basis}")),
                purpose: basis.clone(),
                released_by: actor.email.clone(),
                outbox_id: Some(outbox_id),
                at,
            },
        )?;
        audit::record(
            conn,
            actor,
            Entry::new("disclosure.release", "case", case.id).details(format!(
                "package {}; PDF sha256 {pdf_sha}; ZIP sha256 {zip_sha}; {redaction}; agency told at {to}",
                disclosure.disclosure_id
            )),
        )?;
        TimelineEvent::insert(
            conn,
            &event(
                case.id,
                actor,
                "disclosure_released",
                format!(
                    "Disclosure package {} released; {} told",
                    disclosure.disclosure_id, agency.name
                ),
            ),
        )?;
        Ok(())
    })?;
    tracing::info!(case = %number, disclosure = %disclosure.disclosure_id, "Disclosure package released");
    Ok(Exported {
        disclosure_id: disclosure.disclosure_id,
        pdf: pdf_path,
        zip: zip_path,
    })
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    crate::platform::files::write_atomic(dir, name, bytes)
}

/// The signed PDF report and the ZIP (with the report inside); returns (PDF, ZIP, SHA-256 of
/// the manifest).
fn render_files(
    ctx: &ExportContext,
    facts: &Facts,
    d: &Disclosure,
    protective_order: bool,
) -> anyhow::Result<(Vec<u8>, Vec<u8>, String)> {
    let unsigned =
        report::render(facts, protective_order).context("Failed to lay out the report")?;
    let pdf = crate::platform::pdf::sign(
        &unsigned,
        &ctx.signer,
        &format!(
            "Disclosure package {} of case {}",
            d.disclosure_id, facts.case_number
        ),
        d.prepared_at.and_utc(),
    )
    .context("Failed to sign the report")?;
    let mut files = facts.files()?;
    files.push((REPORT.to_string(), pdf.clone()));
    files.push((
        CERTIFICATE.to_string(),
        ctx.signer.certificate_pem().into_bytes(),
    ));
    files.extend(facts.originals.iter().cloned());
    let head = Manifest {
        format: "frdesk-disclosure/1".into(),
        disclosure_id: d.disclosure_id.clone(),
        case_number: facts.case_number.clone(),
        made_at: d.prepared_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        redacted: d.redacted,
        unredacted_under_order: d.order_reference.clone(),
        signer_fingerprint: ctx.signer.fingerprint_sha256(),
        audit: ManifestAudit {
            count: facts.audit["count"].as_u64().unwrap_or(0),
            first_seq: facts.audit["first_seq"].as_i64(),
            last_seq: facts.audit["last_seq"].as_i64(),
        },
        files: Vec::new(),
    };
    let (zip, manifest) = build_zip(head, &files, &ctx.signer)?;
    Ok((pdf, zip, sha256_hex(&manifest)))
}
