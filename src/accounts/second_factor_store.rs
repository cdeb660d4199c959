//! Second-factor rows: `user_mfa` (one TOTP authenticator per account) and
//! `mfa_recovery_codes` (single-use codes). Secrets arrive here already sealed and codes already
//! digested ([`crate::accounts::second_factor`]); nothing in clear touches the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::platform::db::DbConnection;
use crate::platform::db::schema::{mfa_recovery_codes, user_mfa};

/// A user's authenticator: sealed secret, when it was confirmed, the newest accepted step.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_mfa)]
pub struct UserMfa {
    pub user_id: i64,
    pub secret_sealed: String,
    pub confirmed_at: Option<NaiveDateTime>,
    pub last_step: i64,
    pub created_at: NaiveDateTime,
}

impl UserMfa {
    pub fn find(conn: &mut DbConnection, user_id: i64) -> QueryResult<Option<UserMfa>> {
        user_mfa::table
            .find(user_id)
            .select(UserMfa::as_select())
            .first(conn)
            .optional()
    }

    /// Stores a new, unconfirmed authenticator (replacing an unconfirmed one).
    pub fn put_unconfirmed(
        conn: &mut DbConnection,
        user_id: i64,
        sealed: &str,
        at: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::delete(
            user_mfa::table
                .filter(user_mfa::user_id.eq(user_id))
                .filter(user_mfa::confirmed_at.is_null()),
        )
        .execute(conn)?;
        diesel::insert_into(user_mfa::table)
            .values((
                user_mfa::user_id.eq(user_id),
                user_mfa::secret_sealed.eq(sealed),
                user_mfa::last_step.eq(0i64),
                user_mfa::created_at.eq(at),
            ))
            .execute(conn)
            .map(|_| ())
    }

    /// Confirms the unconfirmed authenticator with its first accepted step. False when there
    /// was none (already confirmed by a concurrent request, or reset).
    pub fn confirm(
        conn: &mut DbConnection,
        user_id: i64,
        step: i64,
        at: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            user_mfa::table
                .filter(user_mfa::user_id.eq(user_id))
                .filter(user_mfa::confirmed_at.is_null()),
        )
        .set((
            user_mfa::confirmed_at.eq(Some(at)),
            user_mfa::last_step.eq(step),
        ))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Accepts `step` only if it is newer than every step accepted before (one conditional
    /// update, so two requests with the same code cannot both succeed). False: a replay.
    pub fn accept_step(conn: &mut DbConnection, user_id: i64, step: i64) -> QueryResult<bool> {
        diesel::update(
            user_mfa::table
                .filter(user_mfa::user_id.eq(user_id))
                .filter(user_mfa::confirmed_at.is_not_null())
                .filter(user_mfa::last_step.lt(step)),
        )
        .set(user_mfa::last_step.eq(step))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// Removes the authenticator and every recovery code (administrator's reset). Returns
    /// whether there was an authenticator.
    pub fn remove(conn: &mut DbConnection, user_id: i64) -> QueryResult<bool> {
        diesel::delete(mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(user_id)))
            .execute(conn)?;
        diesel::delete(user_mfa::table.filter(user_mfa::user_id.eq(user_id)))
            .execute(conn)
            .map(|n| n == 1)
    }
}

/// Single-use recovery codes, stored as keyed digests.
pub struct RecoveryCode;

impl RecoveryCode {
    /// Replaces the user's codes by `digests`.
    pub fn replace_all(
        conn: &mut DbConnection,
        user_id: i64,
        digests: &[String],
        at: NaiveDateTime,
    ) -> QueryResult<()> {
        diesel::delete(mfa_recovery_codes::table.filter(mfa_recovery_codes::user_id.eq(user_id)))
            .execute(conn)?;
        for d in digests {
            diesel::insert_into(mfa_recovery_codes::table)
                .values((
                    mfa_recovery_codes::user_id.eq(user_id),
                    mfa_recovery_codes::code_digest.eq(d),
                    mfa_recovery_codes::created_at.eq(at),
                ))
                .execute(conn)?;
        }
        Ok(())
    }

    /// Uses the unused code with this digest; false when there is none (wrong or used).
    pub fn use_code(
        conn: &mut DbConnection,
        user_id: i64,
        digest: &str,
        at: NaiveDateTime,
    ) -> QueryResult<bool> {
        diesel::update(
            mfa_recovery_codes::table
                .filter(mfa_recovery_codes::user_id.eq(user_id))
                .filter(mfa_recovery_codes::code_digest.eq(digest))
                .filter(mfa_recovery_codes::used_at.is_null()),
        )
        .set(mfa_recovery_codes::used_at.eq(Some(at)))
        .execute(conn)
        .map(|n| n == 1)
    }

    /// How many unused codes the user has left.
    pub fn remaining(conn: &mut DbConnection, user_id: i64) -> QueryResult<i64> {
        mfa_recovery_codes::table
            .filter(mfa_recovery_codes::user_id.eq(user_id))
            .filter(mfa_recovery_codes::used_at.is_null())
            .count()
            .get_result(conn)
    }
}
