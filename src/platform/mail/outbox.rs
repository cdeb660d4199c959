//! The outbox: e-mail queued in the transaction that caused it, sent after it commits.
//!
//! A message is `queued` (or `retrying` after a failed attempt) until it is `sent`, or `failed`
//! after too many attempts. A sender takes one due message at a time with
//! [`OutboxMessage::claim_next`]: a lease (`lease_until`, `lease_epoch`, as for jobs:
//! `platform::jobs::lease`) that it renews while it talks to the mail server. Another instance's
//! sender passes over a leased message (on PostgreSQL with `FOR UPDATE SKIP LOCKED`) and takes it
//! only once the lease lapsed (its sender died). The outcome is recorded only under the claim's
//! epoch ([`OutboxMessage::mark_sent`], [`OutboxMessage::mark_retry`]). So a message reaches
//! the mail server twice only if a sender dies (or stalls past its lease) after the server
//! accepted it and before `sent` was committed — and then with the same `Message-ID`.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::domain::CaseId;
use crate::platform::db::DbConnection;
use crate::platform::db::schema::outbox_messages;
use crate::platform::jobs::lease::{lease_clock, lease_end};
use crate::platform::time::{label, now};

type Conn = DbConnection;
type QResult<T> = diesel::QueryResult<T>;

// ---------------------------------------------------------------- outbox

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = outbox_messages)]
pub struct OutboxMessage {
    pub id: i64,
    pub kind: String,
    pub case_id: Option<i64>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    /// Relative to `data_dir`.
    pub attachment_path: Option<String>,
    /// When the current sender's claim lapses (UTC); `None` when not claimed.
    pub lease_until: Option<NaiveDateTime>,
    /// How many times a sender claimed the message; outcomes are recorded only under the
    /// epoch of the claim that returned this row.
    pub lease_epoch: i64,
}

/// Statuses of a message still to be sent.
const PENDING: [&str; 2] = ["queued", "retrying"];

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox_messages)]
pub struct NewOutboxMessage {
    pub kind: String,
    pub case_id: Option<i64>,
    pub to_addr: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    pub attachment_path: Option<String>,
}

impl OutboxMessage {
    /// Queues a message; returns its id.
    pub fn insert(conn: &mut Conn, new: &NewOutboxMessage) -> QResult<i64> {
        diesel::insert_into(outbox_messages::table)
            .values(new)
            .returning(outbox_messages::id)
            .get_result(conn)
    }
    /// Claims the oldest due message (queued or retrying, next attempt due) that no live
    /// lease holds, for one send: sets `lease_until` = now + `lease` and adds 1 to
    /// `lease_epoch`; returns the row with its epoch, or `None` when nothing is due. The status
    /// is unchanged until [`OutboxMessage::mark_sent`] or [`OutboxMessage::mark_retry`].
    ///
    /// Errors: the database's.
    pub fn claim_next(conn: &mut Conn, lease: Duration) -> QResult<Option<OutboxMessage>> {
        crate::platform::db::write_tx(conn, |conn| {
            let at = lease_clock(conn)?;
            let until =
                at + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(30));
            // `next_attempt_at` is written with this process's clock, leases with the lease clock.
            let claimable = outbox_messages::status
                .eq_any(PENDING)
                .and(outbox_messages::next_attempt_at.le(now()))
                .and(
                    outbox_messages::lease_until
                        .is_null()
                        .or(outbox_messages::lease_until.lt(at)),
                );
            let next: Option<i64> = match conn {
                // SKIP LOCKED: a message another sender is claiming right now is passed over.
                DbConnection::Pg(pg) => outbox_messages::table
                    .filter(claimable.clone())
                    .order(outbox_messages::id.asc())
                    .select(outbox_messages::id)
                    .for_update()
                    .skip_locked()
                    .first(pg)
                    .optional()?,
                DbConnection::Sqlite(sq) => outbox_messages::table
                    .filter(claimable.clone())
                    .order(outbox_messages::id.asc())
                    .select(outbox_messages::id)
                    .first(sq)
                    .optional()?,
            };
            let Some(id) = next else { return Ok(None) };
            let n = diesel::update(
                outbox_messages::table
                    .filter(outbox_messages::id.eq(id))
                    .filter(claimable),
            )
            .set((
                outbox_messages::lease_epoch.eq(outbox_messages::lease_epoch + 1),
                outbox_messages::lease_until.eq(Some(until)),
            ))
            .execute(conn)?;
            if n == 0 {
                return Ok(None);
            }
            outbox_messages::table
                .find(id)
                .select(OutboxMessage::as_select())
                .first(conn)
                .map(Some)
        })
    }
    /// Extends the claim `epoch` on message `id` to now + `lease`, while it stands (same
    /// epoch, still pending). Returns whether it did.
    ///
    /// Errors: the database's.
    pub fn renew(conn: &mut Conn, id: i64, epoch: i64, lease: Duration) -> QResult<bool> {
        let until = lease_end(conn, lease)?;
        let n = diesel::update(
            outbox_messages::table
                .filter(outbox_messages::id.eq(id))
                .filter(outbox_messages::lease_epoch.eq(epoch))
                .filter(outbox_messages::status.eq_any(PENDING)),
        )
        .set(outbox_messages::lease_until.eq(Some(until)))
        .execute(conn)?;
        Ok(n == 1)
    }
    pub fn for_case(conn: &mut Conn, case: CaseId) -> QResult<Vec<OutboxMessage>> {
        outbox_messages::table
            .filter(outbox_messages::case_id.eq(case.0))
            .order(outbox_messages::id.asc())
            .select(OutboxMessage::as_select())
            .load(conn)
    }
    /// Records that the message went out at `at`, under the claim `epoch` only (same epoch,
    /// still pending). Returns whether it did: `false` when another sender took the message
    /// over after this claim's lease lapsed.
    ///
    /// Errors: the database's.
    pub fn mark_sent(conn: &mut Conn, id: i64, epoch: i64, at: NaiveDateTime) -> QResult<bool> {
        let n = diesel::update(
            outbox_messages::table
                .filter(outbox_messages::id.eq(id))
                .filter(outbox_messages::lease_epoch.eq(epoch))
                .filter(outbox_messages::status.eq_any(PENDING)),
        )
        .set((
            outbox_messages::status.eq("sent"),
            outbox_messages::sent_at.eq(Some(at)),
            outbox_messages::attempts.eq(outbox_messages::attempts + 1),
            outbox_messages::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
    /// Records a failed attempt under the claim `epoch` only: `retrying` at `next`, or
    /// `failed` when `give_up`; the lease is released. Returns whether it did.
    ///
    /// Errors: the database's.
    pub fn mark_retry(
        conn: &mut Conn,
        id: i64,
        epoch: i64,
        error: &str,
        next: NaiveDateTime,
        give_up: bool,
    ) -> QResult<bool> {
        let n = diesel::update(
            outbox_messages::table
                .filter(outbox_messages::id.eq(id))
                .filter(outbox_messages::lease_epoch.eq(epoch))
                .filter(outbox_messages::status.eq_any(PENDING)),
        )
        .set((
            outbox_messages::status.eq(if give_up { "failed" } else { "retrying" }),
            outbox_messages::last_error.eq(Some(error)),
            outbox_messages::next_attempt_at.eq(next),
            outbox_messages::attempts.eq(outbox_messages::attempts + 1),
            outbox_messages::lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        Ok(n == 1)
    }
}

impl OutboxMessage {
    pub fn created_label(&self) -> String {
        label(&self.created_at)
    }
    pub fn sent_label(&self) -> String {
        self.sent_at.as_ref().map(label).unwrap_or_default()
    }
    pub fn error_text(&self) -> String {
        self.last_error.clone().unwrap_or_default()
    }
}
