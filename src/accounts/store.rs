//! Agencies and user accounts: their rows and the queries on them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::{AgencyId, Roles, UserId};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{agencies, users};

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

// ---------------------------------------------------------------- agencies

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = agencies)]
pub struct Agency {
    pub id: i64,
    pub name: String,
    pub ori: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub fr_policy_date: Option<NaiveDate>,
    pub is_service: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// When the service suspended the agency (no submissions until reinstated); `None` if not
    /// suspended. Set by [`crate::agencies::suspension`].
    pub suspended_at: Option<NaiveDateTime>,
    /// Who suspended it (an email, or `cli:<user>`).
    pub suspended_by: Option<String>,
    /// Why, as the service gave it.
    pub suspension_reason: Option<String>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = agencies)]
pub struct NewAgency {
    pub name: String,
    pub ori: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub fr_policy_date: Option<NaiveDate>,
    pub is_service: bool,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl Agency {
    /// Inserts the agency; its names and contact details are cleaned first
    /// ([`crate::domain::text::single_line`], trimmed), whoever typed them (CLI, demo).
    pub fn insert(conn: &mut Conn, new: &NewAgency) -> QResult<Agency> {
        let line = |s: &str| crate::domain::text::single_line(s).trim().to_string();
        let new = NewAgency {
            name: line(&new.name),
            ori: line(&new.ori),
            contact_name: line(&new.contact_name),
            contact_email: line(&new.contact_email),
            contact_phone: line(&new.contact_phone),
            ..new.clone()
        };
        let new = &new;
        diesel::insert_into(agencies::table)
            .values(new)
            .execute(conn)?;
        Agency::by_ori(conn, &new.ori)?.ok_or(diesel::NotFound)
    }
    pub fn find(conn: &mut Conn, id: AgencyId) -> QResult<Agency> {
        agencies::table
            .find(id.0)
            .select(Agency::as_select())
            .first(conn)
    }
    pub fn by_ori(conn: &mut Conn, ori: &str) -> QResult<Option<Agency>> {
        agencies::table
            .filter(agencies::ori.eq(ori))
            .select(Agency::as_select())
            .first(conn)
            .optional()
    }
    pub fn all(conn: &mut Conn) -> QResult<Vec<Agency>> {
        agencies::table
            .order(agencies::name.asc())
            .select(Agency::as_select())
            .load(conn)
    }
    pub fn agency_id(&self) -> AgencyId {
        AgencyId(self.id)
    }
    /// Whether the agency's own FR policy is in effect on `today`: one is on file and its
    /// effective date (`fr_policy_date`, kept equal to the current policy document by
    /// [`crate::agencies::policy`]) is not in the future. LACRIS suspended FR access, from
    /// 2023-07-01, for agencies without their own FR policy.
    pub fn policy_in_effect(&self, today: NaiveDate) -> bool {
        self.fr_policy_date.is_some_and(|d| d <= today)
    }
    pub fn is_suspended(&self) -> bool {
        self.suspended_at.is_some()
    }
    /// The message shown to the agency's users while it is suspended (on every page and when a
    /// submission is refused): who (the service, `service_name`), since when (UTC) and why.
    /// `None` when the agency is not suspended.
    pub fn suspension_notice(&self, service_name: &str) -> Option<String> {
        let at = self.suspended_at?;
        let reason = self
            .suspension_reason
            .as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| format!(" Reason given: {}.", r.trim().trim_end_matches('.')))
            .unwrap_or_default();
        Some(format!(
            "{} is suspended by {service_name} since {}.{reason} Requests cannot be submitted or resubmitted until the service reinstates the agency; you can still read your cases and save drafts.",
            self.name,
            crate::platform::time::fmt_time(&at)
        ))
    }
}

// ---------------------------------------------------------------- users

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub agency_id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub password_hash: String,
    pub roles: String,
    pub active: bool,
    pub last_login: Option<NaiveDateTime>,
    pub locked_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// Why the account was last deactivated (left, idle, access review); the time is in the
    /// audit record. `None` if never deactivated since migration 000007.
    pub deactivated_reason: Option<String>,
    /// When a disabled account was last enabled again (the idle rule counts from here too).
    pub reactivated_at: Option<NaiveDateTime>,
    /// When the local administrators were told this examiner's training lapsed.
    pub training_lapse_notified_at: Option<NaiveDateTime>,
    /// Date of the user's last background check (LACRIS "Prohibited Uses"); `None` if none on
    /// record. Set with `accounts::people::set_background_check`.
    pub background_check_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser {
    pub agency_id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub password_hash: String,
    pub roles: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
}

impl User {
    /// Inserts the user; name, email and phone are cleaned first
    /// ([`crate::domain::text::single_line`], trimmed), whoever typed them (CLI, demo).
    pub fn insert(conn: &mut Conn, new: &NewUser) -> QResult<User> {
        let line = |s: &str| crate::domain::text::single_line(s).trim().to_string();
        let new = NewUser {
            name: line(&new.name),
            email: line(&new.email),
            phone: line(&new.phone),
            ..new.clone()
        };
        let new = &new;
        diesel::insert_into(users::table)
            .values(new)
            .execute(conn)?;
        User::by_email(conn, &new.email)?.ok_or(diesel::NotFound)
    }
    pub fn find(conn: &mut Conn, id: UserId) -> QResult<User> {
        users::table
            .find(id.0)
            .select(User::as_select())
            .first(conn)
    }
    /// Emails are stored lower-case; the lookup is exact on the lower-cased address.
    pub fn by_email(conn: &mut Conn, email: &str) -> QResult<Option<User>> {
        users::table
            .filter(users::email.eq(email.trim().to_lowercase()))
            .select(User::as_select())
            .first(conn)
            .optional()
    }
    pub fn for_agency(conn: &mut Conn, agency: AgencyId) -> QResult<Vec<User>> {
        users::table
            .filter(users::agency_id.eq(agency.0))
            .order(users::name.asc())
            .select(User::as_select())
            .load(conn)
    }
    pub fn touch_login(conn: &mut Conn, id: UserId, at: NaiveDateTime) -> QResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::last_login.eq(Some(at)))
            .execute(conn)
            .map(|_| ())
    }
    pub fn set_password_hash(conn: &mut Conn, id: UserId, hash: &str) -> QResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::password_hash.eq(hash))
            .execute(conn)
            .map(|_| ())
    }
    /// Locks (`Some(time)`) or unlocks (`None`) an account.
    pub fn set_locked(conn: &mut Conn, id: UserId, at: Option<NaiveDateTime>) -> QResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::locked_at.eq(at))
            .execute(conn)
            .map(|_| ())
    }
    pub fn set_active(conn: &mut Conn, id: UserId, active: bool) -> QResult<()> {
        diesel::update(users::table.find(id.0))
            .set(users::active.eq(active))
            .execute(conn)
            .map(|_| ())
    }
    pub fn user_id(&self) -> UserId {
        UserId(self.id)
    }
    pub fn agency(&self) -> AgencyId {
        AgencyId(self.agency_id)
    }
    /// The roles the account row stores, parsed; a malformed roles column yields no roles (and
    /// so no access). For any decision about what the user may do, use [`User::roles_in`]:
    /// a stored service role outside the service agency grants nothing.
    pub fn stored_roles(&self) -> Roles {
        Roles::parse(&self.roles).unwrap_or_default()
    }
    /// The roles that work for this account, given its agency (`agency.id` must be
    /// `self.agency_id`; another agency yields the agency roles only): see
    /// [`Roles::effective`].
    pub fn roles_in(&self, agency: &Agency) -> Roles {
        self.stored_roles()
            .effective(agency.is_service && agency.id == self.agency_id)
    }
}
