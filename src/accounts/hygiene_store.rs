//! Queries for account hygiene: idle accounts, lapsed training, lockout counts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::accounts::store::{Agency, User};
use crate::domain::{AgencyId, Role, UserId};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{agencies, users};

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

// ---------------------------------------------------------------- account hygiene

impl User {
    /// Active accounts idle since before `before` (see [`User::last_seen`]).
    pub fn idle_since(conn: &mut Conn, before: NaiveDateTime) -> QResult<Vec<User>> {
        let all: Vec<User> = users::table
            .filter(users::active.eq(true))
            .order(users::id.asc())
            .select(User::as_select())
            .load(conn)?;
        Ok(all.into_iter().filter(|u| u.last_seen() < before).collect())
    }
    /// The start of the idle period: the later of the last login (or creation, if never used)
    /// and the last re-activation.
    pub fn last_seen(&self) -> NaiveDateTime {
        let seen = self.last_login.unwrap_or(self.created_at);
        self.reactivated_at.map_or(seen, |r| r.max(seen))
    }
    /// Enables a disabled account again; returns whether it was disabled.
    pub fn reactivate(conn: &mut Conn, id: UserId, at: NaiveDateTime) -> QResult<bool> {
        let n = diesel::update(
            users::table
                .filter(users::id.eq(id.0))
                .filter(users::active.eq(false)),
        )
        .set((users::active.eq(true), users::reactivated_at.eq(Some(at))))
        .execute(conn)?;
        Ok(n == 1)
    }
    /// Active accounts for which `role` works ([`User::roles_in`]: service roles count only in
    /// the service agency).
    pub fn active_with_role(conn: &mut Conn, role: Role) -> QResult<Vec<User>> {
        let all: Vec<(User, Agency)> = users::table
            .inner_join(agencies::table)
            .filter(users::active.eq(true))
            .order(users::id.asc())
            .select((User::as_select(), Agency::as_select()))
            .load(conn)?;
        Ok(all
            .into_iter()
            .filter(|(u, a)| u.roles_in(a).has(role))
            .map(|(u, _)| u)
            .collect())
    }
    /// Accounts of ordinary agencies that store service roles (created before the rule, or by a
    /// direct database edit), with the roles that do not work for them ([`User::roles_in`]).
    /// The server logs them by name at start-up.
    pub fn with_misplaced_service_roles(conn: &mut Conn) -> QResult<Vec<(User, Vec<Role>)>> {
        let all: Vec<(User, Agency)> = users::table
            .inner_join(agencies::table)
            .filter(agencies::is_service.eq(false))
            .order(users::id.asc())
            .select((User::as_select(), Agency::as_select()))
            .load(conn)?;
        Ok(all
            .into_iter()
            .filter_map(|(u, a)| {
                let bad = u.stored_roles().misplaced(a.is_service);
                (!bad.is_empty()).then_some((u, bad))
            })
            .collect())
    }
    /// Active local administrators of an agency.
    pub fn local_admins_of(conn: &mut Conn, agency: AgencyId) -> QResult<Vec<User>> {
        Ok(User::for_agency(conn, agency)?
            .into_iter()
            .filter(|u| u.active && u.stored_roles().has(Role::LocalAdmin))
            .collect())
    }
    /// Disables an account with the reason; returns whether it was active.
    pub fn deactivate(conn: &mut Conn, id: UserId, reason: &str) -> QResult<bool> {
        let n = diesel::update(
            users::table
                .filter(users::id.eq(id.0))
                .filter(users::active.eq(true)),
        )
        .set((
            users::active.eq(false),
            users::deactivated_reason.eq(Some(reason)),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
    /// Records (or clears, with `None`) that the training lapse was notified.
    pub fn set_training_lapse_notified(
        conn: &mut Conn,
        id: UserId,
        at: Option<NaiveDateTime>,
    ) -> QResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::training_lapse_notified_at.eq(at))
            .execute(conn)
            .map(|_| ())
    }
}
