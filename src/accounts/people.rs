//! Changes to a person's standing, shared by the `frdesk user …` commands and the local
//! administrators' user page: record a (renewed) training, record a background check, change
//! roles. Each is one transaction with its audit record.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::accounts::store::{Agency, User};
use crate::audit::{self, Actor, Entry};
use crate::domain::Roles;
use crate::domain::training::Training;
use crate::platform::db::schema::users;
use crate::platform::db::{DbConnection, write_tx};

/// Why a change was refused; `Display` is the message shown beside `field()`.
#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    /// A value the user typed is wrong: the form field and the message.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

impl PeopleError {
    fn invalid(field: &'static str, message: impl Into<String>) -> PeopleError {
        PeopleError::Invalid {
            field,
            message: message.into(),
        }
    }
    /// The form field the error belongs beside (`""` for a database error).
    pub fn field(&self) -> &'static str {
        match self {
            PeopleError::Invalid { field, .. } => field,
            PeopleError::Db(_) => "",
        }
    }
}

/// Records a completed training of `target` (a renewal is simply a newer record). Refuses a
/// completion date after `today` (field `completed`). Audited as `user.training_record` with
/// kind, provider and date. Returns the record id.
pub fn record_training(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &User,
    t: &Training,
    today: NaiveDate,
    at: NaiveDateTime,
) -> Result<i64, PeopleError> {
    crate::domain::training::check_new(t, today)
        .map_err(|m| PeopleError::invalid("completed", m))?;
    write_tx(conn, |c| -> Result<i64, PeopleError> {
        let id = crate::accounts::training::insert(c, target.user_id(), t, &actor.email, at)?;
        audit::record(
            c,
            actor,
            Entry::new("user.training_record", "user", target.id).details(format!(
                "{} by {}, completed {} (record {id})",
                t.kind.label(),
                t.provider.as_str(),
                t.completed_on
            )),
        )?;
        tracing::info!(user_id = target.id, kind = t.kind.as_str(), provider = t.provider.as_str(), completed_on = %t.completed_on, "Training recorded");
        Ok(id)
    })
}

/// Records the date of `target`'s background check. Refuses a date after `today` (field
/// `date`). Audited as `user.background_check` with the old and new date.
pub fn set_background_check(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &User,
    on: NaiveDate,
    today: NaiveDate,
) -> Result<(), PeopleError> {
    if on > today {
        return Err(PeopleError::invalid(
            "date",
            format!("The background-check date {on} is in the future."),
        ));
    }
    write_tx(conn, |c| -> Result<(), PeopleError> {
        crate::accounts::training::set_background_check(c, target.user_id(), Some(on))?;
        audit::record(
            c,
            actor,
            Entry::new("user.background_check", "user", target.id).details(format!(
                "background check {on} (was {})",
                target
                    .background_check_on
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "none".into())
            )),
        )?;
        Ok(())
    })
}

/// Replaces `target`'s roles with `roles` (comma-separated role names). Refuses unknown or no
/// roles, and service roles (reviewer, examiner, supervisor, system administrator) outside the
/// service agency (`Roles::check_for_agency`), beside field `roles`. Audited as `user.roles`
/// with the old and new roles. Returns the roles stored.
pub fn change_roles(
    conn: &mut DbConnection,
    actor: &Actor,
    target: &User,
    agency: &Agency,
    roles: &str,
) -> Result<Roles, PeopleError> {
    let new = Roles::parse(roles).map_err(|m| PeopleError::invalid("roles", m))?;
    new.check_for_agency(agency.is_service)
        .map_err(|m| PeopleError::invalid("roles", m))?;
    if agency.id != target.agency_id {
        return Err(PeopleError::invalid(
            "roles",
            "The account belongs to another agency.",
        ));
    }
    write_tx(conn, |c| -> Result<Roles, PeopleError> {
        diesel::update(users::table.find(target.id))
            .set(users::roles.eq(new.to_db()))
            .execute(c)?;
        audit::record(
            c,
            actor,
            Entry::new("user.roles", "user", target.id).details(format!(
                "roles {} → {}",
                target.roles,
                new.to_db()
            )),
        )?;
        tracing::info!(user_id = target.id, from = %target.roles, to = %new.to_db(), "Roles changed");
        Ok(new)
    })
}
