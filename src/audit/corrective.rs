//! Corrective actions after a finding of a signed-off monthly audit (LACRIS FR Policy
//! "Accountability and Enforcement": "Corrective action must be taken if LACRIS or the local
//! administrator determines a violation … has occurred. Penalties include but are not limited
//! to re-training, restricted access, revoked access"). Each action names a user of the
//! audited agency, its kind, a description and a follow-up date; it is followed up (completed
//! with a note). Recording and completing are each one transaction with their audit record.
//!
//! - re-training: recorded and followed up; the account is otherwise unchanged;
//! - restricted access: the account is restricted while the action is open
//!   (`crate::accounts::restriction`); completing the action lifts it (audited
//!   `user.restriction_lift`);
//! - revocation: the account is deactivated at once (`accounts::lifecycle::deactivate_user`).
//!
//! Who may record and complete: a local administrator of the audited agency or a system
//! administrator of the service. The same administrator who recorded an action may complete it
//! (an agency may have only one local administrator); the audit trail names both.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::accounts::account::NoticeContext;
use crate::accounts::store::{Agency, User};
use crate::audit::monthly_report::AuditReportRecord;
use crate::audit::{self, Actor, Entry};
use crate::domain::Role;
use crate::domain::corrective::CorrectiveKind;
use crate::platform::db::schema::{audit_reports, corrective_actions, users};
use crate::platform::db::{DbConnection, write_tx};

/// Shortest description and completion note (characters).
pub const MIN_TEXT: usize = 10;

/// Why a corrective action was refused; `Display` is the user's message, [`Self::field`] the
/// form field it belongs beside.
#[derive(Debug, thiserror::Error)]
pub enum CorrectiveError {
    #[error(
        "Only a local administrator of the audited agency or a system administrator of the service records and follows up corrective actions."
    )]
    NotAllowed,
    #[error("Choose a signed-off monthly audit of the agency.")]
    NoSuchAudit,
    #[error("Choose a user of the audited agency.")]
    NoSuchUser,
    #[error("You cannot record a corrective action against your own account.")]
    OwnAccount,
    #[error("Choose re-training, restricted access or revocation.")]
    BadKind,
    #[error("Describe the finding and the action (at least {MIN_TEXT} characters).")]
    ShortDescription,
    #[error("Give the follow-up date as YYYY-MM-DD, today or later.")]
    BadFollowUp,
    #[error("Write what was done (at least {MIN_TEXT} characters).")]
    ShortNote,
    #[error("This corrective action is already followed up.")]
    AlreadyCompleted,
    #[error("No such corrective action.")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl CorrectiveError {
    /// The form field the message belongs beside (`None`: the whole form).
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CorrectiveError::NoSuchAudit => Some("audit_report_id"),
            CorrectiveError::NoSuchUser | CorrectiveError::OwnAccount => Some("user_id"),
            CorrectiveError::BadKind => Some("kind"),
            CorrectiveError::ShortDescription => Some("description"),
            CorrectiveError::BadFollowUp => Some("follow_up_on"),
            CorrectiveError::ShortNote => Some("note"),
            _ => None,
        }
    }
    /// A refusal of the person or the form (not a failure of the system).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, CorrectiveError::Db(_) | CorrectiveError::Internal(_))
    }
}

/// What the administrator typed.
#[derive(Debug, Clone, Default)]
pub struct NewAction {
    pub audit_report_id: i64,
    pub user_id: i64,
    pub kind: String,
    pub description: String,
    /// `YYYY-MM-DD`.
    pub follow_up_on: String,
}

/// A corrective action as listed (names resolved).
#[derive(Debug, Clone, Serialize)]
pub struct ActionView {
    pub id: i64,
    pub agency_id: i64,
    pub month: String,
    pub audit_report_id: i64,
    pub user_id: i64,
    pub user_name: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub description: String,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
    pub follow_up_on: NaiveDate,
    pub completed_at: Option<NaiveDateTime>,
    pub completed_by: Option<String>,
    pub completion_note: Option<String>,
}

impl ActionView {
    pub fn is_open(&self) -> bool {
        self.completed_at.is_none()
    }
}

/// Whether `admin` (acting in `admin_agency`) may act on agency `agency_id`'s corrective
/// actions.
pub fn may_act(admin: &User, admin_agency: &Agency, agency_id: i64) -> bool {
    let roles = admin.roles_in(admin_agency);
    roles.has(Role::SystemAdmin) || (roles.has(Role::LocalAdmin) && admin.agency_id == agency_id)
}

/// Records a corrective action of `input.kind` against `input.user_id`, linked to the signed-off
/// monthly audit `input.audit_report_id`; a revocation deactivates the account in the same
/// transaction (the administrators are emailed). Audited `corrective_action.record` (and
/// `user.restrict` / `user.revoke_access`). Returns the action's id.
///
/// Errors: see [`CorrectiveError`]; nothing is changed on error.
pub fn record(
    conn: &mut DbConnection,
    notice: &NoticeContext,
    actor: &Actor,
    (admin, admin_agency): (&User, &Agency),
    input: &NewAction,
    now: NaiveDateTime,
) -> Result<i64, CorrectiveError> {
    let kind = CorrectiveKind::parse(input.kind.trim()).map_err(|_| CorrectiveError::BadKind)?;
    let description = crate::domain::text::multi_line(&input.description);
    let report = audit_reports::table
        .filter(audit_reports::id.eq(input.audit_report_id))
        .select(AuditReportRecord::as_select())
        .first(conn)
        .optional()?
        .ok_or(CorrectiveError::NoSuchAudit)?;
    if !may_act(admin, admin_agency, report.agency_id) {
        return Err(CorrectiveError::NotAllowed);
    }
    let subject = users::table
        .filter(users::id.eq(input.user_id))
        .filter(users::agency_id.eq(report.agency_id))
        .select(User::as_select())
        .first(conn)
        .optional()?
        .ok_or(CorrectiveError::NoSuchUser)?;
    if subject.id == admin.id {
        return Err(CorrectiveError::OwnAccount);
    }
    if description.chars().count() < MIN_TEXT {
        return Err(CorrectiveError::ShortDescription);
    }
    let follow_up = NaiveDate::parse_from_str(input.follow_up_on.trim(), "%Y-%m-%d")
        .ok()
        .filter(|d| *d >= now.date())
        .ok_or(CorrectiveError::BadFollowUp)?;
    write_tx(conn, |c| -> Result<i64, CorrectiveError> {
        diesel::insert_into(corrective_actions::table)
            .values((
                corrective_actions::agency_id.eq(report.agency_id),
                corrective_actions::audit_report_id.eq(report.id),
                corrective_actions::month.eq(&report.month),
                corrective_actions::user_id.eq(subject.id),
                corrective_actions::kind.eq(kind.as_str()),
                corrective_actions::description.eq(&description),
                corrective_actions::recorded_by.eq(admin.id),
                corrective_actions::recorded_at.eq(now),
                corrective_actions::follow_up_on.eq(follow_up),
            ))
            .execute(c)?;
        // Inside the write transaction, the newest row of the agency is this one.
        let id: i64 = corrective_actions::table
            .filter(corrective_actions::agency_id.eq(report.agency_id))
            .order(corrective_actions::id.desc())
            .select(corrective_actions::id)
            .first(c)?;
        audit::record(
            c,
            actor,
            Entry::new("corrective_action.record", "corrective_action", id).details(format!(
                "{} against {} after the {} monthly audit (report {}); follow up by {follow_up}: {description}",
                kind.label(),
                subject.email,
                report.month,
                report.id
            )),
        )?;
        match kind {
            CorrectiveKind::RestrictedAccess => {
                audit::record(
                    c,
                    actor,
                    Entry::new("user.restrict", "user", subject.id).details(format!(
                        "{}: access restricted (corrective action {id})",
                        subject.email
                    )),
                )?;
            }
            CorrectiveKind::Revocation => {
                let reason = format!(
                    "access revoked by {} after the {} monthly audit (corrective action {id})",
                    admin.name, report.month
                );
                crate::accounts::lifecycle::deactivate_user(
                    c,
                    notice,
                    actor,
                    &subject,
                    crate::accounts::lifecycle::AccountEvent {
                        action: "user.revoke_access",
                        label: "Access revoked after an audit finding",
                        reason: &reason,
                        advice: "The account is disabled; it stays on file for the audit trail.",
                    },
                    now,
                )?;
            }
            CorrectiveKind::Retraining => {}
        }
        Ok(id)
    })
}

/// Follows up corrective action `id`: completed with `note` by `admin` (who may be the one who
/// recorded it). Completing a restricted-access action lifts the restriction (audited
/// `user.restriction_lift`). Audited `corrective_action.complete`.
///
/// Errors: see [`CorrectiveError`]; nothing is changed on error.
pub fn complete(
    conn: &mut DbConnection,
    actor: &Actor,
    (admin, admin_agency): (&User, &Agency),
    id: i64,
    note: &str,
    now: NaiveDateTime,
) -> Result<(), CorrectiveError> {
    let note = crate::domain::text::multi_line(note);
    write_tx(conn, |c| -> Result<(), CorrectiveError> {
        let (agency_id, user_id, kind, completed): (i64, i64, String, Option<NaiveDateTime>) =
            corrective_actions::table
                .filter(corrective_actions::id.eq(id))
                .select((
                    corrective_actions::agency_id,
                    corrective_actions::user_id,
                    corrective_actions::kind,
                    corrective_actions::completed_at,
                ))
                .first(c)
                .optional()?
                .ok_or(CorrectiveError::NotFound)?;
        if !may_act(admin, admin_agency, agency_id) {
            return Err(CorrectiveError::NotAllowed);
        }
        if completed.is_some() {
            return Err(CorrectiveError::AlreadyCompleted);
        }
        if note.chars().count() < MIN_TEXT {
            return Err(CorrectiveError::ShortNote);
        }
        let kind = CorrectiveKind::parse(&kind).map_err(anyhow::Error::from)?;
        let n = diesel::update(
            corrective_actions::table
                .filter(corrective_actions::id.eq(id))
                .filter(corrective_actions::completed_at.is_null()),
        )
        .set((
            corrective_actions::completed_at.eq(Some(now)),
            corrective_actions::completed_by.eq(Some(admin.id)),
            corrective_actions::completion_note.eq(Some(&note)),
        ))
        .execute(c)?;
        if n == 0 {
            return Err(CorrectiveError::AlreadyCompleted);
        }
        audit::record(
            c,
            actor,
            Entry::new("corrective_action.complete", "corrective_action", id)
                .details(format!("{}: {note}", kind.label())),
        )?;
        if kind == CorrectiveKind::RestrictedAccess {
            audit::record(
                c,
                actor,
                Entry::new("user.restriction_lift", "user", user_id).details(format!(
                    "restriction lifted (corrective action {id}): {note}"
                )),
            )?;
        }
        Ok(())
    })
}

/// The corrective actions of one agency (`Some`) or of every agency, newest first.
///
/// Errors: database errors.
pub fn list(conn: &mut DbConnection, agency_id: Option<i64>) -> QueryResult<Vec<ActionView>> {
    type Row = (
        i64,
        i64,
        String,
        i64,
        i64,
        String,
        String,
        i64,
        NaiveDateTime,
        NaiveDate,
        Option<NaiveDateTime>,
        Option<i64>,
        Option<String>,
    );
    let mut q = corrective_actions::table
        .order(corrective_actions::id.desc())
        .select((
            corrective_actions::id,
            corrective_actions::agency_id,
            corrective_actions::month,
            corrective_actions::audit_report_id,
            corrective_actions::user_id,
            corrective_actions::kind,
            corrective_actions::description,
            corrective_actions::recorded_by,
            corrective_actions::recorded_at,
            corrective_actions::follow_up_on,
            corrective_actions::completed_at,
            corrective_actions::completed_by,
            corrective_actions::completion_note,
        ))
        .into_boxed();
    if let Some(a) = agency_id {
        q = q.filter(corrective_actions::agency_id.eq(a));
    }
    let rows: Vec<Row> = q.load(conn)?;
    let mut ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [Some(r.4), Some(r.7), r.11])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i64, String> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|r| ActionView {
            id: r.0,
            agency_id: r.1,
            month: r.2,
            audit_report_id: r.3,
            user_id: r.4,
            user_name: name(r.4),
            kind_label: CorrectiveKind::parse(&r.5).map_or("Unknown", CorrectiveKind::label),
            kind: r.5,
            description: r.6,
            recorded_by: name(r.7),
            recorded_at: r.8,
            follow_up_on: r.9,
            completed_at: r.10,
            completed_by: r.11.map(name),
            completion_note: r.12,
        })
        .collect())
}
