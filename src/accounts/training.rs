//! Training records (`training_records`): one row per completed training, never changed; a
//! renewal is a new row. The rules on them are pure, in [`crate::domain::training`]; this file
//! loads records and answers "may this user examine / use the FR system today?".
//!
//! Callers that decide whether someone may examine use [`trained_examiner`] (or load
//! [`records_of`] and call [`crate::domain::examination::may_examine`]); the examiner queue —
//! who may be given candidate lists now — is [`trained_examiners`].

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::accounts::store::User;
use crate::domain::examination::{ExaminerRefusal, may_examine};
use crate::domain::training::{Training, TrainingKind, TrainingProvider};
use crate::domain::{Role, UserId};
use crate::platform::db::DbConnection;
use crate::platform::db::schema::{training_records, users};

/// A stored training record.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = training_records)]
pub struct TrainingRecord {
    pub id: i64,
    pub user_id: i64,
    /// `fr_system` or `facial_comparison` ([`TrainingKind::as_str`]).
    pub kind: String,
    /// `FBI`, `LACRIS` or `other` ([`TrainingProvider::as_str`]).
    pub provider: String,
    pub completed_on: NaiveDate,
    /// The audit actor who recorded it (email, or `cli:<command>`, or the migration).
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

/// A record to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = training_records)]
pub struct NewTrainingRecord {
    pub user_id: i64,
    pub kind: String,
    pub provider: String,
    pub completed_on: NaiveDate,
    pub recorded_by: String,
    pub recorded_at: NaiveDateTime,
}

impl TrainingRecord {
    /// The record as the rules see it; `None` for a kind or provider this code does not know
    /// (such a row counts for nothing).
    pub fn training(&self) -> Option<Training> {
        Some(Training {
            kind: self.kind.parse().ok()?,
            provider: self.provider.parse().ok()?,
            completed_on: self.completed_on,
        })
    }
}

/// Stores one record (`recorded_by` is the actor's label); returns its id.
pub fn insert(
    conn: &mut DbConnection,
    user: UserId,
    t: &Training,
    recorded_by: &str,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(training_records::table)
        .values(&NewTrainingRecord {
            user_id: user.0,
            kind: t.kind.as_str().into(),
            provider: t.provider.as_str().into(),
            completed_on: t.completed_on,
            recorded_by: recorded_by.into(),
            recorded_at: at,
        })
        .execute(conn)?;
    training_records::table
        .filter(training_records::user_id.eq(user.0))
        .order(training_records::id.desc())
        .select(training_records::id)
        .first(conn)
}

/// Every stored record of a user, oldest completion first (for pages).
pub fn stored_of(conn: &mut DbConnection, user: UserId) -> QueryResult<Vec<TrainingRecord>> {
    training_records::table
        .filter(training_records::user_id.eq(user.0))
        .order((
            training_records::completed_on.asc(),
            training_records::id.asc(),
        ))
        .select(TrainingRecord::as_select())
        .load(conn)
}

/// A user's records as the rules see them.
pub fn records_of(conn: &mut DbConnection, user: UserId) -> QueryResult<Vec<Training>> {
    Ok(stored_of(conn, user)?
        .iter()
        .filter_map(TrainingRecord::training)
        .collect())
}

/// The records of many users at once, by user id (users without records are absent).
pub fn records_by_user(
    conn: &mut DbConnection,
    ids: &[i64],
) -> QueryResult<BTreeMap<i64, Vec<Training>>> {
    let mut out: BTreeMap<i64, Vec<Training>> = BTreeMap::new();
    for chunk in ids.chunks(500) {
        let rows: Vec<TrainingRecord> = training_records::table
            .filter(training_records::user_id.eq_any(chunk))
            .select(TrainingRecord::as_select())
            .load(conn)?;
        for r in rows {
            if let Some(t) = r.training() {
                out.entry(r.user_id).or_default().push(t);
            }
        }
    }
    Ok(out)
}

/// Whether `user` may examine on `today`: the examiner role (effective in the user's agency,
/// [`User::roles_in`]) and training that makes an examiner. The outer `Err` is a
/// database error; the inner one the refusal, whose message quotes the LACRIS FR Policy.
pub fn trained_examiner(
    conn: &mut DbConnection,
    user: &User,
    today: NaiveDate,
) -> QueryResult<Result<(), ExaminerRefusal>> {
    let records = records_of(conn, user.user_id())?;
    let agency = crate::accounts::store::Agency::find(conn, user.agency())?;
    Ok(may_examine(&user.roles_in(&agency), &records, today))
}

/// The examiner queue: active users holding the examiner role whose training makes them an
/// examiner on `today`, by name. An examiner whose training lapsed drops out of it.
pub fn trained_examiners(conn: &mut DbConnection, today: NaiveDate) -> QueryResult<Vec<User>> {
    let examiners = User::active_with_role(conn, Role::Examiner)?;
    let ids: Vec<i64> = examiners.iter().map(|u| u.id).collect();
    let records = records_by_user(conn, &ids)?;
    Ok(examiners
        .into_iter()
        .filter(|u| {
            // `active_with_role` already applied the agency rule (effective roles).
            may_examine(
                &u.stored_roles(),
                records.get(&u.id).map(Vec::as_slice).unwrap_or(&[]),
                today,
            )
            .is_ok()
        })
        .collect())
}

/// The training given with `frdesk user add --training-provider … --training-date …` (and the
/// demo and test seeds): one FR-system record, plus — for examiners and supervisors, as the
/// migration did for existing accounts — a facial-comparison record of the same provider and
/// date. Record further training with `accounts::people::record_training`.
pub fn initial_records(
    roles: &crate::domain::Roles,
    provider: TrainingProvider,
    completed_on: NaiveDate,
) -> Vec<Training> {
    let mut v = vec![Training {
        kind: TrainingKind::FrSystem,
        provider,
        completed_on,
    }];
    if roles.has(Role::Examiner) || roles.has(Role::Supervisor) {
        v.push(Training {
            kind: TrainingKind::FacialComparison,
            provider,
            completed_on,
        });
    }
    v
}

/// Sets a user's background-check date.
pub fn set_background_check(
    conn: &mut DbConnection,
    user: UserId,
    on: Option<NaiveDate>,
) -> QueryResult<()> {
    diesel::update(users::table.find(user.0))
        .set(users::background_check_on.eq(on))
        .execute(conn)
        .map(|_| ())
}
