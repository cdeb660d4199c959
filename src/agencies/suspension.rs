//! The service suspends a member agency (LACRIS FR Policy: an agency without its own policy, or
//! one that breaks the policy, has its FR access suspended) and reinstates it. While suspended
//! its users can log in and read their cases, every page shows
//! [`crate::accounts::store::Agency::suspension_notice`], and submitting is refused.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::store::Agency;
use crate::audit::{self, Actor, Entry};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::agencies;

/// Why a suspension or reinstatement was refused; `Display` is the administrator's message.
#[derive(Debug, thiserror::Error)]
pub enum SuspensionError {
    #[error("Give the reason in at least 10 characters; the agency's users see it.")]
    ReasonTooShort,
    #[error("The service's own agency cannot be suspended.")]
    ServiceAgency,
    #[error("{0} is already suspended.")]
    AlreadySuspended(String),
    #[error("{0} is not suspended.")]
    NotSuspended(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Shortest reason accepted (characters, after trimming).
pub const MIN_REASON_CHARS: usize = 10;

/// Suspends `agency` from `at` with `reason` (audit `agency.suspend`), in one transaction.
///
/// Errors: [`SuspensionError::ReasonTooShort`], [`SuspensionError::ServiceAgency`],
/// [`SuspensionError::AlreadySuspended`], database errors.
pub fn suspend(
    conn: &mut DbConnection,
    actor: &Actor,
    agency: &Agency,
    reason: &str,
    at: NaiveDateTime,
) -> Result<(), SuspensionError> {
    let reason = crate::domain::request::clean(reason);
    if reason.chars().count() < MIN_REASON_CHARS {
        return Err(SuspensionError::ReasonTooShort);
    }
    if agency.is_service {
        return Err(SuspensionError::ServiceAgency);
    }
    crate::platform::db::write_tx(conn, |c| {
        let n = diesel::update(
            agencies::table
                .find(agency.id)
                .filter(agencies::suspended_at.is_null()),
        )
        .set((
            agencies::suspended_at.eq(Some(at)),
            agencies::suspended_by.eq(Some(&actor.email)),
            agencies::suspension_reason.eq(Some(&reason)),
        ))
        .execute(c)?;
        if n == 0 {
            return Err(SuspensionError::AlreadySuspended(agency.name.clone()));
        }
        audit::record(
            c,
            actor,
            Entry::new("agency.suspend", "agency", agency.id)
                .reason(&reason)
                .details(format!("ORI {}", agency.ori)),
        )?;
        Ok(())
    })
}

/// Lifts the suspension of `agency` (audit `agency.reinstate` with `reason`, which may be
/// empty), in one transaction.
///
/// Errors: [`SuspensionError::NotSuspended`], database errors.
pub fn reinstate(
    conn: &mut DbConnection,
    actor: &Actor,
    agency: &Agency,
    reason: &str,
) -> Result<(), SuspensionError> {
    let reason = crate::domain::request::clean(reason);
    crate::platform::db::write_tx(conn, |c| {
        let n = diesel::update(
            agencies::table
                .find(agency.id)
                .filter(agencies::suspended_at.is_not_null()),
        )
        .set((
            agencies::suspended_at.eq(None::<NaiveDateTime>),
            agencies::suspended_by.eq(None::<String>),
            agencies::suspension_reason.eq(None::<String>),
        ))
        .execute(c)?;
        if n == 0 {
            return Err(SuspensionError::NotSuspended(agency.name.clone()));
        }
        audit::record(
            c,
            actor,
            Entry::new("agency.reinstate", "agency", agency.id)
                .reason(&reason)
                .details(format!(
                    "ORI {}; suspended since {}",
                    agency.ori,
                    agency
                        .suspended_at
                        .map(|t| crate::platform::time::fmt_time(&t))
                        .unwrap_or_default()
                )),
        )?;
        Ok(())
    })
}
