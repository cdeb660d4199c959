//! Server-side sessions: the encrypted session cookie carries a random token; the database keeps
//! its SHA-256 in `user_sessions`. A request is authenticated only while that row is not ended,
//! so logout, deactivation and lockout end the session on the server (a copied cookie stops
//! working at once) — CJIS 5.9.5 (AC-12 session termination), OWASP ASVS V3.3.

use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::platform::db::DbConnection;
use crate::platform::db::schema::user_sessions;
use crate::platform::time::now;

fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Starts a session for `user_id` from `source_ip`; returns the token for the cookie
/// (256 random bits, hex). Only its SHA-256 is stored.
pub fn start(conn: &mut DbConnection, user_id: i64, source_ip: &str) -> QueryResult<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    diesel::insert_into(user_sessions::table)
        .values((
            user_sessions::token_sha256.eq(digest(&token)),
            user_sessions::user_id.eq(user_id),
            user_sessions::source_ip.eq(source_ip),
            user_sessions::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The user and agency of a live session `token` of `user_id`, in one query (every
/// authenticated request makes it); `None` when the session was ended or never existed.
pub fn live_user(
    conn: &mut DbConnection,
    token: &str,
    user_id: i64,
) -> QueryResult<Option<(crate::accounts::store::User, crate::accounts::store::Agency)>> {
    use crate::accounts::store::Agency;
    use crate::accounts::store::User;
    use crate::platform::db::schema::{agencies, users};
    user_sessions::table
        .inner_join(users::table.on(users::id.eq(user_sessions::user_id)))
        .inner_join(agencies::table.on(agencies::id.eq(users::agency_id)))
        .filter(user_sessions::token_sha256.eq(digest(token)))
        .filter(user_sessions::user_id.eq(user_id))
        .filter(user_sessions::ended_at.is_null())
        .select((User::as_select(), Agency::as_select()))
        .first(conn)
        .optional()
}

/// Ends one session (logout); returns whether it was live.
pub fn end(conn: &mut DbConnection, token: &str, reason: &str) -> QueryResult<bool> {
    let n = diesel::update(
        user_sessions::table
            .filter(user_sessions::token_sha256.eq(digest(token)))
            .filter(user_sessions::ended_at.is_null()),
    )
    .set((
        user_sessions::ended_at.eq(Some(now())),
        user_sessions::end_reason.eq(Some(reason)),
    ))
    .execute(conn)?;
    Ok(n == 1)
}

/// Ends every live session of a user but the one of `keep_token` (a password change from that
/// session); returns how many ended.
pub fn end_others(
    conn: &mut DbConnection,
    user_id: i64,
    keep_token: &str,
    reason: &str,
) -> QueryResult<usize> {
    diesel::update(
        user_sessions::table
            .filter(user_sessions::user_id.eq(user_id))
            .filter(user_sessions::token_sha256.ne(digest(keep_token)))
            .filter(user_sessions::ended_at.is_null()),
    )
    .set((
        user_sessions::ended_at.eq(Some(now())),
        user_sessions::end_reason.eq(Some(reason)),
    ))
    .execute(conn)
}

/// Ends every live session of a user (deactivation, lockout, password reset); returns how many.
pub fn end_all_for_user(conn: &mut DbConnection, user_id: i64, reason: &str) -> QueryResult<usize> {
    diesel::update(
        user_sessions::table
            .filter(user_sessions::user_id.eq(user_id))
            .filter(user_sessions::ended_at.is_null()),
    )
    .set((
        user_sessions::ended_at.eq(Some(now())),
        user_sessions::end_reason.eq(Some(reason)),
    ))
    .execute(conn)
}
