//! Retention actions taken by people: placing and lifting a legal hold, an administrator's
//! audited view of a logically deleted case, and the quarterly access review. Each is one
//! transaction with its audit record (and timeline event or email).

use crate::audit::{self, Actor, Entry, Outcome};
use crate::db::DbConnection;
use crate::db::models::{Agency, Case, User, now};
use crate::db::retention::{AccessReview, LegalHold, NewAccessReviewItem, NewLegalHold};
use crate::domain::retention::{LegalHoldRequest, StatedReason};
use crate::domain::{AgencyId, CaseId, Role};
use crate::retention::{RetentionContext, may_hold, may_view_hidden};
use crate::workflow::{timeline, write_tx};

/// Why a retention action was refused; `Display` is the user's message, details are logged.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    #[error(
        "Only a local administrator of the case's agency or a service reviewer may place or lift a legal hold."
    )]
    NotAllowedToHold,
    #[error("Only a local administrator may view a logically deleted case.")]
    NotAllowedToView,
    #[error("Only a local administrator may review their agency's accounts.")]
    NotLocalAdmin,
    #[error("The case was not found.")]
    NotFound,
    #[error("That legal hold is already lifted.")]
    AlreadyLifted,
    /// Field errors for the form: `(field, message)`.
    #[error("Please correct the form.")]
    Invalid(Vec<(&'static str, String)>),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<RetentionError> for crate::errors::AppError {
    fn from(e: RetentionError) -> Self {
        use crate::errors::AppError;
        match e {
            RetentionError::NotAllowedToHold
            | RetentionError::NotAllowedToView
            | RetentionError::NotLocalAdmin => AppError::Forbidden(e.to_string()),
            RetentionError::NotFound => AppError::NotFound,
            RetentionError::AlreadyLifted => AppError::Conflict(e.to_string()),
            RetentionError::Invalid(_) => AppError::BadRequest(e.to_string()),
            RetentionError::Db(d) => AppError::from(d),
            RetentionError::Internal(i) => AppError::Internal(i),
        }
    }
}

impl actix_web::ResponseError for RetentionError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            RetentionError::NotAllowedToHold
            | RetentionError::NotAllowedToView
            | RetentionError::NotLocalAdmin => actix_web::http::StatusCode::FORBIDDEN,
            RetentionError::NotFound => actix_web::http::StatusCode::NOT_FOUND,
            RetentionError::AlreadyLifted => actix_web::http::StatusCode::CONFLICT,
            RetentionError::Invalid(_) => actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            RetentionError::Db(_) | RetentionError::Internal(_) => {
                actix_web::http::StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
    fn error_response(&self) -> actix_web::HttpResponse {
        if let RetentionError::Db(e) = self {
            tracing::error!(error = %e, "Retention action failed");
        } else if let RetentionError::Internal(e) = self {
            tracing::error!(error = %format!("{e:#}"), "Retention action failed");
        }
        actix_web::HttpResponse::build(self.status_code())
            .content_type("text/plain; charset=utf-8")
            .body(match self {
                RetentionError::Db(_) | RetentionError::Internal(_) => {
                    "Something went wrong; the change was not made.".to_string()
                }
                other => other.to_string(),
            })
    }
}

/// A case (live or logically deleted) that `user` may place a hold on.
fn case_for_hold(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    id: CaseId,
) -> Result<Case, RetentionError> {
    let case = Case::find_any(conn, id)?.ok_or(RetentionError::NotFound)?;
    if !may_hold(&user.roles(), agency, &case) {
        return Err(RetentionError::NotAllowedToHold);
    }
    Ok(case)
}

/// Places a legal hold on a case (LAPD ALPR order: case or DR number and reason). The case is
/// then neither logically deleted nor purged until the hold is lifted. Audited
/// (`retention.hold`) with a timeline event. Returns the hold id.
///
/// Errors: not permitted (audited as denied), case not found, invalid reference or reason.
pub fn place_hold(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    id: CaseId,
    reference: &str,
    reason: &str,
) -> Result<i64, RetentionError> {
    write_tx(conn, |c| {
        let case = match case_for_hold(c, user, agency, id) {
            Ok(case) => case,
            Err(e @ RetentionError::NotAllowedToHold) => {
                audit::record(
                    c,
                    actor,
                    Entry::new("retention.hold", "case", id.0).outcome(Outcome::Denied),
                )?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let req = LegalHoldRequest::parse(reference, reason).map_err(RetentionError::Invalid)?;
        let hold = LegalHold::insert(
            c,
            &NewLegalHold {
                case_id: case.id,
                reference: req.reference.clone(),
                reason: req.reason.as_str().to_string(),
                placed_by: user.id,
                placed_at: now(),
            },
        )?;
        if case.hidden_at.is_none() {
            timeline(
                c,
                case.id,
                Some((user, actor.role.as_str())),
                "legal_hold",
                format!("Legal hold placed ({})", req.reference),
                None,
            )?;
        }
        audit::record(
            c,
            actor,
            Entry::new("retention.hold", "case", case.id).details(format!(
                "hold {hold} placed; reference {}; reason: {}",
                req.reference,
                req.reason.as_str()
            )),
        )?;
        Ok(hold)
    })
}

/// Lifts a standing legal hold with a reason. Audited (`retention.hold_lift`).
///
/// Errors: not permitted, not found, already lifted, reason too short.
pub fn lift_hold(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    id: CaseId,
    hold_id: i64,
    reason: &str,
) -> Result<(), RetentionError> {
    write_tx(conn, |c| {
        let case = match case_for_hold(c, user, agency, id) {
            Ok(case) => case,
            Err(e @ RetentionError::NotAllowedToHold) => {
                audit::record(
                    c,
                    actor,
                    Entry::new("retention.hold_lift", "case", id.0).outcome(Outcome::Denied),
                )?;
                return Err(e);
            }
            Err(e) => return Err(e),
        };
        let reason = StatedReason::parse(reason)
            .map_err(|m| RetentionError::Invalid(vec![("lift_reason", m)]))?;
        // A hold of another case is "not found", not "already lifted".
        if !LegalHold::for_case(c, case.case_id())?
            .iter()
            .any(|h| h.id == hold_id)
        {
            return Err(RetentionError::NotFound);
        }
        if !LegalHold::lift(
            c,
            case.case_id(),
            hold_id,
            user.user_id(),
            reason.as_str(),
            now(),
        )? {
            return Err(RetentionError::AlreadyLifted);
        }
        if case.hidden_at.is_none() {
            timeline(
                c,
                case.id,
                Some((user, actor.role.as_str())),
                "legal_hold",
                "Legal hold lifted",
                None,
            )?;
        }
        audit::record(
            c,
            actor,
            Entry::new("retention.hold_lift", "case", case.id).details(format!(
                "hold {hold_id} lifted; reason: {}",
                reason.as_str()
            )),
        )?;
        Ok(())
    })
}

/// A logically deleted case an administrator may open, if they state a reason.
pub fn hidden_case_for(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    id: CaseId,
) -> Result<Option<Case>, RetentionError> {
    let Some(case) = Case::find_any(conn, id)? else {
        return Ok(None);
    };
    if case.hidden_at.is_none() || !may_view_hidden(&user.roles(), agency, &case) {
        return Ok(None);
    }
    Ok(Some(case))
}

/// Records an administrator's stated reason to view a logically deleted case
/// (`case.view_retained`, with the reason as the record's stated purpose).
///
/// Errors: not permitted (audited as denied), reason too short.
pub fn view_hidden(
    conn: &mut DbConnection,
    user: &User,
    agency: &Agency,
    actor: &Actor,
    id: CaseId,
    reason: &str,
) -> Result<Case, RetentionError> {
    let reason =
        StatedReason::parse(reason).map_err(|m| RetentionError::Invalid(vec![("reason", m)]))?;
    write_tx(conn, |c| {
        let Some(case) = hidden_case_for(c, user, agency, id)? else {
            audit::record(
                c,
                actor,
                Entry::new("case.view_retained", "case", id.0).outcome(Outcome::Denied),
            )?;
            return Err(RetentionError::NotAllowedToView);
        };
        audit::record(
            c,
            actor,
            Entry::new("case.view_retained", "case", case.id)
                .reason(reason.as_str())
                .details(format!(
                    "logically deleted case {} opened by an administrator",
                    case.display_number()
                )),
        )?;
        Ok(case)
    })
}

/// One decision of an access review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessDecision {
    Confirm,
    Revoke,
}

impl AccessDecision {
    pub fn parse(s: &str) -> Option<AccessDecision> {
        match s {
            "confirm" => Some(AccessDecision::Confirm),
            "revoke" => Some(AccessDecision::Revoke),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AccessDecision::Confirm => "confirm",
            AccessDecision::Revoke => "revoke",
        }
    }
}

/// The quarter of a date, `YYYY-Qn`.
pub fn quarter_of(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

/// Stores a quarterly access review of the administrator's agency: every active user of the
/// agency must have a decision; revoked users are deactivated at once (audited, local
/// administrators emailed). Audited (`access_review.submit`). Returns the review id.
///
/// Errors: not a local administrator; a user without a decision (field `user-<id>`).
pub fn submit_access_review(
    conn: &mut DbConnection,
    ctx: &RetentionContext,
    admin: &User,
    actor: &Actor,
    decisions: &[(i64, String)],
) -> Result<i64, RetentionError> {
    if !admin.roles().has(Role::LocalAdmin) {
        return Err(RetentionError::NotLocalAdmin);
    }
    let agency = AgencyId(admin.agency_id);
    let at = now();
    let today = at.date();
    let users: Vec<User> = User::for_agency(conn, agency)?
        .into_iter()
        .filter(|u| u.active)
        .collect();
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut revoke = Vec::new();
    for u in &users {
        let d = decisions
            .iter()
            .find(|(id, _)| *id == u.id)
            .and_then(|(_, d)| AccessDecision::parse(d));
        match d {
            None => errors.push((
                "decisions",
                format!("Choose confirm or revoke for {}.", u.name),
            )),
            Some(AccessDecision::Revoke) if u.id == admin.id => errors.push((
                "decisions",
                "You cannot revoke your own account in your own review.".to_string(),
            )),
            Some(d) => {
                if d == AccessDecision::Revoke {
                    revoke.push(u.clone());
                }
                items.push(NewAccessReviewItem {
                    review_id: 0,
                    user_id: u.id,
                    roles: u.roles.clone(),
                    training: if u.training_current(today) {
                        "current".into()
                    } else {
                        "none".into()
                    },
                    last_login: u.last_login,
                    decision: d.as_str().into(),
                })
            }
        }
    }
    if !errors.is_empty() {
        return Err(RetentionError::Invalid(errors));
    }
    let quarter = quarter_of(today);
    write_tx(conn, |c| -> Result<i64, RetentionError> {
        let id = AccessReview::insert(c, agency, admin.user_id(), &quarter, at, &items)?;
        for u in &revoke {
            let reason = format!("revoked by {} in access review {quarter}", admin.name);
            crate::retention::deactivate_user(
                c,
                ctx,
                actor,
                u,
                crate::retention::AccountEvent {
                    action: "user.revoke_access",
                    label: "Access revoked in the quarterly access review",
                    reason: &reason,
                    advice: "The account is disabled; it stays on file for the audit trail.",
                },
                at,
            )?;
        }
        audit::record(
            c,
            actor,
            Entry::new("access_review.submit", "access_review", id).details(format!(
                "{quarter}: {} confirmed, {} revoked",
                items.len() - revoke.len(),
                revoke.len()
            )),
        )?;
        Ok(id)
    })
}

/// Who the admin's review covers (their agency's active accounts) — for the page.
pub fn review_subjects(conn: &mut DbConnection, admin: &User) -> Result<Vec<User>, RetentionError> {
    if !admin.roles().has(Role::LocalAdmin) {
        return Err(RetentionError::NotLocalAdmin);
    }
    Ok(User::for_agency(conn, AgencyId(admin.agency_id))?
        .into_iter()
        .filter(|u| u.active)
        .collect())
}
