//! The quarterly access review of an agency's accounts (LACRIS "Audits").

use crate::accounts::store::User;
use crate::audit::{self, Actor, Entry};
use crate::domain::{AgencyId, Role};
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::time::now;
use crate::retention::daily::RetentionContext;
use crate::retention::store::{AccessReview, NewAccessReviewItem};

use crate::retention::error::RetentionError;

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
) -> Result<(i64, crate::platform::jobs::effects::AfterCommit), RetentionError> {
    if !admin.stored_roles().has(Role::LocalAdmin) {
        return Err(RetentionError::NotLocalAdmin);
    }
    let agency = AgencyId(admin.agency_id);
    let at = now();
    let today = at.date();
    let users: Vec<User> = User::for_agency(conn, agency)?
        .into_iter()
        .filter(|u| u.active)
        .collect();
    let ids: Vec<i64> = users.iter().map(|u| u.id).collect();
    let records = crate::accounts::training::records_by_user(conn, &ids)?;
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
                    training: training_line(
                        records.get(&u.id).map(Vec::as_slice).unwrap_or(&[]),
                        today,
                    ),
                    last_login: u.last_login,
                    decision: d.as_str().into(),
                    background_check_on: u.background_check_on,
                })
            }
        }
    }
    if !errors.is_empty() {
        return Err(RetentionError::Invalid(errors));
    }
    let quarter = quarter_of(today);
    write_tx(
        conn,
        |c| -> Result<(i64, crate::platform::jobs::effects::AfterCommit), RetentionError> {
            let id = AccessReview::insert(c, agency, admin.user_id(), &quarter, at, &items)?;
            for u in &revoke {
                let reason = format!("revoked by {} in access review {quarter}", admin.name);
                crate::accounts::lifecycle::deactivate_user(
                    c,
                    &ctx.notice(),
                    actor,
                    u,
                    crate::accounts::lifecycle::AccountEvent {
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
            // Revoked users' administrators are told by email.
            Ok((id, crate::platform::jobs::effects::AfterCommit::mail()))
        },
    )
}

/// What the review shows and stores about a user's training: `current` or `none` (whether it
/// grants FR-system access on `today`), then each kind's newest record in brackets.
pub fn training_line(
    records: &[crate::domain::training::Training],
    today: chrono::NaiveDate,
) -> String {
    format!(
        "{} ({})",
        if crate::domain::training::grants_fr_access(records, today).is_ok() {
            "current"
        } else {
            "none"
        },
        crate::domain::training::summary(records)
    )
}

/// Who the admin's review covers (their agency's active accounts) — for the page.
pub fn review_subjects(conn: &mut DbConnection, admin: &User) -> Result<Vec<User>, RetentionError> {
    if !admin.stored_roles().has(Role::LocalAdmin) {
        return Err(RetentionError::NotLocalAdmin);
    }
    Ok(User::for_agency(conn, AgencyId(admin.agency_id))?
        .into_iter()
        .filter(|u| u.active)
        .collect())
}
