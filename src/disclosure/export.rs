//! Making a disclosure package (issue 17) in three steps: [`prepare`] (a supervisor or system
//! administrator of the service, with the legal basis), [`approve`] or [`reject`] (a second
//! such person), [`release`] (assemble the facts as of then, write the signed PDF report and
//! the signed ZIP, keep them by SHA-256 as `disclosures/<sha256>.pdf|zip` in the desk's file store). Each step is an
//! audit record and a timeline event of the case; the release enters the dissemination log
//! (channel `disclosure`) and the requesting agency is told by email.
//!
//! From the command line ([`export`]) the operator stands in for both the preparer and the
//! approver, and the records say so.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;

use chrono::NaiveDateTime;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry, Outcome};
use crate::cases::store::{Case, NewTimelineEvent, TimelineEvent};
use crate::disclosure::facts::{Facts, FactsContext, gather};
use crate::disclosure::package::{
    CERTIFICATE, Manifest, ManifestAudit, REPORT, build_zip, sha256_hex,
};
use crate::disclosure::redact::new_salt;
use crate::disclosure::report;
use crate::disclosure::store::{APPROVED, Disclosure, DisclosureState, NewDisclosure, PREPARED};
use crate::domain::disclosure::{
    DisclosureTerms, may_disclose, parse_reject_reason, redaction_text,
};
use crate::domain::{AgencyId, UserId};
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::pdf::Signer;
use crate::platform::storage::Storage;
use crate::platform::time::{fmt_time, now};
use crate::result::dissemination::{Dissemination, NewDissemination};

/// The dissemination log's channel for a disclosure package.
pub const CHANNEL: &str = "disclosure";

/// Why a step was refused.
#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    #[error("No case {0} (or it has been logically deleted).")]
    NoCase(String),
    /// The terms were incomplete: `(field, message)` with field `basis` or `order`.
    #[error("{}", .0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" "))]
    Terms(crate::domain::disclosure::TermErrors),
    #[error("{0}")]
    RejectReason(String),
    #[error("Case {0} has been purged: its evidence no longer exists.")]
    Purged(String),
    #[error(
        "Only the service's supervisors and system administrators prepare, approve and release disclosure packages."
    )]
    NotAllowed,
    #[error("A second person approves the release: you prepared package {0}.")]
    SecondPersonRequired(String),
    #[error("No disclosure package {0} of this case.")]
    NoPackage(String),
    /// The package is not in the state the step needs (for example already released).
    #[error("Package {id} is {state}: it cannot be {step} now.")]
    State {
        id: String,
        state: &'static str,
        step: &'static str,
    },
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

impl ExportContext {
    /// The desk's file store; released packages are kept in it by SHA-256
    /// ([`file_name`]).
    pub fn files(&self) -> &Storage {
        self.facts.images.storage()
    }
}

/// Where a released package's file is kept in the desk's store, by SHA-256:
/// `disclosures/<sha256>.pdf` or `disclosures/<sha256>.zip`.
pub fn file_name(sha256: &str, zip: bool) -> String {
    format!("disclosures/{sha256}.{}", if zip { "zip" } else { "pdf" })
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

/// Who takes a step: the audit actor and, on the web, the account and its agency (whose roles
/// are checked). From the command line (`user: None`) the operator stands in for everyone.
pub struct Discloser<'a> {
    pub actor: &'a Actor,
    pub user: Option<(&'a User, &'a Agency)>,
}

impl Discloser<'_> {
    fn is_command_line(&self) -> bool {
        self.user.is_none()
    }

    fn user_id(&self) -> Option<i64> {
        self.user.map(|(u, _)| u.id)
    }

    /// The refusal when the account may not disclose.
    fn check(&self) -> Result<(), DisclosureError> {
        match self.user {
            Some((u, a)) if !may_disclose(&u.roles_in(a), a.is_service) => {
                Err(DisclosureError::NotAllowed)
            }
            _ => Ok(()),
        }
    }

    fn event(&self, case_id: i64, kind: &str, summary: String) -> NewTimelineEvent {
        let (actor_id, actor_name) = match self.user {
            Some((u, _)) => (Some(u.id), u.name.clone()),
            None => (None, format!("{} (command line)", self.actor.email)),
        };
        NewTimelineEvent {
            case_id,
            at: now(),
            actor_id,
            actor_name,
            actor_role: self.actor.role.clone(),
            kind: kind.to_string(),
            summary,
            comment: None,
        }
    }
}

/// The case with this number (FR-YYYY-NNNNNN), not logically deleted.
///
/// Errors: `NoCase`; the database's.
pub fn case_by_number(conn: &mut DbConnection, number: &str) -> Result<Case, DisclosureError> {
    Case::by_number(conn, number)?.ok_or_else(|| DisclosureError::NoCase(number.into()))
}

/// A purged case has no evidence left to disclose.
fn check_live(case: &Case) -> Result<(), DisclosureError> {
    if case.purged_at.is_some() {
        return Err(DisclosureError::Purged(case.display_number()));
    }
    Ok(())
}

/// The package `disclosure_id` of `case`; another case's package is "no package".
pub fn package_of(
    conn: &mut DbConnection,
    case: &Case,
    disclosure_id: &str,
) -> Result<Disclosure, DisclosureError> {
    Disclosure::by_disclosure_id(conn, disclosure_id)?
        .filter(|d| d.case_id == case.id)
        .ok_or_else(|| DisclosureError::NoPackage(disclosure_id.into()))
}

fn wrong_state(d: &Disclosure, step: &'static str) -> DisclosureError {
    DisclosureError::State {
        id: d.disclosure_id.clone(),
        state: d.state().label(),
        step,
    }
}

/// Records a refused step (`why`) as a denied audit record, in its own transaction.
///
/// Errors: the database's.
pub fn record_denial(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    case_id: i64,
    why: &str,
) -> diesel::QueryResult<()> {
    write_tx(conn, |c| {
        audit::record(
            c,
            actor,
            Entry::new(action, "case", case_id)
                .outcome(Outcome::Denied)
                .details(why),
        )
    })
}

/// Step 1: prepares a package of `case` on `terms`. Audit record
/// `disclosure.prepare` and timeline event `disclosure_prepared`. From the command line the
/// package is approved at once by the same operator (`disclosure.approve`, saying so).
///
/// Errors: [`DisclosureError::NotAllowed`], `NoCase`, `Purged`; the database's.
pub fn prepare(
    conn: &mut DbConnection,
    who: &Discloser<'_>,
    case: &Case,
    terms: &DisclosureTerms,
) -> Result<Disclosure, DisclosureError> {
    who.check()?;
    check_live(case)?;
    let number = case.display_number();
    let redaction = terms.redaction_text();
    let basis = terms.basis.clone();
    write_tx(conn, |conn| -> Result<Disclosure, DisclosureError> {
        let n = Disclosure::count_for_case(conn, case.id)? + 1;
        let at = now();
        let cli = who.is_command_line();
        let d = Disclosure::insert(
            conn,
            &NewDisclosure {
                disclosure_id: format!("{number}-D{n}"),
                case_id: case.id,
                basis: basis.clone(),
                redacted: terms.order().is_none(),
                order_reference: terms.order().map(str::to_string),
                salt: new_salt(),
                status: if cli { APPROVED } else { PREPARED }.into(),
                prepared_by: who.actor.email.clone(),
                prepared_at: at,
                approved_by: cli.then(|| who.actor.email.clone()),
                approved_at: cli.then_some(at),
                prepared_by_id: who.user_id(),
                approved_by_id: None,
                protective_order: terms.protective_order,
            },
        )?;
        audit::record(
            conn,
            who.actor,
            Entry::new("disclosure.prepare", "case", case.id).details(format!(
                "package {}; basis: {basis}; {redaction}{}",
                d.disclosure_id,
                if terms.protective_order {
                    "; marked for disclosure under protective order"
                } else {
                    ""
                }
            )),
        )?;
        TimelineEvent::insert(
            conn,
            &who.event(
                case.id,
                "disclosure_prepared",
                format!(
                    "Disclosure package {} prepared ({redaction}); basis: {basis}",
                    d.disclosure_id
                ),
            ),
        )?;
        if cli {
            audit::record(
                conn,
                who.actor,
                Entry::new("disclosure.approve", "case", case.id).details(format!(
                    "package {}; approved from the command line: the operator stands in for both the preparer and the approver",
                    d.disclosure_id
                )),
            )?;
            TimelineEvent::insert(
                conn,
                &who.event(
                    case.id,
                    "disclosure_approved",
                    format!(
                        "Disclosure package {} approved (command line: the operator stands in for both people)",
                        d.disclosure_id
                    ),
                ),
            )?;
        }
        Ok(d)
    })
}

/// The prepared package a second person decides on (`step`: "approved" or "rejected").
///
/// Errors: `NoPackage`; `State` unless prepared; `SecondPersonRequired` for its preparer.
fn awaiting_second_person(
    conn: &mut DbConnection,
    who: &Discloser<'_>,
    case: &Case,
    disclosure_id: &str,
    step: &'static str,
) -> Result<Disclosure, DisclosureError> {
    let d = package_of(conn, case, disclosure_id)?;
    if d.state() != DisclosureState::Prepared {
        return Err(wrong_state(&d, step));
    }
    if who.user_id().is_some() && who.user_id() == d.prepared_by_id {
        return Err(DisclosureError::SecondPersonRequired(d.disclosure_id));
    }
    Ok(d)
}

/// Step 2: a second person approves the release of a prepared package. Audit record
/// `disclosure.approve`, timeline event `disclosure_approved`.
///
/// Errors: `NotAllowed`; `SecondPersonRequired` for the preparer; `NoCase`, `NoPackage`;
/// `State` unless prepared; the database's.
pub fn approve(
    conn: &mut DbConnection,
    who: &Discloser<'_>,
    case: &Case,
    disclosure_id: &str,
) -> Result<Disclosure, DisclosureError> {
    who.check()?;
    check_live(case)?;
    write_tx(conn, |conn| -> Result<Disclosure, DisclosureError> {
        let d = awaiting_second_person(conn, who, case, disclosure_id, "approved")?;
        let at = now();
        if !Disclosure::mark_approved(conn, d.id, at, &who.actor.email, who.user_id())? {
            return Err(wrong_state(&d, "approved"));
        }
        audit::record(
            conn,
            who.actor,
            Entry::new("disclosure.approve", "case", case.id).details(format!(
                "package {}; prepared by {}; release approved by a second person",
                d.disclosure_id, d.prepared_by
            )),
        )?;
        TimelineEvent::insert(
            conn,
            &who.event(
                case.id,
                "disclosure_approved",
                format!(
                    "Disclosure package {} approved for release (second person)",
                    d.disclosure_id
                ),
            ),
        )?;
        package_of(conn, case, disclosure_id)
    })
}

/// Step 2, refused: a second person rejects the release of a prepared package, saying why.
/// Audit record `disclosure.reject`, timeline event `disclosure_rejected`. Nothing is made.
///
/// Errors: as [`approve`], and `RejectReason` for a missing reason.
pub fn reject(
    conn: &mut DbConnection,
    who: &Discloser<'_>,
    case: &Case,
    disclosure_id: &str,
    reason: &str,
) -> Result<Disclosure, DisclosureError> {
    who.check()?;
    check_live(case)?;
    write_tx(conn, |conn| -> Result<Disclosure, DisclosureError> {
        let d = awaiting_second_person(conn, who, case, disclosure_id, "rejected")?;
        let reason = parse_reject_reason(reason).map_err(DisclosureError::RejectReason)?;
        if !Disclosure::mark_rejected(conn, d.id, now(), &who.actor.email, &reason)? {
            return Err(wrong_state(&d, "rejected"));
        }
        audit::record(
            conn,
            who.actor,
            Entry::new("disclosure.reject", "case", case.id).details(format!(
                "package {}; release refused: {reason}",
                d.disclosure_id
            )),
        )?;
        TimelineEvent::insert(
            conn,
            &who.event(
                case.id,
                "disclosure_rejected",
                format!(
                    "Disclosure package {} not released: {reason}",
                    d.disclosure_id
                ),
            ),
        )?;
        package_of(conn, case, disclosure_id)
    })
}

/// A released package and its files.
pub struct Released {
    pub disclosure: Disclosure,
    pub pdf: Vec<u8>,
    pub zip: Vec<u8>,
}

/// Step 3: makes and releases an approved package, as of now: signs the audit chain's head,
/// assembles the facts, writes the signed PDF report and the signed ZIP (kept by SHA-256 in
/// [`ExportContext::files_dir`]), and in one transaction marks it released, enters the
/// dissemination log, queues the agency's email, and writes audit record
/// `disclosure.release` and timeline event `disclosure_released`. A second release of the
/// same package (a double submit) is refused with `State` and logs nothing.
///
/// Errors: `NotAllowed`, `NoCase`, `Purged`, `NoPackage`, `State` unless approved; database,
/// file and signing failures.
pub fn release(
    ctx: &ExportContext,
    conn: &mut DbConnection,
    who: &Discloser<'_>,
    case: &Case,
    disclosure_id: &str,
) -> Result<Released, DisclosureError> {
    who.check()?;
    check_live(case)?;
    let number = case.display_number();
    let disclosure = package_of(conn, case, disclosure_id)?;
    if disclosure.state() != DisclosureState::Approved {
        return Err(wrong_state(&disclosure, "released"));
    }
    let redaction = redaction_text(disclosure.order_reference.as_deref());
    let made_at = now();

    // The chain's head, with the package's records so far, signed for this package.
    crate::audit::signed_head::sign_current(
        conn,
        &ctx.signer,
        &ctx.facts.service_name,
        crate::audit::signed_head::DISCLOSURE,
    )?;
    let facts = gather(&ctx.facts, conn, case, &disclosure, made_at)?;
    let (pdf, zip, manifest_sha) = render_files(ctx, &facts, &disclosure, made_at)?;
    let (pdf_sha, zip_sha) = (sha256_hex(&pdf), sha256_hex(&zip));
    ctx.files().put(&file_name(&pdf_sha, false), &pdf)?;
    ctx.files().put(&file_name(&zip_sha, true), &zip)?;

    // Release: the log, the audit record, the timeline, the agency's email.
    let agency = Agency::find(conn, AgencyId(case.agency_id))?;
    let requester = User::find(conn, UserId(case.requester_id))?;
    let basis = disclosure.basis.clone();
    write_tx(conn, |conn| -> Result<(), DisclosureError> {
        let at = now();
        if !Disclosure::mark_released(
            conn,
            disclosure.id,
            at,
            &who.actor.email,
            (&pdf_sha, &zip_sha, &manifest_sha),
        )? {
            let d = package_of(conn, case, disclosure_id)?;
            return Err(wrong_state(&d, "released"));
        }
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
                released_by: who.actor.email.clone(),
                outbox_id: Some(outbox_id),
                at,
            },
        )?;
        audit::record(
            conn,
            who.actor,
            Entry::new("disclosure.release", "case", case.id).details(format!(
                "package {}; PDF sha256 {pdf_sha}; ZIP sha256 {zip_sha}; {redaction}; agency told at {to}",
                disclosure.disclosure_id
            )),
        )?;
        TimelineEvent::insert(
            conn,
            &who.event(
                case.id,
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
    Ok(Released {
        disclosure: package_of(conn, case, disclosure_id)?,
        pdf,
        zip,
    })
}

/// Reads a released package's file (`pdf` or `zip`) from the desk's store ([`file_name`]),
/// checking its SHA-256 against the row. `None` for an unreleased package.
///
/// Errors: the file is missing or does not match its recorded hash.
pub fn read_file(files: &Storage, d: &Disclosure, zip: bool) -> anyhow::Result<Option<Vec<u8>>> {
    let sha = if zip { &d.zip_sha256 } else { &d.pdf_sha256 };
    let Some(sha) = sha else { return Ok(None) };
    let rel = file_name(sha, zip);
    let bytes = files
        .get(&rel)?
        .with_context(|| format!("{} is missing", files.describe(&rel)))?;
    anyhow::ensure!(
        sha256_hex(&bytes) == *sha,
        "{} does not match the SHA-256 recorded for package {}",
        files.describe(&rel),
        d.disclosure_id
    );
    Ok(Some(bytes))
}

/// Makes a package from the command line: `actor` prepares and approves it (and the records
/// say that one person stood in for both), the files are written to `req.out_dir` as
/// `<disclosure id>.pdf` and `<disclosure id>.zip` (and kept in the desk's store), and the
/// release is logged.
///
/// Errors: [`DisclosureError`] for a refused request; database, file and signing failures.
pub fn export(
    ctx: &ExportContext,
    conn: &mut DbConnection,
    actor: &Actor,
    req: &ExportRequest,
) -> Result<Exported, DisclosureError> {
    let terms = DisclosureTerms::parse(
        &req.basis,
        req.unredacted,
        req.unredacted_order.as_deref(),
        req.protective_order,
    )
    .map_err(DisclosureError::Terms)?;
    let who = Discloser { actor, user: None };
    let case = case_by_number(conn, &req.case_number)?;
    let d = prepare(conn, &who, &case, &terms)?;
    let made = release(ctx, conn, &who, &case, &d.disclosure_id)?;
    std::fs::create_dir_all(&req.out_dir)
        .with_context(|| format!("Failed to create {}", req.out_dir.display()))?;
    let pdf = write(&req.out_dir, &made.disclosure.pdf_name(), &made.pdf)?;
    let zip = write(&req.out_dir, &made.disclosure.zip_name(), &made.zip)?;
    Ok(Exported {
        disclosure_id: made.disclosure.disclosure_id,
        pdf,
        zip,
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
    made_at: NaiveDateTime,
) -> anyhow::Result<(Vec<u8>, Vec<u8>, String)> {
    let unsigned =
        report::render(facts, d.protective_order).context("Failed to lay out the report")?;
    let pdf = crate::platform::pdf::sign(
        &unsigned,
        &ctx.signer,
        &format!(
            "Disclosure package {} of case {}",
            d.disclosure_id, facts.case_number
        ),
        made_at.and_utc(),
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
        made_at: made_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
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
