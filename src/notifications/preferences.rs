//! Each user's choice per kind of notification, on their own account page: at once, daily
//! digest or off; compliance reminders are fixed to at once and the server refuses anything
//! else. A change is an audit record (`user.notification_preferences`).

use std::collections::BTreeMap;

use crate::accounts::store::User;
use crate::audit::{self, Actor, Entry, Outcome};
use crate::domain::Roles;
use crate::domain::account::FieldErrors;
use crate::domain::notification::{Delivery, NotificationKind, choose};
use crate::notifications::notify::delivery_of;
use crate::notifications::store::Preference;
use crate::platform::db::{DbConnection, write_tx};
use crate::platform::time::now;

/// One line of the account page's notification form.
#[derive(Debug, Clone)]
pub struct Choice {
    pub kind: NotificationKind,
    pub delivery: Delivery,
}

impl Choice {
    pub fn field(&self) -> &'static str {
        self.kind.field()
    }
    pub fn label(&self) -> &'static str {
        self.kind.label()
    }
    pub fn compliance(&self) -> bool {
        self.kind.is_compliance()
    }
    /// Whether `value` (`immediate`, `digest`, `off`) is the current choice.
    pub fn is(&self, value: &str) -> bool {
        self.delivery.as_str() == value
    }
}

/// The kinds the user's `roles` receive, with their current choice.
///
/// Errors: database errors; a stored choice the code does not know.
pub fn choices(
    conn: &mut DbConnection,
    user_id: i64,
    roles: &Roles,
) -> diesel::QueryResult<Vec<Choice>> {
    NotificationKind::for_roles(roles)
        .into_iter()
        .map(|kind| {
            Ok(Choice {
                kind,
                delivery: delivery_of(conn, user_id, kind)?,
            })
        })
        .collect()
}

/// Why the choices were not saved.
#[derive(Debug, thiserror::Error)]
pub enum PreferencesError {
    /// `(field, message)` for each refused choice; nothing was saved (the refusal is an audit
    /// record).
    #[error("Some notification choices were refused (see the marked fields).")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Saves the user's choices from the submitted form `fields` (field name → value; a kind the
/// form does not carry keeps its choice). Only the kinds of the user's `roles` are read.
/// Returns how many choices changed; a change is audited with old and new values.
///
/// Errors: [`PreferencesError::Invalid`] — an unknown value, or a compliance reminder not
/// "immediate" (a forged form): nothing saved, audited as denied.
pub fn save(
    conn: &mut DbConnection,
    actor: &Actor,
    user: &User,
    roles: &Roles,
    fields: &BTreeMap<String, String>,
) -> Result<usize, PreferencesError> {
    let current = choices(conn, user.id, roles)?;
    let mut errors: FieldErrors = Vec::new();
    let mut changes: Vec<(NotificationKind, Delivery, Delivery)> = Vec::new();
    for c in &current {
        match choose(
            c.kind,
            fields.get(c.field()).map(String::as_str),
            c.delivery,
        ) {
            Ok(d) if d != c.delivery => changes.push((c.kind, c.delivery, d)),
            Ok(_) => {}
            Err(e) => errors.push((c.field(), e.to_string())),
        }
    }
    if !errors.is_empty() {
        audit::record(
            conn,
            actor,
            Entry::new("user.notification_preferences", "user", user.id)
                .outcome(Outcome::Denied)
                .details(
                    errors
                        .iter()
                        .map(|(f, m)| format!("{f}: {m}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
        )?;
        return Err(PreferencesError::Invalid(errors));
    }
    if changes.is_empty() {
        return Ok(0);
    }
    let at = now();
    write_tx(conn, |c| -> Result<(), PreferencesError> {
        for (kind, _, to) in &changes {
            Preference::put(c, user.id, *kind, *to, at)?;
        }
        audit::record(
            c,
            actor,
            Entry::new("user.notification_preferences", "user", user.id).details(
                changes
                    .iter()
                    .map(|(k, from, to)| format!("{}: {from} -> {to}", k.as_str()))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        )?;
        Ok(())
    })?;
    tracing::info!(
        user_id = user.id,
        changed = changes.len(),
        "Notification preferences changed"
    );
    Ok(changes.len())
}
